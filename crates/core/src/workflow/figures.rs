//! Figures that do not mislead: which decisions of a case the public figures count, and what
//! a decision on appeal did to the decision it reviewed.
//!
//! A case decided and then decided again on appeal has one outcome: the later decision. The
//! figures count each case's outcome once ([`final_decisions`]) and show the appeals apart
//! ([`appeal_outcome`]: upheld or overturned), so an overturned decision is not counted twice.

use super::{status_words, Action};

status_words! {
    /// What a decision on appeal did to the decision it reviewed.
    AppealOutcome {
        /// The same action stands.
        Upheld => "upheld",
        /// Another action replaced it.
        Overturned => "overturned",
    }
}

/// Upheld when the decision on appeal keeps the reviewed decision's action, overturned
/// otherwise.
pub fn appeal_outcome(reviewed: Action, on_appeal: Action) -> AppealOutcome {
    if reviewed == on_appeal {
        AppealOutcome::Upheld
    } else {
        AppealOutcome::Overturned
    }
}

/// The decisions that are outcomes: of the decisions given as (case, decision id), the index
/// of each case's latest one, in the order of the input.
pub fn final_decisions(decisions: &[(i64, i64)]) -> Vec<usize> {
    let mut latest: std::collections::HashMap<i64, (i64, usize)> = Default::default();
    for (i, &(case, id)) in decisions.iter().enumerate() {
        let e = latest.entry(case).or_insert((id, i));
        if id >= e.0 {
            *e = (id, i);
        }
    }
    let mut out: Vec<usize> = latest.into_values().map(|(_, i)| i).collect();
    out.sort_unstable();
    out
}

/// How many answered questions an agency needs before a ranking places it: a share of
/// questions answered on time from one or two answers says nothing (issue 14: an agency ranked
/// first at 100 % from one answer).
pub const MIN_ANSWERED_TO_RANK: i64 = 5;

/// Whether an agency with `answered` answered questions is ranked; the others are listed
/// apart, as not having enough answers yet.
pub fn is_ranked(answered: i64) -> bool {
    answered >= MIN_ANSWERED_TO_RANK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_counts_once_with_its_latest_decision() {
        // Case 1 decided (id 1), then on appeal (id 3); case 2 decided once (id 2).
        assert_eq!(final_decisions(&[(1, 1), (2, 2), (1, 3)]), vec![1, 2]);
        assert_eq!(final_decisions(&[(1, 3), (1, 1)]), vec![0]);
        assert!(final_decisions(&[]).is_empty());
    }

    #[test]
    fn an_agency_is_ranked_from_five_answers() {
        assert!(!is_ranked(0));
        assert!(!is_ranked(4));
        assert!(is_ranked(5));
    }

    #[test]
    fn an_appeal_upholds_the_same_action_and_overturns_another() {
        assert_eq!(
            appeal_outcome(Action::Remove, Action::Remove),
            AppealOutcome::Upheld
        );
        assert_eq!(
            appeal_outcome(Action::Remove, Action::None),
            AppealOutcome::Overturned
        );
        assert_eq!(
            appeal_outcome(Action::Hide, Action::Label),
            AppealOutcome::Overturned
        );
    }
}
