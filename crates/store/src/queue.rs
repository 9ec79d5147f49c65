//! The hall's queue (取号叫号): tickets, and the call that takes the next one.
//!
//! A call is decided here, not in the caller's memory: the next ticket in the call order is
//! claimed by `UPDATE … WHERE state = 'waiting'`, and only the call whose update changed the row
//! has it. Two windows calling at the same instant — on one node's writer or on two nodes sharing
//! PostgreSQL — never get the same ticket: the second update finds the row no longer waiting and
//! the call looks again.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use onewindow_domain::hall::{TicketSource, TicketState, WindowSkills};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor, Row};

use crate::StoreError;
use crate::filter::Filtered;

/// One applicant in a centre's queue (号票).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: String,
    pub centre: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: NaiveDate,
    /// As printed and called, e.g. `A007`.
    pub number: String,
    /// A department code, or empty for general business (综合).
    pub business: String,
    pub source: TicketSource,
    /// 1 for appointments and the elderly, who are called first.
    pub priority: u8,
    pub state: TicketState,
    /// The applicant's identity number once checked in (or given when taking the ticket).
    pub id_number: String,
    pub name: String,
    /// The account that took it from a phone; empty for the kiosk.
    pub taken_by: String,
    pub issued_at: DateTime<Utc>,
    /// The window that called it (`code` of the centre's window); empty while waiting.
    pub window: String,
    pub called_at: Option<DateTime<Utc>>,
    /// How many times it was called (a recall adds one).
    pub calls: u32,
    pub finished_at: Option<DateTime<Utc>>,
    /// The cases served on this ticket (a visit is recorded on each).
    pub cases: Vec<String>,
}

/// Timestamps are stored at a fixed width so that the text orders as the time does.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(id: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::corrupt(id, e))
}

const COLUMNS: &str = "id, centre, day, number, business, source, priority, state, id_number, \
     name, taken_by, issued_at, service_window, called_at, calls, finished_at, cases";

fn ticket_from_row(r: &AnyRow) -> Result<Ticket, StoreError> {
    let id: String = r.try_get("id")?;
    let day: String = r.try_get("day")?;
    let source: String = r.try_get("source")?;
    let state: String = r.try_get("state")?;
    let issued_at: String = r.try_get("issued_at")?;
    let called_at: Option<String> = r.try_get("called_at")?;
    let finished_at: Option<String> = r.try_get("finished_at")?;
    let cases: String = r.try_get("cases")?;
    let priority: i64 = r.try_get("priority")?;
    let calls: i64 = r.try_get("calls")?;
    Ok(Ticket {
        day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|e| StoreError::corrupt(id.as_str(), e))?,
        source: TicketSource::parse(&source)
            .ok_or_else(|| StoreError::corrupt(id.as_str(), format!("source {source}")))?,
        state: TicketState::parse(&state)
            .ok_or_else(|| StoreError::corrupt(id.as_str(), format!("state {state}")))?,
        issued_at: parse_time(&id, &issued_at)?,
        called_at: called_at
            .as_deref()
            .map(|t| parse_time(&id, t))
            .transpose()?,
        finished_at: finished_at
            .as_deref()
            .map(|t| parse_time(&id, t))
            .transpose()?,
        cases: serde_json::from_str(&cases).map_err(|e| StoreError::corrupt(id.as_str(), e))?,
        priority: u8::try_from(priority).unwrap_or(0),
        calls: u32::try_from(calls).unwrap_or(0),
        centre: r.try_get("centre")?,
        number: r.try_get("number")?,
        business: r.try_get("business")?,
        id_number: r.try_get("id_number")?,
        name: r.try_get("name")?,
        taken_by: r.try_get("taken_by")?,
        window: r.try_get("service_window")?,
        id,
    })
}

