//! `POST /v1/check`: the engine over HTTP. Nothing is stored. The work is bounded
//! ([`crate::limits`]): items over the per-item limits are refused before any check, the
//! checks run on the check pool with the request's deadline, and each result is cut to the
//! limits of findings and evidence (`truncated`).

use crate::check_pool::{Job, PoolError};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{body_bytes, parse_json};
use crate::limits::CheckLimits;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::Json;
use quytac_core::engine::{CheckResult, EngagementLog, Engine};
use quytac_core::item::Item;
use quytac_core::limits::Size;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Instant;
use utoipa::ToSchema;

/// The body of `POST /v1/check`: one item, or an array of at most `Limits::max_batch_items`
/// (1,000 by default), each within `Limits::check`. It is read
/// by [`item_from_value`] (an item without `type` is a post, and a bad item is named by its
/// index); this type describes it in the OpenAPI document.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CheckRequest {
    One(Item),
    Many(Vec<Item>),
}

/// The answer: one result, or one per item in order.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum CheckResponse {
    One(CheckResult),
    Many(Vec<CheckResult>),
}

/// Reads one item from JSON; an item without `type` is a post (CONTRACT.md, section 1).
pub fn item_from_value(mut v: Value) -> Result<Item, ApiError> {
    let Some(obj) = v.as_object_mut() else {
        return Err(ApiError::new(
            Code::InvalidItem,
            "an item must be a JSON object",
        ));
    };
    match obj.get("type") {
        None => {
            obj.insert("type".into(), "post".into());
        }
        Some(Value::String(t)) if t == "post" || t == "profile" => {}
        Some(other) => {
            return Err(ApiError::new(
                Code::InvalidItem,
                format!("unknown item type {other}: expected \"post\" or \"profile\""),
            ));
        }
    }
    serde_json::from_value(v).map_err(|e| ApiError::invalid_field(format!("invalid item: {e}")))
}

/// Refuses an item over the per-item limits (`413 text_too_long`), or gives its size.
pub fn admit(limits: &CheckLimits, item: &Item) -> Result<Size, ApiError> {
    limits.admit(item).map_err(|e| {
        ApiError::new(
            Code::TextTooLong,
            format!("{e}; split it, or check it with `quytac check`"),
        )
    })
}

/// Checks admitted items in order, applying CS-8 between them, each result cut to `limits`.
/// `None` when the job was cancelled (its request timed out or went away) before the end:
/// the deadline is looked at between items.
pub fn check_items(
    engine: &Engine,
    items: &[Item],
    limits: &CheckLimits,
    job: Option<&Job>,
) -> Option<Vec<CheckResult>> {
    let mut log = EngagementLog::with_capacity(items.len().max(1));
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        if job.is_some_and(Job::cancelled) {
            return None;
        }
        let mut r = engine.check(item);
        log.resolve(engine, item, &mut r);
        limits.bound(&mut r);
        results.push(r);
    }
    Some(results)
}

/// Checks admitted items of `chars` characters together: on the check pool, or, for a text
/// so short that handing it over would cost more than checking it (at most
/// `Limits::inline_max_chars`), right here. Shared by `POST /v1/check` and the web checker.
pub async fn run_checks(
    state: &AppState,
    items: Vec<Item>,
    chars: usize,
    deadline: Instant,
) -> Result<Vec<CheckResult>, ApiError> {
    let limits = state.config.limits.check;
    if chars <= state.config.limits.inline_max_chars && items.len() == 1 {
        return Ok(check_items(state.service.engine(), &items, &limits, None).unwrap_or_default());
    }
    let service = state.service.clone();
    state
        .checks
        .run(deadline, move |job| {
            check_items(service.engine(), &items, &limits, Some(job))
        })
        .await
        .map_err(|e| match e {
            PoolError::Busy => {
                ApiError::new(Code::Busy, "every checker is busy; try again in a moment")
            }
            PoolError::Failed => ApiError::new(Code::Internal, "the check failed"),
        })?
        .ok_or_else(|| ApiError::new(Code::Timeout, "the check took longer than the time limit"))
}

pub async fn check(State(state): State<AppState>, req: Request) -> ApiResult<Json<CheckResponse>> {
    // The deadline of the timeout layer, which answers `503 timeout` and drops this request;
    // the pool's job looks at it between items and stops.
    let deadline = Instant::now() + state.config.request_timeout;
    let bytes = body_bytes(req, &state).await?;
    let value: Value = parse_json(&bytes)?;
    let limits = &state.config.limits;
    match value {
        Value::Array(values) => {
            if values.len() > limits.max_batch_items {
                return Err(ApiError::new(
                    Code::TooManyItems,
                    format!(
                        "{} items; a request takes at most {}",
                        values.len(),
                        limits.max_batch_items
                    ),
                ));
            }
            let mut chars = 0;
            let items = values
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    let item = item_from_value(v)
                        .and_then(|item| admit(&limits.check, &item).map(|size| (item, size)));
                    match item {
                        Ok((item, size)) => {
                            chars += size.chars;
                            Ok(item)
                        }
                        Err(e) => Err(ApiError::new(e.code, format!("item {i}: {}", e.message))),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let results = run_checks(&state, items, chars, deadline).await?;
            Ok(Json(CheckResponse::Many(results)))
        }
        v => {
            let item = item_from_value(v)?;
            let size = admit(&limits.check, &item)?;
            let mut results = run_checks(&state, vec![item], size.chars, deadline).await?;
            let one = results
                .pop()
                .ok_or_else(|| ApiError::new(Code::Internal, "the check gave no result"))?;
            Ok(Json(CheckResponse::One(one)))
        }
    }
}
