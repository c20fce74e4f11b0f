//! Identity (CONTRACT.md §3, "Agencies and pages", "Accounts"): agencies and their responsible
//! persons (AG-2, AG-3), domain challenges and badges of verified pages (AG-1), accounts with
//! display name and photo (CS-1, CS-2), staff vouching (CS-3), public verification, the
//! published keys and revocations, and the demo data of all that.
//!
//! - [`agencies`]: register, show and change an agency; its page status and findings.
//! - [`challenges`]: prove control of the official domain (well-known file or DNS TXT).
//! - [`badges`]: issue and revoke the signed badge of a verified page; keys and revocations.
//! - [`accounts`]: accounts with their photo check and CS-1..CS-3 findings (from the engine).
//! - [`vouching`]: staff attestations, and what is verified about a handle.
//!
//! Badges and attestations are signed with the service's Ed25519 key as canonical JSON by
//! `quytac_core::identity::badge`. Who may act for an agency is the pure rule
//! [`quytac_core::workflow::agency::may_act_for`], on the agency the caller's token is bound to.

pub mod accounts;
pub mod agencies;
pub mod badges;
pub mod challenges;
mod demo;
pub use demo::DEMO_AUTHORITY;
pub mod vouching;

use crate::fetch::{is_loopback_host, FetchPolicy};
use crate::{Result, ServiceError};
use quytac_core::workflow::text::{validate, TextBounds};
use rand::RngCore;
use serde::{Deserialize, Deserializer};

/// Longest free-text field (names, positions, reasons).
const MAX_TEXT: usize = 200;

pub(crate) fn now_secs() -> i64 {
    quytac_store::now_ms().div_euclid(1000)
}

pub(crate) fn random_id(prefix: &str) -> String {
    let mut b = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}-{}", hex::encode(b))
}

/// A one-line text field of at most 200 characters (names, positions, reasons).
pub(crate) fn text_field(name: &str, v: &str, required: bool) -> Result<String> {
    Ok(validate(name, v, TextBounds::line(MAX_TEXT, required))?)
}

/// An agency id: its short code, `[a-z0-9-]`, 1–64 characters.
pub fn check_agency_id(id: &str) -> Result<String> {
    let id = id.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ServiceError::invalid_field(
            "`id` must be 1–64 characters of a-z, 0-9 and `-` (e.g. `so-tt-hn`)",
        ));
    }
    Ok(id.to_string())
}

/// A social-network handle: lowercased, without a leading `@`; letters, digits, `.`, `_`, `-`
/// and at most one inner `@` (`user@instance`), 1–100 characters.
pub fn normalize_handle(h: &str) -> Result<String> {
    let h = h.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = !h.is_empty()
        && h.len() <= 100
        && h.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'@')
        })
        && h.matches('@').count() <= 1
        && !h.ends_with('@');
    if !ok {
        return Err(ServiceError::invalid_field(
            "a handle is 1–100 characters of a-z, 0-9, `.`, `_`, `-` (and `@instance`)",
        ));
    }
    Ok(h)
}

fn split_port(domain: &str) -> (&str, Option<&str>) {
    if let Some(rest) = domain.strip_prefix('[') {
        if let Some((host, port)) = rest.split_once("]:") {
            return (&domain[..host.len() + 2], Some(port));
        }
        return (domain, None);
    }
    match domain.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (domain, None),
    }
}

/// An official domain: a lowercase DNS name (`hanoi.gov.vn`). With loopback HTTP allowed
/// (tests), also a loopback host with a port (`127.0.0.1:8081`).
pub fn normalize_domain(d: &str, policy: &FetchPolicy) -> Result<String> {
    let d = d
        .trim()
        .trim_end_matches('/')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if d.contains("://") || d.contains('/') {
        return Err(ServiceError::invalid_field(
            "`official_domain` is a domain name such as `hanoi.gov.vn`, not a URL",
        ));
    }
    let (host, port) = split_port(&d);
    if policy.allow_loopback_http && is_loopback_host(host) {
        if port.is_some_and(|p| p.parse::<u16>().is_err()) {
            return Err(ServiceError::invalid_field("bad port in `official_domain`"));
        }
        return Ok(d);
    }
    let labels: Vec<&str> = d.split('.').collect();
    let ok = port.is_none()
        && d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        && !labels
            .last()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(ServiceError::invalid_field(format!(
            "`{d}` is not a domain name (e.g. `hanoi.gov.vn`; IDNs in their xn-- form)"
        )));
    }
    Ok(d)
}

/// `Some(Some(v))` for a value, `Some(None)` for an explicit `null`, `None` when absent.
pub(crate) fn double<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A signed document as JSON (it is canonical JSON as stored).
pub(crate) fn signed_value(signed: &str) -> serde_json::Value {
    serde_json::from_str(signed).unwrap_or(serde_json::Value::Null)
}

/// A reason of a revocation (badge or attestation).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Revoke {
    /// Why, in a line (required, from the body or `?reason=`).
    #[serde(default)]
    pub reason: Option<String>,
}
