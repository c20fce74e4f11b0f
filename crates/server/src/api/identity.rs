//! Identity endpoints (CONTRACT.md §3, "Agencies and pages", "Accounts"): agencies and their
//! responsible persons (AG-2, AG-3), domain challenges and badges of verified pages (AG-1),
//! accounts with display name and photo (CS-1, CS-2), staff vouching (CS-3), public
//! verification, the published keys and revocations, and the demo data of all that.
//!
//! Badges and attestations are signed with the service's Ed25519 key (the audit key of
//! [`crate::signing`]) as canonical JSON by `quytac_core::identity::badge`; the key id is
//! derived from the public key. Who may act for an agency: an admin, or an agency officer
//! whose token is bound to that agency (`quytac admin create-token --role agency_officer
//! --agency ID`).

use super::after_write;
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{body_bytes, parse_json, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use quytac_core::finding::{Category, Finding};
use quytac_core::identity::attestation::{self, Attestation};
use quytac_core::identity::badge::{
    self, format_time, key_id, sign, Badge, KeySet, PublicKey, Revocation, RevocationList,
    Verification,
};
use quytac_core::identity::name;
use quytac_core::identity::page::{page_findings, record_finding, Page, Person};
use quytac_core::item::{Item, Profile, Role as SubjectRole};
use quytac_service::fetch::{self, is_loopback_host, FetchPolicy, Fetched};
use quytac_store::audit::AuditEvent;
use quytac_store::model::{
    Account, AccountChanges, AccountPhoto, Agency, AgencyChanges, AttestationRecord, BadgeRecord,
    DomainChallenge, NewAccount, NewAgency, NewAttestation, NewBadge, Responsible,
    ResponsiblePerson,
};
use quytac_store::now_ms;
use rand::RngCore;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use std::time::Duration;

/// Where an agency publishes its challenge token on its official domain.
pub const WELL_KNOWN_PATH: &str = "/.well-known/quytac-challenge.txt";
/// The DNS name (under the domain) whose TXT record carries the token.
pub const DNS_LABEL: &str = "_quytac-challenge";
/// A challenge not verified within this time is void.
pub const CHALLENGE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// A verified challenge supports issuing a badge for this long.
pub const CHALLENGE_VALID_MS: i64 = 30 * 24 * 3600 * 1000;
/// The largest challenge file read.
pub const CHALLENGE_MAX_BYTES: usize = 4096;
/// Badge validity, default and maximum, in days.
pub const BADGE_DAYS: i64 = 365;
pub const BADGE_MAX_DAYS: i64 = 730;
/// The largest photo accepted (decoded bytes).
pub const MAX_PHOTO_BYTES: usize = 512 * 1024;
/// Longest free-text field (names, positions, reasons).
const MAX_TEXT: usize = 200;

// ---- small helpers ------------------------------------------------------------------------

fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}

fn random_id(prefix: &str) -> String {
    let mut b = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}-{}", hex::encode(b))
}

fn text_field(name: &str, v: &str, required: bool) -> ApiResult<String> {
    let v = v.trim();
    if required && v.is_empty() {
        return Err(ApiError::invalid_field(format!(
            "`{name}` must not be empty"
        )));
    }
    if v.chars().count() > MAX_TEXT || v.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(format!(
            "`{name}` must be at most {MAX_TEXT} characters, without control characters"
        )));
    }
    Ok(v.to_string())
}

/// An agency id: its short code, `[a-z0-9-]`, 1–64 characters.
fn check_agency_id(id: &str) -> ApiResult<String> {
    let id = id.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ApiError::invalid_field(
            "`id` must be 1–64 characters of a-z, 0-9 and `-` (e.g. `so-tt-hn`)",
        ));
    }
    Ok(id.to_string())
}

