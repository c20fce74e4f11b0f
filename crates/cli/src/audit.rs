//! `quytac audit verify`: checks a server's audit log from outside, without trusting it.
//!
//! It fetches the published keys (`/.well-known/quytac-keys.json`), the signed head
//! (`/v1/audit/head`) and every event (`/v1/audit?after=N`, a reviewer's or admin's token),
//! recomputes every chain, checks the head's signature and that each chain's event at the
//! signed position has the signed hash. With `--witness HEAD.json` (a head saved earlier with
//! `--save-head`) it also proves the log still extends that head: the witness's signature
//! under its own key, and its chains' positions still holding its hashes — Certificate
//! Transparency's consistency idea; a log rolled back or forked since is found even if the
//! server re-signed everything after.

use anyhow::{bail, Context};
use quytac_core::identity::badge::KeySet;
use quytac_service::signing::verify_head;
use quytac_store::audit::{head_problem, AuditEvent, ChainWalker, SignedHead};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Verify a server's audit log. Exit status: 0 verified; 1 the log does not verify or
    /// does not extend the witness (printed); 2 usage error, unreadable file or network error.
    Verify {
        /// The service, e.g. https://quytac.example.vn (plain http only for loopback).
        #[arg(long)]
        url: String,
        /// A reviewer's or admin's API token, to read the events (or `QUYTAC_TOKEN`).
        #[arg(long)]
        token: Option<String>,
        /// A head saved earlier (`--save-head`): the log must still extend it.
        #[arg(long)]
        witness: Option<PathBuf>,
        /// Save the verified head here, as the witness of the next run.
        #[arg(long)]
        save_head: Option<PathBuf>,
        /// Refuse a log longer than this many events (a bound on the work a server can cause).
        #[arg(long, default_value_t = 10_000_000)]
        max_events: u64,
    },
}

#[derive(Deserialize)]
struct Page {
    events: Vec<AuditEvent>,
    next_after: Option<i64>,
}

