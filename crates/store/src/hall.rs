//! Drafts of catalogue items, and the hall: service centres and their windows.

use chrono::{DateTime, Utc};
use onewindow_domain::catalogue::{Item, Level};
use onewindow_domain::hall::{WindowKind, WindowSkills};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor, Row};

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Centre {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub address: String,
    /// The consultation phone (咨询电话) printed on receipts and notices; empty when unknown.
    #[serde(default)]
    pub phone: String,
    /// Where it stands in the three-level network (三级联动).
    #[serde(default = "county")]
    pub level: Level,
    /// The centre above it (a village point's township centre, a township's county hall, a
    /// sub-centre's hall); empty for the county hall.
    #[serde(default)]
    pub parent: String,
    /// Its statistical division code (GB/T 2260: 6 digits for the county, 9 for a township, 12
    /// for a village); empty when unknown.
    #[serde(default)]
    pub division: String,
    /// The hours it takes tickets on a working day, `HH:MM`.
    #[serde(default = "opens")]
    pub opens: String,
    #[serde(default = "closes")]
    pub closes: String,
}

fn county() -> Level {
    Level::County
}

fn opens() -> String {
    "08:30".into()
}

fn closes() -> String {
    "17:00".into()
}

impl Default for Centre {
    fn default() -> Self {
        Self {
            code: String::new(),
            name: String::new(),
            name_en: String::new(),
            address: String::new(),
            phone: String::new(),
            level: Level::County,
            parent: String::new(),
            division: String::new(),
            opens: opens(),
            closes: closes(),
        }
    }
}

/// A window of a centre (窗口), and the departments whose items it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Window {
    pub centre: String,
    pub code: String,
    pub name: String,
    pub departments: Vec<String>,
    #[serde(default = "comprehensive")]
    pub kind: WindowKind,
    /// The items it serves when the county narrows a window to some of its departments' items;
    /// empty for all of them.
    #[serde(default)]
    pub items: Vec<String>,
}

fn comprehensive() -> WindowKind {
    WindowKind::Comprehensive
}

impl Default for Window {
    fn default() -> Self {
        Self {
            centre: String::new(),
            code: String::new(),
            name: String::new(),
            departments: Vec::new(),
            kind: WindowKind::Comprehensive,
            items: Vec::new(),
        }
    }
}

impl Window {
    /// What the window can call from the queue.
    pub fn skills(&self) -> WindowSkills {
        WindowSkills {
            kind: self.kind,
            departments: self.departments.clone(),
        }
    }
}

const CENTRE_COLUMNS: &str =
    "code, name, name_en, address, phone, level, parent, division, opens, closes";

pub async fn upsert_centre(conn: &mut AnyConnection, centre: &Centre) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM centres WHERE code = $1")
        .bind(&centre.code)
        .execute(&mut *conn)
        .await?;
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO centres ({CENTRE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(&centre.code)
    .bind(&centre.name)
    .bind(&centre.name_en)
    .bind(&centre.address)
    .bind(&centre.phone)
    .bind(centre.level.as_str())
    .bind(&centre.parent)
    .bind(&centre.division)
    .bind(&centre.opens)
    .bind(&centre.closes)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn centre_from_row(r: &AnyRow) -> Result<Centre, StoreError> {
    let code: String = r.try_get("code")?;
    let level: String = r.try_get("level")?;
    Ok(Centre {
        level: Level::parse(&level)
            .ok_or_else(|| StoreError::corrupt(code.as_str(), format!("level {level}")))?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        address: r.try_get("address")?,
        phone: r.try_get("phone")?,
        parent: r.try_get("parent")?,
        division: r.try_get("division")?,
        opens: r.try_get("opens")?,
        closes: r.try_get("closes")?,
        code,
    })
}

pub async fn list_centres<'c, E>(db: E) -> Result<Vec<Centre>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CENTRE_COLUMNS} FROM centres ORDER BY code"
    )))
    .fetch_all(db)
    .await?;
    rows.iter().map(centre_from_row).collect()
}

pub async fn get_centre<'c, E>(db: E, code: &str) -> Result<Option<Centre>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CENTRE_COLUMNS} FROM centres WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(centre_from_row).transpose()
}

pub async fn upsert_window(conn: &mut AnyConnection, window: &Window) -> Result<(), StoreError> {
    let departments = serde_json::to_string(&window.departments)
        .map_err(|e| StoreError::corrupt(window.code.as_str(), e))?;
    let items = serde_json::to_string(&window.items)
        .map_err(|e| StoreError::corrupt(window.code.as_str(), e))?;
    sqlx::query("DELETE FROM windows WHERE centre = $1 AND code = $2")
        .bind(&window.centre)
        .bind(&window.code)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO windows (centre, code, name, departments, kind, items) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&window.centre)
    .bind(&window.code)
    .bind(&window.name)
    .bind(departments)
    .bind(window.kind.as_str())
    .bind(items)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn window_from_row(r: &AnyRow) -> Result<Window, StoreError> {
    let code: String = r.try_get("code")?;
    let departments: String = r.try_get("departments")?;
    let items: String = r.try_get("items")?;
    let kind: String = r.try_get("kind")?;
    Ok(Window {
        centre: r.try_get("centre")?,
        departments: serde_json::from_str(&departments)
            .map_err(|e| StoreError::corrupt(code.as_str(), e))?,
        items: serde_json::from_str(&items).map_err(|e| StoreError::corrupt(code.as_str(), e))?,
        kind: WindowKind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(code.as_str(), format!("kind {kind}")))?,
        name: r.try_get("name")?,
        code,
    })
}

pub async fn list_windows<'c, E>(db: E) -> Result<Vec<Window>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT centre, code, name, departments, kind, items FROM windows ORDER BY centre, code",
    )
    .fetch_all(db)
    .await?;
    rows.iter().map(window_from_row).collect()
}

pub async fn get_window<'c, E>(
    db: E,
    centre: &str,
    code: &str,
) -> Result<Option<Window>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT centre, code, name, departments, kind, items FROM windows WHERE centre = $1 AND code = $2",
    )
    .bind(centre)
    .bind(code)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(window_from_row).transpose()
}
