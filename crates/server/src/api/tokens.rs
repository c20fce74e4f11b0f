//! API tokens (admin): list them and revoke one; thin adapters over
//! `quytac_service::tokens`. Neither ever answers a secret or a hash.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use quytac_service::tokens::{TokenInfo, TokenList};

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<TokenList>> {
    Ok(Json(state.service.tokens(&caller).await?))
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TokenInfo>> {
    Ok(Json(state.service.revoke_token(&caller, id).await?))
}
