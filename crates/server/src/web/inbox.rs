//! The agency officer's inbox (issue 14): their agency's inquiries with due times in words,
//! overdue ones first; an answer is checked before it is sent, like a citizen's text
//! (`web::inquiries::precheck`), then recorded by `Service::answer_inquiry`; the escalation
//! sweep (`Service::escalate_inquiries`) can be run from the page. Console pages: a session of
//! an agency officer (or an admin, who picks the agency), see `routes::INBOX_ROLES`.

use super::frame::Frame;
use super::inquiries::{
    agency_name, error_words, left, precheck, replies, when, CheckShown, ReplyRow,
};
use super::render;
use super::session::Csrf;
use super::words::say;
use crate::auth::{Caller, Role as TokenRole};
use crate::error::{ApiError, Code};
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use quytac_core::item::{Author, Role};
use quytac_core::workflow::inquiry::{may_handle, InquiryFacts};
use quytac_service::inquiries::follow::AskerContact;
use quytac_service::inquiries::{AnswerInquiry, InquiryView};
use serde::Deserialize;

pub struct InboxRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub status_class: &'static str,
    pub received: String,
    pub due: String,
    pub due_left: String,
    pub overdue: bool,
    pub awaiting: bool,
    pub escalated: bool,
    pub answered: String,
    pub text: String,
    /// For an inquiry escalated here: the agency it was asked of.
    pub from_agency: String,
    /// Assigned to the reader (by username or token, as they signed in).
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    frame: Frame,
    csrf: String,
    agency: String,
    agency_id: String,
    /// An admin without an agency chosen: the agencies to choose from (id, name).
    agencies: Vec<(String, String)>,
    rows: Vec<InboxRow>,
    overdue: usize,
    awaiting: usize,
    notice: String,
}

#[derive(Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    agency: Option<String>,
    #[serde(default)]
    answered: Option<i64>,
    #[serde(default)]
    escalated: Option<usize>,
}

/// The agency a page of the inbox's roles is for: an officer's own, or for an admin the one
/// asked for (`?agency=`); `None`: an admin who has not chosen yet.
pub fn page_agency(caller: &Caller, asked: Option<String>) -> Option<String> {
    match (&caller.agency, caller.role) {
        (Some(a), _) => Some(a.clone()),
        (None, TokenRole::Admin) => asked.filter(|a| !a.is_empty()),
        (None, _) => None,
    }
}

/// The agencies an admin chooses from (id, name), or the error page.
pub async fn agency_choices(state: &AppState) -> Result<Vec<(String, String)>, Response> {
    match state.store.list_agencies().await {
        Ok(list) => Ok(list.into_iter().map(|a| (a.id, a.name)).collect()),
        Err(e) => Err(ApiError::from(quytac_service::ServiceError::from(e)).into_response()),
    }
}

/// Overdue first (oldest deadline first), then the others awaiting an answer by deadline,
/// then the rest, newest first.
fn inbox_order(list: &mut [InquiryView]) {
    list.sort_by_key(|q| {
        let due = q.reply_due_at.unwrap_or(q.due_at);
        match (q.overdue, q.status.is_awaiting()) {
            (true, _) => (0, due),
            (false, true) => (1, due),
            _ => (2, -q.created_at),
        }
    });
}

fn row(frame: &Frame, q: &InquiryView, now: i64) -> InboxRow {
    let lang = frame.lang;
    let due = q.reply_due_at.unwrap_or(q.due_at);
    let awaiting = q.status.is_awaiting();
    InboxRow {
        id: q.id,
        kind: frame.code("citizens_kind", q.kind.as_str()),
        status: frame.code("citizens_status", q.status.as_str()),
        status_class: q.status.as_str(),
        received: when(lang, q.created_at),
        due: when(lang, due),
        due_left: if awaiting {
            left(lang, due, now)
        } else {
            String::new()
        },
        overdue: q.overdue,
        awaiting,
        escalated: q.escalated_to.is_some(),
        answered: q
            .first_answered_at
            .map(|t| when(lang, t))
            .unwrap_or_default(),
        text: q.text.chars().take(300).collect(),
        from_agency: String::new(),
        mine: false,
    }
}

