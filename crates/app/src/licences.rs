//! Electronic licences (电子证照) in the service: issued in the transaction of the granting
//! case's `issue-result`, signed with the issuing authority's Ed25519 key, rendered as a PDF that
//! carries its own signature, verified without a login, changed, revoked and cancelled by the
//! issuing department, and downloaded by their holder — which is when a case delivered online
//! is delivered.
//!
//! The rules are the domain's (`onewindow_domain::licence`): identifiers, states, the text that
//! is signed, the verdict. Here are the keys, the store and the bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use onewindow_domain::access::{self, Decision, Role};
use onewindow_domain::audit::Outcome;
use onewindow_domain::case::{Case, CaseCommand, Status};
use onewindow_domain::identifiers::LicenceIdentifier;
use onewindow_domain::licence::{
    self, Holder, Licence, LicenceChange, LicenceDraft, LicenceError, LicenceSignature,
    LicenceState, Verdict,
};
use onewindow_report::{LicenceSheet, ReportFont};
use onewindow_store::Conn as AnyConnection;
use onewindow_store::enqueue_outbox;
pub use onewindow_store::licences::PublicKeyRow;
use onewindow_store::licences::{self as licence_rows, StoredLicence};
use onewindow_store::{audit as audit_rows, cases as case_rows, catalogue as catalogue_rows};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::clock::local_date;
use crate::{Actor, AppError, Service};

// ---- keys --------------------------------------------------------------------------------

/// A signing key of one issuing authority, as kept in the data directory.
#[derive(Clone)]
struct KeyEntry {
    key: SigningKey,
    public: PublicKeyRow,
}

/// The file a signing key is kept in (`<data>/licence-keys/<key id>.json`, readable by the
/// service's user only). The secret never leaves the node that made it; the public half is
/// published in the store, so every node verifies what any node signed.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    key_id: String,
    issuer_code: String,
    /// The 32-byte Ed25519 secret, base64url.
    secret: String,
    created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retired_at: Option<String>,
}

/// The issuing authorities' signing keys of this node: one current key per authority, made the
/// first time the authority signs, kept in `dir` (or in memory only, for a service without a
/// data directory: what it signs still verifies, through the published public keys).
pub struct LicenceSigner {
    dir: Option<PathBuf>,
    current: Mutex<HashMap<String, KeyEntry>>,
}

impl std::fmt::Debug for LicenceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenceSigner")
            .field("dir", &self.dir)
            .finish()
    }
}

/// The id of a public key: the first 16 hex characters of its SHA-256.
pub fn key_id_of(public_key: &[u8]) -> String {
    let digest = sha2::Sha256::digest(public_key);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl LicenceSigner {
    /// Keys in memory only.
    pub fn ephemeral() -> Self {
        Self {
            dir: None,
            current: Mutex::new(HashMap::new()),
        }
    }

    /// Keys kept in `dir`: the current (not retired) key of each authority is loaded now.
    pub fn in_dir(dir: &Path) -> Result<Self, AppError> {
        let signer = Self {
            dir: Some(dir.to_path_buf()),
            current: Mutex::new(HashMap::new()),
        };
        for file in signer.key_files()? {
            if file.retired_at.is_some() {
                continue;
            }
            let entry = entry_of(&file)?;
            let mut current = signer.lock();
            let newer = current
                .get(&file.issuer_code)
                .is_none_or(|e| e.public.created_at < entry.public.created_at);
            if newer {
                current.insert(file.issuer_code.clone(), entry);
            }
        }
        Ok(signer)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, KeyEntry>> {
        match self.current.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn key_files(&self) -> Result<Vec<KeyFile>, AppError> {
        let Some(dir) = &self.dir else {
            return Ok(Vec::new());
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(AppError::Internal(format!(
                    "cannot read the licence keys in {}: {e}",
                    dir.display()
                )));
            }
        };
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| AppError::Internal(format!("cannot read {}: {e}", path.display())))?;
            let file: KeyFile = serde_json::from_str(&text).map_err(|e| {
                AppError::Internal(format!("{} is not a licence key file: {e}", path.display()))
            })?;
            files.push(file);
        }
        Ok(files)
    }

    fn write_file(&self, file: &KeyFile) -> Result<(), AppError> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(format!("{}.json", file.key_id));
        let text = serde_json::to_string_pretty(file)
            .map_err(|e| AppError::Internal(format!("cannot write a key file: {e}")))?;
        write_private(&path, text.as_bytes())
            .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", path.display())))
    }

    /// The current key of `issuer`, made now when it has none.
    fn current_key(&self, issuer: &str, now: DateTime<Utc>) -> Result<KeyEntry, AppError> {
        if let Some(entry) = self.lock().get(issuer) {
            return Ok(entry.clone());
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| AppError::Internal(format!("no randomness for a new key: {e}")))?;
        let file = KeyFile {
            key_id: key_id_of(SigningKey::from_bytes(&secret).verifying_key().as_bytes()),
            issuer_code: issuer.to_string(),
            secret: B64.encode(secret),
            created_at: now.to_rfc3339(),
            retired_at: None,
        };
        self.write_file(&file)?;
        let entry = entry_of(&file)?;
        let mut current = self.lock();
        // Another request may have made one meanwhile; the first one stays current.
        Ok(current.entry(issuer.to_string()).or_insert(entry).clone())
    }

    /// Signs `message` with `issuer`'s current key; the public half comes along to be published.
    fn sign(
        &self,
        issuer: &str,
        message: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(LicenceSignature, PublicKeyRow), AppError> {
        let entry = self.current_key(issuer, now)?;
        let signature = entry.key.sign(message);
        Ok((
            LicenceSignature {
                key_id: entry.public.key_id.clone(),
                value: B64.encode(signature.to_bytes()),
            },
            entry.public,
        ))
    }

    /// Retires the current keys (of `issuer`, or of every authority): they sign no more, and a
    /// new key is made at the next signature. Returns the retired key ids.
    fn retire(&self, issuer: Option<&str>, now: DateTime<Utc>) -> Result<Vec<String>, AppError> {
        let mut retired = Vec::new();
        let mut current = self.lock();
        let issuers: Vec<String> = current
            .keys()
            .filter(|i| issuer.is_none_or(|wanted| wanted == i.as_str()))
            .cloned()
            .collect();
        for i in issuers {
            if let Some(entry) = current.remove(&i) {
                retired.push(entry.public.key_id.clone());
            }
        }
        drop(current);
        for mut file in self.key_files()? {
            if retired.contains(&file.key_id) && file.retired_at.is_none() {
                file.retired_at = Some(now.to_rfc3339());
                self.write_file(&file)?;
            }
        }
        Ok(retired)
    }
}

