//! Citizens' inquiries to agencies (AG-7) with their answers (AG-5), and the public
//! responsiveness figures computed from them.
//!
//! The store knows nothing of calendars: the service computes the due times (working days,
//! Vietnamese holidays) and the month of receipt in Vietnam time, and passes them in. Every
//! change appends its audit event in the same transaction; audit payloads carry the masked
//! text only, never what the citizen wrote.
//!
//! Statuses: `open` (awaiting the first answer) → `answered` → (`reopened` → `answered`)…, and
//! `closed` (by the citizen or an admin) from any of them. `reply_due_at` is the deadline of
//! the answer awaited now (null when none is); `due_at` stays the deadline of the first
//! answer, which the public figures judge.

use crate::audit::{AuditEvent, NewEvent};
use crate::{json_col, now_ms, Backend, Result, Store, StoreError, WriteTx, DAY_MS};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;

/// An inquiry to record. The service has already checked and masked the text and computed
/// the deadline.
#[derive(Debug, Clone)]
pub struct NewInquiry {
    pub agency_id: String,
    /// The actor of the token that asked (e.g. `citizen:12`).
    pub citizen: String,
    /// `question`, `conflicting_information` or `doubt`.
    pub kind: String,
    pub text: String,
    pub masked_text: String,
    /// The engine's result on the text (JSON).
    pub check_json: String,
    /// When the agency received it (Unix ms, UTC).
    pub created_at: i64,
    /// `YYYY-MM` of `created_at` in Vietnam time.
    pub month: String,
    /// The agency's policy when it was received.
    pub working_days: i64,
    /// Deadline of the first answer (Unix ms).
    pub due_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inquiry {
    pub id: i64,
    pub agency_id: String,
    pub citizen: String,
    pub kind: String,
    /// What the citizen wrote, personal data included: not for public views.
    pub text: String,
    pub masked_text: String,
    pub check: serde_json::Value,
    pub status: String,
    pub assigned_to: Option<String>,
    pub assigned_at: Option<i64>,
    pub created_at: i64,
    pub month: String,
    pub working_days: i64,
    pub due_at: i64,
    pub reply_due_at: Option<i64>,
    pub first_answered_at: Option<i64>,
    /// `first_answered_at - created_at`.
    pub answer_ms: Option<i64>,
    /// Working days from the day of receipt to the first answer.
    pub answer_working_days: Option<i64>,
    pub escalated_at: Option<i64>,
    pub escalated_to: Option<String>,
    pub updated_at: i64,
}

impl Inquiry {
    /// Awaiting an answer (`open` or `reopened`).
    pub fn is_awaiting(&self) -> bool {
        self.status == "open" || self.status == "reopened"
    }

    /// Awaiting an answer whose deadline passed before `now`.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.is_awaiting() && self.reply_due_at.is_some_and(|d| d < now)
    }
}

