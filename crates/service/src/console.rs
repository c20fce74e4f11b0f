//! The moderation console's use cases (issue 14): the queue as a typed query, assignment,
//! internal notes, bulk decisions, appeals decided as uphold or overturn, and a takedown
//! carried out. Each write opens one store transaction, asks `quytac_core::workflow` on the
//! rows it reads, and commits its rows with their audit events.

use crate::moderation::{Decide, DecisionRecorded};
use crate::{Actor, ErrorKind, Result, Service, ServiceError};
use quytac_core::finding::{Category, Verdict};
use quytac_core::workflow::staff::normalize_username;
use quytac_core::workflow::takedown::{may_complete, Completion};
use quytac_core::workflow::text::{validate, TextBounds};
use quytac_core::workflow::{
    appeal_action, may_assign, may_note, takedown, Action, AppealOutcome, CaseSource, CaseStatus,
};
use quytac_store::console::{
    CaseAssignment, CaseFilter, CaseNote, CaseSort, QueuedCase, StatusCount,
};
use quytac_store::model::Takedown;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The queue's page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// The most cases one bulk decision takes.
pub const MAX_BULK: usize = 100;

/// Which cases to list, in which order, which page.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub status: Option<CaseStatus>,
    pub source: Option<CaseSource>,
    pub rule: Option<String>,
    pub category: Option<Category>,
    pub severity: Option<Verdict>,
    pub has_reports: Option<bool>,
    /// An actor's name; `""`: cases assigned to nobody.
    pub assignee: Option<String>,
    /// Words of the text or author, a case id, or a post's own id.
    pub search: Option<String>,
    pub sort: CaseSort,
    /// 1-based.
    pub page: i64,
    /// 1–1000; [`DEFAULT_PAGE_SIZE`] when 0.
    pub page_size: i64,
}

/// A case of the queue and whether its takedown is overdue (ND-2).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueEntry {
    #[serde(flatten)]
    pub case: QueuedCase,
    /// An open takedown request of this case is past its 24-hour deadline.
    pub takedown_overdue: bool,
}

/// One page of the queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseQueue {
    pub cases: Vec<QueueEntry>,
    /// How many cases match the filter, on every page, counted up to
    /// `quytac_store::console::MAX_COUNTED`.
    pub total: i64,
    /// More cases match than were counted: `total` is a lower bound, and pages end there.
    pub total_capped: bool,
    pub page: i64,
    pub page_size: i64,
    /// How many cases stand at each status (whatever the filter).
    pub counts: Vec<StatusCount>,
}

/// Give a case to someone.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCase {
    /// An enabled staff user by username (`lan`) or actor name (`moderator:lan`), `me` or
    /// the caller's own actor name (a token's caller: `moderator:3`); `null` to assign the
    /// case to nobody.
    pub assignee: Option<String>,
}

/// An internal note.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNote {
    pub body: String,
}

/// One decision for several cases, with one statement of reasons.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecide {
    pub case_ids: Vec<i64>,
    /// The decision each case gets (nested, not flattened: its schema forbids other keys).
    pub decision: Decide,
}

/// What became of one case of a bulk decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkItem {
    pub case_id: i64,
    pub decision_id: Option<i64>,
    /// Why it was refused: the kind of error (`forbidden`, `conflict`, `rule_not_applicable`…)
    /// and its message; `null` when it was decided.
    pub error_kind: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkDecided {
    pub results: Vec<BulkItem>,
    pub decided: usize,
    pub refused: usize,
}

/// A reviewer's decision on an appeal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideAppeal {
    pub outcome: AppealOutcome,
    /// The statement of reasons told to the author.
    pub statement: String,
}

/// Carry out a takedown request. When the content is still visible it is removed now under
/// `rule` and `category`, with `statement` as the statement of reasons.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteTakedown {
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub statement: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TakedownCompleted {
    pub takedown: Takedown,
    /// The removal recorded with it, when the content was still visible.
    pub decision: Option<DecisionRecorded>,
}

/// What staff see of a case beyond its rows: notes and assignments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseDesk {
    pub notes: Vec<CaseNote>,
    pub assignments: Vec<CaseAssignment>,
}

