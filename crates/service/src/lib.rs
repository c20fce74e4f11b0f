//! # quytac-service
//!
//! The use cases of the quytac service, one function each: a caller ([`Actor`]) and a typed
//! command in, a typed view out. HTTP handlers, web pages, queue workers and the CLI are thin
//! adapters over these functions; none of them reaches the store on its own.
//!
//! A write opens one store transaction ([`quytac_store::WriteTx`]), reads the rows it
//! depends on *inside* it, asks the workflow rules of [`quytac_core::workflow`] whether the
//! caller may take the step, writes, commits; the commit signs a head of the audit log. Authorisation that depends on stored state is therefore checked against the
//! state the write sees, never against an earlier read. (The identity and consultation writes
//! still call store methods that hold their own transaction and re-check the stored state
//! there — a badge's challenge, a consultation's window — rather than composing `WriteTx`
//! methods; moving them is the next step.)
//!
//! - [`Service`]: the engine, the store, the audit signer and the settings.
//! - [`ServiceError`]: what a front end tells the caller, by [`ErrorKind`].
//! - [`posts`]: check and ingest; [`moderation`]: reports, cases, decisions, appeals,
//!   ND-3 standing; [`complaints`]: complaints addressed to page owners (Decree 147); [`takedowns`]: ND-2 requests; [`inquiries`]: citizens' inquiries to
//!   agencies and their responsiveness (AG-7, AG-5); [`consultations`]: consultations on
//!   drafts (AG-6); [`demo`]: the demo data.
//! - [`identity`]: agencies, domain challenges, badges, accounts and staff vouching;
//!   [`portal_feeds`]: portal feeds and the consistency check (AG-4), [`portal`] its hook in
//!   the ingest; [`mastodon`]: the Mastodon webhook's deliveries, each taken once; [`audit`]: the
//!   log, its signed head and its verification; [`transparency`]: the
//!   transparency report; [`vn_time`]: instants in Vietnam time.
//! - [`tokens`]: API tokens (strict form, SHA-256, expiry, listing, revocation);
//!   [`sessions`]: web console sessions and their CSRF tokens.
//! - [`signing`]: the Ed25519 key of the log's heads, badges and attestations; [`fetch`]: bounded
//!   outbound HTTP (domain challenges, portal feeds).

pub mod audit;
pub mod complaints;
pub mod console;
pub mod consultations;
pub mod decree147;
pub mod demo;
mod error;
pub mod fetch;
pub mod identity;
pub mod inquiries;
pub mod mastodon;
pub mod moderation;
pub mod portal;
pub mod portal_feeds;
pub mod posts;
pub mod sessions;
pub mod signing;
pub mod takedowns;
pub mod tokens;
pub mod transparency;
pub mod users;
pub mod visits;
pub mod vn_time;

pub use error::{ErrorKind, ServiceError};
pub use quytac_core::workflow::{Actor, Role};

use quytac_core::engine::Engine;
use quytac_store::audit::AuditEvent;
use quytac_store::Store;
use signing::AuditSigner;
use std::sync::Arc;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// How the use cases behave.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Public holidays and substitute days of the working-day deadlines (AG-7).
    pub holidays: quytac_core::agency::HolidayCalendar,
    /// Limits of outbound fetches (domain challenges, portal feeds).
    pub fetch: fetch::FetchPolicy,
    /// The DNS server asked for challenge TXT records; the system's when `None`.
    pub dns_server: Option<std::net::SocketAddr>,
    /// How long web console sessions live.
    pub sessions: sessions::SessionPolicy,
    /// How sign-in with a password resists guessing.
    pub sign_in: users::SignInPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            holidays: quytac_core::agency::HolidayCalendar::vietnam(),
            fetch: fetch::FetchPolicy::default(),
            dns_server: None,
            sessions: sessions::SessionPolicy::default(),
            sign_in: users::SignInPolicy::default(),
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
    /// One permit per core: the checks the use cases run off the async runtime at once.
    pub(crate) checks: Arc<tokio::sync::Semaphore>,
    pub(crate) sign_in_guard: Arc<users::SignInGuard>,
    /// Page views not yet flushed to the store (Decree 147's visits).
    pub(crate) visits: Arc<visits::VisitCounter>,
}

impl Service {
    pub fn new(
        engine: Arc<Engine>,
        store: Store,
        signer: Arc<AuditSigner>,
        settings: Settings,
    ) -> Self {
        store.set_head_signer(signer.clone());
        Service {
            engine,
            store,
            signer,
            sign_in_guard: Arc::new(users::SignInGuard::new(settings.sign_in)),
            visits: Arc::default(),
            settings: Arc::new(settings),
            checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn signer(&self) -> &AuditSigner {
        &self.signer
    }

    /// After a commit. The heads of the log are signed inside the commit itself (see
    /// `quytac_store::WriteTx::commit`), so there is nothing left to sign; this records where
    /// the write landed for the log of the service.
    pub async fn after_commit(&self, events: &[AuditEvent]) {
        if let Some(e) = events.last() {
            tracing::trace!(
                chain = e.chain,
                pos = e.pos,
                seq = e.seq,
                "audit events committed"
            );
        }
    }
}
