//! PostgreSQL's `posts` partitioned by month (migration 0018), run when
//! `QUYTAC_TEST_POSTGRES_URL` is set (each test in a database of its own, dropped after): rows
//! land in their month's partition, a month without one waits in DEFAULT and moves when its
//! partition is made, one external id is stored once however many writers store it at once,
//! and a database from before the partitions keeps every row, id and foreign key, and its
//! audit log verifies. The same races run on SQLite, which keeps one table.

use quytac_core::finding::{Label, Verdict};
use quytac_core::workflow::decree147::month_bounds;
use quytac_core::workflow::CaseSource;
use quytac_store::audit::ChainId;
use quytac_store::model::{NewPost, NewReport, Post};
use quytac_store::testing::{connect_until, TestDb};
use quytac_store::{now_ms, Backend, Store};
use sqlx::Row;

fn post(id: &str, item: &str) -> NewPost {
    NewPost {
        external_id: id.into(),
        author_id: Some("u1".into()),
        text: format!("text of {id}"),
        item_json: format!("{{\"id\":\"{id}\",\"type\":\"post\",\"text\":\"{item}\"}}"),
        result_json: format!("{{\"id\":\"{id}\",\"verdict\":\"review\",\"findings\":[]}}"),
        verdict: Verdict::Review,
        label: Some(Label::Clean),
        source: "api".into(),
    }
}

/// The server's database for the PostgreSQL-only tests, or `None` when none is named.
async fn postgres() -> Option<TestDb> {
    let base = std::env::var("QUYTAC_TEST_POSTGRES_URL").ok()?;
    (!base.is_empty()).then_some(())?;
    Some(TestDb::postgres(&base).await)
}

/// The name of the partition of the month (Vietnam time) holding `at_ms`, from the core's own
/// month bounds (the monthly report's), not from the migration's SQL.
fn partition_of(at_ms: i64) -> String {
    for y in 2018..2100 {
        for m in 1..=12 {
            let (from, to) = month_bounds(&format!("{y}-{m:02}")).unwrap();
            if (from..to).contains(&at_ms) {
                return format!("posts_{y}_{m:02}");
            }
        }
    }
    panic!("{at_ms} is in no month")
}

/// The partition each post is in, by external id.
async fn partition_of_post(s: &Store, external_id: &str) -> String {
    sqlx::query("SELECT tableoid::regclass::text AS part FROM posts WHERE external_id = $1")
        .bind(external_id)
        .fetch_one(s.pool())
        .await
        .unwrap()
        .get("part")
}

/// Drops the partition `name`, as if no process had made that month.
async fn drop_partition(s: &Store, name: &str) {
    sqlx::query(&format!("DROP TABLE {name}"))
        .execute(s.pool())
        .await
        .unwrap();
}

async fn store_batch(s: &Store, chain: i64, posts: &[NewPost]) -> Vec<(Post, bool)> {
    let mut tx = s.write_on(ChainId(chain)).await.unwrap();
    let given: Vec<(&NewPost, &str)> = posts.iter().map(|p| (p, "t")).collect();
    let stored = tx.store_posts(&given).await.unwrap();
    tx.commit().await.unwrap();
    stored
}

#[tokio::test]
async fn posts_land_in_their_months_partition_and_the_next_months_exist() {
    let Some(db) = postgres().await else { return };
    let s = Store::connect(&db.url).await.unwrap();
    let now = now_ms();
    store_batch(&s, 1, &[post("a", "1"), post("b", "1")]).await;
    let month = partition_of(now);
    assert_eq!(partition_of_post(&s, "a").await, month);
    assert_eq!(partition_of_post(&s, "b").await, month);

    // The connection made this month and the three after it, each exactly a month of Vietnam
    // time; DEFAULT last, empty.
    let parts = s.post_partitions().await.unwrap();
    let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(names[0], month);
    assert_eq!(names[4], "posts_default");
    assert_eq!((parts[0].rows, parts[4].rows), (2, 0));
    for p in &parts[..4] {
        let (from, to) = p.range.unwrap();
        assert_eq!(partition_of(from), p.name);
        assert_eq!(partition_of(to - 1), p.name);
    }
    assert!(parts
        .windows(2)
        .take(3)
        .all(|w| w[0].range.unwrap().1 == w[1].range.unwrap().0));

    // A second process starting (or an operator asking again) creates nothing twice.
    let other = Store::connect(&db.url).await.unwrap();
    assert!(other.ensure_post_partitions(3).await.unwrap().is_empty());
    let (x, y) = tokio::join!(
        s.ensure_post_partitions(12),
        other.ensure_post_partitions(12)
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.len() + y.len(), 9, "{x:?} {y:?}");
    assert_eq!(s.post_partitions().await.unwrap().len(), 14);
    other.close().await;
    s.close().await;
    db.cleanup().await;
}

