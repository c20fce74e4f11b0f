//! `quytac serve`: runs the service (CONTRACT.md, section 3).

use quytac_server::{Application, Config};
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// File with the Ed25519 key that signs audit checkpoints (created when missing).
    #[arg(long, default_value = "quytac-audit.key")]
    pub audit_key: PathBuf,
    /// Format of the log on stderr: `text`, or `json` (one object a line). Without the flag,
    /// `QUYTAC_LOG_FORMAT` decides; `RUST_LOG` sets the level (default `info`).
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// NATS servers of the check pipeline (nats://h1:4222[,…]): ingest queues posts for
    /// `quytac worker` and answers 202 (CONTRACT.md section 4).
    #[arg(long, value_name = "URLS")]
    pub nats: Option<String>,
    /// Replicas of the pipeline's streams when this process creates them.
    #[arg(long, default_value_t = 1, requires = "nats")]
    pub replicas: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Sends the service's log (one line per request, errors with their source) to stderr.
/// Installs the request log. Lines are written to stderr by a background thread
/// (`tracing_appender::non_blocking`), so a request never waits on the write: a line per
/// request cost about 15% of `/v1/check` throughput when written in place. The writer never
/// drops a line (`lossy(false)`); the returned guard flushes what is queued when dropped.
fn init_logging(format: Option<LogFormat>) -> tracing_appender::non_blocking::WorkerGuard {
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
            for (role, token) in demo.tokens {
                eprintln!("demo token ({role}): {token}");
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
