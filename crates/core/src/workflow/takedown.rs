//! ND-2 (Decree 147/2024): content an authority asks to remove comes down within 24 hours of
//! the request. Who may ask: the officers of an agency registered as a competent authority,
//! in their own agency's name (an admin enters a request in the name of such an agency).

use super::{status_words, Action, Actor, Refusal, Role};

/// The deadline of a takedown request, from when it was received.
pub const TAKEDOWN_DEADLINE_MS: i64 = 24 * 3600 * 1000;

status_words! {
    /// Where a takedown request stands: `done` once a decision made the content invisible.
    TakedownStatus {
        Open => "open",
        Done => "done",
    }
}

/// When a request received at `received_at` (Unix ms) must be done.
pub fn deadline(received_at: i64) -> i64 {
    received_at.saturating_add(TAKEDOWN_DEADLINE_MS)
}

/// Whether a request is still open after its deadline.
pub fn is_overdue(status: TakedownStatus, deadline: i64, now: i64) -> bool {
    status == TakedownStatus::Open && deadline < now
}

/// What marking a takedown done takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The content is already down (the case's latest decision hid or removed it): only the
    /// request is closed.
    AlreadyDown,
    /// The content is still visible: a decision to remove it is recorded with the request's
    /// closing, in the same transaction.
    RemoveNow,
}

/// May `actor` mark a takedown request done, and what does it take? A moderator or admin
/// (the staff who act on content; a reviewer decides appeals), on an open request only. A
/// request is done when its content is no longer visible: when the case's latest decision
/// (`latest_action`) already took it down nothing more is decided; otherwise the content is
/// removed now ([`Action::Remove`]).
pub fn may_complete(
    actor: &Actor,
    status: TakedownStatus,
    latest_action: Option<Action>,
) -> Result<Completion, Refusal> {
    if !matches!(actor.role, Role::Admin | Role::Moderator) {
        return Err(Refusal::Forbidden(format!(
            "the role `{}` does not carry out takedowns; a moderator or admin does",
            actor.role
        )));
    }
    if status != TakedownStatus::Open {
        return Err(Refusal::Conflict(
            "the takedown request is already done".to_string(),
        ));
    }
    Ok(match latest_action {
        Some(a) if a.closes_takedown() => Completion::AlreadyDown,
        _ => Completion::RemoveNow,
    })
}

/// The agency in whose name `actor` files a takedown request. An officer files in the name of
/// the agency their token is bound to, and a request naming another agency is refused; an
/// officer bound to no agency is refused. An admin files in the name of the agency the request
/// names (a request that reached the platform on paper). Whether that agency is a competent
/// authority is [`may_request_takedowns`], asked on the agency as the write reads it.
pub fn filing_agency<'a>(actor: &'a Actor, named: Option<&'a str>) -> Result<&'a str, Refusal> {
    match actor.role {
        Role::AgencyOfficer => {
            let own = actor.agency.as_deref().ok_or_else(|| {
                Refusal::Forbidden(
                    "this agency_officer token is bound to no agency; a takedown is filed in an agency's name"
                        .into(),
                )
            })?;
            match named {
                Some(other) if other != own => Err(Refusal::Forbidden(format!(
                    "an officer files takedowns in the name of their own agency `{own}`, not `{other}`"
                ))),
                _ => Ok(own),
            }
        }
        Role::Admin => named.ok_or_else(|| {
            Refusal::InvalidField(
                "an admin names the requesting agency (`agency_id`) of the request".into(),
            )
        }),
        role => Err(Refusal::Forbidden(format!(
            "the role `{role}` does not file takedown requests"
        ))),
    }
}

/// Whether agency `agency_id` may request takedowns: only one registered as a competent
/// authority (an attribute only an admin sets, see `workflow::agency::may_register_authority`).
pub fn may_request_takedowns(agency_id: &str, competent_authority: bool) -> Result<(), Refusal> {
    if competent_authority {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!(
            "agency `{agency_id}` is not registered as a competent authority and cannot request takedowns"
        )))
    }
}

/// Which takedown requests someone sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visible<'a> {
    All,
    /// Those filed in this agency's name.
    OfAgency(&'a str),
    None,
}

