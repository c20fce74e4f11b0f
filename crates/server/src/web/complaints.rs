//! Complaints addressed to an agency's page (Decree 147, issue 14): the officer sees them with
//! the 48-hour deadline in words, unanswered first and overdue ones marked, and answers each
//! one — upheld or rejected, with the reason told to the reporter — through
//! `Service::answer_complaint`. Console pages of the inbox's roles (`routes::INBOX_ROLES`):
//! an officer for their agency; an admin picks the agency and reads, but answers nothing (the
//! duty is the page owner's, `workflow::complaint::may_answer`).

use super::frame::Frame;
use super::inbox::{agency_choices, page_agency};
use super::inquiries::{agency_name, error_words, left, when};
use super::render;
use super::session::Csrf;
use super::words::say;
use crate::auth::{Caller, Role};
use crate::error::{ApiError, Code};
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use quytac_core::workflow::complaint::{Addressee, ComplaintAnswer};
use quytac_core::workflow::decree147::ComplaintClock;
use quytac_service::complaints::{AddressedComplaint, AnswerComplaint};
use serde::Deserialize;

pub struct ComplaintRow {
    pub id: i64,
    pub post: String,
    pub post_text: String,
    pub category: String,
    pub note: String,
    pub received: String,
    pub due: String,
    pub due_left: String,
    /// The clock in words, and its code for the row's class.
    pub clock: String,
    pub clock_class: &'static str,
    pub open: bool,
    pub overdue: bool,
    pub answer: String,
    pub answer_reason: String,
    pub answered: String,
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    frame: Frame,
    csrf: String,
    agency: String,
    agency_id: String,
    /// An admin without an agency chosen: the agencies to choose from (id, name).
    agencies: Vec<(String, String)>,
    rows: Vec<ComplaintRow>,
    running: usize,
    overdue: usize,
    truncated: bool,
    /// The caller may answer (an officer of this agency).
    may_answer: bool,
    answers: Vec<(&'static str, String)>,
    notice: String,
    error: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    agency: Option<String>,
    #[serde(default)]
    answered: Option<i64>,
}

fn row(frame: &Frame, c: &AddressedComplaint, now: i64) -> ComplaintRow {
    let lang = frame.lang;
    let r = &c.complaint.report;
    let open = r.answered_at.is_none();
    ComplaintRow {
        id: r.id,
        post: c.post.clone(),
        post_text: c.post_text.chars().take(300).collect(),
        category: r
            .category
            .map(|k| frame.code("category", k.as_str()))
            .unwrap_or_default(),
        note: r.note.chars().take(500).collect(),
        received: when(lang, r.created_at),
        due: when(lang, c.complaint.deadline),
        due_left: if open {
            left(lang, c.complaint.deadline, now)
        } else {
            String::new()
        },
        clock: frame.code("reports_clock", c.complaint.clock.as_str()),
        clock_class: c.complaint.clock.as_str(),
        open,
        overdue: c.complaint.clock == ComplaintClock::Overdue,
        answer: r
            .answer
            .map(|a| frame.code("reports_answer", a.as_str()))
            .unwrap_or_default(),
        answer_reason: r.answer_reason.clone().unwrap_or_default(),
        answered: r.answered_at.map(|t| when(lang, t)).unwrap_or_default(),
    }
}

async fn page(
    state: &AppState,
    frame: Frame,
    caller: &Caller,
    csrf: String,
    agency: Option<String>,
    (notice, error, status): (String, String, StatusCode),
) -> Response {
    let answers = ComplaintAnswer::ALL
        .iter()
        .map(|a| (a.as_str(), frame.code("reports_answer", a.as_str())))
        .collect();
    let Some(agency_id) = page_agency(caller, agency) else {
        let agencies = match agency_choices(state).await {
            Ok(list) => list,
            Err(response) => return response,
        };
        return render(&ComplaintsPage {
            frame,
            csrf,
            agency: String::new(),
            agency_id: String::new(),
            agencies,
            rows: Vec::new(),
            running: 0,
            overdue: 0,
            truncated: false,
            may_answer: false,
            answers,
            notice,
            error,
        });
    };
    let listed = match state
        .service
        .page_complaints(caller, Some(Addressee::agency(&agency_id)))
        .await
    {
        Ok(l) => l,
        Err(e) => {
            let e = ApiError::from(e);
            if e.code == Code::Forbidden || e.code == Code::NotFound {
                return super::denied_page(
                    StatusCode::FORBIDDEN,
                    &say(super::words::Lang::Vi, "citizens_error.forbidden"),
                    &say(super::words::Lang::En, "citizens_error.forbidden"),
                    &frame.path,
                );
            }
            return e.into_response();
        }
    };
    let now = quytac_store::now_ms();
    let rows = listed
        .complaints
        .iter()
        .map(|c| row(&frame, c, now))
        .collect();
    let html = render(&ComplaintsPage {
        agency: agency_name(state, &agency_id).await,
        may_answer: caller.role == Role::AgencyOfficer
            && caller.agency.as_deref() == Some(agency_id.as_str()),
        agency_id,
        agencies: Vec::new(),
        rows,
        running: listed.running,
        overdue: listed.overdue,
        truncated: listed.truncated,
        answers,
        frame,
        csrf,
        notice,
        error,
    });
    (status, html).into_response()
}

/// `GET /console/complaints`.
pub async fn list(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let (agency, answered) = match q {
        Ok(Query(q)) => (q.agency, q.answered),
        Err(_) => (None, None),
    };
    let notice = answered
        .map(|id| {
            frame
                .say("reports_page_owner.answered_notice")
                .replace("{id}", &id.to_string())
        })
        .unwrap_or_default();
    page(
        &state,
        frame,
        &caller,
        csrf,
        agency,
        (notice, String::new(), StatusCode::OK),
    )
    .await
}

#[derive(Deserialize)]
pub struct AnswerFields {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/complaints/{id}/answer`.
pub async fn answer(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    Path(id): Path<i64>,
    form: Result<Form<AnswerFields>, FormRejection>,
) -> Response {
    let lang = frame.lang;
    let again = |frame, error: String, status| {
        let (state, caller, csrf) = (&state, &caller, csrf.clone());
        async move {
            page(
                state,
                frame,
                caller,
                csrf,
                None,
                (String::new(), error, status),
            )
            .await
        }
    };
    let Ok(Form(f)) = form else {
        return again(
            frame,
            say(lang, "citizens_error.form"),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let Ok(answer) = f.answer.parse::<ComplaintAnswer>() else {
        return again(
            frame,
            say(lang, "reports_page_owner.pick_answer"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let cmd = AnswerComplaint {
        answer,
        reason: f.reason,
    };
    match state.service.answer_complaint(&caller, id, cmd).await {
        Ok(_) => Redirect::to(&format!("/console/complaints?answered={id}")).into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            if e.code == Code::DatabaseUnavailable || e.code == Code::Internal {
                return e.into_response();
            }
            let status = e.code.status();
            again(frame, error_words(lang, &e), status).await
        }
    }
}
