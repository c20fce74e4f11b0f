//! `quytac audit verify` against a real `quytac serve` on loopback: a saved head is extended
//! by later writes, and a rollback (newest events cut together with their signed heads, the
//! server restarted) passes the server's own checks but not the witness.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_quytac");

fn quytac(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("QUYTAC_TOKEN")
        .output()
        .expect("quytac runs")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request; the status code and the raw answer.
fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{auth}\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(db: &str, key: &Path) -> Server {
        let port = free_port();
        let child = Command::new(BIN)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--db", db])
            .arg("--audit-key")
            .arg(key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("quytac serve starts");
        let started = Instant::now();
        while http(port, "GET", "/healthz", None, "").0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(60), "serve answers");
            std::thread::sleep(Duration::from_millis(100));
        }
        Server { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn post(server: &Server, token: &str, id: &str) {
    let body = format!(
        r#"{{"id":"{id}","text":"Bọn bắc kỳ toàn lũ lừa đảo","author":{{"id":"u-{id}","role":"civil_servant"}}}}"#
    );
    let (status, answer) = http(server.port, "POST", "/v1/posts", Some(token), &body);
    assert!(status == 200 || status == 201, "{answer}");
}

fn verify(server: &Server, token: &str, extra: &[&str]) -> Output {
    let url = server.url();
    let mut args = vec!["audit", "verify", "--url", &url, "--token", token];
    args.extend_from_slice(extra);
    quytac(&args)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_witness_finds_a_rollback_the_server_cannot_see() {
    let dir = tempfile::tempdir().unwrap();
    let db_file = dir.path().join("q.db");
    let db = format!("sqlite://{}", db_file.display());
    let key = dir.path().join("audit.key");
    let head = dir.path().join("head.json");
    let head_str = head.to_str().unwrap();
    let made = quytac(&[
        "admin",
        "create-token",
        "--role",
        "admin",
        "--db",
        &db,
        "--audit-key",
        key.to_str().unwrap(),
    ]);
    assert!(made.status.success(), "{}", text(&made));
    let token = String::from_utf8(made.stdout).unwrap().trim().to_string();

    let server = Server::start(&db, &key);
    post(&server, &token, "a1");
    let first = verify(&server, &token, &["--save-head", head_str]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(text(&first).starts_with("ok:"), "{}", text(&first));

    // Later writes extend the saved head.
    post(&server, &token, "a2");
    post(&server, &token, "a3");
    let extended = verify(&server, &token, &["--witness", head_str]);
    assert_eq!(extended.status.code(), Some(0), "{}", text(&extended));
    assert!(text(&extended).contains("extends the witness"));
    drop(server);

    // Cut everything after the witness's head of the posts' chain (their author's shard),
    // with the heads that cover it, and move the chain's head row back: a self-consistent,
    // shorter log.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&head).unwrap()).unwrap();
    let longest = saved["chains"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|c| c["pos"].as_i64().unwrap())
        .unwrap();
    let (chain, pos, hash) = (
        longest["chain"].as_i64().unwrap(),
        longest["pos"].as_i64().unwrap(),
        longest["hash"].as_str().unwrap(),
    );
    let cut = 2;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::{ConnectOptions, Executor};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&db_file)
            .connect()
            .await
            .unwrap();
        // The events and heads up to the one before the witness's, then the same again:
        // the forger rewinds to a head before the one the client saved.
        let keep: (i64, String) =
            sqlx::query_as("SELECT pos, hash FROM audit_events WHERE chain = $1 AND pos = $2")
                .bind(chain)
                .bind(pos - cut + 1)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_ne!(keep.1, hash);
        for sql in [
            format!(
                "DELETE FROM audit_events WHERE chain = {chain} AND pos > {}",
                keep.0
            ),
            format!(
                "UPDATE audit_chains SET pos = {}, hash = '{}' WHERE chain = {chain}",
                keep.0, keep.1
            ),
        ] {
            conn.execute(sql.as_str()).await.unwrap();
        }
        let heads: Vec<(i64, String)> = sqlx::query_as("SELECT id, chains FROM audit_heads")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        for (id, chains) in heads {
            let chains: serde_json::Value = serde_json::from_str(&chains).unwrap();
            let covered =
                chains.as_array().unwrap().iter().any(|c| {
                    c["chain"].as_i64() == Some(chain) && c["pos"].as_i64().unwrap() > keep.0
                });
            if covered {
                conn.execute(format!("DELETE FROM audit_heads WHERE id = {id}").as_str())
                    .await
                    .unwrap();
            }
        }
    });

    let server = Server::start(&db, &key);
    let alone = verify(&server, &token, &[]);
    assert_eq!(
        alone.status.code(),
        Some(0),
        "without a witness the shorter log is self-consistent: {}",
        text(&alone)
    );
    let witnessed = verify(&server, &token, &["--witness", head_str]);
    assert_eq!(witnessed.status.code(), Some(1), "{}", text(&witnessed));
    assert!(
        text(&witnessed).contains("no longer extends the witness"),
        "{}",
        text(&witnessed)
    );
}

#[test]
fn plain_http_to_another_host_is_a_usage_error() {
    let out = quytac(&[
        "audit",
        "verify",
        "--url",
        "http://example.com",
        "--token",
        "t",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
