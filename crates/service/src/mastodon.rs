//! Mastodon webhook deliveries (`status.created`, `status.updated`, `report.created`,
//! `account.updated`), taken once each. The HTTP adapter checks the signature; this takes the
//! signed payload.
//!
//! - **Replays outside a window are refused.** A delivery carries the time Mastodon created
//!   it (`created_at`, RFC 3339, inside the signed body); one created more than
//!   [`REPLAY_WINDOW_MS`] (one hour) ago, or more than [`FUTURE_SKEW_MS`] (five minutes) in
//!   the future, or without that time, is refused with `stale_delivery`. An hour covers
//!   Mastodon's first retries of a delivery that failed.
//! - **A delivery sent again changes nothing.** Each delivery is keyed by what it delivers —
//!   the event and the object's id (`status.created:<status id>`, `report.created:<report
//!   id>`), plus `edited_at` for `status.updated` (each edit is a new delivery) and the
//!   delivery's time for `account.updated` — and the key is claimed in the store before
//!   anything is written; a key already claimed answers `duplicate: true` and writes nothing:
//!   no second report, no second post (the store keeps one `posts` row per post id anyway).
//!   Keys are kept for the window, after which the delivery is refused by its time.
//!
//! Statuses become posts (`mastodon:status:<id>`, author `mastodon:<acct>`), reports become
//! reports on those posts, account updates are checked as profiles and recorded.

use crate::moderation::{ReportFiled, ReportPost};
use crate::posts::{Ingested, PostSource};
use crate::{ErrorKind, Result, Service, ServiceError};
use quytac_core::engine::CheckResult;
use quytac_core::identity::badge::parse_rfc3339;
use quytac_core::item::{Author, Item, Post, Profile};
use quytac_store::audit::NewEvent;
use serde::Serialize;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use utoipa::ToSchema;

/// The name the audit log records for the integration.
pub const ACTOR: &str = "integration:mastodon";
/// A delivery created longer ago than this is refused.
pub const REPLAY_WINDOW_MS: i64 = 60 * 60 * 1000;
/// A delivery dated further ahead than this (clock skew) is refused.
pub const FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;

/// What a delivery did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryTaken {
    pub event: String,
    /// The delivery was taken before: nothing was written this time.
    pub duplicate: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ingested: Vec<Ingested>,
    /// Ids of the statuses queued for the check pipeline's workers (`serve --nats`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queued: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<ReportFiled>,
    /// The profile check of an `account.updated` delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<CheckResult>,
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
fn status_item(status: &Value) -> Result<Item> {
    let id = str_of(&status["id"])
        .ok_or_else(|| ServiceError::invalid_field("the status has no `id`"))?;
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

/// When the delivery was created (Unix ms), if it is inside the replay window at `now`.
pub fn delivered_at(payload: &Value, now: i64) -> Result<i64> {
    let stale = |m: String| ServiceError::new(ErrorKind::StaleDelivery, m);
    let at = payload["created_at"]
        .as_str()
        .and_then(parse_rfc3339)
        .map(|s| s.saturating_mul(1000))
        .ok_or_else(|| stale("the delivery has no RFC 3339 `created_at`".into()))?;
    if at < now - REPLAY_WINDOW_MS {
        return Err(stale(format!(
            "the delivery was created more than {} minutes ago; replays are refused",
            REPLAY_WINDOW_MS / 60_000
        )));
    }
    if at > now + FUTURE_SKEW_MS {
        return Err(stale("the delivery is dated in the future".into()));
    }
    Ok(at)
}

/// The key a delivery is taken once by: the event and what it delivers.
pub fn delivery_key(event: &str, object: &Value, delivered_at: i64) -> Result<String> {
    let id = || {
        str_of(&object["id"])
            .ok_or_else(|| ServiceError::invalid_field(format!("the `{event}` object has no `id`")))
    };
    Ok(match event {
        "status.created" | "report.created" => format!("{event}:{}", id()?),
        "status.updated" => format!(
            "{event}:{}:{}",
            id()?,
            str_of(&object["edited_at"]).unwrap_or_else(|| delivered_at.to_string())
        ),
        _ => format!(
            "{event}:{}:{delivered_at}",
            str_of(&object["id"])
                .or_else(|| str_of(&object["username"]))
                .unwrap_or_default()
        ),
    })
}

/// Where a delivery's new or edited statuses go when the service runs the check pipeline: a
/// function that queues the item and answers its id once the queue holds it.
pub type StatusQueue<'a> =
    &'a (dyn Fn(Item) -> Pin<Box<dyn Future<Output = Result<String>> + Send + 'a>> + Send + Sync);

