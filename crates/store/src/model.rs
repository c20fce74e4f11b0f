//! The records the store keeps, as the API shows them. Times are Unix milliseconds.

use crate::audit::AuditEvent;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: i64,
    pub role: String,
    pub label: String,
    /// The argon2 PHC string of the token's secret.
    pub hash: String,
    pub revoked: bool,
}

/// A post to store with its check result.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub external_id: String,
    pub author_id: Option<String>,
    pub text: String,
    pub item_json: String,
    pub result_json: String,
    pub verdict: String,
    pub label: Option<String>,
    /// Where it came from: `api` or `mastodon`.
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: i64,
    pub external_id: String,
    pub author_id: Option<String>,
    pub text: String,
    pub verdict: String,
    pub label: Option<String>,
    /// The engine's result (CONTRACT.md, section 1).
    pub result: serde_json::Value,
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What ingesting a post did.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub post: Post,
    pub case: Option<Case>,
    pub events: Vec<AuditEvent>,
}

/// A post that a person must look at. Status: `open` → `decided` → (`appealed` → `decided`).
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: i64,
    pub post_id: i64,
    pub status: String,
    /// What opened it: `automated` (the engine), `report` or `takedown`.
    pub source: String,
    pub verdict: String,
    pub opened_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    #[serde(flatten)]
    pub case: Case,
    pub external_id: String,
    pub author_id: Option<String>,
    pub text: String,
    pub result: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub post: Post,
    pub decisions: Vec<Decision>,
    pub reports: Vec<Report>,
    pub appeals: Vec<Appeal>,
    pub takedowns: Vec<Takedown>,
}

/// A decision as a statement of reasons.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub rule_id: String,
    pub category: String,
    /// `none`, `label`, `hide`, `remove`, `restrict` or `suspend`.
    pub action: String,
    pub automated_detection: bool,
    pub automated_decision: bool,
    pub moderator: String,
    /// The text shown to the author.
    pub statement: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub id: i64,
    pub case_id: i64,
    pub rule_id: String,
    pub category: String,
    pub action: String,
    pub automated_detection: bool,
    pub automated_decision: bool,
    pub moderator: String,
    pub statement: String,
    pub on_appeal: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewReport {
    /// The post's own id (`external_id`).
    pub post_id: String,
    pub reporter: String,
    pub category: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: i64,
    pub case_id: i64,
    pub post_id: i64,
    pub reporter: String,
    pub category: Option<String>,
    pub note: String,
    pub created_at: i64,
    /// What was decided, told to the reporter: the action, or `no_action`.
    pub outcome: Option<String>,
    pub outcome_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Appeal {
    pub id: i64,
    pub case_id: i64,
    pub decision_id: i64,
    pub appellant: String,
    pub reason: String,
    /// `pending` or `decided`.
    pub status: String,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewTakedown {
    pub post_id: String,
    pub authority: String,
    pub legal_basis: String,
    pub reason: String,
    pub requested_by: String,
    pub received_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Takedown {
    pub id: i64,
    pub post_id: i64,
    pub case_id: i64,
    pub authority: String,
    pub legal_basis: String,
    pub reason: String,
    pub requested_by: String,
    pub received_at: i64,
    pub deadline: i64,
    /// `open` or `done`.
    pub status: String,
    pub completed_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ViolationCounts {
    pub last_30_days: i64,
    pub last_90_days: i64,
    pub temporary_locks: i64,
    pub total: i64,
}

/// A signed statement of the chain's head at `seq`.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// Ed25519 signature (hex) over `"quytac-audit:{seq}:{hash}"`.
    pub signature: String,
    pub public_key: String,
    pub at: i64,
}
