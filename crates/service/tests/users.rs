//! Staff users through the service: creation under the password policy, sign-in (wrong
//! password, unknown user, lock-out, disabled user, the console's roles), sessions of users,
//! sign-out everywhere, and the audit log binding the users' rows (an edited password hash is
//! found). Run on SQLite always and on PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::service;
use quytac_core::workflow::Role;
use quytac_service::users::{NewUser, SignInPolicy};
use quytac_service::{ErrorKind, Service, Settings};
use quytac_store::testing::on_each_backend;
use quytac_store::Store;
use std::net::IpAddr;
use std::sync::Arc;

const STAFF: &[Role] = &[Role::Admin, Role::Moderator, Role::Reviewer];
const PASSWORD: &str = "mật khẩu rất dài 2026";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn new_user(username: &str, role: Role, password: &str) -> NewUser {
    NewUser {
        username: username.into(),
        display_name: "Nguyễn Thị Lan".into(),
        role,
        agency: None,
        password: password.into(),
    }
}

fn with_policy(store: Store, sign_in: SignInPolicy) -> Service {
    let pack = quytac_core::rules::RulePack::builtin(quytac_core::rules::DEFAULT_PACK).unwrap();
    Service::new(
        Arc::new(quytac_core::engine::Engine::new(pack)),
        store,
        Arc::new(quytac_service::signing::AuditSigner::ephemeral()),
        Settings {
            sign_in,
            ..Settings::default()
        },
    )
}

#[tokio::test]
async fn users_are_made_under_the_policy_and_sign_in_with_their_password() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        // The policy: short, containing the username, a citizen, an officer without agency.
        for (new, why) in [
            (new_user("lan", Role::Moderator, "short"), "short"),
            (
                new_user("lan", Role::Moderator, "password of LAN 1"),
                "username inside",
            ),
            (new_user("5", Role::Moderator, PASSWORD), "numeric username"),
            (new_user("lan", Role::Citizen, PASSWORD), "citizen"),
            (
                new_user("lan", Role::AgencyOfficer, PASSWORD),
                "officer without agency",
            ),
        ] {
            let e = svc.add_user("cli:admin", &new).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidField, "{why}: {e}");
        }
        let user = svc
            .add_user("cli:admin", &new_user(" Lan ", Role::Moderator, PASSWORD))
            .await
            .unwrap();
        assert_eq!(user.username, "lan");
        let taken = svc
            .add_user("cli:admin", &new_user("lan", Role::Reviewer, PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(taken.kind, ErrorKind::Conflict);

        let here = ip("192.0.2.1");
        let wrong = svc.sign_in("lan", "wrong password!", here, STAFF).await;
        assert_eq!(wrong.unwrap_err().kind, ErrorKind::InvalidCredentials);
        let unknown = svc.sign_in("nobody", PASSWORD, here, STAFF).await;
        assert_eq!(
            unknown.unwrap_err().kind,
            ErrorKind::InvalidCredentials,
            "an unknown user is told the same as a wrong password"
        );
        let signed = svc.sign_in("LAN", PASSWORD, here, STAFF).await.unwrap();
        assert_eq!(signed.actor.name(), "moderator:lan");
        assert_eq!(signed.display_name, "Nguyễn Thị Lan");
        let live = svc.console_session(&signed.session.id).await.unwrap();
        assert_eq!(live.actor, signed.actor);
        assert_eq!(live.shown_name(), "Nguyễn Thị Lan");
        // A role outside the console's is refused after the password.
        let refused = svc.sign_in("lan", PASSWORD, here, &[Role::Admin]).await;
        assert_eq!(refused.unwrap_err().kind, ErrorKind::Forbidden);

        // The audit log names the creation and binds the row.
        let v = svc.verify_audit().await.unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.state.problem_count, 0, "{:?}", v.state.problems);
        // A password hash changed outside the workflow is found.
        let forged = quytac_service::users::hash_password("attacker's password").unwrap();
        sqlx::query("UPDATE users SET password_hash = $1 WHERE username = 'lan'")
            .bind(forged)
            .execute(store.pool())
            .await
            .unwrap();
        let v = svc.verify_audit().await.unwrap();
        assert!(
            v.state
                .problems
                .iter()
                .any(|p| p.table == "users" && p.reason == "row_differs"),
            "{:?}",
            v.state.problems
        );
    })
    .await;
}