impl Service {
    /// Takes one signed webhook delivery: refuses it outside the replay window, claims its
    /// key, and ingests its statuses (or hands them to `queue`), files its report or checks
    /// its account. A delivery whose key was claimed before writes nothing.
    pub async fn take_mastodon_delivery(
        &self,
        payload: &Value,
        queue: Option<StatusQueue<'_>>,
    ) -> Result<DeliveryTaken> {
        let event = payload["event"].as_str().unwrap_or("").to_string();
        if !matches!(
            event.as_str(),
            "status.created" | "status.updated" | "report.created" | "account.updated"
        ) {
            return Err(ServiceError::new(
                ErrorKind::UnknownEvent,
                format!("unsupported event `{event}` (status.created, status.updated, report.created, account.updated)"),
            ));
        }
        let object = &payload["object"];
        if !object.is_object() {
            return Err(ServiceError::invalid_field("the delivery has no `object`"));
        }
        let now = quytac_store::now_ms();
        let at = delivered_at(payload, now)?;
        let key = delivery_key(&event, object, at)?;
        let mut taken = DeliveryTaken {
            event: event.clone(),
            duplicate: false,
            ingested: Vec::new(),
            queued: Vec::new(),
            reports: Vec::new(),
            result: None,
        };
        let mut tx = self.store.write().await?;
        let first = tx.claim_delivery(&key, at, now - REPLAY_WINDOW_MS).await?;
        tx.commit().await?;
        if !first {
            taken.duplicate = true;
            return Ok(taken);
        }
        // A delivery that fails is released, so Mastodon's retry of it is taken.
        match self.apply_delivery(&event, object, queue, &mut taken).await {
            Ok(()) => Ok(taken),
            Err(e) => {
                if let Ok(mut tx) = self.store.write().await {
                    if tx.release_delivery(&key).await.is_ok() {
                        let _ = tx.commit().await;
                    }
                }
                Err(e)
            }
        }
    }

