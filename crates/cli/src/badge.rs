//! `quytac badge verify`: checks a verified-page badge (or a staff attestation) offline, with
//! the service's published keys and, optionally, its revocation list. No server is contacted.

use anyhow::{bail, Context};
use quytac_core::identity::attestation;
use quytac_core::identity::badge::{self, parse_rfc3339, KeySet, RevocationList, Verification};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(clap::Args)]
pub struct BadgeArgs {
    #[command(subcommand)]
    pub command: BadgeCommand,
}

#[derive(clap::Subcommand)]
pub enum BadgeCommand {
    /// Verify a signed badge (or staff attestation) against the published keys. Exit status:
    /// 0 valid; 1 invalid, expired, revoked, not yet valid or unknown key (printed); 2 usage
    /// error or unreadable file.
    Verify {
        /// The signed badge, as issued (e.g. /directory/agencies/ID/badge.json).
        badge: PathBuf,
        /// The key set (/.well-known/quytac-keys.json).
        #[arg(long)]
        keys: PathBuf,
        /// The revocation list (/.well-known/quytac-revocations.json).
        #[arg(long)]
        revocations: Option<PathBuf>,
        /// Verify as of this time (RFC 3339, e.g. 2026-01-01T00:00:00+07:00) instead of now.
        #[arg(long, value_parser = parse_now)]
        now: Option<i64>,
    },
}

fn parse_now(s: &str) -> Result<i64, String> {
    parse_rfc3339(s).ok_or_else(|| format!("`{s}` is not an RFC 3339 time (2026-01-01T00:00:00Z)"))
}

fn read(path: &PathBuf, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))
}

pub fn run(args: &BadgeArgs) -> anyhow::Result<u8> {
    let BadgeCommand::Verify {
        badge: badge_path,
        keys,
        revocations,
        now,
    } = &args.command;
    let signed = read(badge_path, "badge")?;
    let keys = KeySet::from_json(&read(keys, "key set")?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", keys.display()))?;
    if keys.keys.is_empty() {
        bail!("the key set has no keys");
    }
    let revoked = match revocations {
        Some(p) => Some(
            RevocationList::from_json(&read(p, "revocation list")?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        ),
        None => None,
    };
    let now = now.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    });
    // A staff attestation is checked the same way; anything else is read as a badge.
    let is_attestation = serde_json::from_str::<serde_json::Value>(signed.trim())
        .ok()
        .is_some_and(|v| v.get("attestation").is_some());
    let (code, line) = if is_attestation {
        let v = attestation::verify(&signed, &keys, revoked.as_ref(), now);
        let about = v.record().map(|a| {
            format!(
                "staff attestation {}: @{} is {}, {} at {} ({}), since {}, key {}",
                a.serial,
                a.handle,
                a.legal_name,
                a.position,
                a.agency_name,
                a.agency_id,
                a.issued,
                a.kid
            )
        });
        (v.is_valid(), summary(&v, about))
    } else {
        let v = badge::verify(&signed, &keys, revoked.as_ref(), now);
        let about = v.record().map(|b| {
            format!(
                "badge {}: page @{} of {} ({}), domain {}, issued {}, expires {}, key {}",
                b.serial,
                b.page_handle,
                b.agency_name,
                b.agency_id,
                b.domain,
                b.issued,
                b.expires,
                b.kid
            )
        });
        (v.is_valid(), summary(&v, about))
    };
    println!("{line}");
    Ok(if code { 0 } else { 1 })
}

fn summary<T>(v: &Verification<T>, about: Option<String>) -> String {
    match about {
        Some(about) if v.is_valid() => format!("valid: {about}"),
        Some(about) => format!("{}\n  {about}", v.describe()),
        None => v.describe(),
    }
}
