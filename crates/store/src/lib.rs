//! The database of onewindow: SQLite (embedded default) and PostgreSQL (a province's scale) behind
//! one API.
//!
//! All SQL here is portable and runs through sqlx's `Any` driver, so one code path and one test
//! suite serve both backends; the few places where the dialects differ are marked with
//! [`Backend`]. Writes go through a single writer per node that batches the commands arriving
//! together into one transaction (group commit, see [`writer`]), with a savepoint per command so a
//! refused command never undoes its neighbours.

pub mod accounts;
pub mod appointments;
pub mod audit;
pub mod bundles;
pub mod calendar;
pub mod cases;
pub mod catalogue;
pub mod deliveries;
pub mod drafts;
pub mod equivalents;
pub mod evaluation;
pub mod facts;
pub mod files;
mod filter;
pub mod hall;
pub mod job_lock;
pub mod licences;
pub mod market;
pub mod messages;
mod migrate;
pub mod monitor;
pub mod projects;
pub mod queue;
pub mod reports;
pub mod tolerance;
pub mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Row};

pub use sqlx::AnyConnection as Conn;
pub use writer::WriteError;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A failure of the database itself; never something the user did.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("stored record {what} is unreadable: {reason}")]
    Corrupt { what: String, reason: String },
    #[error("a write batch failed and was rolled back: {0}")]
    BatchFailed(String),
    #[error("the store's writer has stopped")]
    WriterGone,
    #[error("cannot create the data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
}

impl StoreError {
    pub fn corrupt(what: impl Into<String>, reason: impl ToString) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    /// True when the error is a unique-key violation (a concurrent insert of the same key).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

/// An opened store: a pool of readers and one group-committing writer.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    url: String,
    readers: AnyPool,
    writer: writer::Writer,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// The SQLite URL of the store file inside a data directory.
pub fn data_dir_url(dir: &Path) -> Result<String, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::DataDir {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(format!(
        "sqlite://{}?mode=rwc",
        dir.join("onewindow.db").display()
    ))
}

impl Store {
    /// Opens (and creates or migrates) the store at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let mut conn = Self::connect_writer(backend, url).await?;
        migrate::run(&mut conn, backend).await?;
        let readers = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // 1 MiB of pages per reader instead of SQLite's 2 MiB: the operating
                        // system caches the file as well, and a node's resident memory counts
                        // every reader's cache (issue 19).
                        sqlx::raw_sql("PRAGMA busy_timeout = 10000; PRAGMA cache_size = -1024;")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let writer = writer::Writer::spawn(conn, backend);
        Ok(Store {
            backend,
            url: url.to_string(),
            readers,
            writer,
        })
    }

    async fn connect_writer(backend: Backend, url: &str) -> Result<AnyConnection, StoreError> {
        let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        let mut conn = AnyConnection::connect_with(&options).await?;
        match backend {
            // Acknowledged means on disk: WAL with a full sync at every commit.
            Backend::Sqlite => {
                sqlx::raw_sql(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;",
                )
                .execute(&mut conn)
                .await?;
            }
            Backend::Postgres => {
                sqlx::raw_sql("SET synchronous_commit = on;")
                    .execute(&mut conn)
                    .await?;
            }
        }
        Ok(conn)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The pool for queries; never used to change anything.
    pub fn readers(&self) -> &AnyPool {
        &self.readers
    }

    /// One reader connection, for a query that sends several statements.
    pub async fn reader(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.readers.acquire().await?)
    }

    /// Runs `job` inside the writer's next transaction; see [`writer::Writer::run`].
    pub async fn write<T, E, F>(&self, job: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> futures::future::BoxFuture<'c, Result<T, E>>
            + Send
            + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.writer.run(job).await
    }

    /// Closes the pool and stops the writer after it has finished what it holds.
    pub async fn close(&self) {
        self.readers.close().await;
    }
}

/// Increments and returns the named counter, inside the caller's transaction.
pub async fn next_counter(conn: &mut AnyConnection, name: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .bind(name)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Appends a message to the outbox in the caller's transaction; the dispatcher sends it after
/// commit, so a message exists exactly when the change that caused it exists.
pub async fn enqueue_outbox(
    conn: &mut AnyConnection,
    topic: &str,
    body: &str,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (id, topic, body, created_at) VALUES ($1, $2, $3, $4)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(topic)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One message waiting in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub id: String,
    pub topic: String,
    pub body: String,
}

/// Takes up to `limit` messages from the outbox, oldest first, and removes them in the same
/// transaction.
pub async fn drain_outbox(store: &Store, limit: i64) -> Result<Vec<OutboxMessage>, StoreError> {
    store
        .write(move |conn| Box::pin(async move { take_outbox(conn, limit).await }))
        .await
}

/// [`drain_outbox`] inside the caller's transaction: what the caller writes from the messages
/// (the applicant's messages they make) commits with their removal, or neither does.
pub async fn take_outbox(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<OutboxMessage>, StoreError> {
    // On PostgreSQL two nodes draining at once take different rows (SKIP LOCKED) instead of
    // both taking the same ones; SQLite has one writer.
    let sql = if conn.backend_name() == "PostgreSQL" {
        "SELECT id, topic, body FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"
    } else {
        "SELECT id, topic, body FROM outbox ORDER BY id LIMIT $1"
    };
    let rows = sqlx::query(sql).bind(limit).fetch_all(&mut *conn).await?;
    let mut messages = Vec::with_capacity(rows.len());
    for row in rows {
        messages.push(OutboxMessage {
            id: row.try_get("id")?,
            topic: row.try_get("topic")?,
            body: row.try_get("body")?,
        });
    }
    let ids: Vec<String> = messages.iter().map(|m| m.id.clone()).collect();
    delete_outbox_rows(conn, &ids).await?;
    Ok(messages)
}

/// Reads up to `limit` messages from the outbox, oldest first, without taking them: a transport
/// that must hear an acknowledgement first (NATS JetStream) removes them afterwards with
/// [`delete_outbox`]. Several nodes may read the same messages; the transport de-duplicates.
pub async fn pending_outbox(store: &Store, limit: i64) -> Result<Vec<OutboxMessage>, StoreError> {
    let rows = sqlx::query("SELECT id, topic, body FROM outbox ORDER BY id LIMIT $1")
        .bind(limit)
        .fetch_all(store.readers())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxMessage {
                id: row.try_get("id")?,
                topic: row.try_get("topic")?,
                body: row.try_get("body")?,
            })
        })
        .collect()
}

