//! The check pipeline end to end, with real processes: a 3-node NATS JetStream cluster on free
//! loopback ports, a fresh PostgreSQL database, two `quytac worker` processes and `quytac
//! publish`. A worker and a NATS node are killed with SIGKILL mid-run and started again; every
//! post must be stored exactly once, each author's posts in the order published, and the audit
//! log must verify.
//!
//! Needs `nats-server` (`.ci/run` installs it) and PostgreSQL (`QUYTAC_TEST_POSTGRES_URL`,
//! by default the project's server at 127.0.0.1:5432).

use quytac_core::engine::Engine;
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use quytac_service::signing::AuditSigner;
use quytac_service::{Service, Settings};
use quytac_store::testing::TestDb;
use quytac_store::Store;
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const POSTS: usize = 3000;

fn nats_server() -> PathBuf {
    for dir in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
    {
        let p = Path::new(dir).join("nats-server");
        if p.is_file() {
            return p;
        }
    }
    panic!("nats-server is not installed (apt-get install nats-server; .ci/run does)");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Cluster {
    dir: tempfile::TempDir,
    ports: Vec<(u16, u16)>,
    nodes: Vec<Option<Child>>,
}

impl Cluster {
    fn start() -> Cluster {
        let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
        let mut c = Cluster {
            dir: tempfile::tempdir().unwrap(),
            ports,
            nodes: vec![None, None, None],
        };
        for i in 0..3 {
            c.start_node(i);
        }
        c
    }

    fn start_node(&mut self, i: usize) {
        let (port, cluster) = self.ports[i];
        let routes: Vec<String> = self
            .ports
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, (_, cp))| format!("nats://127.0.0.1:{cp}"))
            .collect();
        let store = self.dir.path().join(format!("n{i}"));
        let log = std::fs::File::create(self.dir.path().join(format!("n{i}.log"))).unwrap();
        let child = Command::new(nats_server())
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(&store)
            .args(["-n", &format!("n{i}"), "--cluster_name", "quytac-test"])
            .args(["--cluster", &format!("nats://127.0.0.1:{cluster}")])
            .args(["--routes", &routes.join(",")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server starts");
        self.nodes[i] = Some(child);
    }

    fn kill_node(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].take() {
            c.kill().unwrap(); // SIGKILL
            c.wait().unwrap();
        }
    }

    fn urls(&self) -> String {
        self.ports
            .iter()
            .map(|(p, _)| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..3 {
            self.kill_node(i);
        }
    }
}

fn quytac() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quytac"))
}

struct Worker(Child);

impl Worker {
    fn start(db: &str, urls: &str, key: &Path, log: &Path, pack: &str) -> Worker {
        Worker::start_acking_within(db, urls, key, log, pack, 4)
    }

    /// A worker whose messages come again `ack_wait` seconds after a delivery not acknowledged.
    fn start_acking_within(
        db: &str,
        urls: &str,
        key: &Path,
        log: &Path,
        pack: &str,
        ack_wait: u64,
    ) -> Worker {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = quytac()
            .args(["worker", "--db", db, "--nats", urls, "--replicas", "3"])
            .args([
                "--batch",
                "200",
                "--ack-wait",
                &ack_wait.to_string(),
                "--pack",
                pack,
                "--audit-key",
            ])
            .arg(key)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("quytac worker starts");
        Worker(child)
    }

    /// Sends SIGTERM (a stop request, as a service manager sends it).
    fn terminate(&self) {
        let pid = self.0.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
    }

