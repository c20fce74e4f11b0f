//! Signed records of the identity layer: the verified-page **badge** (AG-1) and, through the
//! same machinery, the staff attestation of [`super::attestation`] (CS-3). This module is the
//! one home of canonical JSON, Ed25519 signing, key sets, revocation lists and verification.
//!
//! # The signed document
//!
//! A record is a JSON object (the *payload*) with a `type`, a `serial`, a key id `kid` and its
//! times. Its **canonical form** is JSON with the keys of every object sorted (by their UTF-8
//! bytes), no whitespace outside strings, strings escaped as `serde_json` escapes them (only
//! `"`, `\` and control characters; everything else literal UTF-8), no numbers but integers.
//! The Ed25519 signature covers the UTF-8 bytes of the payload's canonical form. The signed
//! document is itself canonical JSON:
//!
//! ```text
//! {"badge":{"agency_id":"so-tt-hn",…,"type":"quytac-badge/1"},"signature":"<128 lowercase hex>"}
//! ```
//!
//! (`"attestation"` instead of `"badge"` for a staff attestation). Verification refuses a
//! document that is not exactly its own canonical form (surrounding whitespace, e.g. a final
//! newline, aside), so every badge has exactly one byte sequence and changing any byte of it
//! either makes it unreadable or changes what the signature must cover.
//!
//! # Times
//!
//! `issued` and `expires` are RFC 3339 times in UTC with whole seconds and a `Z`, exactly
//! `YYYY-MM-DDTHH:MM:SSZ` (20 characters): readable by people, sortable as text, one spelling
//! per instant. Verification takes "now" as Unix seconds.
//!
//! # Keys
//!
//! Public keys are published as `{"keys":[{"kid","alg":"Ed25519","public_key"}]}` (the
//! service's `/.well-known/quytac-keys.json`), the key as 64 lowercase hex digits. A key id is
//! derived from the key: `ed25519-` and the first 16 hex digits of SHA-256 of its 32 bytes
//! ([`key_id`]). Revocations are published as `{"revoked":[{"serial","at","reason"}]}`.

use crate::civil::{civil_from_days, days_from_civil};
use ed25519_dalek::{Signature, Signer};
/// The Ed25519 key types, for callers that sign or publish keys.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;

/// The only signature algorithm.
pub const ALG: &str = "Ed25519";
/// The `type` of a badge payload.
pub const BADGE_TYPE: &str = "quytac-badge/1";

pub use crate::canonical::canonical_json;

// ---- times --------------------------------------------------------------------------------

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (years 0000–9999; others are clamped).
pub fn format_time(secs: i64) -> String {
    let secs = secs.clamp(-62_167_219_200, 253_402_300_799);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses the one spelling records use, `YYYY-MM-DDTHH:MM:SSZ`, to Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let (y, mo, d) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    let (h, mi, se) = (
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
    );
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Parses an RFC 3339 time as people write it (`2025-06-01T08:00:00+07:00`,
/// `2025-06-01T01:00:00.5Z`, `2025-06-01 01:00:00z`) to Unix seconds (fractions dropped).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() < 20 || !s.is_char_boundary(19) {
        return None;
    }
    let (head, mut tail) = s.split_at(19);
    let head = head.replacen([' ', 't'], "T", 1);
    let base = parse_time(&format!("{head}Z"))?;
    if let Some(t) = tail.strip_prefix('.') {
        let rest = t.trim_start_matches(|c: char| c.is_ascii_digit());
        if rest.len() == t.len() {
            return None;
        }
        tail = rest;
    }
    let offset = match tail {
        "Z" | "z" => 0,
        _ => {
            let (sign, hm) = match tail.as_bytes().first()? {
                b'+' => (1, &tail[1..]),
                b'-' => (-1, &tail[1..]),
                _ => return None,
            };
            let (h, m) = hm.split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let (h, m) = (digits(h)?, digits(m)?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    Some(base - offset)
}

// ---- keys ---------------------------------------------------------------------------------

/// The key id of a public key: `ed25519-` and the first 16 hex digits of SHA-256 of its bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("ed25519-{}", &hex::encode(digest)[..16])
}

/// One published public key.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub kid: String,
    pub alg: String,
    /// The 32-byte Ed25519 key, 64 hex digits.
    pub public_key: String,
}

impl PublicKey {
    pub fn of(key: &VerifyingKey) -> PublicKey {
        PublicKey {
            kid: key_id(key),
            alg: ALG.to_string(),
            public_key: hex::encode(key.as_bytes()),
        }
    }

    /// The key, when `alg` is Ed25519 and `public_key` is a valid point.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        if self.alg != ALG {
            return None;
        }
        let bytes: [u8; 32] = hex::decode(self.public_key.trim()).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
    }
}

