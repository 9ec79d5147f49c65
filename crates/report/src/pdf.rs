//! A [`Document`] as a PDF (A4, portrait) written by krilla, with a subset of the CJK font
//! embedded: the text stays text (a PDF reader can search and copy it, `pdftotext` extracts it).
//!
//! Two passes: `layout` places every block on pages (pure arithmetic on the font's widths), then
//! `emit` draws the pages. Charts are drawn by the same plotters code as the SVG, through
//! [`PdfBackend`], a plotters backend that draws onto a krilla surface.

use krilla::Document as PdfDocument;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use plotters::prelude::{DrawingArea, IntoDrawingArea as _};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

use crate::chart::Chart;
use crate::document::{Align, Block, Document, Table, cell_text};
use crate::font::ReportFont;

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
const TOP: f32 = 56.0;
const BOTTOM: f32 = PAGE_H - 60.0;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;

pub(crate) type Rgb = (u8, u8, u8);
const INK: Rgb = (0x1f, 0x23, 0x28);
const MUTED: Rgb = (0x57, 0x60, 0x6a);
const RULE: Rgb = (0xd0, 0xd7, 0xde);
const SHADE: Rgb = (0xf0, 0xf3, 0xf6);

/// Writing the PDF failed.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("cannot write the PDF: {0}")]
    Krilla(String),
    #[error("cannot draw a chart into the PDF: {0}")]
    Chart(String),
}

/// One thing drawn on a page, in points from the page's top left.
enum Op<'d> {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        text: String,
        colour: Rgb,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        colour: Rgb,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        colour: Rgb,
    },
    Chart {
        x: f32,
        y: f32,
        scale: f32,
        chart: &'d Chart,
    },
}

struct Layout<'d, 'f> {
    font: &'f ReportFont,
    /// The document's language, for the dates in its tables.
    lang: &'d str,
    pages: Vec<Vec<Op<'d>>>,
    y: f32,
}

impl<'d> Layout<'d, '_> {
    fn ops(&mut self) -> &mut Vec<Op<'d>> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` more fits on this one.
    fn room_for(&mut self, height: f32) -> bool {
        if self.y + height > BOTTOM && self.y > TOP {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn text(&mut self, x: f32, baseline: f32, size: f32, text: &str, colour: Rgb) {
        if text.is_empty() {
            return;
        }
        self.ops().push(Op::Text {
            x,
            baseline,
            size,
            text: text.to_string(),
            colour,
        });
    }

    /// A paragraph wrapped to the width, line by line across pages.
    fn paragraph(&mut self, text: &str, size: f32, colour: Rgb, before: f32) {
        let line = size * 1.55;
        self.y += before;
        for l in wrap(self.font, text, size, WIDTH) {
            self.room_for(line);
            self.text(MARGIN, self.y + size, size, &l, colour);
            self.y += line;
        }
    }

    /// A section heading; `keep` is how much of what follows must fit on the same page.
    fn heading(&mut self, text: &str, keep: f32) {
        let size = 13.0;
        self.y += 14.0;
        // Never a heading alone at the foot of a page.
        self.room_for(size * 1.5 + 6.0 + keep);
        self.text(MARGIN, self.y + size, size, text, INK);
        self.y += size * 1.5;
        let y = self.y;
        self.ops().push(Op::Line {
            x1: MARGIN,
            y1: y,
            x2: MARGIN + WIDTH,
            y2: y,
            colour: RULE,
        });
        self.y += 6.0;
    }

    fn table(&mut self, table: &Table) {
        let size = 8.5;
        let line = size * 1.45;
        let pad = 3.0;
        if table.rows.is_empty() {
            self.paragraph(&table.empty, 10.0, MUTED, 2.0);
            return;
        }
        let total: f32 = table.columns.iter().map(|c| c.weight.max(0.1)).sum();
        let widths: Vec<f32> = table
            .columns
            .iter()
            .map(|c| WIDTH * c.weight.max(0.1) / total)
            .collect();
        let header: Vec<String> = table.columns.iter().map(|c| c.title.clone()).collect();
        self.y += 4.0;
        self.room_for(3.0 * (line + 2.0 * pad));
        self.table_row(table, &widths, &header, size, true);
        for row in &table.rows {
            let row: Vec<String> = row
                .iter()
                .map(|c| cell_text(self.lang, c).into_owned())
                .collect();
            let row = &row;
            let height = self.row_height(&widths, row, size);
            if self.room_for(height) {
                self.table_row(table, &widths, &header, size, true);
            }
            self.table_row(table, &widths, row, size, false);
        }
        self.y += 4.0;
    }

    fn row_height(&self, widths: &[f32], cells: &[String], size: f32) -> f32 {
        let lines = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| wrap(self.font, c, size, w - 6.0).len().max(1))
            .max()
            .unwrap_or(1);
        lines as f32 * size * 1.45 + 6.0
    }

    fn table_row(
        &mut self,
        table: &Table,
        widths: &[f32],
        cells: &[String],
        size: f32,
        header: bool,
    ) {
        let pad = 3.0;
        let line = size * 1.45;
        let height = self.row_height(widths, cells, size);
        let top = self.y;
        if header {
            self.ops().push(Op::Rect {
                x: MARGIN,
                y: top,
                w: WIDTH,
                h: height,
                colour: SHADE,
            });
        }
        let mut x = MARGIN;
        for ((cell, w), column) in cells.iter().zip(widths).zip(&table.columns) {
            for (i, l) in wrap(self.font, cell, size, w - 2.0 * pad)
                .iter()
                .enumerate()
            {
                let tx = match column.align {
                    Align::Left => x + pad,
                    Align::Right => x + w - pad - self.font.width(l, size),
                };
                let baseline = top + pad + size + i as f32 * line;
                self.text(tx, baseline, size, l, if header { MUTED } else { INK });
            }
            x += w;
        }
        self.ops().push(Op::Line {
            x1: MARGIN,
            y1: top + height,
            x2: MARGIN + WIDTH,
            y2: top + height,
            colour: RULE,
        });
        self.y += height;
    }

    fn chart(&mut self, chart: &'d Chart) {
        let (w, h) = chart.size();
        let scale = WIDTH / w as f32;
        let height = h as f32 * scale;
        self.y += 6.0;
        self.room_for(height + 20.0);
        let y = self.y;
        self.ops().push(Op::Chart {
            x: MARGIN,
            y,
            scale,
            chart,
        });
        self.y += height + 4.0;
        let caption = chart.title().to_string();
        self.paragraph(&caption, 8.5, MUTED, 0.0);
    }
}

