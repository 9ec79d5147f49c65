//! Catalogue rows: departments, items and their published versions.

use onewindow_domain::catalogue::{Department, Item, PublishedItem};
use onewindow_domain::life_events::{self, LifeEvent};
use onewindow_domain::search::{self, SEARCH_INDEX_VERSION};
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
    let (search_text, life_events) = search_columns(item);
    sqlx::query(
        "INSERT INTO items (code, version, name, kind, department, run_mode, visits_required, \
         promised_days, statutory_days, search_text, body, updated_at, life_events, \
         search_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (code) DO UPDATE SET version = excluded.version, name = excluded.name, \
         kind = excluded.kind, department = excluded.department, run_mode = excluded.run_mode, \
         visits_required = excluded.visits_required, promised_days = excluded.promised_days, \
         statutory_days = excluded.statutory_days, search_text = excluded.search_text, \
         body = excluded.body, updated_at = excluded.updated_at, \
         life_events = excluded.life_events, search_version = excluded.search_version",
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
    .bind(life_events)
    .bind(SEARCH_INDEX_VERSION)
    .execute(&mut *conn)
    .await?;
    Ok(Published::NewVersion(version))
}

/// The two columns a catalogue search reads for `item`: its search text (code, name, pinyin and
/// initials) and its life events (`,birth,housing,`).
fn search_columns(item: &Item) -> (String, String) {
    (
        search::search_text(&item.code, &item.name),
        life_events::encode(&life_events::life_events_of(item)),
    )
}

/// Indexes again the items published under an older search rule (before pinyin, or before the
/// current life-event keywords): recomputes `search_text` and `life_events` from each stored
/// body. Returns how many items it changed; nothing to do is one indexed read.
pub async fn reindex_search(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let rows = sqlx::query("SELECT code, version, body FROM items WHERE search_version < $1")
        .bind(SEARCH_INDEX_VERSION)
        .fetch_all(&mut *conn)
        .await?;
    let mut changed = 0;
    for row in &rows {
        let published = published_from_row(row)?;
        let (search_text, life_events) = search_columns(&published.item);
        sqlx::query(
            "UPDATE items SET search_text = $1, life_events = $2, search_version = $3 \
             WHERE code = $4",
        )
        .bind(search_text)
        .bind(life_events)
        .bind(SEARCH_INDEX_VERSION)
        .bind(&published.item.code)
        .execute(&mut *conn)
        .await?;
        changed += 1;
    }
    Ok(changed)
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
    /// Terms that must all occur in the code, the name, its pinyin or its initials
    /// (case-insensitive; see `onewindow_domain::search`).
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
    list_items_in(db, filter, None).await
}

/// A page of current items ordered by code, of one life event if given.
///
/// The query is read by [`search::query_terms`]: every term must occur in the search text (the
/// code, the name, its pinyin and its initials), case-insensitively, with `%` and `_` taken
/// literally.
pub async fn list_items_in<'c, E>(
    db: E,
    filter: &ItemFilter,
    life_event: Option<LifeEvent>,
) -> Result<Vec<PublishedItem>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut filtered = Filtered::new("SELECT code, version, body FROM items");
    for term in search::query_terms(filter.query.as_deref().unwrap_or_default()) {
        filtered.and(
            "search_text LIKE ? ESCAPE '\\'",
            [format!("%{}%", escape_like(&term))],
        );
    }
    if let Some(event) = life_event {
        filtered.and(
            "life_events LIKE ?",
            [format!("%{}%", life_events::encoded_marker(event))],
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

/// `text` with the LIKE wildcards and the escape character escaped by `\\`.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How many current items each life event has, in the order of [`LifeEvent::ALL`].
pub async fn count_by_life_event<'c, E>(db: E) -> Result<Vec<(LifeEvent, u64)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT life_events FROM items WHERE life_events <> ''")
        .fetch_all(db)
        .await?;
    let markers = LifeEvent::ALL.map(life_events::encoded_marker);
    let mut counts = LifeEvent::ALL.map(|e| (e, 0u64));
    for row in &rows {
        let stored: String = row.try_get("life_events")?;
        for ((_, n), marker) in counts.iter_mut().zip(&markers) {
            if stored.contains(marker.as_str()) {
                *n += 1;
            }
        }
    }
    Ok(counts.to_vec())
}

/// How many current items each department has, by department code.
pub async fn count_by_department<'c, E>(db: E) -> Result<Vec<(String, u64)>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT department, COUNT(*) AS n FROM items GROUP BY department ORDER BY department",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let n: i64 = r.try_get("n")?;
            Ok((r.try_get("department")?, u64::try_from(n).unwrap_or(0)))
        })
        .collect()
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

