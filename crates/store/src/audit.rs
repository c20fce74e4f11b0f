//! The tamper-evident audit log: several append-only hash chains, signed heads over all of
//! them, and the rows of the workflow bound to the events that wrote them.
//!
//! **Chains.** Every event belongs to one chain ([`ChainId`]): chain 0 for the workflow's own
//! writes (moderation, takedowns, inquiries, identity …), chains 1..=N for the ingest's
//! writers (a single post on [`chain_for_author`]'s chain, a batch on any free one:
//! `Store::write_on_any`). Event `pos` of a chain stores
//! `hash = SHA-256(prev_hash ‖ "\n" ‖ canonical_json(event))`, where the canonical JSON has
//! sorted keys and no spaces and covers the chain, the position, `seq`, `at`, `actor`,
//! `action`, `subject`, `payload` and `rows` (format 2; events written before chains existed
//! are format 1 and cover `seq`, `at`, `actor`, `action`, `subject` and `payload`). Each chain
//! has its own head row (`audit_chains`), so writers on different chains never wait on each
//! other; `seq` is only a number unique across chains, for paging.
//!
//! **Rows.** Every row of the tables in [`Table`] that a write transaction inserts or updates
//! is hashed (the canonical JSON of its columns, as text) when the transaction commits, and
//! the last event of the transaction carries those `(table, id, hash)` bindings. Verification
//! recomputes each row's hash and compares it with the latest binding: an edited row, a row
//! written outside the workflow and a deleted row are all found.
//!
//! **Signed heads.** The transaction that moves a chain's head also signs a head of the whole
//! log ([`SignedHead`]): the RFC 6962 Merkle root ([`merkle_root`]) over every chain's
//! `(chain, pos, hash)`, the number of events covered, the time and the key id. An edited or
//! rewritten chain no longer matches its signed heads; events appended without a signature
//! (a forger has no key) are an unsigned tail; cutting the tail leaves a head pointing past
//! the end. Cutting the tail *together with* its heads is found by a witness that saved a
//! head earlier (`quytac audit verify --witness`, and the serving process's own memory of the
//! last head it signed).

use crate::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// The `prev_hash` of the first event of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(crate) const EVENT_COLS: &str =
    "seq, chain, pos, format, at, actor, action, subject, payload, bound, prev_hash, hash";

/// One hash chain of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChainId(pub i64);

impl ChainId {
    /// The chain of the workflow's own writes ([`crate::Store::write`]).
    pub const WORKFLOW: ChainId = ChainId(0);
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The shard chain of an author's posts, among `shards` (1..=shards; chain 0 is the
/// workflow's): a stable hash of the author id, so one author's posts always extend the same
/// chain and keep their order there (a single ingest's chain; a batch takes any free ingest
/// chain). Posts without an author go to shard 1.
pub fn chain_for_author(author: Option<&str>, shards: u32) -> ChainId {
    let shards = u64::from(shards.max(1));
    let Some(author) = author else {
        return ChainId(1);
    };
    let digest = Sha256::digest(author.as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    ChainId(1 + (n % shards) as i64)
}

/// An event to append: who did what to which thing, with details.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub payload: Value,
}

impl NewEvent {
    pub fn new(actor: &str, action: &str, subject: String, payload: Value) -> Self {
        NewEvent {
            actor: actor.to_string(),
            action: action.to_string(),
            subject,
            payload,
        }
    }
}

/// A row bound to an event: its table, key and content hash when the event committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowBinding {
    pub table: String,
    /// The row's key: a number for tables keyed by `id`, text for tables keyed by a code
    /// (an agency's id, an account's handle, a signed record's serial).
    pub id: RowKey,
    pub hash: String,
}

/// The key of a bound row. Numbers serialise as JSON numbers, so events that bound only
/// numbered rows hash as they did before text keys existed.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(untagged)]
pub enum RowKey {
    Id(i64),
    Text(String),
}

impl From<i64> for RowKey {
    fn from(id: i64) -> Self {
        RowKey::Id(id)
    }
}

impl From<&str> for RowKey {
    fn from(key: &str) -> Self {
        RowKey::Text(key.to_string())
    }
}

impl From<String> for RowKey {
    fn from(key: String) -> Self {
        RowKey::Text(key)
    }
}

