//! The authority of the caller and the outbound-address policy (issue 11, items 4 and 5, and
//! the smaller defects of "What broke" 9). Each test runs the attack that worked before.

use crate::helpers::*;
use quytac_store::model::NewAgency;
use std::net::SocketAddr;
use tokio::net::UdpSocket;

impl TestApp {
    /// Registers an agency, a competent authority or not.
    pub(crate) async fn agency(&self, id: &str, competent: bool) {
        self.state
            .store
            .create_agency(
                &NewAgency {
                    id: id.into(),
                    name: format!("Cơ quan {id}"),
                    parent_id: None,
                    official_domain: Some(format!("{id}.gov.vn")),
                    page_handle: Some(format!("{id}.page")),
                    portal_feed_url: None,
                    response_working_days: 15,
                    responsible: Default::default(),
                    competent_authority: competent,
                },
                "test",
            )
            .await
            .unwrap();
    }
}

const RSS: &[u8] = b"<rss version=\"2.0\"><channel><title>t</title><item><title>Tin</title><link>https://so-a.gov.vn/tin-1</link><description>Hoi nghi 5/3.</description></item></channel></rss>";

fn takedown(post_id: &str) -> Value {
    json!({"post_id": post_id, "legal_basis": "Nghị định 147/2024/NĐ-CP, Điều 23"})
}