/// A social-network handle: lowercased, without a leading `@`; letters, digits, `.`, `_`, `-`
/// and at most one inner `@` (`user@instance`), 1–100 characters.
pub fn normalize_handle(h: &str) -> ApiResult<String> {
    let h = h.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = !h.is_empty()
        && h.len() <= 100
        && h.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'@')
        })
        && h.matches('@').count() <= 1
        && !h.ends_with('@');
    if !ok {
        return Err(ApiError::invalid_field(
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
pub fn normalize_domain(d: &str, policy: &FetchPolicy) -> ApiResult<String> {
    let d = d
        .trim()
        .trim_end_matches('/')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if d.contains("://") || d.contains('/') {
        return Err(ApiError::invalid_field(
            "`official_domain` is a domain name such as `hanoi.gov.vn`, not a URL",
        ));
    }
    let (host, port) = split_port(&d);
    if policy.allow_loopback_http && is_loopback_host(host) {
        if port.is_some_and(|p| p.parse::<u16>().is_err()) {
            return Err(ApiError::invalid_field("bad port in `official_domain`"));
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
        return Err(ApiError::invalid_field(format!(
            "`{d}` is not a domain name (e.g. `hanoi.gov.vn`; IDNs in their xn-- form)"
        )));
    }
    Ok(d)
}

/// The URL a `well_known` challenge is fetched from.
pub fn challenge_url(domain: &str, policy: &FetchPolicy) -> String {
    let (host, _) = split_port(domain);
    let scheme = if policy.allow_loopback_http && is_loopback_host(host) {
        "http"
    } else {
        "https"
    };
    format!("{scheme}://{domain}{WELL_KNOWN_PATH}")
}

fn dns_name(domain: &str) -> String {
    format!("{DNS_LABEL}.{domain}")
}

/// `Some(Some(v))` for a value, `Some(None)` for an explicit `null`, `None` when absent.
fn double<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

async fn agency_or_404(state: &AppState, id: &str) -> ApiResult<Agency> {
    state
        .store
        .agency(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no agency `{id}`")))
}

/// May `caller` act for agency `id`? Admins may; an agency officer only with a token bound
/// to that agency.
pub async fn act_for(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    match caller.role {
        Role::Admin => Ok(()),
        Role::AgencyOfficer => match state.store.token_agency(caller.token_id).await? {
            Some(a) if a == id => Ok(()),
            Some(a) => Err(ApiError::forbidden(format!(
                "this token acts for agency `{a}`, not `{id}`"
            ))),
            None => Err(ApiError::forbidden(
                "this agency_officer token is bound to no agency (quytac admin create-token --agency ID)",
            )),
        },
        role => Err(ApiError::forbidden(format!(
            "the role `{role}` may not act for an agency"
        ))),
    }
}

/// The keys that verify what the service signed: the current one first, then any earlier
/// key that signed a badge or an attestation still on record.
pub async fn key_set(state: &AppState) -> ApiResult<KeySet> {
    let mut keys = KeySet::of(&[state.signer.verifying_key()]);
    for (kid, public_key) in state.store.signing_keys().await? {
        if keys.keys.iter().all(|k| k.kid != kid) {
            keys.keys.push(PublicKey {
                kid,
                alg: badge::ALG.to_string(),
                public_key,
            });
        }
    }
    Ok(keys)
}

pub async fn revocation_list(state: &AppState) -> ApiResult<RevocationList> {
    Ok(RevocationList {
        revoked: state
            .store
            .revoked_serials()
            .await?
            .into_iter()
            .map(|r| Revocation {
                serial: r.serial,
                at: format_time(r.revoked_at.div_euclid(1000)),
                reason: r.reason,
            })
            .collect(),
    })
}

fn signed_value(signed: &str) -> Value {
    serde_json::from_str(signed).unwrap_or(Value::Null)
}

// ---- agencies -----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonBody {
    pub name: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ResponsibleBody {
    #[serde(default)]
    pub head: Option<PersonBody>,
    #[serde(default)]
    pub page_admin: Option<PersonBody>,
}

fn person(p: Option<PersonBody>, what: &str) -> ApiResult<Option<ResponsiblePerson>> {
    let Some(p) = p else { return Ok(None) };
    let opt = |v: Option<String>, f: &str| -> ApiResult<Option<String>> {
        match v {
            Some(v) => {
                let v = text_field(&format!("{what}.{f}"), &v, false)?;
                Ok((!v.is_empty()).then_some(v))
            }
            None => Ok(None),
        }
    };
    Ok(Some(ResponsiblePerson {
        name: text_field(&format!("{what}.name"), &p.name, true)?,
        position: text_field(&format!("{what}.position"), &p.position, false)?,
        phone: opt(p.phone, "phone")?,
        email: opt(p.email, "email")?,
    }))
}

fn responsible(b: ResponsibleBody) -> ApiResult<Responsible> {
    Ok(Responsible {
        head: person(b.head, "responsible.head")?,
        page_admin: person(b.page_admin, "responsible.page_admin")?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyBody {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub official_domain: Option<String>,
    #[serde(default)]
    pub page_handle: Option<String>,
    #[serde(default)]
    pub portal_feed_url: Option<String>,
    /// Working days an inquiry may wait for its first answer (AG-7); 15 by default.
    #[serde(default)]
    pub response_working_days: Option<i64>,
    #[serde(default)]
    pub responsible: Option<ResponsibleBody>,
}

/// The working days an inquiry waits when the agency sets none (Luật Tiếp công dân: 15).
pub const DEFAULT_RESPONSE_WORKING_DAYS: i64 = 15;

pub async fn create_agency(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<AgencyBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let policy = &state.config.fetch;
    let days = b
        .response_working_days
        .unwrap_or(DEFAULT_RESPONSE_WORKING_DAYS);
    if !(1..=60).contains(&days) {
        return Err(ApiError::invalid_field(
            "`response_working_days` must be 1–60",
        ));
    }
    let new = NewAgency {
        id: check_agency_id(&b.id)?,
        name: text_field("name", &b.name, true)?,
        parent_id: b.parent_id.as_deref().map(check_agency_id).transpose()?,
        official_domain: b
            .official_domain
            .as_deref()
            .map(|d| normalize_domain(d, policy))
            .transpose()?,
        page_handle: b.page_handle.as_deref().map(normalize_handle).transpose()?,
        portal_feed_url: match b.portal_feed_url {
            Some(u) => Some(
                fetch::check_url(u.trim(), policy)
                    .map_err(|e| ApiError::invalid_field(format!("`portal_feed_url`: {e}")))?
                    .to_string(),
            ),
            None => None,
        },
        response_working_days: days,
        responsible: responsible(b.responsible.unwrap_or_default())?,
    };
    let agency = state.store.create_agency(&new, &caller.name()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"agency": agency_view(&state, &agency).await?})),
    ))
}

pub async fn show_agency(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let agency = agency_or_404(&state, &id).await?;
    Ok(Json(json!({"agency": agency_view(&state, &agency).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double")]
    pub official_domain: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    pub page_handle: Option<Option<String>>,
    /// Replaces both persons (send both).
    #[serde(default)]
    pub responsible: Option<ResponsibleBody>,
}

pub async fn update_agency(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<AgencyPatch>,
) -> ApiResult<Json<Value>> {
    agency_or_404(&state, &id).await?;
    act_for(&state, &caller, &id).await?;
    let policy = &state.config.fetch;
    let changes = AgencyChanges {
        name: b.name.map(|n| text_field("name", &n, true)).transpose()?,
        official_domain: b
            .official_domain
            .map(|d| d.map(|d| normalize_domain(&d, policy)).transpose())
            .transpose()?,
        page_handle: b
            .page_handle
            .map(|h| h.map(|h| normalize_handle(&h)).transpose())
            .transpose()?,
        responsible: b.responsible.map(responsible).transpose()?,
    };
    let (agency, events) = state
        .store
        .update_agency(&id, &changes, &caller.name())
        .await?;
    after_write(&state, &events).await;
    Ok(Json(json!({"agency": agency_view(&state, &agency).await?})))
}

/// Whether an agency's page is verified now, and by which badge.
pub struct PageStatus {
    pub verified: bool,
    /// `none` (never badged), or the code of the latest badge's verification (`valid`,
    /// `revoked`, `expired`, …); `stale` when it names another domain or page.
    pub status: &'static str,
    /// Why not verified, in English.
    pub reason: Option<String>,
    pub badge: Option<BadgeRecord>,
}

pub async fn page_status(state: &AppState, agency: &Agency) -> ApiResult<PageStatus> {
    let Some(latest) = state.store.badges_of(&agency.id).await?.into_iter().next() else {
        return Ok(PageStatus {
            verified: false,
            status: "none",
            reason: Some("no badge has been issued for this page".into()),
            badge: None,
        });
    };
    let keys = key_set(state).await?;
    let revoked = revocation_list(state).await?;
    let v = badge::verify(&latest.signed, &keys, Some(&revoked), now_secs());
    let (verified, status, reason) = match &v {
        Verification::Valid(b)
            if Some(&b.domain) != agency.official_domain.as_ref()
                || Some(&b.page_handle) != agency.page_handle.as_ref() =>
        {
            (
                false,
                "stale",
                Some("the badge names another domain or page".to_string()),
            )
        }
        Verification::Valid(_) => (true, "valid", None),
        other => (
            false,
            other.code(),
            Some(format!("badge {}", other.describe())),
        ),
    };
    Ok(PageStatus {
        verified,
        status,
        reason,
        badge: Some(latest),
    })
}

fn badge_view(b: &BadgeRecord) -> Value {
    json!({
        "serial": b.serial, "domain": b.domain, "page_handle": b.page_handle,
        "issued_at": b.issued_at, "expires_at": b.expires_at, "approved_by": b.approved_by,
        "kid": b.kid, "revoked_at": b.revoked_at, "revoke_reason": b.revoke_reason,
        "signed_badge": signed_value(&b.signed),
    })
}

fn challenge_view(c: &DomainChallenge, policy: &FetchPolicy) -> Value {
    let mut v = json!(c);
    v["publish"] = publish_instructions(c, policy);
    v
}

fn publish_instructions(c: &DomainChallenge, policy: &FetchPolicy) -> Value {
    if c.method == "dns" {
        json!({"method": "dns", "name": dns_name(&c.domain), "type": "TXT", "value": c.token})
    } else {
        json!({"method": "well_known", "url": challenge_url(&c.domain, policy), "content": c.token})
    }
}

fn as_person(p: &Option<ResponsiblePerson>) -> Option<Person<'_>> {
    p.as_ref().map(|p| Person {
        name: &p.name,
        position: &p.position,
        phone: p.phone.as_deref(),
        email: p.email.as_deref(),
    })
}

fn people(r: &Responsible) -> (Option<Person<'_>>, Option<Person<'_>>) {
    (as_person(&r.head), as_person(&r.page_admin))
}

/// AG-1..AG-3 findings of an agency's page.
pub fn agency_findings(state: &AppState, agency: &Agency, page: &PageStatus) -> Vec<Finding> {
    let (head, page_admin) = people(&agency.responsible);
    let reason = page.reason.as_deref().unwrap_or("not verified");
    page_findings(
        state.engine.pack(),
        &Page {
            head,
            page_admin,
            unverified: (!page.verified).then_some(reason),
        },
    )
}

pub async fn agency_view(state: &AppState, agency: &Agency) -> ApiResult<Value> {
    let page = page_status(state, agency).await?;
    let findings = agency_findings(state, agency, &page);
    let challenge = state.store.latest_challenge(&agency.id).await?;
    let mut v = json!(agency);
    v["verification"] = json!({
        "verified": page.verified,
        "status": page.status,
        "reason": page.reason,
        "badge": page.badge.as_ref().map(badge_view),
        "challenge": challenge.as_ref().map(|c| challenge_view(c, &state.config.fetch)),
    });
    v["findings"] = json!(findings);
    Ok(v)
}

// ---- domain challenges --------------------------------------------------------------------

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeMethod {
    #[default]
    WellKnown,
    Dns,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeBody {
    #[serde(default)]
    pub method: ChallengeMethod,
}

pub async fn create_challenge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<ChallengeBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let agency = agency_or_404(&state, &id).await?;
    act_for(&state, &caller, &id).await?;
    let domain = agency.official_domain.clone().ok_or_else(|| {
        ApiError::new(
            Code::Conflict,
            "the agency has no official domain: set `official_domain` first",
        )
    })?;
    let method = match b.method {
        ChallengeMethod::WellKnown => "well_known",
        ChallengeMethod::Dns => "dns",
    };
    let token = random_id("quytac-challenge");
    let (c, events) = state
        .store
        .create_challenge(
            &id,
            &domain,
            method,
            &token,
            now_ms() + CHALLENGE_TTL_MS,
            &caller.name(),
        )
        .await?;
    after_write(&state, &events).await;
    let publish = publish_instructions(&c, &state.config.fetch);
    Ok((
        StatusCode::CREATED,
        Json(json!({"challenge": c, "publish": publish})),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VerifyChallengeBody {
    /// Which challenge; the agency's latest by default.
    #[serde(default)]
    pub challenge_id: Option<i64>,
}

/// Fetches `https://DOMAIN/.well-known/quytac-challenge.txt` under the service's fetch
/// policy (at most [`CHALLENGE_MAX_BYTES`]): one of its lines must be the token.
async fn check_well_known(c: &DomainChallenge, policy: &FetchPolicy) -> Result<(), String> {
    let policy = FetchPolicy {
        max_bytes: CHALLENGE_MAX_BYTES.min(policy.max_bytes),
        timeout: policy.timeout.min(Duration::from_secs(10)),
        ..policy.clone()
    };
    let url = challenge_url(&c.domain, &policy);
    match fetch::get(&url, &policy, None).await {
        Ok(Fetched::Body { bytes, .. }) => {
            let text = String::from_utf8_lossy(&bytes);
            if text.lines().any(|l| l.trim() == c.token) {
                Ok(())
            } else {
                Err(format!("{url} does not contain the challenge token"))
            }
        }
        Ok(Fetched::NotModified) => Err(format!("{url}: unexpected 304")),
        Err(e) => Err(e.to_string()),
    }
}

/// Looks up the TXT records of `_quytac-challenge.DOMAIN`: one must be the token.
async fn check_dns(state: &AppState, c: &DomainChallenge) -> Result<(), String> {
    use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
    use hickory_resolver::TokioAsyncResolver;
    let mut opts = ResolverOpts::default();
    opts.timeout = state.config.fetch.timeout.min(Duration::from_secs(10));
    opts.attempts = 2;
    opts.cache_size = 0;
    let resolver = match state.config.dns_server {
        Some(addr) => TokioAsyncResolver::tokio(
            ResolverConfig::from_parts(
                None,
                vec![],
                NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true),
            ),
            opts,
        ),
        None => TokioAsyncResolver::tokio_from_system_conf()
            .map_err(|e| format!("no DNS resolver configured: {e}"))?,
    };
    let name = format!("{}.", dns_name(&c.domain));
    let lookup = resolver
        .txt_lookup(name.as_str())
        .await
        .map_err(|e| format!("TXT {name}: {e}"))?;
    let found = lookup.iter().any(|txt| {
        let joined: Vec<u8> = txt
            .txt_data()
            .iter()
            .flat_map(|d| d.iter().copied())
            .collect();
        String::from_utf8_lossy(&joined).trim() == c.token
    });
    if found {
        Ok(())
    } else {
        Err(format!("no TXT record of {name} is the challenge token"))
    }
}

pub async fn verify_challenge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<VerifyChallengeBody>,
) -> ApiResult<Json<Value>> {
    let agency = agency_or_404(&state, &id).await?;
    act_for(&state, &caller, &id).await?;
    let c = match b.challenge_id {
        Some(cid) => state
            .store
            .challenge(cid)
            .await?
            .filter(|c| c.agency_id == id),
        None => state.store.latest_challenge(&id).await?,
    }
    .ok_or_else(|| ApiError::not_found("no domain challenge: POST …/domain-challenge first"))?;
    if c.verified_at.is_some() {
        return Ok(Json(json!({
            "verified": true,
            "challenge": challenge_view(&c, &state.config.fetch),
        })));
    }
    if c.expires_at <= now_ms() {
        return Err(ApiError::new(
            Code::Conflict,
            "the challenge expired: open a new one",
        ));
    }
    if agency.official_domain.as_deref() != Some(c.domain.as_str()) {
        return Err(ApiError::new(
            Code::Conflict,
            "the agency's official domain changed since the challenge: open a new one",
        ));
    }
    let outcome = if c.method == "dns" {
        check_dns(&state, &c).await
    } else {
        check_well_known(&c, &state.config.fetch).await
    };
    let (c, events) = state
        .store
        .record_challenge_attempt(
            c.id,
            outcome.as_ref().map(|_| ()).map_err(String::as_str),
            &caller.name(),
        )
        .await?;
    after_write(&state, &events).await;
    match outcome {
        Ok(()) => Ok(Json(json!({
            "verified": true,
            "challenge": challenge_view(&c, &state.config.fetch),
        }))),
        Err(why) => Err(ApiError::new(Code::ChallengeFailed, why)),
    }
}

// ---- badges -------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BadgeBody {
    /// Days the badge is valid, 1–730; 365 by default.
    #[serde(default)]
    pub valid_days: Option<i64>,
}

/// Issues and records a badge for an agency whose domain challenge is verified.
pub async fn issue_badge_for(
    state: &AppState,
    agency: &Agency,
    valid_days: i64,
    actor: &str,
) -> ApiResult<(BadgeRecord, Vec<AuditEvent>)> {
    let (Some(domain), Some(handle)) = (&agency.official_domain, &agency.page_handle) else {
        return Err(ApiError::new(
            Code::Conflict,
            "a badge needs the agency's official domain and page handle",
        ));
    };
    let challenge = state
        .store
        .verified_challenge(&agency.id, domain, now_ms() - CHALLENGE_VALID_MS)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                Code::DomainNotVerified,
                format!(
                    "no domain challenge for {domain} verified in the last 30 days: the agency \
                     must prove control of its domain first"
                ),
            )
        })?;
    let issued = now_secs();
    let expires = issued + valid_days * 86_400;
    let key = state.signer.signing_key();
    let vk = state.signer.verifying_key();
    let kid = key_id(&vk);
    let b = Badge::new(
        &random_id("b"),
        &agency.id,
        &agency.name,
        handle,
        domain,
        issued,
        expires,
        &kid,
    );
    let signed = sign(&b, key).map_err(|e| ApiError::new(Code::Internal, e.to_string()))?;
    Ok(state
        .store
        .issue_badge(
            &NewBadge {
                serial: b.serial.clone(),
                agency_id: agency.id.clone(),
                challenge_id: challenge.id,
                page_handle: handle.clone(),
                domain: domain.clone(),
                signed,
                kid,
                public_key: hex::encode(vk.as_bytes()),
                issued_at: issued * 1000,
                expires_at: expires * 1000,
                approved_by: actor.to_string(),
            },
            actor,
        )
        .await?)
}

pub async fn issue_badge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<BadgeBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let days = b.valid_days.unwrap_or(BADGE_DAYS);
    if !(1..=BADGE_MAX_DAYS).contains(&days) {
        return Err(ApiError::invalid_field(format!(
            "`valid_days` must be 1–{BADGE_MAX_DAYS}"
        )));
    }
    let agency = agency_or_404(&state, &id).await?;
    let (record, events) = issue_badge_for(&state, &agency, days, &caller.name()).await?;
    after_write(&state, &events).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "signed_badge": signed_value(&record.signed),
            "badge": badge_view(&record),
            "keys": "/.well-known/quytac-keys.json",
            "revocations": "/.well-known/quytac-revocations.json",
        })),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    pub reason: Option<String>,
}

