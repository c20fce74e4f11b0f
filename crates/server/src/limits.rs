//! Every bound on the work a client can cause, in one place: [`Limits`], part of
//! [`crate::Config`] and set by the flags of `quytac serve`.
//!
//! - **Per item** ([`CheckLimits`], from the core, shared with `quytac check`): characters
//!   and words of an item's text, findings and evidence in its result.
//! - **Per request**: items in the array body of `POST /v1/check`; the request's deadline
//!   (`Config::request_timeout`), checked again between the items of an array.
//! - **Checks** run on a pool of [`Limits::check_workers`] threads off the async runtime, with
//!   at most [`Limits::check_queue`] waiting; a check that finds the queue full is answered
//!   `503 busy` with `Retry-After` at once, so `/healthz` and every other request never wait
//!   behind checks ([`crate::check_pool`]).
//! - **Per client**: a token bucket per IP address on the public endpoints ([`RateLimit`]),
//!   `429 rate_limited` with `Retry-After` when empty ([`crate::rate_limit`]).
//! - **Per connection**: the time allowed for a request's headers, which also closes idle
//!   keep-alive connections (hyper starts that clock whenever a connection waits for a
//!   request), and a cap on open connections ([`crate::app`]).

use std::num::NonZeroU32;
use std::time::Duration;

pub use quytac_core::limits::{CheckLimits, Oversize};

#[derive(Debug, Clone)]
pub struct Limits {
    /// Per-item bounds of a check (characters, words, findings, evidence).
    pub check: CheckLimits,
    /// Most items in the array body of `POST /v1/check`.
    pub max_batch_items: usize,
    /// Threads that run checks (default: one per core).
    pub check_workers: usize,
    /// Checks that may wait for a free worker; one more is answered `503 busy`.
    pub check_queue: usize,
    /// A single item of at most this many characters is checked on the async worker that
    /// received it: that takes tens of microseconds, less than handing it to the pool and
    /// back. `0` sends every check to the pool.
    pub inline_max_chars: usize,
    /// Per-client rate limit of the public endpoints; `None` turns it off.
    pub rate: Option<RateLimit>,
    /// Time allowed for a request's headers, counted from when the connection starts waiting
    /// for a request: a slow client, or an idle keep-alive connection, is closed after it.
    pub header_timeout: Duration,
    /// Most open connections; further ones wait in the kernel's backlog until one closes.
    pub max_connections: usize,
}

/// A token bucket per client IP address: `burst` requests at once, refilled at
/// `per_second` requests a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// Generous for people and scripts of good faith (a page and its checks never come near
    /// it), tight enough that one address cannot take the whole service.
    pub const DEFAULT: RateLimit = RateLimit {
        per_second: NonZeroU32::new(20).unwrap(),
        burst: NonZeroU32::new(200).unwrap(),
    };
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Limits {
            check: CheckLimits::DEFAULT,
            max_batch_items: 1000,
            check_workers: cores,
            check_queue: 64,
            inline_max_chars: 256,
            rate: Some(RateLimit::DEFAULT),
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}
