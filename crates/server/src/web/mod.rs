//! The web console, rendered on the server (askama): the public checker, the moderation
//! queue, a case page with the decision form, and the transparency report with an inline-SVG
//! chart. Scripts and styles are files the app serves (`assets.rs`), none inline, so the
//! Content-Security-Policy (`headers.rs`) forbids inline script. Signing in with a token opens
//! a server-side session (`session.rs`); its forms carry the session's CSRF token.

pub mod assets;
pub mod consultations;
pub mod frame;
pub mod identity;
pub mod responsiveness;
pub mod session;
pub mod transparency;
pub mod words;

use crate::api::check;
use crate::auth::{Caller, Role as TokenRole};
use crate::error::{ApiError, Code};
use crate::routes::CONSOLE_ROLES;
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use frame::Frame;
use quytac_core::finding::Category;
use quytac_core::item::{Author, Item, Post, Role};
use quytac_core::workflow::{Action, CaseStatus};
use quytac_service::moderation::Decide;
use quytac_service::transparency::format_date;
use serde::Deserialize;
use serde_json::Value;
use session::Csrf;
pub use transparency::transparency_page;

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the page could not be rendered",
        )
            .into_response(),
    }
}

#[derive(Template)]
#[template(path = "denied.html")]
struct DeniedPage {
    frame: Frame,
    status: u16,
    title_vi: &'static str,
    title_en: &'static str,
    message_vi: String,
    message_en: String,
    next: String,
    csrf: String,
}

/// A console page refused to the caller (401 or 403), as HTML for the browser, in Vietnamese
/// and English. `next` is the page asked for, to sign in again with another token.
pub fn denied_page(status: StatusCode, message_vi: &str, message_en: &str, next: &str) -> Response {
    let (title_vi, title_en) = if status == StatusCode::UNAUTHORIZED {
        ("Cần đăng nhập", "Sign-in required")
    } else {
        ("Không có quyền truy cập", "Access denied")
    };
    (
        status,
        render(&DeniedPage {
            frame: Frame::plain(next),
            status: status.as_u16(),
            title_vi,
            title_en,
            message_vi: message_vi.into(),
            message_en: message_en.into(),
            next: url_encode(next),
            csrf: String::new(),
        }),
    )
        .into_response()
}

/// The 403 page for a signed-in role that may not open the console.
pub fn role_denied_page(role: TokenRole, next: &str) -> Response {
    denied_page(
        StatusCode::FORBIDDEN,
        &format!(
            "Vai trò {role} không được dùng bảng điều khiển kiểm duyệt; chỉ quản trị viên, \
             kiểm duyệt viên và người phúc thẩm được vào."
        ),
        &format!(
            "The role `{role}` may not use the moderation console; only admins, moderators \
             and reviewers may."
        ),
        next,
    )
}

fn bad_form(e: FormRejection) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<p>Biểu mẫu không hợp lệ / invalid form: {}</p>",
            escape(&e.body_text())
        )),
    )
        .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A run of the original text, highlighted when a finding covers it.
pub struct Segment {
    pub text: String,
    pub mark: Option<String>,
}

pub struct FindingView {
    pub rule: String,
    pub category: String,
    pub severity: String,
    pub evidence: String,
    pub message_vi: String,
    pub message_en: String,
}

