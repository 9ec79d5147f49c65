//! Messages to applicants (办件通知): the inbox (站内信) and the delivery ledger of SMS and
//! e-mail in one table, and each account's choices. The rules (who is told what, how often a
//! message is tried) are the domain's (`onewindow_domain::notice`); this keeps the rows.

use chrono::{DateTime, SecondsFormat, Utc};
use onewindow_domain::notice::{MessageChannel, MessageState, NoticeKind, Preferences};
use sqlx::{Any, AnyConnection, Executor, Row, any::AnyRow};

use crate::StoreError;
use crate::monitor::{placeholders, rows_per_statement};

/// A time as the message columns keep it: fixed width, so that text order is time order.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(what: &str, text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::corrupt(what.to_string(), e))
}

/// One message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: String,
    pub case_id: String,
    pub case_number: String,
    /// The centre the case was filed at: the hall told when a message is given up.
    pub centre: String,
    pub user_id: Option<String>,
    pub channel: MessageChannel,
    pub kind: NoticeKind,
    pub language: String,
    /// The phone number or e-mail address; none for the inbox.
    pub address: Option<String>,
    pub subject: String,
    pub body: String,
    pub state: MessageState,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, case_id, case_number, centre, user_id, channel, kind, language, \
     address, subject, body, state, attempts, next_attempt_at, last_error, created_at, sent_at, \
     read_at";

fn record(row: &AnyRow) -> Result<MessageRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let what = |field: &str| format!("message {id} {field}");
    let channel: String = row.try_get("channel")?;
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let time = |field: &str| -> Result<Option<DateTime<Utc>>, StoreError> {
        row.try_get::<Option<String>, _>(field)?
            .map(|t| parse_time(&what(field), &t))
            .transpose()
    };
    Ok(MessageRecord {
        case_id: row.try_get("case_id")?,
        case_number: row.try_get("case_number")?,
        centre: row.try_get("centre")?,
        user_id: row.try_get("user_id")?,
        channel: MessageChannel::parse(&channel)
            .ok_or_else(|| StoreError::corrupt(what("channel"), channel.clone()))?,
        kind: NoticeKind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(what("kind"), kind.clone()))?,
        language: row.try_get("language")?,
        address: row.try_get("address")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        state: MessageState::parse(&state)
            .ok_or_else(|| StoreError::corrupt(what("state"), state.clone()))?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
        next_attempt_at: time("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        created_at: parse_time(
            &what("created_at"),
            &row.try_get::<String, _>("created_at")?,
        )?,
        sent_at: time("sent_at")?,
        read_at: time("read_at")?,
        id,
    })
}

/// Writes new messages; a message whose id exists already (its event was delivered before) is
/// left as it is. Answers how many were new.
pub async fn insert_new(
    conn: &mut AnyConnection,
    messages: &[MessageRecord],
) -> Result<u64, StoreError> {
    let mut written = 0;
    for chunk in messages.chunks(rows_per_statement(18)) {
        let sql = format!(
            "INSERT INTO messages ({COLUMNS}) VALUES {} ON CONFLICT (id) DO NOTHING",
            placeholders(chunk.len(), 18)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for m in chunk {
            query = query
                .bind(m.id.clone())
                .bind(m.case_id.clone())
                .bind(m.case_number.clone())
                .bind(m.centre.clone())
                .bind(m.user_id.clone())
                .bind(m.channel.as_str())
                .bind(m.kind.as_str())
                .bind(m.language.clone())
                .bind(m.address.clone())
                .bind(m.subject.clone())
                .bind(m.body.clone())
                .bind(m.state.as_str())
                .bind(i64::from(m.attempts))
                .bind(m.next_attempt_at.map(stamp))
                .bind(m.last_error.clone())
                .bind(stamp(m.created_at))
                .bind(m.sent_at.map(stamp))
                .bind(m.read_at.map(stamp));
        }
        written += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// Up to `limit` SMS and e-mail messages due at `now`, the longest waiting first.
pub async fn due<'c, E>(
    db: E,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<MessageRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE state = 'pending' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(stamp(now))
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(record).collect()
}

/// What one try of a message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryOutcome {
    pub id: String,
    pub state: MessageState,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Records the outcomes of a batch of tries. A message is updated only while it is pending
/// with the attempts it was read with, so a try that raced another node's counts once.
pub async fn record_tries(
    conn: &mut AnyConnection,
    outcomes: &[TryOutcome],
) -> Result<u64, StoreError> {
    let mut updated = 0;
    for o in outcomes {
        updated += sqlx::query(
            "UPDATE messages SET state = $1, attempts = $2, next_attempt_at = $3, \
             last_error = $4, sent_at = $5 WHERE id = $6 AND state = 'pending' AND attempts = $7",
        )
        .bind(o.state.as_str())
        .bind(i64::from(o.attempts))
        .bind(o.next_attempt_at.map(stamp))
        .bind(o.error.clone())
        .bind(o.sent_at.map(stamp))
        .bind(o.id.clone())
        .bind(i64::from(o.attempts.saturating_sub(1)))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(updated)
}

/// The messages of a case, oldest first.
pub async fn of_case<'c, E>(db: E, case_id: &str) -> Result<Vec<MessageRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE case_id = $1 ORDER BY created_at, id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(case_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(record).collect()
}

/// An account's inbox, newest first, after the cursor (a message id) when given.
pub async fn inbox<'c, E>(
    db: E,
    user_id: &str,
    before: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<MessageRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = match before {
        Some((created_at, id)) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM messages WHERE user_id = $1 AND channel = 'inbox' \
                 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
                 ORDER BY created_at DESC, id DESC LIMIT $4"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(created_at)
                .bind(id)
                .bind(limit)
                .fetch_all(db)
                .await?
        }
        None => {
            let sql = format!(
                "SELECT {COLUMNS} FROM messages WHERE user_id = $1 AND channel = 'inbox' \
                 ORDER BY created_at DESC, id DESC LIMIT $2"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(limit)
                .fetch_all(db)
                .await?
        }
    };
    rows.iter().map(record).collect()
}

/// One message by id.
pub async fn get<'c, E>(db: E, id: &str) -> Result<Option<MessageRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(record).transpose()
}

