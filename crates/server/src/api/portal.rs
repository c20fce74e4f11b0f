//! AG-4: an agency's page posts must agree with its official portal.
//!
//! The flow: the agency gives the address of its portal's RSS 2.0 or Atom feed (or uploads the
//! feed file itself); `refresh` reads it with a conditional GET (`If-None-Match` /
//! `If-Modified-Since` from the last read, so a `304 Not Modified` changes nothing) through
//! `quytac_service::fetch` (HTTPS only, timeouts, size limit, no redirect to another host) and keeps
//! its articles. `check` compares a page post with the stored articles
//! (`quytac_core::agency::portal`): the articles on the same subject (shared content-word
//! bigrams) are found, the facts both state (numbers with units, money, percentages, dates,
//! times, document numbers) are aligned, and each that differs becomes a
//! `portal_inconsistency` finding of the pack's rule for agencies (AG-4) that shows both
//! values and links the article.
//!
//! Setting the feed and refreshing it are for admins and the agency's own officers (a token
//! bound to the agency); checking a post is open to staff and officers, and a stored post
//! (`post_id`) is read for an officer only when it is their own agency's — another's is
//! answered like a missing one.
//!
//! Posts ingested through `POST /v1/posts` whose author is an agency (`author.role = agency`,
//! the agency named by `author.agency` or found by the page handle `author.id`) get the same
//! check in the ingest path (`quytac_service::portal`): it costs one query and a comparison
//! with at most `MAX_COMPARED` articles, only for agency posts, and a mismatch then opens a
//! case like any finding that needs a person.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{body_bytes, parse_json, ApiPath};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::Json;
use quytac_service::portal_feeds::{
    FeedSource, FeedView, PortalCheck, PortalCheckView, SetFeedUrl,
};

/// `POST /v1/agencies/{id}/portal/feed`: `{"url": "https://…"}` sets the feed's address (read
/// it with `refresh`); a body that is the feed itself (RSS or Atom XML) is read at once.
pub async fn set_feed(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(agency_id): ApiPath<String>,
    req: Request,
) -> ApiResult<Json<FeedView>> {
    let xml_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("xml"));
    let bytes = body_bytes(req, &state).await?;
    let first = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or(&bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied();
    let source = if xml_type || first == Some(b'<') {
        FeedSource::Upload(bytes.to_vec())
    } else {
        // The agency must exist and be the caller's before the body's shape is judged.
        state
            .service
            .set_portal_feed_check(&caller, &agency_id)
            .await?;
        let body: SetFeedUrl = parse_json(&bytes).map_err(|e| {
            ApiError::new(
                e.code,
                format!(
                    "send {{\"url\": \"https://…\"}} or the feed itself (RSS 2.0 or Atom XML): {}",
                    e.message
                ),
            )
        })?;
        FeedSource::Url(body.url)
    };
    Ok(Json(
        state
            .service
            .set_portal_feed(&caller, &agency_id, source)
            .await?,
    ))
}

/// `POST /v1/agencies/{id}/portal/refresh`: reads the feed at the agency's address,
/// conditionally. A 304 changes nothing; a failure is recorded and answered with a clear error.
pub async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(agency_id): ApiPath<String>,
) -> ApiResult<Json<FeedView>> {
    Ok(Json(
        state.service.refresh_portal(&caller, &agency_id).await?,
    ))
}

/// `POST /v1/agencies/{id}/portal/check`: body `{"id": "…", "text": "…"}` (a page post) or
/// `{"post_id": "…"}` (a stored post). Nothing is stored.
pub async fn check(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(agency_id): ApiPath<String>,
    req: Request,
) -> ApiResult<Json<PortalCheckView>> {
    let bytes = body_bytes(req, &state).await?;
    // An unknown agency is answered before a malformed body.
    state.service.agency_exists(&agency_id).await?;
    let cmd: PortalCheck = parse_json(&bytes)?;
    Ok(Json(
        state
            .service
            .check_with_portal(&caller, &agency_id, cmd)
            .await?,
    ))
}
