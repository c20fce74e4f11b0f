//! Outbound HTTP, bounded: the service fetches what agencies publish (domain-challenge tokens,
//! portal feeds) from addresses they give it, so every fetch has a timeout, a size limit,
//! HTTPS only on the default port (plain HTTP only to loopback, and only when the
//! configuration allows it, for tests), and conditional GET for feeds. Which IP addresses may
//! be reached is the one policy of [`addresses`], applied when an address is stored
//! ([`check_url`]), to every address a name resolves to at connect time (the client's
//! resolver), and to every redirect ([`check_redirect`]: same host and port, never https →
//! http).

pub mod addresses;

use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::{redirect, StatusCode, Url};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use url::Host;

/// The limits of one fetch.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    pub timeout: Duration,
    pub max_bytes: usize,
    /// Allow `http://` to loopback addresses, on any port (tests and local development only).
    pub allow_loopback_http: bool,
    /// Ports fetched besides the scheme's default (none by default).
    pub allowed_ports: Vec<u16>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            timeout: Duration::from_secs(10),
            max_bytes: 2 * 1024 * 1024,
            allow_loopback_http: false,
            allowed_ports: Vec::new(),
        }
    }
}

/// What a previous fetch returned, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: the resource has not changed since the validators were issued.
    NotModified,
    /// 200 with the body (at most `max_bytes`) and the validators for the next fetch.
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
}

/// Why a fetch failed; the message is shown to the agency that gave the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError(pub String);

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FetchError {}

fn err(m: impl Into<String>) -> FetchError {
    FetchError(m.into())
}

/// Whether a host (name or IP literal, IPv6 with or without brackets) is this machine.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_loopback_url(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// Resolves host names at connect time and drops every address the policy refuses, so a
/// name that points inside the network — or is re-pointed there after it was stored (DNS
/// rebinding) — is never connected to. It asks `dns_server` when one is configured (tests),
/// the system's resolver otherwise. Loopback stays reachable only when the policy allows plain
/// HTTP to loopback (tests).
struct PolicyResolver {
    allow_loopback: bool,
    dns_server: Option<SocketAddr>,
}

