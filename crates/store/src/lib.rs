//! # quytac-store
//!
//! Persistence of the quytac service: posts and their check results, moderation cases,
//! decisions (statements of reasons), reports, appeals, takedown requests, per-account
//! violations, API tokens, agencies and the tamper-evident audit log.
//!
//! `impl Store` is split by subject: tokens (`tokens.rs`), posts and cases (`posts.rs`),
//! reports, decisions and appeals (`moderation.rs`), takedowns (`takedowns.rs`), agencies
//! (`agencies.rs`), identity, inquiries and consultations each in their own file.
//!
//! The service layer (`quytac-service`) opens a [`WriteTx`] with [`Store::write`], reads the
//! rows it needs inside it, asks the workflow rules of `quytac_core::workflow`, and writes
//! through the transaction's typed methods; statuses are the workflow's types, never words
//! written here.
//!
//! One [`Store`] serves both backends through `sqlx::AnyPool`: embedded SQLite (the default,
//! in WAL mode) and PostgreSQL. Queries are plain SQL that both accept (`$N` placeholders,
//! `BIGINT` times in Unix milliseconds, 0/1 flags); the schema has one migration folder per
//! backend because their auto-increment keys are spelled differently.
//!
//! **Invariant:** every state change commits in the same transaction as the audit events
//! that describe it, so the log can never miss a change nor record one that did not happen.
//! Writes are serialised (an in-process lock, plus an advisory lock on PostgreSQL) because
//! each audit event's hash covers the previous one.
//!
//! Main types: [`Store`], [`StoreError`], [`audit::AuditEvent`], [`model`].

mod agencies;
pub mod audit;
pub mod consultations;
mod identity;
pub mod inquiries;
mod migrate;
pub mod model;
mod moderation;
mod posts;
mod takedowns;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;
pub use tokens::{NewTokenRow, SESSIONS_PER_TOKEN};

use audit::{AuditEvent, NewEvent};
use model::*;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, MutexGuard};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// What went wrong in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The thing asked for does not exist.
    NotFound,
    /// The change does not fit the current state (e.g. deciding a closed case).
    Conflict,
    /// The database failed or could not be reached.
    Database,
    /// The database URL or configuration is not usable.
    Config,
    /// A query failed in a way that is a fault of the service or of the data (a missing
    /// table, a value that does not decode), not an outage: retrying will not help.
    Internal,
}

#[derive(Debug, Clone)]
pub struct StoreError {
    pub kind: ErrorKind,
    pub message: String,
}

impl StoreError {
    pub fn not_found(what: impl Into<String>) -> Self {
        StoreError {
            kind: ErrorKind::NotFound,
            message: what.into(),
        }
    }
    pub fn conflict(what: impl Into<String>) -> Self {
        StoreError {
            kind: ErrorKind::Conflict,
            message: what.into(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

/// The message keeps the database's own text: it is for the service's log, and the server
/// never shows it to a client.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let kind = if is_outage(&e) {
            ErrorKind::Database
        } else {
            ErrorKind::Internal
        };
        StoreError {
            kind,
            message: format!("database error: {e}"),
        }
    }
}

/// Whether an error means the database could not serve the query for now (unreachable,
/// overloaded, busy, shutting down), so the same request may succeed later.
fn is_outage(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            // PostgreSQL SQLSTATE classes 08 (connection), 53 (insufficient resources), 57
            // (operator intervention: shutdown, cancel); SQLite's primary codes 5 and 6 (busy,
            // locked), also under their extended codes (the low byte).
            if code.len() == 5 {
                ["08", "53", "57"]
                    .iter()
                    .any(|class| code.starts_with(class))
            } else {
                matches!(code.parse::<u32>().map(|c| c & 0xff), Ok(5 | 6))
            }
        }
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store: a connection pool and the write lock.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    write_lock: Arc<Mutex<()>>,
}

/// A write transaction. It holds the write lock until it commits or drops, so what it reads
/// cannot change before it writes: authorisation checked on its rows holds at commit. Dropping
/// it without [`WriteTx::commit`] rolls everything back.
pub struct WriteTx<'a> {
    tx: Transaction<'static, Any>,
    events: Vec<AuditEvent>,
    _guard: MutexGuard<'a, ()>,
}

