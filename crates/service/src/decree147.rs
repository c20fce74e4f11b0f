//! Decree 147/2024's duties that are use cases: the complaints past their 48-hour clock, and
//! the provider's periodic report to the authority for a month. (ND-1 and ND-4 on writes are
//! asked by the use cases that write — `posts::ingest`, `posts::ingest_batch`, the Mastodon
//! webhook, consultation comments — through [`Service::decree_refusals`].)

use crate::transparency::{AppealFigures, ComplaintTimeliness, TakedownTimeliness};
use crate::vn_time::{vn_day, vn_string};
use crate::{Result, Service, ServiceError};
use quytac_core::workflow::decree147::DecreeFinding;
use quytac_core::workflow::decree147::{
    self, complaint_clock, complaint_deadline, ComplaintClock, Standing,
};
use quytac_core::workflow::Refusal;
use quytac_store::model::{Account, Report};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// A complaint (a user's report of a post) with its 48-hour clock.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintView {
    #[serde(flatten)]
    pub report: Report,
    /// When it must be handled: 48 hours after it was received (Unix ms).
    pub deadline: i64,
    /// The same, in Vietnam time.
    pub deadline_vn: String,
    #[schema(value_type = String)]
    pub clock: ComplaintClock,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueComplaints {
    /// Complaints to the provider without a decision on the reported post whose 48 hours
    /// are over, oldest first (at most 500).
    pub complaints: Vec<ComplaintView>,
    /// Complaints addressed to page owners without the owner's answer whose 48 hours are
    /// over, oldest first (at most 500): the owners' duty, listed apart.
    pub to_page_owners: Vec<ComplaintView>,
}

/// A figure the provider may not have: `recorded` says whether it is counted at all.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptionalFigure {
    pub recorded: bool,
    pub value: Option<i64>,
    pub note: String,
}

/// Content removed in the month: decisions whose action makes content invisible, and the
/// authorities' takedown requests against ND-2's 24 hours.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Removals {
    /// Cases whose outcome in the month hides or removes content or locks the account.
    pub content_removed: usize,
    pub takedowns: TakedownTimeliness,
}

/// The provider's periodic report to the authority (Decree 147) for one month, Vietnam time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Start of the month, `…T00:00+07:00`.
    pub from: String,
    /// Start of the next month (exclusive).
    pub to: String,
    /// Regular users: the distinct accounts that wrote at least one post stored in the month
    /// (accounts active in the month).
    pub regular_users: i64,
    /// Visits: page views of the public web pages and API reads in the month (see
    /// `crate::visits`).
    pub visits: OptionalFigure,
    pub removals: Removals,
    /// Users' complaints to the provider received in the month against their 48-hour
    /// clock (handled: a decision on the post).
    pub complaints: ComplaintTimeliness,
    /// Users' complaints addressed to page owners received in the month against their
    /// 48-hour clock (handled: the owner's answer; well-founded: upheld).
    pub complaints_to_page_owners: ComplaintTimeliness,
    pub appeals: AppealFigures,
    /// Cases decided in the month, each counted once by its outcome.
    pub decisions: usize,
    /// The month held more decisions, takedowns or complaints than one report reads
    /// (`transparency::MAX_PERIOD_ROWS` each): the figures count the first ones only.
    pub truncated: bool,
}

