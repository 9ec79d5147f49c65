//! Rows describing the files handed in with a case; the bytes are in the file store.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

/// One file of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseFile {
    pub id: String,
    pub case_id: String,
    /// The key of the item's material this file is (`M01`).
    pub material_key: String,
    /// The name the uploader gave it.
    pub file_name: String,
    /// Established from the bytes, not taken from the uploader.
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// Where the bytes are in the file store.
    #[serde(skip)]
    pub storage_key: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, case_id, material_key, file_name, content_type, size, sha256, storage_key, uploaded_by, uploaded_at";

fn from_row(row: &AnyRow) -> Result<CaseFile, StoreError> {
    let at: String = row.try_get("uploaded_at")?;
    let size: i64 = row.try_get("size")?;
    let id: String = row.try_get("id")?;
    Ok(CaseFile {
        case_id: row.try_get("case_id")?,
        material_key: row.try_get("material_key")?,
        file_name: row.try_get("file_name")?,
        content_type: row.try_get("content_type")?,
        size: u64::try_from(size).map_err(|e| StoreError::corrupt(id.as_str(), e))?,
        sha256: row.try_get("sha256")?,
        storage_key: row.try_get("storage_key")?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at: DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::corrupt(id.as_str(), e))?,
        id,
    })
}

pub async fn insert(conn: &mut AnyConnection, file: &CaseFile) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO case_files ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&file.id)
        .bind(&file.case_id)
        .bind(&file.material_key)
        .bind(&file.file_name)
        .bind(&file.content_type)
        .bind(i64::try_from(file.size).map_err(|e| StoreError::corrupt(file.id.as_str(), e))?)
        .bind(&file.sha256)
        .bind(&file.storage_key)
        .bind(&file.uploaded_by)
        .bind(file.uploaded_at.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The files of a case, in the order of their materials and of upload.
pub async fn of_case<'c, E>(db: E, case_id: &str) -> Result<Vec<CaseFile>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!(
        "SELECT {COLUMNS} FROM case_files WHERE case_id = $1 ORDER BY material_key, uploaded_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(case_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get<'c, E>(db: E, file_id: &str) -> Result<Option<CaseFile>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let sql = format!("SELECT {COLUMNS} FROM case_files WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(file_id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}
