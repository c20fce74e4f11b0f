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

tokio::task_local! {
    /// The reader's language and the path asked for, while a page's request is served (set
    /// by [`super::errors::html_errors`]), for pages drawn without the request at hand.
    pub static PAGE: (Lang, String);
}

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

    /// Whether the page is in English (to pick the English one of two texts a record holds,
    /// such as a finding's `message_en`).
    pub fn en(&self) -> bool {
        self.lang == Lang::En
    }

    /// Of a Vietnamese and an English text, the one in this page's language.
    pub fn pick<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        if self.en() {
            en
        } else {
            vi
        }
    }

    /// An actor's name (`role:id`, as the audit log and the records keep it) in words:
    /// `reviewer:demo` → "Người phúc thẩm demo". Other names are shown as they are.
    pub fn actor(&self, name: &str) -> String {
        match name.split_once(':') {
            Some((role, who)) if words::known(&format!("staff_role.{role}")) => {
                format!("{} {who}", self.say(&format!("staff_role.{role}")))
            }
            _ => name.to_string(),
        }
    }

    /// ` aria-current="page"` when this page is the menu entry `href` (the entry's own page
    /// or one under it), so the menu tells where the reader is beyond colour.
    pub fn current(&self, href: &str) -> &'static str {
        let path = self.path.split('?').next().unwrap_or("");
        let here = if href == "/" {
            path == "/"
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        };
        if here {
            r#" aria-current="page""#
        } else {
            ""
        }
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

    /// A frame for a page drawn without the request at hand: the reader's language when a
    /// page's request is being served (else Vietnamese), nobody named. An empty `path` is
    /// the path being served.
    pub fn plain(path: &str) -> Frame {
        let (lang, here) = PAGE
            .try_with(|p| p.clone())
            .unwrap_or((Lang::Vi, "/".to_string()));
        Frame {
            lang,
            path: if path.is_empty() {
                here
            } else {
                path.to_string()
            },
            ..Frame::default()
        }
    }

    /// The frame of a request from its headers: the language, and who is signed in — the
    /// console's caller when the authorisation middleware found one, else the session cookie
    /// looked up (an ended or unreadable session shows nobody signed in).
    pub async fn of_request(
        state: &AppState,
        headers: &HeaderMap,
        shown: Option<String>,
        csrf: Option<&Csrf>,
        path: String,
    ) -> Frame {
        let lang = lang_of(headers);
        let (signed_in, csrf) = match shown {
            Some(name) => (Some(name), csrf.cloned().unwrap_or_default().0),
            None => match session::session_cookie(headers) {
                Some(id) => match state.service.console_session(&id).await {
                    Ok(live) => (Some(live.shown_name()), live.csrf),
                    Err(_) => (None, String::new()),
                },
                None => (None, String::new()),
            },
        };
        Frame {
            lang,
            signed_in,
            csrf,
            path,
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
        // A signed-in person is shown by their display name, a token by its role and id.
        let shown = parts.extensions.get::<Caller>().map(|caller| {
            parts
                .extensions
                .get::<super::sign_in::SignedInName>()
                .map_or_else(|| caller.name(), |n| n.0.clone())
        });
        Ok(Frame::of_request(
            state,
            &parts.headers,
            shown,
            parts.extensions.get::<Csrf>(),
            path,
        )
        .await)
    }
}
