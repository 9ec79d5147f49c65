//! Official identifiers are parsed once, where they enter the system, into types that cannot hold a
//! bad value: a wrong code must be refused at the counter with a message that points at the wrong
//! character, and must never reach the store, where it would break matching with provincial systems.
//!
//! Lower-case letters are accepted and stored in upper case, because people copy codes from paper and
//! type `x` for the `X` of an identity number; every standard here uses capitals only. Surrounding
//! spaces are not trimmed: that belongs to the form, and trimming here would shift the positions that
//! errors report.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Names the identifier an error is about, so that a caller can choose the field to mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierKind {
    UnifiedSocialCreditCode,
    ResidentIdNumber,
    DivisionCode,
    ProjectCode,
    LicenceIdentifier,
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnifiedSocialCreditCode => "unified social credit code",
            Self::ResidentIdNumber => "resident identity number",
            Self::DivisionCode => "division code",
            Self::ProjectCode => "investment project code",
            Self::LicenceIdentifier => "electronic licence identifier",
        })
    }
}

/// Why an identifier was refused. Every variant that can point at a character does so with a
/// 1-based position, because the person at the counter has to find and fix that character.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("the {kind} is empty")]
    Empty { kind: IdentifierKind },

    #[error("this {kind} has {}, but it should have {expected}", characters(.actual))]
    WrongLength {
        kind: IdentifierKind,
        expected: usize,
        actual: usize,
    },

    /// A character outside the set allowed at its position.
    #[error("character {position} is '{found}' but it should be {expected}")]
    InvalidCharacter {
        kind: IdentifierKind,
        position: usize,
        found: char,
        expected: &'static str,
    },

    /// A fixed character (a separator, or part of a fixed prefix) is not the one required.
    #[error("character {position} is '{found}' but it should be '{expected}'")]
    UnexpectedCharacter {
        kind: IdentifierKind,
        position: usize,
        found: char,
        expected: char,
    },

    /// `check` names whose check character it is, because a licence identifier holds three.
    #[error("character {position} is '{found}' but the {check} should be '{expected}'")]
    WrongCheckCharacter {
        kind: IdentifierKind,
        position: usize,
        found: char,
        expected: char,
        check: &'static str,
    },

    /// Characters that are each allowed but mean nothing together, such as a 31st of February.
    #[error("characters {position} to {end} are '{found}', which is not {expected}")]
    InvalidPart {
        kind: IdentifierKind,
        position: usize,
        end: usize,
        found: String,
        expected: &'static str,
    },

    #[error(
        "the {part} that starts at character {position} has {}, but it should have {expected}",
        characters(.actual)
    )]
    WrongPartLength {
        kind: IdentifierKind,
        part: &'static str,
        position: usize,
        expected: &'static str,
        actual: usize,
    },

    /// The input stops early; `position` is where the missing part would start.
    #[error("the {kind} ends before character {position}: its {missing} is missing")]
    Incomplete {
        kind: IdentifierKind,
        position: usize,
        missing: &'static str,
    },

    /// Only constructors return this: a number given to build a code does not fit in it.
    #[error("the {part} must be from {min} to {max}, but it is {value}")]
    OutOfRange {
        kind: IdentifierKind,
        part: &'static str,
        value: i64,
        min: i64,
        max: i64,
    },
}

impl IdentifierError {
    pub fn kind(&self) -> IdentifierKind {
        match self {
            Self::Empty { kind }
            | Self::WrongLength { kind, .. }
            | Self::InvalidCharacter { kind, .. }
            | Self::UnexpectedCharacter { kind, .. }
            | Self::WrongCheckCharacter { kind, .. }
            | Self::InvalidPart { kind, .. }
            | Self::WrongPartLength { kind, .. }
            | Self::Incomplete { kind, .. }
            | Self::OutOfRange { kind, .. } => *kind,
        }
    }

    /// The 1-based character position to highlight in the input, when the error has one.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::InvalidCharacter { position, .. }
            | Self::UnexpectedCharacter { position, .. }
            | Self::WrongCheckCharacter { position, .. }
            | Self::InvalidPart { position, .. }
            | Self::WrongPartLength { position, .. }
            | Self::Incomplete { position, .. } => Some(*position),
            Self::Empty { .. } | Self::WrongLength { .. } | Self::OutOfRange { .. } => None,
        }
    }
}

fn characters(n: &usize) -> String {
    if *n == 1 {
        "1 character".to_owned()
    } else {
        format!("{n} characters")
    }
}

/// The shared string plumbing: every identifier is stored, shown and serialised as its canonical text.
macro_rules! string_identifier {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.value
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.value)
            }
        }

        impl FromStr for $name {
            type Err = IdentifierError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdentifierError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdentifierError;

            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.value
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.value
            }
        }
    };
}

/// Splits the input into characters (for positions) and their upper-case forms (for checking), and
/// refuses an empty input or one of the wrong length.
fn chars_of_length(
    input: &str,
    expected: usize,
    kind: IdentifierKind,
) -> Result<(Vec<char>, Vec<char>), IdentifierError> {
    let (orig, up) = chars_of(input, kind)?;
    if orig.len() != expected {
        return Err(IdentifierError::WrongLength {
            kind,
            expected,
            actual: orig.len(),
        });
    }
    Ok((orig, up))
}

fn chars_of(input: &str, kind: IdentifierKind) -> Result<(Vec<char>, Vec<char>), IdentifierError> {
    if input.is_empty() {
        return Err(IdentifierError::Empty { kind });
    }
    let orig: Vec<char> = input.chars().collect();
    let up = orig.iter().map(char::to_ascii_uppercase).collect();
    Ok((orig, up))
}

/// Parses ASCII digits already known to be digits; the result fits because callers pass at most 6.
fn number(digits: &[char]) -> u32 {
    digits
        .iter()
        .fold(0, |n, c| n * 10 + c.to_digit(10).unwrap_or(0))
}

