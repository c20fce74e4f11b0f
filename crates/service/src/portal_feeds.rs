//! AG-4: an agency's portal feed — its address or an uploaded feed, a conditional refresh
//! through [`crate::fetch`] under [`crate::Settings::fetch`], and the comparison of a page
//! post with the portal's articles. Setting and refreshing are for admins and the agency's
//! own officers; checking a post stores nothing.

use crate::{fetch, Actor, ErrorKind, Result, Service, ServiceError};
use fetch::{Fetched, Validators};
use quytac_core::agency::feed::{parse_feed_with, FeedLimits};
use quytac_core::finding::{Finding, Verdict};
use quytac_core::item::Item;
use quytac_core::workflow::agency::{may_act_for, may_read_agency_post};
use quytac_store::consultations::{NewPortalArticle, PortalFeedState, PortalFetch, PortalRefresh};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// At most this many articles are read from one feed.
const MAX_FEED_ITEMS: usize = 1000;

/// What an agency sends as its feed.
#[derive(Debug, Clone)]
pub enum FeedSource {
    /// The feed's address, read by [`Service::refresh_portal`].
    Url(String),
    /// The feed itself (RSS 2.0 or Atom XML), read at once.
    Upload(Vec<u8>),
}

/// `{"url": "https://…"}`: the feed's address.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetFeedUrl {
    pub url: String,
}

/// The feed's state and how many articles are stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedView {
    pub feed: Option<PortalFeedState>,
    pub articles: i64,
    /// Whether the server answered 304 (a refresh only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_modified: Option<bool>,
    /// What storing the articles changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<PortalRefresh>,
}

/// What `check` compares: a page post given in full, or a stored post by its id.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalCheck {
    #[serde(default)]
    pub post_id: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

/// The article that tells of the post's event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComparedArticle {
    pub url: String,
    pub title: String,
    pub similarity: f64,
    pub agreeing_facts: usize,
    pub differing_facts: usize,
}

/// A fact the post and the article state differently.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MismatchView {
    pub kind: String,
    pub post_text: String,
    pub post_value: String,
    pub start: usize,
    pub end: usize,
    pub article_text: String,
    pub article_value: String,
    pub article_url: String,
    pub article_title: String,
}

/// The comparison of a post with the portal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PortalCheckView {
    pub agency_id: String,
    pub post_id: String,
    pub articles_compared: usize,
    pub article: Option<ComparedArticle>,
    pub mismatches: Vec<MismatchView>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
}

