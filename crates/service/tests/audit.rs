//! The audit log covers the state: each tampering of issue 11 ("What broke" 8) is reported by
//! `verify_audit`, on SQLite always and on PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set;
//! untampered logs verify after the demo and after concurrent writes on several chains.

mod common;

use common::service;

use quytac_core::finding::Category;
use quytac_core::item::Item;
use quytac_core::workflow::{Action, Actor, CaseSource, Role};
use quytac_service::audit::AuditVerification;
use quytac_service::moderation::{Decide, ReportPost};
use quytac_service::posts::PostSource;
use quytac_service::Service;
use quytac_store::audit::{chain_for_author, head_problem, recompute_hash, ChainWalker, NewEvent};
use quytac_store::model::NewPost;
use quytac_store::testing::on_each_backend;
use quytac_store::Store;
use std::collections::HashSet;

fn slur(id: &str) -> Item {
    Item::from_json(&format!(
        r#"{{"id":"{id}","text":"Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi","author":{{"id":"cs-{id}","role":"civil_servant"}}}}"#
    ))
    .unwrap()
}

/// Three posts with cases; the first decided (removed), the second reported.
async fn workflow(svc: &Service) {
    for p in ["p1", "p2", "p3"] {
        svc.ingest("t", slur(p), PostSource::Api).await.unwrap();
    }
    let decide = Decide {
        rule: "CS-5".into(),
        category: Category::RegionalDiscrimination,
        action: Action::Remove,
        statement: "Phân biệt vùng miền.".into(),
        automated_decision: false,
    };
    svc.decide(&Actor::new(Role::Moderator, 30), 1, decide)
        .await
        .unwrap();
    svc.report(
        &Actor::new(Role::Citizen, 20),
        ReportPost {
            post_id: "p2".into(),
            category: Some(Category::Hate),
            note: "n".into(),
            addressee: None,
        },
    )
    .await
    .unwrap();
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

async fn verified(svc: &Service) -> AuditVerification {
    let v = svc.verify_audit().await.unwrap();
    println!("{}", serde_json::to_string(&v).unwrap());
    v
}

fn state_problem(v: &AuditVerification, table: &str, reason: &str) -> bool {
    v.state
        .problems
        .iter()
        .any(|p| p.table == table && p.reason == reason)
}

#[tokio::test]
async fn an_untouched_log_verifies_with_a_signed_head_per_commit() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        workflow(&svc).await;
        let v = verified(&svc).await;
        assert!(v.ok);
        assert!(
            v.state.rows >= 9,
            "posts, cases, decision, violation, report"
        );
        assert_eq!(v.state.problem_count, 0);
        assert!(v.heads >= 5, "one signed head per commit");
        let head = svc.audit_head().await.unwrap();
        assert_eq!(head.seq, v.events, "the newest head covers every event");
        assert!(quytac_service::signing::verify_head(
            &head,
            &svc.signer().public_key_hex()
        ));
    })
    .await;
}

#[tokio::test]
async fn a_changed_decision_action_is_reported() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        workflow(&svc).await;
        exec(&store, "UPDATE decisions SET action = 'label' WHERE id = 1").await;
        let v = verified(&svc).await;
        assert!(!v.ok);
        assert!(state_problem(&v, "decisions", "row_differs"), "{v:?}");
        assert!(v.first_broken.is_none(), "the events themselves are intact");
    })
    .await;
}

#[tokio::test]
async fn a_changed_case_status_or_post_text_is_reported() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        workflow(&svc).await;
        exec(&store, "UPDATE cases SET status = 'open' WHERE id = 1").await;
        let v = verified(&svc).await;
        assert!(!v.ok);
        assert!(state_problem(&v, "cases", "row_differs"), "{v:?}");
        exec(&store, "UPDATE cases SET status = 'decided' WHERE id = 1").await;
        assert!(verified(&svc).await.ok, "put back, it verifies again");

        exec(
            &store,
            "UPDATE posts SET text = 'Bài viết vô hại.' WHERE external_id = 'p2'",
        )
        .await;
        let v = verified(&svc).await;
        assert!(!v.ok);
        assert!(state_problem(&v, "posts", "row_differs"), "{v:?}");
    })
    .await;
}

