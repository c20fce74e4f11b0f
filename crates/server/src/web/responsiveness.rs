//! Public pages of agencies' responsiveness to citizens (AG-7): one page per agency with its
//! figures and a monthly inline-SVG chart, and a ranking across agencies. Times are shown in
//! Vietnam time (Asia/Ho_Chi_Minh, UTC+7).

use super::frame::Frame;
use super::{render, stacked_bar_chart, url_encode, Bar};
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::vn_time::vn_display;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use quytac_core::workflow::figures;
use quytac_service::inquiries::figures::StatsView;

/// A number with a decimal comma, as Vietnamese writes it.
fn decimal(x: f64, places: usize) -> String {
    format!("{x:.places$}").replace('.', ",")
}

fn share(s: Option<f64>) -> String {
    s.map(|v| format!("{} %", decimal(v * 100.0, 1)))
        .unwrap_or_else(|| "—".into())
}

fn hours(h: Option<f64>) -> String {
    h.map(|v| format!("{} giờ", decimal(v, 1)))
        .unwrap_or_else(|| "—".into())
}

fn days(d: Option<f64>) -> String {
    d.map(|v| format!("{} ngày làm việc", decimal(v, 1)))
        .unwrap_or_else(|| "—".into())
}

/// One row of figures, formatted.
pub struct Row {
    pub key: String,
    pub count: i64,
    pub answered: i64,
    pub on_time: i64,
    pub late: i64,
    pub share: String,
    pub median: String,
    pub p90: String,
    pub median_days: String,
    pub p90_days: String,
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
}

impl From<&StatsView> for Row {
    fn from(s: &StatsView) -> Self {
        Row {
            key: s.key.clone(),
            count: s.count,
            answered: s.answered,
            on_time: s.answered_on_time,
            late: s.late,
            share: share(s.on_time_share),
            median: hours(s.median_hours_to_first_answer),
            p90: hours(s.p90_hours_to_first_answer),
            median_days: days(s.median_working_days_to_first_answer),
            p90_days: days(s.p90_working_days_to_first_answer),
            open: s.open,
            overdue: s.overdue,
            escalated: s.escalated,
        }
    }
}

#[derive(Template)]
#[template(path = "responsiveness.html")]
struct AgencyPage {
    frame: Frame,
    name: String,
    id: String,
    parent: String,
    working_days: i64,
    at: String,
    total: Row,
    months: Vec<Row>,
    chart: String,
    /// The form to ask the agency, with what the check before sending found.
    ask: super::inquiries::AskForm,
    /// What the check shows (`citizens_check.html`).
    check: super::inquiries::CheckShown,
}

/// Per month: first answers on time, late (answered late or still unanswered past the
/// deadline), and the rest (not due yet, or closed unanswered).
pub fn monthly_chart(lang: super::words::Lang, months: &[StatsView]) -> String {
    let say = |key: &str| super::words::say(lang, key);
    let (on_time, late, rest) = (
        say("citizens_agency.col_on_time"),
        say("citizens_agency.col_late"),
        say("citizens_agency.not_due"),
    );
    let series = [
        (on_time.clone(), "#2da44e"),
        (late.clone(), "#b3261e"),
        (rest.clone(), "#6e7781"),
    ];
    let bars: Vec<Bar> = months
        .iter()
        .map(|m| Bar {
            label: m.key.clone(),
            title: m.key.clone(),
            parts: vec![
                (on_time.clone(), m.answered_on_time),
                (late.clone(), m.late),
                (rest.clone(), (m.count - m.answered_on_time - m.late).max(0)),
            ],
        })
        .collect();
    stacked_bar_chart(&say("citizens_agency.chart"), &series, &bars)
}

fn not_found(id: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(format!(
            "<p>Không có cơ quan này / no such agency: {}</p>",
            super::escape(id)
        )),
    )
        .into_response()
}

/// `GET /agencies/{id}/responsiveness`: the figures, and the form to ask the agency.
pub async fn agency_page(
    State(state): State<AppState>,
    frame: Frame,
    Path(id): Path<String>,
) -> Response {
    let ask = super::inquiries::AskForm::new(frame.lang);
    agency_response(&state, frame, &id, ask, StatusCode::OK).await
}

/// The agency page with the ask form as given, answered with `status`.
pub async fn agency_response(
    state: &AppState,
    frame: Frame,
    id: &str,
    mut ask: super::inquiries::AskForm,
    status: StatusCode,
) -> Response {
    let id = id.to_string();
    let f = match state.service.responsiveness(&id).await {
        Ok(f) => f,
        Err(e) => match ApiError::from(e) {
            e if e.code == Code::NotFound => return not_found(&id),
            e => return e.into_response(),
        },
    };
    let parent = match &f.agency.parent_id {
        Some(p) => match state.store.agency(p).await {
            Ok(Some(a)) => a.name,
            _ => p.clone(),
        },
        None => String::new(),
    };
    let lang = frame.lang;
    let check = std::mem::take(&mut ask.check);
    let page = render(&AgencyPage {
        frame,
        ask,
        check,
        name: f.agency.name.clone(),
        id: f.agency.id.clone(),
        parent,
        working_days: f.agency.response_working_days,
        at: vn_display(f.now),
        total: Row::from(&f.total),
        chart: monthly_chart(lang, &f.months),
        months: f.months.iter().map(Row::from).collect(),
    });
    (status, page).into_response()
}

pub struct RankRow {
    pub rank: usize,
    pub id: String,
    pub href: String,
    pub name: String,
    pub stats: Row,
}

#[derive(Template)]
#[template(path = "responsiveness_ranking.html")]
struct RankingPage {
    frame: Frame,
    at: String,
    rows: Vec<RankRow>,
    /// Agencies with fewer answered questions than the ranking needs, listed apart.
    not_ranked: Vec<RankRow>,
    min_answered: i64,
}

/// `GET /agencies/responsiveness`.
pub async fn ranking_page(State(state): State<AppState>, frame: Frame) -> Response {
    let (now, ranked) = match state.service.responsiveness_ranking().await {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let row = |rank: usize, r: &quytac_service::inquiries::figures::Ranked| RankRow {
        rank,
        id: r.agency.id.clone(),
        href: format!("/agencies/{}/responsiveness", url_encode(&r.agency.id)),
        name: r.agency.name.clone(),
        stats: Row::from(&r.stats),
    };
    let (enough, few): (Vec<_>, Vec<_>) = ranked
        .iter()
        .partition(|r| figures::is_ranked(r.stats.answered));
    let rows = enough
        .iter()
        .enumerate()
        .map(|(i, r)| row(i + 1, r))
        .collect();
    let not_ranked = few.iter().map(|r| row(0, r)).collect();
    render(&RankingPage {
        frame,
        at: vn_display(now),
        rows,
        not_ranked,
        min_answered: figures::MIN_ANSWERED_TO_RANK,
    })
}
