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
//! backend because their auto-increment keys are spelled differently, and because PostgreSQL
//! partitions `posts` by month with its unique external ids in `post_keys` ([`partitions`]):
//! the one statement that writes posts differs there (`WriteTx::write_posts` in `posts.rs`).
//!
//! **Invariant:** every state change commits in the same transaction as the audit events
//! that describe it, so the log can never miss a change nor record one that did not happen;
//! the rows of the workflow's tables are bound by hash to the event that last wrote them.
//! Writes on one audit chain are serialised (an in-process lock, plus the chain's head row
//! locked on PostgreSQL) because each event's hash covers the previous one; writes on
//! different chains ([`Store::write_on`]) are not (see [`audit`]).
//!
//! Main types: [`Store`], [`StoreError`], [`audit::AuditEvent`], [`model`].

mod agencies;
pub mod audit;
pub mod console;
pub mod consultations;
mod identity;
pub mod inquiries;
mod integrations;
mod migrate;
pub mod model;
mod moderation;
pub mod partitions;
mod posts;
pub mod sign_in_failures;
mod takedowns;
#[cfg(feature = "testing")]
pub mod testing;
mod token_cache;
mod tokens;
mod users;
mod verify;
mod visits;
pub use identity::decree_of;
pub use tokens::{NewTokenRow, SESSIONS_PER_TOKEN};
pub use users::NewUserRow;

pub use audit::ChainId;
use audit::{AuditEvent, ChainHead, HeadSigner, NewEvent, SignedHead, Table};
use model::*;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex as StdMutex, RwLock as StdRwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, OwnedMutexGuard};
pub use verify::{ChainReport, LogScan, RowProblem, StateReport};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Audit events a multi-row `INSERT` (12 parameters each: 960 in all, under SQLite's 999).
const EVENTS_PER_INSERT: usize = 80;
/// Keys a `WHERE key IN (…)` read.
pub(crate) const KEYS_PER_SELECT: usize = 500;

/// `rows` groups of `cols` numbered marks, `($1, $2), ($3, $4)`, for a multi-row `VALUES`.
pub(crate) fn value_marks(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let marks: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", marks.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

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

/// The rows of a bounded query and whether some were left out: a period's list reads at most
/// a limit of rows, and its caller says when a figure counts only those.
#[derive(Debug, Clone)]
pub struct Bounded<T> {
    pub rows: Vec<T>,
    /// More rows matched than the limit; `rows` holds the first `limit` of them.
    pub truncated: bool,
}

impl<T> Bounded<T> {
    /// From a read of `limit + 1` rows: the extra one only says that more exist.
    pub(crate) fn of(mut rows: Vec<T>, limit: i64) -> Self {
        let limit = usize::try_from(limit.max(0)).unwrap_or(usize::MAX);
        let truncated = rows.len() > limit;
        rows.truncate(limit);
        Bounded { rows, truncated }
    }
}

/// The store: a connection pool, the chains' write locks and the key that signs heads.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    locks: Arc<ChainLocks>,
    signer: Arc<StdRwLock<Option<Arc<dyn HeadSigner>>>>,
    last_head: Arc<StdMutex<Option<SignedHead>>>,
    /// The token rows read, while PostgreSQL notifies their changes ([`Store::cache_tokens`]).
    token_cache: Arc<token_cache::TokenCache>,
    /// The database's URL (the token listener opens a connection of its own).
    url: Arc<str>,
    /// `posts` is partitioned by month, with its external ids in `post_keys` (PostgreSQL,
    /// migration 0018); SQLite keeps one table with a unique external id.
    posts_by_month: bool,
}

/// Who waits for whom. SQLite has one writer at a time whatever we do, so every chain shares
/// one lock there (and a second writer never meets `SQLITE_BUSY`). On PostgreSQL each chain
/// has its own in-process lock (so waiting writers do not hold pool connections) and its head
/// row, locked `FOR UPDATE` by the transaction, serialises writers of other processes.
struct ChainLocks {
    all: Arc<Mutex<()>>,
    per_chain: StdMutex<HashMap<i64, Arc<Mutex<()>>>>,
    known: StdMutex<HashSet<i64>>,
}

/// A write transaction on one audit chain. It holds the chain's lock until it commits or
/// drops, so what it reads cannot change before it writes — for every writer on the same
/// chain (all of the workflow's use cases are on chain 0): authorisation checked on its rows
/// holds at commit. Writers on different chains run side by side on PostgreSQL; rows both
/// may touch are serialised by row locks (a post's row, see `join_or_open_case`). Dropping it
/// without [`WriteTx::commit`] rolls everything back.
///
/// Its audit events are appended when it commits, after its writes: the last one carries the
/// content hashes of every covered row the transaction wrote ([`WriteTx::touch`]), and the
/// same transaction signs a head of the whole log.
pub struct WriteTx<'a> {
    tx: Transaction<'static, Any>,
    store: &'a Store,
    chain: ChainId,
    head_pos: i64,
    head_hash: String,
    pending: Vec<(NewEvent, i64)>,
    /// The rows written, in the order first written, each with its content hash when the
    /// writer knew the row as written (`None`: read it again at commit).
    touched: indexmap::IndexMap<(Table, audit::RowKey), Option<String>>,
    force_head: bool,
    _guard: OwnedMutexGuard<()>,
}

