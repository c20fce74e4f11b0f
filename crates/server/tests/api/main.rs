//! End-to-end tests of the service: each test starts the real application on port 0 with a
//! fresh SQLite file and talks HTTP to it. One test binary; the identity and agency
//! accountability tests live in their own modules and add their rows to the permission matrix.

mod consultations;
mod identity;
mod inquiries;

use quytac_server::auth::{create_token, Role};
use quytac_server::{Application, Config};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "mastodon-test-secret";

struct TestApp {
    port: u16,
    db_url: String,
    db_file: std::path::PathBuf,
    state: quytac_server::state::AppState,
    _dir: tempfile::TempDir,
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the service like [`spawn_app`], after `tweak` has adjusted its configuration.
async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let db_file = dir.path().join("t.db");
    let db_url = format!("sqlite://{}", db_file.display());
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), db_url.clone());
    config.mastodon_secret = Some(SECRET.into());
    config.checkpoint_every = 5;
    config.body_limit = 64 * 1024;
    tweak(&mut config);
    let app = Application::build(config).await.expect("app builds");
    let port = app.port();
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        port,
        db_url,
        db_file,
        state,
        _dir: dir,
    }
}

/// What a [`web_server`] answers to one request: status line (`"200 OK"`), headers, body; or
/// `None` to never answer (a server that hangs).
type WebReply = Option<(String, Vec<(String, String)>, Vec<u8>)>;

/// A tiny web server on 127.0.0.1 — an agency's site in the tests — that answers each request
/// with `respond(request head, its own port)`. Returns its port.
async fn web_server(respond: impl Fn(&str, u16) -> WebReply + Send + Sync + 'static) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let respond = std::sync::Arc::new(respond);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let Some((status, headers, body)) = respond(&String::from_utf8_lossy(&buf), port)
                else {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                };
                let mut head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}

impl TestApp {
    async fn token(&self, role: Role) -> String {
        create_token(&self.state.store, role, "test", "test")
            .await
            .unwrap()
    }

    async fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        raw_request(self.port, method, path, headers, body).await
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.raw(method, path, &headers, body.as_bytes()).await
    }

    async fn ingest(&self, token: &str, id: &str, text: &str, author: &str) -> Value {
        let r = self
            .call(
                "POST",
                "/v1/posts",
                Some(token),
                Some(json!({"id": id, "text": text, "author": {"id": author}})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()
    }
}

/// A minimal HTTP/1.1 client: one request per connection.
async fn raw_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    // The server may answer (e.g. 413) before reading a large body, and close.
    let _ = stream.write_all(body).await;
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf).await;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut raw_body = buf[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &raw_body[..];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16)
                .unwrap_or(0);
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        raw_body = out;
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&raw_body).to_string(),
    }
}

const ALL: &[Role] = &[
    Role::Admin,
    Role::Moderator,
    Role::Reviewer,
    Role::AgencyOfficer,
    Role::Citizen,
];
const STAFF: &[Role] = &[Role::Admin, Role::Moderator, Role::Reviewer];

