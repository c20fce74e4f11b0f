//! # quytac-service
//!
//! The use cases of the quytac service, one function each: a caller ([`Actor`]) and a typed
//! command in, a typed view out. HTTP handlers, web pages, queue workers and the CLI are thin
//! adapters over these functions; none of them reaches the store on its own.
//!
//! A write opens one store transaction ([`quytac_store::WriteTx`]), reads the rows it
//! depends on *inside* it, asks the workflow rules of [`quytac_core::workflow`] whether the
//! caller may take the step, writes, commits, and signs an audit checkpoint when the chain
//! crosses one. Authorisation that depends on stored state is therefore checked against the
//! state the write sees, never against an earlier read. (The identity and consultation writes
//! still call store methods that hold their own transaction and re-check the stored state
//! there — a badge's challenge, a consultation's window — rather than composing `WriteTx`
//! methods; moving them is the next step.)
//!
//! - [`Service`]: the engine, the store, the audit signer and the settings.
//! - [`ServiceError`]: what a front end tells the caller, by [`ErrorKind`].
//! - [`posts`]: check and ingest; [`moderation`]: reports, cases, decisions, appeals,
//!   ND-3 standing; [`takedowns`]: ND-2 requests; [`inquiries`]: citizens' inquiries to
//!   agencies and their responsiveness (AG-7, AG-5); [`consultations`]: consultations on
//!   drafts (AG-6); [`demo`]: the demo data.
//! - [`identity`]: agencies, domain challenges, badges, accounts and staff vouching;
//!   [`portal_feeds`]: portal feeds and the consistency check (AG-4), [`portal`] its hook in
//!   the ingest; [`audit`]: the log, its verification and checkpoints; [`transparency`]: the
//!   transparency report; [`vn_time`]: instants in Vietnam time.
//! - [`tokens`]: API tokens (strict form, SHA-256, expiry, listing, revocation);
//!   [`sessions`]: web console sessions and their CSRF tokens.
//! - [`signing`]: the Ed25519 key of checkpoints, badges and attestations; [`fetch`]: bounded
//!   outbound HTTP (domain challenges, portal feeds).

pub mod audit;
pub mod consultations;
pub mod demo;
mod error;
pub mod fetch;
pub mod identity;
pub mod inquiries;
pub mod moderation;
pub mod portal;
pub mod portal_feeds;
pub mod posts;
pub mod sessions;
pub mod signing;
pub mod takedowns;
pub mod tokens;
pub mod transparency;
pub mod vn_time;

pub use error::{ErrorKind, ServiceError};
pub use quytac_core::workflow::{Actor, Role};

use quytac_core::engine::Engine;
use quytac_store::audit::AuditEvent;
use quytac_store::model::Checkpoint;
use quytac_store::Store;
use signing::AuditSigner;
use std::sync::Arc;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// How the use cases behave.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A signed checkpoint every this many audit events.
    pub checkpoint_every: i64,
    /// Public holidays and substitute days of the working-day deadlines (AG-7).
    pub holidays: quytac_core::agency::HolidayCalendar,
    /// Limits of outbound fetches (domain challenges, portal feeds).
    pub fetch: fetch::FetchPolicy,
    /// The DNS server asked for challenge TXT records; the system's when `None`.
    pub dns_server: Option<std::net::SocketAddr>,
    /// How long web console sessions live.
    pub sessions: sessions::SessionPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            checkpoint_every: 100,
            holidays: quytac_core::agency::HolidayCalendar::vietnam(),
            fetch: fetch::FetchPolicy::default(),
            dns_server: None,
            sessions: sessions::SessionPolicy::default(),
        }
    }
}

/// The service: what every use case needs. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    pub(crate) engine: Arc<Engine>,
    pub(crate) store: Store,
    pub(crate) signer: Arc<AuditSigner>,
    pub(crate) settings: Arc<Settings>,
}

impl Service {
    pub fn new(
        engine: Arc<Engine>,
        store: Store,
        signer: Arc<AuditSigner>,
        settings: Settings,
    ) -> Self {
        Service {
            engine,
            store,
            signer,
            settings: Arc::new(settings),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn signer(&self) -> &AuditSigner {
        &self.signer
    }

    /// After a commit: sign a checkpoint whenever the chain crossed a multiple of
    /// `checkpoint_every`. A failure here loses nothing (the events are committed; the next
    /// checkpoint covers them), so it is logged, not returned.
    pub async fn after_commit(&self, events: &[AuditEvent]) {
        let every = self.settings.checkpoint_every.max(1);
        for e in events.iter().filter(|e| e.seq % every == 0) {
            if let Err(err) = self.sign_checkpoint(e.seq, &e.hash).await {
                tracing::warn!(seq = e.seq, error = %err, "signing an audit checkpoint failed");
            }
        }
    }

    /// Signs and stores a checkpoint of the chain at `seq`.
    pub async fn sign_checkpoint(&self, seq: i64, hash: &str) -> Result<Checkpoint> {
        let c = Checkpoint {
            seq,
            hash: hash.to_string(),
            signature: self.signer.sign(seq, hash),
            public_key: self.signer.public_key_hex(),
            at: quytac_store::now_ms(),
        };
        self.store.insert_checkpoint(&c).await?;
        Ok(c)
    }
}
