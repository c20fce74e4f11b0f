//! The audit log: read it, show its signed head, verify it.
//!
//! Verification ([`Service::verify_audit`]) reads one snapshot of the database and checks, in
//! this order: every chain recomputed link by link; every signed head (our key, a valid
//! signature, the Merkle root of its chains, each chain's event at the signed position still
//! has the signed hash); that no chain runs past its newest signed position (events added
//! without the key); that the database still extends the newest head this process signed
//! (a rollback of the database under a running server); the checkpoints of the log before
//! chains; and every covered row against the hash its latest event bound.

use crate::signing::{verify_checkpoint, verify_head};
use crate::{Result, Service, ServiceError};
use quytac_store::audit::{head_problem, AuditEvent, BrokenLink, ChainHead, SignedHead};
use quytac_store::StateReport;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A page of audit events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `after` for the next page; `null` when this page is empty.
    pub next_after: Option<i64>,
}

/// A signed head or checkpoint that does not hold, and why: `signed_by_another_key`,
/// `bad_signature`, `root_differs`, `seq_differs`, or which chain position no longer has the
/// signed hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadHead {
    /// The head's id (for a checkpoint of the log before chains, its seq).
    pub id: i64,
    pub reason: String,
}

/// Events past the newest position any signed head covers: appended without the key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnsignedTail {
    pub chain: i64,
    /// The first position no signed head covers.
    pub from_pos: i64,
    pub to_pos: i64,
}

/// Everything recomputed and checked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditVerification {
    pub ok: bool,
    pub events: i64,
    /// Each chain's head as recomputed.
    pub chains: Vec<ChainHead>,
    pub first_broken: Option<BrokenLink>,
    /// How many signed heads were checked.
    pub heads: usize,
    pub first_bad_head: Option<BadHead>,
    pub unsigned_events: Option<UnsignedTail>,
    /// Set when the database no longer extends the newest head this server signed: events
    /// (and their heads) were deleted or rewritten behind its back.
    pub rolled_back: Option<String>,
    /// Checkpoints of the log before chains.
    pub checkpoints: usize,
    pub first_bad_checkpoint: Option<BadHead>,
    /// The workflow's rows against the hashes their events bound.
    pub state: StateReport,
    /// The newest signed head stored.
    pub latest_head: Option<SignedHead>,
    /// The key that signs this service's heads (hex).
    pub public_key: String,
}

impl Service {
    /// Events with `seq > after`, in order, at most `limit` (1–1000).
    pub async fn audit_events(&self, after: i64, limit: i64) -> Result<AuditPage> {
        let events = self.store.audit_events(after, limit.clamp(1, 1000)).await?;
        let next_after = events.last().map(|e| e.seq);
        Ok(AuditPage { events, next_after })
    }

    /// The newest signed head of the log (public: anyone may keep it as a witness).
    pub async fn audit_head(&self) -> Result<SignedHead> {
        match self.store.latest_head().await? {
            Some(h) => Ok(h),
            // A fresh log: sign its (empty) head now rather than answer nothing.
            None => self
                .store
                .sign_head_now()
                .await?
                .ok_or_else(|| ServiceError::not_found("the audit log has no signed head")),
        }
    }

    /// Signs a head of the log now.
    pub async fn sign_head_now(&self) -> Result<SignedHead> {
        self.store
            .sign_head_now()
            .await?
            .ok_or_else(|| ServiceError::not_found("the audit log has no signed head"))
    }

    /// Recomputes every chain and checks every signed head, the unsigned tail, this server's
    /// own last head, the old checkpoints and the covered rows (see the module's docs).
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        let served = self.store.last_signed_head();
        let extra = served
            .as_ref()
            .map(|h| h.chains.clone())
            .unwrap_or_default();
        let scan = self.store.scan_log(&extra).await?;
        let walker = &scan.walker;
        let ours = self.signer.public_key_hex();
        let first_bad_head = scan.heads.iter().find_map(|h| {
            let reason = if h.public_key != ours {
                "signed_by_another_key".to_string()
            } else if !verify_head(h, &ours) {
                "bad_signature".to_string()
            } else {
                head_problem(h, walker)?
            };
            Some(BadHead { id: h.id, reason })
        });
        // The newest signed position of each chain; every event must be at or before it.
        let mut signed: BTreeMap<i64, i64> = BTreeMap::new();
        for c in scan.heads.iter().flat_map(|h| h.chains.iter()) {
            let max = signed.entry(c.chain).or_default();
            *max = (*max).max(c.pos);
        }
        let chains = walker.heads();
        let unsigned_events = chains.iter().find_map(|c| {
            let covered = signed.get(&c.chain).copied().unwrap_or(0);
            (c.pos > covered).then_some(UnsignedTail {
                chain: c.chain,
                from_pos: covered + 1,
                to_pos: c.pos,
            })
        });
        let rolled_back = served.as_ref().and_then(|h| {
            head_problem(h, walker).map(|p| {
                format!(
                    "the log no longer extends head {} this server signed: {p}",
                    h.id
                )
            })
        });
        let first_bad_checkpoint = scan.legacy.iter().find_map(|c| {
            let reason = if c.public_key != ours {
                "signed_by_another_key"
            } else if !verify_checkpoint(c) {
                "bad_signature"
            } else if walker.hash_at(0, c.seq) != Some(c.hash.as_str()) {
                "event_hash_differs"
            } else {
                return None;
            };
            Some(BadHead {
                id: c.seq,
                reason: reason.to_string(),
            })
        });
        let ok = walker.first_broken.is_none()
            && first_bad_head.is_none()
            && unsigned_events.is_none()
            && rolled_back.is_none()
            && first_bad_checkpoint.is_none()
            && scan.state.problem_count == 0;
        Ok(AuditVerification {
            ok,
            events: walker.events,
            chains,
            first_broken: walker.first_broken.clone(),
            heads: scan.heads.len(),
            first_bad_head,
            unsigned_events,
            rolled_back,
            checkpoints: scan.legacy.len(),
            first_bad_checkpoint,
            state: scan.state,
            latest_head: scan.heads.last().cloned(),
            public_key: ours,
        })
    }
}
