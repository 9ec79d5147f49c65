//! The forms of the case pages: their fields, and the refusal of one.

use super::*;

/// A submitted form as name/value pairs (a name may repeat, as checkboxes do).
#[derive(Debug, Clone, Default)]
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    /// The first value of `name`, or "".
    pub fn value(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in the order sent.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The trimmed value of `name`, if not empty.
    pub fn text(&self, name: &str) -> Option<String> {
        Some(self.value(name).trim().to_string()).filter(|s| !s.is_empty())
    }

    /// The case version the form was drawn from (`If-Match` of a form).
    pub fn version(&self) -> Option<u64> {
        self.value("version").trim().parse().ok()
    }
}

/// A message next to one field of one form, after the service refused it.
#[derive(Debug, Clone)]
pub struct FieldMessage {
    /// The field as the service named it, without an index (`materials[2]` → `materials`).
    pub field: String,
    /// What to do, in the reader's language.
    pub text: String,
    /// Why, in the reader's language (`crate::pages::reasons`); empty when the pages do not
    /// know the service's reason and the page is not in English.
    pub detail: String,
}

/// The refused form of a page and its messages.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    /// The form (action name) they belong to; empty when none was refused.
    pub form: String,
    pub messages: Vec<FieldMessage>,
}

impl FormErrors {
    /// Names the materials a reason lists by key: the service writes "also missing: B02, B03",
    /// the page knows the case's materials and shows "还缺：营业执照、场所平面布置图". A word
    /// that is not one of the case's material keys stays as it is.
    pub fn name_materials(mut self, t: &Messages, names: &MaterialNames) -> Self {
        for message in &mut self.messages {
            message.detail = name_material_keys(t, names, &message.detail);
        }
        self
    }

    /// The message of `field` if `form` was the refused one.
    pub fn field(&self, form: &str, field: &str) -> Option<&FieldMessage> {
        if self.form != form {
            return None;
        }
        self.messages.iter().find(|m| m.field == field)
    }

    pub fn has(&self, form: &str, field: &str) -> bool {
        self.field(form, field).is_some()
    }

    /// Messages of `form` about none of `shown` (the fields the form has).
    pub fn others(&self, form: &str, shown: &[&str]) -> Vec<&FieldMessage> {
        if self.form != form {
            return Vec::new();
        }
        self.messages
            .iter()
            .filter(|m| !shown.contains(&m.field.as_str()))
            .collect()
    }

    pub fn is_for(&self, form: &str) -> bool {
        self.form == form
    }

    /// Messages of `form` about fields other than the comma-separated `shown` ones (those the
    /// form shows next to its fields); all of them when `shown` is empty.
    pub fn rest(&self, form: &str, shown: &str) -> Vec<&FieldMessage> {
        let shown: Vec<&str> = shown.split(',').map(str::trim).collect();
        self.others(form, &shown)
    }
}

/// A message at the top of a page.
#[derive(Debug, Clone)]
pub struct PageNotice {
    /// `ok`, `error`, or "" for a warning.
    pub class: &'static str,
    pub text: String,
}

impl PageNotice {
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            class: "ok",
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self {
            class: "error",
            text: text.into(),
        }
    }

    pub fn warn(text: impl Into<String>) -> Self {
        Self {
            class: "",
            text: text.into(),
        }
    }

    /// `alert` for what went wrong, `status` for what went well.
    pub fn role(&self) -> &'static str {
        if self.class == "ok" {
            "status"
        } else {
            "alert"
        }
    }
}

/// What a page shows after the service refused a form: the status to answer with, a notice, and
/// the messages next to the fields. `None` for errors that are no form's fault (the error page).
pub struct Refusal {
    pub status: StatusCode,
    pub notice: PageNotice,
    pub errors: FormErrors,
}

