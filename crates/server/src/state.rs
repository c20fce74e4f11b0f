//! What every handler shares.

use crate::auth::Authenticator;
use crate::config::Config;
use crate::routes::Access;
use quytac_service::Service;
use quytac_store::Store;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A handle on what every handler shares: one reference count to bump when axum hands the
/// state to a handler, an extractor or a middleware (several times a request), not one for
/// each part inside.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    /// The use cases (with the engine and the audit signer they hold); handlers go through it.
    pub service: Service,
    /// The store, for authentication and the few public pages that read it directly.
    pub store: Store,
    pub auth: Arc<Authenticator>,
    pub config: Arc<Config>,
    /// Where checks run, off the async runtime (`crate::check_pool`).
    pub checks: Arc<crate::check_pool::CheckPool>,
    /// The per-client rate limiter of the public endpoints; `None` when off.
    pub rate_limiter: Option<Arc<crate::rate_limit::Config>>,
    /// Access rule of each (method, route path) (from [`crate::routes::routes`]).
    pub access: Arc<HashMap<(&'static str, &'static str), Access>>,
    /// The (method, route path) of the web forms outside the console (sign-in, sign-out): a
    /// cross-site post to them is refused like one to the console.
    pub forms: Arc<HashSet<(&'static str, &'static str)>>,
    /// The NATS JetStream pipeline, when the service runs with `--nats`.
    pub pipeline: Option<Arc<Pipeline>>,
}

/// The ingress end of the pipeline: the publisher and the reader of its figures.
pub struct Pipeline {
    pub publisher: quytac_pipeline::Publisher,
    pub stats: quytac_pipeline::stats::StatsReader,
}
