//! Decree 147's reports: the complaints past their 48-hour clock, the complaints addressed to a
//! page owner and the owner's answer, and the provider's monthly report to the authority as
//! JSON or CSV — thin adapters over `quytac_service::decree147` and
//! `quytac_service::complaints`.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use quytac_core::workflow::complaint::Addressee;
use quytac_service::complaints::{AnswerComplaint, PageComplaints};
use quytac_service::decree147::{ComplaintView, OverdueComplaints};
use serde::Deserialize;
use utoipa::IntoParams;

/// The month of the report and its format.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM`, Vietnam time.
    pub month: String,
    /// `json` (the default) or `csv`.
    #[serde(default)]
    pub format: Option<String>,
}

/// `GET /v1/complaints/overdue`.
pub async fn overdue_complaints(
    State(state): State<AppState>,
) -> ApiResult<Json<OverdueComplaints>> {
    Ok(Json(
        state
            .service
            .overdue_complaints(quytac_store::now_ms())
            .await?,
    ))
}

/// `GET /v1/provider-report?month=YYYY-MM[&format=csv]`.
pub async fn provider_report(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Response> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(ApiError::new(
                Code::InvalidQuery,
                "`format` must be `json` or `csv`",
            ))
        }
    };
    let report = state.service.provider_report(&q.month).await?;
    if !csv {
        return Ok(Json(report).into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"provider-report-{}.csv\"",
                    report.month
                ),
            ),
        ],
        report.csv(),
    )
        .into_response())
}

/// Which page's complaints: one of `agency` and `account`, or neither for the caller's own
/// page (an officer's agency, the account a citizen's token speaks for).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// An agency's id: the complaints addressed to its page.
    #[serde(default)]
    pub agency: Option<String>,
    /// An account's handle: the complaints addressed to it.
    #[serde(default)]
    pub account: Option<String>,
}

impl PageQuery {
    /// The page named, if any.
    pub fn page(&self) -> Result<Option<Addressee>, ApiError> {
        match (self.agency.as_deref(), self.account.as_deref()) {
            (None, None) => Ok(None),
            (Some(a), None) => Ok(Some(Addressee::agency(a))),
            (None, Some(h)) => Ok(Some(Addressee::account(h))),
            (Some(_), Some(_)) => Err(ApiError::new(
                Code::InvalidQuery,
                "name one page: `agency` or `account`, not both",
            )),
        }
    }
}

/// `GET /v1/page-complaints[?agency=ID | ?account=HANDLE]`.
pub async fn page_complaints(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PageComplaints>> {
    Ok(Json(
        state.service.page_complaints(&caller, q.page()?).await?,
    ))
}

/// `POST /v1/complaints/{id}/answer`.
pub async fn answer_complaint(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(cmd): ApiJson<AnswerComplaint>,
) -> ApiResult<Json<ComplaintView>> {
    Ok(Json(
        state.service.answer_complaint(&caller, id, cmd).await?,
    ))
}
