//! Authentication: bearer tokens `qt_<id>_<secret>`, stored as argon2 hashes of the secret,
//! each with one role. A verified token is remembered (by its SHA-256) so the slow argon2 check
//! runs once per token and process, not once per request.

use crate::error::{ApiError, Code};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use quytac_store::Store;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::RwLock;

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
        .create_token(role, label, &hash, agency, actor)
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
        let role = record.role;
        let agency = record.agency_id.clone();
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
        let caller = Caller {
            role,
            token_id: id,
            agency,
        };
        if let Ok(mut m) = self.verified.write() {
            if m.len() >= CACHE_MAX {
                m.clear();
            }
            m.insert(key, caller.clone());
        }
        Ok(caller)
    }
}