impl WriteTx<'_> {
    /// Appends an event to the audit chain, in this transaction.
    pub async fn audit(&mut self, event: NewEvent) -> Result<()> {
        let e = audit::append(&mut self.tx, event, now_ms()).await?;
        self.events.push(e);
        Ok(())
    }

    /// Commits; returns the audit events appended, for the checkpoints that cover them.
    pub async fn commit(self) -> Result<Vec<AuditEvent>> {
        self.tx.commit().await?;
        Ok(self.events)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Normalises what a user may type for `--db`: a bare file path or a `sqlite:` URL becomes a
/// SQLite URL that creates the file when missing.
pub fn normalize_url(url: &str) -> Result<(String, Backend)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_string(), Backend::Postgres));
    }
    let url = if url.starts_with("sqlite:") {
        url.to_string()
    } else if url.contains("://") {
        return Err(StoreError {
            kind: ErrorKind::Config,
            message: format!("unsupported database URL `{url}`: use sqlite://FILE or postgres://…"),
        });
    } else {
        format!("sqlite://{url}")
    };
    let url = if url.contains("mode=") || url.contains(":memory:") {
        url
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    };
    Ok((url, Backend::Sqlite))
}

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend) = normalize_url(url)?;
        let max = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the single writer; NORMAL sync keeps
                        // every committed write across a process crash (not a power cut).
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let store = Store {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
        };
        migrate::run(&store.pool, backend).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for tests and tools that must reach under the API (e.g. to tamper with a row).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Opens a write transaction (see [`WriteTx`]).
    pub async fn write(&self) -> Result<WriteTx<'_>> {
        let guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // Other server processes on the same database append to the same chain.
            sqlx::query("SELECT pg_advisory_xact_lock(727274)")
                .execute(&mut *tx)
                .await?;
        }
        Ok(WriteTx {
            tx,
            events: Vec::new(),
            _guard: guard,
        })
    }

    // ---- audit -----------------------------------------------------------------------------

    /// Appends an event that is not tied to another change (e.g. a Mastodon account update).
    pub async fn record_event(&self, event: NewEvent) -> Result<Vec<AuditEvent>> {
        let mut w = self.write().await?;
        w.audit(event).await?;
        w.commit().await
    }

    /// Events with `seq > after`, in order, at most `limit`.
    pub async fn audit_events(&self, after: i64, limit: i64) -> Result<Vec<AuditEvent>> {
        audit::events(&self.pool, after, limit).await
    }

    pub async fn audit_head(&self) -> Result<Option<AuditEvent>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM audit_events ORDER BY seq DESC LIMIT 1",
            audit::EVENT_COLS
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| audit::event_from(&r)).transpose()
    }

    /// Recomputes the whole chain (see [`audit::verify_chain`]).
    pub async fn verify_chain(&self) -> Result<audit::ChainReport> {
        audit::verify_chain(&self.pool).await
    }

    pub async fn insert_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, signature, public_key, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (seq) DO NOTHING",
        )
        .bind(c.seq)
        .bind(&c.hash)
        .bind(&c.signature)
        .bind(&c.public_key)
        .bind(c.at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        sqlx::query(
            "SELECT seq, hash, signature, public_key, at FROM audit_checkpoints ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Checkpoint {
                seq: r.try_get("seq")?,
                hash: r.try_get("hash")?,
                signature: r.try_get("signature")?,
                public_key: r.try_get("public_key")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
    }
}

/// The row that `sql` selects by its one parameter `key`, read inside the write transaction;
/// `what` names the record in the not-found error ("no case `7`").
async fn fetch_one<'q, K, T>(
    w: &mut WriteTx<'_>,
    what: &str,
    sql: &'q str,
    key: K,
    f: fn(&AnyRow) -> Result<T>,
) -> Result<T>
where
    K: 'q + sqlx::Encode<'q, Any> + sqlx::Type<Any> + Send + fmt::Display,
{
    let label = key.to_string();
    fetch_optional(w, sql, key, f)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("no {what} `{label}`")))
}

/// The row that `sql` selects by its one parameter `key`, if any, inside the transaction.
async fn fetch_optional<'q, K, T>(
    w: &mut WriteTx<'_>,
    sql: &'q str,
    key: K,
    f: fn(&AnyRow) -> Result<T>,
) -> Result<Option<T>>
where
    K: 'q + sqlx::Encode<'q, Any> + sqlx::Type<Any> + Send,
{
    let row = sqlx::query(sql)
        .bind(key)
        .fetch_optional(&mut *w.tx)
        .await?;
    row.map(|r| f(&r)).transpose()
}

fn unreadable(col: &str, e: impl fmt::Display) -> StoreError {
    StoreError {
        kind: ErrorKind::Internal,
        message: format!("stored value in {col} is unreadable: {e}"),
    }
}

fn json_col(r: &AnyRow, col: &str) -> Result<serde_json::Value> {
    let s: String = r.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| unreadable(col, e))
}

/// A column that holds one of the words of a typed value (a status, an action, a category).
fn word_col<T: FromStr<Err = String>>(r: &AnyRow, col: &str) -> Result<T> {
    let s: String = r.try_get(col)?;
    s.parse().map_err(|e| unreadable(col, e))
}

fn opt_word_col<T: FromStr<Err = String>>(r: &AnyRow, col: &str) -> Result<Option<T>> {
    let s: Option<String> = r.try_get(col)?;
    s.map(|s| s.parse().map_err(|e| unreadable(col, e)))
        .transpose()
}

/// A 0/1 flag column.
fn flag_col(r: &AnyRow, col: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(col)? != 0)
}
