//! `POST /v1/integrations/mastodon`: Mastodon webhook deliveries. Mastodon signs each body
//! with the webhook's secret: `X-Hub-Signature: sha256=<hex HMAC-SHA256>`. Statuses are
//! ingested as posts (`mastodon:status:<id>`, author `mastodon:<acct>`), reports as reports on
//! those posts, and account updates are checked as profiles.

use super::after_write;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{body_bytes, parse_json};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::Json;
use hmac::{Hmac, Mac};
use quytac_core::item::{Author, Item, Post, Profile};
use quytac_service::moderation::ReportPost;
use quytac_service::posts::PostSource;
use quytac_store::audit::NewEvent;
use serde_json::{json, Value};
use sha2::Sha256;

const ACTOR: &str = "integration:mastodon";

/// Checks `sha256=<hex>` against the HMAC of the body, in constant time.
pub fn signature_ok(secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Mastodon's HTML status content as plain text: the core's conversion, which decodes every
/// named and numeric character reference ("b&#7855;c" is "bắc").
pub fn html_to_text(html: &str) -> String {
    quytac_core::text::html::html_to_text(html)
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A Mastodon Status entity as a post item.
fn status_item(status: &Value) -> ApiResult<Item> {
    let id =
        str_of(&status["id"]).ok_or_else(|| ApiError::invalid_field("the status has no `id`"))?;
    let acct =
        str_of(&status["account"]["acct"]).or_else(|| str_of(&status["account"]["username"]));
    let mut text = html_to_text(status["content"].as_str().unwrap_or(""));
    if let Some(cw) = status["spoiler_text"].as_str().filter(|s| !s.is_empty()) {
        text = format!("{cw}\n{text}");
    }
    Ok(Item::Post(Post {
        id: format!("mastodon:status:{id}"),
        text,
        author: Author {
            id: acct.map(|a| format!("mastodon:{a}")),
            ..Author::default()
        },
        engages: None,
        links: Vec::new(),
    }))
}

pub async fn webhook(State(state): State<AppState>, req: Request) -> ApiResult<Json<Value>> {
    let Some(secret) = state.config.mastodon_secret.clone() else {
        return Err(ApiError::new(
            Code::IntegrationNotConfigured,
            "no Mastodon webhook secret is configured",
        ));
    };
    let header = req
        .headers()
        .get("x-hub-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = body_bytes(req, &state).await?;
    if !signature_ok(&secret, header.as_deref(), &body) {
        return Err(ApiError::new(
            Code::BadSignature,
            "X-Hub-Signature does not match the body",
        ));
    }
    let payload: Value = parse_json(&body)?;
    let event = payload["event"].as_str().unwrap_or("").to_string();
    let object = &payload["object"];
    if !object.is_object() {
        return Err(ApiError::invalid_field("the delivery has no `object`"));
    }
    match event.as_str() {
        "status.created" | "status.updated" => {
            let item = status_item(object)?;
            if let Some(pipeline) = &state.pipeline {
                let queued = pipeline.publisher.publish(&item, PostSource::Mastodon, ACTOR).await?;
                return Ok(Json(json!({"event": event, "queued": [queued]})));
            }
            let out = state.service.ingest(ACTOR, item, PostSource::Mastodon).await?;
            Ok(Json(json!({"event": event, "ingested": [out]})))
        }
        "report.created" => {
            let reporter = str_of(&object["account"]["username"]).map(|u| format!("mastodon:{u}")).unwrap_or_else(|| ACTOR.into());
            let note = [object["category"].as_str(), object["comment"].as_str()]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(": ");
            let mut ingested = Vec::new();
            let mut reports = Vec::new();
            for status in object["statuses"].as_array().into_iter().flatten() {
                let item = status_item(status)?;
                let post_id = item.id().to_string();
                ingested.push(state.service.ingest(ACTOR, item, PostSource::Mastodon).await?);
                let filed = state
                    .service
                    .report_as(&reporter, ReportPost { post_id, category: None, note: note.clone() })
                    .await?;
                reports.push(filed);
            }
            if reports.is_empty() {
                // A report about an account without statuses: kept on record for a person.
                let events = state
                    .store
                    .record_event(NewEvent::new(ACTOR, "mastodon.account_reported", format!("mastodon:{}", str_of(&object["target_account"]["username"]).unwrap_or_default()), json!({"reporter": reporter, "note": note})))
                    .await?;
                after_write(&state, &events).await;
            }
            Ok(Json(json!({"event": event, "ingested": ingested, "reports": reports})))
        }
        "account.updated" => {
            let username = str_of(&object["username"]).ok_or_else(|| ApiError::invalid_field("the account has no `username`"))?;
            let profile = Item::Profile(Profile {
                id: format!("mastodon:{username}"),
                display_name: object["account"]["display_name"].as_str().map(str::to_string),
                bio: object["account"]["note"].as_str().map(html_to_text),
                ..Profile::default()
            });
            let result = state.service.check(&profile);
            let events = state
                .store
                .record_event(NewEvent::new(ACTOR, "mastodon.account_updated", format!("mastodon:{username}"), json!({"verdict": result.verdict})))
                .await?;
            after_write(&state, &events).await;
            Ok(Json(json!({"event": event, "result": result})))
        }
        other => Err(ApiError::new(Code::UnknownEvent, format!("unsupported event `{other}` (status.created, status.updated, report.created, account.updated)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let s = sign("k", b"body");
        assert!(signature_ok("k", Some(&s), b"body"));
        assert!(!signature_ok("k", Some(&s), b"bodz"));
        assert!(!signature_ok("j", Some(&s), b"body"));
        assert!(!signature_ok("k", None, b"body"));
        assert!(!signature_ok("k", Some("sha256=zz"), b"body"));
    }

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            html_to_text("<p>Xin ch&agrave;o</p><p>a &amp; b<br>c</p>"),
            "Xin chào\na & b\nc"
        );
        assert_eq!(html_to_text("<p>b&#7855;c k&#7923;</p>"), "bắc kỳ");
        assert_eq!(html_to_text("a < b"), "a < b");
    }
}
