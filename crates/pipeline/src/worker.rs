//! The worker: pull a batch, check and store it in one transaction, then acknowledge.
//!
//! Order of effects for a batch: decode (a message that is not a post goes to the
//! dead-letter subject at once) → [`Service::ingest_batch`] (one transaction) → publish each
//! result on `quytac.results.<verdict>` (a post Decree 147 refused: on
//! `quytac.results.refused`, nothing stored) → acknowledge each message. A crash before the
//! acknowledgements makes JetStream redeliver the batch after the ack wait; the service then
//! finds the same items stored and writes nothing (`duplicate`).
//!
//! When a batch fails, its posts are retried one by one, so one bad post cannot hold back
//! the others; a post that fails for a reason of its own is delivered again later and, once
//! it has been delivered [`PipelineConfig::max_deliver`] times, published to
//! `quytac.dead.<shard>` with its error and terminated. An outage of the database is not the
//! post's fault: those messages are only delivered again later, never dead-lettered.

use crate::message::{self, RefusedMessage, ResultMessage};
use crate::subjects;
use crate::{PipelineConfig, PipelineError, Result};
use async_nats::jetstream::{self, consumer, AckKind};
use futures_util::StreamExt;
use quytac_service::posts::{BatchOutcome, BatchPost};
use quytac_service::{ErrorKind as ServiceErrorKind, Service, ServiceError};
use std::future::Future;
use std::time::Duration;

/// How a worker pulls.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Most messages per batch (one transaction).
    pub batch: usize,
    /// How long a pull waits for a full batch.
    pub wait: Duration,
    /// How long JetStream waits for an acknowledgement before delivering a message again.
    pub ack_wait: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            batch: 500,
            wait: Duration::from_millis(200),
            ack_wait: Duration::from_secs(30),
        }
    }
}

/// What a worker did.
#[derive(Debug, Clone, Default)]
pub struct WorkerStats {
    pub batches: u64,
    /// Posts written.
    pub stored: u64,
    /// Redelivered posts already stored as they were: nothing written.
    pub duplicates: u64,
    /// Posts Decree 147 refused (ND-1, ND-4): nothing written.
    pub refused: u64,
    /// Posts sent to the dead-letter subject.
    pub dead: u64,
    /// Messages left for redelivery (failures below the delivery limit, outages).
    pub retried: u64,
}

/// Creates (or updates) the workers' durable pull consumer.
pub async fn workers_consumer(
    js: &jetstream::Context,
    worker: &WorkerConfig,
) -> Result<consumer::PullConsumer> {
    let stream = js
        .get_stream(subjects::POSTS_STREAM)
        .await
        .map_err(PipelineError::unavailable)?;
    stream
        .get_or_create_consumer(
            subjects::WORKERS_CONSUMER,
            consumer::pull::Config {
                durable_name: Some(subjects::WORKERS_CONSUMER.to_string()),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: worker.ack_wait,
                // Unlimited: the worker dead-letters a post itself after `max_deliver`
                // deliveries that failed for the post's own reason; outages never count.
                max_deliver: -1,
                max_ack_pending: 20_000,
                ..Default::default()
            },
        )
        .await
        .map_err(PipelineError::unavailable)
}

/// How long a starting worker waits for the stream to answer.
const STARTUP_PATIENCE: Duration = Duration::from_secs(60);

