//! Domain challenges: an agency proves control of its official domain by publishing a token
//! in a well-known file or a DNS TXT record; a verified challenge lets a reviewer issue a badge.

use super::random_id;
use crate::fetch::{self, is_loopback_host, FetchPolicy, Fetched};
use crate::{Actor, ErrorKind, Result, Service, ServiceError};
use quytac_core::workflow::agency::{may_act_for, ChallengeMethod};
use quytac_store::model::DomainChallenge;
use quytac_store::now_ms;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

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

/// The URL a `well_known` challenge is fetched from.
pub fn challenge_url(domain: &str, policy: &FetchPolicy) -> String {
    let (host, _) = super::split_port(domain);
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

/// Open a challenge.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenChallenge {
    #[serde(default)]
    pub method: ChallengeMethod,
}

/// Check a challenge.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyChallenge {
    /// Which challenge; the agency's latest by default.
    #[serde(default)]
    pub challenge_id: Option<i64>,
}

/// Where and what to publish.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Publish {
    /// Serve `content` at `url`.
    WellKnown { url: String, content: String },
    /// A TXT record `name` with `value`.
    Dns {
        name: String,
        #[serde(rename = "type")]
        record_type: String,
        value: String,
    },
}

/// A challenge with where to publish its token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeView {
    #[serde(flatten)]
    pub challenge: DomainChallenge,
    pub publish: Publish,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeOpened {
    pub challenge: DomainChallenge,
    pub publish: Publish,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeVerified {
    /// Always true: a failed check is an error `challenge_failed`.
    pub verified: bool,
    pub challenge: ChallengeView,
}

impl Service {
    pub fn publish_instructions(&self, c: &DomainChallenge) -> Publish {
        match c.method {
            ChallengeMethod::Dns => Publish::Dns {
                name: dns_name(&c.domain),
                record_type: "TXT".into(),
                value: c.token.clone(),
            },
            ChallengeMethod::WellKnown => Publish::WellKnown {
                url: challenge_url(&c.domain, &self.settings.fetch),
                content: c.token.clone(),
            },
        }
    }

    pub fn challenge_view(&self, c: DomainChallenge) -> ChallengeView {
        ChallengeView {
            publish: self.publish_instructions(&c),
            challenge: c,
        }
    }

    /// Opens a domain challenge for the agency's official domain.
    pub async fn open_challenge(
        &self,
        actor: &Actor,
        id: &str,
        cmd: OpenChallenge,
    ) -> Result<ChallengeOpened> {
        let agency = self.agency_or_404(id).await?;
        may_act_for(actor, id)?;
        let domain = agency.official_domain.clone().ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Conflict,
                "the agency has no official domain: set `official_domain` first",
            )
        })?;
        let (c, events) = self
            .store
            .create_challenge(
                id,
                &domain,
                cmd.method,
                &random_id("quytac-challenge"),
                now_ms() + CHALLENGE_TTL_MS,
                &actor.name(),
            )
            .await?;
        self.after_commit(&events).await;
        Ok(ChallengeOpened {
            publish: self.publish_instructions(&c),
            challenge: c,
        })
    }

    /// Fetches the published token and records the attempt; a failed check is an error of
    /// kind [`ErrorKind::ChallengeFailed`] (the attempt is recorded all the same).
    pub async fn verify_challenge(
        &self,
        actor: &Actor,
        id: &str,
        cmd: VerifyChallenge,
    ) -> Result<ChallengeVerified> {
        let agency = self.agency_or_404(id).await?;
        may_act_for(actor, id)?;
        let c = match cmd.challenge_id {
            Some(cid) => self
                .store
                .challenge(cid)
                .await?
                .filter(|c| c.agency_id == id),
            None => self.store.latest_challenge(id).await?,
        }
        .ok_or_else(|| {
            ServiceError::not_found("no domain challenge: POST …/domain-challenge first")
        })?;
        if c.verified_at.is_some() {
            return Ok(ChallengeVerified {
                verified: true,
                challenge: self.challenge_view(c),
            });
        }
        if c.expires_at <= now_ms() {
            return Err(ServiceError::new(
                ErrorKind::Conflict,
                "the challenge expired: open a new one",
            ));
        }
        if agency.official_domain.as_deref() != Some(c.domain.as_str()) {
            return Err(ServiceError::new(
                ErrorKind::Conflict,
                "the agency's official domain changed since the challenge: open a new one",
            ));
        }
        let outcome = match c.method {
            ChallengeMethod::Dns => self.check_dns(&c).await,
            ChallengeMethod::WellKnown => {
                check_well_known(&c, &self.settings.fetch, self.settings.dns_server).await
            }
        };
        let (c, events) = self
            .store
            .record_challenge_attempt(
                c.id,
                outcome.as_ref().map(|_| ()).map_err(String::as_str),
                &actor.name(),
            )
            .await?;
        self.after_commit(&events).await;
        match outcome {
            Ok(()) => Ok(ChallengeVerified {
                verified: true,
                challenge: self.challenge_view(c),
            }),
            Err(why) => Err(ServiceError::new(ErrorKind::ChallengeFailed, why)),
        }
    }

    /// Looks up the TXT records of `_quytac-challenge.DOMAIN`: one must be the token.
    async fn check_dns(&self, c: &DomainChallenge) -> std::result::Result<(), String> {
        use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
        use hickory_resolver::TokioAsyncResolver;
        let mut opts = ResolverOpts::default();
        opts.timeout = self.settings.fetch.timeout.min(Duration::from_secs(10));
        opts.attempts = 2;
        opts.cache_size = 0;
        let resolver = match self.settings.dns_server {
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
}

/// Fetches `https://DOMAIN/.well-known/quytac-challenge.txt` under the service's fetch
/// policy (at most [`CHALLENGE_MAX_BYTES`]): one of its lines must be the token.
async fn check_well_known(
    c: &DomainChallenge,
    policy: &FetchPolicy,
    dns_server: Option<std::net::SocketAddr>,
) -> std::result::Result<(), String> {
    let policy = FetchPolicy {
        max_bytes: CHALLENGE_MAX_BYTES.min(policy.max_bytes),
        timeout: policy.timeout.min(Duration::from_secs(10)),
        ..policy.clone()
    };
    let url = challenge_url(&c.domain, &policy);
    match fetch::get(&url, &policy, dns_server, None).await {
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