fn entry_of(file: &KeyFile) -> Result<KeyEntry, AppError> {
    let bytes = B64
        .decode(&file.secret)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| {
            AppError::Internal(format!(
                "licence key {} is not a 32-byte secret",
                file.key_id
            ))
        })?;
    let key = SigningKey::from_bytes(&bytes);
    let public = key.verifying_key();
    Ok(KeyEntry {
        public: PublicKeyRow {
            key_id: key_id_of(public.as_bytes()),
            issuer_code: file.issuer_code.clone(),
            public_key: B64.encode(public.as_bytes()),
            created_at: file.created_at.clone(),
            retired_at: file.retired_at.clone(),
        },
        key,
    })
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// Whether `signature` (base64url) is the signature of `message` by `public_key` (base64url).
pub fn signature_verifies(public_key: &str, message: &[u8], signature: &str) -> bool {
    let Some(public) = B64
        .decode(public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    let Some(signature) = B64
        .decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        .map(|b| Signature::from_bytes(&b))
    else {
        return false;
    };
    public.verify_strict(message, &signature).is_ok()
}

// ---- the signed PDF ----------------------------------------------------------------------

/// The comment line a signed licence PDF ends with, after the PDF's own end: the identifier,
/// the key and the Ed25519 signature of every byte before the line followed by the identifier
/// and the key id. PDF readers skip comments; a changed byte anywhere breaks the signature.
const SEAL_TAG: &str = "%onewindow-licence-signature-v1";

fn sealed_message(prefix: &[u8], identifier: &str, key_id: &str) -> Vec<u8> {
    let mut message = prefix.to_vec();
    message.extend_from_slice(format!("\n{identifier} {key_id}").as_bytes());
    message
}

/// Why a PDF is not a genuine licence of this service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfCheckError {
    #[error("this PDF carries no onewindow licence signature: it is not a licence issued here")]
    NotOurs,
    #[error("the licence signature at the end of the PDF is damaged")]
    Malformed,
    #[error("the PDF is signed with key {0}, which is not among the published licence keys")]
    UnknownKey(String),
    #[error(
        "key {key_id} belongs to issuing authority {key_issuer}, but the licence names {licence_issuer}"
    )]
    WrongIssuer {
        key_id: String,
        key_issuer: String,
        licence_issuer: String,
    },
    #[error(
        "the signature does not match the file: the PDF was changed after it was signed, or forged"
    )]
    BadSignature,
}

/// A PDF that passed the offline check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdfCheck {
    pub identifier: String,
    pub key_id: String,
    pub issuer_code: String,
    /// True when the key has been retired since (it still verifies what it signed).
    pub key_retired: bool,
}

/// Appends the signature line to `pdf`.
fn seal_pdf(
    mut pdf: Vec<u8>,
    identifier: &str,
    sign: impl FnOnce(&[u8]) -> Result<LicenceSignature, AppError>,
) -> Result<Vec<u8>, AppError> {
    // `sign` signs the bytes with the identifier and its key id (see `sealed_message`).
    let signature = sign(&pdf)?;
    pdf.extend_from_slice(
        format!(
            "\n{SEAL_TAG} {identifier} {} {}\n%%EOF\n",
            signature.key_id, signature.value
        )
        .as_bytes(),
    );
    Ok(pdf)
}