#[tokio::test]
async fn rows_written_or_deleted_outside_the_workflow_are_reported() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        workflow(&svc).await;
        exec(
            &store,
            "INSERT INTO violations (account_id, case_id, decision_id, action, at) VALUES ('cs-p3', 1, 1, 'remove', 1)",
        )
        .await;
        exec(&store, "DELETE FROM reports").await;
        let v = verified(&svc).await;
        assert!(!v.ok);
        assert!(state_problem(&v, "violations", "unbound_row"), "{v:?}");
        assert!(state_problem(&v, "reports", "row_missing"), "{v:?}");
    })
    .await;
}

#[tokio::test]
async fn deleting_the_newest_events_is_reported_by_the_signed_heads() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        workflow(&svc).await;
        let last = svc.verify_audit().await.unwrap().chains[0].pos;
        exec(
            &store,
            &format!(
                "DELETE FROM audit_events WHERE chain = 0 AND pos > {}",
                last - 2
            ),
        )
        .await;
        let v = verified(&svc).await;
        assert!(!v.ok);
        let bad = v
            .first_bad_head
            .expect("a signed head names the deleted events");
        assert!(bad.reason.contains("no event at pos"), "{}", bad.reason);
    })
    .await;
}

/// The forger deletes the newest commit (an event that wrote no row) with every head that
/// covers it and moves the chain's head back: the log is self-consistent again, and only a
/// witness of an earlier head finds it — this server's memory of its last head, or a head a
/// client saved (`quytac audit verify --witness`).
#[tokio::test]
async fn deleting_events_with_their_heads_is_found_by_a_witness() {
    on_each_backend(|store| async move {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("audit.key");
        let svc = keyed_service(store.clone(), &key);
        workflow(&svc).await;
        let before = svc.verify_audit().await.unwrap().chains[0].clone();
        store
            .record_event(NewEvent::new(
                "mastodon",
                "mastodon.account_updated",
                "mastodon:x".into(),
                serde_json::json!({}),
            ))
            .await
            .unwrap();
        let saved = svc.audit_head().await.unwrap();
        exec(
            &store,
            &format!(
                "DELETE FROM audit_events WHERE chain = 0 AND pos > {}",
                before.pos
            ),
        )
        .await;
        exec(
            &store,
            &format!("DELETE FROM audit_heads WHERE id >= {}", saved.id),
        )
        .await;
        exec(
            &store,
            &format!(
                "UPDATE audit_chains SET pos = {}, hash = '{}' WHERE chain = 0",
                before.pos, before.hash
            ),
        )
        .await;
        let v = verified(&svc).await;
        assert!(
            v.first_broken.is_none() && v.first_bad_head.is_none() && v.unsigned_events.is_none()
        );
        assert!(!v.ok);
        assert!(v.rolled_back.is_some(), "the server's own last head: {v:?}");

        // A server restarted on the tampered database has no memory of it; the saved head
        // (the witness) still finds the rollback.
        let restarted = keyed_service(Store::connect(&db_url(&store).await).await.unwrap(), &key);
        let fresh = restarted.verify_audit().await.unwrap();
        assert!(fresh.ok, "self-consistent without a witness: {fresh:?}");
        let events = store.audit_events(0, 10_000).await.unwrap();
        let wanted: HashSet<(i64, i64)> = saved.chains.iter().map(|c| (c.chain, c.pos)).collect();
        let mut walker = ChainWalker::new(wanted, false);
        for e in &events {
            walker.push(e);
        }
        assert!(
            head_problem(&saved, &walker).is_some(),
            "the witness finds the cut"
        );
    })
    .await;
}

