//! What the moderation console reads and writes beyond the workflow's own rows: the queue as
//! one bounded SQL query (filters, search, sort, paging, overdue takedowns first), the counts
//! per status, who a case is assigned to and staff's internal notes. The service decides what
//! may be written (`quytac_core::workflow`); these are the typed reads and writes.

use crate::audit::{NewEvent, Table};
use crate::model::{Case, CaseSummary};
use crate::posts::case_from;
use crate::{fetch_one, json_col, now_ms, Result, Store, WriteTx};
use quytac_core::finding::{Category, Verdict};
use quytac_core::workflow::{CaseSource, CaseStatus, TakedownStatus};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

/// The most cases one page of the queue holds.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// The longest search the queue takes, in characters. A search is a `LIKE '%…%'` over every
/// case's post text and author (no index serves a pattern that starts with a wildcard), so
/// its cost grows with the cases and with the pattern: the pattern, at least, is bounded.
/// The service refuses a longer one with an error; the store cuts it, so no caller can ask
/// more of the database.
pub const MAX_SEARCH_CHARS: usize = 200;

/// How far the queue counts and pages: the count stops at this many matching cases (the
/// queue then says "more than"), and no page starts past it. Counting every match of a
/// search, or skipping to a page a million rows in, would read every row the filter
/// matches on each request; past this many, a narrower filter is the way to a case.
pub const MAX_COUNTED: i64 = 10_000;

/// How the queue is ordered (after the cases with an overdue takedown, which always come
/// first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseSort {
    /// Oldest first: the case that waited longest.
    #[default]
    Age,
    /// Newest first.
    Newest,
    /// The nearest takedown deadline first; cases without one after.
    Deadline,
    /// Violations first, then review, then pass; oldest first within each.
    Severity,
}

impl CaseSort {
    pub const ALL: [CaseSort; 4] = [
        CaseSort::Age,
        CaseSort::Newest,
        CaseSort::Deadline,
        CaseSort::Severity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseSort::Age => "age",
            CaseSort::Newest => "newest",
            CaseSort::Deadline => "deadline",
            CaseSort::Severity => "severity",
        }
    }

    fn order_sql(self) -> String {
        let severity = format!(
            "CASE q.verdict WHEN '{}' THEN 0 WHEN '{}' THEN 1 ELSE 2 END",
            Verdict::Violation.as_str(),
            Verdict::Review.as_str()
        );
        match self {
            CaseSort::Age => "q.opened_at ASC, q.id ASC".into(),
            CaseSort::Newest => "q.opened_at DESC, q.id DESC".into(),
            CaseSort::Deadline => {
                "CASE WHEN q.td_deadline IS NULL THEN 1 ELSE 0 END, q.td_deadline ASC, q.opened_at ASC, q.id ASC".into()
            }
            CaseSort::Severity => format!("{severity}, q.opened_at ASC, q.id ASC"),
        }
    }
}

impl std::str::FromStr for CaseSort {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        CaseSort::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown sort `{s}` (one of: age, newest, deadline, severity)"))
    }
}

/// Which cases the queue shows: every field narrows it; `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub source: Option<CaseSource>,
    /// A rule id the engine found in the post (`CS-5`): letters, digits and `-` only.
    pub rule: Option<String>,
    /// A category the engine found in the post.
    pub category: Option<Category>,
    pub verdict: Option<Verdict>,
    /// Only cases with (true) or without (false) reports.
    pub has_reports: Option<bool>,
    /// Only the cases assigned to this actor (`moderator:3`); `Some("")`: to nobody.
    pub assignee: Option<String>,
    /// Words of the post's text or author, or a case id (`42` or `#42`), or a post's own id.
    pub text: Option<String>,
    pub sort: CaseSort,
    pub offset: i64,
    pub limit: i64,
    /// Now (Unix ms), to tell overdue takedowns.
    pub now: i64,
}

/// A case in the queue: its summary, how many reports it has, the nearest deadline of its
/// open takedowns (ND-2) and who it is assigned to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueuedCase {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub report_count: i64,
    /// The nearest deadline of the case's open takedown requests (Unix ms).
    pub takedown_deadline: Option<i64>,
    /// Who the case is assigned to (an actor's name), if anyone.
    pub assignee: Option<String>,
}

/// How many cases stand at a status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: CaseStatus,
    pub count: i64,
}

/// An internal note of staff on a case (never shown to the post's author).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseNote {
    pub id: i64,
    pub case_id: i64,
    pub author: String,
    pub body: String,
    pub created_at: i64,
}

/// A case given to someone (or to nobody: `assignee` null).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseAssignment {
    pub id: i64,
    pub case_id: i64,
    pub assignee: Option<String>,
    pub assigned_by: String,
    pub assigned_at: i64,
}

/// A bound value of the queue's query.
enum Arg {
    I(i64),
    S(String),
}

