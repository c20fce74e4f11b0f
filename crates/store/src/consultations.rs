//! Public consultations on draft policies with citizens' comments (AG-6), and the agencies'
//! official portal feeds with their articles (AG-4).

use crate::audit::{AuditEvent, NewEvent, Table};
use crate::{now_ms, word_col, Result, Store, StoreError};
pub use quytac_core::agency::Stance;
use quytac_core::finding::Verdict;
pub use quytac_core::workflow::consultation::{
    status_at, ConsultationPhase, ConsultationStatus, StanceSource,
};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

/// At most this many articles are kept per agency; the oldest go first.
pub const MAX_PORTAL_ARTICLES: i64 = 1000;

/// A consultation to open.
#[derive(Debug, Clone)]
pub struct NewConsultation {
    pub agency_id: String,
    pub title: String,
    pub summary: String,
    pub draft_text: Option<String>,
    pub document_number: Option<String>,
    pub opens_at: i64,
    pub closes_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Consultation {
    pub id: i64,
    pub agency_id: String,
    pub title: String,
    pub summary: String,
    pub draft_text: Option<String>,
    pub document_number: Option<String>,
    pub opens_at: i64,
    pub closes_at: i64,
    /// `open`, or `withdrawn`; whether it still takes comments follows from the times.
    pub status: ConsultationStatus,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A checked comment to store.
#[derive(Debug, Clone)]
pub struct NewConsultationComment {
    pub consultation_id: i64,
    pub author: String,
    pub text: String,
    pub masked_text: String,
    pub stance: Stance,
    pub stance_source: StanceSource,
    pub verdict: Verdict,
    /// The content check (verdict and findings) as JSON.
    pub check_json: String,
    pub published: bool,
}

/// A stored comment. `text` holds personal data: only `masked_text` goes to the public.
#[derive(Debug, Clone)]
pub struct ConsultationComment {
    pub id: i64,
    pub consultation_id: i64,
    pub author: String,
    pub text: String,
    pub masked_text: String,
    pub stance: Stance,
    pub stance_source: StanceSource,
    pub verdict: Verdict,
    pub check: serde_json::Value,
    pub published: bool,
    pub created_at: i64,
}

/// What the service knows of an agency's portal feed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortalFeedState {
    pub agency_id: String,
    /// `url` (fetched) or `upload` (a file sent by the agency).
    pub source: String,
    /// The address the validators belong to; `None` for an upload.
    pub url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub fetched_at: Option<i64>,
    pub last_error: Option<String>,
    pub error_at: Option<i64>,
    pub updated_at: i64,
}

/// An article read from a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPortalArticle {
    /// The article's identity in the feed: its link.
    pub guid: String,
    pub url: String,
    pub title: String,
    pub text: String,
    pub published_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PortalArticle {
    pub id: i64,
    pub agency_id: String,
    pub guid: String,
    pub url: String,
    pub title: String,
    pub text: String,
    pub published_at: Option<i64>,
    pub fetched_at: i64,
}

/// A successful read of a feed.
#[derive(Debug, Clone)]
pub struct PortalFetch {
    pub agency_id: String,
    /// `url` or `upload`.
    pub source: String,
    pub url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub articles: Vec<NewPortalArticle>,
}

/// What storing a feed's articles changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PortalRefresh {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

const CONSULTATION_COLS: &str = "id, agency_id, title, summary, draft_text, document_number, \
     opens_at, closes_at, status, created_by, created_at, updated_at";
const COMMENT_COLS: &str = "id, consultation_id, author, text, masked_text, stance, \
     stance_source, verdict, check_json, published, created_at";
const FEED_COLS: &str =
    "agency_id, source, url, etag, last_modified, fetched_at, last_error, error_at, updated_at";
const ARTICLE_COLS: &str = "id, agency_id, guid, url, title, text, published_at, fetched_at";

impl Store {
    // ---- consultations (AG-6) ------------------------------------------------------------