/// How many inbox messages an account has not read.
pub async fn unread<'c, E>(db: E, user_id: &str) -> Result<i64, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT COUNT(*) FROM messages WHERE user_id = $1 AND channel = 'inbox' \
         AND read_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(db)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Marks an inbox message of the account read (once: the first reading stays).
pub async fn mark_read(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE messages SET read_at = $1 WHERE id = $2 AND user_id = $3 \
         AND channel = 'inbox' AND read_at IS NULL",
    )
    .bind(stamp(at))
    .bind(id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Messages given up, newest first, of the given centres (all when `None`).
pub async fn given_up<'c, E>(
    db: E,
    centres: Option<&[String]>,
    limit: i64,
) -> Result<Vec<MessageRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let (filter, binds): (String, Vec<String>) = match centres {
        None => (String::new(), Vec::new()),
        Some([]) => return Ok(Vec::new()),
        Some(list) => (
            format!(
                " AND centre IN ({})",
                (2..list.len() + 2)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            list.to_vec(),
        ),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE state = 'given_up'{filter} \
         ORDER BY created_at DESC, id DESC LIMIT $1"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit);
    for b in binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter().map(record).collect()
}

/// Counts of messages by state (pending, sent, given up), for the monitor and the benchmark.
pub async fn counts<'c, E>(db: E) -> Result<Vec<(String, String, i64)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT channel, state, COUNT(*) AS n FROM messages GROUP BY channel, state \
         ORDER BY channel, state",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("channel")?, r.try_get("state")?, r.try_get("n")?)))
        .collect()
}

/// The choices of these accounts; an account that never chose has the defaults.
pub async fn preferences_of<'c, E>(
    db: E,
    user_ids: &[String],
) -> Result<Vec<(String, Preferences)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT user_id, sms, email, language FROM message_preferences WHERE user_id IN ({})",
        (1..=user_ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in user_ids {
        query = query.bind(id.clone());
    }
    let rows = query.fetch_all(db).await?;
    let stored: Vec<(String, Preferences)> = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("user_id")?,
                Preferences {
                    sms: r.try_get::<i64, _>("sms")? != 0,
                    email: r.try_get::<i64, _>("email")? != 0,
                    language: r.try_get("language")?,
                },
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(user_ids
        .iter()
        .map(|id| {
            let found = stored
                .iter()
                .find(|(u, _)| u == id)
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            (id.clone(), found)
        })
        .collect())
}

/// Keeps an account's choices.
pub async fn set_preferences(
    conn: &mut AnyConnection,
    user_id: &str,
    preferences: &Preferences,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO message_preferences (user_id, sms, email, language, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET sms = excluded.sms, \
         email = excluded.email, language = excluded.language, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(i64::from(preferences.sms))
    .bind(i64::from(preferences.email))
    .bind(preferences.language.clone())
    .bind(stamp(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Keeps the short code of a rating invitation; the case's earlier code stays valid too.
pub async fn insert_invitation(
    conn: &mut AnyConnection,
    code: &str,
    case_id: &str,
    expires_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO rating_invitations (code, case_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(code)
    .bind(case_id)
    .bind(stamp(expires_at))
    .bind(stamp(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The case and expiry of a rating invitation's code.
pub async fn invitation<'c, E>(
    db: E,
    code: &str,
) -> Result<Option<(String, DateTime<Utc>)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT case_id, expires_at FROM rating_invitations WHERE code = $1")
        .bind(code)
        .fetch_optional(db)
        .await?;
    row.map(|r| {
        let expires: String = r.try_get("expires_at")?;
        Ok((
            r.try_get("case_id")?,
            parse_time(&format!("rating invitation {code}"), &expires)?,
        ))
    })
    .transpose()
}
