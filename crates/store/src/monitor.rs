//! Rows of the electronic monitor: the clocks whose light may have changed (found through one
//! indexed column, `cases.light_check_on`), the last light of every clock that is not green,
//! alerts and who has read them.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::access::CaseScope;
use onewindow_domain::monitor::Light;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;
use crate::filter::Filtered;

/// A clock as the monitor sees it, without reading the case itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockRow {
    pub case_id: String,
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub centre: String,
    pub status: String,
    pub due_on: Option<NaiveDate>,
    /// The total limit in working days, extension included.
    pub limit_days: Option<u32>,
}

const CLOCK_COLUMNS: &str = "c.id, c.number, COALESCE(i.name, b.name, c.item_code) AS item_name, \
     c.department, c.centre, c.status, c.due_on, c.clock_limit";

fn clock_from_row(row: &AnyRow) -> Result<ClockRow, StoreError> {
    let id: String = row.try_get("id")?;
    let due: Option<String> = row.try_get("due_on")?;
    let limit: Option<i64> = row.try_get("clock_limit")?;
    Ok(ClockRow {
        number: row.try_get("number")?,
        item_name: row.try_get("item_name")?,
        department: row.try_get("department")?,
        centre: row.try_get("centre")?,
        status: row.try_get("status")?,
        due_on: due
            .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d"))
            .transpose()
            .map_err(|e| StoreError::corrupt(id.as_str(), e))?,
        limit_days: limit
            .map(u32::try_from)
            .transpose()
            .map_err(|e| StoreError::corrupt(id.as_str(), e))?,
        case_id: id,
    })
}

/// The `light_check_on` of a case written since the sweep last looked at it: before every date,
/// so the next sweep reads it.
pub const CHECK_NOW: &str = "0000-00-00";

/// A case the sweep must look at: its clock, its stored light, and what the sweep read, so that
/// it writes nothing if the case changed in the meantime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockToCheck {
    pub clock: ClockRow,
    /// The stored light (none: green).
    pub light: Option<Light>,
    pub version: i64,
    /// The `light_check_on` read.
    pub check_on: String,
}

/// Up to `limit` of the cases whose light may have changed by `today`: written since the last
/// sweep, or due to turn yellow or red by now (`light_check_on` on or before `today`), in the
/// order of that column's own index. Every other case keeps its light until a write or the day
/// in its `light_check_on`. Read in that order with a limit, PostgreSQL walks the index itself
/// and marks the entries of row versions a sweep replaced as dead on the way, so the next sweep
/// skips them (a bitmap scan, its choice without the order, visits them again every time until
/// autovacuum).
pub async fn clocks_to_check<'c, E>(
    db: E,
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<ClockToCheck>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {CLOCK_COLUMNS}, c.version, c.light_check_on, l.light FROM cases c \
         LEFT JOIN case_lights l ON l.case_id = c.id LEFT JOIN items i ON i.code = c.item_code LEFT JOIN bundles b ON b.code = c.item_code \
         WHERE c.light_check_on IS NOT NULL AND c.light_check_on <= $1 \
         ORDER BY c.light_check_on LIMIT {}",
        limit.max(1)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(today.format("%Y-%m-%d").to_string())
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            let clock = clock_from_row(r)?;
            let light: Option<String> = r.try_get("light")?;
            let light = light
                .map(|l| {
                    Light::parse(&l)
                        .ok_or_else(|| StoreError::corrupt(clock.case_id.as_str(), "unknown light"))
                })
                .transpose()?;
            Ok(ClockToCheck {
                light,
                version: r.try_get("version")?,
                check_on: r.try_get("light_check_on")?,
                clock,
            })
        })
        .collect()
}

/// Bound values per statement of the sweep's writes: many cases per statement, but not too
/// many, as SQLite finds each numbered parameter by walking the list of them, so binding costs
/// grow with the square of their number (400 alerts, 4,000 values, in one statement took
/// 17.5 ms; in statements of 32 alerts, 400 take under half of that, outbox messages included).
const VALUES_PER_STATEMENT: usize = 320;

