//! Citizens on the web (issue 14): the check a citizen's or an officer's text gets before it
//! is sent (the same limits and pool as `POST /v1/check`; personal data found is shown with
//! its evidence explained in words, and a text the code of conduct refuses is refused with
//! the reason), asking an agency from its page, and following one's inquiry by its private
//! link `/inquiries/follow/{secret}` — the only way to it, a wrong secret is a 404 page.

use super::frame::Frame;
use super::render;
use super::words::{say, Lang};
use crate::api::check;
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::vn_time::vn_display;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use quytac_core::engine::CheckResult;
use quytac_core::finding::{Category, Finding, Severity};
use quytac_core::item::{Author, Item, Post, Role};
use quytac_core::workflow::inquiry::{InquiryKind, InquiryStatus, ReplyKind};
use quytac_core::workflow::text::refuse_unless_only_personal_data;
use quytac_service::inquiries::follow::AskOnWeb;
use quytac_service::inquiries::InquiryView;
use serde::Deserialize;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

// ---- the check before sending ----------------------------------------------------------------

/// One piece of personal data found in a text, explained in words (not in a tooltip).
pub struct PersonalItem {
    pub kind: String,
    pub evidence: String,
    pub explained: String,
}

/// What the check before sending found, as a form shows it (`citizens_check.html`).
#[derive(Default)]
pub struct CheckShown {
    /// The text was checked (the form now offers to send it).
    pub checked: bool,
    /// Why the text cannot be sent: the rules it breaks, each explained.
    pub refused: Vec<String>,
    /// Personal data found: it will be masked in public, the writer may edit or confirm.
    pub personal: Vec<PersonalItem>,
    /// Why the text was not checked or not stored (too long, busy, invalid…).
    pub error: String,
}

impl CheckShown {
    pub fn failed(error: String) -> CheckShown {
        CheckShown {
            error,
            ..CheckShown::default()
        }
    }

    /// May the text be sent now: checked, not refused, and personal data (if any) confirmed.
    pub fn may_send(&self, confirmed: bool) -> bool {
        self.checked
            && self.refused.is_empty()
            && self.error.is_empty()
            && (self.personal.is_empty() || confirmed)
    }
}

fn message(lang: Lang, f: &Finding) -> &str {
    match lang {
        Lang::En => &f.message_en,
        Lang::Vi => &f.message_vi,
    }
}

/// The words for what the check found in `result`, in `lang`.
pub fn shown(lang: Lang, result: &CheckResult) -> CheckShown {
    let refused = if refuse_unless_only_personal_data(result).is_err() {
        result
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Violation && f.category != Category::PersonalData)
            .map(|f| format!("{}: {}", f.rule, message(lang, f)))
            .collect()
    } else {
        Vec::new()
    };
    let personal = result
        .findings
        .iter()
        .filter(|f| f.category == Category::PersonalData)
        .map(|f| PersonalItem {
            kind: match f.kind {
                Some(k) => say(lang, &format!("citizens_pd_kind.{}", k.as_str())),
                None => say(lang, "citizens_pd_kind.other"),
            },
            evidence: f.evidence.clone(),
            explained: message(lang, f).to_string(),
        })
        .collect();
    CheckShown {
        checked: true,
        refused,
        personal,
        error: String::new(),
    }
}

/// The words for an error of the API in `lang`: the reasons of the codes a form meets.
pub fn error_words(lang: Lang, e: &ApiError) -> String {
    let key = match e.code {
        Code::TextTooLong => "citizens_error.too_long",
        Code::Busy => "citizens_error.busy",
        Code::Timeout => "citizens_error.timeout",
        Code::InvalidField => "citizens_error.invalid",
        Code::ContentRejected => "citizens_error.rejected",
        Code::ConsultationClosed => "citizens_error.closed",
        Code::NotFound => "citizens_error.not_found",
        Code::Conflict => "citizens_error.conflict",
        Code::Forbidden => "citizens_error.forbidden",
        Code::RateLimited => "citizens_error.rate_limited",
        _ => "citizens_error.other",
    };
    say(lang, key)
}

