//! Reports, cases, decisions (statements of reasons), appeals and per-account counters: thin
//! adapters over `quytac_service::moderation`.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_core::finding::{Category, Verdict};
use quytac_core::workflow::{CaseSource, CaseStatus};
use quytac_service::console::{CaseQuery, CaseQueue};
use quytac_service::moderation::{
    AppealDecision, AppealFiled, Decide, DecisionRecorded, ReportFiled, ReportPost, Standing,
};
use quytac_store::console::CaseSort;
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

/// The moderation queue's filter, search, sort and page.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    /// Only the cases at this status.
    #[serde(default)]
    #[param(value_type = Option<String>, example = "open")]
    pub status: Option<CaseStatus>,
    /// At most this many cases a page (1–1000, default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// The page (1-based, default 1).
    #[serde(default)]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Only cases opened this way: `automated`, `report` or `takedown`.
    #[serde(default)]
    #[param(value_type = Option<String>, example = "report")]
    pub source: Option<CaseSource>,
    /// Only cases whose post the engine found breaking this rule (e.g. `CS-5`).
    #[serde(default)]
    pub rule: Option<String>,
    /// Only cases whose post the engine found in this category.
    #[serde(default)]
    #[param(value_type = Option<String>, example = "hate")]
    pub category: Option<Category>,
    /// Only cases of this verdict: `violation`, `review` or `pass`.
    #[serde(default)]
    #[param(value_type = Option<String>, example = "violation")]
    pub severity: Option<Verdict>,
    /// Only cases with (`true`) or without (`false`) user reports.
    #[serde(default)]
    pub has_reports: Option<bool>,
    /// Only the cases assigned to this actor (`moderator:3`); empty: assigned to nobody.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Words of the post's text or author, a case id (`42`, `#42`) or a post's own id.
    #[serde(default)]
    pub q: Option<String>,
    /// `age` (oldest first, the default), `newest`, `deadline` (nearest takedown deadline
    /// first) or `severity`. Cases with an overdue takedown (ND-2) always come first.
    #[serde(default)]
    #[param(value_type = Option<String>, example = "age")]
    pub sort: Option<String>,
}

impl CasesQuery {
    /// The service's query; `page_size` when `limit` is not given.
    pub fn to_query(&self, page_size: i64) -> Result<CaseQuery, ApiError> {
        let sort = match self.sort.as_deref() {
            None | Some("") => CaseSort::default(),
            Some(s) => s
                .parse()
                .map_err(|e: String| ApiError::new(Code::InvalidField, e))?,
        };
        Ok(CaseQuery {
            status: self.status,
            source: self.source,
            rule: self.rule.clone().filter(|r| !r.is_empty()),
            category: self.category,
            severity: self.severity,
            has_reports: self.has_reports,
            assignee: self.assignee.clone(),
            search: self.q.clone(),
            sort,
            page: self.page.unwrap_or(1),
            page_size: self.limit.unwrap_or(page_size),
        })
    }
}

/// The queue: filtered, searched, sorted and paged in the store; every field of the earlier
/// list (`cases[]` of `CaseSummary`) is kept, with counts, totals and each case's reports,
/// takedown deadline and assignee added.
pub async fn list_cases(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> ApiResult<Json<CaseQueue>> {
    if let Some(l) = q.limit {
        if !(1..=1000).contains(&l) {
            return Err(ApiError::new(
                Code::InvalidField,
                "`limit` must be between 1 and 1000",
            ));
        }
    }
    Ok(Json(state.service.case_queue(q.to_query(100)?).await?))
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