/// A set of public keys: the document at `/.well-known/quytac-keys.json`.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySet {
    pub keys: Vec<PublicKey>,
}

impl KeySet {
    pub fn of(keys: &[VerifyingKey]) -> KeySet {
        KeySet {
            keys: keys.iter().map(PublicKey::of).collect(),
        }
    }

    pub fn from_json(text: &str) -> Result<KeySet, String> {
        serde_json::from_str(text).map_err(|e| format!("not a key set: {e}"))
    }

    /// The usable key with this id.
    pub fn find(&self, kid: &str) -> Option<VerifyingKey> {
        self.keys
            .iter()
            .filter(|k| k.kid == kid)
            .find_map(PublicKey::verifying_key)
    }
}

// ---- revocations --------------------------------------------------------------------------

/// One revoked record.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub serial: String,
    /// When it was revoked, `YYYY-MM-DDTHH:MM:SSZ`.
    pub at: String,
    pub reason: String,
}

/// A revocation list: the document at `/.well-known/quytac-revocations.json`.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationList {
    pub revoked: Vec<Revocation>,
}

impl RevocationList {
    pub fn from_json(text: &str) -> Result<RevocationList, String> {
        serde_json::from_str(text).map_err(|e| format!("not a revocation list: {e}"))
    }

    pub fn find(&self, serial: &str) -> Option<&Revocation> {
        self.revoked.iter().find(|r| r.serial == serial)
    }
}

// ---- signed records -----------------------------------------------------------------------

/// A payload that is signed as canonical JSON: a badge or a staff attestation.
pub trait SignedRecord: Serialize + DeserializeOwned + Clone {
    /// The key of the payload in the signed document: `"badge"`, `"attestation"`.
    const FIELD: &'static str;
    /// The payload's `type`.
    const TYPE: &'static str;
    fn record_type(&self) -> &str;
    fn serial(&self) -> &str;
    fn kid(&self) -> &str;
    fn issued(&self) -> &str;
    /// `None` for records that do not expire.
    fn expires(&self) -> Option<&str>;
    /// Checks of the record's own fields beyond their types.
    fn check_fields(&self) -> Result<(), String>;
}

fn check_header<T: SignedRecord>(r: &T) -> Result<(), String> {
    if r.record_type() != T::TYPE {
        return Err(format!(
            "the record's type is `{}`, not `{}`",
            r.record_type(),
            T::TYPE
        ));
    }
    if r.serial().trim().is_empty() || r.kid().trim().is_empty() {
        return Err("`serial` and `kid` must not be empty".into());
    }
    let issued = parse_time(r.issued())
        .ok_or_else(|| format!("`issued` is not YYYY-MM-DDTHH:MM:SSZ: {}", r.issued()))?;
    if let Some(expires) = r.expires() {
        let expires = parse_time(expires)
            .ok_or_else(|| format!("`expires` is not YYYY-MM-DDTHH:MM:SSZ: {expires}"))?;
        if expires <= issued {
            return Err("`expires` is not after `issued`".into());
        }
    }
    r.check_fields()
}

/// Why a record could not be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(pub String);

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SignError {}

/// Signs a record: returns the signed document (canonical JSON text). The record's `kid` must
/// be the signing key's [`key_id`].
pub fn sign<T: SignedRecord>(record: &T, key: &SigningKey) -> Result<String, SignError> {
    check_header(record).map_err(SignError)?;
    let kid = key_id(&key.verifying_key());
    if record.kid() != kid {
        return Err(SignError(format!(
            "the record names key `{}` but is signed with `{kid}`",
            record.kid()
        )));
    }
    let payload = serde_json::to_value(record).map_err(|e| SignError(e.to_string()))?;
    let signature = key.sign(canonical_json(&payload).as_bytes());
    let mut doc = serde_json::Map::new();
    doc.insert(T::FIELD.to_string(), payload);
    doc.insert(
        "signature".to_string(),
        Value::String(hex::encode(signature.to_bytes())),
    );
    Ok(canonical_json(&Value::Object(doc)))
}

