//! The pipeline endpoints: `POST /v1/posts/batch` (JSON Lines, bad lines by number, bounded),
//! `GET /v1/posts/{id}` (`checked` / `queued`), `GET /v1/pipeline` and `GET /metrics`, without
//! the pipeline and with one (a NATS server of the test's own on a free loopback port: the
//! ingest answers `202 queued` once JetStream has the post).

use crate::helpers::*;
use std::process::{Child, Command, Stdio};

/// This module's rows of the permission matrix.
pub(super) fn permission_rows() -> Vec<MatrixRow> {
    use Role::*;
    vec![
        (
            "POST",
            "/v1/posts/batch",
            "/v1/posts/batch",
            Who::Roles(&[Admin, Moderator]),
        ),
        ("GET", "/v1/pipeline", "/v1/pipeline", Who::Roles(&[Admin])),
    ]
}

/// A single JetStream server in a temporary folder; killed when dropped.
struct Nats {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Nats {
    fn start() -> Nats {
        let bin = [
            "/usr/sbin/nats-server",
            "/usr/bin/nats-server",
            "/usr/local/bin/nats-server",
        ]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
        .expect("nats-server is installed (.ci/run installs it)");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(bin)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Nats {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            _dir: dir,
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An app whose ingress publishes to `nats`, under `pack`.
async fn app_with_pipeline(nats: &Nats, pack: &str) -> TestApp {
    let mut config = quytac_pipeline::PipelineConfig::new(nats.url.clone());
    config.replicas = 1;
    for _ in 0..50 {
        let (c, pack) = (config.clone(), pack.to_string());
        // The server may still be starting.
        if std::net::TcpStream::connect(nats.url.trim_start_matches("nats://")).is_ok() {
            return spawn_app_with(move |cfg| {
                cfg.nats = Some(c);
                cfg.pack = pack;
            })
            .await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nats-server listens")
}

/// Registers `handle` authenticated by a mobile number.
async fn authenticated(app: &TestApp, admin: &str, handle: &str) {
    let a = app
        .call("POST", "/v1/accounts", Some(admin), Some(json!({"handle": handle, "display_name": handle, "authentication": {"method": "mobile", "number": "0912 345 678"}})))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
}

async fn post_lines(app: &TestApp, token: &str, body: &str) -> Resp {
    app.request(
        "POST",
        "/v1/posts/batch",
        &[
            ("authorization", &format!("Bearer {token}")),
            ("content-type", "application/x-ndjson"),
        ],
        body.as_bytes(),
    )
    .await
}

#[tokio::test]
async fn batch_without_the_pipeline_stores_good_lines_and_names_bad_ones() {
    let app = spawn_app().await;
    let token = app.token(Role::Moderator).await;
    let body = format!(
        "{}\nnot json\n\n{}\n{}\n",
        json!({"id": "b1", "text": CLEAN, "author": {"id": "u1"}}),
        json!({"type": "profile", "id": "u1"}),
        json!({"id": "b2", "text": HATE, "author": {"id": "u1"}}),
    );
    let r = post_lines(&app, &token, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(
        v["posts"],
        json!([{"post": "b1", "status": "checked"}, {"post": "b2", "status": "checked"}])
    );
    let lines: Vec<i64> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 4]);
    let shown = app.call("GET", "/v1/posts/b2", Some(&token), None).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json()["status"], "checked");
    assert_eq!(shown.json()["verdict"], "violation");
    // Sent again: stored once, no second ingest event.
    assert_eq!(post_lines(&app, &token, &body).await.status, 201);
    let events = app.state.store.audit_events(0, 1000).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "post.ingested")
            .count(),
        2
    );

    // Bounded: more than 1,000 posts is refused whole.
    let many: String = (0..1001)
        .map(|i| format!("{}\n", json!({"id": format!("m{i}"), "text": "x"})))
        .collect();
    let r = post_lines(&app, &token, &many).await;
    assert_eq!((r.status, r.code().as_str()), (422, "invalid_field"));
    // Without --nats there are no pipeline figures.
    let admin = app.token(Role::Admin).await;
    let r = app.call("GET", "/v1/pipeline", Some(&admin), None).await;
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
}

/// Decree 147 on the batch without the pipeline: under the 2024 pack the line of a post by
/// an author without an authenticated account is answered with ND-1 and not stored.
#[tokio::test]
async fn batch_refuses_the_lines_of_unauthenticated_authors_under_the_2024_pack() {
    let app = spawn_app_with(|c| c.pack = "vn-147-2024".into()).await;
    let admin = app.token(Role::Admin).await;
    authenticated(&app, &admin, "lan").await;
    let body = format!(
        "{}\n{}\n",
        json!({"id": "b1", "text": CLEAN, "author": {"id": "lan"}}),
        json!({"id": "b2", "text": CLEAN, "author": {"id": "nobody"}}),
    );
    let r = post_lines(&app, &admin, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["posts"], json!([{"post": "b1", "status": "checked"}]));
    assert_eq!(v["errors"][0]["line"], 2, "{}", r.body);
    assert_eq!(v["errors"][0]["rule"], "ND-1", "{}", r.body);
    assert!(v["errors"][0]["error"]
        .as_str()
        .unwrap()
        .starts_with("ND-1"));
    assert_eq!(app.state.store.count_posts().await.unwrap(), 1);
}

/// Decree 147 at the ingress with the pipeline: under the 2024 pack `POST /v1/posts`, the
/// batch and the Mastodon webhook refuse a post by an author without an authenticated
/// account before it reaches the stream; an authenticated author's post is queued.
#[tokio::test]
async fn with_the_pipeline_the_ingress_refuses_unauthenticated_authors_under_the_2024_pack() {
    let nats = Nats::start();
    let app = app_with_pipeline(&nats, "vn-147-2024").await;
    let admin = app.token(Role::Admin).await;
    authenticated(&app, &admin, "lan").await;
    let r = app
        .call(
            "POST",
            "/v1/posts",
            Some(&admin),
            Some(json!({"id": "q1", "text": CLEAN, "author": {"id": "nobody"}})),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "decree_refused"),
        "{}",
        r.body
    );
    let body = format!(
        "{}\n{}\n",
        json!({"id": "q2", "text": CLEAN, "author": {"id": "nobody"}}),
        json!({"id": "q3", "text": CLEAN, "author": {"id": "lan"}}),
    );
    let r = post_lines(&app, &admin, &body).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(
        r.json()["posts"],
        json!([{"post": "q3", "status": "queued"}])
    );
    assert_eq!(r.json()["errors"][0]["line"], 1, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["rule"], "ND-1", "{}", r.body);

