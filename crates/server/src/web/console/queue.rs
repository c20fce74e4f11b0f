//! The queue: filters, search, sort, counts per status and paging (one bounded store query
//! through `Service::case_queue`), overdue takedowns first and said in words, and bulk
//! decisions over the selected cases with one statement of reasons.

use super::{refusal, refusal_of, snippet, span, when, who};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::frame::Frame;
use crate::web::render;
use crate::web::session::Csrf;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quytac_core::finding::{Category, Verdict};
use quytac_core::workflow::{Action, CaseSource, CaseStatus};
use quytac_service::console::{BulkDecide, CaseQuery};
use quytac_service::moderation::Decide;
use quytac_store::console::CaseSort;
use serde::Deserialize;

/// The queue's query string, read as text so that a bad value is told, not a bare 400.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    /// `yes` or `no`.
    #[serde(default)]
    reports: Option<String>,
    /// `me`, `none` or an actor's name.
    #[serde(default)]
    assignee: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub post: String,
    pub author: String,
    pub status: String,
    pub source: String,
    pub verdict: String,
    pub verdict_code: String,
    pub snippet: String,
    pub age: String,
    pub opened: String,
    pub deadline: String,
    pub overdue: bool,
    pub reports: i64,
    pub assignee: String,
}

/// A choice of a filter's select: its value, its words, whether it is chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Count {
    pub label: String,
    pub count: i64,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    frame: Frame,
    csrf: String,
    heading: String,
    counts: Vec<Count>,
    statuses: Vec<Choice>,
    sources: Vec<Choice>,
    rules: Vec<Choice>,
    categories: Vec<Choice>,
    severities: Vec<Choice>,
    reports: Vec<Choice>,
    assignees: Vec<Choice>,
    sorts: Vec<Choice>,
    q: String,
    rows: Vec<Row>,
    total: i64,
    /// More cases match than the queue counts: `total` is "more than".
    total_capped: bool,
    page: i64,
    pages: i64,
    prev: String,
    next: String,
    here: String,
    bulk_rules: Vec<Choice>,
    bulk_categories: Vec<Choice>,
    bulk_actions: Vec<Choice>,
    error: String,
    /// The outcome of a bulk decision, one line per case.
    results: Vec<(i64, bool, String)>,
}

fn choices<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> String,
    label: impl Fn(T) -> String,
    chosen: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|t| {
            let v = value(*t);
            Choice {
                selected: v == chosen,
                label: label(*t),
                value: v,
            }
        })
        .collect()
}

/// `""` and "every" first, then the choices.
fn with_any(frame: &Frame, mut list: Vec<Choice>) -> Vec<Choice> {
    let any_selected = !list.iter().any(|c| c.selected);
    list.insert(
        0,
        Choice {
            value: String::new(),
            label: frame.say("console_queue.any"),
            selected: any_selected,
        },
    );
    list
}

fn parse<T: std::str::FromStr>(v: &Option<String>, bad: &mut Vec<String>, name: &str) -> Option<T> {
    let v = v.as_deref().filter(|s| !s.is_empty())?;
    match v.parse() {
        Ok(t) => Some(t),
        Err(_) => {
            bad.push(name.to_string());
            None
        }
    }
}

pub async fn queue_page(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    queue_response(&state, frame, &caller, csrf, q, String::new(), Vec::new()).await
}

