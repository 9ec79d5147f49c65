//! Rows of the electronic monitor: running clocks read from indexed columns, the last light of
//! every clock that is not green, alerts and who has read them.

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

const CLOCK_COLUMNS: &str = "c.id, c.number, COALESCE(i.name, c.item_code) AS item_name, \
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

/// Running clocks (accepted or in review) due on or before `horizon`: the only ones that can be
/// anything but green. Uses the due-date index.
pub async fn running_clocks_due_by<'c, E>(
    db: E,
    horizon: NaiveDate,
) -> Result<Vec<ClockRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {CLOCK_COLUMNS} FROM cases c LEFT JOIN items i ON i.code = c.item_code \
         WHERE c.due_on IS NOT NULL AND c.due_on <= $1 AND c.status IN ('accepted', 'in_review')"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(horizon.format("%Y-%m-%d").to_string())
        .fetch_all(db)
        .await?;
    rows.iter().map(clock_from_row).collect()
}

/// Every clock with a stored light (yellow or red), with its case as it is now.
pub async fn lit_clocks<'c, E>(db: E) -> Result<Vec<(ClockRow, Light)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {CLOCK_COLUMNS}, l.light FROM case_lights l JOIN cases c ON c.id = l.case_id \
         LEFT JOIN items i ON i.code = c.item_code"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(db).await?;
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

/// Stores the light of a clock; green is stored as no row.
pub async fn set_light(
    conn: &mut AnyConnection,
    case_id: &str,
    light: Light,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM case_lights WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    if light != Light::Green {
        sqlx::query("INSERT INTO case_lights (case_id, light, changed_at) VALUES ($1, $2, $3)")
            .bind(case_id)
            .bind(light.as_str())
            .bind(at.to_rfc3339())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// An alert raised by a change of light.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    pub raised_at: DateTime<Utc>,
}

pub async fn insert_alert(conn: &mut AnyConnection, alert: &Alert) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO alerts (id, case_id, case_number, item_name, department, centre, light, previous, due_on, raised_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&alert.id)
    .bind(&alert.case_id)
    .bind(&alert.case_number)
    .bind(&alert.item_name)
    .bind(&alert.department)
    .bind(&alert.centre)
    .bind(alert.light.as_str())
    .bind(alert.previous.as_str())
    .bind(alert.due_on.map(|d| d.format("%Y-%m-%d").to_string()))
    .bind(alert.raised_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn alert_from_row(row: &AnyRow) -> Result<Alert, StoreError> {
    let id: String = row.try_get("id")?;
    let light: String = row.try_get("light")?;
    let previous: String = row.try_get("previous")?;
    let due: Option<String> = row.try_get("due_on")?;
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
         a.previous, a.due_on, a.raised_at, r.read_at FROM alerts a \
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
        "SELECT id, case_id, case_number, item_name, department, centre, light, previous, due_on, raised_at \
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
    sqlx::query("DELETE FROM alert_reads WHERE alert_id = $1 AND user_id = $2")
        .bind(alert_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO alert_reads (alert_id, user_id, read_at) VALUES ($1, $2, $3)")
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
         LEFT JOIN items i ON i.code = c.item_code"
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
