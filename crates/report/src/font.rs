//! The CJK font the PDF report embeds (a subset of it): chosen from a font file's bytes, measured
//! and turned into glyphs here, so that the PDF never shows empty boxes for Chinese text.
//!
//! Finding and reading the file is the shell's business (`onewindow_app::monthly_report`); this
//! module only looks at bytes.

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::raw::FileRef;
use skrifa::{FontRef, MetadataProvider as _, string::StringId};

/// Characters a font must have to be accepted for the report.
const PROBE: &str = "月度报告办件按期部门";

/// A font file could not serve the report.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("not a font file (OpenType, TrueType or a collection of them)")]
    NotAFont,
    #[error("the font has no Chinese glyphs (it lacks {0:?})")]
    NoChinese(char),
}

/// A parsed font face with Chinese glyphs.
#[derive(Clone)]
pub struct ReportFont {
    data: std::sync::Arc<Vec<u8>>,
    index: u32,
    family: String,
    units_per_em: f32,
    font: Font,
}

impl std::fmt::Debug for ReportFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportFont")
            .field("family", &self.family)
            .field("index", &self.index)
            .finish()
    }
}

impl ReportFont {
    /// The face of `data` to use: in a collection (Noto Sans CJK's `.ttc` holds JP, KR, SC, TC,
    /// HK) the Simplified Chinese face, else the first face that has Chinese glyphs.
    pub fn from_bytes(data: Vec<u8>) -> Result<ReportFont, FontError> {
        let faces = match FileRef::new(&data).map_err(|_| FontError::NotAFont)? {
            FileRef::Font(_) => 1,
            FileRef::Collection(c) => c.len(),
        };
        let mut candidates: Vec<(u32, String)> = Vec::new();
        for index in 0..faces {
            if let Ok(face) = FontRef::from_index(&data, index) {
                candidates.push((index, family_name(&face)));
            }
        }
        if candidates.is_empty() {
            return Err(FontError::NotAFont);
        }
        // Simplified Chinese first, proportional before monospaced.
        candidates.sort_by_key(|(index, family)| {
            let sc = family.ends_with(" SC") || family.contains(" SC ");
            (!sc, family.contains("Mono"), *index)
        });
        let mut missing = None;
        for (index, family) in candidates {
            let Ok(face) = FontRef::from_index(&data, index) else {
                continue;
            };
            let charmap = face.charmap();
            if let Some(c) = PROBE.chars().find(|c| charmap.map(*c).is_none()) {
                missing.get_or_insert(c);
                continue;
            }
            let units_per_em = f32::from(
                face.metrics(Size::unscaled(), LocationRef::default())
                    .units_per_em
                    .max(1),
            );
            let data = std::sync::Arc::new(data.clone());
            let font =
                Font::new(krilla::Data::from(data.clone()), index).ok_or(FontError::NotAFont)?;
            return Ok(ReportFont {
                data,
                index,
                family,
                units_per_em,
                font,
            });
        }
        Err(FontError::NoChinese(missing.unwrap_or('中')))
    }

    /// The family name of the chosen face, e.g. `Noto Sans CJK SC`.
    pub fn family(&self) -> &str {
        &self.family
    }

    pub(crate) fn krilla(&self) -> Font {
        self.font.clone()
    }

    fn face(&self) -> Option<FontRef<'_>> {
        FontRef::from_index(&self.data, self.index).ok()
    }

    /// The width of `text` at `size` (same unit as `size`).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        self.glyphs(text).iter().map(|g| g.x_advance).sum::<f32>() * size
    }

    /// One glyph per character with its advance in ems: CJK text needs no shaping beyond that,
    /// and the glyphs keep their characters for text extraction.
    pub(crate) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        let Some(face) = self.face() else {
            return Vec::new();
        };
        let charmap = face.charmap();
        let metrics = face.glyph_metrics(Size::unscaled(), LocationRef::default());
        let upem = self.units_per_em;
        text.char_indices()
            .map(|(at, c)| {
                let id = charmap.map(c).unwrap_or(skrifa::GlyphId::NOTDEF);
                let advance = metrics.advance_width(id).unwrap_or(upem) / upem;
                KrillaGlyph::new(
                    GlyphId::new(id.to_u32()),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    at..at + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }
}

fn family_name(face: &FontRef<'_>) -> String {
    let mut names = face.localized_strings(StringId::FAMILY_NAME);
    let english = face
        .localized_strings(StringId::FAMILY_NAME)
        .find(|s| s.language().is_some_and(|l| l.starts_with("en")));
    english
        .or_else(|| names.next())
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// A width estimate without a font (SVG charts, laid out by the browser): CJK and other wide
/// characters one em, the rest about half.
pub fn estimate_width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| if is_wide(c) { 1.0 } else { 0.56 })
        .sum::<f32>()
        * size
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF |
        0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_no_font_are_refused() {
        assert!(matches!(
            ReportFont::from_bytes(b"not a font at all".to_vec()),
            Err(FontError::NotAFont)
        ));
    }

    #[test]
    fn chinese_is_wider_than_latin_in_the_estimate() {
        assert!(estimate_width("部门", 10.0) > estimate_width("ab", 10.0));
        assert_eq!(estimate_width("部", 10.0), 10.0);
    }
}