/// Checks a licence PDF against `keys` (the published public keys), offline.
pub fn check_pdf(bytes: &[u8], keys: &[PublicKeyRow]) -> Result<PdfCheck, PdfCheckError> {
    let tag = format!("\n{SEAL_TAG} ");
    let at = find_last(bytes, tag.as_bytes()).ok_or(PdfCheckError::NotOurs)?;
    let prefix = &bytes[..at];
    let line_start = at + tag.len();
    let rest = &bytes[line_start..];
    let line_end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| PdfCheckError::Malformed)?;
    let mut parts = line.split(' ');
    let (Some(identifier), Some(key_id), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(PdfCheckError::Malformed);
    };
    // Only the PDF's end may follow the signature line.
    let tail = &rest[line_end..];
    if !tail.iter().all(u8::is_ascii_whitespace) && tail.trim_ascii() != b"%%EOF" {
        return Err(PdfCheckError::BadSignature);
    }
    let parsed = LicenceIdentifier::parse(identifier).map_err(|_| PdfCheckError::Malformed)?;
    let key = keys
        .iter()
        .find(|k| k.key_id == key_id)
        .ok_or_else(|| PdfCheckError::UnknownKey(key_id.to_string()))?;
    if key.issuer_code != parsed.issuer_code() {
        return Err(PdfCheckError::WrongIssuer {
            key_id: key_id.to_string(),
            key_issuer: key.issuer_code.clone(),
            licence_issuer: parsed.issuer_code().to_string(),
        });
    }
    if !signature_verifies(
        &key.public_key,
        &sealed_message(prefix, identifier, key_id),
        signature,
    ) {
        return Err(PdfCheckError::BadSignature);
    }
    Ok(PdfCheck {
        identifier: identifier.to_string(),
        key_id: key_id.to_string(),
        issuer_code: key.issuer_code.clone(),
        key_retired: key.retired_at.is_some(),
    })
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack[i..].starts_with(needle))
}

// ---- the font ----------------------------------------------------------------------------

/// The CJK font for licence PDFs, read once (a Noto CJK collection is 20 MB).
pub(crate) fn licence_font() -> Result<&'static ReportFont, AppError> {
    static FONT: OnceLock<Result<ReportFont, String>> = OnceLock::new();
    FONT.get_or_init(|| crate::monthly_report::load_font(None).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::Unavailable(format!("cannot render a licence PDF: {e}")))
}

// ---- issuing -----------------------------------------------------------------------------

/// One licence a case grants: of a single item, or of one approved member of a joint case.
struct Grant {
    item_code: String,
    item_version: u32,
    item_name: String,
    department: String,
    licence_type: String,
    /// The licence number as printed: the result's document number.
    number: String,
    /// The member's place in a joint case (its serial's suffix), `None` for a single item.
    part: Option<u8>,
}

/// What `case` grants: the item's licence type, or each approved member's of a joint case.
fn grants(case: &Case, single_item_licence: Option<String>) -> Vec<Grant> {
    let document = case
        .result_document
        .clone()
        .unwrap_or_else(|| case.number.clone());
    match &case.circulation {
        None => single_item_licence
            .map(|licence_type| Grant {
                item_code: case.item_code.clone(),
                item_version: case.item_version,
                item_name: case.item_name.clone(),
                department: case.department.clone(),
                licence_type,
                number: document.clone(),
                part: None,
            })
            .into_iter()
            .collect(),
        Some(circulation) => circulation
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.status == onewindow_domain::circulation::TaskStatus::Approved)
            .filter_map(|(i, t)| {
                let licence_type = t.spec.result_licence_type.clone()?;
                let part = u8::try_from(i + 1).ok()?;
                Some(Grant {
                    item_code: t.spec.item_code.clone(),
                    item_version: t.spec.item_version,
                    item_name: t.spec.item_name.clone(),
                    department: t.spec.department.clone(),
                    licence_type,
                    number: t
                        .result_document
                        .clone()
                        .unwrap_or_else(|| format!("{document}-{part}")),
                    part: Some(part),
                })
            })
            .collect(),
    }
}