    let now = super::authority::rfc3339(quytac_store::now_ms());
    let body = json!({"event": "status.created", "created_at": now, "object": {
        "id": "2203", "content": "<p>Chào</p>", "account": {"id": "9", "username": "an", "acct": "an"}}})
    .to_string();
    let sig = quytac_server::api::mastodon::sign(SECRET, body.as_bytes());
    let r = app
        .request(
            "POST",
            "/v1/integrations/mastodon",
            &[
                ("x-hub-signature", sig.as_str()),
                ("content-type", "application/json"),
            ],
            body.as_bytes(),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "decree_refused"),
        "{}",
        r.body
    );
    let stats = app.call("GET", "/v1/pipeline", Some(&admin), None).await;
    assert_eq!(
        stats.json()["depth"],
        1,
        "only q3 is queued: {}",
        stats.body
    );
}

#[tokio::test]
async fn metrics_need_an_admin_or_the_scrape_token() {
    let app = spawn_app_with(|c| c.metrics_token = Some("scrape-secret".into())).await;
    let r = app.request("GET", "/metrics", &[], b"").await;
    assert_eq!((r.status, r.code().as_str()), (401, "missing_token"));
    let moderator = app.token(Role::Moderator).await;
    let r = app
        .request(
            "GET",
            "/metrics",
            &[("authorization", &format!("Bearer {moderator}"))],
            b"",
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .request(
            "GET",
            "/metrics",
            &[("authorization", "Bearer scrape-wrong")],
            b"",
        )
        .await;
    assert_eq!(r.status, 401);
    for token in ["scrape-secret".to_string(), app.token(Role::Admin).await] {
        let r = app
            .request(
                "GET",
                "/metrics",
                &[("authorization", &format!("Bearer {token}"))],
                b"",
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(
            r.body.contains("quytac_up 1\n")
                && r.body.contains("quytac_pipeline_configured 0\n")
                && r.body.contains("quytac_token_cache_live 0\n"),
            "{}",
            r.body
        );
    }
}

#[tokio::test]
async fn with_the_pipeline_posts_are_queued_and_shown_queued() {
    let nats = Nats::start();
    let app = app_with_pipeline(&nats, quytac_core::rules::DEFAULT_PACK).await;
    let token = app.token(Role::Moderator).await;
    let r = app
        .call(
            "POST",
            "/v1/posts",
            Some(&token),
            Some(json!({"id": "q1", "text": HATE, "author": {"id": "u9"}})),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.json(), json!({"post": "q1", "status": "queued"}));
    let shown = app.call("GET", "/v1/posts/q1", Some(&token), None).await;
    assert_eq!(shown.json(), json!({"post": "q1", "status": "queued"}));
    assert_eq!(
        app.call("GET", "/v1/posts/nope", Some(&token), None)
            .await
            .status,
        404
    );
    // Nothing is stored by the ingress: a worker does that.
    assert_eq!(app.state.store.count_posts().await.unwrap(), 0);

    let body = format!("{}\n{{oops\n", json!({"id": "q2", "text": CLEAN}));
    let r = post_lines(&app, &token, &body).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(
        r.json()["posts"],
        json!([{"post": "q2", "status": "queued"}])
    );
    assert_eq!(r.json()["errors"][0]["line"], 2);
    // A profile is refused before it reaches the stream.
    let r = app
        .call(
            "POST",
            "/v1/posts",
            Some(&token),
            Some(json!({"type": "profile", "id": "u1"})),
        )
        .await;
    assert_eq!(r.status, 422);

    let admin = app.token(Role::Admin).await;
    let stats = app.call("GET", "/v1/pipeline", Some(&admin), None).await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    assert_eq!(stats.json()["depth"], 2);
    let metrics = app
        .request(
            "GET",
            "/metrics",
            &[("authorization", &format!("Bearer {admin}"))],
            b"",
        )
        .await;
    assert!(
        metrics.body.contains("quytac_pipeline_depth 2\n"),
        "{}",
        metrics.body
    );

    // A Mastodon status is queued too, once however often it is delivered.
    let now = super::authority::rfc3339(quytac_store::now_ms());
    let body = json!({"event": "status.created", "created_at": now, "object": {
        "id": "2202", "content": format!("<p>{HATE}</p>"), "account": {"id": "9", "username": "an"}}})
    .to_string();
    let sig = quytac_server::api::mastodon::sign(SECRET, body.as_bytes());
    let headers = [
        ("x-hub-signature", sig.as_str()),
        ("content-type", "application/json"),
    ];
    let deliver = || {
        app.request(
            "POST",
            "/v1/integrations/mastodon",
            &headers,
            body.as_bytes(),
        )
    };
    let first = deliver().await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        first.json()["queued"],
        json!(["mastodon:status:2202"]),
        "{}",
        first.body
    );
    let again = deliver().await;
    assert_eq!(again.json()["duplicate"], true, "{}", again.body);
    assert_eq!(app.state.store.count_posts().await.unwrap(), 0);
    let stats = app.call("GET", "/v1/pipeline", Some(&admin), None).await;
    assert_eq!(stats.json()["depth"], 3, "{}", stats.body);
}
