//! The `quytac` command: argument parsing and glue around `quytac-core`.

mod admin;
mod audit;
mod badge;
mod check;
mod eval;
mod eval_classify;
mod eval_identity;
mod input;
mod photo;
mod pipeline;
mod report;
mod rules_cmd;
mod serve;
mod train;
mod train_spans;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: the service allocates and frees small buffers for
/// every request and every check, from several threads at once, where glibc's malloc took
/// about a sixth of the ingress's time under load (docs/scaling.md, "Measured figures").
/// Built without transparent huge pages (the `no_thp` feature): with them `quytac check`'s peak
/// memory doubled (74 MB against 36 MB over 250,000 lines) for no gain in speed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// quytac — the social-network code of conduct, executable.
///
/// Checks Vietnamese posts and profiles against the rules of a rule pack (by default the 2018
/// draft code of conduct of the Ministry of Information and Communications) and explains every
/// finding with its rule, evidence span and message in Vietnamese and English.
#[derive(Parser)]
#[command(name = "quytac", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check JSON Lines items (posts, profiles) or one text against a rule pack.
    Check(check::CheckArgs),
    /// Print the input with personal data masked.
    Redact(check::RedactArgs),
    /// List the rules of a pack, in Vietnamese and English.
    Rules(rules_cmd::RulesArgs),
    /// Measure the engine on labelled data (ViHSD, ViHOS, the personal-data test set).
    Eval(eval::EvalArgs),
    /// Train the text classifier on a labelled CSV and write a model file.
    Train(train::TrainArgs),
    /// Train the span model (which words of a post are the abusive ones) on a CSV of texts
    /// with their abusive characters marked, and write a model file.
    TrainSpans(train_spans::TrainSpansArgs),
    /// Run the service: HTTP API (CONTRACT.md §3) and web console.
    Serve(serve::ServeArgs),
    /// Check and store posts from the NATS JetStream pipeline (run any number: they share the
    /// shard ranges, one owner each, so one author's posts are stored in order).
    Worker(pipeline::WorkerArgs),
    /// Publish JSON Lines posts into the NATS JetStream pipeline.
    Publish(pipeline::PublishArgs),
    /// Administer the service: API tokens, staff users, and the monthly partitions of posts.
    Admin(admin::AdminArgs),
    /// Verify a server's audit log from outside, and that it extends a head saved earlier.
    Audit(audit::AuditArgs),
    /// Verify a verified-page badge (or staff attestation) offline with the published keys.
    Badge(badge::BadgeArgs),
}

/// Exit status for usage errors and unreadable input (CONTRACT.md, section 1).
pub const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match &cli.command {
        Command::Check(a) => check::run_check(a),
        Command::Redact(a) => check::run_redact(a),
        Command::Rules(a) => rules_cmd::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Train(a) => train::run(a).map(|()| 0),
        Command::TrainSpans(a) => train_spans::run(a).map(|()| 0),
        Command::Serve(a) => serve::run(a),
        Command::Worker(a) => pipeline::run_worker(a),
        Command::Publish(a) => pipeline::run_publish(a),
        Command::Admin(a) => admin::run(a),
        Command::Badge(a) => badge::run(a),
        Command::Audit(a) => audit::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quytac: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// A reader of our output went away (`quytac check … | head`): not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
