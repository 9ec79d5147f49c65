//! The holiday notices an administrator loaded into the working-day calendar, kept in the store
//! so that every node, and every start of the binary, counts with the same calendar.

use chrono::{DateTime, Utc};
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

/// One loaded notice: the file as the administrator gave it, and who loaded it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNotice {
    pub year: i32,
    pub body: String,
    pub loaded_at: DateTime<Utc>,
    pub loaded_by: String,
}

/// Stores the notice of a year, replacing an earlier one of the same year.
pub async fn save_notice(
    conn: &mut AnyConnection,
    notice: &StoredNotice,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM calendar_notices WHERE year = $1")
        .bind(notice.year)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO calendar_notices (year, body, loaded_at, loaded_by) VALUES ($1, $2, $3, $4)",
    )
    .bind(notice.year)
    .bind(notice.body.as_str())
    .bind(notice.loaded_at.to_rfc3339())
    .bind(notice.loaded_by.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every loaded notice, by year.
pub async fn notices<'c, E>(db: E) -> Result<Vec<StoredNotice>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows =
        sqlx::query("SELECT year, body, loaded_at, loaded_by FROM calendar_notices ORDER BY year")
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|row| {
            let year: i32 = i32::try_from(row.try_get::<i64, _>("year")?)
                .map_err(|e| StoreError::corrupt("calendar_notices.year", e))?;
            let at: String = row.try_get("loaded_at")?;
            Ok(StoredNotice {
                year,
                body: row.try_get("body")?,
                loaded_at: DateTime::parse_from_rfc3339(&at)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| StoreError::corrupt(format!("notice {year}"), e))?,
                loaded_by: row.try_get("loaded_by")?,
            })
        })
        .collect()
}

/// A short fingerprint of what is loaded (years and times), for a node to notice cheaply that
/// another node loaded a notice.
pub async fn notices_signature<'c, E>(db: E) -> Result<String, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT year, loaded_at FROM calendar_notices ORDER BY year")
        .fetch_all(db)
        .await?;
    let mut signature = String::new();
    for row in rows {
        let year: i64 = row.try_get("year")?;
        let at: String = row.try_get("loaded_at")?;
        signature.push_str(&format!("{year}@{at};"));
    }
    Ok(signature)
}
