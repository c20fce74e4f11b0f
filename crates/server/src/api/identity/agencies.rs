//! Agencies and their responsible persons (AG-2, AG-3): adapters over
//! `quytac_service::identity::agencies`.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_service::identity::agencies::{AgencyShown, ChangeAgency, RegisterAgency};

pub async fn create_agency(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(cmd): ApiJson<RegisterAgency>,
) -> ApiResult<(StatusCode, Json<AgencyShown>)> {
    let shown = state.service.register_agency(&caller, cmd).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

pub async fn show_agency(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AgencyShown>> {
    Ok(Json(state.service.agency(&id).await?))
}

pub async fn update_agency(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(cmd): ApiJson<ChangeAgency>,
) -> ApiResult<Json<AgencyShown>> {
    Ok(Json(state.service.change_agency(&caller, &id, cmd).await?))
}
