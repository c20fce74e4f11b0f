//! Names of the streams, the consumers and the subjects.
//!
//! A post travels on `quytac.posts.<range>.<shard>.<key>`: `<shard>` is chosen from the author
//! ([`shard_of`], a stable FNV-1a hash, so one author's posts share a shard and keep their
//! order in it), `<range>` is the shard's range ([`range_of`]: the unit one worker owns at a
//! time, with a consumer of its own, so one author's posts are stored in the order published),
//! `<key>` is the first 16 hex digits of SHA-256 of the post's own id, so the ingress can tell
//! whether a post is still queued ([`post_filter`]) without knowing its author; a bundle of
//! posts of one shard travels on `quytac.posts.<range>.<shard>.bundle`. A post that keeps
//! failing goes to `quytac.dead.<shard>`; each checked post's result is published on
//! `quytac.results.<verdict>` (`pass`, `review`, `violation`).

use sha2::{Digest, Sha256};

/// The work-queue stream of posts to check.
pub const POSTS_STREAM: &str = "QUYTAC_POSTS";
pub const POSTS_PREFIX: &str = "quytac.posts";
/// The stream that keeps dead letters.
pub const DEAD_STREAM: &str = "QUYTAC_DEAD";
pub const DEAD_PREFIX: &str = "quytac.dead";
/// Results, by verdict (plain NATS subjects; capture them in a stream of your own if needed).
pub const RESULTS_PREFIX: &str = "quytac.results";
/// The durable pull consumer all workers shared before shard ranges were leased (it is
/// removed when the topology is set up: a work queue takes no overlapping consumers).
pub const SHARED_CONSUMER: &str = "quytac-workers";
/// Shards of the posts subject space.
pub const SHARDS: u64 = 64;
/// Shard ranges: each has a durable consumer, pulled by the one worker that leases it.
pub const RANGES: u64 = 8;
/// The key-value bucket of the workers' leases on shard ranges (`lease`).
pub const LEASES_BUCKET: &str = "QUYTAC_LEASES";

/// The range of a shard: shards `r·8 … r·8+7` form range `r`.
pub fn range_of(shard: u64) -> u64 {
    shard / (SHARDS / RANGES)
}

/// The durable consumer of a shard range.
pub fn range_consumer(range: u64) -> String {
    format!("quytac-range-{range}")
}

/// The subjects of a shard range's consumer.
pub fn range_filter(range: u64) -> String {
    format!("{POSTS_PREFIX}.{range}.>")
}

/// The shard of an author (or of the post's id when it has no author).
pub fn shard_of(author_or_id: &str) -> u64 {
    // FNV-1a 64: stable across builds and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in author_or_id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h % SHARDS
}

/// The subject token of a post id.
pub fn post_key(external_id: &str) -> String {
    let digest = Sha256::digest(external_id.as_bytes());
    hex::encode(&digest[..8])
}

/// The shard of a post: its author's, or its own id's when it has no author.
pub fn shard_of_post(author: Option<&str>, external_id: &str) -> u64 {
    shard_of(author.filter(|a| !a.is_empty()).unwrap_or(external_id))
}

/// The subject a post is published on.
pub fn post_subject(shard: u64, external_id: &str) -> String {
    format!(
        "{POSTS_PREFIX}.{}.{shard}.{}",
        range_of(shard),
        post_key(external_id)
    )
}

/// The subject of a bundle of posts of one shard (`message::Bundler`).
pub fn bundle_subject(shard: u64) -> String {
    format!("{POSTS_PREFIX}.{}.{shard}.bundle", range_of(shard))
}

/// The subjects a post with this id can be on, whatever its shard.
pub fn post_filter(external_id: &str) -> String {
    format!("{POSTS_PREFIX}.*.*.{}", post_key(external_id))
}

/// The shard of a subject `quytac.posts.<range>.<shard>.<key>`.
pub fn shard_of_subject(subject: &str) -> Option<&str> {
    subject
        .strip_prefix(POSTS_PREFIX)?
        .strip_prefix('.')?
        .split('.')
        .nth(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_author_one_shard() {
        let a = post_subject(shard_of_post(Some("u1"), "p1"), "p1");
        let b = post_subject(shard_of_post(Some("u1"), "p2"), "p2");
        assert_eq!(shard_of_subject(&a), shard_of_subject(&b));
        assert_ne!(a, b);
        // Stable across builds: the value is part of the wire format.
        assert_eq!(shard_of("u1"), 51);
        assert_eq!(a, format!("quytac.posts.6.51.{}", post_key("p1")));
        assert_eq!(shard_of_subject(&a), Some("51"));
        assert_eq!(shard_of_subject(&bundle_subject(51)), Some("51"));
    }

    #[test]
    fn every_shard_has_one_range_and_its_consumer_sees_it() {
        for shard in 0..SHARDS {
            let range = range_of(shard);
            assert!(range < RANGES);
            let filter = range_filter(range);
            let prefix = filter.trim_end_matches('>');
            assert!(bundle_subject(shard).starts_with(prefix));
            assert!(post_subject(shard, "p").starts_with(prefix));
        }
        assert_eq!((0..SHARDS).filter(|s| range_of(*s) == 0).count(), 8);
    }

    #[test]
    fn no_author_shards_by_id() {
        assert_eq!(shard_of_post(None, "p1"), shard_of_post(Some(""), "p1"));
        assert_eq!(shard_of_post(None, "p1"), shard_of("p1"));
        assert!(post_filter("p1").ends_with(&post_key("p1")));
    }
}