/// `GET /console/inbox`.
pub async fn inbox(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    q: Result<Query<InboxQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or(InboxQuery {
        agency: None,
        answered: None,
        escalated: None,
    });
    let lang = frame.lang;
    let notice = match (q.answered, q.escalated) {
        (Some(id), _) => {
            say(lang, "citizens_inbox.answered_notice").replace("{id}", &id.to_string())
        }
        (_, Some(n)) => say(lang, "citizens_inbox.escalated_notice").replace("{n}", &n.to_string()),
        _ => String::new(),
    };
    let Some(agency_id) = page_agency(&caller, q.agency) else {
        let agencies = match agency_choices(&state).await {
            Ok(list) => list,
            Err(response) => return response,
        };
        return render(&InboxPage {
            frame,
            csrf,
            agency: String::new(),
            agency_id: String::new(),
            agencies,
            rows: Vec::new(),
            overdue: 0,
            awaiting: 0,
            notice,
        });
    };
    let mut list = match state
        .service
        .agency_inquiries(&agency_id, false, Some(500))
        .await
    {
        Ok(l) => l.inquiries,
        Err(e) => {
            let e = ApiError::from(e);
            if e.code == Code::NotFound {
                return super::denied_page(
                    StatusCode::NOT_FOUND,
                    &say(super::words::Lang::Vi, "citizens_error.not_found"),
                    &say(super::words::Lang::En, "citizens_error.not_found"),
                    &frame.path,
                );
            }
            return e.into_response();
        }
    };
    // Escalated here from the agencies under this one: its officers may answer them too.
    match state
        .service
        .inquiries_escalated_to(&agency_id, Some(500))
        .await
    {
        Ok(more) => list.extend(more.inquiries),
        Err(e) => return ApiError::from(e).into_response(),
    }
    inbox_order(&mut list);
    let now = quytac_store::now_ms();
    let mut rows = Vec::with_capacity(list.len());
    for q in &list {
        let mut r = row(&frame, q, now);
        r.mine = q.assigned_to.as_deref() == Some(caller.name().as_str());
        if q.agency_id != agency_id {
            r.from_agency = agency_name(&state, &q.agency_id).await;
        }
        rows.push(r);
    }
    render(&InboxPage {
        overdue: rows.iter().filter(|r| r.overdue).count(),
        awaiting: rows.iter().filter(|r| r.awaiting).count(),
        agency: agency_name(&state, &agency_id).await,
        agency_id,
        agencies: Vec::new(),
        rows,
        frame,
        csrf,
        notice,
    })
}

#[derive(Template)]
#[template(path = "inbox_answer.html")]
struct AnswerPage {
    frame: Frame,
    csrf: String,
    row: InboxRow,
    agency: String,
    question: String,
    contact: Option<AskerContact>,
    replies: Vec<ReplyRow>,
    may_answer: bool,
    /// Who it is assigned to (empty: nobody), and whether the caller may take it.
    assigned_to: String,
    may_take: bool,
    text: String,
    check: CheckShown,
}

