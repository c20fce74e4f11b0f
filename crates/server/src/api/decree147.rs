//! Decree 147's reports: the complaints past their 48-hour clock, and the provider's monthly
//! report to the authority as JSON or CSV — thin adapters over `quytac_service::decree147`.

use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use quytac_service::decree147::OverdueComplaints;
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
            return Err(crate::error::ApiError::new(
                crate::error::Code::InvalidQuery,
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
