//! What is shown of an inquiry: masked unless the caller may read the text as written.

use crate::vn_time::vn_string;
use quytac_core::workflow::inquiry::{InquiryKind, InquiryStatus, ReplyKind};
use quytac_store::inquiries::{Inquiry, InquiryDetail, InquiryFinding, InquiryReply};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

const HOUR_MS: f64 = 3_600_000.0;

/// An inquiry as shown: masked (`masked: true`) unless the assigned officer or an admin asked
/// for the text as written; then `citizen` and `masked_text` are shown too.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryView {
    pub id: i64,
    pub agency_id: String,
    pub kind: InquiryKind,
    pub text: String,
    pub masked: bool,
    pub status: InquiryStatus,
    pub assigned_to: Option<String>,
    pub created_at: i64,
    pub created_at_local: String,
    pub working_days: i64,
    pub due_at: i64,
    pub due_at_local: String,
    pub reply_due_at: Option<i64>,
    pub reply_due_at_local: Option<String>,
    pub first_answered_at: Option<i64>,
    pub first_answered_at_local: Option<String>,
    pub answered_on_time: Option<bool>,
    pub hours_to_first_answer: Option<f64>,
    pub working_days_to_first_answer: Option<i64>,
    pub overdue: bool,
    pub escalated_at: Option<i64>,
    pub escalated_at_local: Option<String>,
    pub escalated_to: Option<String>,
    /// The engine's result; masked, only what was found (rule, category, severity, kind),
    /// never where or the words.
    #[schema(value_type = Object)]
    pub check: Value,
    pub replies: Vec<InquiryReplyView>,
    pub findings: Vec<InquiryFinding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citizen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked_text: Option<String>,
}

/// An answer or a reason to reopen, as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryReplyView {
    pub id: i64,
    pub kind: ReplyKind,
    pub author: String,
    pub text: String,
    pub created_at: i64,
    pub created_at_local: String,
    #[schema(value_type = Object)]
    pub check: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked_text: Option<String>,
}

/// A check result as shown with masked text: what was found, never where or the words.
fn masked_check(check: &Value) -> Value {
    let findings: Vec<Value> = check["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    let mut m = serde_json::Map::new();
                    for k in ["rule", "category", "severity", "kind"] {
                        m.insert(k.into(), f[k].clone());
                    }
                    Value::Object(m)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut m = serde_json::Map::new();
    m.insert("verdict".into(), check["verdict"].clone());
    m.insert("findings".into(), Value::Array(findings));
    Value::Object(m)
}

impl InquiryReplyView {
    fn of(r: &InquiryReply, unmasked: bool) -> Self {
        InquiryReplyView {
            id: r.id,
            kind: r.kind,
            author: r.author.clone(),
            text: if unmasked { &r.text } else { &r.masked_text }.clone(),
            created_at: r.created_at,
            created_at_local: vn_string(r.created_at),
            check: if unmasked {
                r.check.clone()
            } else {
                masked_check(&r.check)
            },
            masked_text: unmasked.then(|| r.masked_text.clone()),
        }
    }
}

impl InquiryView {
    /// An inquiry with its replies and findings; masked unless `unmasked`.
    pub fn of(d: &InquiryDetail, now: i64, unmasked: bool) -> Self {
        let q = &d.inquiry;
        let opt = |t: Option<i64>| t.map(vn_string);
        InquiryView {
            id: q.id,
            agency_id: q.agency_id.clone(),
            kind: q.kind,
            text: if unmasked { &q.text } else { &q.masked_text }.clone(),
            masked: !unmasked,
            status: q.status,
            assigned_to: q.assigned_to.clone(),
            created_at: q.created_at,
            created_at_local: vn_string(q.created_at),
            working_days: q.working_days,
            due_at: q.due_at,
            due_at_local: vn_string(q.due_at),
            reply_due_at: q.reply_due_at,
            reply_due_at_local: opt(q.reply_due_at),
            first_answered_at: q.first_answered_at,
            first_answered_at_local: opt(q.first_answered_at),
            answered_on_time: q.first_answered_at.map(|a| a <= q.due_at),
            hours_to_first_answer: q.answer_ms.map(|ms| ms as f64 / HOUR_MS),
            working_days_to_first_answer: q.answer_working_days,
            overdue: q.is_overdue(now),
            escalated_at: q.escalated_at,
            escalated_at_local: opt(q.escalated_at),
            escalated_to: q.escalated_to.clone(),
            check: if unmasked {
                q.check.clone()
            } else {
                masked_check(&q.check)
            },
            replies: d
                .replies
                .iter()
                .map(|r| InquiryReplyView::of(r, unmasked))
                .collect(),
            findings: d.findings.clone(),
            citizen: unmasked.then(|| q.citizen.clone()),
            masked_text: unmasked.then(|| q.masked_text.clone()),
        }
    }

    /// An inquiry in a list: masked, without replies or findings.
    pub fn listed(q: &Inquiry, now: i64) -> Self {
        InquiryView::of(
            &InquiryDetail {
                inquiry: q.clone(),
                replies: Vec::new(),
                findings: Vec::new(),
            },
            now,
            false,
        )
    }
}
