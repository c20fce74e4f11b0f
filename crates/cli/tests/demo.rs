//! `quytac serve --demo` starts under every shipped pack: the demo's authors have accounts
//! authenticated as Decree 147 asks, its decision cites a rule of the active pack, and under
//! `vn-147-2024` the post of its unauthenticated account is refused (ND-1) and said so on
//! the console.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `quytac serve --demo --pack <pack>` on a fresh database; answers the server and the
/// console lines up to the one that says where it serves, with the port.
fn serve_demo(dir: &std::path::Path, pack: &str) -> (Server, Vec<String>, u16) {
    let db = format!("sqlite://{}", dir.join("q.db").display());
    let key = dir.join("audit.key");
    let mut child = Command::new(env!("CARGO_BIN_EXE_quytac"))
        .args(["serve", "--demo", "--pack", pack, "--addr", "127.0.0.1:0"])
        .args(["--db", &db, "--audit-key"])
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the quytac binary starts");
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut lines = Vec::new();
    while started.elapsed() < Duration::from_secs(120) {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        lines.push(line.clone());
        if let Some(rest) = line.strip_prefix("quytac: serving on http://127.0.0.1:") {
            let port = rest.split(' ').next().unwrap().parse().unwrap();
            return (server, lines, port);
        }
    }
    panic!(
        "`serve --demo --pack {pack}` did not start:\n{}",
        lines.join("\n")
    );
}

/// `GET path` on the server with a bearer token: the status line and the body.
fn get(port: u16, path: &str, token: &str) -> (String, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

#[test]
fn the_demo_starts_under_every_shipped_pack() {
    for pack in ["vn-2018-draft", "vn-874-2021", "vn-147-2024"] {
        let dir = tempfile::tempdir().unwrap();
        let (_server, lines, port) = serve_demo(dir.path(), pack);
        let console = lines.join("\n");
        let admin = lines
            .iter()
            .find_map(|l| l.strip_prefix("demo token (admin): "))
            .unwrap_or_else(|| panic!("{pack}: no admin token: {console}"));
        let refused = console.contains("demo post demo-6 refused by Decree 147: ND-1");
        assert_eq!(refused, pack == "vn-147-2024", "{pack}: {console}");
        let (status, _) = get(port, "/healthz", admin);
        assert!(status.contains(" 200 "), "{pack}: {status}");
        // The demo's decision (citing the rule the pack's check found) is in the figures.
        let (status, body) = get(port, "/v1/transparency", admin);
        assert!(status.contains(" 200 "), "{pack}: {status} {body}");
        assert!(body.contains("\"decisions\":1"), "{pack}: {body}");
    }
}
