//! API tokens (issue 11, item 2): the strict form, revocation seen on the next request (by
//! the endpoint and by another process such as the CLI), expiry, retired argon2 tokens, and
//! the admin's list that never shows a secret.

use crate::helpers::*;
use quytac_service::tokens::{hash_secret, NewToken};
use quytac_store::NewTokenRow;

pub fn permission_rows() -> Vec<MatrixRow> {
    vec![
        (
            "GET",
            "/v1/tokens",
            "/v1/tokens",
            Who::Roles(&[Role::Admin]),
        ),
        (
            "DELETE",
            "/v1/tokens/{id}",
            "/v1/tokens/999999",
            Who::Roles(&[Role::Admin]),
        ),
    ]
}

/// The id and secret of a token's text.
fn split(token: &str) -> (String, String) {
    let rest = token.strip_prefix("qt_").unwrap();
    let (id, secret) = rest.split_once('_').unwrap();
    (id.to_string(), secret.to_string())
}

#[tokio::test]
async fn only_the_exact_token_form_is_accepted() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let (id, secret) = split(&admin);
    assert_eq!(secret.len(), 64, "256-bit secrets");
    let ok = app.call("GET", "/v1/cases", Some(&admin), None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // The same id and secret written another way: each used to be read as this token.
    for forged in [
        format!("qt_+{id}_{secret}"),
        format!("qt_0{id}_{secret}"),
        format!("qt_00{id}_{secret}"),
        format!("qt_{id}_{}", secret.to_uppercase()),
        format!("qt_{id}_{secret}0"),
        format!("qt_{id}_{}", &secret[..63]),
        format!("qt_{id}_{}", "z".repeat(64)),
        format!("qt_{id}"),
        format!("QT_{id}_{secret}"),
        format!("qt_{id}_{secret}_"),
        format!("qt_{id}_{}", "a".repeat(60_000)),
    ] {
        let r = app.call("GET", "/v1/cases", Some(&forged), None).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (401, "invalid_token"),
            "{forged:.80}"
        );
    }
}

#[tokio::test]
async fn a_revoked_token_is_refused_on_its_next_request() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let moderator = app.token(Role::Moderator).await;
    let (id, _) = split(&moderator);
    // Used first, so that any memory of verified tokens holds it.
    for _ in 0..3 {
        let r = app.call("GET", "/v1/cases", Some(&moderator), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app
        .call("DELETE", &format!("/v1/tokens/{id}"), Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["revoked"], true);
    assert_eq!(r.json()["id"].as_i64().unwrap().to_string(), id);
    let r = app.call("GET", "/v1/cases", Some(&moderator), None).await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_token"));
    // Revoking again changes nothing; an unknown id is 404.
    let r = app
        .call("DELETE", &format!("/v1/tokens/{id}"), Some(&admin), None)
        .await;
    assert_eq!(r.status, 200);
    let r = app
        .call("DELETE", "/v1/tokens/424242", Some(&admin), None)
        .await;
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    // The revocation is in the audit log, by the admin.
    let audit = app
        .call("GET", "/v1/audit", Some(&admin), None)
        .await
        .json();
    let revoked: Vec<&Value> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "token.revoked")
        .collect();
    assert_eq!(revoked.len(), 1, "{audit}");
    assert_eq!(revoked[0]["subject"], format!("token:{id}"));
}

/// `quytac admin revoke-token` works on the database from another process: the running
/// service refuses the token on its next request all the same.
#[tokio::test]
async fn a_token_revoked_by_another_process_is_refused_at_once() {
    let app = spawn_app().await;
    let reviewer = app.token(Role::Reviewer).await;
    let (id, _) = split(&reviewer);
    let r = app.call("GET", "/v1/cases", Some(&reviewer), None).await;
    assert_eq!(r.status, 200);
    let other = quytac_store::Store::connect(&app.db_url).await.unwrap();
    quytac_service::tokens::revoke_token(&other, id.parse().unwrap(), "cli:admin")
        .await
        .unwrap();
    other.close().await;
    let r = app.call("GET", "/v1/cases", Some(&reviewer), None).await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_token"));
}

#[tokio::test]
async fn the_admin_lists_tokens_without_secrets() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let officer = app.token(Role::Citizen).await;
    let r = app.call("GET", "/v1/tokens", Some(&admin), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let tokens = r.json()["tokens"].as_array().unwrap().clone();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0]["role"], "admin");
    assert_eq!(tokens[1]["role"], "citizen");
    assert_eq!(tokens[1]["revoked"], false);
    assert!(tokens[1]["created_at"].as_i64().unwrap() > 0);
    for token in [&admin, &officer] {
        let (_, secret) = split(token);
        assert!(!r.body.contains(&secret), "a secret in the list");
    }
    assert!(!r.body.contains("sha256"), "a hash in the list: {}", r.body);
    assert!(!r.body.contains("\"hash\""), "{}", r.body);
    // The OpenAPI document describes both routes.
    let doc = app.call("GET", "/openapi.json", None, None).await.json();
    assert!(doc["paths"]["/v1/tokens"]["get"].is_object());
    assert!(doc["paths"]["/v1/tokens/{id}"]["delete"].is_object());
    assert!(doc["components"]["schemas"]["TokenInfo"].is_object());
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let store = &app.state.store;
    // One that expired a second ago, written as the service writes tokens.
    let secret = [7u8; 32];
    let id = store
        .insert_token(
            &NewTokenRow {
                role: Role::Moderator,
                label: "expired",
                hash: &hash_secret(&secret),
                agency_id: None,
                expires_at: Some(quytac_store::now_ms() - 1000),
            },
            "test",
        )
        .await
        .unwrap();
    let expired = format!("qt_{id}_{}", hex_of(&secret));
    let r = app.call("GET", "/v1/cases", Some(&expired), None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "token_expired"),
        "{}",
        r.body
    );
    // One that expires in an hour works, and the list shows its expiry.
    let fresh = quytac_service::tokens::create_token(
        store,
        &NewToken {
            role: Role::Moderator,
            label: "an hour".into(),
            agency: None,
            expires_in: Some(Duration::from_secs(3600)),
            account: None,
        },
        "test",
    )
    .await
    .unwrap();
    let r = app.call("GET", "/v1/cases", Some(&fresh), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let admin = app.token(Role::Admin).await;
    let list = app
        .call("GET", "/v1/tokens", Some(&admin), None)
        .await
        .json();
    let expiry = list["tokens"][1]["expires_at"].as_i64().unwrap();
    let in_an_hour = quytac_store::now_ms() + 3_600_000;
    assert!((in_an_hour - expiry).abs() < 60_000, "{list}");
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tokens of versions before issue 11 were argon2-hashed with 24-byte secrets: they are
/// refused with a code that tells the holder to ask for a new one.
#[tokio::test]
async fn an_argon2_token_of_an_older_version_is_retired() {
    let app = spawn_app().await;
    let id = app
        .state
        .store
        .create_token(
            Role::Moderator,
            "old",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            None,
            "test",
        )
        .await
        .unwrap();
    let old = format!("qt_{id}_{}", "ab".repeat(24));
    let r = app.call("GET", "/v1/cases", Some(&old), None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "token_retired"),
        "{}",
        r.body
    );
    assert!(r.body.contains("new token"), "{}", r.body);
    let admin = app.token(Role::Admin).await;
    let list = app
        .call("GET", "/v1/tokens", Some(&admin), None)
        .await
        .json();
    assert_eq!(list["tokens"][0]["retired"], true);
    assert_eq!(list["tokens"][1]["retired"], false);
}
