//! Checking items, and ingesting posts into moderation.

use crate::{ErrorKind, Result, Service, ServiceError};
use quytac_core::engine::{CheckResult, EngagementLog};
use quytac_core::finding::Verdict;
use quytac_core::item::Item;
use quytac_core::workflow::CaseSource;
use quytac_store::model::{Case, NewPost, Post};
use serde::Serialize;
use utoipa::ToSchema;

/// Where an ingested post came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostSource {
    /// `POST /v1/posts` (or the demo).
    Api,
    /// The Mastodon webhook.
    Mastodon,
}

impl PostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PostSource::Api => "api",
            PostSource::Mastodon => "mastodon",
        }
    }
}

/// A post as stored, with its check result and the case it needs, if any.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ingested {
    pub post: Post,
    pub result: CheckResult,
    pub case: Option<Case>,
}

impl Service {
    /// Checks one item alone; nothing is stored.
    pub fn check(&self, item: &Item) -> CheckResult {
        self.engine.check(item)
    }

    /// Checks a post and stores it with its result; when a finding needs a person
    /// (`review` or `violation`), opens a case or joins the one already open.
    /// `by` is the name the audit log records (an [`crate::Actor`]'s name, or an integration's).
    pub async fn ingest(&self, by: &str, item: Item, source: PostSource) -> Result<Ingested> {
        let Item::Post(post) = &item else {
            return Err(ServiceError::new(
                ErrorKind::InvalidItem,
                "only posts can be ingested; use /v1/check for profiles",
            ));
        };
        let mut result = self.engine.check(&item);
        self.apply_engagement(&item, &mut result).await?;
        self.check_against_portal(post, &mut result).await?;
        let new = NewPost {
            external_id: post.id.clone(),
            author_id: post.author.id.clone().filter(|a| !a.is_empty()),
            text: post.text.clone(),
            item_json: serde_json::to_string(&item).unwrap_or_default(),
            result_json: serde_json::to_string(&result).unwrap_or_default(),
            verdict: result.verdict,
            label: result.label,
            source: source.as_str().to_string(),
        };
        let mut tx = self.store.write().await?;
        let stored = tx.upsert_post(&new, by).await?;
        let case = if result.verdict != Verdict::Pass {
            Some(
                tx.join_or_open_case(stored.id, CaseSource::Automated, result.verdict, by)
                    .await?,
            )
        } else {
            None
        };
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(Ingested {
            post: stored,
            result,
            case,
        })
    }

    /// A stored post by its own id.
    pub async fn post(&self, external_id: &str) -> Result<Post> {
        self.store
            .post_by_external_id(external_id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("post `{external_id}` not found")))
    }

    /// CS-8 across requests: a post that likes or shares a stored harmful post.
    async fn apply_engagement(&self, item: &Item, result: &mut CheckResult) -> Result<()> {
        let Item::Post(p) = item else { return Ok(()) };
        let Some(e) = &p.engages else { return Ok(()) };
        let Some(target_json) = self.store.post_item_json(&e.target_id).await? else {
            return Ok(());
        };
        let Ok(target) = serde_json::from_str::<Item>(&target_json) else {
            return Ok(());
        };
        let mut log = EngagementLog::with_capacity(2);
        let mut target_result = self.engine.check(&target);
        log.resolve(&self.engine, &target, &mut target_result);
        log.resolve(&self.engine, item, result);
        Ok(())
    }
}
