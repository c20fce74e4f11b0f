//! Signing in to the console (issue 14): with a username and a password (staff users made by
//! an admin, `quytac_service::users`), or with an API token (machines, and anyone holding
//! one); signing out of this session (`POST /logout`) or of every session of the person
//! (`POST /console/account/sign-out-everywhere`, from the account page `/console/account`).
//!
//! A password sign-in is counted against the username and the client (the peer's address):
//! after too many failures both are locked for some minutes and told so in Vietnamese. The
//! password is verified on the blocking pool, never on the async runtime.

use super::frame::Frame;
use super::session;
use super::words::say;
use super::{bad_form, render, safe_next, NextQuery};
use crate::error::{ApiError, Code};
use crate::routes::{CONSOLE_ROLES, SIGN_IN_ROLES};
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use quytac_service::ErrorKind;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The name the menu shows for the signed-in person of a console page (a user's display
/// name, or a token's `role:id`), put in the request by the authorisation middleware.
#[derive(Debug, Clone)]
pub struct SignedInName(pub String);

/// The client's address (the peer's), for counting failed sign-ins.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    frame: Frame,
    next: String,
    error: String,
    username: String,
}

pub async fn login_page(frame: Frame, q: Result<Query<NextQuery>, QueryRejection>) -> Response {
    render(&LoginPage {
        frame,
        next: safe_next(q.ok().and_then(|q| q.0.next)),
        error: String::new(),
        username: String::new(),
    })
}

/// The sign-in form: a username and a password, or a token (the second form on the page).
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn login_submit(
    State(state): State<AppState>,
    frame: Frame,
    ClientIp(client): ClientIp,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return bad_form(e),
    };
    let next = safe_next(f.next);
    let lang = frame.lang;
    let username = f.username.trim().to_string();
    let refused = |status: StatusCode, error: String| {
        (
            status,
            render(&LoginPage {
                frame: frame.clone(),
                next: next.clone(),
                error,
                username: username.clone(),
            }),
        )
            .into_response()
    };
    let token = f.token.trim().to_string();
    if token.is_empty() {
        if username.is_empty() || f.password.is_empty() {
            return refused(StatusCode::BAD_REQUEST, say(lang, "sign_in.missing"));
        }
        return match state
            .service
            .sign_in(&username, &f.password, client, SIGN_IN_ROLES)
            .await
        {
            Ok(signed) => {
                let next = landing(signed.actor.role, &next);
                let cookie = session::session_set_cookie(
                    &state,
                    &signed.session.id,
                    signed.session.max_age.as_secs(),
                );
                ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
            }
            Err(e) => match e.kind {
                ErrorKind::InvalidCredentials => refused(
                    StatusCode::UNAUTHORIZED,
                    say(lang, "sign_in.wrong_password"),
                ),
                ErrorKind::SignInLocked => refused(
                    StatusCode::TOO_MANY_REQUESTS,
                    say(lang, "sign_in.locked").replace(
                        "{minutes}",
                        &state.config.sign_in.lock.as_secs().div_ceil(60).to_string(),
                    ),
                ),
                ErrorKind::UserDisabled => {
                    refused(StatusCode::FORBIDDEN, say(lang, "sign_in.disabled"))
                }
                ErrorKind::Forbidden => {
                    refused(StatusCode::FORBIDDEN, say(lang, "sign_in.role_refused"))
                }
                _ => ApiError::from(e).into_response(),
            },
        };
    }
    match state.auth.authenticate(&state.store, &token).await {
        // A valid token whose role may not use the console: say so, and set no cookie.
        Ok(caller) if !SIGN_IN_ROLES.contains(&caller.role) => {
            refused(StatusCode::FORBIDDEN, say(lang, "sign_in.role_refused"))
        }
        // The browser gets a new session's id, never the token.
        Ok(caller) => match state.service.open_session(&caller).await {
            Ok(opened) => {
                let next = landing(caller.role, &next);
                let cookie =
                    session::session_set_cookie(&state, &opened.id, opened.max_age.as_secs());
                ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
            }
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(e) if e.code == Code::DatabaseUnavailable => e.into_response(),
        Err(e) if e.code == Code::TokenRetired => {
            refused(StatusCode::UNAUTHORIZED, say(lang, "sign_in.token_retired"))
        }
        Err(e) if e.code == Code::TokenExpired => {
            refused(StatusCode::UNAUTHORIZED, say(lang, "sign_in.token_expired"))
        }
        Err(_) => refused(StatusCode::UNAUTHORIZED, say(lang, "sign_in.token_invalid")),
    }
}

/// Where a new session goes: the page asked for, except that an officer sent to the default
/// (the moderation queue, which is not theirs) lands in their inbox.
fn landing(role: crate::auth::Role, next: &str) -> String {
    if !CONSOLE_ROLES.contains(&role) && next == super::safe_next(None) {
        "/console/inbox".to_string()
    } else {
        next.to_string()
    }
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
            Err(e) if e.kind == ErrorKind::DatabaseUnavailable => {
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

// ---- the account page ---------------------------------------------------------------------

/// One open session as the account page lists it.
pub struct SessionRow {
    pub created: String,
    pub last_seen: String,
    pub expires: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    frame: Frame,
    display_name: String,
    /// `role:username` or `role:token id`: the name the audit log records.
    audit_name: String,
    role: String,
    agency: Option<String>,
    sessions: Vec<SessionRow>,
}

/// `GET /console/account`: who is signed in, their open sessions, and sign-out everywhere.
pub async fn account_page(
    State(state): State<AppState>,
    frame: Frame,
    headers: HeaderMap,
) -> Response {
    let Some(id) = session::session_cookie(&headers) else {
        return Redirect::to("/login?next=/console/account").into_response();
    };
    let account = match state.service.session_account(&id).await {
        Ok(a) => a,
        Err(e) if e.kind == ErrorKind::InvalidSession => {
            return Redirect::to("/login?next=/console/account").into_response()
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let time = |ms: i64| crate::vn_time::vn_display(ms);
    render(&AccountPage {
        display_name: account
            .display_name
            .clone()
            .unwrap_or_else(|| account.actor.name()),
        audit_name: account.actor.name(),
        role: frame.code("sign_in_role", account.actor.role.as_str()),
        agency: account.actor.agency.clone(),
        sessions: account
            .sessions
            .iter()
            .map(|s| SessionRow {
                created: time(s.created_at),
                last_seen: time(s.last_seen_at),
                expires: time(s.expires_at),
                current: s.current,
            })
            .collect(),
        frame,
    })
}

/// `POST /console/account/sign-out-everywhere`: ends every session of the signed-in person
/// (on every device), this one included. The CSRF token is checked by the console's door.
pub async fn sign_out_everywhere(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = session::session_cookie(&headers) {
        match state.service.end_all_sessions(&id).await {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::InvalidSession => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    (
        [(header::SET_COOKIE, session::session_clear_cookie(&state))],
        Redirect::to("/login?signed_out=everywhere"),
    )
        .into_response()
}
