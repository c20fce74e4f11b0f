//! `quytac worker` and `quytac publish`: the two ends of the check pipeline on NATS JetStream
//! (CONTRACT.md section 4). The pipeline itself is `quytac-pipeline`; this is glue.

use crate::input::{Line, LineReader};
use anyhow::Context;
use async_nats::jetstream::context::PublishAckFuture;
use quytac_core::engine::Engine;
use quytac_core::item::Item;
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use quytac_pipeline::message::{Bundler, Outgoing, MAX_BUNDLE_POSTS};
use quytac_pipeline::worker::{self, WorkerConfig};
use quytac_pipeline::{PipelineConfig, Publisher};
use quytac_service::posts::PostSource;
use quytac_service::signing::AuditSigner;
use quytac_service::{Service, Settings};
use quytac_store::Store;
use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the pipeline runs, shared by `serve`, `worker` and `publish`.
#[derive(clap::Args, Debug, Clone)]
pub struct NatsArgs {
    /// NATS servers of the pipeline: nats://h1:4222[,nats://h2:4222…].
    #[arg(long, value_name = "URLS")]
    pub nats: String,
    /// Replicas of the streams when this process creates them (3 on a 3-node cluster).
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
}

impl NatsArgs {
    pub fn config(&self) -> PipelineConfig {
        let mut c = PipelineConfig::new(self.nats.clone());
        c.replicas = self.replicas.max(1);
        c
    }
}

#[derive(clap::Args)]
pub struct WorkerArgs {
    /// Database: postgres://… (or sqlite://FILE for one worker on one machine).
    #[arg(long)]
    pub db: String,
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Posts per batch (one transaction).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub batch: u64,
    /// Deliveries of a failing post before it goes to the dead letters.
    #[arg(long, default_value_t = 5)]
    pub max_deliver: i64,
    /// File with the Ed25519 key that signs audit checkpoints (the service's key).
    #[arg(long, default_value = "quytac-audit.key")]
    pub audit_key: PathBuf,
    /// Seconds JetStream waits for a batch's acknowledgement before delivering it again
    /// (given to a shard range's consumer whenever a worker makes it).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ack_wait: u64,
    /// The rule pack the workers check with: the one `quytac serve --pack` enforces
    /// (`vn-147-2024` also refuses posts by unauthenticated accounts, ND-1, and minors
    /// without a guardian, ND-4).
    #[arg(long, default_value = DEFAULT_PACK, value_parser = ["vn-2018-draft", "vn-874-2021", "vn-147-2024"])]
    pub pack: String,
}

pub fn run_worker(args: &WorkerArgs) -> anyhow::Result<u8> {
    // Warnings (a lease lost, a pull failed, NATS or the database out) on standard error, as
    // `quytac serve` writes them: `RUST_LOG` sets the level, `QUYTAC_LOG_FORMAT=json` the form.
    let _log = crate::serve::init_logging(None);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // Handlers first: a SIGTERM while the worker connects is a clean stop, not a kill by
        // the signal's default action (seen in CI when a restarted worker was stopped early).
        let stop = stop_signal();
        tokio::pin!(stop);
        let started = tokio::select! {
            started = start_worker(args) => started?,
            _ = &mut stop => {
                eprintln!("quytac: worker stopped before it started");
                return Ok(0);
            }
        };
        let (service, store, pipeline, config) = started;
        let stats = worker::run(service, &pipeline, &config, stop).await?;
        store.close().await;
        eprintln!(
            "quytac: worker stopped: {} batches, {} posts stored, {} duplicates skipped, {} refused by Decree 147, {} dead letters, {} left for redelivery",
            stats.batches, stats.stored, stats.duplicates, stats.refused, stats.dead, stats.retried
        );
        Ok(0)
    })
}

/// Connects to the database and loads the rule pack and the audit key.
async fn start_worker(
    args: &WorkerArgs,
) -> anyhow::Result<(Service, Store, PipelineConfig, WorkerConfig)> {
    let pack = RulePack::builtin(&args.pack)?;
    let engine = Arc::new(Engine::new(pack));
    let store = Store::connect(&args.db).await?;
    // The months of PostgreSQL's posts, made ahead while the worker runs.
    store.keep_post_partitions_ahead(quytac_store::partitions::KEEP_AHEAD_EVERY);
    let signer = Arc::new(AuditSigner::load_or_create(&args.audit_key)?);
    let service = Service::new(engine, store.clone(), signer, Settings::default());
    let mut pipeline = args.nats.config();
    pipeline.max_deliver = args.max_deliver.max(1);
    let config = WorkerConfig {
        batch: args.batch as usize,
        ack_wait: Duration::from_secs(args.ack_wait),
        ..WorkerConfig::default()
    };
    eprintln!(
        "quytac: worker on {} (database {})",
        args.nats.nats, args.db
    );
    Ok((service, store, pipeline, config))
}