/// Which takedowns `actor` sees: every one for platform staff, only their own agency's for
/// an officer; an officer bound to no agency sees none.
pub fn visible_to(actor: &Actor) -> Result<Visible<'_>, Refusal> {
    match actor.role {
        r if r.is_staff() => Ok(Visible::All),
        Role::AgencyOfficer => Ok(actor
            .agency
            .as_deref()
            .map_or(Visible::None, Visible::OfAgency)),
        role => Err(Refusal::Forbidden(format!(
            "the role `{role}` does not see takedown requests"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer(agency: Option<&str>) -> Actor {
        Actor {
            agency: agency.map(str::to_string),
            ..Actor::new(Role::AgencyOfficer, 7)
        }
    }

    #[test]
    fn who_files_in_whose_name() {
        let kind = |r: Result<&str, Refusal>| match r {
            Ok(a) => a.to_string(),
            Err(Refusal::Forbidden(_)) => "forbidden".into(),
            Err(Refusal::InvalidField(_)) => "invalid".into(),
            Err(_) => "other".into(),
        };
        let own = officer(Some("bo-ca"));
        let unbound = officer(None);
        let admin = Actor::new(Role::Admin, 1);
        // (actor, agency named in the body) → in whose name, or why not
        let table: &[(&Actor, Option<&str>, &str)] = &[
            (&own, None, "bo-ca"),
            (&own, Some("bo-ca"), "bo-ca"),
            (&own, Some("so-tt-hn"), "forbidden"),
            (&unbound, None, "forbidden"),
            (&unbound, Some("bo-ca"), "forbidden"),
            (&admin, Some("bo-ca"), "bo-ca"),
            (&admin, None, "invalid"),
        ];
        for (actor, named, want) in table {
            assert_eq!(
                kind(filing_agency(actor, *named)),
                *want,
                "{actor:?} {named:?}"
            );
        }
        for role in [Role::Moderator, Role::Reviewer, Role::Citizen] {
            assert_eq!(
                kind(filing_agency(&Actor::new(role, 2), Some("bo-ca"))),
                "forbidden"
            );
        }
    }

    #[test]
    fn only_a_competent_authority_requests_takedowns() {
        assert!(may_request_takedowns("bo-ca", true).is_ok());
        assert!(matches!(
            may_request_takedowns("ubnd-q1", false),
            Err(Refusal::Forbidden(_))
        ));
    }

    #[test]
    fn officers_see_their_agency_s_takedowns_staff_all() {
        assert_eq!(
            visible_to(&officer(Some("bo-ca"))),
            Ok(Visible::OfAgency("bo-ca"))
        );
        assert_eq!(visible_to(&officer(None)), Ok(Visible::None));
        for role in [Role::Admin, Role::Moderator, Role::Reviewer] {
            assert_eq!(visible_to(&Actor::new(role, 1)), Ok(Visible::All));
        }
        assert!(visible_to(&Actor::new(Role::Citizen, 1)).is_err());
    }

    #[test]
    fn a_moderator_completes_an_open_request_by_taking_the_content_down() {
        let m = Actor::new(Role::Moderator, 3);
        assert_eq!(
            may_complete(&m, TakedownStatus::Open, None),
            Ok(Completion::RemoveNow)
        );
        assert_eq!(
            may_complete(&m, TakedownStatus::Open, Some(Action::Label)),
            Ok(Completion::RemoveNow)
        );
        assert_eq!(
            may_complete(&m, TakedownStatus::Open, Some(Action::Hide)),
            Ok(Completion::AlreadyDown)
        );
        assert!(matches!(
            may_complete(&m, TakedownStatus::Done, None),
            Err(Refusal::Conflict(_))
        ));
        assert!(may_complete(&Actor::new(Role::Admin, 1), TakedownStatus::Open, None).is_ok());
        for role in [Role::Reviewer, Role::AgencyOfficer, Role::Citizen] {
            assert!(matches!(
                may_complete(&Actor::new(role, 1), TakedownStatus::Open, None),
                Err(Refusal::Forbidden(_))
            ));
        }
    }

    #[test]
    fn a_request_is_due_24_hours_after_it_was_received() {
        assert_eq!(deadline(1_000), 1_000 + 86_400_000);
        assert_eq!(deadline(i64::MAX), i64::MAX);
    }

    #[test]
    fn only_an_open_request_past_its_deadline_is_overdue() {
        let d = deadline(0);
        assert!(!is_overdue(TakedownStatus::Open, d, d));
        assert!(is_overdue(TakedownStatus::Open, d, d + 1));
        assert!(!is_overdue(TakedownStatus::Done, d, d + 1));
    }
}
