//! `POST /v1/posts`, `POST /v1/posts/batch`, `GET /v1/posts/{id}`: ingest posts and show them.
//! An adapter over `quytac_service::posts`; with the pipeline (`--nats`) the posts are
//! published to NATS JetStream instead and answered `202 queued` once JetStream has them
//! (`quytac_pipeline`), and `quytac worker` processes check and store them.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{body_bytes, parse_json, ApiPath};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use quytac_core::item::Item;
use quytac_core::workflow::decree147::DecreeFinding;
use quytac_core::workflow::Refusal;
use quytac_pipeline::message::PostMessage;
use quytac_service::posts::{BatchOutcome, BatchPost, PostSource};
use quytac_store::model::Post;
use serde::Serialize;
use utoipa::ToSchema;

/// Most posts one `POST /v1/posts/batch` may carry.
pub const MAX_BATCH_LINES: usize = 1000;

/// `201` with the stored post (`Ingested`); with the pipeline, `202` with `quytac_pipeline::Queued`.
pub async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    req: Request,
) -> ApiResult<Response> {
    let bytes = body_bytes(req, &state).await?;
    let item = super::check::item_from_value(parse_json(&bytes)?)?;
    if let Some(pipeline) = &state.pipeline {
        // Decree 147 at the ingress: a post the worker would refuse is not queued.
        if matches!(item, Item::Post(_)) {
            state.service.check_decree_writer(author_of(&item)).await?;
        }
        let queued = pipeline
            .publisher
            .publish(&item, PostSource::Api, &caller.name())
            .await?;
        return Ok((StatusCode::ACCEPTED, Json(queued)).into_response());
    }
    let ingested = state
        .service
        .ingest(&caller.name(), item, PostSource::Api)
        .await?;
    Ok((StatusCode::CREATED, Json(ingested)).into_response())
}

/// A line of a batch that was not taken, numbered from 1.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineError {
    pub line: usize,
    pub error: String,
    /// The Decree 147 rule that refused the post (`ND-1`, `ND-4`), when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl LineError {
    fn bad(line: usize, error: String) -> LineError {
        LineError {
            line,
            error,
            rule: None,
        }
    }

    fn refused(line: usize, finding: DecreeFinding) -> LineError {
        LineError {
            line,
            rule: Some(finding.rule.clone()),
            error: Refusal::Decree(finding).to_string(),
        }
    }
}

/// The answer to `POST /v1/posts/batch`: each post taken (`queued` with the pipeline,
/// `checked` without) and each line refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAccepted {
    pub posts: Vec<PostAccepted>,
    pub errors: Vec<LineError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostAccepted {
    /// The post's own id.
    pub post: String,
    /// `queued` (in the stream) or `checked` (stored with its result).
    pub status: &'static str,
}

/// JSON Lines in, one post a line (at most [`MAX_BATCH_LINES`], within the body limit).
/// A bad line is reported with its number and the other lines are still taken.
pub async fn batch(
    State(state): State<AppState>,
    caller: Caller,
    req: Request,
) -> ApiResult<Response> {
    let bytes = body_bytes(req, &state).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::new(Code::UnreadableBody, "the body is not UTF-8"))?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if lines.len() > MAX_BATCH_LINES {
        return Err(ApiError::invalid_field(format!(
            "at most {MAX_BATCH_LINES} posts per batch"
        )));
    }
    let by = caller.name();
    let mut errors = Vec::new();
    let mut items = Vec::with_capacity(lines.len());
    for (no, line) in lines {
        let item = Item::from_json(line).and_then(|item| match item {
            Item::Post(_) => Ok(item),
            Item::Profile(_) => {
                Err("only posts can be ingested; use /v1/check for profiles".into())
            }
        });
        match item {
            Ok(item) => items.push((no, item)),
            Err(error) => errors.push(LineError::bad(no, error)),
        }
    }
    let mut posts = Vec::with_capacity(items.len());
    if let Some(pipeline) = &state.pipeline {
        // Decree 147 at the ingress (the authors' accounts in one query): a post the worker
        // would refuse is answered on its line, not queued.
        let authors: Vec<Option<&str>> = items.iter().map(|(_, item)| author_of(item)).collect();
        let refusals = state.service.decree_refusals(&authors).await?;
        let mut allowed = Vec::with_capacity(items.len());
        for ((no, item), refusal) in items.into_iter().zip(refusals) {
            match refusal {
                Some(finding) => errors.push(LineError::refused(no, finding)),
                None => allowed.push((no, item)),
            }
        }
        // Every post is sent before any acknowledgement is awaited.
        let mut acks = Vec::with_capacity(allowed.len());
        for (no, item) in &allowed {
            match PostMessage::new(item, PostSource::Api, &by) {
                Ok(msg) => {
                    let ack = pipeline
                        .publisher
                        .send(msg.subject, msg.headers, msg.body)
                        .await?;
                    acks.push((no, msg.external_id, ack));
                }
                Err(e) => errors.push(LineError::bad(*no, e.message)),
            }
        }
        for (no, post, ack) in acks {
            match ack.await {
                Ok(_) => posts.push(PostAccepted {
                    post,
                    status: "queued",
                }),
                Err(e) => errors.push(LineError::bad(*no, format!("not queued: {e}"))),
            }
        }
        errors.sort_by_key(|e| e.line);
        return Ok((StatusCode::ACCEPTED, Json(BatchAccepted { posts, errors })).into_response());
    }
    let lines: Vec<usize> = items.iter().map(|(no, _)| *no).collect();
    let batch = items
        .into_iter()
        .map(|(_, item)| BatchPost {
            by: by.clone(),
            item,
            source: PostSource::Api,
        })
        .collect();
    let outcomes = state.service.ingest_batch(batch).await?;
    for (no, outcome) in lines.into_iter().zip(outcomes) {
        match outcome {
            BatchOutcome::Stored(done) => posts.push(PostAccepted {
                post: done.ingested.post.external_id,
                status: "checked",
            }),
            BatchOutcome::Refused(r) => errors.push(LineError::refused(no, r.finding)),
        }
    }
    errors.sort_by_key(|e| e.line);
    Ok((StatusCode::CREATED, Json(BatchAccepted { posts, errors })).into_response())
}

fn author_of(item: &Item) -> Option<&str> {
    match item {
        Item::Post(post) => post.author.id.as_deref(),
        Item::Profile(_) => None,
    }
}

/// A post as `GET /v1/posts/{id}` shows it: `checked` with the stored post, or `queued`
/// (in the pipeline's stream, not yet stored).
#[derive(Debug, Serialize, ToSchema)]
pub struct PostState {
    /// The post's own id.
    pub post: String,
    /// `checked` or `queued`.
    pub status: &'static str,
    /// The stored post with its check result (when `checked`).
    #[serde(flatten)]
    pub stored: Option<Post>,
}

pub async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<PostState>> {
    match state.service.post(&id).await {
        Ok(post) => Ok(Json(PostState {
            post: post.external_id.clone(),
            status: "checked",
            stored: Some(post),
        })),
        Err(e) if e.kind == quytac_service::ErrorKind::NotFound => {
            if let Some(pipeline) = &state.pipeline {
                if pipeline.publisher.is_queued(&id).await? {
                    return Ok(Json(PostState {
                        post: id,
                        status: "queued",
                        stored: None,
                    }));
                }
            }
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}
