//! Complaints addressed to page owners (Decree 147/2024/NĐ-CP).
//!
//! A user's complaint about a post goes to the provider, who handles it by a decision on the
//! post within 48 hours ([`super::decree147::complaint_clock`]). A complaint may instead be
//! addressed to the owner of the page the post appeared on — an agency's page, or an account
//! such as an official's — who must handle it within the same 48 hours, by an answer with a
//! reason. This module holds those rules once:
//!
//! - whom a complaint may be addressed to ([`may_address`]): the page the post appeared on,
//!   i.e. the page that wrote it, or the page whose post it comments on;
//! - who acts for the page ([`acts_for`]): the agency's officers, or the owner of the account
//!   (the citizen whose token speaks for it); platform staff see every complaint
//!   ([`may_see`]) but answer none ([`may_answer`]): the duty is the owner's;
//! - when a complaint counts as handled ([`handled_at`]) and well-founded ([`well_founded`]):
//!   for the provider's complaints a decision on the post, for the page owner's the owner's
//!   answer, so each runs its own 48-hour clock and the figures keep the two apart.
//!
//! Everything here is pure: the service reads the rows inside its write transaction and asks.

use super::{status_words, Actor, Refusal, ReportOutcome, Role};
use serde::{Deserialize, Serialize};

status_words! {
    /// The kind of page a complaint is addressed to.
    AddresseeKind {
        /// An agency's page: its officers handle the complaint.
        Agency => "agency",
        /// An account (an official's or an organisation's page): its owner handles it.
        Account => "account",
    }
}

status_words! {
    /// A page owner's answer to a complaint addressed to them.
    ComplaintAnswer {
        /// The complaint was well-founded: the owner acted on the content.
        Upheld => "upheld",
        /// The owner found nothing to act on, and says why.
        Rejected => "rejected",
    }
}

/// The page a complaint is addressed to: an agency by its id, or an account by its handle.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Addressee {
    pub kind: AddresseeKind,
    /// The agency's id (`so-tt-hn`) or the account's handle (`mastodon:alice`).
    pub id: String,
}

impl Addressee {
    pub fn agency(id: &str) -> Self {
        Addressee {
            kind: AddresseeKind::Agency,
            id: id.to_string(),
        }
    }

    pub fn account(handle: &str) -> Self {
        Addressee {
            kind: AddresseeKind::Account,
            id: handle.to_string(),
        }
    }
}

/// Where a post appeared, as far as a complaint's addressee is concerned.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostPlace<'a> {
    /// The post's author (`author.id`).
    pub author: Option<&'a str>,
    /// When the post is a comment on a stored post: that post's author, whose page it is on.
    pub commented_author: Option<&'a str>,
}

/// May a complaint about a post at `place` be addressed to the page `page_handle` (the
/// agency's page handle, or the account's handle; `None` when the agency has no page)? Only
/// the owner of the page the post appeared on answers for it.
pub fn may_address(
    place: &PostPlace<'_>,
    addressee: &Addressee,
    page_handle: Option<&str>,
) -> Result<(), Refusal> {
    let Some(page) = page_handle else {
        return Err(Refusal::InvalidField(format!(
            "`addressee`: agency `{}` has no page on the network",
            addressee.id
        )));
    };
    if place.author == Some(page) || place.commented_author == Some(page) {
        Ok(())
    } else {
        Err(Refusal::InvalidField(format!(
            "`addressee`: the post did not appear on the page `{page}` (neither written there nor a comment on its post)"
        )))
    }
}

/// Whether `actor` acts for the page: an officer of the agency, or the owner of the account
/// (`actor_account` is the account the caller's token speaks for).
pub fn acts_for(actor: &Actor, actor_account: Option<&str>, addressee: &Addressee) -> bool {
    match (addressee.kind, actor.role) {
        (AddresseeKind::Agency, Role::AgencyOfficer) => {
            actor.agency.as_deref() == Some(addressee.id.as_str())
        }
        (AddresseeKind::Account, Role::Citizen) => actor_account == Some(addressee.id.as_str()),
        _ => false,
    }
}

/// Whether `actor` may read the complaints addressed to the page: its owner, or staff.
pub fn may_see(actor: &Actor, actor_account: Option<&str>, addressee: &Addressee) -> bool {
    actor.role.is_staff() || acts_for(actor, actor_account, addressee)
}