    async fn apply_delivery(
        &self,
        event: &str,
        object: &Value,
        queue: Option<StatusQueue<'_>>,
        taken: &mut DeliveryTaken,
    ) -> Result<()> {
        match event {
            "status.created" | "status.updated" => {
                let item = status_item(object)?;
                match queue {
                    Some(queue) => {
                        // Decree 147 before the queue: a status the worker would refuse is
                        // refused here, as `ingest` refuses it without the pipeline.
                        if let Item::Post(post) = &item {
                            self.check_decree_writer(post.author.id.as_deref()).await?;
                        }
                        taken.queued.push(queue(item).await?)
                    }
                    None => taken
                        .ingested
                        .push(self.ingest(ACTOR, item, PostSource::Mastodon).await?),
                }
            }
            "report.created" => {
                let reporter = str_of(&object["account"]["username"])
                    .map(|u| format!("mastodon:{u}"))
                    .unwrap_or_else(|| ACTOR.into());
                let note = [object["category"].as_str(), object["comment"].as_str()]
                    .into_iter()
                    .flatten()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(": ");
                let statuses = object["statuses"].as_array().cloned().unwrap_or_default();
                let items = statuses
                    .iter()
                    .map(status_item)
                    .collect::<Result<Vec<_>>>()?;
                for item in items {
                    let post_id = item.id().to_string();
                    taken
                        .ingested
                        .push(self.ingest(ACTOR, item, PostSource::Mastodon).await?);
                    taken.reports.push(
                        self.report_as(
                            &reporter,
                            ReportPost {
                                post_id,
                                category: None,
                                note: note.clone(),
                                addressee: None,
                            },
                        )
                        .await?,
                    );
                }
                if taken.reports.is_empty() {
                    // A report about an account without statuses: kept on record for a person.
                    let target = str_of(&object["target_account"]["username"]).unwrap_or_default();
                    let events = self
                        .store
                        .record_event(NewEvent::new(
                            ACTOR,
                            "mastodon.account_reported",
                            format!("mastodon:{target}"),
                            json!({"reporter": reporter, "note": note}),
                        ))
                        .await?;
                    self.after_commit(&events).await;
                }
            }
            _ => {
                let username = str_of(&object["username"])
                    .ok_or_else(|| ServiceError::invalid_field("the account has no `username`"))?;
                let profile = Item::Profile(Profile {
                    id: format!("mastodon:{username}"),
                    display_name: object["account"]["display_name"]
                        .as_str()
                        .map(str::to_string),
                    bio: object["account"]["note"].as_str().map(html_to_text),
                    ..Profile::default()
                });
                let result = self.check(&profile).await?;
                let events = self
                    .store
                    .record_event(NewEvent::new(
                        ACTOR,
                        "mastodon.account_updated",
                        format!("mastodon:{username}"),
                        json!({"verdict": result.verdict}),
                    ))
                    .await?;
                self.after_commit(&events).await;
                taken.result = Some(result);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_is_taken_inside_its_window_only() {
        let now = 1_750_000_000_000;
        let at = |s: &str| delivered_at(&json!({"created_at": s}), now);
        let iso = |ms: i64| {
            let (y, m, d) = quytac_core::civil::civil_from_days(ms.div_euclid(86_400_000));
            let s = ms.rem_euclid(86_400_000) / 1000;
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                s / 3600,
                s / 60 % 60,
                s % 60
            )
        };
        assert!(at(&iso(now)).is_ok());
        assert!(at(&iso(now - REPLAY_WINDOW_MS + 60_000)).is_ok());
        assert!(at(&iso(now + 60_000)).is_ok());
        for stale in [
            iso(now - REPLAY_WINDOW_MS - 1000),
            iso(now + FUTURE_SKEW_MS + 60_000),
            "2025-01-01T00:00:00Z".into(),
            "yesterday".into(),
        ] {
            let e = at(&stale).unwrap_err();
            assert_eq!(e.kind, ErrorKind::StaleDelivery, "{stale}");
        }
        let e = delivered_at(&json!({}), now).unwrap_err();
        assert_eq!(e.kind, ErrorKind::StaleDelivery);
    }

    #[test]
    fn a_delivery_is_keyed_by_what_it_delivers() {
        let s = json!({"id": "11"});
        assert_eq!(
            delivery_key("status.created", &s, 1).unwrap(),
            delivery_key("status.created", &s, 2).unwrap(),
            "the same status, delivered twice"
        );
        let e1 = json!({"id": "11", "edited_at": "2025-06-01T00:00:00Z"});
        let e2 = json!({"id": "11", "edited_at": "2025-06-01T00:01:00Z"});
        assert_ne!(
            delivery_key("status.updated", &e1, 1).unwrap(),
            delivery_key("status.updated", &e2, 1).unwrap(),
            "two edits are two deliveries"
        );
        assert_eq!(
            delivery_key("report.created", &json!({"id": 7}), 1).unwrap(),
            "report.created:7"
        );
        assert!(delivery_key("report.created", &json!({}), 1).is_err());
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
