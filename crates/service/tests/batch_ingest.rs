//! `ingest_batch`, the pipeline worker's write: one transaction and one signed head a batch,
//! every post stored exactly once whatever is redelivered, and the audit verifies — on SQLite
//! always and on PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::service;

use quytac_core::item::Item;
use quytac_service::posts::{BatchIngested, BatchOutcome, BatchPost, PostSource};
use quytac_service::Service;
use quytac_store::audit::ChainId;
use quytac_store::model::NewPost;
use quytac_store::testing::on_each_backend;
use quytac_store::Store;

/// `n` posts `{prefix}{i}` of 37 authors; every tenth one needs a case.
fn batch(prefix: &str, n: usize) -> Vec<BatchPost> {
    (0..n)
        .map(|i| {
            let text = if i % 10 == 0 {
                "Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi"
            } else {
                "Hôm nay trời đẹp, cả nhà đi chơi công viên"
            };
            BatchPost {
                by: "worker".into(),
                item: Item::from_json(&format!(
                    r#"{{"id":"{prefix}{i}","text":"{text}","author":{{"id":"u{}"}}}}"#,
                    i % 37
                ))
                .unwrap(),
                source: PostSource::Import,
            }
        })
        .collect()
}

/// Ingests a batch under the default pack, where Decree 147 refuses nothing.
async fn ingest(svc: &Service, posts: Vec<BatchPost>) -> Vec<BatchIngested> {
    svc.ingest_batch(posts)
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            BatchOutcome::Stored(s) => s,
            BatchOutcome::Refused(r) => panic!("refused under the default pack: {r:?}"),
        })
        .collect()
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn assert_stored_once(store: &Store, svc: &Service, posts: i64, cases: i64) {
    assert_eq!(count(store, "SELECT COUNT(*) FROM posts").await, posts);
    assert_eq!(
        count(
            store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'post.ingested'"
        )
        .await,
        posts
    );
    assert_eq!(count(store, "SELECT COUNT(*) FROM cases").await, cases);
    assert_eq!(
        count(
            store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'case.opened'"
        )
        .await,
        cases
    );
    let v = svc.verify_audit().await.unwrap();
    assert!(v.ok, "{}", serde_json::to_string(&v).unwrap());
    assert_eq!(v.state.problem_count, 0);
}

#[tokio::test]
async fn a_batch_is_one_commit_with_one_signed_head_and_a_redelivery_writes_nothing() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        let out = ingest(&svc, batch("b", 300)).await;
        assert_eq!(out.len(), 300);
        assert!(out.iter().all(|d| !d.duplicate));
        assert_eq!(out.iter().filter(|d| d.ingested.case.is_some()).count(), 30);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM audit_heads").await, 1);
        assert_eq!(
            count(&store, "SELECT COUNT(DISTINCT chain) FROM audit_events").await,
            1,
            "the batch is on one chain"
        );
        // The same batch again (a redelivery), and again with the posts in another order.
        let again = ingest(&svc, batch("b", 300)).await;
        assert!(again
            .iter()
            .all(|d| d.duplicate && d.ingested.case.is_none()));
        assert_eq!(again[7].ingested.post.id, out[7].ingested.post.id);
        let mut reversed = batch("b", 300);
        reversed.reverse();
        ingest(&svc, reversed).await;
        assert_eq!(count(&store, "SELECT COUNT(*) FROM audit_heads").await, 1);
        assert_stored_once(&store, &svc, 300, 30).await;
    })
    .await;
}

/// A batch that mentions one post twice, and one whose post was edited since: the edit is
/// stored (one more event), the repeat of an unchanged post is not.
#[tokio::test]
async fn a_post_given_twice_or_edited_is_written_as_a_single_ingest_would() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        let mut posts = batch("d", 20);
        posts.extend(batch("d", 5));
        let out = ingest(&svc, posts).await;
        assert_eq!(out.len(), 25);
        assert_eq!(out.iter().filter(|d| d.duplicate).count(), 5);
        assert_stored_once(&store, &svc, 20, 2).await;
        let edited = vec![BatchPost {
            by: "worker".into(),
            item: Item::from_json(r#"{"id":"d3","text":"Đã sửa","author":{"id":"u3"}}"#).unwrap(),
            source: PostSource::Import,
        }];
        let out = ingest(&svc, edited).await;
        assert!(!out[0].duplicate);
        assert_eq!(out[0].ingested.post.text, "Đã sửa");
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM audit_events WHERE action = 'post.ingested'"
            )
            .await,
            21
        );
    })
    .await;
}

/// A worker that dies in the middle of a batch leaves nothing of it; the redelivered batch
/// stores each post once.
#[tokio::test]
async fn a_batch_cut_short_by_a_crash_leaves_nothing_and_its_redelivery_stores_each_post_once() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        {
            let mut tx = store.write_on_any(&[ChainId(1), ChainId(2)]).await.unwrap();
            let rows: Vec<NewPost> = (0..50)
                .map(|i| NewPost {
                    external_id: format!("c{i}"),
                    author_id: Some("u1".into()),
                    text: "x".into(),
                    item_json: "{}".into(),
                    result_json: "{}".into(),
                    verdict: "pass".parse().unwrap(),
                    label: None,
                    source: "import".into(),
                })
                .collect();
            let given: Vec<(&NewPost, &str)> = rows.iter().map(|r| (r, "worker")).collect();
            tx.store_posts(&given).await.unwrap();
            // Dropped without a commit: the process died here.
        }
        assert_eq!(count(&store, "SELECT COUNT(*) FROM posts").await, 0);
        ingest(&svc, batch("c", 100)).await;
        ingest(&svc, batch("c", 100)).await;
        assert_stored_once(&store, &svc, 100, 10).await;
    })
    .await;
}

/// Writers that get the same posts at once (a batch redelivered while its first worker is
/// still writing it) each take a chain of their own, and every post is stored once.
#[tokio::test]
async fn concurrent_batches_of_the_same_posts_store_each_once_and_verify() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let svc = svc.clone();
            tasks.push(tokio::spawn(
                async move { ingest(&svc, batch("r", 200)).await },
            ));
        }
        let mut written = 0;
        for t in tasks {
            written += t.await.unwrap().iter().filter(|d| !d.duplicate).count();
        }
        assert_eq!(written, 200, "each post written by exactly one writer");
        assert_stored_once(&store, &svc, 200, 20).await;
    })
    .await;
}
