//! The public transparency page (`/transparency`) and its downloads (`/transparency.csv`,
//! `/transparency.json`): the report of `quytac_service::transparency` for a period chosen
//! with a form, each case's outcome counted once and appeals shown apart, every figure with a
//! sentence that says what it counts, and the chart's axes and series told in words.

use super::frame::Frame;
use super::words::{say, Lang};
use super::{render, stacked_bar_chart, Bar, PALETTE};
use crate::api::transparency::{self, Period};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use quytac_core::finding::Category;
use quytac_core::workflow::Action;
use quytac_service::transparency::{format_date, parse_date};
use quytac_service::transparency::{ComplaintTimeliness, TransparencyReport, DAY_MS};

/// One line of a table: what is counted, how many, and the sentence that explains it.
pub struct Figure {
    pub id: String,
    pub name: String,
    pub value: usize,
    pub explain: String,
}

#[derive(Template)]
#[template(path = "transparency.html")]
struct TransparencyPage {
    frame: Frame,
    report: TransparencyReport,
    /// The last day of the period (the form's `to`, inclusive).
    to_inclusive: String,
    error: Option<String>,
    chart: String,
    /// The chart's data as rows: week, then the count of each rule in `rules`.
    rules: Vec<String>,
    week_rows: Vec<(String, Vec<usize>)>,
    outcomes: Vec<Figure>,
    by_rule: Vec<(String, usize)>,
    by_action: Vec<(String, usize)>,
    by_category: Vec<(String, usize)>,
    appeals: Vec<Figure>,
    takedowns: Vec<Figure>,
    complaints: Vec<Figure>,
    /// The complaints addressed to page owners, apart from the provider's.
    owner_complaints: Vec<Figure>,
    query: String,
}

fn lang_name_action(lang: Lang, a: &str) -> String {
    match (lang, a.parse::<Action>()) {
        (Lang::Vi, Ok(a)) => a.name_vi().to_string(),
        _ => a.replace('_', " "),
    }
}

fn lang_name_category(lang: Lang, c: &str) -> String {
    match (lang, c.parse::<Category>()) {
        (Lang::Vi, Ok(c)) => c.name_vi().to_string(),
        _ => c.replace('_', " "),
    }
}

fn figure(lang: Lang, group: &str, code: &str, value: usize) -> Figure {
    Figure {
        id: format!("{group}-{code}").replace('_', "-"),
        name: say(lang, &format!("{group}.{code}")),
        value,
        explain: say(lang, &format!("{group}.{code}_explain")),
    }
}

/// A complaint clock's figures, named `{group}.{prefix}{code}` in the translation table.
fn complaint_figures(
    lang: Lang,
    group: &str,
    prefix: &str,
    c: &ComplaintTimeliness,
) -> Vec<Figure> {
    c.figures()
        .iter()
        .map(|&(field, value)| {
            let code = match field {
                "handled_within_48h" => "on_time",
                "handled_late" => "late",
                "open_overdue" => "overdue",
                "open_running" => "running",
                other => other,
            };
            figure(lang, group, &format!("{prefix}{code}"), value)
        })
        .collect()
}

/// The period of the query, or the default one with the error in the reader's language.
fn resolve(lang: Lang, q: Result<Query<Period>, QueryRejection>) -> (i64, i64, Option<String>) {
    let p = q.map(|q| q.0).unwrap_or(Period {
        from: None,
        to: None,
    });
    let p = Period {
        from: p.from.filter(|s| !s.trim().is_empty()),
        to: p.to.filter(|s| !s.trim().is_empty()),
    };
    match transparency::period(&p) {
        Ok((from, to)) => (from, to, None),
        Err(_) => {
            let (from, to) = transparency::period(&Period {
                from: None,
                to: None,
            })
            .unwrap_or((0, DAY_MS));
            (from, to, Some(say(lang, "reports_transparency.bad_period")))
        }
    }
}

