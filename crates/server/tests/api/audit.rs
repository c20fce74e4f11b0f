//! The audit log: the hash chain names the first edited event, and the signed checkpoints
//! catch a chain rewritten from end to end.

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
        v["checkpoints"].as_i64().unwrap() >= 2,
        "a checkpoint every 5 events: {v}"
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
    assert_eq!(log["events"][1]["prev_hash"], log["events"][0]["hash"]);

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
    assert_eq!(v["first_broken"]["reason"], "hash_mismatch");
}

#[tokio::test]
async fn a_rewritten_chain_is_caught_by_the_signed_checkpoints() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let admin = app.token(Role::Admin).await;
    for i in 0..3 {
        app.ingest(&moderator, &format!("c{i}"), HATE, "u1").await;
    }
    let r = app
        .call("POST", "/v1/audit/checkpoints", Some(&admin), None)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Edit event 2 and recompute every hash after it, as a careful forger would.
    let events = app.state.store.audit_events(0, 1000).await.unwrap();
    let mut prev = quytac_store::audit::GENESIS.to_string();
    for e in &events {
        let actor = if e.seq == 2 {
            "forger"
        } else {
            e.actor.as_str()
        };
        let hash = quytac_store::audit::event_hash(
            &prev, e.seq, e.at, actor, &e.action, &e.subject, &e.payload,
        );
        tamper(&app, &format!("UPDATE audit_events SET actor = '{actor}', prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}", e.seq)).await;
        prev = hash;
    }
    let v = app
        .call("GET", "/v1/audit/verify", Some(&admin), None)
        .await
        .json();
    assert!(
        v["first_broken"].is_null(),
        "the chain itself was recomputed: {v}"
    );
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_bad_checkpoint"]["reason"], "event_hash_differs");
}
