//! Tests of the accounts of the identity endpoints, end to end: staff vouching that stops
//! counting after a change of display name or photo until the agency vouches again, photos
//! checked and compared, and the public directory pages. The helpers are in `identity`.

use crate::helpers::*;
use crate::identity::{codes, now_secs, spawn_identity_app};
use quytac_core::identity::attestation;
use quytac_server::auth::create_token_for_agency;

#[tokio::test]
async fn vouching_counts_until_the_display_name_or_photo_changes() {
    let app = spawn_identity_app(None).await;
    let admin = app.token(Role::Admin).await;
    let moderator = app.token(Role::Moderator).await;
    for (id, name) in [
        ("so-tt-hn", "Sở Thông tin và Truyền thông Hà Nội"),
        ("so-gd-hn", "Sở Giáo dục và Đào tạo Hà Nội"),
    ] {
        let r = app
            .call(
                "POST",
                "/v1/agencies",
                Some(&admin),
                Some(json!({"id": id, "name": name})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let officer = create_token_for_agency(
        &app.state.store,
        Role::AgencyOfficer,
        "t",
        Some("so-tt-hn"),
        "test",
    )
    .await
    .unwrap();
    let other_officer = create_token_for_agency(
        &app.state.store,
        Role::AgencyOfficer,
        "t",
        Some("so-gd-hn"),
        "test",
    )
    .await
    .unwrap();
    assert!(
        create_token_for_agency(&app.state.store, Role::Citizen, "t", Some("so-gd-hn"), "t")
            .await
            .is_err()
    );
    assert!(create_token_for_agency(
        &app.state.store,
        Role::AgencyOfficer,
        "t",
        Some("nope"),
        "t"
    )
    .await
    .is_err());

    let hash_a = "ab".repeat(32);
    let r = app
        .call(
            "POST",
            "/v1/accounts",
            Some(&moderator),
            Some(
                json!({"handle": "@Nguyen.Van.An", "display_name": "Nguyễn Văn An",
                "role": "civil_servant", "agency_id": "so-tt-hn",
                "workplace": "Sở Thông tin và Truyền thông Hà Nội", "photo_hash": hash_a}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let acc = r.json()["account"].clone();
    assert_eq!(acc["handle"], "nguyen.van.an");
    assert_eq!(acc["vouched"], false);
    assert!(codes(&acc["findings"]).contains(&("CS-3".into(), "workplace".into())));

    let staff = "/v1/agencies/so-tt-hn/staff";
    let body = json!({"handle": "nguyen.van.an", "legal_name": "Nguyễn Văn An", "position": "Chuyên viên"});
    let r = app
        .call("POST", staff, Some(&other_officer), Some(body.clone()))
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = app
        .call(
            "POST",
            staff,
            Some(&officer),
            Some(json!({"handle": "nobody", "legal_name": "A", "position": "B"})),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .call("POST", staff, Some(&officer), Some(body.clone()))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["name_check"]["matches"], true);
    assert_eq!(v["account"]["vouched"], true);
    assert!(!codes(&v["account"]["findings"]).contains(&("CS-3".into(), "workplace".into())));
    let serial = v["attestation"]["serial"].as_str().unwrap().to_string();
    let signed = v["signed_attestation"].to_string();
    let keys = app.keys().await;
    let a = attestation::verify(&signed, &keys, None, now_secs());
    assert!(a.is_valid(), "{a:?}");
    assert_eq!(
        a.record().unwrap().photo_hash.as_deref(),
        Some(hash_a.as_str())
    );

    let verify = || async {
        let r = app
            .call("GET", "/v1/verify/nguyen.van.an", None, None)
            .await;
        assert_eq!(r.status, 200);
        r.json()
    };
    let v = verify().await;
    assert_eq!(v["verified"], true);
    assert_eq!(
        v["staff"][0]["agency_name"],
        "Sở Thông tin và Truyền thông Hà Nội"
    );
    assert_eq!(v["staff"][0]["legal_name"], "Nguyễn Văn An");
    assert_eq!(v["staff"][0]["status"], "valid");
    assert!(v["staff"][0]["since"].as_i64().unwrap() > 0);

    // A new display name: the attestation stops counting until the agency vouches again.
    let r = app
        .call(
            "PATCH",
            "/v1/accounts/nguyen.van.an",
            Some(&moderator),
            Some(json!({"display_name": "An Nguyễn"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["attestations_no_longer_binding"], json!([serial]));
    let v = verify().await;
    assert_eq!(v["verified"], false);
    assert_eq!(v["staff"][0]["status"], "display_name_changed");
    assert!(v["staff"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("An Nguyễn"));
    let r = app
        .call("POST", staff, Some(&officer), Some(body.clone()))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["name_check"]["matches"], false);
    assert!(!r.json()["name_check"]["problem"]
        .as_str()
        .unwrap()
        .is_empty());
    let v = verify().await;
    assert_eq!(v["verified"], true);
    let second = v["staff"][0]["serial"].as_str().unwrap().to_string();
    assert_ne!(second, serial);

    // A new photo: the same. The superseded attestation is on the revocation list.
    let r = app
        .call(
            "PATCH",
            "/v1/accounts/nguyen.van.an",
            Some(&admin),
            Some(json!({"photo_hash": "cd".repeat(32)})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(verify().await["staff"][0]["status"], "photo_changed");
    assert!(app.revocations().await.find(&serial).is_some());
    let r = app
        .call("POST", staff, Some(&officer), Some(body.clone()))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(verify().await["verified"], true);

    // Revocation with a reason.
    let revoke = "/v1/agencies/so-tt-hn/staff/nguyen.van.an";
    let r = app.call("DELETE", revoke, Some(&officer), None).await;
    assert_eq!((r.status, r.code().as_str()), (422, "invalid_field"));
    let r = app
        .call(
            "DELETE",
            &format!("{revoke}?reason=nghi%20viec"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = verify().await;
    assert_eq!(v["verified"], false);
    assert_eq!(v["staff"][0]["status"], "revoked");
    assert_eq!(v["staff"][0]["revoke_reason"], "nghi viec");

    let unknown = app
        .call("GET", "/v1/verify/no.such.handle", None, None)
        .await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.json()["known"], false);
    assert_eq!(unknown.json()["verified"], false);

    let actions = app.actions(&admin).await;
    for want in [
        "account.created",
        "staff.vouched",
        "account.updated",
        "staff.revoked",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| *a == "staff.vouched").count(), 3);
    app.audit_ok(&admin).await;
}

fn png(w: u32, h: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> String {
    use base64::Engine as _;
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb(pixel(x, y)));
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    base64::engine::general_purpose::STANDARD.encode(bytes.into_inner())
}

#[tokio::test]
async fn photos_are_checked_and_a_reused_photo_is_flagged() {
    let app = spawn_identity_app(None).await;
    let moderator = app.token(Role::Moderator).await;
    let flat = png(64, 64, |_, _| [200, 30, 30]);
    let create = |handle: &'static str, photo: Value| {
        let app = &app;
        let moderator = moderator.clone();
        async move {
            app.call(
                "POST",
                "/v1/accounts",
                Some(&moderator),
                Some(json!({"handle": handle, "display_name": "Trần Thị Bình", "role": "civil_servant", "photo": photo})),
            )
            .await
        }
    };
    let r = create("binh.tran", json!(format!("data:image/png;base64,{flat}"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let acc = r.json()["account"].clone();
    let report = &acc["photo_report"];
    assert_eq!(report["checked"], true);
    assert_eq!(report["format"], "png");
    assert_eq!(report["one_real_face"], false);
    assert_eq!(report["problems"][0]["code"], "blank");
    assert!(codes(&acc["findings"]).contains(&("CS-2".into(), "real_photo".into())));

    // The same picture, larger, on another account.
    let big = png(128, 128, |_, _| [200, 30, 30]);
    let r = create("binh.tran.2", json!(big)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let findings = r.json()["account"]["findings"].clone();
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["category"] == "real_photo" && f["evidence"] == "binh.tran"),
        "{findings}"
    );

    for (photo, status) in [
        (json!("not base64!"), 422),
        (json!(base64_of(b"GIF89a not a photo")), 422),
        (json!("A".repeat(800_000)), 413),
    ] {
        let r = create("bad.photo", photo).await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    let r = app
        .call(
            "POST",
            "/v1/accounts",
            Some(&moderator),
            Some(json!({"handle": "x", "display_name": "X", "photo": flat, "photo_hash": "00"})),
        )
        .await;
    assert_eq!(r.status, 422);
    // Removing the photo.
    let r = app
        .call(
            "PATCH",
            "/v1/accounts/binh.tran",
            Some(&moderator),
            Some(json!({"photo": null})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["account"]["photo_hash"].is_null());
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[tokio::test]
async fn the_public_directory_shows_what_is_verified() {
    let app = spawn_identity_app(None).await;
    app.state.service.load_identity_demo().await.unwrap();
    let r = app.call("GET", "/directory", None, None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Sở Thông tin và Truyền thông Hà Nội"));
    let r = app
        .call("GET", "/directory?q=so%20thong%20tin", None, None)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("/directory/agencies/so-tt-hn"));
    assert!(!r.body.contains("/directory/agencies/ubnd-q1"));
    let r = app.call("GET", "/directory?q=nguyen", None, None).await;
    assert!(
        r.body.contains("/directory/accounts/nguyen.van.an"),
        "{}",
        r.body
    );
    let r = app
        .call("GET", "/directory/agencies/so-tt-hn", None, None)
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("data-field=\"badge\" data-signed=\"{&#34;badge&#34;:{"),
        "the badge is embedded: {}",
        r.body
    );
    // The page loads the checking script, a file of the app (no inline script: the CSP).
    assert!(r.body.contains("<script src=\"/static/verify.js\" "));
    let script = app.call("GET", "/static/verify.js", None, None).await;
    assert!(script.body.contains("crypto.subtle.verify"));
    let r = app
        .call("GET", "/directory/agencies/ubnd-q1", None, None)
        .await;
    assert!(
        r.body.contains("AG-3"),
        "the missing administrator is a finding"
    );
    let r = app
        .call("GET", "/directory/accounts/nguyen.van.an", None, None)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Chuyên viên Phòng Báo chí"));
    for missing in ["/directory/agencies/nope", "/directory/accounts/nope"] {
        assert_eq!(app.call("GET", missing, None, None).await.status, 404);
    }
    let v = app
        .call("GET", "/v1/verify/nguyen.van.an", None, None)
        .await
        .json();
    assert_eq!(v["verified"], true);
    let v = app
        .call("GET", "/v1/verify/sotttt.hanoi", None, None)
        .await
        .json();
    assert_eq!(v["page"]["verified"], true);
    let v = app
        .call("GET", "/v1/verify/ubndquan1", None, None)
        .await
        .json();
    assert_eq!(v["page"]["verified"], false);
}
