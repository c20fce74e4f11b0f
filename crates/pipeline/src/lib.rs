//! # quytac-pipeline
//!
//! The check pipeline on NATS JetStream (issue 12, CONTRACT.md section 4). Ingress nodes
//! (`quytac serve --nats`) and bulk imports (`quytac publish`) put posts on a replicated
//! JetStream stream; any number of workers (`quytac worker`) pull batches, check them in
//! parallel, store each batch in one transaction through [`quytac_service::Service`] and only
//! then acknowledge, so a crash loses nothing (JetStream redelivers) and a redelivered post is
//! never stored twice (the service skips a post whose stored item is the same).
//!
//! - [`subjects`]: stream, consumer and subject names, the shard of an author.
//! - [`message`]: what a message carries (the item JSON and headers) and the results schema.
//! - [`Publisher`]: publishes posts and waits for JetStream's acknowledgements.
//! - [`worker`]: the worker loop, dead letters and results.
//! - [`lease`]: which worker owns which shard range (a JetStream key-value bucket).
//! - [`stats`]: stream and consumer figures for `GET /v1/pipeline` and `/metrics`.
//!
//! What it may import: `quytac-core` (items, results), `quytac-service` (the use cases the
//! worker calls) and `quytac-store` (to open the store); never the HTTP server.

pub mod lease;
pub mod message;
mod publisher;
pub mod stats;
pub mod subjects;
pub mod worker;

pub use publisher::{Publisher, Queued};

use std::fmt;

/// Where the pipeline is and how it is set up.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// NATS servers, `nats://h1:4222,nats://h2:4222`.
    pub urls: String,
    /// Replicas of the streams (1 on one server, 3 on a cluster).
    pub replicas: usize,
    /// Deliveries of a post before it goes to the dead-letter subject.
    pub max_deliver: i64,
}

impl PipelineConfig {
    pub fn new(urls: impl Into<String>) -> Self {
        PipelineConfig {
            urls: urls.into(),
            replicas: 1,
            max_deliver: 5,
        }
    }
}

/// What went wrong talking to NATS.
#[derive(Debug, Clone)]
pub struct PipelineError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// NATS could not be reached, or did not acknowledge in time.
    Unavailable,
    /// The message is not a post this pipeline can carry.
    Invalid,
}

impl PipelineError {
    pub fn unavailable(e: impl fmt::Display) -> Self {
        PipelineError {
            kind: ErrorKind::Unavailable,
            message: format!("NATS: {e}"),
        }
    }
    pub fn invalid(e: impl fmt::Display) -> Self {
        PipelineError {
            kind: ErrorKind::Invalid,
            message: e.to_string(),
        }
    }
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PipelineError {}

pub type Result<T, E = PipelineError> = std::result::Result<T, E>;

/// Connects to the NATS servers (comma-separated URLs); the client reconnects by itself to
/// any server of the cluster it learns of.
pub async fn connect(urls: &str) -> Result<async_nats::Client> {
    let addrs: Vec<async_nats::ServerAddr> = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| u.parse::<async_nats::ServerAddr>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| PipelineError::invalid(format!("bad NATS URL in `{urls}`: {e}")))?;
    if addrs.is_empty() {
        return Err(PipelineError::invalid("no NATS URL given"));
    }
    async_nats::ConnectOptions::new()
        .name("quytac")
        .retry_on_initial_connect()
        .connection_timeout(std::time::Duration::from_secs(5))
        .connect(addrs)
        .await
        .map_err(PipelineError::unavailable)
}

/// Creates the posts stream and the dead-letter stream (the workers make their consumers).
pub async fn ensure_topology(
    js: &async_nats::jetstream::Context,
    config: &PipelineConfig,
) -> Result<()> {
    use async_nats::jetstream::stream;
    let posts = stream::Config {
        name: subjects::POSTS_STREAM.to_string(),
        subjects: vec![format!("{}.>", subjects::POSTS_PREFIX)],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        num_replicas: config.replicas,
        duplicate_window: std::time::Duration::from_secs(120),
        max_message_size: message::MAX_MESSAGE_BYTES as i32,
        ..Default::default()
    };
    js.get_or_create_stream(posts)
        .await
        .map_err(PipelineError::unavailable)?;
    let dead = stream::Config {
        name: subjects::DEAD_STREAM.to_string(),
        subjects: vec![format!("{}.>", subjects::DEAD_PREFIX)],
        storage: stream::StorageType::File,
        num_replicas: config.replicas,
        ..Default::default()
    };
    js.get_or_create_stream(dead)
        .await
        .map_err(PipelineError::unavailable)?;
    Ok(())
}
