//! Appointments (预约): the rows of booked slots, and the count of the places a slot's pool
//! holds.
//!
//! A booking counts and inserts inside one write transaction, after taking the lock of its slot
//! ([`lock_slot`]): the row `appointment-slot:<centre>:<day>:<slot>:<pool>` of `counters`,
//! written with `INSERT … ON CONFLICT DO UPDATE`. A plain count-then-insert would not do on
//! PostgreSQL under READ COMMITTED: two nodes' transactions would each count the slot before
//! the other's insert is committed, both see one place left, and both insert. The upsert takes
//! the counter row's lock (or, for a new row, waits on the other's uncommitted insert of the
//! same key), so the second booking waits there until the first commits; its count, a new
//! statement with a new snapshot, then sees the first booking. On SQLite the store's single
//! writer already runs one transaction at a time, and the same statements are simply
//! uncontended. Cancelling and checking in are updates conditional on the row's state, so two
//! of them racing change the row once.

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::appointment::AppointmentState;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor, Row};

use crate::queue::stamp;
use crate::{StoreError, next_counter};

/// One appointment (预约) as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appointment {
    pub id: String,
    pub centre: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: NaiveDate,
    /// The slot's start, `HH:MM`.
    pub slot: String,
    /// The slot's end, `HH:MM`.
    pub slot_ends: String,
    /// A department code, or empty for general business (综合).
    pub business: String,
    /// The windows whose places it takes: `comprehensive` or `department:<code>`.
    pub pool: String,
    /// The applicant's identity number or credit code (masked when the service hands it out).
    pub id_number: String,
    pub name: String,
    /// Masked when the service hands it out; empty when not given.
    pub phone: String,
    /// The account that booked it.
    pub booked_by: String,
    /// As stored; the service answers the state at its now (a booked one past its check-in is
    /// missed).
    pub state: AppointmentState,
    pub booked_at: DateTime<Utc>,
    /// Until when it may be checked in; after it, not checked in, it is missed.
    pub check_in_until: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    /// The ticket issued at its check-in; empty before.
    pub ticket: String,
}

const COLUMNS: &str = "id, centre, day, slot, slot_ends, business, pool, id_number, name, phone, \
     booked_by, state, booked_at, check_in_until, cancelled_at, checked_in_at, ticket";

fn parse_time(id: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::corrupt(id, e))
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn from_row(r: &AnyRow) -> Result<Appointment, StoreError> {
    let id: String = r.try_get("id")?;
    let day: String = r.try_get("day")?;
    let state: String = r.try_get("state")?;
    let booked_at: String = r.try_get("booked_at")?;
    let until: String = r.try_get("check_in_until")?;
    let cancelled_at: Option<String> = r.try_get("cancelled_at")?;
    let checked_in_at: Option<String> = r.try_get("checked_in_at")?;
    Ok(Appointment {
        day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|e| StoreError::corrupt(id.as_str(), e))?,
        state: AppointmentState::parse(&state)
            .ok_or_else(|| StoreError::corrupt(id.as_str(), format!("state {state}")))?,
        booked_at: parse_time(&id, &booked_at)?,
        check_in_until: parse_time(&id, &until)?,
        cancelled_at: cancelled_at
            .as_deref()
            .map(|t| parse_time(&id, t))
            .transpose()?,
        checked_in_at: checked_in_at
            .as_deref()
            .map(|t| parse_time(&id, t))
            .transpose()?,
        centre: r.try_get("centre")?,
        slot: r.try_get("slot")?,
        slot_ends: r.try_get("slot_ends")?,
        business: r.try_get("business")?,
        pool: r.try_get("pool")?,
        id_number: r.try_get("id_number")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        booked_by: r.try_get("booked_by")?,
        ticket: r.try_get("ticket")?,
        id,
    })
}

pub async fn insert(conn: &mut AnyConnection, a: &Appointment) -> Result<(), StoreError> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO appointments ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    )))
    .bind(&a.id)
    .bind(&a.centre)
    .bind(day_text(a.day))
    .bind(&a.slot)
    .bind(&a.slot_ends)
    .bind(&a.business)
    .bind(&a.pool)
    .bind(&a.id_number)
    .bind(&a.name)
    .bind(&a.phone)
    .bind(&a.booked_by)
    .bind(a.state.as_str())
    .bind(stamp(a.booked_at))
    .bind(stamp(a.check_in_until))
    .bind(a.cancelled_at.map(stamp))
    .bind(a.checked_in_at.map(stamp))
    .bind(&a.ticket)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get<'c, E>(db: E, id: &str) -> Result<Option<Appointment>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM appointments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The appointments an account booked, the latest day first.
