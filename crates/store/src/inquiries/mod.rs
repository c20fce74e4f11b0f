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

mod figures;
pub mod follow;

use crate::audit::{AuditEvent, NewEvent, Table};
use crate::{json_col, now_ms, word_col, Result, Store, StoreError, WriteTx, DAY_MS};
use figures::{bump_histogram, bump_stats};
use quytac_core::finding::{Category, Severity};
pub use quytac_core::workflow::inquiry::{InquiryKind, InquiryStatus, ReplyKind, WEB_CITIZEN};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

/// An inquiry to record. The service has already checked and masked the text and computed
/// the deadline.
#[derive(Debug, Clone)]
pub struct NewInquiry {
    pub agency_id: String,
    /// The actor of the token that asked (e.g. `citizen:12`).
    pub citizen: String,
    pub kind: InquiryKind,
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inquiry {
    pub id: i64,
    pub agency_id: String,
    pub citizen: String,
    pub kind: InquiryKind,
    /// What the citizen wrote, personal data included: not for public views.
    pub text: String,
    pub masked_text: String,
    #[schema(value_type = Object)]
    pub check: serde_json::Value,
    pub status: InquiryStatus,
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
        self.status.is_awaiting()
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryReply {
    pub id: i64,
    pub inquiry_id: i64,
    pub kind: ReplyKind,
    pub author: String,
    pub text: String,
    pub masked_text: String,
    #[schema(value_type = Object)]
    pub check: serde_json::Value,
    pub created_at: i64,
}

/// A finding the service raises on an inquiry (`response_overdue`, AG-7).
#[derive(Debug, Clone, Serialize)]
pub struct NewInquiryFinding {
    pub rule_id: String,
    pub category: Category,
    pub severity: Severity,
    pub evidence: String,
    pub message_vi: String,
    pub message_en: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryFinding {
    pub id: i64,
    pub inquiry_id: i64,
    pub rule_id: String,
    pub category: Category,
    pub severity: String,
    pub evidence: String,
    pub message_vi: String,
    pub message_en: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryDetail {
    pub inquiry: Inquiry,
    pub replies: Vec<InquiryReply>,
    pub findings: Vec<InquiryFinding>,
}

/// The 50th and 90th percentiles of a sample (linear interpolation between closest ranks, so
/// the median of an even sample is the mean of its two middle values); `None` when empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct Percentiles {
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// Responsiveness figures of a group of inquiries (one month, one agency, or all).
///
/// `on_time` counts first answers given by the deadline; `late` counts first answers given
/// after it and inquiries still without one whose deadline passed (closed ones excepted).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
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
/// `$1` is the time; the statuses awaiting an answer are bound as `$3` and `$4`.
const OVERDUE_UNESCALATED: &str = "status IN ($3, $4) AND reply_due_at < $1 \
     AND (escalated_at IS NULL OR escalated_at < reply_due_at)";

impl Store {
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
                     AND status IN ($4, $5) AND reply_due_at < $2 \
                     ORDER BY reply_due_at, id LIMIT $3"
                ))
                .bind(agency_id)
                .bind(now)
                .bind(limit)
                .bind(InquiryStatus::Open.as_str())
                .bind(InquiryStatus::Reopened.as_str())
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

    /// Inquiries escalated to `agency_id` (as the parent of the agency asked), newest first,
    /// at most `limit`: its officers may answer them too.
    pub async fn inquiries_escalated_to(
        &self,
        agency_id: &str,
        limit: i64,
    ) -> Result<Vec<Inquiry>> {
        let rows = sqlx::query(&format!(
            "SELECT {INQUIRY_COLS} FROM inquiries WHERE escalated_to = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(agency_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(inquiry_from).collect()
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
        .bind(InquiryStatus::Open.as_str())
        .bind(InquiryStatus::Reopened.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(inquiry_from)
        .collect()
    }

    /// [`WriteTx::create_inquiry`] in a transaction of its own.
    pub async fn create_inquiry(&self, q: &NewInquiry) -> Result<(Inquiry, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let out = w.create_inquiry(q).await?;
        Ok((out, w.commit().await?))
    }

    /// [`WriteTx::assign_inquiry`] in a transaction of its own.
    pub async fn assign_inquiry(
        &self,
        id: i64,
        assignee: &str,
        actor: &str,
    ) -> Result<(Inquiry, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let out = w.assign_inquiry(id, assignee, actor).await?;
        Ok((out, w.commit().await?))
    }

    /// [`WriteTx::answer_inquiry`] in a transaction of its own.
    pub async fn answer_inquiry(
        &self,
        id: i64,
        answer: &NewReply,
        answer_working_days: i64,
    ) -> Result<(Inquiry, InquiryReply, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let (q, r) = w.answer_inquiry(id, answer, answer_working_days).await?;
        Ok((q, r, w.commit().await?))
    }

    /// [`WriteTx::reopen_inquiry`] in a transaction of its own.
    pub async fn reopen_inquiry(
        &self,
        id: i64,
        reason: &NewReply,
        reply_due_at: i64,
    ) -> Result<(Inquiry, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let out = w.reopen_inquiry(id, reason, reply_due_at).await?;
        Ok((out, w.commit().await?))
    }

    /// [`WriteTx::close_inquiry`] in a transaction of its own.
    pub async fn close_inquiry(&self, id: i64, actor: &str) -> Result<(Inquiry, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let out = w.close_inquiry(id, actor).await?;
        Ok((out, w.commit().await?))
    }

    /// [`WriteTx::record_inquiry_unmasked_view`] in a transaction of its own.
    pub async fn record_inquiry_unmasked_view(
        &self,
        id: i64,
        actor: &str,
        reason: &str,
    ) -> Result<Vec<AuditEvent>> {
        let mut w = self.write().await?;
        w.record_inquiry_unmasked_view(id, actor, reason).await?;
        w.commit().await
    }

    /// [`WriteTx::escalate_inquiry`] in a transaction of its own.
    pub async fn escalate_inquiry(
        &self,
        id: i64,
        escalated_to: Option<&str>,
        finding: &NewInquiryFinding,
        now: i64,
        actor: &str,
    ) -> Result<Option<(Inquiry, Vec<AuditEvent>)>> {
        let mut w = self.write().await?;
        match w
            .escalate_inquiry(id, escalated_to, finding, now, actor)
            .await?
        {
            Some(q) => Ok(Some((q, w.commit().await?))),
            None => Ok(None),
        }
    }
}

impl WriteTx<'_> {
    /// An inquiry, read in this transaction.
    pub async fn inquiry(&mut self, id: i64) -> Result<Inquiry> {
        inquiry_in(self, id).await
    }

    /// Records a citizen's inquiry to an existing agency.
    pub async fn create_inquiry(&mut self, q: &NewInquiry) -> Result<Inquiry> {
        let w = self;
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
             VALUES ($1, $2, $3, $4, $5, $6, $12, $7, $8, $9, $10, $10, $11) RETURNING id",
        )
        .bind(&q.agency_id)
        .bind(&q.citizen)
        .bind(q.kind.as_str())
        .bind(&q.text)
        .bind(&q.masked_text)
        .bind(&q.check_json)
        .bind(q.created_at)
        .bind(&q.month)
        .bind(q.working_days)
        .bind(q.due_at)
        .bind(now_ms())
        .bind(InquiryStatus::Open.as_str())
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        bump_stats(w, &q.agency_id, &q.month, [1, 0, 0, 0]).await?;
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
        let inquiry = changed_inquiry(w, id).await?;
        Ok(inquiry)
    }

    /// Assigns an inquiry to an officer (an actor such as `agency_officer:7`).
    pub async fn assign_inquiry(
        &mut self,
        id: i64,
        assignee: &str,
        actor: &str,
    ) -> Result<Inquiry> {
        let w = self;
        let before = inquiry_in(w, id).await?;
        if before.status == InquiryStatus::Closed {
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
        let inquiry = changed_inquiry(w, id).await?;
        Ok(inquiry)
    }

    /// An officer's answer. The first one sets `first_answered_at` (with `answer_working_days`,
    /// the working days it took, computed by the caller for `answer.at`); any answer ends the
    /// wait. A closed inquiry takes no answer.
    pub async fn answer_inquiry(
        &mut self,
        id: i64,
        answer: &NewReply,
        answer_working_days: i64,
    ) -> Result<(Inquiry, InquiryReply)> {
        let w = self;
        let before = inquiry_in(w, id).await?;
        if before.status == InquiryStatus::Closed {
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
            bump_stats(w, agency, month, [0, 1, on_time, 0]).await?;
            let days = (answer.at - before.created_at) / DAY_MS;
            bump_histogram(w, agency, month, "days", days).await?;
            bump_histogram(w, agency, month, "working_days", answer_working_days).await?;
        }
        sqlx::query(
            "UPDATE inquiries SET status = $3, reply_due_at = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now_ms())
        .bind(id)
        .bind(InquiryStatus::Answered.as_str())
        .execute(&mut *w.tx)
        .await?;
        let reply = insert_reply(w, id, ReplyKind::Answer, answer).await?;
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
        let inquiry = changed_inquiry(w, id).await?;
        Ok((inquiry, reply))
    }

    /// The citizen is not satisfied: an answered (or closed) inquiry awaits an answer again,
    /// due at `reply_due_at`. `reason` (checked and masked) is kept as a reply.
    pub async fn reopen_inquiry(
        &mut self,
        id: i64,
        reason: &NewReply,
        reply_due_at: i64,
    ) -> Result<Inquiry> {
        let w = self;
        let before = inquiry_in(w, id).await?;
        if before.is_awaiting() {
            return Err(StoreError::conflict(format!(
                "inquiry {id} is {}: it already awaits an answer",
                before.status
            )));
        }
        sqlx::query(
            "UPDATE inquiries SET status = $4, reply_due_at = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(reply_due_at)
        .bind(now_ms())
        .bind(id)
        .bind(InquiryStatus::Reopened.as_str())
        .execute(&mut *w.tx)
        .await?;
        let reply = insert_reply(w, id, ReplyKind::Reopen, reason).await?;
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
        let inquiry = changed_inquiry(w, id).await?;
        Ok(inquiry)
    }

    /// Closes an inquiry (the citizen is satisfied, or withdraws it).
    pub async fn close_inquiry(&mut self, id: i64, actor: &str) -> Result<Inquiry> {
        let w = self;
        let before = inquiry_in(w, id).await?;
        if before.status == InquiryStatus::Closed {
            return Err(StoreError::conflict(format!(
                "inquiry {id} is already closed"
            )));
        }
        sqlx::query(
            "UPDATE inquiries SET status = $3, reply_due_at = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now_ms())
        .bind(id)
        .bind(InquiryStatus::Closed.as_str())
        .execute(&mut *w.tx)
        .await?;
        w.audit(NewEvent::new(
            actor,
            "inquiry.closed",
            format!("inquiry:{id}"),
            json!({"previous_status": before.status}),
        ))
        .await?;
        let inquiry = changed_inquiry(w, id).await?;
        Ok(inquiry)
    }

    /// Escalates an overdue inquiry to `escalated_to` (the parent agency, when there is one)
    /// and records `finding` on it. Returns `None`, changing nothing, when the inquiry is no
    /// longer overdue-and-unescalated at `now` (answered meanwhile, or escalated by another
    /// sweep).
    pub async fn escalate_inquiry(
        &mut self,
        id: i64,
        escalated_to: Option<&str>,
        finding: &NewInquiryFinding,
        now: i64,
        actor: &str,
    ) -> Result<Option<Inquiry>> {
        let w = self;
        let still = sqlx::query(&format!(
            "SELECT id FROM inquiries WHERE {OVERDUE_UNESCALATED} AND id = $2"
        ))
        .bind(now)
        .bind(id)
        .bind(InquiryStatus::Open.as_str())
        .bind(InquiryStatus::Reopened.as_str())
        .fetch_optional(&mut *w.tx)
        .await?;
        if still.is_none() {
            return Ok(None);
        }
        let before = inquiry_in(w, id).await?;
        sqlx::query(
            "UPDATE inquiries SET escalated_at = $1, escalated_to = $2, updated_at = $1 WHERE id = $3",
        )
        .bind(now)
        .bind(escalated_to)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        if before.escalated_at.is_none() {
            bump_stats(w, &before.agency_id, &before.month, [0, 0, 0, 1]).await?;
        }
        let finding_id: i64 = sqlx::query(
            "INSERT INTO inquiry_findings (inquiry_id, rule_id, category, severity, evidence, \
             message_vi, message_en, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(id)
        .bind(&finding.rule_id)
        .bind(finding.category.as_str())
        .bind(finding.severity.as_str())
        .bind(&finding.evidence)
        .bind(&finding.message_vi)
        .bind(&finding.message_en)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.touch(Table::InquiryFindings, finding_id);
        w.audit(NewEvent::new(
            actor,
            "inquiry.escalated",
            format!("inquiry:{id}"),
            json!({
                "agency_id": before.agency_id, "escalated_to": escalated_to,
                "reply_due_at": before.reply_due_at, "finding_id": finding_id,
                "rule": finding.rule_id, "category": finding.category.as_str(),
            }),
        ))
        .await?;
        let inquiry = changed_inquiry(w, id).await?;
        Ok(Some(inquiry))
    }

    /// Records that `actor` read the unmasked text of an inquiry (AG-5). The caller shows the
    /// text only after this returns.
    pub async fn record_inquiry_unmasked_view(
        &mut self,
        id: i64,
        actor: &str,
        reason: &str,
    ) -> Result<()> {
        let w = self;
        w.audit(NewEvent::new(
            actor,
            "inquiry.unmasked_viewed",
            format!("inquiry:{id}"),
            json!({"as": reason}),
        ))
        .await?;
        Ok(())
    }
}

/// The inquiry a write just changed, read back inside the transaction and bound to the
/// audit events of its commit.
async fn changed_inquiry(w: &mut WriteTx<'_>, id: i64) -> Result<Inquiry> {
    w.touch(Table::Inquiries, id);
    inquiry_in(w, id).await
}

async fn inquiry_in(w: &mut WriteTx<'_>, id: i64) -> Result<Inquiry> {
    let sql = format!("SELECT {INQUIRY_COLS} FROM inquiries WHERE id = $1");
    crate::fetch_one(w, "inquiry", &sql, id, inquiry_from).await
}

async fn insert_reply(
    w: &mut WriteTx<'_>,
    inquiry_id: i64,
    kind: ReplyKind,
    r: &NewReply,
) -> Result<InquiryReply> {
    let row = sqlx::query(&format!(
        "INSERT INTO inquiry_replies (inquiry_id, kind, author, text, masked_text, check_json, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {REPLY_COLS}"
    ))
    .bind(inquiry_id)
    .bind(kind.as_str())
    .bind(&r.author)
    .bind(&r.text)
    .bind(&r.masked_text)
    .bind(&r.check_json)
    .bind(r.at)
    .fetch_one(&mut *w.tx)
    .await?;
    let reply = reply_from(&row)?;
    w.touch(Table::InquiryReplies, reply.id);
    Ok(reply)
}

fn inquiry_from(r: &AnyRow) -> Result<Inquiry> {
    Ok(Inquiry {
        id: r.try_get("id")?,
        agency_id: r.try_get("agency_id")?,
        citizen: r.try_get("citizen")?,
        kind: word_col(r, "kind")?,
        text: r.try_get("text")?,
        masked_text: r.try_get("masked_text")?,
        check: json_col(r, "check_json")?,
        status: word_col(r, "status")?,
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
        kind: word_col(r, "kind")?,
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
        category: word_col(r, "category")?,
        severity: r.try_get("severity")?,
        evidence: r.try_get("evidence")?,
        message_vi: r.try_get("message_vi")?,
        message_en: r.try_get("message_en")?,
        created_at: r.try_get("created_at")?,
    })
}
