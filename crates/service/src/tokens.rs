//! API tokens: high-entropy secrets, so a fast hash is enough (argon2 and its kin are for
//! passwords, which are guessable; a 256-bit random secret is not).
//!
//! A token reads `qt_<id>_<secret>`: `id` the row's decimal id (no sign, no leading zero, at
//! most 18 digits), `secret` 64 lowercase hex digits (32 random bytes). The row keeps
//! `sha256:` and the hex SHA-256 of the secret's bytes; verifying is one primary-key read,
//! one SHA-256 and a constant-time comparison, so a flood of forged tokens costs the service
//! as little as any refused request. The read is served from memory on a PostgreSQL server
//! while the database notifies it of token changes (`quytac_store::token_cache`, bounded): a
//! token revoked by another process — `quytac admin revoke-token` — is refused once the
//! notification arrives, milliseconds later; one revoked through this server, on its next use.
//! Text that is not of this form is refused before the store is asked.
//!
//! Tokens of versions before issue 11 (24-byte secrets, argon2-hashed rows) are *retired*:
//! their holders get `token_retired` and ask an administrator for a new token.

use crate::{ErrorKind, Result, Service, ServiceError};
use quytac_core::workflow::{Actor, Role};
use quytac_store::model::TokenRecord;
use quytac_store::{now_ms, NewTokenRow, Store};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::Duration;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

/// Hex digits of a token's secret.
pub const SECRET_HEX_LEN: usize = 64;
/// Hex digits of the secret of a token made before issue 11 (recognised only to retire it).
const LEGACY_SECRET_HEX_LEN: usize = 48;
/// The most digits of a token id (an `i64` has 19; 18 never overflows).
const MAX_ID_DIGITS: usize = 18;
/// The longest token text there is.
pub const MAX_TOKEN_LEN: usize = 3 + MAX_ID_DIGITS + 1 + SECRET_HEX_LEN;
/// The longest expiry a token may be given.
pub const MAX_EXPIRY: Duration = Duration::from_secs(10 * 366 * 24 * 3600);
/// The most tokens `GET /v1/tokens` lists.
pub const LIST_LIMIT: i64 = 10_000;

const HASH_PREFIX: &str = "sha256:";

/// A token's text, read strictly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenText {
    Current {
        id: i64,
        secret: [u8; 32],
    },
    /// A token of an older version: only its id is read, to say it is retired.
    Legacy {
        id: i64,
    },
}

fn invalid(message: &str) -> ServiceError {
    ServiceError::new(ErrorKind::InvalidToken, message)
}

/// Lowercase hex of exactly `N` bytes.
fn strict_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// Reads `qt_<id>_<secret>`; anything else (a sign or leading zero in the id, a wrong length,
/// upper case or other letters in the secret) is `invalid_token`.
pub fn parse_token(text: &str) -> Result<TokenText> {
    let malformed = || invalid("the bearer token is not valid (expected qt_<id>_<secret>)");
    if text.len() > MAX_TOKEN_LEN {
        return Err(malformed());
    }
    let rest = text.strip_prefix("qt_").ok_or_else(malformed)?;
    let (id, secret) = rest.split_once('_').ok_or_else(malformed)?;
    if id.is_empty()
        || id.len() > MAX_ID_DIGITS
        || id.starts_with('0')
        || !id.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(malformed());
    }
    let id: i64 = id.parse().map_err(|_| malformed())?;
    if let Some(secret) = strict_hex::<32>(secret) {
        return Ok(TokenText::Current { id, secret });
    }
    if secret.len() == LEGACY_SECRET_HEX_LEN && strict_hex::<24>(secret).is_some() {
        return Ok(TokenText::Legacy { id });
    }
    Err(malformed())
}

/// What the store keeps of a secret.
pub fn hash_secret(secret: &[u8; 32]) -> String {
    format!("{HASH_PREFIX}{}", hex::encode(Sha256::digest(secret)))
}

