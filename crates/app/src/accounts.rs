//! Accounts, logins, sessions, API tokens and the audit trail: who is acting, proven, and written
//! down. Every change here writes its audit record in the same transaction as the change.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use onewindow_domain::access::{self, Operation, Post, Principal, Role, mask};
use onewindow_domain::audit::{AuditEntry, AuditRecord, ChainBreak, Outcome};
use onewindow_domain::identifiers::{ResidentIdNumber, UnifiedSocialCreditCode};
use onewindow_domain::login;
use onewindow_domain::validation::FieldError;
pub use onewindow_store::accounts::SessionKind;
use onewindow_store::accounts::{self as account_rows, SessionRecord, UserRecord};
use onewindow_store::audit::{self as audit_rows, AuditFilter};
use onewindow_store::catalogue as catalogue_rows;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::service::{Page, Service};

/// How long a login session lasts: a working day with overtime, then log in again.
pub const SESSION_HOURS: i64 = 12;
/// The default life of an API token.
pub const API_TOKEN_DEFAULT_DAYS: u32 = 90;
pub const MIN_PASSWORD_CHARS: usize = 10;

pub use crate::actor::Actor;

/// An account as shown to administrators: identity and phone masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub identity: Option<String>,
    pub phone: Option<String>,
    /// Where the account's alerts are mailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub posts: Vec<Post>,
    pub may_reveal_personal_data: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        Self {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            identity: u.identity.as_deref().map(mask),
            phone: u.phone.as_deref().map(mask),
            email: u.email.clone(),
            posts: u.posts.clone(),
            may_reveal_personal_data: u.may_reveal,
            disabled: u.disabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A new account as an administrator describes it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    pub posts: Vec<Post>,
    #[serde(default)]
    pub may_reveal_personal_data: bool,
}

/// What a successful login hands back. The token is the secret: the cookie for pages, the
/// bearer token for API clients.
#[derive(Debug, Clone)]
pub struct LoginGrant {
    pub token: String,
    pub csrf_token: String,
    pub session_id: String,
    pub expires_at: DateTime<Utc>,
    pub principal: Principal,
}

/// How a request proved who it is.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    pub kind: SessionKind,
    /// The session's CSRF token; state-changing requests made with the cookie must echo it.
    pub csrf_token: String,
}

/// An API token as listed to its owner (never the secret).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&SessionRecord> for TokenView {
    fn from(s: &SessionRecord) -> Self {
        Self {
            id: s.id.clone(),
            name: s.name.clone(),
            created_at: s.created_at,
            expires_at: s.expires_at,
            revoked_at: s.revoked_at,
        }
    }
}

/// The audit search as a supervisor asks it.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// The answer of a full walk of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub checked: u64,
    pub head_seq: u64,
    pub head_hash: String,
    pub broken: Option<ChainBreak>,
}

const UNAUTHENTICATED: &str = "log in first: this needs a session cookie or a bearer token";
const WRONG_CREDENTIALS: &str = "the user name or the password is wrong";

