//! Joint-approval bundles (联办事项) and their versions, and the department tasks of joint cases.

use chrono::NaiveDate;
use onewindow_domain::bundle::{Bundle, PublishedBundle};
use onewindow_domain::monitor::Light;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

/// Publishes `bundle` as its next version and returns that version number.
pub async fn publish(
    conn: &mut AnyConnection,
    bundle: &Bundle,
    by: &str,
    at: &str,
) -> Result<u32, StoreError> {
    let current: Option<i64> = sqlx::query("SELECT version FROM bundles WHERE code = $1")
        .bind(&bundle.code)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("version"))
        .transpose()?;
    let version = current.unwrap_or(0) + 1;
    let body =
        serde_json::to_string(bundle).map_err(|e| StoreError::corrupt(bundle.code.as_str(), e))?;
    sqlx::query(
        "INSERT INTO bundles (code, version, name, lead_department, body, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (code) DO UPDATE SET version = excluded.version, name = excluded.name, \
         lead_department = excluded.lead_department, body = excluded.body, \
         updated_at = excluded.updated_at",
    )
    .bind(&bundle.code)
    .bind(version)
    .bind(&bundle.name)
    .bind(&bundle.lead_department)
    .bind(&body)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO bundle_versions (code, version, body, published_at, published_by) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&bundle.code)
    .bind(version)
    .bind(&body)
    .bind(at)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    u32::try_from(version).map_err(|e| StoreError::corrupt(bundle.code.as_str(), e))
}

fn from_row(row: &AnyRow) -> Result<PublishedBundle, StoreError> {
    let code: String = row.try_get("code")?;
    let version: i64 = row.try_get("version")?;
    let body: String = row.try_get("body")?;
    let bundle: Bundle =
        serde_json::from_str(&body).map_err(|e| StoreError::corrupt(code.as_str(), e))?;
    Ok(PublishedBundle {
        version: u32::try_from(version).map_err(|e| StoreError::corrupt(code.as_str(), e))?,
        bundle,
    })
}

/// The current version of a bundle.
pub async fn get<'c, E>(db: E, code: &str) -> Result<Option<PublishedBundle>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT code, version, body FROM bundles WHERE code = $1")
        .bind(code)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every bundle in its current version, by code.
pub async fn list<'c, E>(db: E) -> Result<Vec<PublishedBundle>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT code, version, body FROM bundles ORDER BY code")
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// One department's task of a joint case, as lists and the monitor need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub task_key: String,
    pub item_name: String,
    pub department: String,
    pub status: String,
    pub claimed_by: Option<String>,
    pub due_on: Option<String>,
    /// The task clock's total limit in working days, while it has a clock.
    pub limit_days: Option<u32>,
}

/// Writes the task rows of a case (a case's tasks never go away). Each row keeps its light and
/// is for the monitor to look at again, as a written case is.
pub async fn sync_tasks(
    conn: &mut AnyConnection,
    case_id: &str,
    tasks: &[TaskRow],
) -> Result<(), StoreError> {
    for t in tasks {
        sqlx::query(
            "INSERT INTO case_tasks (case_id, task_key, item_name, department, status, claimed_by,              due_on, limit_days, light_check_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)              ON CONFLICT (case_id, task_key) DO UPDATE SET item_name = excluded.item_name,              department = excluded.department, status = excluded.status,              claimed_by = excluded.claimed_by, due_on = excluded.due_on,              limit_days = excluded.limit_days, light_check_on = excluded.light_check_on",
        )
        .bind(case_id)
        .bind(&t.task_key)
        .bind(&t.item_name)
        .bind(&t.department)
        .bind(&t.status)
        .bind(t.claimed_by.as_deref())
        .bind(t.due_on.as_deref())
        .bind(t.limit_days.map(i64::from))
        .bind(crate::monitor::CHECK_NOW)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A task clock as the monitor reads it, with what it needs for an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskClock {
    pub case_id: String,
    pub task_key: String,
    pub case_number: String,
    /// The bundle's name and the member item's, e.g. "开办民宿 · 公共场所卫生许可".
    pub item_name: String,
    pub department: String,
    pub centre: String,
    pub status: String,
    pub due_on: Option<NaiveDate>,
    pub limit_days: Option<u32>,
    /// The stored light (none: green).
    pub light: Option<Light>,
    /// The `light_check_on` read, so that a write meanwhile wins over the sweep.
    pub check_on: Option<String>,
}

const TASK_CLOCK_COLUMNS: &str = "t.case_id, t.task_key, c.number,      COALESCE(b.name, c.item_code) AS bundle_name, t.item_name, t.department, c.centre, t.status,      t.due_on, t.limit_days, t.light, t.light_check_on";

const TASK_CLOCK_FROM: &str = "FROM case_tasks t JOIN cases c ON c.id = t.case_id      LEFT JOIN bundles b ON b.code = c.item_code";

fn task_clock_from_row(row: &AnyRow) -> Result<TaskClock, StoreError> {
    let case_id: String = row.try_get("case_id")?;
    let due: Option<String> = row.try_get("due_on")?;
    let limit: Option<i64> = row.try_get("limit_days")?;
    let light: Option<String> = row.try_get("light")?;
    let bundle: String = row.try_get("bundle_name")?;
    let item: String = row.try_get("item_name")?;
    Ok(TaskClock {
        task_key: row.try_get("task_key")?,
        case_number: row.try_get("number")?,
        item_name: format!("{bundle} · {item}"),
        department: row.try_get("department")?,
        centre: row.try_get("centre")?,
        status: row.try_get("status")?,
        due_on: due
            .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d"))
            .transpose()
            .map_err(|e| StoreError::corrupt(case_id.as_str(), e))?,
        limit_days: limit
            .map(u32::try_from)
            .transpose()
            .map_err(|e| StoreError::corrupt(case_id.as_str(), e))?,
        light: light.as_deref().and_then(Light::parse),
        check_on: row.try_get("light_check_on")?,
        case_id,
    })
}

/// Up to `limit` task clocks whose light may have changed by `today`: written since the last
/// sweep or due to change colour by now.
pub async fn task_clocks_to_check<'c, E>(
    db: E,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<TaskClock>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {TASK_CLOCK_COLUMNS} {TASK_CLOCK_FROM} WHERE t.light_check_on <= $1          ORDER BY t.light_check_on, t.case_id, t.task_key LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(today.format("%Y-%m-%d").to_string())
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(task_clock_from_row).collect()
}

/// What the sweep decided for one task clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLooked {
    pub case_id: String,
    pub task_key: String,
    /// The `light_check_on` the sweep read.
    pub check_on: Option<String>,
    /// The day to look again (none: only a write brings it back).
    pub next: Option<NaiveDate>,
    /// The light to store (none: green).
    pub light: Option<Light>,
}