/// A stacked bar chart of the outcomes per week, one colour and one name per rule.
pub fn chart_svg(lang: Lang, report: &TransparencyReport) -> String {
    let series: Vec<(String, &str)> = report
        .by_rule
        .keys()
        .enumerate()
        .map(|(i, rule)| (rule.clone(), PALETTE[i % PALETTE.len()]))
        .collect();
    let bars: Vec<Bar> = report
        .weeks
        .iter()
        .map(|week| Bar {
            label: week.week_start[5..].to_string(),
            title: week.week_start.clone(),
            parts: week
                .by_rule
                .iter()
                .map(|(r, c)| (r.clone(), *c as i64))
                .collect(),
        })
        .collect();
    // Without its fixed width and height the chart scales to the page (its viewBox keeps the
    // proportions), so a phone shows it whole.
    stacked_bar_chart(
        &say(lang, "reports_transparency.chart_label"),
        &series,
        &bars,
    )
    .replacen(r#" width="640" height="260""#, "", 1)
}

pub async fn transparency_page(
    State(state): State<AppState>,
    frame: Frame,
    q: Result<Query<Period>, QueryRejection>,
) -> Response {
    let lang = frame.lang;
    let (from, to, error) = resolve(lang, q);
    let report = match state.service.transparency_report(from, to).await {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let rules: Vec<String> = report.by_rule.keys().cloned().collect();
    let week_rows = report
        .weeks
        .iter()
        .map(|w| {
            (
                w.week_start.clone(),
                rules
                    .iter()
                    .map(|r| w.by_rule.get(r).copied().unwrap_or(0))
                    .collect(),
            )
        })
        .collect();
    let g = "reports_transparency";
    let outcomes = vec![
        figure(lang, g, "outcomes", report.decisions),
        figure(lang, g, "recorded", report.decisions_recorded),
        figure(lang, g, "automated_detection", report.automated_detection),
        figure(lang, g, "automated_decision", report.automated_decision),
    ];
    let a = &report.appeals;
    let appeals = vec![
        figure(lang, g, "appeals_decided", a.decided),
        figure(lang, g, "appeals_upheld", a.upheld),
        figure(lang, g, "appeals_overturned", a.overturned),
    ];
    let t = &report.takedowns;
    let takedowns = vec![
        figure(lang, g, "takedowns_received", t.received),
        figure(lang, g, "takedowns_on_time", t.completed_within_24h),
        figure(lang, g, "takedowns_late", t.completed_late),
        figure(lang, g, "takedowns_overdue", t.open_overdue),
    ];
    let complaints = complaint_figures(lang, g, "complaints_", &report.complaints);
    let owner_complaints = complaint_figures(
        lang,
        "reports_owner_figures",
        "",
        &report.complaints_to_page_owners,
    );
    let by_rule = report
        .by_rule
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let by_action = report
        .by_action
        .iter()
        .map(|(k, v)| (lang_name_action(lang, k), *v))
        .collect();
    let by_category = report
        .by_category
        .iter()
        .map(|(k, v)| (lang_name_category(lang, k), *v))
        .collect();
    let to_inclusive = format_date(to - DAY_MS);
    let query = format!("from={}&to={}", report.from, to_inclusive);
    let chart = chart_svg(lang, &report);
    let page = TransparencyPage {
        frame,
        to_inclusive,
        error: error.clone(),
        chart,
        rules,
        week_rows,
        outcomes,
        by_rule,
        by_action,
        by_category,
        appeals,
        takedowns,
        complaints,
        owner_complaints,
        query,
        report,
    };
    let response = render(&page);
    if error.is_some() {
        (StatusCode::BAD_REQUEST, response).into_response()
    } else {
        response
    }
}

fn period_or_error(p: &Period) -> Result<(i64, i64), Box<Response>> {
    transparency::period(p).map_err(|e| Box::new(e.into_response()))
}

/// `GET /transparency.json?from=&to=`: the same report as the page, as a download.
pub async fn download_json(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<Period>,
) -> Response {
    let (from, to) = match period_or_error(&p) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match state.service.transparency_report(from, to).await {
        Ok(r) => {
            let name = format!(
                "attachment; filename=\"transparency-{}-{}.json\"",
                r.from,
                format_date(to - DAY_MS)
            );
            ([(header::CONTENT_DISPOSITION, name)], Json(r)).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The report as CSV rows `section,key,value` (UTF-8 with BOM), every figure of the page.
pub fn report_csv(r: &TransparencyReport) -> String {
    let mut rows: Vec<(String, String, String)> = vec![
        ("period".into(), "from".into(), r.from.clone()),
        (
            "period".into(),
            "to_inclusive".into(),
            parse_date(&r.to)
                .map(|t| format_date(t - DAY_MS))
                .unwrap_or_default(),
        ),
        (
            "outcomes".into(),
            "cases_decided".into(),
            r.decisions.to_string(),
        ),
        (
            "outcomes".into(),
            "decisions_recorded".into(),
            r.decisions_recorded.to_string(),
        ),
        (
            "outcomes".into(),
            "automated_detection".into(),
            r.automated_detection.to_string(),
        ),
        (
            "outcomes".into(),
            "automated_decision".into(),
            r.automated_decision.to_string(),
        ),
    ];
    for (k, v) in &r.by_rule {
        rows.push(("by_rule".into(), k.clone(), v.to_string()));
    }
    for (k, v) in &r.by_category {
        rows.push(("by_category".into(), k.clone(), v.to_string()));
    }
    for (k, v) in &r.by_action {
        rows.push(("by_action".into(), k.clone(), v.to_string()));
    }
    for w in &r.weeks {
        rows.push(("week".into(), w.week_start.clone(), w.total.to_string()));
    }
    let a = &r.appeals;
    let t = &r.takedowns;
    for (s, k, v) in [
        ("appeals", "decided", a.decided),
        ("appeals", "upheld", a.upheld),
        ("appeals", "overturned", a.overturned),
        ("takedowns", "received", t.received),
        ("takedowns", "completed_within_24h", t.completed_within_24h),
        ("takedowns", "completed_late", t.completed_late),
        ("takedowns", "open_overdue", t.open_overdue),
    ] {
        rows.push((s.into(), k.into(), v.to_string()));
    }
    for (section, c) in [
        ("complaints", &r.complaints),
        ("page_owner_complaints", &r.complaints_to_page_owners),
    ] {
        for (k, v) in c.figures() {
            rows.push((section.into(), k.into(), v.to_string()));
        }
    }
    rows.push(("period".into(), "truncated".into(), r.truncated.to_string()));
    let mut out = String::from("\u{feff}section,key,value\r\n");
    for (s, k, v) in rows {
        out.push_str(&format!("{s},{k},{v}\r\n"));
    }
    out
}

/// `GET /transparency.csv?from=&to=`: the same report as CSV.
pub async fn download_csv(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<Period>,
) -> Response {
    let (from, to) = match period_or_error(&p) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match state.service.transparency_report(from, to).await {
        Ok(r) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"transparency-{}-{}.csv\"",
                        r.from,
                        format_date(to - DAY_MS)
                    ),
                ),
            ],
            report_csv(&r),
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
