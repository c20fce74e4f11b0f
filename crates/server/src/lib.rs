//! # quytac-server
//!
//! The quytac service (`quytac serve`): the HTTP API of CONTRACT.md section 3 and a
//! server-rendered web console, around the pure engine of `quytac-core` and the persistence of
//! `quytac-store`. The only crate that knows HTTP.
//!
//! - [`app::Application`]: `build(config)` → `run_until_stopped()`.
//! - [`routes`]: every endpoint with its access rule; router, authorisation and OpenAPI come
//!   from that one table.
//! - [`error`]: stable error codes and their HTTP status.
//! - [`api`]: JSON handlers; [`web`]: HTML pages. Both are thin adapters over the use cases
//!   of `quytac-service`, whose rules are `quytac_core::workflow`'s.
//! - [`auth`]: bearer tokens with roles (verified by `quytac_service::tokens`);
//!   [`headers`]: the security headers of every answer; console sessions are `web::session`.
//! - [`observe`]: the request log and the request id.
//! - [`limits`]: every bound on the work a client can cause; [`check_pool`] runs checks off
//!   the async runtime; [`rate_limit`] limits each client of the public endpoints.
//!
//! **Invariant:** every state change goes through `quytac-service` and `quytac-store`, which
//! appends its audit events in the same transaction.

pub mod api;
pub mod app;
pub mod auth;
pub mod check_pool;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod headers;
pub mod limits;
pub mod observe;
pub mod rate_limit;
pub mod routes;
pub mod state;
pub mod visits;
pub mod vn_time;
pub mod web;

pub use app::Application;
pub use config::Config;
