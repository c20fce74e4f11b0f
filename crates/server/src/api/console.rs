//! The moderation console's steps for API callers (issue 14): assignment, internal notes,
//! bulk decisions, appeals decided as uphold or overturn, and takedowns carried out — thin
//! adapters over `quytac_service::console`, the same use cases the web console calls.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_service::console::{
    AddNote, AssignCase, BulkDecide, BulkDecided, CaseDesk, CompleteTakedown, DecideAppeal,
    TakedownCompleted,
};
use quytac_service::moderation::DecisionRecorded;
use quytac_store::console::{CaseAssignment, CaseNote};

/// `POST /v1/cases/{id}/assignment`.
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<AssignCase>,
) -> ApiResult<Json<CaseAssignment>> {
    Ok(Json(state.service.assign_case(&caller, id, cmd).await?))
}

/// `GET /v1/cases/{id}/notes`: the notes and the assignments, oldest first.
pub async fn desk(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CaseDesk>> {
    Ok(Json(state.service.case_desk(&caller, id).await?))
}

/// `POST /v1/cases/{id}/notes`.
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<AddNote>,
) -> ApiResult<(StatusCode, Json<CaseNote>)> {
    let note = state.service.add_note(&caller, id, cmd).await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// `POST /v1/cases/bulk-decision`: each case decided by its own rules; the answer says which.
pub async fn bulk_decide(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(cmd): ApiJson<BulkDecide>,
) -> ApiResult<Json<BulkDecided>> {
    Ok(Json(state.service.decide_many(&caller, cmd).await?))
}

/// `POST /v1/cases/{id}/appeal/decision`: a reviewer upholds or overturns.
pub async fn decide_appeal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<DecideAppeal>,
) -> ApiResult<(StatusCode, Json<DecisionRecorded>)> {
    let recorded = state.service.decide_appeal(&caller, id, cmd).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

/// `POST /v1/takedowns/{id}/done`.
pub async fn takedown_done(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<CompleteTakedown>,
) -> ApiResult<Json<TakedownCompleted>> {
    Ok(Json(
        state.service.complete_takedown(&caller, id, cmd).await?,
    ))
}
