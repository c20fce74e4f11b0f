//! What every web page shows around its content: the language it is written in, who is
//! signed in (with the CSRF token of the sign-out form), and the path asked for (for the
//! language switch and for coming back after signing in). Every page's template struct has a
//! `frame: Frame` field and extends `base.html`, which draws the menu from it.

use super::session::{self, Csrf};
use super::words::{self, Lang};
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

/// The cookie that keeps a reader's choice of language (set by the language switch).
pub const LANG_COOKIE: &str = "quytac_lang";

#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub lang: Lang,
    /// Who is signed in, as the menu names them.
    pub signed_in: Option<String>,
    /// The session's CSRF token for the sign-out form; empty when nobody is signed in.
    pub csrf: String,
    /// The path and query of this page.
    pub path: String,
}

impl Frame {
    /// The words for `key` (`group.code`) in this page's language.
    pub fn say(&self, key: &str) -> String {
        words::say(self.lang, key)
    }

    /// The words for a code of a group (`group`, `code`), e.g. a case status.
    pub fn code(&self, group: &str, code: &str) -> String {
        words::say(self.lang, &format!("{group}.{code}"))
    }

    /// The code of the language the switch offers.
    pub fn other_lang(&self) -> Lang {
        match self.lang {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// This page's path and query, encoded for a `next=` parameter.
    pub fn path_param(&self) -> String {
        super::url_encode(&self.path)
    }

    /// A frame for a page drawn without the request at hand (Vietnamese, nobody named).
    pub fn plain(path: &str) -> Frame {
        Frame {
            path: path.to_string(),
            ..Frame::default()
        }
    }
}

/// The reader's language: the switch's cookie, else `Accept-Language`, else Vietnamese.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .and_then(|(_, v)| Lang::parse(v));
    cookie.unwrap_or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::Vi, Lang::from_accept_language)
    })
}

impl FromRequestParts<AppState> for Frame {
    type Rejection = std::convert::Infallible;

    /// A console page has its caller from the authorisation middleware; a public page looks
    /// the session cookie up (an ended or unreadable session shows nobody signed in).
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let lang = lang_of(&parts.headers);
        let (signed_in, csrf) = match parts.extensions.get::<Caller>() {
            Some(caller) => (
                Some(
                    parts
                        .extensions
                        .get::<super::sign_in::SignedInName>()
                        .map_or_else(|| caller.name(), |n| n.0.clone()),
                ),
                parts
                    .extensions
                    .get::<Csrf>()
                    .cloned()
                    .unwrap_or_default()
                    .0,
            ),
            None => match session::session_cookie(&parts.headers) {
                Some(id) => match state.service.console_session(&id).await {
                    Ok(live) => (Some(live.shown_name()), live.csrf),
                    Err(_) => (None, String::new()),
                },
                None => (None, String::new()),
            },
        };
        Ok(Frame {
            lang,
            signed_in,
            csrf,
            path,
        })
    }
}
