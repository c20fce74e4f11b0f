//! Figures of the pipeline, for `GET /v1/pipeline` and the Prometheus gauges of `/metrics`.

use crate::subjects;
use crate::{PipelineError, Result};
use async_nats::jetstream;
use serde::Serialize;
use std::sync::Mutex;
use std::time::Instant;
use utoipa::ToSchema;

/// The stream and its workers now. JetStream counts messages: a post each from the ingress,
/// a bundle of posts each from `quytac publish` (`message::Bundler`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PipelineStats {
    /// The posts stream.
    pub stream: String,
    /// Messages in the stream: published, not yet stored and acknowledged (the queue's depth).
    pub depth: u64,
    pub bytes: u64,
    /// Consumers of the stream: one per shard range.
    pub consumers: usize,
    /// Messages no worker has pulled yet.
    pub pending: u64,
    /// Messages pulled by a worker and not yet acknowledged.
    pub ack_pending: u64,
    /// Messages delivered more than once and not yet acknowledged.
    pub redelivered: u64,
    /// Messages acknowledged since the stream was made (a work queue drops each message as it
    /// is acknowledged).
    pub acknowledged: u64,
    /// Dead letters: a post each (a bundle's post goes alone), or a message that was no post.
    pub dead_letters: u64,
    /// Messages acknowledged per second since the previous reading (0 on the first).
    pub throughput_per_s: f64,
    /// Each shard range: the worker that leases it, and its messages.
    pub ranges: Vec<RangeStats>,
}

/// One shard range of the stream (`subjects::range_of`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RangeStats {
    pub range: u64,
    /// The worker that leases the range (its process id and a random suffix), if any.
    pub owner: Option<String>,
    /// Messages of the range no worker has pulled yet.
    pub pending: u64,
    /// Messages of the range pulled and not yet acknowledged.
    pub ack_pending: u64,
}

/// Reads the figures; remembers the last reading to give the throughput.
#[derive(Default)]
pub struct StatsReader {
    last: Mutex<Option<(Instant, u64)>>,
}

impl StatsReader {
    pub async fn read(&self, js: &jetstream::Context) -> Result<PipelineStats> {
        let stream = js
            .get_stream(subjects::POSTS_STREAM)
            .await
            .map_err(PipelineError::unavailable)?;
        let info = stream.cached_info().clone();
        let leases = js.get_key_value(subjects::LEASES_BUCKET).await.ok();
        let (mut pending, mut ack_pending, mut redelivered) = (0, 0, 0);
        let mut ranges = Vec::with_capacity(subjects::RANGES as usize);
        for range in 0..subjects::RANGES {
            let (range_pending, range_ack_pending) =
                match stream.consumer_info(subjects::range_consumer(range)).await {
                    Ok(c) => {
                        redelivered += c.num_redelivered as u64;
                        (c.num_pending, c.num_ack_pending as u64)
                    }
                    Err(_) => (0, 0),
                };
            pending += range_pending;
            ack_pending += range_ack_pending;
            let owner = match &leases {
                Some(kv) => kv
                    .get(crate::lease::range_key(range))
                    .await
                    .ok()
                    .flatten()
                    .map(|v| String::from_utf8_lossy(&v).into_owned()),
                None => None,
            };
            ranges.push(RangeStats {
                range,
                owner,
                pending: range_pending,
                ack_pending: range_ack_pending,
            });
        }
        // Before any worker made the consumers, every message waits.
        if info.state.consumer_count == 0 {
            pending = info.state.messages;
        }
        let acknowledged = info.state.last_sequence.saturating_sub(info.state.messages);
        let dead_letters = match js.get_stream(subjects::DEAD_STREAM).await {
            Ok(d) => d.cached_info().state.messages,
            Err(_) => 0,
        };
        let now = Instant::now();
        let throughput_per_s = {
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            let rate = match *last {
                Some((at, n)) if acknowledged >= n => {
                    let secs = now.duration_since(at).as_secs_f64();
                    if secs > 0.0 {
                        (acknowledged - n) as f64 / secs
                    } else {
                        0.0
                    }
                }
                _ => 0.0,
            };
            *last = Some((now, acknowledged));
            rate
        };
        Ok(PipelineStats {
            stream: subjects::POSTS_STREAM.to_string(),
            depth: info.state.messages,
            bytes: info.state.bytes,
            consumers: info.state.consumer_count,
            pending,
            ack_pending,
            redelivered,
            acknowledged,
            dead_letters,
            throughput_per_s,
            ranges,
        })
    }
}

impl PipelineStats {
    /// The figures as Prometheus gauges (text exposition format).
    pub fn prometheus(&self) -> String {
        let gauges: [(&str, &str, f64); 9] = [
            (
                "quytac_pipeline_depth",
                "Messages (posts, or bundles of posts) in the stream, not yet stored",
                self.depth as f64,
            ),
            (
                "quytac_pipeline_bytes",
                "Bytes in the posts stream",
                self.bytes as f64,
            ),
            (
                "quytac_pipeline_consumers",
                "Consumers of the posts stream",
                self.consumers as f64,
            ),
            (
                "quytac_pipeline_pending",
                "Messages no worker has pulled yet",
                self.pending as f64,
            ),
            (
                "quytac_pipeline_ack_pending",
                "Messages pulled and not yet acknowledged",
                self.ack_pending as f64,
            ),
            (
                "quytac_pipeline_redelivered",
                "Messages delivered more than once, not yet acknowledged",
                self.redelivered as f64,
            ),
            (
                "quytac_pipeline_acknowledged",
                "Messages acknowledged since the stream was made",
                self.acknowledged as f64,
            ),
            (
                "quytac_pipeline_dead_letters",
                "Dead letters (a post each, or a message that was no post)",
                self.dead_letters as f64,
            ),
            (
                "quytac_pipeline_throughput_per_second",
                "Messages acknowledged per second since the previous reading",
                self.throughput_per_s,
            ),
        ];
        let mut out = String::new();
        for (name, help, value) in gauges {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            ));
        }
        out
    }
}