/// An answer by an officer or a citizen's reason to reopen, checked and masked.
#[derive(Debug, Clone)]
pub struct NewReply {
    pub author: String,
    pub text: String,
    pub masked_text: String,
    pub check_json: String,
    /// When it was written (Unix ms).
    pub at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InquiryReply {
    pub id: i64,
    pub inquiry_id: i64,
    /// `answer` or `reopen`.
    pub kind: String,
    pub author: String,
    pub text: String,
    pub masked_text: String,
    pub check: serde_json::Value,
    pub created_at: i64,
}

/// A finding the service raises on an inquiry (`response_overdue`, AG-7).
#[derive(Debug, Clone, Serialize)]
pub struct NewInquiryFinding {
    pub rule_id: String,
    pub category: String,
    pub severity: String,
    pub evidence: String,
    pub message_vi: String,
    pub message_en: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InquiryFinding {
    pub id: i64,
    pub inquiry_id: i64,
    pub rule_id: String,
    pub category: String,
    pub severity: String,
    pub evidence: String,
    pub message_vi: String,
    pub message_en: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InquiryDetail {
    pub inquiry: Inquiry,
    pub replies: Vec<InquiryReply>,
    pub findings: Vec<InquiryFinding>,
}

/// The 50th and 90th percentiles of a sample (linear interpolation between closest ranks, so
/// the median of an even sample is the mean of its two middle values); `None` when empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// Responsiveness figures of a group of inquiries (one month, one agency, or all).
///
/// `on_time` counts first answers given by the deadline; `late` counts first answers given
/// after it and inquiries still without one whose deadline passed (closed ones excepted).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResponseStats {
    /// The group: `YYYY-MM`, an agency id, or `all`.
    pub key: String,
    pub count: i64,
    pub answered: i64,
    pub on_time: i64,
    pub late: i64,
    /// Awaiting an answer now.
    pub open: i64,
    /// Awaiting an answer past its deadline now.
    pub overdue: i64,
    pub escalated: i64,
    /// Time to first answer, milliseconds.
    pub answer_ms: Percentiles,
    /// Time to first answer, working days after the day of receipt.
    pub answer_working_days: Percentiles,
}

/// An agency's figures: in total and per month of receipt (Vietnam time), oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Responsiveness {
    pub total: ResponseStats,
    pub months: Vec<ResponseStats>,
}

const INQUIRY_COLS: &str = "id, agency_id, citizen, kind, text, masked_text, check_json, status, \
     assigned_to, assigned_at, created_at, month, working_days, due_at, reply_due_at, \
     first_answered_at, answer_ms, answer_working_days, escalated_at, escalated_to, updated_at";
const REPLY_COLS: &str = "id, inquiry_id, kind, author, text, masked_text, check_json, created_at";
const FINDING_COLS: &str = "id, inquiry_id, rule_id, category, severity, evidence, message_vi, \
     message_en, created_at";
/// Awaiting an answer past its deadline, and not yet escalated for that deadline.
const OVERDUE_UNESCALATED: &str = "status IN ('open', 'reopened') AND reply_due_at < $1 \
     AND (escalated_at IS NULL OR escalated_at < reply_due_at)";

impl Store {
    /// Records a citizen's inquiry to an existing agency.
    pub async fn create_inquiry(&self, q: &NewInquiry) -> Result<(Inquiry, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let agency = sqlx::query("SELECT id FROM agencies WHERE id = $1")
            .bind(&q.agency_id)
            .fetch_optional(&mut *w.tx)
            .await?;
        if agency.is_none() {
            return Err(StoreError::not_found(format!(
                "no agency `{}`",
                q.agency_id
            )));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO inquiries (agency_id, citizen, kind, text, masked_text, check_json, status, \
             created_at, month, working_days, due_at, reply_due_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $10, $11) RETURNING id",
        )
        .bind(&q.agency_id)
        .bind(&q.citizen)
        .bind(&q.kind)
        .bind(&q.text)
        .bind(&q.masked_text)
        .bind(&q.check_json)
        .bind(q.created_at)
        .bind(&q.month)
        .bind(q.working_days)
        .bind(q.due_at)
        .bind(now_ms())
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        bump_stats(&mut w, &q.agency_id, &q.month, [1, 0, 0, 0]).await?;
        w.audit(NewEvent::new(
            &q.citizen,
            "inquiry.created",
            format!("inquiry:{id}"),
            json!({
                "agency_id": q.agency_id, "kind": q.kind, "masked_text": q.masked_text,
                "received_at": q.created_at, "working_days": q.working_days, "due_at": q.due_at,
            }),
        ))
        .await?;
        let inquiry = inquiry_in(&mut w, id).await?;
        let events = w.commit().await?;
        Ok((inquiry, events))
    }

