//! Leases on shard ranges: which worker pulls which range's consumer, so that one author's
//! posts are stored by one worker at a time, in the order they were published.
//!
//! The leases live in the JetStream key-value bucket `QUYTAC_LEASES`, replicated like the
//! streams, whose entries vanish [`LEASE_TTL`] after their last write (the bucket's max age):
//! - `worker.<id>`: a live worker, written again at every renewal;
//! - `range.<r>`: the id of the worker that owns range `r`. It is taken with `create`, which
//!   fails while another worker's entry is there, and renewed with `update` at the revision
//!   this worker last wrote, which fails once the lease was lost.
//!
//! Each worker aims at its share of the ranges, ⌈ranges ÷ live workers⌉: it gives back the
//! ranges over its share and takes free ones under it. [`Leases::renew`] runs between
//! batches, so a range is given back with nothing of it in hand. A worker that dies stops
//! renewing; its ranges are free after [`LEASE_TTL`] and the others take them. A worker
//! holds a range for [`LEASE_TTL`] less [`SAFETY`] after its last successful renewal by its
//! own clock, measured from when the renewal was sent, so it stops pulling before the entry
//! can vanish on the server.

use crate::subjects;
use crate::{PipelineError, Result};
use async_nats::jetstream::{self, kv};
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a lease lasts after its last renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(10);
/// How often a worker renews its leases (and rebalances).
pub const RENEW_EVERY: Duration = Duration::from_secs(2);
/// How long before the server would drop a lease its holder stops using it.
pub const SAFETY: Duration = Duration::from_secs(3);

/// The ranges a worker should hold when `live` workers share `ranges` ranges.
pub fn fair_share(ranges: u64, live: usize) -> usize {
    let live = live.max(1) as u64;
    ranges.div_ceil(live) as usize
}

/// The order in which a worker tries the free ranges: from a point of its own, so that
/// workers starting together do not all race for range 0.
pub fn try_order(ranges: u64, worker: &str) -> Vec<u64> {
    let start = subjects::shard_of(worker) % ranges.max(1);
    (0..ranges).map(|i| (start + i) % ranges).collect()
}

/// One range this worker owns.
#[derive(Debug, Clone, Copy)]
struct Held {
    /// The revision of the entry this worker last wrote.
    revision: u64,
    /// When the write of that revision was sent.
    written: Instant,
}

/// What changed at a renewal.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// Ranges taken now.
    pub taken: Vec<u64>,
    /// Ranges given back or found taken by another worker.
    pub dropped: Vec<u64>,
}

/// This worker's leases.
pub struct Leases {
    kv: kv::Store,
    me: String,
    held: BTreeMap<u64, Held>,
    last_renewal: Option<Instant>,
}

impl Leases {
    /// Opens (or makes) the leases bucket, with `replicas` replicas when it makes it.
    pub async fn open(js: &jetstream::Context, replicas: usize, me: String) -> Result<Leases> {
        let kv = match js.get_key_value(subjects::LEASES_BUCKET).await {
            Ok(kv) => kv,
            Err(_) => js
                .create_key_value(kv::Config {
                    bucket: subjects::LEASES_BUCKET.to_string(),
                    description: "quytac: workers and the shard ranges they own".to_string(),
                    history: 1,
                    max_age: LEASE_TTL,
                    num_replicas: replicas.max(1),
                    storage: jetstream::stream::StorageType::File,
                    ..Default::default()
                })
                .await
                .map_err(PipelineError::unavailable)?,
        };
        Ok(Leases {
            kv,
            me,
            held: BTreeMap::new(),
            last_renewal: None,
        })
    }

    /// Whether it is time to renew.
    pub fn due(&self) -> bool {
        self.last_renewal
            .is_none_or(|at| at.elapsed() >= RENEW_EVERY)
    }

    /// The ranges this worker may pull now: held, and renewed recently enough.
    pub fn usable(&self) -> Vec<u64> {
        self.held
            .iter()
            .filter(|(_, h)| h.written.elapsed() < LEASE_TTL.saturating_sub(SAFETY))
            .map(|(r, _)| *r)
            .collect()
    }

