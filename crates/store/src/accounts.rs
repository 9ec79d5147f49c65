//! Accounts, their sessions and API tokens, and the login throttle.
//!
//! Secrets never reach this module in the clear: passwords arrive as argon2id hashes and tokens
//! as SHA-256 hashes of the random token the user holds.

use chrono::{DateTime, Utc};
use onewindow_domain::access::Post;
use onewindow_domain::login::Throttle;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// The identity number or credit code an applicant account stands for.
    pub identity: Option<String>,
    pub phone: Option<String>,
    /// Where alerts are mailed, if the account has given an address.
    pub email: Option<String>,
    pub password_hash: String,
    pub posts: Vec<Post>,
    pub may_reveal: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a session or token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Made by a login; carries a CSRF token; expires.
    Session,
    /// A long-lived token for an integration; shown once, revocable.
    ApiToken,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Session => "session",
            SessionKind::ApiToken => "api",
        }
    }

    fn parse(text: &str) -> Self {
        if text == "api" {
            SessionKind::ApiToken
        } else {
            SessionKind::Session
        }
    }
}

/// A login session or an API token, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// A public id, to list and revoke it by; not a secret.
    pub id: String,
    pub token_hash: String,
    pub user_id: String,
    pub kind: SessionKind,
    pub name: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn time(text: &str, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::corrupt(what, e))
}

fn opt_time(text: Option<String>, what: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.map(|t| time(&t, what)).transpose()
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.identity, u.phone, u.email, \
     u.password_hash, u.posts, u.may_reveal, u.disabled, u.created_at, u.updated_at";

fn user_from_row(row: &AnyRow) -> Result<UserRecord, StoreError> {
    let username: String = row.try_get("username")?;
    let posts: String = row.try_get("posts")?;
    let created: String = row.try_get("created_at")?;
    let updated: String = row.try_get("updated_at")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        identity: row.try_get("identity")?,
        phone: row.try_get("phone")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        posts: serde_json::from_str(&posts)
            .map_err(|e| StoreError::corrupt(format!("user {username}"), e))?,
        may_reveal: row.try_get::<i64, _>("may_reveal")? != 0,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: time(&created, "user created_at")?,
        updated_at: time(&updated, "user updated_at")?,
        username,
    })
}

fn posts_json(user: &UserRecord) -> Result<String, StoreError> {
    serde_json::to_string(&user.posts)
        .map_err(|e| StoreError::corrupt(format!("user {}", user.username), e))
}

/// Stores a new account.
pub async fn insert_user(conn: &mut AnyConnection, user: &UserRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO users (id, username, display_name, identity, phone, password_hash, posts, \
         may_reveal, disabled, created_at, updated_at, email) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(user.identity.as_deref())
    .bind(user.phone.as_deref())
    .bind(&user.password_hash)
    .bind(posts_json(user)?)
    .bind(i64::from(user.may_reveal))
    .bind(i64::from(user.disabled))
    .bind(user.created_at.to_rfc3339())
    .bind(user.updated_at.to_rfc3339())
    .bind(user.email.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes every field of an existing account but its id, name and creation time.
pub async fn update_user(conn: &mut AnyConnection, user: &UserRecord) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE users SET display_name = $1, identity = $2, phone = $3, password_hash = $4, \
         posts = $5, may_reveal = $6, disabled = $7, updated_at = $8, email = $10 WHERE id = $9",
    )
    .bind(&user.display_name)
    .bind(user.identity.as_deref())
    .bind(user.phone.as_deref())
    .bind(&user.password_hash)
    .bind(posts_json(user)?)
    .bind(i64::from(user.may_reveal))
    .bind(i64::from(user.disabled))
    .bind(user.updated_at.to_rfc3339())
    .bind(&user.id)
    .bind(user.email.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces an account's password hash with `new` if it is still `old` (a password changed in
/// the meantime stays); returns whether it did.
pub async fn replace_password_hash(
    conn: &mut AnyConnection,
    user_id: &str,
    old: &str,
    new: &str,
) -> Result<bool, StoreError> {
    let result =
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
            .bind(new)
            .bind(user_id)
            .bind(old)
            .execute(&mut *conn)
            .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn user_by_username<'c, E>(
    db: E,
    username: &str,
) -> Result<Option<UserRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(username)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The display names of these accounts, by user name (those without one are left out): what a
/// page shows for the staff its case names, in one read.
pub async fn display_names<'c, E>(
    db: E,
    usernames: &[String],
) -> Result<Vec<(String, String)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = crate::filter::Filtered::new("SELECT username, display_name FROM users");
    q.and_in("username", usernames);
    let rows = q.query(" AND display_name <> ''").fetch_all(db).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("username")?, r.try_get("display_name")?)))
        .collect()
}