fn require_digits(
    up: &[char],
    orig: &[char],
    offset: usize,
    kind: IdentifierKind,
) -> Result<(), IdentifierError> {
    for (i, (u, o)) in up.iter().zip(orig).enumerate() {
        if !u.is_ascii_digit() {
            return Err(IdentifierError::InvalidCharacter {
                kind,
                position: offset + i + 1,
                found: *o,
                expected: "a digit",
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Unified social credit code
// ---------------------------------------------------------------------------------------------

const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const USCC_EXPECTED: &str = "a digit or a capital letter other than I, O, S, V and Z";

fn uscc_value(c: char) -> Option<u32> {
    USCC_ALPHABET
        .iter()
        .position(|&a| char::from(a) == c)
        .and_then(|i| u32::try_from(i).ok())
}

fn uscc_check(values: &[u32; 17]) -> char {
    let sum: u32 = values.iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
    let c = (31 - sum % 31) % 31;
    USCC_ALPHABET
        .get(c as usize)
        .map_or('0', |&b| char::from(b))
}

/// Reads the 17 characters before the check character; positions in errors are `offset` + 1-based.
fn uscc_body(
    up: &[char],
    orig: &[char],
    offset: usize,
    kind: IdentifierKind,
) -> Result<[u32; 17], IdentifierError> {
    let mut values = [0; 17];
    for (i, slot) in values.iter_mut().enumerate() {
        let (Some(&u), Some(&o)) = (up.get(i), orig.get(i)) else {
            break;
        };
        *slot = uscc_value(u).ok_or(IdentifierError::InvalidCharacter {
            kind,
            position: offset + i + 1,
            found: o,
            expected: USCC_EXPECTED,
        })?;
    }
    Ok(values)
}

/// Checks a whole 18-character credit code, which may sit inside a longer identifier.
fn check_uscc(
    up: &[char],
    orig: &[char],
    offset: usize,
    kind: IdentifierKind,
    check: &'static str,
) -> Result<(), IdentifierError> {
    let values = uscc_body(up, orig, offset, kind)?;
    let (Some(&last), Some(&found)) = (up.get(17), orig.get(17)) else {
        return Err(IdentifierError::Incomplete {
            kind,
            position: offset + up.len() + 1,
            missing: check,
        });
    };
    if uscc_value(last).is_none() {
        return Err(IdentifierError::InvalidCharacter {
            kind,
            position: offset + 18,
            found,
            expected: USCC_EXPECTED,
        });
    }
    let expected = uscc_check(&values);
    if last != expected {
        return Err(IdentifierError::WrongCheckCharacter {
            kind,
            position: offset + 18,
            found,
            expected,
            check,
        });
    }
    Ok(())
}

/// A unified social credit code (统一社会信用代码, GB 32100-2015): the one code that names an
/// organisation for every authority, so applicants and issuing bodies are matched by it.
///
/// Only the GB 32100 check character is enforced. The GB 11714 check inside characters 9 to 17 is
/// offered by [`Self::has_valid_organisation_code_check`] but not enforced, because codes issued to
/// bodies without an old organisation code need not follow it and must still be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnifiedSocialCreditCode {
    value: String,
}

string_identifier!(UnifiedSocialCreditCode);

impl UnifiedSocialCreditCode {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let kind = IdentifierKind::UnifiedSocialCreditCode;
        let (orig, up) = chars_of_length(input, 18, kind)?;
        check_uscc(&up, &orig, 0, kind, "check character")?;
        Ok(Self {
            value: up.into_iter().collect(),
        })
    }

    /// The check character for the first 17 characters of a code, for building test data and for
    /// telling a user what the last character should be.
    pub fn check_character(body: &str) -> Result<char, IdentifierError> {
        let kind = IdentifierKind::UnifiedSocialCreditCode;
        let (orig, up) = chars_of_length(body, 17, kind)?;
        uscc_body(&up, &orig, 0, kind).map(|values| uscc_check(&values))
    }

    /// 登记管理部门代码: which kind of authority registered the body (`9` is market regulation).
    pub fn registration_authority(&self) -> char {
        self.value.chars().next().unwrap_or('0')
    }

    /// 机构类别代码: the category of body within that authority.
    pub fn organisation_category(&self) -> char {
        self.value.chars().nth(1).unwrap_or('0')
    }

    /// The registering authority's division code; `100000` for national registrations, so it is
    /// deliberately not a [`DivisionCode`].
    pub fn registration_division(&self) -> &str {
        self.value.get(2..8).unwrap_or_default()
    }

    /// 主体标识码: the 9-character body identifier, the former organisation code where one existed.
    pub fn organisation_code(&self) -> &str {
        self.value.get(8..17).unwrap_or_default()
    }

    /// Whether characters 9 to 17 also pass the GB 11714 organisation-code check; useful as a
    /// warning, never as a reason to refuse (see the type's documentation).
    pub fn has_valid_organisation_code_check(&self) -> bool {
        const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
        let code: Vec<char> = self.organisation_code().chars().collect();
        let Some((&last, body)) = code.split_last() else {
            return false;
        };
        let mut sum = 0;
        for (c, w) in body.iter().zip(WEIGHTS) {
            match c.to_digit(36) {
                Some(v) => sum += v * w,
                None => return false,
            }
        }
        let expected = match 11 - sum % 11 {
            10 => 'X',
            11 => '0',
            n => char::from_digit(n, 10).unwrap_or('?'),
        };
        last == expected
    }
}

// ---------------------------------------------------------------------------------------------
// Resident identity number
// ---------------------------------------------------------------------------------------------

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

fn id_check(digits: &[u32; 17]) -> char {
    let sum: u32 = digits.iter().zip(ID_WEIGHTS).map(|(d, w)| d * w).sum();
    ID_CHECK
        .get((sum % 11) as usize)
        .map_or('0', |&b| char::from(b))
}

fn id_body(up: &[char], orig: &[char]) -> Result<[u32; 17], IdentifierError> {
    require_digits(up, orig, 0, IdentifierKind::ResidentIdNumber)?;
    let mut digits = [0; 17];
    for (slot, c) in digits.iter_mut().zip(up) {
        *slot = c.to_digit(10).unwrap_or(0);
    }
    Ok(digits)
}

/// A resident identity number (公民身份号码, GB 11643-1999).
///
/// The first six digits are not checked against the division list: address codes of abolished
/// divisions stay valid for life, and residence permits use codes such as `830000` that are not
/// divisions at all. The birth date is checked because a 31 February is a typing error the check
/// digit can miss when two characters are wrong.
///
/// `Debug` masks the number, so that a struct holding one can be logged without leaking it;
/// `Display`, `as_str` and serialisation give the full number for storage and exchange.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentIdNumber {
    value: String,
    birth_date: NaiveDate,
}

string_identifier!(ResidentIdNumber);

impl ResidentIdNumber {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let kind = IdentifierKind::ResidentIdNumber;
        let (orig, up) = chars_of_length(input, 18, kind)?;
        let digits = id_body(&up[..17], &orig[..17])?;
        let (last, found) = (up[17], orig[17]);
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(IdentifierError::InvalidCharacter {
                kind,
                position: 18,
                found,
                expected: "a digit or X",
            });
        }
        let birth_date = NaiveDate::from_ymd_opt(
            i32::try_from(number(&up[6..10])).unwrap_or(0),
            number(&up[10..12]),
            number(&up[12..14]),
        )
        .ok_or_else(|| IdentifierError::InvalidPart {
            kind,
            position: 7,
            end: 14,
            found: orig[6..14].iter().collect(),
            expected: "a real date of birth",
        })?;
        let expected = id_check(&digits);
        if last != expected {
            return Err(IdentifierError::WrongCheckCharacter {
                kind,
                position: 18,
                found,
                expected,
                check: "check character",
            });
        }
        Ok(Self {
            value: up.into_iter().collect(),
            birth_date,
        })
    }

    /// The check character (ISO 7064 MOD 11-2) for the first 17 digits, for building test data and
    /// for telling a user what the last character should be.
    pub fn check_character(body: &str) -> Result<char, IdentifierError> {
        let (orig, up) = chars_of_length(body, 17, IdentifierKind::ResidentIdNumber)?;
        id_body(&up, &orig).map(|digits| id_check(&digits))
    }

    /// The address code at issue, which may name a division that no longer exists.
    pub fn address_code(&self) -> &str {
        self.value.get(..6).unwrap_or_default()
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The form to show on screens and receipts, where staff need to recognise a number but not
    /// read it out: `3302**********1234`.
    pub fn masked(&self) -> String {
        format!(
            "{}{}{}",
            self.value.get(..4).unwrap_or_default(),
            "*".repeat(10),
            self.value.get(14..).unwrap_or_default()
        )
    }
}

impl fmt::Debug for ResidentIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentIdNumber")
            .field(&self.masked())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Division code
// ---------------------------------------------------------------------------------------------

/// Province-level codes of GB/T 2260; they have not changed since Chongqing (50) in 1997.
const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

fn check_division(
    up: &[char],
    orig: &[char],
    offset: usize,
    kind: IdentifierKind,
) -> Result<(), IdentifierError> {
    require_digits(up, orig, offset, kind)?;
    let part = |from: usize, to: usize| -> String {
        orig.get(from..to).unwrap_or_default().iter().collect()
    };
    if !PROVINCES.contains(&number(up.get(..2).unwrap_or_default())) {
        return Err(IdentifierError::InvalidPart {
            kind,
            position: offset + 1,
            end: offset + 2,
            found: part(0, 2),
            expected: "a province code",
        });
    }
    if number(up.get(2..4).unwrap_or_default()) == 0
        && number(up.get(4..6).unwrap_or_default()) != 0
    {
        return Err(IdentifierError::InvalidPart {
            kind,
            position: offset + 5,
            end: offset + 6,
            found: part(4, 6),
            expected: "possible after 00 in characters 3 to 4 (a province has no county part)",
        });
    }
    Ok(())
}

/// How far down the hierarchy a division code points, so that rules can tell a county-level body
/// from a city or province one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DivisionLevel {
    Province,
    Prefecture,
    County,
}

