//! Nothing acknowledged is lost: concurrent writes, a SIGKILL under load, a restart.

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_ingests_lose_no_row() {
    let app = spawn_app().await;
    let token = app.token(Role::Moderator).await;
    let admin = app.token(Role::Admin).await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (port, token, client) = (app.port, token.clone(), app.client.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"id": format!("c{i}"), "text": if i % 2 == 0 { HATE } else { CLEAN }, "author": {"id": format!("u{}", i % 7)}}).to_string();
            let auth = format!("Bearer {token}");
            send(&client, port, "POST", "/v1/posts", &[("authorization", auth.as_str())], body.as_bytes()).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    assert_eq!(app.state.store.count_posts().await.unwrap(), 200);
    let open = app
        .call(
            "GET",
            "/v1/cases?status=open&limit=1000",
            Some(&admin),
            None,
        )
        .await
        .json();
    assert_eq!(open["cases"].as_array().unwrap().len(), 100);
    let v = app
        .call("GET", "/v1/audit/verify", Some(&admin), None)
        .await
        .json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["events"].as_i64().unwrap(), 200 + 100 + 2);
}

/// The child side of the SIGKILL test: serves the database named in the environment and
/// writes its port to a file. Does nothing in a normal test run.
#[tokio::test]
async fn child_server_for_sigkill_test() {
    let (Ok(db), Ok(port_file)) = (
        std::env::var("QUYTAC_CHILD_DB"),
        std::env::var("QUYTAC_CHILD_PORT_FILE"),
    ) else {
        return;
    };
    let app = Application::build(Config::new("127.0.0.1:0".parse().unwrap(), db))
        .await
        .unwrap();
    let token = create_token(&app.state().store, Role::Moderator, "child", "test")
        .await
        .unwrap();
    std::fs::write(&port_file, format!("{} {token}", app.port())).unwrap();
    app.run_until_stopped().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let port_file = dir.path().join("port");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "durability::child_server_for_sigkill_test",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("QUYTAC_CHILD_DB", &db)
        .env("QUYTAC_CHILD_PORT_FILE", &port_file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut info = String::new();
    for _ in 0..600 {
        if let Ok(s) = std::fs::read_to_string(&port_file) {
            if s.contains(' ') {
                info = s;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (port, token) = info.split_once(' ').expect("the child server started");
    let port: u16 = port.parse().unwrap();
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    let client = client();
    for w in 0..8 {
        let (acked, token, client) = (acked.clone(), token.to_string(), client.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..10_000 {
                let id = format!("k{w}-{i}");
                let body = json!({"id": id, "text": HATE, "author": {"id": "u"}}).to_string();
                let auth = format!("Bearer {token}");
                match post_checked(
                    &client,
                    port,
                    &[("authorization", auth.as_str())],
                    body.as_bytes(),
                )
                .await
                {
                    Some(201) => acked.lock().unwrap().push(id),
                    _ => break,
                }
            }
        }));
    }
    // Let acknowledged writes pile up, then kill without warning.
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if acked.lock().unwrap().len() >= 200 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 50,
        "only {} writes were acknowledged before the kill",
        acked.len()
    );
    let store = quytac_store::Store::connect(&db).await.unwrap();
    for id in &acked {
        assert!(
            store.post_by_external_id(id).await.unwrap().is_some(),
            "acknowledged post {id} was lost"
        );
    }
    assert!(store.verify_chain().await.unwrap().ok);
}

/// Posts a post like [`send`], but a dropped connection is `None` instead of a panic: the
/// server is killed while requests are in flight.
async fn post_checked(
    client: &reqwest::Client,
    port: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<u16> {
    let mut request = client
        .post(format!("http://127.0.0.1:{port}/v1/posts"))
        .body(body.to_vec());
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    // Acknowledged means answered in full, as a client that reads the answer sees it.
    response.bytes().await.ok()?;
    Some(status)
}

#[tokio::test]
async fn the_database_file_survives_a_restart() {
    let app = spawn_app().await;
    let token = app.token(Role::Moderator).await;
    app.ingest(&token, "persist", CLEAN, "u").await;
    let again = Application::build(Config::new(
        "127.0.0.1:0".parse().unwrap(),
        app.db_url.clone(),
    ))
    .await
    .unwrap();
    assert!(again
        .state()
        .store
        .post_by_external_id("persist")
        .await
        .unwrap()
        .is_some());
}

/// `quytac serve --demo` started a second time on the same database serves: the demo data is
/// kept as it is and only new tokens are made.
#[tokio::test]
async fn the_demo_loads_twice_on_one_database() {
    let app = spawn_app().await;
    let first = quytac_server::demo::load(&app.state).await.unwrap();
    assert!(!first.already_loaded);
    let cases = app.state.store.list_cases(None, 1000).await.unwrap().len();
    let again = Application::build(Config::new(
        "127.0.0.1:0".parse().unwrap(),
        app.db_url.clone(),
    ))
    .await
    .unwrap();
    let second = quytac_server::demo::load(again.state()).await.unwrap();
    assert!(second.already_loaded);
    assert_eq!(second.tokens.len(), Role::ALL.len());
    assert_eq!(
        again
            .state()
            .store
            .list_cases(None, 1000)
            .await
            .unwrap()
            .len(),
        cases,
        "nothing loaded twice"
    );
}
