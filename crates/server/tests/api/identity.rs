//! Tests of the identity endpoints, end to end over loopback HTTP: domain challenges fetched
//! from a small local web server (wrong token, redirect to another host and oversize files
//! refused) and answered by a small local DNS server, badges issued, checked with the
//! published keys and revoked, and the audit trail of every change. Vouching, photos
//! and the public directory are in `accounts`.

use crate::helpers::*;
use quytac_core::identity::badge::{self, KeySet, RevocationList, Verification};
use quytac_server::auth::create_token_for_agency;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;

/// This module's rows of the permission matrix.
pub(super) fn permission_rows() -> Vec<MatrixRow> {
    use Role::*;
    vec![
        ("POST", "/v1/agencies", "/v1/agencies", Who::Roles(&[Admin])),
        (
            "GET",
            "/v1/agencies/{id}",
            "/v1/agencies/x",
            Who::Roles(ALL),
        ),
        (
            "PATCH",
            "/v1/agencies/{id}",
            "/v1/agencies/x",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "POST",
            "/v1/agencies/{id}/domain-challenge",
            "/v1/agencies/x/domain-challenge",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "POST",
            "/v1/agencies/{id}/domain-challenge/verify",
            "/v1/agencies/x/domain-challenge/verify",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "POST",
            "/v1/agencies/{id}/badge",
            "/v1/agencies/x/badge",
            Who::Roles(&[Admin, Reviewer]),
        ),
        (
            "DELETE",
            "/v1/agencies/{id}/badge",
            "/v1/agencies/x/badge",
            Who::Roles(&[Admin, Reviewer]),
        ),
        (
            "POST",
            "/v1/accounts",
            "/v1/accounts",
            Who::Roles(&[Admin, Moderator]),
        ),
        (
            "GET",
            "/v1/accounts/{handle}",
            "/v1/accounts/x",
            Who::Roles(ALL),
        ),
        (
            "PATCH",
            "/v1/accounts/{handle}",
            "/v1/accounts/x",
            Who::Roles(&[Admin, Moderator]),
        ),
        (
            "POST",
            "/v1/agencies/{id}/staff",
            "/v1/agencies/x/staff",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "DELETE",
            "/v1/agencies/{id}/staff/{handle}",
            "/v1/agencies/x/staff/y",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        ("GET", "/v1/verify/{handle}", "/v1/verify/x", Who::Public),
    ]
}

/// The app with plain HTTP allowed to loopback (the challenge server) and DNS challenges
/// resolved by `dns`.
pub(crate) async fn spawn_identity_app(dns: Option<SocketAddr>) -> TestApp {
    spawn_app_with(|config| {
        config.body_limit = 256 * 1024;
        config.fetch.allow_loopback_http = true;
        config.fetch.timeout = Duration::from_secs(5);
        config.dns_server = dns;
    })
    .await
}

/// What the agency's web server answers: status, extra headers, body.
type Served = Arc<Mutex<(u16, Vec<(String, String)>, Vec<u8>)>>;

/// The agency's web server: answers every request with what `Served` holds.
async fn challenge_server() -> (u16, Served) {
    let served: Served = Arc::new(Mutex::new((404, vec![], b"not found".to_vec())));
    let s = served.clone();
    let port = web_server(move |_, _| {
        let (status, headers, body) = s.lock().unwrap().clone();
        Some((format!("{status} X"), headers, body))
    })
    .await;
    (port, served)
}

fn serve(s: &Served, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    *s.lock().unwrap() = (
        status,
        headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body.to_vec(),
    );
}

/// A tiny DNS server on 127.0.0.1 (UDP) answering TXT queries from `records`.
async fn dns_server(records: Arc<Mutex<Vec<(String, String)>>>) -> SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                return;
            };
            let q = &buf[..n];
            if q.len() < 12 {
                continue;
            }
            // The question: labels up to the root, then type and class.
            let mut i = 12;
            let mut labels = Vec::new();
            while i < q.len() && q[i] != 0 {
                let len = q[i] as usize;
                labels.push(String::from_utf8_lossy(&q[i + 1..i + 1 + len]).to_lowercase());
                i += 1 + len;
            }
            let qend = i + 5;
            if qend > q.len() {
                continue;
            }
            let qtype = u16::from_be_bytes([q[i + 1], q[i + 2]]);
            let name = labels.join(".");
            let answers: Vec<String> = records
                .lock()
                .unwrap()
                .iter()
                .filter(|(n, _)| *n == name && qtype == 16)
                .map(|(_, v)| v.clone())
                .collect();
            let mut r = Vec::new();
            r.extend_from_slice(&q[0..2]);
            let rcode: u8 = if answers.is_empty() { 3 } else { 0 };
            r.extend_from_slice(&[0x81, 0x80 | rcode]);
            r.extend_from_slice(&[0, 1]);
            r.extend_from_slice(&(answers.len() as u16).to_be_bytes());
            r.extend_from_slice(&[0, 0, 0, 0]);
            r.extend_from_slice(&q[12..qend]);
            for a in answers {
                r.extend_from_slice(&[0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 0, 60]);
                r.extend_from_slice(&((a.len() + 1) as u16).to_be_bytes());
                r.push(a.len() as u8);
                r.extend_from_slice(a.as_bytes());
            }
            let _ = sock.send_to(&r, peer).await;
        }
    });
    addr
}

