//! `quytac serve`: runs the service (CONTRACT.md, section 3).

use quytac_server::limits::{CheckLimits, Limits, RateLimit};
use quytac_server::{Application, Config};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Database: sqlite://FILE (created when missing) or postgres://…
    #[arg(long, default_value = "sqlite://quytac.db")]
    pub db: String,
    /// Load example posts, cases and tokens (printed) for trying the console.
    #[arg(long)]
    pub demo: bool,
    /// File with the Ed25519 key that signs the audit log's heads (created when missing).
    #[arg(long, default_value = "quytac-audit.key")]
    pub audit_key: PathBuf,
    /// Format of the log on stderr: `text`, or `json` (one object a line). Without the flag,
    /// `QUYTAC_LOG_FORMAT` decides; `RUST_LOG` sets the level (default `info`).
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// The service is reached over HTTPS (a TLS proxy in front, see README): the console's
    /// session cookie is marked `Secure` and answers carry `Strict-Transport-Security`.
    #[arg(long)]
    pub behind_https: bool,
    /// The rule pack the service enforces; `vn-147-2024` refuses posts by accounts that are
    /// not authenticated (ND-1) and by users under 16 without a guardian (ND-4).
    #[arg(long, default_value = quytac_core::rules::DEFAULT_PACK, value_parser = ["vn-2018-draft", "vn-874-2021", "vn-147-2024"])]
    pub pack: String,
    /// NATS servers of the check pipeline (nats://h1:4222[,…]): ingest queues posts for
    /// `quytac worker` and answers 202 (CONTRACT.md section 4).
    #[arg(long, value_name = "URLS")]
    pub nats: Option<String>,
    /// Replicas of the pipeline's streams when this process creates them.
    #[arg(long, default_value_t = 1, requires = "nats")]
    pub replicas: usize,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Bounds on the work a client can cause (`quytac_server::limits::Limits`); the defaults
/// suit a public service on a small machine.
#[derive(clap::Args, Debug, Clone)]
pub struct LimitArgs {
    /// Most characters of an item's text that a check takes (longer: 413 text_too_long).
    #[arg(long, default_value_t = CheckLimits::DEFAULT.max_chars, value_name = "N")]
    pub max_chars: usize,
    /// Most words (runs of letters and digits) of an item's text that a check takes.
    #[arg(long, default_value_t = CheckLimits::DEFAULT.max_words, value_name = "N")]
    pub max_words: usize,
    /// Most findings in a result; more are cut, the result marked `truncated`.
    #[arg(long, default_value_t = CheckLimits::DEFAULT.max_findings, value_name = "N")]
    pub max_findings: usize,
    /// Most items in the array body of POST /v1/check (more: 413 too_many_items).
    #[arg(long, default_value_t = Limits::default().max_batch_items, value_name = "N")]
    pub max_batch_items: usize,
    /// Threads that run checks, off the async runtime [default: one per core].
    #[arg(long, value_name = "N")]
    pub check_workers: Option<usize>,
    /// Checks that may wait for a thread; one more is answered 503 busy with Retry-After.
    #[arg(long, default_value_t = Limits::default().check_queue, value_name = "N")]
    pub check_queue: usize,
    /// A single item of at most this many characters is checked where it is received,
    /// without the hand-over to the check threads (which would cost more); 0: every check on
    /// the check threads.
    #[arg(long, default_value_t = Limits::default().inline_max_chars, value_name = "N")]
    pub check_inline_chars: usize,
    /// Seconds a request may take (body read and work); a check over many items stops there.
    #[arg(long, default_value_t = Config::DEFAULT_REQUEST_TIMEOUT.as_secs(), value_name = "SECS")]
    pub request_timeout: u64,
    /// Per-client rate limit of the public endpoints: RATE/s with a burst of BURST
    /// requests, as `RATE,BURST`, or `off`.
    #[arg(long, default_value_t = RateArg(Limits::default().rate), value_name = "RATE,BURST|off", value_parser = parse_rate)]
    pub rate_limit: RateArg,
    /// Seconds allowed for a request's headers; also how long an idle keep-alive connection
    /// is kept (at most 10 is wise on a public address).
    #[arg(long, default_value_t = Limits::default().header_timeout.as_secs(), value_name = "SECS")]
    pub header_timeout: u64,
    /// Most open connections; the next wait in the kernel's backlog.
    #[arg(long, default_value_t = Limits::default().max_connections, value_name = "N")]
    pub max_connections: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct RateArg(pub Option<RateLimit>);

impl std::fmt::Display for RateArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(r) => write!(f, "{},{}", r.per_second, r.burst),
            None => f.write_str("off"),
        }
    }
}