#[tokio::test]
async fn disabling_or_resetting_ends_sessions_and_sign_out_everywhere_ends_all() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        svc.add_user("cli:admin", &new_user("lan", Role::Moderator, PASSWORD))
            .await
            .unwrap();
        let here = ip("192.0.2.1");
        let a = svc.sign_in("lan", PASSWORD, here, STAFF).await.unwrap();
        let b = svc
            .sign_in("lan", PASSWORD, ip("192.0.2.2"), STAFF)
            .await
            .unwrap();
        let account = svc.session_account(&a.session.id).await.unwrap();
        assert_eq!(account.sessions.len(), 2);
        assert_eq!(account.sessions.iter().filter(|s| s.current).count(), 1);
        // Sign-out everywhere from one ends the other.
        assert_eq!(svc.end_all_sessions(&a.session.id).await.unwrap(), 2);
        for s in [&a, &b] {
            assert_eq!(
                svc.console_session(&s.session.id).await.unwrap_err().kind,
                ErrorKind::InvalidSession
            );
        }
        // A new password ends the sessions; the old password no longer works.
        let c = svc.sign_in("lan", PASSWORD, here, STAFF).await.unwrap();
        let new_password = "một mật khẩu mới khác";
        assert_eq!(
            svc.reset_password("cli:admin", "lan", new_password)
                .await
                .unwrap(),
            1
        );
        assert!(svc.console_session(&c.session.id).await.is_err());
        assert_eq!(
            svc.sign_in("lan", PASSWORD, here, STAFF)
                .await
                .unwrap_err()
                .kind,
            ErrorKind::InvalidCredentials
        );
        // Disabling ends the sessions and refuses the right password.
        let d = svc.sign_in("lan", new_password, here, STAFF).await.unwrap();
        assert_eq!(svc.disable_user("cli:admin", "lan").await.unwrap(), 1);
        assert!(svc.console_session(&d.session.id).await.is_err());
        assert_eq!(
            svc.sign_in("lan", new_password, here, STAFF)
                .await
                .unwrap_err()
                .kind,
            ErrorKind::UserDisabled
        );
        let v = svc.verify_audit().await.unwrap();
        assert!(v.ok && v.state.problem_count == 0, "{v:?}");
    })
    .await;
}

/// The failures are the store's: a second process (another `Service` on the same database),
/// or the same one restarted, refuses a username the first one locked.
#[tokio::test]
async fn a_lock_out_holds_in_every_process_on_the_database() {
    on_each_backend(|store| async move {
        let policy = SignInPolicy {
            failures_per_user: 3,
            ..SignInPolicy::default()
        };
        let first = with_policy(store.clone(), policy);
        let second = with_policy(store.clone(), policy);
        first
            .add_user("cli:admin", &new_user("lan", Role::Moderator, PASSWORD))
            .await
            .unwrap();
        // Failures split between the two processes add up.
        for (i, svc) in [&first, &second, &first].into_iter().enumerate() {
            let e = svc
                .sign_in(
                    "lan",
                    &format!("guess number {i}"),
                    ip("198.51.100.9"),
                    STAFF,
                )
                .await
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidCredentials, "guess {i}");
        }
        let e = second
            .sign_in("lan", PASSWORD, ip("203.0.113.5"), STAFF)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::SignInLocked, "{}", e.message);
        drop((first, second));
        let restarted = with_policy(store, policy);
        let e = restarted
            .sign_in("lan", PASSWORD, ip("203.0.113.5"), STAFF)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::SignInLocked, "after a restart");
    })
    .await;
}

#[tokio::test]
async fn password_guessing_is_locked_out_per_username_and_per_client() {
    on_each_backend(|store| async move {
        let svc = with_policy(
            store.clone(),
            SignInPolicy {
                failures_per_user: 5,
                failures_per_client: 8,
                ..SignInPolicy::default()
            },
        );
        svc.add_user("cli:admin", &new_user("lan", Role::Moderator, PASSWORD))
            .await
            .unwrap();
        let attacker = ip("198.51.100.9");
        for i in 0..5 {
            let e = svc
                .sign_in("lan", &format!("guess number {i}"), attacker, STAFF)
                .await
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidCredentials, "guess {i}");
        }
        // The sixth try is refused before the password is looked at — even the right one,
        // and from another client.
        for from in [attacker, ip("203.0.113.5")] {
            let e = svc.sign_in("lan", PASSWORD, from, STAFF).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::SignInLocked, "{from}");
        }
        // Spraying other usernames from the same client locks the client too.
        for name in ["an", "binh", "chi"] {
            let _ = svc
                .sign_in(name, "guess guess guess", attacker, STAFF)
                .await;
        }
        svc.add_user("cli:admin", &new_user("minh", Role::Reviewer, PASSWORD))
            .await
            .unwrap();
        let e = svc
            .sign_in("minh", PASSWORD, attacker, STAFF)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::SignInLocked);
        // Another client signs minh in.
        assert!(svc
            .sign_in("minh", PASSWORD, ip("203.0.113.5"), STAFF)
            .await
            .is_ok());
    })
    .await;
}
