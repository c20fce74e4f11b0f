//! Takedown requests from authorities, due within 24 hours (ND-2).

use super::after_write;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use quytac_store::model::{NewTakedown, Takedown};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakedownBody {
    /// The post's own id.
    pub post_id: String,
    /// The requesting authority, e.g. "Cục Phát thanh, truyền hình và thông tin điện tử".
    pub authority: String,
    /// The legal basis cited, e.g. "Nghị định 147/2024/NĐ-CP, Điều 23".
    pub legal_basis: String,
    #[serde(default)]
    pub reason: String,
    /// When the request was received (Unix ms); defaults to now. The deadline runs from here.
    #[serde(default)]
    pub received_at: Option<i64>,
}

fn view(t: &Takedown, now: i64) -> Value {
    let mut v = json!(t);
    v["overdue"] = json!(t.status == "open" && t.deadline < now);
    v
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<TakedownBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let now = quytac_store::now_ms();
    let received_at = b.received_at.unwrap_or(now);
    if received_at <= 0 || received_at > now + 5 * 60 * 1000 {
        return Err(ApiError::invalid_field(
            "`received_at` must be a time in Unix milliseconds, not in the future",
        ));
    }
    if b.authority.trim().is_empty() || b.legal_basis.trim().is_empty() {
        return Err(ApiError::invalid_field(
            "`authority` and `legal_basis` must not be empty",
        ));
    }
    let (t, events) = state
        .store
        .create_takedown(&NewTakedown {
            post_id: b.post_id,
            authority: b.authority,
            legal_basis: b.legal_basis,
            reason: b.reason,
            requested_by: caller.actor(),
            received_at,
        })
        .await?;
    after_write(&state, &events).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({"takedown": view(&t, now)})),
    ))
}

#[derive(Deserialize)]
pub struct TakedownQuery {
    #[serde(default)]
    pub overdue: Option<bool>,
}

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<TakedownQuery>,
) -> ApiResult<Json<Value>> {
    let now = quytac_store::now_ms();
    let list = state
        .store
        .list_takedowns(q.overdue.unwrap_or(false).then_some(now))
        .await?;
    Ok(Json(
        json!({"takedowns": list.iter().map(|t| view(t, now)).collect::<Vec<_>>()}),
    ))
}
