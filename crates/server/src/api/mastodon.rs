//! `POST /v1/integrations/mastodon`: Mastodon webhook deliveries. Mastodon signs each body
//! with the webhook's secret: `X-Hub-Signature: sha256=<hex HMAC-SHA256>`, in lowercase hex
//! as Mastodon writes it (any other spelling is refused); the comparison runs in constant
//! time. A signed delivery is handed to `quytac_service::mastodon`, which refuses replays
//! outside its time window and takes each delivery once.

use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{body_bytes, parse_json};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::Json;
use hmac::{Hmac, Mac};
use quytac_core::item::Item;
use quytac_service::mastodon::{DeliveryTaken, StatusQueue, ACTOR};
use quytac_service::posts::PostSource;
use quytac_service::{ErrorKind as ServiceErrorKind, Result as ServiceResult, ServiceError};
use serde_json::Value;
use sha2::Sha256;
use std::future::Future;
use std::pin::Pin;

/// Checks `sha256=<lowercase hex>` against the HMAC of the body, in constant time
/// (`Mac::verify_slice`). Uppercase hex, whitespace inside, or another length is refused.
pub fn signature_ok(secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    if hex_sig.len() != 64
        || !hex_sig
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return false;
    }
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

pub async fn webhook(
    State(state): State<AppState>,
    req: Request,
) -> ApiResult<Json<DeliveryTaken>> {
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
    // With the check pipeline, new and edited statuses are queued for the workers.
    let queue = state.pipeline.clone().map(|pipeline| {
        move |item: Item| -> Pin<Box<dyn Future<Output = ServiceResult<String>> + Send>> {
            let pipeline = pipeline.clone();
            Box::pin(async move {
                pipeline
                    .publisher
                    .publish(&item, PostSource::Mastodon, ACTOR)
                    .await
                    .map(|queued| queued.post)
                    .map_err(|e| {
                        ServiceError::new(ServiceErrorKind::QueueUnavailable, e.to_string())
                    })
            })
        }
    });
    let queue = queue.as_ref().map(|q| q as StatusQueue<'_>);
    Ok(Json(
        state
            .service
            .take_mastodon_delivery(&payload, queue)
            .await?,
    ))
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
        // Only lowercase hex, exactly as signed.
        let upper = format!("sha256={}", s["sha256=".len()..].to_uppercase());
        assert!(!signature_ok("k", Some(&upper), b"body"));
        assert!(!signature_ok("k", Some(&format!(" {s}")), b"body"));
        assert!(!signature_ok("k", Some(&s.to_uppercase()), b"body"));
    }
}
