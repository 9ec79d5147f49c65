//! Investment projects and assessed regions.

use std::collections::BTreeSet;

use onewindow_domain::project::{Assessment, Project};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

fn body(project: &Project) -> Result<String, StoreError> {
    serde_json::to_string(project).map_err(|e| StoreError::corrupt(project.code.as_str(), e))
}

fn from_row(row: &AnyRow) -> Result<Project, StoreError> {
    let code: String = row.try_get("code")?;
    let body: String = row.try_get("body")?;
    serde_json::from_str(&body).map_err(|e| StoreError::corrupt(code.as_str(), e))
}

/// Stores a newly registered project.
pub async fn insert(
    conn: &mut AnyConnection,
    project: &Project,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO projects (code, name, owner_identity, registered_by, agent, region, version, \
         body, registered_on, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(project.code.as_str())
    .bind(&project.name)
    .bind(&project.owner_identity)
    .bind(project.registered_by.as_deref())
    .bind(project.agent.as_deref())
    .bind(project.region.as_deref())
    .bind(i64::try_from(project.version).unwrap_or(i64::MAX))
    .bind(body(project)?)
    .bind(project.registered_on.format("%Y-%m-%d").to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a project if it is still at `expected_version`; false when someone changed it first.
pub async fn update(
    conn: &mut AnyConnection,
    project: &Project,
    expected_version: u64,
    at: &str,
) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE projects SET name = $1, agent = $2, region = $3, version = $4, body = $5, \
         updated_at = $6 WHERE code = $7 AND version = $8",
    )
    .bind(&project.name)
    .bind(project.agent.as_deref())
    .bind(project.region.as_deref())
    .bind(i64::try_from(project.version).unwrap_or(i64::MAX))
    .bind(body(project)?)
    .bind(at)
    .bind(project.code.as_str())
    .bind(i64::try_from(expected_version).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn get<'c, E>(db: E, code: &str) -> Result<Option<Project>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT code, body FROM projects WHERE code = $1")
        .bind(code)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Who may see which projects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectScope {
    pub all: bool,
    pub owner_identity: Option<String>,
    pub account: Option<String>,
}

/// The projects of a scope, newest first.
pub async fn list<'c, E>(
    db: E,
    scope: &ProjectScope,
    limit: i64,
) -> Result<Vec<Project>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut sql = String::from("SELECT code, body FROM projects");
    let mut binds: Vec<String> = Vec::new();
    if !scope.all {
        let mut clauses = Vec::new();
        if let Some(identity) = &scope.owner_identity {
            binds.push(identity.clone());
            clauses.push(format!("owner_identity = ${}", binds.len()));
        }
        if let Some(account) = &scope.account {
            binds.push(account.clone());
            clauses.push(format!("registered_by = ${}", binds.len()));
            binds.push(account.clone());
            clauses.push(format!("agent = ${}", binds.len()));
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(&format!(" WHERE {}", clauses.join(" OR ")));
    }
    sql.push_str(&format!(
        " ORDER BY registered_on DESC, code DESC LIMIT ${}",
        binds.len() + 1
    ));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        query = query.bind(b);
    }
    let rows = query.bind(limit).fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

/// An assessed region (区域评估的园区).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub assessments: BTreeSet<Assessment>,
}

pub async fn upsert_region(
    conn: &mut AnyConnection,
    region: &Region,
    at: &str,
) -> Result<(), StoreError> {
    let assessments = serde_json::to_string(&region.assessments)
        .map_err(|e| StoreError::corrupt(region.code.as_str(), e))?;
    sqlx::query(
        "INSERT INTO regions (code, name, assessments, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
         assessments = excluded.assessments, updated_at = excluded.updated_at",
    )
    .bind(&region.code)
    .bind(&region.name)
    .bind(assessments)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn regions<'c, E>(db: E) -> Result<Vec<Region>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT code, name, assessments FROM regions ORDER BY code")
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            let code: String = r.try_get("code")?;
            let assessments: String = r.try_get("assessments")?;
            Ok(Region {
                assessments: serde_json::from_str(&assessments)
                    .map_err(|e| StoreError::corrupt(code.as_str(), e))?,
                name: r.try_get("name")?,
                code,
            })
        })
        .collect()
}

/// An alert to a project's agent: a step of the plan passed its planned end undone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StallAlert {
    pub id: String,
    pub project_code: String,
    pub step_key: String,
    pub recipient: String,
    pub project_name: String,
    pub item_name: String,
    pub department: String,
    pub planned_end: String,
    pub raised_at: String,
    pub read: bool,
}

/// Every project that has an agent.
pub async fn with_agents<'c, E>(db: E) -> Result<Vec<Project>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT code, body FROM projects WHERE agent IS NOT NULL ORDER BY code")
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Stores the alerts not raised before (one per project, step and recipient) and, for each new
/// one, a message in the outbox; returns how many were new.
pub async fn raise_stall_alerts(
    conn: &mut AnyConnection,
    alerts: &[StallAlert],
) -> Result<usize, StoreError> {
    let mut raised = 0;
    for a in alerts {
        let result = sqlx::query(
            "INSERT INTO project_alerts (id, project_code, step_key, recipient, project_name, \
             item_name, department, planned_end, raised_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (project_code, step_key, recipient) DO NOTHING",
        )
        .bind(&a.id)
        .bind(&a.project_code)
        .bind(&a.step_key)
        .bind(&a.recipient)
        .bind(&a.project_name)
        .bind(&a.item_name)
        .bind(&a.department)
        .bind(&a.planned_end)
        .bind(&a.raised_at)
        .execute(&mut *conn)
        .await?;
        if result.rows_affected() == 1 {
            raised += 1;
            let body = serde_json::to_string(a).map_err(|e| StoreError::corrupt(&a.id, e))?;
            crate::enqueue_outbox(conn, "project.step_stalled", &body, &a.raised_at).await?;
        }
    }
    Ok(raised)
}

/// The stall alerts of `recipient` (all when `None`), newest first.
pub async fn stall_alerts<'c, E>(
    db: E,
    recipient: Option<&str>,
    limit: i64,
) -> Result<Vec<StallAlert>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let columns = "id, project_code, step_key, recipient, project_name, item_name, department, \
                   planned_end, raised_at, read_at";
    let rows = match recipient {
        Some(r) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {columns} FROM project_alerts WHERE recipient = $1 ORDER BY id DESC LIMIT $2"
        )))
        .bind(r)
        .bind(limit)
        .fetch_all(db)
        .await?,
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {columns} FROM project_alerts ORDER BY id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(db)
            .await?
        }
    };
    rows.iter()
        .map(|r| {
            let read_at: Option<String> = r.try_get("read_at")?;
            Ok(StallAlert {
                id: r.try_get("id")?,
                project_code: r.try_get("project_code")?,
                step_key: r.try_get("step_key")?,
                recipient: r.try_get("recipient")?,
                project_name: r.try_get("project_name")?,
                item_name: r.try_get("item_name")?,
                department: r.try_get("department")?,
                planned_end: r.try_get("planned_end")?,
                raised_at: r.try_get("raised_at")?,
                read: read_at.is_some(),
            })
        })
        .collect()
}
