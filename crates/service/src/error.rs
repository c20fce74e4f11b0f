//! What went wrong in a use case, by kind, so each front end can answer in its own terms (an
//! HTTP status and stable code, an HTML page, a worker's dead letter).

use quytac_core::workflow::Refusal;
use quytac_store::StoreError;
use std::fmt;

/// The kinds of failure of a use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    NotFound,
    Forbidden,
    /// The record is not in a state that allows the step.
    Conflict,
    SameModerator,
    InvalidField,
    /// An item that is not what the use case takes (e.g. a profile sent as a post).
    InvalidItem,
    UnknownRule,
    RuleNotApplicable,
    ContentRejected,
    /// A write Decree 147 refuses (ND-1, ND-4); the message names the rule.
    DecreeRefused,
    /// A consultation that does not take comments now.
    ConsultationClosed,
    /// A portal feed that cannot be parsed.
    InvalidFeed,
    /// A portal feed that could not be fetched.
    FeedFetchFailed,
    /// An agency without a portal feed address.
    NoPortalFeed,
    /// The database could not be reached or is overloaded; the message is not for the client.
    DatabaseUnavailable,
    /// Anything else that went wrong inside; the message is not for the client.
    Internal,
    /// A domain challenge whose token was not found where it was to be published.
    ChallengeFailed,
    /// A badge asked for before the agency proved control of its domain.
    DomainNotVerified,
    /// An uploaded file (a photo) larger than accepted.
    PayloadTooLarge,
    /// A webhook delivery of an event the integration does not take.
    UnknownEvent,
    /// A webhook delivery outside its replay window (or without its time).
    StaleDelivery,
    /// A bearer token that is malformed, unknown, wrong or revoked.
    InvalidToken,
    /// A token past its expiry.
    TokenExpired,
    /// A token made by a version before issue 11 (argon2-hashed): its holder needs a new one.
    TokenRetired,
    /// A console session that does not exist, has expired or was ended.
    InvalidSession,
    /// A sign-in with an unknown username or a wrong password (which of the two is not said).
    InvalidCredentials,
    /// Too many failed sign-ins for the username or from the client: locked for a while.
    SignInLocked,
    /// A staff user an admin has disabled.
    UserDisabled,
    /// The check pipeline's queue did not take a post (NATS unreachable or too slow).
    QueueUnavailable,
    /// An assignee who is not an enabled user (or live token holder) allowed to take the work.
    UnknownAssignee,
}

#[derive(Debug, Clone)]
pub struct ServiceError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ServiceError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ServiceError {
            kind,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidField, message)
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServiceError {}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> Self {
        let kind = match r {
            Refusal::Forbidden(_) => ErrorKind::Forbidden,
            Refusal::Conflict(_) => ErrorKind::Conflict,
            Refusal::SameModerator => ErrorKind::SameModerator,
            Refusal::RuleNotApplicable(_) => ErrorKind::RuleNotApplicable,
            Refusal::InvalidField(_) => ErrorKind::InvalidField,
            Refusal::ContentRejected(_) => ErrorKind::ContentRejected,
            Refusal::Decree(_) => ErrorKind::DecreeRefused,
        };
        ServiceError::new(kind, r.to_string())
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        let kind = match e.kind {
            quytac_store::ErrorKind::NotFound => ErrorKind::NotFound,
            quytac_store::ErrorKind::Conflict => ErrorKind::Conflict,
            quytac_store::ErrorKind::Database | quytac_store::ErrorKind::Config => {
                ErrorKind::DatabaseUnavailable
            }
            _ => ErrorKind::Internal,
        };
        ServiceError::new(kind, e.message)
    }
}
