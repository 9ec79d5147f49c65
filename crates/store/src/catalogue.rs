//! Catalogue rows: departments, items and their published versions.

use onewindow_domain::catalogue::{Department, Item, PublishedItem};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;
use crate::filter::Filtered;

pub async fn upsert_department(conn: &mut AnyConnection, d: &Department) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO departments (code, name, name_en) VALUES ($1, $2, $3) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en",
    )
    .bind(&d.code)
    .bind(&d.name)
    .bind(&d.name_en)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn list_departments<'c, E>(db: E) -> Result<Vec<Department>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT code, name, name_en FROM departments ORDER BY code")
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Department {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                name_en: r.try_get("name_en")?,
            })
        })
        .collect()
}

/// What publishing an item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// A new version was stored.
    NewVersion(u32),
    /// The content equals the current version; nothing was stored.
    Unchanged(u32),
}

/// Publishes `item` as its next version, unless it equals the current one.
pub async fn publish_item(
    conn: &mut AnyConnection,
    item: &Item,
    now: &str,
) -> Result<Published, StoreError> {
    let current = get_item(&mut *conn, &item.code).await?;
    if let Some(current) = &current
        && current.item == *item
    {
        return Ok(Published::Unchanged(current.version));
    }
    let version = current.map_or(1, |c| c.version + 1);
    let body = serde_json::to_string(item).map_err(|e| StoreError::corrupt(&item.code, e))?;
    sqlx::query(
        "INSERT INTO item_versions (code, version, body, published_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&item.code)
    .bind(i64::from(version))
    .bind(&body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let search_text = format!("{} {}", item.code, item.name).to_lowercase();
    sqlx::query(
        "INSERT INTO items (code, version, name, kind, department, run_mode, visits_required, \
         promised_days, statutory_days, search_text, body, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (code) DO UPDATE SET version = excluded.version, name = excluded.name, \
         kind = excluded.kind, department = excluded.department, run_mode = excluded.run_mode, \
         visits_required = excluded.visits_required, promised_days = excluded.promised_days, \
         statutory_days = excluded.statutory_days, search_text = excluded.search_text, \
         body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(&item.code)
    .bind(i64::from(version))
    .bind(&item.name)
    .bind(item.kind.as_str())
    .bind(&item.department)
    .bind(item.run_mode.as_str())
    .bind(i64::from(item.visits_required))
    .bind(i64::from(item.promised_days))
    .bind(i64::from(item.statutory_days))
    .bind(search_text)
    .bind(&body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Published::NewVersion(version))
}

fn published_from_row(row: &AnyRow) -> Result<PublishedItem, StoreError> {
    let code: String = row.try_get("code")?;
    let version: i64 = row.try_get("version")?;
    let body: String = row.try_get("body")?;
    let item: Item = serde_json::from_str(&body).map_err(|e| StoreError::corrupt(&code, e))?;
    Ok(PublishedItem {
        version: u32::try_from(version).map_err(|e| StoreError::corrupt(&code, e))?,
        item,
    })
}

/// The current version of an item.
pub async fn get_item<'c, E>(db: E, code: &str) -> Result<Option<PublishedItem>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT code, version, body FROM items WHERE code = $1")
        .bind(code)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(published_from_row).transpose()
}

/// One given version of an item: what a case was bound to.
pub async fn get_item_version<'c, E>(
    db: E,
    code: &str,
    version: u32,
) -> Result<Option<PublishedItem>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT code, version, body FROM item_versions WHERE code = $1 AND version = $2",
    )
    .bind(code)
    .bind(i64::from(version))
    .fetch_optional(db)
    .await?;
    row.as_ref().map(published_from_row).transpose()
}

/// Filters of the catalogue list; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Matched against the code and the name (case-insensitive substring).
    pub query: Option<String>,
    pub department: Option<String>,
    pub run_mode: Option<String>,
    pub kind: Option<String>,
    /// Items with code greater than this, for keyset pagination.
    pub after_code: Option<String>,
    pub limit: i64,
}

/// A page of current items ordered by code.
pub async fn list_items<'c, E>(db: E, filter: &ItemFilter) -> Result<Vec<PublishedItem>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut filtered = Filtered::new("SELECT code, version, body FROM items");
    if let Some(q) = filter.query.as_deref().filter(|q| !q.trim().is_empty()) {
        filtered.and(
            "search_text LIKE ?",
            [format!("%{}%", q.trim().to_lowercase())],
        );
    }
    if let Some(d) = &filter.department {
        filtered.and("department = ?", [d.clone()]);
    }
    if let Some(m) = &filter.run_mode {
        filtered.and("run_mode = ?", [m.clone()]);
    }
    if let Some(k) = &filter.kind {
        filtered.and("kind = ?", [k.clone()]);
    }
    if let Some(c) = &filter.after_code {
        filtered.and("code > ?", [c.clone()]);
    }
    let query = filtered.query(&format!(
        " ORDER BY code LIMIT {}",
        filter.limit.clamp(1, 1000)
    ));
    let rows = query.fetch_all(db).await?;
    rows.iter().map(published_from_row).collect()
}

/// Every current item, ordered by code: the input of the catalogue figures and of export.
pub async fn all_items<'c, E>(db: E) -> Result<Vec<PublishedItem>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT code, version, body FROM items ORDER BY code")
        .fetch_all(db)
        .await?;
    rows.iter().map(published_from_row).collect()
}
