//! The worker: pull a batch, check and store it in one transaction, then acknowledge.
//!
//! A message holds one post or a bundle of them (`message::Bundler`). A worker pulls the shard
//! ranges it leases (`lease`), so one author's posts are stored in the order published. Order
//! of effects for a batch: decode (a message that is not a post, or a bundle's line that is
//! not one, goes to the dead-letter subject at once) → [`Service::ingest_batch`] (one transaction) → publish
//! each result on `quytac.results.<verdict>` (a post Decree 147 refused: on
//! `quytac.results.refused`, nothing stored) → acknowledge each message. A crash before the
//! acknowledgements makes JetStream redeliver the batch after the ack wait; the service then
//! finds the same items stored and writes nothing (`duplicate`).
//!
//! When a batch fails, its posts are retried one by one, so one bad post cannot hold back
//! the others; a post that fails for a reason of its own is delivered again later (with its
//! bundle, whose stored posts are then duplicates) and, once it has been delivered
//! [`PipelineConfig::max_deliver`] times, published alone to `quytac.dead.<shard>` with its
//! error. An outage of the database is not the post's fault: those messages are only
//! delivered again later, never dead-lettered.

use crate::lease::{self, Leases};
use crate::message::{self, RefusedMessage, ResultMessage};
use crate::subjects;
use crate::{PipelineConfig, PipelineError, Result};
use async_nats::jetstream::{self, consumer, AckKind};
use futures_util::StreamExt;
use quytac_service::posts::{BatchOutcome, BatchPost};
use quytac_service::{ErrorKind as ServiceErrorKind, Service};
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How a worker pulls.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Most posts per batch (one transaction); a bundle's posts are counted one by one.
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

/// Creates the durable pull consumer of every shard range (the shared consumer of earlier
/// versions is removed first: a work queue takes no overlapping consumers), indexed by range.
pub async fn range_consumers(
    js: &jetstream::Context,
    worker: &WorkerConfig,
) -> Result<Vec<consumer::PullConsumer>> {
    let stream = posts_stream(js).await?;
    if stream
        .consumer_info(subjects::SHARED_CONSUMER)
        .await
        .is_ok()
    {
        stream
            .delete_consumer(subjects::SHARED_CONSUMER)
            .await
            .map_err(PipelineError::unavailable)?;
    }
    // All at once: on a cluster each consumer is a Raft group of its own, slow to make.
    futures_util::future::join_all(
        (0..subjects::RANGES).map(|range| range_consumer(&stream, worker, range)),
    )
    .await
    .into_iter()
    .collect()
}

async fn posts_stream(js: &jetstream::Context) -> Result<jetstream::stream::Stream> {
    js.get_stream(subjects::POSTS_STREAM)
        .await
        .map_err(PipelineError::unavailable)
}

/// The durable consumer of a shard range, made when missing.
async fn range_consumer(
    stream: &jetstream::stream::Stream,
    worker: &WorkerConfig,
    range: u64,
) -> Result<consumer::PullConsumer> {
    let name = subjects::range_consumer(range);
    stream
        .get_or_create_consumer(
            &name,
            consumer::pull::Config {
                durable_name: Some(name.clone()),
                filter_subject: subjects::range_filter(range),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: worker.ack_wait,
                // Unlimited: the worker dead-letters a post itself after `max_deliver`
                // deliveries that failed for the post's own reason; outages never count.
                max_deliver: -1,
                // One worker pulls a range at a time, a batch at most (`--batch` ≤ 1,000).
                max_ack_pending: 1_000,
                ..Default::default()
            },
        )
        .await
        .map_err(PipelineError::unavailable)
}

