//! Domain challenges (AG-1): adapters over `quytac_service::identity::challenges`.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_service::identity::challenges::{
    ChallengeOpened, ChallengeVerified, OpenChallenge, VerifyChallenge,
};

pub async fn create_challenge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(cmd): ApiJson<OpenChallenge>,
) -> ApiResult<(StatusCode, Json<ChallengeOpened>)> {
    let opened = state.service.open_challenge(&caller, &id, cmd).await?;
    Ok((StatusCode::CREATED, Json(opened)))
}

pub async fn verify_challenge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(cmd): ApiJson<VerifyChallenge>,
) -> ApiResult<Json<ChallengeVerified>> {
    Ok(Json(
        state.service.verify_challenge(&caller, &id, cmd).await?,
    ))
}
