//! Counting visits for Decree 147's provider report (`quytac_service::visits`): a GET of a
//! page or an API read answered with success counts one page view in memory; the counts are
//! flushed to the store every [`FLUSH_EVERY`] and at shutdown. Health checks, metrics, the
//! OpenAPI document and static files are not visits.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Duration;

/// How often the counts in memory are added to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(10);

/// Whether a GET of the route `path` is a visit.
fn is_visit(path: &str) -> bool {
    !matches!(path, "/healthz" | "/metrics" | "/openapi.json") && !path.starts_with("/static/")
}

/// Counts the request as a page view when it is a successful GET of a page or an API read.
pub async fn count(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let visit = req.method() == Method::GET
        && req
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|p| is_visit(p.as_str()));
    let resp = next.run(req).await;
    if visit && resp.status().is_success() {
        state.service.count_visit();
    }
    resp
}

/// Flushes the counts every [`FLUSH_EVERY`]; runs until aborted.
pub async fn flush_forever(service: quytac_service::Service) {
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = service.flush_visits().await {
            tracing::warn!(error = %e, "flushing the visit counts failed; kept for the next");
        }
    }
}
