//! Citizens' inquiries to agencies (AG-7) and the public responsiveness figures; the masking
//! of citizens' personal data in everything shown of them (AG-5).
//!
//! The flow: a citizen asks (`question`, `conflicting_information` or `doubt`); the text is
//! checked by the engine (a violation other than personal data refuses it) and stored twice,
//! as written and masked. The due time is 17:00 Vietnam time of the N-th working day after
//! the day of receipt (N is the agency's `response_working_days`; weekends, public holidays
//! and substitute days skipped: `quytac_core::agency::deadline`). An officer is assigned and
//! answers; the answer is checked as the agency's and masked before anyone but the assigned
//! officer and admins sees it. The citizen may reopen an answered inquiry (a new deadline
//! runs) or close it. A sweep (every [`SWEEP_EVERY`], and `POST /v1/inquiries/escalate`)
//! escalates inquiries awaiting an answer past their deadline to the parent agency and raises
//! a `response_overdue` finding under the pack's rule for agencies (AG-7).
//!
//! Everything shown is masked; `?unmasked=true` shows the text as written to the assigned
//! officer and admins only, after an `inquiry.unmasked_viewed` audit event is committed.

use super::{after_write, identity};
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::vn_time::{vn_month, vn_string, vn_time};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_core::agency::{due_at, receipt_day, working_days_between};
use quytac_core::engine::{CheckResult, Engine};
use quytac_core::finding::{Category, Severity};
use quytac_core::item::{Author, Item, Post, Role as AuthorRole};
use quytac_store::inquiries::{
    Inquiry, InquiryDetail, NewInquiry, NewInquiryFinding, NewReply, Percentiles, ResponseStats,
};
use quytac_store::model::{Agency, NewAgency};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

/// How often the service looks for overdue inquiries to escalate.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5 * 60);
/// The longest text of an inquiry, answer or reopening reason, in characters.
const MAX_TEXT: usize = 5000;
/// Times a client may set (admins only) must not be later than now plus this.
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
const HOUR_MS: f64 = 3_600_000.0;

/// The due time (Unix ms) of a question received at `received_ms` with `working_days` to
/// answer, under the service's holiday calendar.
fn due_time(state: &AppState, received_ms: i64, working_days: i64) -> ApiResult<i64> {
    let days = u32::try_from(working_days.clamp(0, 366)).unwrap_or(0);
    vn_time(received_ms)
        .and_then(|t| due_at(t, days, &state.config.holidays))
        .map(|d| d.to_unix() * 1000)
        .ok_or_else(|| ApiError::invalid_field("the time is outside the supported calendar"))
}

/// Working days from the day of receipt of `received_ms` to the day of `answered_ms`.
fn working_days_taken(state: &AppState, received_ms: i64, answered_ms: i64) -> i64 {
    let cal = &state.config.holidays;
    match (
        vn_time(received_ms).and_then(|t| receipt_day(t, cal)),
        vn_time(answered_ms),
    ) {
        (Some(from), Some(to)) => i64::from(working_days_between(from, to.date(), cal)),
        _ => 0,
    }
}

// ---- checking and masking ------------------------------------------------------------------

/// Checks a text as a post by an author of `role` (of `agency`, for agencies).
fn check(engine: &Engine, id: &str, text: &str, role: AuthorRole, agency: &str) -> CheckResult {
    engine.check(&Item::Post(Post {
        id: id.into(),
        text: text.into(),
        author: Author {
            role,
            agency: (role == AuthorRole::Agency).then(|| agency.to_string()),
            ..Author::default()
        },
        engages: None,
        links: Vec::new(),
    }))
}

/// Refuses a text with a violation other than personal data: personal data is not a reason
/// to refuse a question or an answer, it is masked before anyone else sees it (AG-5).
fn refuse_violations(result: &CheckResult) -> ApiResult<()> {
    let broken: Vec<String> = result
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Violation && f.category != Category::PersonalData)
        .map(|f| format!("{} ({})", f.rule, f.category))
        .collect();
    if broken.is_empty() {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::ContentRejected,
            format!(
                "the text breaks the code of conduct: {}; it was not stored",
                broken.join(", ")
            ),
        ))
    }
}