pub fn run(args: &AuditArgs) -> anyhow::Result<u8> {
    let AuditCommand::Verify {
        url,
        token,
        witness,
        save_head,
        max_events,
    } = &args.command;
    let base = base_url(url)?;
    let witness = match witness {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the witness {}", p.display()))?;
            let head: SignedHead = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a saved head", p.display()))?;
            Some(head)
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let token = token
        .clone()
        .or_else(|| std::env::var("QUYTAC_TOKEN").ok())
        .filter(|t| !t.is_empty());
    let fetched = runtime.block_on(fetch(&base, token.as_deref(), *max_events))?;
    let problems = check(&fetched, witness.as_ref());
    let Fetched { head, events, .. } = &fetched;
    let chains = head.chains.len();
    if problems.is_empty() {
        println!(
            "ok: {} events on {chains} chain(s); head seq {} signed by {} at {}",
            events.len(),
            head.seq,
            head.key_id,
            head.time
        );
        if let Some(w) = &witness {
            println!(
                "the log extends the witness (seq {}, signed at {})",
                w.seq, w.time
            );
        }
        if let Some(p) = save_head {
            std::fs::write(p, serde_json::to_string_pretty(head)?)
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        Ok(0)
    } else {
        for p in &problems {
            println!("FAILED: {p}");
        }
        Ok(1)
    }
}

struct Fetched {
    keys: KeySet,
    head: SignedHead,
    events: Vec<AuditEvent>,
}

/// What does not hold, in words; empty when everything does.
fn check(f: &Fetched, witness: Option<&SignedHead>) -> Vec<String> {
    let mut problems = Vec::new();
    let wanted: HashSet<(i64, i64)> = f
        .head
        .chains
        .iter()
        .chain(witness.iter().flat_map(|w| w.chains.iter()))
        .map(|c| (c.chain, c.pos))
        .collect();
    let mut walker = ChainWalker::new(wanted, false);
    let mut by_chain: Vec<&AuditEvent> = f.events.iter().collect();
    by_chain.sort_by_key(|e| (e.chain, e.pos));
    for e in by_chain {
        walker.push(e);
    }
    if let Some(b) = &walker.first_broken {
        problems.push(format!(
            "chain {} pos {} (seq {}): {} (expected {}, found {})",
            b.chain, b.pos, b.seq, b.reason, b.expected, b.found
        ));
    }
    match f.keys.find(&f.head.key_id) {
        Some(key) if hex::encode(key.as_bytes()) == f.head.public_key => {
            if !verify_head(&f.head, &f.head.public_key) {
                problems.push("the head's signature does not verify".into());
            }
        }
        _ => problems.push(format!(
            "the head is signed by {}, which is not a published key",
            f.head.key_id
        )),
    }
    if let Some(p) = head_problem(&f.head, &walker) {
        problems.push(format!("the signed head does not match the log: {p}"));
    }
    if let Some(w) = witness {
        if !verify_head(w, &w.public_key) {
            problems.push("the witness's own signature does not verify".into());
        } else if w.public_key != f.head.public_key {
            problems.push(format!(
                "the head is signed by another key than the witness ({} then, {} now)",
                w.key_id, f.head.key_id
            ));
        }
        if let Some(p) = head_problem(w, &walker) {
            problems.push(format!(
                "the log no longer extends the witness (seq {}): {p} — rolled back or forked",
                w.seq
            ));
        }
    }
    problems
}

async fn fetch(base: &str, token: Option<&str>, max_events: u64) -> anyhow::Result<Fetched> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let get = |path: String, auth: bool| {
        let mut req = client.get(format!("{base}{path}"));
        if let (true, Some(t)) = (auth, token) {
            req = req.bearer_auth(t);
        }
        async move {
            let resp = req.send().await.with_context(|| format!("GET {path}"))?;
            let status = resp.status();
            let text = resp.text().await.with_context(|| format!("GET {path}"))?;
            if !status.is_success() {
                bail!(
                    "GET {path}: {status}: {}",
                    text.chars().take(300).collect::<String>()
                );
            }
            Ok::<String, anyhow::Error>(text)
        }
    };
    let keys = KeySet::from_json(&get("/.well-known/quytac-keys.json".into(), false).await?)
        .map_err(|e| anyhow::anyhow!("/.well-known/quytac-keys.json: {e}"))?;
    // The head first: every event it covers is committed before it was read.
    let head: SignedHead = serde_json::from_str(&get("/v1/audit/head".into(), false).await?)
        .context("/v1/audit/head is not a signed head")?;
    if token.is_none() {
        bail!("reading the events needs a reviewer's or admin's token: --token or QUYTAC_TOKEN");
    }
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page: Page =
            serde_json::from_str(&get(format!("/v1/audit?after={after}&limit=1000"), true).await?)
                .context("/v1/audit is not a page of events")?;
        if page.events.is_empty() {
            break;
        }
        events.extend(page.events);
        if events.len() as u64 > max_events {
            bail!("the log has more than {max_events} events (--max-events)");
        }
        match page.next_after {
            Some(n) if n > after => after = n,
            _ => bail!("/v1/audit did not move forward after {after}"),
        }
    }
    Ok(Fetched { keys, head, events })
}

/// The service's base URL: https, or http to a loopback address.
fn base_url(url: &str) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("`{url}` is not a URL"))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => bail!("`{url}`: plain http only to a loopback address; use https"),
        s => bail!("`{url}`: unsupported scheme `{s}`"),
    }
    Ok(url.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::base_url;

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(base_url("https://quytac.example.vn/").is_ok());
        assert!(base_url("http://127.0.0.1:8080").is_ok());
        assert!(base_url("http://[::1]:8080").is_ok());
        assert!(base_url("http://localhost:1").is_ok());
        assert!(base_url("http://quytac.example.vn").is_err());
        assert!(base_url("ftp://127.0.0.1").is_err());
    }
}