fn parse_rate(s: &str) -> Result<RateArg, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(RateArg(None));
    }
    let (rate, burst) = s
        .split_once(',')
        .ok_or("expected RATE,BURST (requests a second, burst) or `off`")?;
    let number = |v: &str| {
        v.trim()
            .parse::<NonZeroU32>()
            .map_err(|_| format!("`{v}` is not a whole number above 0"))
    };
    Ok(RateArg(Some(RateLimit {
        per_second: number(rate)?,
        burst: number(burst)?,
    })))
}

impl LimitArgs {
    fn apply(&self, config: &mut Config) {
        let limits = &mut config.limits;
        limits.check = CheckLimits {
            max_chars: self.max_chars,
            max_words: self.max_words,
            max_findings: self.max_findings,
            ..CheckLimits::DEFAULT
        };
        limits.max_batch_items = self.max_batch_items;
        if let Some(n) = self.check_workers {
            limits.check_workers = n.max(1);
        }
        limits.check_queue = self.check_queue;
        limits.inline_max_chars = self.check_inline_chars;
        limits.rate = self.rate_limit.0;
        limits.header_timeout = Duration::from_secs(self.header_timeout.max(1));
        limits.max_connections = self.max_connections.max(1);
        config.request_timeout = Duration::from_secs(self.request_timeout.max(1));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Sends the service's log (one line per request, errors with their source) to stderr; `quytac
/// worker` logs through it too.
/// Installs the request log. Lines are written to stderr by a background thread
/// (`tracing_appender::non_blocking`), so a request never waits on the write: a line per
/// request cost about 15% of `/v1/check` throughput when written in place. The writer never
/// drops a line (`lossy(false)`); the returned guard flushes what is queued when dropped.
pub(crate) fn init_logging(
    format: Option<LogFormat>,
) -> tracing_appender::non_blocking::WorkerGuard {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let format = format.unwrap_or_else(|| match std::env::var("QUYTAC_LOG_FORMAT") {
        Ok(f) if f.eq_ignore_ascii_case("json") => LogFormat::Json,
        _ => LogFormat::Text,
    });
    let filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(e) => {
            if std::env::var_os("RUST_LOG").is_some() {
                eprintln!("quytac: RUST_LOG is not usable ({e}); logging at `info`");
            }
            EnvFilter::new("info")
        }
    };
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
    if let Err(e) = installed {
        eprintln!("quytac: no request log: {e}");
    }
    guard
}

pub fn run(args: &ServeArgs) -> anyhow::Result<u8> {
    let _log_flushed_on_exit = init_logging(args.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut config = Config::new(args.addr, args.db.clone());
        config.audit_key = Some(args.audit_key.clone());
        args.limits.apply(&mut config);
        config.behind_https = args.behind_https;
        config.pack = args.pack.clone();
        // The webhook secret stays out of the process list.
        config.mastodon_secret = std::env::var("QUYTAC_MASTODON_SECRET")
            .ok()
            .filter(|s| !s.is_empty());
        config.nats = args.nats.as_ref().map(|urls| {
            let mut p = quytac_pipeline::PipelineConfig::new(urls.clone());
            p.replicas = args.replicas.max(1);
            p
        });
        // Prometheus's scrape token for /metrics, from the environment like the webhook secret.
        config.metrics_token = std::env::var("QUYTAC_METRICS_TOKEN")
            .ok()
            .filter(|s| !s.is_empty());
        let app = Application::build(config).await?;
        if args.demo {
            let demo = quytac_server::demo::load(app.state()).await?;
            if demo.already_loaded {
                eprintln!(
                    "quytac: the demo data is already in {}; kept as it is, new tokens made",
                    args.db
                );
            }
            for (post, finding) in &demo.refused {
                eprintln!(
                    "demo post {post} refused by Decree 147: {} — {} ({})",
                    finding.rule, finding.message_vi, finding.evidence
                );
            }
            for (role, token) in demo.tokens {
                eprintln!("demo token ({role}): {token}");
            }
            for u in demo.users {
                eprintln!(
                    "demo user ({}): {} password: {}",
                    u.role, u.username, u.password
                );
            }
        }
        eprintln!(
            "quytac: serving on http://{}:{} (database {})",
            args.addr.ip(),
            app.port(),
            args.db
        );
        app.run_until_stopped().await?;
        eprintln!("quytac: stopped");
        Ok(0)
    })
}
