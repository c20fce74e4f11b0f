//! Staff vouching (CS-3) and public verification of a handle: adapters over
//! `quytac_service::identity::vouching`.

use super::reason_of;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::Json;
use quytac_service::identity::vouching::{
    HandleVerification, VouchForStaff, VouchRevoked, Vouched,
};
use quytac_service::identity::Revoke;

pub async fn vouch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(cmd): ApiJson<VouchForStaff>,
) -> ApiResult<(StatusCode, Json<Vouched>)> {
    let vouched = state.service.vouch(&caller, &id, cmd).await?;
    Ok((StatusCode::CREATED, Json(vouched)))
}

pub async fn revoke_vouch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, handle)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<Revoke>,
    req: Request,
) -> ApiResult<Json<VouchRevoked>> {
    let reason = reason_of(&state, q, req).await?;
    Ok(Json(
        state
            .service
            .revoke_vouch(&caller, &id, &handle, &reason)
            .await?,
    ))
}

/// `GET /v1/verify/{handle}` (public).
pub async fn verify_handle(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<Json<HandleVerification>> {
    Ok(Json(state.service.verify_handle(&handle).await?))
}
