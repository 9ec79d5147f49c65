//! The templates of the messages to applicants, in Simplified Chinese and English: compiled in
//! (`crates/app/messages/*.ftl`), or the county's own from a directory. Every template is
//! checked when the service starts — a placeholder missing or unknown, an SMS too long for one
//! message — so that a wrong template stops the start, never a message at sending.

use std::collections::HashMap;
use std::path::Path;

use onewindow_domain::notice::{NoticeKind, sms_parts};

/// The languages messages are written in; the first is the default.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

const ZH_CN: &str = include_str!("../../messages/zh-CN.ftl");
const EN: &str = include_str!("../../messages/en.ftl");

/// The three forms of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Subject,
    Body,
    Sms,
}

impl Form {
    fn suffix(self) -> &'static str {
        match self {
            Form::Subject => "subject",
            Form::Body => "body",
            Form::Sms => "sms",
        }
    }
}

/// What is wrong with a set of templates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message template {language}/{key}: {problem}")]
pub struct TemplateError {
    pub language: String,
    pub key: String,
    pub problem: String,
}

/// The checked templates of every language.
#[derive(Debug, Clone)]
pub struct Templates {
    by_language: HashMap<String, HashMap<String, String>>,
}

fn template_key(kind: NoticeKind, form: Form) -> String {
    format!("{}-{}", kind.as_str(), form.suffix())
}

/// `key = text` lines, `#` comments and blank lines skipped.
fn parse(language: &str, text: &str) -> Result<HashMap<String, String>, TemplateError> {
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(TemplateError {
                language: language.into(),
                key: format!("line {}", n + 1),
                problem: "expected `key = text`".into(),
            });
        };
        out.insert(key.trim().to_string(), value.trim().to_string());
    }
    Ok(out)
}

