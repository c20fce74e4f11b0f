//! Checking items, and ingesting posts into moderation.

use crate::{ErrorKind, Result, Service, ServiceError};
use quytac_core::engine::{CheckResult, EngagementLog};
use quytac_core::finding::Verdict;
use quytac_core::item::Item;
use quytac_core::workflow::decree147::DecreeFinding;
use quytac_core::workflow::CaseSource;
use quytac_store::audit::{chain_for_author, ChainId};
use quytac_store::model::{Case, NewPost, Post};
use serde::Serialize;
use utoipa::ToSchema;

/// How many audit chains the ingest writes on (chain 0 stays the workflow's): a single post
/// on its author's (`chain_for_author`), a batch on any free one. More chains let more
/// writers commit at once on PostgreSQL; every chain is verified, and the signed head covers
/// them all.
pub const AUDIT_SHARDS: u32 = 16;

/// Where an ingested post came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostSource {
    /// `POST /v1/posts` (or the demo).
    Api,
    /// The Mastodon webhook.
    Mastodon,
    /// A bulk import (`quytac publish`) through the pipeline.
    Import,
}

impl PostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PostSource::Api => "api",
            PostSource::Mastodon => "mastodon",
            PostSource::Import => "import",
        }
    }

    /// The source named by its stored word.
    pub fn from_word(word: &str) -> Option<PostSource> {
        [PostSource::Api, PostSource::Mastodon, PostSource::Import]
            .into_iter()
            .find(|s| s.as_str() == word)
    }
}

/// A post of [`Service::ingest_batch`]: who submitted it, the item, where it came from.
#[derive(Debug, Clone)]
pub struct BatchPost {
    pub by: String,
    pub item: Item,
    pub source: PostSource,
}

/// What [`Service::ingest_batch`] did with one post.
#[derive(Debug, Clone, Serialize)]
pub struct BatchIngested {
    pub ingested: Ingested,
    /// The same item was already stored (a redelivery): nothing was written.
    pub duplicate: bool,
}

/// A post of a batch that Decree 147 refused (ND-1: its author has no authenticated
/// account; ND-4: a minor without a guardian): it was not checked nor stored.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRefused {
    /// The post's own id.
    pub post: String,
    pub finding: DecreeFinding,
}

/// What [`Service::ingest_batch`] did with one post: stored, or refused by Decree 147.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchOutcome {
    Stored(BatchIngested),
    Refused(BatchRefused),
}

/// A post as stored, with its check result and the case it needs, if any.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ingested {
    pub post: Post,
    pub result: CheckResult,
    pub case: Option<Case>,
}