fn is_retired_hash(hash: &str) -> bool {
    !hash.starts_with(HASH_PREFIX)
}

fn retired(id: i64) -> ServiceError {
    ServiceError::new(
        ErrorKind::TokenRetired,
        format!(
            "token {id} was made by an older version of quytac and no longer works; ask an \
             administrator for a new token (quytac admin create-token)"
        ),
    )
}

/// Who a token's row lets act at `now`, once its secret has matched: refused when revoked,
/// expired or retired.
fn actor_of(record: &TokenRecord, now: i64) -> Result<Actor> {
    if is_retired_hash(&record.hash) {
        return Err(retired(record.id));
    }
    if record.revoked {
        return Err(invalid("the bearer token has been revoked"));
    }
    if record.expires_at.is_some_and(|t| now >= t) {
        return Err(ServiceError::new(
            ErrorKind::TokenExpired,
            "the bearer token has expired; ask an administrator for a new one",
        ));
    }
    Ok(Actor {
        role: record.role,
        token_id: record.id,
        agency: record.agency_id.clone(),
        user: None,
    })
}

/// Verifies a token: strict parsing, one read of its row, SHA-256 compared in constant time.
pub async fn authenticate(store: &Store, text: &str) -> Result<Actor> {
    let parsed = parse_token(text)?;
    let id = match &parsed {
        TokenText::Current { id, .. } | TokenText::Legacy { id } => *id,
    };
    let unknown = || invalid("the bearer token is not valid");
    let record = store.token(id).await?.ok_or_else(unknown)?;
    match parsed {
        TokenText::Legacy { .. } if is_retired_hash(&record.hash) => Err(retired(id)),
        TokenText::Legacy { .. } => Err(unknown()),
        TokenText::Current { secret, .. } => {
            let given = hash_secret(&secret);
            if !bool::from(given.as_bytes().ct_eq(record.hash.as_bytes())) {
                // A retired row never matches a `sha256:` hash; its holder sent a legacy
                // token, so a current-form text here is simply wrong.
                return Err(unknown());
            }
            actor_of(&record, now_ms())
        }
    }
}

/// Re-reads the token a console session was opened with: a session lives no longer than its
/// token.
pub(crate) async fn actor_of_token(store: &Store, id: i64, now: i64) -> Result<Actor> {
    let record = store
        .token(id)
        .await?
        .ok_or_else(|| invalid("the token of this session is gone"))?;
    actor_of(&record, now)
}

/// A token to make.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub role: Role,
    /// What the token is for (kept in the audit log).
    pub label: String,
    /// The agency an agency officer's token acts for.
    pub agency: Option<String>,
    /// Refused after this long; `None`: it does not expire.
    pub expires_in: Option<Duration>,
    /// The author a citizen's token speaks for (the `author.id` of their posts, e.g.
    /// `mastodon:alice`): it may appeal decisions on that author's posts.
    pub account: Option<String>,
}

/// Makes a token and stores its hash; returns the token's text, shown once.
pub async fn create_token(store: &Store, new: &NewToken, actor: &str) -> Result<String> {
    if new.agency.is_some() && new.role != Role::AgencyOfficer {
        return Err(ServiceError::invalid_field(
            "only an agency_officer token is bound to an agency",
        ));
    }
    if new.account.is_some() && new.role != Role::Citizen {
        return Err(ServiceError::invalid_field(
            "only a citizen's token speaks for an author",
        ));
    }
    let expires_at = match new.expires_in {
        Some(d) if d.is_zero() || d > MAX_EXPIRY => {
            return Err(ServiceError::invalid_field(
                "a token's expiry is between 1 second and 10 years",
            ))
        }
        Some(d) => Some(now_ms() + d.as_millis() as i64),
        None => None,
    };
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let hash = hash_secret(&secret);
    let id = store
        .insert_token(
            &NewTokenRow {
                role: new.role,
                label: &new.label,
                hash: &hash,
                agency_id: new.agency.as_deref(),
                expires_at,
            },
            actor,
        )
        .await?;
    if let Some(account) = &new.account {
        store.bind_token_account(id, account, actor).await?;
    }
    Ok(format!("qt_{id}_{}", hex::encode(secret)))
}