async fn queue_response(
    state: &AppState,
    frame: Frame,
    caller: &Caller,
    csrf: String,
    q: QueueQuery,
    mut error: String,
    results: Vec<(i64, bool, String)>,
) -> Response {
    let lang = frame.lang;
    let mut bad = Vec::new();
    // No status asked for: the open cases, as before.
    let status: Option<CaseStatus> = match q.status.as_deref() {
        None => Some(CaseStatus::Open),
        Some("all") => None,
        Some(_) => parse(&q.status, &mut bad, "status"),
    };
    let source: Option<CaseSource> = parse(&q.source, &mut bad, "source");
    let category: Option<Category> = parse(&q.category, &mut bad, "category");
    let severity: Option<Verdict> = parse(&q.severity, &mut bad, "severity");
    let sort: CaseSort = parse(&q.sort, &mut bad, "sort").unwrap_or_default();
    let page: i64 = parse(&q.page, &mut bad, "page").unwrap_or(1);
    let has_reports = match q.reports.as_deref() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    let assignee = match q.assignee.as_deref() {
        None | Some("") => None,
        Some("me") => Some(caller.name()),
        Some("none") => Some(String::new()),
        Some(a) => Some(a.to_string()),
    };
    let rule = q.rule.clone().filter(|r| !r.is_empty());
    if !bad.is_empty() {
        error = format!(
            "{} ({})",
            frame.say("console_error.bad_filter"),
            bad.join(", ")
        );
    }
    let query = CaseQuery {
        status,
        source,
        rule: rule.clone(),
        category,
        severity,
        has_reports,
        assignee,
        search: q.q.clone(),
        sort,
        page,
        page_size: 0,
    };
    let (queue, status_code) = match state.service.case_queue(query).await {
        Ok(queue) => (queue, StatusCode::OK),
        Err(e) if e.kind == quytac_service::ErrorKind::DatabaseUnavailable => {
            return ApiError::from(e).into_response()
        }
        Err(e) => {
            error = refusal(lang, &e);
            let empty = CaseQuery {
                status,
                ..CaseQuery::default()
            };
            match state.service.case_queue(empty).await {
                Ok(mut queue) => {
                    queue.cases.clear();
                    queue.total = 0;
                    queue.total_capped = false;
                    (queue, StatusCode::BAD_REQUEST)
                }
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
    };
    let now = quytac_store::now_ms();
    let rows: Vec<Row> = queue
        .cases
        .iter()
        .map(|c| {
            let s = &c.case.summary;
            Row {
                id: s.case.id,
                post: s.external_id.clone(),
                author: s
                    .author_id
                    .as_deref()
                    .map(|a| who(lang, a))
                    .unwrap_or_default(),
                status: frame.code("case_status", s.case.status.as_str()),
                source: frame.code("console_source", s.case.source.as_str()),
                verdict: frame.code("verdict", s.case.verdict.as_str()),
                verdict_code: s.case.verdict.as_str().into(),
                snippet: snippet(&s.text, 120),
                age: span(lang, now - s.case.opened_at),
                opened: when(s.case.opened_at),
                deadline: c.case.takedown_deadline.map(when).unwrap_or_default(),
                overdue: c.takedown_overdue,
                reports: c.case.report_count,
                assignee: c
                    .case
                    .assignee
                    .as_deref()
                    .map(|a| who(lang, a))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let status_word = status.map_or("all".to_string(), |s| s.as_str().to_string());
    // The link of a page or a status: this query with one parameter changed.
    let link = |status: &str, page: i64| {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        pairs.append_pair("status", status);
        for (k, v) in [
            ("source", &q.source),
            ("rule", &q.rule),
            ("category", &q.category),
            ("severity", &q.severity),
            ("reports", &q.reports),
            ("assignee", &q.assignee),
            ("q", &q.q),
            ("sort", &q.sort),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                pairs.append_pair(k, v);
            }
        }
        if page > 1 {
            pairs.append_pair("page", &page.to_string());
        }
        format!("/console/cases?{}", pairs.finish())
    };
    let mut counts: Vec<Count> = queue
        .counts
        .iter()
        .map(|c| Count {
            label: frame.code("case_status", c.status.as_str()),
            count: c.count,
            href: link(c.status.as_str(), 1),
            current: status == Some(c.status),
        })
        .collect();
    counts.push(Count {
        label: frame.say("console_queue.all"),
        count: queue.counts.iter().map(|c| c.count).sum(),
        href: link("all", 1),
        current: status.is_none(),
    });
    let pages = ((queue.total + queue.page_size - 1) / queue.page_size).max(1);
    let pack = state.service.engine().pack();
    // The bulk form suggests the first case's first finding.
    let first = queue
        .cases
        .first()
        .and_then(|c| c.case.summary.result["findings"].get(0).cloned());
    let suggested_rule = first
        .as_ref()
        .and_then(|f| f["rule"].as_str().map(str::to_string))
        .unwrap_or_default();
    let suggested_category = first
        .as_ref()
        .and_then(|f| f["category"].as_str().map(str::to_string))
        .unwrap_or_default();
    let heading = format!(
        "{} ({})",
        frame.say("console_queue.title"),
        status.map_or(frame.say("console_queue.all"), |s| frame
            .code("case_status", s.as_str()))
    );
    let page_html = QueuePage {
        csrf,
        heading,
        counts,
        statuses: {
            let mut list = choices(
                CaseStatus::ALL,
                |s| s.as_str().into(),
                |s| frame.code("case_status", s.as_str()),
                &status_word,
            );
            list.push(Choice {
                value: "all".into(),
                label: frame.say("console_queue.all"),
                selected: status.is_none(),
            });
            list
        },
        sources: with_any(
            &frame,
            choices(
                CaseSource::ALL,
                |s| s.as_str().into(),
                |s| frame.code("console_source", s.as_str()),
                q.source.as_deref().unwrap_or(""),
            ),
        ),
        rules: with_any(
            &frame,
            pack.rules
                .iter()
                .map(|r| Choice {
                    selected: rule.as_deref() == Some(r.id.as_str()),
                    label: format!("{} — {}", r.id, snippet(&r.message_vi, 40)),
                    value: r.id.clone(),
                })
                .collect(),
        ),
        categories: with_any(
            &frame,
            choices(
                &Category::ALL,
                |c| c.as_str().into(),
                |c| frame.code("console_category", c.as_str()),
                q.category.as_deref().unwrap_or(""),
            ),
        ),
        severities: with_any(
            &frame,
            choices(
                &[Verdict::Violation, Verdict::Review, Verdict::Pass],
                |v| v.as_str().into(),
                |v| frame.code("verdict", v.as_str()),
                q.severity.as_deref().unwrap_or(""),
            ),
        ),
        reports: with_any(
            &frame,
            choices(
                &["yes", "no"],
                |v| v.into(),
                |v| frame.say(&format!("console_queue.reports_{v}")),
                q.reports.as_deref().unwrap_or(""),
            ),
        ),
        assignees: with_any(
            &frame,
            choices(
                &["me", "none"],
                |v| v.into(),
                |v| frame.say(&format!("console_queue.assignee_{v}")),
                q.assignee.as_deref().unwrap_or(""),
            ),
        ),
        sorts: choices(
            &CaseSort::ALL,
            |s| s.as_str().into(),
            |s| frame.say(&format!("console_sort.{}", s.as_str())),
            sort.as_str(),
        ),
        q: q.q.clone().unwrap_or_default(),
        rows,
        total: queue.total,
        total_capped: queue.total_capped,
        page: queue.page,
        pages,
        prev: if queue.page > 1 {
            link(&status_word, queue.page - 1)
        } else {
            String::new()
        },
        next: if queue.page < pages {
            link(&status_word, queue.page + 1)
        } else {
            String::new()
        },
        here: link(&status_word, queue.page),
        bulk_rules: pack
            .rules
            .iter()
            .map(|r| Choice {
                selected: r.id == suggested_rule,
                label: format!("{} — {}", r.id, snippet(&r.message_vi, 40)),
                value: r.id.clone(),
            })
            .collect(),
        bulk_categories: choices(
            &Category::ALL,
            |c| c.as_str().into(),
            |c| frame.code("console_category", c.as_str()),
            &suggested_category,
        ),
        bulk_actions: choices(
            Action::ALL,
            |a| a.as_str().into(),
            |a| frame.code("console_action", a.as_str()),
            "",
        ),
        error,
        results,
        frame,
    };
    (status_code, render(&page_html)).into_response()
}

/// The bulk form's body: repeated `case_ids`, one decision, and where to come back to.
fn bulk_form(body: &[u8]) -> (Vec<String>, std::collections::HashMap<String, String>) {
    let mut ids = Vec::new();
    let mut fields = std::collections::HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if k == "case_ids" {
            ids.push(v.into_owned());
        } else {
            fields.insert(k.into_owned(), v.into_owned());
        }
    }
    (ids, fields)
}

/// `POST /console/cases/bulk`: one decision for the selected cases; the queue again with a
/// line per case saying whether it was decided.
pub async fn bulk_decide(
    State(state): State<AppState>,
    frame: Frame,
    caller: Caller,
    Csrf(csrf): Csrf,
    body: axum::body::Bytes,
) -> Response {
    let lang = frame.lang;
    let (ids, fields) = bulk_form(&body);
    let back: QueueQuery = fields
        .get("back")
        .and_then(|b| b.split_once('?'))
        .and_then(|(_, query)| serde_urlencoded_query(query))
        .unwrap_or_default();
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let case_ids: Result<Vec<i64>, _> = ids.iter().map(|i| i.parse::<i64>()).collect();
    let (Ok(case_ids), Ok(category), Ok(action)) = (
        case_ids,
        field("category").parse::<Category>(),
        field("action").parse::<Action>(),
    ) else {
        let error = frame.say("console_error.bad_form");
        let mut r = queue_response(&state, frame, &caller, csrf, back, error, vec![]).await;
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    };
    if case_ids.is_empty() {
        let error = frame.say("console_error.none_selected");
        let mut r = queue_response(&state, frame, &caller, csrf, back, error, vec![]).await;
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    }
    let cmd = BulkDecide {
        case_ids,
        decision: Decide {
            rule: field("rule"),
            category,
            action,
            statement: field("statement"),
            automated_decision: false,
        },
    };
    match state.service.decide_many(&caller, cmd).await {
        Ok(out) => {
            let results = out
                .results
                .iter()
                .map(|r| match &r.error {
                    None => (r.case_id, true, frame.say("console_bulk.decided")),
                    Some(message) => {
                        let e = ApiError::from(quytac_service::ServiceError::new(
                            kind_of(r.error_kind.as_deref()),
                            message.clone(),
                        ));
                        (r.case_id, false, refusal_of(lang, &e))
                    }
                })
                .collect();
            queue_response(&state, frame, &caller, csrf, back, String::new(), results).await
        }
        Err(e) => {
            let error = refusal(lang, &e);
            let mut r = queue_response(&state, frame, &caller, csrf, back, error, vec![]).await;
            *r.status_mut() = ApiError::from(e).code.status();
            r
        }
    }
}

fn serde_urlencoded_query(query: &str) -> Option<QueueQuery> {
    let mut q = QueueQuery::default();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "status" => q.status = v,
            "source" => q.source = v,
            "rule" => q.rule = v,
            "category" => q.category = v,
            "severity" => q.severity = v,
            "reports" => q.reports = v,
            "assignee" => q.assignee = v,
            "q" => q.q = v,
            "sort" => q.sort = v,
            "page" => q.page = v,
            _ => {}
        }
    }
    Some(q)
}

/// The kind a bulk item's error was reported under.
fn kind_of(kind: Option<&str>) -> quytac_service::ErrorKind {
    use quytac_service::ErrorKind::*;
    match kind.unwrap_or("") {
        "not_found" => NotFound,
        "forbidden" => Forbidden,
        "conflict" => Conflict,
        "same_moderator" => SameModerator,
        "invalid_field" => InvalidField,
        "unknown_rule" => UnknownRule,
        "rule_not_applicable" => RuleNotApplicable,
        _ => Internal,
    }
}