impl From<&String> for RowKey {
    fn from(key: &String) -> Self {
        RowKey::Text(key.clone())
    }
}

impl fmt::Display for RowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowKey::Id(id) => write!(f, "{id}"),
            RowKey::Text(key) => f.write_str(key),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Unique across chains, increasing in the order events were numbered; for paging.
    pub seq: i64,
    pub chain: i64,
    /// The place in its chain, 1, 2, 3 … without gaps.
    pub pos: i64,
    /// 1: written before chains (hash without chain, pos, rows); 2: the current format.
    pub format: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The rows this event's transaction wrote, with their content hashes.
    #[serde(default)]
    pub rows: Vec<RowBinding>,
    pub prev_hash: String,
    pub hash: String,
}

/// The same event always hashes the same whatever map order serde_json was built with.
pub use quytac_core::canonical::canonical_json;
use quytac_core::canonical::{write_canonical, write_json};

/// The hash of a format-1 event (before chains) given the previous hash.
pub fn event_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    payload: &Value,
) -> String {
    let body = serde_json::json!({
        "seq": seq, "at": at, "actor": actor, "action": action, "subject": subject, "payload": payload,
    });
    chain_hash(prev_hash, &body)
}

fn chain_hash(prev_hash: &str, body: &Value) -> String {
    let mut canonical = Vec::with_capacity(256);
    write_canonical(body, &mut canonical);
    chain_hash_of(prev_hash, &canonical)
}

fn chain_hash_of(prev_hash: &str, canonical_body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical_body);
    hex::encode(h.finalize())
}

/// The canonical JSON of a format-2 event, written field by field (keys in sorted order)
/// rather than through a `serde_json::Value`: the same bytes, without copying the payload and
/// the row bindings (a batch's last event binds hundreds of rows).
fn canonical_v2(e: &AuditEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + 120 * e.rows.len());
    out.push(b'{');
    member(&mut out, "action", &e.action);
    member(&mut out, "actor", &e.actor);
    member(&mut out, "at", &e.at);
    member(&mut out, "chain", &e.chain);
    key(&mut out, "payload");
    write_canonical(&e.payload, &mut out);
    member(&mut out, "pos", &e.pos);
    key(&mut out, "rows");
    out.push(b'[');
    for (i, r) in e.rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        member(&mut out, "hash", &r.hash);
        member(&mut out, "id", &r.id);
        member(&mut out, "table", &r.table);
        out.push(b'}');
    }
    out.push(b']');
    member(&mut out, "seq", &e.seq);
    member(&mut out, "subject", &e.subject);
    member(&mut out, "v", &e.format);
    out.push(b'}');
    out
}

/// Appends `"name":` to an object being written, after a comma unless it is the first member.
/// The caller writes the members in sorted order, as canonical JSON has them.
fn key(out: &mut Vec<u8>, name: &str) {
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    write_json(name, out);
    out.push(b':');
}

/// Appends `"name":value` for a scalar (or a type serialised as one, such as a row key).
fn member<T: Serialize + ?Sized>(out: &mut Vec<u8>, name: &str, value: &T) {
    key(out, name);
    write_json(value, out);
}

/// The hash an event should have, from its own fields and `prev_hash`, by its format.
pub fn recompute_hash(e: &AuditEvent) -> String {
    if e.format == 1 {
        return event_hash(
            &e.prev_hash,
            e.seq,
            e.at,
            &e.actor,
            &e.action,
            &e.subject,
            &e.payload,
        );
    }
    chain_hash_of(&e.prev_hash, &canonical_v2(e))
}

// ---- rows bound to events ------------------------------------------------------------------

/// The tables whose rows the audit covers: every row is bound to the event that last wrote
/// it. Not covered: console sessions (sign-in state, not the workflow's), the portal feeds'
/// copies of an agency's articles (fetched, re-read at will) and the Mastodon deliveries'
/// de-duplication marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Posts,
    Cases,
    Decisions,
    Reports,
    Appeals,
    Takedowns,
    Violations,
    Inquiries,
    InquiryReplies,
    InquiryFindings,
    Tokens,
    Agencies,
    Accounts,
    DomainChallenges,
    Badges,
    StaffAttestations,
    Consultations,
    ConsultationComments,
    InquiryFollowLinks,
    CaseAssignments,
    CaseNotes,
    Users,
}