/// A check result as shown with masked text: what was found, never where or the words.
fn masked_check(check: &Value) -> Value {
    let findings: Vec<Value> = check["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    json!({"rule": f["rule"], "category": f["category"],
                           "severity": f["severity"], "kind": f["kind"]})
                })
                .collect()
        })
        .unwrap_or_default();
    json!({"verdict": check["verdict"], "findings": findings})
}

fn validate_text(field: &str, text: &str, required: bool) -> ApiResult<()> {
    if required && text.trim().is_empty() {
        return Err(ApiError::invalid_field(format!(
            "`{field}` must not be empty"
        )));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid_field(format!(
            "`{field}` is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(())
}

/// A time a client set, for admins only (tests, imports of questions received elsewhere).
fn client_time(caller: &Caller, field: &str, at: Option<i64>, now: i64) -> ApiResult<i64> {
    let Some(at) = at else { return Ok(now) };
    if caller.role != Role::Admin {
        return Err(ApiError::forbidden(format!(
            "only admins may set `{field}`"
        )));
    }
    if at <= 0 || at > now + CLOCK_SKEW_MS {
        return Err(ApiError::invalid_field(format!(
            "`{field}` must be a time in Unix milliseconds, not in the future"
        )));
    }
    Ok(at)
}

// ---- access --------------------------------------------------------------------------------

/// May `caller` act on (assign, answer) an inquiry? Admins may; an agency officer whose token
/// is bound to the inquiry's agency, or, once it was escalated, to the parent agency
/// (`api::identity::act_for`).
async fn may_act(state: &AppState, caller: &Caller, q: &Inquiry) -> ApiResult<()> {
    let own = identity::act_for(state, caller, &q.agency_id).await;
    match (&own, &q.escalated_to) {
        (Err(_), Some(parent)) if identity::act_for(state, caller, parent).await.is_ok() => Ok(()),
        _ => own,
    }
}

/// Who may read the text as written: the assigned officer and admins.
fn may_unmask(caller: &Caller, q: &Inquiry) -> bool {
    caller.role == Role::Admin
        || (caller.role == Role::AgencyOfficer
            && q.assigned_to.as_deref() == Some(caller.name().as_str()))
}

async fn load(state: &AppState, id: i64) -> ApiResult<InquiryDetail> {
    state
        .store
        .inquiry_detail(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("inquiry {id} not found")))
}

async fn agency(state: &AppState, id: &str) -> ApiResult<Agency> {
    state
        .store
        .agency(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no agency `{id}`")))
}

// ---- views ---------------------------------------------------------------------------------

/// An inquiry as shown: masked unless `unmasked`.
pub fn view(d: &InquiryDetail, now: i64, unmasked: bool) -> Value {
    let q = &d.inquiry;
    let opt = |t: Option<i64>| t.map(vn_string);
    let replies: Vec<Value> = d
        .replies
        .iter()
        .map(|r| {
            let mut v = json!({
                "id": r.id, "kind": r.kind, "author": r.author,
                "text": if unmasked { &r.text } else { &r.masked_text },
                "created_at": r.created_at, "created_at_local": vn_string(r.created_at),
                "check": if unmasked { r.check.clone() } else { masked_check(&r.check) },
            });
            if unmasked {
                v["masked_text"] = json!(r.masked_text);
            }
            v
        })
        .collect();
    let mut v = json!({
        "id": q.id,
        "agency_id": q.agency_id,
        "kind": q.kind,
        "text": if unmasked { &q.text } else { &q.masked_text },
        "masked": !unmasked,
        "status": q.status,
        "assigned_to": q.assigned_to,
        "created_at": q.created_at,
        "created_at_local": vn_string(q.created_at),
        "working_days": q.working_days,
        "due_at": q.due_at,
        "due_at_local": vn_string(q.due_at),
        "reply_due_at": q.reply_due_at,
        "reply_due_at_local": opt(q.reply_due_at),
        "first_answered_at": q.first_answered_at,
        "first_answered_at_local": opt(q.first_answered_at),
        "answered_on_time": q.first_answered_at.map(|a| a <= q.due_at),
        "hours_to_first_answer": q.answer_ms.map(|ms| ms as f64 / HOUR_MS),
        "working_days_to_first_answer": q.answer_working_days,
        "overdue": q.is_overdue(now),
        "escalated_at": q.escalated_at,
        "escalated_at_local": opt(q.escalated_at),
        "escalated_to": q.escalated_to,
        "check": if unmasked { q.check.clone() } else { masked_check(&q.check) },
        "replies": replies,
        "findings": d.findings,
    });
    if unmasked {
        v["citizen"] = json!(q.citizen);
        v["masked_text"] = json!(q.masked_text);
    }
    v
}

fn list_view(q: &Inquiry, now: i64) -> Value {
    view(
        &InquiryDetail {
            inquiry: q.clone(),
            replies: Vec::new(),
            findings: Vec::new(),
        },
        now,
        false,
    )
}

// ---- endpoints -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InquiryKind {
    #[default]
    Question,
    ConflictingInformation,
    Doubt,
}

impl InquiryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InquiryKind::Question => "question",
            InquiryKind::ConflictingInformation => "conflicting_information",
            InquiryKind::Doubt => "doubt",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InquiryBody {
    pub text: String,
    #[serde(default)]
    pub kind: InquiryKind,
    /// When the agency received it (Unix ms); admins only, defaults to now.
    #[serde(default)]
    pub received_at: Option<i64>,
}

/// `POST /v1/agencies/{id}/inquiries`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(agency_id): ApiPath<String>,
    ApiJson(b): ApiJson<InquiryBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let now = quytac_store::now_ms();
    validate_text("text", &b.text, true)?;
    let received_at = client_time(&caller, "received_at", b.received_at, now)?;
    let out = create_inquiry(
        &state,
        &caller.name(),
        &agency_id,
        b.kind,
        &b.text,
        received_at,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"inquiry": out}))))
}

