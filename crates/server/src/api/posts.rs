//! `POST /v1/posts`: check a post, store it with its result, open a case when a finding needs
//! a person (`review` or `violation`).

use super::after_write;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{body_bytes, parse_json, ApiPath};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::Json;
use quytac_core::engine::{CheckResult, EngagementLog};
use quytac_core::finding::Verdict;
use quytac_core::item::Item;
use quytac_store::model::NewPost;
use serde_json::{json, Value};

pub async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    req: Request,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let bytes = body_bytes(req, &state).await?;
    let item = super::check::item_from_value(parse_json(&bytes)?)?;
    let out = ingest_item(&state, item, "api", &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Checks and stores a post item; shared by the API and the Mastodon webhook.
pub(crate) async fn ingest_item(
    state: &AppState,
    item: Item,
    source: &str,
    actor: &str,
) -> ApiResult<Value> {
    let Item::Post(post) = &item else {
        return Err(ApiError::new(
            Code::InvalidItem,
            "only posts can be ingested; use /v1/check for profiles",
        ));
    };
    let mut result = state.engine.check(&item);
    apply_engagement(state, &item, &mut result).await?;
    // AG-4: an agency page's post is compared with its portal's articles.
    super::portal::check_ingested(state, post, &mut result).await?;
    let needs_case = result.verdict != Verdict::Pass;
    let new = NewPost {
        external_id: post.id.clone(),
        author_id: post.author.id.clone().filter(|a| !a.is_empty()),
        text: post.text.clone(),
        item_json: serde_json::to_string(&item).unwrap_or_default(),
        result_json: serde_json::to_string(&result).unwrap_or_default(),
        verdict: result.verdict.as_str().to_string(),
        label: result.label.map(|l| l.as_str().to_string()),
        source: source.to_string(),
    };
    let ingested = state.store.ingest_post(&new, needs_case, actor).await?;
    after_write(state, &ingested.events).await;
    Ok(json!({
        "post": ingested.post,
        "result": result,
        "case": ingested.case,
    }))
}

/// CS-8 across requests: a post that likes or shares a stored harmful post.
async fn apply_engagement(
    state: &AppState,
    item: &Item,
    result: &mut CheckResult,
) -> ApiResult<()> {
    let Item::Post(p) = item else { return Ok(()) };
    let Some(e) = &p.engages else { return Ok(()) };
    let Some(target_json) = state.store.post_item_json(&e.target_id).await? else {
        return Ok(());
    };
    let Ok(target) = serde_json::from_str::<Item>(&target_json) else {
        return Ok(());
    };
    let mut log = EngagementLog::with_capacity(2);
    let mut target_result = state.engine.check(&target);
    log.resolve(&state.engine, &target, &mut target_result);
    log.resolve(&state.engine, item, result);
    Ok(())
}

pub async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let post = state
        .store
        .post_by_external_id(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("post `{id}` not found")))?;
    Ok(Json(json!(post)))
}