impl Table {
    pub const ALL: [Table; 22] = [
        Table::Posts,
        Table::Cases,
        Table::Decisions,
        Table::Reports,
        Table::Appeals,
        Table::Takedowns,
        Table::Violations,
        Table::Inquiries,
        Table::InquiryReplies,
        Table::InquiryFindings,
        Table::Tokens,
        Table::Agencies,
        Table::Accounts,
        Table::DomainChallenges,
        Table::Badges,
        Table::StaffAttestations,
        Table::Consultations,
        Table::ConsultationComments,
        Table::InquiryFollowLinks,
        Table::CaseAssignments,
        Table::CaseNotes,
        Table::Users,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Posts => "posts",
            Table::Cases => "cases",
            Table::Decisions => "decisions",
            Table::Reports => "reports",
            Table::Appeals => "appeals",
            Table::Takedowns => "takedowns",
            Table::Violations => "violations",
            Table::Inquiries => "inquiries",
            Table::InquiryReplies => "inquiry_replies",
            Table::InquiryFindings => "inquiry_findings",
            Table::Tokens => "tokens",
            Table::Agencies => "agencies",
            Table::Accounts => "accounts",
            Table::DomainChallenges => "domain_challenges",
            Table::Badges => "badges",
            Table::StaffAttestations => "staff_attestations",
            Table::Consultations => "consultations",
            Table::ConsultationComments => "consultation_comments",
            Table::InquiryFollowLinks => "inquiry_follow_links",
            Table::CaseAssignments => "case_assignments",
            Table::CaseNotes => "case_notes",
            Table::Users => "users",
        }
    }

    /// The column that keys a row (the first of [`Table::columns`]).
    pub fn key_column(self) -> &'static str {
        self.columns()[0]
    }

    /// Whether rows are keyed by text (a code, a handle, a serial) rather than a number.
    pub fn text_key(self) -> bool {
        matches!(
            self,
            Table::Agencies | Table::Accounts | Table::Badges | Table::StaffAttestations
        )
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The columns a row's hash covers, in this order (the key first).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Posts => &[
                "id",
                "external_id",
                "author_id",
                "text",
                "item_json",
                "result_json",
                "verdict",
                "label",
                "source",
                "created_at",
                "updated_at",
            ],
            Table::Cases => &[
                "id",
                "post_id",
                "status",
                "source",
                "verdict",
                "opened_at",
                "updated_at",
            ],
            Table::Decisions => &[
                "id",
                "case_id",
                "rule_id",
                "category",
                "action",
                "automated_detection",
                "automated_decision",
                "moderator",
                "statement",
                "on_appeal",
                "created_at",
            ],
            Table::Reports => &[
                "id",
                "case_id",
                "post_id",
                "reporter",
                "category",
                "note",
                "created_at",
                "outcome",
                "outcome_at",
                // Added by migration 0016 (see `added_columns`).
                "addressee_kind",
                "addressee_id",
                "answer",
                "answer_reason",
                "answered_by",
                "answered_at",
            ],
            Table::Appeals => &[
                "id",
                "case_id",
                "decision_id",
                "appellant",
                "reason",
                "status",
                "created_at",
                "resolved_at",
            ],
            Table::Takedowns => &[
                "id",
                "post_id",
                "case_id",
                "authority",
                "legal_basis",
                "reason",
                "requested_by",
                "received_at",
                "deadline",
                "status",
                "completed_at",
                "agency_id",
            ],
            Table::Violations => &["id", "account_id", "case_id", "decision_id", "action", "at"],
            Table::Inquiries => &[
                "id",
                "agency_id",
                "citizen",
                "kind",
                "text",
                "masked_text",
                "check_json",
                "status",
                "assigned_to",
                "assigned_at",
                "created_at",
                "month",
                "working_days",
                "due_at",
                "reply_due_at",
                "first_answered_at",
                "answer_ms",
                "answer_working_days",
                "escalated_at",
                "escalated_to",
                "updated_at",
            ],
            Table::InquiryReplies => &[
                "id",
                "inquiry_id",
                "kind",
                "author",
                "text",
                "masked_text",
                "check_json",
                "created_at",
            ],
            Table::InquiryFindings => &[
                "id",
                "inquiry_id",
                "rule_id",
                "category",
                "severity",
                "evidence",
                "message_vi",
                "message_en",
                "created_at",
            ],
            Table::Tokens => &[
                "id",
                "role",
                "label",
                "hash",
                "created_at",
                "revoked",
                "agency_id",
                "expires_at",
                "revoked_at",
                "account_id",
            ],
            Table::Agencies => &[
                "id",
                "name",
                "parent_id",
                "official_domain",
                "page_handle",
                "portal_feed_url",
                "response_working_days",
                "responsible",
                "created_at",
                "updated_at",
                "competent_authority",
            ],
            Table::Accounts => &[
                "handle",
                "display_name",
                "role",
                "agency_id",
                "workplace",
                "photo_hash",
                "photo_report",
                "created_by",
                "created_at",
                "updated_at",
                "display_name_changed_at",
                "photo_changed_at",
                "auth_method",
                "auth_ref",
                "birth_date",
                "guardian",
                "guardian_relation",
            ],
            Table::DomainChallenges => &[
                "id",
                "agency_id",
                "domain",
                "method",
                "token",
                "created_by",
                "created_at",
                "expires_at",
                "verified_at",
                "attempts",
                "last_error",
            ],
            Table::Badges => &[
                "serial",
                "agency_id",
                "challenge_id",
                "page_handle",
                "domain",
                "signed",
                "kid",
                "public_key",
                "issued_at",
                "expires_at",
                "approved_by",
                "revoked_at",
                "revoked_by",
                "revoke_reason",
            ],
            Table::StaffAttestations => &[
                "serial",
                "handle",
                "agency_id",
                "legal_name",
                "position",
                "display_name",
                "photo_hash",
                "signed",
                "kid",
                "public_key",
                "name_check",
                "issued_at",
                "created_by",
                "revoked_at",
                "revoked_by",
                "revoke_reason",
            ],
            Table::Consultations => &[
                "id",
                "agency_id",
                "title",
                "summary",
                "draft_text",
                "document_number",
                "opens_at",
                "closes_at",
                "status",
                "created_by",
                "created_at",
                "updated_at",
            ],
            Table::ConsultationComments => &[
                "id",
                "consultation_id",
                "author",
                "text",
                "masked_text",
                "stance",
                "stance_source",
                "verdict",
                "check_json",
                "published",
                "created_at",
            ],
            Table::InquiryFollowLinks => &[
                "id",
                "inquiry_id",
                "secret_hash",
                "asker_name",
                "asker_contact",
                "created_at",
            ],
            Table::CaseAssignments => &["id", "case_id", "assignee", "assigned_by", "assigned_at"],
            Table::CaseNotes => &["id", "case_id", "author", "body", "created_at"],
            Table::Users => &[
                "id",
                "username",
                "display_name",
                "role",
                "agency_id",
                "password_hash",
                "disabled",
                "created_at",
                "updated_at",
            ],
        }
    }

    /// How many of the last [`columns`](Table::columns) were added after the table was
    /// first covered: while they are NULL they are left out of the row's hash
    /// ([`row_values`]), so a row bound before they existed keeps its hash.
    pub fn added_columns(self) -> usize {
        match self {
            Table::Reports => 6,
            _ => 0,
        }
    }

    /// `SELECT` of the hashed columns, each as text so both backends give the same words.
    pub(crate) fn select_sql(self) -> String {
        let cols: Vec<String> = self
            .columns()
            .iter()
            .map(|c| format!("CAST({c} AS TEXT) AS {c}"))
            .collect();
        format!("SELECT {} FROM {}", cols.join(", "), self.name())
    }
}

