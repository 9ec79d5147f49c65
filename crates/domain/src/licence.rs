//! Electronic licences (电子证照): what a granting decision issues, how its state moves, what
//! is signed, and what a verification answers. Signing itself (Ed25519) and the PDF are the
//! shell's; this module fixes the text that is signed, so that every node and the offline
//! verifier sign and check the same bytes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::{ApplicantKind, Case, TakenLicence};
use crate::catalogue::Material;
use crate::identifiers::{IdentifierError, LicenceIdentifier, UnifiedSocialCreditCode};
use crate::validation::{FieldError, TEXT_MAX_CHARS, check_text};

/// Where a licence stands (证照状态). `Expired` is never stored: a valid licence past its last
/// day reads as expired (see [`Licence::state_on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LicenceState {
    /// 有效
    Valid,
    /// 已变更: a later version replaced it.
    Changed,
    /// 已撤销
    Revoked,
    /// 已过期
    Expired,
    /// 已注销
    Cancelled,
}

impl LicenceState {
    pub const ALL: [LicenceState; 5] = [
        LicenceState::Valid,
        LicenceState::Changed,
        LicenceState::Revoked,
        LicenceState::Expired,
        LicenceState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LicenceState::Valid => "valid",
            LicenceState::Changed => "changed",
            LicenceState::Revoked => "revoked",
            LicenceState::Expired => "expired",
            LicenceState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The holder of a licence (持证主体): a person by resident identity number, an enterprise by
/// unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Holder {
    pub kind: ApplicantKind,
    pub name: String,
    pub id_number: String,
}

impl Holder {
    /// 持证主体代码类型 of GB/T 36903: 001 统一社会信用代码, 111 公民身份号码.
    pub fn id_type_code(&self) -> &'static str {
        match self.kind {
            ApplicantKind::Enterprise => "001",
            ApplicantKind::Person => "111",
        }
    }

    /// The identity number as a public answer shows it: the first four and the last four
    /// characters, the rest starred, whoever the holder is.
    pub fn masked_id(&self) -> String {
        let chars: Vec<char> = self.id_number.chars().collect();
        if chars.len() <= 8 {
            return "*".repeat(chars.len());
        }
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
    }
}

/// The signature a licence carries: which key made it and the Ed25519 signature over
/// [`Licence::signed_text`], base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicenceSignature {
    pub key_id: String,
    pub value: String,
}

/// An electronic licence (电子证照) as issued: every field printed on it, where it came from,
/// and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Licence {
    /// 电子证照标识 (GB/T 36904/36905).
    pub identifier: String,
    /// 证照类型名称, e.g. 食品经营许可证.
    pub licence_type: String,
    /// 证照类型代码: the defining body's credit code and a 3-digit number.
    pub type_code: String,
    /// 证照编号 as printed.
    pub number: String,
    pub holder: Holder,
    /// The issuing authority's unified social credit code (颁发机构代码).
    pub issuer_code: String,
    /// The issuing department's code in the catalogue.
    pub issuer_department: String,
    /// The issuing authority's name as printed (颁发机构).
    pub issuer_name: String,
    pub item_code: String,
    pub item_name: String,
    /// What the licence permits (许可范围 / 经营项目), as printed.
    pub scope: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub issued_on: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_from: NaiveDate,
    /// The last day it is valid; `None` for a licence valid without a limit (长期).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_until: Option<NaiveDate>,
    /// The receipt number of the case that issued it.
    pub case_number: String,
    /// 版本号: 1 at issue, one more with every change.
    pub version: u16,
    /// The stored state; read it through [`Licence::state_on`], which knows expiry.
    pub state: LicenceState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_changed_on: Option<NaiveDate>,
    /// The identifier of the version that replaced this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    /// `None` only between building the record and signing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<LicenceSignature>,
}

