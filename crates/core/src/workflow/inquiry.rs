//! Citizens' inquiries to agencies (AG-7): their status, who may take which step in which
//! status, and the `response_overdue` finding raised when an answer is late.
//!
//! `open` (awaiting the first answer) → `answered` → (`reopened` → `answered`)…, and `closed`
//! (by the citizen who asked, or an admin) from any of them. Officers act only for the agency
//! their token is bound to, and for the parent agency once an inquiry was escalated to it.

use super::agency::may_act_for;
use super::{status_words, Actor, Refusal, Role};
use crate::finding::{Category, Severity};
use crate::item::Role as AuthorRole;
use crate::rules::RulePack;

status_words! {
    /// Where an inquiry stands.
    InquiryStatus {
        /// Awaiting the first answer.
        Open => "open",
        Answered => "answered",
        /// The citizen was not satisfied: awaiting an answer again.
        Reopened => "reopened",
        Closed => "closed",
    }
}

impl InquiryStatus {
    /// The statuses of an inquiry awaiting an answer.
    pub const AWAITING: [InquiryStatus; 2] = [InquiryStatus::Open, InquiryStatus::Reopened];

    /// Awaiting an answer (`open` or `reopened`).
    pub fn is_awaiting(self) -> bool {
        Self::AWAITING.contains(&self)
    }
}

status_words! {
    /// What a citizen sends an agency.
    #[derive(Default)]
    InquiryKind {
        #[default]
        Question => "question",
        ConflictingInformation => "conflicting_information",
        Doubt => "doubt",
    }
}

status_words! {
    /// A reply on an inquiry: an officer's answer, or the citizen's reason to reopen it.
    ReplyKind {
        Answer => "answer",
        Reopen => "reopen",
    }
}

/// The rows of an inquiry that decide who may act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InquiryFacts<'a> {
    pub status: InquiryStatus,
    pub agency_id: &'a str,
    /// The parent agency it was escalated to, if any.
    pub escalated_to: Option<&'a str>,
    /// The actor name of the citizen who asked.
    pub citizen: &'a str,
    /// The actor name of the assigned officer.
    pub assigned_to: Option<&'a str>,
}

/// May `actor` handle (assign, answer) the inquiry? Admins; officers of its agency, or of the
/// parent agency once it was escalated there.
pub fn may_handle(actor: &Actor, q: &InquiryFacts<'_>) -> Result<(), Refusal> {
    let own = may_act_for(actor, q.agency_id);
    match (&own, q.escalated_to) {
        (Err(_), Some(parent)) if may_act_for(actor, parent).is_ok() => Ok(()),
        _ => own,
    }
}

/// Assigning: an officer who may handle it, on an inquiry that is not closed.
pub fn may_assign(actor: &Actor, id: i64, q: &InquiryFacts<'_>) -> Result<(), Refusal> {
    may_handle(actor, q)?;
    if q.status == InquiryStatus::Closed {
        return Err(Refusal::Conflict(format!(
            "inquiry {id} is closed: it cannot be assigned"
        )));
    }
    Ok(())
}

/// May `assignee` (an officer's actor, with the agency their token is bound to) be assigned?
/// Admins and officers who may handle it.
pub fn may_be_assigned(assignee: &Actor, q: &InquiryFacts<'_>) -> bool {
    match assignee.role {
        Role::Admin => true,
        Role::AgencyOfficer => may_handle(assignee, q).is_ok(),
        _ => false,
    }
}

/// Answering: an officer who may handle it, on an inquiry that is not closed. The answer
/// makes it `answered`.
pub fn may_answer(actor: &Actor, id: i64, q: &InquiryFacts<'_>) -> Result<InquiryStatus, Refusal> {
    may_handle(actor, q)?;
    if q.status == InquiryStatus::Closed {
        return Err(Refusal::Conflict(format!(
            "inquiry {id} is closed: reopen it before answering"
        )));
    }
    Ok(InquiryStatus::Answered)
}