/// Lines of `text` no wider than `width` at `size` in `font` (a word or character wider than a
/// line is cut where it must be).
fn wrap(font: &ReportFont, text: &str, size: f32, width: f32) -> Vec<String> {
    wrap_with(text, width, |s| font.width(s, size))
}

/// Greedy line breaking at the break opportunities of Unicode line breaking (UAX #14, by the
/// `unicode-linebreak` crate): between CJK characters, after spaces, but never before a closing
/// bracket or punctuation (、。，）」》…) nor after an opening one (（「《…) — the Chinese rules of
/// 避头尾 — and always at a line feed. `measure` gives a string's width. A segment wider than the
/// whole width is cut between characters. Spaces at the end of a line are dropped; nothing else is
/// lost or reordered.
pub fn wrap_with(text: &str, width: f32, measure: impl Fn(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut start = 0;
    for (at, opportunity) in unicode_linebreak::linebreaks(text) {
        let segment = &text[start..at];
        start = at;
        let mandatory = opportunity == unicode_linebreak::BreakOpportunity::Mandatory;
        // The segment without its trailing spaces or line feed: what must fit on this line.
        let body = segment.trim_end_matches([' ', '\t', '\n', '\r', '\u{2028}', '\u{2029}']);
        let tail = &segment[body.len()..];
        let tail_spaces = tail.trim_end_matches(['\n', '\r', '\u{2028}', '\u{2029}']);
        let candidate = format!("{line}{body}");
        if !line.is_empty() && measure(&candidate) > width {
            lines.push(line.trim_end().to_string());
            line.clear();
        }
        if line.is_empty() && measure(body) > width {
            // Wider than a line on its own: cut between characters, each line as full as it goes.
            for c in body.chars() {
                let mut next = line.clone();
                next.push(c);
                if !line.is_empty() && measure(&next) > width {
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                } else {
                    line = next;
                }
            }
        } else {
            line.push_str(body);
        }
        line.push_str(tail_spaces);
        if mandatory {
            lines.push(line.trim_end().to_string());
            line.clear();
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

fn layout<'d>(doc: &'d Document, font: &ReportFont) -> Vec<Vec<Op<'d>>> {
    let mut l = Layout {
        font,
        lang: &doc.lang,
        pages: vec![Vec::new()],
        y: TOP,
    };
    l.paragraph(&doc.title, 18.0, INK, 0.0);
    l.paragraph(&doc.subtitle, 9.5, MUTED, 2.0);
    for (i, block) in doc.blocks.iter().enumerate() {
        match block {
            Block::Heading(text) => {
                let keep = match doc.blocks.get(i + 1) {
                    Some(Block::Chart(chart)) => {
                        let (w, h) = chart.size();
                        h as f32 * WIDTH / w as f32 + 30.0
                    }
                    _ => 60.0,
                };
                l.heading(text, keep)
            }
            Block::Paragraph(text) => l.paragraph(text, 10.0, INK, 4.0),
            Block::Note(text) => l.paragraph(text, 8.0, MUTED, 2.0),
            Block::Table(table) => l.table(table),
            Block::Chart(chart) => l.chart(chart),
        }
    }
    let count = l.pages.len();
    for (i, page) in l.pages.iter_mut().enumerate() {
        let number = format!("{} / {}", i + 1, count);
        let size = 8.0;
        page.push(Op::Text {
            x: (PAGE_W - font.width(&number, size)) / 2.0,
            baseline: PAGE_H - 30.0,
            size,
            text: number,
            colour: MUTED,
        });
    }
    l.pages
}

pub(crate) fn paint(colour: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(colour.0, colour.1, colour.2).into()
}

pub(crate) fn fill(colour: Rgb, opacity: f32) -> Fill {
    Fill {
        paint: paint(colour),
        opacity: NormalizedF32::new(opacity.clamp(0.0, 1.0)).unwrap_or(NormalizedF32::ONE),
        rule: FillRule::NonZero,
    }
}

pub(crate) fn fill_rect(surface: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32, f: Fill) {
    let Some(rect) = Rect::from_xywh(x, y, w.max(0.01), h.max(0.01)) else {
        return;
    };
    let mut pb = PathBuilder::new();
    pb.push_rect(rect);
    if let Some(path) = pb.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(f));
        surface.draw_path(&path);
    }
}

