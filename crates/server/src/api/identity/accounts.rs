//! Accounts with display name and photo (CS-1, CS-2): adapters over
//! `quytac_service::identity::accounts`.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_service::identity::accounts::{
    AccountChanged, AccountShown, ChangeAccount, RegisterAccount,
};

pub async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(cmd): ApiJson<RegisterAccount>,
) -> ApiResult<(StatusCode, Json<AccountShown>)> {
    let shown = state.service.register_account(&caller, cmd).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

pub async fn show_account(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<Json<AccountShown>> {
    Ok(Json(state.service.account(&handle).await?))
}

pub async fn update_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(handle): ApiPath<String>,
    ApiJson(cmd): ApiJson<ChangeAccount>,
) -> ApiResult<Json<AccountChanged>> {
    Ok(Json(
        state.service.change_account(&caller, &handle, cmd).await?,
    ))
}