/// The reason of a revocation, from the JSON body or `?reason=`.
async fn reason_of(state: &AppState, query: ReasonBody, req: Request) -> ApiResult<String> {
    let bytes = body_bytes(req, state).await?;
    let body: ReasonBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        ReasonBody::default()
    } else {
        parse_json(&bytes)?
    };
    let reason = body.reason.or(query.reason).unwrap_or_default();
    text_field("reason", &reason, true)
}

pub async fn revoke_badge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ReasonBody>,
    req: Request,
) -> ApiResult<Json<Value>> {
    let reason = reason_of(&state, q, req).await?;
    agency_or_404(&state, &id).await?;
    let (record, events) = state
        .store
        .revoke_badge(&id, &reason, &caller.name())
        .await?;
    after_write(&state, &events).await;
    Ok(Json(json!({"badge": badge_view(&record)})))
}

fn public_json(v: &impl serde::Serialize) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        serde_json::to_string(v).unwrap_or_default(),
    )
        .into_response()
}

/// `GET /.well-known/quytac-keys.json`.
pub async fn keys(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(public_json(&key_set(&state).await?))
}

/// `GET /.well-known/quytac-revocations.json`.
pub async fn revocations(State(state): State<AppState>) -> ApiResult<Response> {
    let list = revocation_list(&state).await?;
    Ok(public_json(&json!({
        "revoked": list.revoked,
        "updated": format_time(now_secs()),
    })))
}