    /// Opens a consultation of an existing agency.
    pub async fn create_consultation(
        &self,
        c: &NewConsultation,
        actor: &str,
    ) -> Result<(Consultation, Vec<AuditEvent>)> {
        if c.closes_at <= c.opens_at {
            return Err(StoreError::conflict(
                "a consultation must close after it opens",
            ));
        }
        let mut w = self.write().await?;
        let agency = sqlx::query("SELECT id FROM agencies WHERE id = $1")
            .bind(&c.agency_id)
            .fetch_optional(&mut *w.tx)
            .await?;
        if agency.is_none() {
            return Err(StoreError::not_found(format!(
                "agency `{}` not found",
                c.agency_id
            )));
        }
        let now = now_ms();
        let id: i64 = sqlx::query(
            "INSERT INTO consultations (agency_id, title, summary, draft_text, document_number, \
             opens_at, closes_at, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $9, $9) RETURNING id",
        )
        .bind(&c.agency_id)
        .bind(&c.title)
        .bind(&c.summary)
        .bind(&c.draft_text)
        .bind(&c.document_number)
        .bind(c.opens_at)
        .bind(c.closes_at)
        .bind(actor)
        .bind(now)
        .bind(ConsultationStatus::Open.as_str())
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.touch(Table::Consultations, id);
        w.audit(NewEvent::new(
            actor,
            "consultation.opened",
            format!("consultation:{id}"),
            serde_json::json!({
                "agency_id": c.agency_id, "title": c.title, "document_number": c.document_number,
                "opens_at": c.opens_at, "closes_at": c.closes_at,
            }),
        ))
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {CONSULTATION_COLS} FROM consultations WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *w.tx)
        .await?;
        let consultation = consultation_from(&row)?;
        let events = w.commit().await?;
        Ok((consultation, events))
    }

