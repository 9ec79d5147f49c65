//! Case rows: the current state of each case (a row kept for reading and for the next decision)
//! and its append-only history of events.

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::access::CaseScope;
use onewindow_domain::case::{Case, CaseEvent, Status};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;
use crate::filter::Filtered;

/// One event of a case's history as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub seq: u64,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub event: CaseEvent,
}

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// The total limit of a case's clock (with its extension), kept beside the due date so that the
/// monitor computes lights without reading the case.
fn clock_limit(case: &Case) -> Option<i64> {
    case.clock.as_ref().map(|c| i64::from(c.total_limit()))
}

fn case_body(case: &Case) -> Result<String, StoreError> {
    serde_json::to_string(case).map_err(|e| StoreError::corrupt(&case.id, e))
}

async fn append_events(
    conn: &mut AnyConnection,
    case_id: &str,
    first_seq: u64,
    events: &[CaseEvent],
    actor: &str,
    at: &str,
) -> Result<(), StoreError> {
    for (i, event) in events.iter().enumerate() {
        let body = serde_json::to_string(event).map_err(|e| StoreError::corrupt(case_id, e))?;
        let seq = first_seq + i as u64;
        sqlx::query(
            "INSERT INTO case_events (case_id, seq, kind, actor, at, body) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(case_id)
        .bind(i64::try_from(seq).map_err(|e| StoreError::corrupt(case_id, e))?)
        .bind(event.kind())
        .bind(actor)
        .bind(at)
        .bind(body)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn insert_row(
    conn: &mut AnyConnection,
    case: &Case,
    created_at: &str,
    updated_at: &str,
    due_on: Option<NaiveDate>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cases (id, number, item_code, item_version, department, centre, channel, status, \
         applicant_name, received_on, accepted_on, due_on, closed_on, visits, version, created_at, updated_at, body, \
         owner, applicant_identity, clock_limit, light_check_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
    )
    .bind(&case.id)
    .bind(&case.number)
    .bind(&case.item_code)
    .bind(i64::from(case.item_version))
    .bind(&case.department)
    .bind(&case.centre)
    .bind(case.channel.as_str())
    .bind(case.status.as_str())
    .bind(&case.applicant.name)
    .bind(case.received_on.format("%Y-%m-%d").to_string())
    .bind(date_text(case.accepted_on))
    .bind(date_text(due_on))
    .bind(date_text(case.closed_on))
    .bind(case.visits.len() as i64)
    .bind(case.version as i64)
    .bind(created_at)
    .bind(updated_at)
    .bind(case_body(case)?)
    .bind(case.filed_by.as_deref())
    .bind(&case.applicant.id_number)
    .bind(clock_limit(case))
    // A case written on a running clock is for the monitor to look at (see `monitor`).
    .bind(
        matches!(case.status, Status::Accepted | Status::InReview)
            .then_some(crate::monitor::CHECK_NOW),
    )
    .execute(&mut *conn)
    .await?;
    crate::facts::insert(conn, case).await
}

/// Stores a new case and its first event.
pub async fn insert(
    conn: &mut AnyConnection,
    case: &Case,
    event: &CaseEvent,
    actor: &str,
    due_on: Option<NaiveDate>,
) -> Result<(), StoreError> {
    let at = case.received_at.to_rfc3339();
    insert_row(conn, case, &at, &at, due_on).await?;
    crate::tolerance::sync(conn, case).await?;
    append_events(conn, &case.id, 1, std::slice::from_ref(event), actor, &at).await
}

/// Writes the new state of a case and appends its events, if the stored version is still
/// `expected_version`. Returns false (writing nothing) when someone else changed it first.
pub async fn update(
    conn: &mut AnyConnection,
    case: &Case,
    expected_version: u64,
    events: &[CaseEvent],
    actor: &str,
    at: DateTime<Utc>,
    due_on: Option<NaiveDate>,
) -> Result<bool, StoreError> {
    let at = at.to_rfc3339();
    let result = sqlx::query(
        "UPDATE cases SET status = $1, accepted_on = $2, due_on = $3, closed_on = $4, visits = $5, \
         version = $6, updated_at = $7, body = $8, clock_limit = $11, \
         light_check_on = CASE WHEN status IN ('accepted', 'in_review', 'suspended') \
             OR $1 IN ('accepted', 'in_review', 'suspended') THEN $12 ELSE light_check_on END \
         WHERE id = $9 AND version = $10",
    )
    .bind(case.status.as_str())
    .bind(date_text(case.accepted_on))
    .bind(date_text(due_on))
    .bind(date_text(case.closed_on))
    .bind(case.visits.len() as i64)
    .bind(case.version as i64)
    .bind(&at)
    .bind(case_body(case)?)
    .bind(&case.id)
    .bind(expected_version as i64)
    .bind(clock_limit(case))
    // A case that is or was on a clock is for the monitor to look at again: the old status
    // (`status` on the right of SET) or the new one.
    .bind(crate::monitor::CHECK_NOW)
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    crate::facts::update(conn, case).await?;
    crate::tolerance::sync(conn, case).await?;
    append_events(conn, &case.id, expected_version + 1, events, actor, &at).await?;
    Ok(true)
}

pub(crate) fn case_from_row(row: &AnyRow) -> Result<Case, StoreError> {
    let body: String = row.try_get("body")?;
    serde_json::from_str(&body).map_err(|e| StoreError::corrupt("case", e))
}

/// A case by its id or by its receipt number.
pub async fn load<'c, E>(db: E, id_or_number: &str) -> Result<Option<Case>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    // Ids are UUIDs (with dashes), receipt numbers are digits: one index lookup either way.
    let sql = if id_or_number.contains('-') {
        "SELECT body FROM cases WHERE id = $1"
    } else {
        "SELECT body FROM cases WHERE number = $1"
    };
    let row = sqlx::query(sql)
        .bind(id_or_number)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(case_from_row).transpose()
}

/// Cases received in `[from, to]` with more than one visit in person, newest first, at most
/// `limit` (the supervisors' follow-up of "at most once").
pub async fn with_repeat_visits<'c, E>(
    db: E,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> Result<Vec<Case>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT body FROM cases WHERE visits > 1 AND received_on >= $1 AND received_on <= $2 \
         ORDER BY received_on DESC, number DESC LIMIT $3",
    )
    .bind(from.format("%Y-%m-%d").to_string())
    .bind(to.format("%Y-%m-%d").to_string())
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(case_from_row).collect()
}