/// Who may call an endpoint, as the permission matrix expects it.
enum Who {
    Public,
    Roles(&'static [Role]),
    Signed,
}

/// (method, route template, a concrete path, who may call it). A POST is sent `{}`.
type MatrixRow = (&'static str, &'static str, &'static str, Who);

const HATE: &str = "Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi";
const CLEAN: &str = "Hôm nay trời đẹp, cả nhà đi Hà Nội ăn phở.";

#[tokio::test]
async fn health_and_openapi_describe_every_api_route() {
    let app = spawn_app().await;
    let r = app.call("GET", "/healthz", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    let doc = app.call("GET", "/openapi.json", None, None).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/check",
        "/v1/posts",
        "/v1/cases/{id}/decision",
        "/v1/audit/verify",
        "/v1/integrations/mastodon",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert_eq!(doc["paths"]["/v1/check"]["post"]["security"], json!([]));
    assert_eq!(
        doc["paths"]["/v1/audit"]["get"]["x-roles"],
        json!(["admin", "reviewer"])
    );
}

#[tokio::test]
async fn check_returns_contract_results_for_one_item_or_many() {
    let app = spawn_app().await;
    let r = app
        .call(
            "POST",
            "/v1/check",
            None,
            Some(json!({"id": "p1", "text": HATE, "author": {"role": "citizen"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["id"], "p1");
    assert_eq!(v["type"], "post");
    assert_eq!(v["verdict"], "violation");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["category"] == "regional_discrimination"));
    let r = app
        .call("POST", "/v1/check", None, Some(json!([{"id": "a", "text": CLEAN}, {"id": "u", "type": "profile", "display_name": "An"}])))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v[0]["verdict"], "pass");
    assert_eq!(v[1]["type"], "profile");
}

#[tokio::test]
async fn bad_requests_get_a_4xx_with_a_stable_code_never_a_500() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let send = |path: &'static str, body: &'static str| {
        let app = &app;
        let auth = format!("Bearer {admin}");
        async move {
            app.raw(
                "POST",
                path,
                &[("authorization", auth.as_str())],
                body.as_bytes(),
            )
            .await
        }
    };
    let cases: &[(&str, &str, u16, &str)] = &[
        ("/v1/check", "{\"id\":1,", 400, "malformed_json"),
        ("/v1/check", "not json", 400, "malformed_json"),
        ("/v1/check", "{\"id\":\"p\",\"text\":5}", 422, "invalid_field"),
        ("/v1/check", "{\"id\":\"p\",\"text\":\"a\",\"author\":{\"role\":\"king\"}}", 422, "invalid_field"),
        ("/v1/check", "{\"id\":\"p\",\"type\":\"video\",\"text\":\"a\"}", 422, "invalid_item"),
        ("/v1/check", "42", 422, "invalid_item"),
        ("/v1/posts", "{\"id\":\"u\",\"type\":\"profile\"}", 422, "invalid_item"),
        ("/v1/posts", "[", 400, "malformed_json"),
        ("/v1/reports", "{\"post_id\":\"x\",\"category\":\"rudeness\"}", 422, "invalid_field"),
        ("/v1/reports", "{\"post_id\":\"missing\"}", 404, "not_found"),
        ("/v1/cases/1/decision", "{\"rule\":\"CS-5\",\"category\":\"hate\",\"action\":\"ban\",\"statement\":\"x\"}", 422, "invalid_field"),
        ("/v1/takedowns", "{\"post_id\":\"x\",\"authority\":\"A\",\"legal_basis\":\"B\",\"received_at\":\"yesterday\"}", 422, "invalid_field"),
    ];
    for (path, body, status, code) in cases {
        let r = send(path, body).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (*status, *code),
            "{path} {body} → {}",
            r.body
        );
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    let big = format!("{{\"id\":\"p\",\"text\":\"{}\"}}", "a".repeat(100 * 1024));
    let r = app.raw("POST", "/v1/check", &[], big.as_bytes()).await;
    assert_eq!((r.status, r.code().as_str()), (413, "payload_too_large"));
    let auth = format!("Bearer {admin}");
    let get = |path: &'static str| {
        let app = &app;
        let auth = auth.clone();
        async move {
            app.raw("GET", path, &[("authorization", auth.as_str())], b"")
                .await
        }
    };
    for (path, status, code) in [
        ("/v1/cases/abc", 400, "invalid_path"),
        ("/v1/takedowns?overdue=maybe", 400, "invalid_query"),
        ("/v1/cases?status=closed", 400, "invalid_query"),
        ("/v1/transparency?from=2025-13-01", 400, "invalid_query"),
        ("/v1/nothing", 404, "not_found"),
        ("/v1/cases/999", 404, "not_found"),
    ] {
        let r = get(path).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{path} → {}",
            r.body
        );
    }
    let r = app.raw("DELETE", "/v1/check", &[], b"").await;
    assert_eq!((r.status, r.code().as_str()), (405, "method_not_allowed"));
    let r = app
        .raw(
            "GET",
            "/v1/cases",
            &[("authorization", "Bearer qt_1_nope")],
            b"",
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_token"));
    let r = app
        .raw(
            "GET",
            "/v1/cases",
            &[("authorization", "Bearer garbage")],
            b"",
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_token"));
}

#[tokio::test]
async fn moderation_workflow_from_ingest_to_appeal() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let reviewer = app.token(Role::Reviewer).await;
    let citizen = app.token(Role::Citizen).await;

    let clean = app.ingest(&moderator, "p-clean", CLEAN, "u2").await;
    assert!(clean["case"].is_null());
    assert_eq!(clean["result"]["verdict"], "pass");
    let hate = app.ingest(&moderator, "p-hate", HATE, "u1").await;
    let case_id = hate["case"]["id"].as_i64().expect("a case is opened");
    assert_eq!(hate["case"]["status"], "open");

    // A citizen's report joins the open case.
    let r = app
        .call(
            "POST",
            "/v1/reports",
            Some(&citizen),
            Some(json!({"post_id": "p-hate", "category": "hate", "note": "phân biệt vùng miền"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["case"]["id"].as_i64(), Some(case_id));
    let report_id = r.json()["report"]["id"].as_i64().unwrap();

    let queue = app
        .call("GET", "/v1/cases?status=open", Some(&moderator), None)
        .await
        .json();
    assert_eq!(queue["cases"].as_array().unwrap().len(), 1);

    // Unknown rule, then a proper statement of reasons.
    let bad = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/decision"),
            Some(&moderator),
            Some(json!({"rule": "XX-9", "category": "hate", "action": "remove", "statement": "x"})),
        )
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (422, "unknown_rule"));
    let d = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/decision"),
            Some(&moderator),
            Some(json!({"rule": "US-1", "category": "regional_discrimination", "action": "remove", "statement": "Bài viết phân biệt vùng miền nên bị gỡ."})),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    let d = d.json();
    assert_eq!(d["decision"]["rule_id"], "US-1");
    assert_eq!(d["decision"]["automated_detection"], true);
    assert_eq!(d["decision"]["automated_decision"], false);
    assert_eq!(
        d["notice_to_author"]["statement"],
        "Bài viết phân biệt vùng miền nên bị gỡ."
    );
    assert_eq!(d["notice_to_author"]["author_id"], "u1");
    assert_eq!(d["reporters_notified"], 1);

    // The reporter is told the outcome; another citizen cannot read the report.
    let rep = app
        .call(
            "GET",
            &format!("/v1/reports/{report_id}"),
            Some(&citizen),
            None,
        )
        .await;
    assert_eq!(rep.json()["outcome"], "remove");
    let other = app.token(Role::Citizen).await;
    assert_eq!(
        app.call(
            "GET",
            &format!("/v1/reports/{report_id}"),
            Some(&other),
            None
        )
        .await
        .status,
        404
    );

    // A decided case cannot be decided again.
    let again = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/decision"),
            Some(&moderator),
            Some(json!({"rule": "US-1", "category": "hate", "action": "label", "statement": "x"})),
        )
        .await;
    assert_eq!((again.status, again.code().as_str()), (409, "conflict"));

    // Appeal: the case reopens; the same person may not decide it; a reviewer does.
    let a = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/appeal"),
            Some(&citizen),
            Some(json!({"reason": "Tôi chỉ trích dẫn."})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let twice = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/appeal"),
            Some(&citizen),
            Some(json!({"reason": "lần nữa"})),
        )
        .await;
    assert_eq!(twice.status, 409);
    let decide = |token: String, action: &'static str| {
        let app = &app;
        async move {
            app.call(
                "POST",
                &format!("/v1/cases/{case_id}/decision"),
                Some(&token),
                Some(json!({"rule": "US-1", "category": "regional_discrimination", "action": action, "statement": "Giữ nguyên quyết định."})),
            )
            .await
        }
    };
    let same = decide(moderator.clone(), "remove").await;
    assert_eq!(same.status, 403, "{}", same.body);
    let by_reviewer = decide(reviewer.clone(), "remove").await;
    assert_eq!(by_reviewer.status, 201, "{}", by_reviewer.body);
    assert_eq!(by_reviewer.json()["decision"]["on_appeal"], true);

    let case = app
        .call(
            "GET",
            &format!("/v1/cases/{case_id}"),
            Some(&reviewer),
            None,
        )
        .await
        .json();
    assert_eq!(case["status"], "decided");
    assert_eq!(case["decisions"].as_array().unwrap().len(), 2);
    assert_eq!(case["appeals"][0]["status"], "decided");
    assert_eq!(case["post"]["external_id"], "p-hate");

    let v = app
        .call("GET", "/v1/accounts/u1/violations", Some(&moderator), None)
        .await
        .json();
    assert_eq!(v["last_30_days"], 2);
    assert_eq!(v["recommendation"]["action"], "none");
}

#[tokio::test]
async fn repeated_violations_recommend_a_lock_nd3() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    for i in 0..5 {
        let v = app
            .ingest(&moderator, &format!("p{i}"), HATE, "repeat-offender")
            .await;
        let case_id = v["case"]["id"].as_i64().unwrap();
        let d = app
            .call("POST", &format!("/v1/cases/{case_id}/decision"), Some(&moderator), Some(json!({"rule": "US-1", "category": "hate", "action": "hide", "statement": "Vi phạm US-1."})))
            .await;
        assert_eq!(d.status, 201);
        let v = app
            .call(
                "GET",
                "/v1/accounts/repeat-offender/violations",
                Some(&moderator),
                None,
            )
            .await
            .json();
        let want = if i < 4 { "none" } else { "temporary_lock" };
        assert_eq!(
            v["recommendation"]["action"],
            want,
            "after {} violations",
            i + 1
        );
    }
}