/// Makes a range's consumer anew. The stream is a work queue: it keeps every message not yet
/// acknowledged, and a new consumer delivers them from the first, in stream order, at once,
/// those a worker that died held, or that were lost on their way here, included. (The old
/// consumer would deliver those only after their ack wait, behind newer messages.) An
/// acknowledgement that reaches the new consumer from an earlier owner is a true one: that
/// owner acknowledges only what it stored.
async fn reset_range(
    js: &jetstream::Context,
    worker: &WorkerConfig,
    range: u64,
) -> Result<consumer::PullConsumer> {
    let stream = posts_stream(js).await?;
    let name = subjects::range_consumer(range);
    if let Err(e) = stream.delete_consumer(&name).await {
        // Gone already is fine; still there is not.
        if stream.consumer_info(&name).await.is_ok() {
            return Err(PipelineError::unavailable(e));
        }
    }
    range_consumer(&stream, worker, range).await
}

/// How long a starting worker waits for the stream to answer.
const STARTUP_PATIENCE: Duration = Duration::from_secs(60);

/// Runs a worker until `shutdown` resolves; the batch in hand is finished first, and a worker
/// still waiting for the stream stops at once.
///
/// The worker pulls only the shard ranges it leases (`lease`), from each range's consumer in
/// stream order, and stores what it pulled in one transaction before it pulls again: one
/// author's posts are stored in the order published. A range it takes (from a worker that
/// died, maybe with posts in hand), and its ranges after its connection to NATS was lost or a
/// pull went unanswered, get a new consumer before they are pulled when messages of them await
/// an acknowledgement ([`reset_range`]).
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
    let (mut consumers, mut leases) = loop {
        let attempt = async {
            crate::ensure_topology(&js, pipeline).await?;
            let consumers = range_consumers(&js, worker).await?;
            let leases = Leases::open(&js, pipeline.replicas, lease::worker_id()).await?;
            Ok::<_, PipelineError>((consumers, leases))
        };
        let attempt = tokio::select! {
            biased;
            _ = &mut shutdown => return Ok(WorkerStats::default()),
            attempt = attempt => attempt,
        };
        match attempt {
            Ok(ready) => break ready,
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
    let mut seen_connects = client.statistics().connects.load(Ordering::Relaxed);
    // Which range a batch is first pulled from.
    let mut turn = 0usize;
    // Ranges whose consumer must be made anew before they are pulled, and when that was last
    // tried (at most once a second: while NATS is out, each try waits for its timeout).
    let mut to_reset: BTreeSet<u64> = BTreeSet::new();
    let mut reset_tried: Option<Instant> = None;
    // Posts a message held in the last batch: bundles hold many, so fewer messages make a
    // batch of `worker.batch` posts. Before any batch, the most a message can hold: the first
    // pull then takes one message, not `worker.batch` bundles (32,000 posts in one
    // transaction at the defaults).
    let mut posts_per_message = message::MAX_BUNDLE_POSTS;
    loop {
        if leases.due() {
            match leases.renew().await {
                Ok(renewal) => {
                    if !renewal.taken.is_empty() {
                        tracing::info!(ranges = ?renewal.taken, "shard ranges taken");
                    }
                    to_reset.extend(renewal.taken);
                    if !renewal.dropped.is_empty() {
                        tracing::info!(ranges = ?renewal.dropped, "shard ranges given up");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "renewing the leases failed"),
            }
        }
        let usable = leases.usable();
        // The connection to NATS was lost and made again: messages delivered meanwhile may
        // have been lost on the way.
        let connects = client.statistics().connects.load(Ordering::Relaxed);
        if connects != seen_connects {
            seen_connects = connects;
            to_reset.extend(usable.iter().copied());
        }
        to_reset.retain(|r| usable.contains(r));
        if !to_reset.is_empty() && reset_tried.is_none_or(|t| t.elapsed() >= RESET_EVERY) {
            reset_tried = Some(Instant::now());
            for range in to_reset.clone() {
                // Nothing delivered and unacknowledged: nothing can come back out of order.
                let idle = consumers[range as usize]
                    .info()
                    .await
                    .is_ok_and(|info| info.num_ack_pending == 0);
                if idle {
                    to_reset.remove(&range);
                    continue;
                }
                match reset_range(&js, worker, range).await {
                    Ok(consumer) => {
                        consumers[range as usize] = consumer;
                        to_reset.remove(&range);
                    }
                    Err(e) => tracing::warn!(range, error = %e, "making a range's consumer failed"),
                }
            }
        }
        let ranges: Vec<u64> = usable
            .into_iter()
            .filter(|r| !to_reset.contains(r))
            .collect();
        if ranges.is_empty() {
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(worker.wait) => continue,
            }
        }
        let messages = (worker.batch / posts_per_message).max(1);
        turn = turn.wrapping_add(1);
        // Only between batches: a batch that was pulled is always finished.
        let pulled = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            pulled = pull_ranges(&consumers, &ranges, turn, messages, worker.wait) => pulled,
        };
        to_reset.extend(pulled.unanswered);
        let msgs = pulled.messages;
        if msgs.is_empty() {
            if pulled.failed {
                tokio::select! {
                    biased;
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(PULL_RETRY) => {}
                }
            }
            continue;
        }
        stats.batches += 1;
        let n = msgs.len();
        let links = Links {
            service: &service,
            client: &client,
            js: &js,
            pipeline,
        };
        let posts = process(&links, msgs, &mut stats).await;
        posts_per_message = (posts / n).max(1);
    }
    leases.release_all().await;
    let _ = client.flush().await;
    Ok(stats)
}

