//! Reports, cases, decisions (statements of reasons), appeals and per-account counters.

use super::after_write;
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::moderation::{lock_recommendation, Action};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_core::finding::Category;
use quytac_core::item::{Item, Role as AuthorRole};
use quytac_core::rules::Rule;
use quytac_store::model::{NewDecision, NewReport};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// The reported post's own id.
    pub post_id: String,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub note: String,
}

pub async fn create_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ReportBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if b.note.chars().count() > 5000 {
        return Err(ApiError::invalid_field(
            "`note` is longer than 5000 characters",
        ));
    }
    let (report, case, events) = state
        .store
        .create_report(&NewReport {
            post_id: b.post_id,
            reporter: caller.actor(),
            category: b.category.map(|c| c.as_str().to_string()),
            note: b.note,
        })
        .await?;
    after_write(&state, &events).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({"report": report, "case": case})),
    ))
}

pub async fn show_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let report = state
        .store
        .report(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("report {id} not found")))?;
    let staff = matches!(caller.role, Role::Admin | Role::Moderator | Role::Reviewer);
    if !staff && report.reporter != caller.actor() {
        return Err(ApiError::not_found(format!("report {id} not found")));
    }
    Ok(Json(json!(report)))
}

#[derive(Deserialize)]
pub struct CasesQuery {
    #[serde(default)]
    pub status: Option<CaseStatus>,
    #[serde(default)]
    pub limit: Option<i64>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Decided,
    Appealed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Decided => "decided",
            CaseStatus::Appealed => "appealed",
        }
    }
}

pub async fn list_cases(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let cases = state
        .store
        .list_cases(q.status.map(CaseStatus::as_str), limit)
        .await?;
    Ok(Json(json!({"cases": cases})))
}

pub async fn show_case(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let detail = state
        .store
        .case_detail(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("case {id} not found")))?;
    Ok(Json(json!(detail)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// The rule id of the active pack, e.g. `CS-5`.
    pub rule: String,
    pub category: Category,
    pub action: Action,
    /// The statement of reasons shown to the author.
    pub statement: String,
    /// Whether the decision itself was taken by automation (default: a person decided).
    #[serde(default)]
    pub automated_decision: bool,
}

/// Records a decision. On an appealed case, a reviewer or admin other than the person who
/// took the appealed decision must decide.
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let out = record_decision(&state, &caller, id, b).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

pub(crate) async fn record_decision(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: DecisionBody,
) -> ApiResult<Value> {
    let pack = state.engine.pack();
    let Some(rule) = pack.rule(&b.rule) else {
        return Err(ApiError::new(
            Code::UnknownRule,
            format!("rule `{}` is not in pack {}", b.rule, pack.id),
        ));
    };
    let statement = b.statement.trim();
    if statement.is_empty() || statement.chars().count() > 5000 {
        return Err(ApiError::invalid_field(
            "`statement` (the text shown to the author) must have 1 to 5000 characters",
        ));
    }
    let detail = state
        .store
        .case_detail(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("case {id} not found")))?;
    if detail.case.status == "appealed" {
        if !matches!(caller.role, Role::Admin | Role::Reviewer) {
            return Err(ApiError::forbidden(
                "an appeal is decided by a reviewer or an admin",
            ));
        }
        if detail
            .decisions
            .last()
            .is_some_and(|d| d.moderator == caller.actor())
        {
            return Err(ApiError::new(
                Code::SameModerator,
                "the appealed decision was yours; another reviewer must decide",
            ));
        }
    }
    let author = author_role(state, &detail.post.external_id).await?;
    check_rule_applies(rule, author, b.category, b.action)?;
    // Detection was automated when the engine itself found this category in the post.
    let automated_detection = detail.post.result["findings"]
        .as_array()
        .is_some_and(|fs| fs.iter().any(|f| f["category"] == b.category.as_str()));
    let (decision, events) = state
        .store
        .record_decision(
            id,
            &NewDecision {
                rule_id: b.rule.clone(),
                category: b.category.as_str().to_string(),
                action: b.action.as_str().to_string(),
                automated_detection,
                automated_decision: b.automated_decision,
                moderator: caller.actor(),
                statement: statement.to_string(),
            },
        )
        .await?;
    after_write(state, &events).await;
    Ok(json!({
        "decision": decision,
        "notice_to_author": {
            "post_id": detail.post.external_id,
            "author_id": detail.post.author_id,
            "rule": b.rule,
            "category": b.category,
            "action": b.action,
            "action_vi": b.action.name_vi(),
            "automated_detection": automated_detection,
            "automated_decision": b.automated_decision,
            "statement": statement,
            "can_appeal": true,
        },
        "reporters_notified": detail.reports.len(),
    }))
}

/// The role of a stored post's author, from the item as it was ingested (citizen when the
/// post did not say).
async fn author_role(state: &AppState, external_id: &str) -> ApiResult<AuthorRole> {
    let item = state.store.post_item_json(external_id).await?;
    Ok(item
        .and_then(|json| serde_json::from_str::<Item>(&json).ok())
        .and_then(|item| match item {
            Item::Post(p) => Some(p.author.role),
            _ => None,
        })
        .unwrap_or_default())
}

/// A decision may only cite a rule that binds the post's author and, unless it finds no
/// breach (`none`), judges the category cited.
pub fn check_rule_applies(
    rule: &Rule,
    author: AuthorRole,
    category: Category,
    action: Action,
) -> ApiResult<()> {
    let list = |items: Vec<&str>| items.join(", ");
    if !rule.subjects.contains(&author) {
        return Err(ApiError::new(
            Code::RuleNotApplicable,
            format!(
                "Quy tắc {id} không áp dụng cho tác giả là {author} / rule `{id}` applies to {}, \
                 not to this post's author ({author})",
                list(rule.subjects.iter().map(|r| r.as_str()).collect()),
                id = rule.id,
                author = author.as_str(),
            ),
        ));
    }
    if action != Action::None && !rule.categories.contains(&category) {
        let judged = if rule.categories.is_empty() {
            "no category (it is checked outside the text engine)".to_string()
        } else {
            list(rule.categories.iter().map(|c| c.as_str()).collect())
        };
        return Err(ApiError::new(
            Code::RuleNotApplicable,
            format!(
                "Quy tắc {id} không xét danh mục {category} / rule `{id}` does not judge \
                 `{category}`; it judges {judged}",
                id = rule.id,
                category = category.as_str(),
            ),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealBody {
    pub reason: String,
}

pub async fn appeal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AppealBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let reason = b.reason.trim();
    if reason.is_empty() || reason.chars().count() > 5000 {
        return Err(ApiError::invalid_field(
            "`reason` must have 1 to 5000 characters",
        ));
    }
    let (appeal, events) = state
        .store
        .create_appeal(id, &caller.actor(), reason)
        .await?;
    after_write(&state, &events).await;
    Ok((StatusCode::CREATED, Json(json!({"appeal": appeal}))))
}

pub async fn violations(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let counts = state
        .store
        .violation_counts(&handle, quytac_store::now_ms())
        .await?;
    let (rec, why) = lock_recommendation(
        counts.last_30_days,
        counts.last_90_days,
        counts.temporary_locks,
    );
    Ok(Json(json!({
        "account": handle,
        "last_30_days": counts.last_30_days,
        "last_90_days": counts.last_90_days,
        "temporary_locks": counts.temporary_locks,
        "total": counts.total,
        "recommendation": {"action": rec, "rule": "ND-3", "reason": why},
    })))
}
