//! Staff users who sign in with a username and a password (issue 14).
//!
//! - Created only by an admin (`quytac admin add-user`), disabled (`disable-user`: their
//!   sessions end) and given a new password (`reset-password`: their sessions end), each in
//!   one [`quytac_store::WriteTx`] with its audit event; the row, password hash included, is
//!   bound by the audit log.
//! - Passwords: the policy of [`quytac_core::workflow::staff`] (at least 12 characters, not
//!   the username), hashed with argon2id (the crate's default parameters: 19 MiB, 2 passes) as
//!   a PHC string. Hashing and verifying run on the blocking pool, at most
//!   [`SignInPolicy::concurrent_hashes`] at once, so sign-in cannot stall the service.
//! - Sign-in answers in the same time for an unknown user as for a wrong password (a dummy
//!   hash is verified). Failures are counted per username and per client (IP, IPv6 by /64)
//!   over a window; past the limit the name or the client is locked for some minutes and
//!   refused before any hash is computed. The counts live in the store (`sign_in_failures`):
//!   every serving process sees the same ones, a restart forgets none, and rows whose window
//!   and lock have passed are pruned.

use crate::sessions::OpenedSession;
use crate::{ErrorKind, Result, Service, ServiceError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use quytac_core::workflow::staff::{
    check_display_name, check_password, check_user_role, check_username, normalize_username,
};
use quytac_core::workflow::{Actor, Role};
use quytac_store::model::UserRecord;
use quytac_store::sign_in_failures::FailureLimit;
use quytac_store::{NewUserRow, Store};
use serde::Serialize;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::Semaphore;
use utoipa::ToSchema;

/// How sign-in resists guessing.
#[derive(Debug, Clone, Copy)]
pub struct SignInPolicy {
    /// Failures of one username within `window` that lock it.
    pub failures_per_user: u32,
    /// Failures from one client within `window` that lock it.
    pub failures_per_client: u32,
    pub window: Duration,
    /// How long a locked username or client is refused.
    pub lock: Duration,
    /// The most password hashes computed at once (each takes 19 MiB and tens of ms).
    pub concurrent_hashes: usize,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        SignInPolicy {
            failures_per_user: 10,
            failures_per_client: 50,
            window: Duration::from_secs(15 * 60),
            lock: Duration::from_secs(15 * 60),
            concurrent_hashes: 4,
        }
    }
}

/// Failed sign-ins per username and per client (counted in the store, shared by every
/// serving process), and the bound on concurrent hashing.
#[derive(Debug)]
pub struct SignInGuard {
    policy: SignInPolicy,
    hashes: Arc<Semaphore>,
}

/// The store's key of a username's failures.
fn user_key(username: &str) -> String {
    format!("u:{username}")
}

/// The store's key of a client's failures.
fn client_failure_key(client: IpAddr) -> String {
    format!("c:{}", client_key(client))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

impl SignInGuard {
    pub fn new(policy: SignInPolicy) -> Self {
        SignInGuard {
            policy,
            hashes: Arc::new(Semaphore::new(policy.concurrent_hashes.max(1))),
        }
    }

    /// The end of the lock on this username or client (Unix ms), if either is locked.
    async fn locked(
        &self,
        store: &Store,
        username: &str,
        client: IpAddr,
        now: i64,
    ) -> Result<Option<i64>> {
        let (user, client) = (user_key(username), client_failure_key(client));
        Ok(store
            .sign_in_locked_until(&[user.as_str(), client.as_str()], now)
            .await?)
    }

    async fn fail(&self, store: &Store, username: &str, client: IpAddr, now: i64) -> Result<()> {
        let p = self.policy;
        for (key, failures) in [
            (user_key(username), p.failures_per_user),
            (client_failure_key(client), p.failures_per_client),
        ] {
            let limit = FailureLimit {
                failures: i64::from(failures),
                window_ms: ms(p.window),
                lock_ms: ms(p.lock),
            };
            store.record_sign_in_failure(&key, limit, now).await?;
        }
        Ok(())
    }

    /// A right sign-in clears the username's count (not the client's).
    async fn succeed(&self, store: &Store, username: &str) -> Result<()> {
        Ok(store.clear_sign_in_failures(&user_key(username)).await?)
    }

    /// Runs a password hash or verification on the blocking pool, within the bound.
    async fn hashing<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let _permit =
            self.hashes.clone().acquire_owned().await.map_err(|_| {
                ServiceError::new(ErrorKind::Internal, "the hashing pool is closed")
            })?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|_| ServiceError::new(ErrorKind::Internal, "a password hash failed"))
    }
}