/// Splits `text` at the findings' char offsets; overlapping findings keep the first.
pub fn segments(text: &str, result: &Value) -> (Vec<Segment>, Vec<FindingView>) {
    let findings: Vec<&Value> = result["findings"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let views = findings
        .iter()
        .map(|f| FindingView {
            rule: f["rule"].as_str().unwrap_or("").into(),
            category: f["category"].as_str().unwrap_or("").into(),
            severity: f["severity"].as_str().unwrap_or("").into(),
            evidence: f["evidence"].as_str().unwrap_or("").into(),
            message_vi: f["message_vi"].as_str().unwrap_or("").into(),
            message_en: f["message_en"].as_str().unwrap_or("").into(),
        })
        .collect();
    let mut spans: Vec<(usize, usize, String)> = findings
        .iter()
        .filter_map(|f| {
            let (s, e) = (f["start"].as_u64()? as usize, f["end"].as_u64()? as usize);
            Some((
                s,
                e,
                format!(
                    "{} · {}",
                    f["rule"].as_str().unwrap_or(""),
                    f["message_vi"].as_str().unwrap_or("")
                ),
            ))
        })
        .collect();
    spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    for (s, e, title) in spans {
        if s < at || e > chars.len() || s >= e {
            continue;
        }
        if s > at {
            out.push(Segment {
                text: chars[at..s].iter().collect(),
                mark: None,
            });
        }
        out.push(Segment {
            text: chars[s..e].iter().collect(),
            mark: Some(title),
        });
        at = e;
    }
    if at < chars.len() {
        out.push(Segment {
            text: chars[at..].iter().collect(),
            mark: None,
        });
    }
    (out, views)
}

// ---- public checker ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "checker.html")]
struct CheckerPage {
    frame: Frame,
    text: String,
    role: String,
    roles: Vec<&'static str>,
    checked: bool,
    verdict: String,
    label: String,
    segments: Vec<Segment>,
    findings: Vec<FindingView>,
    truncated: bool,
    /// Why the text was not checked (too long, busy, timed out); empty when it was.
    error: String,
}

impl CheckerPage {
    fn empty(frame: Frame, text: String, role: Role) -> CheckerPage {
        CheckerPage {
            frame,
            text,
            role: role.as_str().into(),
            roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
            checked: false,
            verdict: String::new(),
            label: String::new(),
            segments: Vec::new(),
            findings: Vec::new(),
            truncated: false,
            error: String::new(),
        }
    }
}

pub async fn checker_page(frame: Frame) -> Response {
    render(&CheckerPage::empty(frame, String::new(), Role::default()))
}

/// The checker page with the text as sent and why it was not checked, with the error's
/// status (and `Retry-After` when busy).
fn checker_refused(frame: Frame, text: String, role: Role, e: ApiError) -> Response {
    let mut page = CheckerPage::empty(frame, text, role);
    page.error = match e.code {
        Code::TextTooLong => format!("Văn bản quá dài / the text is too long: {}", e.message),
        Code::Busy => "Hệ thống đang bận, vui lòng thử lại sau giây lát / every checker is busy; try again in a moment".into(),
        Code::Timeout => "Kiểm tra quá thời gian / the check took too long".into(),
        _ => format!("Không kiểm tra được / the text could not be checked: {}", e.public_message()),
    };
    let mut response = render(&page);
    *response.status_mut() = e.code.status();
    if e.code == Code::Busy {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            crate::error::BUSY_RETRY_AFTER_SECS.into(),
        );
    }
    response
}

#[derive(Deserialize)]
pub struct CheckForm {
    text: String,
    #[serde(default)]
    role: Option<Role>,
}

pub async fn checker_submit(
    State(state): State<AppState>,
    frame: Frame,
    form: Result<Form<CheckForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return bad_form(e),
    };
    let deadline = std::time::Instant::now() + state.config.request_timeout;
    let role = f.role.unwrap_or_default();
    let item = Item::Post(Post {
        id: "web".into(),
        text: f.text.clone(),
        author: Author {
            role,
            ..Author::default()
        },
        engages: None,
        links: Vec::new(),
    });
    // The same limits and pool as `POST /v1/check`.
    let checked = match check::admit(&state.config.limits.check, &item) {
        Ok(size) => check::run_checks(&state, vec![item], size.chars, deadline).await,
        Err(e) => Err(e),
    };
    let result = match checked.map(|mut r| r.pop()) {
        Ok(Some(result)) => result,
        Ok(None) => {
            return checker_refused(
                frame,
                f.text,
                role,
                ApiError::new(Code::Internal, "no result"),
            )
        }
        Err(e) => return checker_refused(frame, f.text, role, e),
    };
    let truncated = result.truncated;
    let result = serde_json::to_value(result).unwrap_or(Value::Null);
    let (segments, findings) = segments(&f.text, &result);
    render(&CheckerPage {
        checked: true,
        verdict: result["verdict"].as_str().unwrap_or("").into(),
        label: result["label"].as_str().unwrap_or("").into(),
        segments,
        findings,
        truncated,
        ..CheckerPage::empty(frame, f.text, role)
    })
}

