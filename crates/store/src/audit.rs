//! The tamper-evident audit log: an append-only hash chain.
//!
//! Event `n` stores `hash_n = SHA-256(hash_{n-1} ‖ "\n" ‖ canonical_json(event_n))`, where the
//! canonical JSON has sorted keys and no spaces and covers `seq`, `at`, `actor`, `action`,
//! `subject` and `payload`. Editing, deleting or reordering any stored event breaks the chain
//! at that event; [`verify_chain`] recomputes it and names the first broken link. Rewriting
//! the whole chain after an edit is caught by the signed checkpoints the server keeps.

use crate::Result;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(crate) const EVENT_COLS: &str = "seq, at, actor, action, subject, payload, prev_hash, hash";

/// An event to append: who did what to which thing, with details.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub payload: Value,
}

impl NewEvent {
    pub fn new(actor: &str, action: &str, subject: String, payload: Value) -> Self {
        NewEvent {
            actor: actor.to_string(),
            action: action.to_string(),
            subject,
            payload,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Object)]
    #[schema(value_type = Object)]
    pub payload: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The same event always hashes the same whatever map order serde_json was built with.
pub use quytac_core::canonical::canonical_json;

/// The hash of an event given the previous hash.
pub fn event_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    payload: &Value,
) -> String {
    let body = serde_json::json!({
        "seq": seq, "at": at, "actor": actor, "action": action, "subject": subject, "payload": payload,
    });
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical_json(&body).as_bytes());
    hex::encode(h.finalize())
}

/// Appends inside the caller's transaction, which holds the write lock.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    e: NewEvent,
    at: i64,
) -> Result<AuditEvent> {
    let head = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    let (prev_seq, prev_hash) = match head {
        Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
        None => (0, GENESIS.to_string()),
    };
    let seq = prev_seq + 1;
    let hash = event_hash(
        &prev_hash, seq, at, &e.actor, &e.action, &e.subject, &e.payload,
    );
    let payload = canonical_json(&e.payload);
    sqlx::query(
        "INSERT INTO audit_events (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.subject)
    .bind(&payload)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    Ok(AuditEvent {
        seq,
        at,
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        payload: e.payload,
        prev_hash,
        hash,
    })
}

pub(crate) fn event_from(r: &AnyRow) -> Result<AuditEvent> {
    let payload: String = r.try_get("payload")?;
    Ok(AuditEvent {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        // An edited payload that is no longer JSON still verifies as a broken link, not an error.
        payload: serde_json::from_str(&payload).unwrap_or(Value::String(payload)),
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

pub(crate) async fn events(pool: &AnyPool, after: i64, limit: i64) -> Result<Vec<AuditEvent>> {
    sqlx::query(&format!(
        "SELECT {EVENT_COLS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?
    .iter()
    .map(event_from)
    .collect()
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BrokenLink {
    pub seq: i64,
    /// `missing_event`, `prev_hash_mismatch` or `hash_mismatch`.
    pub reason: String,
    pub expected: String,
    pub found: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainReport {
    pub ok: bool,
    pub events: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub first_broken: Option<BrokenLink>,
    /// The recomputed hash at each checkpointed seq is checked by the caller; this is the
    /// hash each event should have, looked up by seq.
    #[serde(skip)]
    pub hashes: Vec<(i64, String)>,
}

/// Recomputes every event's hash from its stored fields and checks each link.
pub async fn verify_chain(pool: &AnyPool) -> Result<ChainReport> {
    let mut prev_hash = GENESIS.to_string();
    let mut expected_seq = 1;
    let mut count = 0;
    let mut first_broken = None;
    let mut hashes = Vec::new();
    let mut after = 0;
    loop {
        let page = events(pool, after, 2000).await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            count += 1;
            after = e.seq;
            if first_broken.is_none() {
                let recomputed = event_hash(
                    &e.prev_hash,
                    e.seq,
                    e.at,
                    &e.actor,
                    &e.action,
                    &e.subject,
                    &e.payload,
                );
                first_broken = if e.seq != expected_seq {
                    Some(BrokenLink {
                        seq: expected_seq,
                        reason: "missing_event".into(),
                        expected: format!("seq {expected_seq}"),
                        found: format!("seq {}", e.seq),
                    })
                } else if e.prev_hash != prev_hash {
                    Some(BrokenLink {
                        seq: e.seq,
                        reason: "prev_hash_mismatch".into(),
                        expected: prev_hash.clone(),
                        found: e.prev_hash.clone(),
                    })
                } else if recomputed != e.hash {
                    Some(BrokenLink {
                        seq: e.seq,
                        reason: "hash_mismatch".into(),
                        expected: recomputed.clone(),
                        found: e.hash.clone(),
                    })
                } else {
                    None
                };
            }
            hashes.push((e.seq, e.hash.clone()));
            prev_hash = e.hash.clone();
            expected_seq = e.seq + 1;
        }
    }
    Ok(ChainReport {
        ok: first_broken.is_none(),
        events: count,
        head_seq: expected_seq - 1,
        head_hash: prev_hash,
        first_broken,
        hashes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_previous_hash_and_every_field() {
        let p = serde_json::json!({"k": 1});
        let h = event_hash(GENESIS, 1, 5, "a", "x", "s", &p);
        assert_eq!(h.len(), 64);
        assert_ne!(h, event_hash("1", 1, 5, "a", "x", "s", &p));
        assert_ne!(h, event_hash(GENESIS, 2, 5, "a", "x", "s", &p));
        assert_ne!(h, event_hash(GENESIS, 1, 5, "b", "x", "s", &p));
        assert_ne!(
            h,
            event_hash(GENESIS, 1, 5, "a", "x", "s", &serde_json::json!({"k": 2}))
        );
        assert_eq!(h, event_hash(GENESIS, 1, 5, "a", "x", "s", &p));
    }
}