/// Rows of `columns` values per statement.
pub(crate) const fn rows_per_statement(columns: usize) -> usize {
    VALUES_PER_STATEMENT / columns
}

/// `($1, $2, …), ($k, …), …`: `rows` tuples of `columns` numbered placeholders.
pub(crate) fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// Moves the day the sweep looks at each case again (`None`: only a write of the case brings it
/// back), for the cases still as the sweep read them (same version, same `light_check_on`).
/// Returns the ids it moved: the cases this sweep may store a light for. A case written since
/// is left out and read again; one taken by a sweep on another node is left to that sweep.
pub async fn set_checks_on(
    conn: &mut AnyConnection,
    checks: &[(&ClockToCheck, Option<NaiveDate>)],
) -> Result<HashSet<String>, StoreError> {
    let mut moved = HashSet::with_capacity(checks.len());
    for chunk in checks.chunks(rows_per_statement(4)) {
        let sql = format!(
            "UPDATE cases SET light_check_on = v.column3 FROM (VALUES {}) AS v \
             WHERE cases.id = v.column1 AND cases.version = v.column2 \
             AND cases.light_check_on = v.column4 RETURNING cases.id",
            placeholders(chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (checked, next) in chunk {
            query = query
                .bind(checked.clock.case_id.clone())
                .bind(checked.version)
                .bind(date_text(*next))
                .bind(checked.check_on.clone());
        }
        for row in query.fetch_all(&mut *conn).await? {
            moved.insert(row.try_get::<String, _>(0)?);
        }
    }
    Ok(moved)
}

/// Has the sweep look at every running clock again (after a change of the calendar or the light
/// rule); returns how many.
pub async fn check_all_running(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let result = sqlx::query(
        "UPDATE cases SET light_check_on = $1 WHERE status IN ('accepted', 'in_review')",
    )
    .bind(CHECK_NOW)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected())
}

/// On PostgreSQL, vacuums and analyzes the tables a sweep changes, as autovacuum does within a
/// minute or so of a mass update (the first sweep, or the one after a change of calendar): until
/// then the index on `light_check_on` still leads to every row version the sweep replaced, and
/// each sweep visits them. A benchmark calls it to measure the steady state without waiting.
/// SQLite updates rows in place and needs nothing.
pub async fn vacuum_after_mass_update(store: &crate::Store) -> Result<(), StoreError> {
    if store.backend() == crate::Backend::Postgres {
        sqlx::raw_sql("VACUUM (ANALYZE) cases, case_lights, alerts")
            .execute(store.readers())
            .await?;
    }
    Ok(())
}

/// A value the monitor keeps between sweeps (e.g. what its lights were computed with).
pub async fn state<'c, E>(db: E, name: &str) -> Result<Option<String>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT value FROM monitor_state WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| r.try_get("value")).transpose()?)
}

