//! The web console, rendered on the server (askama): the public checker, the moderation
//! queue, a case page with the decision form, and the transparency report with an inline-SVG
//! chart. Scripts and styles are files the app serves (`assets.rs`), none inline, so the
//! Content-Security-Policy (`headers.rs`) forbids inline script. Signing in with a token opens
//! a server-side session (`session.rs`); its forms carry the session's CSRF token.

pub mod assets;
pub mod complaints;
pub mod console;
pub mod consultations;
pub mod errors;
pub mod frame;
pub mod help;
pub mod identity;
pub mod inbox;
pub mod inquiries;
pub mod responsiveness;
pub mod session;
pub mod sign_in;
pub mod transparency;
pub mod words;

use crate::api::check;
use crate::auth::Role as TokenRole;
use crate::error::{ApiError, Code};
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use frame::Frame;
use quytac_core::item::{Author, Item, Post, Role};
use serde::Deserialize;
use serde_json::Value;
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

pub(crate) fn render(t: &impl Template) -> Response {
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
    let (vi, en) = (
        words::say(words::Lang::Vi, &format!("staff_role.{role}")),
        words::say(words::Lang::En, &format!("staff_role.{role}")),
    );
    denied_page(
        StatusCode::FORBIDDEN,
        &format!(
            "Vai trò «{vi}» không được dùng bảng điều khiển kiểm duyệt; chỉ quản trị viên, \
             kiểm duyệt viên và người phúc thẩm được vào."
        ),
        &format!(
            "The role «{en}» may not use the moderation console; only administrators, \
             moderators and reviewers may."
        ),
        next,
    )
}

pub(crate) fn bad_form(e: FormRejection) -> Response {
    errors::bad_form(e)
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
    /// The number of the finding a marked run belongs to (1-based, as the findings are
    /// listed), so the page can point from the mark to its explanation in text.
    pub note: usize,
}

pub struct FindingView {
    pub rule: String,
    pub category: String,
    pub severity: String,
    pub evidence: String,
    pub message_vi: String,
    pub message_en: String,
    /// The kind of personal data (`cccd`, `phone`…), empty for other findings.
    pub kind: String,
}

/// Splits `text` at the findings' char offsets; overlapping findings keep the first. The
/// marks' titles are in Vietnamese (see [`segments_in`]).
pub fn segments(text: &str, result: &Value) -> (Vec<Segment>, Vec<FindingView>) {
    segments_in(text, result, words::Lang::Vi)
}

/// [`segments`] with the marks' titles (rule · message) in `lang`.
pub fn segments_in(
    text: &str,
    result: &Value,
    lang: words::Lang,
) -> (Vec<Segment>, Vec<FindingView>) {
    let message = match lang {
        words::Lang::Vi => "message_vi",
        words::Lang::En => "message_en",
    };
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
            kind: f["kind"].as_str().unwrap_or("").into(),
        })
        .collect();
    let mut spans: Vec<(usize, usize, usize, String)> = findings
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let (s, e) = (f["start"].as_u64()? as usize, f["end"].as_u64()? as usize);
            Some((
                s,
                e,
                i + 1,
                format!(
                    "{} · {}",
                    f["rule"].as_str().unwrap_or(""),
                    f[message].as_str().unwrap_or("")
                ),
            ))
        })
        .collect();
    spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    for (s, e, note, title) in spans {
        if s < at || e > chars.len() || s >= e {
            continue;
        }
        if s > at {
            out.push(Segment {
                text: chars[at..s].iter().collect(),
                mark: None,
                note: 0,
            });
        }
        out.push(Segment {
            text: chars[s..e].iter().collect(),
            mark: Some(title),
            note,
        });
        at = e;
    }
    if at < chars.len() {
        out.push(Segment {
            text: chars[at..].iter().collect(),
            mark: None,
            note: 0,
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
    let key = match e.code {
        Code::TextTooLong => "checker.error_too_long",
        Code::Busy => "checker.error_busy",
        Code::Timeout => "checker.error_timeout",
        Code::InvalidField => "checker.error_empty",
        _ => "checker.error_other",
    };
    page.error = page.frame.say(key);
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
    // An empty box is a mistake to point out, not a text that passes.
    if f.text.trim().is_empty() {
        return checker_refused(
            frame,
            f.text,
            role,
            ApiError::new(Code::InvalidField, "no text to check"),
        );
    }
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
    let (segments, findings) = segments_in(&f.text, &result, frame.lang);
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

// ---- where to go after signing in (sign-in itself: `sign_in.rs`) ---------------------------

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    pub next: Option<String>,
}

/// Where to go after signing in: a local path (with its query) only, never another site.
/// `//host` and `/\host` are refused because browsers read both as a host; so are bytes that
/// cannot go into a `Location` header.
pub fn safe_next(next: Option<String>) -> String {
    local_path(next).unwrap_or_else(|| "/console/cases".into())
}

/// `next` when it is a path on this site (see [`safe_next`]).
pub fn local_path(next: Option<String>) -> Option<String> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && n.bytes().all(|b| b.is_ascii_graphic())
    })
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
        None => errors::error_page(
            Frame::plain(""),
            StatusCode::NOT_FOUND,
            errors::Trouble::NotFound,
        ),
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
    // Scales with its box (the stylesheet gives it the page's width): no fixed size.
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" preserveAspectRatio="xMidYMid meet" role="img" aria-label="{}">"#,
        escape(aria_label)
    );
    // Series are told apart by a texture as well as a colour (WCAG 1.4.1): one pattern per
    // series, drawn over its colour in the bars and the legend. Ids are unique to the chart.
    let id = format!("c{:x}", fnv(aria_label));
    svg.push_str("<defs>");
    for i in 0..series.len() {
        svg.push_str(&format!(
            r#"<pattern id="{id}-p{i}" width="8" height="8" patternUnits="userSpaceOnUse">{}</pattern>"#,
            HATCHES[i % HATCHES.len()]
        ));
    }
    svg.push_str("</defs>");
    let hatch = |name: &str| {
        series
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| format!("url(#{id}-p{i})"))
            .unwrap_or_else(|| "none".into())
    };
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
            svg.push_str(&format!(
                r#"<rect class="hatch" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{}" aria-hidden="true"/>"#,
                hatch(name)
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
        svg.push_str(&format!(r##"<rect x="{x}" y="{}" width="10" height="10" fill="{c}"/><rect x="{x}" y="{}" width="10" height="10" fill="{}" stroke="#1f2328" stroke-width="0.5"/><text x="{}" y="{}" font-size="11">{}</text>"##, h - 14.0, h - 14.0, hatch(name), x + 14.0, h - 5.0, escape(name)));
    }
    svg.push_str("</svg>");
    svg
}

/// The textures that tell a chart's series apart beside their colours (white strokes over
/// the colour): none, diagonal lines, dots, horizontal lines, crosshatch, vertical lines.
const HATCHES: [&str; 6] = [
    "",
    r##"<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#fff" stroke-width="1.5"/>"##,
    r##"<circle cx="4" cy="4" r="1.6" fill="#fff"/>"##,
    r##"<path d="M0,4 h8" stroke="#fff" stroke-width="1.5"/>"##,
    r##"<path d="M0,0 l8,8 M8,0 l-8,8" stroke="#fff" stroke-width="1.2"/>"##,
    r##"<path d="M4,0 v8" stroke="#fff" stroke-width="1.5"/>"##,
];

/// A small stable hash (FNV-1a) to make a chart's pattern ids its own.
fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}