pub async fn insert(conn: &mut AnyConnection, t: &Ticket) -> Result<(), StoreError> {
    let cases = serde_json::to_string(&t.cases).map_err(|e| StoreError::corrupt(&t.id, e))?;
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO tickets ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    )))
    .bind(&t.id)
    .bind(&t.centre)
    .bind(t.day.format("%Y-%m-%d").to_string())
    .bind(&t.number)
    .bind(&t.business)
    .bind(t.source.as_str())
    .bind(i64::from(t.priority))
    .bind(t.state.as_str())
    .bind(&t.id_number)
    .bind(&t.name)
    .bind(&t.taken_by)
    .bind(stamp(t.issued_at))
    .bind(&t.window)
    .bind(t.called_at.map(stamp))
    .bind(i64::from(t.calls))
    .bind(t.finished_at.map(stamp))
    .bind(cases)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get<'c, E>(db: E, id: &str) -> Result<Option<Ticket>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(ticket_from_row).transpose()
}

/// The waiting tickets of `centre` that `skills` serve, as `SELECT id FROM tickets WHERE …`, after
/// `first` values bound for the statement around it (its `$1`, `$2`, …); `None` when the window
/// serves no business at all.
fn waiting_served(
    first: &[&str],
    centre: &str,
    day: NaiveDate,
    skills: &WindowSkills,
) -> Option<Filtered> {
    let mut q = Filtered::new("SELECT id FROM tickets");
    for value in first {
        q.bind_first((*value).to_string());
    }
    q.and("centre = ?", [centre.to_string()]);
    // Today's tickets only: one left waiting at yesterday's closing is not called this morning.
    q.and("day = ?", [day.format("%Y-%m-%d").to_string()]);
    q.and("state = ?", [TicketState::Waiting.as_str().to_string()]);
    if let Some(businesses) = skills.businesses() {
        if businesses.is_empty() {
            return None;
        }
        q.and_in("business", businesses);
    }
    Some(q)
}

/// Calls the next waiting ticket of `centre` that `skills` serve to `window`: claims it and
/// returns it as called, or `None` when nobody it serves waits.
///
/// One statement in the common case: `UPDATE … WHERE state = 'waiting' AND id = (the first in
/// the call order) RETURNING …`, the first read from the index in call order (`tickets_call_order`
/// or, for a window of named departments, `tickets_call_business`; schema 27). On one node the
/// writer runs the calls one after another, so the update always claims its ticket. With nodes
/// sharing PostgreSQL, a second node picking the same ticket waits for the first one's commit,
/// then finds the row no longer waiting and changes nothing: the call looks again.
pub async fn call_next(
    conn: &mut AnyConnection,
    centre: &str,
    window: &str,
    skills: &WindowSkills,
    day: NaiveDate,
    at: DateTime<Utc>,
) -> Result<Option<Ticket>, StoreError> {
    let called_at = stamp(at);
    let first = [
        TicketState::Called.as_str(),
        window,
        called_at.as_str(),
        TicketState::Waiting.as_str(),
    ];
    loop {
        let Some(claim) = waiting_served(&first, centre, day, skills) else {
            return Ok(None);
        };
        let claimed = claim
            .wrap(
                "UPDATE tickets SET state = $1, service_window = $2, called_at = $3, \
                 calls = calls + 1 WHERE state = $4 AND id = (",
                &format!(" ORDER BY priority DESC, issued_at, number LIMIT 1) RETURNING {COLUMNS}"),
            )
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = claimed {
            return ticket_from_row(&row).map(Some);
        }
        // Nothing claimed: nobody it serves waits, or another node took the first meanwhile.
        let Some(any) = waiting_served(&[], centre, day, skills) else {
            return Ok(None);
        };
        if any
            .query(" LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?
            .is_none()
        {
            return Ok(None);
        }
    }
}

/// Calls a ticket the window holds again (重呼).
pub async fn recall(
    conn: &mut AnyConnection,
    id: &str,
    window: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE tickets SET called_at = $3, calls = calls + 1 \
         WHERE id = $1 AND service_window = $2 AND state = $4",
    )
    .bind(id)
    .bind(window)
    .bind(stamp(at))
    .bind(TicketState::Called.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Sends a called ticket back to the queue for another business, at the front (转窗).
pub async fn transfer(
    conn: &mut AnyConnection,
    id: &str,
    window: &str,
    business: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE tickets SET state = $3, business = $4, service_window = '', priority = 1 \
         WHERE id = $1 AND service_window = $2 AND state = $5",
    )
    .bind(id)
    .bind(window)
    .bind(TicketState::Waiting.as_str())
    .bind(business)
    .bind(TicketState::Called.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// How a called ticket ends: served (with who came and the cases served) or a no-show (过号).
#[derive(Debug, Clone, Copy)]
pub struct Finish<'a> {
    pub state: TicketState,
    pub id_number: &'a str,
    pub name: &'a str,
    pub cases: &'a [String],
    pub at: DateTime<Utc>,
}

/// Ends a ticket the window holds; false when it holds no such ticket.
pub async fn finish(
    conn: &mut AnyConnection,
    id: &str,
    window: &str,
    end: Finish<'_>,
) -> Result<bool, StoreError> {
    let Finish {
        state,
        id_number,
        name,
        cases,
        at,
    } = end;
    let cases = serde_json::to_string(cases).map_err(|e| StoreError::corrupt(id, e))?;
    let r = sqlx::query(
        "UPDATE tickets SET state = $3, id_number = $4, name = $5, cases = $6, finished_at = $7 \
         WHERE id = $1 AND service_window = $2 AND state = $8",
    )
    .bind(id)
    .bind(window)
    .bind(state.as_str())
    .bind(id_number)
    .bind(name)
    .bind(cases)
    .bind(stamp(at))
    .bind(TicketState::Called.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The tickets a window holds now (called, not finished).
pub async fn held_by<'c, E>(db: E, centre: &str, window: &str) -> Result<Vec<Ticket>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE centre = $1 AND service_window = $2 AND state = $3 \
         ORDER BY called_at"
    )))
    .bind(centre)
    .bind(window)
    .bind(TicketState::Called.as_str())
    .fetch_all(db)
    .await?;
    rows.iter().map(ticket_from_row).collect()
}