/// Stores the sweep's findings for the task clocks still as it read them; returns which were
/// stored as `(case_id, task_key)`.
pub async fn set_task_lights(
    conn: &mut AnyConnection,
    looked: &[TaskLooked],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut stored = Vec::new();
    for l in looked {
        let result = sqlx::query(
            "UPDATE case_tasks SET light_check_on = $1, light = $2              WHERE case_id = $3 AND task_key = $4 AND light_check_on = $5",
        )
        .bind(l.next.map(|d| d.format("%Y-%m-%d").to_string()))
        .bind(l.light.map(Light::as_str))
        .bind(&l.case_id)
        .bind(&l.task_key)
        .bind(l.check_on.as_deref())
        .execute(&mut *conn)
        .await?;
        if result.rows_affected() == 1 {
            stored.push((l.case_id.clone(), l.task_key.clone()));
        }
    }
    Ok(stored)
}

/// The lit task clocks (yellow and red) of some departments (all when `departments` is `None`),
/// most urgent first.
pub async fn lit_task_clocks<'c, E>(
    db: E,
    departments: Option<&[String]>,
) -> Result<Vec<TaskClock>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut sql = format!(
        "SELECT {TASK_CLOCK_COLUMNS} {TASK_CLOCK_FROM} WHERE t.light IS NOT NULL          AND t.status IN ('open', 'in_review', 'awaiting_supplement', 'suspended')"
    );
    if let Some(departments) = departments {
        if departments.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(&format!(
            " AND t.department IN ({})",
            placeholders(1, departments.len())
        ));
    }
    sql.push_str(" ORDER BY t.due_on, t.case_id LIMIT 1000");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for d in departments.unwrap_or_default() {
        query = query.bind(d.clone());
    }
    let rows = query.fetch_all(db).await?;
    rows.iter().map(task_clock_from_row).collect()
}

/// Ids of joint cases with a task of one of `departments` in one of `statuses` (all statuses
/// when empty), most urgent first.
pub async fn cases_with_tasks<'c, E>(
    db: E,
    departments: &[String],
    statuses: &[&str],
    limit: i64,
) -> Result<Vec<String>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    if departments.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = format!(
        "SELECT case_id, MIN(COALESCE(due_on, '9999-12-31')) AS due FROM case_tasks WHERE department IN ({})",
        placeholders(1, departments.len())
    );
    if !statuses.is_empty() {
        sql.push_str(&format!(
            " AND status IN ({})",
            placeholders(departments.len() + 1, statuses.len())
        ));
    }
    sql.push_str(&format!(
        " GROUP BY case_id ORDER BY due, case_id LIMIT ${}",
        departments.len() + statuses.len() + 1
    ));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for d in departments {
        query = query.bind(d.clone());
    }
    for s in statuses {
        query = query.bind(s.to_string());
    }
    let rows = query.bind(limit).fetch_all(db).await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>("case_id").map_err(StoreError::from))
        .collect()
}

fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
