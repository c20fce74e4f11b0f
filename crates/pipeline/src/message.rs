//! What the pipeline's messages carry.
//!
//! **A post message** (`quytac.posts.<range>.<shard>.<key>`): the body is the post as an item of
//! CONTRACT.md section 1, in JSON (as `quytac_core::item::Item` serialises it). Headers:
//! - `Nats-Msg-Id`: SHA-256 (hex) of the body, so JetStream drops a second publish of the same
//!   content within its two-minute window (a retried publish); an edited post passes.
//! - `Quytac-Source`: `api`, `mastodon` or `import` — stored as the post's source.
//! - `Quytac-Actor`: who submitted it (a token's name, `mastodon`, `import`); the audit log
//!   records it.
//!
//! **A bundle** (`quytac.posts.<range>.<shard>.bundle`, made by `quytac publish`): several posts of one
//! shard, in the order they were read, as JSON Lines (one item a line); the same headers, plus
//! `Quytac-Bundle`: how many posts it holds. JetStream's work per message — replicating it,
//! delivering it, taking its acknowledgement — is then shared by the bundle's posts. A bundled
//! post cannot be looked up as queued by its id (the subject names no post): `GET
//! /v1/posts/{id}` finds it once stored.
//!
//! **A dead letter** (`quytac.dead.<shard>`): the original body and headers, plus
//! `Quytac-Error` (why it failed), `Quytac-Deliveries` and `Quytac-Subject` (where it was).
//!
//! **A result** (`quytac.results.<verdict>`): a [`ResultMessage`] in JSON.
//!
//! **A refused post** (`quytac.results.refused`): a [`RefusedMessage`] in JSON — Decree 147
//! (ND-1, ND-4, under a pack that holds them) refused its author's write; it was not stored.

use crate::subjects;
use crate::{PipelineError, Result};
use quytac_core::engine::CheckResult;
use quytac_core::item::Item;
use quytac_core::workflow::decree147::DecreeFinding;
use quytac_service::posts::PostSource;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The largest post message (the item JSON).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
pub const HEADER_SOURCE: &str = "Quytac-Source";
pub const HEADER_ACTOR: &str = "Quytac-Actor";
pub const HEADER_ERROR: &str = "Quytac-Error";
pub const HEADER_DELIVERIES: &str = "Quytac-Deliveries";
pub const HEADER_SUBJECT: &str = "Quytac-Subject";
pub const HEADER_BUNDLE: &str = "Quytac-Bundle";
/// The most posts a bundle holds (`quytac publish --bundle`).
pub const MAX_BUNDLE_POSTS: usize = 1000;

/// A post ready to publish.
#[derive(Debug, Clone)]
pub struct PostMessage {
    pub external_id: String,
    pub shard: u64,
    pub subject: String,
    pub msg_id: String,
    pub body: Vec<u8>,
    pub headers: async_nats::HeaderMap,
}

impl PostMessage {
    /// Encodes a post; profiles are refused (they are checked by `/v1/check`, not ingested).
    pub fn new(item: &Item, source: PostSource, actor: &str) -> Result<PostMessage> {
        let Item::Post(post) = item else {
            return Err(PipelineError::invalid(
                "only posts can be ingested; use /v1/check for profiles",
            ));
        };
        let body = serde_json::to_vec(item).map_err(PipelineError::invalid)?;
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(PipelineError::invalid(format!(
                "the post is larger than {MAX_MESSAGE_BYTES} bytes"
            )));
        }
        let msg_id = hex::encode(Sha256::digest(&body));
        let shard = subjects::shard_of_post(post.author.id.as_deref(), &post.id);
        Ok(PostMessage {
            external_id: post.id.clone(),
            shard,
            subject: subjects::post_subject(shard, &post.id),
            headers: headers(&msg_id, source, actor),
            msg_id,
            body,
        })
    }
}