/// The licences a granting case issues when its result is issued: one when its item issues a
/// licence type, or one per approved member of a joint case whose item does; each when the
/// item's code names the implementing body (the issuing authority). Runs inside the transaction
/// of the `issue-result` command.
/// Revokes (撤销) every valid licence the case issued, in the transaction of the case's
/// revocation, audited with the same reason. A case that issued none (not yet issued, or an item
/// without a licence) has nothing to revoke.
pub(crate) async fn revoke_for_case(
    conn: &mut AnyConnection,
    case: &Case,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Licence>, AppError> {
    let today = local_date(now);
    let at = now.to_rfc3339();
    let mut revoked = Vec::new();
    for stored in licence_rows::of_case(&mut *conn, &case.id).await? {
        // One already ended (expired, changed, cancelled) stays as it ended.
        let Ok(ended) = stored.licence.revoke(reason, today) else {
            continue;
        };
        licence_rows::update(&mut *conn, &ended, &at).await?;
        audit_rows::append(
            &mut *conn,
            actor.entry(
                now,
                "licence.revoke",
                format!("licence:{}", ended.identifier),
                Outcome::Success,
                format!("revoked with case {}: {}", case.number, reason.trim()),
            ),
        )
        .await?;
        let message = serde_json::json!({
            "identifier": ended.identifier,
            "action": "revoke",
            "licences": [(&ended.identifier, ended.state)],
        });
        enqueue_outbox(&mut *conn, "licence.changed", &message.to_string(), &at).await?;
        revoked.push(ended);
    }
    Ok(revoked)
}

pub(crate) async fn issue_for_case(
    conn: &mut AnyConnection,
    signer: &LicenceSigner,
    case: &Case,
    now: DateTime<Utc>,
) -> Result<Vec<Licence>, AppError> {
    let approved = case.decision.as_ref().is_some_and(|d| d.approved)
        || case.circulation.as_ref().is_some_and(|c| {
            c.tasks
                .iter()
                .any(|t| t.status == onewindow_domain::circulation::TaskStatus::Approved)
        });
    if case.status != Status::ResultIssued || !approved {
        return Ok(Vec::new());
    }
    if !licence_rows::of_case(&mut *conn, &case.id)
        .await?
        .is_empty()
    {
        return Ok(Vec::new());
    }
    let single_item_licence = if case.circulation.is_none() {
        catalogue_rows::get_item_version(&mut *conn, &case.item_code, case.item_version)
            .await?
            .and_then(|i| i.item.result_licence_type)
    } else {
        None
    };
    let departments = catalogue_rows::list_departments(&mut *conn).await?;
    let at = now.to_rfc3339();
    let today = local_date(now);
    let mut issued = Vec::new();
    for grant in grants(case, single_item_licence) {
        let Some(issuer) = licence::implementing_body(&grant.item_code) else {
            tracing::warn!(
                item = %grant.item_code,
                "no electronic licence: the item's code does not start with its implementing body's credit code"
            );
            continue;
        };
        let valid_years =
            catalogue_rows::get_item_version(&mut *conn, &grant.item_code, grant.item_version)
                .await?
                .and_then(|i| i.item.licence_valid_years);
        let type_code = register_type(conn, &grant.licence_type, &issuer, &at).await?;
        let issuer_name = departments
            .iter()
            .find(|d| d.code == grant.department)
            .map_or_else(|| grant.department.clone(), |d| department_title(&d.name));
        let draft = LicenceDraft {
            licence_type: grant.licence_type,
            type_code,
            number: grant.number,
            holder: Holder {
                kind: case.applicant.kind,
                name: case.applicant.name.clone(),
                id_number: case.applicant.id_number.clone(),
            },
            issuer_code: issuer,
            issuer_department: grant.department,
            issuer_name,
            item_code: grant.item_code,
            item_name: grant.item_name.clone(),
            scope: grant.item_name,
            case_number: case.number.clone(),
            valid_years,
        };
        let mut licence =
            licence::issue(draft, &licence::serial_for(&case.number, grant.part), today)
                .map_err(licence_error)?;
        sign_licence(conn, signer, &mut licence, now).await?;
        licence_rows::insert(&mut *conn, &licence, &case.id, &at).await?;
        issued.push(licence);
    }
    Ok(issued)
}

/// The county's name on a department: 市场监督管理局 is printed 宁海县市场监督管理局.
pub(crate) fn department_title(name: &str) -> String {
    if name.starts_with("宁海县") {
        name.to_string()
    } else {
        format!("宁海县{name}")
    }
}

/// The type code of `name`, defined by `issuer` now when the register does not know it yet.
async fn register_type(
    conn: &mut AnyConnection,
    name: &str,
    issuer: &onewindow_domain::identifiers::UnifiedSocialCreditCode,
    at: &str,
) -> Result<String, AppError> {
    if let Some(code) = licence_rows::type_code(&mut *conn, name).await? {
        return Ok(code);
    }
    let taken = licence_rows::type_codes_of(&mut *conn, issuer.as_str()).await?;
    let code = licence::next_local_type_code(issuer, &taken).ok_or_else(|| {
        AppError::Conflict(format!(
            "issuing authority {issuer} has defined 999 licence types; no type number is free for {name}"
        ))
    })?;
    if licence_rows::insert_type(&mut *conn, name, &code, at).await? {
        Ok(code)
    } else {
        licence_rows::type_code(&mut *conn, name)
            .await?
            .ok_or_else(|| AppError::Internal(format!("licence type {name} vanished")))
    }
}

async fn sign_licence(
    conn: &mut AnyConnection,
    signer: &LicenceSigner,
    licence: &mut Licence,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (signature, public) =
        signer.sign(&licence.issuer_code, licence.signed_text().as_bytes(), now)?;
    licence_rows::publish_key(&mut *conn, &public).await?;
    licence.signature = Some(signature);
    Ok(())
}

fn licence_error(e: LicenceError) -> AppError {
    match e {
        LicenceError::Invalid(errors) => AppError::Invalid(errors),
        LicenceError::NotValid(state) => AppError::NotAllowed {
            message: e.to_string(),
            status: state.as_str().to_string(),
            allowed: Vec::new(),
        },
        LicenceError::Identifier(e) => AppError::Internal(format!("licence identifier: {e}")),
    }
}

// ---- reading -----------------------------------------------------------------------------

/// A licence as its reader sees it: the record, its state today, the case it came from.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicenceView {
    #[serde(flatten)]
    pub licence: Licence,
    /// The state on the service's today (a valid licence past its last day is expired).
    pub current_state: LicenceState,
}

impl LicenceView {
    fn of(licence: Licence, today: NaiveDate) -> Self {
        Self {
            current_state: licence.state_on(today),
            licence,
        }
    }
}

/// What the public verification answers (证照核验): the verdict and only what is printed on the
/// licence, the holder's identity number masked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerificationAnswer {
    pub verdict: Verdict,
    pub identifier: String,
    /// True when a signature came with the question (a scanned QR code) and was checked.
    pub signature_checked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licence: Option<PublicLicence>,
}

/// The printed face of a licence, for anyone.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicLicence {
    pub licence_type: String,
    pub number: String,
    pub holder_name: String,
    pub holder_id_masked: String,
    pub issuer_name: String,
    pub scope: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub issued_on: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_until: Option<NaiveDate>,
    pub version: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_changed_on: Option<NaiveDate>,
}