/// What is needed to issue a licence, gathered by the shell from the case, the item and the
/// licence type register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceDraft {
    pub licence_type: String,
    pub type_code: String,
    pub number: String,
    pub holder: Holder,
    pub issuer_code: UnifiedSocialCreditCode,
    pub issuer_department: String,
    pub issuer_name: String,
    pub item_code: String,
    pub item_name: String,
    pub scope: String,
    pub case_number: String,
    /// Years of validity from the day of issue; `None` for no limit.
    pub valid_years: Option<u32>,
}

/// A change (变更) of a valid licence: what is printed differently on the new version.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicenceChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// A new last day of validity.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    /// Why it changes; printed nowhere, kept with the old version.
    pub reason: String,
}

/// Why a licence operation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LicenceError {
    #[error("the licence is {}: only a valid licence can be changed, revoked or cancelled", .0.as_str())]
    NotValid(LicenceState),
    #[error("{}", crate::validation::list_field_errors(.0))]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Identifier(#[from] IdentifierError),
}

/// The type number a department gives the next licence type it defines itself (地方证照类型):
/// one more than the highest it used, from 001. `None` when all 999 are taken.
pub fn next_local_type_code(definer: &UnifiedSocialCreditCode, taken: &[String]) -> Option<String> {
    let prefix = definer.as_str();
    let highest = taken
        .iter()
        .filter_map(|code| code.strip_prefix(prefix))
        .filter_map(|number| number.parse::<u16>().ok())
        .max()
        .unwrap_or(0);
    (highest < 999).then(|| format!("{prefix}{:03}", highest + 1))
}

/// The issuing authority of an item, read from its implementation code (实施编码): the
/// implementing body's unified social credit code followed by the level digit and the basic code.
/// `None` for a code that does not start with a valid credit code.
pub fn implementing_body(item_code: &str) -> Option<UnifiedSocialCreditCode> {
    let head = item_code.get(..18)?;
    UnifiedSocialCreditCode::parse(head).ok()
}

/// The 流水号 of a licence: the receipt number of its case with only letters and digits, and
/// `part` (two digits) when one case issues more than one licence.
pub fn serial_for(case_number: &str, part: Option<u8>) -> String {
    let mut serial: String = case_number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if let Some(part) = part {
        serial.push_str(&format!("{part:02}"));
    }
    serial
}

/// The last day of a licence valid `years` years from `from` (the day before the anniversary;
/// 29 February runs to 28 February).
pub fn last_valid_day(from: NaiveDate, years: u32) -> Option<NaiveDate> {
    let anniversary = from.checked_add_months(chrono::Months::new(years.checked_mul(12)?))?;
    anniversary.pred_opt()
}

/// Builds version 1 of a licence from `draft`, issued on `today`; unsigned.
pub fn issue(draft: LicenceDraft, serial: &str, today: NaiveDate) -> Result<Licence, LicenceError> {
    let identifier = LicenceIdentifier::new(&draft.type_code, &draft.issuer_code, serial, 1)?;
    let valid_until = match draft.valid_years {
        Some(years) if years > 0 => last_valid_day(today, years),
        _ => None,
    };
    Ok(Licence {
        identifier: identifier.to_string(),
        licence_type: draft.licence_type,
        type_code: draft.type_code,
        number: draft.number,
        holder: draft.holder,
        issuer_code: draft.issuer_code.to_string(),
        issuer_department: draft.issuer_department,
        issuer_name: draft.issuer_name,
        item_code: draft.item_code,
        item_name: draft.item_name,
        scope: draft.scope,
        issued_on: today,
        valid_from: today,
        valid_until,
        case_number: draft.case_number,
        version: 1,
        state: LicenceState::Valid,
        state_reason: None,
        state_changed_on: None,
        superseded_by: None,
        signature: None,
    })
}

impl Licence {
    /// The state on `today`: a valid licence past its last day is expired.
    pub fn state_on(&self, today: NaiveDate) -> LicenceState {
        match (self.state, self.valid_until) {
            (LicenceState::Valid, Some(last)) if today > last => LicenceState::Expired,
            (state, _) => state,
        }
    }

