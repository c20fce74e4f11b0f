//! `POST /v1/posts`: check a post, store it with its result, open a case when a finding needs
//! a person (`review` or `violation`). An adapter over `quytac_service::posts`.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{body_bytes, parse_json, ApiPath};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::Json;
use quytac_service::posts::{Ingested, PostSource};
use quytac_store::model::Post;

pub async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    req: Request,
) -> ApiResult<(StatusCode, Json<Ingested>)> {
    let bytes = body_bytes(req, &state).await?;
    let item = super::check::item_from_value(parse_json(&bytes)?)?;
    let ingested = state
        .service
        .ingest(&caller.name(), item, PostSource::Api)
        .await?;
    Ok((StatusCode::CREATED, Json(ingested)))
}

pub async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Post>> {
    Ok(Json(state.service.post(&id).await?))
}