/// An administrative division code (行政区划代码, GB/T 2260), six digits; Ninghai county is `330226`.
///
/// Only the structure is checked, not membership of a list: the list changes every year and old
/// codes stay in use in older records. Longer statistical codes (9 or 12 digits) are not division
/// codes and are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode {
    value: String,
}

string_identifier!(DivisionCode);

impl DivisionCode {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let kind = IdentifierKind::DivisionCode;
        let (orig, up) = chars_of_length(input, 6, kind)?;
        check_division(&up, &orig, 0, kind)?;
        Ok(Self {
            value: up.into_iter().collect(),
        })
    }

    pub fn level(&self) -> DivisionLevel {
        if self.value.ends_with("0000") {
            DivisionLevel::Province
        } else if self.value.ends_with("00") {
            DivisionLevel::Prefecture
        } else {
            DivisionLevel::County
        }
    }

    /// The two-digit province part, e.g. `33` for Zhejiang.
    pub fn province_part(&self) -> &str {
        self.value.get(..2).unwrap_or_default()
    }

    /// Whether `other` lies within this division (or is it), so that a city-level user can be
    /// given the cases of its counties.
    pub fn contains(&self, other: &DivisionCode) -> bool {
        let significant = match self.level() {
            DivisionLevel::Province => 2,
            DivisionLevel::Prefecture => 4,
            DivisionLevel::County => 6,
        };
        let prefix = self.value.get(..significant).unwrap_or_default();
        other.value.starts_with(prefix)
    }
}

// ---------------------------------------------------------------------------------------------
// Investment project code
// ---------------------------------------------------------------------------------------------

const PROJECT_TEMPLATE: &[u8; 24] = b"0000-000000-00-00-000000";

/// An investment project code (投资项目代码, GB/T 40058-2021), assigned by the national online
/// approval platform and quoted by every approval of the project.
///
/// Two generations are read. Current codes start with the year and month of assignment (`YYMM`,
/// e.g. `2509-320193-89-01-544060`); codes assigned before the November 2020 switch start with the
/// year (`2017-330226-…`). A start whose last two digits are a month (01 to 12) is read as `YYMM`,
/// otherwise as a year from 2013 to 2020; an old code of 2010 to 2012 would be misread as
/// October to December 2020, which is harmless because no such codes were assigned.
///
/// The last group holds a check digit whose algorithm is not public, so it is not verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectCode {
    value: String,
    year: i32,
    month: Option<u32>,
}

string_identifier!(ProjectCode);

