//! A case: the post with its findings, one timeline in time order, the author's standing
//! (ND-3), and the panels a reader may use — the decision form on an open case, uphold or
//! overturn for a reviewer on an appealed one, the takedown panel with its countdown and
//! "done", assignment and internal notes. Refusals are told in the reader's language.

use super::{countdown, refusal, snippet, when, who};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::frame::Frame;
use crate::web::session::Csrf;
use crate::web::{render, safe_next, segments, Segment};
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use quytac_core::finding::Category;
use quytac_core::workflow::takedown::may_complete;
use quytac_core::workflow::{
    may_assign, may_decide, Action, AppealOutcome, CaseStatus, LockRecommendation, TakedownStatus,
};
use quytac_service::console::{AddNote, AssignCase, CompleteTakedown, DecideAppeal};
use quytac_service::moderation::Decide;
use quytac_service::ErrorKind;
use serde::de::DeserializeOwned;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console_message.html")]
pub struct MessagePage {
    pub frame: Frame,
    pub title: String,
    pub message: String,
}

/// A console page that cannot be shown (no such case, a malformed id), in words.
pub fn message_page(frame: Frame, status: StatusCode, title: &str, message: &str) -> Response {
    let page = MessagePage {
        title: frame.say(title),
        message: frame.say(message),
        frame,
    };
    (status, render(&page)).into_response()
}

fn bad_id(frame: Frame) -> Response {
    message_page(
        frame,
        StatusCode::NOT_FOUND,
        "console_error.no_case_title",
        "console_error.bad_id",
    )
}

/// What every console form on a case starts with: the page's frame, the caller, the
/// session's CSRF token (the form was checked against it before the handler), the id of the
/// path and the form's fields. A malformed id or form is answered with its page in words
/// before the handler runs.
pub struct CaseStep<T> {
    pub frame: Frame,
    pub caller: Caller,
    pub csrf: String,
    pub id: i64,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CaseStep<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let frame = match Frame::from_request_parts(&mut parts, state).await {
            Ok(frame) => frame,
            Err(never) => match never {},
        };
        let caller = Caller::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Csrf(csrf) = match Csrf::from_request_parts(&mut parts, state).await {
            Ok(csrf) => csrf,
            Err(never) => match never {},
        };
        let Ok(Path(id)) = Path::<i64>::from_request_parts(&mut parts, state).await else {
            return Err(bad_id(frame));
        };
        let Ok(Form(form)) = Form::<T>::from_request(Request::from_parts(parts, body), state).await
        else {
            return Err(bad_form_page(frame));
        };
        Ok(CaseStep {
            frame,
            caller,
            csrf,
            id,
            form,
        })
    }
}

pub struct FindingRow {
    pub rule: String,
    pub category: String,
    pub severity: String,
    pub evidence: String,
    pub message: String,
}

/// One line of the timeline.
pub struct Event {
    pub at: i64,
    pub time: String,
    pub kind: String,
    pub who: String,
    pub text: String,
}

pub struct TakedownPanel {
    pub id: i64,
    pub authority: String,
    pub legal_basis: String,
    pub reason: String,
    pub received: String,
    pub deadline: String,
    pub countdown: String,
    pub overdue: bool,
    pub open: bool,
    pub status: String,
    pub completed: String,
    pub can_complete: bool,
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    frame: Frame,
    csrf: String,
    id: i64,
    status: String,
    status_code: String,
    source: String,
    post: String,
    author: String,
    verdict: String,
    verdict_code: String,
    assignee: String,
    segments: Vec<Segment>,
    findings: Vec<FindingRow>,
    timeline: Vec<Event>,
    standing: Option<StandingView>,
    /// Which panel: `decide`, `appeal`, `await_review` or nothing.
    panel: &'static str,
    can_assign: bool,
    rules: Vec<Opt>,
    categories: Vec<Opt>,
    actions: Vec<Opt>,
    takedowns: Vec<TakedownPanel>,
    appealed: String,
    error: String,
}

pub struct StandingView {
    pub last_30: i64,
    pub last_90: i64,
    pub locks: i64,
    pub total: i64,
    pub recommendation: String,
    pub history_href: String,
}

