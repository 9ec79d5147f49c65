//! The audit chain as stored: appended in the transaction of the change it records, searched by
//! supervisors, walked by `onewindow audit verify`.

use onewindow_domain::audit::{self, AuditEntry, AuditRecord, ChainBreak, ChainVerifier, Outcome};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::StoreError;
use crate::filter::Filtered;

tokio::task_local! {
    /// The audit entries of the write job running now, kept until its savepoint is released.
    pub(crate) static PENDING: std::cell::RefCell<Vec<AuditEntry>>;
}

/// Appends an entry to the chain in the transaction of the write job that calls it.
///
/// Inside a job of the group-commit writer, the entry is held until the job has succeeded and is
/// written, with those of every other job of the batch, just before the batch commits: one
/// read of the head, one multi-row insert and one update of the head per batch instead of per
/// command. A job that is rolled back leaves no entry. Outside the writer it is written at once.
pub async fn append(conn: &mut AnyConnection, entry: AuditEntry) -> Result<(), StoreError> {
    let mut slot = Some(entry);
    let buffered = PENDING
        .try_with(|pending| {
            if let Some(entry) = slot.take() {
                pending.borrow_mut().push(entry);
            }
        })
        .is_ok();
    match slot {
        Some(entry) if !buffered => append_all(conn, vec![entry]).await.map(|_| ()),
        _ => Ok(()),
    }
}

/// The most rows in one INSERT: 11 parameters each stays far below SQLite's 32,766 and
/// PostgreSQL's 65,535.
const ROWS_PER_INSERT: usize = 256;

/// Links `entries` to the end of the chain and writes them. The head row is updated first, which
/// locks it until the transaction ends, so appends from several nodes of a PostgreSQL deployment
/// queue up instead of forking the chain.
pub(crate) async fn append_all(
    conn: &mut AnyConnection,
    entries: Vec<AuditEntry>,
) -> Result<Vec<AuditRecord>, StoreError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(entries.len()).map_err(|e| StoreError::corrupt("audit batch", e))?;
    let row = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(count)
        .fetch_one(&mut *conn)
        .await?;
    let last_seq: i64 = row.try_get("seq")?;
    let mut prev_hash: String = row.try_get("hash")?;
    let mut prev_seq =
        u64::try_from(last_seq - count).map_err(|e| StoreError::corrupt("audit_head", e))?;
    let mut records = Vec::with_capacity(entries.len());
    for entry in entries {
        let record = audit::link(prev_seq, &prev_hash, entry);
        prev_seq = record.seq;
        prev_hash = record.hash.clone();
        records.push(record);
    }
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO audit_log (seq, at, actor, role, source, action, target, outcome, detail, prev_hash, hash) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let p = i * 11;
            sql.push('(');
            sql.push_str(
                &(1..=11)
                    .map(|k| format!("${}", p + k))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            sql.push(')');
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            query = query
                .bind(i64::try_from(r.seq).map_err(|e| StoreError::corrupt("audit_log", e))?)
                .bind(r.entry.at.clone())
                .bind(r.entry.actor.clone())
                .bind(r.entry.role.clone())
                .bind(r.entry.source.clone())
                .bind(r.entry.action.clone())
                .bind(r.entry.target.clone())
                .bind(r.entry.outcome.as_str())
                .bind(r.entry.detail.clone())
                .bind(r.prev_hash.clone())
                .bind(r.hash.clone());
        }
        query.execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev_hash)
        .execute(&mut *conn)
        .await?;
    Ok(records)
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

/// Walks the whole chain in order, in pages, and checks it against the head, all in one read
/// transaction so that records committed meanwhile do not look like tampering.
/// Returns how many records checked out, and the first break if there is one.
pub async fn verify(
    pool: &sqlx::AnyPool,
    backend: crate::Backend,
) -> Result<(u64, Option<ChainBreak>), StoreError> {
    let mut tx = pool.begin().await?;
    if backend == crate::Backend::Postgres {
        // One snapshot for every statement of the walk (SQLite's read transaction has one).
        sqlx::raw_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *tx)
            .await?;
    }
    let (seq, hash) = head(&mut *tx).await?;
    let mut verifier = ChainVerifier::default();
    let mut after: i64 = -1;
    loop {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 5000"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(i64::try_from(seq).map_err(|e| StoreError::corrupt("audit_head", e))?)
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let record = record_from_row(row)?;
            after = i64::try_from(record.seq).map_err(|e| StoreError::corrupt("audit_log", e))?;
            // An outcome that is not one of the three words was changed: the hash covers the
            // word as written, so a reading that mapped it to a known one would hide that.
            let raw: String = row.try_get("outcome")?;
            if raw != record.entry.outcome.as_str() {
                return Ok((
                    verifier.checked(),
                    Some(ChainBreak::Changed { seq: record.seq }),
                ));
            }
            if let Err(e) = verifier.push(&record) {
                return Ok((verifier.checked(), Some(e)));
            }
        }
    }
    // Records beyond the head: appended without moving it.
    let beyond = sqlx::query("SELECT MIN(seq) FROM audit_log WHERE seq > $1")
        .bind(i64::try_from(seq).map_err(|e| StoreError::corrupt("audit_head", e))?)
        .fetch_one(&mut *tx)
        .await?;
    let first_beyond: Option<i64> = beyond.try_get(0)?;
    tx.commit().await?;
    if let Some(extra) = first_beyond {
        let extra = u64::try_from(extra).map_err(|e| StoreError::corrupt("audit_log", e))?;
        if verifier.checked() == seq {
            return Ok((
                verifier.checked(),
                Some(ChainBreak::Appended {
                    seq: extra,
                    expected: seq,
                }),
            ));
        }
    }
    Ok((verifier.checked(), verifier.finish(seq, &hash).err()))
}