/// Checks, masks, computes the deadline and stores; the masked view. Shared with the demo.
async fn create_inquiry(
    state: &AppState,
    actor: &str,
    agency_id: &str,
    kind: InquiryKind,
    text: &str,
    received_at: i64,
) -> ApiResult<Value> {
    let agency = agency(state, agency_id).await?;
    let result = check(
        &state.engine,
        "inquiry",
        text,
        AuthorRole::Citizen,
        agency_id,
    );
    refuse_violations(&result)?;
    let due = due_time(state, received_at, agency.response_working_days)?;
    let (q, events) = state
        .store
        .create_inquiry(&NewInquiry {
            agency_id: agency.id.clone(),
            citizen: actor.to_string(),
            kind: kind.as_str().into(),
            text: text.to_string(),
            masked_text: state.engine.mask_personal_data(text),
            check_json: serde_json::to_string(&result).unwrap_or_default(),
            created_at: received_at,
            month: vn_month(received_at),
            working_days: agency.response_working_days,
            due_at: due,
        })
        .await?;
    after_write(state, &events).await;
    Ok(list_view(&q, quytac_store::now_ms()))
}

#[derive(Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    pub unmasked: Option<bool>,
}

/// `GET /v1/inquiries/{id}`: masked; `?unmasked=true` for the assigned officer and admins.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> ApiResult<Json<Value>> {
    let d = load(&state, id).await?;
    let unmasked = q.unmasked.unwrap_or(false);
    if unmasked {
        if !may_unmask(&caller, &d.inquiry) {
            return Err(ApiError::forbidden(
                "only the assigned officer and admins may read the unmasked text",
            ));
        }
        let reason = if caller.role == Role::Admin {
            "admin"
        } else {
            "assigned_officer"
        };
        let events = state
            .store
            .record_inquiry_unmasked_view(id, &caller.name(), reason)
            .await?;
        after_write(&state, &events).await;
    }
    let now = quytac_store::now_ms();
    Ok(Json(json!({"inquiry": view(&d, now, unmasked)})))
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub overdue: Option<bool>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /v1/agencies/{id}/inquiries` (`?overdue=true`), masked.
pub async fn list(
    State(state): State<AppState>,
    ApiPath(agency_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let agency = agency(&state, &agency_id).await?;
    let now = quytac_store::now_ms();
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let list = state
        .store
        .list_inquiries(&agency.id, q.overdue.unwrap_or(false).then_some(now), limit)
        .await?;
    Ok(Json(json!({
        "agency_id": agency.id,
        "inquiries": list.iter().map(|i| list_view(i, now)).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The officer's actor name (`agency_officer:<token id>`); defaults to the caller.
    #[serde(default)]
    pub assignee: Option<String>,
}

/// `POST /v1/inquiries/{id}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AssignBody>,
) -> ApiResult<Json<Value>> {
    let d = load(&state, id).await?;
    may_act(&state, &caller, &d.inquiry).await?;
    let assignee = match b.assignee {
        None => caller.name(),
        Some(a) => {
            check_assignee(&state, &d.inquiry, &a).await?;
            a
        }
    };
    let (_, events) = state
        .store
        .assign_inquiry(id, &assignee, &caller.name())
        .await?;
    after_write(&state, &events).await;
    let d = load(&state, id).await?;
    Ok(Json(
        json!({"inquiry": view(&d, quytac_store::now_ms(), false)}),
    ))
}

