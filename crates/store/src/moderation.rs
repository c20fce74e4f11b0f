//! Reports, decisions (statements of reasons), appeals and the violations counted against
//! accounts (ND-3). The service decides what to write (`quytac_core::workflow`); these are
//! the typed reads and writes it composes inside one [`WriteTx`].

use crate::audit::{NewEvent, Table};
use crate::model::{AddressedReport, Appeal, Decision, NewDecision, NewReport, Report};
use crate::{
    fetch_one, fetch_optional, flag_col, now_ms, opt_word_col, word_col, Bounded, Result, Store,
    WriteTx, DAY_MS,
};
use quytac_core::workflow::complaint::{Addressee, AddresseeKind, ComplaintAnswer};
use quytac_core::workflow::{Action, AppealStatus, ReportOutcome, ViolationCounts};
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) const DECISION_COLS: &str = "id, case_id, rule_id, category, action, automated_detection, automated_decision, moderator, statement, on_appeal, created_at";
pub(crate) const REPORT_COLS: &str =
    "id, case_id, post_id, reporter, category, note, created_at, outcome, outcome_at, \
     addressee_kind, addressee_id, answer, answer_reason, answered_by, answered_at";
pub(crate) const APPEAL_COLS: &str =
    "id, case_id, decision_id, appellant, reason, status, created_at, resolved_at";

impl Store {
    pub async fn report(&self, id: i64) -> Result<Option<Report>> {
        let row = sqlx::query(&format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| report_from(&r)).transpose()
    }