fn random_hex(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The SHA-256 of a token: what the store keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_token() -> Result<String, AppError> {
    Ok(format!("ow_{}", random_hex(32)?))
}

/// Work for the password thread.
enum PasswordWork {
    Hash(String, tokio::sync::oneshot::Sender<Result<String, String>>),
    Verify(String, Option<String>, tokio::sync::oneshot::Sender<bool>),
}

/// All password hashing runs on one long-lived thread with one argon2 work area (7 MiB, see
/// [`hash_params`]) allocated once and reused. Letting argon2 allocate per hash made the
/// allocator keep every freed work area: a node grew by 19 MiB per login to hundreds of MiB.
/// One thread also caps the CPU a burst of logins (or of guesses) can take from case work.
fn password_thread() -> Option<&'static std::sync::mpsc::Sender<PasswordWork>> {
    static SENDER: OnceLock<Option<std::sync::mpsc::Sender<PasswordWork>>> = OnceLock::new();
    SENDER
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<PasswordWork>();
            std::thread::Builder::new()
                .name("onewindow-passwords".into())
                .spawn(move || {
                    let mut hasher = PasswordHasherState::new();
                    let decoy = hasher
                        .hash(b"decoy password for unknown user names")
                        .unwrap_or_default();
                    for work in rx {
                        match work {
                            PasswordWork::Hash(password, reply) => {
                                let _ = reply.send(hasher.hash(password.as_bytes()));
                            }
                            PasswordWork::Verify(password, hash, reply) => {
                                // Unknown user names are checked against a decoy so that they
                                // take as long as known ones.
                                let hash = hash.as_deref().unwrap_or(decoy.as_str());
                                let _ = reply.send(hasher.verify(password.as_bytes(), hash));
                            }
                        }
                    }
                })
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

/// argon2id at 7 MiB, 5 passes, 1 lane: one of the configurations OWASP's password storage
/// cheat sheet lists as equal in strength to 19 MiB and 2 passes (the crate's default, used
/// before issue 19), for about the same time, with a third of the memory. The node keeps one work
/// area of that size for its whole life; 19 MiB of it was a third of the server's resident
/// memory.
fn hash_params() -> argon2::Params {
    argon2::Params::new(7 * 1024, 5, 1, None).unwrap_or_default()
}

/// Whether a stored hash was made with other parameters than [`hash_params`] (an account hashed
/// before issue 19, at 19 MiB and 2 passes): a login that verifies it stores the password again
/// with today's, so that the account costs what the decoy of an unknown name costs (no timing
/// tells the two apart) and its check needs no larger work area.
fn needs_rehash(hash: &str) -> bool {
    use argon2::password_hash::phc::PasswordHash;
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let current = hash_params();
    let same_params = argon2::Params::try_from(&parsed).is_ok_and(|p| {
        p.m_cost() == current.m_cost()
            && p.t_cost() == current.t_cost()
            && p.p_cost() == current.p_cost()
    });
    !same_params
        || parsed.algorithm != argon2::Algorithm::Argon2id.ident()
        || parsed.version != Some(argon2::Version::V0x13.into())
}

/// argon2id ([`hash_params`]) with a reused work area.
struct PasswordHasherState {
    memory: Vec<argon2::Block>,
}

impl PasswordHasherState {
    fn new() -> Self {
        Self {
            memory: vec![argon2::Block::new(); hash_params().block_count()],
        }
    }

    /// Runs `hash` over a work area for `params`: the kept one, or for a hash made with larger
    /// parameters (an account hashed before issue 19) one of its own, freed after, so that
    /// the node does not keep the larger size for the rest of its life.
    fn with_work_area<T>(
        &mut self,
        params: &argon2::Params,
        hash: impl FnOnce(&mut [argon2::Block]) -> T,
    ) -> T {
        let blocks = params.block_count();
        if blocks <= self.memory.len() {
            hash(&mut self.memory[..blocks])
        } else {
            hash(&mut vec![argon2::Block::new(); blocks])
        }
    }

    /// A PHC string `$argon2id$v=19$m=7168,t=5,p=1$<salt>$<hash>`.
    fn hash(&mut self, password: &[u8]) -> Result<String, String> {
        use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
        let params = hash_params();
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
        let mut out = [0u8; 32];
        let argon2 = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params.clone(),
        );
        self.with_work_area(&params, |memory| {
            argon2.hash_password_into_with_memory(password, &salt, &mut out, memory)
        })
        .map_err(|e| e.to_string())?;
        let phc = PasswordHash {
            algorithm: argon2::Algorithm::Argon2id.ident(),
            version: Some(argon2::Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
            salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
            hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
        };
        Ok(phc.to_string())
    }

    fn verify(&mut self, password: &[u8], hash: &str) -> bool {
        use argon2::password_hash::phc::{Output, PasswordHash};
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return false;
        };
        let Ok(params) = argon2::Params::try_from(&parsed) else {
            return false;
        };
        let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm.as_str()) else {
            return false;
        };
        let version = match parsed.version.map(argon2::Version::try_from).transpose() {
            Ok(v) => v.unwrap_or_default(),
            Err(_) => return false,
        };
        let mut out = vec![0u8; expected.len()];
        let argon2 = Argon2::new(algorithm, version, params.clone());
        if self
            .with_work_area(&params, |memory| {
                argon2.hash_password_into_with_memory(password, salt, &mut out, memory)
            })
            .is_err()
        {
            return false;
        }
        // `Output`'s equality is constant-time.
        Output::new(&out).is_ok_and(|computed| &computed == expected)
    }
}

async fn hash_password(password: String) -> Result<String, AppError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    password_thread()
        .ok_or_else(|| AppError::Internal("the password thread did not start".into()))?
        .send(PasswordWork::Hash(password, reply))
        .map_err(|_| AppError::Internal("the password thread has stopped".into()))?;
    answer
        .await
        .map_err(|_| AppError::Internal("the password thread has stopped".into()))?
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

