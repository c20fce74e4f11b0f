//! The store's behaviour, run against SQLite always and against PostgreSQL when
//! `QUYTAC_TEST_POSTGRES_URL` is set (each test in a database of its own, dropped after).

use quytac_store::model::*;
use quytac_store::{ErrorKind, Store};
use sqlx::Executor;
use std::future::Future;

/// A fresh database for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
struct Db {
    url: String,
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    async fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        Db {
            url,
            pg: None,
            _dir: Some(dir),
        }
    }

    async fn postgres(base: &str) -> Db {
        sqlx::any::install_default_drivers();
        let name = format!("quytac_test_{}_{}", std::process::id(), rand_suffix());
        let mut admin = admin_connection(base).await;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        let (prefix, _) = base
            .rsplit_once('/')
            .expect("a postgres URL with a database");
        Db {
            url: format!("{prefix}/{name}"),
            pg: Some((base.to_string(), name)),
            _dir: None,
        }
    }

    async fn cleanup(self) {
        if let Some((base, name)) = &self.pg {
            let mut admin = admin_connection(base).await;
            admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
        }
    }
}

async fn admin_connection(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::AnyConnection::connect(url)
        .await
        .expect("connect to PostgreSQL")
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{nanos}_{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Runs `test` on SQLite, then on PostgreSQL when configured.
async fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut dbs = vec![Db::sqlite().await];
    if let Ok(base) = std::env::var("QUYTAC_TEST_POSTGRES_URL") {
        if !base.is_empty() {
            dbs.push(Db::postgres(&base).await);
        }
    }
    for db in dbs {
        let store = Store::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.url));
        test(store.clone()).await;
        store.close().await;
        db.cleanup().await;
    }
}

fn post(id: &str, verdict: &str, author: &str) -> NewPost {
    NewPost {
        external_id: id.into(),
        author_id: Some(author.into()),
        text: format!("text of {id}"),
        item_json: format!("{{\"id\":\"{id}\",\"type\":\"post\",\"text\":\"x\"}}"),
        result_json: format!("{{\"id\":\"{id}\",\"verdict\":\"{verdict}\",\"findings\":[]}}"),
        verdict: verdict.into(),
        label: Some("clean".into()),
        source: "api".into(),
    }
}

fn decision(action: &str, who: &str) -> NewDecision {
    NewDecision {
        rule_id: "CS-5".into(),
        category: "hate".into(),
        action: action.into(),
        automated_detection: true,
        automated_decision: false,
        moderator: who.into(),
        statement: "Lý do.".into(),
    }
}

#[tokio::test]
async fn ingest_stores_posts_opens_cases_and_updates_in_place() {
    on_each_backend(|s| async move {
        let a = s
            .ingest_post(&post("p1", "violation", "u1"), true, "t")
            .await
            .unwrap();
        let case = a.case.expect("a case");
        assert_eq!(case.status, "open");
        assert_eq!(a.post.result["verdict"], "violation");
        assert_eq!(a.events.len(), 2, "post.ingested + case.opened");
        let clean = s
            .ingest_post(&post("p2", "pass", "u2"), false, "t")
            .await
            .unwrap();
        assert!(clean.case.is_none());
        // The same post again (an edit) updates the row and joins the open case.
        let again = s
            .ingest_post(&post("p1", "violation", "u1"), true, "t")
            .await
            .unwrap();
        assert_eq!(again.post.id, a.post.id);
        assert_eq!(again.case.unwrap().id, case.id);
        assert_eq!(s.count_posts().await.unwrap(), 2);
        assert_eq!(s.list_cases(Some("open"), 10).await.unwrap().len(), 1);
        assert!(s
            .post_item_json("p1")
            .await
            .unwrap()
            .unwrap()
            .contains("\"p1\""));
    })
    .await;
}