impl PublicLicence {
    fn of(licence: &Licence) -> Self {
        Self {
            licence_type: licence.licence_type.clone(),
            number: licence.number.clone(),
            holder_name: licence.holder.name.clone(),
            holder_id_masked: licence.holder.masked_id(),
            issuer_name: licence.issuer_name.clone(),
            scope: licence.scope.clone(),
            issued_on: licence.issued_on,
            valid_from: licence.valid_from,
            valid_until: licence.valid_until,
            version: licence.version,
            superseded_by: licence.superseded_by.clone(),
            state_changed_on: licence.state_changed_on,
        }
    }
}

/// A licence PDF ready to send.
#[derive(Debug, Clone)]
pub struct LicencePdf {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

/// What the issuing department does to a valid licence.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LicenceAmendment {
    /// 变更: a new version with the changed fields.
    Change(LicenceChange),
    /// 撤销
    Revoke { reason: String },
    /// 注销
    Cancel { reason: String },
}

impl LicenceAmendment {
    fn name(&self) -> &'static str {
        match self {
            LicenceAmendment::Change(_) => "change",
            LicenceAmendment::Revoke { .. } => "revoke",
            LicenceAmendment::Cancel { .. } => "cancel",
        }
    }
}

/// Words printed on a licence, in the reader's language.
#[derive(Debug, Clone)]
pub struct LicenceWords {
    pub lang: String,
    pub subtitle: String,
    pub number: String,
    pub holder: String,
    pub holder_id: String,
    pub scope: String,
    pub issuer: String,
    pub valid: String,
    /// `{from}` to `{until}`.
    pub valid_range: String,
    pub valid_unlimited: String,
    pub case: String,
    pub seal: String,
    pub issued_line: String,
    pub qr_caption: String,
    pub identifier: String,
    pub key: String,
    /// The watermark sentence of trust level A, with `{issuer}`.
    pub watermark: String,
}

impl LicenceWords {
    /// The words of a licence as the county prints it, in Chinese.
    pub fn chinese() -> Self {
        Self {
            lang: "zh-CN".into(),
            subtitle: "电子证照".into(),
            number: "证照编号".into(),
            holder: "持证主体".into(),
            holder_id: "主体代码".into(),
            scope: "许可事项".into(),
            issuer: "颁发机构".into(),
            valid: "有效期限".into(),
            valid_range: "{from} 至 {until}".into(),
            valid_unlimited: "{from} 起长期有效".into(),
            case: "办件编号".into(),
            seal: "电子证照专用章".into(),
            issued_line: "{date}".into(),
            qr_caption: "扫码核验真伪与状态".into(),
            identifier: "电子证照标识".into(),
            key: "签名密钥".into(),
            watermark:
                "此件由{issuer}签发，经数字签名；核验地址见二维码。打印件与电子件具有同等效力。"
                    .into(),
        }
    }
}