fn headers(msg_id: &str, source: PostSource, actor: &str) -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", msg_id);
    headers.insert(HEADER_SOURCE, source.as_str());
    headers.insert(HEADER_ACTOR, actor);
    headers
}

/// A message ready to publish, with the tags (say, input line numbers) of the posts it holds.
#[derive(Debug, Clone)]
pub struct Outgoing<T> {
    pub tags: Vec<T>,
    /// The shard of its posts: a publisher that keeps one author's posts in order has at most
    /// one message of a shard in flight.
    pub shard: u64,
    pub subject: String,
    pub headers: async_nats::HeaderMap,
    pub body: Vec<u8>,
}

/// Groups posts into bundles by shard, so one author's posts stay in order: a shard's bundle
/// goes out when it holds `max_posts` posts or the next post would take it over
/// [`MAX_MESSAGE_BYTES`], and every open bundle on [`Bundler::drain`]. With `max_posts` 1
/// each post is a post message of its own, which `GET /v1/posts/{id}` can see queued.
pub struct Bundler<T> {
    max_posts: usize,
    source: PostSource,
    actor: String,
    open: std::collections::BTreeMap<u64, Open<T>>,
    oldest: Option<std::time::Instant>,
}

struct Open<T> {
    tags: Vec<T>,
    body: Vec<u8>,
}

impl<T> Bundler<T> {
    pub fn new(max_posts: usize, source: PostSource, actor: &str) -> Self {
        Bundler {
            max_posts: max_posts.clamp(1, MAX_BUNDLE_POSTS),
            source,
            actor: actor.to_string(),
            open: Default::default(),
            oldest: None,
        }
    }

    /// Adds a post; returns the messages that are ready (none, one, or two when the post
    /// did not fit in its shard's open bundle).
    pub fn add(&mut self, tag: T, item: &Item) -> Result<Vec<Outgoing<T>>> {
        let post = PostMessage::new(item, self.source, &self.actor)?;
        if self.max_posts == 1 {
            return Ok(vec![Outgoing {
                tags: vec![tag],
                shard: post.shard,
                subject: post.subject,
                headers: post.headers,
                body: post.body,
            }]);
        }
        let mut ready = Vec::new();
        let fits = |open: &Open<T>| open.body.len() + 1 + post.body.len() <= MAX_MESSAGE_BYTES;
        if self.open.get(&post.shard).is_some_and(|o| !fits(o)) {
            ready.extend(self.close(post.shard));
        }
        let open = self.open.entry(post.shard).or_insert_with(|| Open {
            tags: Vec::new(),
            body: Vec::new(),
        });
        if !open.body.is_empty() {
            open.body.push(b'\n');
        }
        open.body.extend_from_slice(&post.body);
        open.tags.push(tag);
        let full = open.tags.len() >= self.max_posts;
        self.oldest.get_or_insert_with(std::time::Instant::now);
        if full {
            ready.extend(self.close(post.shard));
        }
        Ok(ready)
    }

    /// When the first post of the bundles open now was added, counted from the moment none
    /// was open: no post has waited longer (`quytac publish` sends them all after a while).
    pub fn oldest(&self) -> Option<std::time::Instant> {
        self.oldest
    }

    /// Every open bundle, ready to publish.
    pub fn drain(&mut self) -> Vec<Outgoing<T>> {
        let shards: Vec<u64> = self.open.keys().copied().collect();
        shards.into_iter().filter_map(|s| self.close(s)).collect()
    }

    fn close(&mut self, shard: u64) -> Option<Outgoing<T>> {
        let open = self.open.remove(&shard)?;
        if self.open.is_empty() {
            self.oldest = None;
        }
        let msg_id = hex::encode(Sha256::digest(&open.body));
        let mut headers = headers(&msg_id, self.source, &self.actor);
        headers.insert(HEADER_BUNDLE, open.tags.len().to_string().as_str());
        Some(Outgoing {
            tags: open.tags,
            shard,
            subject: subjects::bundle_subject(shard),
            headers,
            body: open.body,
        })
    }
}

