//! Field-level validation errors shared by every rule that checks input.

use serde::{Deserialize, Serialize};

/// One thing wrong with one field of an input, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's path in the input, e.g. `materials[2].name`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// The longest name of an applicant, person or enterprise, in characters (an enterprise name
/// under the registration rules stays well inside it).
pub const NAME_MAX_CHARS: usize = 100;
/// The longest telephone number, with its area code, extension and separators.
pub const PHONE_MAX_CHARS: usize = 20;
/// The longest code of a centre, material, department or document.
pub const CODE_MAX_CHARS: usize = 64;
/// The longest free text: a reason, a note, an opinion, an address.
/// Every field error in one line, for an error's message.
pub fn list_field_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

pub const TEXT_MAX_CHARS: usize = 2000;

/// What is wrong with a piece of text a person typed: longer than `max_chars` characters, or
/// holding a control character (a NUL, an escape, a bell…). Line breaks and tabs are allowed
/// where `multiline` (reasons and notes are written in paragraphs), never in a name or a code.
pub fn text_problem(value: &str, max_chars: usize, multiline: bool) -> Option<String> {
    let length = value.chars().count();
    if length > max_chars {
        return Some(format!(
            "at most {max_chars} characters (this has {length})"
        ));
    }
    value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
        .map(|(i, c)| {
            format!(
                "must not contain control characters (U+{:04X} at character {})",
                u32::from(c),
                i + 1
            )
        })
}

/// [`text_problem`] as a field error.
pub fn check_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    max_chars: usize,
    multiline: bool,
) {
    if let Some(problem) = text_problem(value, max_chars, multiline) {
        errors.push(FieldError::new(field, problem));
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn names_and_reasons_have_limits_and_no_control_characters() {
        assert_eq!(
            text_problem("宁海县示范民宿有限公司", NAME_MAX_CHARS, false),
            None
        );
        assert_eq!(
            text_problem(&"名".repeat(350_000), NAME_MAX_CHARS, false),
            Some("at most 100 characters (this has 350000)".into())
        );
        assert_eq!(
            text_problem("王\u{0}芳", NAME_MAX_CHARS, false),
            Some("must not contain control characters (U+0000 at character 2)".into())
        );
        assert!(text_problem("第一行\n第二行", TEXT_MAX_CHARS, true).is_none());
        assert!(text_problem("第一行\n第二行", NAME_MAX_CHARS, false).is_some());
        assert!(text_problem("\u{1b}[31m", TEXT_MAX_CHARS, true).is_some());
    }

    proptest! {
        #[test]
        fn text_within_the_limit_without_controls_always_passes(text in "[^\\p{Cc}]{0,100}") {
            prop_assert_eq!(text_problem(&text, NAME_MAX_CHARS, false), None);
        }

        #[test]
        fn any_control_character_is_found(prefix in "[a-z王]{0,20}", c in proptest::char::range('\u{0}', '\u{1f}')) {
            let text = format!("{prefix}{c}");
            prop_assert!(text_problem(&text, NAME_MAX_CHARS, false).is_some());
        }
    }
}
