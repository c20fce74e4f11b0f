//! Signed badges and staff attestations (AG-1, CS-3): signing, verification outcomes, and the
//! property that changing any byte of a signed badge makes it fail verification.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use quytac_core::identity::attestation::{self, Attestation, Binding};
use quytac_core::identity::badge::{
    self, canonical_json, format_time, key_id, parse_time, sign, Badge, KeySet, Revocation,
    RevocationList, Verification,
};

const NOW: i64 = 1_750_000_000; // 2025-06-15T15:06:40Z
const DAY: i64 = 86_400;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn badge_for(k: &SigningKey, name: &str) -> Badge {
    Badge::new(
        "b-0001",
        "so-tt-hn",
        name,
        "sotttt.hanoi",
        "hanoi.gov.vn",
        NOW - DAY,
        NOW + 365 * DAY,
        &key_id(&k.verifying_key()),
    )
}

fn signed_badge() -> (String, KeySet) {
    let k = key(7);
    let signed = sign(
        &badge_for(&k, "Sở Thông tin và Truyền thông Hà Nội \"TT&TT\""),
        &k,
    )
    .unwrap();
    (signed, KeySet::of(&[k.verifying_key()]))
}

#[test]
fn a_signed_badge_is_canonical_and_verifies() {
    let (signed, keys) = signed_badge();
    assert!(signed.starts_with("{\"badge\":{\"agency_id\":\"so-tt-hn\""));
    let v: serde_json::Value = serde_json::from_str(&signed).unwrap();
    assert_eq!(canonical_json(&v), signed);
    assert_eq!(v["badge"]["type"], "quytac-badge/1");
    assert_eq!(v["badge"]["issued"], format_time(NOW - DAY));
    assert!(v["badge"]["kid"].as_str().unwrap().starts_with("ed25519-"));
    match badge::verify(&signed, &keys, None, NOW) {
        Verification::Valid(b) => {
            assert_eq!(b.domain, "hanoi.gov.vn");
            assert_eq!(b.page_handle, "sotttt.hanoi");
        }
        other => panic!("{other:?}"),
    }
    // A final newline, as files have, is fine; the key set round-trips through its JSON.
    let keys = KeySet::from_json(&serde_json::to_string(&keys).unwrap()).unwrap();
    assert!(badge::verify(&format!("{signed}\n"), &keys, None, NOW).is_valid());
}

#[test]
fn every_outcome_is_reported_as_such() {
    let (signed, keys) = signed_badge();
    let expired = badge::verify(&signed, &keys, None, NOW + 366 * DAY);
    assert_eq!(expired.code(), "expired");
    assert!(expired.describe().contains(&format_time(NOW + 365 * DAY)));
    assert_eq!(
        badge::verify(&signed, &keys, None, NOW - 2 * DAY).code(),
        "not_yet_valid"
    );
    let revoked = RevocationList {
        revoked: vec![Revocation {
            serial: "b-0001".into(),
            at: format_time(NOW),
            reason: "the agency lost control of its domain".into(),
        }],
    };
    let r = badge::verify(&signed, &keys, Some(&revoked), NOW);
    match &r {
        Verification::Revoked { reason, record, .. } => {
            assert_eq!(reason, "the agency lost control of its domain");
            assert_eq!(record.serial, "b-0001");
        }
        other => panic!("{other:?}"),
    }
    // Revocation wins over expiry: the more telling reason.
    assert_eq!(
        badge::verify(&signed, &keys, Some(&revoked), NOW + 400 * DAY).code(),
        "revoked"
    );
    let other_keys = KeySet::of(&[key(8).verifying_key()]);
    assert_eq!(
        badge::verify(&signed, &other_keys, None, NOW).code(),
        "unknown_key"
    );
    // The same kid with another key: a forgery.
    let mut forged_keys = KeySet::of(&[key(8).verifying_key()]);
    forged_keys.keys[0].kid = keys.keys[0].kid.clone();
    assert_eq!(
        badge::verify(&signed, &forged_keys, None, NOW).code(),
        "bad_signature"
    );
    let changed = signed.replace("hanoi.gov.vn", "hanoi.gov.vm");
    assert_eq!(
        badge::verify(&changed, &keys, None, NOW).code(),
        "bad_signature"
    );
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&signed).unwrap())
            .unwrap();
    assert_eq!(badge::verify(&pretty, &keys, None, NOW).code(), "malformed");
    for bad in [
        "",
        "[]",
        "{}",
        "{\"badge\":{},\"signature\":\"00\"}",
        "not json",
    ] {
        assert_eq!(
            badge::verify(bad, &keys, None, NOW).code(),
            "malformed",
            "{bad}"
        );
    }
    // An attestation is not a badge, even with a genuine signature.
    let att = signed_attestation(&key(7), "Nguyễn Văn An", Some("ab12"));
    assert_eq!(badge::verify(&att, &keys, None, NOW).code(), "malformed");
}