/// How long a worker waits after a pull failed with nothing pulled.
const PULL_RETRY: Duration = Duration::from_millis(500);

/// How often a worker tries again to make a range's consumer anew.
const RESET_EVERY: Duration = Duration::from_secs(1);

/// What a pull brought.
#[derive(Default)]
struct Pulled {
    /// Each range's messages in stream order, range after range.
    messages: Vec<jetstream::Message>,
    /// Ranges whose pull the worker gave up on: messages of them may come after it stopped
    /// listening, and be lost.
    unanswered: Vec<u64>,
    /// Whether a pull failed (NATS out, a leader being elected): the worker waits a little
    /// before it pulls again, rather than asking in a tight loop.
    failed: bool,
}

/// Pulls up to `messages` messages from `ranges`, each range's in stream order: first what is
/// there now, range after range from `first` on (one request fills a batch when a range holds
/// enough, and each batch starts at another range, so none waits on the others); when none
/// is there, waits up to `wait` on every range at once.
async fn pull_ranges(
    consumers: &[consumer::PullConsumer],
    ranges: &[u64],
    first: usize,
    messages: usize,
    wait: Duration,
) -> Pulled {
    let mut pulled = Pulled::default();
    for i in 0..ranges.len() {
        let range = ranges[(first + i) % ranges.len()];
        let left = messages.saturating_sub(pulled.messages.len());
        if left == 0 {
            break;
        }
        let (msgs, end) = pull(&consumers[range as usize], left, true, wait).await;
        pulled.take(range, msgs, end);
    }
    if pulled.messages.is_empty() && !pulled.failed {
        let per_range = messages.div_ceil(ranges.len()).max(1);
        let each = futures_util::future::join_all(
            ranges
                .iter()
                .map(|r| pull(&consumers[*r as usize], per_range, false, wait)),
        )
        .await;
        for (range, (msgs, end)) in ranges.iter().zip(each) {
            pulled.take(*range, msgs, end);
        }
    }
    pulled
}

/// How a pull ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PullEnd {
    /// The server said it had no more, or the wait ran out.
    Done,
    /// An error: the request did not reach a consumer, or the consumer broke it off.
    Failed,
    /// No answer in time: the worker stopped listening.
    Unanswered,
}

impl Pulled {
    fn take(&mut self, range: u64, msgs: Vec<jetstream::Message>, end: PullEnd) {
        self.messages.extend(msgs);
        match end {
            PullEnd::Done => {}
            PullEnd::Failed => self.failed = true,
            PullEnd::Unanswered => {
                self.failed = true;
                self.unanswered.push(range);
            }
        }
    }
}

/// How long a pull of the messages there now may take before the worker gives up on it.
const NO_WAIT_PATIENCE: Duration = Duration::from_secs(5);

