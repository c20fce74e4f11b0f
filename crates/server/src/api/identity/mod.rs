//! Identity endpoints (CONTRACT.md §3, "Agencies and pages", "Accounts"): thin adapters over
//! `quytac_service::identity`, split the same way — agencies, domain challenges, badges (and
//! the published keys and revocations), accounts, staff vouching and public verification.

pub mod accounts;
pub mod agencies;
pub mod badges;
pub mod challenges;
pub mod vouching;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{body_bytes, parse_json};
use crate::state::AppState;
use axum::extract::Request;
use quytac_service::identity::Revoke;

/// May `caller` act for agency `id`? Admins may; an agency officer only with a token bound to
/// that agency (the rule is `quytac_core::workflow::agency::may_act_for`). For the areas
/// still checking it in their handlers.
pub async fn act_for(_state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    quytac_core::workflow::agency::may_act_for(caller, id)
        .map_err(quytac_service::ServiceError::from)?;
    Ok(())
}

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