/// Claims up to `limit` messages of the outbox, oldest first, for `lease` from `now`: those no
/// node holds, or whose holder's lease ran out (it died between its publish and its delete). A
/// transport that must hear an acknowledgement first (NATS JetStream) publishes them and then
/// removes them with [`delete_outbox`]; another node claiming at the same time gets other rows,
/// so a message is published twice only after a node died holding it.
pub async fn claim_outbox(
    store: &Store,
    limit: i64,
    now: chrono::DateTime<chrono::Utc>,
    lease: chrono::Duration,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let stamp =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (now, until) = (stamp(now), stamp(now + lease));
    let postgres = store.backend() == Backend::Postgres;
    store
        .write(move |conn| {
            Box::pin(async move {
                let lock = if postgres {
                    " FOR UPDATE SKIP LOCKED"
                } else {
                    ""
                };
                let sql = format!(
                    "UPDATE outbox SET claimed_until = $1 WHERE id IN (SELECT id FROM outbox \
                     WHERE claimed_until IS NULL OR claimed_until < $2 ORDER BY id LIMIT $3{lock}) \
                     RETURNING id, topic, body"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(until)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&mut *conn)
                    .await?;
                let mut messages = rows
                    .iter()
                    .map(|row| {
                        Ok(OutboxMessage {
                            id: row.try_get("id")?,
                            topic: row.try_get("topic")?,
                            body: row.try_get("body")?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                // RETURNING keeps no order; publish oldest first.
                messages.sort_by(|a, b| a.id.cmp(&b.id));
                Ok::<_, StoreError>(messages)
            })
        })
        .await
}

/// Gives back claimed messages that could not be published, for the next tick of any node.
pub async fn release_outbox(store: &Store, ids: Vec<String>) -> Result<u64, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    store
        .write(move |conn| {
            Box::pin(async move {
                let mut released = 0;
                for chunk in ids.chunks(500) {
                    let placeholders: Vec<String> =
                        (1..=chunk.len()).map(|i| format!("${i}")).collect();
                    let sql = format!(
                        "UPDATE outbox SET claimed_until = NULL WHERE id IN ({})",
                        placeholders.join(", ")
                    );
                    let mut update = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        update = update.bind(id.clone());
                    }
                    released += update.execute(&mut *conn).await?.rows_affected();
                }
                Ok::<_, StoreError>(released)
            })
        })
        .await
}

/// Removes the outbox messages with these ids (those already gone are no error: another node
/// delivered them first); returns how many rows went.
pub async fn delete_outbox(store: &Store, ids: Vec<String>) -> Result<u64, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    store
        .write(move |conn| Box::pin(async move { delete_outbox_rows(conn, &ids).await }))
        .await
}

/// [`delete_outbox`] inside the caller's transaction.
pub async fn delete_outbox_in(conn: &mut AnyConnection, ids: &[String]) -> Result<u64, StoreError> {
    delete_outbox_rows(conn, ids).await
}

/// One statement per chunk of ids: a statement per message would cost the writer as much as the
/// commands that made them.
async fn delete_outbox_rows(conn: &mut AnyConnection, ids: &[String]) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "DELETE FROM outbox WHERE id IN ({})",
            placeholders.join(", ")
        );
        let mut delete = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            delete = delete.bind(id.clone());
        }
        deleted += delete.execute(&mut *conn).await?.rows_affected();
    }
    Ok(deleted)
}

/// Creates an empty PostgreSQL database next to the one `base_url` names and returns its URL:
/// test suites get a fresh database per test on the real server.
pub async fn create_scratch_postgres(base_url: &str, prefix: &str) -> Result<String, StoreError> {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(base_url).await?;
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    let (head, _) = base_url
        .rsplit_once('/')
        .ok_or_else(|| StoreError::UnsupportedUrl(base_url.to_string()))?;
    Ok(format!("{head}/{name}"))
}
