//! `POST /v1/check`: the engine over HTTP. Nothing is stored.

use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{body_bytes, parse_json};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::Json;
use quytac_core::engine::{CheckResult, EngagementLog, Engine};
use quytac_core::item::Item;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The body of `POST /v1/check`: one item, or an array of at most [`MAX_BATCH`]. It is read
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

/// Most items one request may carry.
pub const MAX_BATCH: usize = 1000;

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

/// Checks items in order, applying CS-8 between them.
pub fn check_items(engine: &Engine, items: &[Item]) -> Vec<CheckResult> {
    let mut log = EngagementLog::with_capacity(items.len().max(1));
    items
        .iter()
        .map(|item| {
            let mut r = engine.check(item);
            log.resolve(engine, item, &mut r);
            r
        })
        .collect()
}

pub async fn check(State(state): State<AppState>, req: Request) -> ApiResult<Json<CheckResponse>> {
    let bytes = body_bytes(req, &state).await?;
    let value: Value = parse_json(&bytes)?;
    match value {
        Value::Array(values) => {
            if values.len() > MAX_BATCH {
                return Err(ApiError::invalid_field(format!(
                    "at most {MAX_BATCH} items per request"
                )));
            }
            let items = values
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    item_from_value(v)
                        .map_err(|e| ApiError::new(e.code, format!("item {i}: {}", e.message)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let service = state.service.clone();
            let results =
                tokio::task::spawn_blocking(move || check_items(service.engine(), &items))
                    .await
                    .map_err(|_| ApiError::new(Code::Internal, "the check failed"))?;
            Ok(Json(CheckResponse::Many(results)))
        }
        v => {
            let item = item_from_value(v)?;
            Ok(Json(CheckResponse::One(state.service.check(&item))))
        }
    }
}