/// The content hash of a row: SHA-256 of the canonical JSON of `[table, column values…]`.
pub fn row_hash(table: Table, values: &[Option<String>]) -> String {
    // `[table, values…]`: an array of strings and nulls, canonical as serde_json writes it.
    let mut out = Vec::with_capacity(64 + values.iter().flatten().map(String::len).sum::<usize>());
    out.push(b'[');
    write_json(table.name(), &mut out);
    for v in values {
        out.push(b',');
        write_json(v, &mut out);
    }
    out.push(b']');
    hex::encode(Sha256::digest(&out))
}

pub(crate) fn row_values(table: Table, r: &AnyRow) -> Result<Vec<Option<String>>> {
    let values = table
        .columns()
        .iter()
        .map(|c| Ok(r.try_get::<Option<String>, _>(*c)?))
        .collect::<Result<Vec<_>>>()?;
    Ok(hashed_values(table, values))
}

/// A row's values as its hash covers them: the columns added after the table was first
/// covered are left out from the end while they are NULL ([`Table::added_columns`]).
fn hashed_values(table: Table, mut values: Vec<Option<String>>) -> Vec<Option<String>> {
    let first_added = values.len().saturating_sub(table.added_columns());
    while values.len() > first_added && values.last() == Some(&None) {
        values.pop();
    }
    values
}