    /// Violations decided against an account in the last 30 and 90 days, and how many of its
    /// decisions were temporary locks, for ND-3.
    pub async fn violation_counts(&self, account_id: &str, now: i64) -> Result<ViolationCounts> {
        let row = sqlx::query(
            "SELECT \
               COUNT(CASE WHEN at >= $2 THEN 1 END) AS d30, \
               COUNT(CASE WHEN at >= $3 THEN 1 END) AS d90, \
               COUNT(CASE WHEN action = $4 THEN 1 END) AS locks, \
               COUNT(*) AS total \
             FROM violations WHERE account_id = $1",
        )
        .bind(account_id)
        .bind(now - 30 * DAY_MS)
        .bind(now - 90 * DAY_MS)
        .bind(Action::Suspend.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(ViolationCounts {
            last_30_days: row.try_get("d30")?,
            last_90_days: row.try_get("d90")?,
            temporary_locks: row.try_get("locks")?,
            total: row.try_get("total")?,
        })
    }

    /// Users' reports (complaints) received in `[from, to)`, oldest first, for the 48-hour
    /// clock of Decree 147: at most `limit`, and whether more were left out.
    pub async fn reports_between(&self, from: i64, to: i64, limit: i64) -> Result<Bounded<Report>> {
        let rows = sqlx::query(&format!(
            "SELECT {REPORT_COLS} FROM reports WHERE created_at >= $1 AND created_at < $2 ORDER BY id LIMIT $3"
        ))
        .bind(from)
        .bind(to)
        .bind(limit.saturating_add(1))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(report_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Bounded::of(rows, limit))
    }

    /// Complaints to the provider (reports without an addressee) without an outcome received
    /// before `before` (their 48 hours are over when `before` is now minus 48 hours), oldest
    /// first, at most `limit`.
    pub async fn unhandled_reports_before(&self, before: i64, limit: i64) -> Result<Vec<Report>> {
        self.reports_received_before(
            "addressee_kind IS NULL AND outcome_at IS NULL",
            before,
            limit,
        )
        .await
    }

    /// Complaints to page owners not answered and received before `before`, oldest first, at
    /// most `limit`.
    pub async fn unanswered_complaints_before(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<Report>> {
        self.reports_received_before(
            "addressee_kind IS NOT NULL AND answered_at IS NULL",
            before,
            limit,
        )
        .await
    }

    /// The reports that match `condition` (fixed SQL, no input) received before `before`.
    async fn reports_received_before(
        &self,
        condition: &str,
        before: i64,
        limit: i64,
    ) -> Result<Vec<Report>> {
        sqlx::query(&format!(
            "SELECT {REPORT_COLS} FROM reports WHERE {condition} AND created_at < $1 ORDER BY id LIMIT $2"
        ))
        .bind(before)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(report_from)
        .collect()
    }

    /// The complaints addressed to a page, with the reported post's own id and text: those
    /// not answered first, oldest first (the most urgent on top), then the answered ones,
    /// latest answer first; at most `limit`, and whether more were left out.
    pub async fn complaints_addressed_to(
        &self,
        to: &Addressee,
        limit: i64,
    ) -> Result<Bounded<AddressedReport>> {
        let rows = sqlx::query(&format!(
            "SELECT r.*, p.external_id AS post_external_id, p.text AS post_text FROM \
             (SELECT {REPORT_COLS} FROM reports WHERE addressee_kind = $1 AND addressee_id = $2) r \
             JOIN posts p ON p.id = r.post_id \
             ORDER BY CASE WHEN r.answered_at IS NULL THEN 0 ELSE 1 END, \
             CASE WHEN r.answered_at IS NULL THEN r.created_at ELSE -r.answered_at END, r.id LIMIT $3"
        ))
        .bind(to.kind.as_str())
        .bind(&to.id)
        .bind(limit.saturating_add(1))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(AddressedReport {
                report: report_from(r)?,
                post_external_id: r.try_get("post_external_id")?,
                post_text: r.try_get("post_text")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Bounded::of(rows, limit))
    }

    /// Every decision made before `to` on a case with a decision in `[from, to)`, in the
    /// order they were made: the transparency report counts each case's outcome once and
    /// compares a decision on appeal with the one it reviewed, which may be older than `from`.
    /// At most `limit`, and whether more were left out.
    pub async fn decisions_of_cases_decided_between(
        &self,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Bounded<Decision>> {
        let rows = sqlx::query(&format!(
            "SELECT {DECISION_COLS} FROM decisions WHERE created_at < $2 AND case_id IN \
             (SELECT case_id FROM decisions WHERE created_at >= $1 AND created_at < $2) \
             ORDER BY id LIMIT $3"
        ))
        .bind(from)
        .bind(to)
        .bind(limit.saturating_add(1))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(decision_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Bounded::of(rows, limit))
    }
}

impl WriteTx<'_> {
    /// Stores a report on `post_id` joined to `case_id`.
    pub async fn insert_report(
        &mut self,
        case_id: i64,
        post_id: i64,
        r: &NewReport,
    ) -> Result<Report> {
        let id: i64 = sqlx::query(
            "INSERT INTO reports (case_id, post_id, reporter, category, note, created_at, addressee_kind, addressee_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(case_id)
        .bind(post_id)
        .bind(&r.reporter)
        .bind(r.category.map(|c| c.as_str()))
        .bind(&r.note)
        .bind(now_ms())
        .bind(r.addressee.as_ref().map(|a| a.kind.as_str()))
        .bind(r.addressee.as_ref().map(|a| a.id.as_str()))
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        self.touch(Table::Reports, id);
        self.audit(NewEvent::new(
            &r.reporter,
            "report.created",
            format!("report:{id}"),
            serde_json::json!({
                "case_id": case_id, "post_id": post_id, "category": r.category,
                "addressee": r.addressee,
            }),
        ))
        .await?;
        let sql = format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1");
        fetch_one(self, "report", &sql, id, report_from).await
    }

    /// A report, read in this transaction (who may answer it is judged on it).
    pub async fn report(&mut self, id: i64) -> Result<Option<Report>> {
        let sql = format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1");
        fetch_optional(self, &sql, id, report_from).await
    }

    /// Records a page owner's answer to a complaint addressed to them, once: `None` when it
    /// was answered already (by a concurrent answer: the row's check holds under any race).
    pub async fn answer_complaint(
        &mut self,
        id: i64,
        answer: ComplaintAnswer,
        reason: &str,
        by: &str,
    ) -> Result<Option<Report>> {
        let done = sqlx::query(
            "UPDATE reports SET answer = $1, answer_reason = $2, answered_by = $3, answered_at = $4 \
             WHERE id = $5 AND addressee_kind IS NOT NULL AND answered_at IS NULL RETURNING id",
        )
        .bind(answer.as_str())
        .bind(reason)
        .bind(by)
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        if done.is_none() {
            return Ok(None);
        }
        self.touch(Table::Reports, id);
        self.audit(NewEvent::new(
            by,
            "complaint.answered",
            format!("report:{id}"),
            serde_json::json!({"answer": answer, "reason": reason}),
        ))
        .await?;
        self.report(id).await
    }

    /// The latest decision on a case, read in this transaction.
    pub async fn latest_decision(&mut self, case_id: i64) -> Result<Option<Decision>> {
        let sql = format!(
            "SELECT {DECISION_COLS} FROM decisions WHERE case_id = $1 ORDER BY id DESC LIMIT 1"
        );
        fetch_optional(self, &sql, case_id, decision_from).await
    }

    /// Whether decision `decision_id` was already appealed (an appeal contests it once).
    pub async fn decision_appealed(&mut self, decision_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM appeals WHERE decision_id = $1")
            .bind(decision_id)
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("n")?;
        Ok(n > 0)
    }

    /// How many reports a case has.
    pub async fn report_count(&mut self, case_id: i64) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM reports WHERE case_id = $1")
                .bind(case_id)
                .fetch_one(&mut *self.tx)
                .await?
                .try_get("n")?,
        )
    }

    /// Stores a decision and its audit event.
    pub async fn insert_decision(
        &mut self,
        case_id: i64,
        d: &NewDecision,
        on_appeal: bool,
    ) -> Result<Decision> {
        let id: i64 = sqlx::query(
            "INSERT INTO decisions (case_id, rule_id, category, action, automated_detection, automated_decision, moderator, statement, on_appeal, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(case_id)
        .bind(&d.rule_id)
        .bind(d.category.as_str())
        .bind(d.action.as_str())
        .bind(d.automated_detection as i64)
        .bind(d.automated_decision as i64)
        .bind(&d.moderator)
        .bind(&d.statement)
        .bind(on_appeal as i64)
        .bind(now_ms())
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        self.touch(Table::Decisions, id);
        self.audit(NewEvent::new(
            &d.moderator,
            "decision.recorded",
            format!("case:{case_id}"),
            serde_json::json!({
                "decision_id": id, "rule": d.rule_id, "category": d.category, "action": d.action,
                "automated_detection": d.automated_detection, "automated_decision": d.automated_decision,
                "on_appeal": on_appeal, "statement": d.statement,
            }),
        ))
        .await?;
        let sql = format!("SELECT {DECISION_COLS} FROM decisions WHERE id = $1");
        fetch_one(self, "decision", &sql, id, decision_from).await
    }

    /// Tells the reporters of a case the outcome: those not yet told, or all of them when
    /// `again` (a decision on appeal replaces the first outcome).
    pub async fn tell_reporters(
        &mut self,
        case_id: i64,
        outcome: ReportOutcome,
        again: bool,
    ) -> Result<()> {
        let told = sqlx::query("UPDATE reports SET outcome = $1, outcome_at = $2 WHERE case_id = $3 AND (outcome IS NULL OR $4 = 1) RETURNING id")
            .bind(outcome.as_str())
            .bind(now_ms())
            .bind(case_id)
            .bind(again as i64)
            .fetch_all(&mut *self.tx)
            .await?;
        self.touch_all(Table::Reports, &told)
    }

    /// Counts a decision against the author's account (ND-3).
    pub async fn count_violation(&mut self, account_id: &str, decision: &Decision) -> Result<()> {
        let id: i64 = sqlx::query("INSERT INTO violations (account_id, case_id, decision_id, action, at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(account_id)
            .bind(decision.case_id)
            .bind(decision.id)
            .bind(decision.action.as_str())
            .bind(decision.created_at)
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("id")?;
        self.touch(Table::Violations, id);
        Ok(())
    }

    /// Stores a pending appeal of `decision_id`.
    pub async fn insert_appeal(
        &mut self,
        case_id: i64,
        decision_id: i64,
        appellant: &str,
        reason: &str,
    ) -> Result<Appeal> {
        let id: i64 = sqlx::query(
            "INSERT INTO appeals (case_id, decision_id, appellant, reason, status, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(case_id)
        .bind(decision_id)
        .bind(appellant)
        .bind(reason)
        .bind(AppealStatus::Pending.as_str())
        .bind(now_ms())
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        self.touch(Table::Appeals, id);
        self.audit(NewEvent::new(
            appellant,
            "appeal.created",
            format!("case:{case_id}"),
            serde_json::json!({"appeal_id": id, "decision_id": decision_id, "reason": reason}),
        ))
        .await?;
        let sql = format!("SELECT {APPEAL_COLS} FROM appeals WHERE id = $1");
        fetch_one(self, "appeal", &sql, id, appeal_from).await
    }

    /// Marks the case's pending appeals decided.
    pub async fn resolve_appeals(&mut self, case_id: i64) -> Result<()> {
        let resolved = sqlx::query(
            "UPDATE appeals SET status = $1, resolved_at = $2 WHERE case_id = $3 AND status = $4 RETURNING id",
        )
        .bind(AppealStatus::Decided.as_str())
        .bind(now_ms())
        .bind(case_id)
        .bind(AppealStatus::Pending.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        self.touch_all(Table::Appeals, &resolved)
    }
}

pub(crate) fn decision_from(r: &AnyRow) -> Result<Decision> {
    Ok(Decision {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        rule_id: r.try_get("rule_id")?,
        category: word_col(r, "category")?,
        action: word_col(r, "action")?,
        automated_detection: flag_col(r, "automated_detection")?,
        automated_decision: flag_col(r, "automated_decision")?,
        moderator: r.try_get("moderator")?,
        statement: r.try_get("statement")?,
        on_appeal: flag_col(r, "on_appeal")?,
        created_at: r.try_get("created_at")?,
    })
}

pub(crate) fn report_from(r: &AnyRow) -> Result<Report> {
    Ok(Report {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        post_id: r.try_get("post_id")?,
        reporter: r.try_get("reporter")?,
        category: opt_word_col(r, "category")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        outcome: opt_word_col(r, "outcome")?,
        outcome_at: r.try_get("outcome_at")?,
        addressee: match opt_word_col::<AddresseeKind>(r, "addressee_kind")? {
            Some(kind) => Some(Addressee {
                kind,
                id: r.try_get("addressee_id")?,
            }),
            None => None,
        },
        answer: opt_word_col(r, "answer")?,
        answer_reason: r.try_get("answer_reason")?,
        answered_by: r.try_get("answered_by")?,
        answered_at: r.try_get("answered_at")?,
    })
}

pub(crate) fn appeal_from(r: &AnyRow) -> Result<Appeal> {
    Ok(Appeal {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        decision_id: r.try_get("decision_id")?,
        appellant: r.try_get("appellant")?,
        reason: r.try_get("reason")?,
        status: word_col(r, "status")?,
        created_at: r.try_get("created_at")?,
        resolved_at: r.try_get("resolved_at")?,
    })
}