/// `%text%` for `LIKE … ESCAPE '\'`, with the wildcards of `text` taken literally.
fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The queue's rows as one subquery `q` (so both backends may order by its computed
/// columns), and the `WHERE` of the filter with its bound values from `$first` on.
fn queue_sql(f: &CaseFilter, args: &mut Vec<Arg>) -> String {
    let mut n = args.len();
    let mut arg = |a: Arg, args: &mut Vec<Arg>| {
        args.push(a);
        n += 1;
        format!("${n}")
    };
    let open = arg(Arg::S(TakedownStatus::Open.as_str().into()), args);
    let mut sql = format!(
        "SELECT * FROM (SELECT c.id, c.post_id, c.status, c.source, c.verdict, c.opened_at, c.updated_at, \
           p.external_id, p.author_id, p.text, p.result_json, \
           (SELECT MIN(t.deadline) FROM takedowns t WHERE t.case_id = c.id AND t.status = {open}) AS td_deadline, \
           (SELECT COUNT(*) FROM reports r WHERE r.case_id = c.id) AS report_count, \
           (SELECT a.assignee FROM case_assignments a WHERE a.case_id = c.id ORDER BY a.id DESC LIMIT 1) AS assignee \
         FROM cases c JOIN posts p ON p.id = c.post_id) q WHERE 1 = 1"
    );
    if let Some(s) = f.status {
        sql += &format!(" AND q.status = {}", arg(Arg::S(s.as_str().into()), args));
    }
    if let Some(s) = f.source {
        sql += &format!(" AND q.source = {}", arg(Arg::S(s.as_str().into()), args));
    }
    if let Some(v) = f.verdict {
        sql += &format!(" AND q.verdict = {}", arg(Arg::S(v.as_str().into()), args));
    }
    if let Some(rule) = &f.rule {
        let p = like_pattern(&format!("\"rule\":\"{rule}\""));
        sql += &format!(
            " AND q.result_json LIKE {} ESCAPE '\\'",
            arg(Arg::S(p), args)
        );
    }
    if let Some(c) = f.category {
        let p = like_pattern(&format!("\"category\":\"{}\"", c.as_str()));
        sql += &format!(
            " AND q.result_json LIKE {} ESCAPE '\\'",
            arg(Arg::S(p), args)
        );
    }
    match f.has_reports {
        Some(true) => sql += " AND q.report_count > 0",
        Some(false) => sql += " AND q.report_count = 0",
        None => {}
    }
    match f.assignee.as_deref() {
        Some("") => sql += " AND q.assignee IS NULL",
        Some(a) => sql += &format!(" AND q.assignee = {}", arg(Arg::S(a.into()), args)),
        None => {}
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let text: String = text.chars().take(MAX_SEARCH_CHARS).collect();
        let text = text.as_str();
        let p = arg(Arg::S(like_pattern(&text.to_lowercase())), args);
        let exact = arg(Arg::S(text.into()), args);
        let mut any = format!(
            "LOWER(q.text) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(q.author_id, '')) LIKE {p} ESCAPE '\\' OR q.external_id = {exact}"
        );
        if let Ok(id) = text.trim_start_matches('#').parse::<i64>() {
            any += &format!(" OR q.id = {}", arg(Arg::I(id), args));
        }
        sql += &format!(" AND ({any})");
    }
    sql
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::I(i) => q.bind(i),
            Arg::S(s) => q.bind(s),
        };
    }
    q
}