    pub async fn consultation(&self, id: i64) -> Result<Option<Consultation>> {
        let row = sqlx::query(&format!(
            "SELECT {CONSULTATION_COLS} FROM consultations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| consultation_from(&r)).transpose()
    }

    /// An agency's consultations, newest first (all agencies' when `agency_id` is `None`).
    pub async fn list_consultations(
        &self,
        agency_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Consultation>> {
        let rows = match agency_id {
            Some(a) => {
                sqlx::query(&format!(
                    "SELECT {CONSULTATION_COLS} FROM consultations WHERE agency_id = $1 ORDER BY id DESC LIMIT $2"
                ))
                .bind(a)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {CONSULTATION_COLS} FROM consultations ORDER BY id DESC LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(consultation_from).collect()
    }

    /// Stores a checked comment. Refused (conflict) unless the consultation is open at `now`.
    pub async fn add_consultation_comment(
        &self,
        c: &NewConsultationComment,
        now: i64,
    ) -> Result<(ConsultationComment, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let row = sqlx::query(&format!(
            "SELECT {CONSULTATION_COLS} FROM consultations WHERE id = $1"
        ))
        .bind(c.consultation_id)
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or_else(|| {
            StoreError::not_found(format!("consultation {} not found", c.consultation_id))
        })?;
        let consultation = consultation_from(&row)?;
        let phase = status_at(
            consultation.status,
            consultation.opens_at,
            consultation.closes_at,
            now,
        );
        if phase != ConsultationPhase::Open {
            return Err(StoreError::conflict(format!(
                "consultation {} is not taking comments",
                c.consultation_id
            )));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO consultation_comments (consultation_id, author, text, masked_text, stance, \
             stance_source, verdict, check_json, published, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(c.consultation_id)
        .bind(&c.author)
        .bind(&c.text)
        .bind(&c.masked_text)
        .bind(c.stance.as_str())
        .bind(c.stance_source.as_str())
        .bind(c.verdict.as_str())
        .bind(&c.check_json)
        .bind(c.published as i64)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        // The audit log is readable by reviewers: it gets the masked text only.
        w.touch(Table::ConsultationComments, id);
        w.audit(NewEvent::new(
            &c.author,
            "consultation.commented",
            format!("consultation:{}", c.consultation_id),
            serde_json::json!({
                "comment_id": id, "stance": c.stance.as_str(), "stance_source": c.stance_source.as_str(),
                "verdict": c.verdict.as_str(), "published": c.published, "masked_text": c.masked_text,
            }),
        ))
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {COMMENT_COLS} FROM consultation_comments WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *w.tx)
        .await?;
        let comment = comment_from(&row)?;
        let events = w.commit().await?;
        Ok((comment, events))
    }

    /// A consultation's comments, oldest first; `published_only` leaves out withheld ones.
    pub async fn consultation_comments(
        &self,
        consultation_id: i64,
        published_only: bool,
    ) -> Result<Vec<ConsultationComment>> {
        sqlx::query(&format!(
            "SELECT {COMMENT_COLS} FROM consultation_comments WHERE consultation_id = $1 \
             AND (published = 1 OR $2 = 0) ORDER BY id"
        ))
        .bind(consultation_id)
        .bind(published_only as i64)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(comment_from)
        .collect()
    }

    // ---- portal feeds (AG-4) -------------------------------------------------------------

    /// Sets the address of an agency's portal feed. The validators of a previous address are
    /// dropped, so the next read is a full one.
    pub async fn set_portal_feed_url(
        &self,
        agency_id: &str,
        url: &str,
        actor: &str,
    ) -> Result<(PortalFeedState, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let now = now_ms();
        let updated =
            sqlx::query("UPDATE agencies SET portal_feed_url = $1, updated_at = $2 WHERE id = $3")
                .bind(url)
                .bind(now)
                .bind(agency_id)
                .execute(&mut *w.tx)
                .await?
                .rows_affected();
        if updated == 0 {
            return Err(StoreError::not_found(format!(
                "agency `{agency_id}` not found"
            )));
        }
        sqlx::query(
            "INSERT INTO portal_feeds (agency_id, source, url, updated_at) VALUES ($1, 'url', $2, $3) \
             ON CONFLICT (agency_id) DO UPDATE SET source = 'url', url = excluded.url, etag = NULL, \
             last_modified = NULL, last_error = NULL, error_at = NULL, updated_at = excluded.updated_at",
        )
        .bind(agency_id)
        .bind(url)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.touch(Table::Agencies, agency_id);
        w.audit(NewEvent::new(
            actor,
            "portal.feed_set",
            format!("agency:{agency_id}"),
            serde_json::json!({"url": url}),
        ))
        .await?;
        let state = feed_in(&mut w, agency_id).await?;
        let events = w.commit().await?;
        Ok((state, events))
    }

    pub async fn portal_feed(&self, agency_id: &str) -> Result<Option<PortalFeedState>> {
        let row = sqlx::query(&format!(
            "SELECT {FEED_COLS} FROM portal_feeds WHERE agency_id = $1"
        ))
        .bind(agency_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| feed_from(&r)).transpose()
    }

    /// Records a successful read of a feed: new articles are added, changed ones updated
    /// (by guid), the validators kept for the next conditional GET, the last error cleared.
    pub async fn record_portal_fetch(
        &self,
        f: &PortalFetch,
        actor: &str,
    ) -> Result<(PortalRefresh, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let now = now_ms();
        let exists = sqlx::query("SELECT id FROM agencies WHERE id = $1")
            .bind(&f.agency_id)
            .fetch_optional(&mut *w.tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::not_found(format!(
                "agency `{}` not found",
                f.agency_id
            )));
        }
        let stored: HashMap<String, NewPortalArticle> = sqlx::query(&format!(
            "SELECT {ARTICLE_COLS} FROM portal_articles WHERE agency_id = $1"
        ))
        .bind(&f.agency_id)
        .fetch_all(&mut *w.tx)
        .await?
        .iter()
        .map(|r| article_from(r).map(|a| (a.guid.clone(), as_new(&a))))
        .collect::<Result<_>>()?;
        let mut outcome = PortalRefresh::default();
        // A feed may list one link twice; the first (newest) wins.
        let mut seen = std::collections::HashSet::new();
        for a in f.articles.iter().filter(|a| seen.insert(a.guid.as_str())) {
            match stored.get(&a.guid) {
                Some(old) if old == a => outcome.unchanged += 1,
                Some(_) => {
                    sqlx::query(
                        "UPDATE portal_articles SET url = $1, title = $2, text = $3, published_at = $4, \
                         fetched_at = $5 WHERE agency_id = $6 AND guid = $7",
                    )
                    .bind(&a.url)
                    .bind(&a.title)
                    .bind(&a.text)
                    .bind(a.published_at)
                    .bind(now)
                    .bind(&f.agency_id)
                    .bind(&a.guid)
                    .execute(&mut *w.tx)
                    .await?;
                    outcome.updated += 1;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO portal_articles (agency_id, guid, url, title, text, published_at, fetched_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&f.agency_id)
                    .bind(&a.guid)
                    .bind(&a.url)
                    .bind(&a.title)
                    .bind(&a.text)
                    .bind(a.published_at)
                    .bind(now)
                    .execute(&mut *w.tx)
                    .await?;
                    outcome.new += 1;
                }
            }
        }
        sqlx::query(
            "DELETE FROM portal_articles WHERE agency_id = $1 AND id NOT IN \
             (SELECT id FROM portal_articles WHERE agency_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(&f.agency_id)
        .bind(MAX_PORTAL_ARTICLES)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "INSERT INTO portal_feeds (agency_id, source, url, etag, last_modified, fetched_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (agency_id) DO UPDATE SET source = excluded.source, url = excluded.url, \
             etag = excluded.etag, last_modified = excluded.last_modified, fetched_at = excluded.fetched_at, \
             last_error = NULL, error_at = NULL, updated_at = excluded.updated_at",
        )
        .bind(&f.agency_id)
        .bind(&f.source)
        .bind(&f.url)
        .bind(&f.etag)
        .bind(&f.last_modified)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.audit(NewEvent::new(
            actor,
            "portal.refreshed",
            format!("agency:{}", f.agency_id),
            serde_json::json!({
                "source": f.source, "url": f.url, "etag": f.etag, "last_modified": f.last_modified,
                "articles": f.articles.len(), "new": outcome.new, "updated": outcome.updated,
                "unchanged": outcome.unchanged,
            }),
        ))
        .await?;
        let events = w.commit().await?;
        Ok((outcome, events))
    }

    /// Records why reading a feed failed; the articles and validators stay as they were.
    pub async fn record_portal_error(
        &self,
        agency_id: &str,
        url: &str,
        error: &str,
        actor: &str,
    ) -> Result<Vec<AuditEvent>> {
        let mut w = self.write().await?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO portal_feeds (agency_id, source, url, last_error, error_at, updated_at) \
             VALUES ($1, 'url', $2, $3, $4, $4) \
             ON CONFLICT (agency_id) DO UPDATE SET last_error = excluded.last_error, \
             error_at = excluded.error_at, updated_at = excluded.updated_at",
        )
        .bind(agency_id)
        .bind(url)
        .bind(error)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.audit(NewEvent::new(
            actor,
            "portal.fetch_failed",
            format!("agency:{agency_id}"),
            serde_json::json!({"url": url, "error": error}),
        ))
        .await?;
        w.commit().await
    }

    /// An agency's portal articles, newest first, at most `limit`.
    pub async fn portal_articles(&self, agency_id: &str, limit: i64) -> Result<Vec<PortalArticle>> {
        sqlx::query(&format!(
            "SELECT {ARTICLE_COLS} FROM portal_articles WHERE agency_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(agency_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(article_from)
        .collect()
    }

    pub async fn count_portal_articles(&self, agency_id: &str) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM portal_articles WHERE agency_id = $1")
                .bind(agency_id)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?,
        )
    }

    /// The agency whose page has this handle, if any (posts of agency pages name the page).
    pub async fn agency_id_by_page_handle(&self, handle: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM agencies WHERE page_handle = $1")
            .bind(handle)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get("id")?)).transpose()
    }
}

async fn feed_in(w: &mut crate::WriteTx<'_>, agency_id: &str) -> Result<PortalFeedState> {
    let sql = format!("SELECT {FEED_COLS} FROM portal_feeds WHERE agency_id = $1");
    crate::fetch_one(w, "portal feed of agency", &sql, agency_id, feed_from).await
}

fn consultation_from(r: &AnyRow) -> Result<Consultation> {
    Ok(Consultation {
        id: r.try_get("id")?,
        agency_id: r.try_get("agency_id")?,
        title: r.try_get("title")?,
        summary: r.try_get("summary")?,
        draft_text: r.try_get("draft_text")?,
        document_number: r.try_get("document_number")?,
        opens_at: r.try_get("opens_at")?,
        closes_at: r.try_get("closes_at")?,
        status: word_col(r, "status")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn comment_from(r: &AnyRow) -> Result<ConsultationComment> {
    Ok(ConsultationComment {
        id: r.try_get("id")?,
        consultation_id: r.try_get("consultation_id")?,
        author: r.try_get("author")?,
        text: r.try_get("text")?,
        masked_text: r.try_get("masked_text")?,
        stance: word_col(r, "stance")?,
        stance_source: word_col(r, "stance_source")?,
        verdict: word_col(r, "verdict")?,
        check: crate::json_col(r, "check_json")?,
        published: r.try_get::<i64, _>("published")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

fn feed_from(r: &AnyRow) -> Result<PortalFeedState> {
    Ok(PortalFeedState {
        agency_id: r.try_get("agency_id")?,
        source: r.try_get("source")?,
        url: r.try_get("url")?,
        etag: r.try_get("etag")?,
        last_modified: r.try_get("last_modified")?,
        fetched_at: r.try_get("fetched_at")?,
        last_error: r.try_get("last_error")?,
        error_at: r.try_get("error_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn article_from(r: &AnyRow) -> Result<PortalArticle> {
    Ok(PortalArticle {
        id: r.try_get("id")?,
        agency_id: r.try_get("agency_id")?,
        guid: r.try_get("guid")?,
        url: r.try_get("url")?,
        title: r.try_get("title")?,
        text: r.try_get("text")?,
        published_at: r.try_get("published_at")?,
        fetched_at: r.try_get("fetched_at")?,
    })
}

fn as_new(a: &PortalArticle) -> NewPortalArticle {
    NewPortalArticle {
        guid: a.guid.clone(),
        url: a.url.clone(),
        title: a.title.clone(),
        text: a.text.clone(),
        published_at: a.published_at,
    }
}
