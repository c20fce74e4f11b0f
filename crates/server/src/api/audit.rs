//! The audit log: read it, show its signed head, verify it (adapters over
//! `quytac_service::audit`).

use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_service::audit::{AuditPage, AuditVerification};
use quytac_store::audit::SignedHead;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Events after this sequence number (default 0: from the start).
    #[serde(default)]
    pub after: Option<i64>,
    /// At most this many events (1–1000, default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let page = state
        .service
        .audit_events(q.after.unwrap_or(0), q.limit.unwrap_or(100))
        .await?;
    Ok(Json(page))
}

pub async fn verify(State(state): State<AppState>) -> ApiResult<Json<AuditVerification>> {
    Ok(Json(state.service.verify_audit().await?))
}

pub async fn checkpoint(
    State(state): State<AppState>,
) -> ApiResult<(StatusCode, Json<SignedHead>)> {
    let signed = state.service.sign_head_now().await?;
    Ok((StatusCode::CREATED, Json(signed)))
}

pub async fn head(State(state): State<AppState>) -> ApiResult<Json<SignedHead>> {
    Ok(Json(state.service.audit_head().await?))
}
