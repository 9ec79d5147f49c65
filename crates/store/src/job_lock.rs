//! One runner at a time for a background job across the nodes that share a PostgreSQL store.
//!
//! A sweep is idempotent, so two nodes sweeping at once would only do the work twice; the lock
//! saves that work and the writer contention it causes. It is a PostgreSQL *session* advisory
//! lock held by one pooled connection for the length of one tick: if the node dies, its session
//! ends and the lock is free again, so no lease needs to expire. SQLite is one node's file and
//! needs no lock.

use sqlx::pool::PoolConnection;
use sqlx::{Any, Row};

use crate::{Backend, Store, StoreError};

/// The advisory-lock key of a job kind: FNV-1a of `onewindow:<kind>`, so every node and every
/// version computes the same key without a registry of numbers, and other applications on the
/// same database are unlikely to collide with it.
pub fn lock_key(kind: &str) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = b"onewindow:"
        .iter()
        .chain(kind.as_bytes())
        .fold(OFFSET, |h, b| (h ^ u64::from(*b)).wrapping_mul(PRIME));
    // PostgreSQL's keys are signed; the bits are what matter.
    hash as i64
}

/// The right to run one tick of a job; give it back with [`JobLock::release`].
///
/// Dropped without `release` (a panic, an aborted task), its connection is closed instead of
/// going back to the pool, which ends the session and with it the lock: a pooled connection
/// must never carry a lock on to whoever borrows it next.
#[must_use = "the lock is held until released"]
pub struct JobLock {
    held: Option<(PoolConnection<Any>, i64)>,
}

impl std::fmt::Debug for JobLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobLock")
            .field("key", &self.held.as_ref().map(|(_, key)| *key))
            .finish()
    }
}

impl JobLock {
    /// Gives the lock back; the connection returns to the pool only if the unlock worked.
    pub async fn release(mut self) -> Result<(), StoreError> {
        let Some((mut conn, key)) = self.held.take() else {
            return Ok(());
        };
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .and_then(|row| row.try_get::<bool, _>(0));
        match unlocked {
            Ok(true) => Ok(()),
            Ok(false) => {
                conn.close_on_drop();
                Err(StoreError::corrupt(
                    format!("advisory lock {key}"),
                    "was not held by this session at release",
                ))
            }
            Err(e) => {
                conn.close_on_drop();
                Err(e.into())
            }
        }
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        if let Some((conn, _)) = self.held.as_mut() {
            conn.close_on_drop();
        }
    }
}

impl Store {
    /// Takes the lock of job `kind` if no other node holds it: `Some` means this node runs the
    /// tick, `None` that another node is running it now. On SQLite always `Some`.
    pub async fn try_job_lock(&self, kind: &str) -> Result<Option<JobLock>, StoreError> {
        if self.backend() == Backend::Sqlite {
            return Ok(Some(JobLock { held: None }));
        }
        let key = lock_key(kind);
        let mut conn = self.readers().acquire().await?;
        let taken = sqlx::query("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await?
            .try_get::<bool, _>(0)?;
        Ok(taken.then_some(JobLock {
            held: Some((conn, key)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_differ_by_kind() {
        // A changed key would let an old and a new node sweep at once during an upgrade.
        assert_eq!(lock_key("lights"), lock_key("lights"));
        assert_ne!(lock_key("lights"), lock_key("lapsed-acceptance"));
        assert_eq!(lock_key("lights"), 0xa07e_7f3f_6a10_230e_u64 as i64);
    }

    #[tokio::test]
    async fn on_sqlite_the_lock_is_always_free() {
        let dir = std::env::temp_dir().join(format!("onewindow-lock-{}", uuid::Uuid::now_v7()));
        let store = Store::open(&crate::data_dir_url(&dir).expect("url"))
            .await
            .expect("store");
        let first = store.try_job_lock("lights").await.expect("lock");
        let second = store.try_job_lock("lights").await.expect("lock");
        assert!(first.is_some() && second.is_some());
        for lock in [first, second].into_iter().flatten() {
            lock.release().await.expect("released");
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Two nodes on one PostgreSQL database: while one holds a job's lock the other cannot
    /// take it, another job's lock is free, and after the release (or the holder's death) the
    /// other node gets it.
    #[tokio::test]
    async fn on_postgres_one_node_at_a_time_holds_a_jobs_lock() {
        let Ok(base) = std::env::var("ONEWINDOW_TEST_POSTGRES") else {
            eprintln!("SKIPPED: ONEWINDOW_TEST_POSTGRES is not set");
            return;
        };
        let url = crate::create_scratch_postgres(&base, "onewindow_lock")
            .await
            .expect("scratch database");
        let node_a = Store::open(&url).await.expect("node a");
        let node_b = Store::open(&url).await.expect("node b");
        let kind = format!("test-{}", uuid::Uuid::now_v7());

        let held = node_a.try_job_lock(&kind).await.expect("query");
        assert!(held.is_some(), "the first node takes a free lock");
        assert!(
            node_b.try_job_lock(&kind).await.expect("query").is_none(),
            "the second node cannot take it while the first holds it"
        );
        assert!(
            node_a.try_job_lock(&kind).await.expect("query").is_none(),
            "nor can another connection of the first node's pool"
        );
        let other = node_b
            .try_job_lock(&format!("{kind}-other"))
            .await
            .expect("query")
            .expect("another job's lock is free");
        other.release().await.expect("released");

        held.expect("held").release().await.expect("released");
        let taken = node_b
            .try_job_lock(&kind)
            .await
            .expect("query")
            .expect("free after the release");

        // A holder that goes away without releasing (an aborted task) frees the lock too.
        drop(taken);
        let mut again = None;
        for _ in 0..50 {
            again = node_a.try_job_lock(&kind).await.expect("query");
            if again.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        again
            .expect("free after the holder dropped it")
            .release()
            .await
            .expect("released");
        node_a.close().await;
        node_b.close().await;
    }
}