pub(crate) fn stroke_polyline(
    surface: &mut Surface<'_>,
    points: &[(f32, f32)],
    stroke: Stroke,
    close: bool,
) {
    let mut pb = PathBuilder::new();
    let Some(first) = points.first() else {
        return;
    };
    pb.move_to(first.0, first.1);
    for p in &points[1..] {
        pb.line_to(p.0, p.1);
    }
    if close {
        pb.close();
    }
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(stroke));
        surface.draw_path(&path);
    }
}

pub(crate) fn draw_text(
    surface: &mut Surface<'_>,
    font: &ReportFont,
    at: (f32, f32),
    size: f32,
    text: &str,
    f: Fill,
) {
    let glyphs = font.glyphs(text);
    surface.set_stroke(None);
    surface.set_fill(Some(f));
    surface.draw_glyphs(
        Point::from_xy(at.0, at.1),
        &glyphs,
        font.krilla(),
        text,
        size,
        false,
    );
}

/// The document as PDF bytes.
pub fn render(doc: &Document, font: &ReportFont) -> Result<Vec<u8>, PdfError> {
    let pages = layout(doc, font);
    let mut pdf = PdfDocument::new();
    pdf.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language(doc.lang.clone())
            .creator("onewindow".to_string()),
    );
    for ops in &pages {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| PdfError::Krilla("page size".into()))?;
        let mut page = pdf.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    baseline,
                    size,
                    text,
                    colour,
                } => draw_text(
                    &mut surface,
                    font,
                    (*x, *baseline),
                    *size,
                    text,
                    fill(*colour, 1.0),
                ),
                Op::Rect { x, y, w, h, colour } => {
                    fill_rect(&mut surface, *x, *y, *w, *h, fill(*colour, 1.0))
                }
                Op::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    colour,
                } => stroke_polyline(
                    &mut surface,
                    &[(*x1, *y1), (*x2, *y2)],
                    Stroke {
                        paint: paint(*colour),
                        width: 0.6,
                        ..Stroke::default()
                    },
                    false,
                ),
                Op::Chart { x, y, scale, chart } => {
                    surface.push_transform(&Transform::from_row(*scale, 0.0, 0.0, *scale, *x, *y));
                    let drawn = {
                        let backend = PdfBackend {
                            surface: &mut surface,
                            font,
                            size: chart.size(),
                        };
                        let root: DrawingArea<_, _> = backend.into_drawing_area();
                        chart.draw(&root).and_then(|()| root.present())
                    };
                    surface.pop();
                    drawn.map_err(|e| PdfError::Chart(format!("{e:?}")))?;
                }
            }
        }
        surface.finish();
        page.finish();
    }
    pdf.finish().map_err(|e| PdfError::Krilla(format!("{e:?}")))
}