#[tokio::test]
async fn a_rewritten_chain_with_its_later_heads_dropped_is_an_unsigned_tail() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        workflow(&svc).await;
        // Edit event 3 of the longest chain and recompute every hash after it, as a careful
        // forger would; drop the heads that no longer match.
        let mut events = store.audit_events(0, 10_000).await.unwrap();
        let chain = (0..=16)
            .max_by_key(|c| events.iter().filter(|e| e.chain == *c).count())
            .unwrap();
        events.retain(|e| e.chain == chain);
        let mut prev = events[1].hash.clone();
        for e in events.iter_mut().skip(2) {
            if e.pos == 3 {
                e.actor = "forger".into();
            }
            e.prev_hash = prev.clone();
            e.hash = recompute_hash(e);
            prev = e.hash.clone();
            exec(
                &store,
                &format!(
                    "UPDATE audit_events SET actor = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                    e.actor, e.prev_hash, e.hash, e.seq
                ),
            )
            .await;
        }
        let last = events.last().unwrap();
        exec(&store, &format!("UPDATE audit_chains SET hash = '{}' WHERE chain = {chain}", last.hash)).await;
        let heads: Vec<(i64, String)> = sqlx::query_as("SELECT id, chains FROM audit_heads")
            .fetch_all(store.pool())
            .await
            .unwrap();
        for (id, chains) in heads {
            let chains: Vec<quytac_store::audit::ChainHead> = serde_json::from_str(&chains).unwrap();
            if chains.iter().any(|c| c.chain == chain && c.pos >= 3) {
                exec(&store, &format!("DELETE FROM audit_heads WHERE id = {id}")).await;
            }
        }
        let v = verified(&svc).await;
        assert!(v.first_broken.is_none(), "the chain itself was recomputed");
        assert!(v.first_bad_head.is_none(), "the heads left are untouched");
        assert!(!v.ok);
        // The dropped heads also covered the other chains' later events: the first unsigned
        // event named is the earliest of any chain, at or before the rewritten one.
        let tail = v.unsigned_events.expect("events no signed head covers");
        assert!(
            tail.chain != chain || tail.from_pos <= 3,
            "{tail:?} on chain {chain}"
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_writes_on_several_chains_verify() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        workflow(&svc).await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let author = format!("a{}", i % 7);
                let chain = chain_for_author(Some(&author), 4);
                let mut w = store.write_on(chain).await.unwrap();
                let post = w
                    .upsert_post(
                        &NewPost {
                            external_id: format!("s{i}"),
                            author_id: Some(author),
                            text: "x".into(),
                            item_json: "{}".into(),
                            result_json: "{}".into(),
                            verdict: "review".parse().unwrap(),
                            label: None,
                            source: "nats".into(),
                        },
                        "worker",
                    )
                    .await
                    .unwrap();
                w.join_or_open_case(post.id, CaseSource::Automated, post.verdict, "worker")
                    .await
                    .unwrap();
                w.commit().await.unwrap()
            }));
        }
        for i in 0..10 {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                svc.ingest("t", slur(&format!("q{i}")), PostSource::Api)
                    .await
                    .unwrap();
                Vec::new()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // A head signed now covers every event. (The newest head stored need not: two
        // transactions on two chains each sign a head that misses the other's events.)
        let head = svc.sign_head_now().await.unwrap();
        let v = verified(&svc).await;
        assert!(v.ok, "{v:?}");
        assert!(v.chains.len() >= 3, "the workflow's chain and shard chains");
        assert_eq!(v.events, head.seq);
    })
    .await;
}

#[tokio::test]
async fn the_demo_verifies() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        // In the order `serve --demo` loads them: the takedown needs its competent authority.
        svc.load_identity_demo().await.unwrap();
        svc.load_moderation_demo().await.unwrap();
        svc.load_inquiries_demo().await.unwrap();
        svc.load_consultations_demo().await.unwrap();
        let v = verified(&svc).await;
        assert!(v.ok, "{v:?}");
        assert!(v.state.rows > 0);
    })
    .await;
}

/// A service whose audit key is the file `key` (created on first use), as a server's is.
fn keyed_service(store: Store, key: &std::path::Path) -> Service {
    use quytac_core::engine::Engine;
    use quytac_core::rules::{RulePack, DEFAULT_PACK};
    let engine = Engine::new(RulePack::builtin(DEFAULT_PACK).unwrap());
    let signer = quytac_service::signing::AuditSigner::load_or_create(key).unwrap();
    Service::new(
        std::sync::Arc::new(engine),
        store,
        std::sync::Arc::new(signer),
        quytac_service::Settings::default(),
    )
}