/// The citizen who asked, or an admin.
fn asker_or_admin(actor: &Actor, q: &InquiryFacts<'_>) -> Result<(), Refusal> {
    if actor.role == Role::Admin || q.citizen == actor.name() {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            "only the citizen who asked, or an admin, may do this".into(),
        ))
    }
}

/// Reopening: the citizen who asked (or an admin), on an inquiry not awaiting an answer.
pub fn may_reopen(actor: &Actor, id: i64, q: &InquiryFacts<'_>) -> Result<InquiryStatus, Refusal> {
    asker_or_admin(actor, q)?;
    if q.status.is_awaiting() {
        return Err(Refusal::Conflict(format!(
            "inquiry {id} is {}: it already awaits an answer",
            q.status
        )));
    }
    Ok(InquiryStatus::Reopened)
}

/// Closing: the citizen who asked (or an admin), on an inquiry not closed yet.
pub fn may_close(actor: &Actor, id: i64, q: &InquiryFacts<'_>) -> Result<InquiryStatus, Refusal> {
    asker_or_admin(actor, q)?;
    if q.status == InquiryStatus::Closed {
        return Err(Refusal::Conflict(format!("inquiry {id} is already closed")));
    }
    Ok(InquiryStatus::Closed)
}

/// Why someone may read the text as written (recorded in the audit event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnmaskAs {
    Admin,
    AssignedOfficer,
}

impl UnmaskAs {
    pub fn as_str(self) -> &'static str {
        match self {
            UnmaskAs::Admin => "admin",
            UnmaskAs::AssignedOfficer => "assigned_officer",
        }
    }
}

/// Who may read the text as written: the assigned officer and admins (AG-5).
pub fn may_unmask(actor: &Actor, q: &InquiryFacts<'_>) -> Result<UnmaskAs, Refusal> {
    if actor.role == Role::Admin {
        Ok(UnmaskAs::Admin)
    } else if actor.role == Role::AgencyOfficer && q.assigned_to == Some(actor.name().as_str()) {
        Ok(UnmaskAs::AssignedOfficer)
    } else {
        Err(Refusal::Forbidden(
            "only the assigned officer and admins may read the unmasked text".into(),
        ))
    }
}

/// Is the inquiry due for escalation at `now`: awaiting an answer past its deadline, and not
/// escalated for that deadline yet?
pub fn due_for_escalation(
    status: InquiryStatus,
    reply_due_at: Option<i64>,
    escalated_at: Option<i64>,
    now: i64,
) -> bool {
    match reply_due_at {
        Some(due) => status.is_awaiting() && due < now && escalated_at.is_none_or(|e| e < due),
        None => false,
    }
}

/// The `response_overdue` finding of an inquiry (AG-7 in the default pack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueFinding {
    pub rule_id: String,
    pub category: Category,
    pub severity: Severity,
    pub evidence: String,
    pub message_vi: String,
    pub message_en: String,
}

/// Builds the `response_overdue` finding from the pack's rule for agencies: `agency_name`'s
/// answer was due at `due_local` (Vietnam time) and the inquiry goes to `parent`, if any.
/// Without such a rule in the pack the finding falls back to AG-7's wording.
pub fn overdue_finding(
    pack: &RulePack,
    agency_name: &str,
    due_local: &str,
    parent: Option<&str>,
) -> OverdueFinding {
    let category = Category::ResponseOverdue;
    let rule = pack.rule_for(AuthorRole::Agency, category);
    let evidence = match parent {
        Some(p) => format!(
            "{agency_name}: hạn trả lời {due_local} đã qua mà chưa có phản hồi; chuyển lên cơ quan cấp trên `{p}` \
             / the answer was due {due_local}; escalated to the parent agency `{p}`"
        ),
        None => format!(
            "{agency_name}: hạn trả lời {due_local} đã qua mà chưa có phản hồi; không có cơ quan cấp trên \
             / the answer was due {due_local}; the agency has no parent agency"
        ),
    };
    match rule {
        Some(r) => OverdueFinding {
            rule_id: r.id.clone(),
            category,
            severity: r.severity_for(category),
            evidence,
            message_vi: r.message_vi.clone(),
            message_en: r.message_en.clone(),
        },
        None => OverdueFinding {
            rule_id: "AG-7".into(),
            category,
            severity: Severity::Violation,
            evidence,
            message_vi: "Cơ quan phải phản hồi nhanh chóng câu hỏi của người dân.".into(),
            message_en: "The agency must answer citizens promptly.".into(),
        },
    }
}