    /// Whether it can serve as a material on `today` (免证办): valid and not expired.
    pub fn is_usable_on(&self, today: NaiveDate) -> bool {
        self.state_on(today) == LicenceState::Valid
    }

    /// The bytes the issuing authority signs: every field printed on the licence, one per line,
    /// in a fixed order. The state is not signed: it changes later and is asked online.
    pub fn signed_text(&self) -> String {
        let fields = [
            "onewindow-licence-v1",
            &self.identifier,
            &self.licence_type,
            &self.type_code,
            &self.number,
            self.holder.id_type_code(),
            &self.holder.id_number,
            &self.holder.name,
            &self.issuer_code,
            &self.issuer_name,
            &self.item_code,
            &self.item_name,
            &self.scope,
            &self.issued_on.to_string(),
            &self.valid_from.to_string(),
            &self.valid_until.map(|d| d.to_string()).unwrap_or_default(),
            &self.case_number,
            &self.version.to_string(),
        ];
        // A line break inside a field would let two different licences sign alike.
        fields
            .iter()
            .map(|f| f.replace(['\n', '\r'], " "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn require_valid(&self, today: NaiveDate) -> Result<(), LicenceError> {
        match self.state_on(today) {
            LicenceState::Valid => Ok(()),
            other => Err(LicenceError::NotValid(other)),
        }
    }

    /// 撤销: the licence stops being valid because it should not have been granted or its
    /// holder lost the right; `reason` is required.
    pub fn revoke(&self, reason: &str, today: NaiveDate) -> Result<Licence, LicenceError> {
        self.end(LicenceState::Revoked, reason, today)
    }

    /// 注销: the licence ends at the holder's request or because its holder ceased to exist.
    pub fn cancel(&self, reason: &str, today: NaiveDate) -> Result<Licence, LicenceError> {
        self.end(LicenceState::Cancelled, reason, today)
    }

    fn end(
        &self,
        state: LicenceState,
        reason: &str,
        today: NaiveDate,
    ) -> Result<Licence, LicenceError> {
        self.require_valid(today)?;
        let mut errors = Vec::new();
        check_text(&mut errors, "reason", reason, TEXT_MAX_CHARS, true);
        if reason.trim().is_empty() {
            errors.push(FieldError::new("reason", "must not be empty"));
        }
        if !errors.is_empty() {
            return Err(LicenceError::Invalid(errors));
        }
        let mut ended = self.clone();
        ended.state = state;
        ended.state_reason = Some(reason.trim().to_string());
        ended.state_changed_on = Some(today);
        Ok(ended)
    }

    /// 变更: the old version becomes `Changed` and a new version (the same serial, the version
    /// one more) carries the changed fields, issued on `today`. Both unsigned where they differ:
    /// the new one needs a signature.
    pub fn change(
        &self,
        change: &LicenceChange,
        today: NaiveDate,
    ) -> Result<(Licence, Licence), LicenceError> {
        self.require_valid(today)?;
        let mut errors = Vec::new();
        check_text(&mut errors, "reason", &change.reason, TEXT_MAX_CHARS, true);
        if change.reason.trim().is_empty() {
            errors.push(FieldError::new("reason", "must not be empty"));
        }
        if let Some(name) = &change.holder_name {
            check_text(&mut errors, "holder_name", name, 200, true);
            if name.trim().is_empty() {
                errors.push(FieldError::new("holder_name", "must not be empty"));
            }
        }
        if let Some(scope) = &change.scope {
            check_text(&mut errors, "scope", scope, TEXT_MAX_CHARS, true);
            if scope.trim().is_empty() {
                errors.push(FieldError::new("scope", "must not be empty"));
            }
        }
        if let Some(until) = change.valid_until
            && until < today
        {
            errors.push(FieldError::new(
                "valid_until",
                format!("{until} is before today ({today})"),
            ));
        }
        if change.holder_name.is_none() && change.scope.is_none() && change.valid_until.is_none() {
            errors.push(FieldError::new(
                "holder_name",
                "a change changes something: the holder's name, the scope or the last day of validity",
            ));
        }
        if !errors.is_empty() {
            return Err(LicenceError::Invalid(errors));
        }
        let current = LicenceIdentifier::parse(&self.identifier)?;
        let version = self.version.saturating_add(1);
        let issuer = UnifiedSocialCreditCode::parse(&self.issuer_code)?;
        let next_id =
            LicenceIdentifier::new(current.type_code(), &issuer, current.serial(), version)?;
        let mut next = self.clone();
        next.identifier = next_id.to_string();
        next.version = version;
        next.issued_on = today;
        next.signature = None;
        if let Some(name) = &change.holder_name {
            next.holder.name = name.trim().to_string();
        }
        if let Some(scope) = &change.scope {
            next.scope = scope.trim().to_string();
        }
        if let Some(until) = change.valid_until {
            next.valid_until = Some(until);
        }
        let mut old = self.clone();
        old.state = LicenceState::Changed;
        old.state_reason = Some(change.reason.trim().to_string());
        old.state_changed_on = Some(today);
        old.superseded_by = Some(next.identifier.clone());
        Ok((old, next))
    }
}

/// The answer to "is this licence genuine and valid?" (证照核验).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Valid,
    /// A later version replaced it.
    Changed,
    Revoked,
    Expired,
    Cancelled,
    /// No licence with this identifier was issued here.
    Unknown,
    /// The licence exists, but the signature presented with it is not its issuer's signature of
    /// its data: a forged or edited copy.
    Forged,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Changed => "changed",
            Verdict::Revoked => "revoked",
            Verdict::Expired => "expired",
            Verdict::Cancelled => "cancelled",
            Verdict::Unknown => "unknown",
            Verdict::Forged => "forged",
        }
    }
}