/// The outcome of verifying a signed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification<T> {
    /// Signed by a known key, not revoked, within its validity period.
    Valid(T),
    /// Not a signed record of this kind (unreadable, not canonical, fields missing or extra).
    Malformed(String),
    /// Signed with a key that is not in the key set.
    UnknownKey(String),
    /// The signature does not match the record: it was tampered with or forged.
    BadSignature,
    /// Genuine, but revoked.
    Revoked {
        record: T,
        at: String,
        reason: String,
    },
    /// Genuine, but past its `expires`.
    Expired { record: T, expires: String },
    /// Genuine, but its `issued` time is still to come.
    NotYetValid { record: T, issued: String },
}

impl<T> Verification<T> {
    pub fn is_valid(&self) -> bool {
        matches!(self, Verification::Valid(_))
    }

    /// A stable code: `valid`, `malformed`, `unknown_key`, `bad_signature`, `revoked`,
    /// `expired`, `not_yet_valid`.
    pub fn code(&self) -> &'static str {
        match self {
            Verification::Valid(_) => "valid",
            Verification::Malformed(_) => "malformed",
            Verification::UnknownKey(_) => "unknown_key",
            Verification::BadSignature => "bad_signature",
            Verification::Revoked { .. } => "revoked",
            Verification::Expired { .. } => "expired",
            Verification::NotYetValid { .. } => "not_yet_valid",
        }
    }

    /// The record, when its signature is genuine (valid, revoked, expired, not yet valid).
    pub fn record(&self) -> Option<&T> {
        match self {
            Verification::Valid(r)
            | Verification::Revoked { record: r, .. }
            | Verification::Expired { record: r, .. }
            | Verification::NotYetValid { record: r, .. } => Some(r),
            _ => None,
        }
    }

    /// One line in English.
    pub fn describe(&self) -> String {
        match self {
            Verification::Valid(_) => "valid: genuine signature, not revoked, not expired".into(),
            Verification::Malformed(m) => format!("malformed: {m}"),
            Verification::UnknownKey(k) => {
                format!("unknown key: signed with `{k}`, which is not in the key set")
            }
            Verification::BadSignature => {
                "bad signature: the record was changed after signing, or forged".into()
            }
            Verification::Revoked { at, reason, .. } => format!("revoked at {at}: {reason}"),
            Verification::Expired { expires, .. } => format!("expired at {expires}"),
            Verification::NotYetValid { issued, .. } => {
                format!("not yet valid: issued for {issued}")
            }
        }
    }
}

/// Verifies a signed document of kind `T` against `keys`, `revocations` (when given) and the
/// time `now` (Unix seconds). Checks in this order: readable and canonical, known key, genuine
/// signature, revoked, expired, not yet valid.
pub fn verify_record<T: SignedRecord>(
    signed: &str,
    keys: &KeySet,
    revocations: Option<&RevocationList>,
    now: i64,
) -> Verification<T> {
    let text = signed.trim_matches([' ', '\t', '\r', '\n']);
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Verification::Malformed(format!("not JSON: {e}")),
    };
    if canonical_json(&doc) != text {
        return Verification::Malformed(
            "not in canonical form (keys sorted, no whitespace): the document was changed or \
             reformatted after signing"
                .into(),
        );
    }
    let Value::Object(map) = doc else {
        return Verification::Malformed("not a JSON object".into());
    };
    if map.len() != 2 || !map.contains_key(T::FIELD) || !map.contains_key("signature") {
        return Verification::Malformed(format!(
            "a signed {} has exactly the fields `{}` and `signature`",
            T::FIELD,
            T::FIELD
        ));
    }
    let signature = match map.get("signature") {
        Some(Value::String(s))
            if s.len() == 128 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            let mut bytes = [0u8; 64];
            if hex::decode_to_slice(s, &mut bytes).is_err() {
                return Verification::Malformed("`signature` is not hex".into());
            }
            Signature::from_bytes(&bytes)
        }
        _ => {
            return Verification::Malformed(
                "`signature` must be 128 lowercase hex digits (64 bytes)".into(),
            )
        }
    };
    let payload = &map[T::FIELD];
    let record: T = match serde_json::from_value(payload.clone()) {
        Ok(r) => r,
        Err(e) => return Verification::Malformed(format!("the {}: {e}", T::FIELD)),
    };
    if let Err(e) = check_header(&record) {
        return Verification::Malformed(e);
    }
    let Some(key) = keys.find(record.kid()) else {
        return Verification::UnknownKey(record.kid().to_string());
    };
    if key
        .verify_strict(canonical_json(payload).as_bytes(), &signature)
        .is_err()
    {
        return Verification::BadSignature;
    }
    if let Some(r) = revocations.and_then(|l| l.find(record.serial())) {
        return Verification::Revoked {
            at: r.at.clone(),
            reason: r.reason.clone(),
            record,
        };
    }
    if let Some(expires) = record.expires() {
        if parse_time(expires).is_some_and(|e| e <= now) {
            return Verification::Expired {
                expires: expires.to_string(),
                record,
            };
        }
    }
    if parse_time(record.issued()).is_some_and(|i| i > now) {
        return Verification::NotYetValid {
            issued: record.issued().to_string(),
            record,
        };
    }
    Verification::Valid(record)
}