/// "What broke" 4: an officer token bound to no agency filed a takedown naming any authority,
/// and every officer listed every takedown.
#[tokio::test]
async fn takedowns_come_only_from_competent_authorities_in_their_own_name() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let moderator = app.token(Role::Moderator).await;
    app.agency("bo-ca", true).await;
    app.agency("so-tt-hn", true).await;
    app.agency("ubnd-q1", false).await;
    app.ingest(&moderator, "p1", CLEAN, "u1").await;
    let unbound = app.token(Role::AgencyOfficer).await;
    let police = app.officer_of("bo-ca").await;
    let hanoi = app.officer_of("so-tt-hn").await;
    let district = app.officer_of("ubnd-q1").await;

    let file = |token: &str, body: Value| {
        let (app, token) = (&app, token.to_string());
        async move {
            app.call("POST", "/v1/takedowns", Some(&token), Some(body))
                .await
        }
    };
    let mut as_ministry = takedown("p1");
    as_ministry["authority"] = json!("Bộ Công an");
    for (who, token, body) in [
        ("an unbound officer", &unbound, as_ministry.clone()),
        ("an unbound officer", &unbound, takedown("p1")),
        ("a district that is no authority", &district, takedown("p1")),
        ("in another authority's name", &hanoi, as_ministry.clone()),
        (
            "for another agency",
            &hanoi,
            json!({"post_id": "p1", "agency_id": "bo-ca", "legal_basis": "x"}),
        ),
    ] {
        let r = file(token, body).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "forbidden"),
            "{who}: {}",
            r.body
        );
    }
    let filed = file(&police, takedown("p1")).await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    assert_eq!(filed.json()["takedown"]["authority"], "Cơ quan bo-ca");
    assert_eq!(filed.json()["takedown"]["agency_id"], "bo-ca");
    let mut own_name = takedown("p1");
    own_name["authority"] = json!("Cơ quan so-tt-hn");
    assert_eq!(file(&hanoi, own_name).await.status, 201);
    // An admin enters a paper request in the name of a competent authority only.
    let mut paper = takedown("p1");
    paper["agency_id"] = json!("ubnd-q1");
    assert_eq!(file(&admin, paper.clone()).await.status, 403);
    paper["agency_id"] = json!("bo-ca");
    assert_eq!(file(&admin, paper).await.status, 201);

    let listed = |token: &str| {
        let (app, token) = (&app, token.to_string());
        async move {
            let r = app.call("GET", "/v1/takedowns", Some(&token), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.json()["takedowns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["agency_id"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(&police).await, ["bo-ca", "bo-ca"]);
    assert_eq!(listed(&hanoi).await, ["so-tt-hn"]);
    assert!(listed(&district).await.is_empty());
    assert!(listed(&unbound).await.is_empty());
    assert_eq!(listed(&admin).await.len(), 3);

    // Only an admin registers a competent authority; an officer cannot make their own one.
    let r = app
        .call(
            "PATCH",
            "/v1/agencies/ubnd-q1",
            Some(&district),
            Some(json!({"competent_authority": true})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .call(
            "PATCH",
            "/v1/agencies/ubnd-q1",
            Some(&admin),
            Some(json!({"competent_authority": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["agency"]["competent_authority"], true);
    assert_eq!(file(&district, takedown("p1")).await.status, 201);
}

/// "What broke" 9: any citizen appealed any case; a moderator appealed their own decision.
#[tokio::test]
async fn only_the_author_or_an_admin_appeals_once() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let admin = app.token(Role::Admin).await;
    let anyone = app.token(Role::Citizen).await;
    let stranger = app.author_token("mastodon:mallory").await;
    let author = app.author_token("u1").await;
    let decide = |case: i64| {
        let (app, moderator) = (&app, moderator.clone());
        async move {
            let r = app
                .call(
                    "POST",
                    &format!("/v1/cases/{case}/decision"),
                    Some(&moderator),
                    Some(json!({"rule": "US-1", "category": "regional_discrimination", "action": "remove", "statement": "Gỡ."})),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
    };
    let appeal = |case: i64, token: &str| {
        let (app, token) = (&app, token.to_string());
        async move {
            app.call(
                "POST",
                &format!("/v1/cases/{case}/appeal"),
                Some(&token),
                Some(json!({"reason": "Tôi chỉ trích dẫn."})),
            )
            .await
        }
    };
    let case = app.ingest(&moderator, "p1", HATE, "u1").await["case"]["id"]
        .as_i64()
        .unwrap();
    decide(case).await;
    for (who, token) in [
        ("a citizen bound to no author", &anyone),
        ("another author", &stranger),
        ("the moderator who decided", &moderator),
    ] {
        let r = appeal(case, token).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "forbidden"),
            "{who}: {}",
            r.body
        );
    }
    let r = appeal(case, &author).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(appeal(case, &author).await.status, 409, "once per decision");

    // An admin appeals for an author.
    let other = app.ingest(&moderator, "p2", HATE, "u2").await["case"]["id"]
        .as_i64()
        .unwrap();
    decide(other).await;
    assert_eq!(appeal(other, &author).await.status, 403, "not u1's post");
    let r = appeal(other, &admin).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(appeal(other, &admin).await.status, 409);
}

/// "What broke" 9: officers changed an agency's official domain.
#[tokio::test]
async fn the_official_domain_changes_only_through_an_admin() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    app.agency("so-a", false).await;
    app.agency("so-b", false).await;
    for officer in [app.officer_of("so-a").await, app.officer_of("so-b").await] {
        let r = app
            .call(
                "PATCH",
                "/v1/agencies/so-a",
                Some(&officer),
                Some(json!({"official_domain": "evil.gov.vn"})),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    let r = app
        .call(
            "PATCH",
            "/v1/agencies/so-a",
            Some(&admin),
            Some(json!({"official_domain": "moi.so-a.gov.vn"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["agency"]["official_domain"], "moi.so-a.gov.vn");
}

/// "What broke" 9: `portal/check` with a `post_id` told an officer whether any post existed.
#[tokio::test]
async fn portal_check_reads_only_the_officer_s_own_agency_s_posts() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    app.agency("so-a", false).await;
    app.agency("so-b", false).await;
    let ingest = |id: &str, agency: &str| {
        let (app, moderator) = (&app, moderator.clone());
        let post = json!({"id": id, "text": "Sở tổ chức hội nghị ngày 5/3 với 200 đại biểu.",
                          "author": {"id": format!("{agency}.page"), "role": "agency", "agency": agency}});
        async move {
            let r = app
                .call("POST", "/v1/posts", Some(&moderator), Some(post))
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
    };
    ingest("a-post", "so-a").await;
    ingest("b-post", "so-b").await;
    let officer = app.officer_of("so-a").await;
    let check = |post_id: &str| {
        let (app, officer) = (&app, officer.clone());
        let body = json!({ "post_id": post_id });
        async move {
            app.call(
                "POST",
                "/v1/agencies/so-a/portal/check",
                Some(&officer),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(check("a-post").await.status, 200);
    let others = check("b-post").await;
    let missing = check("zz-post").await;
    assert_eq!(
        (others.status, others.code()),
        (404, "not_found".to_string())
    );
    assert_eq!(
        others.json()["error"]["message"]
            .as_str()
            .unwrap()
            .replace("b-post", "ID"),
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .replace("zz-post", "ID"),
        "another agency's post and a missing one get the same answer"
    );
    // Staff read any post.
    let r = app
        .call(
            "POST",
            "/v1/agencies/so-a/portal/check",
            Some(&moderator),
            Some(json!({"post_id": "b-post"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// "What broke" 9: duplicate JSON keys were accepted (serde keeps the last); an inquiry's
/// `received_at` could be 1970.
#[tokio::test]
async fn duplicate_keys_and_impossible_times_are_refused() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let auth = format!("Bearer {admin}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    for (path, body) in [
        (
            "/v1/check",
            r#"{"id":"a","text":"Xin chào","text":"Bọn bắc kỳ"}"#,
        ),
        (
            "/v1/check",
            r#"[{"id":"a","text":"x","author":{"id":"u","id":"v"}}]"#,
        ),
        ("/v1/agencies", r#"{"id":"so-x","name":"A","id":"so-y"}"#),
        (
            "/v1/integrations/mastodon",
            r#"{"event":"status.created","event":"x"}"#,
        ),
    ] {
        let sig = quytac_server::api::mastodon::sign(SECRET, body.as_bytes());
        let mut h = headers.to_vec();
        h.push(("x-hub-signature", sig.as_str()));
        let r = app.request("POST", path, &h, body.as_bytes()).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "duplicate_json_key"),
            "{path} {body}: {}",
            r.body
        );
    }

    app.agency("so-a", false).await;
    for received_at in [0_i64, 86_400_000, 1_500_000_000, 1_514_739_599_999] {
        let r = app
            .call(
                "POST",
                "/v1/agencies/so-a/inquiries",
                Some(&admin),
                Some(json!({"text": "Xin hỏi thủ tục cấp phép?", "received_at": received_at})),
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (422, "invalid_field"),
            "{received_at}: {}",
            r.body
        );
    }
    let r = app
        .call(
            "POST",
            "/v1/agencies/so-a/inquiries",
            Some(&admin),
            Some(
                json!({"text": "Xin hỏi thủ tục cấp phép?", "received_at": 1_767_225_600_000_i64}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// A Mastodon delivery, signed, created at `created_at` (RFC 3339).
fn delivery(event: &str, created_at: &str, object: Value) -> String {
    json!({"event": event, "created_at": created_at, "object": object}).to_string()
}

pub(crate) fn rfc3339(ms: i64) -> String {
    let (y, m, d) = quytac_core::civil::civil_from_days(ms.div_euclid(86_400_000));
    let s = ms.rem_euclid(86_400_000) / 1000;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// "What broke" 9: a Mastodon delivery sent again made a second report; uppercase-hex
/// signatures passed.
#[tokio::test]
async fn mastodon_deliveries_are_taken_once_inside_their_window() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let send = |body: String, sig: Option<String>| {
        let app = &app;
        async move {
            let sig =
                sig.unwrap_or_else(|| quytac_server::api::mastodon::sign(SECRET, body.as_bytes()));
            app.request(
                "POST",
                "/v1/integrations/mastodon",
                &[
                    ("x-hub-signature", sig.as_str()),
                    ("content-type", "application/json"),
                ],
                body.as_bytes(),
            )
            .await
        }
    };
    let now = rfc3339(quytac_store::now_ms());
    let report = delivery(
        "report.created",
        &now,
        json!({"id": "77", "comment": "kỳ thị", "account": {"username": "binh"},
               "statuses": [{"id": "5501", "content": format!("<p>{HATE}</p>"), "account": {"acct": "an"}}]}),
    );
    // Uppercase hex is not the signature Mastodon sends.
    let sig = quytac_server::api::mastodon::sign(SECRET, report.as_bytes());
    let upper = format!("sha256={}", sig["sha256=".len()..].to_uppercase());
    let r = send(report.clone(), Some(upper)).await;
    assert_eq!((r.status, r.code().as_str()), (401, "bad_signature"));

    let first = send(report.clone(), None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json()["duplicate"], false);
    let again = send(report.clone(), None).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["duplicate"], true);
    // The same report id in a delivery created a moment later is the same report.
    let later = delivery(
        "report.created",
        &rfc3339(quytac_store::now_ms() + 1000),
        json!({"id": "77", "comment": "kỳ thị", "account": {"username": "binh"},
               "statuses": [{"id": "5501", "content": format!("<p>{HATE}</p>"), "account": {"acct": "an"}}]}),
    );
    assert_eq!(send(later, None).await.json()["duplicate"], true);
    let case = first.json()["reports"][0]["case"]["id"].as_i64().unwrap();
    let detail = app
        .call("GET", &format!("/v1/cases/{case}"), Some(&moderator), None)
        .await
        .json();
    assert_eq!(detail["reports"].as_array().unwrap().len(), 1, "one report");

    let status = delivery(
        "status.created",
        &now,
        json!({"id": "5502", "content": "<p>Xin chào</p>", "account": {"acct": "an"}}),
    );
    assert_eq!(send(status.clone(), None).await.json()["duplicate"], false);
    assert_eq!(send(status, None).await.json()["duplicate"], true);
    assert_eq!(app.state.store.count_posts().await.unwrap(), 2);

    // Replays outside the window, deliveries dated ahead, and deliveries without a time.
    let hour_ago = rfc3339(quytac_store::now_ms() - 61 * 60 * 1000);
    let ahead = rfc3339(quytac_store::now_ms() + 10 * 60 * 1000);
    for created_at in [hour_ago.as_str(), ahead.as_str(), "2025-01-01T00:00:00Z"] {
        let old = delivery(
            "status.created",
            created_at,
            json!({"id": "5503", "content": "<p>x</p>", "account": {"acct": "an"}}),
        );
        let r = send(old, None).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (422, "stale_delivery"),
            "{created_at}"
        );
    }
    let timeless = json!({"event": "status.created", "object": {"id": "5504"}}).to_string();
    assert_eq!(send(timeless, None).await.code(), "stale_delivery");
    assert_eq!(app.state.store.count_posts().await.unwrap(), 2);
}

/// Issue 11, "What broke" 6: each of these feed addresses was accepted. Target: every listed
/// address is refused when set.
#[tokio::test]
async fn every_listed_address_is_refused_when_set() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    app.agency("so-a", false).await;
    let mut urls: Vec<String> = [
        "https://[::127.0.0.1]/",
        "https://[64:ff9b::7f00:1]/",
        "https://[2002:7f00:1::]/",
        "https://[::ffff:0:7f00:1]/",
        "https://[fec0::1]/",
        "https://[ff02::1]/",
        "https://0.0.0.1/",
        "https://192.0.0.1/",
        "https://198.18.0.1/",
        "https://224.0.0.1/",
        "https://240.0.0.1/",
        "https://127.0.0.1/",
        "https://localhost/",
        "https://mic.gov.vn:8443/feed",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // This host's own interface addresses.
    for ip in quytac_service::fetch::addresses::own_addresses() {
        urls.push(match ip {
            std::net::IpAddr::V4(v4) => format!("https://{v4}/feed"),
            std::net::IpAddr::V6(v6) => format!("https://[{v6}]/feed"),
        });
    }
    for url in &urls {
        for path in ["/v1/agencies/so-a/portal/feed"] {
            let r = app
                .call("POST", path, Some(&admin), Some(json!({ "url": url })))
                .await;
            assert_eq!(
                (r.status, r.code().as_str()),
                (422, "invalid_field"),
                "{url}: {}",
                r.body
            );
        }
        let r = app
            .call(
                "POST",
                "/v1/agencies",
                Some(&admin),
                Some(json!({"id": "so-x", "name": "X", "portal_feed_url": url})),
            )
            .await;
        assert_eq!(r.status, 422, "{url}: {}", r.body);
    }
    let ok = app
        .call(
            "POST",
            "/v1/agencies/so-a/portal/feed",
            Some(&admin),
            Some(json!({"url": "https://so-a.gov.vn/rss"})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

/// A DNS server on 127.0.0.1 (UDP) that answers every A query with 127.0.0.1 and every AAAA
/// query with ::1: a public-looking name re-pointed at this host (DNS rebinding).
async fn rebinding_dns() -> SocketAddr {
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
            let mut i = 12;
            while i < q.len() && q[i] != 0 {
                i += 1 + q[i] as usize;
            }
            let qend = i + 5;
            if qend > q.len() {
                continue;
            }
            let qtype = u16::from_be_bytes([q[i + 1], q[i + 2]]);
            let rdata: &[u8] = match qtype {
                1 => &[127, 0, 0, 1],
                28 => &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                _ => &[],
            };
            let mut r = Vec::new();
            r.extend_from_slice(&q[0..2]);
            r.extend_from_slice(&[0x81, 0x80, 0, 1]);
            r.extend_from_slice(&(u16::from(!rdata.is_empty())).to_be_bytes());
            r.extend_from_slice(&[0, 0, 0, 0]);
            r.extend_from_slice(&q[12..qend]);
            if !rdata.is_empty() {
                r.extend_from_slice(&[0xC0, 0x0C]);
                r.extend_from_slice(&qtype.to_be_bytes());
                r.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
                r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
                r.extend_from_slice(rdata);
            }
            let _ = sock.send_to(&r, peer).await;
        }
    });
    addr
}

/// A name that passed when it was stored and resolves to this host when it is fetched is
/// refused at connect time.
#[tokio::test]
async fn dns_rebinding_is_refused_at_connect_time() {
    let dns = rebinding_dns().await;
    let app = spawn_app_with(move |c| {
        c.dns_server = Some(dns);
        c.fetch.timeout = Duration::from_secs(5);
    })
    .await;
    let admin = app.token(Role::Admin).await;
    app.agency("so-a", false).await;
    let set = app
        .call(
            "POST",
            "/v1/agencies/so-a/portal/feed",
            Some(&admin),
            Some(json!({"url": "https://portal.so-a.example/rss"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let r = app
        .call(
            "POST",
            "/v1/agencies/so-a/portal/refresh",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (502, "feed_fetch_failed"),
        "{}",
        r.body
    );
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("only refused addresses") && message.contains("loopback"),
        "{message}"
    );
}

/// Redirects are re-checked: to another port, or from the feed's host to another, refused.
#[tokio::test]
async fn redirects_to_another_port_or_host_are_refused() {
    let target = web_server(|_, _| {
        Some((
            "200 OK".into(),
            vec![("Content-Type".into(), "application/rss+xml".into())],
            RSS.to_vec(),
        ))
    })
    .await;
    let redirecting = web_server(move |head, port| {
        let to = if head.starts_with("GET /other-port") {
            format!("http://127.0.0.1:{target}/rss")
        } else if head.starts_with("GET /other-host") {
            format!("http://localhost:{port}/rss")
        } else if head.starts_with("GET /same") {
            format!("http://127.0.0.1:{port}/final")
        } else {
            return Some((
                "200 OK".into(),
                vec![("Content-Type".into(), "application/rss+xml".into())],
                RSS.to_vec(),
            ));
        };
        Some(("302 Found".into(), vec![("Location".into(), to)], vec![]))
    })
    .await;
    let app = spawn_app_with(|c| {
        c.fetch.allow_loopback_http = true;
        c.fetch.timeout = Duration::from_secs(5);
    })
    .await;
    let admin = app.token(Role::Admin).await;
    app.agency("so-a", false).await;
    let refresh = |path: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let set = app
                .call(
                    "POST",
                    "/v1/agencies/so-a/portal/feed",
                    Some(&admin),
                    Some(json!({"url": format!("http://127.0.0.1:{redirecting}{path}")})),
                )
                .await;
            assert_eq!(set.status, 200, "{}", set.body);
            app.call(
                "POST",
                "/v1/agencies/so-a/portal/refresh",
                Some(&admin),
                None,
            )
            .await
        }
    };
    let same = refresh("/same").await;
    assert_eq!(same.status, 200, "the same host and port: {}", same.body);
    for (path, why) in [
        ("/other-port", "another port"),
        ("/other-host", "another host"),
    ] {
        let r = refresh(path).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (502, "feed_fetch_failed"),
            "{}",
            r.body
        );
        assert!(r.body.contains(why), "{path}: {}", r.body);
    }
}