/// The client of a sign-in: IPv4 as it is, IPv6 by its /64.
fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The argon2id PHC string of a password (blocking: tens of milliseconds).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::new(ErrorKind::Internal, format!("password hash: {e}")))
}

/// Whether `password` is the one `phc` was made from (blocking). An unreadable hash never
/// matches.
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash no password is known to match, verified for unknown usernames so that they take as
/// long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut raw = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
    hash_password(&hex::encode(raw)).unwrap_or_default()
});

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The agency an agency officer acts for.
    pub agency: Option<String>,
    pub password: String,
}

/// A user as an admin sees it: never the password's hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency: Option<String>,
    pub disabled: bool,
    /// Unix ms.
    pub created_at: i64,
}

impl From<&UserRecord> for UserInfo {
    fn from(u: &UserRecord) -> Self {
        UserInfo {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            agency: u.agency_id.clone(),
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

/// A sign-in that worked: who, and the session opened for them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub actor: Actor,
    pub display_name: String,
    pub session: OpenedSession,
}

fn wrong_password() -> ServiceError {
    ServiceError::new(ErrorKind::InvalidCredentials, "wrong username or password")
}

/// The actor of a user's row.
pub(crate) fn actor_of_user(u: &UserRecord) -> Actor {
    Actor::of_user(u.role, &u.username, u.agency_id.clone())
}

impl Service {
    /// Creates a staff user (admin only: the CLI). The password must pass the policy.
    pub async fn add_user(&self, actor: &str, new: &NewUser) -> Result<UserInfo> {
        let username = normalize_username(&new.username);
        check_username(&username)?;
        let display_name = new.display_name.trim().to_string();
        check_display_name(&display_name)?;
        check_user_role(new.role, new.agency.as_deref())?;
        check_password(&username, &new.password)?;
        let password = new.password.clone();
        let hash = self
            .sign_in_guard
            .hashing(move || hash_password(&password))
            .await??;
        let mut tx = self.store.write().await?;
        let id = tx
            .insert_user(
                &NewUserRow {
                    username: &username,
                    display_name: &display_name,
                    role: new.role,
                    agency_id: new.agency.as_deref(),
                    password_hash: &hash,
                },
                actor,
            )
            .await?;
        tx.commit().await?;
        let user =
            self.store.user(id).await?.ok_or_else(|| {
                ServiceError::new(ErrorKind::Internal, "the new user is not there")
            })?;
        Ok(UserInfo::from(&user))
    }

    async fn user_named(&self, username: &str) -> Result<UserRecord> {
        let username = normalize_username(username);
        self.store
            .user_by_username(&username)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("no user `{username}`")))
    }

