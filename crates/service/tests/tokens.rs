//! API tokens and console sessions through the service: the strict form, revocation and
//! expiry, retired argon2 tokens, who may list and revoke, and how sessions end. Run on
//! SQLite always and on PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::service;
use quytac_core::workflow::{Actor, Role};
use quytac_service::sessions::SessionPolicy;
use quytac_service::tokens::{self, NewToken};
use quytac_service::{ErrorKind, Service, Settings};
use quytac_store::testing::on_each_backend;
use quytac_store::{NewTokenRow, Store};
use std::sync::Arc;
use std::time::Duration;

async fn token(store: &Store, role: Role, expires_in: Option<Duration>) -> String {
    tokens::create_token(
        store,
        &NewToken {
            role,
            label: "t".into(),
            agency: None,
            expires_in,
            account: None,
        },
        "test",
    )
    .await
    .unwrap()
}

fn kind(r: quytac_service::Result<Actor>) -> ErrorKind {
    r.unwrap_err().kind
}

#[tokio::test]
async fn tokens_verify_strictly_and_end_when_revoked_or_expired() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        let t = token(&store, Role::Moderator, None).await;
        let actor = svc.authenticate(&t).await.unwrap();
        assert_eq!(actor.role, Role::Moderator);
        let (id, secret) = t[3..].split_once('_').unwrap();
        // The secret with its last digit changed (to one it is not).
        let other_last = if secret.ends_with('0') { '1' } else { '0' };
        for forged in [
            format!("qt_+{id}_{secret}"),
            format!("qt_0{id}_{secret}"),
            format!("qt_{id}_{}", secret.to_uppercase()),
            format!("qt_{id}_{}{other_last}", &secret[..63]),
            format!("qt_{}_{secret}", id.parse::<i64>().unwrap() + 1),
        ] {
            assert_eq!(
                kind(svc.authenticate(&forged).await),
                ErrorKind::InvalidToken
            );
        }
        // Expired, and not yet.
        let soon = token(&store, Role::Reviewer, Some(Duration::from_millis(300))).await;
        assert!(svc.authenticate(&soon).await.is_ok());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(kind(svc.authenticate(&soon).await), ErrorKind::TokenExpired);
        // Revoked by an admin: refused from the next call on.
        let admin = svc
            .authenticate(&token(&store, Role::Admin, None).await)
            .await
            .unwrap();
        assert_eq!(
            svc.revoke_token(&actor, actor.token_id)
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Forbidden,
            "a moderator does not revoke tokens"
        );
        assert_eq!(
            svc.tokens(&actor).await.unwrap_err().kind,
            ErrorKind::Forbidden
        );
        let info = svc.revoke_token(&admin, actor.token_id).await.unwrap();
        assert!(info.revoked);
        assert_eq!(kind(svc.authenticate(&t).await), ErrorKind::InvalidToken);
        let list = svc.tokens(&admin).await.unwrap();
        assert_eq!(list.tokens.len(), 3);
        assert!(list.tokens[1].expires_at.is_some());
        let json = serde_json::to_string(&list).unwrap();
        assert!(!json.contains(secret) && !json.contains("sha256"), "{json}");
        // Expiry out of range.
        for bad in [Duration::ZERO, Duration::from_secs(20 * 366 * 86400)] {
            let r = tokens::create_token(
                &store,
                &NewToken {
                    role: Role::Citizen,
                    label: String::new(),
                    agency: None,
                    expires_in: Some(bad),
                    account: None,
                },
                "test",
            )
            .await;
            assert_eq!(r.unwrap_err().kind, ErrorKind::InvalidField);
        }
    })
    .await;
}

#[tokio::test]
async fn argon2_tokens_of_older_versions_are_retired() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        let id = store
            .insert_token(
                &NewTokenRow {
                    role: Role::Admin,
                    label: "old",
                    hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                    agency_id: None,
                    expires_at: None,
                },
                "test",
            )
            .await
            .unwrap();
        let old = format!("qt_{id}_{}", "0123456789ab".repeat(4));
        assert_eq!(kind(svc.authenticate(&old).await), ErrorKind::TokenRetired);
        // A current-form text naming the old row is simply wrong.
        let current = format!("qt_{id}_{}", "ab".repeat(32));
        assert_eq!(
            kind(svc.authenticate(&current).await),
            ErrorKind::InvalidToken
        );
    })
    .await;
}

fn with_sessions(store: Store, sessions: SessionPolicy) -> Service {
    let pack = quytac_core::rules::RulePack::builtin(quytac_core::rules::DEFAULT_PACK).unwrap();
    Service::new(
        Arc::new(quytac_core::engine::Engine::new(pack)),
        store,
        Arc::new(quytac_service::signing::AuditSigner::ephemeral()),
        Settings {
            sessions,
            ..Settings::default()
        },
    )
}

#[tokio::test]
async fn sessions_end_at_sign_out_revocation_idle_time_and_their_end() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        let admin = svc
            .authenticate(&token(&store, Role::Admin, None).await)
            .await
            .unwrap();
        let moderator = svc
            .authenticate(&token(&store, Role::Moderator, None).await)
            .await
            .unwrap();
        let s = svc.open_session(&moderator).await.unwrap();
        assert_eq!(s.id.len(), 64);
        let live = svc.console_session(&s.id).await.unwrap();
        assert_eq!(live.actor, moderator);
        assert!(live.csrf_matches(&s.csrf));
        assert!(!live.csrf_matches(""));
        assert!(!live.csrf_matches(&"0".repeat(64)));
        // Sign-out.
        assert!(svc.end_session(&s.id).await.unwrap());
        assert_eq!(
            svc.console_session(&s.id).await.unwrap_err().kind,
            ErrorKind::InvalidSession
        );
        // Revocation of the token.
        let s = svc.open_session(&moderator).await.unwrap();
        svc.revoke_token(&admin, moderator.token_id).await.unwrap();
        assert_eq!(
            svc.console_session(&s.id).await.unwrap_err().kind,
            ErrorKind::InvalidSession
        );
        // Idle time and absolute end.
        for policy in [
            SessionPolicy {
                idle: Duration::from_millis(200),
                lifetime: Duration::from_secs(60),
            },
            SessionPolicy {
                idle: Duration::from_secs(60),
                lifetime: Duration::from_millis(200),
            },
        ] {
            let short = with_sessions(store.clone(), policy);
            let s = short.open_session(&admin).await.unwrap();
            assert!(short.console_session(&s.id).await.is_ok());
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(
                short.console_session(&s.id).await.unwrap_err().kind,
                ErrorKind::InvalidSession,
                "{policy:?}"
            );
        }
        // Not a session id at all.
        for bad in ["", "x", &"A".repeat(64), &"0".repeat(65)] {
            assert!(svc.console_session(bad).await.is_err());
        }
    })
    .await;
}