async fn answer_response(
    state: &AppState,
    frame: Frame,
    caller: &Caller,
    csrf: String,
    id: i64,
    (text, check, status): (String, CheckShown, StatusCode),
) -> Response {
    let q = match state.service.inquiry(caller, id, false).await {
        Ok(env) => env.inquiry,
        Err(e) => {
            let e = ApiError::from(e);
            if e.code == Code::NotFound {
                return super::denied_page(
                    StatusCode::NOT_FOUND,
                    &say(super::words::Lang::Vi, "citizens_error.not_found"),
                    &say(super::words::Lang::En, "citizens_error.not_found"),
                    &frame.path,
                );
            }
            return e.into_response();
        }
    };
    let facts = InquiryFacts {
        status: q.status,
        agency_id: &q.agency_id,
        escalated_to: q.escalated_to.as_deref(),
        citizen: "",
        assigned_to: q.assigned_to.as_deref(),
    };
    if may_handle(caller, &facts).is_err() {
        return super::denied_page(
            StatusCode::FORBIDDEN,
            &say(super::words::Lang::Vi, "citizens_error.forbidden"),
            &say(super::words::Lang::En, "citizens_error.forbidden"),
            &frame.path,
        );
    }
    // The name and contact a web citizen left: only for the assigned officer and admins.
    let contact = state.service.asker_contact(caller, id).await.ok().flatten();
    let now = quytac_store::now_ms();
    let page = render(&AnswerPage {
        row: row(&frame, &q, now),
        agency: agency_name(state, &q.agency_id).await,
        question: q.text.clone(),
        replies: replies(frame.lang, &q),
        may_answer: q.status != quytac_core::workflow::inquiry::InquiryStatus::Closed,
        may_take: q.status != quytac_core::workflow::inquiry::InquiryStatus::Closed
            && q.assigned_to.as_deref() != Some(caller.name().as_str()),
        assigned_to: match q.assigned_to.as_deref() {
            Some(a) if a == caller.name() => frame.say("citizens_inbox.you"),
            Some(a) => a.to_string(),
            None => String::new(),
        },
        contact,
        csrf,
        text,
        check,
        frame,
    });
    (status, page).into_response()
}

/// `GET /console/inbox/{id}`: an inquiry with the answer form.
pub async fn answer_page(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    Path(id): Path<i64>,
) -> Response {
    answer_response(
        &state,
        frame,
        &caller,
        csrf,
        id,
        (String::new(), CheckShown::default(), StatusCode::OK),
    )
    .await
}

#[derive(Deserialize)]
pub struct AnswerFields {
    #[serde(default)]
    text: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /console/inbox/{id}`: check the answer; `step=send` records it.
pub async fn answer(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    Path(id): Path<i64>,
    form: Result<Form<AnswerFields>, FormRejection>,
) -> Response {
    let lang = frame.lang;
    let Ok(Form(f)) = form else {
        let check = CheckShown::failed(say(lang, "citizens_error.form"));
        return answer_response(
            &state,
            frame,
            &caller,
            csrf,
            id,
            (String::new(), check, StatusCode::BAD_REQUEST),
        )
        .await;
    };
    let author = Author {
        role: Role::Agency,
        agency: caller.agency.clone(),
        ..Author::default()
    };
    let check = precheck(&state, lang, &f.text, author).await;
    if !(f.step == "send" && check.may_send(f.confirm == "yes")) {
        let status = if check.refused.is_empty() && check.error.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return answer_response(&state, frame, &caller, csrf, id, (f.text, check, status)).await;
    }
    let cmd = AnswerInquiry {
        text: f.text.clone(),
        answered_at: None,
    };
    match state.service.answer_inquiry(&caller, id, cmd).await {
        Ok(_) => Redirect::to(&format!("/console/inbox?answered={id}")).into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            if e.code == Code::DatabaseUnavailable || e.code == Code::Internal {
                return e.into_response();
            }
            let status = e.code.status();
            let check = CheckShown::failed(error_words(lang, &e));
            answer_response(&state, frame, &caller, csrf, id, (f.text, check, status)).await
        }
    }
}

/// `POST /console/inbox/{id}/assign`: the caller takes the inquiry (and may then read the
/// name and contact a web citizen left).
pub async fn take(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Response {
    match state
        .service
        .assign_inquiry(
            &caller,
            id,
            quytac_service::inquiries::AssignInquiry::default(),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/inbox/{id}")).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /console/inbox/escalate`: runs the escalation sweep now.
pub async fn escalate(State(state): State<AppState>, caller: Caller) -> Response {
    match state.service.escalate_inquiries(&caller.name()).await {
        Ok(done) => Redirect::to(&format!(
            "/console/inbox?escalated={}",
            done.escalated.len()
        ))
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
