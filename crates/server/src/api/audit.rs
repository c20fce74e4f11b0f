//! The audit log: read it, verify it, checkpoint it.

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_service::signing::verify_checkpoint;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub after: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let events = state
        .store
        .audit_events(q.after.unwrap_or(0), limit)
        .await?;
    let next_after = events.last().map(|e| e.seq);
    Ok(Json(json!({"events": events, "next_after": next_after})))
}

/// Recomputes the chain and checks every checkpoint: its signature, its key (ours), and that
/// the event it names still has the signed hash.
pub async fn verify(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let report = state.store.verify_chain().await?;
    let checkpoints = state.store.checkpoints().await?;
    let hashes: HashMap<i64, &str> = report
        .hashes
        .iter()
        .map(|(s, h)| (*s, h.as_str()))
        .collect();
    let ours = state.signer.public_key_hex();
    let mut first_bad_checkpoint = None;
    for c in &checkpoints {
        let problem = if c.public_key != ours {
            Some("signed_by_another_key")
        } else if !verify_checkpoint(c) {
            Some("bad_signature")
        } else if hashes.get(&c.seq) != Some(&c.hash.as_str()) {
            Some("event_hash_differs")
        } else {
            None
        };
        if let Some(p) = problem {
            first_bad_checkpoint = Some(json!({"seq": c.seq, "reason": p}));
            break;
        }
    }
    Ok(Json(json!({
        "ok": report.ok && first_bad_checkpoint.is_none(),
        "events": report.events,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "first_broken": report.first_broken,
        "checkpoints": checkpoints.len(),
        "first_bad_checkpoint": first_bad_checkpoint,
        "public_key": ours,
    })))
}

pub async fn checkpoint(State(state): State<AppState>) -> ApiResult<(StatusCode, Json<Value>)> {
    let head = state
        .store
        .audit_head()
        .await?
        .ok_or_else(|| ApiError::not_found("the audit log is empty"))?;
    let c = state.service.sign_checkpoint(head.seq, &head.hash).await?;
    Ok((StatusCode::CREATED, Json(json!({"checkpoint": c}))))
}