/// Runs a worker until `shutdown` resolves; the batch in hand is finished first, and a worker
/// still waiting for the stream stops at once.
pub async fn run(
    service: Service,
    pipeline: &PipelineConfig,
    worker: &WorkerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<WorkerStats> {
    let client = crate::connect(&pipeline.urls).await?;
    let mut js = jetstream::new(client.clone());
    js.set_timeout(Duration::from_secs(10));
    tokio::pin!(shutdown);
    // A cluster that lost a node answers again once it has elected new leaders: a worker
    // started meanwhile waits for it (up to STARTUP_PATIENCE) rather than giving up.
    let started = std::time::Instant::now();
    let consumer = loop {
        let attempt = async {
            crate::ensure_topology(&js, pipeline).await?;
            workers_consumer(&js, worker).await
        };
        let attempt = tokio::select! {
            biased;
            _ = &mut shutdown => return Ok(WorkerStats::default()),
            attempt = attempt => attempt,
        };
        match attempt {
            Ok(consumer) => break consumer,
            Err(e) if started.elapsed() < STARTUP_PATIENCE => {
                tracing::warn!(error = %e, "the stream is not ready; retrying");
                tokio::select! {
                    biased;
                    _ = &mut shutdown => return Ok(WorkerStats::default()),
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
            Err(e) => return Err(e),
        }
    };
    let mut stats = WorkerStats::default();
    loop {
        // Only between batches: a batch that was pulled is always finished.
        let batch = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            b = pull(&consumer, worker) => b,
        };
        let msgs = match batch {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "pulling a batch failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if msgs.is_empty() {
            continue;
        }
        stats.batches += 1;
        process(&service, &client, &js, pipeline, msgs, &mut stats).await;
    }
    let _ = client.flush().await;
    Ok(stats)
}

async fn pull(
    consumer: &consumer::PullConsumer,
    worker: &WorkerConfig,
) -> Result<Vec<jetstream::Message>> {
    let mut batch = consumer
        .batch()
        .max_messages(worker.batch)
        .expires(worker.wait)
        .messages()
        .await
        .map_err(PipelineError::unavailable)?;
    let mut msgs = Vec::with_capacity(worker.batch);
    while let Some(m) = batch.next().await {
        match m {
            Ok(m) => msgs.push(m),
            Err(e) => {
                tracing::debug!(error = %e, "pull ended");
                break;
            }
        }
    }
    Ok(msgs)
}

/// Stores one pulled batch and settles every message of it.
async fn process(
    service: &Service,
    client: &async_nats::Client,
    js: &jetstream::Context,
    pipeline: &PipelineConfig,
    msgs: Vec<jetstream::Message>,
    stats: &mut WorkerStats,
) {
    let mut good = Vec::with_capacity(msgs.len());
    for m in msgs {
        match message::decode(&m.payload, m.headers.as_ref()) {
            Ok(incoming) => good.push((m, incoming)),
            Err(e) => {
                dead_letter(js, &m, &e.message).await;
                stats.dead += 1;
            }
        }
    }
    if good.is_empty() {
        return;
    }
    let posts: Vec<BatchPost> = good
        .iter()
        .map(|(_, i)| BatchPost {
            by: i.actor.clone(),
            item: i.item.clone(),
            source: i.source,
        })
        .collect();
    match service.ingest_batch(posts).await {
        Ok(out) => {
            for ((m, _), done) in good.iter().zip(out) {
                settle_ok(client, m, &done, stats).await;
            }
        }
        Err(e) if e.kind == ServiceErrorKind::DatabaseUnavailable => {
            tracing::warn!(error = %e.message, "database unavailable; the batch will come again");
            for (m, _) in &good {
                let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(2)))).await;
                stats.retried += 1;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err(e) => {
            tracing::warn!(error = %e.message, "batch failed; storing its posts one by one");
            for (m, incoming) in good {
                let one = vec![BatchPost {
                    by: incoming.actor,
                    item: incoming.item,
                    source: incoming.source,
                }];
                match service.ingest_batch(one).await {
                    Ok(out) => settle_ok(client, &m, &out[0], stats).await,
                    Err(e) => settle_failed(js, pipeline, &m, &e, stats).await,
                }
            }
        }
    }
}

async fn settle_ok(
    client: &async_nats::Client,
    m: &jetstream::Message,
    outcome: &BatchOutcome,
    stats: &mut WorkerStats,
) {
    let (subject, body) = match outcome {
        BatchOutcome::Stored(done) => {
            let ing = &done.ingested;
            if done.duplicate {
                stats.duplicates += 1;
            } else {
                stats.stored += 1;
            }
            let result = ResultMessage {
                post: ing.post.external_id.clone(),
                id: ing.post.id,
                case: ing.case.as_ref().map(|c| c.id),
                result: ing.result.clone(),
            };
            (
                message::result_subject(&ing.result),
                serde_json::to_vec(&result),
            )
        }
        BatchOutcome::Refused(r) => {
            stats.refused += 1;
            let refused = RefusedMessage {
                post: r.post.clone(),
                refused: r.finding.clone(),
            };
            (message::refused_subject(), serde_json::to_vec(&refused))
        }
    };
    if let Ok(body) = body {
        if let Err(e) = client.publish(subject, body.into()).await {
            tracing::warn!(error = %e, "publishing a result failed");
        }
    }
    if let Err(e) = m.ack().await {
        // The post is stored; a redelivery will find it and write nothing.
        tracing::warn!(error = %e, "acknowledging failed");
    }
}

async fn settle_failed(
    js: &jetstream::Context,
    pipeline: &PipelineConfig,
    m: &jetstream::Message,
    e: &ServiceError,
    stats: &mut WorkerStats,
) {
    let delivered = m.info().map(|i| i.delivered).unwrap_or(1);
    let outage = e.kind == ServiceErrorKind::DatabaseUnavailable;
    if !outage && delivered >= pipeline.max_deliver {
        dead_letter(js, m, &e.message).await;
        stats.dead += 1;
    } else {
        tracing::warn!(error = %e.message, delivered, "post failed; it will come again");
        let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(2)))).await;
        stats.retried += 1;
    }
}

/// Publishes the message with its error on `quytac.dead.<shard>`, then terminates it. If the
/// dead letter cannot be stored, the message is left for redelivery instead.
async fn dead_letter(js: &jetstream::Context, m: &jetstream::Message, error: &str) {
    let shard = subjects::shard_of_subject(&m.subject).unwrap_or("unknown");
    // The original headers but `Nats-Msg-Id`, which would make a second dead letter of the
    // same post a duplicate.
    let mut headers = async_nats::HeaderMap::new();
    for name in [message::HEADER_SOURCE, message::HEADER_ACTOR] {
        if let Some(v) = m.headers.as_ref().and_then(|h| h.get(name)) {
            headers.insert(name, v.as_str());
        }
    }
    let error: String = error.chars().take(1000).collect();
    headers.insert(
        message::HEADER_ERROR,
        error.replace(['\r', '\n'], " ").as_str(),
    );
    let delivered = m.info().map(|i| i.delivered).unwrap_or(1);
    headers.insert(message::HEADER_DELIVERIES, delivered.to_string().as_str());
    headers.insert(message::HEADER_SUBJECT, m.subject.as_str());
    let subject = format!("{}.{shard}", subjects::DEAD_PREFIX);
    let stored = match js
        .publish_with_headers(subject, headers, m.payload.clone())
        .await
    {
        Ok(ack) => ack.await.is_ok(),
        Err(_) => false,
    };
    if stored {
        tracing::warn!(subject = %m.subject, error, "post sent to the dead letters");
        let _ = m.ack_with(AckKind::Term).await;
    } else {
        let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(5)))).await;
    }
}
