//! Security headers, one layer over every answer: `nosniff` everywhere, and on every HTML page
//! a Content-Security-Policy without `unsafe-inline` (scripts and styles are the app's own
//! files, `web/assets.rs`), no framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), a
//! `Referrer-Policy`, and `Cache-Control: no-store` (console pages hold personal data and
//! CSRF tokens; no page is worth a stale copy). `Strict-Transport-Security` when the service
//! is reached over HTTPS (`Config::behind_https`).

use axum::http::{header, HeaderValue};
use axum::response::Response;

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                       img-src 'self' data:; connect-src 'self'; form-action 'self'; \
                       base-uri 'none'; frame-ancestors 'none'";

/// Adds the headers to one answer.
pub fn secure(mut response: Response, behind_https: bool) -> Response {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if behind_https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
