//! What every handler shares.

use crate::auth::Authenticator;
use crate::config::Config;
use crate::routes::Access;
use quytac_core::engine::Engine;
use quytac_service::signing::AuditSigner;
use quytac_service::Service;
use quytac_store::Store;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    /// The use cases; handlers of the moderation workflow go through it only.
    pub service: Service,
    pub engine: Arc<Engine>,
    pub store: Store,
    pub auth: Arc<Authenticator>,
    pub signer: Arc<AuditSigner>,
    pub config: Arc<Config>,
    /// Access rule of each (method, route path) (from [`crate::routes::routes`]).
    pub access: Arc<HashMap<(&'static str, &'static str), Access>>,
}
