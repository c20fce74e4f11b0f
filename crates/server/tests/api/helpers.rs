//! What every API test shares: [`spawn_app`] starts the real application on port 0 with a
//! fresh SQLite file, [`TestApp`] talks HTTP to it through `reqwest`, [`web_server`] plays an
//! agency's web site, and the constants name the roles and texts the tests use.
//!
//! No test needs a raw socket as a client: every request the tests send (bad JSON, oversize
//! bodies, forged signatures, header injection in a redirect target) is one an HTTP client
//! sends as asked. Only [`web_server`] writes HTTP by hand, because a test portal must be able
//! to answer exactly what a broken or hanging site would.

pub use quytac_server::auth::{create_token, Role};
pub use quytac_server::{Application, Config};
pub use serde_json::{json, Value};
pub use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};
pub use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const SECRET: &str = "mastodon-test-secret";

pub const HATE: &str = "Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi";
pub const CLEAN: &str = "Hôm nay trời đẹp, cả nhà đi Hà Nội ăn phở.";

pub const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

pub const ALL: &[Role] = &[
    Role::Admin,
    Role::Moderator,
    Role::Reviewer,
    Role::AgencyOfficer,
    Role::Citizen,
];
pub const STAFF: &[Role] = &[Role::Admin, Role::Moderator, Role::Reviewer];

/// Who may call an endpoint, as the permission matrix expects it.
pub enum Who {
    Public,
    Roles(&'static [Role]),
    Signed,
}

/// (method, route template, a concrete path, who may call it). A POST is sent `{}`.
pub type MatrixRow = (&'static str, &'static str, &'static str, Who);

pub struct TestApp {
    pub port: u16,
    pub db_url: String,
    pub db_file: std::path::PathBuf,
    pub state: quytac_server::state::AppState,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// An answer, read whole.
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The `name=value` of the cookie this answer sets, for a `cookie` header.
    pub fn cookie(&self) -> String {
        let set = self
            .header("set-cookie")
            .unwrap_or_else(|| panic!("no cookie set: {} {}", self.status, self.body));
        set.split(';').next().unwrap().to_string()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the service like [`spawn_app`], after `tweak` has adjusted its configuration.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    captured_log();
    let dir = tempfile::tempdir().unwrap();
    let db_file = dir.path().join("t.db");
    let db_url = format!("sqlite://{}", db_file.display());
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), db_url.clone());
    config.mastodon_secret = Some(SECRET.into());
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
        client: client(),
        _dir: dir,
    }
}

/// The tests' HTTP client: redirects are answers to look at, not to follow.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// Sends one request to the service on `port` and reads the whole answer.
pub async fn send(
    client: &reqwest::Client,
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut request = client
        .request(method, format!("http://127.0.0.1:{port}{path}"))
        .body(body.to_vec());
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.expect("the service answers");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).to_string(),
            )
        })
        .collect();
    let body = response.bytes().await.expect("the whole body");
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

/// A signed-in web console: the session cookie (`name=value`, for a `cookie` header), the
/// whole `Set-Cookie` line it came in, and the CSRF token of the session's forms.
pub struct Console {
    pub cookie: String,
    pub set_cookie: String,
    pub csrf: String,
}

