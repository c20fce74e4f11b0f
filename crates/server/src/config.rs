//! How the service is configured.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// `sqlite://FILE`, a bare file path, or `postgres://…`.
    pub database_url: String,
    /// File holding the Ed25519 key that signs the audit log's heads; created when missing. `None`
    /// uses a fresh key for this process only (tests).
    pub audit_key: Option<PathBuf>,
    /// Shared secret of the Mastodon webhook; the endpoint answers 503 without one.
    pub mastodon_secret: Option<String>,
    pub body_limit: usize,
    /// The deadline of every request; a check over many items stops at it.
    pub request_timeout: Duration,
    /// Bounds on the work a client can cause: checks, rate, connections.
    pub limits: crate::limits::Limits,
    /// Limits of outbound fetches (domain challenges, portal feeds).
    pub fetch: quytac_service::fetch::FetchPolicy,
    /// The DNS server (UDP) that resolves DNS domain challenges; `None` uses the system's
    /// resolver configuration (tests point it at a local server).
    pub dns_server: Option<std::net::SocketAddr>,
    /// Days off for the deadlines of citizens' inquiries (AG-7): the statutory Vietnamese
    /// calendar, plus any per-year schedule the Prime Minister announces
    /// (`HolidayCalendar::with_override`, `with_working_day`).
    pub holidays: quytac_core::agency::HolidayCalendar,
    /// The service is reached over HTTPS (directly or behind a TLS proxy): the console's
    /// session cookie gets `Secure`, and answers `Strict-Transport-Security`.
    pub behind_https: bool,
    /// How long web console sessions live (idle and absolute).
    pub sessions: quytac_service::sessions::SessionPolicy,
    /// How sign-in with a password resists guessing (failures before a lock, its length).
    pub sign_in: quytac_service::users::SignInPolicy,
    /// The NATS JetStream pipeline: when set, ingest publishes posts to the stream and
    /// answers `202 queued`; `quytac worker` processes store them.
    pub nats: Option<quytac_pipeline::PipelineConfig>,
    /// A bearer token Prometheus may use for `GET /metrics` (besides admin tokens).
    pub metrics_token: Option<String>,
    /// The rule pack the service enforces (`vn-2018-draft` by default; `vn-147-2024` adds
    /// Decree 147's ND-1 and ND-4 on writes).
    pub pack: String,
}

impl Config {
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

    pub fn new(addr: SocketAddr, database_url: impl Into<String>) -> Self {
        Config {
            addr,
            database_url: database_url.into(),
            audit_key: None,
            mastodon_secret: None,
            body_limit: 1024 * 1024,
            request_timeout: Config::DEFAULT_REQUEST_TIMEOUT,
            limits: crate::limits::Limits::default(),
            fetch: quytac_service::fetch::FetchPolicy::default(),
            dns_server: None,
            holidays: quytac_core::agency::HolidayCalendar::vietnam(),
            behind_https: false,
            sessions: quytac_service::sessions::SessionPolicy::default(),
            sign_in: quytac_service::users::SignInPolicy::default(),
            nats: None,
            metrics_token: None,
            pack: quytac_core::rules::DEFAULT_PACK.to_string(),
        }
    }
}
