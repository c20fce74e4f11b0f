//! Extractors that turn every bad request into an [`ApiError`] with a stable code instead of
//! axum's plain-text rejections: malformed JSON (400 `malformed_json`), wrong types, missing
//! fields and unknown enum values (422 `invalid_field`), oversize bodies (413
//! `payload_too_large`), bad query strings and path segments (400).

use crate::error::{ApiError, Code};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// The body as raw bytes, within the body limit.
pub async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                Code::PayloadTooLarge,
                "the request body is larger than the limit",
            )
        }
        other => ApiError::new(Code::UnreadableBody, other.body_text()),
    })
}

/// Parses JSON, telling syntax errors (400) from well-formed JSON of the wrong shape (422).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::new(Code::InvalidField, format!("invalid request: {e}")),
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::new(Code::MalformedJson, format!("malformed JSON: {e}"))
            }
        }
    })
}

/// A JSON body. Unlike `axum::Json` it does not insist on a content type, so `curl -d` works.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::new(Code::InvalidQuery, e.body_text()))
    }
}

pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::new(Code::InvalidPath, e.body_text()))
    }
}