fn date_zh(d: NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

/// The printed sheet of `licence`; `verify_base` is the public address of this service.
pub fn licence_sheet(licence: &Licence, words: &LicenceWords, verify_base: &str) -> LicenceSheet {
    let valid = match licence.valid_until {
        Some(until) => words
            .valid_range
            .replace("{from}", &date_zh(licence.valid_from))
            .replace("{until}", &date_zh(until)),
        None => words
            .valid_unlimited
            .replace("{from}", &date_zh(licence.valid_from)),
    };
    let key = licence
        .signature
        .as_ref()
        .map(|s| s.key_id.clone())
        .unwrap_or_default();
    LicenceSheet {
        lang: words.lang.clone(),
        title: licence.licence_type.clone(),
        subtitle: words.subtitle.clone(),
        fields: vec![
            (words.number.clone(), licence.number.clone()),
            (words.holder.clone(), licence.holder.name.clone()),
            (words.holder_id.clone(), licence.holder.id_number.clone()),
            (words.scope.clone(), licence.scope.clone()),
            (words.valid.clone(), valid),
            (words.issuer.clone(), licence.issuer_name.clone()),
            (words.case.clone(), licence.case_number.clone()),
        ],
        issuer: licence.issuer_name.clone(),
        seal_text: words.seal.clone(),
        issued_line: words
            .issued_line
            .replace("{date}", &date_zh(licence.issued_on)),
        qr_payload: licence::verification_url(verify_base, licence),
        qr_caption: words.qr_caption.clone(),
        footer: vec![
            format!("{}：{}", words.identifier, licence.identifier),
            format!("{}：{key}", words.key),
            words.watermark.replace("{issuer}", &licence.issuer_name),
        ],
    }
}

/// Renders `licence` as a signed PDF.
fn render_pdf(
    signer: &LicenceSigner,
    licence: &Licence,
    words: &LicenceWords,
    verify_base: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, AppError> {
    let font = licence_font()?;
    let sheet = licence_sheet(licence, words, verify_base);
    let pdf = onewindow_report::render_licence(&sheet, font)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    seal_pdf(pdf, &licence.identifier, |prefix| {
        // The key that signs the file is the issuer's current key; it is published already
        // when it signed the licence, or at the latest with the download's transaction.
        let entry = signer.current_key(&licence.issuer_code, now)?;
        let message = sealed_message(prefix, &licence.identifier, &entry.public.key_id);
        Ok(LicenceSignature {
            key_id: entry.public.key_id.clone(),
            value: B64.encode(entry.key.sign(&message).to_bytes()),
        })
    })
}

impl Service {
    pub(crate) fn licence_signer(&self) -> &Arc<LicenceSigner> {
        &self.inner.licences
    }

    /// A licence by identifier, for a reader the policy allows; anyone else is told it does not
    /// exist (the public verification answers them).
    pub async fn licence(&self, actor: &Actor, identifier: &str) -> Result<LicenceView, AppError> {
        let stored = self.readable_licence(actor, identifier).await?;
        Ok(LicenceView::of(stored.licence, self.today()))
    }

    async fn readable_licence(
        &self,
        actor: &Actor,
        identifier: &str,
    ) -> Result<StoredLicence, AppError> {
        let readers = self.store().readers();
        let not_found = || AppError::not_found(format!("licence {identifier}"));
        let stored = licence_rows::get(readers, identifier.trim())
            .await?
            .ok_or_else(not_found)?;
        let case = case_rows::load(readers, &stored.case_id).await?;
        let filed_by = case.as_ref().and_then(|c| c.filed_by.as_deref());
        match access::decide_licence_read(
            &actor.principal,
            &stored.licence.holder.id_number,
            &stored.licence.issuer_department,
            filed_by,
        ) {
            Decision::Allow => Ok(stored),
            _ => {
                self.audit_denied(
                    actor,
                    "licence.read",
                    format!("licence:{identifier}"),
                    "not the holder, the filer, the issuing department or a supervisor",
                )
                .await?;
                Err(not_found())
            }
        }
    }

    /// The holder's licence library (我的证照): every licence of the identity the account stands
    /// for, the newest first. Empty for an account that stands for no identity.
    pub async fn my_licences(&self, actor: &Actor) -> Result<Vec<LicenceView>, AppError> {
        let Some(identity) = actor
            .principal
            .identity
            .as_deref()
            .filter(|_| actor.principal.has_role(Role::Applicant))
        else {
            return Ok(Vec::new());
        };
        let today = self.today();
        Ok(licence_rows::of_holder(self.store().readers(), identity)
            .await?
            .into_iter()
            .map(|s| LicenceView::of(s.licence, today))
            .collect())
    }

    /// Which of `materials` the actor's own valid licences serve today (免证办), by material
    /// key: what the apply form shows as 已调取 and does not ask to upload. The same rule takes
    /// them at filing ([`onewindow_domain::licence::take_from_library`]). Empty for anyone but an
    /// applicant with an identity: an agent does not learn whether someone holds a licence.
    pub async fn licences_serving(
        &self,
        actor: &Actor,
        materials: &[onewindow_domain::catalogue::Material],
    ) -> Result<Vec<(String, LicenceView)>, AppError> {
        let Some(identity) = actor
            .principal
            .identity
            .as_deref()
            .filter(|_| actor.principal.has_role(Role::Applicant))
        else {
            return Ok(Vec::new());
        };
        let wanted = onewindow_domain::licence::wanted_types(materials, |_| false);
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let today = self.today();
        let mut conn = self.store().reader().await?;
        let held: Vec<Licence> = licence_rows::usable_of_holder(
            &mut conn,
            identity,
            &wanted,
            today,
            crate::clock::local_day_start,
        )
        .await?
        .into_iter()
        .map(|s| s.licence)
        .collect();
        Ok(materials
            .iter()
            .filter(|m| m.is_demanded())
            .filter_map(|m| {
                onewindow_domain::licence::serving_licence(m, identity, &held, today)
                    .map(|l| (m.key.clone(), LicenceView::of(l.clone(), today)))
            })
            .collect())
    }

    /// The licences a case issued, for someone who may read the case.
    pub async fn case_licences(
        &self,
        actor: &Actor,
        case_ref: &str,
    ) -> Result<Vec<LicenceView>, AppError> {
        let detail = self.case(actor, case_ref).await?;
        let today = self.today();
        let mut views: Vec<LicenceView> =
            licence_rows::of_case(self.store().readers(), &detail.case.id)
                .await?
                .into_iter()
                .map(|s| LicenceView::of(s.licence, today))
                .collect();
        // A department of a joint case sees the licences of its own tasks only (the others'
        // are theirs to show), by the one disclosure rule.
        let disclosure =
            onewindow_domain::disclosure::Disclosure::of(&actor.principal, &detail.case);
        views.retain(|v| disclosure.sees_department(&v.licence.issuer_department));
        for view in &mut views {
            // The same masking as the case's applicant.
            view.licence.holder.id_number = detail.case.applicant.id_number.clone();
        }
        Ok(views)
    }

    /// The signed PDF of a licence. The holder's (or the filer's) first download of the result of
    /// a case waiting for delivery delivers it (网上下载), in the same transaction that records
    /// the download.
    pub async fn licence_pdf(
        &self,
        actor: &Actor,
        identifier: &str,
        words: &LicenceWords,
        verify_base: &str,
    ) -> Result<LicencePdf, AppError> {
        let stored = self.readable_licence(actor, identifier).await?;
        let now = self.now();
        let bytes = render_pdf(
            self.licence_signer(),
            &stored.licence,
            words,
            verify_base,
            now,
        )?;
        self.record_download(
            actor,
            &stored.case_id,
            &stored.licence.identifier,
            Some(&stored.licence.issuer_code),
            now,
        )
        .await?;
        Ok(LicencePdf {
            bytes,
            file_name: format!(
                "{}-{}.pdf",
                stored.licence.case_number, stored.licence.version
            ),
        })
    }

    /// Records a download of a case's result (`what`: a licence's identifier, or
    /// `decision:<document number>`); the holder's or filer's first download of a result
    /// waiting for delivery delivers the case (网上下载). `signed_by` is the issuer whose key
    /// signed the file, published with the download.
    pub(crate) async fn record_download(
        &self,
        actor: &Actor,
        case_id: &str,
        what: &str,
        signed_by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let actor = actor.clone();
        let case_id = case_id.to_string();
        let identifier = what.to_string();
        let issuer = signed_by.map(str::to_string);
        let signer = self.licence_signer().clone();
        let calendar = self.calendar();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let at = now.to_rfc3339();
                    // The key that signed the file is published with the download.
                    if let Some(issuer) = &issuer {
                        let entry = signer.current_key(issuer, now)?;
                        licence_rows::publish_key(&mut *conn, &entry.public).await?;
                    }
                    licence_rows::record_download(
                        &mut *conn,
                        &case_id,
                        &identifier,
                        actor.username(),
                        &at,
                    )
                    .await?;
                    let Some(case) = case_rows::load(&mut *conn, &case_id).await? else {
                        return Ok(());
                    };
                    let receiver = case.filed_by.as_deref()
                        == Some(actor.principal.user_id.as_str())
                        || (actor.principal.has_role(Role::Applicant)
                            && actor.principal.identity.as_deref().is_some_and(|i| {
                                i.eq_ignore_ascii_case(&case.applicant.id_number)
                            }));
                    if !receiver || case.status != Status::ResultIssued {
                        return Ok(());
                    }
                    crate::case_sync::run_own_command(
                        &mut *conn,
                        &case,
                        &CaseCommand::RecordDownload,
                        &actor,
                        (now, &calendar),
                        (
                            "case.deliver",
                            format!("delivered online: first download of {identifier}"),
                        ),
                    )
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    /// The public verification (证照核验), for anyone without a login: `question` is an
    /// identifier or a scanned QR address.
    pub async fn verify_licence(&self, question: &str) -> Result<VerificationAnswer, AppError> {
        let request =
            licence::parse_verification(question).map_err(|e| AppError::Invalid(vec![e]))?;
        let readers = self.store().readers();
        let identifier = request.identifier.to_string();
        let stored = licence_rows::get(readers, &identifier).await?;
        let presented_ok = match (&request.signature, &stored) {
            (Some(signature), Some(stored)) => {
                let key = licence_rows::key(readers, &signature.key_id).await?;
                Some(key.is_some_and(|key| {
                    key.issuer_code == stored.licence.issuer_code
                        && signature_verifies(
                            &key.public_key,
                            stored.licence.signed_text().as_bytes(),
                            &signature.value,
                        )
                }))
            }
            _ => None,
        };
        let verdict = licence::verdict(
            stored.as_ref().map(|s| &s.licence),
            presented_ok,
            self.today(),
        );
        Ok(VerificationAnswer {
            verdict,
            identifier,
            signature_checked: presented_ok.is_some(),
            licence: stored
                .filter(|_| verdict != Verdict::Forged)
                .map(|s| PublicLicence::of(&s.licence)),
        })
    }

    /// Every published public key, for verifying licence PDFs offline.
    pub async fn licence_public_keys(&self) -> Result<Vec<PublicKeyRow>, AppError> {
        Ok(licence_rows::keys(self.store().readers()).await?)
    }

    /// Retires this node's current signing keys (of one issuing authority, or all): the next
    /// licence is signed with a new key; the old public keys keep verifying.
    pub async fn rotate_licence_keys(
        &self,
        actor: &Actor,
        issuer: Option<&str>,
    ) -> Result<Vec<String>, AppError> {
        if !actor.principal.has_role(Role::Administrator) {
            return Err(AppError::Forbidden(
                "only an administrator rotates licence keys".into(),
            ));
        }
        let now = self.now();
        let retired = self.licence_signer().retire(issuer, now)?;
        let actor = actor.clone();
        let ids = retired.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let at = now.to_rfc3339();
                    for id in &ids {
                        licence_rows::retire_key(&mut *conn, id, &at).await?;
                        audit_rows::append(
                            &mut *conn,
                            actor.entry(
                                now,
                                "licence.rotate-key",
                                format!("licence-key:{id}"),
                                Outcome::Success,
                                "retired; it still verifies what it signed",
                            ),
                        )
                        .await?;
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(retired)
    }

    /// Changes (变更), revokes (撤销) or cancels (注销) a valid licence, by the issuing
    /// department's approver. A change issues and signs the next version.
    pub async fn amend_licence(
        &self,
        actor: &Actor,
        identifier: &str,
        amendment: LicenceAmendment,
    ) -> Result<Vec<LicenceView>, AppError> {
        let now = self.now();
        let today = local_date(now);
        let owned = actor.clone();
        let identifier_owned = identifier.trim().to_string();
        let signer = self.licence_signer().clone();
        let action = format!("licence.{}", amendment.name());
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let actor = owned;
                    let identifier = identifier_owned;
                    let stored = licence_rows::get(&mut *conn, &identifier)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("licence {identifier}")))?;
                    match access::decide_licence_amend(
                        &actor.principal,
                        &stored.licence.issuer_department,
                    ) {
                        Decision::Allow => {}
                        Decision::Refuse(reason) => {
                            return Err(AppError::Refused {
                                status: crate::error::RefusalKind::Forbidden,
                                reason,
                                target: format!("licence:{identifier}"),
                            });
                        }
                        Decision::Hide => {
                            return Err(AppError::Refused {
                                status: crate::error::RefusalKind::Hidden,
                                reason: "not the issuing department's approver".into(),
                                target: format!("licence:{identifier}"),
                            });
                        }
                    }
                    let at = now.to_rfc3339();
                    let (written, detail) = match &amendment {
                        LicenceAmendment::Change(change) => {
                            let (old, mut new) =
                                stored.licence.change(change, today).map_err(licence_error)?;
                            sign_licence(&mut *conn, &signer, &mut new, now).await?;
                            licence_rows::update(&mut *conn, &old, &at).await?;
                            licence_rows::insert(&mut *conn, &new, &stored.case_id, &at).await?;
                            let detail = format!("version {} issued: {}", new.version, change.reason);
                            (vec![old, new], detail)
                        }
                        LicenceAmendment::Revoke { reason } => {
                            let ended = stored.licence.revoke(reason, today).map_err(licence_error)?;
                            licence_rows::update(&mut *conn, &ended, &at).await?;
                            (vec![ended], format!("revoked: {}", reason.trim()))
                        }
                        LicenceAmendment::Cancel { reason } => {
                            let ended = stored.licence.cancel(reason, today).map_err(licence_error)?;
                            licence_rows::update(&mut *conn, &ended, &at).await?;
                            (vec![ended], format!("cancelled: {}", reason.trim()))
                        }
                    };
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            &format!("licence.{}", amendment.name()),
                            format!("licence:{identifier}"),
                            Outcome::Success,
                            detail,
                        ),
                    )
                    .await?;
                    let message = serde_json::json!({
                        "identifier": identifier,
                        "action": amendment.name(),
                        "licences": written.iter().map(|l| (&l.identifier, l.state)).collect::<Vec<_>>(),
                    });
                    enqueue_outbox(&mut *conn, "licence.changed", &message.to_string(), &at)
                        .await?;
                    Ok(written)
                })
            })
            .await;
        let written = self
            .audit_refusal_of(actor, &action, &format!("licence {identifier}"), result)
            .await?;
        Ok(written
            .into_iter()
            .map(|l| LicenceView::of(l, today))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of(signer: &LicenceSigner, issuer: &str) -> Vec<PublicKeyRow> {
        vec![
            signer
                .current_key(issuer, Utc::now())
                .expect("a key")
                .public,
        ]
    }

    const ID: &str = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F";

    fn signed_pdf(signer: &LicenceSigner, body: &[u8]) -> Vec<u8> {
        seal_pdf(body.to_vec(), ID, |prefix| {
            let entry = signer.current_key("11220000013544541J", Utc::now())?;
            let message = sealed_message(prefix, ID, &entry.public.key_id);
            Ok(LicenceSignature {
                key_id: entry.public.key_id.clone(),
                value: B64.encode(entry.key.sign(&message).to_bytes()),
            })
        })
        .expect("sealed")
    }

    #[test]
    fn a_sealed_pdf_verifies_and_any_changed_byte_breaks_it() {
        let signer = LicenceSigner::ephemeral();
        let keys = keys_of(&signer, "11220000013544541J");
        let body = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer\n%%EOF".to_vec();
        let pdf = signed_pdf(&signer, &body);
        let check = check_pdf(&pdf, &keys).expect("verifies");
        assert_eq!(check.identifier, ID);
        assert_eq!(check.issuer_code, "11220000013544541J");
        for i in [0, 5, body.len() - 1] {
            let mut forged = pdf.clone();
            forged[i] ^= 0x01;
            assert_eq!(check_pdf(&forged, &keys), Err(PdfCheckError::BadSignature));
        }
        // Appended bytes after the signature are refused too.
        let mut appended = pdf.clone();
        appended.extend_from_slice(b"1 0 obj (evil) endobj\n");
        assert!(check_pdf(&appended, &keys).is_err());
        assert_eq!(check_pdf(&body, &keys), Err(PdfCheckError::NotOurs));
        let other = LicenceSigner::ephemeral();
        assert!(matches!(
            check_pdf(&pdf, &keys_of(&other, "11220000013544541J")),
            Err(PdfCheckError::UnknownKey(_))
        ));
    }

    #[test]
    fn keys_persist_in_the_directory_and_rotate() {
        let dir = std::env::temp_dir().join(format!("ow-keys-{}", uuid::Uuid::now_v7()));
        let signer = LicenceSigner::in_dir(&dir).expect("dir");
        let first = signer
            .current_key("11220000013544541J", Utc::now())
            .expect("made");
        let again = LicenceSigner::in_dir(&dir).expect("reloaded");
        let reloaded = again
            .current_key("11220000013544541J", Utc::now())
            .expect("loaded");
        assert_eq!(first.public.key_id, reloaded.public.key_id);
        let retired = again.retire(None, Utc::now()).expect("retired");
        assert_eq!(retired, vec![first.public.key_id.clone()]);
        let third = LicenceSigner::in_dir(&dir).expect("reloaded");
        let next = third
            .current_key("11220000013544541J", Utc::now())
            .expect("new");
        assert_ne!(next.public.key_id, first.public.key_id);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_signature_verifies_only_its_message_and_key() {
        let signer = LicenceSigner::ephemeral();
        let (sig, public) = signer
            .sign("11220000013544541J", b"hello", Utc::now())
            .expect("signed");
        assert!(signature_verifies(&public.public_key, b"hello", &sig.value));
        assert!(!signature_verifies(
            &public.public_key,
            b"hellO",
            &sig.value
        ));
        assert!(!signature_verifies(
            &public.public_key,
            b"hello",
            "not-base64!"
        ));
        assert!(!signature_verifies("short", b"hello", &sig.value));
    }
}
