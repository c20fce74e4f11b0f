//! Cases, decisions and appeals.
//!
//! A case opens when a post needs a person (the engine flagged it, someone reported it, or an
//! authority asked for its removal). Its life:
//!
//! ```text
//! open ──decide──► decided ──appeal──► appealed ──decide (reviewer/admin, not the appealed
//!                                                         decision's author)──► decided (final)
//! ```
//!
//! An appeal contests the latest decision, once: a decision taken on appeal is final.

use super::{status_words, Actor, Refusal, Role};
use crate::finding::Category;
use crate::item::Role as AuthorRole;
use crate::rules::Rule;

status_words! {
    /// Where a case stands.
    CaseStatus {
        Open => "open",
        Decided => "decided",
        Appealed => "appealed",
    }
}

status_words! {
    /// What opened a case.
    CaseSource {
        /// The engine's check found something that needs a person.
        Automated => "automated",
        Report => "report",
        Takedown => "takedown",
    }
}

status_words! {
    /// Where an appeal stands.
    AppealStatus {
        Pending => "pending",
        Decided => "decided",
    }
}

status_words! {
    /// What a decision does to the content or account. `none` records that no rule was broken.
    Action {
        None => "none",
        Label => "label",
        Hide => "hide",
        Remove => "remove",
        Restrict => "restrict",
        Suspend => "suspend",
    }
}

status_words! {
    /// What a reporter is told: the action taken, or that none was.
    ReportOutcome {
        NoAction => "no_action",
        Label => "label",
        Hide => "hide",
        Remove => "remove",
        Restrict => "restrict",
        Suspend => "suspend",
    }
}

impl Action {
    /// Vietnamese wording for the author and reporters.
    pub fn name_vi(self) -> &'static str {
        match self {
            Action::None => "không xử lý (không vi phạm)",
            Action::Label => "gắn nhãn cảnh báo",
            Action::Hide => "ẩn nội dung",
            Action::Remove => "gỡ bỏ nội dung",
            Action::Restrict => "hạn chế tài khoản",
            Action::Suspend => "tạm khóa tài khoản",
        }
    }

    /// Whether the decision counts against the author (ND-3): every action but `none`.
    pub fn is_violation(self) -> bool {
        self != Action::None
    }

    /// Whether the content is no longer visible afterwards, which satisfies an authority's
    /// takedown request (ND-2).
    pub fn closes_takedown(self) -> bool {
        matches!(self, Action::Hide | Action::Remove | Action::Suspend)
    }

    /// Whether it is a temporary lock of the account, counted by ND-3 toward a permanent one.
    pub fn is_temporary_lock(self) -> bool {
        self == Action::Suspend
    }

    /// What the reporters of the post are told.
    pub fn report_outcome(self) -> ReportOutcome {
        match self {
            Action::None => ReportOutcome::NoAction,
            Action::Label => ReportOutcome::Label,
            Action::Hide => ReportOutcome::Hide,
            Action::Remove => ReportOutcome::Remove,
            Action::Restrict => ReportOutcome::Restrict,
            Action::Suspend => ReportOutcome::Suspend,
        }
    }
}

/// Whether a decision is the first look at a case or the second look after an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionOn {
    FirstLook,
    Appeal,
}

/// May `actor` decide a case that stands at `status`? `appealed_decision_by` is the name of
/// the moderator whose decision the pending appeal contests. Called inside the write
/// transaction, on the rows as they are now, so a concurrent appeal cannot slip between the
/// check and the write.
pub fn may_decide(
    actor: &Actor,
    status: CaseStatus,
    appealed_decision_by: Option<&str>,
) -> Result<DecisionOn, Refusal> {
    if !actor.role.is_staff() {
        return Err(Refusal::Forbidden(
            "only platform staff decide cases".to_string(),
        ));
    }
    match status {
        CaseStatus::Open => Ok(DecisionOn::FirstLook),
        CaseStatus::Decided => Err(Refusal::Conflict(
            "the case is decided, not open".to_string(),
        )),
        CaseStatus::Appealed => {
            if !matches!(actor.role, Role::Admin | Role::Reviewer) {
                return Err(Refusal::Forbidden(
                    "an appeal is decided by a reviewer or an admin".to_string(),
                ));
            }
            if appealed_decision_by == Some(actor.name().as_str()) {
                return Err(Refusal::SameModerator);
            }
            Ok(DecisionOn::Appeal)
        }
    }
}