/// Pulls up to `messages` messages of one consumer: those there now (`no_wait`), or waiting
/// up to `wait` for them; and how the pull ended. Messages received before an error are kept:
/// left unacknowledged, they would come again behind newer ones.
async fn pull(
    consumer: &consumer::PullConsumer,
    messages: usize,
    no_wait: bool,
    wait: Duration,
) -> (Vec<jetstream::Message>, PullEnd) {
    let mut msgs = Vec::with_capacity(messages);
    let end = if no_wait {
        // Without `expires`: with it, the server (2.9) waits for a full batch until it runs
        // out. The client's own clock stands in for it, for a server that never answers.
        let fetch = async {
            match consumer.fetch().max_messages(messages).messages().await {
                Ok(batch) => collect(batch, &mut msgs).await,
                Err(e) => failed(e),
            }
        };
        match tokio::time::timeout(NO_WAIT_PATIENCE, fetch).await {
            Ok(end) => end,
            Err(_) => {
                tracing::warn!("a pull had no answer");
                PullEnd::Unanswered
            }
        }
    } else {
        match consumer
            .batch()
            .max_messages(messages)
            .expires(wait)
            .messages()
            .await
        {
            Ok(batch) => collect(batch, &mut msgs).await,
            Err(e) => failed(e),
        }
    };
    (msgs, end)
}

fn failed(e: impl std::fmt::Display) -> PullEnd {
    tracing::warn!(error = %e, "pulling a batch failed");
    PullEnd::Failed
}

/// Takes a pull's messages until it ends.
async fn collect(mut batch: consumer::pull::Batch, msgs: &mut Vec<jetstream::Message>) -> PullEnd {
    while let Some(m) = batch.next().await {
        match m {
            Ok(m) => msgs.push(m),
            Err(e) => return failed(e),
        }
    }
    PullEnd::Done
}

/// What a batch is processed with.
struct Links<'a> {
    service: &'a Service,
    client: &'a async_nats::Client,
    js: &'a jetstream::Context,
    pipeline: &'a PipelineConfig,
}

/// Stores one pulled batch and settles every message of it; returns how many posts the
/// batch's messages held.
async fn process(
    links: &Links<'_>,
    msgs: Vec<jetstream::Message>,
    stats: &mut WorkerStats,
) -> usize {
    let Links {
        service,
        client,
        js,
        ..
    } = *links;
    // Each message with its posts, and whether it must come again (a bad line of it could
    // not be dead-lettered).
    let mut good: Vec<(jetstream::Message, Vec<BatchPost>, bool)> = Vec::with_capacity(msgs.len());
    for m in msgs {
        let lines = match message::decode(&m.payload, m.headers.as_ref()) {
            Ok(lines) => lines,
            Err(e) => vec![Err(message::BadLine {
                text: String::from_utf8_lossy(&m.payload).into_owned(),
                error: e,
            })],
        };
        let mut posts = Vec::with_capacity(lines.len());
        let mut again = false;
        for line in lines {
            match line {
                Ok(incoming) => posts.push(batch_post(incoming)),
                Err(bad) => {
                    if dead_letter(js, &m, bad.text.as_bytes(), &bad.error.message).await {
                        stats.dead += 1;
                    } else {
                        again = true;
                    }
                }
            }
        }
        good.push((m, posts, again));
    }
    let all: Vec<BatchPost> = good
        .iter()
        .flat_map(|(_, p, _)| p.iter().cloned())
        .collect();
    let held = all.len();
    if all.is_empty() {
        for (m, _, again) in &good {
            settle(m, *again, stats).await;
        }
        return held;
    }
    match service.ingest_batch(all).await {
        Ok(out) => {
            let mut out = out.into_iter();
            for (m, posts, again) in &good {
                for done in out.by_ref().take(posts.len()) {
                    publish_outcome(client, &done, stats).await;
                }
                settle(m, *again, stats).await;
            }
        }
        Err(e) if e.kind == ServiceErrorKind::DatabaseUnavailable => {
            tracing::warn!(error = %e.message, "database unavailable; the batch will come again");
            for (m, _, _) in &good {
                settle(m, true, stats).await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err(e) => {
            tracing::warn!(error = %e.message, "batch failed; storing its posts one by one");
            for (m, posts, again) in good {
                one_by_one(links, &m, posts, again, stats).await;
            }
        }
    }
    held
}

/// Acknowledges a message, or asks for it again (its stored posts are then duplicates).
async fn settle(m: &jetstream::Message, again: bool, stats: &mut WorkerStats) {
    if again {
        let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(2)))).await;
        stats.retried += 1;
    } else if let Err(e) = m.ack().await {
        // The posts are stored; a redelivery will find them and write nothing.
        tracing::warn!(error = %e, "acknowledging failed");
    }
}