/// The URL of the database `store` is connected to, for a second connection.
async fn db_url(store: &Store) -> String {
    match store.backend() {
        quytac_store::Backend::Sqlite => {
            let row: (String,) =
                sqlx::query_as("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            format!("sqlite://{}", row.0)
        }
        quytac_store::Backend::Postgres => {
            let row: (String,) = sqlx::query_as("SELECT CAST(current_database() AS TEXT)")
                .fetch_one(store.pool())
                .await
                .unwrap();
            let base = std::env::var("QUYTAC_TEST_POSTGRES_URL").unwrap();
            let (prefix, _) = base.rsplit_once('/').unwrap();
            format!("{prefix}/{}", row.0)
        }
    }
}

/// More covered rows than one page of the verifier's scan (2,000): every row is read, in the
/// order of its id, not of its id's text ("10" before "9" skipped rows on PostgreSQL).
#[tokio::test]
async fn verify_reads_every_row_past_one_page() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        let posts: Vec<quytac_service::posts::BatchPost> = (0..2_100)
            .map(|i| quytac_service::posts::BatchPost {
                by: "t".into(),
                item: Item::from_json(&format!(
                    r#"{{"id":"bulk-{i}","text":"Hôm nay trời đẹp","author":{{"id":"u{}"}}}}"#,
                    i % 7
                ))
                .unwrap(),
                source: PostSource::Import,
            })
            .collect();
        svc.ingest_batch(posts).await.unwrap();
        let v = verified(&svc).await;
        assert!(v.ok, "{:?}", v.state);
        assert_eq!(v.state.rows, 2_100);
        assert_eq!(v.state.problem_count, 0);
    })
    .await;
}

/// Tokens, agencies, accounts, badges, staff attestations, domain challenges, consultations
/// and their comments are bound too: each edit, insert or delete made outside the workflow is
/// reported, and the demo's own writes verify.
#[tokio::test]
async fn identity_consultation_and_token_rows_are_bound() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        svc.load_identity_demo().await.unwrap();
        svc.load_consultations_demo().await.unwrap();
        let token = store
            .create_token(Role::Moderator, "m", "sha256:00", None, "admin")
            .await
            .unwrap();
        store.revoke_token(token, "admin").await.unwrap();
        let v = verified(&svc).await;
        assert!(v.ok, "{v:?}");
        assert_eq!(v.state.problem_count, 0);
        for table in [
            "tokens",
            "agencies",
            "accounts",
            "domain_challenges",
            "badges",
            "staff_attestations",
            "consultations",
            "consultation_comments",
        ] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert!(n > 0, "the demo writes {table}");
        }

        // Each tampering adds to the ones before; each is reported under its table.
        let tamperings: [(&str, &str, String); 9] = [
            (
                "tokens",
                "row_differs",
                format!("UPDATE tokens SET revoked = 0, revoked_at = NULL WHERE id = {token}"),
            ),
            (
                "agencies",
                "row_differs",
                "UPDATE agencies SET official_domain = 'evil.example' WHERE id = 'so-tt-hn'".into(),
            ),
            (
                "accounts",
                "unbound_row",
                "INSERT INTO accounts (handle, display_name, role, created_by, created_at, \
                 updated_at, display_name_changed_at) VALUES ('ghost', 'Ghost', 'citizen', 'x', 1, 1, 1)".into(),
            ),
            (
                "accounts",
                "row_differs",
                "UPDATE accounts SET auth_method = 'personal_id' WHERE handle <> 'ghost'".into(),
            ),
            (
                "badges",
                "row_differs",
                "UPDATE badges SET expires_at = expires_at + 86400000".into(),
            ),
            (
                "staff_attestations",
                "row_differs",
                "UPDATE staff_attestations SET position = 'Giám đốc'".into(),
            ),
            (
                "domain_challenges",
                "row_differs",
                "UPDATE domain_challenges SET domain = 'evil.example'".into(),
            ),
            (
                "consultations",
                "row_differs",
                "UPDATE consultations SET closes_at = closes_at + 1".into(),
            ),
            (
                "consultation_comments",
                "row_missing",
                "DELETE FROM consultation_comments".into(),
            ),
        ];
        for (table, reason, tamper) in &tamperings {
            exec(&store, tamper).await;
            let v = verified(&svc).await;
            assert!(!v.ok, "{table}: {tamper}");
            assert!(state_problem(&v, table, reason), "{table}: {v:?}");
        }
    })
    .await;
}