async fn password_matches(password: String, hash: Option<String>) -> bool {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let Some(thread) = password_thread() else {
        return false;
    };
    if thread
        .send(PasswordWork::Verify(password, hash, reply))
        .is_err()
    {
        return false;
    }
    answer.await.unwrap_or(false)
}

fn normalise_username(username: &str) -> String {
    username.trim().to_lowercase()
}

fn check_username(username: &str, errors: &mut Vec<FieldError>) {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    let len = username.chars().count();
    if !(3..=32).contains(&len) || !ok_chars {
        errors.push(FieldError::new(
            "username",
            "3 to 32 characters: lower-case letters, digits, '.', '_' or '-'",
        ));
    } else if username.starts_with("cli:") || username == "system" {
        errors.push(FieldError::new("username", "this name is reserved"));
    }
}

fn check_password(field: &str, password: &str, username: &str, errors: &mut Vec<FieldError>) {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new(
            field,
            format!("at least {MIN_PASSWORD_CHARS} characters"),
        ));
    } else if !username.is_empty() && password.to_lowercase().contains(username) {
        errors.push(FieldError::new(field, "must not contain the user name"));
    }
}

/// Canonical identity of an applicant account: a resident identity number or a credit code.
fn canonical_identity(text: &str) -> Result<String, String> {
    let text = text.trim();
    if let Ok(id) = ResidentIdNumber::parse(text) {
        return Ok(id.as_str().to_string());
    }
    UnifiedSocialCreditCode::parse(text)
        .map(|c| c.as_str().to_string())
        .map_err(|e| {
            format!("neither a resident identity number nor a unified social credit code: {e}")
        })
}

impl Service {
    /// Asks the policy; a refusal is written to the audit trail as `denied`.
    pub(crate) async fn require(&self, actor: &Actor, op: Operation) -> Result<(), AppError> {
        match access::decide(&actor.principal, op) {
            access::Decision::Allow => Ok(()),
            access::Decision::Refuse(reason) => {
                self.audit_alone(actor.entry(
                    self.now(),
                    &format!("refused.{op:?}").to_lowercase(),
                    "policy",
                    Outcome::Denied,
                    reason.as_str(),
                ))
                .await?;
                Err(AppError::Forbidden(reason))
            }
            access::Decision::Hide => Err(AppError::not_found("resource")),
        }
    }

    /// Writes one audit record on its own, for attempts that changed nothing (refusals).
    pub(crate) async fn audit_alone(&self, entry: AuditEntry) -> Result<(), AppError> {
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    audit_rows::append(&mut *conn, entry).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await
    }

    async fn check_posts(
        &self,
        posts: &[Post],
        errors: &mut Vec<FieldError>,
    ) -> Result<(), AppError> {
        let readers = self.store().readers();
        let departments = catalogue_rows::list_departments(readers).await?;
        let centres = onewindow_store::hall::list_centres(readers).await?;
        let departments: Vec<&str> = departments.iter().map(|d| d.code.as_str()).collect();
        let centres: Vec<&str> = centres.iter().map(|c| c.code.as_str()).collect();
        errors.extend(Post::check_all(posts, &departments, &centres));
        Ok(())
    }

    // ---- accounts ----------------------------------------------------------------------------

