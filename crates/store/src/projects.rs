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
