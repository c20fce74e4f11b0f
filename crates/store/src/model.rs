//! The records the store keeps, as the API shows them. Times are Unix milliseconds.

use quytac_core::finding::{Category, Label, Verdict};
use quytac_core::workflow::complaint::{Addressee, ComplaintAnswer};
use quytac_core::workflow::{
    Action, AppealStatus, CaseSource, CaseStatus, ReportOutcome, Role, TakedownStatus,
};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: i64,
    pub role: Role,
    pub label: String,
    /// `sha256:` and the hex SHA-256 of the token's secret; an argon2 PHC string (`$argon2…`)
    /// for a token of a version before issue 11, which is retired.
    pub hash: String,
    pub revoked: bool,
    /// The agency an agency officer's token acts for.
    pub agency_id: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms after which the token is refused; `None`: it does not expire.
    pub expires_at: Option<i64>,
    /// Unix ms of the revocation.
    pub revoked_at: Option<i64>,
}

/// A signed-in web console session: the hash of its id, whose it is (a token's or a user's:
/// exactly one is set) and its times (Unix ms).
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id_hash: String,
    pub token_id: Option<i64>,
    pub user_id: Option<i64>,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The absolute end of the session, whatever its activity.
    pub expires_at: i64,
}

/// A staff user who signs in with a password (issue 14).
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    /// Lower case, `a-z 0-9 . _ -`, starting with a letter.
    pub username: String,
    pub display_name: String,
    pub role: quytac_core::workflow::Role,
    /// The agency an agency officer acts for.
    pub agency_id: Option<String>,
    /// The argon2id PHC string of the password.
    pub password_hash: String,
    pub disabled: bool,
    /// Unix ms.
    pub created_at: i64,
    pub updated_at: i64,
}

/// A post to store with its check result.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub external_id: String,
    pub author_id: Option<String>,
    pub text: String,
    pub item_json: String,
    pub result_json: String,
    pub verdict: Verdict,
    pub label: Option<Label>,
    /// Where it came from: `api` or `mastodon`.
    pub source: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = StoredPost)]