impl PolicyResolver {
    async fn lookup(
        host: &str,
        dns_server: Option<SocketAddr>,
    ) -> Result<Vec<IpAddr>, Box<dyn std::error::Error + Send + Sync>> {
        match dns_server {
            None => Ok(tokio::net::lookup_host((host, 0))
                .await?
                .map(|a| a.ip())
                .collect()),
            Some(addr) => {
                use hickory_resolver::config::{
                    NameServerConfigGroup, ResolverConfig, ResolverOpts,
                };
                let mut opts = ResolverOpts::default();
                opts.cache_size = 0;
                opts.attempts = 2;
                let resolver = hickory_resolver::TokioAsyncResolver::tokio(
                    ResolverConfig::from_parts(
                        None,
                        vec![],
                        NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true),
                    ),
                    opts,
                );
                let name = format!("{}.", host.trim_end_matches('.'));
                Ok(resolver.lookup_ip(name.as_str()).await?.iter().collect())
            }
        }
    }
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        let dns_server = self.dns_server;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let own = addresses::own_addresses();
            let mut refused = Vec::new();
            let mut found = Vec::new();
            for ip in Self::lookup(&host, dns_server).await? {
                match addresses::refusal(ip, allow_loopback, &own) {
                    Some(why) => refused.push(why),
                    None => found.push(SocketAddr::new(ip, 0)),
                }
            }
            if found.is_empty() {
                let why = if refused.is_empty() {
                    "no address".to_string()
                } else {
                    format!("only refused addresses: {}", refused.join("; "))
                };
                return Err(format!("`{host}` resolves to {why}").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The port of an address: only the scheme's default, unless the policy lists it (or the
/// address is loopback under the test configuration).
fn check_port(url: &Url, policy: &FetchPolicy) -> Result<(), FetchError> {
    match url.port() {
        None => Ok(()),
        Some(p) if policy.allowed_ports.contains(&p) => Ok(()),
        Some(_) if policy.allow_loopback_http && is_loopback_url(url) => Ok(()),
        Some(p) => Err(err(format!(
            "port {p} is not fetched: only the scheme's default port"
        ))),
    }
}

/// Checks an address against the policy before it is stored and before anything is sent:
/// HTTPS (plain HTTP only to loopback under the test configuration), no credentials, the
/// default port, and an IP literal host that the address policy ([`addresses::refusal`])
/// allows. Host names are judged again when they are resolved, at connect time.
pub fn check_url(url: &str, policy: &FetchPolicy) -> Result<Url, FetchError> {
    let url = Url::parse(url).map_err(|e| err(format!("`{url}` is not a valid URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_loopback_http && is_loopback_url(&url) => {}
        "http" => return Err(err("only https:// addresses are fetched")),
        s => return Err(err(format!("unsupported scheme `{s}`: use https://"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err("addresses with credentials are not fetched"));
    }
    check_port(&url, policy)?;
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            if (d == "localhost" || d.ends_with(".localhost")) && !policy.allow_loopback_http {
                return Err(err(format!("`{d}` is this host and is not fetched")));
            }
            return Ok(url);
        }
        None => return Err(err("the address has no host")),
    };
    if let Some(why) =
        addresses::refusal(ip, policy.allow_loopback_http, &addresses::own_addresses())
    {
        return Err(err(format!("not fetched: {why}")));
    }
    Ok(url)
}

/// Whether a redirect from `from` to `to` may be followed: the same host and port, never
/// from https to http, and `to` passes [`check_url`] like any stored address.
pub fn check_redirect(from: &Url, to: &Url, policy: &FetchPolicy) -> Result<(), FetchError> {
    if from.scheme() == "https" && to.scheme() != "https" {
        return Err(err(format!(
            "redirect from https to {} refused",
            to.scheme()
        )));
    }
    if from.host_str() != to.host_str() {
        return Err(err(format!(
            "redirect to another host ({}) refused",
            to.host_str().unwrap_or("?")
        )));
    }
    if from.port_or_known_default() != to.port_or_known_default() {
        return Err(err(format!(
            "redirect to another port ({}) refused",
            to.port_or_known_default()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "?".into())
        )));
    }
    check_url(to.as_str(), policy).map(|_| ())
}

/// GETs `url` under `policy`, conditionally when `previous` validators are given. Names are
/// resolved through `dns_server` when given (tests), the system's resolver otherwise, and
/// every address is judged by the address policy at connect time.
pub async fn get(
    url: &str,
    policy: &FetchPolicy,
    dns_server: Option<SocketAddr>,
    previous: Option<&Validators>,
) -> Result<Fetched, FetchError> {
    let url = check_url(url, policy)?;
    let redirect_policy = policy.clone();
    let client = reqwest::Client::builder()
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout)
        .user_agent(concat!("quytac/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(PolicyResolver {
            allow_loopback: policy.allow_loopback_http,
            dns_server,
        }))
        .redirect(redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 {
                return attempt.error("too many redirects");
            }
            let Some(from) = attempt.previous().last().cloned() else {
                return attempt.error("a redirect without a previous address");
            };
            match check_redirect(&from, attempt.url(), &redirect_policy) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        }))
        .build()
        .map_err(|e| err(format!("cannot build the HTTP client: {e}")))?;
    let mut req = client.get(url.clone());
    if let Some(v) = previous {
        if let Some(etag) = &v.etag {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &v.last_modified {
            req = req.header(IF_MODIFIED_SINCE, lm);
        }
    }
    let mut resp = req.send().await.map_err(|e| {
        if e.is_timeout() {
            err(format!("{url}: no answer within {:?}", policy.timeout))
        } else {
            err(format!("{url}: {}", without_url(&e)))
        }
    })?;
    let status = resp.status();
    if status == StatusCode::NOT_MODIFIED && previous.is_some() {
        return Ok(Fetched::NotModified);
    }
    if status.is_redirection() {
        return Err(err(format!(
            "{url}: a redirect ({status}) that is not followed",
        )));
    }
    if !status.is_success() {
        return Err(err(format!("{url}: the server answered {status}")));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > policy.max_bytes as u64)
    {
        return Err(err(format!(
            "{url}: larger than the limit of {} bytes",
            policy.max_bytes
        )));
    }
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let validators = Validators {
        etag: header(ETAG),
        last_modified: header(LAST_MODIFIED),
    };
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        if e.is_timeout() {
            err(format!(
                "{url}: the body did not arrive within {:?}",
                policy.timeout
            ))
        } else {
            err(format!("{url}: {}", without_url(&e)))
        }
    })? {
        if bytes.len() + chunk.len() > policy.max_bytes {
            return Err(err(format!(
                "{url}: larger than the limit of {} bytes",
                policy.max_bytes
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched::Body { bytes, validators })
}

/// reqwest's message without the URL it repeats.
fn without_url(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut msg = e.to_string();
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_loopback_http_when_allowed() {
        let strict = FetchPolicy::default();
        let tests = FetchPolicy {
            allow_loopback_http: true,
            ..FetchPolicy::default()
        };
        assert!(check_url("https://mic.gov.vn/feed.rss", &strict).is_ok());
        assert!(check_url("http://mic.gov.vn/feed.rss", &strict).is_err());
        assert!(check_url("http://127.0.0.1:8080/x", &strict).is_err());
        assert!(check_url("http://127.0.0.1:8080/x", &tests).is_ok());
        assert!(check_url("http://mic.gov.vn/x", &tests).is_err());
        assert!(check_url("https://10.0.0.1/x", &strict).is_err());
        assert!(check_url("https://user:pw@mic.gov.vn/x", &strict).is_err());
        assert!(check_url("ftp://mic.gov.vn/x", &strict).is_err());
        assert!(check_url("not a url", &strict).is_err());
        assert!(check_url("https://[fd00::1]/x", &strict).is_err());
        assert!(check_url("https://100.64.1.1/x", &strict).is_err());
        assert!(check_url("https://localhost/x", &strict).is_err());
    }

    #[test]
    fn every_literal_of_issue_11_is_refused_in_a_url_and_in_its_other_spellings() {
        let strict = FetchPolicy::default();
        for u in [
            "https://[::127.0.0.1]/",
            "https://[64:ff9b::7f00:1]/",
            "https://[2002:7f00:1::]/",
            "https://[::ffff:0:7f00:1]/",
            "https://[fec0::1]/",
            "https://[ff02::1]/",
            "https://0.0.0.1/",
            "https://192.0.0.1/",
            "https://198.18.0.1/",
            "https://224.0.0.1/",
            "https://240.0.0.1/",
            // The URL parser reads these as IPv4 addresses too.
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0177.0.0.1/",
        ] {
            assert!(check_url(u, &strict).is_err(), "{u} must be refused");
        }
        for a in addresses::own_addresses() {
            let host = match a {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            };
            let u = format!("https://{host}/feed");
            assert!(check_url(&u, &strict).is_err(), "{u} is this host");
        }
    }

    #[test]
    fn only_the_default_port_unless_configured() {
        let strict = FetchPolicy::default();
        assert!(check_url("https://mic.gov.vn:443/x", &strict).is_ok());
        assert!(check_url("https://mic.gov.vn:8443/x", &strict).is_err());
        let with_port = FetchPolicy {
            allowed_ports: vec![8443],
            ..FetchPolicy::default()
        };
        assert!(check_url("https://mic.gov.vn:8443/x", &with_port).is_ok());
    }

    #[test]
    fn redirects_keep_host_port_and_https() {
        let strict = FetchPolicy::default();
        let u = |s: &str| Url::parse(s).unwrap();
        let from = u("https://mic.gov.vn/feed");
        assert!(check_redirect(&from, &u("https://mic.gov.vn/rss"), &strict).is_ok());
        assert!(check_redirect(&from, &u("http://mic.gov.vn/rss"), &strict).is_err());
        assert!(check_redirect(&from, &u("https://mic.gov.vn:8443/rss"), &strict).is_err());
        assert!(check_redirect(&from, &u("https://evil.example/rss"), &strict).is_err());
        assert!(check_redirect(&from, &u("https://127.0.0.1/rss"), &strict).is_err());
        let tests = FetchPolicy {
            allow_loopback_http: true,
            ..FetchPolicy::default()
        };
        let local = u("http://127.0.0.1:8080/feed");
        assert!(check_redirect(&local, &u("http://127.0.0.1:8080/rss"), &tests).is_ok());
        assert!(check_redirect(&local, &u("http://127.0.0.1:8081/rss"), &tests).is_err());
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_the_network_is_not_fetched() {
        // `localhost` resolves to loopback: refused by the resolver even when the URL check is
        // passed, and reachable only when loopback is allowed.
        let resolver = PolicyResolver {
            allow_loopback: false,
            dns_server: None,
        };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = reqwest::dns::Resolve::resolve(&resolver, name).await;
        assert!(refused.is_err());
        let allowing = PolicyResolver {
            allow_loopback: true,
            dns_server: None,
        };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let addrs: Vec<_> = reqwest::dns::Resolve::resolve(&allowing, name)
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