/// The value of the hidden `csrf` field of a console page.
pub fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in {page}"));
    let rest = &page[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

impl TestApp {
    /// Signs in to the console with `token` (the form, as a browser sends it) and reads the
    /// session's CSRF token from the queue page.
    pub async fn sign_in(&self, token: &str) -> Console {
        let login = self
            .request(
                "POST",
                "/login",
                &[FORM],
                format!("token={token}&next=%2Fconsole%2Fcases").as_bytes(),
            )
            .await;
        assert_eq!(login.status, 303, "sign-in: {}", login.body);
        let set_cookie = login.header("set-cookie").unwrap().to_string();
        let cookie = login.cookie();
        let queue = self
            .request("GET", "/console/cases", &[("cookie", cookie.as_str())], b"")
            .await;
        assert_eq!(queue.status, 200, "{}", queue.body);
        Console {
            csrf: csrf_of(&queue.body),
            cookie,
            set_cookie,
        }
    }

    /// Registers an agency named "Cơ quan {id}" that answers within `days` working days,
    /// under `parent` when one is given.
    pub async fn add_agency(&self, id: &str, parent: Option<&str>, days: i64) {
        self.state
            .store
            .create_agency(
                &quytac_store::model::NewAgency {
                    id: id.into(),
                    name: format!("Cơ quan {id}"),
                    parent_id: parent.map(str::to_string),
                    official_domain: None,
                    page_handle: None,
                    portal_feed_url: None,
                    response_working_days: days,
                    responsible: Default::default(),
                    competent_authority: false,
                },
                "test",
            )
            .await
            .unwrap();
    }

    /// Signs in to the web pages with a login form (`token=…` or `username=…&password=…`,
    /// and `next`); the answer, a 303 with the session cookie when the sign-in held.
    pub async fn web_login(&self, form: &str) -> Resp {
        self.request("POST", "/login", &[FORM], form.as_bytes())
            .await
    }

    /// An agency officer's token bound to `agency`.
    pub async fn officer_of(&self, agency: &str) -> String {
        quytac_server::auth::create_token_for_agency(
            &self.state.store,
            Role::AgencyOfficer,
            "test",
            Some(agency),
            "test",
        )
        .await
        .unwrap()
    }

    /// A citizen's token that speaks for the author `account`.
    pub async fn author_token(&self, account: &str) -> String {
        let token = self.token(Role::Citizen).await;
        let id: i64 = token.split('_').nth(1).unwrap().parse().unwrap();
        self.state
            .store
            .bind_token_account(id, account, "test")
            .await
            .unwrap();
        token
    }

    /// A staff user who signs in with `password`, made as the CLI makes one (an officer of
    /// `agency` when one is given).
    pub async fn staff_user(
        &self,
        username: &str,
        role: Role,
        agency: Option<&str>,
        password: &str,
    ) {
        self.state
            .service
            .add_user(
                "cli:admin",
                &quytac_service::users::NewUser {
                    username: username.into(),
                    display_name: "Nguyễn Thị Lan".into(),
                    role,
                    agency: agency.map(str::to_string),
                    password: password.into(),
                },
            )
            .await
            .unwrap();
    }

    pub async fn token(&self, role: Role) -> String {
        create_token(&self.state.store, role, "test", "test")
            .await
            .unwrap()
    }

    /// Any request: method, path with its query, headers and body as given.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        send(&self.client, self.port, method, path, headers, body).await
    }

    /// A JSON request, with a bearer token when one is given.
    pub async fn call(
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
        self.request(method, path, &headers, body.as_bytes()).await
    }

    pub async fn ingest(&self, token: &str, id: &str, text: &str, author: &str) -> Value {
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

/// The log of every service the tests start, as `quytac serve` writes it (plain text, level
/// `info`); a test finds its own lines by the request ids it was answered.
///
/// One subscriber for the whole binary, installed before the first service starts: a
/// subscriber for one test's thread misses events whose call sites another test's thread
/// registered at the same moment (tracing caches each call site's interest globally).
pub fn captured_log() -> &'static CapturedLog {
    static LOG: OnceLock<CapturedLog> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = CapturedLog::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        log
    })
}

/// A log sink the tests can read back.
#[derive(Clone, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }

    /// The lines logged while serving the request with this id, the request line last.
    pub fn lines_of(&self, request_id: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| l.contains(request_id))
            .map(str::to_string)
            .collect()
    }

    /// The request line of the request with this id.
    pub fn request_line(&self, request_id: &str) -> String {
        let needle = format!("request_id={request_id}");
        self.lines_of(request_id)
            .into_iter()
            .find(|l| l.contains("quytac::http") && l.contains(&needle))
            .unwrap_or_else(|| panic!("no request line for {request_id} in:\n{}", self.text()))
    }
}

/// What a [`web_server`] answers to one request: status line (`"200 OK"`), headers, body; or
/// `None` to never answer (a server that hangs).
pub type WebReply = Option<(String, Vec<(String, String)>, Vec<u8>)>;

/// A tiny web server on 127.0.0.1 — an agency's site in the tests — that answers each request
/// with `respond(request head, its own port)`. Returns its port.
pub async fn web_server(respond: impl Fn(&str, u16) -> WebReply + Send + Sync + 'static) -> u16 {
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
                // The client may have gone (a timeout under test); nothing to do then.
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}