    /// Creates an account. Administrators only.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<UserView, AppError> {
        self.require(actor, Operation::ManageAccounts).await?;
        let username = normalise_username(&new.username);
        let mut errors = Vec::new();
        check_username(&username, &mut errors);
        if new.display_name.trim().is_empty() {
            errors.push(FieldError::new(
                "display_name",
                "give the person's or firm's name",
            ));
        }
        check_password("password", &new.password, &username, &mut errors);
        self.check_posts(&new.posts, &mut errors).await?;
        let applicant = new.posts.iter().any(|p| p.role == Role::Applicant);
        let identity = match new
            .identity
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(text) => match canonical_identity(text) {
                Ok(id) => Some(id),
                Err(reason) => {
                    errors.push(FieldError::new("identity", reason));
                    None
                }
            },
            None => {
                if applicant {
                    errors.push(FieldError::new(
                        "identity",
                        "an applicant account needs the identity number or credit code it stands for",
                    ));
                }
                None
            }
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let hash = hash_password(new.password).await?;
        let now = self.now();
        let record = UserRecord {
            id: uuid::Uuid::now_v7().to_string(),
            username,
            display_name: new.display_name.trim().to_string(),
            identity,
            phone: new
                .phone
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty()),
            email: None,
            password_hash: hash,
            posts: new.posts,
            may_reveal: new.may_reveal_personal_data,
            disabled: false,
            created_at: now,
            updated_at: now,
        };
        let actor = actor.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    if account_rows::user_by_username(&mut *conn, &record.username)
                        .await?
                        .is_some()
                    {
                        return Err(AppError::Conflict(format!(
                            "the user name {} is taken",
                            record.username
                        )));
                    }
                    account_rows::insert_user(&mut *conn, &record).await?;
                    let detail = serde_json::json!({
                        "posts": record.posts,
                        "may_reveal_personal_data": record.may_reveal,
                    });
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "user.create",
                            format!("user:{}", record.username),
                            Outcome::Success,
                            detail.to_string(),
                        ),
                    )
                    .await?;
                    Ok(UserView::from(&record))
                })
            })
            .await
    }

    pub async fn users(&self, actor: &Actor) -> Result<Vec<UserView>, AppError> {
        self.require(actor, Operation::ManageAccounts).await?;
        let users = account_rows::list_users(self.store().readers()).await?;
        Ok(users.iter().map(UserView::from).collect())
    }

    pub async fn user(&self, actor: &Actor, username: &str) -> Result<UserView, AppError> {
        self.require(actor, Operation::ManageAccounts).await?;
        let user =
            account_rows::user_by_username(self.store().readers(), &normalise_username(username))
                .await?
                .ok_or_else(|| AppError::not_found(format!("user {username}")))?;
        Ok(UserView::from(&user))
    }

    /// The display names (`综合窗口 张敏`) of the accounts named `usernames`, by user name, for
    /// the pages to show who did a step instead of a login. Nothing else of an account is read
    /// out; a name with no account (or no display name) is left out.
    pub async fn display_names(
        &self,
        usernames: &[String],
    ) -> Result<HashMap<String, String>, AppError> {
        let wanted: BTreeSet<&str> = usernames
            .iter()
            .map(|u| u.as_str())
            .filter(|u| !u.trim().is_empty())
            .collect();
        let wanted: Vec<String> = wanted.into_iter().map(str::to_string).collect();
        let mut names = HashMap::new();
        for chunk in wanted.chunks(500) {
            for (username, display_name) in
                account_rows::display_names(self.store().readers(), chunk).await?
            {
                if !display_name.trim().is_empty() {
                    names.insert(username, display_name);
                }
            }
        }
        Ok(names)
    }

    /// Whether any active account can manage accounts; `serve` refuses to start without one.
    pub async fn has_administrator(&self) -> Result<bool, AppError> {
        let users = account_rows::list_users(self.store().readers()).await?;
        Ok(users
            .iter()
            .any(|u| !u.disabled && u.posts.iter().any(|p| p.role == Role::Administrator)))
    }

    /// Changes one account in a transaction with its audit record. `change` returns the audit
    /// action and detail, or refuses.
    async fn change_user<F>(
        &self,
        actor: &Actor,
        username: &str,
        change: F,
    ) -> Result<UserView, AppError>
    where
        F: FnOnce(&mut UserRecord) -> Result<(&'static str, String, bool), AppError>
            + Send
            + 'static,
    {
        self.require(actor, Operation::ManageAccounts).await?;
        let username = normalise_username(username);
        let actor = actor.clone();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let mut user = account_rows::user_by_username(&mut *conn, &username)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("user {username}")))?;
                    let (action, detail, end_sessions) = change(&mut user)?;
                    user.updated_at = now;
                    account_rows::update_user(&mut *conn, &user).await?;
                    if end_sessions {
                        account_rows::revoke_all_sessions(&mut *conn, &user.id, now).await?;
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            action,
                            format!("user:{username}"),
                            Outcome::Success,
                            detail,
                        ),
                    )
                    .await?;
                    Ok(UserView::from(&user))
                })
            })
            .await
    }

    /// Disables (or re-enables) an account; disabling ends its sessions and tokens at once.
    pub async fn set_user_disabled(
        &self,
        actor: &Actor,
        username: &str,
        disabled: bool,
    ) -> Result<UserView, AppError> {
        let me = actor.principal.username.clone();
        self.change_user(actor, username, move |user| {
            if disabled && user.username == me {
                return Err(AppError::invalid(
                    "username",
                    "you cannot disable your own account",
                ));
            }
            user.disabled = disabled;
            Ok((
                if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                },
                String::new(),
                disabled,
            ))
        })
        .await
    }

    /// Sets a new password; every session and token of the account ends.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        username: &str,
        password: String,
    ) -> Result<UserView, AppError> {
        // Refuse before the expensive hashing: anyone may send this request.
        self.require(actor, Operation::ManageAccounts).await?;
        let name = normalise_username(username);
        let mut errors = Vec::new();
        check_password("password", &password, &name, &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let hash = hash_password(password).await?;
        self.change_user(actor, username, move |user| {
            user.password_hash = hash;
            Ok(("user.reset_password", String::new(), true))
        })
        .await
    }

    /// Sets (or clears, with `None`) the address an account's alerts are mailed to
    /// (administrators).
    pub async fn set_email(
        &self,
        actor: &Actor,
        username: &str,
        email: Option<String>,
    ) -> Result<UserView, AppError> {
        self.require(actor, Operation::ManageAccounts).await?;
        let email = email
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty());
        if let Some(address) = &email
            && address.parse::<lettre::Address>().is_err()
        {
            return Err(AppError::invalid(
                "email",
                "not an e-mail address (name@domain)",
            ));
        }
        self.change_user(actor, username, move |user| {
            let detail = serde_json::json!({ "before": user.email, "after": email });
            user.email = email;
            Ok(("user.email", detail.to_string(), false))
        })
        .await
    }

    /// Replaces an account's posts and its personal-data grant: a permission change.
    pub async fn set_user_posts(
        &self,
        actor: &Actor,
        username: &str,
        posts: Vec<Post>,
        may_reveal_personal_data: bool,
    ) -> Result<UserView, AppError> {
        self.require(actor, Operation::ManageAccounts).await?;
        let mut errors = Vec::new();
        self.check_posts(&posts, &mut errors).await?;
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let me = actor.principal.username.clone();
        self.change_user(actor, username, move |user| {
            if user.username == me && !posts.iter().any(|p| p.role == Role::Administrator) {
                return Err(AppError::invalid(
                    "posts",
                    "you cannot take the administrator post from your own account",
                ));
            }
            if posts.iter().any(|p| p.role == Role::Applicant) && user.identity.is_none() {
                return Err(AppError::invalid(
                    "posts",
                    "an applicant post needs an account with an identity",
                ));
            }
            let detail = serde_json::json!({
                "before": { "posts": user.posts, "may_reveal_personal_data": user.may_reveal },
                "after": { "posts": posts, "may_reveal_personal_data": may_reveal_personal_data },
            });
            user.posts = posts;
            user.may_reveal = may_reveal_personal_data;
            Ok(("user.posts", detail.to_string(), false))
        })
        .await
    }

    // ---- logging in and out ------------------------------------------------------------------

    /// Checks a user name and password. Failures are slowed down, then locked, per user name;
    /// the answer never says which of the two was wrong.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        source: &str,
    ) -> Result<LoginGrant, AppError> {
        let username = normalise_username(username);
        let now = self.now();
        // A name no account can have is refused without touching the throttle, and audited
        // shortened: a megabyte of "user name" must not land in the permanent trail.
        let mut name_errors = Vec::new();
        check_username(&username, &mut name_errors);
        if !name_errors.is_empty() {
            let shown: String = username.chars().take(32).collect();
            let stranger = Actor::new(
                Principal {
                    user_id: String::new(),
                    username: shown.clone(),
                    display_name: String::new(),
                    identity: None,
                    posts: Vec::new(),
                    may_reveal_personal_data: false,
                },
                source,
            );
            self.audit_alone(stranger.entry(
                now,
                "auth.login",
                format!("user:{shown}"),
                Outcome::Failure,
                "not a possible user name",
            ))
            .await?;
            return Err(AppError::Unauthenticated(WRONG_CREDENTIALS.into()));
        }
        let attempt = Actor::new(
            Principal {
                user_id: String::new(),
                username: username.clone(),
                display_name: String::new(),
                identity: None,
                posts: Vec::new(),
                may_reveal_personal_data: false,
            },
            source,
        );
        // Every attempt is counted as a failure before the password is checked, in one write
        // with the check of the throttle, so that guesses sent in parallel queue up behind each
        // other instead of all reading the same count. A success clears the count again.
        let name = username.clone();
        let refusal = attempt.entry(
            now,
            "auth.login",
            format!("user:{username}"),
            Outcome::Failure,
            "",
        );
        let reserved = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let throttle = account_rows::throttle(&mut *conn, &name).await?;
                    if let Err(until) = login::may_attempt(throttle.as_ref(), now) {
                        let mut entry = refusal;
                        entry.detail = format!(
                            "refused: too many failures, retry after {}",
                            until.to_rfc3339()
                        );
                        audit_rows::append(&mut *conn, entry).await?;
                        return Ok::<_, AppError>(Err(until));
                    }
                    let next = login::after_failure(throttle.as_ref(), now);
                    account_rows::save_throttle(&mut *conn, &name, &next).await?;
                    Ok(Ok(()))
                })
            })
            .await?;
        if let Err(until) = reserved {
            return Err(AppError::TooManyAttempts {
                until,
                wait_seconds: (until - now).num_seconds(),
            });
        }
        let user = account_rows::user_by_username(self.store().readers(), &username).await?;
        let matches = password_matches(
            password.to_string(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await;
        let user = match user {
            Some(u) if matches && !u.disabled => u,
            other => {
                let why = match other {
                    None => "unknown user name",
                    Some(u) if u.disabled => "account disabled",
                    Some(_) => "wrong password",
                };
                self.audit_alone(attempt.entry(
                    now,
                    "auth.login",
                    format!("user:{username}"),
                    Outcome::Failure,
                    why,
                ))
                .await?;
                return Err(AppError::Unauthenticated(WRONG_CREDENTIALS.into()));
            }
        };
        let upgraded = if needs_rehash(&user.password_hash) {
            match hash_password(password.to_string()).await {
                Ok(hash) => Some((user.password_hash.clone(), hash)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot hash a password again at login");
                    None
                }
            }
        } else {
            None
        };
        let token = new_token()?;
        let session = SessionRecord {
            id: uuid::Uuid::now_v7().to_string(),
            token_hash: token_hash(&token),
            user_id: user.id.clone(),
            kind: SessionKind::Session,
            name: "login".into(),
            csrf_token: random_hex(32)?,
            created_at: now,
            expires_at: Some(now + Duration::hours(SESSION_HOURS)),
            revoked_at: None,
        };
        let principal = principal_of(&user);
        let actor = Actor::new(principal.clone(), source);
        let grant = LoginGrant {
            token,
            csrf_token: session.csrf_token.clone(),
            session_id: session.id.clone(),
            expires_at: now + Duration::hours(SESSION_HOURS),
            principal,
        };
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    account_rows::clear_throttle(&mut *conn, &user.username).await?;
                    if let Some((old, new)) = &upgraded {
                        account_rows::replace_password_hash(&mut *conn, &user.id, old, new).await?;
                    }
                    account_rows::insert_session(&mut *conn, &session).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "auth.login",
                            format!("user:{}", user.username),
                            Outcome::Success,
                            format!("session {}", session.id),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(grant)
    }

    /// Who holds this token, if it is a live session or API token of an enabled account.
    pub async fn authenticate(&self, token: &str, source: &str) -> Result<Authenticated, AppError> {
        let unauthenticated = || AppError::Unauthenticated(UNAUTHENTICATED.into());
        if !token.starts_with("ow_") || token.len() > 200 {
            return Err(unauthenticated());
        }
        let found =
            account_rows::session_by_token_hash(self.store().readers(), &token_hash(token)).await?;
        let Some((session, user)) = found else {
            return Err(unauthenticated());
        };
        let now = self.now();
        let live = session.revoked_at.is_none()
            && session.expires_at.is_none_or(|t| now < t)
            && !user.disabled;
        if !live {
            return Err(AppError::Unauthenticated(
                "this session or token has ended; log in again".into(),
            ));
        }
        Ok(Authenticated {
            actor: Actor {
                principal: principal_of(&user),
                source: source.to_string(),
                session_id: Some(session.id.clone()),
                via_api_token: session.kind == SessionKind::ApiToken,
            },
            kind: session.kind,
            csrf_token: session.csrf_token,
        })
    }

    /// Ends the session the request came with.
    pub async fn logout(&self, actor: &Actor) -> Result<(), AppError> {
        let Some(session_id) = actor.session_id.clone() else {
            return Ok(());
        };
        let actor = actor.clone();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    account_rows::revoke_session(
                        &mut *conn,
                        &actor.principal.user_id,
                        &session_id,
                        None,
                        now,
                    )
                    .await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "auth.logout",
                            format!("user:{}", actor.principal.username),
                            Outcome::Success,
                            format!("session {session_id}"),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await
    }

    // ---- API tokens --------------------------------------------------------------------------

    /// Creates a long-lived token for an integration. The secret is returned once and only its
    /// hash is kept.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        name: &str,
        days: Option<u32>,
    ) -> Result<(TokenView, String), AppError> {
        let name = name.trim().to_string();
        let mut errors = Vec::new();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new(
                "name",
                "1 to 100 characters, e.g. the system that will use it",
            ));
        }
        let days = days.unwrap_or(API_TOKEN_DEFAULT_DAYS);
        if !(1..=366).contains(&days) {
            errors.push(FieldError::new("days", "1 to 366"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        if actor.principal.is_system() || actor.session_id.is_none() {
            return Err(AppError::Forbidden(
                "tokens are made by a logged-in account".into(),
            ));
        }
        // A token cannot make tokens: a stolen one would otherwise outlive itself indefinitely.
        if actor.via_api_token {
            return Err(AppError::Forbidden(
                "API tokens are made from a login session, not with another token".into(),
            ));
        }
        let token = new_token()?;
        let now = self.now();
        let record = SessionRecord {
            id: uuid::Uuid::now_v7().to_string(),
            token_hash: token_hash(&token),
            user_id: actor.principal.user_id.clone(),
            kind: SessionKind::ApiToken,
            name,
            // Bearer tokens are never sent by a browser on its own, so they need no CSRF token.
            csrf_token: String::new(),
            created_at: now,
            expires_at: Some(now + Duration::days(i64::from(days))),
            revoked_at: None,
        };
        let view = TokenView::from(&record);
        let actor = actor.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    account_rows::insert_session(&mut *conn, &record).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "token.create",
                            format!("token:{}", record.id),
                            Outcome::Success,
                            record.name.clone(),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok((view, token))
    }

    pub async fn api_tokens(&self, actor: &Actor) -> Result<Vec<TokenView>, AppError> {
        let tokens = account_rows::sessions_of(
            self.store().readers(),
            &actor.principal.user_id,
            SessionKind::ApiToken,
        )
        .await?;
        Ok(tokens.iter().map(TokenView::from).collect())
    }

    /// Revokes one of the actor's own tokens; it stops working on the next request.
    pub async fn revoke_api_token(&self, actor: &Actor, token_id: &str) -> Result<(), AppError> {
        let actor = actor.clone();
        let token_id = token_id.to_string();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let revoked = account_rows::revoke_session(
                        &mut *conn,
                        &actor.principal.user_id,
                        &token_id,
                        Some(SessionKind::ApiToken),
                        now,
                    )
                    .await?;
                    if !revoked {
                        return Err(AppError::not_found(format!("live token {token_id}")));
                    }
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "token.revoke",
                            format!("token:{token_id}"),
                            Outcome::Success,
                            String::new(),
                        ),
                    )
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    // ---- the audit trail ---------------------------------------------------------------------

    /// Searches the trail, newest first. Supervisors only.
    pub async fn audit_trail(
        &self,
        actor: &Actor,
        query: AuditQuery,
    ) -> Result<Page<AuditRecord>, AppError> {
        self.require(actor, Operation::ReadAudit).await?;
        let mut errors = Vec::new();
        let outcome = match query.outcome.as_deref() {
            None => None,
            Some(text) => {
                let parsed = Outcome::parse(text);
                if parsed.is_none() {
                    errors.push(FieldError::new(
                        "outcome",
                        "one of success, denied, failure",
                    ));
                }
                parsed
            }
        };
        let before_seq = match query.cursor.as_deref() {
            None => None,
            Some(text) => match text.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError::new(
                        "cursor",
                        "pass next_cursor of the previous page",
                    ));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let limit = i64::from(query.limit.unwrap_or(50).clamp(1, 500));
        let filter = AuditFilter {
            actor: query.actor,
            action: query.action,
            target: query.target,
            outcome,
            from: query.from.map(|t| t.to_rfc3339()),
            to: query.to.map(|t| t.to_rfc3339()),
            before_seq,
            limit: limit + 1,
        };
        let mut items = audit_rows::search(self.store().readers(), &filter).await?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|r| r.seq.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// The hash of one record, to compare with a head anchored earlier.
    pub async fn audit_record_hash(&self, seq: u64) -> Result<Option<String>, AppError> {
        let filter = AuditFilter {
            before_seq: Some(seq + 1),
            limit: 1,
            ..AuditFilter::default()
        };
        let found = audit_rows::search(self.store().readers(), &filter).await?;
        Ok(found.into_iter().find(|r| r.seq == seq).map(|r| r.hash))
    }

    /// Walks the whole chain. Run by operators from the command line, not over the API.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport, AppError> {
        let readers = self.store().readers();
        let (checked, broken) = audit_rows::verify(readers, self.store().backend()).await?;
        let (head_seq, head_hash) = audit_rows::head(readers).await?;
        Ok(ChainReport {
            checked,
            head_seq,
            head_hash,
            broken,
        })
    }

    /// The count of records written and the last hash, as the store's head row holds them.
    pub async fn audit_head(&self) -> Result<(u64, String), AppError> {
        Ok(audit_rows::head(self.store().readers()).await?)
    }
}