/// The decision an appeal would contest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestDecision<'a> {
    pub moderator: &'a str,
    pub on_appeal: bool,
    /// Whether an appeal of this decision was already filed.
    pub appealed: bool,
}

/// Whose post it is, and whom the appellant speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Authorship<'a> {
    /// The post's author (`author.id` of the ingested post), if it named one.
    pub post_author: Option<&'a str>,
    /// The author the appellant's token speaks for (a citizen's token bound to an author).
    pub appellant_speaks_for: Option<&'a str>,
}

/// May `actor` appeal a case at `status` whose latest decision is `latest`? Only the post's
/// author (a citizen whose token speaks for that author) or an admin on their behalf; only a
/// decided case, only a first decision (a decision on appeal is final), once per decision, and
/// never by the person who took the decision.
pub fn may_appeal(
    actor: &Actor,
    status: CaseStatus,
    latest: Option<LatestDecision<'_>>,
    authorship: Authorship<'_>,
) -> Result<(), Refusal> {
    match actor.role {
        Role::Admin => {}
        Role::Citizen => match (authorship.post_author, authorship.appellant_speaks_for) {
            (Some(author), Some(me)) if author == me => {}
            _ => {
                return Err(Refusal::Forbidden(
                    "only the post's author (or an admin on their behalf) appeals its decision"
                        .to_string(),
                ))
            }
        },
        role => {
            return Err(Refusal::Forbidden(format!(
                "the role `{role}` does not appeal; the post's author or an admin does"
            )))
        }
    }
    let Some(latest) = latest.filter(|_| status == CaseStatus::Decided) else {
        return Err(Refusal::Conflict(format!(
            "the case is {status}: only a decided case can be appealed"
        )));
    };
    if latest.on_appeal {
        return Err(Refusal::Conflict(
            "the decision was taken on appeal and is final".to_string(),
        ));
    }
    if latest.appealed {
        return Err(Refusal::Conflict(
            "this decision was already appealed; a decision is appealed once".to_string(),
        ));
    }
    if latest.moderator == actor.name() {
        return Err(Refusal::Forbidden(
            "a moderator cannot appeal their own decision".to_string(),
        ));
    }
    Ok(())
}

status_words! {
    /// What a reviewer makes of an appeal: keep the appealed decision, or find no breach.
    AppealOutcome {
        Uphold => "uphold",
        Overturn => "overturn",
    }
}

/// The action an appeal's outcome records: upholding repeats the appealed decision's action,
/// overturning records that no rule was broken (`none`). Who may record it is [`may_decide`]
/// on an appealed case (a reviewer or admin, never the appealed decision's author).
pub fn appeal_action(outcome: AppealOutcome, appealed: Action) -> Action {
    match outcome {
        AppealOutcome::Uphold => appealed,
        AppealOutcome::Overturn => Action::None,
    }
}

/// May `actor` assign a case, or write an internal note on it? Platform staff only, and an
/// assignment only while the case waits for someone (open or appealed).
pub fn may_assign(actor: &Actor, status: CaseStatus) -> Result<(), Refusal> {
    if !actor.role.is_staff() {
        return Err(Refusal::Forbidden(
            "only platform staff assign cases".to_string(),
        ));
    }
    if status == CaseStatus::Decided {
        return Err(Refusal::Conflict(
            "the case is decided: nobody needs to take it".to_string(),
        ));
    }
    Ok(())
}

/// May `actor` write an internal note (staff only, never shown to the author)?
pub fn may_note(actor: &Actor) -> Result<(), Refusal> {
    if actor.role.is_staff() {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            "only platform staff read and write internal notes".to_string(),
        ))
    }
}