/// The earliest time a client may date an inquiry or its answer: 2018-01-01 00:00 in Vietnam
/// (UTC+7), the year of the earliest code of conduct the service enforces. A time before it —
/// 1970, a negative number, milliseconds sent as seconds — is a mistake, not history.
pub const EARLIEST_CLIENT_TIME_MS: i64 = 1_514_739_600_000;
/// How far ahead of the server's clock a client may date a step (clock skew).
pub const CLIENT_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// Whether a time a client set for `field` (`received_at`, `answered_at`; Unix ms) is sane at
/// `now`: not before [`EARLIEST_CLIENT_TIME_MS`], not after `now` plus
/// [`CLIENT_CLOCK_SKEW_MS`].
pub fn check_client_time(field: &str, at: i64, now: i64) -> Result<(), Refusal> {
    if at < EARLIEST_CLIENT_TIME_MS {
        return Err(Refusal::InvalidField(format!(
            "`{field}` is before 2018-01-01 (Unix milliseconds expected)"
        )));
    }
    if at > now.saturating_add(CLIENT_CLOCK_SKEW_MS) {
        return Err(Refusal::InvalidField(format!("`{field}` is in the future")));
    }
    Ok(())
}

/// The citizen recorded for a question asked, or a comment left, on the public web pages,
/// where nobody signs in. No token's actor is named so (a token's is `citizen:<number>`), so
/// no caller is ever "the citizen who asked" such an inquiry: it is followed only through its
/// private link (which shows it masked, like every public view), and only an admin may reopen
/// or close it.
pub const WEB_CITIZEN: &str = "citizen:web";

/// Whether `citizen` (an inquiry's recorded asker) asked on the public web pages.
pub fn asked_on_the_web(citizen: &str) -> bool {
    citizen == WEB_CITIZEN
}

#[cfg(test)]
mod web_citizen_tests {
    use super::*;

