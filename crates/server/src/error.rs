//! Errors of the HTTP API: one stable snake_case code per kind of failure, and one table that
//! maps each code to its HTTP status (as meilisearch does). The body is always
//! `{"error":{"code":"…","message":"…","request_id":"…"}}`.
//!
//! The message of an internal error (`internal`, `database_unavailable`) is for the log only:
//! it can hold database text, so it is logged with the request id and the client gets a
//! generic message and that id instead.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quytac_service::{ErrorKind as ServiceErrorKind, ServiceError};
use quytac_store::{ErrorKind, StoreError};

/// Every error code the API can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    MissingToken,
    InvalidToken,
    /// A token past the expiry it was created with.
    TokenExpired,
    /// A token of a version before issue 11 (argon2-hashed): ask for a new one.
    TokenRetired,
    /// A web form posted from another site, or without the session's CSRF token.
    CrossSiteRequest,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    MalformedJson,
    /// A JSON object that names a key twice.
    DuplicateJsonKey,
    InvalidField,
    /// An assignee who is not an enabled staff user (or officer, for an inquiry).
    UnknownAssignee,
    InvalidItem,
    InvalidQuery,
    InvalidPath,
    PayloadTooLarge,
    UnreadableBody,
    UnknownRule,
    RuleNotApplicable,
    Conflict,
    SameModerator,
    BadSignature,
    UnknownEvent,
    /// A webhook delivery outside its replay window.
    StaleDelivery,
    IntegrationNotConfigured,
    /// A text that breaks the code of conduct, refused before it is stored.
    ContentRejected,
    /// A write Decree 147 refuses: ND-1 (an unauthenticated account) or ND-4 (a user under 16
    /// without a guardian); the message names the rule.
    DecreeRefused,
    /// A domain challenge whose token was not found where it should be published.
    ChallengeFailed,
    /// A badge asked for before the agency proved control of its domain.
    DomainNotVerified,
    /// A comment on a consultation that has closed (or not opened yet).
    ConsultationClosed,
    /// A portal feed that is not RSS 2.0 or Atom, not UTF-8, or too large.
    InvalidFeed,
    /// The portal feed could not be fetched (timeout, size limit, HTTP error, redirect).
    FeedFetchFailed,
    /// A portal refresh for an agency without a feed address.
    NoPortalFeed,
    /// An item whose text is over the characters or words a check takes (`Limits::check`).
    TextTooLong,
    /// An array body with more items than a request takes (`Limits::max_batch_items`).
    TooManyItems,
    /// The check pool and its queue are full; answered with `Retry-After`.
    Busy,
    /// The client's rate limit is used up; answered with `Retry-After`.
    RateLimited,
    Timeout,
    DatabaseUnavailable,
    /// The NATS JetStream pipeline (`--nats`) could not take or acknowledge the post.
    QueueUnavailable,
    Internal,
}