impl Service {
    /// A page of the queue: the filter, search, sort and paging are one bounded query of the
    /// store; cases with an overdue takedown come first.
    pub async fn case_queue(&self, q: CaseQuery) -> Result<CaseQueue> {
        if let Some(rule) = &q.rule {
            if rule.is_empty()
                || rule.len() > 32
                || !rule.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(ServiceError::invalid_field(format!(
                    "`rule` must be a rule id such as CS-5, not `{rule}`"
                )));
            }
        }
        let search = q
            .search
            .as_deref()
            .map(|s| {
                validate(
                    "q",
                    s,
                    TextBounds::line(quytac_store::console::MAX_SEARCH_CHARS, false),
                )
            })
            .transpose()?
            .filter(|s| !s.is_empty());
        let assignee = q
            .assignee
            .as_deref()
            .map(|a| validate("assignee", a, TextBounds::line(100, false)))
            .transpose()?;
        let page_size = if q.page_size == 0 {
            DEFAULT_PAGE_SIZE
        } else {
            q.page_size.clamp(1, quytac_store::console::MAX_PAGE_SIZE)
        };
        // No page starts past what the store counts (`MAX_COUNTED`): the last one there is
        // the deepest one served.
        let last_page = quytac_store::console::MAX_COUNTED / page_size + 1;
        let page = q.page.clamp(1, last_page);
        let now = quytac_store::now_ms();
        let filter = CaseFilter {
            status: q.status,
            source: q.source,
            rule: q.rule,
            category: q.category,
            verdict: q.severity,
            has_reports: q.has_reports,
            assignee,
            text: search,
            sort: q.sort,
            offset: (page - 1) * page_size,
            limit: page_size,
            now,
        };
        let (cases, total, total_capped) = self.store.case_queue(&filter).await?;
        let counts = self.store.case_counts().await?;
        Ok(CaseQueue {
            cases: cases
                .into_iter()
                .map(|c| QueueEntry {
                    takedown_overdue: c.takedown_deadline.is_some_and(|d| {
                        takedown::is_overdue(quytac_core::workflow::TakedownStatus::Open, d, now)
                    }),
                    case: c,
                })
                .collect(),
            total,
            total_capped,
            page,
            page_size,
            counts,
        })
    }

    /// Gives a case to someone (or to nobody), while it waits for a decision.
    pub async fn assign_case(
        &self,
        actor: &Actor,
        case_id: i64,
        cmd: AssignCase,
    ) -> Result<CaseAssignment> {
        let assignee = cmd
            .assignee
            .as_deref()
            .map(|a| validate("assignee", a, TextBounds::line(100, true)))
            .transpose()?;
        let mut tx = self.store.write().await?;
        let case = tx
            .case(case_id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("case {case_id} not found")))?;
        may_assign(actor, case.status)?;
        let assignee = match assignee {
            Some(a) => Some(case_assignee(&mut tx, actor, &a).await?),
            None => None,
        };
        let row = tx
            .assign_case(&case, assignee.as_deref(), &actor.name())
            .await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(row)
    }

    /// Adds an internal note (staff only; never shown to the post's author).
    pub async fn add_note(&self, actor: &Actor, case_id: i64, cmd: AddNote) -> Result<CaseNote> {
        may_note(actor)?;
        let body = validate("body", &cmd.body, TextBounds::prose(5000, true))?;
        let mut tx = self.store.write().await?;
        let case = tx
            .case(case_id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("case {case_id} not found")))?;
        let note = tx.insert_note(&case, &actor.name(), &body).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(note)
    }

    /// A case's notes and assignments, for staff.
    pub async fn case_desk(&self, actor: &Actor, case_id: i64) -> Result<CaseDesk> {
        may_note(actor)?;
        if self.store.case(case_id).await?.is_none() {
            return Err(ServiceError::not_found(format!("case {case_id} not found")));
        }
        Ok(CaseDesk {
            notes: self.store.case_notes(case_id).await?,
            assignments: self.store.case_assignments(case_id).await?,
        })
    }

    /// Decides several cases alike: each goes through [`Service::decide`] on its own (its
    /// rules, its transaction, its audit event), and the answer says which were decided and
    /// why the others were refused.
    pub async fn decide_many(&self, actor: &Actor, cmd: BulkDecide) -> Result<BulkDecided> {
        let mut ids = cmd.case_ids.clone();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() || ids.len() > MAX_BULK {
            return Err(ServiceError::invalid_field(format!(
                "`case_ids` must name 1 to {MAX_BULK} cases"
            )));
        }
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            let item = match self.decide(actor, id, cmd.decision.clone()).await {
                Ok(r) => BulkItem {
                    case_id: id,
                    decision_id: Some(r.decision.id),
                    error_kind: None,
                    error: None,
                },
                Err(e) if e.kind == ErrorKind::DatabaseUnavailable => return Err(e),
                Err(e) => BulkItem {
                    case_id: id,
                    decision_id: None,
                    error_kind: Some(snake(&format!("{:?}", e.kind))),
                    error: Some(e.message),
                },
            };
            results.push(item);
        }
        let decided = results.iter().filter(|r| r.decision_id.is_some()).count();
        Ok(BulkDecided {
            refused: results.len() - decided,
            decided,
            results,
        })
    }

    /// A reviewer decides an appeal: upholding repeats the appealed decision's rule, category
    /// and action; overturning records `none` under the same rule. Who may is
    /// [`quytac_core::workflow::may_decide`] on the appealed case.
    pub async fn decide_appeal(
        &self,
        actor: &Actor,
        case_id: i64,
        cmd: DecideAppeal,
    ) -> Result<DecisionRecorded> {
        let mut tx = self.store.write().await?;
        let case = tx
            .case(case_id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("case {case_id} not found")))?;
        if case.status != CaseStatus::Appealed {
            return Err(ServiceError::new(
                ErrorKind::Conflict,
                format!("the case is {}: there is no pending appeal", case.status),
            ));
        }
        let appealed = tx.latest_decision(case_id).await?.ok_or_else(|| {
            ServiceError::new(ErrorKind::Conflict, "the case has no appealed decision")
        })?;
        let decide = Decide {
            rule: appealed.rule_id.clone(),
            category: appealed.category,
            action: appeal_action(cmd.outcome, appealed.action),
            statement: cmd.statement,
            automated_decision: false,
        };
        let recorded = self.decide_in(&mut tx, actor, case_id, decide).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(recorded)
    }

    /// Carries out a takedown request (ND-2): when the case's latest decision already took the
    /// content down the request is closed; otherwise the content is removed now (a decision
    /// under the rule and category given) and the request closes with it, in one transaction
    /// (`workflow::takedown::may_complete`).
    pub async fn complete_takedown(
        &self,
        actor: &Actor,
        takedown_id: i64,
        cmd: CompleteTakedown,
    ) -> Result<TakedownCompleted> {
        let mut tx = self.store.write().await?;
        let t = tx
            .takedown(takedown_id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("takedown {takedown_id} not found")))?;
        let latest = tx.latest_decision(t.case_id).await?;
        let decision = match may_complete(actor, t.status, latest.map(|d| d.action))? {
            Completion::AlreadyDown => None,
            Completion::RemoveNow => {
                let (Some(rule), Some(category)) = (cmd.rule, cmd.category) else {
                    return Err(ServiceError::invalid_field(
                        "the content is still visible: name the `rule` and `category` it is removed under",
                    ));
                };
                let decide = Decide {
                    rule,
                    category,
                    action: Action::Remove,
                    statement: cmd.statement,
                    automated_decision: false,
                };
                Some(self.decide_in(&mut tx, actor, t.case_id, decide).await?)
            }
        };
        // A removal closes every open request on the post; this one is closed here otherwise.
        let now = tx.takedown(takedown_id).await?;
        let takedown = match now {
            Some(t) if t.status == quytac_core::workflow::TakedownStatus::Open => {
                tx.complete_takedown(takedown_id, &actor.name()).await?
            }
            Some(t) => t,
            None => return Err(ServiceError::not_found("takedown vanished")),
        };
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(TakedownCompleted { takedown, decision })
    }
}

/// Whom `given` names as a case's assignee, as the actor name stored: the caller (`me` or
/// their own actor name, so a token's caller can take a case), or an enabled staff user by
/// username or `role:username`, read in the assigning transaction. Anyone else is refused
/// (`unknown_assignee`).
async fn case_assignee(
    tx: &mut quytac_store::WriteTx<'_>,
    actor: &Actor,
    given: &str,
) -> Result<String> {
    let own = actor.name();
    if given == "me" || given == own {
        return Ok(own);
    }
    let unknown = || {
        ServiceError::new(
            ErrorKind::UnknownAssignee,
            format!("`assignee` must be an enabled staff user (a username), not `{given}`"),
        )
    };
    let (role, username) = match given.split_once(':') {
        Some((role, username)) => (Some(role), username),
        None => (None, given),
    };
    let user = tx
        .user_by_username(&normalize_username(username))
        .await?
        .ok_or_else(unknown)?;
    let role_matches = role.is_none_or(|r| r == user.role.as_str());
    if user.disabled || !user.role.is_staff() || !role_matches {
        return Err(unknown());
    }
    Ok(crate::users::actor_of_user(&user).name())
}

/// `RuleNotApplicable` → `rule_not_applicable`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
