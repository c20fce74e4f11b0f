//! What the pipeline's messages carry.
//!
//! **A post message** (`quytac.posts.<shard>.<key>`): the body is the post as an item of
//! CONTRACT.md section 1, in JSON (as `quytac_core::item::Item` serialises it). Headers:
//! - `Nats-Msg-Id`: SHA-256 (hex) of the body, so JetStream drops a second publish of the same
//!   content within its two-minute window (a retried publish); an edited post passes.
//! - `Quytac-Source`: `api`, `mastodon` or `import` — stored as the post's source.
//! - `Quytac-Actor`: who submitted it (a token's name, `mastodon`, `import`); the audit log
//!   records it.
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

/// A post ready to publish.
#[derive(Debug, Clone)]
pub struct PostMessage {
    pub external_id: String,
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
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", msg_id.as_str());
        headers.insert(HEADER_SOURCE, source.as_str());
        headers.insert(HEADER_ACTOR, actor);
        Ok(PostMessage {
            external_id: post.id.clone(),
            subject: subjects::post_subject(post.author.id.as_deref(), &post.id),
            msg_id,
            body,
            headers,
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

/// Reads a post message; an error here is permanent (the message can never be processed).
pub fn decode(body: &[u8], headers: Option<&async_nats::HeaderMap>) -> Result<Incoming> {
    let text = std::str::from_utf8(body).map_err(|_| PipelineError::invalid("not UTF-8"))?;
    let item = Item::from_json(text).map_err(PipelineError::invalid)?;
    if !matches!(item, Item::Post(_)) {
        return Err(PipelineError::invalid("not a post"));
    }
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
    Ok(Incoming {
        item,
        source,
        actor,
    })
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
