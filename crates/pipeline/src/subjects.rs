//! Names of the streams, the consumer and the subjects.
//!
//! A post travels on `quytac.posts.<shard>.<key>`: `<shard>` is chosen from the author
//! ([`shard_of`], a stable FNV-1a hash, so one author's posts share a shard and keep their
//! order in it), `<key>` is the first 16 hex digits of SHA-256 of the post's own id, so the
//! ingress can tell whether a post is still queued ([`post_filter`]) without knowing its
//! author; a bundle of posts of one shard travels on `quytac.posts.<shard>.bundle`. A post
//! that keeps failing goes to `quytac.dead.<shard>`; each checked post's
//! result is published on `quytac.results.<verdict>` (`pass`, `review`, `violation`).

use sha2::{Digest, Sha256};

/// The work-queue stream of posts to check.
pub const POSTS_STREAM: &str = "QUYTAC_POSTS";
pub const POSTS_PREFIX: &str = "quytac.posts";
/// The stream that keeps dead letters.
pub const DEAD_STREAM: &str = "QUYTAC_DEAD";
pub const DEAD_PREFIX: &str = "quytac.dead";
/// Results, by verdict (plain NATS subjects; capture them in a stream of your own if needed).
pub const RESULTS_PREFIX: &str = "quytac.results";
/// The durable pull consumer every worker shares.
pub const WORKERS_CONSUMER: &str = "quytac-workers";
/// Shards of the posts subject space.
pub const SHARDS: u64 = 64;

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
    format!("{POSTS_PREFIX}.{shard}.{}", post_key(external_id))
}

/// The subject of a bundle of posts of one shard (`message::Bundler`).
pub fn bundle_subject(shard: u64) -> String {
    format!("{POSTS_PREFIX}.{shard}.bundle")
}

/// The subjects a post with this id can be on, whatever its shard.
pub fn post_filter(external_id: &str) -> String {
    format!("{POSTS_PREFIX}.*.{}", post_key(external_id))
}

/// The shard of a subject `quytac.posts.<shard>.<key>`.
pub fn shard_of_subject(subject: &str) -> Option<&str> {
    subject
        .strip_prefix(POSTS_PREFIX)?
        .strip_prefix('.')?
        .split('.')
        .next()
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
    }

    #[test]
    fn no_author_shards_by_id() {
        assert_eq!(shard_of_post(None, "p1"), shard_of_post(Some(""), "p1"));
        assert_eq!(shard_of_post(None, "p1"), shard_of("p1"));
        assert!(post_filter("p1").ends_with(&post_key("p1")));
    }
}