// ---- signed heads --------------------------------------------------------------------------

/// One chain's head inside a signed head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainHead {
    pub chain: i64,
    pub pos: i64,
    pub hash: String,
}

/// A signed head of the whole log (CONTRACT.md §4): `seq` events covered, `hash` the Merkle
/// root over the chains' heads, `time` (Unix ms), the key id and the Ed25519 signature of
/// [`SignedHead::message`]. `chains` lists the heads the root is built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedHead {
    /// Its row in `audit_heads` (0 when not stored); not signed.
    #[serde(default)]
    pub id: i64,
    pub seq: i64,
    pub hash: String,
    pub time: i64,
    pub key_id: String,
    /// The Ed25519 public key, 64 hex digits.
    pub public_key: String,
    pub signature: String,
    pub chains: Vec<ChainHead>,
}

impl SignedHead {
    /// What the signature covers: `quytac-audit-head:` and the canonical JSON of the seq, the
    /// root, the time, the key id and the chains' heads.
    pub fn message(&self) -> String {
        head_message(self.seq, &self.hash, self.time, &self.key_id, &self.chains)
    }
}

pub fn head_message(seq: i64, root: &str, time: i64, key_id: &str, chains: &[ChainHead]) -> String {
    let body = serde_json::json!({
        "seq": seq, "hash": root, "time": time, "key_id": key_id, "chains": chains,
    });
    format!("quytac-audit-head:{}", canonical_json(&body))
}

/// Signs heads of the log; the store calls it in every transaction that moves a chain's head.
/// The key lives outside the database (`quytac_service::signing::AuditSigner`).
pub trait HeadSigner: Send + Sync {
    fn key_id(&self) -> String;
    fn public_key_hex(&self) -> String;
    /// The Ed25519 signature of `message`, hex.
    fn sign_message(&self, message: &[u8]) -> String;
}

/// The RFC 6962 Merkle tree hash over the chains' heads (leaves: the canonical JSON of each
/// `ChainHead`, in chain order; leaf hash `SHA-256(0x00 ‖ leaf)`, node `SHA-256(0x01 ‖ l ‖ r)`).
pub fn merkle_root(chains: &[ChainHead]) -> String {
    fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            0 => Sha256::digest(b"").into(),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                let mut h = Sha256::new();
                h.update([1u8]);
                h.update(mth(&leaves[..k]));
                h.update(mth(&leaves[k..]));
                h.finalize().into()
            }
        }
    }
    let leaves: Vec<[u8; 32]> = chains
        .iter()
        .map(|c| {
            let mut h = Sha256::new();
            h.update([0u8]);
            h.update(canonical_json(&serde_json::to_value(c).unwrap_or(Value::Null)).as_bytes());
            h.finalize().into()
        })
        .collect();
    hex::encode(mth(&leaves))
}

// ---- verification of the chains (pure: the server and the offline CLI share it) -----------

/// The first place where a chain does not hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BrokenLink {
    /// The event where the break shows (for a missing event, the one found in its place).
    pub seq: i64,
    pub chain: i64,
    /// The position that does not hold (for a missing event, the missing one).
    pub pos: i64,
    /// `missing_event`, `prev_hash_mismatch`, `hash_mismatch` or `format_mismatch`.
    pub reason: String,
    pub expected: String,
    pub found: String,
}