/// An assignee is the actor of a live admin token, or of a live agency-officer token bound to
/// the inquiry's agency (or to the parent it was escalated to).
async fn check_assignee(state: &AppState, q: &Inquiry, actor: &str) -> ApiResult<()> {
    let bad = || {
        ApiError::invalid_field(format!(
            "`assignee` must name an officer of the agency as `agency_officer:<token id>`, not `{actor}`"
        ))
    };
    let (role, id) = actor.split_once(':').ok_or_else(bad)?;
    let role: Role = role.parse().map_err(|_| bad())?;
    let token_id: i64 = id.parse().map_err(|_| bad())?;
    let token = state.store.token(token_id).await?.ok_or_else(bad)?;
    if token.revoked || token.role != role {
        return Err(bad());
    }
    match role {
        Role::Admin => Ok(()),
        Role::AgencyOfficer => {
            let who = Caller::new(role, token_id);
            may_act(state, &who, q).await.map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub text: String,
    /// When it was answered (Unix ms); admins only, defaults to now.
    #[serde(default)]
    pub answered_at: Option<i64>,
}

/// `POST /v1/inquiries/{id}/answer`.
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> ApiResult<Json<Value>> {
    let now = quytac_store::now_ms();
    let d = load(&state, id).await?;
    may_act(&state, &caller, &d.inquiry).await?;
    validate_text("text", &b.text, true)?;
    let at = client_time(&caller, "answered_at", b.answered_at, now)?;
    let out = answer_inquiry(&state, &caller.name(), &d.inquiry, &b.text, at).await?;
    Ok(Json(json!({"inquiry": out})))
}

async fn answer_inquiry(
    state: &AppState,
    actor: &str,
    q: &Inquiry,
    text: &str,
    at: i64,
) -> ApiResult<Value> {
    if at < q.created_at {
        return Err(ApiError::invalid_field(
            "`answered_at` is before the inquiry was received",
        ));
    }
    let result = check(
        &state.engine,
        &format!("inquiry-{}-answer", q.id),
        text,
        AuthorRole::Agency,
        &q.agency_id,
    );
    refuse_violations(&result)?;
    let reply = NewReply {
        author: actor.to_string(),
        text: text.to_string(),
        masked_text: state.engine.mask_personal_data(text),
        check_json: serde_json::to_string(&result).unwrap_or_default(),
        at,
    };
    let days = working_days_taken(state, q.created_at, at);
    let (_, _, events) = state.store.answer_inquiry(q.id, &reply, days).await?;
    after_write(state, &events).await;
    let d = load(state, q.id).await?;
    Ok(view(&d, quytac_store::now_ms(), false))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    /// Why the answer does not settle it.
    #[serde(default)]
    pub reason: String,
}

/// The citizen who asked, or an admin.
fn asker_or_admin(caller: &Caller, q: &Inquiry) -> ApiResult<()> {
    if caller.role == Role::Admin || q.citizen == caller.name() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only the citizen who asked, or an admin, may do this",
        ))
    }
}

/// `POST /v1/inquiries/{id}/reopen`: a new deadline runs from now.
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReopenBody>,
) -> ApiResult<Json<Value>> {
    let now = quytac_store::now_ms();
    let d = load(&state, id).await?;
    asker_or_admin(&caller, &d.inquiry)?;
    validate_text("reason", &b.reason, false)?;
    let result = check(
        &state.engine,
        &format!("inquiry-{id}-reopen"),
        &b.reason,
        AuthorRole::Citizen,
        &d.inquiry.agency_id,
    );
    refuse_violations(&result)?;
    let reason = NewReply {
        author: caller.name(),
        text: b.reason.clone(),
        masked_text: state.engine.mask_personal_data(&b.reason),
        check_json: serde_json::to_string(&result).unwrap_or_default(),
        at: now,
    };
    let due = due_time(&state, now, d.inquiry.working_days)?;
    let (_, events) = state.store.reopen_inquiry(id, &reason, due).await?;
    after_write(&state, &events).await;
    let d = load(&state, id).await?;
    Ok(Json(json!({"inquiry": view(&d, now, false)})))
}