    #[test]
    fn no_token_is_the_web_citizen() {
        let q = InquiryFacts {
            status: InquiryStatus::Answered,
            agency_id: "a",
            escalated_to: None,
            citizen: WEB_CITIZEN,
            assigned_to: None,
        };
        assert!(asked_on_the_web(q.citizen));
        for id in [0, 1, 42, i64::MAX, -1] {
            let citizen = Actor::new(Role::Citizen, id);
            assert_ne!(citizen.name(), WEB_CITIZEN);
            assert!(may_reopen(&citizen, 1, &q).is_err());
            assert!(may_close(&citizen, 1, &q).is_err());
        }
        assert!(may_close(&Actor::new(Role::Admin, 1), 1, &q).is_ok());
        assert!(!asked_on_the_web("citizen:7"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InquiryStatus::*;

    fn actor(role: Role, token: i64, agency: Option<&str>) -> Actor {
        Actor {
            role,
            token_id: token,
            agency: agency.map(str::to_string),
            user: None,
        }
    }

    fn facts(status: InquiryStatus, escalated_to: Option<&'static str>) -> InquiryFacts<'static> {
        InquiryFacts {
            status,
            agency_id: "so-tt-hn",
            escalated_to,
            citizen: "citizen:5",
            assigned_to: Some("agency_officer:7"),
        }
    }

    #[test]
    fn status_words_round_trip() {
        for s in InquiryStatus::ALL {
            assert_eq!(s.as_str().parse::<InquiryStatus>(), Ok(*s));
        }
        assert!("pending".parse::<InquiryStatus>().is_err());
        assert_eq!(InquiryKind::default(), InquiryKind::Question);
        assert_eq!(
            "conflicting_information".parse::<InquiryKind>(),
            Ok(InquiryKind::ConflictingInformation)
        );
        assert!(Open.is_awaiting() && Reopened.is_awaiting());
        assert!(!Answered.is_awaiting() && !Closed.is_awaiting());
    }

    #[test]
    fn officers_act_only_for_their_agency_and_the_parent_after_escalation() {
        let own = actor(Role::AgencyOfficer, 7, Some("so-tt-hn"));
        let parent = actor(Role::AgencyOfficer, 8, Some("ubnd-hn"));
        let other = actor(Role::AgencyOfficer, 9, Some("ubnd-q1"));
        let unbound = actor(Role::AgencyOfficer, 10, None);
        let admin = actor(Role::Admin, 1, None);
        for s in [Open, Answered, Reopened] {
            let q = facts(s, None);
            assert!(may_assign(&own, 1, &q).is_ok());
            assert!(may_assign(&admin, 1, &q).is_ok());
            assert_eq!(may_answer(&own, 1, &q), Ok(Answered));
            assert!(matches!(
                may_answer(&parent, 1, &q),
                Err(Refusal::Forbidden(_))
            ));
            assert!(matches!(
                may_answer(&other, 1, &q),
                Err(Refusal::Forbidden(_))
            ));
            assert!(matches!(
                may_answer(&unbound, 1, &q),
                Err(Refusal::Forbidden(_))
            ));
            let escalated = facts(s, Some("ubnd-hn"));
            assert_eq!(may_answer(&parent, 1, &escalated), Ok(Answered));
            assert!(may_assign(&parent, 1, &escalated).is_ok());
            assert!(may_answer(&own, 1, &escalated).is_ok());
            assert!(may_answer(&other, 1, &escalated).is_err());
        }
        for role in [Role::Moderator, Role::Reviewer, Role::Citizen] {
            let a = actor(role, 3, Some("so-tt-hn"));
            assert!(matches!(
                may_assign(&a, 1, &facts(Open, None)),
                Err(Refusal::Forbidden(_))
            ));
            assert!(matches!(
                may_answer(&a, 1, &facts(Open, None)),
                Err(Refusal::Forbidden(_))
            ));
        }
    }

    #[test]
    fn a_closed_inquiry_takes_no_assignment_nor_answer() {
        let own = actor(Role::AgencyOfficer, 7, Some("so-tt-hn"));
        let q = facts(Closed, None);
        assert!(matches!(may_assign(&own, 1, &q), Err(Refusal::Conflict(_))));
        assert!(matches!(may_answer(&own, 1, &q), Err(Refusal::Conflict(_))));
        // The role is checked first: a stranger is forbidden, whatever the status.
        let other = actor(Role::AgencyOfficer, 9, Some("ubnd-q1"));
        assert!(matches!(
            may_answer(&other, 1, &q),
            Err(Refusal::Forbidden(_))
        ));
    }

    #[test]
    fn only_the_asker_or_an_admin_reopens_and_closes() {
        let asker = actor(Role::Citizen, 5, None);
        let admin = actor(Role::Admin, 1, None);
        let stranger = actor(Role::Citizen, 6, None);
        let officer = actor(Role::AgencyOfficer, 7, Some("so-tt-hn"));
        for who in [&asker, &admin] {
            assert_eq!(may_reopen(who, 1, &facts(Answered, None)), Ok(Reopened));
            assert_eq!(may_reopen(who, 1, &facts(Closed, None)), Ok(Reopened));
            assert!(matches!(
                may_reopen(who, 1, &facts(Open, None)),
                Err(Refusal::Conflict(_))
            ));
            assert!(matches!(
                may_reopen(who, 1, &facts(Reopened, None)),
                Err(Refusal::Conflict(_))
            ));
            for s in [Open, Answered, Reopened] {
                assert_eq!(may_close(who, 1, &facts(s, None)), Ok(Closed));
            }
            assert!(matches!(
                may_close(who, 1, &facts(Closed, None)),
                Err(Refusal::Conflict(_))
            ));
        }
        for who in [&stranger, &officer] {
            for s in InquiryStatus::ALL {
                assert!(matches!(
                    may_reopen(who, 1, &facts(*s, None)),
                    Err(Refusal::Forbidden(_))
                ));
                assert!(matches!(
                    may_close(who, 1, &facts(*s, None)),
                    Err(Refusal::Forbidden(_))
                ));
            }
        }
    }

    #[test]
    fn only_the_assigned_officer_and_admins_unmask() {
        let q = facts(Open, None);
        assert_eq!(
            may_unmask(&actor(Role::Admin, 1, None), &q),
            Ok(UnmaskAs::Admin)
        );
        assert_eq!(
            may_unmask(&actor(Role::AgencyOfficer, 7, Some("so-tt-hn")), &q),
            Ok(UnmaskAs::AssignedOfficer)
        );
        for a in [
            actor(Role::AgencyOfficer, 8, Some("so-tt-hn")),
            actor(Role::Moderator, 7, None),
            actor(Role::Citizen, 5, None),
        ] {
            assert!(matches!(may_unmask(&a, &q), Err(Refusal::Forbidden(_))));
        }
        let unassigned = InquiryFacts {
            assigned_to: None,
            ..q
        };
        assert!(may_unmask(&actor(Role::AgencyOfficer, 7, None), &unassigned).is_err());
    }

    #[test]
    fn escalation_is_due_once_per_deadline_while_awaiting() {
        assert!(due_for_escalation(Open, Some(10), None, 11));
        assert!(due_for_escalation(Reopened, Some(10), Some(5), 11));
        assert!(!due_for_escalation(Open, Some(10), None, 10));
        assert!(!due_for_escalation(Open, Some(10), Some(10), 11));
        assert!(!due_for_escalation(Open, Some(10), Some(12), 20));
        assert!(!due_for_escalation(Open, None, None, 11));
        for s in [Answered, Closed] {
            assert!(!due_for_escalation(s, Some(10), None, 11));
        }
    }

    #[test]
    fn the_overdue_finding_follows_the_pack() {
        let pack = RulePack::builtin(crate::rules::DEFAULT_PACK).unwrap();
        let rule = pack
            .rule_for(AuthorRole::Agency, Category::ResponseOverdue)
            .expect("the default pack has a rule for late answers");
        let f = overdue_finding(&pack, "Sở TT&TT", "2026-02-13T17:00+07:00", Some("ubnd-hn"));
        assert_eq!(f.rule_id, rule.id);
        assert_eq!(f.category, Category::ResponseOverdue);
        assert_eq!(f.severity, rule.severity_for(Category::ResponseOverdue));
        assert_eq!(f.message_vi, rule.message_vi);
        assert_eq!(f.message_en, rule.message_en);
        assert!(f.evidence.contains("chuyển lên cơ quan cấp trên `ubnd-hn`"));
        assert!(f
            .evidence
            .contains("escalated to the parent agency `ubnd-hn`"));
        let alone = overdue_finding(&pack, "UBND", "2026-02-13T17:00+07:00", None);
        assert!(alone.evidence.contains("no parent agency"));
    }

    #[test]
    fn a_client_time_is_after_2018_and_not_in_the_future() {
        let now = 1_750_000_000_000;
        assert_eq!(
            crate::civil::civil_from_days((EARLIEST_CLIENT_TIME_MS + 7 * 3600 * 1000) / 86_400_000),
            (2018, 1, 1)
        );
        for ok in [EARLIEST_CLIENT_TIME_MS, now, now + CLIENT_CLOCK_SKEW_MS] {
            assert!(check_client_time("received_at", ok, now).is_ok(), "{ok}");
        }
        for bad in [
            i64::MIN,
            -1,
            0,
            86_400_000,
            EARLIEST_CLIENT_TIME_MS - 1,
            1_750_000_000, // seconds, not milliseconds
            now + CLIENT_CLOCK_SKEW_MS + 1,
            i64::MAX,
        ] {
            assert!(
                matches!(
                    check_client_time("received_at", bad, now),
                    Err(Refusal::InvalidField(_))
                ),
                "{bad}"
            );
        }
    }
}