/// Checks `text` as written by `author` with the limits and the pool of `POST /v1/check`.
pub async fn precheck(state: &AppState, lang: Lang, text: &str, author: Author) -> CheckShown {
    if text.trim().is_empty() {
        return CheckShown::failed(say(lang, "citizens_error.empty"));
    }
    let deadline = std::time::Instant::now() + state.config.request_timeout;
    let item = Item::Post(Post {
        id: "web-form".into(),
        text: text.to_string(),
        author,
        engages: None,
        links: Vec::new(),
    });
    let checked = match check::admit(&state.config.limits.check, &item) {
        Ok(size) => check::run_checks(state, vec![item], size.chars, deadline).await,
        Err(e) => Err(e),
    };
    match checked.map(|mut r| r.pop()) {
        Ok(Some(result)) => shown(lang, &result),
        Ok(None) => CheckShown::failed(say(lang, "citizens_error.other")),
        Err(e) => CheckShown::failed(error_words(lang, &e)),
    }
}

/// A citizen's text, checked as a citizen's post.
pub fn citizen() -> Author {
    Author {
        role: Role::Citizen,
        ..Author::default()
    }
}

// ---- due times in plain words ----------------------------------------------------------------

/// `17:00, Thứ Năm 10/12/2026` in Vietnam time.
pub fn when(lang: Lang, ms: i64) -> String {
    let days = (ms + 7 * HOUR_MS).div_euclid(DAY_MS);
    let weekday = (days + 4).rem_euclid(7); // 1970-01-01 was a Thursday; 0 is Sunday.
    let shown = vn_display(ms);
    let (date, time) = shown.split_once(' ').unwrap_or((&shown, ""));
    format!(
        "{time}, {} {date}",
        say(lang, &format!("citizens_weekday.d{weekday}"))
    )
}

/// How far a deadline is from `now`, in words: days or hours left, or how long ago it passed.
pub fn left(lang: Lang, due: i64, now: i64) -> String {
    let (key, span) = if due >= now {
        ("left", due - now)
    } else {
        ("past", now - due)
    };
    let (unit, n) = if span >= DAY_MS {
        ("days", span / DAY_MS)
    } else {
        ("hours", (span / HOUR_MS).max(1))
    };
    say(lang, &format!("citizens_due.{key}_{unit}")).replace("{n}", &n.to_string())
}

// ---- asking an agency --------------------------------------------------------------------------