impl Service {
    /// Parses feed bytes under the fetch size limit into articles to store.
    fn read_feed(&self, bytes: &[u8]) -> Result<Vec<NewPortalArticle>> {
        let limits = FeedLimits {
            max_bytes: self.settings.fetch.max_bytes,
            max_items: MAX_FEED_ITEMS,
        };
        let feed = parse_feed_with(bytes, limits).map_err(|e| {
            ServiceError::new(
                ErrorKind::InvalidFeed,
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

    async fn feed_view(&self, agency_id: &str) -> Result<FeedView> {
        Ok(FeedView {
            feed: self.store.portal_feed(agency_id).await?,
            articles: self.store.count_portal_articles(agency_id).await?,
            not_modified: None,
            refresh: None,
        })
    }

    /// Sets the feed's address, or stores the articles of an uploaded feed.
    pub async fn set_portal_feed(
        &self,
        actor: &Actor,
        agency_id: &str,
        source: FeedSource,
    ) -> Result<FeedView> {
        let agency = self.agency_or_404(agency_id).await?;
        may_act_for(actor, &agency.id)?;
        match source {
            FeedSource::Upload(bytes) => {
                let articles = self.read_feed(&bytes)?;
                let (outcome, events) = self
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
                        &actor.name(),
                    )
                    .await?;
                self.after_commit(&events).await;
                let mut v = self.feed_view(&agency.id).await?;
                v.refresh = Some(outcome);
                Ok(v)
            }
            FeedSource::Url(url) => {
                let url = url.trim();
                fetch::check_url(url, &self.settings.fetch)
                    .map_err(|e| ServiceError::invalid_field(format!("`url`: {e}")))?;
                let (feed, events) = self
                    .store
                    .set_portal_feed_url(&agency.id, url, &actor.name())
                    .await?;
                self.after_commit(&events).await;
                Ok(FeedView {
                    feed: Some(feed),
                    articles: 0,
                    not_modified: None,
                    refresh: None,
                })
            }
        }
    }

    /// Reads the feed at the agency's address, conditionally. A 304 changes nothing; a
    /// failure is recorded and answered with a clear error.
    pub async fn refresh_portal(&self, actor: &Actor, agency_id: &str) -> Result<FeedView> {
        let agency = self.agency_or_404(agency_id).await?;
        may_act_for(actor, &agency.id)?;
        let Some(url) = agency.portal_feed_url.clone() else {
            return Err(ServiceError::new(
                ErrorKind::NoPortalFeed,
                format!(
                    "agency `{agency_id}` has no portal feed address; set one with POST /v1/agencies/{agency_id}/portal/feed"
                ),
            ));
        };
        let known = self.store.portal_feed(&agency.id).await?;
        // Validators only hold for the address they came from.
        let previous = known
            .as_ref()
            .filter(|f| f.url.as_deref() == Some(url.as_str()))
            .map(|f| Validators {
                etag: f.etag.clone(),
                last_modified: f.last_modified.clone(),
            })
            .filter(|v| v.etag.is_some() || v.last_modified.is_some());
        let fetched = match fetch::get(
            &url,
            &self.settings.fetch,
            self.settings.dns_server,
            previous.as_ref(),
        )
        .await
        {
            Ok(f) => f,
            Err(e) => {
                self.record_feed_error(actor, &agency.id, &url, &e.0)
                    .await?;
                return Err(ServiceError::new(
                    ErrorKind::FeedFetchFailed,
                    format!("the portal feed could not be read: {e}"),
                ));
            }
        };
        match fetched {
            Fetched::NotModified => Ok(FeedView {
                feed: known,
                articles: self.store.count_portal_articles(&agency.id).await?,
                not_modified: Some(true),
                refresh: None,
            }),
            Fetched::Body { bytes, validators } => {
                let articles = match self.read_feed(&bytes) {
                    Ok(a) => a,
                    Err(e) => {
                        self.record_feed_error(actor, &agency.id, &url, &e.message)
                            .await?;
                        return Err(e);
                    }
                };
                let (outcome, events) = self
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
                        &actor.name(),
                    )
                    .await?;
                self.after_commit(&events).await;
                let mut v = self.feed_view(&agency.id).await?;
                v.not_modified = Some(false);
                v.refresh = Some(outcome);
                Ok(v)
            }
        }
    }

    /// The agency a stored post is by: the agency its author names, or whose page wrote it.
    async fn post_agency(&self, item_json: &str) -> Result<Option<String>> {
        let Ok(Item::Post(p)) = serde_json::from_str::<Item>(item_json) else {
            return Ok(None);
        };
        match (p.author.agency.filter(|a| !a.is_empty()), p.author.id) {
            (Some(a), _) => Ok(Some(a)),
            (None, Some(handle)) => Ok(self.store.agency_id_by_page_handle(&handle).await?),
            _ => Ok(None),
        }
    }

    /// A stored post's text, for `actor`: staff read any post, an officer only their own
    /// agency's (`workflow::agency::may_read_agency_post`). Another agency's post and a
    /// missing one get the same answer.
    async fn agency_post_text(&self, actor: &Actor, pid: &str) -> Result<String> {
        let not_found = || ServiceError::not_found(format!("post `{pid}` not found"));
        let Some(post) = self.store.post_by_external_id(pid).await? else {
            return Err(not_found());
        };
        let item_json = self.store.post_item_json(pid).await?.unwrap_or_default();
        let post_agency = self.post_agency(&item_json).await?;
        if may_read_agency_post(actor, post_agency.as_deref()) {
            Ok(post.text)
        } else {
            Err(not_found())
        }
    }

    /// Compares a page post (or a stored post) with the portal's articles; nothing is stored.
    pub async fn check_with_portal(
        &self,
        actor: &Actor,
        agency_id: &str,
        cmd: PortalCheck,
    ) -> Result<PortalCheckView> {
        let agency = self.agency_or_404(agency_id).await?;
        let (id, text) = match (cmd.post_id, cmd.text) {
            (Some(pid), None) => {
                let text = self.agency_post_text(actor, &pid).await?;
                (pid, text)
            }
            (None, Some(text)) if !text.trim().is_empty() => (cmd.id.unwrap_or_default(), text),
            _ => {
                return Err(ServiceError::invalid_field(
                    "send a page post {\"id\": \"…\", \"text\": \"…\"} or a stored post {\"post_id\": \"…\"}",
                ))
            }
        };
        let (articles, found, findings) = self.compare_with_portal(&agency.id, &text).await?;
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        let article = found.article.map(|i| ComparedArticle {
            url: articles[i].url.clone(),
            title: articles[i].title.clone(),
            similarity: round(found.similarity),
            agreeing_facts: found.agreeing,
            differing_facts: found.differing,
        });
        let mismatches = found
            .mismatches
            .iter()
            .map(|m| MismatchView {
                kind: m.kind.as_str().into(),
                post_text: m.post_text.clone(),
                post_value: m.post_value.clone(),
                start: m.post_span.0,
                end: m.post_span.1,
                article_text: m.article_text.clone(),
                article_value: m.article_value.clone(),
                article_url: m.article_url.clone(),
                article_title: m.article_title.clone(),
            })
            .collect();
        Ok(PortalCheckView {
            agency_id: agency.id,
            post_id: id,
            articles_compared: articles.len(),
            article,
            mismatches,
            verdict: Verdict::of(&findings),
            findings,
        })
    }
}

impl Service {
    /// Records a failed read of a feed (its address and why).
    async fn record_feed_error(
        &self,
        actor: &Actor,
        agency_id: &str,
        url: &str,
        message: &str,
    ) -> Result<()> {
        let events = self
            .store
            .record_portal_error(agency_id, url, message, &actor.name())
            .await?;
        self.after_commit(&events).await;
        Ok(())
    }

    /// Whether agency `agency_id` exists (a not-found error otherwise).
    pub async fn agency_exists(&self, agency_id: &str) -> Result<()> {
        self.agency_or_404(agency_id).await.map(|_| ())
    }

    /// The checks of [`Service::set_portal_feed`] before its body is read: the agency exists
    /// and the actor acts for it.
    pub async fn set_portal_feed_check(&self, actor: &Actor, agency_id: &str) -> Result<()> {
        let agency = self.agency_or_404(agency_id).await?;
        may_act_for(actor, &agency.id)?;
        Ok(())
    }
}
