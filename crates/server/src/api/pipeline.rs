//! `GET /v1/pipeline` and `GET /metrics`: the figures of the NATS JetStream pipeline
//! (`quytac_pipeline::stats`), as JSON for admins and as Prometheus gauges.

use crate::error::{ApiError, ApiResult, Code};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use quytac_pipeline::stats::PipelineStats;
use sha2::{Digest, Sha256};

/// Without `--nats` there is no pipeline to show: the resource does not exist.
fn not_configured() -> ApiError {
    ApiError::not_found("the service runs without the pipeline (start it with --nats)")
}

pub async fn stats(State(state): State<AppState>) -> ApiResult<Json<PipelineStats>> {
    let pipeline = state.pipeline.as_ref().ok_or_else(not_configured)?;
    let stats = pipeline.stats.read(pipeline.publisher.jetstream()).await?;
    Ok(Json(stats))
}

/// Prometheus text. Allowed to an admin token, or to the scrape token of the configuration
/// (`QUYTAC_METRICS_TOKEN`), compared in constant time through their hashes.
pub async fn metrics(State(state): State<AppState>, req: Request) -> ApiResult<Response> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .ok_or_else(|| {
            ApiError::new(
                Code::MissingToken,
                "this endpoint needs `Authorization: Bearer <token>`",
            )
        })?;
    let scrape = state
        .config
        .metrics_token
        .as_deref()
        .is_some_and(|m| Sha256::digest(m.as_bytes()) == Sha256::digest(token.as_bytes()));
    if !scrape {
        let caller = state.auth.authenticate(&state.store, &token).await?;
        if caller.role != crate::auth::Role::Admin {
            return Err(ApiError::forbidden(format!(
                "the role `{}` may not do this",
                caller.role
            )));
        }
    }
    let mut body =
        String::from("# HELP quytac_up The service answers\n# TYPE quytac_up gauge\nquytac_up 1\n");
    let configured = state.pipeline.is_some();
    body.push_str(&format!(
        "# HELP quytac_pipeline_configured The service publishes to the pipeline\n# TYPE quytac_pipeline_configured gauge\nquytac_pipeline_configured {}\n",
        u8::from(configured)
    ));
    body.push_str(&format!(
        "# HELP quytac_token_cache_live Token rows are served from memory: PostgreSQL's change notifications are heard (0 on SQLite, and while the listener is reconnecting)\n# TYPE quytac_token_cache_live gauge\nquytac_token_cache_live {}\n",
        u8::from(state.store.caches_tokens())
    ));
    if let Some(pipeline) = &state.pipeline {
        let stats = pipeline.stats.read(pipeline.publisher.jetstream()).await?;
        body.push_str(&stats.prometheus());
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response())
}
