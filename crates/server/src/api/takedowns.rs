//! Takedown requests from authorities, due within 24 hours (ND-2): adapters over
//! `quytac_service::takedowns`.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_service::takedowns::{FileTakedown, TakedownFiled, TakedownList};
use serde::Deserialize;
use utoipa::IntoParams;

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(cmd): ApiJson<FileTakedown>,
) -> ApiResult<(StatusCode, Json<TakedownFiled>)> {
    let filed = state.service.file_takedown(&caller, cmd).await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TakedownQuery {
    /// Only the open requests past their deadline.
    #[serde(default)]
    pub overdue: Option<bool>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TakedownQuery>,
) -> ApiResult<Json<TakedownList>> {
    Ok(Json(
        state
            .service
            .takedowns(&caller, q.overdue.unwrap_or(false))
            .await?,
    ))
}