/// The principal an account acts as.
pub(crate) fn principal_of(user: &UserRecord) -> Principal {
    Principal {
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        identity: user.identity.clone(),
        posts: user.posts.clone(),
        may_reveal_personal_data: user.may_reveal,
    }
}

/// A new random password of 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I),
/// for accounts created or reset at the command line.
pub fn generate_password() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    // 256 is not a multiple of the alphabet's length; the bias this leaves is under 1 bit in all.
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn our_hashes_are_standard_phc_strings_and_verify_both_ways() {
        let mut ours = PasswordHasherState::new();
        let hashed = ours.hash(b"correct horse battery").expect("hashes");
        assert!(
            hashed.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
            "{hashed}"
        );
        assert_eq!(ours.memory.len(), 7 * 1024, "the kept work area is 7 MiB");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", hashed.as_str())
                .is_ok()
        );
        assert!(ours.verify(b"correct horse battery", &hashed));
        assert!(!ours.verify(b"correct horse batterY", &hashed));
        let theirs = Argon2::default()
            .hash_password(b"another one")
            .expect("hashes")
            .to_string();
        // The crate's default (19 MiB, 2 passes): how accounts were hashed before issue 19.
        assert!(
            theirs.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{theirs}"
        );
        assert!(ours.verify(b"another one", &theirs));
        assert!(!ours.verify(b"another two", &theirs));
        assert_eq!(
            ours.memory.len(),
            7 * 1024,
            "a larger hash's work area is not kept"
        );
        assert!(!ours.verify(b"x", "not a hash"));
        assert!(!needs_rehash(&hashed));
        assert!(needs_rehash(&theirs));
        assert!(
            !needs_rehash("not a hash"),
            "nothing to upgrade what cannot verify"
        );
    }

    #[tokio::test]
    async fn a_login_stores_an_older_hash_again_with_todays_parameters() {
        let dir = std::env::temp_dir().join(format!("onewindow-rehash-{}", uuid::Uuid::now_v7()));
        let url = onewindow_store::data_dir_url(&dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let service = Service::new(
            store,
            onewindow_domain::calendar::Calendar::prc(),
            std::sync::Arc::new(crate::ManualClock::at_local_morning(day)),
            "330226",
        );
        service.seed_demo(0).await.expect("demo catalogue and hall");
        service.seed_demo_accounts().await.expect("demo accounts");
        let stored = |service: &Service| {
            let readers = service.store().readers().clone();
            async move {
                account_rows::user_by_username(&readers, "clerk")
                    .await
                    .expect("read")
                    .expect("the demo clerk")
            }
        };

        // The clerk's password as it was hashed before issue 19.
        let mut clerk = stored(&service).await;
        clerk.password_hash = Argon2::default()
            .hash_password(b"chuangkou-2026")
            .expect("hashes")
            .to_string();
        service
            .store()
            .write(move |conn| {
                Box::pin(async move { account_rows::update_user(conn, &clerk).await })
            })
            .await
            .expect("written");

        service
            .login("clerk", "chuangkou-2026", "test")
            .await
            .expect("the older hash verifies");
        let upgraded = stored(&service).await.password_hash;
        assert!(
            upgraded.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
            "{upgraded}"
        );
        service
            .login("clerk", "chuangkou-2026", "test")
            .await
            .expect("the new hash verifies");
        assert!(
            service
                .login("clerk", "chuangkou-2027", "test")
                .await
                .is_err()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