    /// Waits for the process to end, at most `timeout`.
    fn wait_for_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < timeout, "worker did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Posts by 50 authors, one in five with an insult (a case for a person).
fn write_posts(path: &Path) {
    let mut out = String::new();
    for i in 0..POSTS {
        let text = if i % 5 == 0 {
            format!("Bài {i}: mày là đồ ngu, cút đi")
        } else {
            format!("Bài {i}: hôm nay trời đẹp, cả nhà đi chơi công viên")
        };
        let line = serde_json::json!({"id": format!("p{i}"), "type": "post", "text": text,
            "author": {"id": format!("u{}", i % 50)}});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get::<i64, _>("n")
        .unwrap()
}

async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !f().await {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn postgres_base() -> String {
    std::env::var("QUYTAC_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Posts stored behind a later post of the same author (`p<i>` is the file's i-th post), in the
/// order of `posts.id`, which PostgreSQL gives out as the rows are inserted.
async fn stored_out_of_order(store: &Store) -> Vec<String> {
    let rows = sqlx::query("SELECT external_id, author_id FROM posts ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let mut last: std::collections::HashMap<String, u64> = Default::default();
    let mut late = Vec::new();
    for row in rows {
        let id: String = row.get("external_id");
        let author: String = row.get("author_id");
        let i: u64 = id.trim_start_matches('p').parse().unwrap();
        match last.get(&author) {
            Some(&before) if before > i => late.push(format!("{author}: p{i} after p{before}")),
            _ => {
                last.insert(author, i);
            }
        }
    }
    late
}

/// Whether two workers lease four shard ranges each (`GET /v1/pipeline` shows the owners).
async fn ranges_shared_out(
    stats: &quytac_pipeline::stats::StatsReader,
    js: &async_nats::jetstream::Context,
) -> bool {
    let Ok(s) = stats.read(js).await else {
        return false;
    };
    let mut owners: std::collections::HashMap<String, usize> = Default::default();
    for range in &s.ranges {
        if let Some(owner) = &range.owner {
            *owners.entry(owner.clone()).or_default() += 1;
        }
    }
    let mut held: Vec<usize> = owners.into_values().collect();
    held.sort();
    held == vec![4, 4]
}

/// Waits until the cluster can make the streams with three replicas.
async fn wait_for_cluster(urls: &str) {
    wait_until("the NATS cluster", Duration::from_secs(30), || async {
        quytac()
            .args(["publish", "-", "--quiet", "--nats", urls, "--replicas", "3"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    })
    .await;
}

/// Decree 147 in the worker (`--pack vn-147-2024`): a post by an author without an
/// authenticated account is not stored; its refusal (ND-1) is published on
/// `quytac.results.refused` and the authenticated author's post on its verdict's subject.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_refuses_posts_of_unauthenticated_authors_under_the_2024_pack() {
    use futures_util::StreamExt;
    use quytac_core::workflow::decree147::AuthMethod;
    use quytac_core::workflow::{Actor, Role};
    use quytac_service::identity::accounts::{Authentication, RegisterAccount};
    let db = TestDb::postgres(&postgres_base()).await;
    let store = Store::connect(&db.url).await.expect("the test database");
    let engine = Arc::new(Engine::new(RulePack::builtin("vn-147-2024").unwrap()));
    let signer = Arc::new(AuditSigner::ephemeral());
    let service = Service::new(engine, store.clone(), signer, Settings::default());
    service
        .register_account(
            &Actor::new(Role::Admin, 1),
            RegisterAccount {
                handle: "lan".into(),
                display_name: "Lan".into(),
                authentication: Some(Authentication {
                    method: AuthMethod::Mobile,
                    number: Some("0912 345 678".into()),
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let cluster = Cluster::start();
    let urls = cluster.urls();
    wait_for_cluster(&urls).await;
    let first = urls.split(',').next().unwrap().to_string();
    let client = async_nats::connect(first).await.unwrap();
    let mut results = client.subscribe("quytac.results.>").await.unwrap();
    client.flush().await.unwrap();

    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("audit.key");
    let log = work.path().join("worker.log");
    let _worker = Worker::start(&db.url, &urls, &key, &log, "vn-147-2024");
    let posts = work.path().join("posts.jsonl");
    std::fs::write(
        &posts,
        "{\"id\":\"r1\",\"text\":\"Chào buổi sáng.\",\"author\":{\"id\":\"lan\"}}\n\
         {\"id\":\"r2\",\"text\":\"Chào buổi sáng.\",\"author\":{\"id\":\"nobody\"}}\n",
    )
    .unwrap();
    let published = quytac()
        .arg("publish")
        .arg(&posts)
        .args(["--quiet", "--nats", &urls, "--replicas", "3"])
        .status()
        .unwrap();
    assert!(published.success());

    let mut seen = std::collections::BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while seen.len() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(m)) = tokio::time::timeout(left, results.next()).await else {
            panic!(
                "results seen: {seen:?}; worker log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        let body: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        seen.insert(
            body["post"].as_str().unwrap().to_string(),
            (m.subject.to_string(), body),
        );
    }
    assert_eq!(seen["r1"].0, "quytac.results.pass", "{seen:?}");
    assert_eq!(seen["r2"].0, "quytac.results.refused", "{seen:?}");
    assert_eq!(seen["r2"].1["refused"]["rule"], "ND-1", "{seen:?}");
    assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM posts").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_is_stored_once_through_worker_and_node_failures() {
    let db = TestDb::postgres(&postgres_base()).await;
    let store = Store::connect(&db.url).await.expect("the test database");
    let mut cluster = Cluster::start();
    let urls = cluster.urls();
    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("audit.key");
    let posts = work.path().join("posts.jsonl");
    write_posts(&posts);

    // The cluster is ready when the streams can be made with three replicas.
    wait_for_cluster(&urls).await;

    // An ack wait well beyond a lease (10 s): a worker that takes over the killed worker's
    // ranges finds its posts not yet due again, and must get them before newer ones.
    let start_worker =
        |log: &Path| Worker::start_acking_within(&db.url, &urls, &key, log, DEFAULT_PACK, 20);
    let logs: Vec<PathBuf> = (0..2)
        .map(|i| work.path().join(format!("worker{i}.log")))
        .collect();
    let mut workers: Vec<Worker> = (0..2).map(|i| start_worker(&logs[i])).collect();
    let mut config = quytac_pipeline::PipelineConfig::new(urls.clone());
    config.replicas = 3;
    let publisher = quytac_pipeline::Publisher::connect(&config)
        .await
        .expect("the NATS cluster answers");
    let stats = quytac_pipeline::stats::StatsReader::default();
    // Each worker owns half of the shard ranges before the posts come, so the worker killed
    // below holds posts of its own ranges.
    wait_until(
        "the ranges to be shared out",
        Duration::from_secs(60),
        || ranges_shared_out(&stats, publisher.jetstream()),
    )
    .await;
    let publish = quytac()
        .args(["publish"])
        .arg(&posts)
        .args([
            "--quiet",
            "--in-flight",
            "256",
            // Small bundles: about ten of each shard, so that two workers could store one
            // author's posts out of order if they held the same shard at once.
            "--bundle",
            "6",
            "--nats",
            &urls,
            "--replicas",
            "3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Mid-run: SIGKILL a worker and a NATS node, then start them again.
    wait_until(
        "the first stored posts",
        Duration::from_secs(60),
        || async { count(&store, "SELECT COUNT(*) AS n FROM posts").await >= (POSTS / 5) as i64 },
    )
    .await;
    workers[0].0.kill().unwrap();
    workers[0].0.wait().unwrap();
    cluster.kill_node(1);
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.start_node(1);
    workers[0] = start_worker(&logs[0]);

    let out = tokio::task::spawn_blocking(move || publish.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "publish failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains(&format!("{POSTS} posts published and acknowledged")));

    // Drained: every post stored and the stream empty (a work queue drops acknowledged posts),
    // so no redelivery is still to come. (The cluster may still be electing its streams'
    // leaders after the node's restart: a reading that fails is taken again.)
    wait_until(
        "the workers to drain the stream",
        Duration::from_secs(90),
        || async {
            let s = stats.read(publisher.jetstream()).await;
            count(&store, "SELECT COUNT(*) AS n FROM posts").await == POSTS as i64
                && s.is_ok_and(|s| s.depth == 0 && s.ack_pending == 0)
        },
    )
    .await;

    assert_eq!(
        count(&store, "SELECT COUNT(*) AS n FROM posts").await,
        POSTS as i64
    );
    assert_eq!(
        count(&store, "SELECT COUNT(DISTINCT external_id) AS n FROM posts").await,
        POSTS as i64
    );
    // Stored once: one ingest event per post, redeliveries wrote nothing.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'post.ingested'"
        )
        .await,
        POSTS as i64
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) AS n FROM cases").await,
        (POSTS / 5) as i64,
        "one case per insulting post"
    );
    // One worker at a time owns an author's shard range, and takes over a dead one's range
    // only once its unacknowledged posts can come again first.
    let late = stored_out_of_order(&store).await;
    assert!(
        late.is_empty(),
        "{} posts stored after a later post of their author: {:?}",
        late.len(),
        &late[..late.len().min(10)]
    );
    // The restarted worker and the other end up with half of the shard ranges each.
    wait_until(
        "the ranges to be shared out again",
        Duration::from_secs(60),
        || ranges_shared_out(&stats, publisher.jetstream()),
    )
    .await;

    // SIGTERM: each worker finishes its batch and exits cleanly. The restarted worker may
    // still be starting when the stream is drained: wait until it has said it runs (its
    // handlers are installed by then; a signal in a process's first milliseconds, before any
    // handler, would end it by the signal's default action, as it would any program).
    wait_until("both workers to run", Duration::from_secs(30), || async {
        let started = |log: &Path| {
            std::fs::read_to_string(log)
                .unwrap_or_default()
                .matches("quytac: worker on")
                .count()
        };
        started(&logs[0]) == 2 && started(&logs[1]) == 1
    })
    .await;
    for w in &workers {
        w.terminate();
    }
    for (w, log) in workers.iter_mut().zip(&logs) {
        let status = w.wait_for_exit(Duration::from_secs(20));
        assert!(
            status.success(),
            "worker exit: {status}\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }

    let engine = Arc::new(Engine::new(RulePack::builtin(DEFAULT_PACK).unwrap()));
    let signer = Arc::new(AuditSigner::load_or_create(&key).unwrap());
    let service = Service::new(engine, store.clone(), signer, Settings::default());
    let verified = service.verify_audit().await.unwrap();
    assert!(verified.ok, "audit: {verified:?}");
    assert!(verified.heads > 0, "signed heads");
    assert_eq!(
        stats
            .read(publisher.jetstream())
            .await
            .unwrap()
            .dead_letters,
        0
    );

    store.close().await;
    drop(workers);
    drop(cluster);
    db.cleanup().await;
}

/// A bundle from a publisher of another make, with a line that is not a post: that line
/// alone goes to the dead letters, with its error; the bundle's posts are stored and the
/// message is acknowledged, so nothing is left in the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_line_of_a_bundle_is_dead_lettered_alone() {
    use quytac_pipeline::{message, subjects};
    let db = TestDb::postgres(&postgres_base()).await;
    let store = Store::connect(&db.url).await.expect("the test database");
    let cluster = Cluster::start();
    let urls = cluster.urls();
    wait_for_cluster(&urls).await;
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("worker.log");
    let _worker = Worker::start(&db.url, &urls, &work.path().join("k"), &log, DEFAULT_PACK);

    let client = async_nats::connect(urls.split(',').next().unwrap())
        .await
        .unwrap();
    let js = async_nats::jetstream::new(client);
    let profile = r#"{"type":"profile","id":"u9"}"#;
    let body = format!(
        "{}\n{profile}\n{}",
        serde_json::json!({"id": "x1", "text": "Chào buổi sáng.", "author": {"id": "u9"}}),
        serde_json::json!({"id": "x2", "text": "Mày là đồ ngu, cút đi", "author": {"id": "u9"}}),
    );
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(message::HEADER_BUNDLE, "3");
    headers.insert(message::HEADER_SOURCE, "import");
    headers.insert(message::HEADER_ACTOR, "another-importer");
    let subject = subjects::bundle_subject(subjects::shard_of("u9"));
    js.publish_with_headers(subject.clone(), headers, body.into())
        .await
        .unwrap()
        .await
        .unwrap();

    let stats = quytac_pipeline::stats::StatsReader::default();
    wait_until(
        "the bundle to be settled",
        Duration::from_secs(60),
        || async {
            let s = stats.read(&js).await;
            count(&store, "SELECT COUNT(*) AS n FROM posts").await == 2
                && s.is_ok_and(|s| s.depth == 0 && s.ack_pending == 0 && s.dead_letters == 1)
        },
    )
    .await;
    let dead = js
        .get_stream(subjects::DEAD_STREAM)
        .await
        .unwrap()
        .get_raw_message(1)
        .await
        .unwrap();
    assert_eq!(std::str::from_utf8(&dead.payload).unwrap(), profile);
    let header = |name: &str| dead.headers.get(name).map(|v| v.as_str().to_string());
    assert_eq!(
        header(message::HEADER_ERROR).as_deref(),
        Some("post 2 of the bundle: not a post")
    );
    assert_eq!(header(message::HEADER_SUBJECT), Some(subject));
    assert_eq!(header(message::HEADER_BUNDLE), None, "the line went alone");
    assert_eq!(
        header(message::HEADER_ACTOR).as_deref(),
        Some("another-importer")
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) AS n FROM cases").await,
        1,
        "the insult's case"
    );
    store.close().await;
    db.cleanup().await;
}

/// SIGTERM while a worker is still connecting to its database (here a port that accepts and
/// never answers) is a clean stop: exit 0, not death by the signal's default action.
#[test]
fn a_worker_stopped_while_it_connects_exits_cleanly() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let db = format!(
        "postgres://postgres@{}/quytac",
        silent.local_addr().unwrap()
    );
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("worker.log");
    let mut worker = Worker::start(
        &db,
        "nats://127.0.0.1:4222",
        &work.path().join("audit.key"),
        &log,
        DEFAULT_PACK,
    );
    // Once the worker has connected, it waits for an answer that never comes.
    silent.set_nonblocking(true).unwrap();
    let start = Instant::now();
    let _connection = loop {
        match silent.accept() {
            Ok(connection) => break connection,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "the worker never connected: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    std::thread::sleep(Duration::from_millis(500));
    worker.terminate();
    let status = worker.wait_for_exit(Duration::from_secs(5));
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "worker exit: {status}\n{log}");
    assert!(log.contains("worker stopped before it started"), "{log}");
}
