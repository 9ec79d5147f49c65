//! The audit chain as stored: appended in the transaction of the change it records, searched by
//! supervisors, walked by `onewindow audit verify`.

use onewindow_domain::audit::{self, AuditEntry, AuditRecord, ChainBreak, ChainVerifier, Outcome};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;
use crate::filter::Filtered;

/// Appends an entry to the chain. The head row is updated first, which locks it until the
/// transaction ends, so appends from several nodes of a PostgreSQL deployment queue up instead of
/// forking the chain.
pub async fn append(
    conn: &mut AnyConnection,
    entry: AuditEntry,
) -> Result<AuditRecord, StoreError> {
    let row = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = row.try_get("seq")?;
    let prev_hash: String = row.try_get("hash")?;
    let prev_seq = u64::try_from(seq - 1).map_err(|e| StoreError::corrupt("audit_head", e))?;
    let record = audit::link(prev_seq, &prev_hash, entry);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, role, source, action, target, outcome, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(seq)
    .bind(&record.entry.at)
    .bind(&record.entry.actor)
    .bind(&record.entry.role)
    .bind(&record.entry.source)
    .bind(&record.entry.action)
    .bind(&record.entry.target)
    .bind(record.entry.outcome.as_str())
    .bind(&record.entry.detail)
    .bind(&record.prev_hash)
    .bind(&record.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&record.hash)
        .execute(&mut *conn)
        .await?;
    Ok(record)
}

/// The number of records written and the hash of the last.
pub async fn head<'c, E>(db: E) -> Result<(u64, String), StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(db)
        .await?
        .ok_or_else(|| StoreError::corrupt("audit_head", "the row is missing"))?;
    let seq: i64 = row.try_get("seq")?;
    Ok((
        u64::try_from(seq).map_err(|e| StoreError::corrupt("audit_head", e))?,
        row.try_get("hash")?,
    ))
}

fn record_from_row(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    let seq: i64 = row.try_get("seq")?;
    let outcome: String = row.try_get("outcome")?;
    Ok(AuditRecord {
        seq: u64::try_from(seq).map_err(|e| StoreError::corrupt("audit_log", e))?,
        entry: AuditEntry {
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            role: row.try_get("role")?,
            source: row.try_get("source")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            // An unknown outcome is itself tampering; let the hash check name the record.
            outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Failure),
            detail: row.try_get("detail")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str =
    "seq, at, actor, role, source, action, target, outcome, detail, prev_hash, hash";

/// Filters of an audit search; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// Exact action, or a prefix ending in `.` (e.g. `auth.`).
    pub action: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<Outcome>,
    /// RFC 3339 bounds on the time.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Records before this one (pages newest first).
    pub before_seq: Option<u64>,
    pub limit: i64,
}

/// A page of the trail, newest first.
pub async fn search<'c, E>(db: E, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut q = Filtered::new(&format!("SELECT {COLUMNS} FROM audit_log"));
    if let Some(v) = &filter.actor {
        q.and("actor = ?", [v.clone()]);
    }
    if let Some(v) = &filter.action {
        if v.ends_with('.') {
            // Prefix match without LIKE, whose escaping differs between the dialects.
            q.and(
                "substr(action, 1, CAST(? AS INTEGER)) = ?",
                [v.chars().count().to_string(), v.clone()],
            );
        } else {
            q.and("action = ?", [v.clone()]);
        }
    }
    if let Some(v) = &filter.target {
        q.and("target = ?", [v.clone()]);
    }
    if let Some(v) = filter.outcome {
        q.and("outcome = ?", [v.as_str().to_string()]);
    }
    if let Some(v) = &filter.from {
        q.and("at >= ?", [v.clone()]);
    }
    if let Some(v) = &filter.to {
        q.and("at < ?", [v.clone()]);
    }
    if let Some(b) = filter.before_seq {
        // Every value is bound as text; the cast keeps PostgreSQL's comparison numeric.
        q.and("seq < CAST(? AS BIGINT)", [b.to_string()]);
    }
    let tail = format!(" ORDER BY seq DESC LIMIT {}", filter.limit.clamp(1, 1001));
    let rows = q.query(&tail).fetch_all(db).await?;
    rows.iter().map(record_from_row).collect()
}

/// Walks the whole chain in order, in pages, and checks it against the head.
/// Returns how many records were checked.
pub async fn verify<'c, E>(db: E) -> Result<Result<u64, ChainBreak>, StoreError>
where
    E: Executor<'c, Database = Any> + Copy,
{
    let mut verifier = ChainVerifier::default();
    let mut after: i64 = -1;
    loop {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .fetch_all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let record = record_from_row(row)?;
            after = i64::try_from(record.seq).map_err(|e| StoreError::corrupt("audit_log", e))?;
            if let Err(e) = verifier.push(&record) {
                return Ok(Err(e));
            }
        }
    }
    let (seq, hash) = head(db).await?;
    Ok(verifier.finish(seq, &hash).map(|()| verifier.checked()))
}