/// The table: code → (name, status).
const TABLE: &[(Code, &str, StatusCode)] = &[
    (
        Code::QueueUnavailable,
        "queue_unavailable",
        StatusCode::SERVICE_UNAVAILABLE,
    ),
    (
        Code::MissingToken,
        "missing_token",
        StatusCode::UNAUTHORIZED,
    ),
    (
        Code::InvalidToken,
        "invalid_token",
        StatusCode::UNAUTHORIZED,
    ),
    (
        Code::TokenExpired,
        "token_expired",
        StatusCode::UNAUTHORIZED,
    ),
    (
        Code::TokenRetired,
        "token_retired",
        StatusCode::UNAUTHORIZED,
    ),
    (
        Code::CrossSiteRequest,
        "cross_site_request",
        StatusCode::FORBIDDEN,
    ),
    (Code::Forbidden, "forbidden", StatusCode::FORBIDDEN),
    (Code::NotFound, "not_found", StatusCode::NOT_FOUND),
    (
        Code::MethodNotAllowed,
        "method_not_allowed",
        StatusCode::METHOD_NOT_ALLOWED,
    ),
    (
        Code::MalformedJson,
        "malformed_json",
        StatusCode::BAD_REQUEST,
    ),
    (
        Code::DuplicateJsonKey,
        "duplicate_json_key",
        StatusCode::BAD_REQUEST,
    ),
    (
        Code::InvalidField,
        "invalid_field",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (
        Code::UnknownAssignee,
        "unknown_assignee",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (
        Code::InvalidItem,
        "invalid_item",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (Code::InvalidQuery, "invalid_query", StatusCode::BAD_REQUEST),
    (Code::InvalidPath, "invalid_path", StatusCode::BAD_REQUEST),
    (
        Code::PayloadTooLarge,
        "payload_too_large",
        StatusCode::PAYLOAD_TOO_LARGE,
    ),
    (
        Code::UnreadableBody,
        "unreadable_body",
        StatusCode::BAD_REQUEST,
    ),
    (
        Code::UnknownRule,
        "unknown_rule",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (
        Code::RuleNotApplicable,
        "rule_not_applicable",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (Code::Conflict, "conflict", StatusCode::CONFLICT),
    (
        Code::SameModerator,
        "appeal_needs_another_reviewer",
        StatusCode::FORBIDDEN,
    ),
    (
        Code::BadSignature,
        "bad_signature",
        StatusCode::UNAUTHORIZED,
    ),
    (
        Code::UnknownEvent,
        "unknown_event",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (
        Code::StaleDelivery,
        "stale_delivery",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (
        Code::IntegrationNotConfigured,
        "integration_not_configured",
        StatusCode::SERVICE_UNAVAILABLE,
    ),
    (
        Code::ContentRejected,
        "content_rejected",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (Code::DecreeRefused, "decree_refused", StatusCode::FORBIDDEN),
    (
        Code::ChallengeFailed,
        "challenge_failed",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (
        Code::DomainNotVerified,
        "domain_not_verified",
        StatusCode::CONFLICT,
    ),
    (
        Code::ConsultationClosed,
        "consultation_closed",
        StatusCode::CONFLICT,
    ),
    (
        Code::InvalidFeed,
        "invalid_feed",
        StatusCode::UNPROCESSABLE_ENTITY,
    ),
    (
        Code::FeedFetchFailed,
        "feed_fetch_failed",
        StatusCode::BAD_GATEWAY,
    ),
    (Code::NoPortalFeed, "no_portal_feed", StatusCode::CONFLICT),
    (
        Code::TextTooLong,
        "text_too_long",
        StatusCode::PAYLOAD_TOO_LARGE,
    ),
    (
        Code::TooManyItems,
        "too_many_items",
        StatusCode::PAYLOAD_TOO_LARGE,
    ),
    (Code::Busy, "busy", StatusCode::SERVICE_UNAVAILABLE),
    (
        Code::RateLimited,
        "rate_limited",
        StatusCode::TOO_MANY_REQUESTS,
    ),
    (Code::Timeout, "timeout", StatusCode::SERVICE_UNAVAILABLE),
    (
        Code::DatabaseUnavailable,
        "database_unavailable",
        StatusCode::SERVICE_UNAVAILABLE,
    ),
    (
        Code::Internal,
        "internal",
        StatusCode::INTERNAL_SERVER_ERROR,
    ),
];

impl Code {
    fn entry(self) -> (&'static str, StatusCode) {
        TABLE
            .iter()
            .find(|(c, _, _)| *c == self)
            .map(|(_, n, s)| (*n, *s))
            .unwrap_or(("internal", StatusCode::INTERNAL_SERVER_ERROR))
    }

    pub fn as_str(self) -> &'static str {
        self.entry().0
    }

    pub fn status(self) -> StatusCode {
        self.entry().1
    }

    /// All codes with their status, for the OpenAPI document.
    pub fn all() -> impl Iterator<Item = (&'static str, StatusCode)> {
        TABLE.iter().map(|(_, n, s)| (*n, *s))
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }
    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidField, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Code::Forbidden, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let code = match e.kind {
            ErrorKind::NotFound => Code::NotFound,
            ErrorKind::Conflict => Code::Conflict,
            ErrorKind::Database | ErrorKind::Config => Code::DatabaseUnavailable,
            ErrorKind::Internal => Code::Internal,
            _ => Code::Internal,
        };
        ApiError::new(code, e.message)
    }
}

/// The error body as JSON text, with the id of the request being served (when there is one).
pub fn body(code: Code, message: &str) -> String {
    let mut error = serde_json::json!({"code": code.as_str(), "message": message});
    if let Some(id) = crate::observe::current_request_id() {
        error["request_id"] = id.into();
    }
    serde_json::json!({ "error": error }).to_string()
}

impl ApiError {
    /// What a client may be told: the message, or for an internal error (whose message can
    /// hold database text) a generic one.
    pub fn public_message(&self) -> &str {
        match self.code {
            Code::Internal => "internal error; quote the request id when reporting it",
            Code::DatabaseUnavailable => "the database is unavailable; try again later",
            _ => &self.message,
        }
    }

    /// Logs an internal error with its message, inside the request's span (so with its id).
    fn log(&self) {
        match self.code {
            Code::Internal => {
                tracing::error!(code = self.code.as_str(), error = %self.message, "internal error")
            }
            Code::DatabaseUnavailable => {
                tracing::warn!(code = self.code.as_str(), error = %self.message, "database unavailable")
            }
            _ => {}
        }
    }
}

/// Seconds a client refused with `busy` should wait before trying again: checks are short,
/// so a place in the queue frees up within about one.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (
            self.code.status(),
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body(self.code, self.public_message()),
        )
            .into_response();
        if self.code == Code::Busy {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                BUSY_RETRY_AFTER_SECS.into(),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let code = match e.kind {
            ServiceErrorKind::NotFound => Code::NotFound,
            ServiceErrorKind::Forbidden => Code::Forbidden,
            ServiceErrorKind::Conflict => Code::Conflict,
            ServiceErrorKind::SameModerator => Code::SameModerator,
            ServiceErrorKind::InvalidField => Code::InvalidField,
            ServiceErrorKind::InvalidItem => Code::InvalidItem,
            ServiceErrorKind::UnknownRule => Code::UnknownRule,
            ServiceErrorKind::RuleNotApplicable => Code::RuleNotApplicable,
            ServiceErrorKind::ContentRejected => Code::ContentRejected,
            ServiceErrorKind::DecreeRefused => Code::DecreeRefused,
            ServiceErrorKind::ConsultationClosed => Code::ConsultationClosed,
            ServiceErrorKind::InvalidFeed => Code::InvalidFeed,
            ServiceErrorKind::FeedFetchFailed => Code::FeedFetchFailed,
            ServiceErrorKind::NoPortalFeed => Code::NoPortalFeed,
            ServiceErrorKind::DatabaseUnavailable => Code::DatabaseUnavailable,
            ServiceErrorKind::Internal => Code::Internal,
            ServiceErrorKind::ChallengeFailed => Code::ChallengeFailed,
            ServiceErrorKind::DomainNotVerified => Code::DomainNotVerified,
            ServiceErrorKind::PayloadTooLarge => Code::PayloadTooLarge,
            ServiceErrorKind::UnknownEvent => Code::UnknownEvent,
            ServiceErrorKind::StaleDelivery => Code::StaleDelivery,
            ServiceErrorKind::InvalidToken | ServiceErrorKind::InvalidSession => Code::InvalidToken,
            ServiceErrorKind::TokenExpired => Code::TokenExpired,
            ServiceErrorKind::TokenRetired => Code::TokenRetired,
            ServiceErrorKind::QueueUnavailable => Code::QueueUnavailable,
            ServiceErrorKind::InvalidCredentials => Code::InvalidToken,
            ServiceErrorKind::UserDisabled => Code::Forbidden,
            ServiceErrorKind::SignInLocked => Code::RateLimited,
            ServiceErrorKind::UnknownAssignee => Code::UnknownAssignee,
            _ => Code::Internal,
        };
        ApiError::new(code, e.message)
    }
}

/// A pipeline error: a post it cannot carry is the client's; anything else is NATS's.
impl From<quytac_pipeline::PipelineError> for ApiError {
    fn from(e: quytac_pipeline::PipelineError) -> Self {
        let code = match e.kind {
            quytac_pipeline::ErrorKind::Invalid => Code::InvalidItem,
            _ => Code::QueueUnavailable,
        };
        ApiError::new(code, e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_message_for_the_log_only() {
        let e = ApiError::new(Code::Internal, "database error: no such table: cases");
        assert!(!e.public_message().contains("table"));
        let e = ApiError::new(Code::DatabaseUnavailable, "database error: pool timed out");
        assert!(!e.public_message().contains("pool"));
        let e = ApiError::not_found("case 7 not found");
        assert_eq!(e.public_message(), "case 7 not found");
    }

    #[test]
    fn the_body_has_a_request_id_only_while_serving_a_request() {
        let v: serde_json::Value = serde_json::from_str(&body(Code::NotFound, "x")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "not_found", "message": "x"}})
        );
    }
}
