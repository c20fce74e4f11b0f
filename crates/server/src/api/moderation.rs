//! Reports, cases, decisions (statements of reasons), appeals and per-account counters: thin
//! adapters over `quytac_service::moderation`.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_core::workflow::CaseStatus;
use quytac_service::moderation::{
    AppealDecision, AppealFiled, CaseList, Decide, DecisionRecorded, ReportFiled, ReportPost,
    Standing,
};
use quytac_store::model::{CaseDetail, Report};
use serde::Deserialize;
use utoipa::IntoParams;

pub async fn create_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(cmd): ApiJson<ReportPost>,
) -> ApiResult<(StatusCode, Json<ReportFiled>)> {
    let filed = state.service.report(&caller, cmd).await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

pub async fn show_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Report>> {
    Ok(Json(state.service.report_for(&caller, id).await?))
}

/// The moderation queue's filter.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    /// Only the cases at this status.
    #[serde(default)]
    #[param(value_type = Option<String>, example = "open")]
    pub status: Option<CaseStatus>,
    /// At most this many cases (1–1000, default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

pub async fn list_cases(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> ApiResult<Json<CaseList>> {
    let limit = q.limit.unwrap_or(100);
    Ok(Json(state.service.cases(q.status, limit).await?))
}

pub async fn show_case(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CaseDetail>> {
    Ok(Json(state.service.case(id).await?))
}

/// Records a decision. On an appealed case, a reviewer or admin other than the person who
/// took the appealed decision must decide.
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<Decide>,
) -> ApiResult<(StatusCode, Json<DecisionRecorded>)> {
    let recorded = state.service.decide(&caller, id, cmd).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

pub async fn appeal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<AppealDecision>,
) -> ApiResult<(StatusCode, Json<AppealFiled>)> {
    let filed = state.service.appeal(&caller, id, cmd).await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

pub async fn violations(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<Json<Standing>> {
    Ok(Json(state.service.standing(&handle).await?))
}
