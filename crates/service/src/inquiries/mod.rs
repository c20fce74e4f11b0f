//! Citizens' inquiries to agencies (AG-7) and the masking of citizens' personal data in
//! everything shown of them (AG-5).
//!
//! A citizen asks (`question`, `conflicting_information` or `doubt`); the text is checked by
//! the engine (a violation other than personal data refuses it) and stored twice, as written
//! and masked. The due time is 17:00 Vietnam time of the N-th working day after the day of
//! receipt (N is the agency's `response_working_days`, under [`crate::Settings::holidays`]).
//! An officer is assigned and answers; the answer is checked as the agency's and masked. The
//! citizen may reopen an answered inquiry (a new deadline runs) or close it. The escalation
//! sweep sends inquiries awaiting an answer past their deadline to the parent agency with a
//! `response_overdue` finding built by `quytac_core::workflow::inquiry::overdue_finding`.
//!
//! Who may take which step is `quytac_core::workflow::inquiry`'s; each use case reads the
//! inquiry inside its write transaction and asks it there.

mod demo;
pub mod figures;
pub mod follow;
mod views;

pub use views::{InquiryReplyView, InquiryView};

use crate::vn_time::{vn_month, vn_string, vn_time};
use crate::{Actor, Result, Role, Service, ServiceError};
use quytac_core::agency::{due_at, receipt_day, working_days_between};
use quytac_core::engine::CheckResult;
use quytac_core::item::{Author, Item, Post, Role as AuthorRole};
use quytac_core::workflow::inquiry::{
    check_client_time, may_answer, may_assign, may_be_assigned, may_close, may_reopen, may_unmask,
    overdue_finding, InquiryFacts, InquiryKind,
};
use quytac_core::workflow::staff::normalize_username;
use quytac_core::workflow::text::{refuse_unless_only_personal_data, validate, TextBounds};
use quytac_store::inquiries::{Inquiry, InquiryDetail, NewInquiry, NewInquiryFinding, NewReply};
use quytac_store::WriteTx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest text of an inquiry, answer or reopening reason, in characters.
pub(crate) const MAX_TEXT: usize = 5000;

/// Ask an agency.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskAgency {
    pub text: String,
    #[serde(default)]
    pub kind: InquiryKind,
    /// When the agency received it (Unix ms); admins only, defaults to now.
    #[serde(default)]
    pub received_at: Option<i64>,
}

/// Assign an inquiry.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInquiry {
    /// The officer: a username (`lan`), or an actor name (`agency_officer:lan`,
    /// `agency_officer:<token id>`); defaults to the caller.
    #[serde(default)]
    pub assignee: Option<String>,
}

/// Answer an inquiry.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInquiry {
    pub text: String,
    /// When it was answered (Unix ms); admins only, defaults to now.
    #[serde(default)]
    pub answered_at: Option<i64>,
}

/// Reopen an answered inquiry.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenInquiry {
    /// Why the answer does not settle it.
    #[serde(default)]
    pub reason: String,
}

/// One inquiry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryEnvelope {
    pub inquiry: InquiryView,
}

/// An agency's inquiries, masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryList {
    pub agency_id: String,
    pub inquiries: Vec<InquiryView>,
}

/// What an escalation sweep did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Escalated {
    /// The ids of the inquiries escalated.
    pub escalated: Vec<i64>,
    pub at: i64,
    pub at_local: String,
}

/// The facts of a stored inquiry the workflow rules decide on.
fn facts(q: &Inquiry) -> InquiryFacts<'_> {
    InquiryFacts {
        status: q.status,
        agency_id: &q.agency_id,
        escalated_to: q.escalated_to.as_deref(),
        citizen: &q.citizen,
        assigned_to: q.assigned_to.as_deref(),
    }
}

/// A time a client set, for admins only (tests, imports of questions received elsewhere),
/// within the bounds of `workflow::inquiry::check_client_time` (2018 onwards, not ahead of
/// the clock).
fn client_time(actor: &Actor, field: &str, at: Option<i64>, now: i64) -> Result<i64> {
    let Some(at) = at else { return Ok(now) };
    if actor.role != Role::Admin {
        return Err(ServiceError::new(
            crate::ErrorKind::Forbidden,
            format!("only admins may set `{field}`"),
        ));
    }
    check_client_time(field, at, now)?;
    Ok(at)
}

impl Service {
    /// The due time (Unix ms) of a question received at `received_ms` with `working_days` to
    /// answer, under the service's holiday calendar.
    fn due_time(&self, received_ms: i64, working_days: i64) -> Result<i64> {
        let days = u32::try_from(working_days.clamp(0, 366)).unwrap_or(0);
        vn_time(received_ms)
            .and_then(|t| due_at(t, days, &self.settings.holidays))
            .map(|d| d.to_unix() * 1000)
            .ok_or_else(|| {
                ServiceError::invalid_field("the time is outside the supported calendar")
            })
    }