    /// Disables a user: they can no longer sign in and their sessions end. Returns the
    /// sessions ended.
    pub async fn disable_user(&self, actor: &str, username: &str) -> Result<u64> {
        let user = self.user_named(username).await?;
        let mut tx = self.store.write().await?;
        let ended = tx.disable_user(user.id, actor).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Gives a user a new password (under the policy); their sessions end. Returns the
    /// sessions ended.
    pub async fn reset_password(&self, actor: &str, username: &str, password: &str) -> Result<u64> {
        let user = self.user_named(username).await?;
        check_password(&user.username, password)?;
        let password = password.to_string();
        let hash = self
            .sign_in_guard
            .hashing(move || hash_password(&password))
            .await??;
        let mut tx = self.store.write().await?;
        let ended = tx.set_user_password(user.id, &hash, actor).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Every user (at most 10 000), by id.
    pub async fn users(&self) -> Result<Vec<UserInfo>> {
        Ok(self
            .store
            .users(10_000)
            .await?
            .iter()
            .map(UserInfo::from)
            .collect())
    }

    /// Signs a user in with a password from `client` and opens a console session.
    ///
    /// Refused with `sign_in_locked` while the username or the client is locked (before any
    /// hashing), `invalid_credentials` for an unknown user or a wrong password (the same
    /// work either way), `user_disabled` for a disabled user whose password was right,
    /// `forbidden` for a user whose role is not among `roles` (the console's).
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: IpAddr,
        roles: &[Role],
    ) -> Result<SignedIn> {
        let username = normalize_username(username);
        let guard = &self.sign_in_guard;
        let now = quytac_store::now_ms();
        if let Some(until) = guard.locked(&self.store, &username, client, now).await? {
            let minutes = u64::try_from(until - now)
                .unwrap_or(0)
                .div_ceil(60_000)
                .max(1);
            return Err(ServiceError::new(
                ErrorKind::SignInLocked,
                format!("too many failed sign-ins; try again in {minutes} minutes"),
            ));
        }
        // Bounded input: a name too long to be one, or a password past the policy's bound,
        // is a failure like any other (and costs no hash).
        let plausible = username.len() <= 64
            && password.len() <= quytac_core::workflow::staff::MAX_PASSWORD_BYTES;
        let user = if plausible && check_username(&username).is_ok() {
            self.store.user_by_username(&username).await?
        } else {
            None
        };
        let phc = match &user {
            Some(u) => u.password_hash.clone(),
            None => DUMMY_HASH.clone(),
        };
        let given = password.to_string();
        let matches = plausible && guard.hashing(move || verify_password(&phc, &given)).await?;
        let user = match user {
            Some(u) if matches => u,
            _ => {
                guard
                    .fail(&self.store, &username, client, quytac_store::now_ms())
                    .await?;
                return Err(wrong_password());
            }
        };
        if user.disabled {
            return Err(ServiceError::new(
                ErrorKind::UserDisabled,
                "this user has been disabled; ask an administrator",
            ));
        }
        guard.succeed(&self.store, &username).await?;
        if !roles.contains(&user.role) {
            return Err(ServiceError::new(
                ErrorKind::Forbidden,
                format!("the role `{}` may not sign in here", user.role),
            ));
        }
        let session = self.open_user_session(user.id).await?;
        Ok(SignedIn {
            actor: actor_of_user(&user),
            display_name: user.display_name.clone(),
            session,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$"));
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_password(&a, "correct horse battery"));
        assert!(!verify_password(&a, "correct horse batterx"));
        assert!(!verify_password("not a hash", "x"));
    }

    /// The counts of the store, on both backends, with the clock given: locks after the
    /// limit and only then, per name and per client; locks end; stale rows are pruned.
    #[tokio::test]
    async fn locks_after_the_limit_and_only_then() {
        quytac_store::testing::on_each_backend(|store| async move {
            let guard = SignInGuard::new(SignInPolicy {
                failures_per_user: 3,
                failures_per_client: 5,
                ..SignInPolicy::default()
            });
            let ip: IpAddr = "203.0.113.7".parse().unwrap();
            let other: IpAddr = "203.0.113.8".parse().unwrap();
            let now = quytac_store::now_ms();
            let locked = |name: &'static str, client: IpAddr, at: i64| {
                let (guard, store) = (&guard, &store);
                async move { guard.locked(store, name, client, at).await.unwrap() }
            };
            guard.fail(&store, "lan", ip, now).await.unwrap();
            guard.fail(&store, "lan", ip, now).await.unwrap();
            assert!(locked("lan", other, now).await.is_none());
            guard.fail(&store, "lan", ip, now).await.unwrap();
            assert!(
                locked("lan", other, now).await.is_some(),
                "the name is locked"
            );
            assert!(locked("minh", other, now).await.is_none());
            guard.fail(&store, "a", ip, now).await.unwrap();
            guard.fail(&store, "b", ip, now).await.unwrap();
            assert!(
                locked("minh", ip, now).await.is_some(),
                "the client is locked"
            );
            let later = now + ms(SignInPolicy::default().lock) + 1_000;
            assert!(locked("lan", other, later).await.is_none(), "locks end");
            // A failure after the window starts a new count: one more does not lock.
            guard.fail(&store, "lan", other, later).await.unwrap();
            assert!(locked("lan", "198.51.100.1".parse().unwrap(), later)
                .await
                .is_none());
            // Only the keys that failed since the window began are left.
            assert_eq!(store.sign_in_failure_keys().await.unwrap(), 2);
        })
        .await;
    }

    #[test]
    fn ipv6_clients_count_by_64() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_eq!(client_key("::ffff:1.2.3.4".parse().unwrap()), "1.2.3.4");
    }
}
