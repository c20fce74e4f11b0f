//! Authentication: bearer tokens `qt_<id>_<secret>`, verified by the service
//! ([`quytac_service::tokens`]: strict form, SHA-256 of a 256-bit secret compared in constant
//! time, revocation and expiry checked on every request against the store's row, which a
//! PostgreSQL server keeps in memory while the database notifies it of every change —
//! `quytac_store::token_cache`).

use crate::error::{ApiError, Code};
use quytac_service::tokens::{self, NewToken};
use quytac_service::ErrorKind;
use quytac_store::Store;

/// Who is calling: a verified token, as the workflow names it (`quytac_core::workflow`).
pub use quytac_core::workflow::{Actor as Caller, Role};

/// Creates a token with a role; returns the token text, shown once.
pub async fn create_token(
    store: &Store,
    role: Role,
    label: &str,
    actor: &str,
) -> anyhow::Result<String> {
    create_token_for_agency(store, role, label, None, actor).await
}

/// Creates a token like [`create_token`]; an agency officer's token may be bound to the one
/// agency it acts for (vouching for staff, domain challenges, page details).
pub async fn create_token_for_agency(
    store: &Store,
    role: Role,
    label: &str,
    agency: Option<&str>,
    actor: &str,
) -> anyhow::Result<String> {
    let new = NewToken {
        role,
        label: label.to_string(),
        agency: agency.map(str::to_string),
        expires_in: None,
        account: None,
    };
    Ok(tokens::create_token(store, &new, actor).await?)
}

/// Verifies bearer tokens against the store: every request checks the token's row (see the
/// module's documentation for how revocation reaches it).
#[derive(Default)]
pub struct Authenticator;

impl Authenticator {
    pub async fn authenticate(&self, store: &Store, token: &str) -> Result<Caller, ApiError> {
        tokens::authenticate(store, token).await.map_err(|e| {
            // A store outage is the store's code; every refusal of the token is 401.
            match e.kind {
                ErrorKind::DatabaseUnavailable | ErrorKind::Internal => ApiError::from(e),
                ErrorKind::TokenExpired | ErrorKind::TokenRetired => ApiError::from(e),
                _ => ApiError::new(Code::InvalidToken, e.message),
            }
        })
    }
}
