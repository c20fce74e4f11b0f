//! The transparency report: decisions per rule, category, action and week, how many were
//! automated, appeals, and whether takedowns met their 24-hour deadline.

use crate::{Result, Service};
use quytac_core::workflow::takedown;
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
    pub decisions: usize,
    pub by_rule: BTreeMap<String, usize>,
    pub by_category: BTreeMap<String, usize>,
    pub by_action: BTreeMap<String, usize>,
    pub automated_detection: usize,
    pub automated_decision: usize,
    pub decided_on_appeal: usize,
    pub weeks: Vec<Week>,
    pub takedowns: TakedownTimeliness,
}

/// Whether takedowns met ND-2's deadline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TakedownTimeliness {
    pub received: usize,
    pub completed_within_24h: usize,
    pub completed_late: usize,
    pub open_overdue: usize,
}

impl Service {
    /// The transparency report of decisions made and takedowns received in `[from, to)`
    /// (Unix ms).
    pub async fn transparency_report(&self, from: i64, to: i64) -> Result<TransparencyReport> {
        let decisions = self.store.decisions_between(from, to).await?;
        let mut by_rule = BTreeMap::new();
        let mut by_category = BTreeMap::new();
        let mut by_action = BTreeMap::new();
        let mut weeks: BTreeMap<i64, Week> = BTreeMap::new();
        for d in &decisions {
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
        let takedowns = self.store.takedowns_between(from, to).await?;
        let now = quytac_store::now_ms();
        let done_in_time = takedowns
            .iter()
            .filter(|t| t.completed_at.is_some_and(|c| c <= t.deadline))
            .count();
        let done_late = takedowns
            .iter()
            .filter(|t| t.completed_at.is_some_and(|c| c > t.deadline))
            .count();
        let overdue_open = takedowns
            .iter()
            .filter(|t| takedown::is_overdue(t.status, t.deadline, now))
            .count();
        Ok(TransparencyReport {
            from: format_date(from),
            to: format_date(to),
            decisions: decisions.len(),
            by_rule,
            by_category,
            by_action,
            automated_detection: decisions.iter().filter(|d| d.automated_detection).count(),
            automated_decision: decisions.iter().filter(|d| d.automated_decision).count(),
            decided_on_appeal: decisions.iter().filter(|d| d.on_appeal).count(),
            weeks: weeks.into_values().collect(),
            takedowns: TakedownTimeliness {
                received: takedowns.len(),
                completed_within_24h: done_in_time,
                completed_late: done_late,
                open_overdue: overdue_open,
            },
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