/// A post read back from a message: the item, its source and who submitted it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub item: Item,
    pub source: PostSource,
    pub actor: String,
}

/// A line of a message that is not a post: the line as it came, and why.
#[derive(Debug, Clone)]
pub struct BadLine {
    pub text: String,
    pub error: PipelineError,
}

/// Reads a post message or a bundle: its posts in order, each line a post or a [`BadLine`].
/// An error for the whole message (not UTF-8, a bundle whose count is wrong) or for a line is
/// permanent: it can never be processed.
pub fn decode(
    body: &[u8],
    headers: Option<&async_nats::HeaderMap>,
) -> Result<Vec<std::result::Result<Incoming, BadLine>>> {
    let header = |name: &str| {
        headers
            .and_then(|h| h.get(name))
            .map(|v| v.as_str().to_string())
    };
    let source = header(HEADER_SOURCE)
        .and_then(|s| PostSource::from_word(&s))
        .unwrap_or(PostSource::Import);
    let actor = header(HEADER_ACTOR)
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "pipeline".to_string());
    let text = std::str::from_utf8(body).map_err(|_| PipelineError::invalid("not UTF-8"))?;
    let bundled = header(HEADER_BUNDLE);
    let lines: Vec<&str> = match &bundled {
        None => vec![text],
        Some(count) => {
            let lines: Vec<&str> = text.split('\n').collect();
            if count.trim().parse::<usize>().ok() != Some(lines.len()) {
                return Err(PipelineError::invalid(format!(
                    "the bundle says it holds {count} posts but has {} lines",
                    lines.len()
                )));
            }
            lines
        }
    };
    let post = |(i, line): (usize, &str)| {
        let bad = |e: String| BadLine {
            text: line.to_string(),
            error: PipelineError::invalid(match bundled {
                Some(_) => format!("post {} of the bundle: {e}", i + 1),
                None => e,
            }),
        };
        match Item::from_json(line) {
            Ok(item @ Item::Post(_)) => Ok(Incoming {
                item,
                source,
                actor: actor.clone(),
            }),
            Ok(Item::Profile(_)) => Err(bad("not a post".to_string())),
            Err(e) => Err(bad(e)),
        }
    };
    Ok(lines.into_iter().enumerate().map(post).collect())
}

/// The result of one checked post, published on `quytac.results.<verdict>`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultMessage {
    /// The post's own id.
    pub post: String,
    /// The stored post's row id.
    pub id: i64,
    /// The case opened or joined, when a finding needs a person.
    pub case: Option<i64>,
    /// The check result (CONTRACT.md section 1).
    pub result: CheckResult,
}

/// A post Decree 147 refused, published on `quytac.results.refused`: nothing was stored.
#[derive(Debug, Clone, Serialize)]
pub struct RefusedMessage {
    /// The post's own id.
    pub post: String,
    /// The rule (`ND-1`, `ND-4`), its messages in both languages and the evidence.
    pub refused: DecreeFinding,
}

/// The subject of a refused post.
pub fn refused_subject() -> String {
    format!("{}.refused", subjects::RESULTS_PREFIX)
}

