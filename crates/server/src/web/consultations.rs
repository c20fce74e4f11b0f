//! The public page of a consultation on a draft policy (AG-6): what is proposed, until when
//! comments are taken (Vietnam time), how many comments support, oppose or suggest, and the
//! published comments with personal data masked. Anyone may comment from the page (issue
//! 14): the comment is checked before it is sent (`web::inquiries::precheck`: personal data
//! is shown and may be edited or confirmed; one that breaks the code of conduct is kept for
//! the agency but not published, as through the API, `POST /v1/consultations/{id}/comments`).

use super::frame::Frame;
use super::inquiries::{citizen, error_words, precheck, CheckShown};
use super::render;
use super::words::say;
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::vn_time::vn_display;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use quytac_core::agency::Stance;
use quytac_service::consultations::CommentOn;
use serde::Deserialize;

/// The comment form as the page shows it.
#[derive(Default)]
pub struct CommentForm {
    pub text: String,
    /// The stance chosen (`support`, `oppose`, `suggest`), empty to let the service read it.
    pub stance: String,
    pub stances: Vec<(&'static str, String)>,
    /// What the page says after a comment was sent.
    pub notice: String,
}

impl CommentForm {
    fn new(frame: &Frame) -> CommentForm {
        CommentForm {
            stances: Stance::ALL
                .iter()
                .map(|s| (s.as_str(), frame.code("citizens_stance", s.as_str())))
                .collect(),
            ..CommentForm::default()
        }
    }
}

pub struct CommentRow {
    pub id: i64,
    pub at: String,
    pub stance: String,
    pub stance_class: &'static str,
    pub text: String,
}

pub struct StanceCount {
    pub name: String,
    pub class: &'static str,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "consultation.html")]
struct ConsultationPage {
    frame: Frame,
    id: i64,
    title: String,
    summary: String,
    document_number: String,
    agency: String,
    status: &'static str,
    status_words: String,
    opens: String,
    closes: String,
    counts: Vec<StanceCount>,
    withheld: usize,
    comments: Vec<CommentRow>,
    form: CommentForm,
    check: CheckShown,
}

fn not_found(id: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(format!(
            "<p>Không có cuộc lấy ý kiến này / no such consultation: {}</p>",
            super::escape(id)
        )),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    sent: Option<String>,
}

/// `GET /consultations/{id}`.
pub async fn page(
    State(state): State<AppState>,
    frame: Frame,
    Path(id): Path<String>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let mut form = CommentForm::new(&frame);
    form.notice = match q.ok().and_then(|q| q.0.sent).as_deref() {
        Some("published") => frame.say("citizens_comment.sent_published"),
        Some("withheld") => frame.say("citizens_comment.sent_withheld"),
        _ => String::new(),
    };
    page_response(
        &state,
        frame,
        &id,
        form,
        CheckShown::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct CommentFields {
    #[serde(default)]
    text: String,
    #[serde(default)]
    stance: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /consultations/{id}/comments`: check, warn of personal data, then send.
pub async fn comment(
    State(state): State<AppState>,
    frame: Frame,
    Path(id): Path<String>,
    form: Result<Form<CommentFields>, FormRejection>,
) -> Response {
    let lang = frame.lang;
    let mut shown = CommentForm::new(&frame);
    let Ok(Form(f)) = form else {
        let check = CheckShown::failed(say(lang, "citizens_error.form"));
        return page_response(&state, frame, &id, shown, check, StatusCode::BAD_REQUEST).await;
    };
    let stance = f.stance.parse::<Stance>().ok();
    shown.stance = stance.map(|s| s.as_str().to_string()).unwrap_or_default();
    shown.text = f.text.clone();
    let mut check = precheck(&state, lang, &f.text, citizen()).await;
    // A comment that breaks the code is kept for the agency but not published: the page says
    // so before it is sent rather than refusing it.
    let breaks = std::mem::take(&mut check.refused);
    if !(f.step == "send" && check.may_send(f.confirm == "yes")) {
        let status = if check.error.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        if !breaks.is_empty() {
            shown.notice = format!(
                "{} {}",
                frame.say("citizens_comment.will_be_withheld"),
                breaks.join("; ")
            );
        }
        return page_response(&state, frame, &id, shown, check, status).await;
    }
    let Ok(n) = id.parse::<i64>() else {
        return not_found(&id);
    };
    let cmd = CommentOn {
        text: f.text,
        stance,
    };
    match state.service.comment_on_web(n, cmd).await {
        Ok(filed) => {
            let sent = if filed.comment.published {
                "published"
            } else {
                "withheld"
            };
            Redirect::to(&format!("/consultations/{n}?sent={sent}#comment-form")).into_response()
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.code == Code::DatabaseUnavailable || e.code == Code::Internal {
                return e.into_response();
            }
            let status = e.code.status();
            let check = CheckShown::failed(error_words(lang, &e));
            page_response(&state, frame, &id, shown, check, status).await
        }
    }
}

async fn page_response(
    state: &AppState,
    frame: Frame,
    id: &str,
    form: CommentForm,
    check: CheckShown,
    http_status: StatusCode,
) -> Response {
    let Ok(n) = id.parse::<i64>() else {
        return not_found(id);
    };
    let (c, comments) = match state.service.consultation_with_comments(n).await {
        Ok(found) => found,
        Err(e) => match crate::error::ApiError::from(e) {
            e if e.code == crate::error::Code::NotFound => return not_found(id),
            e => return e.into_response(),
        },
    };
    let agency = match state.store.agency(&c.agency_id).await {
        Ok(Some(a)) => a.name,
        _ => c.agency_id.clone(),
    };
    let published: Vec<_> = comments.iter().filter(|k| k.published).collect();
    let status = quytac_store::consultations::status_at(
        c.status,
        c.opens_at,
        c.closes_at,
        quytac_store::now_ms(),
    )
    .as_str();
    let words = frame.clone();
    let page = render(&ConsultationPage {
        frame,
        form,
        check,
        id: c.id,
        title: c.title.clone(),
        summary: c.summary.clone(),
        document_number: c.document_number.clone().unwrap_or_default(),
        agency,
        status,
        status_words: words.code("citizens_consultation_status", status),
        opens: vn_display(c.opens_at),
        closes: vn_display(c.closes_at),
        counts: Stance::ALL
            .iter()
            .map(|s| StanceCount {
                name: words.code("citizens_stance", s.as_str()),
                class: s.as_str(),
                count: published.iter().filter(|k| k.stance == *s).count(),
            })
            .collect(),
        withheld: comments.len() - published.len(),
        comments: published
            .iter()
            .map(|k| {
                let s = k.stance;
                CommentRow {
                    id: k.id,
                    at: vn_display(k.created_at),
                    stance: words.code("citizens_stance", s.as_str()),
                    stance_class: s.as_str(),
                    text: k.masked_text.clone(),
                }
            })
            .collect(),
    });
    (http_status, page).into_response()
}