/// SIGINT or SIGTERM. The handlers are installed when this is called, not when the future is
/// first polled.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => Some(term),
        Err(e) => {
            eprintln!("quytac: cannot handle SIGTERM ({e}); it will stop the worker mid-batch");
            None
        }
    };
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    }
}

#[derive(clap::Args)]
pub struct PublishArgs {
    /// JSON Lines file of posts, or `-` for standard input.
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Most posts published and not yet acknowledged.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub in_flight: u64,
    /// Posts of one shard carried in one message (a bundle): JetStream's work per message is
    /// shared by them. 1 sends each post alone, so `GET /v1/posts/{id}` can show it queued.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=MAX_BUNDLE_POSTS as u64))]
    pub bundle: u64,
    /// No progress line on standard error.
    #[arg(long)]
    pub quiet: bool,
}

/// How long a post read from a slow input (a firehose on standard input) may wait in an open
/// bundle before the bundle is sent unfilled.
const BUNDLE_LINGER: Duration = Duration::from_millis(100);

/// Publishes every good line; bad lines are reported as `{"line":N,"error":"…"}` on standard
/// output. Exit 0 when every line was acknowledged, 1 when some line was not (bad, or not
/// acknowledged after retries), 2 when the input or NATS cannot be reached.
pub fn run_publish(args: &PublishArgs) -> anyhow::Result<u8> {
    let reader = LineReader::open(args.path.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let publisher = Publisher::connect(&args.nats.config())
            .await
            .context("cannot set up the pipeline")?;
        let mut lines_in = read_lines(reader);
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        let mut bundler = Bundler::new(args.bundle as usize, PostSource::Import, "import");
        let mut sending = Sending::default();
        let mut bad = 0u64;
        let started = Instant::now();
        let mut shown = Instant::now();
        let mut progress = Progress::new(args.quiet);
        loop {
            let linger = bundler.oldest().map(|t| t + BUNDLE_LINGER);
            let next = tokio::select! {
                next = lines_in.recv() => next,
                _ = sleep_until(linger), if linger.is_some() => {
                    for out in bundler.drain() {
                        sending.send(&publisher, out, args.in_flight, &mut stdout).await?;
                    }
                    continue;
                }
            };
            let Some((no, line)) = next else { break };
            let line = line.map_err(|e| anyhow::anyhow!("cannot read the input: {e}"))?;
            sending.lines += 1;
            let ready = match line {
                Line::Error(e) => Err(e),
                Line::Text(t) if t.trim().is_empty() => Err("empty line".to_string()),
                Line::Text(t) => {
                    Item::from_json(&t).and_then(|item| bundler.add(no, &item).map_err(|e| e.message))
                }
            };
            match ready {
                Ok(ready) => {
                    for out in ready {
                        sending.send(&publisher, out, args.in_flight, &mut stdout).await?;
                    }
                }
                Err(e) => {
                    bad += 1;
                    writeln!(stdout, "{}", serde_json::json!({"line": no, "error": e}))?;
                }
            }
            if shown.elapsed() > Duration::from_millis(500) {
                sending.settle_finished(&mut stdout).await?;
                progress.show(sending.lines, sending.acked, bad + sending.lost, started);
                shown = Instant::now();
            }
        }
        for out in bundler.drain() {
            sending.send(&publisher, out, args.in_flight, &mut stdout).await?;
        }
        sending.settle_all(&mut stdout).await?;
        stdout.flush()?;
        let (acked, lost, lines) = (sending.acked, sending.lost, sending.lines);
        progress.show(lines, acked, bad + lost, started);
        progress.finish();
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "quytac: {acked} posts published and acknowledged, {bad} lines rejected, {lost} not acknowledged ({lines} lines, {:.0} posts/s)",
            acked as f64 / secs.max(1e-9)
        );
        Ok(if bad == 0 && lost == 0 { 0 } else { 1 })
    })
}