    /// Says this worker lives, renews its leases, gives back those over its share and takes
    /// free ones under it. An error (NATS unreachable) leaves the leases as they are: each is
    /// still used until its own time runs out.
    pub async fn renew(&mut self) -> Result<Renewal> {
        self.last_renewal = Some(Instant::now());
        let mut renewal = Renewal::default();
        self.kv
            .put(format!("worker.{}", self.me), self.me.clone().into())
            .await
            .map_err(PipelineError::unavailable)?;
        let ranges: Vec<u64> = self.held.keys().copied().collect();
        for range in ranges {
            let written = Instant::now();
            let revision = self.held[&range].revision;
            match self
                .kv
                .update(range_key(range), self.me.clone().into(), revision)
                .await
            {
                Ok(revision) => {
                    self.held.insert(range, Held { revision, written });
                }
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                    // A renewal that timed out here may still have been written: the entry is
                    // then this worker's, at a revision it did not learn.
                    match self.kv.entry(range_key(range)).await {
                        Ok(Some(entry))
                            if entry.operation == kv::Operation::Put
                                && entry.value == self.me.as_bytes() =>
                        {
                            if let Some(held) = self.held.get_mut(&range) {
                                held.revision = entry.revision;
                            }
                        }
                        _ => {
                            tracing::warn!(range, "the lease on the range was lost");
                            self.held.remove(&range);
                            renewal.dropped.push(range);
                        }
                    }
                }
                Err(e) => tracing::warn!(range, error = %e, "renewing a lease failed"),
            }
        }
        let share = fair_share(subjects::RANGES, self.live_workers().await?);
        while self.held.len() > share {
            let Some((range, held)) = self.held.pop_last() else {
                break;
            };
            // Whether or not the entry goes now, it is not renewed: it lapses by itself.
            let _ = self
                .kv
                .delete_expect_revision(range_key(range), Some(held.revision))
                .await;
            renewal.dropped.push(range);
        }
        for range in try_order(subjects::RANGES, &self.me) {
            if self.held.len() >= share {
                break;
            }
            if self.held.contains_key(&range) {
                continue;
            }
            let written = Instant::now();
            if let Ok(revision) = self
                .kv
                .create(range_key(range), self.me.clone().into())
                .await
            {
                self.held.insert(range, Held { revision, written });
                renewal.taken.push(range);
            }
        }
        Ok(renewal)
    }

    /// Gives every lease back (a worker that stops), so others need not wait for them to lapse.
    pub async fn release_all(&mut self) {
        for (range, held) in std::mem::take(&mut self.held) {
            let _ = self
                .kv
                .delete_expect_revision(range_key(range), Some(held.revision))
                .await;
        }
        let _ = self.kv.delete(format!("worker.{}", self.me)).await;
    }

    /// Workers whose entry has not lapsed, this one included.
    async fn live_workers(&self) -> Result<usize> {
        let mut keys = self.kv.keys().await.map_err(PipelineError::unavailable)?;
        let mut live = 0;
        while let Some(key) = keys.next().await {
            let key = key.map_err(PipelineError::unavailable)?;
            if key.starts_with("worker.") {
                live += 1;
            }
        }
        Ok(live)
    }
}

/// The key of a range's lease.
pub fn range_key(range: u64) -> String {
    format!("range.{range}")
}

/// A fresh id for a worker: its process id and random bytes.
pub fn worker_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 4];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{}-{}", std::process::id(), hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ranges_are_shared_out_with_none_left_over() {
        assert_eq!(fair_share(8, 0), 8);
        assert_eq!(fair_share(8, 1), 8);
        assert_eq!(fair_share(8, 2), 4);
        assert_eq!(fair_share(8, 3), 3);
        assert_eq!(fair_share(8, 8), 1);
        assert_eq!(fair_share(8, 20), 1);
        for live in 1..=20 {
            assert!(
                fair_share(8, live) * live >= 8,
                "{live} workers leave a range out"
            );
        }
    }

    #[test]
    fn each_worker_tries_every_range_once_from_a_point_of_its_own() {
        let a = try_order(8, "1-aaaa");
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..8).collect::<Vec<_>>());
        let starts: std::collections::BTreeSet<u64> = (0..50)
            .map(|i| try_order(8, &format!("{i}-x"))[0])
            .collect();
        assert!(starts.len() > 4, "{starts:?}");
    }
}
