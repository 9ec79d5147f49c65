//! An electronic licence as a one-page PDF (A4): the licence type as its title, every printed
//! field as text in the embedded CJK font subset, the issuing department's seal mark, and a QR
//! code carrying the public verification address. The signature that makes it trustworthy is
//! added by the shell after the bytes are written (`onewindow_app::licences`).

use krilla::Document as PdfDocument;
use krilla::geom::{PathBuilder, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::surface::Surface;

use crate::font::ReportFont;
use crate::pdf::{PdfError, Rgb, draw_text, fill, fill_rect, paint, stroke_polyline, wrap_with};

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const INK: Rgb = (0x1f, 0x23, 0x28);
pub(crate) const MUTED: Rgb = (0x57, 0x60, 0x6a);
const FRAME: Rgb = (0x8a, 0x6d, 0x2f);
const SEAL: Rgb = (0xd0, 0x1f, 0x1f);

/// Everything printed on a licence, already in words (the shell chooses the language).
#[derive(Debug, Clone)]
pub struct LicenceSheet {
    pub lang: String,
    /// The licence type, e.g. 食品经营许可证.
    pub title: String,
    /// A line under the title, e.g. 电子证照.
    pub subtitle: String,
    /// Label and value, in the order printed.
    pub fields: Vec<(String, String)>,
    /// The issuing authority as the seal names it.
    pub issuer: String,
    /// The words in the middle of the seal, e.g. 电子证照专用章.
    pub seal_text: String,
    /// The date line under the seal.
    pub issued_line: String,
    /// What the QR code carries: the public verification address.
    pub qr_payload: String,
    /// The caption beside the QR code.
    pub qr_caption: String,
    /// Small print at the foot: the identifier, the key, the watermark sentence.
    pub footer: Vec<String>,
}

/// The sheet as PDF bytes (no signature yet).
pub fn render_licence(sheet: &LicenceSheet, font: &ReportFont) -> Result<Vec<u8>, PdfError> {
    let mut pdf = PdfDocument::new();
    pdf.set_metadata(
        Metadata::new()
            .title(sheet.title.clone())
            .language(sheet.lang.clone())
            .creator("onewindow".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| PdfError::Krilla("page size".into()))?;
    let mut page = pdf.start_page_with(settings);
    let mut surface = page.surface();

    frame(&mut surface);
    centred(&mut surface, font, &sheet.title, 30.0, 120.0, INK);
    centred(&mut surface, font, &sheet.subtitle, 13.0, 146.0, MUTED);

    // The fields: labels in a column, values wrapped beside them.
    let label_x = 90.0;
    let value_x = 200.0;
    let value_w = PAGE_W - value_x - 80.0;
    let mut y = 200.0;
    for (label, value) in &sheet.fields {
        draw_text(
            &mut surface,
            font,
            (label_x, y),
            12.0,
            label,
            fill(MUTED, 1.0),
        );
        let lines = wrap_with(value, value_w, |s| font.width(s, 13.0));
        for line in lines.iter().take(4) {
            draw_text(&mut surface, font, (value_x, y), 13.0, line, fill(INK, 1.0));
            y += 19.0;
        }
        if lines.is_empty() {
            y += 19.0;
        }
        y += 9.0;
        if y > 560.0 {
            break;
        }
    }

    // The QR code, bottom left, with its caption.
    let qr_size = 118.0;
    let qr_x = 90.0;
    let qr_y = 600.0;
    qr(&mut surface, &sheet.qr_payload, qr_x, qr_y, qr_size)?;
    draw_text(
        &mut surface,
        font,
        (qr_x, qr_y + qr_size + 16.0),
        9.5,
        &sheet.qr_caption,
        fill(MUTED, 1.0),
    );

    // The seal mark, bottom right, over the issuer's name and the date.
    let seal_cx = PAGE_W - 170.0;
    let seal_cy = 655.0;
    draw_text(
        &mut surface,
        font,
        (
            seal_cx - font.width(&sheet.issuer, 12.0) / 2.0,
            seal_cy + 8.0,
        ),
        12.0,
        &sheet.issuer,
        fill(INK, 1.0),
    );
    draw_text(
        &mut surface,
        font,
        (
            seal_cx - font.width(&sheet.issued_line, 12.0) / 2.0,
            seal_cy + 28.0,
        ),
        12.0,
        &sheet.issued_line,
        fill(INK, 1.0),
    );
    seal(
        &mut surface,
        font,
        &sheet.issuer,
        &sheet.seal_text,
        seal_cx,
        seal_cy,
    );

    footer(&mut surface, font, &sheet.footer, 7.5);

    surface.finish();
    page.finish();
    pdf.finish().map_err(|e| PdfError::Krilla(format!("{e:?}")))
}

/// Small print at the foot of an A4 page, wrapped, from 70 points above its bottom edge.
pub(crate) fn footer(surface: &mut Surface<'_>, font: &ReportFont, lines: &[String], size: f32) {
    let mut y = PAGE_H - 70.0;
    for line in lines {
        for wrapped in wrap_with(line, PAGE_W - 140.0, |s| font.width(s, size)) {
            draw_text(surface, font, (70.0, y), size, &wrapped, fill(MUTED, 1.0));
            y += size * 1.35;
        }
    }
}

pub(crate) fn centred(
    surface: &mut Surface<'_>,
    font: &ReportFont,
    text: &str,
    size: f32,
    y: f32,
    c: Rgb,
) {
    let x = (PAGE_W - font.width(text, size)) / 2.0;
    draw_text(surface, font, (x, y), size, text, fill(c, 1.0));
}

/// A double frame in the colour of a printed certificate.
fn frame(surface: &mut Surface<'_>) {
    for (inset, width) in [(36.0, 2.4), (44.0, 0.8)] {
        stroke_polyline(
            surface,
            &[
                (inset, inset),
                (PAGE_W - inset, inset),
                (PAGE_W - inset, PAGE_H - inset),
                (inset, PAGE_H - inset),
            ],
            Stroke {
                paint: paint(FRAME),
                width,
                ..Stroke::default()
            },
            true,
        );
    }
}

/// The QR code's dark modules as one path, with a quiet zone of four modules.
fn qr(surface: &mut Surface<'_>, payload: &str, x: f32, y: f32, size: f32) -> Result<(), PdfError> {
    let code = qrcode::QrCode::with_error_correction_level(payload, qrcode::EcLevel::M)
        .map_err(|e| PdfError::Krilla(format!("QR code: {e}")))?;
    let width = code.width();
    let modules = code.to_colors();
    let cells = width + 8;
    let cell = size / cells as f32;
    fill_rect(surface, x, y, size, size, fill((0xff, 0xff, 0xff), 1.0));
    let mut pb = PathBuilder::new();
    for (i, colour) in modules.iter().enumerate() {
        if *colour == qrcode::Color::Dark {
            let (row, col) = (i / width, i % width);
            if let Some(rect) = Rect::from_xywh(
                x + (col + 4) as f32 * cell,
                y + (row + 4) as f32 * cell,
                cell + 0.05,
                cell + 0.05,
            ) {
                pb.push_rect(rect);
            }
        }
    }
    if let Some(path) = pb.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(fill(INK, 1.0)));
        surface.draw_path(&path);
    }
    Ok(())
}