/// The latest calls of a centre, newest first (the display board).
pub async fn recent_calls<'c, E>(db: E, centre: &str, limit: i64) -> Result<Vec<Ticket>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE centre = $1 AND called_at IS NOT NULL \
         ORDER BY called_at DESC LIMIT {limit}"
    )))
    .bind(centre)
    .fetch_all(db)
    .await?;
    rows.iter().map(ticket_from_row).collect()
}

/// How many tickets of a centre wait on a day (the display board's count), read from the call
/// order's index without decoding a ticket.
pub async fn waiting_count<'c, E>(db: E, centre: &str, day: NaiveDate) -> Result<usize, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets WHERE centre = $1 AND state = $2 AND day = $3",
    )
    .bind(centre)
    .bind(TicketState::Waiting.as_str())
    .bind(day.format("%Y-%m-%d").to_string())
    .fetch_one(db)
    .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The tickets of one business waiting at a centre on a day (a followed ticket's line), read
/// from `tickets_call_business` without the rest of the day.
pub async fn waiting_for<'c, E>(
    db: E,
    centre: &str,
    day: NaiveDate,
    business: &str,
) -> Result<Vec<Ticket>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE centre = $1 AND state = $2 AND business = $3 \
         AND day = $4"
    )))
    .bind(centre)
    .bind(TicketState::Waiting.as_str())
    .bind(business)
    .bind(day.format("%Y-%m-%d").to_string())
    .fetch_all(db)
    .await?;
    rows.iter().map(ticket_from_row).collect()
}

/// The tickets of a centre on a day, in the order they were taken.
pub async fn of_day<'c, E>(db: E, centre: &str, day: NaiveDate) -> Result<Vec<Ticket>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE centre = $1 AND day = $2 ORDER BY issued_at, number"
    )))
    .bind(centre)
    .bind(day.format("%Y-%m-%d").to_string())
    .fetch_all(db)
    .await?;
    rows.iter().map(ticket_from_row).collect()
}

/// Every ticket of a centre on the days `[from, to]` (waiting and serving times).
pub async fn of_period<'c, E>(
    db: E,
    centre: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Ticket>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE centre = $3 AND day >= $1 AND day <= $2 \
         ORDER BY day, issued_at"
    )))
    .bind(from.format("%Y-%m-%d").to_string())
    .bind(to.format("%Y-%m-%d").to_string())
    .bind(centre)
    .fetch_all(db)
    .await?;
    rows.iter().map(ticket_from_row).collect()
}
