//! The message catalogue of the pages (界面文字): every word a page shows comes from here, in
//! Simplified Chinese (the default) or English.
//!
//! The files are `i18n/<lang>/*.ftl`, a subset of Fluent: `key = text` per line, `#` comments,
//! placeholders written `{ $name }`. They are compiled into the binary. Catalogue content (item
//! names, materials) is data and stays in the database in Chinese.
//!
//! A key missing from one language fails `every_key_exists_in_both_languages`; a key used by a
//! template or by code but missing from the files fails `every_key_used_is_defined`.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The BCP 47 tag, for `<html lang>` and the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Lang> {
        match text.trim().to_ascii_lowercase().as_str() {
            "zh-cn" | "zh" | "zh-hans" => Some(Lang::ZhCn),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch in the page header.
    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }

    /// The catalogue of this language.
    pub fn messages(self) -> &'static Messages {
        static CATALOGUES: OnceLock<[Messages; 2]> = OnceLock::new();
        let all = CATALOGUES.get_or_init(|| {
            [
                Messages::parse(Lang::ZhCn, ZH_CN_FILES),
                Messages::parse(Lang::En, EN_FILES),
            ]
        });
        match self {
            Lang::ZhCn => &all[0],
            Lang::En => &all[1],
        }
    }
}

/// One file of a catalogue: its name (for messages about it) and its text.
type CatalogueFile = (&'static str, &'static str);

macro_rules! catalogue_files {
    ($lang:literal: $($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../i18n/", $lang, "/", $name, ".ftl")))),*]
    };
}

/// Each part of the pages keeps its words in its own file; together they are one catalogue.
const ZH_CN_FILES: &[CatalogueFile] = catalogue_files!("zh-CN": "common", "portal", "applicant", "window", "desk", "admin", "monitor", "projects", "licences", "lookup", "evaluation", "messages", "tolerance", "hall", "queue", "appointments", "market");
const EN_FILES: &[CatalogueFile] = catalogue_files!("en": "common", "portal", "applicant", "window", "desk", "admin", "monitor", "projects", "licences", "lookup", "evaluation", "messages", "tolerance", "hall", "queue", "appointments", "market");

/// The messages of one language.
#[derive(Debug)]
pub struct Messages {
    lang: Lang,
    entries: HashMap<String, String>,
}

impl Messages {
    fn parse(lang: Lang, files: &[CatalogueFile]) -> Messages {
        let mut entries = HashMap::new();
        for (_, text) in files {
            for line in text.lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                if let Some((key, value)) = line.split_once('=') {
                    entries.insert(key.trim().to_string(), value.trim().to_string());
                }
            }
        }
        Messages { lang, entries }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The text of `key`; the key itself when it is missing (a test makes sure none is).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        match self.entries.get(key) {
            Some(text) => text,
            None => {
                tracing::warn!(key, lang = self.lang.tag(), "message key missing");
                key
            }
        }
    }

    /// The text of `key` with `{ $name }` placeholders filled from `args`.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{ ${name} }}"), value);
        }
        text
    }

    /// One argument, the common case: `t.fill1("welcome", "name", user)`.
    pub fn fill1(&self, key: &str, name: &str, value: impl AsRef<str>) -> String {
        self.fill(key, &[(name, value.as_ref())])
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// A date as people write it: 2026年11月26日, or 26 November 2026.
    pub fn date(&self, date: &NaiveDate) -> String {
        match self.lang {
            Lang::ZhCn => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
            Lang::En => date.format("%-d %B %Y").to_string(),
        }
    }

    /// An instant as a China-time date and time: 2026年11月26日 09:05, or 26 November 2026 09:05.
    pub fn time(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        let local =
            *at + chrono::Duration::seconds(i64::from(onewindow_app::clock::CHINA_OFFSET_SECONDS));
        format!(
            "{} {}",
            self.date(&local.date_naive()),
            local.format("%H:%M")
        )
    }

    /// An optional date, or a dash.
    pub fn date_or_dash(&self, date: &Option<NaiveDate>) -> String {
        date.as_ref()
            .map_or_else(|| "—".to_string(), |d| self.date(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_both_languages() {
        let zh = Lang::ZhCn.messages();
        let en = Lang::En.messages();
        let mut missing: Vec<String> = zh
            .keys()
            .filter(|k| !en.has(k))
            .map(|k| format!("en lacks {k}"))
            .chain(
                en.keys()
                    .filter(|k| !zh.has(k))
                    .map(|k| format!("zh-CN lacks {k}")),
            )
            .collect();
        missing.sort();
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn no_message_is_empty_and_files_have_no_stray_lines() {
        for (lang, files) in [(Lang::ZhCn, ZH_CN_FILES), (Lang::En, EN_FILES)] {
            for (name, text) in files {
                for (i, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let (key, value) = line.split_once('=').unwrap_or((line, ""));
                    assert!(
                        !value.trim().is_empty()
                            && key
                                .trim()
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                        "{}/{name}.ftl line {}: {line:?}",
                        lang.tag(),
                        i + 1
                    );
                }
            }
        }
    }

    /// Every `t.get("…")`, `t.fill("…"`, `t.fill1("…"` and `msg("…")` in the templates and the
    /// page code names a key of the catalogue.
    #[test]
    fn every_key_used_is_defined() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        collect(&root.join("templates"), &mut sources);
        collect(&root.join("src/ui"), &mut sources);
        assert!(!sources.is_empty());
        let zh = Lang::ZhCn.messages();
        let mut missing = Vec::new();
        for (path, text) in &sources {
            for pattern in ["t.get(\"", "t.fill(\"", "t.fill1(\"", "msg(\""] {
                for (at, _) in text.match_indices(pattern) {
                    let rest = &text[at + pattern.len()..];
                    if let Some(end) = rest.find('"') {
                        let key = &rest[..end];
                        if !zh.has(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "keys used but not defined: {missing:#?}"
        );
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect(&path, out);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((path, text));
            }
        }
    }

    #[test]
    fn dates_read_naturally() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
        assert_eq!(Lang::ZhCn.messages().date(&d), "2026年11月26日");
        assert_eq!(Lang::En.messages().date(&d), "26 November 2026");
    }

    #[test]
    fn times_are_shown_in_china_time() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-02T01:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        assert_eq!(Lang::ZhCn.messages().time(&at), "2026年11月2日 09:00");
        assert_eq!(Lang::En.messages().time(&at), "2 November 2026 09:00");
        // Late evening in UTC is the next morning in China: the date follows China time.
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-05T19:25:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        assert_eq!(Lang::ZhCn.messages().time(&at), "2026年12月6日 03:25");
        assert_eq!(Lang::En.messages().time(&at), "6 December 2026 03:25");
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-06T03:25:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        assert_eq!(Lang::ZhCn.messages().time(&at), "2026年12月6日 11:25");
    }

    #[test]
    fn placeholders_are_filled() {
        let t = Lang::En.messages();
        assert!(t.fill1("common-welcome", "name", "Lin").contains("Lin"));
    }
}