/// The cases of these ids (in no particular order), read in chunks that every backend's limit
/// on parameters allows.
pub async fn load_many(db: &sqlx::AnyPool, ids: &[String]) -> Result<Vec<Case>, StoreError> {
    let mut cases = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut q = Filtered::new("SELECT body FROM cases");
        q.and_in("id", chunk);
        for row in q.query("").fetch_all(db).await? {
            cases.push(case_from_row(&row)?);
        }
    }
    Ok(cases)
}

/// The history of a case, oldest first.
pub async fn history<'c, E>(db: E, case_id: &str) -> Result<Vec<StoredEvent>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows =
        sqlx::query("SELECT seq, actor, at, body FROM case_events WHERE case_id = $1 ORDER BY seq")
            .bind(case_id)
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get("seq")?;
            let at: String = row.try_get("at")?;
            let body: String = row.try_get("body")?;
            Ok(StoredEvent {
                seq: u64::try_from(seq).map_err(|e| StoreError::corrupt(case_id, e))?,
                actor: row.try_get("actor")?,
                at: DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| StoreError::corrupt(case_id, e))?
                    .with_timezone(&Utc),
                event: serde_json::from_str(&body).map_err(|e| StoreError::corrupt(case_id, e))?,
            })
        })
        .collect()
}