impl ProjectCode {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let kind = IdentifierKind::ProjectCode;
        let (orig, up) = chars_of_length(input, PROJECT_TEMPLATE.len(), kind)?;
        for (i, ((&u, &o), &t)) in up.iter().zip(&orig).zip(PROJECT_TEMPLATE).enumerate() {
            if t == b'-' {
                if u != '-' {
                    return Err(IdentifierError::UnexpectedCharacter {
                        kind,
                        position: i + 1,
                        found: o,
                        expected: '-',
                    });
                }
            } else if !u.is_ascii_digit() {
                return Err(IdentifierError::InvalidCharacter {
                    kind,
                    position: i + 1,
                    found: o,
                    expected: "a digit",
                });
            }
        }
        let start = number(&up[..4]);
        let (year, month) = if (1..=12).contains(&(start % 100)) {
            (2000 + start / 100, Some(start % 100))
        } else if (2013..=2020).contains(&start) {
            (start, None)
        } else {
            return Err(IdentifierError::InvalidPart {
                kind,
                position: 1,
                end: 4,
                found: orig[..4].iter().collect(),
                expected: "a year and month (YYMM) or, in older codes, a year from 2013 to 2020",
            });
        };
        Ok(Self {
            value: up.into_iter().collect(),
            year: i32::try_from(year).unwrap_or(0),
            month,
        })
    }

    /// Formats a current-generation code from its parts. Only the year and month of `year_month`
    /// are used. The serial includes the platform's check digit, which cannot be computed here.
    pub fn new(
        year_month: NaiveDate,
        division: &DivisionCode,
        category: u8,
        project_type: u8,
        serial: u32,
    ) -> Result<Self, IdentifierError> {
        let kind = IdentifierKind::ProjectCode;
        let out_of_range = |part, value: i64, min, max| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(IdentifierError::OutOfRange {
                    kind,
                    part,
                    value,
                    min,
                    max,
                })
            }
        };
        let year = year_month.year();
        out_of_range("year", i64::from(year), 2000, 2099)?;
        out_of_range("category code", i64::from(category), 0, 99)?;
        out_of_range("project type code", i64::from(project_type), 0, 99)?;
        out_of_range("serial", i64::from(serial), 0, 999_999)?;
        Self::parse(&format!(
            "{:02}{:02}-{division}-{category:02}-{project_type:02}-{serial:06}",
            year - 2000,
            year_month.month()
        ))
    }

    /// Whether the code is of the generation that starts with a year instead of `YYMM`.
    pub fn is_legacy(&self) -> bool {
        self.month.is_none()
    }

    /// The first group as written: `YYMM`, or `YYYY` in older codes.
    pub fn time_code(&self) -> &str {
        self.value.get(..4).unwrap_or_default()
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    /// `None` for older codes, which recorded only the year.
    pub fn month(&self) -> Option<u32> {
        self.month
    }

    /// The second group as written. Kept as text because central departments' projects carry a
    /// department code there rather than a division code.
    pub fn division(&self) -> &str {
        self.value.get(5..11).unwrap_or_default()
    }

    /// The second group as a division code, when it is one.
    pub fn division_code(&self) -> Option<DivisionCode> {
        DivisionCode::parse(self.division()).ok()
    }

    /// 中央业务指导部门代码 in current codes, the industry code in older ones.
    pub fn category(&self) -> &str {
        self.value.get(12..14).unwrap_or_default()
    }

    /// 项目类型代码.
    pub fn project_type(&self) -> &str {
        self.value.get(15..17).unwrap_or_default()
    }

    /// The last group (random part and check digit).
    pub fn serial(&self) -> &str {
        self.value.get(18..24).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// Electronic licence identifier
// ---------------------------------------------------------------------------------------------

const LICENCE_ROOT: &str = "1.2.156.3005.2.";
const LICENCE_ROOT_LEN: usize = LICENCE_ROOT.len();
const LICENCE_TYPE_LEN: usize = 21;
const LICENCE_PARTS: [&str; 5] = [
    "licence type code",
    "issuer code",
    "serial number",
    "version number",
    "check character",
];
const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM_EXPECTED: &str = "a digit or a capital letter";

/// ISO/IEC 7064 MOD 37,36 over characters already known to be digits or capitals.
fn mod37_36_check<'a>(body: impl IntoIterator<Item = &'a char>) -> char {
    let mut p = 36;
    for c in body {
        p = (p + c.to_digit(36).unwrap_or(0)) % 36;
        if p == 0 {
            p = 36;
        }
        p = (2 * p) % 37;
    }
    ALNUM
        .get(((37 - p) % 36) as usize)
        .map_or('0', |&b| char::from(b))
}

fn require_alnum(
    up: &[char],
    orig: &[char],
    offset: usize,
    kind: IdentifierKind,
) -> Result<(), IdentifierError> {
    for (i, (u, o)) in up.iter().zip(orig).enumerate() {
        if !(u.is_ascii_digit() || u.is_ascii_uppercase()) {
            return Err(IdentifierError::InvalidCharacter {
                kind,
                position: offset + i + 1,
                found: *o,
                expected: ALNUM_EXPECTED,
            });
        }
    }
    Ok(())
}

/// Where the variable-length parts end, in character (and, once valid, byte) offsets.
struct LicenceLayout {
    issuer_end: usize,
    serial_end: usize,
    body: Vec<char>,
}

/// Checks the root and the first `parts` parts (4 without the check character, 5 with it), in order,
/// so that the first wrong character is the one reported.
fn scan_licence(
    up: &[char],
    orig: &[char],
    parts: usize,
) -> Result<LicenceLayout, IdentifierError> {
    let kind = IdentifierKind::LicenceIdentifier;
    for (i, expected) in LICENCE_ROOT.chars().enumerate() {
        match (up.get(i), orig.get(i)) {
            (Some(&u), Some(&found)) if u != expected => {
                return Err(IdentifierError::UnexpectedCharacter {
                    kind,
                    position: i + 1,
                    found,
                    expected,
                });
            }
            (Some(_), Some(_)) => {}
            _ => {
                return Err(IdentifierError::Incomplete {
                    kind,
                    position: up.len() + 1,
                    missing: "fixed start 1.2.156.3005.2.",
                });
            }
        }
    }

    let mut fields = Vec::new();
    let mut start = LICENCE_ROOT_LEN;
    for piece in up[LICENCE_ROOT_LEN..].split(|&c| c == '.') {
        fields.push((start, piece));
        start += piece.len() + 1;
    }

    let mut layout = LicenceLayout {
        issuer_end: 0,
        serial_end: 0,
        body: Vec::new(),
    };
    for (i, &part) in LICENCE_PARTS.iter().enumerate().take(parts) {
        let Some(&(start, piece)) = fields
            .get(i)
            .filter(|(s, p)| !(p.is_empty() && *s == up.len()))
        else {
            return Err(IdentifierError::Incomplete {
                kind,
                position: up.len() + 1,
                missing: part,
            });
        };
        let piece_orig = &orig[start..start + piece.len()];
        let wrong_length = |expected| IdentifierError::WrongPartLength {
            kind,
            part,
            position: start + 1,
            expected,
            actual: piece.len(),
        };
        match i {
            0 => {
                if piece.len() != LICENCE_TYPE_LEN {
                    return Err(wrong_length("21"));
                }
                check_uscc(
                    &piece[..18],
                    &piece_orig[..18],
                    start,
                    kind,
                    "check character of the licence type code's credit code",
                )?;
                require_digits(&piece[18..], &piece_orig[18..], start + 18, kind)?;
            }
            1 => {
                match piece.len() {
                    18 => check_uscc(
                        piece,
                        piece_orig,
                        start,
                        kind,
                        "check character of the issuer's credit code",
                    )?,
                    // Some provinces put the issuing area's division code here.
                    6 => check_division(piece, piece_orig, start, kind)?,
                    _ => return Err(wrong_length("18 (or 6 for a division code)")),
                }
                layout.issuer_end = start + piece.len();
            }
            2 => {
                if piece.is_empty() {
                    return Err(IdentifierError::InvalidCharacter {
                        kind,
                        position: start + 1,
                        found: orig.get(start).copied().unwrap_or('.'),
                        expected: ALNUM_EXPECTED,
                    });
                }
                require_alnum(piece, piece_orig, start, kind)?;
                layout.serial_end = start + piece.len();
            }
            3 => {
                if piece.len() != 3 {
                    return Err(wrong_length("3"));
                }
                require_digits(piece, piece_orig, start, kind)?;
            }
            _ => {
                if piece.len() != 1 {
                    return Err(wrong_length("1"));
                }
                require_alnum(piece, piece_orig, start, kind)?;
            }
        }
        if i < 4 {
            layout.body.extend_from_slice(piece);
        }
    }
    if let Some(&(start, _)) = fields.get(parts) {
        return Err(IdentifierError::InvalidCharacter {
            kind,
            position: start,
            found: orig.get(start - 1).copied().unwrap_or('.'),
            expected: "the end of the identifier",
        });
    }
    Ok(layout)
}

/// An electronic licence identifier (电子证照标识, GB/T 36904/36905), the key by which a licence
/// is fetched from and verified against the issuer's sharing service.
///
/// Shape: `1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>`, where the type code
/// is the defining body's credit code plus a 3-digit number, the issuer code is a credit code (or,
/// in some provinces, a division code), and the check character is ISO/IEC 7064 MOD 37,36 over the
/// four parts without their dots. The credit codes inside are checked too, so that a typing error
/// in them is reported where it is instead of only at the final check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LicenceIdentifier {
    value: String,
    issuer_end: usize,
    serial_end: usize,
}

