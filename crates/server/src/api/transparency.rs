//! `GET /v1/transparency`: the period from the query, the report from
//! `quytac_service::transparency`.

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use quytac_service::transparency::{parse_date, week_start, TransparencyReport, DAY_MS};
use serde::Deserialize;
use utoipa::IntoParams;

/// The period of the report, as dates; default the last 12 weeks.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// Resolves the period: `from` inclusive, `to` inclusive as a date; default the last 12 weeks.
pub fn period(p: &Period) -> ApiResult<(i64, i64)> {
    let bad = |f: &str| {
        ApiError::new(
            crate::error::Code::InvalidQuery,
            format!("`{f}` must be a date YYYY-MM-DD"),
        )
    };
    let now = quytac_store::now_ms();
    let to = match &p.to {
        Some(s) => parse_date(s).ok_or_else(|| bad("to"))? + DAY_MS,
        None => (now.div_euclid(DAY_MS) + 1) * DAY_MS,
    };
    let from = match &p.from {
        Some(s) => parse_date(s).ok_or_else(|| bad("from"))?,
        None => week_start(to - 84 * DAY_MS),
    };
    if from >= to {
        return Err(ApiError::new(
            crate::error::Code::InvalidQuery,
            "`from` must not be after `to`",
        ));
    }
    Ok((from, to))
}

pub async fn report(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<Period>,
) -> ApiResult<Json<TransparencyReport>> {
    let (from, to) = period(&p)?;
    Ok(Json(state.service.transparency_report(from, to).await?))
}
