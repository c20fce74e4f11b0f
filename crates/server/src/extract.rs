//! Extractors that turn every bad request into an [`ApiError`] with a stable code instead of
//! axum's plain-text rejections: malformed JSON (400 `malformed_json`), an object that names a
//! key twice anywhere in the document (400 `duplicate_json_key` — serde would keep the last
//! value of a map or `Value` silently, so two readers of the same body could disagree), wrong
//! types, missing fields and unknown enum values (422 `invalid_field`), oversize bodies (413
//! `payload_too_large`), bad query strings and path segments (400).

use crate::error::{ApiError, Code};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

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

/// One JSON value, read only to find an object that names a key twice. Keys without escapes
/// are borrowed from the body, so the pass allocates little.
struct NoDuplicateKeys;

impl<'de> de::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicateKeys)
    }
}

/// An object key, borrowed from the body when it can be.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            if seen.contains(&k) {
                let shown: String = k.chars().take(64).collect();
                return Err(de::Error::custom(format!(
                    "the key `{shown}` appears twice in one object"
                )));
            }
            map.next_value::<NoDuplicateKeys>()?;
            seen.insert(k);
        }
        Ok(self)
    }
}

/// Refuses a JSON document in which any object names a key twice (400 `duplicate_json_key`),
/// or that is not JSON (400 `malformed_json`).
pub fn reject_duplicate_keys(bytes: &[u8]) -> Result<(), ApiError> {
    let mut d = serde_json::Deserializer::from_slice(bytes);
    let checked = de::Deserialize::deserialize(&mut d).and_then(|NoDuplicateKeys| d.end());
    checked.map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::new(Code::DuplicateJsonKey, format!("invalid JSON: {e}")),
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::new(Code::MalformedJson, format!("malformed JSON: {e}"))
            }
        }
    })
}

/// Parses JSON, telling syntax errors and duplicate keys (400) from well-formed JSON of the
/// wrong shape (422).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    reject_duplicate_keys(bytes)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_named_twice_anywhere_is_refused() {
        for dup in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":{"b":1,"b":1}}"#,
            r#"[{"x":1},{"y":[{"k":0,"k":0}]}]"#,
            r#"{"t\u0065xt":"a","text":"b"}"#,
        ] {
            let e = reject_duplicate_keys(dup.as_bytes()).unwrap_err();
            assert_eq!(e.code, Code::DuplicateJsonKey, "{dup}: {e}");
        }
        for ok in [
            r#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#,
            r#"[1, "a", null, true, 2.5, -3]"#,
            r#""just a string""#,
        ] {
            assert!(reject_duplicate_keys(ok.as_bytes()).is_ok(), "{ok}");
        }
        let e = reject_duplicate_keys(b"{\"a\":").unwrap_err();
        assert_eq!(e.code, Code::MalformedJson);
        let e = reject_duplicate_keys(b"{} {}").unwrap_err();
        assert_eq!(e.code, Code::MalformedJson);
        let e = parse_json::<serde_json::Value>(br#"{"id":"a","id":"b"}"#).unwrap_err();
        assert_eq!(e.code, Code::DuplicateJsonKey);
    }
}