/// The published items with one of these names, by code (a project's plan names its steps'
/// items; reading them so decodes a few item bodies instead of the whole catalogue).
pub async fn items_named(
    conn: &mut sqlx::AnyConnection,
    names: &[String],
) -> Result<Vec<PublishedItem>, StoreError> {
    items_where_in(conn, "name", names).await
}

/// The published items of these codes, by code: one query for a page's items (the bundles'
/// members) instead of one per item.
pub async fn items_coded(
    conn: &mut sqlx::AnyConnection,
    codes: &[String],
) -> Result<Vec<PublishedItem>, StoreError> {
    items_where_in(conn, "code", codes).await
}

async fn items_where_in(
    conn: &mut sqlx::AnyConnection,
    column: &str,
    values: &[String],
) -> Result<Vec<PublishedItem>, StoreError> {
    let mut items = Vec::new();
    for chunk in values.chunks(500) {
        let mut q = crate::filter::Filtered::new("SELECT code, version, body FROM items");
        q.and_in(column, chunk);
        for row in q.query(" ORDER BY code").fetch_all(&mut *conn).await? {
            items.push(published_from_row(&row)?);
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use onewindow_domain::catalogue::{Fee, HallStatus, ItemKind, Level, RunMode};

    use super::*;
    use crate::Store;

    fn item(code: &str, name: &str) -> Item {
        Item {
            code: code.into(),
            name: name.into(),
            kind: ItemKind::Licence,
            department: "SCJGJ".into(),
            legal_basis: "《市场主体登记管理条例》".into(),
            statutory_days: 10,
            promised_days: 1,
            visits_required: 1,
            run_mode: RunMode::Immediate,
            levels: vec![Level::County],
            hall: HallStatus {
                allowed: true,
                in_hall: true,
                authorised: true,
            },
            materials: vec![],
            intermediary_services: vec![],
            fee: Fee::default(),
            result_licence_type: None,
            decision_without_proposal: false,
            licence_valid_years: None,
            commitment_text: None,
            auto_approval: false,
        }
    }

    async fn search(store: &Store, q: &str, event: Option<LifeEvent>) -> Vec<String> {
        let filter = ItemFilter {
            query: Some(q.into()),
            limit: 50,
            ..ItemFilter::default()
        };
        list_items_in(store.readers(), &filter, event)
            .await
            .expect("list")
            .into_iter()
            .map(|p| p.item.name)
            .collect()
    }

    #[tokio::test]
    async fn pinyin_finds_items_and_older_rows_are_indexed_again() {
        let dir = std::env::temp_dir().join(format!("onewindow-search-{}", uuid::Uuid::now_v7()));
        let store = Store::open(&crate::data_dir_url(&dir).expect("dir"))
            .await
            .expect("store");
        let items = vec![
            item("A1", "营业执照补领"),
            item("A2", "出生登记"),
            item("A3", "100%_保证金退还"),
        ];
        store
            .write(move |conn| {
                Box::pin(async move {
                    for i in &items {
                        publish_item(&mut *conn, i, "2026-11-02T09:00:00+08:00").await?;
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .await
            .expect("published");

        assert_eq!(search(&store, "yyzz", None).await, ["营业执照补领"]);
        assert_eq!(search(&store, "YingYe  bl", None).await, ["营业执照补领"]);
        assert_eq!(
            search(&store, "csdj", Some(LifeEvent::Birth)).await,
            ["出生登记"]
        );
        assert!(
            search(&store, "yyzz", Some(LifeEvent::Birth))
                .await
                .is_empty()
        );
        // LIKE wildcards in a query are taken literally.
        assert_eq!(search(&store, "%_", None).await, ["100%_保证金退还"]);
        assert_eq!(search(&store, "_", None).await.len(), 1);

        // A row written by the rule before pinyin (code and name only) is found again after the
        // re-index, and only stale rows are touched.
        store
            .write(|conn| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE items SET search_text = 'a1 营业执照补领', life_events = '', \
                         search_version = 0 WHERE code = 'A1'",
                    )
                    .execute(&mut *conn)
                    .await?;
                    Ok::<_, StoreError>(())
                })
            })
            .await
            .expect("aged");
        assert!(search(&store, "yyzz", None).await.is_empty());
        let changed = store
            .write(|conn| Box::pin(async move { reindex_search(&mut *conn).await }))
            .await
            .expect("reindexed");
        assert_eq!(changed, 1);
        assert_eq!(search(&store, "yyzz", None).await, ["营业执照补领"]);
        let counts = count_by_life_event(store.readers()).await.expect("counts");
        assert!(counts.contains(&(LifeEvent::Birth, 1)));
        assert_eq!(
            count_by_department(store.readers()).await.expect("counts"),
            [("SCJGJ".to_string(), 3)]
        );

        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