/// Filters of the case list; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub statuses: Vec<String>,
    pub item_code: Option<String>,
    pub department: Option<String>,
    pub centre: Option<String>,
    /// Only cases on a running clock whose due date is before this date.
    pub overdue_on: Option<NaiveDate>,
    /// Cases with an id smaller than this (ids grow with time, so this pages newest first).
    pub before_id: Option<String>,
    pub limit: i64,
    /// The cases the reader may see; the access policy computes it.
    pub scope: CaseScope,
}

/// A page of cases, newest first. Never counts the table: the caller asks for one more row than
/// it shows to know whether there is a next page.
///
/// Every page is read along an index in id order, so that its cost does not grow with the store
/// (issue 19). One state (or none) is one ordered range: of `(status, id)`, or of
/// `(department, status, id)` with a department. Several states, and the overdue filter (the
/// states on a clock), are one newest-first range per state, each cut at the page's length, and
/// the page is the newest of their union: a database cannot walk several ranges in one order,
/// and sorting every case of the states would read them all.
pub async fn list<'c, E>(db: E, filter: &CaseFilter) -> Result<Vec<Case>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let limit = filter.limit.clamp(1, 1001);
    let statuses: Vec<String> = match filter.overdue_on {
        // Which states run on a clock is the domain's rule; a stopped clock has no due date.
        Some(_) => Status::ALL
            .into_iter()
            .filter(|s| s.is_on_clock())
            .map(|s| s.as_str().to_string())
            .filter(|s| filter.statuses.is_empty() || filter.statuses.contains(s))
            .collect(),
        None => {
            let mut statuses = filter.statuses.clone();
            statuses.sort_unstable();
            statuses.dedup();
            statuses
        }
    };
    if filter.overdue_on.is_some() && statuses.is_empty() {
        return Ok(Vec::new());
    }
    let rows = if statuses.len() <= 1 {
        let mut filtered = Filtered::new("SELECT body FROM cases");
        and_list_filters(&mut filtered, filter, statuses.first());
        filtered
            .query(&format!(" ORDER BY id DESC LIMIT {limit}"))
            .fetch_all(db)
            .await?
    } else {
        let mut filtered = Filtered::new(
            "SELECT body FROM cases WHERE id IN (SELECT id FROM (SELECT id FROM cases",
        );
        for (i, status) in statuses.iter().enumerate() {
            if i > 0 {
                filtered.push_sql(&format!(
                    " ORDER BY id DESC LIMIT {limit}) AS b{} UNION ALL SELECT id FROM (SELECT id FROM cases WHERE 1 = 1",
                    i - 1
                ));
            }
            and_list_filters(&mut filtered, filter, Some(status));
        }
        filtered.push_sql(&format!(
            " ORDER BY id DESC LIMIT {limit}) AS b{})",
            statuses.len() - 1
        ));
        filtered
            .query(&format!(" ORDER BY id DESC LIMIT {limit}"))
            .fetch_all(db)
            .await?
    };
    rows.iter().map(case_from_row).collect()
}

/// The conditions of a case list other than its states, with `status` as one state.
fn and_list_filters(filtered: &mut Filtered, filter: &CaseFilter, status: Option<&String>) {
    and_in_scope(filtered, &filter.scope);
    if let Some(v) = status {
        filtered.and("status = ?", [v.clone()]);
    }
    if let Some(v) = &filter.item_code {
        filtered.and("item_code = ?", [v.clone()]);
    }
    if let Some(v) = &filter.department {
        filtered.and("department = ?", [v.clone()]);
    }
    if let Some(v) = &filter.centre {
        filtered.and("centre = ?", [v.clone()]);
    }
    if let Some(d) = filter.overdue_on {
        filtered.and(
            "due_on IS NOT NULL AND due_on < ?",
            [d.format("%Y-%m-%d").to_string()],
        );
    }
    if let Some(v) = &filter.before_id {
        filtered.and("id < ?", [v.clone()]);
    }
}