impl Store {
    /// One page of the queue and how many cases the filter matches, counted up to
    /// [`MAX_COUNTED`] (`true` when more match). Cases with an open takedown past its
    /// deadline come first, then `filter.sort`; at most [`MAX_PAGE_SIZE`] rows, from an
    /// offset of at most [`MAX_COUNTED`].
    pub async fn case_queue(&self, f: &CaseFilter) -> Result<(Vec<QueuedCase>, i64, bool)> {
        let mut args = Vec::new();
        let from = queue_sql(f, &mut args);
        // The count reads at most one row past the cap, however many cases match.
        let mut count_args = Vec::new();
        let counted = queue_sql(f, &mut count_args);
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT q.id FROM ({counted}) q LIMIT ${}) counted",
            count_args.len() + 1
        );
        count_args.push(Arg::I(MAX_COUNTED + 1));
        let matched: i64 = bind_all(sqlx::query(&count_sql), count_args)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        let n = args.len();
        let sql = format!(
            "{from} ORDER BY CASE WHEN q.td_deadline IS NOT NULL AND q.td_deadline < ${} THEN 0 ELSE 1 END, {} LIMIT ${} OFFSET ${}",
            n + 1,
            f.sort.order_sql(),
            n + 2,
            n + 3
        );
        args.push(Arg::I(f.now));
        args.push(Arg::I(f.limit.clamp(1, MAX_PAGE_SIZE)));
        args.push(Arg::I(f.offset.clamp(0, MAX_COUNTED)));
        let rows = bind_all(sqlx::query(&sql), args)
            .fetch_all(self.pool())
            .await?;
        let cases = rows
            .iter()
            .map(|r| {
                Ok(QueuedCase {
                    summary: CaseSummary {
                        case: case_from(r)?,
                        external_id: r.try_get("external_id")?,
                        author_id: r.try_get("author_id")?,
                        text: r.try_get("text")?,
                        result: json_col(r, "result_json")?,
                    },
                    report_count: r.try_get("report_count")?,
                    takedown_deadline: r.try_get("td_deadline")?,
                    assignee: r.try_get("assignee")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((cases, matched.min(MAX_COUNTED), matched > MAX_COUNTED))
    }

    /// How many cases stand at each status (every status, zero included).
    pub async fn case_counts(&self) -> Result<Vec<StatusCount>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM cases GROUP BY status")
            .fetch_all(self.pool())
            .await?;
        let mut counts: Vec<StatusCount> = CaseStatus::ALL
            .iter()
            .map(|s| StatusCount {
                status: *s,
                count: 0,
            })
            .collect();
        for r in &rows {
            let status: CaseStatus = crate::word_col(r, "status")?;
            let n: i64 = r.try_get("n")?;
            if let Some(c) = counts.iter_mut().find(|c| c.status == status) {
                c.count = n;
            }
        }
        Ok(counts)
    }

    /// A case's internal notes, oldest first.
    pub async fn case_notes(&self, case_id: i64) -> Result<Vec<CaseNote>> {
        sqlx::query(&format!(
            "SELECT {NOTE_COLS} FROM case_notes WHERE case_id = $1 ORDER BY id"
        ))
        .bind(case_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(note_from)
        .collect()
    }

    /// A case's assignments, oldest first (the last is the current one).
    pub async fn case_assignments(&self, case_id: i64) -> Result<Vec<CaseAssignment>> {
        sqlx::query(&format!(
            "SELECT {ASSIGNMENT_COLS} FROM case_assignments WHERE case_id = $1 ORDER BY id"
        ))
        .bind(case_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(assignment_from)
        .collect()
    }
}

const NOTE_COLS: &str = "id, case_id, author, body, created_at";
const ASSIGNMENT_COLS: &str = "id, case_id, assignee, assigned_by, assigned_at";

impl WriteTx<'_> {
    /// Gives a case to `assignee` (`None`: to nobody), audited.
    pub async fn assign_case(
        &mut self,
        case: &Case,
        assignee: Option<&str>,
        by: &str,
    ) -> Result<CaseAssignment> {
        let id: i64 = sqlx::query(
            "INSERT INTO case_assignments (case_id, assignee, assigned_by, assigned_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(case.id)
        .bind(assignee)
        .bind(by)
        .bind(now_ms())
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        self.touch(Table::CaseAssignments, id);
        self.audit(NewEvent::new(
            by,
            "case.assigned",
            format!("case:{}", case.id),
            serde_json::json!({"assignment_id": id, "assignee": assignee}),
        ))
        .await?;
        let sql = format!("SELECT {ASSIGNMENT_COLS} FROM case_assignments WHERE id = $1");
        fetch_one(self, "assignment", &sql, id, assignment_from).await
    }

    /// Stores an internal note on a case. Its event names the note, not its words (the row's
    /// hash binds them), so the audit log does not spread what staff wrote among themselves.
    pub async fn insert_note(&mut self, case: &Case, author: &str, body: &str) -> Result<CaseNote> {
        let id: i64 = sqlx::query(
            "INSERT INTO case_notes (case_id, author, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(case.id)
        .bind(author)
        .bind(body)
        .bind(now_ms())
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        self.touch(Table::CaseNotes, id);
        self.audit(NewEvent::new(
            author,
            "case.note_added",
            format!("case:{}", case.id),
            serde_json::json!({"note_id": id}),
        ))
        .await?;
        let sql = format!("SELECT {NOTE_COLS} FROM case_notes WHERE id = $1");
        fetch_one(self, "note", &sql, id, note_from).await
    }
}

fn note_from(r: &AnyRow) -> Result<CaseNote> {
    Ok(CaseNote {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        author: r.try_get("author")?,
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
    })
}

fn assignment_from(r: &AnyRow) -> Result<CaseAssignment> {
    Ok(CaseAssignment {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        assignee: r.try_get("assignee")?,
        assigned_by: r.try_get("assigned_by")?,
        assigned_at: r.try_get("assigned_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_takes_wildcards_literally() {
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn sorts_read_back_from_their_words() {
        for s in CaseSort::ALL {
            assert_eq!(s.as_str().parse(), Ok(s));
        }
        assert!("age; DROP".parse::<CaseSort>().is_err());
    }
}
