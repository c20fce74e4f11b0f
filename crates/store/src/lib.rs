//! # quytac-store
//!
//! Persistence of the quytac service: posts and their check results, moderation cases,
//! decisions (statements of reasons), reports, appeals, takedown requests, per-account
//! violations, API tokens, agencies and the tamper-evident audit log.
//!
//! `impl Store` is split by subject: moderation here, agencies in `agencies.rs`; identity
//! and accountability each get their own file.
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

use audit::{AuditEvent, NewEvent};
use model::*;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, MutexGuard};

/// A takedown request must be acted on within 24 hours (ND-2).
pub const TAKEDOWN_DEADLINE_MS: i64 = 24 * 3600 * 1000;
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

/// A write transaction that holds the write lock until it commits or drops.
struct WriteTx<'a> {
    tx: Transaction<'static, Any>,
    events: Vec<AuditEvent>,
    _guard: MutexGuard<'a, ()>,
}

impl WriteTx<'_> {
    async fn audit(&mut self, event: NewEvent) -> Result<()> {
        let e = audit::append(&mut self.tx, event, now_ms()).await?;
        self.events.push(e);
        Ok(())
    }

    async fn commit(self) -> Result<Vec<AuditEvent>> {
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

    async fn begin(&self) -> Result<WriteTx<'_>> {
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

    // ---- tokens -------------------------------------------------------------------------

    /// Stores a token's hash; the secret itself is never stored.
    pub async fn create_token(
        &self,
        role: &str,
        label: &str,
        hash: &str,
        actor: &str,
    ) -> Result<i64> {
        let mut w = self.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO tokens (role, label, hash, created_at, revoked) VALUES ($1, $2, $3, $4, 0) RETURNING id",
        )
        .bind(role)
        .bind(label)
        .bind(hash)
        .bind(now_ms())
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.audit(NewEvent::new(
            actor,
            "token.created",
            format!("token:{id}"),
            serde_json::json!({"role": role, "label": label}),
        ))
        .await?;
        w.commit().await?;
        Ok(id)
    }

    pub async fn token(&self, id: i64) -> Result<Option<TokenRecord>> {
        let row = sqlx::query("SELECT id, role, label, hash, revoked FROM tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(TokenRecord {
                id: r.try_get("id")?,
                role: r.try_get("role")?,
                label: r.try_get("label")?,
                hash: r.try_get("hash")?,
                revoked: r.try_get::<i64, _>("revoked")? != 0,
            })
        })
        .transpose()
    }

    // ---- posts and cases ------------------------------------------------------------------

    /// Stores (or updates) a checked post and, when it needs a person, opens a case for it or
    /// joins the case already open.
    pub async fn ingest_post(
        &self,
        post: &NewPost,
        needs_case: bool,
        actor: &str,
    ) -> Result<Ingested> {
        let mut w = self.begin().await?;
        let now = now_ms();
        let post_id: i64 = sqlx::query(
            "INSERT INTO posts (external_id, author_id, text, item_json, result_json, verdict, label, source, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             ON CONFLICT (external_id) DO UPDATE SET author_id = excluded.author_id, text = excluded.text, \
             item_json = excluded.item_json, result_json = excluded.result_json, verdict = excluded.verdict, \
             label = excluded.label, updated_at = excluded.updated_at RETURNING id",
        )
        .bind(&post.external_id)
        .bind(&post.author_id)
        .bind(&post.text)
        .bind(&post.item_json)
        .bind(&post.result_json)
        .bind(&post.verdict)
        .bind(&post.label)
        .bind(&post.source)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.audit(NewEvent::new(
            actor,
            "post.ingested",
            format!("post:{post_id}"),
            serde_json::json!({"external_id": post.external_id, "verdict": post.verdict, "source": post.source}),
        ))
        .await?;
        let case = if needs_case {
            Some(open_case(&mut w, post_id, "automated", &post.verdict, actor).await?)
        } else {
            None
        };
        let events = w.commit().await?;
        let post = self
            .post(post_id)
            .await?
            .ok_or_else(|| StoreError::not_found("post vanished"))?;
        Ok(Ingested { post, case, events })
    }

    pub async fn post(&self, id: i64) -> Result<Option<Post>> {
        let row = sqlx::query(&format!("SELECT {POST_COLS} FROM posts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| post_from(&r)).transpose()
    }

    pub async fn post_by_external_id(&self, external_id: &str) -> Result<Option<Post>> {
        let row = sqlx::query(&format!(
            "SELECT {POST_COLS} FROM posts WHERE external_id = $1"
        ))
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| post_from(&r)).transpose()
    }

    /// The item JSON a post was ingested from.
    pub async fn post_item_json(&self, external_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT item_json FROM posts WHERE external_id = $1")
            .bind(external_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get("item_json")?)).transpose()
    }

    pub async fn count_posts(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM posts")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Cases, newest first within a status, with their post.
    pub async fn list_cases(&self, status: Option<&str>, limit: i64) -> Result<Vec<CaseSummary>> {
        let sql = format!(
            "SELECT c.id, c.post_id, c.status, c.source, c.verdict, c.opened_at, c.updated_at, \
             p.external_id, p.author_id, p.text, p.result_json FROM cases c JOIN posts p ON p.id = c.post_id \
             {} ORDER BY c.id ASC LIMIT $1",
            if status.is_some() { "WHERE c.status = $2" } else { "" }
        );
        let mut q = sqlx::query(&sql).bind(limit);
        if let Some(s) = status {
            q = q.bind(s);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(CaseSummary {
                    case: case_from(r)?,
                    external_id: r.try_get("external_id")?,
                    author_id: r.try_get("author_id")?,
                    text: r.try_get("text")?,
                    result: json_col(r, "result_json")?,
                })
            })
            .collect()
    }

    pub async fn case(&self, id: i64) -> Result<Option<Case>> {
        let row = sqlx::query(&format!("SELECT {CASE_COLS} FROM cases WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| case_from(&r)).transpose()
    }

    /// A case with everything that happened to it.
    pub async fn case_detail(&self, id: i64) -> Result<Option<CaseDetail>> {
        let Some(case) = self.case(id).await? else {
            return Ok(None);
        };
        let post = self
            .post(case.post_id)
            .await?
            .ok_or_else(|| StoreError::not_found("post of case"))?;
        let decisions = self
            .rows_of_case("decisions", DECISION_COLS, id, decision_from)
            .await?;
        let reports = self
            .rows_of_case("reports", REPORT_COLS, id, report_from)
            .await?;
        let appeals = self
            .rows_of_case("appeals", APPEAL_COLS, id, appeal_from)
            .await?;
        let takedowns = self
            .rows_of_case("takedowns", TAKEDOWN_COLS, id, takedown_from)
            .await?;
        Ok(Some(CaseDetail {
            case,
            post,
            decisions,
            reports,
            appeals,
            takedowns,
        }))
    }

    // ---- reports ----------------------------------------------------------------------------

    /// A user reports a stored post: the report joins the post's open case or opens one.
    pub async fn create_report(&self, r: &NewReport) -> Result<(Report, Case, Vec<AuditEvent>)> {
        let mut w = self.begin().await?;
        let post = post_by_external(&mut w, &r.post_id).await?;
        let case = open_case(&mut w, post.id, "report", &post.verdict, &r.reporter).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO reports (case_id, post_id, reporter, category, note, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(case.id)
        .bind(post.id)
        .bind(&r.reporter)
        .bind(&r.category)
        .bind(&r.note)
        .bind(now_ms())
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.audit(NewEvent::new(
            &r.reporter,
            "report.created",
            format!("report:{id}"),
            serde_json::json!({"case_id": case.id, "post_id": post.id, "category": r.category}),
        ))
        .await?;
        let report = fetch_one(
            &mut w,
            "report",
            &format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1"),
            id,
            report_from,
        )
        .await?;
        let events = w.commit().await?;
        Ok((report, case, events))
    }

    pub async fn report(&self, id: i64) -> Result<Option<Report>> {
        let row = sqlx::query(&format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| report_from(&r)).transpose()
    }

    // ---- decisions and appeals ---------------------------------------------------------------

    /// Records a statement of reasons on an open or appealed case, tells the reporters the
    /// outcome, counts the violation against the author and closes takedowns that the action
    /// satisfies.
    pub async fn record_decision(
        &self,
        case_id: i64,
        d: &NewDecision,
    ) -> Result<(Decision, Vec<AuditEvent>)> {
        let mut w = self.begin().await?;
        let case = fetch_one(
            &mut w,
            "case",
            &format!("SELECT {CASE_COLS} FROM cases WHERE id = $1"),
            case_id,
            case_from,
        )
        .await
        .map_err(|_| StoreError::not_found(format!("case {case_id} not found")))?;
        let on_appeal = match case.status.as_str() {
            "open" => false,
            "appealed" => true,
            other => {
                return Err(StoreError::conflict(format!(
                    "case {case_id} is {other}, not open"
                )))
            }
        };
        let now = now_ms();
        let id: i64 = sqlx::query(
            "INSERT INTO decisions (case_id, rule_id, category, action, automated_detection, automated_decision, moderator, statement, on_appeal, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(case_id)
        .bind(&d.rule_id)
        .bind(&d.category)
        .bind(&d.action)
        .bind(d.automated_detection as i64)
        .bind(d.automated_decision as i64)
        .bind(&d.moderator)
        .bind(&d.statement)
        .bind(on_appeal as i64)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        sqlx::query("UPDATE cases SET status = 'decided', updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(case_id)
            .execute(&mut *w.tx)
            .await?;
        let outcome = if d.action == "none" {
            "no_action".to_string()
        } else {
            d.action.clone()
        };
        sqlx::query("UPDATE reports SET outcome = $1, outcome_at = $2 WHERE case_id = $3 AND (outcome IS NULL OR $4 = 1)")
            .bind(&outcome)
            .bind(now)
            .bind(case_id)
            .bind(on_appeal as i64)
            .execute(&mut *w.tx)
            .await?;
        if on_appeal {
            sqlx::query("UPDATE appeals SET status = 'decided', resolved_at = $1 WHERE case_id = $2 AND status = 'pending'")
                .bind(now)
                .bind(case_id)
                .execute(&mut *w.tx)
                .await?;
        }
        let author: Option<String> = sqlx::query("SELECT author_id FROM posts WHERE id = $1")
            .bind(case.post_id)
            .fetch_one(&mut *w.tx)
            .await?
            .try_get("author_id")?;
        if let (Some(author), true) = (author, d.action != "none") {
            sqlx::query("INSERT INTO violations (account_id, case_id, decision_id, action, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&author)
                .bind(case_id)
                .bind(id)
                .bind(&d.action)
                .bind(now)
                .execute(&mut *w.tx)
                .await?;
        }
        if d.action == "remove" || d.action == "hide" || d.action == "suspend" {
            sqlx::query("UPDATE takedowns SET status = 'done', completed_at = $1 WHERE post_id = $2 AND status = 'open'")
                .bind(now)
                .bind(case.post_id)
                .execute(&mut *w.tx)
                .await?;
        }
        w.audit(NewEvent::new(
            &d.moderator,
            "decision.recorded",
            format!("case:{case_id}"),
            serde_json::json!({
                "decision_id": id, "rule": d.rule_id, "category": d.category, "action": d.action,
                "automated_detection": d.automated_detection, "automated_decision": d.automated_decision,
                "on_appeal": on_appeal, "statement": d.statement,
            }),
        ))
        .await?;
        let decision = fetch_one(
            &mut w,
            "decision",
            &format!("SELECT {DECISION_COLS} FROM decisions WHERE id = $1"),
            id,
            decision_from,
        )
        .await?;
        let events = w.commit().await?;
        Ok((decision, events))
    }

    /// The author (or someone for them) contests the latest decision; the case reopens for a
    /// second look.
    pub async fn create_appeal(
        &self,
        case_id: i64,
        appellant: &str,
        reason: &str,
    ) -> Result<(Appeal, Vec<AuditEvent>)> {
        let mut w = self.begin().await?;
        let case = fetch_one(
            &mut w,
            "case",
            &format!("SELECT {CASE_COLS} FROM cases WHERE id = $1"),
            case_id,
            case_from,
        )
        .await
        .map_err(|_| StoreError::not_found(format!("case {case_id} not found")))?;
        if case.status != "decided" {
            return Err(StoreError::conflict(format!(
                "case {case_id} is {}: only a decided case can be appealed",
                case.status
            )));
        }
        let decision_id: i64 =
            sqlx::query("SELECT MAX(id) AS id FROM decisions WHERE case_id = $1")
                .bind(case_id)
                .fetch_one(&mut *w.tx)
                .await?
                .try_get("id")?;
        let now = now_ms();
        let id: i64 = sqlx::query(
            "INSERT INTO appeals (case_id, decision_id, appellant, reason, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
        )
        .bind(case_id)
        .bind(decision_id)
        .bind(appellant)
        .bind(reason)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        sqlx::query("UPDATE cases SET status = 'appealed', updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(case_id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(NewEvent::new(
            appellant,
            "appeal.created",
            format!("case:{case_id}"),
            serde_json::json!({"appeal_id": id, "decision_id": decision_id, "reason": reason}),
        ))
        .await?;
        let appeal = fetch_one(
            &mut w,
            "appeal",
            &format!("SELECT {APPEAL_COLS} FROM appeals WHERE id = $1"),
            id,
            appeal_from,
        )
        .await?;
        let events = w.commit().await?;
        Ok((appeal, events))
    }

    // ---- takedowns ---------------------------------------------------------------------------

    /// An authority's removal request: tracked to a 24-hour deadline (ND-2) on a case.
    pub async fn create_takedown(&self, t: &NewTakedown) -> Result<(Takedown, Vec<AuditEvent>)> {
        let mut w = self.begin().await?;
        let post = post_by_external(&mut w, &t.post_id).await?;
        let case = open_case(&mut w, post.id, "takedown", &post.verdict, &t.requested_by).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO takedowns (post_id, case_id, authority, legal_basis, reason, requested_by, received_at, deadline, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open') RETURNING id",
        )
        .bind(post.id)
        .bind(case.id)
        .bind(&t.authority)
        .bind(&t.legal_basis)
        .bind(&t.reason)
        .bind(&t.requested_by)
        .bind(t.received_at)
        .bind(t.received_at + TAKEDOWN_DEADLINE_MS)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.audit(NewEvent::new(
            &t.requested_by,
            "takedown.requested",
            format!("takedown:{id}"),
            serde_json::json!({"post_id": post.id, "case_id": case.id, "authority": t.authority, "legal_basis": t.legal_basis, "received_at": t.received_at}),
        ))
        .await?;
        let td = fetch_one(
            &mut w,
            "takedown",
            &format!("SELECT {TAKEDOWN_COLS} FROM takedowns WHERE id = $1"),
            id,
            takedown_from,
        )
        .await?;
        let events = w.commit().await?;
        Ok((td, events))
    }

    /// Takedown requests, oldest deadline first; `overdue_at` keeps only the open ones whose
    /// deadline passed before that time.
    pub async fn list_takedowns(&self, overdue_at: Option<i64>) -> Result<Vec<Takedown>> {
        let rows = match overdue_at {
            Some(now) => {
                sqlx::query(&format!(
                    "SELECT {TAKEDOWN_COLS} FROM takedowns WHERE status = 'open' AND deadline < $1 ORDER BY deadline, id"
                ))
                .bind(now)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {TAKEDOWN_COLS} FROM takedowns ORDER BY deadline, id"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(takedown_from).collect()
    }

    // ---- counters and transparency -----------------------------------------------------------

    /// Violations decided against an account in the last 30 and 90 days, and how many of its
    /// decisions were suspensions (temporary locks), for ND-3.
    pub async fn violation_counts(&self, account_id: &str, now: i64) -> Result<ViolationCounts> {
        let row = sqlx::query(
            "SELECT \
               COUNT(CASE WHEN at >= $2 THEN 1 END) AS d30, \
               COUNT(CASE WHEN at >= $3 THEN 1 END) AS d90, \
               COUNT(CASE WHEN action = 'suspend' THEN 1 END) AS locks, \
               COUNT(*) AS total \
             FROM violations WHERE account_id = $1",
        )
        .bind(account_id)
        .bind(now - 30 * DAY_MS)
        .bind(now - 90 * DAY_MS)
        .fetch_one(&self.pool)
        .await?;
        Ok(ViolationCounts {
            last_30_days: row.try_get("d30")?,
            last_90_days: row.try_get("d90")?,
            temporary_locks: row.try_get("locks")?,
            total: row.try_get("total")?,
        })
    }

    /// Decisions made in `[from, to)`, for the transparency report.
    pub async fn decisions_between(&self, from: i64, to: i64) -> Result<Vec<Decision>> {
        sqlx::query(&format!(
            "SELECT {DECISION_COLS} FROM decisions WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(decision_from)
        .collect()
    }

    /// Takedowns received in `[from, to)`.
    pub async fn takedowns_between(&self, from: i64, to: i64) -> Result<Vec<Takedown>> {
        sqlx::query(&format!(
            "SELECT {TAKEDOWN_COLS} FROM takedowns WHERE received_at >= $1 AND received_at < $2 ORDER BY id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(takedown_from)
        .collect()
    }

    // ---- audit -----------------------------------------------------------------------------

    /// Appends an event that is not tied to another change (e.g. a Mastodon account update).
    pub async fn record_event(&self, event: NewEvent) -> Result<Vec<AuditEvent>> {
        let mut w = self.begin().await?;
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

/// Joins the post's case that still awaits a person, or opens a new one.
async fn open_case(
    w: &mut WriteTx<'_>,
    post_id: i64,
    source: &str,
    verdict: &str,
    actor: &str,
) -> Result<Case> {
    let existing = sqlx::query(&format!(
        "SELECT {CASE_COLS} FROM cases WHERE post_id = $1 AND status IN ('open', 'appealed') ORDER BY id DESC LIMIT 1"
    ))
    .bind(post_id)
    .fetch_optional(&mut *w.tx)
    .await?;
    if let Some(row) = existing {
        return case_from(&row);
    }
    let now = now_ms();
    let id: i64 = sqlx::query(
        "INSERT INTO cases (post_id, status, source, verdict, opened_at, updated_at) VALUES ($1, 'open', $2, $3, $4, $4) RETURNING id",
    )
    .bind(post_id)
    .bind(source)
    .bind(verdict)
    .bind(now)
    .fetch_one(&mut *w.tx)
    .await?
    .try_get("id")?;
    w.audit(NewEvent::new(
        actor,
        "case.opened",
        format!("case:{id}"),
        serde_json::json!({"post_id": post_id, "source": source, "verdict": verdict}),
    ))
    .await?;
    fetch_one(
        w,
        "case",
        &format!("SELECT {CASE_COLS} FROM cases WHERE id = $1"),
        id,
        case_from,
    )
    .await
}

async fn post_by_external(w: &mut WriteTx<'_>, external_id: &str) -> Result<Post> {
    let sql = format!("SELECT {POST_COLS} FROM posts WHERE external_id = $1");
    fetch_one(w, "post", &sql, external_id, post_from).await
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
    let row = sqlx::query(sql)
        .bind(key)
        .fetch_optional(&mut *w.tx)
        .await?;
    match row {
        Some(r) => f(&r),
        None => Err(StoreError::not_found(format!("no {what} `{label}`"))),
    }
}

fn json_col(r: &AnyRow, col: &str) -> Result<serde_json::Value> {
    let s: String = r.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| StoreError {
        kind: ErrorKind::Database,
        message: format!("stored JSON in {col} is unreadable: {e}"),
    })
}

const POST_COLS: &str =
    "id, external_id, author_id, text, result_json, verdict, label, source, created_at, updated_at";
const CASE_COLS: &str = "id, post_id, status, source, verdict, opened_at, updated_at";
const DECISION_COLS: &str = "id, case_id, rule_id, category, action, automated_detection, automated_decision, moderator, statement, on_appeal, created_at";
const REPORT_COLS: &str =
    "id, case_id, post_id, reporter, category, note, created_at, outcome, outcome_at";
const APPEAL_COLS: &str =
    "id, case_id, decision_id, appellant, reason, status, created_at, resolved_at";
const TAKEDOWN_COLS: &str = "id, post_id, case_id, authority, legal_basis, reason, requested_by, received_at, deadline, status, completed_at";

fn post_from(r: &AnyRow) -> Result<Post> {
    Ok(Post {
        id: r.try_get("id")?,
        external_id: r.try_get("external_id")?,
        author_id: r.try_get("author_id")?,
        text: r.try_get("text")?,
        result: json_col(r, "result_json")?,
        verdict: r.try_get("verdict")?,
        label: r.try_get("label")?,
        source: r.try_get("source")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn case_from(r: &AnyRow) -> Result<Case> {
    Ok(Case {
        id: r.try_get("id")?,
        post_id: r.try_get("post_id")?,
        status: r.try_get("status")?,
        source: r.try_get("source")?,
        verdict: r.try_get("verdict")?,
        opened_at: r.try_get("opened_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The rows of `table` that belong to case `id`, oldest first. `table` and `cols` are
/// constants of this crate, never user input.
impl Store {
    async fn rows_of_case<T>(
        &self,
        table: &str,
        cols: &str,
        id: i64,
        from: fn(&AnyRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        sqlx::query(&format!(
            "SELECT {cols} FROM {table} WHERE case_id = $1 ORDER BY id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(from)
        .collect()
    }
}

fn decision_from(r: &AnyRow) -> Result<Decision> {
    Ok(Decision {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        rule_id: r.try_get("rule_id")?,
        category: r.try_get("category")?,
        action: r.try_get("action")?,
        automated_detection: r.try_get::<i64, _>("automated_detection")? != 0,
        automated_decision: r.try_get::<i64, _>("automated_decision")? != 0,
        moderator: r.try_get("moderator")?,
        statement: r.try_get("statement")?,
        on_appeal: r.try_get::<i64, _>("on_appeal")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

fn report_from(r: &AnyRow) -> Result<Report> {
    Ok(Report {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        post_id: r.try_get("post_id")?,
        reporter: r.try_get("reporter")?,
        category: r.try_get("category")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        outcome: r.try_get("outcome")?,
        outcome_at: r.try_get("outcome_at")?,
    })
}

fn appeal_from(r: &AnyRow) -> Result<Appeal> {
    Ok(Appeal {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        decision_id: r.try_get("decision_id")?,
        appellant: r.try_get("appellant")?,
        reason: r.try_get("reason")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        resolved_at: r.try_get("resolved_at")?,
    })
}

fn takedown_from(r: &AnyRow) -> Result<Takedown> {
    Ok(Takedown {
        id: r.try_get("id")?,
        post_id: r.try_get("post_id")?,
        case_id: r.try_get("case_id")?,
        authority: r.try_get("authority")?,
        legal_basis: r.try_get("legal_basis")?,
        reason: r.try_get("reason")?,
        requested_by: r.try_get("requested_by")?,
        received_at: r.try_get("received_at")?,
        deadline: r.try_get("deadline")?,
        status: r.try_get("status")?,
        completed_at: r.try_get("completed_at")?,
    })
}