/// The ask form as the agency page shows it.
#[derive(Default)]
pub struct AskForm {
    pub text: String,
    pub name: String,
    pub contact: String,
    pub kind: String,
    pub kinds: Vec<(&'static str, String)>,
    pub check: CheckShown,
}

impl AskForm {
    pub fn new(lang: Lang) -> AskForm {
        AskForm {
            kind: InquiryKind::default().as_str().into(),
            kinds: InquiryKind::ALL
                .iter()
                .map(|k| {
                    (
                        k.as_str(),
                        say(lang, &format!("citizens_kind.{}", k.as_str())),
                    )
                })
                .collect(),
            ..AskForm::default()
        }
    }
}

#[derive(Deserialize)]
pub struct AskFields {
    #[serde(default)]
    text: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    kind: String,
    /// `send` to send; anything else checks.
    #[serde(default)]
    step: String,
    /// The citizen saw the personal-data warning and sends anyway.
    #[serde(default)]
    confirm: String,
}

/// `POST /agencies/{id}/inquiries`: check, warn of personal data, then send; sent, the
/// citizen is taken to the inquiry's private link.
pub async fn ask(
    State(state): State<AppState>,
    frame: Frame,
    Path(id): Path<String>,
    form: Result<Form<AskFields>, FormRejection>,
) -> Response {
    let lang = frame.lang;
    let mut ask = AskForm::new(lang);
    let f = match form {
        Ok(Form(f)) => f,
        Err(_) => {
            ask.check = CheckShown::failed(say(lang, "citizens_error.form"));
            return super::responsiveness::agency_response(
                &state,
                frame,
                &id,
                ask,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let kind = f.kind.parse::<InquiryKind>().unwrap_or_default();
    ask.kind = kind.as_str().into();
    ask.text = f.text.clone();
    ask.name = f.name.clone();
    ask.contact = f.contact.clone();
    ask.check = precheck(&state, lang, &f.text, citizen()).await;
    if !(f.step == "send" && ask.check.may_send(f.confirm == "yes")) {
        let status = if !ask.check.refused.is_empty() || !ask.check.error.is_empty() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return super::responsiveness::agency_response(&state, frame, &id, ask, status).await;
    }
    let cmd = AskOnWeb {
        text: f.text,
        kind,
        name: f.name,
        contact: f.contact,
    };
    match state.service.ask_agency_on_web(&id, cmd).await {
        Ok(asked) => {
            Redirect::to(&format!("/inquiries/follow/{}?sent=1", asked.secret)).into_response()
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.code == Code::DatabaseUnavailable || e.code == Code::Internal {
                return e.into_response();
            }
            let status = e.code.status();
            ask.check = CheckShown::failed(error_words(lang, &e));
            super::responsiveness::agency_response(&state, frame, &id, ask, status).await
        }
    }
}

// ---- following an inquiry ----------------------------------------------------------------------

pub struct ReplyRow {
    pub kind: String,
    pub at: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "inquiry_follow.html")]
struct FollowPage {
    frame: Frame,
    found: bool,
    sent: bool,
    /// This page's path (the private link), without the query.
    link: String,
    /// The link in pieces a narrow screen may break between.
    link_parts: Vec<String>,
    agency: String,
    agency_id: String,
    kind: String,
    status: String,
    status_class: &'static str,
    received: String,
    due: String,
    due_left: String,
    overdue: bool,
    escalated: String,
    text: String,
    replies: Vec<ReplyRow>,
}

#[derive(Deserialize)]
pub struct FollowQuery {
    #[serde(default)]
    sent: Option<String>,
}

fn status_class(s: InquiryStatus) -> &'static str {
    s.as_str()
}

/// `GET /inquiries/follow/{secret}`.
pub async fn follow(
    State(state): State<AppState>,
    frame: Frame,
    Path(secret): Path<String>,
    query: Result<Query<FollowQuery>, QueryRejection>,
) -> Response {
    let lang = frame.lang;
    let sent = query.ok().and_then(|q| q.0.sent).is_some();
    let q = match state.service.followed_inquiry(&secret).await {
        Ok(env) => env.inquiry,
        Err(e) => {
            let e = ApiError::from(e);
            if e.code != Code::NotFound {
                return e.into_response();
            }
            let page = FollowPage {
                frame,
                found: false,
                sent: false,
                link: String::new(),
                link_parts: Vec::new(),
                agency: String::new(),
                agency_id: String::new(),
                kind: String::new(),
                status: String::new(),
                status_class: "",
                received: String::new(),
                due: String::new(),
                due_left: String::new(),
                overdue: false,
                escalated: String::new(),
                text: String::new(),
                replies: Vec::new(),
            };
            return (StatusCode::NOT_FOUND, render(&page)).into_response();
        }
    };
    let now = quytac_store::now_ms();
    let agency = agency_name(&state, &q.agency_id).await;
    let escalated = match &q.escalated_to {
        Some(p) => agency_name(&state, p).await,
        None => String::new(),
    };
    let due = q.reply_due_at.unwrap_or(q.due_at);
    let awaiting = q.status.is_awaiting();
    render(&FollowPage {
        frame,
        found: true,
        sent,
        link: format!("/inquiries/follow/{secret}"),
        link_parts: std::iter::once("/inquiries/follow/".to_string())
            .chain(
                secret
                    .as_bytes()
                    .chunks(16)
                    .map(|c| String::from_utf8_lossy(c).into_owned()),
            )
            .collect(),
        agency,
        agency_id: q.agency_id.clone(),
        kind: say(lang, &format!("citizens_kind.{}", q.kind.as_str())),
        status: say(lang, &format!("citizens_status.{}", q.status.as_str())),
        status_class: status_class(q.status),
        received: when(lang, q.created_at),
        due: when(lang, due),
        due_left: if awaiting {
            left(lang, due, now)
        } else {
            String::new()
        },
        overdue: q.overdue,
        escalated,
        text: q.text.clone(),
        replies: replies(lang, &q),
    })
}

/// The answers and reasons to reopen of an inquiry, oldest first.
pub fn replies(lang: Lang, q: &InquiryView) -> Vec<ReplyRow> {
    q.replies
        .iter()
        .map(|r| ReplyRow {
            kind: say(
                lang,
                match r.kind {
                    ReplyKind::Answer => "citizens_follow.answer",
                    ReplyKind::Reopen => "citizens_follow.reopen",
                },
            ),
            at: when(lang, r.created_at),
            text: r.text.clone(),
        })
        .collect()
}

/// An agency's name, or its id when it cannot be read.
pub async fn agency_name(state: &AppState, id: &str) -> String {
    match state.store.agency(id).await {
        Ok(Some(a)) => a.name,
        _ => id.to_string(),
    }
}