/// `POST /v1/inquiries/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let d = load(&state, id).await?;
    asker_or_admin(&caller, &d.inquiry)?;
    let (_, events) = state.store.close_inquiry(id, &caller.name()).await?;
    after_write(&state, &events).await;
    let d = load(&state, id).await?;
    Ok(Json(
        json!({"inquiry": view(&d, quytac_store::now_ms(), false)}),
    ))
}

// ---- escalation ----------------------------------------------------------------------------

/// Escalates every inquiry awaiting an answer past its deadline at `now` (and not escalated
/// for that deadline yet) to its agency's parent, with a `response_overdue` finding. Returns
/// the ids escalated.
pub async fn escalate_overdue(state: &AppState, now: i64, actor: &str) -> ApiResult<Vec<i64>> {
    const BATCH: i64 = 200;
    let mut done = Vec::new();
    // Each pass escalates what it found, so the next pass finds the rest; the bound only
    // guards against a row that can never be escalated.
    for _ in 0..10_000 {
        let batch = state
            .store
            .overdue_unescalated_inquiries(now, BATCH)
            .await?;
        let mut progressed = false;
        for q in &batch {
            let agency = state.store.agency(&q.agency_id).await?;
            let parent = agency.as_ref().and_then(|a| a.parent_id.clone());
            let finding = overdue_finding(state, q, parent.as_deref(), agency.as_ref());
            if let Some((_, events)) = state
                .store
                .escalate_inquiry(q.id, parent.as_deref(), &finding, now, actor)
                .await?
            {
                after_write(state, &events).await;
                done.push(q.id);
                progressed = true;
            }
        }
        if (batch.len() as i64) < BATCH || !progressed {
            break;
        }
    }
    Ok(done)
}

/// The `response_overdue` finding of an inquiry, under the pack's rule for agencies (AG-7 in
/// the default pack).
fn overdue_finding(
    state: &AppState,
    q: &Inquiry,
    parent: Option<&str>,
    agency: Option<&Agency>,
) -> NewInquiryFinding {
    let rule = state
        .engine
        .pack()
        .rule_for(AuthorRole::Agency, Category::ResponseOverdue);
    let due = vn_string(q.reply_due_at.unwrap_or(q.due_at));
    let name = agency.map(|a| a.name.as_str()).unwrap_or(&q.agency_id);
    let evidence = match parent {
        Some(p) => format!(
            "{name}: hạn trả lời {due} đã qua mà chưa có phản hồi; chuyển lên cơ quan cấp trên `{p}` \
             / the answer was due {due}; escalated to the parent agency `{p}`"
        ),
        None => format!(
            "{name}: hạn trả lời {due} đã qua mà chưa có phản hồi; không có cơ quan cấp trên \
             / the answer was due {due}; the agency has no parent agency"
        ),
    };
    NewInquiryFinding {
        rule_id: rule.map(|r| r.id.clone()).unwrap_or_else(|| "AG-7".into()),
        category: Category::ResponseOverdue.as_str().into(),
        severity: rule
            .map(|r| r.severity_for(Category::ResponseOverdue))
            .unwrap_or(Severity::Violation)
            .as_str()
            .into(),
        evidence,
        message_vi: rule
            .map(|r| r.message_vi.clone())
            .unwrap_or_else(|| "Cơ quan phải phản hồi nhanh chóng câu hỏi của người dân.".into()),
        message_en: rule
            .map(|r| r.message_en.clone())
            .unwrap_or_else(|| "The agency must answer citizens promptly.".into()),
    }
}

/// `POST /v1/inquiries/escalate`: run the sweep now.
pub async fn escalate(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let now = quytac_store::now_ms();
    let ids = escalate_overdue(&state, now, &caller.name()).await?;
    Ok(Json(
        json!({"escalated": ids, "at": now, "at_local": vn_string(now)}),
    ))
}

