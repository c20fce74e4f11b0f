//! AG-4 in the ingest path: a post by an agency page is compared with the articles of that
//! agency's portal, and each fact that differs becomes a `portal_inconsistency` finding.

use crate::{Result, Service};
use quytac_core::agency::portal::{compare_detailed, mismatch_findings, PortalComparison};
use quytac_core::agency::Article;
use quytac_core::engine::CheckResult;
use quytac_core::finding::{Finding, Verdict};
use quytac_core::item::{Post, Role as AuthorRole};
use quytac_store::consultations::PortalArticle;

/// The most recent articles a post is compared with.
pub const MAX_COMPARED: i64 = 300;

fn to_article(a: &PortalArticle) -> Article {
    Article {
        title: a.title.clone(),
        url: a.url.clone(),
        published: a.published_at.map(|ms| ms / 1000),
        text: a.text.clone(),
    }
}

impl Service {
    /// Compares a text with an agency's stored articles: the articles, what the comparison
    /// found and the findings under the pack's rule for agencies.
    pub async fn compare_with_portal(
        &self,
        agency_id: &str,
        text: &str,
    ) -> Result<(Vec<Article>, PortalComparison, Vec<Finding>)> {
        let articles: Vec<Article> = self
            .store
            .portal_articles(agency_id, MAX_COMPARED)
            .await?
            .iter()
            .map(to_article)
            .collect();
        let found = compare_detailed(text, &articles);
        let findings = mismatch_findings(
            self.engine.pack(),
            AuthorRole::Agency,
            text,
            &found.mismatches,
        );
        Ok((articles, found, findings))
    }

    /// The ingest hook: a post by an agency page is compared with that agency's portal, and
    /// the mismatches join its findings. Other posts are untouched.
    pub(crate) async fn check_against_portal(
        &self,
        post: &Post,
        result: &mut CheckResult,
    ) -> Result<()> {
        if post.author.role != AuthorRole::Agency {
            return Ok(());
        }
        let agency_id = match (&post.author.agency, &post.author.id) {
            (Some(a), _) if !a.is_empty() => Some(a.clone()),
            (_, Some(handle)) => self.store.agency_id_by_page_handle(handle).await?,
            _ => None,
        };
        let Some(agency_id) = agency_id else {
            return Ok(());
        };
        let (_, _, findings) = self.compare_with_portal(&agency_id, &post.text).await?;
        if findings.is_empty() {
            return Ok(());
        }
        result.findings.extend(findings);
        result
            .findings
            .sort_by_key(|f| (f.start.unwrap_or(usize::MAX), f.end));
        result.verdict = Verdict::of(&result.findings);
        Ok(())
    }
}
