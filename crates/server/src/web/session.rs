//! The console's sign-in state in the browser, and the doors of its forms.
//!
//! - The cookie `quytac_session` holds a session id (not the API token): `HttpOnly;
//!   SameSite=Strict; Path=/`, `Secure` when the service is reached over HTTPS
//!   (`Config::behind_https`), and a `Max-Age` of the session's absolute lifetime. The
//!   service keeps only the id's hash (`quytac_service::sessions`).
//! - Every form posted to the console carries the session's CSRF token (`csrf`), and every
//!   form post — console or sign-in/sign-out — is refused when the browser says it comes from
//!   another site (`Sec-Fetch-Site`, else `Origin` against `Host`): 403 with a page in
//!   Vietnamese and English.

use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;

pub const COOKIE: &str = "quytac_session";

/// The session id in the request's cookie, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

fn secure(state: &AppState) -> &'static str {
    if state.config.behind_https {
        "; Secure"
    } else {
        ""
    }
}

/// The `Set-Cookie` value of a new session.
pub fn session_set_cookie(state: &AppState, id: &str, max_age_secs: u64) -> String {
    format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{}",
        secure(state)
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn session_clear_cookie(state: &AppState) -> String {
    format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        secure(state)
    )
}

/// Whether the method changes something (the forms' POST).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the browser says this request comes from another site. `Sec-Fetch-Site` (sent by
/// every current browser) is believed when present: only `same-origin` and `none` (typed by
/// the user) pass. Without it, an `Origin` must name this host. A request with neither is not
/// from a browser's cross-site form (command-line clients send neither; the console's CSRF
/// token still guards its forms).
pub fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return true;
    };
    let origin = origin.to_str().unwrap_or("");
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    authority.is_none_or(|a| !a.eq_ignore_ascii_case(host))
}

/// The 403 page of a refused cross-site or token-less form post.
pub fn cross_site_page(next: &str) -> Response {
    super::denied_page(
        StatusCode::FORBIDDEN,
        "Yêu cầu bị từ chối: biểu mẫu này được gửi từ một trang web khác, hoặc thiếu mã \
         chống giả mạo (CSRF) của phiên đăng nhập. Hãy mở lại trang trên quytac và gửi lại.",
        "Refused: this form was sent from another site, or without the session's CSRF token. \
         Open the page on quytac again and send it from there.",
        next,
    )
}

/// The `csrf` field of a URL-encoded form body.
pub fn form_csrf(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
}

/// The CSRF token of the signed-in session, for the forms of a console page (put in the
/// request by the authorisation middleware).
#[derive(Debug, Clone, Default)]
pub struct Csrf(pub String);

impl FromRequestParts<AppState> for Csrf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Csrf>().cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn tells_cross_site_posts() {
        let host = ("host", "quytac.example:8080");
        assert!(!cross_site(&headers(&[host])));
        assert!(!cross_site(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(cross_site(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(cross_site(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!cross_site(&headers(&[
            host,
            ("origin", "http://quytac.example:8080")
        ])));
        assert!(cross_site(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(cross_site(&headers(&[host, ("origin", "null")])));
        assert!(cross_site(&headers(&[
            host,
            ("origin", "http://quytac.example:8080.evil.example")
        ])));
    }

    #[test]
    fn reads_the_csrf_field() {
        assert_eq!(form_csrf(b"a=1&csrf=abc%20d&b=2").as_deref(), Some("abc d"));
        assert_eq!(form_csrf(b"a=1"), None);
    }
}