string_identifier!(LicenceIdentifier);

impl LicenceIdentifier {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let kind = IdentifierKind::LicenceIdentifier;
        let (orig, up) = chars_of(input, kind)?;
        let layout = scan_licence(&up, &orig, 5)?;
        let expected = mod37_36_check(&layout.body);
        let position = up.len();
        if up.last() != Some(&expected) {
            return Err(IdentifierError::WrongCheckCharacter {
                kind,
                position,
                found: orig.last().copied().unwrap_or(' '),
                expected,
                check: "check character",
            });
        }
        Ok(Self {
            value: up.into_iter().collect(),
            issuer_end: layout.issuer_end,
            serial_end: layout.serial_end,
        })
    }

    /// Builds an identifier for a licence this centre issues, computing its check character.
    /// `type_code` is the 21-character 证照类型代码 from the licence type's catalogue entry. Error
    /// positions count in the identifier being built.
    pub fn new(
        type_code: &str,
        issuer: &UnifiedSocialCreditCode,
        serial: &str,
        version: u16,
    ) -> Result<Self, IdentifierError> {
        let kind = IdentifierKind::LicenceIdentifier;
        if !(1..=999).contains(&version) {
            return Err(IdentifierError::OutOfRange {
                kind,
                part: "version number",
                value: i64::from(version),
                min: 1,
                max: 999,
            });
        }
        let without_check = format!("{LICENCE_ROOT}{type_code}.{issuer}.{serial}.{version:03}");
        let (orig, up) = chars_of(&without_check, kind)?;
        let layout = scan_licence(&up, &orig, 4)?;
        let check = mod37_36_check(&layout.body);
        Self::parse(&format!("{without_check}.{check}"))
    }

    /// 证照类型代码: the defining body's credit code followed by the 3-digit type number.
    pub fn type_code(&self) -> &str {
        self.value
            .get(LICENCE_ROOT_LEN..LICENCE_ROOT_LEN + LICENCE_TYPE_LEN)
            .unwrap_or_default()
    }

    /// The credit code of the body that defined the licence type (证照定义机构).
    pub fn type_definer_code(&self) -> &str {
        self.value
            .get(LICENCE_ROOT_LEN..LICENCE_ROOT_LEN + 18)
            .unwrap_or_default()
    }

    pub fn type_number(&self) -> &str {
        self.value
            .get(LICENCE_ROOT_LEN + 18..LICENCE_ROOT_LEN + LICENCE_TYPE_LEN)
            .unwrap_or_default()
    }

    /// 颁发机构代码: a credit code, or a 6-digit division code in some provinces' identifiers.
    pub fn issuer_code(&self) -> &str {
        self.value
            .get(LICENCE_ROOT_LEN + LICENCE_TYPE_LEN + 1..self.issuer_end)
            .unwrap_or_default()
    }

    pub fn serial(&self) -> &str {
        self.value
            .get(self.issuer_end + 1..self.serial_end)
            .unwrap_or_default()
    }

    pub fn version(&self) -> &str {
        self.value
            .get(self.serial_end + 1..self.serial_end + 4)
            .unwrap_or_default()
    }

    pub fn check_character(&self) -> char {
        self.value.chars().next_back().unwrap_or('0')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn err<T: fmt::Debug>(r: Result<T, IdentifierError>) -> IdentifierError {
        match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e,
        }
    }

    // --- unified social credit code --------------------------------------------------------

    #[test]
    fn uscc_real_vectors_parse() {
        for code in [
            "11100000000013338W",
            "11220000013544541J",
            "11450721348531435D",
            "11450721MB15580811",
            "91350100M000100Y43",
        ] {
            let parsed = UnifiedSocialCreditCode::parse(code).expect(code);
            assert_eq!(parsed.as_str(), code);
            assert!(parsed.has_valid_organisation_code_check(), "{code}");
        }
    }

    #[test]
    fn uscc_from_a_mock_is_refused_with_the_right_check_character() {
        let e = err(UnifiedSocialCreditCode::parse("11440300007542785T"));
        assert_eq!(
            e,
            IdentifierError::WrongCheckCharacter {
                kind: IdentifierKind::UnifiedSocialCreditCode,
                position: 18,
                found: 'T',
                expected: 'U',
                check: "check character",
            }
        );
        assert_eq!(
            e.to_string(),
            "character 18 is 'T' but the check character should be 'U'"
        );
    }

    #[test]
    fn uscc_that_a_pattern_only_validator_accepts_is_refused() {
        let e = err(UnifiedSocialCreditCode::parse("9A1234568378908767"));
        assert_eq!(e.position(), Some(18));
    }

    #[test]
    fn uscc_letters_outside_the_alphabet_are_named() {
        let e = err(UnifiedSocialCreditCode::parse("1110000000001333OW"));
        assert_eq!(
            e.to_string(),
            "character 17 is 'O' but it should be a digit or a capital letter other than I, O, S, V and Z"
        );
    }

    #[test]
    fn uscc_lower_case_is_accepted_and_stored_in_capitals() {
        let parsed = UnifiedSocialCreditCode::parse("11450721mb15580811").expect("valid");
        assert_eq!(parsed.as_str(), "11450721MB15580811");
    }

    #[test]
    fn uscc_wrong_length_names_both_lengths() {
        let e = err(UnifiedSocialCreditCode::parse("11100000000013338"));
        assert_eq!(
            e.to_string(),
            "this unified social credit code has 17 characters, but it should have 18"
        );
        assert_eq!(
            err(UnifiedSocialCreditCode::parse("")),
            IdentifierError::Empty {
                kind: IdentifierKind::UnifiedSocialCreditCode
            }
        );
    }

    #[test]
    fn uscc_parts() {
        let code = UnifiedSocialCreditCode::parse("91350100M000100Y43").expect("valid");
        assert_eq!(code.registration_authority(), '9');
        assert_eq!(code.organisation_category(), '1');
        assert_eq!(code.registration_division(), "350100");
        assert_eq!(code.organisation_code(), "M000100Y4");
        assert_eq!(
            UnifiedSocialCreditCode::check_character("91350100M000100Y4"),
            Ok('3')
        );
    }

    // --- resident identity number ----------------------------------------------------------

    #[test]
    fn id_real_vectors() {
        let a = ResidentIdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(
            a.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).expect("date")
        );
        assert_eq!(a.address_code(), "110105");
        let b = ResidentIdNumber::parse("110101202311012176").expect("valid");
        assert_eq!(
            b.birth_date(),
            NaiveDate::from_ymd_opt(2023, 11, 1).expect("date")
        );

        let e = err(ResidentIdNumber::parse("110101202311012171"));
        assert_eq!(
            e.to_string(),
            "character 18 is '1' but the check character should be '6'"
        );
    }

    #[test]
    fn id_lower_case_x_is_accepted() {
        let id = ResidentIdNumber::parse("11010519491231002x").expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn id_check_x_where_a_digit_belongs_is_explained() {
        let e = err(ResidentIdNumber::parse("11010120231101217X"));
        assert_eq!(
            e.to_string(),
            "character 18 is 'X' but the check character should be '6'"
        );
    }

    #[test]
    fn id_impossible_birth_date_is_refused() {
        let body = "11010519490231002";
        let check = ResidentIdNumber::check_character(body).expect("digits");
        let e = err(ResidentIdNumber::parse(&format!("{body}{check}")));
        assert_eq!(
            e.to_string(),
            "characters 7 to 14 are '19490231', which is not a real date of birth"
        );
    }

    #[test]
    fn id_letter_in_the_body_is_named() {
        let e = err(ResidentIdNumber::parse("1101051949123100XX"));
        assert_eq!(
            e.to_string(),
            "character 17 is 'X' but it should be a digit"
        );
    }

    #[test]
    fn id_old_15_digit_numbers_are_refused_by_length() {
        let e = err(ResidentIdNumber::parse("110105491231002"));
        assert_eq!(
            e,
            IdentifierError::WrongLength {
                kind: IdentifierKind::ResidentIdNumber,
                expected: 18,
                actual: 15
            }
        );
    }

    #[test]
    fn id_masked_and_debug_hide_the_middle() {
        let id = ResidentIdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(
            format!("{id:?}"),
            "ResidentIdNumber(\"1101**********002X\")"
        );
        assert_eq!(id.to_string(), "11010519491231002X");
    }

    #[test]
    fn id_serde_is_a_validated_string() {
        let id = ResidentIdNumber::parse("110101202311012176").expect("valid");
        let json = serde_json::to_string(&id).expect("serialise");
        assert_eq!(json, "\"110101202311012176\"");
        let back: ResidentIdNumber = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, id);
        assert_eq!(back.birth_date(), id.birth_date());
        let bad = serde_json::from_str::<ResidentIdNumber>("\"110101202311012171\"");
        let message = bad.map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            message,
            Err("character 18 is '1' but the check character should be '6'".to_owned())
        );
    }

    // --- division code ---------------------------------------------------------------------

    #[test]
    fn division_ninghai() {
        let ninghai = DivisionCode::parse("330226").expect("valid");
        assert_eq!(ninghai.level(), DivisionLevel::County);
        assert_eq!(ninghai.province_part(), "33");
        let ningbo = DivisionCode::parse("330200").expect("valid");
        let zhejiang = DivisionCode::parse("330000").expect("valid");
        assert_eq!(ningbo.level(), DivisionLevel::Prefecture);
        assert_eq!(zhejiang.level(), DivisionLevel::Province);
        assert!(zhejiang.contains(&ninghai));
        assert!(ningbo.contains(&ninghai));
        assert!(ninghai.contains(&ninghai));
        assert!(!ninghai.contains(&ningbo));
        let beijing_districts = DivisionCode::parse("110100").expect("valid");
        let dongcheng = DivisionCode::parse("110101").expect("valid");
        assert!(beijing_districts.contains(&dongcheng));
        assert!(!beijing_districts.contains(&DivisionCode::parse("110200").expect("valid")));
    }

    #[test]
    fn division_structural_errors() {
        assert_eq!(
            err(DivisionCode::parse("000226")).to_string(),
            "characters 1 to 2 are '00', which is not a province code"
        );
        assert_eq!(err(DivisionCode::parse("330026")).position(), Some(5));
        assert_eq!(
            err(DivisionCode::parse("3302a6")).to_string(),
            "character 5 is 'a' but it should be a digit"
        );
        // A township code from the statistical list is not a division code.
        assert_eq!(
            err(DivisionCode::parse("330226001")).to_string(),
            "this division code has 9 characters, but it should have 6"
        );
    }

    // --- investment project code -----------------------------------------------------------

    #[test]
    fn project_current_real_vector() {
        let code = ProjectCode::parse("2509-320193-89-01-544060").expect("valid");
        assert!(!code.is_legacy());
        assert_eq!(code.time_code(), "2509");
        assert_eq!(code.year(), 2025);
        assert_eq!(code.month(), Some(9));
        assert_eq!(code.division(), "320193");
        assert!(code.division_code().is_some());
        assert_eq!(code.category(), "89");
        assert_eq!(code.project_type(), "01");
        assert_eq!(code.serial(), "544060");
    }

    #[test]
    fn project_legacy_form_is_read() {
        let code = ProjectCode::parse("2017-330226-48-03-012345").expect("valid");
        assert!(code.is_legacy());
        assert_eq!(code.year(), 2017);
        assert_eq!(code.month(), None);
        assert_eq!(code.division(), "330226");
    }

    #[test]
    fn project_errors_name_the_character() {
        assert_eq!(
            err(ProjectCode::parse("2509-320193-89-01_544060")).to_string(),
            "character 18 is '_' but it should be '-'"
        );
        assert_eq!(
            err(ProjectCode::parse("2509-32O193-89-01-544060")).to_string(),
            "character 8 is 'O' but it should be a digit"
        );
        assert_eq!(
            err(ProjectCode::parse("2509-320193-89-01-54406")).to_string(),
            "this investment project code has 23 characters, but it should have 24"
        );
        assert_eq!(
            err(ProjectCode::parse("2599-320193-89-01-544060")).position(),
            Some(1)
        );
    }

    #[test]
    fn project_new_formats_the_current_shape() {
        let division = DivisionCode::parse("320193").expect("valid");
        let month = NaiveDate::from_ymd_opt(2025, 9, 17).expect("date");
        let code = ProjectCode::new(month, &division, 89, 1, 544_060).expect("valid");
        assert_eq!(code.as_str(), "2509-320193-89-01-544060");
        assert_eq!(
            ProjectCode::new(month, &division, 100, 1, 1),
            Err(IdentifierError::OutOfRange {
                kind: IdentifierKind::ProjectCode,
                part: "category code",
                value: 100,
                min: 0,
                max: 99
            })
        );
        let old = NaiveDate::from_ymd_opt(1999, 1, 1).expect("date");
        assert!(ProjectCode::new(old, &division, 1, 1, 1).is_err());
    }

    // --- electronic licence identifier -----------------------------------------------------

    /// Identifiers seen in public integration code; their check characters all verify.
    const LICENCES: [&str; 6] = [
        // The example in cn-standards.md section 3.2.
        "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
        // A 2025 Zhejiang online approval platform OFD file name.
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        // Anhui: a division code as issuer code.
        "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
    ];

    #[test]
    fn licence_real_vectors() {
        for id in LICENCES {
            let parsed = LicenceIdentifier::parse(id).expect(id);
            assert_eq!(parsed.as_str(), id);
        }
        let id = LicenceIdentifier::parse(LICENCES[0]).expect("valid");
        assert_eq!(id.type_code(), "11100000000013338W032");
        assert_eq!(id.type_definer_code(), "11100000000013338W");
        assert_eq!(id.type_number(), "032");
        assert_eq!(id.issuer_code(), "11220000013544541J");
        assert_eq!(id.serial(), "2430599");
        assert_eq!(id.version(), "001");
        assert_eq!(id.check_character(), 'F');
        let anhui = LicenceIdentifier::parse(LICENCES[5]).expect("valid");
        assert_eq!(anhui.issuer_code(), "340100");
        assert_eq!(anhui.serial(), "000000016");
    }

    #[test]
    fn licence_placeholder_with_a_wrong_check_is_refused() {
        let id = "1.2.156.3005.2.11100000000013661B006.113700000045046442.209FA4E88F9E4C878F3E9BED2CE7EA49.001.M";
        let e = err(LicenceIdentifier::parse(id));
        assert_eq!(
            e,
            IdentifierError::WrongCheckCharacter {
                kind: IdentifierKind::LicenceIdentifier,
                position: id.chars().count(),
                found: 'M',
                expected: 'D',
                check: "check character",
            }
        );
    }

    #[test]
    fn licence_illustrative_comment_is_refused() {
        let e = err(LicenceIdentifier::parse(
            "1.2.156.3005.2.062301.1101101102.0624_001.001.U",
        ));
        assert_eq!(
            e.to_string(),
            "the licence type code that starts at character 16 has 6 characters, but it should have 21"
        );
    }

    #[test]
    fn licence_errors_point_at_the_part() {
        assert_eq!(
            err(LicenceIdentifier::parse(
                "1.2.156.3005.3.11100000000013338W032.11220000013544541J.2430599.001.F"
            ))
            .to_string(),
            "character 14 is '3' but it should be '2'"
        );
        assert_eq!(
            err(LicenceIdentifier::parse(
                "1.2.156.3005.2.11100000000013338W032.11220000013544542J.2430599.001.F"
            ))
            .to_string(),
            "character 55 is 'J' but the check character of the issuer's credit code should be 'M'"
        );
        assert_eq!(
            err(LicenceIdentifier::parse(
                "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001"
            ))
            .to_string(),
            "the electronic licence identifier ends before character 68: its check character is missing"
        );
        assert_eq!(
            err(LicenceIdentifier::parse(
                "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F.1"
            ))
            .to_string(),
            "character 70 is '.' but it should be the end of the identifier"
        );
        assert_eq!(err(LicenceIdentifier::parse("1.2.156")).position(), Some(8));
    }

    #[test]
    fn licence_new_computes_the_check() {
        let issuer = UnifiedSocialCreditCode::parse("11220000013544541J").expect("valid");
        let id =
            LicenceIdentifier::new("11100000000013338W032", &issuer, "2430599", 1).expect("valid");
        assert_eq!(id.as_str(), LICENCES[0]);
        assert!(LicenceIdentifier::new("11100000000013338W032", &issuer, "24.30599", 1).is_err());
        assert!(LicenceIdentifier::new("11100000000013338W032", &issuer, "2430599", 0).is_err());
        let json = serde_json::to_string(&id).expect("serialise");
        let back: LicenceIdentifier = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, id);
    }

    // --- properties ------------------------------------------------------------------------

    const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    /// Replacement characters for mutations: every allowed character plus separators and strays.
    const MUTATIONS: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-x /中";

    fn uscc_body_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(USCC_CHARS.chars().collect::<Vec<_>>()),
            17,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn uscc_strategy() -> impl Strategy<Value = UnifiedSocialCreditCode> {
        uscc_body_strategy().prop_filter_map("body has a check character", |body| {
            let check = UnifiedSocialCreditCode::check_character(&body).ok()?;
            UnifiedSocialCreditCode::parse(&format!("{body}{check}")).ok()
        })
    }

    fn id_strategy() -> impl Strategy<Value = String> {
        (0u32..1_000_000, 0u64..73_000, 0u32..1000).prop_filter_map(
            "date in range",
            |(address, days, sequence)| {
                let date = NaiveDate::from_ymd_opt(1900, 1, 1)?
                    .checked_add_days(chrono::Days::new(days))?;
                let body = format!("{address:06}{}{sequence:03}", date.format("%Y%m%d"));
                let check = ResidentIdNumber::check_character(&body).ok()?;
                Some(format!("{body}{check}"))
            },
        )
    }

    fn licence_strategy() -> impl Strategy<Value = LicenceIdentifier> {
        let alnum: Vec<char> = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".chars().collect();
        (
            uscc_strategy(),
            0u16..1000,
            uscc_strategy(),
            proptest::collection::vec(proptest::sample::select(alnum), 1..33),
            1u16..1000,
        )
            .prop_filter_map("builds", |(definer, number, issuer, serial, version)| {
                let serial: String = serial.into_iter().collect();
                LicenceIdentifier::new(&format!("{definer}{number:03}"), &issuer, &serial, version)
                    .ok()
            })
    }

    /// Replaces character `index` (modulo the length) with `replacement`, unless that would only
    /// change its case, which parsing deliberately ignores.
    fn mutate(code: &str, index: usize, replacement: char) -> Option<(String, usize)> {
        let mut chars: Vec<char> = code.chars().collect();
        let len = chars.len();
        let i = index % len;
        if chars[i].eq_ignore_ascii_case(&replacement) {
            return None;
        }
        chars[i] = replacement;
        Some((chars.into_iter().collect(), len))
    }

    fn mutation() -> impl Strategy<Value = (usize, char)> {
        (
            any::<usize>(),
            proptest::sample::select(MUTATIONS.chars().collect::<Vec<_>>()),
        )
    }

    fn assert_refused_at_a_position(
        result: Result<impl fmt::Debug, IdentifierError>,
        len: usize,
    ) -> Result<(), TestCaseError> {
        match result {
            Ok(v) => Err(TestCaseError::fail(format!("mutated code accepted: {v:?}"))),
            Err(e) => {
                let position = e.position();
                prop_assert!(
                    position.is_some_and(|p| (1..=len + 1).contains(&p)),
                    "error {e} has no usable position"
                );
                Ok(())
            }
        }
    }

    proptest! {
        #[test]
        fn uscc_with_computed_check_parses(body in uscc_body_strategy()) {
            let check = UnifiedSocialCreditCode::check_character(&body)?;
            let code = format!("{body}{check}");
            let parsed = UnifiedSocialCreditCode::parse(&code)?;
            prop_assert_eq!(parsed.as_str(), code.as_str());
        }

        #[test]
        fn uscc_single_change_is_refused(code in uscc_strategy(), (index, c) in mutation()) {
            let Some((mutated, len)) = mutate(code.as_str(), index, c) else { return Ok(()) };
            assert_refused_at_a_position(UnifiedSocialCreditCode::parse(&mutated), len)?;
        }

        #[test]
        fn id_with_computed_check_parses(id in id_strategy()) {
            let parsed = ResidentIdNumber::parse(&id)?;
            prop_assert_eq!(parsed.as_str(), id.as_str());
        }

        #[test]
        fn id_single_change_is_refused(id in id_strategy(), (index, c) in mutation()) {
            let Some((mutated, len)) = mutate(&id, index, c) else { return Ok(()) };
            assert_refused_at_a_position(ResidentIdNumber::parse(&mutated), len)?;
        }

        #[test]
        fn licence_built_with_new_parses_back(id in licence_strategy()) {
            let parsed = LicenceIdentifier::parse(id.as_str())?;
            prop_assert_eq!(&parsed, &id);
            prop_assert_eq!(parsed.serial(), id.serial());
        }

        #[test]
        fn licence_single_change_is_refused(id in licence_strategy(), (index, c) in mutation()) {
            let Some((mutated, len)) = mutate(id.as_str(), index, c) else { return Ok(()) };
            assert_refused_at_a_position(LicenceIdentifier::parse(&mutated), len)?;
        }

        #[test]
        fn project_code_round_trips(
            year in 2000i32..2100, month in 1u32..13, category in 0u8..100,
            project_type in 0u8..100, serial in 0u32..1_000_000,
        ) {
            let date = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(|| TestCaseError::fail("date"))?;
            let division = DivisionCode::parse("330226")?;
            let code = ProjectCode::new(date, &division, category, project_type, serial)?;
            let parsed = ProjectCode::parse(code.as_str())?;
            prop_assert_eq!(parsed.year(), year);
            prop_assert_eq!(parsed.month(), Some(month));
            prop_assert_eq!(parsed, code);
        }
    }
}