#[tokio::test]
async fn takedowns_have_a_24_hour_deadline_and_an_overdue_list() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let officer = app.token(Role::AgencyOfficer).await;
    app.ingest(&moderator, "old", CLEAN, "u1").await;
    app.ingest(&moderator, "new", CLEAN, "u2").await;
    let now = quytac_store::now_ms();
    let old = app
        .call("POST", "/v1/takedowns", Some(&officer), Some(json!({"post_id": "old", "authority": "Sở TT&TT", "legal_basis": "NĐ 147/2024", "received_at": now - 25 * 3600 * 1000})))
        .await;
    assert_eq!(old.status, 201, "{}", old.body);
    let old = old.json();
    assert_eq!(
        old["takedown"]["deadline"].as_i64().unwrap()
            - old["takedown"]["received_at"].as_i64().unwrap(),
        24 * 3600 * 1000
    );
    assert_eq!(old["takedown"]["overdue"], true);
    let new = app
        .call(
            "POST",
            "/v1/takedowns",
            Some(&officer),
            Some(json!({"post_id": "new", "authority": "Sở TT&TT", "legal_basis": "NĐ 147/2024"})),
        )
        .await;
    assert_eq!(new.json()["takedown"]["overdue"], false);

    let overdue = app
        .call("GET", "/v1/takedowns?overdue=true", Some(&officer), None)
        .await
        .json();
    let ids: Vec<i64> = overdue["takedowns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![old["takedown"]["id"].as_i64().unwrap()]);
    assert_eq!(
        app.call("GET", "/v1/takedowns", Some(&officer), None)
            .await
            .json()["takedowns"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Removing the post satisfies the request.
    let case_id = old["takedown"]["case_id"].as_i64().unwrap();
    let d = app
        .call("POST", &format!("/v1/cases/{case_id}/decision"), Some(&moderator), Some(json!({"rule": "US-2", "category": "unverified_claim", "action": "remove", "statement": "Gỡ theo yêu cầu."})))
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    let overdue = app
        .call("GET", "/v1/takedowns?overdue=true", Some(&officer), None)
        .await
        .json();
    assert!(overdue["takedowns"].as_array().unwrap().is_empty());
    let t = app
        .call("GET", "/v1/transparency", Some(&officer), None)
        .await
        .json();
    assert_eq!(t["takedowns"]["received"], 2);
    assert_eq!(t["takedowns"]["completed_late"], 1);
}

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

/// Every endpoint × every role, and no token. The expected access is written out here, apart
/// from the route table, so a change to either shows up.
#[tokio::test]
async fn permission_matrix() {
    use Role::*;
    let mut matrix: Vec<MatrixRow> = vec![
        ("GET", "/healthz", "/healthz", Who::Public),
        ("GET", "/openapi.json", "/openapi.json", Who::Public),
        ("POST", "/v1/check", "/v1/check", Who::Public),
        (
            "POST",
            "/v1/posts",
            "/v1/posts",
            Who::Roles(&[Admin, Moderator]),
        ),
        ("GET", "/v1/posts/{id}", "/v1/posts/x", Who::Roles(STAFF)),
        ("POST", "/v1/reports", "/v1/reports", Who::Roles(ALL)),
        ("GET", "/v1/reports/{id}", "/v1/reports/1", Who::Roles(ALL)),
        ("GET", "/v1/cases", "/v1/cases", Who::Roles(STAFF)),
        ("GET", "/v1/cases/{id}", "/v1/cases/1", Who::Roles(STAFF)),
        (
            "POST",
            "/v1/cases/{id}/decision",
            "/v1/cases/1/decision",
            Who::Roles(STAFF),
        ),
        (
            "POST",
            "/v1/cases/{id}/appeal",
            "/v1/cases/1/appeal",
            Who::Roles(&[Admin, Moderator, Citizen]),
        ),
        (
            "POST",
            "/v1/takedowns",
            "/v1/takedowns",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "GET",
            "/v1/takedowns",
            "/v1/takedowns",
            Who::Roles(&[Admin, Moderator, AgencyOfficer]),
        ),
        (
            "GET",
            "/v1/accounts/{handle}/violations",
            "/v1/accounts/u1/violations",
            Who::Roles(STAFF),
        ),
        (
            "GET",
            "/v1/audit",
            "/v1/audit",
            Who::Roles(&[Admin, Reviewer]),
        ),
        (
            "GET",
            "/v1/audit/verify",
            "/v1/audit/verify",
            Who::Roles(&[Admin, Reviewer]),
        ),
        (
            "POST",
            "/v1/audit/checkpoints",
            "/v1/audit/checkpoints",
            Who::Roles(&[Admin]),
        ),
        (
            "GET",
            "/v1/transparency",
            "/v1/transparency",
            Who::Roles(ALL),
        ),
        (
            "POST",
            "/v1/integrations/mastodon",
            "/v1/integrations/mastodon",
            Who::Signed,
        ),
    ];
    matrix.extend(identity::permission_rows());
    matrix.extend(inquiries::permission_rows());
    matrix.extend(consultations::permission_rows());
    // The matrix must cover every API route.
    let table: BTreeSet<(String, String)> = matrix
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    let routed: BTreeSet<(String, String)> = quytac_server::routes::routes()
        .iter()
        .filter(|r| r.path.starts_with("/v1") || r.path == "/healthz" || r.path == "/openapi.json")
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(
        table, routed,
        "the permission matrix and the route table differ"
    );

    let app = spawn_app().await;
    let mut tokens = Vec::new();
    for role in ALL {
        tokens.push((*role, app.token(*role).await));
    }
    for (method, template, path, who) in &matrix {
        let body = if *method == "POST" {
            Some(json!({}))
        } else {
            None
        };
        let anon = app.call(method, path, None, body.clone()).await;
        match who {
            // 404: what the path names does not exist (no data is set up); the route is open.
            Who::Public => assert!(
                anon.status < 400 || anon.status == 404 || anon.status == 422,
                "{method} {template} anonymous → {}",
                anon.status
            ),
            Who::Signed => assert_eq!(
                (anon.status, anon.code().as_str()),
                (401, "bad_signature"),
                "{method} {template}"
            ),
            Who::Roles(_) => assert_eq!(
                (anon.status, anon.code().as_str()),
                (401, "missing_token"),
                "{method} {template}"
            ),
        }
        for (role, token) in &tokens {
            let r = app.call(method, path, Some(token), body.clone()).await;
            let allowed = match who {
                Who::Public => true,
                Who::Roles(roles) => roles.contains(role),
                Who::Signed => {
                    assert_eq!(
                        r.status, 401,
                        "{method} {template} as {role}: a token is no signature"
                    );
                    continue;
                }
            };
            if allowed {
                assert!(
                    r.status != 401 && r.status != 403 && r.status < 500,
                    "{method} {template} as {role} → {} {}",
                    r.status,
                    r.body
                );
            } else {
                assert_eq!(
                    (r.status, r.code().as_str()),
                    (403, "forbidden"),
                    "{method} {template} as {role}"
                );
            }
        }
    }

    // Console pages: no cookie → sign-in page; a citizen → 403; staff → the page.
    let r = app.raw("GET", "/console/cases", &[], b"").await;
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/login"));
    for (role, token) in &tokens {
        let cookie = format!("quytac_token={token}");
        let r = app
            .raw("GET", "/console/cases", &[("cookie", cookie.as_str())], b"")
            .await;
        let want = if STAFF.contains(role) { 200 } else { 403 };
        assert_eq!(r.status, want, "console as {role}");
    }
}

#[tokio::test]
async fn mastodon_webhook_checks_the_signature_and_ingests() {
    let app = spawn_app().await;
    let deliver = |body: Value, sig: Option<String>| {
        let app = &app;
        async move {
            let body = body.to_string();
            let sig =
                sig.unwrap_or_else(|| quytac_server::api::mastodon::sign(SECRET, body.as_bytes()));
            app.raw(
                "POST",
                "/v1/integrations/mastodon",
                &[
                    ("x-hub-signature", sig.as_str()),
                    ("content-type", "application/json"),
                ],
                body.as_bytes(),
            )
            .await
        }
    };
    let status = json!({"event": "status.created", "created_at": "2025-01-01T00:00:00Z", "object": {
        "id": "1101", "content": format!("<p>{HATE}</p>"), "account": {"id": "9", "username": "an", "acct": "an@example.social"}}});
    let bad = deliver(status.clone(), Some("sha256=00".into())).await;
    assert_eq!((bad.status, bad.code().as_str()), (401, "bad_signature"));
    let other_key = quytac_server::api::mastodon::sign("wrong", status.to_string().as_bytes());
    assert_eq!(deliver(status.clone(), Some(other_key)).await.status, 401);
    let ok = deliver(status, None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let v = ok.json();
    assert_eq!(
        v["ingested"][0]["post"]["external_id"],
        "mastodon:status:1101"
    );
    assert_eq!(
        v["ingested"][0]["post"]["author_id"],
        "mastodon:an@example.social"
    );
    assert_eq!(v["ingested"][0]["result"]["verdict"], "violation");

    let report = json!({"event": "report.created", "object": {"id": "7", "category": "violation", "comment": "kỳ thị",
        "account": {"username": "binh"}, "target_account": {"username": "an"},
        "statuses": [{"id": "1102", "content": "<p>Xin chào</p>", "account": {"acct": "an"}}]}});
    let r = deliver(report, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["reports"][0]["report"]["reporter"],
        "mastodon:binh"
    );

    let account = json!({"event": "account.updated", "object": {"id": "9", "username": "an", "account": {"display_name": "An 123", "note": "<p>hi</p>"}}});
    let r = deliver(account, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["result"]["type"], "profile");

    let unknown = deliver(json!({"event": "poll.ended", "object": {}}), None).await;
    assert_eq!(
        (unknown.status, unknown.code().as_str()),
        (422, "unknown_event")
    );
}

#[tokio::test]
async fn transparency_counts_decisions_per_rule_and_week_and_draws_them() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let citizen = app.token(Role::Citizen).await;
    for (i, (rule, category)) in [
        ("US-1", "hate"),
        ("US-1", "hate"),
        ("US-2", "personal_data"),
    ]
    .iter()
    .enumerate()
    {
        let v = app.ingest(&moderator, &format!("t{i}"), HATE, "u1").await;
        let case_id = v["case"]["id"].as_i64().unwrap();
        let d = app
            .call("POST", &format!("/v1/cases/{case_id}/decision"), Some(&moderator), Some(json!({"rule": rule, "category": category, "action": "label", "statement": "Gắn nhãn."})))
            .await;
        assert_eq!(d.status, 201, "{}", d.body);
    }
    let t = app
        .call("GET", "/v1/transparency", Some(&citizen), None)
        .await
        .json();
    assert_eq!(t["decisions"], 3);
    assert_eq!(t["by_rule"]["US-1"], 2);
    assert_eq!(t["by_rule"]["US-2"], 1);
    assert_eq!(t["by_action"]["label"], 3);
    assert_eq!(t["weeks"].as_array().unwrap().len(), 1);
    assert_eq!(t["weeks"][0]["total"], 3);
    let page = app.raw("GET", "/transparency", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "{}", page.body);
    assert_eq!(
        page.body.matches("class=\"bar\"").count(),
        2,
        "one bar segment per rule in the week"
    );
    let old = app
        .call(
            "GET",
            "/v1/transparency?from=2020-01-01&to=2020-01-31",
            Some(&citizen),
            None,
        )
        .await
        .json();
    assert_eq!(old["decisions"], 0);
}

#[tokio::test]
async fn web_console_checks_text_and_decides_cases() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let page = app.raw("GET", "/", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<form"));
    let form = format!(
        "text={}&role=civil_servant",
        quytac_server::web::url_encode(HATE).replace('/', "%2F")
    );
    let r = app
        .raw(
            "POST",
            "/",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<mark title=\"CS-5"), "{}", r.body);
    assert!(r.body.contains("violation"));

    let v = app.ingest(&moderator, "w1", HATE, "u1").await;
    let case_id = v["case"]["id"].as_i64().unwrap();
    let bad_login = app
        .raw(
            "POST",
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            b"token=qt_1_x&next=%2Fconsole%2Fcases",
        )
        .await;
    assert_eq!(bad_login.status, 401);
    let login = app
        .raw(
            "POST",
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("token={moderator}&next=%2Fconsole%2Fcases").as_bytes(),
        )
        .await;
    assert_eq!(login.status, 303);
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("quytac_token="));
    let queue = app
        .raw("GET", "/console/cases", &[("cookie", cookie.as_str())], b"")
        .await;
    assert!(
        queue.body.contains(&format!("/console/cases/{case_id}")),
        "{}",
        queue.body
    );
    let case = app
        .raw(
            "GET",
            &format!("/console/cases/{case_id}"),
            &[("cookie", cookie.as_str())],
            b"",
        )
        .await;
    assert!(case.body.contains("id=\"decision\""));
    let form =
        "rule=US-1&category=regional_discrimination&action=remove&statement=G%E1%BB%A1+b%C3%A0i";
    let r = app
        .raw(
            "POST",
            &format!("/console/cases/{case_id}"),
            &[
                ("cookie", cookie.as_str()),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            form.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let detail = app
        .call(
            "GET",
            &format!("/v1/cases/{case_id}"),
            Some(&moderator),
            None,
        )
        .await
        .json();
    assert_eq!(detail["status"], "decided");
    assert_eq!(detail["decisions"][0]["statement"], "Gỡ bài");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_ingests_lose_no_row() {
    let app = spawn_app().await;
    let token = app.token(Role::Moderator).await;
    let admin = app.token(Role::Admin).await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (port, token) = (app.port, token.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"id": format!("c{i}"), "text": if i % 2 == 0 { HATE } else { CLEAN }, "author": {"id": format!("u{}", i % 7)}}).to_string();
            let auth = format!("Bearer {token}");
            raw_request(port, "POST", "/v1/posts", &[("authorization", auth.as_str())], body.as_bytes()).await.status
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
            "child_server_for_sigkill_test",
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
    for w in 0..8 {
        let (acked, token) = (acked.clone(), token.to_string());
        writers.push(tokio::spawn(async move {
            for i in 0..10_000 {
                let id = format!("k{w}-{i}");
                let body = json!({"id": id, "text": HATE, "author": {"id": "u"}}).to_string();
                let auth = format!("Bearer {token}");
                match raw_request_checked(
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

/// Like [`raw_request`], but a dropped connection is `None` instead of a panic.
async fn raw_request_checked(port: u16, headers: &[(&str, &str)], body: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let mut req = format!(
        "POST /v1/posts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.ok()?;
    stream.write_all(body).await.ok()?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.ok()?;
    let head = String::from_utf8_lossy(&buf);
    head.split(' ').nth(1)?.parse().ok()
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

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

#[tokio::test]
async fn console_refuses_other_roles_at_sign_in_and_in_html() {
    let app = spawn_app().await;
    for role in [Role::Citizen, Role::AgencyOfficer] {
        let token = app.token(role).await;
        // Sign-in is refused on the form itself, with a message and no cookie.
        let login = app
            .raw(
                "POST",
                "/login",
                &[FORM],
                format!("token={token}&next=%2Fconsole%2Fcases").as_bytes(),
            )
            .await;
        assert_eq!(login.status, 403, "{role}: {}", login.body);
        assert!(login.header("set-cookie").is_none(), "{role}: no cookie");
        assert!(login.header("location").is_none(), "{role}: no redirect");
        assert!(login
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
        assert!(login.body.contains("class=\"error\""), "{}", login.body);
        assert!(login.body.contains("không được dùng bảng điều khiển"));
        assert!(login.body.contains("may not use the moderation console"));
        assert!(
            login.body.contains("id=\"token\""),
            "the form is shown again"
        );

        // A cookie obtained some other way still meets an HTML page, not JSON.
        let cookie = format!("quytac_token={token}");
        for path in ["/console/cases", "/console/cases/1"] {
            let r = app.raw("GET", path, &[("cookie", &cookie)], b"").await;
            assert_eq!(r.status, 403, "{role} {path}");
            assert!(
                r.header("content-type").unwrap().starts_with("text/html"),
                "{role} {path}: {:?}",
                r.header("content-type")
            );
            assert!(r.body.contains("Không có quyền truy cập"), "{}", r.body);
            assert!(r.body.contains("Access denied"));
            assert!(r
                .body
                .contains(&format!("`{role}` may not use the moderation console")));
            assert!(!r.body.contains("id=\"decision\""));
        }
    }
    for role in [Role::Admin, Role::Moderator, Role::Reviewer] {
        let token = app.token(role).await;
        let login = app
            .raw(
                "POST",
                "/login",
                &[FORM],
                format!("token={token}").as_bytes(),
            )
            .await;
        assert_eq!(login.status, 303, "{role}: {}", login.body);
        assert!(login
            .header("set-cookie")
            .unwrap()
            .starts_with("quytac_token="));
    }
}

#[tokio::test]
async fn console_sign_in_keeps_the_query_and_only_goes_to_local_paths() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let r = app
        .raw("GET", "/console/cases?status=decided", &[], b"")
        .await;
    assert_eq!(r.status, 303);
    let location = r.header("location").unwrap().to_string();
    assert_eq!(location, "/login?next=/console/cases%3Fstatus%3Ddecided");
    let page = app.raw("GET", &location, &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("name=\"next\" value=\"/console/cases?status=decided\""),
        "{}",
        page.body
    );
    let login = |next: &'static str| {
        let app = &app;
        let body = format!("token={moderator}&next={next}");
        async move {
            let r = app.raw("POST", "/login", &[FORM], body.as_bytes()).await;
            assert_eq!(r.status, 303, "{next}: {}", r.body);
            r.header("location").unwrap().to_string()
        }
    };
    assert_eq!(
        login("%2Fconsole%2Fcases%3Fstatus%3Ddecided").await,
        "/console/cases?status=decided"
    );
    assert_eq!(login("%2Fconsole%2Fcases%2F7").await, "/console/cases/7");
    // Anything that a browser could read as another site falls back to the queue.
    for evil in [
        "%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
        "%2F%5C%5Cevil.example",
        "https%3A%2F%2Fevil.example",
        "evil.example",
        "%2F%09%2Fevil.example",
        "%2F%0D%0ALocation%3A+https%3A%2F%2Fevil.example",
        "javascript%3Aalert(1)",
    ] {
        assert_eq!(login(evil).await, "/console/cases", "next={evil}");
        let path = format!("/login?next={evil}");
        let page = app.raw("GET", &path, &[], b"").await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body.contains("name=\"next\" value=\"/console/cases\""),
            "{path}: {}",
            page.body
        );
    }
}

#[tokio::test]
async fn a_decision_must_cite_a_rule_for_the_author_and_the_category() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    // A citizen's post (no role given) and a civil servant's, with the same text.
    let citizen_case = app.ingest(&moderator, "by-citizen", HATE, "u1").await["case"]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .call(
            "POST",
            "/v1/posts",
            Some(&moderator),
            Some(json!({"id": "by-servant", "text": HATE, "author": {"id": "u2", "role": "civil_servant"}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let servant_case = r.json()["case"]["id"].as_i64().unwrap();
    let decide = |case_id: i64,
                  rule: &'static str,
                  category: &'static str,
                  action: &'static str| {
        let app = &app;
        let moderator = moderator.clone();
        async move {
            app.call(
                "POST",
                &format!("/v1/cases/{case_id}/decision"),
                Some(&moderator),
                Some(json!({"rule": rule, "category": category, "action": action, "statement": "Lý do."})),
            )
            .await
        }
    };

    // CS-5 binds civil servants and agencies, not a citizen.
    let r = decide(citizen_case, "CS-5", "regional_discrimination", "remove").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "rule_not_applicable"),
        "{}",
        r.body
    );
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("CS-5") && message.contains("citizen"),
        "{message}"
    );
    // US-1 binds citizens but does not judge personal data.
    let r = decide(citizen_case, "US-1", "personal_data", "remove").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "rule_not_applicable"),
        "{}",
        r.body
    );
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("personal_data"));
    // Nor does a "no breach" decision escape the subject check.
    let r = decide(citizen_case, "CS-5", "regional_discrimination", "none").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "rule_not_applicable"),
        "{}",
        r.body
    );
    let r = decide(servant_case, "US-1", "regional_discrimination", "remove").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "rule_not_applicable"),
        "{}",
        r.body
    );

    // The console form shows the same refusal, and the case stays open.
    let cookie = format!("quytac_token={moderator}");
    let page = app
        .raw(
            "POST",
            &format!("/console/cases/{citizen_case}"),
            &[("cookie", &cookie), FORM],
            b"rule=CS-5&category=regional_discrimination&action=remove&statement=G%E1%BB%A1",
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("id=\"error\""), "{}", page.body);
    assert!(
        page.body.contains("không áp dụng cho tác giả là citizen"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"decision\""),
        "the form is still there"
    );
    let detail = app
        .call(
            "GET",
            &format!("/v1/cases/{citizen_case}"),
            Some(&moderator),
            None,
        )
        .await
        .json();
    assert_eq!(detail["status"], "open");
    assert!(detail["decisions"].as_array().unwrap().is_empty());

    // The rules that do apply are accepted; `none` may name any category of a rule that binds.
    let r = decide(servant_case, "CS-5", "regional_discrimination", "remove").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = decide(citizen_case, "US-1", "personal_data", "none").await;
    assert_eq!(r.status, 201, "{}", r.body);
}
