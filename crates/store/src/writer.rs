//! Group commit: one writer connection takes every write job that is waiting, runs them one after
//! another in a single transaction, each inside its own savepoint, and commits once.
//!
//! A durable commit costs one fsync (about 3 ms here), so a transaction per request would cap a
//! node near 300 writes/s; a batch shares the fsync. A job that fails rolls back to its savepoint
//! and only its own caller sees the failure. Every caller is answered only after the commit, so
//! an acknowledged write is on disk.
//!
//! Audit entries of the jobs that succeeded are linked into the chain and written together just
//! before the commit (see [`crate::audit::append`]).

use std::cell::RefCell;

use futures::future::BoxFuture;
use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

use crate::{Backend, StoreError};

/// The most jobs one transaction takes; bounds the latency of the last job in a batch.
const MAX_BATCH: usize = 256;

type Finisher = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, JobOutcome> + Send>;

enum JobOutcome {
    /// The job's changes stay; it is answered after the commit.
    Keep(Finisher),
    /// The job's changes are rolled back to its savepoint; its answer is the refusal.
    Discard(Finisher),
}

/// Error type for code that only talks to the store.
pub type WriteError = StoreError;

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub(crate) fn spawn(conn: AnyConnection, backend: Backend) -> Writer {
        let (jobs, rx) = mpsc::channel::<Job>(4096);
        tokio::spawn(run_writer(conn, backend, rx));
        Writer { jobs }
    }

    /// Runs `job` in the next transaction and returns its result once that transaction is
    /// committed (or its error at once if the job failed: its changes are then rolled back).
    pub async fn run<T, E, F>(&self, job: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn: &mut AnyConnection| {
            Box::pin(async move {
                match job(conn).await {
                    Ok(value) => {
                        JobOutcome::Keep(Box::new(move |commit: Result<(), StoreError>| {
                            let _ = reply.send(commit.map(|()| value).map_err(E::from));
                        }))
                    }
                    Err(error) => JobOutcome::Discard(Box::new(move |_| {
                        let _ = reply.send(Err(error));
                    })),
                }
            })
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| E::from(StoreError::WriterGone))?;
        answer.await.map_err(|_| E::from(StoreError::WriterGone))?
    }
}

async fn run_writer(mut conn: AnyConnection, backend: Backend, mut rx: mpsc::Receiver<Job>) {
    // The first job's savepoint is taken with BEGIN, and each next one with the RELEASE of the one
    // before: one round trip to the database between jobs instead of two (issue 19).
    let begin = match backend {
        // IMMEDIATE takes the write lock at once, so a second process waits at BEGIN (busy
        // timeout) instead of failing half way through a batch.
        Backend::Sqlite => "BEGIN IMMEDIATE; SAVEPOINT job",
        Backend::Postgres => "BEGIN; SAVEPOINT job",
    };
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut finishers: Vec<Finisher> = Vec::with_capacity(batch.len());
        let begun = sqlx::raw_sql(begin).execute(&mut conn).await;
        if let Err(e) = begun {
            // Dropping the jobs unrun answers their callers with WriterGone.
            tracing::error!(error = %e, jobs = batch.len(), "cannot begin a write transaction");
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
            batch.clear();
            continue;
        }
        let mut failed: Option<String> = None;
        let mut audit_entries = Vec::new();
        // Whether the savepoint holds a kept job's changes, to be released before the next job
        // takes a savepoint of its own; after a rollback to it, it stands empty and is reused.
        let mut holds_kept = false;
        for job in batch.drain(..) {
            if failed.is_some() {
                drop(job);
                continue;
            }
            if holds_kept {
                if let Err(e) = sqlx::raw_sql("RELEASE SAVEPOINT job; SAVEPOINT job")
                    .execute(&mut conn)
                    .await
                {
                    failed = Some(e.to_string());
                    drop(job);
                    continue;
                }
                holds_kept = false;
            }
            let (outcome, entries) = crate::audit::PENDING
                .scope(RefCell::new(Vec::new()), async {
                    let outcome = job(&mut conn).await;
                    let entries = crate::audit::PENDING
                        .with(|pending| std::mem::take(&mut *pending.borrow_mut()));
                    (outcome, entries)
                })
                .await;
            match outcome {
                JobOutcome::Keep(finish) => {
                    holds_kept = true;
                    audit_entries.extend(entries);
                    finishers.push(finish);
                }
                JobOutcome::Discard(finish) => {
                    let undone = sqlx::raw_sql("ROLLBACK TO SAVEPOINT job")
                        .execute(&mut conn)
                        .await;
                    if let Err(e) = undone {
                        failed = Some(e.to_string());
                    }
                    finish(Ok(()));
                }
            }
        }
        // The last kept job's savepoint is released before the audit entries: a transaction the
        // database ended by itself (an I/O error) shows here, not as audit rows written outside it.
        if failed.is_none()
            && holds_kept
            && let Err(e) = sqlx::raw_sql("RELEASE SAVEPOINT job")
                .execute(&mut conn)
                .await
        {
            failed = Some(e.to_string());
        }
        if failed.is_none()
            && let Err(e) = crate::audit::append_all(&mut conn, audit_entries).await
        {
            failed = Some(format!("cannot append to the audit trail: {e}"));
        }
        let outcome = match failed {
            None => sqlx::raw_sql("COMMIT")
                .execute(&mut conn)
                .await
                .map(|_| ())
                .map_err(StoreError::from),
            Some(reason) => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
                Err(StoreError::BatchFailed(reason))
            }
        };
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "write batch failed; every job in it is refused");
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
        }
        for finish in finishers {
            finish(match &outcome {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::BatchFailed(e.to_string())),
            });
        }
    }
}
