//! AG-6: public consultations on draft policies.
//!
//! The flow: an agency officer opens a consultation (title, summary, optional draft text and
//! document number, closing time). Citizens — and anyone with a token — comment until it
//! closes; a comment after the closing time is refused (`409 consultation_closed`). Each
//! comment passes the content checks as a citizen's post and is stored twice, as written and
//! with its personal data masked; only the masked text is ever shown or exported.
//!
//! **Decision:** a comment with a `violation` other than personal data (hate, violence,
//! discrimination, secrets…) is *stored but withheld*: it is not published, the commenter is
//! told so and why, and the agency still sees it (masked, flagged `published = no`) in the CSV
//! export, so no citizen's input silently disappears. Personal data alone never withholds a
//! comment: masking remedies it (AG-5). `review` findings (e.g. rude words) do not withhold.
//!
//! Opening a consultation, its summary and its export are for admins and the agency's own
//! officers (a token bound to the agency, as for every act of an agency:
//! `identity::act_for`).
//!
//! Each comment has a stance — support, oppose or suggest — chosen by the commenter or, when
//! not given, read by the classifier of `quytac_core::agency::stance` (the source is kept).
//! The summary counts published comments by stance with the most frequent points of each
//! group (`quytac_core::agency::points`); the CSV export has one line per comment, times in
//! Asia/Ho_Chi_Minh.

use super::after_write;
use super::identity::act_for;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::vn_time::vn_string;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use quytac_core::agency::{classify_stance, frequent_points, CivilDate, DateTimeVn, Stance};
use quytac_core::finding::{Category, Severity};
use quytac_core::item::{Author, Item, Post, Role as AuthorRole};
use quytac_store::consultations::{
    Consultation, ConsultationComment, NewConsultation, NewConsultationComment,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// The longest comment, in characters.
const MAX_COMMENT: usize = 5000;
/// The longest a consultation may run, and the furthest ahead it may open.
const MAX_OPEN_MS: i64 = 366 * 24 * 3600 * 1000;
const MAX_TITLE: usize = 300;
const MAX_SUMMARY: usize = 5000;
/// Points shown per stance group.
const POINTS_PER_STANCE: usize = 5;

// ---- times ---------------------------------------------------------------------------------

/// A time as clients may send it: Unix milliseconds, or text — `YYYY-MM-DD` (the end of that
/// day in Vietnam), `YYYY-MM-DDTHH:MM[:SS]` (Vietnam time), or either with `Z` / `±HH:MM`.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum TimeField {
    Ms(i64),
    Text(String),
}

/// Unix ms of a [`TimeField`].
pub fn parse_time(field: &str, t: &TimeField) -> ApiResult<i64> {
    let bad = || {
        ApiError::invalid_field(format!(
            "`{field}`: expected Unix milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM (Vietnam time unless an offset is given)"
        ))
    };
    let s = match t {
        TimeField::Ms(ms) if *ms > 0 => return Ok(*ms),
        TimeField::Ms(_) => return Err(bad()),
        TimeField::Text(s) => s.trim(),
    };
    let num = |x: &str| {
        x.parse::<u32>()
            .ok()
            .filter(|_| x.bytes().all(|b| b.is_ascii_digit()))
    };
    let (date, rest) = s.split_at(s.find('T').unwrap_or(s.len()));
    let mut d = date.split('-');
    let (Some(y), Some(m), Some(dd), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return Err(bad());
    };
    let (Some(y), Some(m), Some(dd)) = (num(y), num(m), num(dd)) else {
        return Err(bad());
    };
    let date = CivilDate::new(y as i32, m, dd).map_err(|_| bad())?;
    if rest.is_empty() {
        // The whole day counts: closes at the next midnight, Vietnam time.
        let next = date.add_days(1).ok_or_else(bad)?;
        return Ok(DateTimeVn::new(next, 0, 0).map_err(|_| bad())?.to_unix() * 1000);
    }
    let rest = &rest[1..];
    let (clock, offset_min) = if let Some(c) = rest.strip_suffix('Z') {
        (c, Some(0i64))
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, o) = rest.split_at(i);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (oh, om) = o[1..].split_once(':').ok_or_else(bad)?;
        let (oh, om) = (num(oh).ok_or_else(bad)?, num(om).ok_or_else(bad)?);
        (c, Some(sign * i64::from(oh * 60 + om)))
    } else {
        (rest, None)
    };
    let mut parts = clock.split(':');
    let (Some(h), Some(mi)) = (parts.next().and_then(num), parts.next().and_then(num)) else {
        return Err(bad());
    };
    let sec = match parts.next() {
        Some(x) => num(x).filter(|s| *s < 60).ok_or_else(bad)?,
        None => 0,
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    let local = DateTimeVn::new(date, h, mi).map_err(|_| bad())?.to_unix();
    // `local` read the clock as Vietnam time (UTC+7); another offset shifts it.
    let secs = match offset_min {
        None => local,
        Some(off) => local + 7 * 3600 - off * 60,
    };
    Ok((secs + i64::from(sec)) * 1000)
}