pub struct Post {
    pub id: i64,
    pub external_id: String,
    pub author_id: Option<String>,
    pub text: String,
    pub verdict: Verdict,
    pub label: Option<Label>,
    /// The engine's result (CONTRACT.md, section 1).
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A post that a person must look at (the workflow: `quytac_core::workflow::moderation`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Case {
    pub id: i64,
    pub post_id: i64,
    pub status: CaseStatus,
    /// What opened it.
    pub source: CaseSource,
    pub verdict: Verdict,
    pub opened_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseSummary {
    #[serde(flatten)]
    pub case: Case,
    pub external_id: String,
    pub author_id: Option<String>,
    pub text: String,
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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
    pub category: Category,
    pub action: Action,
    pub automated_detection: bool,
    pub automated_decision: bool,
    pub moderator: String,
    /// The text shown to the author.
    pub statement: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decision {
    pub id: i64,
    pub case_id: i64,
    pub rule_id: String,
    pub category: Category,
    pub action: Action,
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
    pub category: Option<Category>,
    pub note: String,
    /// The page owner the complaint is addressed to; `None`: the provider.
    pub addressee: Option<Addressee>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub id: i64,
    pub case_id: i64,
    pub post_id: i64,
    pub reporter: String,
    pub category: Option<Category>,
    pub note: String,
    pub created_at: i64,
    /// What was decided, told to the reporter.
    pub outcome: Option<ReportOutcome>,
    pub outcome_at: Option<i64>,
    /// The page owner the complaint is addressed to (Decree 147); `null`: the provider.
    pub addressee: Option<Addressee>,
    /// The page owner's answer, its reason, who gave it and when.
    pub answer: Option<ComplaintAnswer>,
    pub answer_reason: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
}

/// A complaint addressed to a page, with the post it is about.
#[derive(Debug, Clone)]
pub struct AddressedReport {
    pub report: Report,
    /// The post's own id.
    pub post_external_id: String,
    pub post_text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Appeal {
    pub id: i64,
    pub case_id: i64,
    pub decision_id: i64,
    pub appellant: String,
    pub reason: String,
    pub status: AppealStatus,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewTakedown {
    pub post_id: String,
    /// The agency in whose name it is filed (the officer's own), when an officer files it.
    pub agency_id: Option<String>,
    pub authority: String,
    pub legal_basis: String,
    pub reason: String,
    pub requested_by: String,
    pub received_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Takedown {
    pub id: i64,
    pub post_id: i64,
    pub case_id: i64,
    /// The requesting agency (absent on requests filed before agencies filed them).
    pub agency_id: Option<String>,
    pub authority: String,
    pub legal_basis: String,
    pub reason: String,
    pub requested_by: String,
    pub received_at: i64,
    pub deadline: i64,
    pub status: TakedownStatus,
    pub completed_at: Option<i64>,
}

/// A signed statement of the chain's head at `seq`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// Ed25519 signature (hex) over `"quytac-audit:{seq}:{hash}"`.
    pub signature: String,
    pub public_key: String,
    pub at: i64,
}

/// Who answers for an agency's page (AG-2, AG-3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ResponsiblePerson {
    pub name: String,
    pub position: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The people an agency names for its page: the head or spokesperson who answers for what it
/// says, and the administrator who runs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct Responsible {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<ResponsiblePerson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_admin: Option<ResponsiblePerson>,
}

/// An agency to register.
#[derive(Debug, Clone)]
pub struct NewAgency {
    /// The agency's short code, e.g. `so-tt-hn`.
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub official_domain: Option<String>,
    pub page_handle: Option<String>,
    pub portal_feed_url: Option<String>,
    /// Working days an inquiry may wait for its first answer (AG-7).
    pub response_working_days: i64,
    pub responsible: Responsible,
    /// Registered as a competent authority: its officers may file takedown requests (ND-2).
    pub competent_authority: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agency {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub official_domain: Option<String>,
    pub page_handle: Option<String>,
    pub portal_feed_url: Option<String>,
    pub response_working_days: i64,
    pub responsible: Responsible,
    /// Registered as a competent authority: its officers may file takedown requests (ND-2).
    pub competent_authority: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

// ---- identity (store/src/identity.rs) ------------------------------------------------------

/// Changes to an agency's page details; `None` leaves a field as it is. Changing the domain or
/// the page handle revokes the badge in force, which named them.
#[derive(Debug, Clone, Default)]
pub struct AgencyChanges {
    pub name: Option<String>,
    /// `Some(None)` clears the domain.
    pub official_domain: Option<Option<String>>,
    /// `Some(None)` clears the page handle.
    pub page_handle: Option<Option<String>>,
    pub responsible: Option<Responsible>,
    /// Only an admin changes it (`workflow::agency::may_register_authority`).
    pub competent_authority: Option<bool>,
}

/// A domain challenge (AG-1). `method` is `well_known` or `dns`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DomainChallenge {
    pub id: i64,
    pub agency_id: String,
    pub domain: String,
    pub method: quytac_core::workflow::agency::ChallengeMethod,
    pub token: String,
    pub created_by: String,
    pub created_at: i64,
    /// A challenge not verified by then is void.
    pub expires_at: i64,
    pub verified_at: Option<i64>,
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// A badge to record: the signed document and what the store checks it against.
#[derive(Debug, Clone)]
pub struct NewBadge {
    pub serial: String,
    pub agency_id: String,
    pub challenge_id: i64,
    pub page_handle: String,
    pub domain: String,
    /// The signed document, canonical JSON.
    pub signed: String,
    pub kid: String,
    /// Hex of the Ed25519 public key that signed it.
    pub public_key: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub approved_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BadgeRecord {
    pub serial: String,
    pub agency_id: String,
    pub challenge_id: i64,
    pub page_handle: String,
    pub domain: String,
    pub signed: String,
    pub kid: String,
    pub public_key: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub approved_by: String,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

/// A revoked badge or attestation, for the public revocation list.
#[derive(Debug, Clone, Serialize)]
pub struct RevokedSerial {
    pub serial: String,
    pub kind: quytac_core::workflow::agency::SignedKind,
    pub revoked_at: i64,
    pub reason: String,
}

/// A photo as the account keeps it: the perceptual hash and the check's report.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountPhoto {
    pub hash: String,
    pub report: serde_json::Value,
}

/// A social-network account to register.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub handle: String,
    pub display_name: String,
    /// A subject role of the code: `citizen`, `civil_servant`, `agency`, …
    pub role: quytac_core::item::Role,
    /// The agency the account names as its workplace.
    pub agency_id: Option<String>,
    pub workplace: Option<String>,
    pub photo: Option<AccountPhoto>,
    /// How it was authenticated and, for a minor, the guardian (Decree 147).
    pub decree: AccountDecree,
}

/// What Decree 147 keeps of an account: how it was authenticated (ND-1) — the method and the
/// last three digits of the number —, and the date of birth and guardian of a minor (ND-4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountDecree {
    pub auth_method: quytac_core::workflow::decree147::AuthMethod,
    pub auth_ref: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// The parent's or guardian's handle or name.
    pub guardian: Option<String>,
    /// How they are related (`mẹ`, `cha`, `người giám hộ`…).
    pub guardian_relation: Option<String>,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub display_name: Option<String>,
    pub role: Option<quytac_core::item::Role>,
    pub agency_id: Option<Option<String>>,
    pub workplace: Option<Option<String>>,
    /// `Some(None)` removes the photo.
    pub photo: Option<Option<AccountPhoto>>,
    /// Replaces the account's Decree 147 record as a whole.
    pub decree: Option<AccountDecree>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub handle: String,
    pub display_name: String,
    pub role: quytac_core::item::Role,
    pub agency_id: Option<String>,
    pub workplace: Option<String>,
    pub photo_hash: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub photo_report: Option<serde_json::Value>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub display_name_changed_at: i64,
    pub photo_changed_at: Option<i64>,
    /// How the account was authenticated (ND-1): `mobile`, `personal_id` or `none`.
    #[schema(value_type = String)]
    pub auth_method: quytac_core::workflow::decree147::AuthMethod,
    /// The last three digits of the number it was authenticated with (`…678`).
    pub auth_ref: Option<String>,
    /// Date of birth `YYYY-MM-DD`, when given (ND-4).
    pub birth_date: Option<String>,
    /// The parent or guardian who registered a minor's account (ND-4).
    pub guardian: Option<String>,
    pub guardian_relation: Option<String>,
}

/// A staff attestation to record (CS-3).
#[derive(Debug, Clone)]
pub struct NewAttestation {
    pub serial: String,
    pub handle: String,
    pub agency_id: String,
    pub legal_name: String,
    pub position: String,
    /// The display name and photo hash the attestation binds; the store refuses the record
    /// when the account no longer has them.
    pub display_name: String,
    pub photo_hash: Option<String>,
    pub signed: String,
    pub kid: String,
    pub public_key: String,
    /// The CS-1 comparison of display and legal name, as JSON.
    pub name_check: serde_json::Value,
    pub issued_at: i64,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttestationRecord {
    pub serial: String,
    pub handle: String,
    pub agency_id: String,
    pub legal_name: String,
    pub position: String,
    pub display_name: String,
    pub photo_hash: Option<String>,
    pub signed: String,
    pub kid: String,
    pub public_key: String,
    pub name_check: serde_json::Value,
    pub issued_at: i64,
    pub created_by: String,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}