/// The placeholders a template uses, in order.
fn placeholders_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let inner = after[..end].trim();
        if let Some(name) = inner.strip_prefix('$') {
            out.push(name.trim().to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

/// Sample values as long as real ones get, to check that an SMS fits in one message.
fn longest_sample(name: &str, link_length: usize) -> String {
    match name {
        "number" => "33022620261207000123".into(),
        "count" | "days" => "12".into(),
        "due_on" | "until" => "2026-12-31".into(),
        "outcome" => "不予许可".into(),
        "courier" => "中国邮政EMS".into(),
        "waybill" => "1234567890123".into(),
        "document" => "宁市监食经〔2026〕1234号".into(),
        "link" => "x".repeat(link_length),
        _ => "样".repeat(12),
    }
}

impl Templates {
    /// The compiled-in templates, checked for an SMS signature of `signature` and links of
    /// `link_length` characters.
    pub fn builtin(signature: &str, link_length: usize) -> Result<Templates, TemplateError> {
        Templates::from_texts(&[("zh-CN", ZH_CN), ("en", EN)], signature, link_length)
    }

    /// The county's templates: `zh-CN.ftl` and `en.ftl` in `dir`.
    pub fn from_dir(
        dir: &Path,
        signature: &str,
        link_length: usize,
    ) -> Result<Templates, TemplateError> {
        let mut texts = Vec::new();
        for language in LANGUAGES {
            let path = dir.join(format!("{language}.ftl"));
            let text = std::fs::read_to_string(&path).map_err(|e| TemplateError {
                language: language.into(),
                key: path.display().to_string(),
                problem: format!("cannot read: {e}"),
            })?;
            texts.push((language, text));
        }
        let borrowed: Vec<(&str, &str)> = texts.iter().map(|(l, t)| (*l, t.as_str())).collect();
        Templates::from_texts(&borrowed, signature, link_length)
    }

    fn from_texts(
        texts: &[(&str, &str)],
        signature: &str,
        link_length: usize,
    ) -> Result<Templates, TemplateError> {
        let mut by_language = HashMap::new();
        for (language, text) in texts {
            let table = parse(language, text)?;
            let fail = |key: &str, problem: String| TemplateError {
                language: (*language).into(),
                key: key.into(),
                problem,
            };
            for key in ["outcome-approved", "outcome-refused"] {
                if !table.contains_key(key) {
                    return Err(fail(key, "missing".into()));
                }
            }
            for kind in NoticeKind::ALL {
                for form in [Form::Subject, Form::Body, Form::Sms] {
                    let key = template_key(kind, form);
                    let text = table
                        .get(&key)
                        .ok_or_else(|| fail(&key, "missing".into()))?;
                    let used = placeholders_in(text);
                    if let Some(unknown) = used
                        .iter()
                        .find(|p| !kind.placeholders().contains(&p.as_str()))
                    {
                        return Err(fail(
                            &key,
                            format!(
                                "unknown placeholder {{ ${unknown} }} (this message has {})",
                                kind.placeholders().join(", ")
                            ),
                        ));
                    }
                    let required: &[&str] = match form {
                        Form::Subject => &["number"],
                        Form::Body => kind.placeholders(),
                        Form::Sms => kind.sms_placeholders(),
                    };
                    if let Some(missing) = required.iter().find(|p| !used.iter().any(|u| u == *p)) {
                        return Err(fail(
                            &key,
                            format!("the placeholder {{ ${missing} }} is missing"),
                        ));
                    }
                    if form == Form::Sms {
                        if let Some(free) = used
                            .iter()
                            .find(|p| NoticeKind::FREE_TEXT.contains(&p.as_str()))
                        {
                            return Err(fail(
                                &key,
                                format!(
                                    "{{ ${free} }} is free text of any length; an SMS names the case and sends the applicant to the inbox"
                                ),
                            ));
                        }
                        let outcome = ["outcome-approved", "outcome-refused"]
                            .iter()
                            .filter_map(|k| table.get(*k))
                            .max_by_key(|w| w.chars().count())
                            .cloned()
                            .unwrap_or_default();
                        let sample = render_text(text, &|name| {
                            Some(if name == "outcome" {
                                outcome.clone()
                            } else {
                                longest_sample(name, link_length)
                            })
                        });
                        let whole = format!("{signature}{sample}");
                        if sms_parts(&whole) > 1 {
                            return Err(fail(
                                &key,
                                format!(
                                    "too long for one SMS: {} characters with the signature and the longest values",
                                    whole.chars().count()
                                ),
                            ));
                        }
                    }
                }
            }
            by_language.insert((*language).to_string(), table);
        }
        if !by_language.contains_key(LANGUAGES[0]) {
            return Err(TemplateError {
                language: LANGUAGES[0].into(),
                key: "*".into(),
                problem: "the default language has no templates".into(),
            });
        }
        Ok(Templates { by_language })
    }

    fn table(&self, language: &str) -> &HashMap<String, String> {
        self.by_language
            .get(language)
            .or_else(|| self.by_language.get(LANGUAGES[0]))
            .unwrap_or_else(|| unreachable_table())
    }

    /// A plain entry of the catalogue (e.g. `outcome-approved`), or the key itself.
    pub fn word(&self, language: &str, key: &str) -> String {
        self.table(language)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    /// A message of `kind` in `form`, its placeholders filled from `values`.
    pub fn render(
        &self,
        language: &str,
        kind: NoticeKind,
        form: Form,
        values: &[(&str, String)],
    ) -> String {
        let text = self
            .table(language)
            .get(&template_key(kind, form))
            .map(String::as_str)
            .unwrap_or_default();
        render_text(text, &|name| {
            values
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
    }
}

/// Never reached: [`Templates::from_texts`] refuses templates without the default language.
fn unreachable_table() -> &'static HashMap<String, String> {
    static EMPTY: std::sync::OnceLock<HashMap<String, String>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(HashMap::new)
}

fn render_text(text: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = after[..end].trim();
        match inner.strip_prefix('$') {
            Some(name) => out.push_str(&value(name.trim()).unwrap_or_default()),
            None => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_templates_pass_their_checks_with_a_signature_and_a_short_link() {
        let templates = Templates::builtin("【宁海政务】", 34).expect("valid templates");
        let text = templates.render(
            "zh-CN",
            NoticeKind::Accepted,
            Form::Sms,
            &[
                ("number", "33022620261207000001".into()),
                ("due_on", "2026-12-21".into()),
            ],
        );
        assert_eq!(
            text,
            "办件33022620261207000001已受理，承诺2026-12-21前办结。"
        );
        let en = templates.render(
            "en",
            NoticeKind::Received,
            Form::Subject,
            &[("number", "N1".into())],
        );
        assert_eq!(en, "Application received (N1)");
        // An unknown language falls back to Chinese.
        let fallback = templates.render(
            "fr",
            NoticeKind::Received,
            Form::Subject,
            &[("number", "N1".into())],
        );
        assert_eq!(fallback, "已收到您的申请（N1）");
    }

    fn with_line(replace: &str, by: &str) -> Result<Templates, TemplateError> {
        let zh = ZH_CN.replace(replace, by);
        Templates::from_texts(&[("zh-CN", &zh), ("en", EN)], "", 20)
    }

    #[test]
    fn a_template_missing_a_placeholder_is_refused_with_its_key() {
        let err = with_line(
            "accepted-sms = 办件{ $number }已受理，承诺{ $due_on }前办结。",
            "accepted-sms = 办件{ $number }已受理。",
        )
        .expect_err("refused");
        assert_eq!(err.key, "accepted-sms");
        assert!(err.problem.contains("due_on"), "{err}");
    }

    #[test]
    fn an_unknown_placeholder_or_a_missing_key_or_a_long_sms_is_refused() {
        let err = with_line("received-sms = ", "received-sms = { $phone }").expect_err("refused");
        assert!(err.problem.contains("unknown placeholder"), "{err}");
        let err = with_line("not_accepted-sms = ", "not_accepted-sms = { $reason }")
            .expect_err("refused");
        assert!(err.problem.contains("free text"), "{err}");
        let err = with_line("received-body = ", "received-bodyx = ").expect_err("refused");
        assert_eq!(err.key, "received-body");
        let err = with_line(
            "received-sms = 您的申请已收件",
            &format!("received-sms = {}您的申请已收件", "很".repeat(40)),
        )
        .expect_err("refused");
        assert!(err.problem.contains("too long"), "{err}");
        // A long public address makes the rating link too long for one SMS.
        assert!(Templates::builtin("【宁海政务】", 60).is_err());
    }
}