/// A server or worker running for months makes the months ahead while it runs, not only when
/// it connects.
#[tokio::test]
async fn a_long_running_process_makes_the_months_ahead_while_it_runs() {
    let Some(db) = postgres().await else { return };
    let s = Store::connect(&db.url).await.unwrap();
    let last = s.post_partitions().await.unwrap()[3].name.clone();
    // As if the process had connected three months ago: the last month ahead is missing.
    drop_partition(&s, &last).await;
    assert_eq!(s.post_partitions().await.unwrap().len(), 4);
    s.keep_post_partitions_ahead(std::time::Duration::from_millis(50));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while s.post_partitions().await.unwrap().len() < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "{last} was not made again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(s.post_partitions().await.unwrap()[3].name, last);
    s.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_post_of_a_month_without_partition_waits_in_default_and_moves_with_its_month() {
    let Some(db) = postgres().await else { return };
    let s = Store::connect(&db.url).await.unwrap();
    let month = partition_of(now_ms());
    // As if no process had made this month ahead of its posts.
    drop_partition(&s, &month).await;
    let first = store_batch(&s, 1, &[post("late", "1")]).await;
    let mut tx = s.write().await.unwrap();
    tx.join_or_open_case(first[0].0.id, CaseSource::Automated, Verdict::Review, "t")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(partition_of_post(&s, "late").await, "posts_default");

    // Making the month moves its rows out of DEFAULT in the same transaction (PostgreSQL
    // would refuse the partition otherwise), with their ids, content and case.
    let created = s.ensure_post_partitions(0).await.unwrap();
    assert_eq!(created, vec![month.clone()]);
    assert_eq!(partition_of_post(&s, "late").await, month);
    let parts = s.post_partitions().await.unwrap();
    let default = parts.iter().find(|p| p.name == "posts_default").unwrap();
    assert_eq!(default.rows, 0);
    let moved = s.post_by_external_id("late").await.unwrap().unwrap();
    assert_eq!(json(&moved), json(&first[0].0));
    assert_eq!(
        s.list_cases(None, 10).await.unwrap()[0].case.post_id,
        moved.id
    );
    // The moved row hashes as it did: the audit log and its bound rows verify.
    let scan = s.scan_log(&[]).await.unwrap();
    assert!(scan.walker.first_broken.is_none());
    assert_eq!(scan.state.problem_count, 0, "{:?}", scan.state.problems);
    // Redelivered, it is still the same post, written nowhere.
    let again = store_batch(&s, 1, &[post("late", "1")]).await;
    assert_eq!((json(&again[0].0), again[0].1), (json(&moved), false));
    s.close().await;
    db.cleanup().await;
}

/// Two transactions on different audit chains store the same posts at once: one writes each
/// post, the other finds it stored (and written by the first, so not written again); a
/// changed post then replaces the stored one once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_external_id_stored_at_once_by_two_transactions_is_stored_once() {
    for db in TestDb::each_backend().await {
        let s = Store::connect(&db.url).await.unwrap();
        for round in 0..5 {
            let batch: Vec<NewPost> = (0..40)
                .map(|i| post(&format!("r{round}-{i}"), "1"))
                .collect();
            let (a, b) = tokio::join!(store_batch(&s, 1, &batch), store_batch(&s, 2, &batch));
            for ((pa, wa), (pb, wb)) in a.iter().zip(&b) {
                assert_eq!(pa.id, pb.id, "{}", pa.external_id);
                assert!(wa ^ wb, "{}: written by exactly one", pa.external_id);
            }
        }
        // One writer waits inside the other's transaction on PostgreSQL: it sees the post
        // once the first commits, and replaces it only when the item changed.
        let mut first = s.write_on(ChainId(1)).await.unwrap();
        let p = post("held", "1");
        let stored = first.store_posts(&[(&p, "t")]).await.unwrap();
        let other = s.clone();
        let second = tokio::spawn(async move {
            let changed = post("held", "2");
            store_batch(&other, 2, &[changed]).await
        });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        first.commit().await.unwrap();
        let second = second.await.unwrap();
        assert_eq!(second[0].0.id, stored[0].0.id);
        assert!(second[0].1, "a changed item replaces the stored post");

        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM posts")
            .fetch_one(s.pool())
            .await
            .unwrap()
            .get("n");
        let distinct: i64 = sqlx::query("SELECT COUNT(DISTINCT external_id) AS n FROM posts")
            .fetch_one(s.pool())
            .await
            .unwrap()
            .get("n");
        assert_eq!((n, distinct), (201, 201));
        if s.backend() == Backend::Postgres {
            let keys: i64 = sqlx::query("SELECT COUNT(*) AS n FROM post_keys")
                .fetch_one(s.pool())
                .await
                .unwrap()
                .get("n");
            assert_eq!(keys, 201);
        }
        let scan = s.scan_log(&[]).await.unwrap();
        assert!(scan.walker.first_broken.is_none());
        assert_eq!(scan.state.problem_count, 0, "{:?}", scan.state.problems);
        // 200 posts written once each, the held one twice.
        assert_eq!(scan.walker.events, 202);
        s.close().await;
        db.cleanup().await;
    }
}

