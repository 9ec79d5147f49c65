//! A decision document (准予 / 不予行政许可决定书) as a one-page PDF (A4): the title, the document
//! number, the addressee, the decision in paragraphs, and the deciding department with its seal
//! mark and the date, all text in the embedded CJK font subset.

use krilla::Document as PdfDocument;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;

use crate::font::ReportFont;
use crate::licence::{INK, MUTED, PAGE_H, PAGE_W, centred, footer, seal};
use crate::pdf::{PdfError, draw_text, fill, wrap_with};

/// Everything printed on a decision document, already in words.
#[derive(Debug, Clone)]
pub struct DecisionSheet {
    pub lang: String,
    /// 准予行政许可决定书 or 不予行政许可决定书.
    pub title: String,
    /// The document number (文书编号).
    pub number: String,
    /// The addressee line, e.g. "宁海县跃龙示范餐饮有限公司：".
    pub addressee: String,
    /// The body, one paragraph each (indented by two characters).
    pub paragraphs: Vec<String>,
    /// The deciding department as the seal names it.
    pub issuer: String,
    /// The words in the middle of the seal.
    pub seal_text: String,
    /// The date line.
    pub dated: String,
    /// Small print at the foot (the receipt number, where to look the case up).
    pub footer: Vec<String>,
}

const BODY: f32 = 14.0;
const LEADING: f32 = 25.0;

/// The sheet as PDF bytes.
pub fn render_decision(sheet: &DecisionSheet, font: &ReportFont) -> Result<Vec<u8>, PdfError> {
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

    centred(&mut surface, font, &sheet.issuer, 16.0, 96.0, INK);
    centred(&mut surface, font, &sheet.title, 24.0, 132.0, INK);
    centred(&mut surface, font, &sheet.number, 12.0, 160.0, MUTED);

    let left = 80.0;
    let width = PAGE_W - 2.0 * left;
    let mut y = 210.0;
    draw_text(
        &mut surface,
        font,
        (left, y),
        BODY,
        &sheet.addressee,
        fill(INK, 1.0),
    );
    y += LEADING + 4.0;
    for paragraph in &sheet.paragraphs {
        // The first line is indented by two full-width spaces, as official documents are.
        let text = format!("　　{paragraph}");
        for line in wrap_with(&text, width, |s| font.width(s, BODY)) {
            draw_text(&mut surface, font, (left, y), BODY, &line, fill(INK, 1.0));
            y += LEADING;
            if y > 640.0 {
                break;
            }
        }
        y += 6.0;
    }

    let seal_cx = PAGE_W - 170.0;
    let seal_cy = (y + 80.0).clamp(560.0, 700.0);
    for (text, dy) in [(&sheet.issuer, 8.0), (&sheet.dated, 30.0)] {
        draw_text(
            &mut surface,
            font,
            (seal_cx - font.width(text, 13.0) / 2.0, seal_cy + dy),
            13.0,
            text,
            fill(INK, 1.0),
        );
    }
    seal(
        &mut surface,
        font,
        &sheet.issuer,
        &sheet.seal_text,
        seal_cx,
        seal_cy,
    );

    footer(&mut surface, font, &sheet.footer, 8.0);

    surface.finish();
    page.finish();
    pdf.finish().map_err(|e| PdfError::Krilla(format!("{e:?}")))
}