/// Reads the input on a thread of its own, so a slow input (standard input fed by a
/// firehose) does not keep open bundles from leaving; lines are numbered from 1.
fn read_lines(
    mut reader: LineReader,
) -> tokio::sync::mpsc::Receiver<(usize, std::io::Result<Line>)> {
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    std::thread::spawn(move || loop {
        let line = match reader.next_line() {
            Ok(Some(line)) => Ok(line),
            Ok(None) => break,
            Err(e) => Err(e),
        };
        let failed = line.is_err();
        if tx.blocking_send((reader.line_no, line)).is_err() || failed {
            break;
        }
    });
    rx
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// A message's confirmation (`confirm`): `Err` with the last error when it never came.
type Confirmation = tokio::task::JoinHandle<Result<(), String>>;

/// A message sent and not yet confirmed.
struct InFlight {
    /// The input lines of its posts.
    lines: Vec<usize>,
    shard: u64,
    confirmed: Confirmation,
}

/// Messages sent and not yet confirmed, in the order sent.
#[derive(Default)]
struct Sending {
    in_flight: VecDeque<InFlight>,
    /// Posts in the messages of `in_flight`.
    posts: usize,
    lines: u64,
    acked: u64,
    lost: u64,
}

impl Sending {
    /// Sends a message once fewer than `limit` posts wait for their acknowledgement and no
    /// message of its shard does: a message sent again after a failure (`confirm`) must not
    /// land behind a later one of the same authors.
    async fn send(
        &mut self,
        publisher: &Publisher,
        out: Outgoing<usize>,
        limit: u64,
        stdout: &mut impl Write,
    ) -> anyhow::Result<()> {
        while !self.in_flight.is_empty() && self.posts + out.tags.len() > limit as usize
            || self.in_flight.iter().any(|m| m.shard == out.shard)
        {
            self.settle_first(stdout).await?;
        }
        // Sent here, in order (one author's posts keep their order); confirmed in a task of
        // its own (`confirm`).
        let ack = publisher
            .send(out.subject.clone(), out.headers.clone(), out.body.clone())
            .await?;
        self.posts += out.tags.len();
        let (lines, shard) = (out.tags.clone(), out.shard);
        let confirmed = tokio::spawn(confirm(publisher.clone(), out, ack));
        self.in_flight.push_back(InFlight {
            lines,
            shard,
            confirmed,
        });
        Ok(())
    }

    /// Settles the oldest messages already confirmed, so that the progress line keeps up.
    async fn settle_finished(&mut self, stdout: &mut impl Write) -> anyhow::Result<()> {
        while self
            .in_flight
            .front()
            .is_some_and(|m| m.confirmed.is_finished())
        {
            self.settle_first(stdout).await?;
        }
        Ok(())
    }

    async fn settle_all(&mut self, stdout: &mut impl Write) -> anyhow::Result<()> {
        while !self.in_flight.is_empty() {
            self.settle_first(stdout).await?;
        }
        Ok(())
    }

    /// Waits until the oldest message is confirmed; reports each of its lines if it never was.
    async fn settle_first(&mut self, stdout: &mut impl Write) -> anyhow::Result<()> {
        let Some(InFlight {
            lines, confirmed, ..
        }) = self.in_flight.pop_front()
        else {
            return Ok(());
        };
        self.posts -= lines.len();
        match confirmed.await.unwrap_or_else(|e| Err(e.to_string())) {
            Ok(()) => self.acked += lines.len() as u64,
            Err(last) => {
                self.lost += lines.len() as u64;
                for line in lines {
                    let error = format!("not acknowledged: {last}");
                    writeln!(
                        stdout,
                        "{}",
                        serde_json::json!({"line": line, "error": error})
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// Waits for a message's acknowledgement; when it does not come, republishes it (the same
/// `Nats-Msg-Id`, so JetStream keeps one copy) up to ten times over about 20 seconds, while a
/// cluster elects a new leader. Each message is confirmed in a task of its own, so the
/// messages in flight when a NATS node dies time out and are sent again together, each clock
/// starting at its send. (Retried one after another in the publishing loop, 4,096 posts at
/// 0.4 s or more each kept a 1,000,000-post import crawling at 25 posts per 10 s for half an
/// hour.)
async fn confirm(
    publisher: Publisher,
    out: Outgoing<usize>,
    ack: PublishAckFuture,
) -> Result<(), String> {
    let mut last = match ack.await {
        Ok(_) => return Ok(()),
        Err(e) => e.to_string(),
    };
    for attempt in 1..=10u64 {
        tokio::time::sleep(Duration::from_millis(400 * attempt.min(5))).await;
        let sent = publisher
            .send(out.subject.clone(), out.headers.clone(), out.body.clone())
            .await;
        match sent {
            Ok(ack) => match ack.await {
                Ok(_) => return Ok(()),
                Err(e) => last = e.to_string(),
            },
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// A one-line progress report on standard error, rewritten in place on a terminal.
struct Progress {
    quiet: bool,
    tty: bool,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        use std::io::IsTerminal;
        Progress {
            quiet,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn show(&mut self, lines: u64, acked: u64, failed: u64, started: Instant) {
        if self.quiet {
            return;
        }
        let rate = acked as f64 / started.elapsed().as_secs_f64().max(1e-9);
        let text =
            format!("read {lines} lines, {acked} acknowledged, {failed} failed, {rate:.0} posts/s");
        if self.tty {
            eprint!("\r{text}\x1b[K");
        } else {
            eprintln!("{text}");
        }
    }

    fn finish(&mut self) {
        if !self.quiet && self.tty {
            eprintln!();
        }
    }
}