/// The subject of a result.
pub fn result_subject(result: &CheckResult) -> String {
    format!("{}.{}", subjects::RESULTS_PREFIX, result.verdict.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str, author: &str, text: &str) -> Item {
        Item::from_json(
            &serde_json::json!({"id": id, "type": "post", "text": text, "author": {"id": author}})
                .to_string(),
        )
        .unwrap()
    }

    fn ids(msg: &Outgoing<usize>) -> Vec<String> {
        decode(&msg.body, Some(&msg.headers))
            .unwrap()
            .into_iter()
            .map(|i| match i.unwrap().item {
                Item::Post(p) => p.id,
                Item::Profile(_) => unreachable!("decode returns posts"),
            })
            .collect()
    }

    #[test]
    fn a_bundle_holds_one_shards_posts_in_order() {
        let mut b = Bundler::new(3, PostSource::Import, "import");
        let (a, z) = ("u1", "u2");
        assert_ne!(subjects::shard_of(a), subjects::shard_of(z));
        assert!(b.add(0, &post("a1", a, "một")).unwrap().is_empty());
        assert!(b.add(1, &post("z1", z, "hai")).unwrap().is_empty());
        assert!(b.add(2, &post("a2", a, "ba")).unwrap().is_empty());
        assert!(b.oldest().is_some());
        let full = b.add(3, &post("a3", a, "bốn")).unwrap();
        assert_eq!(full.len(), 1);
        assert_eq!(full[0].tags, vec![0, 2, 3]);
        assert_eq!(ids(&full[0]), ["a1", "a2", "a3"]);
        assert_eq!(
            full[0].subject,
            subjects::bundle_subject(subjects::shard_of(a))
        );
        let decoded = decode(&full[0].body, Some(&full[0].headers)).unwrap();
        let first = decoded[0].as_ref().unwrap();
        assert_eq!(first.source, PostSource::Import);
        assert_eq!(first.actor, "import");
        let rest = b.drain();
        assert_eq!(rest.len(), 1);
        assert_eq!(ids(&rest[0]), ["z1"]);
        assert!(b.oldest().is_none() && b.drain().is_empty());
    }

    #[test]
    fn a_post_that_does_not_fit_closes_its_shards_bundle() {
        let mut b = Bundler::new(MAX_BUNDLE_POSTS, PostSource::Import, "import");
        let long = "chu ".repeat(MAX_MESSAGE_BYTES / 10); // 0.4 of a message
        assert!(b.add(0, &post("p0", "u1", &long)).unwrap().is_empty());
        assert!(b.add(1, &post("p1", "u1", &long)).unwrap().is_empty());
        let ready = b.add(2, &post("p2", "u1", &long)).unwrap();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].tags, vec![0, 1]);
        assert!(ready[0].body.len() <= MAX_MESSAGE_BYTES);
        assert_eq!(b.drain()[0].tags, vec![2]);
    }

    #[test]
    fn bundles_of_one_are_post_messages_the_ingress_can_find() {
        let mut b = Bundler::new(1, PostSource::Import, "import");
        let item = post("p1", "u1", "một");
        let ready = b.add(7, &item).unwrap();
        let single = PostMessage::new(&item, PostSource::Import, "import").unwrap();
        assert_eq!(ready[0].subject, single.subject);
        assert_eq!(ready[0].body, single.body);
        assert!(ready[0].headers.get(HEADER_BUNDLE).is_none());
        assert_eq!(ids(&ready[0]), ["p1"]);
    }

    #[test]
    fn a_bundle_with_a_wrong_count_is_refused_and_a_bad_line_set_apart() {
        let mut b = Bundler::new(2, PostSource::Import, "import");
        b.add(0, &post("p1", "u1", "một")).unwrap();
        let msg = b.add(1, &post("p2", "u1", "hai")).unwrap().remove(0);
        let mut headers = msg.headers.clone();
        headers.insert(HEADER_BUNDLE, "3");
        let e = decode(&msg.body, Some(&headers)).unwrap_err();
        assert!(e.message.contains("holds 3 posts but has 2 lines"), "{e}");
        // A line that is not a post is set apart with its text; the others stand.
        let mut body = msg.body.clone();
        body.extend_from_slice(b"\n{\"type\":\"profile\",\"id\":\"u1\"}");
        let lines = decode(&body, Some(&headers)).unwrap();
        assert!(lines[0].is_ok() && lines[1].is_ok());
        let bad = lines[2].as_ref().unwrap_err();
        assert_eq!(bad.text, r#"{"type":"profile","id":"u1"}"#);
        assert_eq!(bad.error.message, "post 3 of the bundle: not a post");
    }
}