    pub async fn inquiry(&self, id: i64) -> Result<Option<Inquiry>> {
        let row = sqlx::query(&format!(
            "SELECT {INQUIRY_COLS} FROM inquiries WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| inquiry_from(&r)).transpose()
    }

    /// An inquiry with its replies and findings, oldest first.
    pub async fn inquiry_detail(&self, id: i64) -> Result<Option<InquiryDetail>> {
        let Some(inquiry) = self.inquiry(id).await? else {
            return Ok(None);
        };
        let replies = sqlx::query(&format!(
            "SELECT {REPLY_COLS} FROM inquiry_replies WHERE inquiry_id = $1 ORDER BY id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(reply_from)
        .collect::<Result<_>>()?;
        let findings = sqlx::query(&format!(
            "SELECT {FINDING_COLS} FROM inquiry_findings WHERE inquiry_id = $1 ORDER BY id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(finding_from)
        .collect::<Result<_>>()?;
        Ok(Some(InquiryDetail {
            inquiry,
            replies,
            findings,
        }))
    }

    /// An agency's inquiries, newest first, at most `limit`; with `overdue_at`, only those
    /// awaiting an answer whose deadline passed before that time.
    pub async fn list_inquiries(
        &self,
        agency_id: &str,
        overdue_at: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Inquiry>> {
        let rows = match overdue_at {
            Some(now) => {
                sqlx::query(&format!(
                    "SELECT {INQUIRY_COLS} FROM inquiries WHERE agency_id = $1 \
                     AND status IN ('open', 'reopened') AND reply_due_at < $2 \
                     ORDER BY reply_due_at, id LIMIT $3"
                ))
                .bind(agency_id)
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {INQUIRY_COLS} FROM inquiries WHERE agency_id = $1 \
                     ORDER BY id DESC LIMIT $2"
                ))
                .bind(agency_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(inquiry_from).collect()
    }

    /// Assigns an inquiry to an officer (an actor such as `agency_officer:7`).
    pub async fn assign_inquiry(
        &self,
        id: i64,
        assignee: &str,
        actor: &str,
    ) -> Result<(Inquiry, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let before = inquiry_in(&mut w, id).await?;
        if before.status == "closed" {
            return Err(StoreError::conflict(format!(
                "inquiry {id} is closed: it cannot be assigned"
            )));
        }
        let now = now_ms();
        sqlx::query(
            "UPDATE inquiries SET assigned_to = $1, assigned_at = $2, updated_at = $2 WHERE id = $3",
        )
        .bind(assignee)
        .bind(now)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        w.audit(NewEvent::new(
            actor,
            "inquiry.assigned",
            format!("inquiry:{id}"),
            json!({"assigned_to": assignee, "previously": before.assigned_to}),
        ))
        .await?;
        let inquiry = inquiry_in(&mut w, id).await?;
        let events = w.commit().await?;
        Ok((inquiry, events))
    }

    /// An officer's answer. The first one sets `first_answered_at` (with `answer_working_days`,
    /// the working days it took, computed by the caller for `answer.at`); any answer ends the
    /// wait. A closed inquiry takes no answer.
    pub async fn answer_inquiry(
        &self,
        id: i64,
        answer: &NewReply,
        answer_working_days: i64,
    ) -> Result<(Inquiry, InquiryReply, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let before = inquiry_in(&mut w, id).await?;
        if before.status == "closed" {
            return Err(StoreError::conflict(format!(
                "inquiry {id} is closed: reopen it before answering"
            )));
        }
        if answer.at < before.created_at {
            return Err(StoreError::conflict(format!(
                "inquiry {id} was received after that answer time"
            )));
        }
        let first = before.first_answered_at.is_none();
        if first {
            sqlx::query(
                "UPDATE inquiries SET first_answered_at = $1, answer_ms = $2, \
                 answer_working_days = $3 WHERE id = $4",
            )
            .bind(answer.at)
            .bind(answer.at - before.created_at)
            .bind(answer_working_days)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
            let (agency, month) = (&before.agency_id, &before.month);
            let on_time = i64::from(answer.at <= before.due_at);
            bump_stats(&mut w, agency, month, [0, 1, on_time, 0]).await?;
            let days = (answer.at - before.created_at) / DAY_MS;
            bump_histogram(&mut w, agency, month, "days", days).await?;
            bump_histogram(&mut w, agency, month, "working_days", answer_working_days).await?;
        }
        sqlx::query(
            "UPDATE inquiries SET status = 'answered', reply_due_at = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        let reply = insert_reply(&mut w, id, "answer", answer).await?;
        let on_time = first.then_some(answer.at <= before.due_at);
        w.audit(NewEvent::new(
            &answer.author,
            "inquiry.answered",
            format!("inquiry:{id}"),
            json!({
                "reply_id": reply.id, "masked_text": answer.masked_text, "answered_at": answer.at,
                "first_answer": first, "on_time": on_time,
                "late_for_reply_due_at": before.reply_due_at.filter(|d| answer.at > *d),
            }),
        ))
        .await?;
        let inquiry = inquiry_in(&mut w, id).await?;
        let events = w.commit().await?;
        Ok((inquiry, reply, events))
    }

    /// The citizen is not satisfied: an answered (or closed) inquiry awaits an answer again,
    /// due at `reply_due_at`. `reason` (checked and masked) is kept as a reply.
    pub async fn reopen_inquiry(
        &self,
        id: i64,
        reason: &NewReply,
        reply_due_at: i64,
    ) -> Result<(Inquiry, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let before = inquiry_in(&mut w, id).await?;
        if before.is_awaiting() {
            return Err(StoreError::conflict(format!(
                "inquiry {id} is {}: it already awaits an answer",
                before.status
            )));
        }
        sqlx::query(
            "UPDATE inquiries SET status = 'reopened', reply_due_at = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(reply_due_at)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        let reply = insert_reply(&mut w, id, "reopen", reason).await?;
        w.audit(NewEvent::new(
            &reason.author,
            "inquiry.reopened",
            format!("inquiry:{id}"),
            json!({
                "reply_id": reply.id, "masked_text": reason.masked_text,
                "previous_status": before.status, "reply_due_at": reply_due_at,
            }),
        ))
        .await?;
        let inquiry = inquiry_in(&mut w, id).await?;
        let events = w.commit().await?;
        Ok((inquiry, events))
    }

    /// Closes an inquiry (the citizen is satisfied, or withdraws it).
    pub async fn close_inquiry(&self, id: i64, actor: &str) -> Result<(Inquiry, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let before = inquiry_in(&mut w, id).await?;
        if before.status == "closed" {
            return Err(StoreError::conflict(format!(
                "inquiry {id} is already closed"
            )));
        }
        sqlx::query(
            "UPDATE inquiries SET status = 'closed', reply_due_at = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        w.audit(NewEvent::new(
            actor,
            "inquiry.closed",
            format!("inquiry:{id}"),
            json!({"previous_status": before.status}),
        ))
        .await?;
        let inquiry = inquiry_in(&mut w, id).await?;
        let events = w.commit().await?;
        Ok((inquiry, events))
    }

    /// Inquiries awaiting an answer past their deadline at `now` and not yet escalated for
    /// that deadline, oldest deadline first.
    pub async fn overdue_unescalated_inquiries(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<Inquiry>> {
        sqlx::query(&format!(
            "SELECT {INQUIRY_COLS} FROM inquiries WHERE {OVERDUE_UNESCALATED} \
             ORDER BY reply_due_at, id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(inquiry_from)
        .collect()
    }

    /// Escalates an overdue inquiry to `escalated_to` (the parent agency, when there is one)
    /// and records `finding` on it. Returns `None`, changing nothing, when the inquiry is no
    /// longer overdue-and-unescalated at `now` (answered meanwhile, or escalated by another
    /// sweep).
    pub async fn escalate_inquiry(
        &self,
        id: i64,
        escalated_to: Option<&str>,
        finding: &NewInquiryFinding,
        now: i64,
        actor: &str,
    ) -> Result<Option<(Inquiry, Vec<AuditEvent>)>> {
        let mut w = self.write().await?;
        let still = sqlx::query(&format!(
            "SELECT id FROM inquiries WHERE {OVERDUE_UNESCALATED} AND id = $2"
        ))
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *w.tx)
        .await?;
        if still.is_none() {
            return Ok(None);
        }
        let before = inquiry_in(&mut w, id).await?;
        sqlx::query(
            "UPDATE inquiries SET escalated_at = $1, escalated_to = $2, updated_at = $1 WHERE id = $3",
        )
        .bind(now)
        .bind(escalated_to)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        if before.escalated_at.is_none() {
            bump_stats(&mut w, &before.agency_id, &before.month, [0, 0, 0, 1]).await?;
        }
        let finding_id: i64 = sqlx::query(
            "INSERT INTO inquiry_findings (inquiry_id, rule_id, category, severity, evidence, \
             message_vi, message_en, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(id)
        .bind(&finding.rule_id)
        .bind(&finding.category)
        .bind(&finding.severity)
        .bind(&finding.evidence)
        .bind(&finding.message_vi)
        .bind(&finding.message_en)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.audit(NewEvent::new(
            actor,
            "inquiry.escalated",
            format!("inquiry:{id}"),
            json!({
                "agency_id": before.agency_id, "escalated_to": escalated_to,
                "reply_due_at": before.reply_due_at, "finding_id": finding_id,
                "rule": finding.rule_id, "category": finding.category,
            }),
        ))
        .await?;
        let inquiry = inquiry_in(&mut w, id).await?;
        let events = w.commit().await?;
        Ok(Some((inquiry, events)))
    }

    /// Records that `actor` read the unmasked text of an inquiry (AG-5). The caller shows the
    /// text only after this returns.
    pub async fn record_inquiry_unmasked_view(
        &self,
        id: i64,
        actor: &str,
        reason: &str,
    ) -> Result<Vec<AuditEvent>> {
        let mut w = self.write().await?;
        w.audit(NewEvent::new(
            actor,
            "inquiry.unmasked_viewed",
            format!("inquiry:{id}"),
            json!({"as": reason}),
        ))
        .await?;
        w.commit().await
    }

    /// An agency's responsiveness at `now`: in total and per month of receipt.
    ///
    /// Reads the per-month counts and histograms kept by the writes, the questions awaiting an
    /// answer, and, for each median and p90 of the time to first answer, two rows found by a
    /// short walk of an index from the start of the histogram bucket that holds them: the cost
    /// depends on the number of months and of questions awaiting an answer, not on the
    /// number of inquiries.
    pub async fn responsiveness(&self, agency_id: &str, now: i64) -> Result<Responsiveness> {
        let mut tx = self.read_snapshot().await?;
        let parts = read_parts(&mut tx, Some(agency_id), now).await?;
        let mut months: BTreeMap<String, Acc> = BTreeMap::new();
        let mut total = Acc::default();
        for ((_, month), part) in &parts {
            total.add(part);
            months.entry(month.clone()).or_default().add(part);
        }
        let mut groups: Vec<(Scope, Acc)> = months
            .into_iter()
            .map(|(month, acc)| {
                let scope = Scope {
                    key: month.clone(),
                    agency: agency_id.to_string(),
                    month: Some(month),
                };
                (scope, acc)
            })
            .collect();
        let scope = Scope {
            key: "all".into(),
            agency: agency_id.to_string(),
            month: None,
        };
        groups.push((scope, total));
        let mut stats = finish(&mut tx, groups).await?;
        tx.commit().await?;
        let total = stats.pop().unwrap_or_default();
        Ok(Responsiveness {
            total,
            months: stats,
        })
    }

    /// Every agency's figures at `now` (keyed by agency id, in id order), for agencies with
    /// inquiries.
    pub async fn responsiveness_by_agency(&self, now: i64) -> Result<Vec<ResponseStats>> {
        let mut tx = self.read_snapshot().await?;
        let parts = read_parts(&mut tx, None, now).await?;
        let mut agencies: BTreeMap<String, Acc> = BTreeMap::new();
        for ((agency, _), part) in &parts {
            agencies.entry(agency.clone()).or_default().add(part);
        }
        let groups = agencies
            .into_iter()
            .map(|(agency, acc)| {
                let scope = Scope {
                    key: agency.clone(),
                    agency,
                    month: None,
                };
                (scope, acc)
            })
            .collect();
        let stats = finish(&mut tx, groups).await?;
        tx.commit().await?;
        Ok(stats)
    }

    /// Recomputes the per-month counts and histograms of every agency from the inquiries
    /// themselves (after a bulk import, or to check the ones kept by the writes).
    pub async fn rebuild_inquiry_rollups(&self, actor: &str) -> Result<Vec<AuditEvent>> {
        let mut w = self.write().await?;
        for sql in [
            "DELETE FROM inquiry_stats",
            "DELETE FROM inquiry_answer_histogram",
            "INSERT INTO inquiry_stats (agency_id, month, received, answered, answered_on_time, escalated) \
             SELECT agency_id, month, COUNT(*), COUNT(first_answered_at), \
             COALESCE(SUM(CASE WHEN first_answered_at <= due_at THEN 1 ELSE 0 END), 0), \
             COUNT(escalated_at) FROM inquiries GROUP BY agency_id, month",
            "INSERT INTO inquiry_answer_histogram (agency_id, month, measure, bucket, n) \
             SELECT agency_id, month, 'days', answer_ms / 86400000, COUNT(*) FROM inquiries \
             WHERE answer_ms IS NOT NULL GROUP BY agency_id, month, answer_ms / 86400000",
            "INSERT INTO inquiry_answer_histogram (agency_id, month, measure, bucket, n) \
             SELECT agency_id, month, 'working_days', answer_working_days, COUNT(*) FROM inquiries \
             WHERE answer_working_days IS NOT NULL GROUP BY agency_id, month, answer_working_days",
        ] {
            sqlx::query(sql).execute(&mut *w.tx).await?;
        }
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM inquiries")
            .fetch_one(&mut *w.tx)
            .await?
            .try_get("n")?;
        w.audit(NewEvent::new(
            actor,
            "inquiry.rollups_rebuilt",
            "inquiries".into(),
            json!({"inquiries": n}),
        ))
        .await?;
        w.commit().await
    }

    /// A read-only transaction that sees one state of the database throughout.
    async fn read_snapshot(&self) -> Result<Transaction<'static, Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }
}

/// Adds to the counts of an agency's month: received, answered, answered on time, escalated.
async fn bump_stats(w: &mut WriteTx<'_>, agency: &str, month: &str, by: [i64; 4]) -> Result<()> {
    sqlx::query(
        "INSERT INTO inquiry_stats (agency_id, month, received, answered, answered_on_time, escalated) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agency_id, month) DO UPDATE SET \
         received = inquiry_stats.received + excluded.received, \
         answered = inquiry_stats.answered + excluded.answered, \
         answered_on_time = inquiry_stats.answered_on_time + excluded.answered_on_time, \
         escalated = inquiry_stats.escalated + excluded.escalated",
    )
    .bind(agency)
    .bind(month)
    .bind(by[0])
    .bind(by[1])
    .bind(by[2])
    .bind(by[3])
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// Counts one first answer in a histogram bucket of an agency's month.
async fn bump_histogram(
    w: &mut WriteTx<'_>,
    agency: &str,
    month: &str,
    measure: &str,
    bucket: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO inquiry_answer_histogram (agency_id, month, measure, bucket, n) \
         VALUES ($1, $2, $3, $4, 1) ON CONFLICT (agency_id, month, measure, bucket) \
         DO UPDATE SET n = inquiry_answer_histogram.n + 1",
    )
    .bind(agency)
    .bind(month)
    .bind(measure)
    .bind(bucket)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// The figures of a group of inquiries while they are summed up: counts, and histograms of
/// the time to first answer in whole days and in working days.
#[derive(Debug, Default)]
struct Acc {
    stats: ResponseStats,
    days: BTreeMap<i64, i64>,
    working_days: BTreeMap<i64, i64>,
}

impl Acc {
    fn add(&mut self, o: &Acc) {
        let (s, t) = (&mut self.stats, &o.stats);
        s.count += t.count;
        s.answered += t.answered;
        s.on_time += t.on_time;
        s.late += t.late;
        s.open += t.open;
        s.overdue += t.overdue;
        s.escalated += t.escalated;
        for (b, n) in &o.days {
            *self.days.entry(*b).or_default() += n;
        }
        for (b, n) in &o.working_days {
            *self.working_days.entry(*b).or_default() += n;
        }
    }
}

/// The inquiries a group covers: one agency's, or one agency's of one month.
struct Scope {
    key: String,
    agency: String,
    month: Option<String>,
}

/// The figures of every (agency, month) with inquiries, of one agency or all.
async fn read_parts(
    tx: &mut Transaction<'static, Any>,
    agency: Option<&str>,
    now: i64,
) -> Result<BTreeMap<(String, String), Acc>> {
    // `$1` is the agency when there is one.
    let (only, t) = match agency {
        Some(_) => ("WHERE agency_id = $1", "$2"),
        None => ("", "$1"),
    };
    let scoped = |sql: &'static str| -> String { sql.replace("{only}", only) };
    let mut parts: BTreeMap<(String, String), Acc> = BTreeMap::new();
    let sql = scoped(
        "SELECT agency_id, month, received, answered, answered_on_time, escalated \
         FROM inquiry_stats {only}",
    );
    let rows = bind_agency(sqlx::query(&sql), agency)
        .fetch_all(&mut **tx)
        .await?;
    for r in &rows {
        let acc = parts
            .entry((r.try_get("agency_id")?, r.try_get("month")?))
            .or_default();
        let answered: i64 = r.try_get("answered")?;
        let on_time: i64 = r.try_get("answered_on_time")?;
        acc.stats.count = r.try_get("received")?;
        acc.stats.answered = answered;
        acc.stats.on_time = on_time;
        acc.stats.late += answered - on_time;
        acc.stats.escalated = r.try_get("escalated")?;
    }
    let awaiting = if agency.is_some() {
        "WHERE agency_id = $1 AND status IN ('open', 'reopened')"
    } else {
        "WHERE status IN ('open', 'reopened')"
    };
    let sql = format!(
        "SELECT agency_id, month, COUNT(*) AS awaiting, \
         COALESCE(SUM(CASE WHEN reply_due_at < {t} THEN 1 ELSE 0 END), 0) AS overdue, \
         COALESCE(SUM(CASE WHEN first_answered_at IS NULL AND due_at < {t} THEN 1 ELSE 0 END), 0) AS late \
         FROM inquiries {awaiting} GROUP BY agency_id, month"
    );
    let q = sqlx::query(&sql);
    let q = match agency {
        Some(a) => q.bind(a).bind(now),
        None => q.bind(now),
    };
    for r in &q.fetch_all(&mut **tx).await? {
        let acc = parts
            .entry((r.try_get("agency_id")?, r.try_get("month")?))
            .or_default();
        acc.stats.open = r.try_get("awaiting")?;
        acc.stats.overdue = r.try_get("overdue")?;
        acc.stats.late += r.try_get::<i64, _>("late")?;
    }
    let sql =
        scoped("SELECT agency_id, month, measure, bucket, n FROM inquiry_answer_histogram {only}");
    let rows = bind_agency(sqlx::query(&sql), agency)
        .fetch_all(&mut **tx)
        .await?;
    for r in &rows {
        let acc = parts
            .entry((r.try_get("agency_id")?, r.try_get("month")?))
            .or_default();
        let measure: String = r.try_get("measure")?;
        let hist = if measure == "days" {
            &mut acc.days
        } else {
            &mut acc.working_days
        };
        *hist.entry(r.try_get("bucket")?).or_default() += r.try_get::<i64, _>("n")?;
    }
    Ok(parts)
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

fn bind_agency<'q>(q: AnyQuery<'q>, agency: Option<&'q str>) -> AnyQuery<'q> {
    match agency {
        Some(a) => q.bind(a),
        None => q,
    }
}

/// Where the `tenths`/10 quantile of `n` sorted values lies: the 0-based rank below it and
/// the fraction of the way to the next (linear interpolation between closest ranks, so the
/// median of an even sample is the mean of its two middle values).
fn quantile_rank(n: i64, tenths: i64) -> (i64, f64) {
    let scaled = (n - 1) * tenths;
    (scaled / 10, (scaled % 10) as f64 / 10.0)
}

/// The bucket of a histogram that holds 0-based rank `r`, and `r`'s offset inside it.
fn locate(hist: &BTreeMap<i64, i64>, r: i64) -> Option<(i64, i64)> {
    let mut before = 0;
    for (bucket, n) in hist {
        if r < before + n {
            return Some((*bucket, r - before));
        }
        before += n;
    }
    None
}

/// The 50th and 90th percentiles of the values a histogram of whole numbers counts.
fn histogram_percentiles(hist: &BTreeMap<i64, i64>) -> Percentiles {
    let n: i64 = hist.values().sum();
    let at = |tenths| -> Option<f64> {
        let (r, frac) = quantile_rank(n, tenths);
        let lo = locate(hist, r)?.0 as f64;
        let hi = locate(hist, r + 1).map_or(lo, |(b, _)| b as f64);
        Some(lo + (hi - lo) * frac)
    };
    if n == 0 {
        return Percentiles::default();
    }
    Percentiles {
        median: at(5),
        p90: at(9),
    }
}

/// Completes each group's figures with its percentiles. The working days come from the
/// histogram; each time percentile from the two values at its ranks, read from the index of
/// times in order starting at the histogram bucket that holds the lower rank.
async fn finish(
    tx: &mut Transaction<'static, Any>,
    groups: Vec<(Scope, Acc)>,
) -> Result<Vec<ResponseStats>> {
    // (group, which percentile, fraction, bucket start, offset in the bucket)
    let mut walks: Vec<(usize, i64, f64, i64, i64)> = Vec::new();
    for (g, (_, acc)) in groups.iter().enumerate() {
        let n: i64 = acc.days.values().sum();
        for tenths in [5, 9] {
            let (r, frac) = quantile_rank(n, tenths);
            if let (true, Some((bucket, offset))) = (n > 0, locate(&acc.days, r)) {
                walks.push((g, tenths, frac, bucket * DAY_MS, offset));
            }
        }
    }
    // (group, which) → the values at the rank and the next
    let mut values: BTreeMap<(usize, i64), Vec<i64>> = BTreeMap::new();
    // SQLite takes at most 500 terms in a compound SELECT.
    for (c, chunk) in walks.chunks(200).enumerate() {
        let mut sql = String::new();
        let mut p = 0;
        for (i, (g, _, _, _, _)) in chunk.iter().enumerate() {
            let month = if groups[*g].0.month.is_some() {
                p += 1;
                format!("AND month = ${p}")
            } else {
                String::new()
            };
            if i > 0 {
                sql.push_str(" UNION ALL ");
            }
            sql.push_str(&format!(
                "SELECT CAST({i} AS BIGINT) AS q, answer_ms FROM (SELECT answer_ms FROM inquiries \
                 WHERE agency_id = ${} {month} AND answer_ms IS NOT NULL AND answer_ms >= ${} \
                 ORDER BY answer_ms LIMIT 2 OFFSET ${}) AS w{i}",
                p + 1,
                p + 2,
                p + 3
            ));
            p += 3;
        }
        let mut q = sqlx::query(&sql);
        for (g, _, _, start, offset) in chunk {
            let scope = &groups[*g].0;
            if let Some(m) = &scope.month {
                q = q.bind(m.clone());
            }
            q = q.bind(scope.agency.clone()).bind(*start).bind(*offset);
        }
        for r in q.fetch_all(&mut **tx).await? {
            let i: i64 = r.try_get("q")?;
            let (g, tenths, _, _, _) = walks[c * 200 + i as usize];
            values
                .entry((g, tenths))
                .or_default()
                .push(r.try_get("answer_ms")?);
        }
    }
    let fracs: BTreeMap<(usize, i64), f64> =
        walks.iter().map(|(g, t, f, _, _)| ((*g, *t), *f)).collect();
    let at = |g: usize, tenths: i64| -> Option<f64> {
        let mut v = values.get(&(g, tenths))?.clone();
        v.sort_unstable();
        let lo = *v.first()? as f64;
        let hi = v.get(1).map_or(lo, |x| *x as f64);
        Some(lo + (hi - lo) * fracs.get(&(g, tenths)).copied().unwrap_or(0.0))
    };
    Ok(groups
        .into_iter()
        .enumerate()
        .map(|(g, (scope, acc))| ResponseStats {
            key: scope.key,
            answer_ms: Percentiles {
                median: at(g, 5),
                p90: at(g, 9),
            },
            answer_working_days: histogram_percentiles(&acc.working_days),
            ..acc.stats
        })
        .collect())
}

async fn inquiry_in(w: &mut WriteTx<'_>, id: i64) -> Result<Inquiry> {
    let sql = format!("SELECT {INQUIRY_COLS} FROM inquiries WHERE id = $1");
    crate::fetch_one(w, "inquiry", &sql, id, inquiry_from).await
}

async fn insert_reply(
    w: &mut WriteTx<'_>,
    inquiry_id: i64,
    kind: &str,
    r: &NewReply,
) -> Result<InquiryReply> {
    let row = sqlx::query(&format!(
        "INSERT INTO inquiry_replies (inquiry_id, kind, author, text, masked_text, check_json, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {REPLY_COLS}"
    ))
    .bind(inquiry_id)
    .bind(kind)
    .bind(&r.author)
    .bind(&r.text)
    .bind(&r.masked_text)
    .bind(&r.check_json)
    .bind(r.at)
    .fetch_one(&mut *w.tx)
    .await?;
    reply_from(&row)
}

fn inquiry_from(r: &AnyRow) -> Result<Inquiry> {
    Ok(Inquiry {
        id: r.try_get("id")?,
        agency_id: r.try_get("agency_id")?,
        citizen: r.try_get("citizen")?,
        kind: r.try_get("kind")?,
        text: r.try_get("text")?,
        masked_text: r.try_get("masked_text")?,
        check: json_col(r, "check_json")?,
        status: r.try_get("status")?,
        assigned_to: r.try_get("assigned_to")?,
        assigned_at: r.try_get("assigned_at")?,
        created_at: r.try_get("created_at")?,
        month: r.try_get("month")?,
        working_days: r.try_get("working_days")?,
        due_at: r.try_get("due_at")?,
        reply_due_at: r.try_get("reply_due_at")?,
        first_answered_at: r.try_get("first_answered_at")?,
        answer_ms: r.try_get("answer_ms")?,
        answer_working_days: r.try_get("answer_working_days")?,
        escalated_at: r.try_get("escalated_at")?,
        escalated_to: r.try_get("escalated_to")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn reply_from(r: &AnyRow) -> Result<InquiryReply> {
    Ok(InquiryReply {
        id: r.try_get("id")?,
        inquiry_id: r.try_get("inquiry_id")?,
        kind: r.try_get("kind")?,
        author: r.try_get("author")?,
        text: r.try_get("text")?,
        masked_text: r.try_get("masked_text")?,
        check: json_col(r, "check_json")?,
        created_at: r.try_get("created_at")?,
    })
}

fn finding_from(r: &AnyRow) -> Result<InquiryFinding> {
    Ok(InquiryFinding {
        id: r.try_get("id")?,
        inquiry_id: r.try_get("inquiry_id")?,
        rule_id: r.try_get("rule_id")?,
        category: r.try_get("category")?,
        severity: r.try_get("severity")?,
        evidence: r.try_get("evidence")?,
        message_vi: r.try_get("message_vi")?,
        message_en: r.try_get("message_en")?,
        created_at: r.try_get("created_at")?,
    })
}
