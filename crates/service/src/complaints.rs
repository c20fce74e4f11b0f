//! Complaints addressed to page owners (Decree 147, issue 14): a user's report of a post may
//! be addressed to the owner of the page the post appeared on — an agency's page, or an
//! account — who handles it within 48 hours by an answer with a reason. The rules (whom a
//! complaint may be addressed to, who answers, when one is handled) are
//! `quytac_core::workflow::complaint`'s; these are the use cases: the check of an addressee
//! when a report is filed (`Service::report`), the page's list with each complaint's
//! deadline and clock, and the owner's answer.

use crate::decree147::{complaint_view, ComplaintView};
use crate::identity::normalize_handle;
use crate::{Actor, Result, Role, Service, ServiceError};
use quytac_core::item::{EngagementKind, Item};
use quytac_core::workflow::complaint::{
    self, Addressee, AddresseeKind, ComplaintAnswer, PostPlace,
};
use quytac_core::workflow::decree147::ComplaintClock;
use quytac_core::workflow::text::{validate, TextBounds};
use quytac_store::model::Post;
use quytac_store::WriteTx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most complaints one page's list holds.
pub const MAX_LISTED: i64 = 500;
/// A page owner's reason: prose up to this length.
const MAX_REASON: usize = 5000;

/// A page owner's answer to a complaint addressed to them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerComplaint {
    /// `upheld`: the complaint was well-founded and the owner acted; `rejected`: nothing to
    /// act on.
    pub answer: ComplaintAnswer,
    /// What was done, or why nothing was: told to the reporter.
    pub reason: String,
}

/// A complaint addressed to a page, with the post it is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressedComplaint {
    #[serde(flatten)]
    pub complaint: ComplaintView,
    /// The reported post's own id.
    pub post: String,
    pub post_text: String,
}

/// The complaints addressed to one page: those not answered first, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageComplaints {
    pub addressee: Addressee,
    pub complaints: Vec<AddressedComplaint>,
    /// Not answered, and the 48 hours are still running.
    pub running: usize,
    /// Not answered, and the 48 hours are over.
    pub overdue: usize,
    /// The page has more complaints than one list holds ([`MAX_LISTED`]): the oldest
    /// answered ones are left out.
    pub truncated: bool,
}

impl Service {
    /// The account the caller's token speaks for (a citizen's binding), as a handle.
    pub(crate) async fn account_spoken_for(&self, actor: &Actor) -> Result<Option<String>> {
        if actor.role != Role::Citizen {
            return Ok(None);
        }
        let bound = self.store.account_of_token(actor.token_id).await?;
        Ok(bound.and_then(|a| normalize_handle(&a).ok()))
    }