// ---- sign in -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    frame: Frame,
    next: String,
    error: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// Where to go after signing in: a local path (with its query) only, never another site.
/// `//host` and `/\host` are refused because browsers read both as a host; so are bytes that
/// cannot go into a `Location` header.
pub fn safe_next(next: Option<String>) -> String {
    local_path(next).unwrap_or_else(|| "/console/cases".into())
}

/// `next` when it is a path on this site (see [`safe_next`]).
fn local_path(next: Option<String>) -> Option<String> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && n.bytes().all(|b| b.is_ascii_graphic())
    })
}

pub async fn login_page(frame: Frame, q: Result<Query<NextQuery>, QueryRejection>) -> Response {
    render(&LoginPage {
        frame,
        next: safe_next(q.ok().and_then(|q| q.0.next)),
        error: String::new(),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn login_submit(
    State(state): State<AppState>,
    frame: Frame,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return bad_form(e),
    };
    let next = safe_next(f.next);
    let token = f.token.trim().to_string();
    let refused = |status: StatusCode, error: String| {
        (
            status,
            render(&LoginPage {
                frame: frame.clone(),
                next: next.clone(),
                error,
            }),
        )
            .into_response()
    };
    match state.auth.authenticate(&state.store, &token).await {
        // A valid token whose role may not use the console: say so, and set no cookie.
        Ok(caller) if !CONSOLE_ROLES.contains(&caller.role) => {
            refused(StatusCode::FORBIDDEN, login_refused(caller.role))
        }
        // The browser gets a new session's id, never the token.
        Ok(caller) => match state.service.open_session(&caller).await {
            Ok(opened) => {
                let cookie =
                    session::session_set_cookie(&state, &opened.id, opened.max_age.as_secs());
                ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
            }
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(e) if e.code == crate::error::Code::DatabaseUnavailable => e.into_response(),
        Err(e) if e.code == crate::error::Code::TokenRetired => refused(
            StatusCode::UNAUTHORIZED,
            format!(
                "Mã truy cập này do phiên bản cũ tạo ra và không còn dùng được; hãy xin quản \
                 trị viên một mã mới / {}",
                e.message
            ),
        ),
        Err(e) if e.code == crate::error::Code::TokenExpired => refused(
            StatusCode::UNAUTHORIZED,
            "Mã truy cập đã hết hạn / the token has expired".into(),
        ),
        Err(_) => refused(
            StatusCode::UNAUTHORIZED,
            "Mã truy cập không hợp lệ / invalid token".into(),
        ),
    }
}

fn login_refused(role: TokenRole) -> String {
    format!(
        "Vai trò {role} không được dùng bảng điều khiển kiểm duyệt / the role `{role}` may not \
         use the moderation console (admin, moderator and reviewer only)"
    )
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Sign-out: ends the session on the server (its id is refused from now on) and removes the
/// cookie. A live session's sign-out needs its CSRF token, like every console form.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    if let Some(id) = session::session_cookie(&headers) {
        match state.service.console_session(&id).await {
            Ok(live) => {
                let given = form.map(|f| f.0.csrf).unwrap_or_default();
                if !live.csrf_matches(&given) {
                    return session::cross_site_page("/console/cases");
                }
                if let Err(e) = state.service.end_session(&id).await {
                    return ApiError::from(e).into_response();
                }
            }
            Err(e) if e.kind == quytac_service::ErrorKind::DatabaseUnavailable => {
                return ApiError::from(e).into_response()
            }
            // Already ended or never was: only the cookie is left to remove.
            Err(_) => {}
        }
    }
    (
        [(header::SET_COOKIE, session::session_clear_cookie(&state))],
        Redirect::to("/"),
    )
        .into_response()
}

/// `GET /lang/{code}?next=…`: the language switch. Keeps the choice in a cookie (a year) and
/// goes back to the page it was asked from.
pub async fn switch_language(
    Path(code): Path<String>,
    q: Result<Query<NextQuery>, QueryRejection>,
) -> Response {
    let next = local_path(q.ok().and_then(|q| q.0.next)).unwrap_or_else(|| "/".into());
    match words::Lang::parse(&code) {
        Some(lang) => (
            [(
                header::SET_COOKIE,
                format!(
                    "{}={lang}; SameSite=Lax; Path=/; Max-Age=31536000",
                    frame::LANG_COOKIE
                ),
            )],
            Redirect::to(&next),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Html("<p lang=\"vi\">Không có ngôn ngữ này.</p><p lang=\"en\">No such language.</p>"),
        )
            .into_response(),
    }
}

// ---- moderation console --------------------------------------------------------------------

pub struct QueueRow {
    pub id: i64,
    pub post: String,
    pub author: String,
    pub status: String,
    pub source: String,
    pub verdict: String,
    pub snippet: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    frame: Frame,
    status: String,
    rows: Vec<QueueRow>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: Option<String>,
}

pub async fn queue_page(
    State(state): State<AppState>,
    frame: Frame,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Response {
    let status = q
        .ok()
        .and_then(|q| q.0.status)
        .and_then(|s| s.parse::<CaseStatus>().ok())
        .unwrap_or(CaseStatus::Open);
    let cases = match state.service.cases(Some(status), 500).await {
        Ok(c) => c.cases,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let rows = cases
        .into_iter()
        .map(|c| QueueRow {
            id: c.case.id,
            post: c.external_id,
            author: c.author_id.unwrap_or_default(),
            status: c.case.status.to_string(),
            source: c.case.source.to_string(),
            verdict: c.case.verdict.as_str().to_string(),
            snippet: c.text.chars().take(120).collect(),
        })
        .collect();
    render(&QueuePage {
        frame,
        status: status.to_string(),
        rows,
    })
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    frame: Frame,
    actor: String,
    csrf: String,
    id: i64,
    status: String,
    source: String,
    post: String,
    author: String,
    verdict: String,
    segments: Vec<Segment>,
    findings: Vec<FindingView>,
    history: Vec<String>,
    can_decide: bool,
    rules: Vec<(String, String)>,
    categories: Vec<&'static str>,
    actions: Vec<(&'static str, &'static str)>,
    suggested_rule: String,
    suggested_category: String,
    error: String,
}

async fn case_response(
    state: &AppState,
    frame: Frame,
    caller: &Caller,
    csrf: String,
    id: i64,
    error: String,
) -> Response {
    let detail = match state.service.case(id).await {
        Ok(d) => d,
        Err(e) if e.kind == quytac_service::ErrorKind::NotFound => {
            return (
                StatusCode::NOT_FOUND,
                Html("<p>Không có hồ sơ này / no such case</p>".to_string()),
            )
                .into_response()
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (segments, findings) = segments(&detail.post.text, &detail.post.result);
    let mut history = Vec::new();
    for r in &detail.reports {
        history.push(format!(
            "Báo cáo #{} bởi {}: {} — kết quả: {}",
            r.id,
            r.reporter,
            r.note,
            r.outcome.map_or("đang chờ", |o| o.as_str())
        ));
    }
    for t in &detail.takedowns {
        history.push(format!(
            "Yêu cầu gỡ #{} từ {} ({}), hạn {} — {}",
            t.id,
            t.authority,
            t.legal_basis,
            format_date(t.deadline),
            t.status
        ));
    }
    for d in &detail.decisions {
        history.push(format!(
            "Quyết định #{}: {} / {} → {} bởi {}{}: {}",
            d.id,
            d.rule_id,
            d.category,
            d.action,
            d.moderator,
            if d.on_appeal { " (phúc thẩm)" } else { "" },
            d.statement
        ));
    }
    for a in &detail.appeals {
        history.push(format!(
            "Khiếu nại #{} bởi {}: {} — {}",
            a.id, a.appellant, a.reason, a.status
        ));
    }
    let suggested = findings.first();
    render(&CasePage {
        frame,
        actor: caller.name(),
        csrf,
        id,
        status: detail.case.status.to_string(),
        source: detail.case.source.to_string(),
        post: detail.post.external_id.clone(),
        author: detail.post.author_id.clone().unwrap_or_default(),
        verdict: detail.case.verdict.as_str().to_string(),
        can_decide: detail.case.status != CaseStatus::Decided,
        suggested_rule: suggested.map(|f| f.rule.clone()).unwrap_or_default(),
        suggested_category: suggested.map(|f| f.category.clone()).unwrap_or_default(),
        segments,
        findings,
        history,
        rules: state
            .service
            .engine()
            .pack()
            .rules
            .iter()
            .map(|r| (r.id.clone(), r.message_vi.chars().take(60).collect()))
            .collect(),
        categories: Category::ALL.iter().map(|c| c.as_str()).collect(),
        actions: Action::ALL
            .iter()
            .map(|a| (a.as_str(), a.name_vi()))
            .collect(),
        error,
    })
}

pub async fn case_page(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    Path(id): Path<i64>,
) -> Response {
    case_response(&state, frame, &caller, csrf, id, String::new()).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    rule: String,
    category: String,
    action: String,
    statement: String,
}

pub async fn case_decide(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    Path(id): Path<i64>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return bad_form(e),
    };
    let (Ok(category), Ok(action)) = (f.category.parse::<Category>(), f.action.parse::<Action>())
    else {
        return case_response(
            &state,
            frame,
            &caller,
            csrf,
            id,
            "Danh mục hoặc biện pháp không hợp lệ / invalid category or action".into(),
        )
        .await;
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
        // The form again, with the reason it was refused, under the error's own status.
        Err(e) => {
            let e = ApiError::from(e);
            let page = case_response(&state, frame, &caller, csrf, id, e.message).await;
            if page.status().is_success() {
                (e.code.status(), page).into_response()
            } else {
                page
            }
        }
    }
}

// ---- charts (the transparency page is web/transparency.rs) ----------------------------------

pub(crate) const PALETTE: [&str; 8] = [
    "#b3261e", "#1f6feb", "#2da44e", "#bf8700", "#8250df", "#cf222e", "#0a7b83", "#6e7781",
];

/// One bar of a [`stacked_bar_chart`]: the label under it, the name its tooltips start with,
/// and its parts (series name, value), drawn from the bottom up.
pub struct Bar {
    pub label: String,
    pub title: String,
    pub parts: Vec<(String, i64)>,
}

/// An inline-SVG stacked bar chart (no script, no stylesheet): one bar per entry, a rect with
/// a tooltip (`class="bar"`) per part above zero, the largest total on the axis, and a legend
/// of `series` (name, colour) in order.
pub fn stacked_bar_chart(aria_label: &str, series: &[(String, &str)], bars: &[Bar]) -> String {
    let colour = |name: &str| {
        series
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| *c)
            .unwrap_or(PALETTE[0])
    };
    let (w, h, left, bottom, top) = (640.0_f64, 260.0_f64, 40.0, 40.0, 10.0);
    let max = bars
        .iter()
        .map(|b| b.parts.iter().map(|(_, v)| *v).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = bars.len().max(1) as f64;
    let slot = (w - left - 10.0) / n;
    let bar = (slot * 0.7).min(60.0);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        escape(aria_label)
    );
    svg.push_str(&format!(
        r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#888"/>"##,
        h - bottom,
        w - 10.0,
        h - bottom
    ));
    svg.push_str(&format!(
        r#"<text x="4" y="{}" font-size="11">{}</text>"#,
        top + 10.0,
        max as i64
    ));
    for (i, b) in bars.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = h - bottom;
        for (name, count) in b.parts.iter().filter(|(_, c)| *c > 0) {
            let bh = (*count as f64 / max) * (h - bottom - top);
            y -= bh;
            svg.push_str(&format!(
                r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{}"><title>{} · {}: {}</title></rect>"#,
                colour(name),
                escape(&b.title),
                escape(name),
                count
            ));
        }
        svg.push_str(&format!(
            r#"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle">{}</text>"#,
            x + bar / 2.0,
            h - bottom + 14.0,
            escape(&b.label)
        ));
    }
    for (i, (name, c)) in series.iter().enumerate() {
        let x = left + 90.0 * i as f64;
        svg.push_str(&format!(r#"<rect x="{x}" y="{}" width="10" height="10" fill="{c}"/><text x="{}" y="{}" font-size="11">{}</text>"#, h - 14.0, x + 14.0, h - 5.0, escape(name)));
    }
    svg.push_str("</svg>");
    svg
}