// ---- the badge ----------------------------------------------------------------------------

/// A verified agency page (AG-1): the agency proved control of its official `domain` and a
/// reviewer approved; the badge names the page it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Badge {
    /// Always [`BADGE_TYPE`].
    #[serde(rename = "type")]
    pub record_type: String,
    /// The badge's own id, also its id in revocation lists.
    pub serial: String,
    pub agency_id: String,
    pub agency_name: String,
    /// The social-network page (handle) the badge covers.
    pub page_handle: String,
    /// The official domain whose control was proved.
    pub domain: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub issued: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
    /// The [`key_id`] of the signing key.
    pub kid: String,
}

impl Badge {
    /// A badge valid from `issued` to `expires` (Unix seconds).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        serial: &str,
        agency_id: &str,
        agency_name: &str,
        page_handle: &str,
        domain: &str,
        issued: i64,
        expires: i64,
        kid: &str,
    ) -> Badge {
        Badge {
            record_type: BADGE_TYPE.to_string(),
            serial: serial.to_string(),
            agency_id: agency_id.to_string(),
            agency_name: agency_name.to_string(),
            page_handle: page_handle.to_string(),
            domain: domain.to_string(),
            issued: format_time(issued),
            expires: format_time(expires),
            kid: kid.to_string(),
        }
    }
}

impl SignedRecord for Badge {
    const FIELD: &'static str = "badge";
    const TYPE: &'static str = BADGE_TYPE;
    fn record_type(&self) -> &str {
        &self.record_type
    }
    fn serial(&self) -> &str {
        &self.serial
    }
    fn kid(&self) -> &str {
        &self.kid
    }
    fn issued(&self) -> &str {
        &self.issued
    }
    fn expires(&self) -> Option<&str> {
        Some(&self.expires)
    }
    fn check_fields(&self) -> Result<(), String> {
        for (name, v) in [
            ("agency_id", &self.agency_id),
            ("agency_name", &self.agency_name),
            ("page_handle", &self.page_handle),
            ("domain", &self.domain),
        ] {
            if v.trim().is_empty() {
                return Err(format!("`{name}` must not be empty"));
            }
        }
        Ok(())
    }
}

/// Verifies a signed badge (see [`verify_record`]).
pub fn verify(
    signed: &str,
    keys: &KeySet,
    revocations: Option<&RevocationList>,
    now: i64,
) -> Verification<Badge> {
    verify_record(signed, keys, revocations, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_refuse_other_spellings() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        for t in [1_748_736_000, 951_782_400, 4_107_542_399, -86_400] {
            assert_eq!(parse_time(&format_time(t)), Some(t), "{t}");
        }
        assert_eq!(parse_time("2024-02-29T12:00:00Z"), Some(1_709_208_000));
        for bad in [
            "2023-02-29T12:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T00:00:00.0Z",
            "+024-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(
            parse_rfc3339("2025-06-01T08:00:00+07:00"),
            parse_time("2025-06-01T01:00:00Z")
        );
        assert_eq!(
            parse_rfc3339("2025-06-01t01:00:00.250z"),
            parse_time("2025-06-01T01:00:00Z")
        );
        assert_eq!(parse_rfc3339("2025-06-01"), None);
        assert_eq!(parse_rfc3339("2025-06-01T01:00:00"), None);
    }
}