pub async fn by_booker<'c, E>(
    db: E,
    booked_by: &str,
    limit: i64,
) -> Result<Vec<Appointment>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM appointments WHERE booked_by = $1 \
         ORDER BY day DESC, slot DESC, booked_at DESC LIMIT {limit}"
    )))
    .bind(booked_by)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The appointments of an identity on a day at a centre, in slot order (the kiosk's check-in
/// by identity number).
pub async fn of_identity<'c, E>(
    db: E,
    centre: &str,
    day: NaiveDate,
    id_number: &str,
) -> Result<Vec<Appointment>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM appointments WHERE id_number = $1 AND day = $2 AND centre = $3 \
         ORDER BY slot, booked_at"
    )))
    .bind(id_number)
    .bind(day_text(day))
    .bind(centre)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// A slot of a pool on a day at a centre: what its places are counted by.
#[derive(Debug, Clone, Copy)]
pub struct SlotOf<'a> {
    pub centre: &'a str,
    pub day: NaiveDate,
    /// The slot's start, `HH:MM`.
    pub slot: &'a str,
    pub pool: &'a str,
}

/// Takes the lock of a slot for the rest of the caller's transaction (see the module's
/// comment): a booking's count after it sees every booking of the slot committed before.
pub async fn lock_slot(conn: &mut AnyConnection, slot: SlotOf<'_>) -> Result<(), StoreError> {
    next_counter(
        conn,
        &format!(
            "appointment-slot:{}:{}:{}:{}",
            slot.centre,
            day_text(slot.day),
            slot.slot,
            slot.pool
        ),
    )
    .await?;
    Ok(())
}

/// Writes `missed` on the slot's booked appointments whose check-in closed before `now`: the
/// state the service already answers for them, kept in the row.
pub async fn mark_missed(
    conn: &mut AnyConnection,
    slot: SlotOf<'_>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let r = sqlx::query(
        "UPDATE appointments SET state = $1 WHERE centre = $2 AND day = $3 AND pool = $4 \
         AND slot = $5 AND state = $6 AND check_in_until < $7",
    )
    .bind(AppointmentState::Missed.as_str())
    .bind(slot.centre)
    .bind(day_text(slot.day))
    .bind(slot.pool)
    .bind(slot.slot)
    .bind(AppointmentState::Booked.as_str())
    .bind(stamp(now))
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected())
}

/// The places of the slot held at `now`: checked in, or booked and not yet missed.
pub async fn holding<'c, E>(db: E, slot: SlotOf<'_>, now: DateTime<Utc>) -> Result<u32, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT COUNT(*) FROM appointments WHERE centre = $1 AND day = $2 AND pool = $3 \
         AND slot = $4 AND (state = $5 OR (state = $6 AND check_in_until >= $7))",
    )
    .bind(slot.centre)
    .bind(day_text(slot.day))
    .bind(slot.pool)
    .bind(slot.slot)
    .bind(AppointmentState::CheckedIn.as_str())
    .bind(AppointmentState::Booked.as_str())
    .bind(stamp(now))
    .fetch_one(db)
    .await?;
    Ok(u32::try_from(row.try_get::<i64, _>(0)?).unwrap_or(u32::MAX))
}

/// The places held at `now` in every slot of a pool on a day, by slot start.
pub async fn holding_by_slot<'c, E>(
    db: E,
    centre: &str,
    day: NaiveDate,
    pool: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(String, u32)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT slot, COUNT(*) AS held FROM appointments WHERE centre = $1 AND day = $2 \
         AND pool = $3 AND (state = $4 OR (state = $5 AND check_in_until >= $6)) GROUP BY slot",
    )
    .bind(centre)
    .bind(day_text(day))
    .bind(pool)
    .bind(AppointmentState::CheckedIn.as_str())
    .bind(AppointmentState::Booked.as_str())
    .bind(stamp(now))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let held: i64 = r.try_get("held")?;
            Ok((r.try_get("slot")?, u32::try_from(held).unwrap_or(u32::MAX)))
        })
        .collect()
}

/// Cancels a booked appointment not yet missed at `at`; false when it is not (any more) in
/// that state.
pub async fn cancel(
    conn: &mut AnyConnection,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE appointments SET state = $2, cancelled_at = $3 \
         WHERE id = $1 AND state = $4 AND check_in_until >= $3",
    )
    .bind(id)
    .bind(AppointmentState::Cancelled.as_str())
    .bind(stamp(at))
    .bind(AppointmentState::Booked.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Checks a booked appointment in at `at` with the ticket issued for it; false when it is not
/// (any more) booked, or missed by then.
pub async fn check_in(
    conn: &mut AnyConnection,
    id: &str,
    ticket: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE appointments SET state = $2, checked_in_at = $3, ticket = $4 \
         WHERE id = $1 AND state = $5 AND check_in_until >= $3",
    )
    .bind(id)
    .bind(AppointmentState::CheckedIn.as_str())
    .bind(stamp(at))
    .bind(ticket)
    .bind(AppointmentState::Booked.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
