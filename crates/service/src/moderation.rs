//! Reports, cases, decisions (statements of reasons), appeals and an account's standing under
//! ND-3. The rules — who may decide or appeal what, what a decision changes — are
//! `quytac_core::workflow`'s; these functions read the rows inside the write transaction, ask
//! those rules, and write what they allow.

use crate::{Actor, ErrorKind, Result, Role, Service, ServiceError};
use quytac_core::finding::Category;
use quytac_core::item::{Item, Role as AuthorRole};
use quytac_core::workflow::complaint::{self, Addressee};
use quytac_core::workflow::moderation::{Authorship, LatestDecision};
use quytac_core::workflow::text::{validate, TextBounds};
use quytac_core::workflow::{
    check_rule_applies, lock_recommendation, may_appeal, may_decide, Action, CaseSource,
    CaseStatus, DecisionOn, LockRecommendation, ViolationCounts,
};
use quytac_store::model::{
    Appeal, Case, CaseDetail, CaseSummary, Decision, NewDecision, NewReport, Report,
};
use quytac_store::WriteTx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Statements of reasons, reports' notes and appeals' reasons: prose up to this length.
const MAX_PROSE: usize = 5000;

/// Report a stored post.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPost {
    /// The reported post's own id.
    pub post_id: String,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub note: String,
    /// The owner of the page the post appeared on, when the complaint is for them (Decree
    /// 147: they handle it within 48 hours); absent, the complaint is the provider's.
    #[serde(default)]
    pub addressee: Option<Addressee>,
}

/// A report and the case it joined.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportFiled {
    pub report: Report,
    pub case: Case,
}

/// Decide a case: a statement of reasons under one rule of the active pack.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    /// The rule id of the active pack, e.g. `CS-5`.
    pub rule: String,
    pub category: Category,
    pub action: Action,
    /// The statement of reasons shown to the author.
    pub statement: String,
    /// Whether the decision itself was taken by automation (default: a person decided).
    #[serde(default)]
    pub automated_decision: bool,
}

/// What the author is told of a decision (a statement of reasons).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeToAuthor {
    pub post_id: String,
    pub author_id: Option<String>,
    pub rule: String,
    pub category: Category,
    pub action: Action,
    /// The action in Vietnamese.
    pub action_vi: String,
    pub automated_detection: bool,
    pub automated_decision: bool,
    pub statement: String,
    /// Whether the author may still appeal (a decision on appeal is final).
    pub can_appeal: bool,
}

/// A recorded decision and whom it was told to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionRecorded {
    pub decision: Decision,
    pub notice_to_author: NoticeToAuthor,
    /// How many reporters were told the outcome.
    pub reporters_notified: i64,
}

/// Appeal the latest decision on a case.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecision {
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppealFiled {
    pub appeal: Appeal,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseList {
    pub cases: Vec<CaseSummary>,
}

/// ND-3's recommendation for an account, with the rule and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recommendation {
    pub action: LockRecommendation,
    /// Always `ND-3`.
    pub rule: String,
    pub reason: String,
}

/// An account's violations and what ND-3 recommends.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Standing {
    pub account: String,
    #[serde(flatten)]
    pub counts: ViolationCounts,
    pub recommendation: Recommendation,
}

impl Service {
    /// A user reports a stored post: the report joins the post's open case or opens one.
    pub async fn report(&self, actor: &Actor, cmd: ReportPost) -> Result<ReportFiled> {
        self.report_as(&actor.name(), cmd).await
    }

    /// A report like [`Service::report`], by a reporter named outside the API's tokens (an
    /// integration's user, e.g. `mastodon:alice`).
    pub async fn report_as(&self, reporter: &str, cmd: ReportPost) -> Result<ReportFiled> {
        let note = validate("note", &cmd.note, TextBounds::prose(MAX_PROSE, false))?;
        let reporter = reporter.to_string();
        let mut tx = self.store.write().await?;
        let post = tx.post_by_external_id(&cmd.post_id).await?;
        let addressee = match cmd.addressee {
            Some(to) => Some(self.check_addressee(&mut tx, &post, to).await?),
            None => None,
        };
        let case = tx
            .join_or_open_case(post.id, CaseSource::Report, post.verdict, &reporter)
            .await?;
        let new = NewReport {
            post_id: cmd.post_id,
            reporter,
            category: cmd.category,
            note,
            addressee,
        };
        let report = tx.insert_report(case.id, post.id, &new).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(ReportFiled { report, case })
    }

    /// A report, for staff, for the one who filed it and for the owner of the page it is
    /// addressed to; anyone else is told it does not exist.
    pub async fn report_for(&self, actor: &Actor, id: i64) -> Result<Report> {
        let not_found = || ServiceError::not_found(format!("report {id} not found"));
        let report = self.store.report(id).await?.ok_or_else(not_found)?;
        if actor.role.is_staff() || report.reporter == actor.name() {
            return Ok(report);
        }
        if let Some(to) = &report.addressee {
            let account = self.account_spoken_for(actor).await?;
            if complaint::acts_for(actor, account.as_deref(), to) {
                return Ok(report);
            }
        }
        Err(not_found())
    }

    pub async fn cases(&self, status: Option<CaseStatus>, limit: i64) -> Result<CaseList> {
        let cases = self.store.list_cases(status, limit.clamp(1, 1000)).await?;
        Ok(CaseList { cases })
    }

