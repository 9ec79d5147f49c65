//! The administrator's list of equivalent materials (材料等同清单): groups of names that are the
//! same document, one row per group in the list's order. The rules (what a valid group is, how
//! groups join) are the domain's (`bundle::check_equivalent_groups`, `bundle::Equivalence`); this
//! only keeps the list.

use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;

/// The list as stored, group by group, each group's names in their order.
pub async fn load<'c, E>(db: E) -> Result<Vec<Vec<String>>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let rows = sqlx::query("SELECT group_no, names FROM material_equivalents ORDER BY group_no")
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            let group_no: i64 = row.try_get("group_no")?;
            let names: String = row.try_get("names")?;
            serde_json::from_str(&names)
                .map_err(|e| StoreError::corrupt(format!("material_equivalents[{group_no}]"), e))
        })
        .collect()
}

/// Replaces the whole list (the page and the API edit it as one document), in the caller's
/// transaction.
pub async fn save(
    conn: &mut AnyConnection,
    groups: &[Vec<String>],
    by: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM material_equivalents")
        .execute(&mut *conn)
        .await?;
    for (i, group) in groups.iter().enumerate() {
        let names = serde_json::to_string(group)
            .map_err(|e| StoreError::corrupt(format!("material_equivalents[{i}]"), e))?;
        sqlx::query(
            "INSERT INTO material_equivalents (group_no, names, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(i64::try_from(i).unwrap_or(i64::MAX))
        .bind(names)
        .bind(at)
        .bind(by)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    /// Saves a list, reads it back in its order, replaces it with a shorter one; on SQLite, and
    /// on a scratch PostgreSQL database when `ONEWINDOW_TEST_POSTGRES` names a server.
    async fn round_trip(store: &Store) {
        assert!(load(store.readers()).await.expect("load").is_empty());
        let groups = vec![
            vec![
                "营业执照".to_string(),
                "营业执照或者其他主体资格证明文件".to_string(),
            ],
            vec![
                "经营场所平面布局图".to_string(),
                "场所平面布置图".to_string(),
                "场所平面图 \"甲\"".to_string(),
            ],
        ];
        let saved = groups.clone();
        store
            .write(move |conn| {
                Box::pin(
                    async move { save(&mut *conn, &saved, "admin", "2026-12-06T20:00:00Z").await },
                )
            })
            .await
            .expect("saved");
        assert_eq!(load(store.readers()).await.expect("load"), groups);
        let shorter = vec![groups[1].clone()];
        let saved = shorter.clone();
        store
            .write(move |conn| {
                Box::pin(
                    async move { save(&mut *conn, &saved, "admin", "2026-12-06T20:01:00Z").await },
                )
            })
            .await
            .expect("saved");
        assert_eq!(load(store.readers()).await.expect("load"), shorter);
    }

    #[tokio::test]
    async fn the_list_is_read_back_as_saved_on_sqlite() {
        let dir =
            std::env::temp_dir().join(format!("onewindow-equivalents-{}", uuid::Uuid::now_v7()));
        let store = Store::open(&crate::data_dir_url(&dir).expect("dir"))
            .await
            .expect("store");
        round_trip(&store).await;
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn the_list_is_read_back_as_saved_on_postgres() {
        let Ok(base) = std::env::var("ONEWINDOW_TEST_POSTGRES") else {
            eprintln!("SKIPPED: ONEWINDOW_TEST_POSTGRES is not set");
            return;
        };
        if base.is_empty() {
            return;
        }
        let url = crate::create_scratch_postgres(&base, "onewindow_equivalents")
            .await
            .expect("scratch database");
        let store = Store::open(&url).await.expect("store");
        round_trip(&store).await;
        store.close().await;
    }
}