/// Recomputes chains event by event, in each chain's order. Events of different chains may
/// come interleaved; within a chain they must come by position.
#[derive(Debug, Default)]
pub struct ChainWalker {
    heads: BTreeMap<i64, (i64, String, bool)>,
    /// `(chain, pos)` whose recomputed hash a caller needs (signed heads name them).
    wanted: HashSet<(i64, i64)>,
    found: HashMap<(i64, i64), String>,
    pub events: i64,
    pub first_broken: Option<BrokenLink>,
    /// The latest binding of each row: `(table, key)` → `(hash, seq)`.
    pub bindings: HashMap<(Table, RowKey), (String, i64)>,
    keep_bindings: bool,
}

impl ChainWalker {
    /// `wanted`: the positions whose hash [`ChainWalker::hash_at`] must answer;
    /// `keep_bindings`: collect the rows' bindings (the server's state check).
    pub fn new(wanted: HashSet<(i64, i64)>, keep_bindings: bool) -> Self {
        ChainWalker {
            wanted,
            keep_bindings,
            ..Default::default()
        }
    }

    pub fn push(&mut self, e: &AuditEvent) {
        self.events += 1;
        let (pos, prev, seen_v2) =
            self.heads
                .get(&e.chain)
                .cloned()
                .unwrap_or((0, GENESIS.to_string(), false));
        if self.first_broken.is_none() {
            let recomputed = recompute_hash(e);
            let broken = |reason: &str, expected: String, found: String| BrokenLink {
                seq: e.seq,
                chain: e.chain,
                pos: e.pos,
                reason: reason.into(),
                expected,
                found,
            };
            self.first_broken = if e.pos != pos + 1 {
                Some(BrokenLink {
                    pos: pos + 1,
                    ..broken(
                        "missing_event",
                        format!("chain {} pos {}", e.chain, pos + 1),
                        format!("chain {} pos {}", e.chain, e.pos),
                    )
                })
            } else if !(e.format == 2 || (e.format == 1 && e.chain == 0 && !seen_v2)) {
                // Format 1 exists only at the start of chain 0; a later one is a downgrade.
                Some(broken("format_mismatch", "2".into(), e.format.to_string()))
            } else if e.prev_hash != prev {
                Some(broken(
                    "prev_hash_mismatch",
                    prev.clone(),
                    e.prev_hash.clone(),
                ))
            } else if recomputed != e.hash {
                Some(broken("hash_mismatch", recomputed, e.hash.clone()))
            } else {
                None
            };
        }
        if self.wanted.contains(&(e.chain, e.pos)) {
            self.found.insert((e.chain, e.pos), e.hash.clone());
        }
        if self.keep_bindings {
            for b in &e.rows {
                if let Some(t) = Table::from_name(&b.table) {
                    let slot = self
                        .bindings
                        .entry((t, b.id.clone()))
                        .or_insert_with(|| (b.hash.clone(), e.seq));
                    if e.seq >= slot.1 {
                        *slot = (b.hash.clone(), e.seq);
                    }
                }
            }
        }
        self.heads
            .insert(e.chain, (e.pos, e.hash.clone(), seen_v2 || e.format == 2));
    }

    /// The heads of the chains as walked.
    pub fn heads(&self) -> Vec<ChainHead> {
        self.heads
            .iter()
            .map(|(c, (pos, hash, _))| ChainHead {
                chain: *c,
                pos: *pos,
                hash: hash.clone(),
            })
            .collect()
    }

    /// The stored hash at a wanted position, if the chain reaches it.
    pub fn hash_at(&self, chain: i64, pos: i64) -> Option<&str> {
        self.found.get(&(chain, pos)).map(String::as_str)
    }
}

/// Why a signed head does not hold against the log, checked with a key the caller trusts.
/// `None` when it holds: the root is the Merkle root of its chains, `seq` their sum, and every
/// chain's event at that position has that hash. The signature is the caller's to check.
pub fn head_problem(head: &SignedHead, walker: &ChainWalker) -> Option<String> {
    if merkle_root(&head.chains) != head.hash {
        return Some("root_differs".into());
    }
    if head.chains.iter().map(|c| c.pos).sum::<i64>() != head.seq {
        return Some("seq_differs".into());
    }
    for c in &head.chains {
        if c.pos == 0 {
            continue;
        }
        match walker.hash_at(c.chain, c.pos) {
            None => return Some(format!("chain {} has no event at pos {}", c.chain, c.pos)),
            Some(h) if h != c.hash => {
                return Some(format!(
                    "chain {} pos {}: the event's hash differs from the signed one",
                    c.chain, c.pos
                ))
            }
            Some(_) => {}
        }
    }
    None
}

