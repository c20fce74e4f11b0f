//! Posts with their check results, and the cases opened on them.

use crate::audit::{row_hash, NewEvent, Table};
use crate::model::{Case, CaseDetail, CaseSummary, NewPost, Post};
use crate::moderation::{
    appeal_from, decision_from, report_from, APPEAL_COLS, DECISION_COLS, REPORT_COLS,
};
use crate::takedowns::{takedown_from, TAKEDOWN_COLS};
use crate::{
    fetch_one, fetch_optional, json_col, now_ms, opt_word_col, unreadable, value_marks, word_col,
    Backend, Result, Store, StoreError, WriteTx, KEYS_PER_SELECT,
};
use quytac_core::finding::Verdict;
use quytac_core::workflow::{CaseSource, CaseStatus};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

pub(crate) const POST_COLS: &str =
    "id, external_id, author_id, text, result_json, verdict, label, source, created_at, updated_at";
/// The columns a write of a post binds, in [`bind_post_row`]'s order.
const POST_WRITE_COLS: &str =
    "external_id, author_id, text, item_json, result_json, verdict, label, source, created_at, updated_at";
const POST_ROW_COLS: usize = 10;
/// The columns a post delivered again replaces (its source and creation time stay).
const POST_REPLACED_COLS: [&str; 7] = [
    "author_id",
    "text",
    "item_json",
    "result_json",
    "verdict",
    "label",
    "updated_at",
];

