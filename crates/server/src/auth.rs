//! Authentication: bearer tokens `qt_<id>_<secret>`, stored as argon2 hashes of the secret,
//! each with one role. A verified token is remembered (by its SHA-256) so the slow argon2 check
//! runs once per token and process, not once per request.

use crate::error::{ApiError, Code};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use quytac_store::Store;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::RwLock;

/// The roles of CONTRACT.md, section 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Moderator,
    Reviewer,
    AgencyOfficer,
    Citizen,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Moderator,
        Role::Reviewer,
        Role::AgencyOfficer,
        Role::Citizen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Moderator => "moderator",
            Role::Reviewer => "reviewer",
            Role::AgencyOfficer => "agency_officer",
            Role::Citizen => "citizen",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}` (admin, moderator, reviewer, agency_officer, citizen)")
            })
    }
}

/// Who is calling: a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub token_id: i64,
    pub role: Role,
}

impl Caller {
    /// The name recorded in the audit log and on decisions.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role, self.token_id)
    }
}

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
    if agency.is_some() && role != Role::AgencyOfficer {
        anyhow::bail!("only an agency_officer token is bound to an agency");
    }
    let mut secret = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut secret);
    let secret = hex::encode(secret);
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let hash = Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the token failed: {e}"))?
        .to_string();
    let id = store
        .create_token_for_agency(role.as_str(), label, &hash, agency, actor)
        .await?;
    Ok(format!("qt_{id}_{secret}"))
}

/// Verifies tokens against the store, with a cache of verified ones.
#[derive(Default)]
pub struct Authenticator {
    verified: RwLock<HashMap<[u8; 32], Caller>>,
}

const CACHE_MAX: usize = 10_000;

impl Authenticator {
    pub async fn authenticate(&self, store: &Store, token: &str) -> Result<Caller, ApiError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(c) = self.verified.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let invalid = || ApiError::new(Code::InvalidToken, "the bearer token is not valid");
        let rest = token.strip_prefix("qt_").ok_or_else(invalid)?;
        let (id, secret) = rest.split_once('_').ok_or_else(invalid)?;
        let id: i64 = id.parse().map_err(|_| invalid())?;
        let record = store.token(id).await?.ok_or_else(invalid)?;
        if record.revoked {
            return Err(invalid());
        }
        let role: Role = record.role.parse().map_err(|_| invalid())?;
        let secret = secret.to_string();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&record.hash)
                .map(|h| {
                    Argon2::default()
                        .verify_password(secret.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        if !ok {
            return Err(invalid());
        }
        let caller = Caller { token_id: id, role };
        if let Ok(mut m) = self.verified.write() {
            if m.len() >= CACHE_MAX {
                m.clear();
            }
            m.insert(key, caller.clone());
        }
        Ok(caller)
    }
}
