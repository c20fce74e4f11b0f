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
//! bound to the agency: `identity::act_for`); checking a post is open to staff and officers.
//!
//! Posts ingested through `POST /v1/posts` whose author is an agency (`author.role = agency`,
//! the agency named by `author.agency` or found by the page handle `author.id`) get the same
//! check in the ingest path (`quytac_service::portal`): it costs one query and a comparison
//! with at most `MAX_COMPARED` articles, only for agency posts, and a mismatch then opens a
//! case like any finding that needs a person.

use super::after_write;
use super::identity::act_for;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{body_bytes, parse_json, ApiPath};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::Json;
use quytac_core::agency::feed::{parse_feed_with, FeedLimits};
use quytac_core::finding::Verdict;
use quytac_service::fetch::{self, Fetched, Validators};
use quytac_store::consultations::{NewPortalArticle, PortalFeedState, PortalFetch};
use quytac_store::model::Agency;
use serde::Deserialize;
use serde_json::{json, Value};

/// At most this many articles are read from one feed.
const MAX_FEED_ITEMS: usize = 1000;

async fn agency(state: &AppState, id: &str) -> ApiResult<Agency> {
    state
        .store
        .agency(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no agency `{id}`")))
}

/// Parses feed bytes under the service's size limit into articles to store.
fn read_feed(state: &AppState, bytes: &[u8]) -> ApiResult<Vec<NewPortalArticle>> {
    let limits = FeedLimits {
        max_bytes: state.config.fetch.max_bytes,
        max_items: MAX_FEED_ITEMS,
    };
    let feed = parse_feed_with(bytes, limits).map_err(|e| {
        ApiError::new(
            Code::InvalidFeed,
            format!("the portal feed is unusable: {e}"),
        )
    })?;
    Ok(feed
        .articles
        .into_iter()
        .filter_map(|a| {
            let guid = if a.url.is_empty() {
                a.title.clone()
            } else {
                a.url.clone()
            };
            (!guid.is_empty()).then(|| NewPortalArticle {
                guid,
                url: a.url,
                title: a.title,
                text: a.text,
                published_at: a.published.map(|s| s.saturating_mul(1000)),
            })
        })
        .collect())
}

/// The feed's state and how many articles are stored.
fn feed_view(state: Option<&PortalFeedState>, articles: i64) -> Value {
    json!({"feed": state, "articles": articles})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedBody {
    url: String,
}

/// `POST /v1/agencies/{id}/portal/feed`: `{"url": "https://…"}` sets the feed's address (read
/// it with `refresh`); a body that is the feed itself (RSS or Atom XML) is read at once.
pub async fn set_feed(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(agency_id): ApiPath<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    let xml_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("xml"));
    let bytes = body_bytes(req, &state).await?;
    let agency = agency(&state, &agency_id).await?;
    act_for(&state, &caller, &agency.id).await?;
    let first = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or(&bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied();
    if xml_type || first == Some(b'<') {
        let articles = read_feed(&state, &bytes)?;
        let (outcome, events) = state
            .store
            .record_portal_fetch(
                &PortalFetch {
                    agency_id: agency.id.clone(),
                    source: "upload".into(),
                    url: None,
                    etag: None,
                    last_modified: None,
                    articles,
                },
                &caller.name(),
            )
            .await?;
        after_write(&state, &events).await;
        let feed = state.store.portal_feed(&agency.id).await?;
        let count = state.store.count_portal_articles(&agency.id).await?;
        let mut v = feed_view(feed.as_ref(), count);
        v["refresh"] = json!(outcome);
        return Ok(Json(v));
    }
    let body: FeedBody = parse_json(&bytes).map_err(|e| {
        ApiError::new(
            e.code,
            format!(
                "send {{\"url\": \"https://…\"}} or the feed itself (RSS 2.0 or Atom XML): {}",
                e.message
            ),
        )
    })?;
    let url = body.url.trim();
    fetch::check_url(url, &state.config.fetch)
        .map_err(|e| ApiError::invalid_field(format!("`url`: {e}")))?;
    let (feed, events) = state
        .store
        .set_portal_feed_url(&agency.id, url, &caller.name())
        .await?;
    after_write(&state, &events).await;
    Ok(Json(feed_view(Some(&feed), 0)))
}

/// `POST /v1/agencies/{id}/portal/refresh`: reads the feed at the agency's address,
/// conditionally. A 304 changes nothing; a failure is recorded and answered with a clear error.
pub async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(agency_id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let agency = agency(&state, &agency_id).await?;
    act_for(&state, &caller, &agency.id).await?;
    let Some(url) = agency.portal_feed_url.clone() else {
        return Err(ApiError::new(
            Code::NoPortalFeed,
            format!(
                "agency `{agency_id}` has no portal feed address; set one with POST /v1/agencies/{agency_id}/portal/feed"
            ),
        ));
    };
    let known = state.store.portal_feed(&agency.id).await?;
    // Validators only hold for the address they came from.
    let previous = known
        .as_ref()
        .filter(|f| f.url.as_deref() == Some(url.as_str()))
        .map(|f| Validators {
            etag: f.etag.clone(),
            last_modified: f.last_modified.clone(),
        })
        .filter(|v| v.etag.is_some() || v.last_modified.is_some());
    let fetched = match fetch::get(&url, &state.config.fetch, previous.as_ref()).await {
        Ok(f) => f,
        Err(e) => {
            let events = state
                .store
                .record_portal_error(&agency.id, &url, &e.0, &caller.name())
                .await?;
            after_write(&state, &events).await;
            return Err(ApiError::new(
                Code::FeedFetchFailed,
                format!("the portal feed could not be read: {e}"),
            ));
        }
    };
    match fetched {
        Fetched::NotModified => {
            let count = state.store.count_portal_articles(&agency.id).await?;
            let mut v = feed_view(known.as_ref(), count);
            v["not_modified"] = json!(true);
            Ok(Json(v))
        }
        Fetched::Body { bytes, validators } => {
            let articles = match read_feed(&state, &bytes) {
                Ok(a) => a,
                Err(e) => {
                    let events = state
                        .store
                        .record_portal_error(&agency.id, &url, &e.message, &caller.name())
                        .await?;
                    after_write(&state, &events).await;
                    return Err(e);
                }
            };
            let (outcome, events) = state
                .store
                .record_portal_fetch(
                    &PortalFetch {
                        agency_id: agency.id.clone(),
                        source: "url".into(),
                        url: Some(url.clone()),
                        etag: validators.etag,
                        last_modified: validators.last_modified,
                        articles,
                    },
                    &caller.name(),
                )
                .await?;
            after_write(&state, &events).await;
            let feed = state.store.portal_feed(&agency.id).await?;
            let count = state.store.count_portal_articles(&agency.id).await?;
            let mut v = feed_view(feed.as_ref(), count);
            v["not_modified"] = json!(false);
            v["refresh"] = json!(outcome);
            Ok(Json(v))
        }
    }
}

/// What `check` compares: a page post given in full, or a stored post by its id.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    #[serde(default)]
    post_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

/// `POST /v1/agencies/{id}/portal/check`: body `{"id": "…", "text": "…"}` (a page post) or
/// `{"post_id": "…"}` (a stored post). Nothing is stored.
pub async fn check(
    State(state): State<AppState>,
    ApiPath(agency_id): ApiPath<String>,
    req: Request,
) -> ApiResult<Json<Value>> {
    let bytes = body_bytes(req, &state).await?;
    let agency = agency(&state, &agency_id).await?;
    let body: CheckBody = parse_json(&bytes)?;
    let (id, text) = match (body.post_id, body.text) {
        (Some(pid), None) => {
            let post = state
                .store
                .post_by_external_id(&pid)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("post `{pid}` not found")))?;
            (pid, post.text)
        }
        (None, Some(text)) if !text.trim().is_empty() => (body.id.unwrap_or_default(), text),
        _ => {
            return Err(ApiError::invalid_field(
                "send a page post {\"id\": \"…\", \"text\": \"…\"} or a stored post {\"post_id\": \"…\"}",
            ))
        }
    };
    let (articles, found, findings) = state.service.compare_with_portal(&agency.id, &text).await?;
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let compared = found.article.map(|i| {
        json!({
            "url": articles[i].url, "title": articles[i].title,
            "similarity": round(found.similarity),
            "agreeing_facts": found.agreeing, "differing_facts": found.differing,
        })
    });
    let mismatches: Vec<Value> = found
        .mismatches
        .iter()
        .map(|m| {
            json!({
                "kind": m.kind.as_str(),
                "post_text": m.post_text, "post_value": m.post_value,
                "start": m.post_span.0, "end": m.post_span.1,
                "article_text": m.article_text, "article_value": m.article_value,
                "article_url": m.article_url, "article_title": m.article_title,
            })
        })
        .collect();
    Ok(Json(json!({
        "agency_id": agency.id,
        "post_id": id,
        "articles_compared": articles.len(),
        "article": compared,
        "mismatches": mismatches,
        "verdict": Verdict::of(&findings),
        "findings": findings,
    })))
}