impl TestApp {
    pub(crate) async fn actions(&self, admin: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let r = self
                .call(
                    "GET",
                    &format!("/v1/audit?after={after}&limit=1000"),
                    Some(admin),
                    None,
                )
                .await
                .json();
            let events = r["events"].as_array().unwrap().clone();
            if events.is_empty() {
                return out;
            }
            for e in &events {
                out.push(e["action"].as_str().unwrap().to_string());
            }
            after = r["next_after"].as_i64().unwrap();
        }
    }

    pub(crate) async fn audit_ok(&self, admin: &str) {
        let r = self
            .call("GET", "/v1/audit/verify", Some(admin), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["ok"], true, "{}", r.body);
    }

    pub(crate) async fn keys(&self) -> KeySet {
        let r = self
            .call("GET", "/.well-known/quytac-keys.json", None, None)
            .await;
        assert_eq!(r.status, 200);
        KeySet::from_json(&r.body).unwrap()
    }

    pub(crate) async fn revocations(&self) -> RevocationList {
        let r = self
            .call("GET", "/.well-known/quytac-revocations.json", None, None)
            .await;
        assert_eq!(r.status, 200);
        RevocationList::from_json(&r.body).unwrap()
    }
}

pub(crate) fn now_secs() -> i64 {
    quytac_store::now_ms() / 1000
}