/// The licence of `held` that serves `material` for the holder `holder_id` on `today` (免证办):
/// of the material's licence type, the holder's, valid and not expired; the latest issued when
/// there are several. `None` when the material names no licence type or none serves.
pub fn serving_licence<'a>(
    material: &Material,
    holder_id: &str,
    held: &'a [Licence],
    today: NaiveDate,
) -> Option<&'a Licence> {
    let wanted = material.licence_type.as_deref()?;
    held.iter()
        .filter(|l| {
            l.licence_type == wanted
                && l.holder.id_number.eq_ignore_ascii_case(holder_id)
                && l.is_usable_on(today)
        })
        .max_by(|a, b| (a.issued_on, a.version).cmp(&(b.issued_on, b.version)))
}

/// The licence types a library look-up needs for `materials` (免证办): those of demanded
/// materials not yet `provided`, each once, in order. Empty means no licence need be read.
pub fn wanted_types(materials: &[Material], provided: impl Fn(&str) -> bool) -> Vec<&str> {
    let mut wanted: Vec<&str> = materials
        .iter()
        .filter(|m| m.is_demanded() && !provided(&m.key))
        .filter_map(|m| m.licence_type.as_deref())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    wanted
}

/// Takes, as materials of `case`, what the applicant's own licences serve (免证办, 已调取): every
/// demanded material of `materials` that names a licence type and is not yet provided is
/// provided by the licence, and the case keeps the licence as it stood on `today` for the
/// reviewer. An expired, revoked, cancelled or replaced licence is not taken.
pub fn take_from_library(
    case: &mut Case,
    materials: &[Material],
    held: &[Licence],
    today: NaiveDate,
) {
    for material in materials.iter().filter(|m| m.is_demanded()) {
        if case.provided_materials.contains(&material.key) {
            continue;
        }
        let Some(licence) = serving_licence(material, &case.applicant.id_number, held, today)
        else {
            continue;
        };
        case.provided_materials.insert(material.key.clone());
        case.taken_licences.push(TakenLicence {
            key: material.key.clone(),
            name: material.name.clone(),
            licence_id: licence.identifier.clone(),
            licence_type: licence.licence_type.clone(),
            number: licence.number.clone(),
            issuer_name: licence.issuer_name.clone(),
            state_at_filing: licence.state_on(today).as_str().to_string(),
            valid_until: licence.valid_until,
        });
    }
}

