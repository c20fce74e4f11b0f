//! The audit log over HTTP: the chain names the first edited event, the signed head is
//! public and verifies with the published key, and a row edited in the database is named.
//! (Every tampering of issue 11 is tested on both backends in quytac-service's tests.)

use crate::helpers::*;

async fn tamper(app: &TestApp, sql: &str) {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;
    let mut conn = SqliteConnectOptions::new()
        .filename(&app.db_file)
        .connect()
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
}

#[tokio::test]
async fn audit_chain_verifies_and_names_the_first_edited_event() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let admin = app.token(Role::Admin).await;
    for i in 0..4 {
        app.ingest(&moderator, &format!("a{i}"), HATE, "u1").await;
    }
    let v = app
        .call("GET", "/v1/audit/verify", Some(&admin), None)
        .await
        .json();
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["events"].as_i64().unwrap() >= 10);
    assert!(
        v["heads"].as_i64().unwrap() >= 4,
        "a signed head every commit: {v}"
    );
    let log = app
        .call("GET", "/v1/audit?after=2&limit=3", Some(&admin), None)
        .await
        .json();
    let seqs: Vec<i64> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![3, 4, 5]);
    if log["events"][1]["chain"] == log["events"][0]["chain"] {
        assert_eq!(log["events"][1]["prev_hash"], log["events"][0]["hash"]);
    }

    tamper(
        &app,
        "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 4",
    )
    .await;
    let v = app
        .call("GET", "/v1/audit/verify", Some(&admin), None)
        .await
        .json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_broken"]["seq"], 4);
    // Its place in its own chain (posts spread over the authors' shard chains).
    assert_eq!(v["first_broken"]["pos"], log["events"][1]["pos"]);
    assert_eq!(v["first_broken"]["reason"], "hash_mismatch");
}

#[tokio::test]
async fn the_signed_head_is_public_and_verifies_with_the_published_key() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let admin = app.token(Role::Admin).await;
    for i in 0..3 {
        app.ingest(&moderator, &format!("h{i}"), HATE, "u1").await;
    }
    let r = app.call("GET", "/v1/audit/head", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let head = r.json();
    for field in ["seq", "hash", "time", "key_id", "signature"] {
        assert!(!head[field].is_null(), "{field} in {head}");
    }
    let v = app
        .call("GET", "/v1/audit/verify", Some(&admin), None)
        .await
        .json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        head["seq"], v["events"],
        "the newest head covers every event"
    );
    let keys = app
        .call("GET", "/.well-known/quytac-keys.json", None, None)
        .await
        .json();
    assert!(keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == head["key_id"] && k["public_key"] == head["public_key"]));
    let head: quytac_store::audit::SignedHead = serde_json::from_value(head).unwrap();
    assert!(quytac_service::signing::verify_head(
        &head,
        &head.public_key
    ));
}

#[tokio::test]
async fn a_decision_changed_in_the_database_is_reported() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let admin = app.token(Role::Admin).await;
    let ingested = app.ingest(&moderator, "d1", HATE, "u1").await;
    let case = ingested["case"]["id"].as_i64().expect("a case");
    let r = app
        .call(
            "POST",
            &format!("/v1/cases/{case}/decision"),
            Some(&moderator),
            Some(
                serde_json::json!({"rule": "US-1", "category": "hate", "action": "remove",
                "statement": "Ngôn từ thù ghét."}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    tamper(&app, "UPDATE decisions SET action = 'label'").await;
    let v = app
        .call("GET", "/v1/audit/verify", Some(&admin), None)
        .await
        .json();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["state"]["problems"][0]["table"], "decisions", "{v}");
    assert_eq!(v["state"]["problems"][0]["reason"], "row_differs", "{v}");
}
