//! Every error a browser meets is an HTML page in the reader's language. A middleware
//! ([`html_errors`]) turns the JSON errors and plain-text rejections of a web page's path —
//! an unknown page, a method the page does not take, an unreadable query or path parameter,
//! a form too large, a database that does not answer, a timeout, a panic — into the page
//! [`error_page`] draws. `/v1/*` and the machine files (`/openapi.json`, `/healthz`,
//! `/metrics`, `/.well-known/*`, `*.json`, `/static/*`) keep their JSON errors (see the
//! contract). Handlers that refuse a form call [`bad_form`] or [`error_page`] themselves.

use super::frame::{self, Frame};
use super::words::{self, Lang};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

/// What went wrong, as the error page tells it (a `error.<kind>_title` and `_text` pair of
/// the translation table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    NotFound,
    Method,
    BadAddress,
    BadForm,
    TooLarge,
    SignIn,
    Denied,
    TooMany,
    Busy,
    DatabaseDown,
    Internal,
}

impl Trouble {
    pub fn key(self) -> &'static str {
        match self {
            Trouble::NotFound => "not_found",
            Trouble::Method => "method",
            Trouble::BadAddress => "bad_address",
            Trouble::BadForm => "bad_form",
            Trouble::TooLarge => "too_large",
            Trouble::SignIn => "sign_in",
            Trouble::Denied => "denied",
            Trouble::TooMany => "too_many",
            Trouble::Busy => "busy",
            Trouble::DatabaseDown => "database_down",
            Trouble::Internal => "internal",
        }
    }

    pub const ALL: [Trouble; 11] = [
        Trouble::NotFound,
        Trouble::Method,
        Trouble::BadAddress,
        Trouble::BadForm,
        Trouble::TooLarge,
        Trouble::SignIn,
        Trouble::Denied,
        Trouble::TooMany,
        Trouble::Busy,
        Trouble::DatabaseDown,
        Trouble::Internal,
    ];

    /// The trouble of an error answer: its status, and the API's error code when there is
    /// one (`database_unavailable` and `busy` are both 503).
    fn of(status: StatusCode, code: Option<&str>) -> Trouble {
        match (status.as_u16(), code) {
            (_, Some("database_unavailable")) => Trouble::DatabaseDown,
            (_, Some("busy" | "timeout" | "queue_unavailable")) => Trouble::Busy,
            (404, _) => Trouble::NotFound,
            (405, _) => Trouble::Method,
            (401, _) => Trouble::SignIn,
            (403, _) => Trouble::Denied,
            (413, _) => Trouble::TooLarge,
            (415 | 422, _) => Trouble::BadForm,
            (429, _) => Trouble::TooMany,
            (400..=499, _) => Trouble::BadAddress,
            (503, _) => Trouble::Busy,
            _ => Trouble::Internal,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    frame: Frame,
    status: u16,
    title: String,
    text: String,
    request_id: String,
}

/// The error page for `trouble`, answered with `status`.
pub fn error_page(frame: Frame, status: StatusCode, trouble: Trouble) -> Response {
    let page = ErrorPage {
        title: frame.say(&format!("error.{}_title", trouble.key())),
        text: frame.say(&format!("error.{}_text", trouble.key())),
        request_id: crate::observe::current_request_id().unwrap_or_default(),
        status: status.as_u16(),
        frame,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, Html(words::say(Lang::Vi, "error.internal_title"))).into_response(),
    }
}

/// A form that could not be read (a field missing or of the wrong type): the error page,
/// never axum's English rejection text.
pub fn bad_form(e: axum::extract::rejection::FormRejection) -> Response {
    tracing::debug!(error = %e.body_text(), "unreadable form");
    let status = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::BAD_REQUEST
    };
    let trouble = if status == StatusCode::PAYLOAD_TOO_LARGE {
        Trouble::TooLarge
    } else {
        Trouble::BadForm
    };
    error_page(Frame::plain(""), status, trouble)
}

/// Whether `path` is a page for people (its errors are HTML) rather than a machine's.
pub fn is_page_path(path: &str) -> bool {
    !(path == "/v1"
        || path.starts_with("/v1/")
        || path.starts_with("/.well-known/")
        || path.starts_with("/static/")
        || path.ends_with(".json")
        || matches!(path, "/healthz" | "/metrics"))
}

fn is_html(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// Middleware: on a page's path, runs the request with the reader's language and path at
/// hand (for [`Frame::plain`]) and turns an error answer that is not HTML into the error page.
pub async fn html_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !is_page_path(&path) {
        return next.run(req).await;
    }
    let here = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let lang = frame::lang_of(req.headers());
    let headers: HeaderMap = req.headers().clone();
    let response = frame::PAGE.scope((lang, here.clone()), next.run(req)).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // A whole page (one that extends base.html) is kept; a bare fragment such as
    // `<p>no such case</p>` is not a page a person should meet.
    let response = if is_html(&response) {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 4 * 1024 * 1024)
            .await
            .unwrap_or_default();
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).to_ascii_lowercase();
        let whole = Response::from_parts(parts, axum::body::Body::from(bytes));
        if head.trim_start().starts_with("<!doctype html") {
            return whole;
        }
        whole
    } else {
        response
    };
    let retry_after: Option<HeaderValue> = response.headers().get(header::RETRY_AFTER).cloned();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let code = if json {
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
    } else {
        None
    };
    let trouble = Trouble::of(status, code.as_deref());
    // Who is signed in, unless the database is what failed.
    let frame = if status.is_server_error() {
        Frame {
            lang,
            path: here,
            ..Frame::default()
        }
    } else {
        Frame::of_request(&state, &headers, None, None, here).await
    };
    let mut page = error_page(frame, status, trouble);
    if let Some(v) = retry_after {
        page.headers_mut().insert(header::RETRY_AFTER, v);
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trouble_has_words_in_the_table() {
        for t in Trouble::ALL {
            for part in ["title", "text"] {
                let key = format!("error.{}_{part}", t.key());
                assert!(words::known(&key), "{key} is not in the table");
            }
        }
    }

    #[test]
    fn machine_paths_keep_json_errors() {
        for p in [
            "/v1",
            "/v1/nothing",
            "/openapi.json",
            "/healthz",
            "/metrics",
        ] {
            assert!(!is_page_path(p), "{p}");
        }
        for p in [
            "/.well-known/quytac-keys.json",
            "/static/x.css",
            "/directory/agencies/x/badge.json",
        ] {
            assert!(!is_page_path(p), "{p}");
        }
        for p in [
            "/",
            "/nothing",
            "/console/cases/abc",
            "/transparency",
            "/v1x",
        ] {
            assert!(is_page_path(p), "{p}");
        }
    }

    #[test]
    fn a_status_and_code_tell_the_trouble() {
        let t = |s: u16, c: Option<&str>| Trouble::of(StatusCode::from_u16(s).unwrap(), c);
        assert_eq!(t(503, Some("database_unavailable")), Trouble::DatabaseDown);
        assert_eq!(t(503, Some("busy")), Trouble::Busy);
        assert_eq!(t(404, Some("not_found")), Trouble::NotFound);
        assert_eq!(t(400, None), Trouble::BadAddress);
        assert_eq!(t(405, None), Trouble::Method);
        assert_eq!(t(422, Some("invalid_field")), Trouble::BadForm);
        assert_eq!(t(500, None), Trouble::Internal);
    }
}
