//! Web console sessions. Signing in with a token opens a session: a fresh random id (32 bytes,
//! 64 hex digits) goes to the browser in a cookie, the store keeps only its SHA-256. A session
//! ends when it has been idle too long, at its absolute end, at sign-out, and when its token
//! is revoked or expires (every request re-reads the token). Each session has a CSRF token
//! that every console form carries: the SHA-256 of the session id under a domain tag, so it
//! needs no storage and reveals nothing of the id.

use crate::tokens::actor_of_token;
use crate::{ErrorKind, Result, Service, ServiceError};
use quytac_core::workflow::Actor;
use quytac_store::model::SessionRecord;
use quytac_store::now_ms;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, however active.
    pub lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(12 * 3600),
        }
    }
}

/// Activity is written back at most this often (ms), so a page view is not always a write.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A session just opened: what the browser gets.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    /// The session id for the cookie (64 hex digits); shown once, stored only as a hash.
    pub id: String,
    pub csrf: String,
    /// The cookie's lifetime (the session's absolute end).
    pub max_age: Duration,
}

/// A live session: who is signed in, and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub actor: Actor,
    pub csrf: String,
}

impl ConsoleSession {
    /// Whether a form's CSRF token is this session's (constant time).
    pub fn csrf_matches(&self, given: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(given.as_bytes()))
    }
}

fn no_session() -> ServiceError {
    ServiceError::new(
        ErrorKind::InvalidSession,
        "not signed in, or the session has ended",
    )
}

/// The hash of a session id as the store keeps it; `None` for text that is not a session id.
fn id_hash(id: &str) -> Option<String> {
    if id.len() != 64 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    Some(hex::encode(Sha256::digest(id.as_bytes())))
}

/// The CSRF token of a session.
pub fn csrf_token(session_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"quytac console csrf\0");
    h.update(session_id.as_bytes());
    hex::encode(h.finalize())
}

impl Service {
    /// Opens a console session for a caller who has just proved a token.
    pub async fn open_session(&self, actor: &Actor) -> Result<OpenedSession> {
        let policy = self.settings.sessions;
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let id = hex::encode(raw);
        let now = now_ms();
        let hash = id_hash(&id).ok_or_else(|| ServiceError::new(ErrorKind::Internal, "id"))?;
        self.store
            .create_session(&SessionRecord {
                id_hash: hash,
                token_id: actor.token_id,
                created_at: now,
                last_seen_at: now,
                expires_at: now + policy.lifetime.as_millis() as i64,
            })
            .await?;
        Ok(OpenedSession {
            csrf: csrf_token(&id),
            id,
            max_age: policy.lifetime,
        })
    }

    /// The live session with this id, and who it signs in; refused (and deleted) once idle
    /// too long or past its end, refused when its token is revoked or expired.
    pub async fn console_session(&self, id: &str) -> Result<ConsoleSession> {
        let hash = id_hash(id).ok_or_else(no_session)?;
        let session = self.store.session(&hash).await?.ok_or_else(no_session)?;
        let now = now_ms();
        let idle = self.settings.sessions.idle.as_millis() as i64;
        if now >= session.expires_at || now - session.last_seen_at >= idle {
            self.store.delete_session(&hash).await?;
            return Err(no_session());
        }
        let actor = match actor_of_token(&self.store, session.token_id, now).await {
            Ok(a) => a,
            Err(e) if e.kind == ErrorKind::DatabaseUnavailable || e.kind == ErrorKind::Internal => {
                return Err(e)
            }
            Err(_) => {
                self.store.delete_session(&hash).await?;
                return Err(no_session());
            }
        };
        if now - session.last_seen_at >= TOUCH_EVERY_MS {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(ConsoleSession {
            actor,
            csrf: csrf_token(id),
        })
    }

    /// Ends a session (sign-out); true when there was one.
    pub async fn end_session(&self, id: &str) -> Result<bool> {
        match id_hash(id) {
            Some(hash) => Ok(self.store.delete_session(&hash).await?),
            None => Ok(false),
        }
    }
}
