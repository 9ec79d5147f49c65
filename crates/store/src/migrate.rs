//! Schema migrations, one folder per backend, applied in order at start.
//!
//! A small runner of our own instead of sqlx's: sqlx's embeds through a macro crate that would
//! compile for a single backend, and these files are few and plain.

use sqlx::{AnyConnection, Row};

use crate::{Backend, StoreError};

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../migrations/sqlite/0002_accounts_audit.sql"),
    ),
    (
        3,
        include_str!("../migrations/sqlite/0003_search_pinyin.sql"),
    ),
    (4, include_str!("../migrations/sqlite/0004_case_files.sql")),
    (5, include_str!("../migrations/sqlite/0005_drafts_hall.sql")),
    (6, include_str!("../migrations/sqlite/0006_monitor.sql")),
    (
        7,
        include_str!("../migrations/sqlite/0007_monitor_checks.sql"),
    ),
    (8, include_str!("../migrations/sqlite/0008_faults.sql")),
    (9, include_str!("../migrations/sqlite/0009_case_facts.sql")),
    (10, include_str!("../migrations/sqlite/0010_bundles.sql")),
    (11, include_str!("../migrations/sqlite/0011_projects.sql")),
    (
        12,
        include_str!("../migrations/sqlite/0012_project_alerts.sql"),
    ),
    (13, include_str!("../migrations/sqlite/0013_user_email.sql")),
    (
        14,
        include_str!("../migrations/sqlite/0014_facts_decided_by.sql"),
    ),
    (
        15,
        include_str!("../migrations/sqlite/0015_calendar_notices.sql"),
    ),
    (
        16,
        include_str!("../migrations/sqlite/0016_centre_phone.sql"),
    ),
    (
        17,
        include_str!("../migrations/sqlite/0017_material_equivalents.sql"),
    ),
    (18, include_str!("../migrations/sqlite/0018_licences.sql")),
    (19, include_str!("../migrations/sqlite/0019_deliveries.sql")),
    (20, include_str!("../migrations/sqlite/0020_evaluation.sql")),
    (21, include_str!("../migrations/sqlite/0021_messages.sql")),
    (22, include_str!("../migrations/sqlite/0022_tolerance.sql")),
    (23, include_str!("../migrations/sqlite/0023_withdrawn.sql")),
    (24, include_str!("../migrations/sqlite/0024_drafts.sql")),
    (
        25,
        include_str!("../migrations/sqlite/0025_network_queue.sql"),
    ),
    (
        26,
        include_str!("../migrations/sqlite/0026_appointments.sql"),
    ),
    (
        27,
        include_str!("../migrations/sqlite/0027_queue_call_order.sql"),
    ),
    (
        28,
        include_str!("../migrations/sqlite/0028_intermediary_market.sql"),
    ),
    (
        29,
        include_str!("../migrations/sqlite/0029_usable_licences.sql"),
    ),
    (
        30,
        include_str!("../migrations/sqlite/0030_case_list_ranges.sql"),
    ),
    (
        31,
        include_str!("../migrations/sqlite/0031_centre_list_ranges.sql"),
    ),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_accounts_audit.sql"),
    ),
    (
        3,
        include_str!("../migrations/postgres/0003_search_pinyin.sql"),
    ),
    (
        4,
        include_str!("../migrations/postgres/0004_case_files.sql"),
    ),
    (
        5,
        include_str!("../migrations/postgres/0005_drafts_hall.sql"),
    ),
    (6, include_str!("../migrations/postgres/0006_monitor.sql")),
    (
        7,
        include_str!("../migrations/postgres/0007_monitor_checks.sql"),
    ),
    (8, include_str!("../migrations/postgres/0008_faults.sql")),
    (
        9,
        include_str!("../migrations/postgres/0009_case_facts.sql"),
    ),
    (10, include_str!("../migrations/postgres/0010_bundles.sql")),
    (11, include_str!("../migrations/postgres/0011_projects.sql")),
    (
        12,
        include_str!("../migrations/postgres/0012_project_alerts.sql"),
    ),
    (
        13,
        include_str!("../migrations/postgres/0013_user_email.sql"),
    ),
    (
        14,
        include_str!("../migrations/postgres/0014_facts_decided_by.sql"),
    ),
    (
        15,
        include_str!("../migrations/postgres/0015_calendar_notices.sql"),
    ),
    (
        16,
        include_str!("../migrations/postgres/0016_centre_phone.sql"),
    ),
    (
        17,
        include_str!("../migrations/postgres/0017_material_equivalents.sql"),
    ),
    (18, include_str!("../migrations/postgres/0018_licences.sql")),
    (
        19,
        include_str!("../migrations/postgres/0019_deliveries.sql"),
    ),
    (
        20,
        include_str!("../migrations/postgres/0020_evaluation.sql"),
    ),
    (21, include_str!("../migrations/postgres/0021_messages.sql")),
    (
        22,
        include_str!("../migrations/postgres/0022_tolerance.sql"),
    ),
    (
        23,
        include_str!("../migrations/postgres/0023_withdrawn.sql"),
    ),
    (24, include_str!("../migrations/postgres/0024_drafts.sql")),
    (
        25,
        include_str!("../migrations/postgres/0025_network_queue.sql"),
    ),
    (
        26,
        include_str!("../migrations/postgres/0026_appointments.sql"),
    ),
    (
        27,
        include_str!("../migrations/postgres/0027_queue_call_order.sql"),
    ),
    (
        28,
        include_str!("../migrations/postgres/0028_intermediary_market.sql"),
    ),
    (
        29,
        include_str!("../migrations/postgres/0029_usable_licences.sql"),
    ),
    (
        30,
        include_str!("../migrations/postgres/0030_case_list_ranges.sql"),
    ),
    (
        31,
        include_str!("../migrations/postgres/0031_centre_list_ranges.sql"),
    ),
];

pub(crate) async fn run(conn: &mut AnyConnection, backend: Backend) -> Result<(), StoreError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let rows = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?;
    let mut applied = Vec::with_capacity(rows.len());
    for row in rows {
        applied.push(row.try_get::<i64, _>(0)?);
    }
    let migrations = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    for (version, sql) in migrations {
        if applied.contains(version) {
            continue;
        }
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
        let result = async {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&mut *conn)
                .await?;
            if *version == crate::facts::BACKFILL_AFTER {
                crate::facts::backfill(&mut *conn).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(chrono::Utc::now().to_rfc3339())
                .execute(&mut *conn)
                .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        match result {
            Ok(()) => {
                sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
                tracing::info!(version, "applied migration");
            }
            Err(e) => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                return Err(e);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both stores know every schema version, in order: a migration added to one list and
    /// forgotten in the other would leave a PostgreSQL province a schema behind.
    #[test]
    fn sqlite_and_postgresql_have_the_same_migrations() {
        let versions = |list: &[(i64, &str)]| list.iter().map(|(v, _)| *v).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
        let expected: Vec<i64> = (1..=SQLITE.len() as i64).collect();
        assert_eq!(versions(SQLITE), expected);
    }
}