/// Whether a consultation takes comments at `now`: `scheduled`, `open`, `closed` or
/// `withdrawn`.
pub fn status_at(c: &Consultation, now: i64) -> &'static str {
    quytac_store::consultations::status_at(c.status, c.opens_at, c.closes_at, now).as_str()
}

// ---- views ---------------------------------------------------------------------------------

pub fn consultation_view(c: &Consultation, now: i64) -> Value {
    json!({
        "id": c.id,
        "agency_id": c.agency_id,
        "title": c.title,
        "summary": c.summary,
        "draft_text": c.draft_text,
        "document_number": c.document_number,
        "opens_at": c.opens_at,
        "opens_at_local": vn_string(c.opens_at),
        "closes_at": c.closes_at,
        "closes_at_local": vn_string(c.closes_at),
        "status": status_at(c, now),
        "created_at": c.created_at,
    })
}

/// A comment as the public sees it: masked text, no author, no findings.
pub fn comment_view(k: &ConsultationComment) -> Value {
    json!({
        "id": k.id,
        "text": k.masked_text,
        "stance": k.stance,
        "stance_source": k.stance_source,
        "created_at": k.created_at,
        "created_at_local": vn_string(k.created_at),
    })
}

/// What was found in a comment, never where or the words (those may be personal data).
fn findings_view(check: &Value) -> Value {
    let findings: Vec<Value> = check["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| json!({"rule": f["rule"], "category": f["category"], "severity": f["severity"]}))
                .collect()
        })
        .unwrap_or_default();
    json!(findings)
}

async fn load(state: &AppState, id: i64) -> ApiResult<Consultation> {
    state
        .store
        .consultation(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("consultation {id} not found")))
}

fn check_text(field: &str, text: &str, max: usize, required: bool) -> ApiResult<()> {
    if required && text.trim().is_empty() {
        return Err(ApiError::invalid_field(format!(
            "`{field}` must not be empty"
        )));
    }
    if text.chars().count() > max {
        return Err(ApiError::invalid_field(format!(
            "`{field}` is longer than {max} characters"
        )));
    }
    Ok(())
}

// ---- endpoints -----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultationBody {
    pub title: String,
    pub summary: String,
    pub closes_at: TimeField,
    #[serde(default)]
    pub opens_at: Option<TimeField>,
    #[serde(default)]
    pub draft_text: Option<String>,
    #[serde(default)]
    pub document_number: Option<String>,
}

/// `POST /v1/agencies/{id}/consultations`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(agency_id): ApiPath<String>,
    ApiJson(b): ApiJson<ConsultationBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let now = quytac_store::now_ms();
    check_text("title", &b.title, MAX_TITLE, true)?;
    check_text("summary", &b.summary, MAX_SUMMARY, true)?;
    let closes_at = parse_time("closes_at", &b.closes_at)?;
    let opens_at = match &b.opens_at {
        Some(t) => parse_time("opens_at", t)?,
        None => now,
    };
    if closes_at <= now {
        return Err(ApiError::invalid_field("`closes_at` must be in the future"));
    }
    if closes_at <= opens_at {
        return Err(ApiError::invalid_field(
            "`closes_at` must be after `opens_at`",
        ));
    }
    if closes_at - opens_at > MAX_OPEN_MS || opens_at - now > MAX_OPEN_MS {
        return Err(ApiError::invalid_field(
            "a consultation opens within a year and runs for at most a year",
        ));
    }
    if state.store.agency(&agency_id).await?.is_none() {
        return Err(ApiError::not_found(format!("no agency `{agency_id}`")));
    }
    act_for(&state, &caller, &agency_id).await?;
    let (c, events) = state
        .store
        .create_consultation(
            &NewConsultation {
                agency_id,
                title: b.title.trim().to_string(),
                summary: b.summary.trim().to_string(),
                draft_text: b.draft_text.filter(|t| !t.trim().is_empty()),
                document_number: b.document_number.filter(|t| !t.trim().is_empty()),
                opens_at,
                closes_at,
            },
            &caller.name(),
        )
        .await?;
    after_write(&state, &events).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({"consultation": consultation_view(&c, now)})),
    ))
}