// ---- accounts -----------------------------------------------------------------------------

/// Reads a photo given as base64 (optionally a `data:` URL) and checks it, or takes a
/// precomputed perceptual hash.
async fn photo_from(
    photo: Option<String>,
    hash: Option<String>,
) -> ApiResult<Option<AccountPhoto>> {
    match (photo, hash) {
        (Some(_), Some(_)) => Err(ApiError::invalid_field(
            "send `photo` or `photo_hash`, not both",
        )),
        (None, None) => Ok(None),
        (None, Some(h)) => {
            let parsed: quytac_photo::PhotoHash = h
                .parse()
                .map_err(|e| ApiError::invalid_field(format!("`photo_hash`: {e}")))?;
            let hash = parsed.to_hex();
            Ok(Some(AccountPhoto {
                report: json!({"hash": hash, "checked": false}),
                hash,
            }))
        }
        (Some(b64), None) => {
            let data = match b64.split_once(";base64,") {
                Some((prefix, data)) if prefix.starts_with("data:") => data,
                _ => b64.as_str(),
            };
            if data.len() > MAX_PHOTO_BYTES.div_ceil(3) * 4 + 4 {
                return Err(ApiError::new(
                    Code::PayloadTooLarge,
                    format!("the photo is larger than {MAX_PHOTO_BYTES} bytes"),
                ));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| ApiError::invalid_field(format!("`photo` is not base64: {e}")))?;
            let checker = quytac_photo::PhotoChecker::with_limits(quytac_photo::DecodeLimits {
                max_bytes: MAX_PHOTO_BYTES,
                max_width: 4096,
                max_height: 4096,
                max_alloc: 96 << 20,
            });
            let report = tokio::task::spawn_blocking(move || checker.check(&bytes))
                .await
                .map_err(|_| ApiError::new(Code::Internal, "the photo check failed"))?
                .map_err(|e| ApiError::invalid_field(format!("`photo`: {e}")))?;
            let hash = report.hash.to_hex();
            Ok(Some(AccountPhoto {
                report: json!({
                    "hash": hash,
                    "checked": true,
                    "format": report.format,
                    "width": report.width,
                    "height": report.height,
                    "faces": report.faces.iter().map(|f| json!({"x": f.x, "y": f.y, "width": f.width, "height": f.height})).collect::<Vec<_>>(),
                    "one_real_face": report.is_one_real_face(),
                    "problems": report.problems.iter().map(|p| json!({"code": p.code(), "message_vi": p.message_vi(), "message_en": p.message_en()})).collect::<Vec<_>>(),
                }),
                hash,
            }))
        }
    }
}

