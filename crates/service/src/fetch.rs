//! Outbound HTTP, bounded: the service fetches what agencies publish (domain-challenge tokens,
//! portal feeds) from addresses they give it, so every fetch has a timeout, a size limit,
//! HTTPS only (plain HTTP only to loopback, and only when the configuration allows it, for
//! tests), no redirect to another host, and conditional GET for feeds.

use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::{redirect, StatusCode, Url};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The limits of one fetch.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    pub timeout: Duration,
    pub max_bytes: usize,
    /// Allow `http://` to loopback addresses (tests and local development only).
    pub allow_loopback_http: bool,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            timeout: Duration::from_secs(10),
            max_bytes: 2 * 1024 * 1024,
            allow_loopback_http: false,
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
    url.host_str().is_some_and(is_loopback_host)
}

/// Addresses inside the operator's own network, which an agency-given URL must not reach.
fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64 // 100.64/10, CGNAT
        }
        IpAddr::V6(ip) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (ip.segments()[0] & 0xffc0) == 0xfe80 // link local
                || ip.to_ipv4_mapped().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

fn is_private_ip_literal(url: &Url) -> bool {
    let Some(h) = url.host_str() else {
        return false;
    };
    match h
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => is_internal(ip),
        Err(_) => h == "localhost",
    }
}

/// Resolves host names and drops internal addresses, so a public name that points inside the
/// network (or is re-pointed there between checks) is not fetched. Loopback stays reachable
/// when the policy allows plain HTTP to loopback (tests).
struct PublicOnlyResolver {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_internal(a.ip()) || (allow_loopback && a.ip().is_loopback()))
                .collect();
            if found.is_empty() {
                return Err(format!("`{host}` resolves to no public address").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Checks an address against the policy before anything is sent.
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
    if is_private_ip_literal(&url) && !(policy.allow_loopback_http && is_loopback_url(&url)) {
        return Err(err("private and loopback addresses are not fetched"));
    }
    Ok(url)
}

/// GETs `url` under `policy`, conditionally when `previous` validators are given.
pub async fn get(
    url: &str,
    policy: &FetchPolicy,
    previous: Option<&Validators>,
) -> Result<Fetched, FetchError> {
    let url = check_url(url, policy)?;
    let host = url.host_str().map(str::to_string);
    let client = reqwest::Client::builder()
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout)
        .user_agent(concat!("quytac/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(PublicOnlyResolver {
            allow_loopback: policy.allow_loopback_http,
        }))
        .redirect(redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 {
                attempt.error("too many redirects")
            } else if attempt.url().host_str() != host.as_deref() {
                attempt.stop()
            } else {
                attempt.follow()
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
            "{url}: redirects to another host ({}), which is not followed",
            resp.headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?")
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
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_the_network_is_not_fetched() {
        // `localhost` resolves to loopback: refused by the resolver even when the URL check is
        // passed (https), and reachable only when loopback is allowed.
        let strict = FetchPolicy {
            timeout: Duration::from_secs(2),
            ..FetchPolicy::default()
        };
        let resolver = PublicOnlyResolver {
            allow_loopback: false,
        };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = reqwest::dns::Resolve::resolve(&resolver, name).await;
        assert!(refused.is_err());
        let allowing = PublicOnlyResolver {
            allow_loopback: true,
        };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let addrs: Vec<_> = reqwest::dns::Resolve::resolve(&allowing, name)
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
        assert!(get("https://localhost:1/x", &strict, None).await.is_err());
    }
}
