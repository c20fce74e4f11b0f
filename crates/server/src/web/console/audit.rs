//! `/console/audit`: the latest events of the audit log with readable names and Vietnam
//! times, the signed head, and a "verify" button that runs `Service::verify_audit` and says
//! the result in words.

use super::{when, who};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::frame::Frame;
use crate::web::render;
use crate::web::session::Csrf;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

/// How many of the latest events the page shows.
const SHOWN: i64 = 50;

pub struct EventRow {
    pub seq: i64,
    pub time: String,
    pub who: String,
    pub action: String,
    pub subject: String,
}

pub struct Verdict {
    pub ok: bool,
    pub lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    frame: Frame,
    csrf: String,
    events: Vec<EventRow>,
    head_seq: i64,
    head_hash: String,
    head_time: String,
    head_key: String,
    verification: Option<Verdict>,
}

async fn audit_response(
    state: &AppState,
    frame: Frame,
    csrf: String,
    verification: Option<Verdict>,
) -> Response {
    let head = match state.service.audit_head().await {
        Ok(h) => h,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let after = (head.seq - SHOWN).max(0);
    let mut events = match state.service.audit_events(after, SHOWN).await {
        Ok(p) => p.events,
        Err(e) => return ApiError::from(e).into_response(),
    };
    events.reverse();
    let lang = frame.lang;
    let rows = events
        .iter()
        .map(|e| {
            let key = format!("console_audit_action.{}", e.action.replace('.', "_"));
            EventRow {
                seq: e.seq,
                time: when(e.at),
                who: who(lang, &e.actor),
                action: if crate::web::words::known(&key) {
                    frame.say(&key)
                } else {
                    e.action.clone()
                },
                subject: subject(&frame, &e.subject),
            }
        })
        .collect();
    render(&AuditPage {
        csrf,
        events: rows,
        head_seq: head.seq,
        head_hash: head.hash.clone(),
        head_time: when(head.time),
        head_key: head.key_id.clone(),
        verification,
        frame,
    })
}

/// `case:12` → "Hồ sơ #12"; a subject of another kind as it is.
fn subject(frame: &Frame, subject: &str) -> String {
    match subject.split_once(':') {
        Some((kind, id)) if crate::web::words::known(&format!("console_subject.{kind}")) => {
            format!("{} #{id}", frame.say(&format!("console_subject.{kind}")))
        }
        _ => subject.to_string(),
    }
}

pub async fn audit_page(
    State(state): State<AppState>,
    frame: Frame,
    _caller: Caller,
    Csrf(csrf): Csrf,
) -> Response {
    audit_response(&state, frame, csrf, None).await
}

/// `POST /console/audit/verify`: recompute the log and say what was found.
pub async fn audit_verify(
    State(state): State<AppState>,
    frame: Frame,
    _caller: Caller,
    Csrf(csrf): Csrf,
) -> Response {
    let v = match state.service.verify_audit().await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let say = |k: &str| frame.say(&format!("console_audit.{k}"));
    let mut lines = vec![format!(
        "{}: {} · {}: {} · {}: {}",
        say("events"),
        v.events,
        say("heads"),
        v.heads,
        say("rows"),
        v.state.rows
    )];
    if let Some(b) = &v.first_broken {
        lines.push(format!(
            "{} #{} ({} {}, {} {})",
            say("broken"),
            b.seq,
            say("chain"),
            b.chain,
            say("position"),
            b.pos
        ));
    }
    if let Some(b) = &v.first_bad_head {
        lines.push(format!("{} #{}", say("bad_head"), b.id));
    }
    if let Some(t) = &v.unsigned_events {
        lines.push(format!(
            "{} ({} {}, {} {}–{})",
            say("unsigned"),
            say("chain"),
            t.chain,
            say("position"),
            t.from_pos,
            t.to_pos
        ));
    }
    if v.rolled_back.is_some() {
        lines.push(say("rolled_back"));
    }
    if v.state.problem_count > 0 {
        lines.push(format!(
            "{}: {}",
            say("row_problems"),
            v.state.problem_count
        ));
    }
    lines.insert(0, if v.ok { say("ok") } else { say("failed") });
    let verdict = Verdict { ok: v.ok, lines };
    audit_response(&state, frame, csrf, Some(verdict)).await
}