fn same_photo(a: &str, b: &str) -> bool {
    match (
        a.parse::<quytac_photo::PhotoHash>(),
        b.parse::<quytac_photo::PhotoHash>(),
    ) {
        (Ok(a), Ok(b)) => a.same_photo(&b),
        _ => a == b,
    }
}

/// Other accounts whose photo is the same picture (impersonation, CS-2).
pub async fn same_photo_accounts(
    state: &AppState,
    handle: &str,
    hash: &str,
) -> ApiResult<Vec<String>> {
    Ok(state
        .store
        .photo_hashes_except(handle)
        .await?
        .into_iter()
        .filter(|(_, h)| same_photo(hash, h))
        .map(|(handle, _)| handle)
        .collect())
}

/// One agency's latest attestation about an account, judged now.
pub struct Vouch {
    pub record: AttestationRecord,
    pub agency_name: String,
    /// `valid`, `display_name_changed`, `photo_changed`, `revoked`, or a verification code.
    pub status: &'static str,
    pub counts: bool,
    pub reason: Option<String>,
}

/// The latest attestation of each agency about `account`, judged against the account as it
/// is now: it counts only when genuine, not revoked, and its bound display name and photo
/// still hold.
pub async fn vouches(state: &AppState, account: &Account) -> ApiResult<Vec<Vouch>> {
    let keys = key_set(state).await?;
    let revoked = revocation_list(state).await?;
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for record in state.store.attestations_of(&account.handle).await? {
        if !seen.insert(record.agency_id.clone()) {
            continue;
        }
        let v = attestation::verify(&record.signed, &keys, Some(&revoked), now_secs());
        let agency_name = v
            .record()
            .map(|a: &Attestation| a.agency_name.clone())
            .unwrap_or_else(|| record.agency_id.clone());
        let (status, reason) = match &v {
            Verification::Valid(a) => {
                let b = a.binding(
                    &account.display_name,
                    account.photo_hash.as_deref(),
                    same_photo,
                );
                match b {
                    attestation::Binding::Holds => ("valid", None),
                    attestation::Binding::DisplayNameChanged { bound, current } => (
                        "display_name_changed",
                        Some(format!(
                            "the display name changed from \"{bound}\" to \"{current}\" since the agency vouched; it must vouch again"
                        )),
                    ),
                    attestation::Binding::PhotoChanged => (
                        "photo_changed",
                        Some("the photo changed since the agency vouched; it must vouch again".to_string()),
                    ),
                }
            }
            other => (other.code(), Some(other.describe())),
        };
        out.push(Vouch {
            agency_name,
            counts: status == "valid",
            status,
            reason,
            record,
        });
    }
    Ok(out)
}