/// A decision may only cite a rule that binds the post's author and, unless it finds no
/// breach (`none`), judges the category cited.
pub fn check_rule_applies(
    rule: &Rule,
    author: AuthorRole,
    category: Category,
    action: Action,
) -> Result<(), Refusal> {
    let list = |items: Vec<&str>| items.join(", ");
    if !rule.subjects.contains(&author) {
        return Err(Refusal::RuleNotApplicable(format!(
            "Quy tắc {id} không áp dụng cho tác giả là {author} / rule `{id}` applies to {}, \
             not to this post's author ({author})",
            list(rule.subjects.iter().map(|r| r.as_str()).collect()),
            id = rule.id,
            author = author.as_str(),
        )));
    }
    if action != Action::None && !rule.categories.contains(&category) {
        let judged = if rule.categories.is_empty() {
            "no category (it is checked outside the text engine)".to_string()
        } else {
            list(rule.categories.iter().map(|c| c.as_str()).collect())
        };
        return Err(Refusal::RuleNotApplicable(format!(
            "Quy tắc {id} không xét danh mục {category} / rule `{id}` does not judge \
             `{category}`; it judges {judged}",
            id = rule.id,
            category = category.as_str(),
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RulePack;

    fn actor(role: Role, id: i64) -> Actor {
        Actor::new(role, id)
    }

    #[test]
    fn every_role_and_status_of_a_decision() {
        use CaseStatus::*;
        use Role::*;
        // (role, status, appealed decision by the same person?) → allowed as
        let table: &[(Role, CaseStatus, bool, Result<DecisionOn, &str>)] = &[
            (Moderator, Open, false, Ok(DecisionOn::FirstLook)),
            (Reviewer, Open, false, Ok(DecisionOn::FirstLook)),
            (Admin, Open, false, Ok(DecisionOn::FirstLook)),
            (AgencyOfficer, Open, false, Err("forbidden")),
            (Citizen, Open, false, Err("forbidden")),
            (Moderator, Decided, false, Err("conflict")),
            (Admin, Decided, false, Err("conflict")),
            (Moderator, Appealed, false, Err("forbidden")),
            (Reviewer, Appealed, false, Ok(DecisionOn::Appeal)),
            (Admin, Appealed, false, Ok(DecisionOn::Appeal)),
            (Reviewer, Appealed, true, Err("same_moderator")),
            (Admin, Appealed, true, Err("same_moderator")),
            (Citizen, Appealed, false, Err("forbidden")),
        ];
        for (role, status, same, want) in table {
            let a = actor(*role, 7);
            let by = if *same {
                a.name()
            } else {
                "reviewer:99".into()
            };
            let got = may_decide(&a, *status, Some(&by)).map_err(|r| match r {
                Refusal::Forbidden(_) => "forbidden",
                Refusal::Conflict(_) => "conflict",
                Refusal::SameModerator => "same_moderator",
                _ => "other",
            });
            assert_eq!(got, *want, "{role} on {status} (same: {same})");
        }
    }

    #[test]
    fn an_appeal_is_upheld_with_its_action_or_overturned_to_none() {
        for a in Action::ALL {
            assert_eq!(appeal_action(AppealOutcome::Uphold, *a), *a);
            assert_eq!(appeal_action(AppealOutcome::Overturn, *a), Action::None);
        }
        assert_eq!("overturn".parse(), Ok(AppealOutcome::Overturn));
    }

    #[test]
    fn staff_assign_waiting_cases_and_write_notes() {
        use CaseStatus::*;
        for role in [Role::Admin, Role::Moderator, Role::Reviewer] {
            let a = actor(role, 1);
            assert!(may_assign(&a, Open).is_ok());
            assert!(may_assign(&a, Appealed).is_ok());
            assert!(matches!(may_assign(&a, Decided), Err(Refusal::Conflict(_))));
            assert!(may_note(&a).is_ok());
        }
        for role in [Role::Citizen, Role::AgencyOfficer] {
            let a = actor(role, 1);
            assert!(matches!(may_assign(&a, Open), Err(Refusal::Forbidden(_))));
            assert!(matches!(may_note(&a), Err(Refusal::Forbidden(_))));
        }
    }

    #[test]
    fn who_appeals_which_decision() {
        use CaseStatus::*;
        let first = LatestDecision {
            moderator: "moderator:2",
            on_appeal: false,
            appealed: false,
        };
        let final_one = LatestDecision {
            moderator: "reviewer:4",
            on_appeal: true,
            ..first
        };
        let appealed = LatestDecision {
            appealed: true,
            ..first
        };
        let by_admin = LatestDecision {
            moderator: "admin:1",
            ..first
        };
        let author = Authorship {
            post_author: Some("mastodon:alice"),
            appellant_speaks_for: Some("mastodon:alice"),
        };
        let stranger = Authorship {
            appellant_speaks_for: Some("mastodon:mallory"),
            ..author
        };
        let unbound = Authorship {
            appellant_speaks_for: None,
            ..author
        };
        let anonymous_post = Authorship {
            post_author: None,
            appellant_speaks_for: None,
        };
        let citizen = actor(Role::Citizen, 3);
        let admin = actor(Role::Admin, 1);
        let moderator = actor(Role::Moderator, 2);
        let outcome = |r: Result<(), Refusal>| match r {
            Ok(()) => "ok",
            Err(Refusal::Forbidden(_)) => "forbidden",
            Err(Refusal::Conflict(_)) => "conflict",
            Err(_) => "other",
        };
        // (who, status, latest decision, authorship) → outcome
        let table: &[(&Actor, CaseStatus, Option<LatestDecision>, Authorship, &str)] = &[
            (&citizen, Decided, Some(first), author, "ok"),
            (&citizen, Decided, Some(first), stranger, "forbidden"),
            (&citizen, Decided, Some(first), unbound, "forbidden"),
            (&citizen, Decided, Some(first), anonymous_post, "forbidden"),
            (&admin, Decided, Some(first), anonymous_post, "ok"),
            (&admin, Decided, Some(first), stranger, "ok"),
            // The moderator who decided never appeals it, nor any other moderator.
            (&moderator, Decided, Some(first), author, "forbidden"),
            (
                &actor(Role::Moderator, 9),
                Decided,
                Some(first),
                author,
                "forbidden",
            ),
            (
                &actor(Role::Reviewer, 9),
                Decided,
                Some(first),
                author,
                "forbidden",
            ),
            (
                &actor(Role::AgencyOfficer, 9),
                Decided,
                Some(first),
                author,
                "forbidden",
            ),
            // An admin does not appeal their own decision either.
            (&admin, Decided, Some(by_admin), author, "forbidden"),
            // Once per decision; a decision on appeal is final; only a decided case.
            (&citizen, Decided, Some(appealed), author, "conflict"),
            (&admin, Decided, Some(appealed), author, "conflict"),
            (&citizen, Decided, Some(final_one), author, "conflict"),
            (&citizen, Open, Some(first), author, "conflict"),
            (&citizen, Appealed, Some(first), author, "conflict"),
            (&citizen, Decided, None, author, "conflict"),
        ];
        for (who, status, latest, authorship, want) in table {
            assert_eq!(
                outcome(may_appeal(who, *status, *latest, *authorship)),
                *want,
                "{} on {status} ({latest:?}, {authorship:?})",
                who.name()
            );
        }
    }

    #[test]
    fn what_each_action_does() {
        use Action::*;
        for a in Action::ALL {
            assert_eq!(a.is_violation(), *a != None);
            assert_eq!(a.closes_takedown(), matches!(a, Hide | Remove | Suspend));
            assert_eq!(a.is_temporary_lock(), *a == Suspend);
            let outcome = a.report_outcome();
            if *a == None {
                assert_eq!(outcome, ReportOutcome::NoAction);
            } else {
                assert_eq!(outcome.as_str(), a.as_str());
            }
        }
    }

    #[test]
    fn status_words_round_trip_and_refuse_unknown_words() {
        for s in CaseStatus::ALL {
            assert_eq!(s.as_str().parse::<CaseStatus>(), Ok(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
        }
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>(), Ok(*a));
        }
        assert!("closed".parse::<CaseStatus>().is_err());
        assert!(serde_json::from_str::<Action>("\"delete\"").is_err());
    }

    #[test]
    fn a_decision_cites_a_rule_for_the_author_and_the_category() {
        let pack = RulePack::builtin(crate::rules::DEFAULT_PACK).unwrap();
        let cs5 = pack.rule("CS-5").expect("CS-5 in the default pack");
        let cat = cs5.categories[0];
        assert_eq!(
            check_rule_applies(cs5, AuthorRole::CivilServant, cat, Action::Remove),
            Ok(())
        );
        assert!(matches!(
            check_rule_applies(cs5, AuthorRole::Citizen, cat, Action::Remove),
            Err(Refusal::RuleNotApplicable(_))
        ));
        let other = Category::ALL
            .iter()
            .copied()
            .find(|c| !cs5.categories.contains(c))
            .unwrap();
        assert!(matches!(
            check_rule_applies(cs5, AuthorRole::CivilServant, other, Action::Remove),
            Err(Refusal::RuleNotApplicable(_))
        ));
        // Finding no breach may cite the rule whatever the category.
        assert_eq!(
            check_rule_applies(cs5, AuthorRole::CivilServant, other, Action::None),
            Ok(())
        );
    }
}