/// The verdict on a licence looked up by identifier: `found` is the stored licence, if any;
/// `presented_signature_ok` is whether the signature that came with the question (from a QR
/// code) verifies against the stored data, `None` when no signature came.
pub fn verdict(
    found: Option<&Licence>,
    presented_signature_ok: Option<bool>,
    today: NaiveDate,
) -> Verdict {
    let Some(licence) = found else {
        return Verdict::Unknown;
    };
    if presented_signature_ok == Some(false) {
        return Verdict::Forged;
    }
    match licence.state_on(today) {
        LicenceState::Valid => Verdict::Valid,
        LicenceState::Changed => Verdict::Changed,
        LicenceState::Revoked => Verdict::Revoked,
        LicenceState::Expired => Verdict::Expired,
        LicenceState::Cancelled => Verdict::Cancelled,
    }
}

/// What a QR code on a licence carries, and what the verification page takes: the identifier,
/// with the key and the signature when they came from the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationRequest {
    pub identifier: LicenceIdentifier,
    pub signature: Option<LicenceSignature>,
}

/// The address a licence's QR code carries: `{base}/verify?id=…&k=…&s=…`.
pub fn verification_url(base: &str, licence: &Licence) -> String {
    let base = base.trim_end_matches('/');
    match &licence.signature {
        Some(sig) => format!(
            "{base}/verify?id={}&k={}&s={}",
            licence.identifier, sig.key_id, sig.value
        ),
        None => format!("{base}/verify?id={}", licence.identifier),
    }
}

/// The question of a verification asked by its parts (`id`, and `k` and `s` from a QR code), as
/// [`parse_verification`] reads it.
pub fn verification_question(id: &str, key: Option<&str>, signature: Option<&str>) -> String {
    match (key, signature) {
        (None, None) => id.to_string(),
        (k, s) => format!(
            "?id={id}&k={}&s={}",
            k.unwrap_or_default(),
            s.unwrap_or_default()
        ),
    }
}