#[test]
fn signing_refuses_a_record_that_names_another_key_or_bad_times() {
    let k = key(7);
    let mut b = badge_for(&k, "Sở A");
    b.kid = key_id(&key(9).verifying_key());
    assert!(sign(&b, &k).is_err());
    let mut b = badge_for(&k, "Sở A");
    b.expires = b.issued.clone();
    assert!(sign(&b, &k).is_err());
    let mut b = badge_for(&k, "Sở A");
    b.issued = "2025-06-15T15:06:40+07:00".into();
    assert!(sign(&b, &k).is_err());
    assert_eq!(parse_time(&badge_for(&k, "x").issued), Some(NOW - DAY));
}

fn signed_attestation(k: &SigningKey, display: &str, photo: Option<&str>) -> String {
    let a = Attestation::new(
        "a-0001",
        "so-tt-hn",
        "Sở Thông tin và Truyền thông Hà Nội",
        "nguyen.van.an",
        "Nguyễn Văn An",
        "Chuyên viên",
        display,
        photo,
        NOW,
        &key_id(&k.verifying_key()),
    );
    sign(&a, k).unwrap()
}

#[test]
fn attestations_verify_and_bind_display_name_and_photo() {
    let k = key(7);
    let keys = KeySet::of(&[k.verifying_key()]);
    let signed = signed_attestation(&k, "Nguyễn Văn An", Some("00ff"));
    assert!(signed.contains("\"photo_hash\":\"00ff\""));
    let a = match attestation::verify(&signed, &keys, None, NOW) {
        Verification::Valid(a) => a,
        other => panic!("{other:?}"),
    };
    // Attestations do not expire.
    assert!(attestation::verify(&signed, &keys, None, NOW + 3650 * DAY).is_valid());
    let near = |a: &str, b: &str| a.len() == b.len() && a[..2] == b[..2];
    assert_eq!(
        a.binding("Nguyễn Văn An", Some("00ff"), near),
        Binding::Holds
    );
    assert_eq!(
        a.binding("Nguyễn Văn An", Some("00fe"), near),
        Binding::Holds
    );
    assert_eq!(
        a.binding("Nguyen Van An", Some("00ff"), near),
        Binding::DisplayNameChanged {
            bound: "Nguyễn Văn An".into(),
            current: "Nguyen Van An".into()
        }
    );
    assert_eq!(
        a.binding("Nguyễn Văn An", Some("ffff"), near),
        Binding::PhotoChanged
    );
    assert_eq!(
        a.binding("Nguyễn Văn An", None, near),
        Binding::PhotoChanged
    );
    let without = signed_attestation(&k, "Nguyễn Văn An", None);
    assert!(without.contains("\"photo_hash\":null"));
    let a = attestation::verify(&without, &keys, None, NOW)
        .record()
        .cloned()
        .unwrap();
    assert_eq!(a.binding("Nguyễn Văn An", None, near), Binding::Holds);
    assert_eq!(
        a.binding("Nguyễn Văn An", Some("00ff"), near).code(),
        "photo_changed"
    );
    // Dropping the null field changes what was signed.
    let dropped = without.replace("\"photo_hash\":null,", "");
    assert_ne!(dropped, without);
    assert!(!attestation::verify(&dropped, &keys, None, NOW).is_valid());
}

#[test]
fn every_position_with_sample_replacement_bytes_fails() {
    // Every position, a handful of replacement bytes each (the proptest below draws any byte).
    let (signed, keys) = signed_badge();
    let bytes = signed.as_bytes();
    for i in 0..bytes.len() {
        for repl in [
            b' ',
            b'\n',
            b'0',
            b'a',
            b'A',
            b'"',
            b'\\',
            b'}',
            0xC3,
            bytes[i] ^ 1,
        ] {
            if repl == bytes[i] {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = repl;
            let text = String::from_utf8_lossy(&changed);
            assert!(
                !badge::verify(&text, &keys, None, NOW).is_valid(),
                "byte {i} changed to {repl:#04x} still verifies: {text}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Tampering with any byte of a signed badge makes verification fail: the bytes no longer
    /// parse, or the document is not canonical, or the signature does not cover what it says.
    #[test]
    fn changing_any_byte_makes_verification_fail(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let (signed, keys) = signed_badge();
        let mut bytes = signed.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        // Bytes that are not UTF-8 are not a badge at all; as text they must still fail.
        match String::from_utf8(bytes) {
            Ok(text) => prop_assert!(!badge::verify(&text, &keys, None, NOW).is_valid(), "{}", text),
            Err(e) => {
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                prop_assert!(!badge::verify(&text, &keys, None, NOW).is_valid());
            }
        }
    }

    /// Any badge the service could issue verifies, whatever its text fields hold.
    #[test]
    fn any_badge_signs_and_verifies(name in "\\PC{1,40}", handle in "[a-z0-9._]{1,20}", days in 1i64..800) {
        prop_assume!(!name.trim().is_empty());
        let k = key(3);
        let b = Badge::new("s", "id", &name, &handle, "a.gov.vn", NOW, NOW + days * DAY, &key_id(&k.verifying_key()));
        let signed = sign(&b, &k).unwrap();
        let keys = KeySet::of(&[k.verifying_key()]);
        prop_assert_eq!(badge::verify(&signed, &keys, None, NOW), Verification::Valid(b));
    }
}