    /// Working days from the day of receipt of `received_ms` to the day of `answered_ms`.
    fn working_days_taken(&self, received_ms: i64, answered_ms: i64) -> i64 {
        let cal = &self.settings.holidays;
        match (
            vn_time(received_ms).and_then(|t| receipt_day(t, cal)),
            vn_time(answered_ms),
        ) {
            (Some(from), Some(to)) => i64::from(working_days_between(from, to.date(), cal)),
            _ => 0,
        }
    }

    /// Checks a citizen's or an agency's text, refuses it on a violation other than personal
    /// data, and makes the reply to store.
    fn checked(&self, id: &str, text: &str, role: AuthorRole, agency: &str) -> Result<CheckResult> {
        let result = self.engine.check(&Item::Post(Post {
            id: id.into(),
            text: text.into(),
            author: Author {
                role,
                agency: (role == AuthorRole::Agency).then(|| agency.to_string()),
                ..Author::default()
            },
            engages: None,
            links: Vec::new(),
        }));
        refuse_unless_only_personal_data(&result)?;
        Ok(result)
    }

    fn new_reply(&self, author: String, text: &str, result: &CheckResult, at: i64) -> NewReply {
        NewReply {
            author,
            text: text.to_string(),
            masked_text: self.engine.mask_personal_data(text),
            check_json: serde_json::to_string(result).unwrap_or_default(),
            at,
        }
    }

    /// A citizen (or an admin) asks an agency.
    pub async fn ask_agency(
        &self,
        actor: &Actor,
        agency_id: &str,
        cmd: AskAgency,
    ) -> Result<InquiryEnvelope> {
        let now = quytac_store::now_ms();
        let text = validate("text", &cmd.text, TextBounds::prose(MAX_TEXT, true))?;
        let received_at = client_time(actor, "received_at", cmd.received_at, now)?;
        self.record_inquiry(&actor.name(), agency_id, cmd.kind, &text, received_at)
            .await
    }

    /// Checks, masks, computes the deadline and stores; the masked view.
    async fn record_inquiry(
        &self,
        citizen: &str,
        agency_id: &str,
        kind: InquiryKind,
        text: &str,
        received_at: i64,
    ) -> Result<InquiryEnvelope> {
        let new = self
            .prepare_inquiry(citizen, agency_id, kind, text, received_at)
            .await?;
        let mut tx = self.store.write().await?;
        let q = tx.create_inquiry(&new).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(InquiryEnvelope {
            inquiry: InquiryView::listed(&q, quytac_store::now_ms()),
        })
    }

    /// Checks (refusing a violation other than personal data), masks and computes the
    /// deadline: the inquiry to store.
    async fn prepare_inquiry(
        &self,
        citizen: &str,
        agency_id: &str,
        kind: InquiryKind,
        text: &str,
        received_at: i64,
    ) -> Result<NewInquiry> {
        let agency = self.agency_or_404(agency_id).await?;
        let result = self.checked("inquiry", text, AuthorRole::Citizen, agency_id)?;
        let due = self.due_time(received_at, agency.response_working_days)?;
        Ok(NewInquiry {
            agency_id: agency.id.clone(),
            citizen: citizen.to_string(),
            kind,
            text: text.to_string(),
            masked_text: self.engine.mask_personal_data(text),
            check_json: serde_json::to_string(&result).unwrap_or_default(),
            created_at: received_at,
            month: vn_month(received_at),
            working_days: agency.response_working_days,
            due_at: due,
        })
    }

    /// An inquiry, masked; with `unmasked`, as written, for the assigned officer and admins
    /// only, once the `inquiry.unmasked_viewed` audit event is committed.
    pub async fn inquiry(&self, actor: &Actor, id: i64, unmasked: bool) -> Result<InquiryEnvelope> {
        if unmasked {
            let mut tx = self.store.write().await?;
            let q = tx.inquiry(id).await.map_err(not_found(id))?;
            let reason = may_unmask(actor, &facts(&q))?;
            tx.record_inquiry_unmasked_view(id, &actor.name(), reason.as_str())
                .await?;
            let events = tx.commit().await?;
            self.after_commit(&events).await;
        }
        let d = self.detail(id).await?;
        Ok(InquiryEnvelope {
            inquiry: InquiryView::of(&d, quytac_store::now_ms(), unmasked),
        })
    }