fn vouch_view(v: &Vouch) -> Value {
    let r = &v.record;
    json!({
        "serial": r.serial, "agency_id": r.agency_id, "agency_name": v.agency_name,
        "legal_name": r.legal_name, "position": r.position,
        "since": r.issued_at, "since_text": format_time(r.issued_at.div_euclid(1000)),
        "recorded_by": r.created_by, "status": v.status, "counts": v.counts, "reason": v.reason,
        "bound_display_name": r.display_name, "bound_photo_hash": r.photo_hash,
        "revoked_at": r.revoked_at, "revoke_reason": r.revoke_reason,
        "name_check": r.name_check,
        "signed_attestation": signed_value(&r.signed),
    })
}

fn subject_role(role: &str) -> SubjectRole {
    serde_json::from_value(json!(role)).unwrap_or_default()
}

/// The account's CS-1..CS-3 findings: the engine's profile check (display name against the
/// legal name of a vouch that counts, workplace and vouching), and the photo (none, the
/// photo check's problems, the same picture as another account).
pub async fn account_findings(
    state: &AppState,
    account: &Account,
    vouches: &[Vouch],
) -> ApiResult<Vec<Finding>> {
    let counting = vouches.iter().find(|v| v.counts);
    let role = subject_role(&account.role);
    let profile = Profile {
        id: account.handle.clone(),
        role,
        display_name: Some(account.display_name.clone()),
        legal_name: counting.map(|v| v.record.legal_name.clone()),
        photo: None,
        workplace: account.workplace.clone(),
        vouched_by: counting.map(|v| v.record.agency_id.clone()),
        bio: None,
    };
    let mut findings: Vec<Finding> = state
        .engine
        .check(&Item::Profile(profile))
        .findings
        .into_iter()
        .filter(|f| f.category != Category::RealPhoto)
        .collect();
    if let Some(rule) = state.engine.pack().rule_for(role, Category::RealPhoto) {
        match (&account.photo_hash, &account.photo_report) {
            (None, _) => findings.push(record_finding(
                rule,
                Category::RealPhoto,
                "",
                "no profile photo",
            )),
            (Some(hash), report) => {
                for p in report
                    .as_ref()
                    .and_then(|r| r["problems"].as_array())
                    .into_iter()
                    .flatten()
                {
                    findings.push(record_finding(
                        rule,
                        Category::RealPhoto,
                        p["code"].as_str().unwrap_or(""),
                        p["message_en"]
                            .as_str()
                            .unwrap_or("the photo is not a real face"),
                    ));
                }
                for other in same_photo_accounts(state, &account.handle, hash).await? {
                    findings.push(record_finding(
                        rule,
                        Category::RealPhoto,
                        &other,
                        &format!("the same photo as account `{other}` (possible impersonation)"),
                    ));
                }
            }
        }
    }
    Ok(findings)
}

async fn account_view(state: &AppState, account: &Account) -> ApiResult<Value> {
    let vouches = vouches(state, account).await?;
    let findings = account_findings(state, account, &vouches).await?;
    let mut v = json!(account);
    v["vouched"] = json!(vouches.iter().any(|v| v.counts));
    v["attestations"] = json!(vouches.iter().map(vouch_view).collect::<Vec<_>>());
    v["findings"] = json!(findings);
    Ok(v)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    pub handle: String,
    pub display_name: String,
    #[serde(default)]
    pub role: Option<SubjectRole>,
    /// The agency the account names as its workplace.
    #[serde(default)]
    pub agency_id: Option<String>,
    #[serde(default)]
    pub workplace: Option<String>,
    /// The photo file (JPEG, PNG or WebP) as base64 or a `data:` URL.
    #[serde(default)]
    pub photo: Option<String>,
    /// Or a perceptual hash computed elsewhere (hex).
    #[serde(default)]
    pub photo_hash: Option<String>,
}

pub async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<AccountBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let new = NewAccount {
        handle: normalize_handle(&b.handle)?,
        display_name: text_field("display_name", &b.display_name, true)?,
        role: b.role.unwrap_or_default().as_str().to_string(),
        agency_id: b.agency_id.as_deref().map(check_agency_id).transpose()?,
        workplace: b
            .workplace
            .map(|w| text_field("workplace", &w, false))
            .transpose()?
            .filter(|w| !w.is_empty()),
        photo: photo_from(b.photo, b.photo_hash).await?,
    };
    let (account, events) = state.store.create_account(&new, &caller.name()).await?;
    after_write(&state, &events).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({"account": account_view(&state, &account).await?})),
    ))
}

async fn account_or_404(state: &AppState, handle: &str) -> ApiResult<Account> {
    let handle = normalize_handle(handle).map_err(|_| ApiError::not_found("no such account"))?;
    state
        .store
        .account(&handle)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no account `{handle}`")))
}

