//! What every handler shares.

use crate::auth::Authenticator;
use crate::config::Config;
use crate::routes::Access;
use quytac_service::Service;
use quytac_store::Store;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    /// The use cases (with the engine and the audit signer they hold); handlers go through it.
    pub service: Service,
    /// The store, for authentication and the few public pages that read it directly.
    pub store: Store,
    pub auth: Arc<Authenticator>,
    pub config: Arc<Config>,
    /// Access rule of each (method, route path) (from [`crate::routes::routes`]).
    pub access: Arc<HashMap<(&'static str, &'static str), Access>>,
    /// The NATS JetStream pipeline, when the service runs with `--nats`.
    pub pipeline: Option<Arc<Pipeline>>,
}

/// The ingress end of the pipeline: the publisher and the reader of its figures.
pub struct Pipeline {
    pub publisher: quytac_pipeline::Publisher,
    pub stats: quytac_pipeline::stats::StatsReader,
}