/// A plotters backend that draws onto a krilla surface, in the chart's pixel coordinates (the
/// caller scales them to the page).
pub struct PdfBackend<'s, 'p, 'f> {
    surface: &'s mut Surface<'p>,
    font: &'f ReportFont,
    size: (u32, u32),
}

/// Never returned: drawing onto a krilla surface does not fail.
#[derive(Debug)]
pub struct PdfDrawError;

impl std::fmt::Display for PdfDrawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cannot draw onto the PDF page")
    }
}

impl std::error::Error for PdfDrawError {}

fn backend_fill(c: BackendColor) -> Fill {
    fill(c.rgb, c.alpha as f32)
}

fn backend_stroke<S: BackendStyle>(style: &S) -> Stroke {
    let c = style.color();
    Stroke {
        paint: paint(c.rgb),
        width: style.stroke_width().max(1) as f32,
        opacity: NormalizedF32::new((c.alpha as f32).clamp(0.0, 1.0)).unwrap_or(NormalizedF32::ONE),
        ..Stroke::default()
    }
}

fn point(c: BackendCoord) -> (f32, f32) {
    (c.0 as f32, c.1 as f32)
}

impl DrawingBackend for PdfBackend<'_, '_, '_> {
    type ErrorType = PdfDrawError;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<PdfDrawError>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<PdfDrawError>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        at: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<PdfDrawError>> {
        if color.alpha > 0.0 {
            let (x, y) = point(at);
            fill_rect(self.surface, x, y, 1.0, 1.0, backend_fill(color));
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<PdfDrawError>> {
        if style.color().alpha > 0.0 {
            stroke_polyline(
                self.surface,
                &[point(from), point(to)],
                backend_stroke(style),
                false,
            );
        }
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        filled: bool,
    ) -> Result<(), DrawingErrorKind<PdfDrawError>> {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let (x0, y0) = point(upper_left);
        let (x1, y1) = point(bottom_right);
        if filled {
            fill_rect(
                self.surface,
                x0.min(x1),
                y0.min(y1),
                (x1 - x0).abs(),
                (y1 - y0).abs(),
                backend_fill(style.color()),
            );
        } else {
            stroke_polyline(
                self.surface,
                &[(x0, y0), (x1, y0), (x1, y1), (x0, y1)],
                backend_stroke(style),
                true,
            );
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<PdfDrawError>> {
        if style.color().alpha > 0.0 {
            let points: Vec<(f32, f32)> = path.into_iter().map(point).collect();
            stroke_polyline(self.surface, &points, backend_stroke(style), false);
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<PdfDrawError>> {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let points: Vec<(f32, f32)> = vert.into_iter().map(point).collect();
        let Some(first) = points.first() else {
            return Ok(());
        };
        let mut pb = PathBuilder::new();
        pb.move_to(first.0, first.1);
        for p in &points[1..] {
            pb.line_to(p.0, p.1);
        }
        pb.close();
        if let Some(path) = pb.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(backend_fill(style.color())));
            self.surface.draw_path(&path);
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        filled: bool,
    ) -> Result<(), DrawingErrorKind<PdfDrawError>> {
        let (cx, cy) = point(center);
        let r = radius as f32;
        let points: Vec<(f32, f32)> = (0..24)
            .map(|i| {
                let a = i as f32 * std::f32::consts::TAU / 24.0;
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect();
        if filled {
            let coords: Vec<BackendCoord> = points
                .iter()
                .map(|(x, y)| (x.round() as i32, y.round() as i32))
                .collect();
            self.fill_polygon(coords, style)
        } else {
            stroke_polyline(self.surface, &points, backend_stroke(style), true);
            Ok(())
        }
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<PdfDrawError>> {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        // plotters' SVG backend writes font-size = size / 1.24; do the same so both look alike.
        let size = (style.size() / 1.24) as f32;
        let width = self.font.width(text, size);
        let (x, y) = point(pos);
        let x = match style.anchor().h_pos {
            HPos::Left => x,
            HPos::Center => x - width / 2.0,
            HPos::Right => x - width,
        };
        let baseline = match style.anchor().v_pos {
            VPos::Top => y + size * 0.88,
            VPos::Center => y + size * 0.36,
            VPos::Bottom => y - size * 0.12,
        };
        draw_text(
            self.surface,
            self.font,
            (x, baseline),
            size,
            text,
            backend_fill(colour),
        );
        Ok(())
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<PdfDrawError>> {
        let size = (style.size() / 1.24) as f32;
        Ok((
            self.font.width(text, size).ceil() as u32,
            size.ceil() as u32,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::wrap_with;
    use proptest::prelude::*;

    /// Every character one unit wide: a line of `width` holds `width` characters.
    fn cells(s: &str) -> f32 {
        s.chars().count() as f32
    }

    #[test]
    fn a_full_stop_or_closing_bracket_never_starts_a_line() {
        // Cut after five characters, "。" and "）" would open the second line.
        assert_eq!(
            wrap_with("本月收件一。较上月", 5.0, cells),
            ["本月收件", "一。较上月"]
        );
        assert_eq!(
            wrap_with("按期办结率）高", 5.0, cells),
            ["按期办结", "率）高"]
        );
        assert_eq!(
            wrap_with("甲乙丙丁戊、己庚", 5.0, cells),
            ["甲乙丙丁", "戊、己庚"]
        );
    }

    #[test]
    fn an_opening_bracket_never_ends_a_line() {
        // Cut after five characters, "（" or "《" would close the first line.
        assert_eq!(
            wrap_with("食品经营（新办）", 5.0, cells),
            ["食品经营", "（新办）"]
        );
        assert_eq!(
            wrap_with("依照条例《行政许可法》", 5.0, cells),
            ["依照条例", "《行政许可", "法》"]
        );
    }

    #[test]
    fn latin_words_break_at_spaces_and_line_feeds_always_break() {
        assert_eq!(
            wrap_with("on time rate 98.50%", 8.0, cells),
            ["on time", "rate", "98.50%"]
        );
        assert_eq!(wrap_with("一\n二", 10.0, cells), ["一", "二"]);
        assert_eq!(wrap_with("", 10.0, cells), [""]);
        // A number wider than the column is cut rather than overflowing it.
        assert_eq!(
            wrap_with("NH202600080", 4.0, cells),
            ["NH20", "2600", "080"]
        );
    }

    proptest! {
        #[test]
        fn breaking_never_loses_or_reorders_a_character(
            text in "[一二三四五六七八九十甲乙丙丁、。，；：！？）」》（「《 a-zA-Z0-9%.\n]{0,80}",
            width in 1.0f32..20.0,
        ) {
            let lines = wrap_with(&text, width, cells);
            let kept: String = lines.concat().chars().filter(|c| !c.is_whitespace()).collect();
            let given: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            prop_assert_eq!(kept, given);
            for line in &lines {
                // No line is wider than the width unless it is one character.
                prop_assert!(cells(line) <= width || line.chars().count() == 1, "{:?}", lines);
            }
        }

        #[test]
        fn chinese_text_never_starts_a_line_with_closing_punctuation(
            words in proptest::collection::vec(
                (
                    proptest::option::of(prop_oneof!["（", "「", "《"]),
                    prop_oneof!["一", "二", "三", "四", "五", "六"],
                    proptest::option::of(prop_oneof!["、", "。", "，", "）", "」", "》"]),
                ),
                0..30,
            ),
            width in 3.0f32..12.0,
        ) {
            // Each character with its brackets is at most three wide: always fits a line.
            let text: String = words
                .iter()
                .map(|(open, c, close)| format!("{}{c}{}", open.as_deref().unwrap_or(""), close.as_deref().unwrap_or("")))
                .collect();
            let lines = wrap_with(&text, width, cells);
            for pair in lines.windows(2) {
                prop_assert!(!pair[1].starts_with(['、', '。', '，', '）', '」', '》']), "{:?}", lines);
                prop_assert!(!pair[0].ends_with(['（', '「', '《']), "{:?}", lines);
            }
        }
    }
}
