//! JSON handlers of the API, one module per part of CONTRACT.md section 3.

pub mod audit;
pub mod check;
pub mod consultations;
pub mod identity;
pub mod inquiries;
pub mod mastodon;
pub mod meta;
pub mod moderation;
pub mod pipeline;
pub mod portal;
pub mod posts;
pub mod takedowns;
pub mod transparency;

use crate::state::AppState;
use quytac_store::audit::AuditEvent;

/// After a write made through the store directly (the areas not yet moved into
/// `quytac-service`): sign a checkpoint whenever the chain crosses one.
pub(crate) async fn after_write(state: &AppState, events: &[AuditEvent]) {
    state.service.after_commit(events).await;
}
