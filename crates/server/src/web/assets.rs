//! The pages' stylesheet and script, served by the app from files embedded at build time, so
//! the Content-Security-Policy allows `'self'` and nothing inline.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../static/quytac.css");
const VERIFY_JS: &str = include_str!("../../static/verify.js");
const CONSOLE_JS: &str = include_str!("../../static/console.js");
const CONSOLE_CSS: &str = include_str!("../../static/console.css");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

/// The directory pages' check of signed records in the browser (WebCrypto Ed25519).
pub async fn verify_script() -> Response {
    asset("text/javascript; charset=utf-8", VERIFY_JS)
}

/// The moderation queue's keyboard shortcuts.
pub async fn console_script() -> Response {
    asset("text/javascript; charset=utf-8", CONSOLE_JS)
}

/// The moderation console's stylesheet.
pub async fn console_stylesheet() -> Response {
    asset("text/css; charset=utf-8", CONSOLE_CSS)
}
