//! Identity endpoints (CONTRACT.md §3, "Agencies and pages", "Accounts"): thin adapters over
//! `quytac_service::identity`, split the same way — agencies, domain challenges, badges (and
//! the published keys and revocations), accounts, staff vouching and public verification.

pub mod accounts;
pub mod agencies;
pub mod badges;
pub mod challenges;
pub mod vouching;

use crate::error::ApiResult;
use crate::extract::{body_bytes, parse_json};
use crate::state::AppState;
use axum::extract::Request;
use quytac_service::identity::Revoke;

/// The reason of a revocation, from the JSON body or `?reason=` (a DELETE may carry no body).
async fn reason_of(state: &AppState, query: Revoke, req: Request) -> ApiResult<String> {
    let bytes = body_bytes(req, state).await?;
    let body: Revoke = if bytes.iter().all(u8::is_ascii_whitespace) {
        Revoke::default()
    } else {
        parse_json(&bytes)?
    };
    Ok(body.reason.or(query.reason).unwrap_or_default())
}