pub(crate) fn codes(findings: &Value) -> Vec<(String, String)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn domain_challenge_badge_keys_and_revocation_end_to_end() {
    let app = spawn_identity_app(None).await;
    let (web_port, served) = challenge_server().await;
    let admin = app.token(Role::Admin).await;
    let reviewer = app.token(Role::Reviewer).await;
    let citizen = app.token(Role::Citizen).await;
    let domain = format!("127.0.0.1:{web_port}");

    let r = app
        .call(
            "POST",
            "/v1/agencies",
            Some(&admin),
            Some(json!({
                "id": "so-tt-hn", "name": "Sở Thông tin và Truyền thông Hà Nội",
                "official_domain": domain, "page_handle": "@SoTTTT.HaNoi",
                "responsible": {"head": {"name": "Nguyễn Thanh Hà", "position": "Giám đốc Sở", "phone": "024 3825 6688"}},
            })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let agency = r.json()["agency"].clone();
    assert_eq!(agency["page_handle"], "sotttt.hanoi");
    assert_eq!(agency["verification"]["verified"], false);
    assert_eq!(
        codes(&agency["findings"]),
        [
            ("AG-1".to_string(), "unverified_page".to_string()),
            ("AG-3".into(), "responsible_person".into())
        ],
        "no badge, and no page administrator"
    );
    let dup = app
        .call(
            "POST",
            "/v1/agencies",
            Some(&admin),
            Some(json!({"id": "so-tt-hn", "name": "x"})),
        )
        .await;
    assert_eq!((dup.status, dup.code().as_str()), (409, "conflict"));
    let bad = app
        .call(
            "POST",
            "/v1/agencies",
            Some(&admin),
            Some(json!({"id": "x", "name": "x", "official_domain": "https://x.gov.vn/"})),
        )
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (422, "invalid_field"));

    // Officers: bound to this agency, to another, or to none.
    let officer = create_token_for_agency(
        &app.state.store,
        Role::AgencyOfficer,
        "t",
        Some("so-tt-hn"),
        "test",
    )
    .await
    .unwrap();
    let unbound = app.token(Role::AgencyOfficer).await;
    let path = "/v1/agencies/so-tt-hn/domain-challenge";
    let r = app
        .call("POST", path, Some(&unbound), Some(json!({})))
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = app
        .call("POST", path, Some(&citizen), Some(json!({})))
        .await;
    assert_eq!(r.status, 403);

    // A badge needs a verified challenge.
    let badge_path = "/v1/agencies/so-tt-hn/badge";
    let r = app
        .call("POST", badge_path, Some(&reviewer), Some(json!({})))
        .await;
    assert_eq!((r.status, r.code().as_str()), (409, "domain_not_verified"));

    let r = app
        .call("POST", path, Some(&officer), Some(json!({})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.json()["challenge"]["token"].as_str().unwrap().to_string();
    assert_eq!(
        r.json()["publish"]["url"],
        format!("http://{domain}/.well-known/quytac-challenge.txt")
    );
    assert_eq!(r.json()["publish"]["content"], token.as_str());

    let verify = |who: String| {
        let app = &app;
        async move {
            app.call(
                "POST",
                "/v1/agencies/so-tt-hn/domain-challenge/verify",
                Some(&who),
                Some(json!({})),
            )
            .await
        }
    };
    // Nothing published yet, a wrong token, a redirect to another host, an oversize file.
    let r = verify(officer.clone()).await;
    assert_eq!((r.status, r.code().as_str()), (422, "challenge_failed"));
    assert!(r.body.contains("404"), "{}", r.body);
    serve(&served, 200, &[], b"quytac-challenge-0000\n");
    let r = verify(officer.clone()).await;
    assert_eq!((r.status, r.code().as_str()), (422, "challenge_failed"));
    assert!(r.body.contains("does not contain"), "{}", r.body);
    let elsewhere = format!("http://localhost:{web_port}/.well-known/quytac-challenge.txt");
    serve(&served, 302, &[("Location", elsewhere.as_str())], b"");
    let r = verify(officer.clone()).await;
    assert_eq!((r.status, r.code().as_str()), (422, "challenge_failed"));
    assert!(r.body.contains("redirect"), "{}", r.body);
    let mut big = format!("{token}\n").into_bytes();
    big.resize(10_000, b'#');
    serve(&served, 200, &[], &big);
    let r = verify(officer.clone()).await;
    assert_eq!((r.status, r.code().as_str()), (422, "challenge_failed"));
    assert!(r.body.contains("larger than"), "{}", r.body);

    serve(&served, 200, &[], format!("# quytac\n{token}\n").as_bytes());
    let r = verify(officer.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["verified"], true);
    assert_eq!(r.json()["challenge"]["attempts"], 5);

    // An officer may not approve its own page; a reviewer does.
    let r = app
        .call("POST", badge_path, Some(&officer), Some(json!({})))
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .call(
            "POST",
            badge_path,
            Some(&reviewer),
            Some(json!({"valid_days": 3650})),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "invalid_field"));
    let r = app
        .call(
            "POST",
            badge_path,
            Some(&reviewer),
            Some(json!({"valid_days": 30})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let signed = r.json()["signed_badge"].to_string();
    let serial = r.json()["badge"]["serial"].as_str().unwrap().to_string();

    // Offline check with the published keys; the file the directory serves is the same bytes.
    let keys = app.keys().await;
    assert_eq!(keys.keys[0].alg, "Ed25519");
    assert!(keys.keys[0].kid.starts_with("ed25519-"));
    let b = match badge::verify(&signed, &keys, None, now_secs()) {
        Verification::Valid(b) => b,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (
            b.agency_id.as_str(),
            b.page_handle.as_str(),
            b.domain.as_str()
        ),
        ("so-tt-hn", "sotttt.hanoi", domain.as_str())
    );
    assert_eq!(b.serial, serial);
    let file = app
        .call("GET", "/directory/agencies/so-tt-hn/badge.json", None, None)
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body.trim_end(), signed);
    assert_eq!(
        badge::verify(&signed, &keys, None, now_secs() + 31 * 86_400).code(),
        "expired"
    );

    let r = app
        .call("GET", "/v1/agencies/so-tt-hn", Some(&citizen), None)
        .await;
    assert_eq!(r.status, 200);
    let a = r.json()["agency"].clone();
    assert_eq!(a["verification"]["verified"], true);
    assert_eq!(
        a["verification"]["badge"]["approved_by"],
        format!("reviewer:{}", reviewer.split('_').nth(1).unwrap())
    );
    assert_eq!(
        codes(&a["findings"]),
        [("AG-3".to_string(), "responsible_person".to_string())]
    );
    let v = app
        .call("GET", "/v1/verify/@sotttt.hanoi", None, None)
        .await
        .json();
    assert_eq!(v["verified"], true);
    assert_eq!(v["page"]["agency_id"], "so-tt-hn");
    assert!(v["page"]["since_text"].as_str().unwrap().ends_with('Z'));

    // Revocation needs a reason; then the badge is reported revoked, online and offline.
    let r = app
        .call("DELETE", badge_path, Some(&reviewer), Some(json!({})))
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "invalid_field"));
    let r = app
        .call(
            "DELETE",
            badge_path,
            Some(&reviewer),
            Some(json!({"reason": "trang bị chiếm quyền quản trị"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let revoked = app.revocations().await;
    match badge::verify(&signed, &app.keys().await, Some(&revoked), now_secs()) {
        Verification::Revoked { reason, .. } => assert_eq!(reason, "trang bị chiếm quyền quản trị"),
        other => panic!("{other:?}"),
    }
    let a = app
        .call("GET", "/v1/agencies/so-tt-hn", Some(&admin), None)
        .await
        .json()["agency"]
        .clone();
    assert_eq!(a["verification"]["verified"], false);
    assert_eq!(a["verification"]["status"], "revoked");
    assert!(codes(&a["findings"]).contains(&("AG-1".into(), "unverified_page".into())));
    let r = app
        .call(
            "DELETE",
            badge_path,
            Some(&reviewer),
            Some(json!({"reason": "again"})),
        )
        .await;
    assert_eq!(r.status, 404);

    // Naming a page administrator clears AG-3; a new domain needs a new challenge.
    let r = app
        .call(
            "PATCH",
            "/v1/agencies/so-tt-hn",
            Some(&officer),
            Some(json!({"responsible": {
                "head": {"name": "Nguyễn Thanh Hà", "position": "Giám đốc Sở", "phone": "024 3825 6688"},
                "page_admin": {"name": "Lê Minh Tú", "position": "Chuyên viên", "email": "tu@hanoi.gov.vn"}}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        codes(&r.json()["agency"]["findings"]),
        [("AG-1".to_string(), "unverified_page".to_string())]
    );

    // The official domain changes only through an admin: an officer's change is refused and
    // leaves the domain (and the badge that names it) as it was.
    for domain in [json!("khac.gov.vn"), Value::Null] {
        let r = app
            .call(
                "PATCH",
                "/v1/agencies/so-tt-hn",
                Some(&officer),
                Some(json!({"official_domain": domain})),
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "forbidden"),
            "{}",
            r.body
        );
    }
    let r = app
        .call("GET", "/v1/agencies/so-tt-hn", Some(&officer), None)
        .await;
    assert_ne!(r.json()["agency"]["official_domain"], "khac.gov.vn");
    assert!(!r.json()["agency"]["official_domain"].is_null());

    let actions = app.actions(&admin).await;
    for want in [
        "agency.created",
        "token.created",
        "domain_challenge.created",
        "domain_challenge.failed",
        "domain_challenge.verified",
        "badge.issued",
        "badge.revoked",
        "agency.updated",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "domain_challenge.failed")
            .count(),
        4
    );
    app.audit_ok(&admin).await;
}

#[tokio::test]
async fn dns_challenge_and_a_new_domain_revokes_the_badge() {
    let records = Arc::new(Mutex::new(Vec::new()));
    let dns = dns_server(records.clone()).await;
    let app = spawn_identity_app(Some(dns)).await;
    let admin = app.token(Role::Admin).await;
    let r = app
        .call(
            "POST",
            "/v1/agencies",
            Some(&admin),
            Some(json!({"id": "ubnd-q1", "name": "Ủy ban nhân dân Quận 1",
                "official_domain": "Quan1.HoChiMinhCity.gov.vn.", "page_handle": "ubndquan1"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.json()["agency"]["official_domain"],
        "quan1.hochiminhcity.gov.vn"
    );
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-q1/domain-challenge",
            Some(&admin),
            Some(json!({"method": "dns"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let publish = r.json()["publish"].clone();
    assert_eq!(
        publish["name"],
        "_quytac-challenge.quan1.hochiminhcity.gov.vn"
    );
    assert_eq!(publish["type"], "TXT");
    let verify_path = "/v1/agencies/ubnd-q1/domain-challenge/verify";
    let r = app
        .call("POST", verify_path, Some(&admin), Some(json!({})))
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "challenge_failed"));
    records.lock().unwrap().push((
        "_quytac-challenge.quan1.hochiminhcity.gov.vn".into(),
        "some other record".into(),
    ));
    records.lock().unwrap().push((
        "_quytac-challenge.quan1.hochiminhcity.gov.vn".into(),
        publish["value"].as_str().unwrap().into(),
    ));
    let r = app
        .call("POST", verify_path, Some(&admin), Some(json!({})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-q1/badge",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let serial = r.json()["badge"]["serial"].as_str().unwrap().to_string();

    // Moving to another domain revokes the badge that named the old one.
    let r = app
        .call(
            "PATCH",
            "/v1/agencies/ubnd-q1",
            Some(&admin),
            Some(json!({"official_domain": "quan1.tphcm.gov.vn"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = &r.json()["agency"]["verification"];
    assert_eq!(v["verified"], false);
    assert_eq!(v["status"], "revoked");
    let revoked = app.revocations().await;
    assert!(revoked.find(&serial).is_some());
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-q1/badge",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (409, "domain_not_verified"));
    app.audit_ok(&admin).await;
}