    pub async fn case(&self, id: i64) -> Result<CaseDetail> {
        self.store
            .case_detail(id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("case {id} not found")))
    }

    /// Records a decision. Who may decide is checked on the case as the write transaction
    /// reads it: an appeal that lands first is seen, and then only a reviewer or admin other
    /// than the appealed decision's author may decide.
    pub async fn decide(
        &self,
        actor: &Actor,
        case_id: i64,
        cmd: Decide,
    ) -> Result<DecisionRecorded> {
        let mut tx = self.store.write().await?;
        let recorded = self.decide_in(&mut tx, actor, case_id, cmd).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(recorded)
    }

    /// [`Service::decide`] inside a write transaction the caller commits (a takedown carried
    /// out records its removal and closes the request in one transaction).
    pub(crate) async fn decide_in(
        &self,
        tx: &mut WriteTx<'_>,
        actor: &Actor,
        case_id: i64,
        cmd: Decide,
    ) -> Result<DecisionRecorded> {
        let pack = self.engine.pack();
        let rule = pack.rule(&cmd.rule).ok_or_else(|| {
            ServiceError::new(
                ErrorKind::UnknownRule,
                format!("rule `{}` is not in pack {}", cmd.rule, pack.id),
            )
        })?;
        let statement = validate(
            "statement",
            &cmd.statement,
            TextBounds::prose(MAX_PROSE, true),
        )?;
        let moderator = actor.name();
        let case = tx
            .case(case_id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("case {case_id} not found")))?;
        let latest = tx.latest_decision(case_id).await?;
        let on = may_decide(
            actor,
            case.status,
            latest.as_ref().map(|d| d.moderator.as_str()),
        )?;
        let post = tx.post(case.post_id).await?;
        let author = author_role(&tx.post_item_json(post.id).await?);
        check_rule_applies(rule, author, cmd.category, cmd.action)?;
        // Detection was automated when the engine itself found this category in the post.
        let automated_detection = post.result["findings"]
            .as_array()
            .is_some_and(|fs| fs.iter().any(|f| f["category"] == cmd.category.as_str()));
        let on_appeal = on == DecisionOn::Appeal;
        let new = NewDecision {
            rule_id: cmd.rule.clone(),
            category: cmd.category,
            action: cmd.action,
            automated_detection,
            automated_decision: cmd.automated_decision,
            moderator,
            statement: statement.clone(),
        };
        let decision = tx.insert_decision(case_id, &new, on_appeal).await?;
        tx.set_case_status(case_id, CaseStatus::Decided).await?;
        tx.tell_reporters(case_id, cmd.action.report_outcome(), on_appeal)
            .await?;
        if on_appeal {
            tx.resolve_appeals(case_id).await?;
        }
        if let (Some(author_id), true) = (&post.author_id, cmd.action.is_violation()) {
            tx.count_violation(author_id, &decision).await?;
        }
        if cmd.action.closes_takedown() {
            tx.complete_takedowns(post.id).await?;
        }
        let reporters_notified = tx.report_count(case_id).await?;
        Ok(DecisionRecorded {
            notice_to_author: NoticeToAuthor {
                post_id: post.external_id,
                author_id: post.author_id,
                rule: cmd.rule,
                category: cmd.category,
                action: cmd.action,
                action_vi: cmd.action.name_vi().to_string(),
                automated_detection,
                automated_decision: cmd.automated_decision,
                statement,
                can_appeal: !on_appeal,
            },
            decision,
            reporters_notified,
        })
    }

    /// Contests the latest decision on a case; the case reopens for a second look. Only the
    /// post's author appeals — a citizen whose token speaks for that author — or an admin on
    /// their behalf, once per decision, and never the person who took it
    /// (`workflow::moderation::may_appeal`, asked on the rows this write reads).
    pub async fn appeal(
        &self,
        actor: &Actor,
        case_id: i64,
        cmd: AppealDecision,
    ) -> Result<AppealFiled> {
        let reason = validate("reason", &cmd.reason, TextBounds::prose(MAX_PROSE, true))?;
        let mut tx = self.store.write().await?;
        let case = tx
            .case(case_id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("case {case_id} not found")))?;
        let latest = tx.latest_decision(case_id).await?;
        let appealed = match &latest {
            Some(d) => tx.decision_appealed(d.id).await?,
            None => false,
        };
        let post = tx.post(case.post_id).await?;
        let speaks_for = if actor.role == Role::Citizen {
            tx.token_account(actor.token_id).await?
        } else {
            None
        };
        may_appeal(
            actor,
            case.status,
            latest.as_ref().map(|d| LatestDecision {
                moderator: &d.moderator,
                on_appeal: d.on_appeal,
                appealed,
            }),
            Authorship {
                post_author: post.author_id.as_deref(),
                appellant_speaks_for: speaks_for.as_deref(),
            },
        )?;
        let decision_id = latest.map(|d| d.id).ok_or_else(|| {
            ServiceError::new(ErrorKind::Conflict, "the case has no decision to appeal")
        })?;
        let appeal = tx
            .insert_appeal(case_id, decision_id, &actor.name(), &reason)
            .await?;
        tx.set_case_status(case_id, CaseStatus::Appealed).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(AppealFiled { appeal })
    }

    /// An account's violations and ND-3's recommendation.
    pub async fn standing(&self, account: &str) -> Result<Standing> {
        let counts = self
            .store
            .violation_counts(account, quytac_store::now_ms())
            .await?;
        let (action, reason) = lock_recommendation(&counts);
        Ok(Standing {
            account: account.to_string(),
            counts,
            recommendation: Recommendation {
                action,
                rule: "ND-3".to_string(),
                reason,
            },
        })
    }
}

/// The role of a stored post's author, from the item as it was ingested (citizen when the
/// post did not say).
fn author_role(item_json: &str) -> AuthorRole {
    match serde_json::from_str::<Item>(item_json) {
        Ok(Item::Post(p)) => p.author.role,
        _ => AuthorRole::default(),
    }
}