pub async fn show_account(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let account = account_or_404(&state, &handle).await?;
    Ok(Json(
        json!({"account": account_view(&state, &account).await?}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<SubjectRole>,
    #[serde(default, deserialize_with = "double")]
    pub agency_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    pub workplace: Option<Option<String>>,
    /// A new photo (base64), or `null` to remove the photo.
    #[serde(default, deserialize_with = "double")]
    pub photo: Option<Option<String>>,
    #[serde(default)]
    pub photo_hash: Option<String>,
}

pub async fn update_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(handle): ApiPath<String>,
    ApiJson(b): ApiJson<AccountPatch>,
) -> ApiResult<Json<Value>> {
    let account = account_or_404(&state, &handle).await?;
    let photo = match (b.photo, b.photo_hash) {
        (Some(None), None) => Some(None),
        (Some(None), Some(_)) => {
            return Err(ApiError::invalid_field(
                "send `photo: null` or `photo_hash`, not both",
            ))
        }
        (p, h) => photo_from(p.flatten(), h).await?.map(Some),
    };
    let changes = AccountChanges {
        display_name: b
            .display_name
            .map(|d| text_field("display_name", &d, true))
            .transpose()?,
        role: b.role.map(|r| r.as_str().to_string()),
        agency_id: b
            .agency_id
            .map(|a| a.as_deref().map(check_agency_id).transpose())
            .transpose()?,
        workplace: b
            .workplace
            .map(|w| {
                w.map(|w| text_field("workplace", &w, false))
                    .transpose()
                    .map(|w| w.filter(|w| !w.is_empty()))
            })
            .transpose()?,
        photo,
    };
    let (after, events) = state
        .store
        .update_account(&account.handle, &changes, &caller.name())
        .await?;
    after_write(&state, &events).await;
    let no_longer: Value = events
        .iter()
        .find(|e| e.action == "account.updated")
        .map(|e| e.payload["attestations_no_longer_binding"].clone())
        .unwrap_or_else(|| json!([]));
    Ok(Json(json!({
        "account": account_view(&state, &after).await?,
        "attestations_no_longer_binding": no_longer,
    })))
}

// ---- staff vouching -----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VouchBody {
    pub handle: String,
    pub legal_name: String,
    pub position: String,
}

/// The CS-1 comparison of the account's display name with the legal name the agency gives.
pub fn name_check(display: &str, legal: &str) -> Value {
    let problem = name::compare_with_legal(display, legal);
    json!({
        "display_name": display,
        "legal_name": legal,
        "matches": problem.is_none(),
        "problem": problem.map(|p| p.describe()),
    })
}

/// Signs and records an attestation of `agency` for `account`.
pub async fn vouch_for(
    state: &AppState,
    agency: &Agency,
    account: &Account,
    legal_name: &str,
    position: &str,
    actor: &str,
) -> ApiResult<(AttestationRecord, Vec<AuditEvent>)> {
    let issued = now_secs();
    let vk = state.signer.verifying_key();
    let kid = key_id(&vk);
    let a = Attestation::new(
        &random_id("a"),
        &agency.id,
        &agency.name,
        &account.handle,
        legal_name,
        position,
        &account.display_name,
        account.photo_hash.as_deref(),
        issued,
        &kid,
    );
    let signed = sign(&a, state.signer.signing_key())
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?;
    Ok(state
        .store
        .create_attestation(
            &NewAttestation {
                serial: a.serial.clone(),
                handle: account.handle.clone(),
                agency_id: agency.id.clone(),
                legal_name: legal_name.to_string(),
                position: position.to_string(),
                display_name: account.display_name.clone(),
                photo_hash: account.photo_hash.clone(),
                signed,
                kid,
                public_key: hex::encode(vk.as_bytes()),
                name_check: name_check(&account.display_name, legal_name),
                issued_at: issued * 1000,
                created_by: actor.to_string(),
            },
            actor,
        )
        .await?)
}

pub async fn vouch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<VouchBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let agency = agency_or_404(&state, &id).await?;
    act_for(&state, &caller, &id).await?;
    let legal_name = text_field("legal_name", &b.legal_name, true)?;
    let position = text_field("position", &b.position, true)?;
    let account = account_or_404(&state, &b.handle).await?;
    let (record, events) = vouch_for(
        &state,
        &agency,
        &account,
        &legal_name,
        &position,
        &caller.name(),
    )
    .await?;
    after_write(&state, &events).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "attestation": {
                "serial": record.serial, "agency_id": record.agency_id, "handle": record.handle,
                "legal_name": record.legal_name, "position": record.position,
                "issued_at": record.issued_at, "created_by": record.created_by,
            },
            "signed_attestation": signed_value(&record.signed),
            "name_check": record.name_check,
            "account": account_view(&state, &account).await?,
        })),
    ))
}

pub async fn revoke_vouch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, handle)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ReasonBody>,
    req: Request,
) -> ApiResult<Json<Value>> {
    let reason = reason_of(&state, q, req).await?;
    agency_or_404(&state, &id).await?;
    act_for(&state, &caller, &id).await?;
    let account = account_or_404(&state, &handle).await?;
    let (record, events) = state
        .store
        .revoke_attestation(&id, &account.handle, &reason, &caller.name())
        .await?;
    after_write(&state, &events).await;
    Ok(Json(json!({
        "attestation": {
            "serial": record.serial, "agency_id": record.agency_id, "handle": record.handle,
            "revoked_at": record.revoked_at, "revoke_reason": record.revoke_reason,
        }
    })))
}

// ---- public verification ------------------------------------------------------------------

