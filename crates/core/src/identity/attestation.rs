//! Staff attestations (CS-3): an agency attests that a social-network account belongs to one of
//! its staff, named by legal name and position. The record binds the account's display name and
//! photo (its perceptual hash) at the time of vouching, so it stops counting as soon as either
//! changes, until the agency vouches again (as Bluesky's verification records do). It is signed
//! like a badge: canonical JSON and Ed25519, see [`super::badge`].

use super::badge::{self, KeySet, RevocationList, SignedRecord, Verification};
use serde::{Deserialize, Serialize};

/// The `type` of a staff attestation.
pub const ATTESTATION_TYPE: &str = "quytac-staff/1";

/// "Account `handle` is `legal_name`, `position` at `agency_name`", as the agency attests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// Always [`ATTESTATION_TYPE`].
    #[serde(rename = "type")]
    pub record_type: String,
    pub serial: String,
    pub agency_id: String,
    pub agency_name: String,
    /// The account vouched for.
    pub handle: String,
    pub legal_name: String,
    pub position: String,
    /// The account's display name when vouched for.
    pub display_name: String,
    /// The perceptual hash of the account's photo when vouched for; `null` without a photo.
    pub photo_hash: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub issued: String,
    pub kid: String,
}

impl SignedRecord for Attestation {
    const FIELD: &'static str = "attestation";
    const TYPE: &'static str = ATTESTATION_TYPE;
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
        None
    }
    fn check_fields(&self) -> Result<(), String> {
        for (name, v) in [
            ("agency_id", &self.agency_id),
            ("agency_name", &self.agency_name),
            ("handle", &self.handle),
            ("legal_name", &self.legal_name),
            ("position", &self.position),
            ("display_name", &self.display_name),
        ] {
            if v.trim().is_empty() {
                return Err(format!("`{name}` must not be empty"));
            }
        }
        Ok(())
    }
}

/// Whether what an attestation bound still holds for the account as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    Holds,
    DisplayNameChanged {
        bound: String,
        current: String,
    },
    /// The photo was replaced by another picture, added where there was none, or removed.
    PhotoChanged,
}

impl Binding {
    pub fn holds(&self) -> bool {
        *self == Binding::Holds
    }

    /// A stable code: `holds`, `display_name_changed`, `photo_changed`.
    pub fn code(&self) -> &'static str {
        match self {
            Binding::Holds => "holds",
            Binding::DisplayNameChanged { .. } => "display_name_changed",
            Binding::PhotoChanged => "photo_changed",
        }
    }
}

impl Attestation {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        serial: &str,
        agency_id: &str,
        agency_name: &str,
        handle: &str,
        legal_name: &str,
        position: &str,
        display_name: &str,
        photo_hash: Option<&str>,
        issued: i64,
        kid: &str,
    ) -> Attestation {
        Attestation {
            record_type: ATTESTATION_TYPE.to_string(),
            serial: serial.to_string(),
            agency_id: agency_id.to_string(),
            agency_name: agency_name.to_string(),
            handle: handle.to_string(),
            legal_name: legal_name.to_string(),
            position: position.to_string(),
            display_name: display_name.to_string(),
            photo_hash: photo_hash.map(str::to_string),
            issued: badge::format_time(issued),
            kid: kid.to_string(),
        }
    }

    /// Compares the bound display name (exactly) and photo with the account's current ones.
    /// `same_photo` decides whether two photo hashes are the same picture (a re-encoded copy
    /// of the bound photo is still the same photo).
    pub fn binding(
        &self,
        display_name: &str,
        photo_hash: Option<&str>,
        same_photo: impl Fn(&str, &str) -> bool,
    ) -> Binding {
        if self.display_name != display_name {
            return Binding::DisplayNameChanged {
                bound: self.display_name.clone(),
                current: display_name.to_string(),
            };
        }
        match (self.photo_hash.as_deref(), photo_hash) {
            (None, None) => Binding::Holds,
            (Some(a), Some(b)) if a == b || same_photo(a, b) => Binding::Holds,
            _ => Binding::PhotoChanged,
        }
    }
}

/// Verifies a signed attestation (see [`badge::verify_record`]).
pub fn verify(
    signed: &str,
    keys: &KeySet,
    revocations: Option<&RevocationList>,
    now: i64,
) -> Verification<Attestation> {
    badge::verify_record(signed, keys, revocations, now)
}