/// May `actor` answer a complaint addressed to `addressee` (`None`: addressed to the
/// provider), which was answered already when `answered`? Only the page's owner, once.
pub fn may_answer(
    actor: &Actor,
    actor_account: Option<&str>,
    addressee: Option<&Addressee>,
    answered: bool,
) -> Result<(), Refusal> {
    let Some(addressee) = addressee else {
        return Err(Refusal::Conflict(
            "this complaint is addressed to the provider: a decision on the post handles it".into(),
        ));
    };
    if !acts_for(actor, actor_account, addressee) {
        return Err(Refusal::Forbidden(format!(
            "only the owner of the {} `{}` answers the complaints addressed to it",
            addressee.kind, addressee.id
        )));
    }
    if answered {
        return Err(Refusal::Conflict(
            "this complaint was answered already".into(),
        ));
    }
    Ok(())
}

/// When a complaint was handled, for its 48-hour clock: a complaint to the provider by the
/// decision on the post (`decided_at`, when its reporter was told the outcome), one to a page
/// owner by the owner's answer (`answered_at`).
pub fn handled_at(
    addressed: bool,
    decided_at: Option<i64>,
    answered_at: Option<i64>,
) -> Option<i64> {
    if addressed {
        answered_at
    } else {
        decided_at
    }
}

/// Whether a handled complaint was well-founded: the provider's decision found a violation,
/// or the page owner upheld it.
pub fn well_founded(
    addressed: bool,
    outcome: Option<ReportOutcome>,
    answer: Option<ComplaintAnswer>,
) -> bool {
    if addressed {
        answer == Some(ComplaintAnswer::Upheld)
    } else {
        outcome.is_some_and(|o| o != ReportOutcome::NoAction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer(agency: &str) -> Actor {
        Actor {
            agency: Some(agency.into()),
            ..Actor::new(Role::AgencyOfficer, 7)
        }
    }

    #[test]
    fn a_complaint_goes_to_the_page_the_post_appeared_on() {
        let page = Addressee::agency("so");
        let written = PostPlace {
            author: Some("so.page"),
            commented_author: None,
        };
        let comment = PostPlace {
            author: Some("alice"),
            commented_author: Some("so.page"),
        };
        let elsewhere = PostPlace {
            author: Some("alice"),
            commented_author: Some("bob"),
        };
        assert!(may_address(&written, &page, Some("so.page")).is_ok());
        assert!(may_address(&comment, &page, Some("so.page")).is_ok());
        assert!(matches!(
            may_address(&elsewhere, &page, Some("so.page")),
            Err(Refusal::InvalidField(_))
        ));
        assert!(
            may_address(&written, &page, None).is_err(),
            "an agency without a page"
        );
        let account = Addressee::account("alice");
        assert!(may_address(&elsewhere, &account, Some("alice")).is_ok());
    }

    #[test]
    fn only_the_owner_answers_and_only_once() {
        let agency = Addressee::agency("so");
        let account = Addressee::account("alice");
        assert!(may_answer(&officer("so"), None, Some(&agency), false).is_ok());
        assert!(matches!(
            may_answer(&officer("so"), None, Some(&agency), true),
            Err(Refusal::Conflict(_))
        ));
        assert!(matches!(
            may_answer(&officer("other"), None, Some(&agency), false),
            Err(Refusal::Forbidden(_))
        ));
        let citizen = Actor::new(Role::Citizen, 3);
        assert!(may_answer(&citizen, Some("alice"), Some(&account), false).is_ok());
        assert!(may_answer(&citizen, Some("bob"), Some(&account), false).is_err());
        assert!(may_answer(&citizen, None, Some(&account), false).is_err());
        assert!(
            may_answer(&officer("alice"), None, Some(&account), false).is_err(),
            "an officer owns no account by an agency's id"
        );
        for role in [Role::Admin, Role::Moderator, Role::Reviewer] {
            let staff = Actor::new(role, 1);
            assert!(may_answer(&staff, None, Some(&agency), false).is_err());
            assert!(may_see(&staff, None, &agency));
        }
        assert!(matches!(
            may_answer(&officer("so"), None, None, false),
            Err(Refusal::Conflict(_))
        ));
        assert!(!may_see(&citizen, Some("bob"), &account));
        assert!(may_see(&citizen, Some("alice"), &account));
    }

    #[test]
    fn each_complaint_is_handled_by_its_own_addressee() {
        assert_eq!(handled_at(false, Some(5), Some(9)), Some(5));
        assert_eq!(handled_at(true, Some(5), Some(9)), Some(9));
        assert_eq!(handled_at(true, Some(5), None), None);
        assert!(well_founded(false, Some(ReportOutcome::Remove), None));
        assert!(!well_founded(false, Some(ReportOutcome::NoAction), None));
        assert!(well_founded(true, None, Some(ComplaintAnswer::Upheld)));
        assert!(!well_founded(
            true,
            Some(ReportOutcome::Remove),
            Some(ComplaintAnswer::Rejected)
        ));
        assert_eq!(
            "account".parse::<AddresseeKind>(),
            Ok(AddresseeKind::Account)
        );
    }
}
