//! Per-client rate limits of the public endpoints, with `tower_governor` (a token bucket per
//! client, GCRA): `burst` requests at once, refilled at `per_second`. A client that used its
//! bucket up is answered `429 rate_limited` with `Retry-After` and the usual error body.
//!
//! The client is the peer's IP address, an IPv6 address by its /64 prefix (one subscriber's
//! network: anyone holding one has 2^64 addresses). Behind a reverse proxy every request comes
//! from the proxy, so there the proxy should limit per client, and this limit be raised or
//! turned off (`--rate-limit off`). One bucket per client is shared by every limited endpoint.
//!
//! Which endpoints: every public one ([`applies_to`]) but `/healthz` (for monitors and load
//! balancers), `/openapi.json` and the `/.well-known/` keys and revocations (static, cached by
//! verifiers).

use crate::error::{body, Code};
use crate::limits::Limits;
use crate::routes::{Access, Route};
use crate::state::AppState;
use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

/// The client of a request: its peer address, IPv6 by /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientKey;

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        req.extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| client_of(c.0.ip()))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The key of an address: IPv4 (and IPv4-mapped IPv6) as it is, other IPv6 by /64.
pub fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

pub type Config = GovernorConfig<ClientKey, governor::middleware::NoOpMiddleware>;
pub type Layer = GovernorLayer<ClientKey, governor::middleware::NoOpMiddleware, Body>;

/// Whether a route of the table is rate limited.
pub fn applies_to(route: &Route) -> bool {
    route.access == Access::Public
        && route.path != "/healthz"
        && route.path != "/openapi.json"
        && !route.path.starts_with("/.well-known/")
}

/// The limiter of `limits` (its table of clients), or `None` when the limit is off.
pub fn limiter(limits: &Limits) -> Option<Arc<Config>> {
    let rate = limits.rate?;
    GovernorConfigBuilder::default()
        .key_extractor(ClientKey)
        .period(Duration::from_secs(1) / rate.per_second.get())
        .burst_size(rate.burst.get())
        .finish()
        .map(Arc::new)
}

/// The limiting layer, shared by every limited route (so one bucket per client for all of
/// them); `None` when the limit is off.
pub fn layer(state: &AppState) -> Option<Layer> {
    let config = state.rate_limiter.clone()?;
    Some(GovernorLayer::new(config).error_handler(too_many_requests))
}

/// Forgets the buckets of clients that have been quiet long enough to have a full one again,
/// every minute, so that the table stays as small as the set of recent clients.
pub fn spawn_sweeper(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let config = state.rate_limiter.clone()?;
    Some(tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            config.limiter().retain_recent();
            config.limiter().shrink_to_fit();
        }
    }))
}

/// The answer to a client over its limit (or whose address is unknown, which cannot happen
/// with the server of `app.rs`, which always records it).
fn too_many_requests(e: GovernorError) -> Response<Body> {
    let (code, message, retry_after) = match e {
        GovernorError::TooManyRequests { wait_time, .. } => (
            Code::RateLimited,
            "too many requests from this address; wait before trying again",
            // The wait is given in whole seconds, rounded down.
            Some(wait_time + 1),
        ),
        _ => (Code::Internal, "the client's address is unknown", None),
    };
    let mut response = Response::new(Body::from(body(code, message)));
    *response.status_mut() = code.status();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_of(a), client_of(b));
        assert_ne!(client_of(a), client_of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_of(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
