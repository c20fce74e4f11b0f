//! The transparency report: decisions per rule, category, action and week, how many were
//! automated, appeals, and whether takedowns met their 24-hour deadline.

use crate::{Result, Service};
use quytac_core::workflow::complaint;
use quytac_core::workflow::decree147::{complaint_clock, ComplaintClock};
use quytac_core::workflow::figures::{self, AppealOutcome};
use quytac_core::workflow::takedown;
use quytac_store::model::Decision;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub const DAY_MS: i64 = 86_400_000;

use quytac_core::civil::{civil_from_days, days_from_civil};

/// Parses `YYYY-MM-DD` to Unix ms at 00:00 UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut parts = s.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some()
        || !(1970..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days * DAY_MS)
}

pub fn format_date(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The Monday of the week of `ms` (1970-01-01 was a Thursday).
pub fn week_start(ms: i64) -> i64 {
    let days = ms.div_euclid(DAY_MS);
    (days - (days + 3).rem_euclid(7)) * DAY_MS
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Week {
    pub week_start: String,
    pub total: usize,
    pub by_rule: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransparencyReport {
    pub from: String,
    /// Exclusive.
    pub to: String,
    /// Cases decided in the period, each counted once by its outcome: its latest decision
    /// (a decision on appeal replaces the one it reviewed). `by_rule`, `by_category`,
    /// `by_action`, `weeks` and the automated counts are of these outcomes.
    pub decisions: usize,
    /// Every decision recorded in the period, first looks and decisions on appeal.
    pub decisions_recorded: usize,
    pub by_rule: BTreeMap<String, usize>,
    pub by_category: BTreeMap<String, usize>,
    pub by_action: BTreeMap<String, usize>,
    pub automated_detection: usize,
    pub automated_decision: usize,
    /// Decisions taken on appeal in the period (shown apart in `appeals`).
    pub decided_on_appeal: usize,
    pub appeals: AppealFigures,
    pub weeks: Vec<Week>,
    pub takedowns: TakedownTimeliness,
    /// Users' complaints to the provider (handled: a decision on the post).
    pub complaints: ComplaintTimeliness,
    /// Users' complaints addressed to page owners (handled: the owner's answer).
    pub complaints_to_page_owners: ComplaintTimeliness,
    /// The period held more decisions, takedowns or complaints than one report reads
    /// ([`MAX_PERIOD_ROWS`] each): their figures count the first ones only. Ask for a
    /// shorter period.
    pub truncated: bool,
}

/// The most decisions (of the cases decided in the period), the most takedowns and the most
/// complaints one report reads.
pub const MAX_PERIOD_ROWS: i64 = 100_000;

/// Appeals decided in the period: whether the reviewed decision stood.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AppealFigures {
    pub decided: usize,
    pub upheld: usize,
    pub overturned: usize,
}

/// Whether takedowns met ND-2's deadline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TakedownTimeliness {
    pub received: usize,
    pub completed_within_24h: usize,
    pub completed_late: usize,
    pub open_overdue: usize,
}

/// Users' complaints (reports of posts) received in the period against their 48-hour clock
/// (`workflow::decree147::complaint_clock`): handled means a decision on the reported post
/// for a complaint to the provider, the owner's answer for one addressed to a page owner
/// (`workflow::complaint::handled_at`).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ComplaintTimeliness {
    pub received: usize,
    pub handled_within_48h: usize,
    pub handled_late: usize,
    /// Not handled, and the 48 hours are over.
    pub open_overdue: usize,
    /// Not handled, still within 48 hours.
    pub open_running: usize,
    /// Handled, and found well-founded: the decision found a violation, or the page owner
    /// upheld it.
    pub well_founded: usize,
}

impl ComplaintTimeliness {
    pub fn of<'a>(
        reports: impl IntoIterator<Item = &'a quytac_store::model::Report>,
        now: i64,
    ) -> ComplaintTimeliness {
        let mut c = ComplaintTimeliness::default();
        for r in reports {
            c.received += 1;
            match complaint_clock(r.created_at, crate::decree147::handled_at(r), now) {
                ComplaintClock::OnTime => c.handled_within_48h += 1,
                ComplaintClock::Late => c.handled_late += 1,
                ComplaintClock::Overdue => c.open_overdue += 1,
                ComplaintClock::Running => c.open_running += 1,
            }
            if complaint::well_founded(r.addressee.is_some(), r.outcome, r.answer) {
                c.well_founded += 1;
            }
        }
        c
    }

    /// Each figure by its field's name, in the order reports list them (CSV rows, pages).
    pub fn figures(&self) -> [(&'static str, usize); 6] {
        [
            ("received", self.received),
            ("handled_within_48h", self.handled_within_48h),
            ("handled_late", self.handled_late),
            ("open_overdue", self.open_overdue),
            ("open_running", self.open_running),
            ("well_founded", self.well_founded),
        ]
    }
}