/// What is verified about a handle: as an account vouched for by agencies, and as an
/// agency's page with a badge.
pub async fn verification_of(state: &AppState, handle: &str) -> ApiResult<Value> {
    let handle = normalize_handle(handle).unwrap_or_else(|_| handle.trim().to_string());
    let account = state.store.account(&handle).await?;
    let mut staff = Vec::new();
    if let Some(a) = &account {
        for v in vouches(state, a).await? {
            staff.push(json!({
                "agency_id": v.record.agency_id, "agency_name": v.agency_name,
                "legal_name": v.record.legal_name, "position": v.record.position,
                "since": v.record.issued_at, "since_text": format_time(v.record.issued_at.div_euclid(1000)),
                "vouched_by": v.agency_name, "recorded_by": v.record.created_by,
                "serial": v.record.serial, "status": v.status, "valid": v.counts, "reason": v.reason,
                "revoked_at": v.record.revoked_at, "revoke_reason": v.record.revoke_reason,
            }));
        }
    }
    let page = match state.store.agency_by_page_handle(&handle).await? {
        Some(agency) => {
            let p = page_status(state, &agency).await?;
            Some(json!({
                "agency_id": agency.id, "agency_name": agency.name,
                "domain": agency.official_domain, "verified": p.verified, "status": p.status,
                "reason": p.reason,
                "since": p.badge.as_ref().map(|b| b.issued_at),
                "since_text": p.badge.as_ref().map(|b| format_time(b.issued_at.div_euclid(1000))),
                "expires": p.badge.as_ref().map(|b| b.expires_at),
                "approved_by": p.badge.as_ref().map(|b| b.approved_by.clone()),
                "serial": p.badge.as_ref().map(|b| b.serial.clone()),
            }))
        }
        None => None,
    };
    let verified = staff.iter().any(|s| s["valid"] == true)
        || page.as_ref().is_some_and(|p| p["verified"] == true);
    Ok(json!({
        "handle": handle,
        "known": account.is_some() || page.is_some(),
        "verified": verified,
        "account": account.as_ref().map(|a| json!({
            "display_name": a.display_name, "role": a.role,
            "display_name_changed_at": a.display_name_changed_at,
            "photo_changed_at": a.photo_changed_at,
            "has_photo": a.photo_hash.is_some(),
        })),
        "staff": staff,
        "page": page,
        "checked_at": format_time(now_secs()),
    }))
}

/// `GET /v1/verify/{handle}` (public).
pub async fn verify_handle(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(verification_of(&state, &handle).await?))
}

// ---- demo ---------------------------------------------------------------------------------

/// `quytac serve --demo`: two agencies (one verified with a badge, one that names no page
/// administrator and has no badge), two accounts, one vouched for. The domain challenge of
/// the verified agency is recorded as met without a fetch (the demo has no real domain);
/// the badge and the attestation are signed and stored by the same code as the endpoints.
pub async fn load_demo(state: &AppState) -> anyhow::Result<()> {
    let err = |e: ApiError| anyhow::anyhow!("{e}");
    let actor = "demo";
    let person = |name: &str, position: &str, phone: Option<&str>, email: Option<&str>| {
        Some(ResponsiblePerson {
            name: name.into(),
            position: position.into(),
            phone: phone.map(str::to_string),
            email: email.map(str::to_string),
        })
    };
    let agencies = [
        (
            "so-tt-hn",
            "Sở Thông tin và Truyền thông Hà Nội",
            "sotttt.hanoi.gov.vn",
            "sotttt.hanoi",
            Responsible {
                head: person(
                    "Nguyễn Thanh Hà",
                    "Giám đốc Sở",
                    Some("024 3825 6688"),
                    Some("vanphong@sotttt.hanoi.gov.vn"),
                ),
                page_admin: person(
                    "Lê Minh Tú",
                    "Chuyên viên Phòng Báo chí",
                    None,
                    Some("trangtin@sotttt.hanoi.gov.vn"),
                ),
            },
        ),
        (
            "ubnd-q1",
            "Ủy ban nhân dân Quận 1",
            "quan1.hochiminhcity.gov.vn",
            "ubndquan1",
            Responsible {
                head: person(
                    "Trần Văn Bình",
                    "Chủ tịch UBND",
                    Some("028 3829 4567"),
                    None,
                ),
                page_admin: None,
            },
        ),
    ];
    for (id, name, domain, handle, responsible) in agencies {
        match state.store.agency(id).await? {
            None => {
                state
                    .store
                    .create_agency(
                        &NewAgency {
                            id: id.into(),
                            name: name.into(),
                            parent_id: None,
                            official_domain: Some(domain.into()),
                            page_handle: Some(handle.into()),
                            portal_feed_url: None,
                            response_working_days: DEFAULT_RESPONSE_WORKING_DAYS,
                            responsible,
                        },
                        actor,
                    )
                    .await?;
            }
            Some(a) => {
                let changes = AgencyChanges {
                    official_domain: a.official_domain.is_none().then(|| Some(domain.into())),
                    page_handle: a.page_handle.is_none().then(|| Some(handle.into())),
                    responsible: (a.responsible == Responsible::default()).then_some(responsible),
                    name: None,
                };
                state.store.update_agency(id, &changes, actor).await?;
            }
        }
    }
    let verified = agency_or_404(state, "so-tt-hn").await.map_err(err)?;
    if let Some(domain) = &verified.official_domain {
        let (c, _) = state
            .store
            .create_challenge(
                &verified.id,
                domain,
                "well_known",
                &random_id("quytac-challenge"),
                now_ms() + CHALLENGE_TTL_MS,
                actor,
            )
            .await?;
        state
            .store
            .record_challenge_attempt(c.id, Ok(()), actor)
            .await?;
        issue_badge_for(state, &verified, BADGE_DAYS, "reviewer:demo")
            .await
            .map_err(err)?;
    }
    let accounts = [
        (
            "nguyen.van.an",
            "Nguyễn Văn An",
            "so-tt-hn",
            "Sở Thông tin và Truyền thông Hà Nội",
        ),
        ("bebong.q1", "Bé Bống 99", "ubnd-q1", "UBND Quận 1"),
    ];
    for (handle, display, agency, workplace) in accounts {
        if state.store.account(handle).await?.is_none() {
            state
                .store
                .create_account(
                    &NewAccount {
                        handle: handle.into(),
                        display_name: display.into(),
                        role: "civil_servant".into(),
                        agency_id: Some(agency.into()),
                        workplace: Some(workplace.into()),
                        photo: None,
                    },
                    actor,
                )
                .await?;
        }
    }
    let an = account_or_404(state, "nguyen.van.an").await.map_err(err)?;
    vouch_for(
        state,
        &verified,
        &an,
        "Nguyễn Văn An",
        "Chuyên viên Phòng Báo chí",
        "agency_officer:demo",
    )
    .await
    .map_err(err)?;
    Ok(())
}
