//! Catalogue search (事项检索): the text a catalogue search matches, and how a query is read.
//!
//! People look for an item by its Chinese name, by its pinyin, or by the initials of the pinyin,
//! the way Chinese input methods and most government portals let them: `yyzz` and `yingye` both
//! find 营业执照. The store keeps, per item, one lower-case text made of the code, the name, the
//! name's full pinyin without tones and its initials; a query is split into terms that must all
//! occur in that text.
//!
//! Pinyin comes from the `pinyin` crate's most common reading of each character. A few words of the
//! catalogue read a character otherwise (银行 yínháng, 会计 kuàijì, 调解 tiáojiě); a short table of
//! such words corrects them, and `ü` is written `v`, as on a keyboard.

use pinyin::ToPinyin;

/// Bumped whenever [`search_text`] or [`crate::life_events::classify`] changes what they produce,
/// so that a store can find the items indexed by an older rule and index them again.
pub const SEARCH_INDEX_VERSION: i64 = 1;

/// At most this many terms of a query are used; the rest are ignored.
pub const MAX_QUERY_TERMS: usize = 8;

/// Words of the catalogue whose characters do not take their most common reading.
const WORD_READINGS: &[(&str, &[&str])] = &[
    ("银行", &["yin", "hang"]),
    ("行业", &["hang", "ye"]),
    ("会计", &["kuai", "ji"]),
    ("重新", &["chong", "xin"]),
    ("重建", &["chong", "jian"]),
    ("重复", &["chong", "fu"]),
    ("长期", &["chang", "qi"]),
    ("延长", &["yan", "chang"]),
    ("调解", &["tiao", "jie"]),
    ("调处", &["tiao", "chu"]),
    ("调整", &["tiao", "zheng"]),
    ("调剂", &["tiao", "ji"]),
    ("还款", &["huan", "kuan"]),
    ("音乐", &["yin", "yue"]),
];

/// The pinyin of a text: syllables without tones joined (`yingyezhizhao`) and their initials
/// (`yyzz`). Letters and digits pass through in lower case; punctuation and spaces are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PinyinForms {
    pub full: String,
    pub initials: String,
}

/// The pinyin of `text`; see [`PinyinForms`].
pub fn pinyin_of(text: &str) -> PinyinForms {
    let chars: Vec<char> = text.chars().collect();
    let mut out = PinyinForms::default();
    let mut i = 0;
    'chars: while i < chars.len() {
        for (word, readings) in WORD_READINGS {
            let len = word.chars().count();
            if i + len <= chars.len() && word.chars().eq(chars[i..i + len].iter().copied()) {
                for syllable in *readings {
                    push_syllable(&mut out, syllable);
                }
                i += len;
                continue 'chars;
            }
        }
        let c = chars[i];
        if let Some(p) = c.to_pinyin() {
            push_syllable(&mut out, p.plain());
        } else {
            let c = halfwidth(c);
            if c.is_alphanumeric() {
                for lower in c.to_lowercase() {
                    out.full.push(lower);
                    out.initials.push(lower);
                }
            }
        }
        i += 1;
    }
    out
}

fn push_syllable(out: &mut PinyinForms, syllable: &str) {
    let mut first = true;
    for c in syllable.chars() {
        let c = if c == 'ü' { 'v' } else { c };
        out.full.push(c);
        if first {
            out.initials.push(c);
            first = false;
        }
    }
}