#[tokio::test]
async fn decisions_tell_reporters_count_violations_and_close_takedowns() {
    on_each_backend(|s| async move {
        s.ingest_post(&post("p1", "pass", "u1"), false, "t")
            .await
            .unwrap();
        let (report, case, _) = s
            .create_report(&NewReport {
                post_id: "p1".into(),
                reporter: "citizen:1".into(),
                category: Some("hate".into()),
                note: "n".into(),
            })
            .await
            .unwrap();
        assert_eq!(case.source, "report");
        assert!(report.outcome.is_none());
        let now = quytac_store::now_ms();
        let (td, _) = s
            .create_takedown(&NewTakedown {
                post_id: "p1".into(),
                authority: "A".into(),
                legal_basis: "B".into(),
                reason: "C".into(),
                requested_by: "agency_officer:1".into(),
                received_at: now - 25 * 3600 * 1000,
            })
            .await
            .unwrap();
        assert_eq!(td.case_id, case.id, "the takedown joins the open case");
        assert_eq!(s.list_takedowns(Some(now)).await.unwrap().len(), 1);

        let (d, _) = s
            .record_decision(case.id, &decision("remove", "moderator:1"))
            .await
            .unwrap();
        assert_eq!(d.action, "remove");
        assert_eq!(
            s.report(report.id)
                .await
                .unwrap()
                .unwrap()
                .outcome
                .as_deref(),
            Some("remove")
        );
        assert!(s.list_takedowns(Some(now)).await.unwrap().is_empty());
        let counts = s.violation_counts("u1", now + 1000).await.unwrap();
        assert_eq!(
            (
                counts.last_30_days,
                counts.last_90_days,
                counts.temporary_locks
            ),
            (1, 1, 0)
        );
        let err = s
            .record_decision(case.id, &decision("label", "moderator:1"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        let err = s
            .record_decision(999, &decision("label", "moderator:1"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);

        let detail = s.case_detail(case.id).await.unwrap().unwrap();
        assert_eq!(
            (
                detail.reports.len(),
                detail.decisions.len(),
                detail.takedowns.len()
            ),
            (1, 1, 1)
        );
        assert_eq!(s.decisions_between(0, now + 10_000).await.unwrap().len(), 1);
        assert_eq!(
            s.takedowns_between(0, now + 10_000).await.unwrap()[0].status,
            "done"
        );
    })
    .await;
}

#[tokio::test]
async fn appeals_reopen_decided_cases_only() {
    on_each_backend(|s| async move {
        let case = s
            .ingest_post(&post("p1", "violation", "u1"), true, "t")
            .await
            .unwrap()
            .case
            .unwrap();
        assert_eq!(
            s.create_appeal(case.id, "citizen:1", "r")
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Conflict
        );
        s.record_decision(case.id, &decision("suspend", "moderator:1"))
            .await
            .unwrap();
        let (appeal, _) = s.create_appeal(case.id, "citizen:1", "r").await.unwrap();
        assert_eq!(appeal.status, "pending");
        assert_eq!(s.case(case.id).await.unwrap().unwrap().status, "appealed");
        let (d, _) = s
            .record_decision(case.id, &decision("none", "reviewer:2"))
            .await
            .unwrap();
        assert!(d.on_appeal);
        let detail = s.case_detail(case.id).await.unwrap().unwrap();
        assert_eq!(detail.appeals[0].status, "decided");
        assert_eq!(
            s.violation_counts("u1", quytac_store::now_ms())
                .await
                .unwrap()
                .temporary_locks,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn the_audit_chain_verifies_and_an_edited_row_is_named() {
    on_each_backend(|s| async move {
        for i in 0..4 {
            s.ingest_post(&post(&format!("p{i}"), "violation", "u"), true, "t")
                .await
                .unwrap();
        }
        let report = s.verify_chain().await.unwrap();
        assert!(report.ok);
        assert_eq!(report.events, 8);
        let head = s.audit_head().await.unwrap().unwrap();
        assert_eq!(head.seq, 8);
        assert_eq!(report.head_hash, head.hash);
        let page = s.audit_events(6, 10).await.unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![7, 8]);

        sqlx::query("UPDATE audit_events SET payload = '{\"verdict\":\"pass\"}' WHERE seq = 5")
            .execute(s.pool())
            .await
            .unwrap();
        let report = s.verify_chain().await.unwrap();
        assert!(!report.ok);
        let broken = report.first_broken.unwrap();
        assert_eq!((broken.seq, broken.reason.as_str()), (5, "hash_mismatch"));

        sqlx::query("DELETE FROM audit_events WHERE seq = 3")
            .execute(s.pool())
            .await
            .unwrap();
        let broken = s.verify_chain().await.unwrap().first_broken.unwrap();
        assert_eq!((broken.seq, broken.reason.as_str()), (3, "missing_event"));
    })
    .await;
}

#[tokio::test]
async fn checkpoints_and_tokens_round_trip() {
    on_each_backend(|s| async move {
        let id = s
            .create_token("moderator", "ci", "argon2-hash", "cli")
            .await
            .unwrap();
        let t = s.token(id).await.unwrap().unwrap();
        assert_eq!(
            (t.role.as_str(), t.hash.as_str(), t.revoked),
            ("moderator", "argon2-hash", false)
        );
        assert!(s.token(id + 100).await.unwrap().is_none());
        let c = Checkpoint {
            seq: 1,
            hash: "h".into(),
            signature: "s".into(),
            public_key: "k".into(),
            at: 5,
        };
        s.insert_checkpoint(&c).await.unwrap();
        s.insert_checkpoint(&c).await.unwrap();
        assert_eq!(s.checkpoints().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_keep_every_row_and_one_chain() {
    on_each_backend(|s| async move {
        let mut tasks = Vec::new();
        for i in 0..100 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.ingest_post(&post(&format!("c{i}"), "review", "u"), i % 2 == 0, "t")
                    .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(s.count_posts().await.unwrap(), 100);
        let report = s.verify_chain().await.unwrap();
        assert!(report.ok);
        assert_eq!(report.events, 150);
    })
    .await;
}

#[tokio::test]
async fn urls_are_normalised_and_unknown_schemes_refused() {
    let (url, _) = quytac_store::normalize_url("quytac.db").unwrap();
    assert_eq!(url, "sqlite://quytac.db?mode=rwc");
    let (url, _) = quytac_store::normalize_url("sqlite://a.db?mode=ro").unwrap();
    assert_eq!(url, "sqlite://a.db?mode=ro");
    assert_eq!(
        quytac_store::normalize_url("mysql://x").unwrap_err().kind,
        ErrorKind::Config
    );
    assert!(Store::connect("mysql://x").await.is_err());
}
