//! What every service test builds: a service over a fresh store, with the default rule pack
//! (or another) and a key of its own; the agencies the tests register, and citizens whose
//! token speaks for an account. Each test binary uses a part of it.
#![allow(dead_code)]

use quytac_core::engine::Engine;
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use quytac_core::workflow::{Actor, Role};
use quytac_service::signing::AuditSigner;
use quytac_service::{Service, Settings};
use quytac_store::model::NewAgency;
use quytac_store::Store;
use std::sync::Arc;

pub fn service(store: Store) -> Service {
    service_with_pack(store, DEFAULT_PACK)
}

/// A service that enforces the built-in rule pack `pack` (`vn-147-2024` for Decree 147).
pub fn service_with_pack(store: Store, pack: &str) -> Service {
    let engine = Engine::new(RulePack::builtin(pack).unwrap());
    Service::new(
        Arc::new(engine),
        store,
        Arc::new(AuditSigner::ephemeral()),
        Settings::default(),
    )
}

/// An agency as the tests register it: "Cơ quan {id}", answering within 5 working days, no
/// parent, no page, not a competent authority; a test sets what it needs with `..`.
pub fn new_agency(id: &str) -> NewAgency {
    NewAgency {
        id: id.into(),
        name: format!("Cơ quan {id}"),
        parent_id: None,
        official_domain: None,
        page_handle: None,
        portal_feed_url: None,
        response_working_days: 5,
        responsible: Default::default(),
        competent_authority: false,
    }
}

/// Registers `agency` in the store.
pub async fn add_agency(store: &Store, agency: NewAgency) {
    store.create_agency(&agency, "test").await.unwrap();
}

/// An officer acting for `agency` with the token `token_id`.
pub fn officer(agency: &str, token_id: i64) -> Actor {
    Actor {
        agency: Some(agency.into()),
        ..Actor::new(Role::AgencyOfficer, token_id)
    }
}

/// A citizen whose token speaks for the account `account` (an author's id).
pub async fn citizen_for(store: &Store, account: &str) -> Actor {
    let id = store
        .create_token(Role::Citizen, account, "unused-hash", None, "test")
        .await
        .unwrap();
    store.bind_token_account(id, account, "test").await.unwrap();
    Actor::new(Role::Citizen, id)
}