    async fn detail(&self, id: i64) -> Result<InquiryDetail> {
        self.store
            .inquiry_detail(id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("inquiry {id} not found")))
    }

    async fn masked(&self, id: i64) -> Result<InquiryEnvelope> {
        let d = self.detail(id).await?;
        Ok(InquiryEnvelope {
            inquiry: InquiryView::of(&d, quytac_store::now_ms(), false),
        })
    }

    /// An agency's inquiries, newest first (or only the overdue ones, oldest deadline first).
    pub async fn agency_inquiries(
        &self,
        agency_id: &str,
        overdue_only: bool,
        limit: Option<i64>,
    ) -> Result<InquiryList> {
        let agency = self.agency_or_404(agency_id).await?;
        let now = quytac_store::now_ms();
        let limit = limit.unwrap_or(100).clamp(1, 1000);
        let list = self
            .store
            .list_inquiries(&agency.id, overdue_only.then_some(now), limit)
            .await?;
        Ok(InquiryList {
            agency_id: agency.id,
            inquiries: list.iter().map(|q| InquiryView::listed(q, now)).collect(),
        })
    }

    /// The inquiries escalated to an agency from the agencies under it, newest first.
    pub async fn inquiries_escalated_to(
        &self,
        agency_id: &str,
        limit: Option<i64>,
    ) -> Result<InquiryList> {
        let agency = self.agency_or_404(agency_id).await?;
        let now = quytac_store::now_ms();
        let limit = limit.unwrap_or(100).clamp(1, 1000);
        let list = self.store.inquiries_escalated_to(&agency.id, limit).await?;
        Ok(InquiryList {
            agency_id: agency.id,
            inquiries: list.iter().map(|q| InquiryView::listed(q, now)).collect(),
        })
    }

    /// Assigns an inquiry to an officer (the caller by default).
    pub async fn assign_inquiry(
        &self,
        actor: &Actor,
        id: i64,
        cmd: AssignInquiry,
    ) -> Result<InquiryEnvelope> {
        // The assignee's token, read before the transaction: tokens are not what the
        // authorisation below depends on changing.
        let assignee = match &cmd.assignee {
            None => None,
            Some(a) => Some(self.assignee(a).await),
        };
        let mut tx = self.store.write().await?;
        let q = tx.inquiry(id).await.map_err(not_found(id))?;
        may_assign(actor, id, &facts(&q))?;
        let name = match assignee.transpose()? {
            None => actor.name(),
            Some(a) if may_be_assigned(&a, &facts(&q)) => a.name(),
            Some(a) => return Err(bad_assignee(&a.name())),
        };
        tx.assign_inquiry(id, &name, &actor.name()).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        self.masked(id).await
    }

    /// The actor an inquiry's assignee names: an enabled admin or officer user by username
    /// (`lan`) or actor name (`agency_officer:lan`), or a live token by actor name
    /// (`agency_officer:<token id>`). Whether they may handle this inquiry is the workflow's.
    async fn assignee(&self, name: &str) -> Result<Actor> {
        let bad = || bad_assignee(name);
        let (role, rest) = match name.split_once(':') {
            Some((role, rest)) => (Some(role.parse::<Role>().map_err(|_| bad())?), rest),
            None => (None, name),
        };
        if let (Some(role), Ok(token_id)) = (role, rest.parse::<i64>()) {
            let token = self.store.token(token_id).await?.ok_or_else(bad)?;
            if token.revoked || token.role != role {
                return Err(bad());
            }
            return Ok(Actor {
                role,
                token_id,
                agency: token.agency_id,
                user: None,
            });
        }
        let user = self
            .store
            .user_by_username(&normalize_username(rest))
            .await?
            .ok_or_else(bad)?;
        if user.disabled || role.is_some_and(|r| r != user.role) {
            return Err(bad());
        }
        Ok(crate::users::actor_of_user(&user))
    }

    /// An officer answers; the answer is checked as the agency's and masked in public.
    pub async fn answer_inquiry(
        &self,
        actor: &Actor,
        id: i64,
        cmd: AnswerInquiry,
    ) -> Result<InquiryEnvelope> {
        let now = quytac_store::now_ms();
        let text = validate("text", &cmd.text, TextBounds::prose(MAX_TEXT, true))?;
        let at = client_time(actor, "answered_at", cmd.answered_at, now)?;
        let mut tx = self.store.write().await?;
        let q = tx.inquiry(id).await.map_err(not_found(id))?;
        may_answer(actor, id, &facts(&q))?;
        self.answer_in(&mut tx, &actor.name(), &q, &text, at)
            .await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        self.masked(id).await
    }

    async fn answer_in(
        &self,
        tx: &mut WriteTx<'_>,
        author: &str,
        q: &Inquiry,
        text: &str,
        at: i64,
    ) -> Result<()> {
        if at < q.created_at {
            return Err(ServiceError::invalid_field(
                "`answered_at` is before the inquiry was received",
            ));
        }
        let result = self.checked(
            &format!("inquiry-{}-answer", q.id),
            text,
            AuthorRole::Agency,
            &q.agency_id,
        )?;
        let reply = self.new_reply(author.to_string(), text, &result, at);
        let days = self.working_days_taken(q.created_at, at);
        tx.answer_inquiry(q.id, &reply, days).await?;
        Ok(())
    }

    /// The citizen who asked (or an admin) reopens an answered inquiry: a new deadline runs
    /// from now.
    pub async fn reopen_inquiry(
        &self,
        actor: &Actor,
        id: i64,
        cmd: ReopenInquiry,
    ) -> Result<InquiryEnvelope> {
        let now = quytac_store::now_ms();
        let reason = validate("reason", &cmd.reason, TextBounds::prose(MAX_TEXT, false))?;
        let mut tx = self.store.write().await?;
        let q = tx.inquiry(id).await.map_err(not_found(id))?;
        may_reopen(actor, id, &facts(&q))?;
        let result = self.checked(
            &format!("inquiry-{id}-reopen"),
            &reason,
            AuthorRole::Citizen,
            &q.agency_id,
        )?;
        let reply = self.new_reply(actor.name(), &reason, &result, now);
        let due = self.due_time(now, q.working_days)?;
        tx.reopen_inquiry(id, &reply, due).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        self.masked(id).await
    }

    /// The citizen who asked (or an admin) closes an inquiry.
    pub async fn close_inquiry(&self, actor: &Actor, id: i64) -> Result<InquiryEnvelope> {
        let mut tx = self.store.write().await?;
        let q = tx.inquiry(id).await.map_err(not_found(id))?;
        may_close(actor, id, &facts(&q))?;
        tx.close_inquiry(id, &actor.name()).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        self.masked(id).await
    }

    /// The escalation sweep, as `actor` (an admin's name, or `system:escalation`).
    pub async fn escalate_inquiries(&self, actor: &str) -> Result<Escalated> {
        let now = quytac_store::now_ms();
        let escalated = self.escalate_overdue(now, actor).await?;
        Ok(Escalated {
            escalated,
            at: now,
            at_local: vn_string(now),
        })
    }

    /// Escalates every inquiry awaiting an answer past its deadline at `now` (and not
    /// escalated for that deadline yet) to its agency's parent, with a `response_overdue`
    /// finding. Returns the ids escalated.
    pub async fn escalate_overdue(&self, now: i64, actor: &str) -> Result<Vec<i64>> {
        const BATCH: i64 = 200;
        let mut done = Vec::new();
        // Each pass escalates what it found, so the next pass finds the rest; the bound only
        // guards against a row that can never be escalated.
        for _ in 0..10_000 {
            let batch = self.store.overdue_unescalated_inquiries(now, BATCH).await?;
            let mut progressed = false;
            for q in &batch {
                let agency = self.store.agency(&q.agency_id).await?;
                let parent = agency.as_ref().and_then(|a| a.parent_id.clone());
                let name = agency
                    .as_ref()
                    .map(|a| a.name.as_str())
                    .unwrap_or(&q.agency_id);
                let due = vn_string(q.reply_due_at.unwrap_or(q.due_at));
                let f = overdue_finding(self.engine.pack(), name, &due, parent.as_deref());
                let finding = NewInquiryFinding {
                    rule_id: f.rule_id,
                    category: f.category,
                    severity: f.severity,
                    evidence: f.evidence,
                    message_vi: f.message_vi,
                    message_en: f.message_en,
                };
                let mut tx = self.store.write().await?;
                // The store re-reads the row: an inquiry answered or escalated meanwhile is
                // left alone.
                if tx
                    .escalate_inquiry(q.id, parent.as_deref(), &finding, now, actor)
                    .await?
                    .is_some()
                {
                    let events = tx.commit().await?;
                    self.after_commit(&events).await;
                    done.push(q.id);
                    progressed = true;
                }
            }
            if (batch.len() as i64) < BATCH || !progressed {
                break;
            }
        }
        Ok(done)
    }
}

fn not_found(id: i64) -> impl FnOnce(quytac_store::StoreError) -> ServiceError {
    move |e| {
        if e.kind == quytac_store::ErrorKind::NotFound {
            ServiceError::not_found(format!("inquiry {id} not found"))
        } else {
            e.into()
        }
    }
}

fn bad_assignee(name: &str) -> ServiceError {
    ServiceError::new(
        crate::ErrorKind::UnknownAssignee,
        format!(
            "`assignee` must name an officer of the agency by username or as `agency_officer:<token id>`, not `{name}`"
        ),
    )
}