/// A database written by the release before migration 0018 (one `posts` table with a unique
/// external id), with posts, cases, a report and a takedown, then opened by this one.
#[tokio::test]
async fn a_database_from_before_the_partitions_keeps_its_rows_ids_and_foreign_keys() {
    let Some(db) = postgres().await else { return };
    let old = connect_until(&db.url, 17).await;
    assert!(old.post_partitions().await.unwrap().is_empty());
    let batch: Vec<NewPost> = (0..30).map(|i| post(&format!("o{i}"), "1")).collect();
    let stored = store_batch(&old, 1, &batch).await;
    let mut tx = old.write().await.unwrap();
    let cases = tx
        .join_or_open_cases(
            &stored
                .iter()
                .take(5)
                .map(|(p, _)| (p.id, Verdict::Review, "t"))
                .collect::<Vec<_>>(),
            CaseSource::Automated,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Ids the old identity handed out but no row kept (a failed write) stay used.
    sqlx::query("SELECT nextval(pg_get_serial_sequence('posts', 'id'))")
        .execute(old.pool())
        .await
        .unwrap();
    let report = NewReport {
        post_id: "o1".into(),
        reporter: "r".into(),
        category: None,
        note: String::new(),
        addressee: None,
    };
    let mut tx = old.write().await.unwrap();
    tx.insert_report(cases[1].id, stored[1].0.id, &report)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let before = all_posts(&old).await;
    let last_id = stored.iter().map(|(p, _)| p.id).max().unwrap();
    old.close().await;

    let s = Store::connect(&db.url).await.unwrap();
    assert_eq!(
        all_posts(&s).await,
        before,
        "every row, with its id, as it was"
    );
    let month = partition_of(now_ms());
    assert_eq!(partition_of_post(&s, "o0").await, month);
    // The tables that referenced `posts (id)` reference `post_keys (id)`.
    let fks: Vec<String> = sqlx::query(
        "SELECT conrelid::regclass::text AS t FROM pg_constraint \
         WHERE contype = 'f' AND confrelid = 'post_keys'::regclass ORDER BY 1",
    )
    .fetch_all(s.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("t"))
    .collect();
    assert_eq!(fks, ["cases", "reports", "takedowns"]);
    let orphan = sqlx::query(
        "INSERT INTO cases (post_id, status, source, verdict, opened_at, updated_at) \
         VALUES ($1, 'open', 'automated', 'review', 1, 1)",
    )
    .bind(last_id + 100)
    .execute(s.pool())
    .await;
    assert!(orphan.is_err(), "a case of no post is refused");
    // The audit log and the rows it binds verify unchanged.
    let scan = s.scan_log(&[]).await.unwrap();
    assert!(scan.walker.first_broken.is_none());
    assert_eq!(scan.state.problem_count, 0, "{:?}", scan.state.problems);
    assert!(scan.state.rows >= 35, "{}", scan.state.rows);

    // Redelivered unchanged: nothing written; changed: replaced in place; new: numbered above
    // every id the old table handed out.
    let again = store_batch(&s, 1, &[post("o3", "1"), post("o4", "2"), post("n1", "1")]).await;
    let o3 = before.iter().find(|p| p["external_id"] == "o3").unwrap();
    assert_eq!((json(&again[0].0), again[0].1), (o3.clone(), false));
    assert!(again[1].1 && again[1].0.id == stored[4].0.id);
    assert!(
        again[2].1 && again[2].0.id > last_id + 1,
        "{}",
        again[2].0.id
    );
    let scan = s.scan_log(&[]).await.unwrap();
    assert_eq!(scan.state.problem_count, 0, "{:?}", scan.state.problems);
    s.close().await;
    db.cleanup().await;
}

/// A post as its API shows it, for comparing.
fn json(p: &Post) -> serde_json::Value {
    serde_json::to_value(p).unwrap()
}

/// Every post, oldest first, as the API shows them.
async fn all_posts(s: &Store) -> Vec<serde_json::Value> {
    let ids: Vec<i64> = sqlx::query("SELECT id FROM posts ORDER BY id")
        .fetch_all(s.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("id"))
        .collect();
    let mut out = Vec::new();
    for id in ids {
        out.push(json(&s.post(id).await.unwrap().unwrap()));
    }
    out
}