/// The accounts a case belongs to: those standing for the applicant's identity and the one
/// that filed it (by id), not disabled, by user name.
pub async fn owners_of<'c, E>(
    db: E,
    identity: &str,
    filed_by: Option<&str>,
) -> Result<Vec<UserRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE (u.identity = $1 OR u.id = $2) \
         AND u.disabled = 0 ORDER BY u.username"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(identity)
        .bind(filed_by.unwrap_or(""))
        .fetch_all(db)
        .await?;
    rows.iter().map(user_from_row).collect()
}

/// Every account, by user name.
pub async fn list_users<'c, E>(db: E) -> Result<Vec<UserRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.username");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(db).await?;
    rows.iter().map(user_from_row).collect()
}

// ---- login throttle -----------------------------------------------------------------------

pub async fn throttle<'c, E>(db: E, username: &str) -> Result<Option<Throttle>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let last: String = row.try_get("last_failure_at")?;
    Ok(Some(Throttle {
        failures: u32::try_from(row.try_get::<i64, _>("failures")?).unwrap_or(u32::MAX),
        last_failure_at: time(&last, "login_throttle")?,
        locked_until: opt_time(row.try_get("locked_until")?, "login_throttle")?,
    }))
}

pub async fn save_throttle(
    conn: &mut AnyConnection,
    username: &str,
    throttle: &Throttle,
) -> Result<(), StoreError> {
    // An upsert: two nodes counting an attempt of the same account at the same instant each
    // write their count (the later wins) instead of the second failing on the key.
    sqlx::query(
        "INSERT INTO login_throttle (username, failures, last_failure_at, locked_until) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO UPDATE SET \
         failures = excluded.failures, last_failure_at = excluded.last_failure_at, \
         locked_until = excluded.locked_until",
    )
    .bind(username)
    .bind(i64::from(throttle.failures))
    .bind(throttle.last_failure_at.to_rfc3339())
    .bind(throttle.locked_until.map(|t| t.to_rfc3339()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn clear_throttle(conn: &mut AnyConnection, username: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_throttle WHERE username = $1")
        .bind(username)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- sessions and tokens ------------------------------------------------------------------

const SESSION_COLUMNS: &str = "s.id AS session_id, s.token_hash, s.user_id, s.kind, s.name, \
     s.csrf_token, s.created_at AS session_created_at, s.expires_at, s.revoked_at";

fn session_from_row(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    let kind: String = row.try_get("kind")?;
    let created: String = row.try_get("session_created_at")?;
    Ok(SessionRecord {
        id: row.try_get("session_id")?,
        token_hash: row.try_get("token_hash")?,
        user_id: row.try_get("user_id")?,
        kind: SessionKind::parse(&kind),
        name: row.try_get("name")?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: time(&created, "session created_at")?,
        expires_at: opt_time(row.try_get("expires_at")?, "session expires_at")?,
        revoked_at: opt_time(row.try_get("revoked_at")?, "session revoked_at")?,
    })
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    session: &SessionRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, id, user_id, kind, name, csrf_token, created_at, expires_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&session.token_hash)
    .bind(&session.id)
    .bind(&session.user_id)
    .bind(session.kind.as_str())
    .bind(&session.name)
    .bind(&session.csrf_token)
    .bind(session.created_at.to_rfc3339())
    .bind(session.expires_at.map(|t| t.to_rfc3339()))
    .bind(session.revoked_at.map(|t| t.to_rfc3339()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The session or token with this hash, and its account: one indexed lookup per request, so that
/// a revocation takes effect on the very next request.
pub async fn session_by_token_hash<'c, E>(
    db: E,
    token_hash: &str,
) -> Result<Option<(SessionRecord, UserRecord)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .fetch_optional(db)
        .await?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some((session_from_row(&row)?, user_from_row(&row)?))),
    }
}

/// The sessions or tokens of one account, newest first.
pub async fn sessions_of<'c, E>(
    db: E,
    user_id: &str,
    kind: SessionKind,
) -> Result<Vec<SessionRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.user_id = $1 AND s.kind = $2 \
         ORDER BY s.created_at DESC, s.id DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(kind.as_str())
        .fetch_all(db)
        .await?;
    rows.iter().map(session_from_row).collect()
}

/// Revokes one live session or token of an account (of the given kind, or of any kind); false
/// when there is none to revoke.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    user_id: &str,
    session_id: &str,
    kind: Option<SessionKind>,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 \
         AND ($4 = '' OR kind = $4) AND revoked_at IS NULL",
    )
    .bind(at.to_rfc3339())
    .bind(session_id)
    .bind(user_id)
    .bind(kind.map_or("", SessionKind::as_str))
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Revokes every live session and token of an account (on disabling it or resetting its password).
pub async fn revoke_all_sessions(
    conn: &mut AnyConnection,
    user_id: &str,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let result = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(at.to_rfc3339())
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected())
}
