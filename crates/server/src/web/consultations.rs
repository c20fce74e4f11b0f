//! The public page of a consultation on a draft policy (AG-6): what is proposed, until when
//! comments are taken (Vietnam time), how many comments support, oppose or suggest, and the
//! published comments with personal data masked. Commenting goes through the API
//! (`POST /v1/consultations/{id}/comments`).

use super::frame::Frame;
use super::render;
use crate::state::AppState;
use crate::vn_time::vn_display;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use quytac_core::agency::Stance;

pub struct CommentRow {
    pub id: i64,
    pub at: String,
    pub stance: &'static str,
    pub stance_class: &'static str,
    pub text: String,
}

pub struct StanceCount {
    pub name: &'static str,
    pub class: &'static str,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "consultation.html")]
struct ConsultationPage {
    frame: Frame,
    id: i64,
    title: String,
    summary: String,
    document_number: String,
    agency: String,
    status: &'static str,
    status_vi: &'static str,
    opens: String,
    closes: String,
    counts: Vec<StanceCount>,
    withheld: usize,
    comments: Vec<CommentRow>,
}

fn not_found(id: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(format!(
            "<p>Không có cuộc lấy ý kiến này / no such consultation: {}</p>",
            super::escape(id)
        )),
    )
        .into_response()
}

/// `GET /consultations/{id}`.
pub async fn page(State(state): State<AppState>, frame: Frame, Path(id): Path<String>) -> Response {
    let Ok(n) = id.parse::<i64>() else {
        return not_found(&id);
    };
    let (c, comments) = match state.service.consultation_with_comments(n).await {
        Ok(found) => found,
        Err(e) => match crate::error::ApiError::from(e) {
            e if e.code == crate::error::Code::NotFound => return not_found(&id),
            e => return e.into_response(),
        },
    };
    let agency = match state.store.agency(&c.agency_id).await {
        Ok(Some(a)) => a.name,
        _ => c.agency_id.clone(),
    };
    let published: Vec<_> = comments.iter().filter(|k| k.published).collect();
    let status = quytac_store::consultations::status_at(
        c.status,
        c.opens_at,
        c.closes_at,
        quytac_store::now_ms(),
    )
    .as_str();
    render(&ConsultationPage {
        frame,
        id: c.id,
        title: c.title.clone(),
        summary: c.summary.clone(),
        document_number: c.document_number.clone().unwrap_or_default(),
        agency,
        status,
        status_vi: match status {
            "open" => "đang lấy ý kiến",
            "scheduled" => "chưa bắt đầu",
            "closed" => "đã kết thúc",
            _ => "đã rút",
        },
        opens: vn_display(c.opens_at),
        closes: vn_display(c.closes_at),
        counts: Stance::ALL
            .iter()
            .map(|s| StanceCount {
                name: s.name_vi(),
                class: s.as_str(),
                count: published.iter().filter(|k| k.stance == *s).count(),
            })
            .collect(),
        withheld: comments.len() - published.len(),
        comments: published
            .iter()
            .map(|k| {
                let s = k.stance;
                CommentRow {
                    id: k.id,
                    at: vn_display(k.created_at),
                    stance: s.name_vi(),
                    stance_class: s.as_str(),
                    text: k.masked_text.clone(),
                }
            })
            .collect(),
    })
}
