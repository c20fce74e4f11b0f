//! The audit log: read it, verify it, checkpoint it.

use crate::signing::verify_checkpoint;
use crate::{Result, Service, ServiceError};
use quytac_store::audit::{AuditEvent, BrokenLink};
use quytac_store::model::Checkpoint;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// A page of audit events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `after` for the next page; `null` when this page is empty.
    pub next_after: Option<i64>,
}

/// A checkpoint that does not hold, and why: `signed_by_another_key`, `bad_signature` or
/// `event_hash_differs`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadCheckpoint {
    pub seq: i64,
    pub reason: String,
}

/// The chain recomputed and every checkpoint checked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditVerification {
    pub ok: bool,
    pub events: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub first_broken: Option<BrokenLink>,
    pub checkpoints: usize,
    pub first_bad_checkpoint: Option<BadCheckpoint>,
    /// The key that signs this service's checkpoints (hex).
    pub public_key: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointSigned {
    pub checkpoint: Checkpoint,
}

impl Service {
    /// Events with `seq > after`, in order, at most `limit` (1–1000).
    pub async fn audit_events(&self, after: i64, limit: i64) -> Result<AuditPage> {
        let events = self.store.audit_events(after, limit.clamp(1, 1000)).await?;
        let next_after = events.last().map(|e| e.seq);
        Ok(AuditPage { events, next_after })
    }

    /// Recomputes the chain and checks every checkpoint: its signature, its key (ours), and
    /// that the event it names still has the signed hash.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        let report = self.store.verify_chain().await?;
        let checkpoints = self.store.checkpoints().await?;
        let hashes: HashMap<i64, &str> = report
            .hashes
            .iter()
            .map(|(s, h)| (*s, h.as_str()))
            .collect();
        let ours = self.signer.public_key_hex();
        let first_bad_checkpoint = checkpoints.iter().find_map(|c| {
            let reason = if c.public_key != ours {
                "signed_by_another_key"
            } else if !verify_checkpoint(c) {
                "bad_signature"
            } else if hashes.get(&c.seq) != Some(&c.hash.as_str()) {
                "event_hash_differs"
            } else {
                return None;
            };
            Some(BadCheckpoint {
                seq: c.seq,
                reason: reason.to_string(),
            })
        });
        Ok(AuditVerification {
            ok: report.ok && first_bad_checkpoint.is_none(),
            events: report.events,
            head_seq: report.head_seq,
            head_hash: report.head_hash,
            first_broken: report.first_broken,
            checkpoints: checkpoints.len(),
            first_bad_checkpoint,
            public_key: ours,
        })
    }

    /// Signs a checkpoint of the chain's head now.
    pub async fn checkpoint_head(&self) -> Result<CheckpointSigned> {
        let head = self
            .store
            .audit_head()
            .await?
            .ok_or_else(|| ServiceError::not_found("the audit log is empty"))?;
        let checkpoint = self.sign_checkpoint(head.seq, &head.hash).await?;
        Ok(CheckpointSigned { checkpoint })
    }
}