// ---- rows of the database ------------------------------------------------------------------

pub(crate) fn event_from(r: &AnyRow) -> Result<AuditEvent> {
    let payload: String = r.try_get("payload")?;
    let bound: String = r.try_get("bound")?;
    Ok(AuditEvent {
        seq: r.try_get("seq")?,
        chain: r.try_get("chain")?,
        pos: r.try_get("pos")?,
        format: r.try_get("format")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        // An edited payload that is no longer JSON still verifies as a broken link, not an error.
        payload: serde_json::from_str(&payload).unwrap_or(Value::String(payload)),
        rows: serde_json::from_str(&bound).unwrap_or_else(|_| {
            vec![RowBinding {
                table: "<unreadable>".into(),
                id: RowKey::Id(0),
                hash: bound,
            }]
        }),
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

pub(crate) fn head_from(r: &AnyRow) -> Result<SignedHead> {
    let chains: String = r.try_get("chains")?;
    Ok(SignedHead {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        hash: r.try_get("root")?,
        time: r.try_get("at")?,
        key_id: r.try_get("key_id")?,
        public_key: r.try_get("public_key")?,
        signature: r.try_get("signature")?,
        // An edited list that no longer reads fails the root check, not the query.
        chains: serde_json::from_str(&chains).unwrap_or_default(),
    })
}

pub(crate) const HEAD_COLS: &str = "id, seq, root, chains, at, key_id, public_key, signature";

#[cfg(test)]
mod tests {
    use super::*;

    /// The hashes written field by field are those of the canonical JSON of a value built
    /// the plain way (how every event and row stored so far was hashed).
    #[test]
    fn hashes_written_field_by_field_match_the_canonical_value() {
        let event = AuditEvent {
            seq: 7,
            chain: 3,
            pos: 41,
            format: 2,
            at: 1_765_000_000_123,
            actor: "tổ \"kiểm\" duyệt\n".into(),
            action: "post.ingested".into(),
            subject: "post:9".into(),
            payload: serde_json::json!({"z": [1, {"b": null, "a": "é\u{1}"}], "a": -2.5}),
            rows: vec![
                RowBinding {
                    table: "posts".into(),
                    id: RowKey::Id(9),
                    hash: "ab".into(),
                },
                RowBinding {
                    table: "agencies".into(),
                    id: RowKey::Text("sở-tt\\hn".into()),
                    hash: "cd".into(),
                },
            ],
            prev_hash: "00".into(),
            hash: String::new(),
        };
        let body = serde_json::json!({
            "v": event.format, "chain": event.chain, "pos": event.pos, "seq": event.seq,
            "at": event.at, "actor": event.actor, "action": event.action,
            "subject": event.subject, "payload": event.payload, "rows": event.rows,
        });
        assert_eq!(
            String::from_utf8(canonical_v2(&event)).unwrap(),
            canonical_json(&body)
        );
        for rows in [vec![], event.rows.clone()] {
            let e = AuditEvent {
                rows,
                ..event.clone()
            };
            let body = serde_json::json!({
                "v": e.format, "chain": e.chain, "pos": e.pos, "seq": e.seq, "at": e.at,
                "actor": e.actor, "action": e.action, "subject": e.subject,
                "payload": e.payload, "rows": e.rows,
            });
            assert_eq!(recompute_hash(&e), chain_hash(&e.prev_hash, &body));
        }
        let values = vec![
            Some("1".to_string()),
            None,
            Some("chữ \"x\"\t".to_string()),
            None,
        ];
        let mut all = vec![Value::String("posts".into())];
        all.extend(
            values
                .iter()
                .map(|v| v.clone().map(Value::String).unwrap_or(Value::Null)),
        );
        assert_eq!(
            row_hash(Table::Posts, &values),
            hex::encode(Sha256::digest(
                canonical_json(&Value::Array(all)).as_bytes()
            ))
        );
    }

    #[test]
    fn columns_added_later_leave_the_hash_of_older_rows_alone() {
        let old: Vec<Option<String>> = (0..9).map(|i| Some(i.to_string())).collect();
        let mut now = old.clone();
        now.extend([None, None, None, None, None, None]);
        assert_eq!(
            row_hash(Table::Reports, &hashed_values(Table::Reports, now.clone())),
            row_hash(Table::Reports, &old),
            "a report without an addressee hashes as before migration 0016"
        );
        now[9] = Some("agency".into());
        assert_ne!(
            row_hash(Table::Reports, &hashed_values(Table::Reports, now)),
            row_hash(Table::Reports, &old)
        );
        let case: Vec<Option<String>> = vec![Some("1".into()), None];
        assert_eq!(
            hashed_values(Table::Cases, case.clone()),
            case,
            "no column added"
        );
    }

    #[test]
    fn hash_depends_on_previous_hash_and_every_field() {
        let p = serde_json::json!({"k": 1});
        let h = event_hash(GENESIS, 1, 5, "a", "x", "s", &p);
        assert_eq!(h.len(), 64);
        assert_ne!(h, event_hash("1", 1, 5, "a", "x", "s", &p));
        assert_ne!(h, event_hash(GENESIS, 2, 5, "a", "x", "s", &p));
        assert_ne!(h, event_hash(GENESIS, 1, 5, "b", "x", "s", &p));
        assert_ne!(
            h,
            event_hash(GENESIS, 1, 5, "a", "x", "s", &serde_json::json!({"k": 2}))
        );
        assert_eq!(h, event_hash(GENESIS, 1, 5, "a", "x", "s", &p));
    }

    fn event(chain: i64, pos: i64, prev: &str) -> AuditEvent {
        let mut e = AuditEvent {
            seq: pos * 10 + chain,
            chain,
            pos,
            format: 2,
            at: 1,
            actor: "a".into(),
            action: "x".into(),
            subject: "s".into(),
            payload: serde_json::json!({}),
            rows: vec![RowBinding {
                table: "cases".into(),
                id: RowKey::Id(1),
                hash: "h".into(),
            }],
            prev_hash: prev.into(),
            hash: String::new(),
        };
        e.hash = recompute_hash(&e);
        e
    }

    #[test]
    fn the_format_2_hash_covers_chain_position_and_rows() {
        let e = event(1, 1, GENESIS);
        let mut f = e.clone();
        f.chain = 2;
        assert_ne!(recompute_hash(&f), e.hash);
        let mut f = e.clone();
        f.rows[0].hash = "g".into();
        assert_ne!(recompute_hash(&f), e.hash);
    }

    #[test]
    fn interleaved_chains_walk_and_a_gap_is_named() {
        let a1 = event(1, 1, GENESIS);
        let b1 = event(2, 1, GENESIS);
        let a2 = event(1, 2, &a1.hash);
        let mut w = ChainWalker::new(HashSet::from([(1, 2)]), true);
        for e in [&a1, &b1, &a2] {
            w.push(e);
        }
        assert!(w.first_broken.is_none());
        assert_eq!(w.hash_at(1, 2), Some(a2.hash.as_str()));
        assert_eq!(w.heads().len(), 2);
        let a3 = event(1, 3, &a2.hash);
        let a4 = event(1, 4, &a3.hash);
        w.push(&a4);
        assert_eq!(w.first_broken.unwrap().reason, "missing_event");
    }

    #[test]
    fn merkle_root_follows_rfc_6962_and_depends_on_every_head() {
        let h = |c, p| ChainHead {
            chain: c,
            pos: p,
            hash: "ab".into(),
        };
        let three = [h(0, 1), h(1, 2), h(2, 3)];
        assert_ne!(merkle_root(&three), merkle_root(&three[..2]));
        assert_ne!(
            merkle_root(&three),
            merkle_root(&[h(0, 1), h(1, 2), h(2, 4)])
        );
        assert_eq!(merkle_root(&three), merkle_root(&three.clone()));
        // The empty tree is the hash of nothing.
        assert_eq!(
            merkle_root(&[]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn authors_spread_over_shards_and_stay_on_theirs() {
        let a = chain_for_author(Some("alice"), 8);
        assert_eq!(a, chain_for_author(Some("alice"), 8));
        assert!((1..=8).contains(&a.0));
        let used: HashSet<ChainId> = (0..200)
            .map(|i| chain_for_author(Some(&format!("u{i}")), 8))
            .collect();
        assert_eq!(used.len(), 8);
        assert_eq!(chain_for_author(None, 8), ChainId(1));
    }
}