/// `GET /v1/consultations/{id}`: the consultation and its published comments, masked.
pub async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let c = load(&state, id).await?;
    let all = state.store.consultation_comments(id, false).await?;
    let published: Vec<Value> = all
        .iter()
        .filter(|k| k.published)
        .map(comment_view)
        .collect();
    Ok(Json(json!({
        "consultation": consultation_view(&c, quytac_store::now_ms()),
        "comments": published,
        "withheld": all.len() - published.len(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub text: String,
    /// The commenter's own stance; when absent the classifier reads it from the text.
    #[serde(default)]
    pub stance: Option<Stance>,
}

/// `POST /v1/consultations/{id}/comments`.
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CommentBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let out = add_comment(&state, id, &caller.name(), &b.text, b.stance).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Checks, masks, reads the stance and stores a comment; shared with the demo.
pub async fn add_comment(
    state: &AppState,
    id: i64,
    actor: &str,
    text: &str,
    chosen: Option<Stance>,
) -> ApiResult<Value> {
    check_text("text", text, MAX_COMMENT, true)?;
    let c = load(state, id).await?;
    let now = quytac_store::now_ms();
    match status_at(&c, now) {
        "open" => {}
        "scheduled" => {
            return Err(ApiError::new(
                Code::ConsultationClosed,
                format!(
                    "consultation {id} opens at {} (Asia/Ho_Chi_Minh); comments are not accepted yet",
                    vn_string(c.opens_at)
                ),
            ))
        }
        status => {
            return Err(ApiError::new(
                Code::ConsultationClosed,
                format!(
                    "consultation {id} is {status}: it closed at {} (Asia/Ho_Chi_Minh) and no longer accepts comments",
                    vn_string(c.closes_at)
                ),
            ))
        }
    }
    let result = state.engine.check(&Item::Post(Post {
        id: format!("consultation-{id}-comment"),
        text: text.to_string(),
        author: Author {
            role: AuthorRole::Citizen,
            ..Author::default()
        },
        engages: None,
        links: Vec::new(),
    }));
    let withheld_for: Vec<String> = result
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Violation && f.category != Category::PersonalData)
        .map(|f| format!("{} ({})", f.rule, f.category))
        .collect();
    let masked = state.engine.mask_personal_data(text);
    let (stance, source) = match chosen {
        Some(s) => (s, "commenter"),
        None => (classify_stance(text).stance, "classifier"),
    };
    let check_json = json!({"verdict": result.verdict, "findings": result.findings});
    let (k, events) = state
        .store
        .add_consultation_comment(
            &NewConsultationComment {
                consultation_id: id,
                author: actor.to_string(),
                text: text.to_string(),
                masked_text: masked,
                stance: stance.as_str().into(),
                stance_source: source.into(),
                verdict: result.verdict.as_str().into(),
                check_json: check_json.to_string(),
                published: withheld_for.is_empty(),
            },
            now,
        )
        .await
        .map_err(|e| match e.kind {
            // Closed between the check above and the write.
            quytac_store::ErrorKind::Conflict => ApiError::new(Code::ConsultationClosed, e.message),
            _ => e.into(),
        })?;
    after_write(state, &events).await;
    let mut v = comment_view(&k);
    v["published"] = json!(k.published);
    v["verdict"] = json!(k.verdict);
    v["findings"] = findings_view(&k.check);
    if !k.published {
        v["withheld_because"] = json!(format!(
            "the comment breaks the code of conduct ({}); it is kept for the agency but not published",
            withheld_for.join(", ")
        ));
    }
    Ok(json!({"comment": v}))
}

/// `GET /v1/consultations/{id}/summary`: published comments counted by stance, with the most
/// frequent points of each group.
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let c = load(&state, id).await?;
    act_for(&state, &caller, &c.agency_id).await?;
    let all = state.store.consultation_comments(id, false).await?;
    let published: Vec<&ConsultationComment> = all.iter().filter(|k| k.published).collect();
    let groups: Vec<Value> = Stance::ALL
        .iter()
        .map(|s| {
            let group: Vec<&&ConsultationComment> = published
                .iter()
                .filter(|k| k.stance == s.as_str())
                .collect();
            let by_commenter = group
                .iter()
                .filter(|k| k.stance_source == "commenter")
                .count();
            let points = frequent_points(
                group.iter().map(|k| k.masked_text.as_str()),
                POINTS_PER_STANCE,
            );
            json!({
                "stance": s.as_str(),
                "name_vi": s.name_vi(),
                "count": group.len(),
                "chosen_by_commenter": by_commenter,
                "classified": group.len() - by_commenter,
                "points": points,
            })
        })
        .collect();
    Ok(Json(json!({
        "consultation": consultation_view(&c, quytac_store::now_ms()),
        "total": all.len(),
        "published": published.len(),
        "withheld": all.len() - published.len(),
        "by_stance": groups,
    })))
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe.
fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// `GET /v1/consultations/{id}/comments.csv`: every comment (withheld ones flagged), masked,
/// times in Asia/Ho_Chi_Minh. UTF-8 with a byte-order mark, so spreadsheets read the
/// Vietnamese letters.
pub async fn export_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let c = load(&state, id).await?;
    act_for(&state, &caller, &c.agency_id).await?;
    let comments = state.store.consultation_comments(id, false).await?;
    let failed = |e: csv::Error| ApiError::new(Code::Internal, format!("CSV export failed: {e}"));
    let mut w = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    w.write_record([
        "id",
        "created_at_asia_ho_chi_minh",
        "stance",
        "stance_source",
        "published",
        "verdict",
        "rules",
        "text_masked",
    ])
    .map_err(failed)?;
    for k in &comments {
        let rules: Vec<String> = k.check["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| {
                        Some(format!(
                            "{}:{}",
                            f["rule"].as_str()?,
                            f["category"].as_str()?
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        w.write_record([
            k.id.to_string(),
            vn_string(k.created_at),
            k.stance.clone(),
            k.stance_source.clone(),
            if k.published { "yes" } else { "no" }.to_string(),
            k.verdict.clone(),
            rules.join(" "),
            csv_safe(&k.masked_text),
        ])
        .map_err(failed)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::new(Code::Internal, format!("CSV export failed: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"consultation-{id}-comments.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- demo ----------------------------------------------------------------------------------

/// `quytac serve --demo`: one open consultation with a few comments, on the first agency (one
/// is registered when there is none).
pub async fn load_demo(state: &AppState) -> anyhow::Result<()> {
    let agency_id = match state.store.list_agencies().await?.into_iter().next() {
        Some(a) => a.id,
        None => {
            state
                .store
                .create_agency(
                    &quytac_store::model::NewAgency {
                        id: "so-tt-hn".into(),
                        name: "Sở Thông tin và Truyền thông Hà Nội".into(),
                        parent_id: None,
                        official_domain: None,
                        page_handle: None,
                        portal_feed_url: None,
                        response_working_days: 5,
                        responsible: Default::default(),
                    },
                    "demo",
                )
                .await?
                .id
        }
    };
    let now = quytac_store::now_ms();
    let (c, events) = state
        .store
        .create_consultation(
            &NewConsultation {
                agency_id,
                title: "Dự thảo quy định mức thu phí trông giữ xe tại bệnh viện công lập".into(),
                summary: "Lấy ý kiến người dân về mức thu phí trông giữ xe máy, ô tô tại các bệnh viện công lập trên địa bàn thành phố."
                    .into(),
                draft_text: None,
                document_number: Some("Dự thảo Quyết định sửa đổi Quyết định 44/2017/QĐ-UBND".into()),
                opens_at: now,
                closes_at: now + 30 * 24 * 3600 * 1000,
            },
            "demo",
        )
        .await?;
    after_write(state, &events).await;
    for (who, text, stance) in [
        ("citizen:demo-1", "Tôi đồng tình với dự thảo, phí trông giữ xe hiện nay quá tùy tiện.", None),
        ("citizen:demo-2", "Phản đối tăng phí trông giữ xe, người nhà bệnh nhân đã rất vất vả.", None),
        ("citizen:demo-3", "Đề nghị miễn phí trông giữ xe cho người nhà bệnh nhân nghèo. Liên hệ tôi: 0912 345 678.", None),
        ("citizen:demo-4", "Nên bổ sung quy định về phí trông giữ xe qua đêm.", Some(Stance::Suggest)),
    ] {
        add_comment(state, c.id, who, text, stance)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}