impl Service {
    /// Checks one item alone; nothing is stored. Runs on the blocking pool, at most one check
    /// per core at a time, so a use case's check never holds one of the async runtime's
    /// workers: other requests (and `/healthz`) keep being answered while large posts are
    /// checked. (The public `POST /v1/check` has its own bounded pool in the server.)
    pub async fn check(&self, item: &Item) -> Result<CheckResult> {
        let _permit = self
            .checks
            .acquire()
            .await
            .map_err(|_| ServiceError::new(ErrorKind::Internal, "the checks are closed"))?;
        let (engine, item) = (self.engine.clone(), item.clone());
        tokio::task::spawn_blocking(move || engine.check(&item))
            .await
            .map_err(|e| ServiceError::new(ErrorKind::Internal, format!("check failed: {e}")))
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
        self.check_decree_writer(post.author.id.as_deref()).await?;
        let mut result = self.check(&item).await?;
        self.apply_engagement(&item, &mut result).await?;
        self.check_against_portal(post, &mut result).await?;
        let new = new_post(post, &item, &result, source);
        let chain = chain_for_author(new.author_id.as_deref(), AUDIT_SHARDS);
        let mut tx = self.store.write_on(chain).await?;
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

    /// Checks and stores many posts in one write transaction, doing for each what
    /// [`Service::ingest`] does (check, CS-8 engagement — within the batch, in order, and with
    /// stored posts —, the portal check of agency posts, the post row, its case, the audit
    /// events). The engine runs on the blocking pool, the posts in parallel (rayon).
    ///
    /// Idempotent by post id: a post whose stored item is the same as the one given is not
    /// written again (`duplicate`), so a queue may redeliver a batch after a crash. The whole
    /// batch commits in one transaction, on whichever of the ingest chains (1..=
    /// [`AUDIT_SHARDS`]) no other writer holds, with one signed head: a crash leaves nothing
    /// of it, or all of it.
    ///
    /// Under a pack with ND-1 and ND-4, the posts whose authors may not write are set apart
    /// first (their accounts read in one query) and answered `Refused`; the outcomes keep the
    /// order of `posts`.
    pub async fn ingest_batch(&self, posts: Vec<BatchPost>) -> Result<Vec<BatchOutcome>> {
        if posts.iter().any(|p| !matches!(p.item, Item::Post(_))) {
            return Err(ServiceError::new(
                ErrorKind::InvalidItem,
                "only posts can be ingested; use /v1/check for profiles",
            ));
        }
        let (posts, refused) = self.set_apart_decree_refused(posts).await?;
        let engine = self.engine.clone();
        let (posts, mut results) = tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            let results: Vec<CheckResult> =
                posts.par_iter().map(|p| engine.check(&p.item)).collect();
            (posts, results)
        })
        .await
        .map_err(|e| ServiceError::new(ErrorKind::Internal, format!("check failed: {e}")))?;
        // CS-8 inside the batch, in order; then against stored posts for targets not in it.
        let mut log = EngagementLog::with_capacity(posts.len());
        let in_batch: std::collections::HashSet<&str> = posts
            .iter()
            .filter_map(|p| match &p.item {
                Item::Post(post) => Some(post.id.as_str()),
                Item::Profile(_) => None,
            })
            .collect();
        for (p, r) in posts.iter().zip(results.iter_mut()) {
            log.resolve(&self.engine, &p.item, r);
        }
        for (p, r) in posts.iter().zip(results.iter_mut()) {
            let Item::Post(post) = &p.item else { continue };
            if post
                .engages
                .as_ref()
                .is_some_and(|e| !in_batch.contains(e.target_id.as_str()))
            {
                self.apply_engagement(&p.item, r).await?;
            }
            self.check_against_portal(post, r).await?;
        }
        let rows: Vec<NewPost> = posts
            .iter()
            .zip(results.iter())
            .filter_map(|(p, result)| match &p.item {
                Item::Post(post) => Some(new_post(post, &p.item, result, p.source)),
                Item::Profile(_) => None,
            })
            .collect();
        // One transaction for the whole batch, on whichever ingest chain no other writer
        // holds: writers never wait for each other while a chain is free.
        let chains: Vec<ChainId> = ingest_chains(rows.first().and_then(|r| r.author_id.as_deref()));
        let mut tx = self.store.write_on_any(&chains).await?;
        let given: Vec<(&NewPost, &str)> = rows
            .iter()
            .zip(posts.iter())
            .map(|(row, p)| (row, p.by.as_str()))
            .collect();
        let stored = tx.store_posts(&given).await?;
        let needs_case: Vec<(i64, Verdict, &str)> = stored
            .iter()
            .zip(results.iter())
            .zip(posts.iter())
            .filter(|(((_, written), result), _)| *written && result.verdict != Verdict::Pass)
            .map(|(((post, _), result), p)| (post.id, result.verdict, p.by.as_str()))
            .collect();
        let mut cases = tx
            .join_or_open_cases(&needs_case, CaseSource::Automated)
            .await?
            .into_iter();
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        let stored = stored
            .into_iter()
            .zip(results)
            .map(|((post, written), result)| {
                let case = if written && result.verdict != Verdict::Pass {
                    cases.next()
                } else {
                    None
                };
                BatchIngested {
                    ingested: Ingested { post, result, case },
                    duplicate: !written,
                }
            });
        Ok(in_order(stored, refused))
    }

    /// Splits a batch into the posts Decree 147 lets their authors write and the refused
    /// ones, each with its index in the batch.
    async fn set_apart_decree_refused(
        &self,
        posts: Vec<BatchPost>,
    ) -> Result<(Vec<BatchPost>, Vec<(usize, BatchRefused)>)> {
        let authors: Vec<Option<&str>> = posts
            .iter()
            .map(|p| match &p.item {
                Item::Post(post) => post.author.id.as_deref(),
                Item::Profile(_) => None,
            })
            .collect();
        let findings = self.decree_refusals(&authors).await?;
        let (mut allowed, mut refused) = (Vec::with_capacity(posts.len()), Vec::new());
        for (i, (p, finding)) in posts.into_iter().zip(findings).enumerate() {
            match finding {
                Some(finding) => refused.push((
                    i,
                    BatchRefused {
                        post: p.item.id().to_string(),
                        finding,
                    },
                )),
                None => allowed.push(p),
            }
        }
        Ok((allowed, refused))
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
        let mut target_result = self.check(&target).await?;
        log.resolve(&self.engine, &target, &mut target_result);
        log.resolve(&self.engine, item, result);
        Ok(())
    }
}

/// The outcomes of a batch in its order: the stored posts, in order, around the refused ones
/// at their indices.
fn in_order(
    stored: impl Iterator<Item = BatchIngested>,
    refused: Vec<(usize, BatchRefused)>,
) -> Vec<BatchOutcome> {
    let mut stored = stored.map(BatchOutcome::Stored);
    let mut out = Vec::new();
    for (i, r) in refused {
        out.extend(stored.by_ref().take(i - out.len()));
        out.push(BatchOutcome::Refused(r));
    }
    out.extend(stored);
    out
}

/// The audit chains a batch may write on (1..=[`AUDIT_SHARDS`]), starting from the shard of
/// `author` (its first post's), so that concurrent writers spread over the chains.
fn ingest_chains(author: Option<&str>) -> Vec<ChainId> {
    let start = chain_for_author(author, AUDIT_SHARDS).0;
    let shards = i64::from(AUDIT_SHARDS);
    (0..shards)
        .map(|i| ChainId(1 + (start - 1 + i) % shards))
        .collect()
}

/// The row of a checked post.
fn new_post(
    post: &quytac_core::item::Post,
    item: &Item,
    result: &CheckResult,
    source: PostSource,
) -> NewPost {
    NewPost {
        external_id: post.id.clone(),
        author_id: post.author.id.clone().filter(|a| !a.is_empty()),
        text: post.text.clone(),
        item_json: serde_json::to_string(item).unwrap_or_default(),
        result_json: serde_json::to_string(result).unwrap_or_default(),
        verdict: result.verdict,
        label: result.label,
        source: source.as_str().to_string(),
    }
}
