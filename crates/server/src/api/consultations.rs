//! AG-6: public consultations on draft policies.
//!
//! The flow: an agency officer opens a consultation (title, summary, optional draft text and
//! document number, closing time). Citizens — and anyone with a token — comment until it
//! closes; a comment after the closing time is refused (`409 consultation_closed`). Each
//! comment passes the content checks as a citizen's post and is stored twice, as written and
//! with its personal data masked; only the masked text is ever shown or exported.
//!
//! **Decision:** a comment with a `violation` other than personal data (hate, violence,
//! discrimination, secrets…) is *stored but withheld*: it is not published, the commenter is
//! told so and why, and the agency still sees it (masked, flagged `published = no`) in the CSV
//! export, so no citizen's input silently disappears. Personal data alone never withholds a
//! comment: masking remedies it (AG-5). `review` findings (e.g. rude words) do not withhold.
//!
//! Opening a consultation, its summary and its export are for admins and the agency's own
//! officers (a token bound to the agency). The handlers are adapters over
//! `quytac_service::consultations`.
//!
//! Each comment has a stance — support, oppose or suggest — chosen by the commenter or, when
//! not given, read by the classifier of `quytac_core::agency::stance` (the source is kept).
//! The summary counts published comments by stance with the most frequent points of each
//! group (`quytac_core::agency::points`); the CSV export has one line per comment, times in
//! Asia/Ho_Chi_Minh.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use quytac_service::consultations::{
    CommentFiled, CommentOn, ConsultationOpened, ConsultationShown, ConsultationSummary,
    OpenConsultation,
};

/// `POST /v1/agencies/{id}/consultations`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(agency_id): ApiPath<String>,
    ApiJson(cmd): ApiJson<OpenConsultation>,
) -> ApiResult<(StatusCode, Json<ConsultationOpened>)> {
    let out = state
        .service
        .open_consultation(&caller, &agency_id, cmd)
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// `GET /v1/consultations/{id}`: the consultation and its published comments, masked.
pub async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ConsultationShown>> {
    Ok(Json(state.service.consultation(id).await?))
}

/// `POST /v1/consultations/{id}/comments`.
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<CommentOn>,
) -> ApiResult<(StatusCode, Json<CommentFiled>)> {
    let out = state.service.comment_on(&caller, id, cmd).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// `GET /v1/consultations/{id}/summary`: published comments counted by stance, with the most
/// frequent points of each group.
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ConsultationSummary>> {
    Ok(Json(state.service.consultation_summary(&caller, id).await?))
}

/// `GET /v1/consultations/{id}/comments.csv`: every comment (withheld ones flagged), masked,
/// times in Asia/Ho_Chi_Minh, as a download.
pub async fn export_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let bytes = state.service.consultation_csv(&caller, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"consultation-{id}-comments.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
