//! JSON handlers of the API, one module per part of CONTRACT.md section 3.

pub mod audit;
pub mod check;
pub mod consultations;
pub mod identity;
pub mod inquiries;
pub mod mastodon;
pub mod meta;
pub mod moderation;
pub mod portal;
pub mod posts;
pub mod takedowns;
pub mod transparency;

use crate::state::AppState;
use quytac_store::audit::AuditEvent;
use quytac_store::model::Checkpoint;

/// After a write: sign a checkpoint whenever the chain crosses a multiple of
/// `checkpoint_every`. A failure here loses nothing (the events are committed); the next
/// checkpoint covers them.
pub(crate) async fn after_write(state: &AppState, events: &[AuditEvent]) {
    let every = state.config.checkpoint_every.max(1);
    for e in events.iter().filter(|e| e.seq % every == 0) {
        let _ = sign_checkpoint(state, e.seq, &e.hash).await;
    }
}

pub(crate) async fn sign_checkpoint(
    state: &AppState,
    seq: i64,
    hash: &str,
) -> Result<Checkpoint, quytac_store::StoreError> {
    let c = Checkpoint {
        seq,
        hash: hash.to_string(),
        signature: state.signer.sign(seq, hash),
        public_key: state.signer.public_key_hex(),
        at: quytac_store::now_ms(),
    };
    state.store.insert_checkpoint(&c).await?;
    Ok(c)
}
