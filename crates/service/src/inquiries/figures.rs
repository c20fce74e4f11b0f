//! The public responsiveness figures of agencies: on-time share, time to first answer,
//! open and overdue inquiries, in total and by month; and the ranking across agencies.

use crate::vn_time::vn_string;
use crate::{Result, Service};
use quytac_store::inquiries::{Percentiles, ResponseStats};
use quytac_store::model::Agency;
use serde::Serialize;
use utoipa::ToSchema;

const HOUR_MS: f64 = 3_600_000.0;

/// Figures of a group as the API and the pages show them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsView {
    /// `YYYY-MM` (Vietnam time), an agency id, or `all`.
    pub key: String,
    pub count: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    pub late: i64,
    /// `answered_on_time / (answered_on_time + late)`; `null` while nothing is due or answered.
    pub on_time_share: Option<f64>,
    pub median_hours_to_first_answer: Option<f64>,
    pub p90_hours_to_first_answer: Option<f64>,
    pub median_working_days_to_first_answer: Option<f64>,
    pub p90_working_days_to_first_answer: Option<f64>,
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
}

impl From<&ResponseStats> for StatsView {
    fn from(s: &ResponseStats) -> Self {
        let hours = |p: Percentiles| {
            (
                p.median.map(|v| round2(v / HOUR_MS)),
                p.p90.map(|v| round2(v / HOUR_MS)),
            )
        };
        let (median_h, p90_h) = hours(s.answer_ms);
        let judged = s.on_time + s.late;
        StatsView {
            key: s.key.clone(),
            count: s.count,
            answered: s.answered,
            answered_on_time: s.on_time,
            late: s.late,
            on_time_share: (judged > 0).then(|| round4(s.on_time as f64 / judged as f64)),
            median_hours_to_first_answer: median_h,
            p90_hours_to_first_answer: p90_h,
            median_working_days_to_first_answer: s.answer_working_days.median.map(round2),
            p90_working_days_to_first_answer: s.answer_working_days.p90.map(round2),
            open: s.open,
            overdue: s.overdue,
            escalated: s.escalated,
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// An agency's public figures.
#[derive(Debug, Clone)]
pub struct Figures {
    pub agency: Agency,
    pub now: i64,
    pub total: StatsView,
    pub months: Vec<StatsView>,
}

/// The agency a figure is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyRef {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
}

/// `GET /v1/agencies/{id}/responsiveness`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResponsivenessView {
    pub agency: AgencyRef,
    pub response_working_days: i64,
    pub at: i64,
    pub at_local: String,
    /// Always `Asia/Ho_Chi_Minh`: months and local times are Vietnam time.
    pub time_zone: String,
    pub total: StatsView,
    pub months: Vec<StatsView>,
}

impl From<Figures> for ResponsivenessView {
    fn from(f: Figures) -> Self {
        ResponsivenessView {
            response_working_days: f.agency.response_working_days,
            agency: AgencyRef {
                id: f.agency.id,
                name: f.agency.name,
                parent_id: f.agency.parent_id,
            },
            at: f.now,
            at_local: vn_string(f.now),
            time_zone: "Asia/Ho_Chi_Minh".into(),
            total: f.total,
            months: f.months,
        }
    }
}

/// One row of the ranking across agencies.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub agency: Agency,
    pub stats: StatsView,
}

impl Service {
    /// An agency's public figures now.
    pub async fn responsiveness(&self, agency_id: &str) -> Result<Figures> {
        let agency = self.agency_or_404(agency_id).await?;
        let now = quytac_store::now_ms();
        let r = self.store.responsiveness(&agency.id, now).await?;
        Ok(Figures {
            agency,
            now,
            total: StatsView::from(&r.total),
            months: r.months.iter().map(StatsView::from).collect(),
        })
    }

    /// Every agency, best first: the higher on-time share, then the shorter median time to
    /// first answer; agencies with nothing judged yet come last, by id.
    pub async fn responsiveness_ranking(&self) -> Result<(i64, Vec<Ranked>)> {
        let now = quytac_store::now_ms();
        let stats = self.store.responsiveness_by_agency(now).await?;
        let mut rows: Vec<Ranked> = self
            .store
            .list_agencies()
            .await?
            .into_iter()
            .map(|agency| {
                let s = stats
                    .iter()
                    .find(|s| s.key == agency.id)
                    .cloned()
                    .unwrap_or_else(|| ResponseStats {
                        key: agency.id.clone(),
                        ..ResponseStats::default()
                    });
                Ranked {
                    stats: StatsView::from(&s),
                    agency,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            let share = |r: &Ranked| r.stats.on_time_share.map(|s| -s).unwrap_or(f64::INFINITY);
            let median = |r: &Ranked| {
                r.stats
                    .median_hours_to_first_answer
                    .unwrap_or(f64::INFINITY)
            };
            share(a)
                .total_cmp(&share(b))
                .then(median(a).total_cmp(&median(b)))
                .then_with(|| a.agency.id.cmp(&b.agency.id))
        });
        Ok((now, rows))
    }
}