    /// Checks a complaint's addressee against the reported post, inside the report's
    /// transaction: the page exists and the post appeared on it
    /// (`workflow::complaint::may_address`). Returns the addressee as stored.
    pub(crate) async fn check_addressee(
        &self,
        tx: &mut WriteTx<'_>,
        post: &Post,
        to: Addressee,
    ) -> Result<Addressee> {
        let unknown =
            |what: &str| ServiceError::invalid_field(format!("`addressee`: no {what} `{}`", to.id));
        let (to, page) = match to.kind {
            AddresseeKind::Agency => {
                let agency = tx
                    .agency(to.id.trim())
                    .await?
                    .ok_or_else(|| unknown("agency"))?;
                let page = agency.page_handle.and_then(|h| normalize_handle(&h).ok());
                (Addressee::agency(&agency.id), page)
            }
            AddresseeKind::Account => {
                let handle = normalize_handle(&to.id).map_err(|_| unknown("account"))?;
                let account = self
                    .store
                    .account(&handle)
                    .await?
                    .ok_or_else(|| unknown("account"))?;
                (Addressee::account(&account.handle), Some(account.handle))
            }
        };
        let author = post
            .author_id
            .as_deref()
            .and_then(|a| normalize_handle(a).ok());
        // A comment appeared on the page of the post it comments on.
        let item_json = tx.post_item_json(post.id).await?;
        let commented = match serde_json::from_str::<Item>(&item_json) {
            Ok(Item::Post(p)) => p
                .engages
                .filter(|e| e.kind == EngagementKind::Comment)
                .map(|e| e.target_id),
            _ => None,
        };
        let commented_author = match commented {
            Some(target) => match tx.post_by_external_id(&target).await {
                Ok(p) => p.author_id.and_then(|a| normalize_handle(&a).ok()),
                Err(e) if e.kind == quytac_store::ErrorKind::NotFound => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let place = PostPlace {
            author: author.as_deref(),
            commented_author: commented_author.as_deref(),
        };
        complaint::may_address(&place, &to, page.as_deref())?;
        Ok(to)
    }

    /// The complaints addressed to `page`, for its owner or staff; `None`: the caller's own
    /// page (an officer's agency, a citizen's account).
    pub async fn page_complaints(
        &self,
        actor: &Actor,
        page: Option<Addressee>,
    ) -> Result<PageComplaints> {
        let account = self.account_spoken_for(actor).await?;
        let page = match page {
            Some(p) => p,
            None => match (actor.role, &actor.agency, &account) {
                (Role::AgencyOfficer, Some(agency), _) => Addressee::agency(agency),
                (Role::Citizen, _, Some(handle)) => Addressee::account(handle),
                _ => {
                    return Err(ServiceError::invalid_field(
                        "name the page: `agency` (an agency's id) or `account` (a handle)",
                    ))
                }
            },
        };
        let page = match page.kind {
            AddresseeKind::Agency => page,
            AddresseeKind::Account => Addressee::account(
                &normalize_handle(&page.id)
                    .map_err(|_| ServiceError::invalid_field("`account` is not a handle"))?,
            ),
        };
        if !complaint::may_see(actor, account.as_deref(), &page) {
            return Err(ServiceError::new(
                crate::ErrorKind::Forbidden,
                format!(
                    "only the owner of the {} `{}` and staff see the complaints addressed to it",
                    page.kind, page.id
                ),
            ));
        }
        let listed = self
            .store
            .complaints_addressed_to(&page, MAX_LISTED)
            .await?;
        let now = quytac_store::now_ms();
        let complaints: Vec<AddressedComplaint> = listed
            .rows
            .into_iter()
            .map(|r| AddressedComplaint {
                complaint: complaint_view(r.report, now),
                post: r.post_external_id,
                post_text: r.post_text,
            })
            .collect();
        let count =
            |c: ComplaintClock| complaints.iter().filter(|a| a.complaint.clock == c).count();
        Ok(PageComplaints {
            running: count(ComplaintClock::Running),
            overdue: count(ComplaintClock::Overdue),
            addressee: page,
            complaints,
            truncated: listed.truncated,
        })
    }

    /// The page owner answers a complaint addressed to them, once
    /// (`workflow::complaint::may_answer`, on the row read in the write transaction).
    pub async fn answer_complaint(
        &self,
        actor: &Actor,
        id: i64,
        cmd: AnswerComplaint,
    ) -> Result<ComplaintView> {
        let reason = validate("reason", &cmd.reason, TextBounds::prose(MAX_REASON, true))?;
        let not_found = || ServiceError::not_found(format!("complaint {id} not found"));
        let mut tx = self.store.write().await?;
        let report = tx.report(id).await?.ok_or_else(not_found)?;
        let account = if actor.role == Role::Citizen {
            tx.token_account(actor.token_id)
                .await?
                .and_then(|a| normalize_handle(&a).ok())
        } else {
            None
        };
        let owner = report
            .addressee
            .as_ref()
            .is_some_and(|to| complaint::acts_for(actor, account.as_deref(), to));
        // Someone else's complaint looks missing, as `report_for` answers it.
        if !owner && !actor.role.is_staff() && report.reporter != actor.name() {
            return Err(not_found());
        }
        complaint::may_answer(
            actor,
            account.as_deref(),
            report.addressee.as_ref(),
            report.answered_at.is_some(),
        )?;
        let answered = tx
            .answer_complaint(id, cmd.answer, &reason, &actor.name())
            .await?
            .ok_or_else(|| {
                ServiceError::new(
                    crate::ErrorKind::Conflict,
                    "this complaint was answered already",
                )
            })?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(complaint_view(answered, quytac_store::now_ms()))
    }
}