/// `col = {from}.col, …` for the [`POST_REPLACED_COLS`].
fn replaced_from(from: &str) -> String {
    POST_REPLACED_COLS
        .iter()
        .map(|c| format!("{c} = {from}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Binds one row of [`POST_WRITE_COLS`]: the post, written `now`.
fn bind_post_row<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    post: &'q NewPost,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&post.external_id)
        .bind(&post.author_id)
        .bind(&post.text)
        .bind(&post.item_json)
        .bind(&post.result_json)
        .bind(post.verdict.as_str())
        .bind(post.label.map(|l| l.as_str()))
        .bind(&post.source)
        .bind(now)
        .bind(now)
}

pub(crate) const CASE_COLS: &str = "id, post_id, status, source, verdict, opened_at, updated_at";

impl Store {
    /// Distinct authors of the posts stored in `[from, to)`: the accounts active in that
    /// time (the provider's report counts them as its regular users).
    pub async fn active_authors_between(&self, from: i64, to: i64) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(DISTINCT author_id) AS n FROM posts WHERE author_id IS NOT NULL \
             AND created_at >= $1 AND created_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?)
    }

    pub async fn post(&self, id: i64) -> Result<Option<Post>> {
        let row = sqlx::query(&format!("SELECT {POST_COLS} FROM posts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| post_from(&r)).transpose()
    }

    pub async fn post_by_external_id(&self, external_id: &str) -> Result<Option<Post>> {
        let row = sqlx::query(&format!(
            "SELECT {POST_COLS} FROM posts WHERE external_id = $1"
        ))
        .bind(external_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| post_from(&r)).transpose()
    }

    /// The item JSON a post was ingested from.
    pub async fn post_item_json(&self, external_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT item_json FROM posts WHERE external_id = $1")
            .bind(external_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok(r.try_get("item_json")?)).transpose()
    }

    pub async fn count_posts(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM posts")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?)
    }

    /// Cases, oldest first, with their post; only those at `status` when given.
    pub async fn list_cases(
        &self,
        status: Option<CaseStatus>,
        limit: i64,
    ) -> Result<Vec<CaseSummary>> {
        let sql = format!(
            "SELECT c.id, c.post_id, c.status, c.source, c.verdict, c.opened_at, c.updated_at, \
             p.external_id, p.author_id, p.text, p.result_json FROM cases c JOIN posts p ON p.id = c.post_id \
             {} ORDER BY c.id ASC LIMIT $1",
            if status.is_some() { "WHERE c.status = $2" } else { "" }
        );
        let mut q = sqlx::query(&sql).bind(limit);
        if let Some(s) = status {
            q = q.bind(s.as_str());
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(CaseSummary {
                    case: case_from(r)?,
                    external_id: r.try_get("external_id")?,
                    author_id: r.try_get("author_id")?,
                    text: r.try_get("text")?,
                    result: json_col(r, "result_json")?,
                })
            })
            .collect()
    }

    pub async fn case(&self, id: i64) -> Result<Option<Case>> {
        let row = sqlx::query(&format!("SELECT {CASE_COLS} FROM cases WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| case_from(&r)).transpose()
    }

    /// A case with everything that happened to it.
    pub async fn case_detail(&self, id: i64) -> Result<Option<CaseDetail>> {
        let Some(case) = self.case(id).await? else {
            return Ok(None);
        };
        let post = self
            .post(case.post_id)
            .await?
            .ok_or_else(|| StoreError::not_found("post of case"))?;
        let decisions = self
            .rows_of_case("decisions", DECISION_COLS, id, decision_from)
            .await?;
        let reports = self
            .rows_of_case("reports", REPORT_COLS, id, report_from)
            .await?;
        let appeals = self
            .rows_of_case("appeals", APPEAL_COLS, id, appeal_from)
            .await?;
        let takedowns = self
            .rows_of_case("takedowns", TAKEDOWN_COLS, id, takedown_from)
            .await?;
        Ok(Some(CaseDetail {
            case,
            post,
            decisions,
            reports,
            appeals,
            takedowns,
        }))
    }

    /// The rows of `table` that belong to case `id`, oldest first. `table` and `cols` are
    /// constants of this crate, never user input.
    async fn rows_of_case<T>(
        &self,
        table: &str,
        cols: &str,
        id: i64,
        from: fn(&AnyRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        sqlx::query(&format!(
            "SELECT {cols} FROM {table} WHERE case_id = $1 ORDER BY id"
        ))
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(from)
        .collect()
    }
}

impl WriteTx<'_> {
    /// Stores a checked post, or replaces the stored one with the same external id; returns
    /// it as stored.
    pub async fn upsert_post(&mut self, post: &NewPost, actor: &str) -> Result<Post> {
        let now = now_ms();
        let (id, source, created_at) = self
            .write_posts(&[post], now, false)
            .await?
            .remove(&post.external_id)
            .ok_or_else(|| StoreError::not_found(format!("post `{}`", post.external_id)))?;
        let stored = written_post(post, id, source, created_at, now)?;
        self.touch(Table::Posts, stored.id);
        self.audit(ingested_event(actor, &stored, post)).await?;
        Ok(stored)
    }

    /// Stores checked posts as a batch does: a post whose stored item is the same as the one
    /// given is left as it is (a redelivery: `false`), any other is inserted or replaces the
    /// stored one (`true`, with its `post.ingested` event). Many rows a statement; the
    /// comparison is made by the writing statement itself ([`WriteTx::write_posts`]), which
    /// waits for a writer of the same post on another chain, so two writers of one post never
    /// both store it. A post given twice is written by a second statement after the first.
    pub async fn store_posts(&mut self, posts: &[(&NewPost, &str)]) -> Result<Vec<(Post, bool)>> {
        let mut out: Vec<Option<(Post, bool)>> = (0..posts.len()).map(|_| None).collect();
        let mut rounds: Vec<Vec<usize>> = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(posts.len());
        for (i, (post, _)) in posts.iter().enumerate() {
            let round = seen.entry(post.external_id.as_str()).or_insert(0);
            if rounds.len() <= *round {
                rounds.push(Vec::new());
            }
            rounds[*round].push(i);
            *round += 1;
        }
        for round in rounds {
            let mut unchanged = Vec::new();
            for chunk in round.chunks(POSTS_PER_INSERT) {
                let now = now_ms();
                let given: Vec<&NewPost> = chunk.iter().map(|&i| posts[i].0).collect();
                let mut returned = self.write_posts(&given, now, true).await?;
                for &i in chunk {
                    let (post, actor) = posts[i];
                    let Some((id, source, created_at)) = returned.remove(&post.external_id) else {
                        unchanged.push(i);
                        continue;
                    };
                    let stored = written_post(post, id, source, created_at, now)?;
                    // The row as written: its hash needs no second read at commit.
                    let hash = row_hash(Table::Posts, &written_row(&stored, post));
                    self.touch_hashed(Table::Posts, stored.id, hash);
                    self.audit(ingested_event(actor, &stored, post)).await?;
                    out[i] = Some((stored, true));
                }
            }
            for chunk in unchanged.chunks(KEYS_PER_SELECT) {
                let sql = format!(
                    "SELECT {POST_COLS} FROM posts WHERE external_id IN ({})",
                    (1..=chunk.len())
                        .map(|i| format!("${i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let mut q = sqlx::query(&sql);
                for &i in chunk {
                    q = q.bind(&posts[i].0.external_id);
                }
                let mut stored: HashMap<String, Post> = q
                    .fetch_all(&mut *self.tx)
                    .await?
                    .iter()
                    .map(|r| post_from(r).map(|p| (p.external_id.clone(), p)))
                    .collect::<Result<_>>()?;
                for &i in chunk {
                    let id = &posts[i].0.external_id;
                    let post = stored
                        .get(id)
                        .cloned()
                        .ok_or_else(|| StoreError::not_found(format!("no post `{id}`")))?;
                    out[i] = Some((post, false));
                }
                stored.clear();
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Writes `posts` (distinct external ids) at `now`: a post not stored yet is inserted, a
    /// stored one replaced (when `only_changed`, only if its item differs). Returns the id,
    /// source and creation time of each row written, by external id; a post left as it was
    /// is not in it. The rest of a written row is what was bound (or, for `source` and
    /// `created_at`, what a replacement keeps), so it is not sent back.
    async fn write_posts(
        &mut self,
        posts: &[&NewPost],
        now: i64,
        only_changed: bool,
    ) -> Result<HashMap<String, (i64, String, i64)>> {
        let mut written = HashMap::with_capacity(posts.len());
        let marks = value_marks(posts.len(), POST_ROW_COLS);
        if !self.store.posts_by_month {
            // SQLite (and PostgreSQL before migration 0018): the unique `external_id`
            // decides, in one statement; the comparison too (`ON CONFLICT … WHERE`).
            let sql = format!(
                "INSERT INTO posts ({POST_WRITE_COLS}) VALUES {marks} \
                 ON CONFLICT (external_id) DO UPDATE SET {} {} \
                 RETURNING id, external_id, source, created_at",
                replaced_from("excluded"),
                if only_changed {
                    "WHERE posts.item_json <> excluded.item_json"
                } else {
                    ""
                }
            );
            self.fetch_written(&sql, posts, now, &mut written).await?;
        } else {
            // PostgreSQL: `posts` is partitioned by month and cannot hold a unique external
            // id. Its key in `post_keys` is inserted first, which numbers the post, and only
            // the posts whose key was new are inserted. A writer of the same post in another
            // transaction waits on the key's unique index until that one ends, then finds
            // the key taken and replaces the post below, as the `ON CONFLICT` of one table
            // did.
            let v_cols = POST_WRITE_COLS
                .split(", ")
                .map(|c| format!("v.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "WITH v ({POST_WRITE_COLS}) AS (VALUES {marks}), \
                 k AS (INSERT INTO post_keys (external_id, created_at) \
                       SELECT external_id, created_at FROM v \
                       ON CONFLICT (external_id) DO NOTHING RETURNING id, external_id) \
                 INSERT INTO posts (id, {POST_WRITE_COLS}) \
                 SELECT k.id, {v_cols} FROM v JOIN k ON k.external_id = v.external_id \
                 RETURNING id, external_id, source, created_at"
            );
            self.fetch_written(&sql, posts, now, &mut written).await?;
            let stored: Vec<&NewPost> = posts
                .iter()
                .filter(|p| !written.contains_key(&p.external_id))
                .copied()
                .collect();
            if !stored.is_empty() {
                // A new statement sees the keys and posts that the writers waited for
                // committed; the row lock of `UPDATE` waits for a writer of the same
                // post and then compares the items again against its version.
                let sql = format!(
                    "WITH v ({POST_WRITE_COLS}) AS (VALUES {}) \
                     UPDATE posts p SET {} \
                     FROM v JOIN post_keys k ON k.external_id = v.external_id \
                     WHERE p.id = k.id AND p.created_at = k.created_at {} \
                     RETURNING p.id, p.external_id, p.source, p.created_at",
                    value_marks(stored.len(), POST_ROW_COLS),
                    replaced_from("v"),
                    if only_changed {
                        "AND p.item_json <> v.item_json"
                    } else {
                        ""
                    }
                );
                self.fetch_written(&sql, &stored, now, &mut written).await?;
            }
        }
        Ok(written)
    }

    /// Runs a write of [`WriteTx::write_posts`] over `posts` and adds the rows it returned to
    /// `written`.
    async fn fetch_written(
        &mut self,
        sql: &str,
        posts: &[&NewPost],
        now: i64,
        written: &mut HashMap<String, (i64, String, i64)>,
    ) -> Result<()> {
        let mut q = sqlx::query(sql);
        for post in posts {
            q = bind_post_row(q, post, now);
        }
        for r in q.fetch_all(&mut *self.tx).await? {
            written.insert(
                r.try_get("external_id")?,
                (
                    r.try_get("id")?,
                    r.try_get("source")?,
                    r.try_get("created_at")?,
                ),
            );
        }
        Ok(())
    }

    /// A stored post by its own (external) id, read in this transaction.
    pub async fn post_by_external_id(&mut self, external_id: &str) -> Result<Post> {
        let sql = format!("SELECT {POST_COLS} FROM posts WHERE external_id = $1");
        fetch_one(self, "post", &sql, external_id, post_from).await
    }

    /// A stored post, read in this transaction.
    pub async fn post(&mut self, id: i64) -> Result<Post> {
        let sql = format!("SELECT {POST_COLS} FROM posts WHERE id = $1");
        fetch_one(self, "post", &sql, id, post_from).await
    }

    /// The item JSON that post `id` was ingested from.
    pub async fn post_item_json(&mut self, id: i64) -> Result<String> {
        Ok(sqlx::query("SELECT item_json FROM posts WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("item_json")?)
    }

    /// A case, read in this transaction.
    pub async fn case(&mut self, id: i64) -> Result<Option<Case>> {
        let sql = format!("SELECT {CASE_COLS} FROM cases WHERE id = $1");
        fetch_optional(self, &sql, id, case_from).await
    }

    /// Joins the post's case that still awaits a person, or opens a new one.
    pub async fn join_or_open_case(
        &mut self,
        post_id: i64,
        source: CaseSource,
        verdict: Verdict,
        actor: &str,
    ) -> Result<Case> {
        let mut cases = self
            .join_or_open_cases(&[(post_id, verdict, actor)], source)
            .await?;
        cases
            .pop()
            .ok_or_else(|| StoreError::not_found(format!("no case of post `{post_id}`")))
    }

    /// [`WriteTx::join_or_open_case`] for each `(post, verdict, actor)`, in a few statements:
    /// the cases in the order given (a post given twice gets one case).
    pub async fn join_or_open_cases(
        &mut self,
        posts: &[(i64, Verdict, &str)],
        source: CaseSource,
    ) -> Result<Vec<Case>> {
        let ids: Vec<i64> = {
            let mut ids: Vec<i64> = posts.iter().map(|p| p.0).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let mut cases: HashMap<i64, Case> = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(KEYS_PER_SELECT) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            if self.store.backend() == Backend::Postgres {
                // Writers on other chains (the ingest pipeline's) may open a case on the same
                // post: the post's key row decides who goes first (in id order, as every
                // writer); `post_keys` is one table, where `posts` has a partition a month.
                let sql = format!(
                    "SELECT id FROM {} WHERE id IN ({}) ORDER BY id FOR UPDATE",
                    if self.store.posts_by_month {
                        "post_keys"
                    } else {
                        "posts"
                    },
                    marks.join(", ")
                );
                let mut q = sqlx::query_scalar::<_, i64>(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut *self.tx).await?;
            }
            let n = chunk.len();
            let sql = format!(
                "SELECT {CASE_COLS} FROM cases WHERE post_id IN ({}) AND status IN (${}, ${}) ORDER BY id",
                marks.join(", "),
                n + 1,
                n + 2
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q = q
                .bind(CaseStatus::Open.as_str())
                .bind(CaseStatus::Appealed.as_str());
            // By id: the newest case awaiting a person is the one kept.
            for r in q.fetch_all(&mut *self.tx).await? {
                let case = case_from(&r)?;
                cases.insert(case.post_id, case);
            }
        }
        let mut to_open: Vec<(i64, Verdict, &str)> = Vec::new();
        for &(post_id, verdict, actor) in posts {
            if !cases.contains_key(&post_id) && !to_open.iter().any(|o| o.0 == post_id) {
                to_open.push((post_id, verdict, actor));
            }
        }
        for chunk in to_open.chunks(CASES_PER_INSERT) {
            let sql = format!(
                "INSERT INTO cases (post_id, status, source, verdict, opened_at, updated_at) VALUES {} RETURNING {CASE_COLS}",
                value_marks(chunk.len(), 6)
            );
            let now = now_ms();
            let mut q = sqlx::query(&sql);
            for (post_id, verdict, _) in chunk {
                q = q
                    .bind(*post_id)
                    .bind(CaseStatus::Open.as_str())
                    .bind(source.as_str())
                    .bind(verdict.as_str())
                    .bind(now)
                    .bind(now);
            }
            let mut opened: HashMap<i64, Case> = q
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(|r| case_from(r).map(|c| (c.post_id, c)))
                .collect::<Result<_>>()?;
            for &(post_id, verdict, actor) in chunk {
                let case = opened
                    .remove(&post_id)
                    .ok_or_else(|| StoreError::not_found(format!("no case of post `{post_id}`")))?;
                self.touch(Table::Cases, case.id);
                self.audit(NewEvent::new(
                    actor,
                    "case.opened",
                    format!("case:{}", case.id),
                    serde_json::json!({"post_id": post_id, "source": source, "verdict": verdict}),
                ))
                .await?;
                cases.insert(post_id, case);
            }
        }
        posts
            .iter()
            .map(|(post_id, _, _)| {
                cases
                    .get(post_id)
                    .cloned()
                    .ok_or_else(|| StoreError::not_found(format!("no case of post `{post_id}`")))
            })
            .collect()
    }

    /// Moves a case to `status`.
    pub async fn set_case_status(&mut self, case_id: i64, status: CaseStatus) -> Result<()> {
        sqlx::query("UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now_ms())
            .bind(case_id)
            .execute(&mut *self.tx)
            .await?;
        self.touch(Table::Cases, case_id);
        Ok(())
    }
}

/// Posts a multi-row `INSERT` writes (10 parameters each, under SQLite's 999).
const POSTS_PER_INSERT: usize = 90;
/// Cases a multi-row `INSERT` opens (6 parameters each).
const CASES_PER_INSERT: usize = 150;

/// The event of a post stored (or replaced) by an ingest.
fn ingested_event(actor: &str, stored: &Post, post: &NewPost) -> NewEvent {
    NewEvent::new(
        actor,
        "post.ingested",
        format!("post:{}", stored.id),
        serde_json::json!({"external_id": post.external_id, "verdict": post.verdict, "source": post.source}),
    )
}

/// `post` as written at `now` with the id, source and creation time its row has.
fn written_post(
    post: &NewPost,
    id: i64,
    source: String,
    created_at: i64,
    now: i64,
) -> Result<Post> {
    Ok(Post {
        id,
        external_id: post.external_id.clone(),
        author_id: post.author_id.clone(),
        text: post.text.clone(),
        verdict: post.verdict,
        label: post.label,
        result: serde_json::from_str(&post.result_json)
            .map_err(|e| unreadable("result_json", e))?,
        source,
        created_at,
        updated_at: now,
    })
}

/// The hashed columns of a post's row (`Table::Posts`, as text) once `post` is written as
/// `stored`.
fn written_row(stored: &Post, post: &NewPost) -> Vec<Option<String>> {
    vec![
        Some(stored.id.to_string()),
        Some(stored.external_id.clone()),
        stored.author_id.clone(),
        Some(stored.text.clone()),
        Some(post.item_json.clone()),
        Some(post.result_json.clone()),
        Some(stored.verdict.as_str().to_string()),
        stored.label.map(|l| l.as_str().to_string()),
        Some(stored.source.clone()),
        Some(stored.created_at.to_string()),
        Some(stored.updated_at.to_string()),
    ]
}

pub(crate) fn post_from(r: &AnyRow) -> Result<Post> {
    Ok(Post {
        id: r.try_get("id")?,
        external_id: r.try_get("external_id")?,
        author_id: r.try_get("author_id")?,
        text: r.try_get("text")?,
        result: json_col(r, "result_json")?,
        verdict: word_col(r, "verdict")?,
        label: opt_word_col(r, "label")?,
        source: r.try_get("source")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) fn case_from(r: &AnyRow) -> Result<Case> {
    Ok(Case {
        id: r.try_get("id")?,
        post_id: r.try_get("post_id")?,
        status: word_col(r, "status")?,
        source: word_col(r, "source")?,
        verdict: word_col(r, "verdict")?,
        opened_at: r.try_get("opened_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}