impl ProviderReport {
    /// The report as CSV (UTF-8 with BOM): one `figure,value` row each, in this order.
    pub fn csv(&self) -> String {
        let t = &self.removals.takedowns;
        let mut rows: Vec<(String, String)> = [
            ("month", self.month.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("regular_users", self.regular_users.to_string()),
            (
                "visits",
                self.visits
                    .value
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "not_recorded".into()),
            ),
            ("decisions", self.decisions.to_string()),
            ("content_removed", self.removals.content_removed.to_string()),
            ("takedowns_received", t.received.to_string()),
            (
                "takedowns_completed_within_24h",
                t.completed_within_24h.to_string(),
            ),
            ("takedowns_completed_late", t.completed_late.to_string()),
            ("takedowns_open_overdue", t.open_overdue.to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .into();
        for (prefix, c) in [
            ("complaints", &self.complaints),
            ("page_owner_complaints", &self.complaints_to_page_owners),
        ] {
            rows.extend(
                c.figures()
                    .map(|(k, v)| (format!("{prefix}_{k}"), v.to_string())),
            );
        }
        rows.extend(
            [
                ("appeals_decided", self.appeals.decided.to_string()),
                ("appeals_upheld", self.appeals.upheld.to_string()),
                ("appeals_overturned", self.appeals.overturned.to_string()),
                ("truncated", self.truncated.to_string()),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        let mut out = String::from("\u{feff}figure,value\r\n");
        for (k, v) in rows {
            out.push_str(&format!("{k},{v}\r\n"));
        }
        out
    }
}

impl Service {
    /// Complaints whose 48 hours were over at `now` without being handled: those to the
    /// provider (no decision on the reported post) and, apart, those to page owners (no
    /// answer).
    pub async fn overdue_complaints(&self, now: i64) -> Result<OverdueComplaints> {
        let before = now - decree147::COMPLAINT_DEADLINE_MS;
        let views = |reports: Vec<Report>| -> Vec<ComplaintView> {
            reports
                .into_iter()
                .map(|r| complaint_view(r, now))
                .collect()
        };
        Ok(OverdueComplaints {
            complaints: views(self.store.unhandled_reports_before(before, 500).await?),
            to_page_owners: views(self.store.unanswered_complaints_before(before, 500).await?),
        })
    }

    /// The provider's report for `month` (`YYYY-MM`, Vietnam time).
    pub async fn provider_report(&self, month: &str) -> Result<ProviderReport> {
        let (from, to) = decree147::month_bounds(month).ok_or_else(|| {
            ServiceError::invalid_field("`month` must be a month YYYY-MM from 2018-01")
        })?;
        let figures = self.transparency_report(from, to).await?;
        // The page views still in memory count too.
        self.flush_visits().await?;
        // The month's outcomes are the transparency report's (each case once, by its latest
        // decision): content was removed where that outcome's action makes it invisible.
        let content_removed = figures
            .by_action
            .iter()
            .filter(|(action, _)| {
                action
                    .parse::<quytac_core::workflow::Action>()
                    .is_ok_and(|a| a.closes_takedown())
            })
            .map(|(_, n)| n)
            .sum();
        Ok(ProviderReport {
            month: month.trim().to_string(),
            from: vn_string(from),
            to: vn_string(to),
            regular_users: self.store.active_authors_between(from, to).await?,
            visits: OptionalFigure {
                recorded: true,
                value: Some(
                    self.store
                        .page_views_between(&vn_day(from), &vn_day(to))
                        .await?,
                ),
                note: "page views of the public web pages and API reads, counted per Vietnam \
                       day without personal data (distinct visitors are not counted)"
                    .into(),
            },
            removals: Removals {
                content_removed,
                takedowns: figures.takedowns,
            },
            complaints: figures.complaints,
            complaints_to_page_owners: figures.complaints_to_page_owners,
            appeals: figures.appeals,
            decisions: figures.decisions,
            truncated: figures.truncated,
        })
    }

    /// ND-1 and ND-4 on a write by `author` under the service's pack: the account as stored
    /// now. Nothing is asked under a pack without those rules.
    pub async fn check_decree_writer(&self, author: Option<&str>) -> Result<()> {
        match self.decree_refusals(&[author]).await?.pop().flatten() {
            Some(finding) => Err(Refusal::Decree(finding).into()),
            None => Ok(()),
        }
    }

    /// ND-1 and ND-4 on writes by each of `authors` under the service's pack: the finding
    /// that refuses each one's write, if any. The accounts are read in one query; nothing is
    /// read under a pack without those rules.
    pub async fn decree_refusals(
        &self,
        authors: &[Option<&str>],
    ) -> Result<Vec<Option<DecreeFinding>>> {
        let pack = self.engine.pack();
        if !decree147::enforces(pack, "ND-1") && !decree147::enforces(pack, "ND-4") {
            return Ok(vec![None; authors.len()]);
        }
        let handles: Vec<Option<String>> = authors
            .iter()
            .map(|a| crate::identity::normalize_handle(a.unwrap_or("")).ok())
            .collect();
        let mut distinct: Vec<&str> = handles.iter().flatten().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let accounts = self.store.accounts(&distinct).await?;
        let by_handle: HashMap<&str, &Account> =
            accounts.iter().map(|a| (a.handle.as_str(), a)).collect();
        let today = today_vn();
        Ok(authors
            .iter()
            .zip(&handles)
            .map(|(author, handle)| {
                let standing = handle
                    .as_deref()
                    .and_then(|h| by_handle.get(h))
                    .map(|a| standing_of(a));
                match decree147::may_write(pack, author.unwrap_or(""), standing.as_ref(), today) {
                    Err(Refusal::Decree(f)) => Some(f),
                    _ => None,
                }
            })
            .collect())
    }
}

/// What ND-1 and ND-4 look at in an account.
pub fn standing_of(a: &quytac_store::model::Account) -> Standing<'_> {
    Standing {
        handle: &a.handle,
        auth: a.auth_method,
        birth_date: a
            .birth_date
            .as_deref()
            .and_then(decree147::parse_birth_date),
        has_guardian: a.guardian.is_some(),
    }
}

/// When a complaint was handled, as its addressee handles it.
pub(crate) fn handled_at(r: &Report) -> Option<i64> {
    quytac_core::workflow::complaint::handled_at(r.addressee.is_some(), r.outcome_at, r.answered_at)
}

/// Today's date in Vietnam.
pub fn today_vn() -> (i64, i64, i64) {
    let ms = quytac_store::now_ms() + 7 * 3600 * 1000;
    quytac_core::civil::civil_from_days(ms.div_euclid(86_400_000))
}

/// A complaint with its clock: handled by a decision on the post, or for a complaint to a
/// page owner by the owner's answer (`workflow::complaint::handled_at`).
pub(crate) fn complaint_view(report: Report, now: i64) -> ComplaintView {
    let deadline = complaint_deadline(report.created_at);
    ComplaintView {
        clock: complaint_clock(report.created_at, handled_at(&report), now),
        deadline,
        deadline_vn: vn_string(deadline),
        report,
    }
}