pub async fn case_page(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return bad_id(frame);
    };
    case_response(&state, frame, &caller, csrf, id, String::new()).await
}

pub(crate) async fn case_response(
    state: &AppState,
    frame: Frame,
    caller: &Caller,
    csrf: String,
    id: i64,
    error: String,
) -> Response {
    let lang = frame.lang;
    let detail = match state.service.case(id).await {
        Ok(d) => d,
        Err(e) if e.kind == ErrorKind::NotFound => {
            return message_page(
                frame,
                StatusCode::NOT_FOUND,
                "console_error.no_case_title",
                "console_error.no_case",
            )
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let desk = match state.service.case_desk(caller, id).await {
        Ok(d) => d,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let standing = match &detail.post.author_id {
        Some(a) => match state.service.standing(a).await {
            Ok(s) => Some(StandingView {
                last_30: s.counts.last_30_days,
                last_90: s.counts.last_90_days,
                locks: s.counts.temporary_locks,
                total: s.counts.total,
                recommendation: frame.code(
                    "console_nd3",
                    match s.recommendation.action {
                        LockRecommendation::None => "none",
                        LockRecommendation::TemporaryLock => "temporary_lock",
                        LockRecommendation::PermanentLock => "permanent_lock",
                    },
                ),
                history_href: format!("/console/cases?status=all&q={}", crate::web::url_encode(a)),
            }),
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    let (segments, views) = segments(&detail.post.text, &detail.post.result);
    let findings = views
        .iter()
        .map(|f| FindingRow {
            rule: f.rule.clone(),
            category: frame.code("console_category", &f.category),
            severity: frame.code("console_severity", &f.severity),
            evidence: f.evidence.clone(),
            message: if lang == crate::web::words::Lang::En {
                f.message_en.clone()
            } else {
                f.message_vi.clone()
            },
        })
        .collect::<Vec<_>>();

    // The timeline: everything that happened to the case, in time order.
    let mut timeline = Vec::new();
    let mut push = |at: i64, kind: &str, by: &str, text: String| {
        timeline.push(Event {
            at,
            time: when(at),
            kind: frame.say(&format!("console_event.{kind}")),
            who: if by.is_empty() {
                String::new()
            } else {
                who(lang, by)
            },
            text,
        })
    };
    push(
        detail.case.opened_at,
        "opened",
        "",
        frame.code("console_source", detail.case.source.as_str()),
    );
    for r in &detail.reports {
        let outcome = r.outcome.map_or(frame.say("console_case.pending"), |o| {
            frame.code("console_outcome", o.as_str())
        });
        push(
            r.created_at,
            "report",
            &r.reporter,
            format!(
                "{} — {}: {outcome}",
                if r.note.is_empty() { "—" } else { &r.note },
                frame.say("console_case.outcome")
            ),
        );
    }
    for t in &detail.takedowns {
        push(
            t.received_at,
            "takedown",
            &t.requested_by,
            format!(
                "{} ({}) — {} {}",
                t.authority,
                t.legal_basis,
                frame.say("console_takedown.deadline"),
                when(t.deadline)
            ),
        );
        if let Some(done) = t.completed_at {
            push(done, "takedown_done", "", t.authority.clone());
        }
    }
    for d in &detail.decisions {
        push(
            d.created_at,
            if d.on_appeal {
                "appeal_decision"
            } else {
                "decision"
            },
            &d.moderator,
            format!(
                "{} / {} → {}: {}",
                d.rule_id,
                frame.code("console_category", d.category.as_str()),
                frame.code("console_action", d.action.as_str()),
                d.statement
            ),
        );
    }
    for a in &detail.appeals {
        push(a.created_at, "appeal", &a.appellant, a.reason.clone());
    }
    for n in &desk.notes {
        push(n.created_at, "note", &n.author, n.body.clone());
    }
    for a in &desk.assignments {
        let to = a
            .assignee
            .as_deref()
            .map_or(frame.say("console_case.nobody"), |x| who(lang, x));
        push(a.assigned_at, "assigned", &a.assigned_by, to);
    }
    timeline.sort_by_key(|e| e.at);

    let latest = detail.decisions.last();
    let may = may_decide(
        caller,
        detail.case.status,
        latest.map(|d| d.moderator.as_str()),
    );
    let panel = match (detail.case.status, may.is_ok()) {
        (CaseStatus::Open, true) => "decide",
        (CaseStatus::Appealed, true) => "appeal",
        (CaseStatus::Appealed, false) => "await_review",
        _ => "",
    };
    let now = quytac_store::now_ms();
    let latest_action = latest.map(|d| d.action);
    let takedowns = detail
        .takedowns
        .iter()
        .map(|t| {
            let (countdown, overdue) = countdown(lang, t.deadline, now);
            let open = t.status == TakedownStatus::Open;
            TakedownPanel {
                id: t.id,
                authority: t.authority.clone(),
                legal_basis: t.legal_basis.clone(),
                reason: t.reason.clone(),
                received: when(t.received_at),
                deadline: when(t.deadline),
                countdown,
                overdue: open && overdue,
                open,
                status: frame.code("console_takedown_status", t.status.as_str()),
                completed: t.completed_at.map(when).unwrap_or_default(),
                can_complete: may_complete(caller, t.status, latest_action).is_ok(),
            }
        })
        .collect();
    let suggested = views.first();
    let pack = state.service.engine().pack();
    let assignee = desk
        .assignments
        .last()
        .and_then(|a| a.assignee.as_deref())
        .map(|a| who(lang, a))
        .unwrap_or_default();
    let appealed = match (panel, latest) {
        ("appeal", Some(d)) | ("await_review", Some(d)) => format!(
            "{} / {} → {}: {}",
            d.rule_id,
            frame.code("console_category", d.category.as_str()),
            frame.code("console_action", d.action.as_str()),
            d.statement
        ),
        _ => String::new(),
    };
    let page = CasePage {
        csrf,
        id,
        status: frame.code("case_status", detail.case.status.as_str()),
        status_code: detail.case.status.as_str().into(),
        source: frame.code("console_source", detail.case.source.as_str()),
        post: detail.post.external_id.clone(),
        author: detail
            .post
            .author_id
            .as_deref()
            .map(|a| who(lang, a))
            .unwrap_or_default(),
        verdict: frame.code("verdict", detail.case.verdict.as_str()),
        verdict_code: detail.case.verdict.as_str().into(),
        assignee,
        segments,
        findings,
        timeline,
        standing,
        panel,
        can_assign: may_assign(caller, detail.case.status).is_ok(),
        rules: pack
            .rules
            .iter()
            .map(|r| Opt {
                selected: suggested.is_some_and(|f| f.rule == r.id),
                label: format!("{} — {}", r.id, snippet(&r.message_vi, 60)),
                value: r.id.clone(),
            })
            .collect(),
        categories: Category::ALL
            .iter()
            .map(|c| Opt {
                selected: suggested.is_some_and(|f| f.category == c.as_str()),
                label: frame.code("console_category", c.as_str()),
                value: c.as_str().into(),
            })
            .collect(),
        actions: Action::ALL
            .iter()
            .map(|a| Opt {
                selected: false,
                label: frame.code("console_action", a.as_str()),
                value: a.as_str().into(),
            })
            .collect(),
        takedowns,
        appealed,
        error,
        frame,
    };
    render(&page)
}

/// The page again with why the step was refused, under the refusal's own status.
async fn refused(
    state: &AppState,
    frame: Frame,
    caller: &Caller,
    csrf: String,
    id: i64,
    e: quytac_service::ServiceError,
) -> Response {
    if e.kind == ErrorKind::DatabaseUnavailable || e.kind == ErrorKind::Internal {
        return ApiError::from(e).into_response();
    }
    let status = ApiError::from(e.clone()).code.status();
    let text = refusal(frame.lang, &e);
    let page = case_response(state, frame, caller, csrf, id, text).await;
    if page.status().is_success() {
        (status, page).into_response()
    } else {
        page
    }
}

fn bad_form_page(frame: Frame) -> Response {
    message_page(
        frame,
        StatusCode::BAD_REQUEST,
        "console_error.bad_form_title",
        "console_error.bad_form",
    )
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    rule: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    statement: String,
}

pub async fn case_decide(State(state): State<AppState>, step: CaseStep<DecisionForm>) -> Response {
    let CaseStep {
        frame,
        caller,
        csrf,
        id,
        form: f,
    } = step;
    let (Ok(category), Ok(action)) = (f.category.parse::<Category>(), f.action.parse::<Action>())
    else {
        let e = quytac_service::ServiceError::invalid_field("`category` or `action`");
        return refused(&state, frame, &caller, csrf, id, e).await;
    };
    let decision = Decide {
        rule: f.rule,
        category,
        action,
        statement: f.statement,
        automated_decision: false,
    };
    match state.service.decide(&caller, id, decision).await {
        Ok(_) => Redirect::to(&format!("/console/cases/{id}")).into_response(),
        Err(e) => refused(&state, frame, &caller, csrf, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct AppealForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    statement: String,
}

/// `POST /console/cases/{id}/appeal`: a reviewer upholds or overturns the appealed decision.
pub async fn case_appeal(State(state): State<AppState>, step: CaseStep<AppealForm>) -> Response {
    let CaseStep {
        frame,
        caller,
        csrf,
        id,
        form: f,
    } = step;
    let Ok(outcome) = f.outcome.parse::<AppealOutcome>() else {
        let e = quytac_service::ServiceError::invalid_field("`outcome`");
        return refused(&state, frame, &caller, csrf, id, e).await;
    };
    let cmd = DecideAppeal {
        outcome,
        statement: f.statement,
    };
    match state.service.decide_appeal(&caller, id, cmd).await {
        Ok(_) => Redirect::to(&format!("/console/cases/{id}")).into_response(),
        Err(e) => refused(&state, frame, &caller, csrf, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct AssignForm {
    /// `me`, an actor's name, or empty for nobody.
    #[serde(default)]
    to: String,
    /// Where to go afterwards (a path of this site); the case otherwise.
    #[serde(default)]
    back: Option<String>,
}

/// `POST /console/cases/{id}/assign`: to me, to someone named, or to nobody.
pub async fn case_assign(State(state): State<AppState>, step: CaseStep<AssignForm>) -> Response {
    let CaseStep {
        frame,
        caller,
        csrf,
        id,
        form: f,
    } = step;
    // `me`, a username or nobody: whom a name may mean is the service's to say.
    let to = f.to.trim();
    let assignee = (!to.is_empty()).then(|| to.to_string());
    match state
        .service
        .assign_case(&caller, id, AssignCase { assignee })
        .await
    {
        Ok(_) => {
            let back = f
                .back
                .filter(|b| !b.is_empty())
                .map(|b| safe_next(Some(b)))
                .unwrap_or_else(|| format!("/console/cases/{id}"));
            Redirect::to(&back).into_response()
        }
        Err(e) => refused(&state, frame, &caller, csrf, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

/// `POST /console/cases/{id}/notes`: an internal note.
pub async fn case_note(State(state): State<AppState>, step: CaseStep<NoteForm>) -> Response {
    let CaseStep {
        frame,
        caller,
        csrf,
        id,
        form: f,
    } = step;
    match state
        .service
        .add_note(&caller, id, AddNote { body: f.body })
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/cases/{id}#timeline")).into_response(),
        Err(e) => refused(&state, frame, &caller, csrf, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct TakedownForm {
    case_id: i64,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    statement: String,
}

/// `POST /console/takedowns/{id}/done`: the takedown carried out (the content removed now
/// when it is still visible).
pub async fn takedown_done(
    State(state): State<AppState>,
    step: CaseStep<TakedownForm>,
) -> Response {
    let CaseStep {
        frame,
        caller,
        csrf,
        id,
        form: f,
    } = step;
    let cmd = CompleteTakedown {
        rule: Some(f.rule).filter(|r| !r.is_empty()),
        category: f.category.parse().ok(),
        statement: f.statement,
    };
    match state.service.complete_takedown(&caller, id, cmd).await {
        Ok(done) => {
            Redirect::to(&format!("/console/cases/{}", done.takedown.case_id)).into_response()
        }
        Err(e) => refused(&state, frame, &caller, csrf, f.case_id, e).await,
    }
}