impl WriteTx<'_> {
    /// The chain this transaction extends.
    pub fn chain(&self) -> ChainId {
        self.chain
    }

    /// Appends an event to the chain, in this transaction (written when it commits).
    pub async fn audit(&mut self, event: NewEvent) -> Result<()> {
        self.pending.push((event, now_ms()));
        Ok(())
    }

    /// Records that this transaction wrote row `key` of `table`: its content hash is bound to
    /// the transaction's last event when it commits.
    pub fn touch(&mut self, table: Table, key: impl Into<audit::RowKey>) {
        // A write whose row was not seen: whatever hash an earlier statement returned for it
        // is stale.
        self.touched.insert((table, key.into()), None);
    }

    /// [`WriteTx::touch`] for a row whose content hash the writer knows ([`audit::row_hash`]
    /// of the row as written): it is not read again at commit. Any later write of the row
    /// touches it again and undoes this.
    pub(crate) fn touch_hashed(
        &mut self,
        table: Table,
        key: impl Into<audit::RowKey>,
        hash: String,
    ) {
        self.touched.insert((table, key.into()), Some(hash));
    }

    /// [`WriteTx::touch`] for each row an `UPDATE … RETURNING id` answered.
    pub(crate) fn touch_all(&mut self, table: Table, rows: &[AnyRow]) -> Result<()> {
        for r in rows {
            self.touch(table, r.try_get::<i64, _>("id")?);
        }
        Ok(())
    }

    /// Commits; returns the audit events appended.
    pub async fn commit(mut self) -> Result<Vec<AuditEvent>> {
        if self.pending.is_empty() && self.touched.is_empty() && !self.force_head {
            self.tx.commit().await?;
            return Ok(Vec::new());
        }
        if self.pending.is_empty() && !self.touched.is_empty() {
            let (t, key) = self.touched.keys().next().expect("not empty");
            let subject = format!("{}:{key}", t.name());
            self.pending.push((
                NewEvent::new("system", "state.changed", subject, serde_json::json!({})),
                now_ms(),
            ));
        }
        let touched = std::mem::take(&mut self.touched);
        let mut rows = self.row_bindings(touched).await?;
        let seqs = self.take_seqs(self.pending.len() as i64).await?;
        let n = self.pending.len();
        let mut events = Vec::with_capacity(n);
        for (i, ((e, at), seq)) in std::mem::take(&mut self.pending)
            .into_iter()
            .zip(seqs)
            .enumerate()
        {
            let mut ev = AuditEvent {
                seq,
                chain: self.chain.0,
                pos: self.head_pos + 1,
                format: 2,
                at,
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                payload: e.payload,
                rows: if i + 1 == n {
                    std::mem::take(&mut rows)
                } else {
                    Vec::new()
                },
                prev_hash: self.head_hash.clone(),
                hash: String::new(),
            };
            ev.hash = audit::recompute_hash(&ev);
            self.head_pos = ev.pos;
            self.head_hash = ev.hash.clone();
            events.push(ev);
        }
        // Many rows a statement (a batch's events are hundreds): 12 parameters an event, under
        // every backend's limit of bound parameters.
        for chunk in events.chunks(EVENTS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO audit_events ({}) VALUES {}",
                audit::EVENT_COLS,
                value_marks(chunk.len(), 12)
            );
            let mut q = sqlx::query(&sql);
            for ev in chunk {
                q = q
                    .bind(ev.seq)
                    .bind(ev.chain)
                    .bind(ev.pos)
                    .bind(ev.format)
                    .bind(ev.at)
                    .bind(&ev.actor)
                    .bind(&ev.action)
                    .bind(&ev.subject)
                    .bind(audit::canonical_json(&ev.payload))
                    .bind(serde_json::to_string(&ev.rows).unwrap_or_else(|_| "[]".into()))
                    .bind(&ev.prev_hash)
                    .bind(&ev.hash);
            }
            q.execute(&mut *self.tx).await?;
        }
        if !events.is_empty() {
            sqlx::query("UPDATE audit_chains SET pos = $1, hash = $2 WHERE chain = $3")
                .bind(self.head_pos)
                .bind(&self.head_hash)
                .bind(self.chain.0)
                .execute(&mut *self.tx)
                .await?;
        }
        let signer = self.store.head_signer();
        let signed = match signer {
            Some(signer) => Some(self.sign_head(signer.as_ref()).await?),
            None => None,
        };
        self.tx.commit().await?;
        if let Some(head) = signed {
            self.store.remember_head(head);
        }
        Ok(events)
    }

    /// The content hash of each touched row as it is now, in the order touched (a row deleted
    /// since is left out): rows whose hash the writer knew ([`WriteTx::touch_hashed`]) as
    /// they are, the others read again, one query per table and [`KEYS_PER_SELECT`] keys.
    async fn row_bindings(
        &mut self,
        touched: indexmap::IndexMap<(Table, audit::RowKey), Option<String>>,
    ) -> Result<Vec<audit::RowBinding>> {
        let mut by_table: Vec<(Table, Vec<&audit::RowKey>)> = Vec::new();
        for ((t, key), _) in touched.iter().filter(|(_, hash)| hash.is_none()) {
            match by_table.iter_mut().find(|(bt, _)| bt == t) {
                Some((_, keys)) => keys.push(key),
                None => by_table.push((*t, vec![key])),
            }
        }
        let mut hashes: HashMap<(Table, String), String> = HashMap::new();
        for (t, keys) in by_table {
            for chunk in keys.chunks(KEYS_PER_SELECT) {
                let sql = format!(
                    "{} WHERE {} IN ({})",
                    t.select_sql(),
                    t.key_column(),
                    (1..=chunk.len())
                        .map(|i| format!("${i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let mut q = sqlx::query(&sql);
                for key in chunk {
                    q = match key {
                        audit::RowKey::Id(id) => q.bind(*id),
                        audit::RowKey::Text(text) => q.bind(text.clone()),
                    };
                }
                for r in q.fetch_all(&mut *self.tx).await? {
                    let values = audit::row_values(t, &r)?;
                    let key = values[0].clone().unwrap_or_default();
                    hashes.insert((t, key), audit::row_hash(t, &values));
                }
            }
        }
        Ok(touched
            .into_iter()
            .filter_map(|((t, key), returned)| {
                returned
                    .or_else(|| hashes.remove(&(t, key.to_string())))
                    .map(|hash| audit::RowBinding {
                        table: t.name().to_string(),
                        id: key,
                        hash,
                    })
            })
            .collect())
    }

    /// `n` new event numbers, in order.
    async fn take_seqs(&mut self, n: i64) -> Result<Vec<i64>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        match self.store.backend {
            Backend::Sqlite => {
                // One writer at a time: the next numbers are the free ones.
                let first: i64 =
                    sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM audit_events")
                        .fetch_one(&mut *self.tx)
                        .await?
                        .try_get("n")?;
                Ok((first..first + n).collect())
            }
            Backend::Postgres => {
                let mut seqs: Vec<i64> = sqlx::query(
                    "SELECT nextval('audit_seq') AS n FROM generate_series(1, $1::bigint)",
                )
                .bind(n)
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>("n"))
                .collect::<std::result::Result<_, _>>()?;
                seqs.sort_unstable();
                Ok(seqs)
            }
        }
    }

    /// Signs the heads of every chain as this transaction sees them (its own chain as it will
    /// commit) and stores the signed head in the same transaction.
    async fn sign_head(&mut self, signer: &dyn HeadSigner) -> Result<SignedHead> {
        let chains: Vec<ChainHead> =
            sqlx::query("SELECT chain, pos, hash FROM audit_chains ORDER BY chain")
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(|r| {
                    Ok(ChainHead {
                        chain: r.try_get("chain")?,
                        pos: r.try_get("pos")?,
                        hash: r.try_get("hash")?,
                    })
                })
                .collect::<Result<_>>()?;
        let seq = chains.iter().map(|c| c.pos).sum();
        let root = audit::merkle_root(&chains);
        let time = now_ms();
        let key_id = signer.key_id();
        let message = audit::head_message(seq, &root, time, &key_id, &chains);
        let mut head = SignedHead {
            id: 0,
            seq,
            hash: root,
            time,
            key_id,
            public_key: signer.public_key_hex(),
            signature: signer.sign_message(message.as_bytes()),
            chains,
        };
        head.id = sqlx::query(
            "INSERT INTO audit_heads (seq, root, chains, at, key_id, public_key, signature) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(head.seq)
        .bind(&head.hash)
        .bind(serde_json::to_string(&head.chains).unwrap_or_default())
        .bind(head.time)
        .bind(&head.key_id)
        .bind(&head.public_key)
        .bind(&head.signature)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        Ok(head)
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
        Store::connect_until(url, i64::MAX).await
    }

    /// [`Store::connect`], with the schema migrated up to `version` only (the test of an
    /// upgrade opens the database as the release before a migration left it).
    pub(crate) async fn connect_until(url: &str, version: i64) -> Result<Store> {
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
            locks: Arc::new(ChainLocks {
                all: Arc::new(Mutex::new(())),
                per_chain: StdMutex::new(HashMap::new()),
                known: StdMutex::new(HashSet::new()),
            }),
            signer: Arc::new(StdRwLock::new(None)),
            last_head: Arc::new(StdMutex::new(None)),
            token_cache: Arc::default(),
            url: url.as_str().into(),
            posts_by_month: backend == Backend::Postgres && version >= migrate::POSTS_BY_MONTH,
        };
        migrate::run(&store.pool, backend, version).await?;
        // The current month's partition of `posts` and the next few, ahead of their posts.
        store
            .ensure_post_partitions(partitions::MONTHS_AHEAD)
            .await?;
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

    /// Opens a write transaction on the workflow's chain (chain 0; see [`WriteTx`]).
    pub async fn write(&self) -> Result<WriteTx<'_>> {
        self.write_on(ChainId::WORKFLOW).await
    }

    /// Opens a write transaction on `chain`: writers of one chain wait for each other, writers
    /// of different chains do not (on PostgreSQL). The ingest pipeline writes a shard's batch
    /// on [`audit::chain_for_author`]'s chain. Writes that touch the same rows must either
    /// take the same chain or lock those rows (as `upsert_post` and `join_or_open_case` lock
    /// the post's row); the moderation use cases (reports, decisions, appeals, takedowns) all
    /// read-then-write a case and stay on chain 0.
    pub async fn write_on(&self, chain: ChainId) -> Result<WriteTx<'_>> {
        if chain.0 < 0 {
            return Err(StoreError::conflict(format!("no audit chain {chain}")));
        }
        let guard = self.chain_lock(chain).lock_owned().await;
        self.ensure_chain(chain).await?;
        let tx = match self.backend {
            // The write lock up front (waiting under `busy_timeout`): a transaction that
            // read first could not take it later while another connection holds it.
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        let sql = match self.backend {
            Backend::Sqlite => "SELECT pos, hash FROM audit_chains WHERE chain = $1",
            // The chain's head row is its lock across server processes.
            Backend::Postgres => "SELECT pos, hash FROM audit_chains WHERE chain = $1 FOR UPDATE",
        };
        self.begin_on(chain, tx, sql, guard)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no audit chain {chain}")))
    }

    /// Opens a write transaction on whichever of `chains` no other writer holds now, in this
    /// process or another (on PostgreSQL: the head row taken `FOR UPDATE SKIP LOCKED`), so
    /// writers that may take any chain — the pipeline's batches — never wait for each other
    /// while a chain is free; when all are taken, waits for the first. On SQLite (one writer
    /// at a time whatever the chain) it is [`Store::write_on`] the first.
    pub async fn write_on_any(&self, chains: &[ChainId]) -> Result<WriteTx<'_>> {
        let Some(&first) = chains.first() else {
            return Err(StoreError::conflict("no audit chain to write on"));
        };
        if self.backend == Backend::Postgres {
            for &chain in chains.iter().filter(|c| c.0 >= 0) {
                let Ok(guard) = self.chain_lock(chain).try_lock_owned() else {
                    continue;
                };
                self.ensure_chain(chain).await?;
                let tx = self.pool.begin().await?;
                let sql =
                    "SELECT pos, hash FROM audit_chains WHERE chain = $1 FOR UPDATE SKIP LOCKED";
                if let Some(w) = self.begin_on(chain, tx, sql, guard).await? {
                    return Ok(w);
                }
            }
        }
        self.write_on(first).await
    }

    /// The in-process lock of `chain` (one for all chains on SQLite; see [`ChainLocks`]).
    fn chain_lock(&self, chain: ChainId) -> Arc<Mutex<()>> {
        match self.backend {
            Backend::Sqlite => self.locks.all.clone(),
            Backend::Postgres => self
                .locks
                .per_chain
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(chain.0)
                .or_default()
                .clone(),
        }
    }

    /// Creates `chain`'s head row if this process has not seen it yet.
    async fn ensure_chain(&self, chain: ChainId) -> Result<()> {
        let known = self
            .locks
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&chain.0);
        if !known {
            sqlx::query(
                "INSERT INTO audit_chains (chain, pos, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING",
            )
            .bind(chain.0)
            .bind(audit::GENESIS)
            .execute(&self.pool)
            .await?;
            self.locks
                .known
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(chain.0);
        }
        Ok(())
    }

    /// The write transaction on `chain` whose head `head_sql` reads (and locks) in `tx`; none
    /// when the head row is not to be had (taken by another writer, with `SKIP LOCKED`).
    async fn begin_on(
        &self,
        chain: ChainId,
        mut tx: Transaction<'static, Any>,
        head_sql: &str,
        guard: OwnedMutexGuard<()>,
    ) -> Result<Option<WriteTx<'_>>> {
        let Some(head) = sqlx::query(head_sql)
            .bind(chain.0)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(WriteTx {
            head_pos: head.try_get("pos")?,
            head_hash: head.try_get("hash")?,
            tx,
            store: self,
            chain,
            pending: Vec::new(),
            touched: Default::default(),
            force_head: false,
            _guard: guard,
        }))
    }

    // ---- audit -----------------------------------------------------------------------------

    /// The key that signs heads, installed once by the service (`quytac_service::Service::new`).
    /// Without one, commits sign nothing (a store used alone, in its own tests).
    pub fn set_head_signer(&self, signer: Arc<dyn HeadSigner>) {
        *self.signer.write().unwrap_or_else(|e| e.into_inner()) = Some(signer);
    }

    fn head_signer(&self) -> Option<Arc<dyn HeadSigner>> {
        self.signer
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn remember_head(&self, head: SignedHead) {
        let mut last = self.last_head.lock().unwrap_or_else(|e| e.into_inner());
        if last.as_ref().is_none_or(|l| l.id < head.id) {
            *last = Some(head);
        }
    }

    /// The newest head this process signed: a witness the database cannot roll back.
    pub fn last_signed_head(&self) -> Option<SignedHead> {
        self.last_head
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Signs a head of the log now (nothing else is written).
    pub async fn sign_head_now(&self) -> Result<Option<SignedHead>> {
        let mut w = self.write().await?;
        w.force_head = true;
        w.commit().await?;
        self.latest_head().await
    }

    /// The newest signed head stored.
    pub async fn latest_head(&self) -> Result<Option<SignedHead>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM audit_heads ORDER BY id DESC LIMIT 1",
            audit::HEAD_COLS
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| audit::head_from(&r)).transpose()
    }

    /// Appends an event that is not tied to another change (e.g. a Mastodon account update).
    pub async fn record_event(&self, event: NewEvent) -> Result<Vec<AuditEvent>> {
        let mut w = self.write().await?;
        w.audit(event).await?;
        w.commit().await
    }

    /// Events with `seq > after`, by `seq`, at most `limit`.
    pub async fn audit_events(&self, after: i64, limit: i64) -> Result<Vec<AuditEvent>> {
        sqlx::query(&format!(
            "SELECT {} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
            audit::EVENT_COLS
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(audit::event_from)
        .collect()
    }

    /// The event with the highest `seq`.
    pub async fn audit_head(&self) -> Result<Option<AuditEvent>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM audit_events ORDER BY seq DESC LIMIT 1",
            audit::EVENT_COLS
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| audit::event_from(&r)).transpose()
    }

    /// Recomputes every chain (see [`Store::scan_log`] for the whole check).
    pub async fn verify_chain(&self) -> Result<ChainReport> {
        let scan = self.scan_log(&[]).await?;
        Ok(ChainReport {
            ok: scan.walker.first_broken.is_none(),
            events: scan.walker.events,
            chains: scan.walker.heads(),
            first_broken: scan.walker.first_broken.clone(),
        })
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

#[cfg(test)]
mod tests {
    use super::Bounded;

    #[test]
    fn a_bounded_read_keeps_the_limit_and_says_when_more_matched() {
        let exact = Bounded::of(vec![1, 2, 3], 3);
        assert_eq!((exact.rows, exact.truncated), (vec![1, 2, 3], false));
        let more = Bounded::of(vec![1, 2, 3, 4], 3);
        assert_eq!((more.rows, more.truncated), (vec![1, 2, 3], true));
        let none = Bounded::<i32>::of(vec![], 0);
        assert!(!none.truncated);
    }
}
