//! What every service test builds: a service over a fresh store, with the default rule pack
//! and a key of its own.

use quytac_core::engine::Engine;
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use quytac_service::signing::AuditSigner;
use quytac_service::{Service, Settings};
use quytac_store::Store;
use std::sync::Arc;

pub fn service(store: Store) -> Service {
    let engine = Engine::new(RulePack::builtin(DEFAULT_PACK).unwrap());
    Service::new(
        Arc::new(engine),
        store,
        Arc::new(AuditSigner::ephemeral()),
        Settings::default(),
    )
}