/// Turns the service's refusal of `form` into what the page shows; other errors come back.
pub fn refusal(t: &Messages, form: &str, error: AppError) -> Result<Refusal, AppError> {
    let form = form.to_string();
    match error {
        AppError::Invalid(fields) => Ok(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: PageNotice::error(t.fill1(
                "window-form-refused",
                "action",
                Action::parse(&form).map_or("", |a| t.get(action_key(a))),
            )),
            errors: FormErrors {
                form,
                messages: fields
                    .into_iter()
                    .map(|f| {
                        let field = f.field.split('[').next().unwrap_or("").to_string();
                        FieldMessage {
                            text: t.get(field_message_key(&field)).to_string(),
                            detail: crate::pages::reasons::reason_text(t, &f).unwrap_or_default(),
                            field,
                        }
                    })
                    .collect(),
            },
        }),
        AppError::VersionConflict { .. } => Ok(Refusal {
            status: StatusCode::CONFLICT,
            notice: PageNotice::warn(t.get("window-version-conflict")),
            errors: FormErrors::default(),
        }),
        AppError::NotAllowed { .. } => Ok(Refusal {
            status: StatusCode::CONFLICT,
            notice: PageNotice::warn(t.get("window-not-allowed")),
            errors: FormErrors::default(),
        }),
        AppError::Conflict(detail) => Ok(Refusal {
            status: StatusCode::CONFLICT,
            notice: PageNotice::warn(t.fill1("window-conflict", "detail", detail)),
            errors: FormErrors::default(),
        }),
        AppError::Calendar(e) => Ok(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: PageNotice::error(t.fill1(
                "window-calendar-not-covered",
                "detail",
                e.to_string(),
            )),
            errors: FormErrors::default(),
        }),
        other => Err(other),
    }
}

pub fn field_message_key(field: &str) -> &'static str {
    match field {
        "missing" => "window-field-error-missing",
        "materials" => "window-field-error-materials",
        "reason" | "note" | "purpose" | "opinion" => "window-field-error-required",
        "proposal" => "window-field-error-proposal",
        "extra_visit_reason" => "window-field-error-extra_visit_reason",
        "exception" => "queue-error-visit-exception",
        "working_days" => "window-field-error-working_days",
        "actor" => "window-field-error-actor",
        "document_number" => "window-field-error-document_number",
        "version" => "window-field-error-version",
        "courier" => "window-field-error-courier",
        "waybill" => "window-field-error-waybill",
        "recipient.name" | "signed_by" => "window-field-error-required",
        "recipient.phone" => "applicant-delivery-error-phone",
        "recipient.address" => "applicant-delivery-error-address",
        "agreement" => "window-field-error-agreement",
        "collected_by" | "collected_by.name" => "window-field-error-collector",
        "collected_by.id_number" => "window-field-error-collector-id",
        "collected_by.authorised" => "window-field-error-collector-authorised",
        "collected_by.authorisation" => "window-field-error-collector-authorisation",
        _ => "window-field-error-other",
    }
}

/// `text` with each material key of the case replaced by the material's name, and the ", "
/// between two listed materials by the list separator of the reader's language.
fn name_material_keys(t: &Messages, names: &MaterialNames, text: &str) -> String {
    let separator = if t.lang() == Lang::En { ", " } else { "、" };
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    // Words (runs of key characters) and the text between them, in order.
    let mut pieces: Vec<(bool, &str)> = Vec::new();
    let mut start = 0;
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        if is_key_char(c) != in_word {
            if i > start {
                pieces.push((in_word, &text[start..i]));
            }
            start = i;
            in_word = !in_word;
        }
    }
    if start < text.len() {
        pieces.push((in_word, &text[start..]));
    }
    let known = |word: &str| names.name(word) != word;
    let mut out = String::with_capacity(text.len());
    for (i, (is_word, piece)) in pieces.iter().enumerate() {
        if *is_word && known(piece) {
            out.push_str(&names.name(piece));
        } else if !is_word
            && piece.trim() == ","
            && i > 0
            && pieces[i - 1].0
            && known(pieces[i - 1].1)
            && pieces.get(i + 1).is_some_and(|(w, p)| *w && known(p))
        {
            out.push_str(separator);
        } else {
            out.push_str(piece);
        }
    }
    out
}