/// Narrows to the cases of a scope: the same test as `CaseScope::contains`, in SQL.
fn and_in_scope(filtered: &mut Filtered, scope: &CaseScope) {
    if scope.all {
        return;
    }
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    if let Some(owner) = &scope.owner {
        clauses.push("owner = ?".to_string());
        values.push(owner.clone());
    }
    if let Some(identity) = &scope.applicant_identity {
        // Identifiers are stored in canonical (upper-case) form.
        clauses.push("applicant_identity = ?".to_string());
        values.push(identity.to_ascii_uppercase());
    }
    if !scope.centres.is_empty() {
        clauses.push(format!(
            "centre IN ({})",
            vec!["?"; scope.centres.len()].join(", ")
        ));
        values.extend(scope.centres.iter().cloned());
    }
    if !scope.departments.is_empty() {
        let marks = vec!["?"; scope.departments.len()].join(", ");
        // A joint case is also in the scope of every department with a task in it.
        clauses.push(format!(
            "department IN ({marks}) OR id IN (SELECT case_id FROM case_tasks WHERE department IN ({marks}))"
        ));
        values.extend(scope.departments.iter().cloned());
        values.extend(scope.departments.iter().cloned());
    }
    if clauses.is_empty() {
        filtered.and("1 = 0", []);
    } else {
        filtered.and(&format!("({})", clauses.join(" OR ")), values);
    }
}

/// Ids of cases still waiting before acceptance that were received on or before `received_by`:
/// the candidates for acceptance by law when no notice was sent in time.
pub async fn awaiting_acceptance<'c, E>(
    db: E,
    received_by: NaiveDate,
) -> Result<Vec<String>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT id FROM cases WHERE status IN ('submitted', 'pre_review') AND received_on <= $1 ORDER BY id",
    )
    .bind(received_by.format("%Y-%m-%d").to_string())
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// The stored answer to a request made with an idempotency key.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub fingerprint: String,
    pub body: String,
}

pub async fn find_idempotent<'c, E>(db: E, key: &str) -> Result<Option<StoredAnswer>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT fingerprint, body FROM idempotency_keys WHERE key = $1")
        .bind(key)
        .fetch_optional(db)
        .await?;
    row.map(|r| {
        Ok(StoredAnswer {
            fingerprint: r.try_get("fingerprint")?,
            body: r.try_get("body")?,
        })
    })
    .transpose()
}

pub async fn remember_idempotent(
    conn: &mut AnyConnection,
    key: &str,
    fingerprint: &str,
    body: &str,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (key, fingerprint, body, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(key)
    .bind(fingerprint)
    .bind(body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a case with a whole history at once (demo data, migrations from another system).
pub async fn insert_with_history(
    conn: &mut AnyConnection,
    case: &Case,
    history: &[StoredEvent],
    due_on: Option<NaiveDate>,
) -> Result<(), StoreError> {
    let created = history
        .first()
        .map_or(case.received_at, |e| e.at)
        .to_rfc3339();
    let updated = history
        .last()
        .map_or(case.received_at, |e| e.at)
        .to_rfc3339();
    insert_row(conn, case, &created, &updated, due_on).await?;
    for e in history {
        append_events(
            conn,
            &case.id,
            e.seq,
            std::slice::from_ref(&e.event),
            &e.actor,
            &e.at.to_rfc3339(),
        )
        .await?;
    }
    Ok(())
}

/// Whether the store holds any case at all (the demo loads its cases only into an empty store).
pub async fn any_case<'c, E>(db: E) -> Result<bool, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    Ok(sqlx::query("SELECT id FROM cases LIMIT 1")
        .fetch_optional(db)
        .await?
        .is_some())
}

/// The cases whose deadline, or one of whose department tasks' deadline, falls on or after
/// `from`: those a holiday notice rearranging days from `from` on may move.
pub async fn ids_due_from(
    conn: &mut AnyConnection,
    from: NaiveDate,
) -> Result<Vec<String>, StoreError> {
    let from = from.to_string();
    let rows = sqlx::query(
        "SELECT id FROM cases WHERE due_on >= $1 \
         UNION SELECT case_id FROM case_tasks WHERE due_on >= $2",
    )
    .bind(from.as_str())
    .bind(from.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| row.try_get::<String, _>("id").map_err(StoreError::from))
        .collect()
}