/// Reads what was typed or scanned: a bare identifier, or a verification address (any host)
/// with `id`, and `k` and `s` together.
pub fn parse_verification(text: &str) -> Result<VerificationRequest, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new("id", "must not be empty"));
    }
    let (id, key, sig) = match text.split_once('?') {
        Some((_, query)) => {
            let mut id = None;
            let mut key = None;
            let mut sig = None;
            for pair in query.split('&') {
                match pair.split_once('=') {
                    Some(("id", v)) => id = Some(v),
                    Some(("k", v)) => key = Some(v),
                    Some(("s", v)) => sig = Some(v),
                    _ => {}
                }
            }
            (
                id.ok_or_else(|| {
                    FieldError::new("id", "the address carries no licence identifier (id=…)")
                })?,
                key,
                sig,
            )
        }
        None => (text, None, None),
    };
    let identifier =
        LicenceIdentifier::parse(id).map_err(|e| FieldError::new("id", e.to_string()))?;
    let signature = match (key, sig) {
        (Some(k), Some(s)) if is_token(k) && is_token(s) => Some(LicenceSignature {
            key_id: k.to_string(),
            value: s.to_string(),
        }),
        (None, None) => None,
        _ => {
            return Err(FieldError::new(
                "s",
                "the address carries a broken signature (k=… and s=… go together, letters, digits, - and _ only)",
            ));
        }
    };
    Ok(VerificationRequest {
        identifier,
        signature,
    })
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_look_up_wants_the_types_of_missing_demanded_materials_once() {
        let material = |key: &str, licence_type: Option<&str>| Material {
            key: key.into(),
            ..material_served_by(licence_type)
        };
        let materials = [
            material("M01", Some("营业执照")),
            material("M02", Some("营业执照")),
            material("M03", None),
            material("M04", Some("食品经营许可证")),
        ];
        assert_eq!(
            wanted_types(&materials, |_| false),
            ["营业执照", "食品经营许可证"]
        );
        assert_eq!(wanted_types(&materials, |k| k != "M04"), ["食品经营许可证"]);
        assert!(wanted_types(&materials, |_| true).is_empty());
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn issuer() -> UnifiedSocialCreditCode {
        UnifiedSocialCreditCode::parse("113302262563045268").expect("valid")
    }

    fn draft() -> LicenceDraft {
        let issuer = issuer();
        LicenceDraft {
            licence_type: "食品经营许可证".into(),
            type_code: next_local_type_code(&issuer, &[]).expect("free"),
            number: "JY33302260001234".into(),
            holder: Holder {
                kind: ApplicantKind::Enterprise,
                name: "宁海县跃龙小吃店".into(),
                id_number: "91330226MA2H0K0L3X".into(),
            },
            issuer_code: issuer,
            issuer_department: "SCJGJ".into(),
            issuer_name: "宁海县市场监督管理局".into(),
            item_code: "113302262563045268400101".into(),
            item_name: "食品经营许可（新办）".into(),
            scope: "热食类食品制售".into(),
            case_number: "330226202612070001".into(),
            valid_years: Some(5),
        }
    }

    fn issued() -> Licence {
        issue(
            draft(),
            &serial_for("330226202612070001", None),
            day(2026, 12, 7),
        )
        .expect("issued")
    }

    #[test]
    fn an_issued_licence_has_a_checked_identifier_of_its_issuer_and_type() {
        let licence = issued();
        let id = LicenceIdentifier::parse(&licence.identifier).expect("parses");
        assert_eq!(id.type_code(), "113302262563045268001");
        assert_eq!(id.issuer_code(), "113302262563045268");
        assert_eq!(id.serial(), "330226202612070001");
        assert_eq!(id.version(), "001");
        assert_eq!(licence.valid_until, Some(day(2031, 12, 6)));
        assert_eq!(licence.state_on(day(2031, 12, 6)), LicenceState::Valid);
        assert_eq!(licence.state_on(day(2031, 12, 7)), LicenceState::Expired);
    }

    #[test]
    fn the_implementing_body_is_read_from_the_item_code() {
        assert_eq!(
            implementing_body("11330226256301130A4010100100100").map(|c| c.to_string()),
            Some("11330226256301130A".into())
        );
        assert_eq!(implementing_body("SC-REG"), None);
        assert_eq!(implementing_body("11330226256301130B4010100100100"), None);
    }

    #[test]
    fn local_type_numbers_count_up_per_definer() {
        let issuer = issuer();
        let taken = vec![
            "113302262563045268001".to_string(),
            "113302262563045268007".to_string(),
            "11100000000013338W032".to_string(),
        ];
        assert_eq!(
            next_local_type_code(&issuer, &taken).as_deref(),
            Some("113302262563045268008")
        );
        let full = vec!["113302262563045268999".to_string()];
        assert_eq!(next_local_type_code(&issuer, &full), None);
    }

    #[test]
    fn a_change_issues_the_next_version_and_retires_the_old() {
        let licence = issued();
        let change = LicenceChange {
            holder_name: Some("宁海县跃龙餐饮有限公司".into()),
            reason: "名称变更".into(),
            ..LicenceChange::default()
        };
        let (old, new) = licence.change(&change, day(2027, 3, 1)).expect("changed");
        assert_eq!(old.state, LicenceState::Changed);
        assert_eq!(old.superseded_by.as_deref(), Some(new.identifier.as_str()));
        assert_eq!(new.version, 2);
        assert_eq!(new.holder.name, "宁海县跃龙餐饮有限公司");
        assert_eq!(new.issued_on, day(2027, 3, 1));
        assert_eq!(new.valid_until, licence.valid_until);
        let id = LicenceIdentifier::parse(&new.identifier).expect("parses");
        assert_eq!(id.version(), "002");
        assert_eq!(id.serial(), "330226202612070001");
        assert_ne!(new.signed_text(), licence.signed_text());
        // The old version can no longer change, be revoked or cancelled.
        assert_eq!(
            old.revoke("x", day(2027, 3, 2)),
            Err(LicenceError::NotValid(LicenceState::Changed))
        );
    }

    #[test]
    fn a_change_must_change_something_and_say_why() {
        let licence = issued();
        let Err(LicenceError::Invalid(errors)) =
            licence.change(&LicenceChange::default(), day(2027, 1, 1))
        else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"reason"), "{fields:?}");
        assert!(fields.contains(&"holder_name"), "{fields:?}");
        let past = LicenceChange {
            valid_until: Some(day(2026, 1, 1)),
            reason: "延续".into(),
            ..LicenceChange::default()
        };
        assert!(matches!(
            licence.change(&past, day(2027, 1, 1)),
            Err(LicenceError::Invalid(_))
        ));
    }

    #[test]
    fn revoked_cancelled_and_expired_licences_end_and_cannot_be_used() {
        let licence = issued();
        let revoked = licence
            .revoke("以欺骗手段取得", day(2027, 1, 1))
            .expect("revoked");
        assert_eq!(revoked.state, LicenceState::Revoked);
        assert!(!revoked.is_usable_on(day(2027, 1, 2)));
        assert_eq!(
            verdict(Some(&revoked), None, day(2027, 1, 2)),
            Verdict::Revoked
        );
        let cancelled = licence
            .cancel("申请人申请注销", day(2027, 1, 1))
            .expect("cancelled");
        assert_eq!(
            verdict(Some(&cancelled), None, day(2027, 1, 2)),
            Verdict::Cancelled
        );
        assert!(matches!(
            licence.revoke("  ", day(2027, 1, 1)),
            Err(LicenceError::Invalid(_))
        ));
        // Past its last day a licence cannot be revoked: it has already ended.
        assert_eq!(
            licence.revoke("x", day(2032, 1, 1)),
            Err(LicenceError::NotValid(LicenceState::Expired))
        );
        assert!(!licence.is_usable_on(day(2032, 1, 1)));
        assert_eq!(
            verdict(Some(&licence), None, day(2032, 1, 1)),
            Verdict::Expired
        );
    }

    #[test]
    fn verdicts() {
        let licence = issued();
        let today = day(2027, 1, 1);
        assert_eq!(verdict(None, None, today), Verdict::Unknown);
        assert_eq!(verdict(None, Some(false), today), Verdict::Unknown);
        assert_eq!(verdict(Some(&licence), None, today), Verdict::Valid);
        assert_eq!(verdict(Some(&licence), Some(true), today), Verdict::Valid);
        assert_eq!(verdict(Some(&licence), Some(false), today), Verdict::Forged);
    }

    #[test]
    fn masked_identity_shows_only_its_ends() {
        let holder = Holder {
            kind: ApplicantKind::Person,
            name: "王小明".into(),
            id_number: "330226199001011234".into(),
        };
        assert_eq!(holder.masked_id(), "3302**********1234");
        assert_eq!(holder.id_type_code(), "111");
    }

    #[test]
    fn the_qr_address_reads_back() {
        let mut licence = issued();
        licence.signature = Some(LicenceSignature {
            key_id: "k-113302262563045268-1".into(),
            value: "abc_DEF-123".into(),
        });
        let url = verification_url("https://zwfw.ninghai.gov.cn/", &licence);
        let parsed = parse_verification(&url).expect("parses");
        assert_eq!(parsed.identifier.as_str(), licence.identifier);
        assert_eq!(parsed.signature, licence.signature);
        let bare = parse_verification(&licence.identifier).expect("bare identifier");
        assert_eq!(bare.signature, None);
    }

    #[test]
    fn a_malformed_question_names_what_is_wrong() {
        assert_eq!(
            parse_verification("  ").map_err(|e| e.field),
            Err("id".into())
        );
        let e = parse_verification("1.2.156.3005.2.X").expect_err("malformed");
        assert_eq!(e.field, "id");
        let licence = issued();
        let e = parse_verification(&format!("http://x/verify?id={}&k=abc", licence.identifier))
            .expect_err("half a signature");
        assert_eq!(e.field, "s");
        let e = parse_verification("http://x/verify?k=a&s=b").expect_err("no id");
        assert_eq!(e.field, "id");
    }

    fn material_served_by(licence_type: Option<&str>) -> Material {
        Material {
            key: "M02".into(),
            name: "营业执照或者其他主体资格证明文件".into(),
            form: crate::catalogue::MaterialForm::Copy,
            copies: 1,
            source: crate::catalogue::MaterialSource::Government,
            licence_type: licence_type.map(str::to_string),
            category: crate::catalogue::MaterialCategory::Ordinary,
            required: true,
            sample: None,
            cancelled: None,
            necessity: Default::default(),
        }
    }

    #[test]
    fn only_the_holders_usable_licence_of_the_named_type_serves_a_material() {
        let licence = issued();
        let holder = licence.holder.id_number.clone();
        let wanted = material_served_by(Some(&licence.licence_type));
        let today = licence.issued_on;
        let held = vec![licence.clone()];
        assert_eq!(
            serving_licence(&wanted, &holder, &held, today).map(|l| &l.identifier),
            Some(&licence.identifier)
        );
        // The holder's identifier is compared without regard to case (an x in an identity number).
        assert!(serving_licence(&wanted, &holder.to_lowercase(), &held, today).is_some());
        assert!(serving_licence(&material_served_by(None), &holder, &held, today).is_none());
        assert!(
            serving_licence(&material_served_by(Some("营业执照")), &holder, &held, today).is_none()
        );
        assert!(serving_licence(&wanted, "91330226MA2DEMH01W", &held, today).is_none());
        let revoked = licence.revoke("以欺骗手段取得", today).expect("revoked");
        assert!(serving_licence(&wanted, &holder, &[revoked], today).is_none());
        let last = licence.valid_until.expect("a limited licence");
        assert!(serving_licence(&wanted, &holder, &held, last).is_some());
        assert!(
            serving_licence(&wanted, &holder, &held, last.succ_opt().expect("a day")).is_none(),
            "an expired licence is not taken"
        );
        // Of a changed licence, the new version serves.
        let change = LicenceChange {
            scope: Some("预包装食品销售".into()),
            reason: "变更经营项目".into(),
            ..LicenceChange::default()
        };
        let (old, new) = licence.change(&change, today).expect("changed");
        assert_eq!(
            serving_licence(&wanted, &holder, &[old, new.clone()], today).map(|l| l.version),
            Some(new.version)
        );
    }

    proptest! {
        #[test]
        fn the_signed_text_has_one_line_per_field_whatever_the_fields_hold(
            scope in "\\PC{0,40}", name in "[\\PC\n\r]{0,20}"
        ) {
            let mut licence = issued();
            licence.scope = scope;
            licence.holder.name = name;
            prop_assert_eq!(licence.signed_text().lines().count(), 18);
        }

        #[test]
        fn every_version_of_a_changed_licence_keeps_a_valid_identifier(changes in 1usize..20) {
            let mut licence = issued();
            for i in 0..changes {
                let change = LicenceChange {
                    scope: Some(format!("范围 {i}")),
                    reason: "变更".into(),
                    ..LicenceChange::default()
                };
                let (_, next) = licence.change(&change, day(2027, 1, 1)).expect("changed");
                prop_assert!(LicenceIdentifier::parse(&next.identifier).is_ok());
                prop_assert_eq!(usize::from(next.version), i + 2);
                licence = next;
            }
        }
    }
}