/// A round official seal mark (印章): a red ring, the issuer's name along the upper arc, a star,
/// and a line of text under it. Drawn translucent so that the text under it stays readable.
pub(crate) fn seal(
    surface: &mut Surface<'_>,
    font: &ReportFont,
    issuer: &str,
    middle: &str,
    cx: f32,
    cy: f32,
) {
    let r = 62.0;
    let red = fill(SEAL, 0.85);
    // The ring: a circle of four cubic arcs.
    let k = 0.552_284_8 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(cx + r, cy);
    pb.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
    pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
    pb.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
    pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
    pb.close();
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: paint(SEAL),
            width: 3.2,
            opacity: krilla::num::NormalizedF32::new(0.85)
                .unwrap_or(krilla::num::NormalizedF32::ONE),
            ..Stroke::default()
        }));
        surface.draw_path(&path);
    }
    // The five-pointed star.
    let (cy_star, outer) = (cy - 18.0, 15.0);
    let inner = outer * 0.382;
    let mut star = PathBuilder::new();
    for i in 0..10 {
        let radius = if i % 2 == 0 { outer } else { inner };
        let angle = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
        let (px, py) = (cx + radius * angle.cos(), cy_star + radius * angle.sin());
        if i == 0 {
            star.move_to(px, py);
        } else {
            star.line_to(px, py);
        }
    }
    star.close();
    if let Some(path) = star.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(red.clone()));
        surface.draw_path(&path);
    }
    // The issuer's name along the upper arc, each character upright to the ring.
    let chars: Vec<char> = issuer.chars().collect();
    let n = chars.len().max(1);
    let size = (13.0_f32).min(220.0 / n as f32 + 2.0);
    let span = (n as f32 * size * 1.05 / (r - 12.0)).min(std::f32::consts::PI * 1.25);
    for (i, c) in chars.iter().enumerate() {
        let t = if n == 1 {
            0.0
        } else {
            -span / 2.0 + span * i as f32 / (n - 1) as f32
        };
        let angle = -std::f32::consts::FRAC_PI_2 + t;
        let radius = r - 8.0 - size * 0.8;
        let (px, py) = (cx + radius * angle.cos(), cy + radius * angle.sin());
        let text = c.to_string();
        let half = font.width(&text, size) / 2.0;
        surface.push_transform(&Transform::from_row(
            t.cos(),
            t.sin(),
            -t.sin(),
            t.cos(),
            px,
            py,
        ));
        draw_text(
            surface,
            font,
            (-half, size * 0.35),
            size,
            &text,
            red.clone(),
        );
        surface.pop();
    }
    let middle_size = 9.5;
    draw_text(
        surface,
        font,
        (cx - font.width(middle, middle_size) / 2.0, cy + 47.0),
        middle_size,
        middle,
        red,
    );
}
