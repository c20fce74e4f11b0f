//! Citizens' inquiries to agencies (AG-7) and the public responsiveness figures: adapters over
//! `quytac_service::inquiries`. Everything shown is masked (AG-5); `?unmasked=true` shows the
//! text as written to the assigned officer and admins only, after an
//! `inquiry.unmasked_viewed` audit event is committed.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_service::inquiries::figures::ResponsivenessView;
use quytac_service::inquiries::{
    AnswerInquiry, AskAgency, AssignInquiry, Escalated, InquiryEnvelope, InquiryList, ReopenInquiry,
};
use quytac_service::Service;
use serde::Deserialize;
use std::time::Duration;
use utoipa::IntoParams;

/// How often the service looks for overdue inquiries to escalate.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5 * 60);

/// `POST /v1/agencies/{id}/inquiries`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(agency_id): ApiPath<String>,
    ApiJson(cmd): ApiJson<AskAgency>,
) -> ApiResult<(StatusCode, Json<InquiryEnvelope>)> {
    let out = state.service.ask_agency(&caller, &agency_id, cmd).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShowQuery {
    /// The text as written (the assigned officer and admins; audited).
    #[serde(default)]
    pub unmasked: Option<bool>,
}

/// `GET /v1/inquiries/{id}`.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> ApiResult<Json<InquiryEnvelope>> {
    let unmasked = q.unmasked.unwrap_or(false);
    Ok(Json(state.service.inquiry(&caller, id, unmasked).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the inquiries awaiting an answer past their deadline.
    #[serde(default)]
    pub overdue: Option<bool>,
    /// At most this many (1–1000, default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /v1/agencies/{id}/inquiries`.
pub async fn list(
    State(state): State<AppState>,
    ApiPath(agency_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<InquiryList>> {
    let overdue = q.overdue.unwrap_or(false);
    Ok(Json(
        state
            .service
            .agency_inquiries(&agency_id, overdue, q.limit)
            .await?,
    ))
}

/// `POST /v1/inquiries/{id}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<AssignInquiry>,
) -> ApiResult<Json<InquiryEnvelope>> {
    Ok(Json(state.service.assign_inquiry(&caller, id, cmd).await?))
}

/// `POST /v1/inquiries/{id}/answer`.
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<AnswerInquiry>,
) -> ApiResult<Json<InquiryEnvelope>> {
    Ok(Json(state.service.answer_inquiry(&caller, id, cmd).await?))
}

/// `POST /v1/inquiries/{id}/reopen`: a new deadline runs from now.
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<ReopenInquiry>,
) -> ApiResult<Json<InquiryEnvelope>> {
    Ok(Json(state.service.reopen_inquiry(&caller, id, cmd).await?))
}

/// `POST /v1/inquiries/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<InquiryEnvelope>> {
    Ok(Json(state.service.close_inquiry(&caller, id).await?))
}

/// `POST /v1/inquiries/escalate`: run the sweep now.
pub async fn escalate(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Escalated>> {
    Ok(Json(
        state.service.escalate_inquiries(&caller.name()).await?,
    ))
}

/// The periodic sweep, run by the application while it serves.
pub async fn sweep_forever(service: Service) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + SWEEP_EVERY, SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // A failed sweep (database busy) is retried at the next tick.
        if let Err(e) = service.escalate_inquiries("system:escalation").await {
            tracing::warn!(
                error = %e,
                "escalating overdue inquiries failed; retried at the next tick"
            );
        }
    }
}

/// `GET /v1/agencies/{id}/responsiveness` (public).
pub async fn responsiveness(
    State(state): State<AppState>,
    ApiPath(agency_id): ApiPath<String>,
) -> ApiResult<Json<ResponsivenessView>> {
    let f = state.service.responsiveness(&agency_id).await?;
    Ok(Json(f.into()))
}
