//! Applications saved before filing (暂存): one row each, the form as JSON; the files are
//! `case_files` rows of the pseudo case `draft:<id>` (see migration 24).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

/// One saved application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRow {
    pub id: String,
    /// The account that saved it (its user id); no one else sees it.
    pub owner: String,
    pub item_code: String,
    pub item_name: String,
    /// The form as the applicant left it (JSON).
    pub form: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_on: NaiveDate,
}

/// The pseudo case id a draft's files are kept under.
pub fn files_key(draft_id: &str) -> String {
    format!("draft:{draft_id}")
}

const COLUMNS: &str = "id, owner, item_code, item_name, form, created_at, updated_at, expires_on";

fn from_row(row: &AnyRow) -> Result<DraftRow, StoreError> {
    let id: String = row.try_get("id")?;
    let time = |name: &str| -> Result<DateTime<Utc>, StoreError> {
        let text: String = row.try_get(name)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::corrupt(id.as_str(), e))
    };
    let expires: String = row.try_get("expires_on")?;
    Ok(DraftRow {
        owner: row.try_get("owner")?,
        item_code: row.try_get("item_code")?,
        item_name: row.try_get("item_name")?,
        form: row.try_get("form")?,
        created_at: time("created_at")?,
        updated_at: time("updated_at")?,
        expires_on: NaiveDate::parse_from_str(&expires, "%Y-%m-%d")
            .map_err(|e| StoreError::corrupt(id.as_str(), e))?,
        id,
    })
}

/// Writes a draft: a new one, or the owner's existing one with the same id.
pub async fn upsert(conn: &mut AnyConnection, draft: &DraftRow) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO application_drafts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (id) DO UPDATE SET form = excluded.form, updated_at = excluded.updated_at, \
         expires_on = excluded.expires_on"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&draft.id)
        .bind(&draft.owner)
        .bind(&draft.item_code)
        .bind(&draft.item_name)
        .bind(&draft.form)
        .bind(draft.created_at.to_rfc3339())
        .bind(draft.updated_at.to_rfc3339())
        .bind(draft.expires_on.format("%Y-%m-%d").to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn get<'c, E>(db: E, id: &str) -> Result<Option<DraftRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!("SELECT {COLUMNS} FROM application_drafts WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// An account's drafts not yet expired on `today`, the latest saved first.
pub async fn of_owner<'c, E>(
    db: E,
    owner: &str,
    today: NaiveDate,
) -> Result<Vec<DraftRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {COLUMNS} FROM application_drafts WHERE owner = $1 AND expires_on >= $2 \
         ORDER BY updated_at DESC, id LIMIT 100"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(today.format("%Y-%m-%d").to_string())
        .fetch_all(db)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Drafts that expired before `today`, at most `limit`.
pub async fn expired<'c, E>(
    db: E,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<DraftRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {COLUMNS} FROM application_drafts WHERE expires_on < $1 ORDER BY expires_on, id \
         LIMIT $2"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(today.format("%Y-%m-%d").to_string())
        .bind(limit)
        .fetch_all(db)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Deletes a draft and its file rows; answers the storage keys no other row still names (the
/// bytes to remove from the file store once the transaction is committed).
pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<Vec<String>, StoreError> {
    let orphans = delete_files(conn, id, None).await?;
    sqlx::query("DELETE FROM application_drafts WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(orphans)
}

/// Deletes the draft's file rows of `material_key` (a new upload replaces them); answers the
/// storage keys no other row names.
pub async fn delete_files_of(
    conn: &mut AnyConnection,
    id: &str,
    material_key: &str,
) -> Result<Vec<String>, StoreError> {
    delete_files(conn, id, Some(material_key)).await
}

/// Deletes the draft's file rows (of one material, or all); answers the storage keys no other
/// row names.
async fn delete_files(
    conn: &mut AnyConnection,
    id: &str,
    material_key: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    let filter = "case_id = $1 AND ($2 = '' OR material_key = $2)";
    let key = files_key(id);
    let material = material_key.unwrap_or("");
    let keys: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT storage_key FROM case_files WHERE {filter}"
    )))
    .bind(&key)
    .bind(material)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get("storage_key"))
    .collect::<Result<_, _>>()?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM case_files WHERE {filter}"
    )))
    .bind(&key)
    .bind(material)
    .execute(&mut *conn)
    .await?;
    let mut orphans = Vec::new();
    for storage_key in keys {
        if !still_named(&mut *conn, &storage_key).await? {
            orphans.push(storage_key);
        }
    }
    Ok(orphans)
}

async fn still_named(conn: &mut AnyConnection, storage_key: &str) -> Result<bool, StoreError> {
    Ok(
        sqlx::query("SELECT 1 FROM case_files WHERE storage_key = $1 LIMIT 1")
            .bind(storage_key)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}
