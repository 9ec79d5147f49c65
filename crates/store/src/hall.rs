//! Drafts of catalogue items, and the hall: service centres and their windows.

use chrono::{DateTime, Utc};
use onewindow_domain::catalogue::Item;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

/// An item being edited: not what applicants see until it is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub item: Item,
    /// The published version the draft started from; `None` for a new item.
    pub base_version: Option<u32>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

fn draft_from_row(row: &AnyRow) -> Result<Draft, StoreError> {
    let code: String = row.try_get("code")?;
    let body: String = row.try_get("body")?;
    let base: Option<i64> = row.try_get("base_version")?;
    let at: String = row.try_get("updated_at")?;
    Ok(Draft {
        item: serde_json::from_str(&body).map_err(|e| StoreError::corrupt(code.as_str(), e))?,
        base_version: base
            .map(u32::try_from)
            .transpose()
            .map_err(|e| StoreError::corrupt(code.as_str(), e))?,
        updated_by: row.try_get("updated_by")?,
        updated_at: DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::corrupt(code.as_str(), e))?,
    })
}

pub async fn save_draft(conn: &mut AnyConnection, draft: &Draft) -> Result<(), StoreError> {
    let body =
        serde_json::to_string(&draft.item).map_err(|e| StoreError::corrupt(&draft.item.code, e))?;
    sqlx::query("DELETE FROM item_drafts WHERE code = $1")
        .bind(&draft.item.code)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO item_drafts (code, base_version, body, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&draft.item.code)
    .bind(draft.base_version.map(i64::from))
    .bind(body)
    .bind(&draft.updated_by)
    .bind(draft.updated_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get_draft<'c, E>(db: E, code: &str) -> Result<Option<Draft>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT code, base_version, body, updated_by, updated_at FROM item_drafts WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(draft_from_row).transpose()
}

pub async fn list_drafts<'c, E>(db: E) -> Result<Vec<Draft>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT code, base_version, body, updated_by, updated_at FROM item_drafts ORDER BY updated_at DESC, code",
    )
    .fetch_all(db)
    .await?;
    rows.iter().map(draft_from_row).collect()
}

pub async fn delete_draft(conn: &mut AnyConnection, code: &str) -> Result<bool, StoreError> {
    let result = sqlx::query("DELETE FROM item_drafts WHERE code = $1")
        .bind(code)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// A service centre (政务服务中心 / 便民服务中心): the county hall, a township's, a village's point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Centre {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub address: String,
    /// The consultation phone (咨询电话) printed on receipts and notices; empty when unknown.
    #[serde(default)]
    pub phone: String,
}

/// A window of a centre (窗口), and the departments whose items it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub centre: String,
    pub code: String,
    pub name: String,
    pub departments: Vec<String>,
}

pub async fn upsert_centre(conn: &mut AnyConnection, centre: &Centre) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM centres WHERE code = $1")
        .bind(&centre.code)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO centres (code, name, name_en, address, phone) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&centre.code)
    .bind(&centre.name)
    .bind(&centre.name_en)
    .bind(&centre.address)
    .bind(&centre.phone)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn list_centres<'c, E>(db: E) -> Result<Vec<Centre>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT code, name, name_en, address, phone FROM centres ORDER BY code")
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Centre {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                name_en: r.try_get("name_en")?,
                address: r.try_get("address")?,
                phone: r.try_get("phone")?,
            })
        })
        .collect()
}

pub async fn upsert_window(conn: &mut AnyConnection, window: &Window) -> Result<(), StoreError> {
    let departments = serde_json::to_string(&window.departments)
        .map_err(|e| StoreError::corrupt(window.code.as_str(), e))?;
    sqlx::query("DELETE FROM windows WHERE centre = $1 AND code = $2")
        .bind(&window.centre)
        .bind(&window.code)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO windows (centre, code, name, departments) VALUES ($1, $2, $3, $4)")
        .bind(&window.centre)
        .bind(&window.code)
        .bind(&window.name)
        .bind(departments)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn list_windows<'c, E>(db: E) -> Result<Vec<Window>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows =
        sqlx::query("SELECT centre, code, name, departments FROM windows ORDER BY centre, code")
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|r| {
            let code: String = r.try_get("code")?;
            let departments: String = r.try_get("departments")?;
            Ok(Window {
                centre: r.try_get("centre")?,
                departments: serde_json::from_str(&departments)
                    .map_err(|e| StoreError::corrupt(code.as_str(), e))?,
                name: r.try_get("name")?,
                code,
            })
        })
        .collect()
}