pub async fn set_state(
    conn: &mut AnyConnection,
    name: &str,
    value: &str,
) -> Result<(), StoreError> {
    // An upsert: two nodes starting at once both write the state instead of the second failing
    // on the key.
    sqlx::query(
        "INSERT INTO monitor_state (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores the lights of clocks; green is stored as no row.
pub async fn set_lights(
    conn: &mut AnyConnection,
    lights: &[(&str, Light)],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = at.to_rfc3339();
    for chunk in lights.chunks(rows_per_statement(3)) {
        let sql = format!(
            "DELETE FROM case_lights WHERE case_id IN ({})",
            (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (case_id, _) in chunk {
            query = query.bind(case_id.to_string());
        }
        query.execute(&mut *conn).await?;
        let lit: Vec<&(&str, Light)> = chunk.iter().filter(|(_, l)| *l != Light::Green).collect();
        if lit.is_empty() {
            continue;
        }
        let sql = format!(
            "INSERT INTO case_lights (case_id, light, changed_at) VALUES {}",
            placeholders(lit.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (case_id, light) in lit {
            query = query
                .bind(case_id.to_string())
                .bind(light.as_str())
                .bind(at.clone());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// An alert raised by a change of light.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Alert {
    pub id: String,
    pub case_id: String,
    pub case_number: String,
    pub item_name: String,
    pub department: String,
    pub centre: String,
    pub light: Light,
    pub previous: Light,
    pub due_on: Option<NaiveDate>,
    /// Set when the alert is about a deadline a holiday notice moved earlier: the due day it
    /// replaced (`due_on` is the new one; the light is the clock's, unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_due_on: Option<NaiveDate>,
    pub raised_at: DateTime<Utc>,
}

/// The outbox topic of a raised alert; the message body is the alert as JSON.
pub const ALERT_TOPIC: &str = "alert.raised";

/// Stores alerts and, in the same transaction, one outbox message for each (as
/// [`crate::enqueue_outbox`] would, dozens per statement).
pub async fn insert_alerts(conn: &mut AnyConnection, alerts: &[Alert]) -> Result<(), StoreError> {
    for chunk in alerts.chunks(rows_per_statement(11)) {
        let sql = format!(
            "INSERT INTO alerts (id, case_id, case_number, item_name, department, centre, light, \
             previous, due_on, raised_at, previous_due_on) VALUES {}",
            placeholders(chunk.len(), 11)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for alert in chunk {
            query = query
                .bind(alert.id.clone())
                .bind(alert.case_id.clone())
                .bind(alert.case_number.clone())
                .bind(alert.item_name.clone())
                .bind(alert.department.clone())
                .bind(alert.centre.clone())
                .bind(alert.light.as_str())
                .bind(alert.previous.as_str())
                .bind(date_text(alert.due_on))
                .bind(alert.raised_at.to_rfc3339())
                .bind(date_text(alert.previous_due_on));
        }
        query.execute(&mut *conn).await?;
        let sql = format!(
            "INSERT INTO outbox (id, topic, body, created_at) VALUES {}",
            placeholders(chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for alert in chunk {
            let body =
                serde_json::to_string(alert).map_err(|e| StoreError::corrupt(&alert.id, e))?;
            query = query
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(ALERT_TOPIC)
                .bind(body)
                .bind(alert.raised_at.to_rfc3339());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn alert_from_row(row: &AnyRow) -> Result<Alert, StoreError> {
    let id: String = row.try_get("id")?;
    let light: String = row.try_get("light")?;
    let previous: String = row.try_get("previous")?;
    let due: Option<String> = row.try_get("due_on")?;
    let previous_due: Option<String> = row.try_get("previous_due_on")?;
    let at: String = row.try_get("raised_at")?;
    let corrupt = |e: &str| StoreError::corrupt(id.as_str(), e.to_string());
    Ok(Alert {
        case_id: row.try_get("case_id")?,
        case_number: row.try_get("case_number")?,
        item_name: row.try_get("item_name")?,
        department: row.try_get("department")?,
        centre: row.try_get("centre")?,
        light: Light::parse(&light).ok_or_else(|| corrupt("unknown light"))?,
        previous: Light::parse(&previous).ok_or_else(|| corrupt("unknown light"))?,
        due_on: due
            .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d"))
            .transpose()
            .map_err(|e| corrupt(&e.to_string()))?,
        previous_due_on: previous_due
            .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d"))
            .transpose()
            .map_err(|e| corrupt(&e.to_string()))?,
        raised_at: DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| corrupt(&e.to_string()))?,
        id,
    })
}

/// Narrows to the clocks of a scope: everything, or some departments or centres. Owner and
/// applicant scopes see no monitor.
fn and_in_scope(q: &mut Filtered, scope: &CaseScope, department: &str, centre: &str) {
    if scope.all {
        return;
    }
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    if !scope.departments.is_empty() {
        clauses.push(format!(
            "{department} IN ({})",
            vec!["?"; scope.departments.len()].join(", ")
        ));
        values.extend(scope.departments.iter().cloned());
    }
    if !scope.centres.is_empty() {
        clauses.push(format!(
            "{centre} IN ({})",
            vec!["?"; scope.centres.len()].join(", ")
        ));
        values.extend(scope.centres.iter().cloned());
    }
    if clauses.is_empty() {
        q.and("1 = 0", []);
    } else {
        q.and(&format!("({})", clauses.join(" OR ")), values);
    }
}

/// Alerts of a scope, newest first, with whether `user_id` has read each.
pub async fn alerts_for<'c, E>(
    db: E,
    scope: &CaseScope,
    user_id: &str,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<(Alert, bool)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut q = Filtered::new(
        "SELECT a.id, a.case_id, a.case_number, a.item_name, a.department, a.centre, a.light, \
         a.previous, a.due_on, a.raised_at, a.previous_due_on, r.read_at FROM alerts a \
         LEFT JOIN alert_reads r ON r.alert_id = a.id AND r.user_id = $1",
    );
    q.bind_first(user_id.to_string());
    and_in_scope(&mut q, scope, "a.department", "a.centre");
    if let Some(b) = before_id {
        q.and("a.id < ?", [b.to_string()]);
    }
    let rows = q
        .query(&format!(
            " ORDER BY a.id DESC LIMIT {}",
            limit.clamp(1, 501)
        ))
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            let read: Option<String> = r.try_get("read_at")?;
            Ok((alert_from_row(r)?, read.is_some()))
        })
        .collect()
}

pub async fn get_alert<'c, E>(db: E, id: &str) -> Result<Option<Alert>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT id, case_id, case_number, item_name, department, centre, light, previous, due_on, raised_at, \
         previous_due_on \
         FROM alerts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(alert_from_row).transpose()
}

pub async fn mark_read(
    conn: &mut AnyConnection,
    alert_id: &str,
    user_id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    // An upsert: the same alert marked read on two nodes at once (two tabs) is read, not a
    // failure on the key.
    sqlx::query(
        "INSERT INTO alert_reads (alert_id, user_id, read_at) VALUES ($1, $2, $3) \
         ON CONFLICT (alert_id, user_id) DO UPDATE SET read_at = excluded.read_at",
    )
    .bind(alert_id)
    .bind(user_id)
    .bind(at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The lit clocks (yellow and red) of a scope, most urgent first.
pub async fn lit_clocks_in<'c, E>(
    db: E,
    scope: &CaseScope,
) -> Result<Vec<(ClockRow, Light)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut q = Filtered::new(&format!(
        "SELECT {CLOCK_COLUMNS}, l.light FROM case_lights l JOIN cases c ON c.id = l.case_id \
         LEFT JOIN items i ON i.code = c.item_code LEFT JOIN bundles b ON b.code = c.item_code"
    ));
    and_in_scope(&mut q, scope, "c.department", "c.centre");
    let rows = q
        .query(" ORDER BY c.due_on, c.id LIMIT 1000")
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            let light: String = r.try_get("light")?;
            let clock = clock_from_row(r)?;
            let light = Light::parse(&light)
                .ok_or_else(|| StoreError::corrupt(clock.case_id.as_str(), "unknown light"))?;
            Ok((clock, light))
        })
        .collect()
}

/// How many clocks of a scope are running (accepted or in review) or stopped (suspended).
pub async fn open_clock_count<'c, E>(db: E, scope: &CaseScope) -> Result<i64, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut q = Filtered::new("SELECT COUNT(*) FROM cases c");
    q.and("c.status IN ('accepted', 'in_review', 'suspended')", []);
    and_in_scope(&mut q, scope, "c.department", "c.centre");
    let row = q.query("").fetch_one(db).await?;
    Ok(row.try_get::<i64, _>(0)?)
}