/// A full-width ASCII character (ｙ, ２) as its half-width form; others unchanged.
fn halfwidth(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Lower case, half-width, `ü` as `v`: the form both the stored text and queries are put in.
pub fn normalize(text: &str) -> String {
    text.chars()
        .map(halfwidth)
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ü' { 'v' } else { c })
        .collect()
}

/// The text a catalogue search matches for one item: code, name, the name's full pinyin and its
/// initials, and the same two for the name without its bracketed part (`出国（境）定居注销户口`
/// is found by `cgdjzxhk` as well as by `cgjdjzxhk`). Parts are separated by spaces.
pub fn search_text(code: &str, name: &str) -> String {
    let mut parts = vec![normalize(code), normalize(name)];
    let forms = pinyin_of(name);
    parts.push(forms.full);
    parts.push(forms.initials);
    let bare = without_brackets(name);
    if bare != name && !bare.trim().is_empty() {
        let forms = pinyin_of(&bare);
        parts.push(forms.full);
        parts.push(forms.initials);
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" ")
}

/// `name` with every part in brackets （…） or (…) removed.
fn without_brackets(name: &str) -> String {
    let mut depth = 0u32;
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '（' | '(' => depth += 1,
            '）' | ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The terms of a query, each of which must occur in an item's search text: the query
/// normalized and split at white space (an ideographic space too), at most
/// [`MAX_QUERY_TERMS`]. Empty when the query is blank.
pub fn query_terms(query: &str) -> Vec<String> {
    normalize(query)
        .split_whitespace()
        .take(MAX_QUERY_TERMS)
        .map(str::to_string)
        .collect()
}

/// Whether an item whose search text is `text` answers `query`: the rule the store applies in
/// SQL, written once here for tests and for callers that hold items in memory.
pub fn matches(text: &str, query: &str) -> bool {
    query_terms(query).iter().all(|t| text.contains(t.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_pinyin_and_initials() {
        let p = pinyin_of("营业执照");
        assert_eq!(p.full, "yingyezhizhao");
        assert_eq!(p.initials, "yyzz");
    }

    #[test]
    fn initials_and_partial_pinyin_find_a_licence() {
        let text = search_text("330226-SCJGJ-0042", "营业执照补领");
        for q in [
            "yyzz",
            "yingye",
            "YYZZ",
            "营业执照",
            "执照 补领",
            "ｙｙｚｚ",
            "zhizhao bl",
        ] {
            assert!(matches(&text, q), "{q} should find 营业执照补领 in {text}");
        }
        for q in ["yyzzhf", "护照", "hz"] {
            assert!(!matches(&text, q), "{q} should not find 营业执照补领");
        }
    }

    #[test]
    fn demo_names_read_as_people_type_them() {
        assert_eq!(pinyin_of("食品经营许可（新办）").initials, "spjyxkxb");
        assert_eq!(pinyin_of("普通护照签发").full, "putonghuzhaoqianfa");
        assert_eq!(pinyin_of("机动车驾驶证审验").initials, "jdcjszsy");
        assert_eq!(pinyin_of("不动产权证书补证").initials, "bdcqzsbz");
        assert_eq!(pinyin_of("住房公积金提取").full, "zhufanggongjijintiqu");
    }

    #[test]
    fn words_with_another_reading_are_corrected() {
        assert_eq!(pinyin_of("特种行业许可证核发").initials, "tzhyxkzhf");
        assert_eq!(pinyin_of("代理记账机构设立审批").initials, "dljzjgslsp");
        assert_eq!(
            pinyin_of("会计专业技术资格证书领取").full.get(..6),
            Some("kuaiji")
        );
        assert_eq!(pinyin_of("人民调解").full, "renmintiaojie");
        assert_eq!(pinyin_of("土地权属争议调处").initials, "tdqszytc");
        assert!(
            pinyin_of("金融机构营业场所和金库安全防范设施建设方案审批（银行）")
                .full
                .contains("yinhang")
        );
    }

    #[test]
    fn u_umlaut_is_v_and_latin_and_digits_pass_through() {
        assert_eq!(pinyin_of("律师").full, "lvshi");
        assert_eq!(pinyin_of("律师").initials, "ls");
        let p = pinyin_of("5G基站（ABC）");
        assert_eq!(p.full, "5gjizhanabc");
        assert_eq!(p.initials, "5gjzabc");
    }

    #[test]
    fn bracketed_parts_are_optional_in_a_search() {
        let text = search_text("X1", "出国（境）定居注销户口");
        assert!(matches(&text, "cgjdjzxhk"));
        assert!(matches(&text, "cgdjzxhk"));
        assert!(matches(&text, "出国"));
    }

    #[test]
    fn the_code_is_searchable_and_queries_are_bounded() {
        let text = search_text("ABC-001", "婚姻登记");
        assert!(matches(&text, "abc-001"));
        assert!(matches(&text, "hydj"));
        assert!(query_terms("   ").is_empty());
        assert_eq!(query_terms("a b c d e f g h i j").len(), MAX_QUERY_TERMS);
        assert_eq!(query_terms("营业\u{3000}执照"), vec!["营业", "执照"]);
    }
}
