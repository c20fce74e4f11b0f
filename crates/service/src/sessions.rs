//! Web console sessions. Signing in with a password ([`crate::users`]) or a token opens a
//! session: a fresh random id (32 bytes, 64 hex digits) goes to the browser in a cookie, the
//! store keeps only its SHA-256. A session belongs to a user or to a token. It ends when it
//! has been idle too long, at its absolute end, at sign-out, at sign-out everywhere, when its
//! user is disabled or given a new password, and when its token is revoked or expires (every
//! request re-reads the user's or the token's row). Each session has a CSRF token
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
    /// The person's name as the menu shows it: a user's display name; `None` for a token.
    pub display_name: Option<String>,
}

impl ConsoleSession {
    /// Who the menu says is signed in: a user's display name, else the actor's name.
    pub fn shown_name(&self) -> String {
        self.display_name
            .clone()
            .unwrap_or_else(|| self.actor.name())
    }
}

/// One session of the signed-in person, as their account page lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionInfo {
    /// Unix ms.
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The session this request came with.
    pub current: bool,
}

/// The account page: who is signed in and their open sessions.
#[derive(Debug, Clone)]
pub struct SessionAccount {
    pub actor: Actor,
    pub display_name: Option<String>,
    pub sessions: Vec<SessionInfo>,
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
        self.open_session_of(Some(actor.token_id), None).await
    }

    /// Opens a console session for a user who has just proved their password.
    pub(crate) async fn open_user_session(&self, user_id: i64) -> Result<OpenedSession> {
        self.open_session_of(None, Some(user_id)).await
    }

    async fn open_session_of(
        &self,
        token_id: Option<i64>,
        user_id: Option<i64>,
    ) -> Result<OpenedSession> {
        let policy = self.settings.sessions;
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let id = hex::encode(raw);
        let now = now_ms();
        let hash = id_hash(&id).ok_or_else(|| ServiceError::new(ErrorKind::Internal, "id"))?;
        self.store
            .create_session(&SessionRecord {
                id_hash: hash,
                token_id,
                user_id,
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
        let (actor, display_name) = match self.session_owner(&session, now).await {
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
            display_name,
        })
    }

    /// Who a session signs in: its user (refused when disabled or gone) or its token
    /// (refused when revoked, expired or gone).
    async fn session_owner(
        &self,
        session: &SessionRecord,
        now: i64,
    ) -> Result<(Actor, Option<String>)> {
        match (session.user_id, session.token_id) {
            (Some(user_id), _) => match self.store.user(user_id).await? {
                Some(u) if !u.disabled => {
                    Ok((crate::users::actor_of_user(&u), Some(u.display_name)))
                }
                _ => Err(no_session()),
            },
            (None, Some(token_id)) => Ok((actor_of_token(&self.store, token_id, now).await?, None)),
            (None, None) => Err(no_session()),
        }
    }

    /// The account page's view: the signed-in person and their open sessions (a user's, or
    /// those opened with the same token). `id` is this request's session id.
    pub async fn session_account(&self, id: &str) -> Result<SessionAccount> {
        let live = self.console_session(id).await?;
        let hash = id_hash(id).ok_or_else(no_session)?;
        let session = self.store.session(&hash).await?.ok_or_else(no_session)?;
        let rows = match (session.user_id, session.token_id) {
            (Some(u), _) => self.store.user_sessions(u).await?,
            (None, Some(t)) => self.store.token_sessions(t).await?,
            (None, None) => Vec::new(),
        };
        Ok(SessionAccount {
            actor: live.actor,
            display_name: live.display_name,
            sessions: rows
                .iter()
                .map(|r| SessionInfo {
                    created_at: r.created_at,
                    last_seen_at: r.last_seen_at,
                    expires_at: r.expires_at,
                    current: r.id_hash == hash,
                })
                .collect(),
        })
    }

    /// Sign-out everywhere: ends every session of the person this session signs in (all of a
    /// user's, or all opened with the same token), this one included, in one write with its
    /// audit event. Returns the sessions ended.
    pub async fn end_all_sessions(&self, id: &str) -> Result<u64> {
        let live = self.console_session(id).await?;
        let hash = id_hash(id).ok_or_else(no_session)?;
        let session = self.store.session(&hash).await?.ok_or_else(no_session)?;
        let actor = live.actor.name();
        let mut tx = self.store.write().await?;
        let ended = match (session.user_id, session.token_id) {
            (Some(u), _) => tx.sign_out_user_everywhere(u, &actor).await?,
            (None, Some(t)) => tx.sign_out_token_everywhere(t, &actor).await?,
            (None, None) => 0,
        };
        tx.commit().await?;
        Ok(ended)
    }

    /// Ends a session (sign-out); true when there was one.
    pub async fn end_session(&self, id: &str) -> Result<bool> {
        match id_hash(id) {
            Some(hash) => Ok(self.store.delete_session(&hash).await?),
            None => Ok(false),
        }
    }
}
