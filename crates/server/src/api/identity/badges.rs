//! Badges of verified pages (AG-1) and the published keys and revocations: adapters over
//! `quytac_service::identity::badges`.

use super::reason_of;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::Json;
use quytac_core::identity::badge::KeySet;
use quytac_service::identity::badges::{
    BadgeIssued, BadgeRevoked, IssueBadge, RevocationsDocument,
};
use quytac_service::identity::Revoke;

pub async fn issue_badge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(cmd): ApiJson<IssueBadge>,
) -> ApiResult<(StatusCode, Json<BadgeIssued>)> {
    let issued = state.service.issue_badge(&caller, &id, cmd).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

pub async fn revoke_badge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<Revoke>,
    req: Request,
) -> ApiResult<Json<BadgeRevoked>> {
    let reason = reason_of(&state, q, req).await?;
    Ok(Json(
        state.service.revoke_badge(&caller, &id, &reason).await?,
    ))
}

/// Public documents: any origin may read them, caches may keep them a minute.
type Public<T> = ([(HeaderName, &'static str); 2], Json<T>);

fn public<T>(v: T) -> Public<T> {
    (
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        Json(v),
    )
}

/// `GET /.well-known/quytac-keys.json`.
pub async fn keys(State(state): State<AppState>) -> ApiResult<Public<KeySet>> {
    Ok(public(state.service.key_set().await?))
}

/// `GET /.well-known/quytac-revocations.json`.
pub async fn revocations(State(state): State<AppState>) -> ApiResult<Public<RevocationsDocument>> {
    Ok(public(state.service.revocations_document().await?))
}
