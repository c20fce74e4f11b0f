//! The request log: one structured line per HTTP request, and the request id that ties the
//! line, any error logged while the request ran and the client's answer together.
//!
//! Each request gets a fresh id from the service; an `X-Request-Id` sent by the client is not
//! taken over. The service faces the public directly, so a client-chosen id could repeat
//! another request's id, or carry text meant to mislead whoever reads the log; an id the
//! service makes is unique and always well-formed. The id is answered in the `X-Request-Id`
//! header and in the body of every API error.
//!
//! The line names the route template (`/v1/cases/{id}`), never the path as sent: paths and
//! query strings can hold personal data. Nothing of the headers (tokens, cookies) or of the
//! body is logged.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use std::time::Instant;
use tracing::Instrument;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The route logged for a request that matched no route.
const UNMATCHED: &str = "<unmatched>";

tokio::task_local! {
    /// The id of the request the current task is serving.
    static REQUEST_ID: String;
}

/// The id of the request being served, when called while serving one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// A new request id: 128 random bits as 32 hex digits.
fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Middleware: gives the request an id, runs it inside a span that carries the id (so errors
/// logged by handlers name it), answers the id in `X-Request-Id` and logs one line.
pub async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = new_request_id();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = REQUEST_ID
        .scope(id.clone(), next.run(req).instrument(span))
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let latency_ms = (latency_ms * 1000.0).round() / 1000.0;
    tracing::info!(
        target: "quytac::http",
        request_id = %id,
        method = %method,
        route = %route,
        status,
        latency_ms,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_32_hex_digits_and_do_not_repeat() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(HeaderValue::from_str(id).is_ok());
        }
    }

    #[tokio::test]
    async fn the_request_id_is_known_only_inside_the_request() {
        assert_eq!(current_request_id(), None);
        let inside = REQUEST_ID
            .scope("abc".to_owned(), async { current_request_id() })
            .await;
        assert_eq!(inside.as_deref(), Some("abc"));
    }
}