impl TakedownTimeliness {
    pub fn of(takedowns: &[quytac_store::model::Takedown], now: i64) -> TakedownTimeliness {
        TakedownTimeliness {
            received: takedowns.len(),
            completed_within_24h: takedowns
                .iter()
                .filter(|t| t.completed_at.is_some_and(|c| c <= t.deadline))
                .count(),
            completed_late: takedowns
                .iter()
                .filter(|t| t.completed_at.is_some_and(|c| c > t.deadline))
                .count(),
            open_overdue: takedowns
                .iter()
                .filter(|t| takedown::is_overdue(t.status, t.deadline, now))
                .count(),
        }
    }
}

impl Service {
    /// The transparency report of decisions made and takedowns and complaints received in
    /// `[from, to)` (Unix ms). Each case decided in the period counts once, by its latest
    /// decision; decisions on appeal are counted apart as upheld or overturned
    /// (`workflow::figures`).
    pub async fn transparency_report(&self, from: i64, to: i64) -> Result<TransparencyReport> {
        let decided = self
            .store
            .decisions_of_cases_decided_between(from, to, MAX_PERIOD_ROWS)
            .await?;
        let all = &decided.rows;
        let in_period: Vec<&Decision> = all
            .iter()
            .filter(|d| d.created_at >= from && d.created_at < to)
            .collect();
        let keys: Vec<(i64, i64)> = in_period.iter().map(|d| (d.case_id, d.id)).collect();
        let outcomes: Vec<&Decision> = figures::final_decisions(&keys)
            .into_iter()
            .map(|i| in_period[i])
            .collect();
        // One pass in the order the decisions were made: each decision on appeal is compared
        // with the case's decision just before it (linear in the rows read, however many
        // appeals the period holds).
        let mut appeals = AppealFigures::default();
        let mut previous: std::collections::HashMap<i64, &Decision> =
            std::collections::HashMap::new();
        for d in all {
            let reviewed = previous.insert(d.case_id, d);
            if !(d.on_appeal && d.created_at >= from && d.created_at < to) {
                continue;
            }
            appeals.decided += 1;
            match reviewed.map(|p| figures::appeal_outcome(p.action, d.action)) {
                Some(AppealOutcome::Upheld) => appeals.upheld += 1,
                Some(AppealOutcome::Overturned) => appeals.overturned += 1,
                None => {}
            }
        }
        let mut by_rule = BTreeMap::new();
        let mut by_category = BTreeMap::new();
        let mut by_action = BTreeMap::new();
        let mut weeks: BTreeMap<i64, Week> = BTreeMap::new();
        for d in &outcomes {
            *by_rule.entry(d.rule_id.clone()).or_insert(0) += 1;
            *by_category
                .entry(d.category.as_str().to_string())
                .or_insert(0) += 1;
            *by_action.entry(d.action.as_str().to_string()).or_insert(0) += 1;
            let w = week_start(d.created_at);
            let week = weeks.entry(w).or_insert_with(|| Week {
                week_start: format_date(w),
                total: 0,
                by_rule: BTreeMap::new(),
            });
            week.total += 1;
            *week.by_rule.entry(d.rule_id.clone()).or_insert(0) += 1;
        }
        let now = quytac_store::now_ms();
        let takedowns = self
            .store
            .takedowns_between(from, to, MAX_PERIOD_ROWS)
            .await?;
        let complaints = self
            .store
            .reports_between(from, to, MAX_PERIOD_ROWS)
            .await?;
        Ok(TransparencyReport {
            from: format_date(from),
            to: format_date(to),
            decisions: outcomes.len(),
            decisions_recorded: in_period.len(),
            by_rule,
            by_category,
            by_action,
            automated_detection: outcomes.iter().filter(|d| d.automated_detection).count(),
            automated_decision: outcomes.iter().filter(|d| d.automated_decision).count(),
            decided_on_appeal: appeals.decided,
            appeals,
            weeks: weeks.into_values().collect(),
            takedowns: TakedownTimeliness::of(&takedowns.rows, now),
            complaints: ComplaintTimeliness::of(
                complaints.rows.iter().filter(|r| r.addressee.is_none()),
                now,
            ),
            complaints_to_page_owners: ComplaintTimeliness::of(
                complaints.rows.iter().filter(|r| r.addressee.is_some()),
                now,
            ),
            truncated: decided.truncated || takedowns.truncated || complaints.truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_weeks_start_on_monday() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(format_date(parse_date("2024-02-29").unwrap()), "2024-02-29");
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("x"), None);
        // 2025-06-12 is a Thursday; its week starts on Monday 2025-06-09.
        assert_eq!(
            format_date(week_start(parse_date("2025-06-12").unwrap() + 5000)),
            "2025-06-09"
        );
        assert_eq!(
            format_date(week_start(parse_date("2025-06-09").unwrap())),
            "2025-06-09"
        );
    }
}