fn batch_post(incoming: message::Incoming) -> BatchPost {
    BatchPost {
        by: incoming.actor,
        item: incoming.item,
        source: incoming.source,
    }
}

/// Stores a message's posts one at a time, so that one bad post cannot hold back the others
/// of its bundle. The message is acknowledged when each post is stored or dead-lettered; it
/// comes again (the stored posts then written as duplicates: nothing) when one failed below
/// the delivery limit, or the database is out.
async fn one_by_one(
    links: &Links<'_>,
    m: &jetstream::Message,
    posts: Vec<BatchPost>,
    mut again: bool,
    stats: &mut WorkerStats,
) {
    let Links {
        service,
        client,
        js,
        pipeline,
    } = *links;
    let delivered = m.info().map(|i| i.delivered).unwrap_or(1);
    let bundled = m
        .headers
        .as_ref()
        .and_then(|h| h.get(message::HEADER_BUNDLE))
        .is_some();
    for post in posts {
        let line = bundled.then(|| serde_json::to_vec(&post.item));
        let e = match service.ingest_batch(vec![post]).await {
            Ok(out) => {
                publish_outcome(client, &out[0], stats).await;
                continue;
            }
            Err(e) => e,
        };
        if e.kind == ServiceErrorKind::DatabaseUnavailable || delivered < pipeline.max_deliver {
            tracing::warn!(error = %e.message, delivered, "post failed; it will come again");
            again = true;
            if e.kind == ServiceErrorKind::DatabaseUnavailable {
                break;
            }
            continue;
        }
        // Dead-lettered alone when it came in a bundle, so its bundle's others are not.
        let payload = match &line {
            Some(Ok(line)) => &line[..],
            _ => &m.payload[..],
        };
        if dead_letter(js, m, payload, &e.message).await {
            stats.dead += 1;
        } else {
            again = true;
        }
    }
    settle(m, again, stats).await;
}

/// Publishes a stored (or refused) post's result on its subject.
async fn publish_outcome(
    client: &async_nats::Client,
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
}

/// Publishes `payload` (the message's, or one post of its bundle) with its error on
/// `quytac.dead.<shard>`; whether the dead letter was stored. The caller settles the message.
async fn dead_letter(
    js: &jetstream::Context,
    m: &jetstream::Message,
    payload: &[u8],
    error: &str,
) -> bool {
    let shard = subjects::shard_of_subject(&m.subject).unwrap_or("unknown");
    // The original headers but `Nats-Msg-Id`, which would make a second dead letter of the
    // same post a duplicate, and `Quytac-Bundle` when one post of a bundle goes alone.
    let mut headers = async_nats::HeaderMap::new();
    for name in [message::HEADER_SOURCE, message::HEADER_ACTOR] {
        if let Some(v) = m.headers.as_ref().and_then(|h| h.get(name)) {
            headers.insert(name, v.as_str());
        }
    }
    if payload == &m.payload[..] {
        if let Some(v) = m
            .headers
            .as_ref()
            .and_then(|h| h.get(message::HEADER_BUNDLE))
        {
            headers.insert(message::HEADER_BUNDLE, v.as_str());
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
        .publish_with_headers(subject, headers, payload.to_vec().into())
        .await
    {
        Ok(ack) => ack.await.is_ok(),
        Err(_) => false,
    };
    if stored {
        tracing::warn!(subject = %m.subject, error, "sent to the dead letters");
    }
    stored
}