/// A token as an administrator sees it: never its secret or hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub role: Role,
    pub label: String,
    /// The agency an agency officer's token acts for.
    pub agency: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms after which it is refused; absent when it does not expire.
    pub expires_at: Option<i64>,
    pub revoked: bool,
    /// Unix ms of the revocation.
    pub revoked_at: Option<i64>,
    /// Made by a version before issue 11: refused as `token_retired`.
    pub retired: bool,
}

impl From<&TokenRecord> for TokenInfo {
    fn from(t: &TokenRecord) -> Self {
        TokenInfo {
            id: t.id,
            role: t.role,
            label: t.label.clone(),
            agency: t.agency_id.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked: t.revoked,
            revoked_at: t.revoked_at,
            retired: is_retired_hash(&t.hash),
        }
    }
}

/// `GET /v1/tokens`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

fn admin_only(actor: &Actor) -> Result<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorKind::Forbidden,
            "only an admin manages tokens",
        ))
    }
}

/// Revokes a token by id, as the CLI does (`quytac admin revoke-token`): the token and its
/// console sessions end in one transaction.
pub async fn revoke_token(store: &Store, id: i64, actor: &str) -> Result<TokenInfo> {
    Ok(TokenInfo::from(&store.revoke_token(id, actor).await?))
}

impl Service {
    /// Verifies a bearer token ([`authenticate`]).
    pub async fn authenticate(&self, token: &str) -> Result<Actor> {
        authenticate(&self.store, token).await
    }

    /// Every token (admin), without secrets or hashes.
    pub async fn tokens(&self, actor: &Actor) -> Result<TokenList> {
        admin_only(actor)?;
        let rows = self.store.tokens(LIST_LIMIT).await?;
        Ok(TokenList {
            tokens: rows.iter().map(TokenInfo::from).collect(),
        })
    }

    /// Revokes a token (admin); it is refused from its next request on, and its console
    /// sessions end.
    pub async fn revoke_token(&self, actor: &Actor, id: i64) -> Result<TokenInfo> {
        admin_only(actor)?;
        revoke_token(&self.store, id, &actor.name()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn reads_only_the_exact_form() {
        assert!(matches!(
            parse_token(&format!("qt_7_{SECRET}")),
            Ok(TokenText::Current { id: 7, .. })
        ));
        assert_eq!(
            parse_token(&format!("qt_12_{}", &SECRET[..48])).ok(),
            Some(TokenText::Legacy { id: 12 })
        );
        for bad in [
            format!("qt_+1_{SECRET}"),
            format!("qt_01_{SECRET}"),
            format!("qt_-1_{SECRET}"),
            format!("qt_0_{SECRET}"),
            format!("qt__{SECRET}"),
            format!("qt_1 _{SECRET}"),
            format!("qt_1234567890123456789_{SECRET}"),
            format!("qt_1_{}", SECRET.to_uppercase()),
            format!("qt_1_{SECRET}0"),
            format!("qt_1_{}", &SECRET[..63]),
            format!("qt_1_{}g", &SECRET[..63]),
            format!("QT_1_{SECRET}"),
            format!("qt_1_{SECRET}_"),
            "qt_1_".into(),
            "".into(),
            format!("qt_1_{}", "0".repeat(100_000)),
        ] {
            assert!(parse_token(&bad).is_err(), "{bad:.40}");
        }
    }

    #[test]
    fn the_hash_is_tagged_sha256() {
        let h = hash_secret(&[0u8; 32]);
        assert!(h.starts_with("sha256:") && h.len() == 7 + 64);
        assert!(is_retired_hash("$argon2id$v=19$m=19456,t=2,p=1$abc$def"));
        assert!(!is_retired_hash(&h));
    }
}