/// The periodic sweep, run by the application while it serves.
pub async fn sweep_forever(state: AppState) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + SWEEP_EVERY, SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // A failed sweep (database busy) is retried at the next tick.
        if let Err(e) = escalate_overdue(&state, quytac_store::now_ms(), "system:escalation").await
        {
            tracing::warn!(
                code = e.code.as_str(),
                error = %e.message,
                "escalating overdue inquiries failed; retried at the next tick"
            );
        }
    }
}

// ---- responsiveness ------------------------------------------------------------------------

/// Figures of a group as the API and the pages show them.
#[derive(Debug, Clone, Serialize)]
pub struct StatsView {
    /// `YYYY-MM` (Vietnam time), an agency id, or `all`.
    pub key: String,
    pub count: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    pub late: i64,
    /// `answered_on_time / (answered_on_time + late)`; `null` while nothing is due or answered.
    pub on_time_share: Option<f64>,
    pub median_hours_to_first_answer: Option<f64>,
    pub p90_hours_to_first_answer: Option<f64>,
    pub median_working_days_to_first_answer: Option<f64>,
    pub p90_working_days_to_first_answer: Option<f64>,
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
}

impl From<&ResponseStats> for StatsView {
    fn from(s: &ResponseStats) -> Self {
        let hours = |p: Percentiles| {
            (
                p.median.map(|v| round2(v / HOUR_MS)),
                p.p90.map(|v| round2(v / HOUR_MS)),
            )
        };
        let (median_h, p90_h) = hours(s.answer_ms);
        let judged = s.on_time + s.late;
        StatsView {
            key: s.key.clone(),
            count: s.count,
            answered: s.answered,
            answered_on_time: s.on_time,
            late: s.late,
            on_time_share: (judged > 0).then(|| round4(s.on_time as f64 / judged as f64)),
            median_hours_to_first_answer: median_h,
            p90_hours_to_first_answer: p90_h,
            median_working_days_to_first_answer: s.answer_working_days.median.map(round2),
            p90_working_days_to_first_answer: s.answer_working_days.p90.map(round2),
            open: s.open,
            overdue: s.overdue,
            escalated: s.escalated,
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// An agency's public figures.
pub struct Figures {
    pub agency: Agency,
    pub now: i64,
    pub total: StatsView,
    pub months: Vec<StatsView>,
}

pub async fn figures(state: &AppState, agency_id: &str) -> ApiResult<Figures> {
    let agency = agency(state, agency_id).await?;
    let now = quytac_store::now_ms();
    let r = state.store.responsiveness(&agency.id, now).await?;
    Ok(Figures {
        agency,
        now,
        total: StatsView::from(&r.total),
        months: r.months.iter().map(StatsView::from).collect(),
    })
}

/// One row of the ranking across agencies.
pub struct Ranked {
    pub agency: Agency,
    pub stats: StatsView,
}

/// Every agency, best first: the higher on-time share, then the shorter median time to first
/// answer; agencies with nothing judged yet come last, by id.
pub async fn ranking(state: &AppState) -> ApiResult<(i64, Vec<Ranked>)> {
    let now = quytac_store::now_ms();
    let stats = state.store.responsiveness_by_agency(now).await?;
    let mut rows: Vec<Ranked> = state
        .store
        .list_agencies()
        .await?
        .into_iter()
        .map(|agency| {
            let s = stats
                .iter()
                .find(|s| s.key == agency.id)
                .cloned()
                .unwrap_or_else(|| ResponseStats {
                    key: agency.id.clone(),
                    ..ResponseStats::default()
                });
            Ranked {
                stats: StatsView::from(&s),
                agency,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let share = |r: &Ranked| r.stats.on_time_share.map(|s| -s).unwrap_or(f64::INFINITY);
        let median = |r: &Ranked| {
            r.stats
                .median_hours_to_first_answer
                .unwrap_or(f64::INFINITY)
        };
        share(a)
            .total_cmp(&share(b))
            .then(median(a).total_cmp(&median(b)))
            .then_with(|| a.agency.id.cmp(&b.agency.id))
    });
    Ok((now, rows))
}

/// `GET /v1/agencies/{id}/responsiveness` (public).
pub async fn responsiveness(
    State(state): State<AppState>,
    ApiPath(agency_id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let f = figures(&state, &agency_id).await?;
    Ok(Json(json!({
        "agency": {"id": f.agency.id, "name": f.agency.name, "parent_id": f.agency.parent_id},
        "response_working_days": f.agency.response_working_days,
        "at": f.now,
        "at_local": vn_string(f.now),
        "time_zone": "Asia/Ho_Chi_Minh",
        "total": f.total,
        "months": f.months,
    })))
}

// ---- demo ----------------------------------------------------------------------------------

/// Demo agencies (created when missing) and inquiries: some answered on time, one late, one
/// overdue and escalated to the parent agency, one awaiting an answer.
pub async fn load_demo(state: &AppState) -> anyhow::Result<()> {
    let agencies = [
        ("ubnd-hn", "Ủy ban nhân dân thành phố Hà Nội", None, 15),
        (
            "so-tt-hn",
            "Sở Thông tin và Truyền thông Hà Nội",
            Some("ubnd-hn"),
            10,
        ),
        (
            "ubnd-q1",
            "Ủy ban nhân dân Quận 1, TP. Hồ Chí Minh",
            None,
            7,
        ),
    ];
    for (id, name, parent, days) in agencies {
        if state.store.agency(id).await?.is_none() {
            state
                .store
                .create_agency(
                    &NewAgency {
                        id: id.into(),
                        name: name.into(),
                        parent_id: parent.map(str::to_string),
                        official_domain: None,
                        page_handle: None,
                        portal_feed_url: None,
                        response_working_days: days,
                        responsible: Default::default(),
                    },
                    "demo",
                )
                .await?;
        }
    }
    let existing = state.store.list_inquiries("so-tt-hn", None, 1).await?;
    if !existing.is_empty() {
        return Ok(());
    }
    const DAY: i64 = 86_400_000;
    let now = quytac_store::now_ms();
    let err = |e: ApiError| anyhow::anyhow!("{e}");
    // (agency, kind, text, received days ago, answered days after receipt)
    let cases: [(&str, InquiryKind, &str, i64, Option<i64>); 6] = [
        ("so-tt-hn", InquiryKind::Question,
         "Xin hỏi thủ tục cấp phép trang thông tin điện tử tổng hợp cần những giấy tờ gì? Liên hệ tôi qua số 0912 345 678.",
         60, Some(3)),
        ("so-tt-hn", InquiryKind::ConflictingInformation,
         "Trang của Sở ghi hạn nộp hồ sơ là 15/3 nhưng cổng thông tin ghi 20/3, thông tin nào đúng?",
         45, Some(2)),
        ("so-tt-hn", InquiryKind::Doubt,
         "Tôi nghi ngờ trang mạo danh Sở đang thu phí đăng ký, CCCD của tôi là 001090012345, xin Sở xác minh giúp.",
         40, Some(30)),
        ("so-tt-hn", InquiryKind::Question,
         "Khi nào Sở công bố kết quả lấy ý kiến về dự thảo quy chế?",
         30, None),
        ("ubnd-q1", InquiryKind::Question,
         "Xin hỏi lịch tiếp công dân của Ủy ban quận trong tháng này.",
         20, Some(1)),
        ("ubnd-q1", InquiryKind::Question,
         "Đề nghị cho biết tiến độ sửa chữa vỉa hè đường Lê Lợi.",
         0, None),
    ];
    for (agency_id, kind, text, ago, answered_after) in cases {
        let received = now - ago * DAY;
        let v = create_inquiry(state, "citizen:demo", agency_id, kind, text, received)
            .await
            .map_err(err)?;
        let Some(after) = answered_after else {
            continue;
        };
        let id = v["id"].as_i64().unwrap_or_default();
        let (_, events) = state
            .store
            .assign_inquiry(id, "agency_officer:demo", "agency_officer:demo")
            .await?;
        after_write(state, &events).await;
        let q = state
            .store
            .inquiry(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo inquiry vanished"))?;
        answer_inquiry(
            state,
            "agency_officer:demo",
            &q,
            "Cảm ơn anh/chị đã hỏi. Sở đã kiểm tra và trả lời như sau: thông tin chính thức được đăng trên cổng thông tin của Sở.",
            (received + after * DAY).min(now),
        )
        .await
        .map_err(err)?;
    }
    escalate_overdue(state, now, "demo").await.map_err(err)?;
    Ok(())
}
