//! Console sessions and the doors of the web forms (issue 11, item 3): the cookie holds a
//! session id with the right flags, sign-out and revocation end the session on the server,
//! a cross-site or token-less form post is refused, and every HTML page carries the security
//! headers.

use crate::helpers::*;

async fn open_case(app: &TestApp, token: &str) -> i64 {
    let v = app.ingest(token, "s1", HATE, "u1").await;
    v["case"]["id"].as_i64().unwrap()
}

fn decision(csrf: Option<&str>) -> String {
    let form = "rule=US-1&category=regional_discrimination&action=remove&statement=G%E1%BB%A1";
    match csrf {
        Some(c) => format!("csrf={c}&{form}"),
        None => form.to_string(),
    }
}

async fn decisions(app: &TestApp, token: &str, case: i64) -> usize {
    app.call("GET", &format!("/v1/cases/{case}"), Some(token), None)
        .await
        .json()["decisions"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_session_cookie_is_an_http_only_strict_session_id() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let console = app.sign_in(&moderator).await;
    let attrs: Vec<String> = console
        .set_cookie
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    let value = console.cookie.strip_prefix("quytac_session=").unwrap();
    assert_eq!(
        value.len(),
        64,
        "a 256-bit session id: {}",
        console.set_cookie
    );
    assert!(!value.contains(&moderator) && !moderator.contains(value));
    for want in ["httponly", "samesite=strict", "path=/"] {
        assert!(
            attrs.iter().any(|a| a == want),
            "{want}: {}",
            console.set_cookie
        );
    }
    assert!(attrs.iter().any(|a| a.starts_with("max-age=")), "expiry");
    assert!(!attrs.iter().any(|a| a == "secure"), "plain HTTP here");
    // The store keeps the id's hash, never the id.
    let hash = quytac_store::Store::connect(&app.db_url).await.unwrap();
    assert!(hash.session(value).await.unwrap().is_none());
    hash.close().await;

    // Behind HTTPS the cookie is `Secure` and answers carry HSTS.
    let https = spawn_app_with(|c| c.behind_https = true).await;
    let moderator = https.token(Role::Moderator).await;
    let console = https.sign_in(&moderator).await;
    assert!(
        console
            .set_cookie
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure")),
        "{}",
        console.set_cookie
    );
    let r = https.request("GET", "/", &[], b"").await;
    assert!(r.header("strict-transport-security").is_some());
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let console = app.sign_in(&moderator).await;
    let cookie = console.cookie.as_str();
    // Without the CSRF token, sign-out is refused and the session lives on.
    let r = app
        .request("POST", "/logout", &[("cookie", cookie), FORM], b"")
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .request("GET", "/console/cases", &[("cookie", cookie)], b"")
        .await;
    assert_eq!(r.status, 200);
    let r = app
        .request(
            "POST",
            "/logout",
            &[("cookie", cookie), FORM],
            format!("csrf={}", console.csrf).as_bytes(),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    // The old cookie, kept by an attacker or a stale tab, opens nothing any more.
    let r = app
        .request("GET", "/console/cases", &[("cookie", cookie)], b"")
        .await;
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/login"));
}

#[tokio::test]
async fn revoking_the_token_ends_its_sessions() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let moderator = app.token(Role::Moderator).await;
    let console = app.sign_in(&moderator).await;
    let id = moderator.split('_').nth(1).unwrap();
    let r = app
        .call("DELETE", &format!("/v1/tokens/{id}"), Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request("GET", "/console/cases", &[("cookie", &console.cookie)], b"")
        .await;
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/login"));
}

#[tokio::test]
async fn sessions_expire_when_idle_and_at_their_end() {
    use quytac_service::sessions::SessionPolicy;
    for policy in [
        SessionPolicy {
            idle: Duration::from_millis(300),
            lifetime: Duration::from_secs(3600),
        },
        SessionPolicy {
            idle: Duration::from_secs(3600),
            lifetime: Duration::from_millis(300),
        },
    ] {
        let app = spawn_app_with(|c| c.sessions = policy).await;
        let moderator = app.token(Role::Moderator).await;
        let console = app.sign_in(&moderator).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let r = app
            .request("GET", "/console/cases", &[("cookie", &console.cookie)], b"")
            .await;
        assert_eq!(r.status, 303, "{policy:?}");
    }
}

#[tokio::test]
async fn cross_site_and_token_less_console_posts_are_refused() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let case = open_case(&app, &moderator).await;
    let console = app.sign_in(&moderator).await;
    let path = format!("/console/cases/{case}");
    let cookie = ("cookie", console.cookie.as_str());
    let good = decision(Some(&console.csrf));
    type Attack<'a> = (&'a str, Vec<(&'a str, &'a str)>, String);
    let attacks: Vec<Attack> = vec![
        (
            "Origin of another site",
            vec![cookie, FORM, ("origin", "https://evil.example")],
            good.clone(),
        ),
        (
            "Sec-Fetch-Site: cross-site",
            vec![cookie, FORM, ("sec-fetch-site", "cross-site")],
            good.clone(),
        ),
        (
            "Sec-Fetch-Site: same-site (a sibling host)",
            vec![cookie, FORM, ("sec-fetch-site", "same-site")],
            good.clone(),
        ),
        ("no CSRF token", vec![cookie, FORM], decision(None)),
        (
            "another CSRF token",
            vec![cookie, FORM],
            decision(Some(&"0".repeat(64))),
        ),
    ];
    for (what, headers, body) in &attacks {
        let r = app.request("POST", &path, headers, body.as_bytes()).await;
        assert_eq!(r.status, 403, "{what}: {}", r.body);
        assert!(
            r.header("content-type").unwrap().starts_with("text/html"),
            "{what}"
        );
        assert!(r.body.contains("Yêu cầu bị từ chối"), "{what}: {}", r.body);
        assert!(r.body.contains("trang web khác"), "{what}");
        assert_eq!(
            decisions(&app, &moderator, case).await,
            0,
            "{what}: recorded"
        );
    }
    // Sign-in from another site is refused too.
    let r = app
        .request(
            "POST",
            "/login",
            &[FORM, ("origin", "https://evil.example")],
            format!("token={moderator}").as_bytes(),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.header("set-cookie").is_none());
    // The same form from the console's own page, as a browser sends it, is recorded.
    let host = format!("127.0.0.1:{}", app.port);
    let origin = format!("http://{host}");
    let r = app
        .request(
            "POST",
            &path,
            &[
                cookie,
                FORM,
                ("origin", origin.as_str()),
                ("sec-fetch-site", "same-origin"),
            ],
            good.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(decisions(&app, &moderator, case).await, 1);
}

fn assert_secure_html(path: &str, r: &Resp) {
    let csp = r
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{path}: no CSP"));
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
    assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{path}"
    );
    assert!(r.header("referrer-policy").is_some(), "{path}");
    assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    // Nothing inline that the policy would block: scripts and styles are files.
    assert!(!r.body.contains("<script>"), "{path}: inline script");
    assert!(!r.body.contains("<style"), "{path}: inline style");
    assert!(!r.body.contains(" style=\""), "{path}: style attribute");
    assert!(!r.body.contains(" onclick="), "{path}: inline handler");
}

/// Every page of the route table (GET, outside the API), with the demo's data, signed in
/// where the page needs it; and the refusal pages.
#[tokio::test]
async fn every_html_page_carries_the_security_headers() {
    let app = spawn_app().await;
    quytac_server::demo::load(&app.state).await.unwrap();
    let moderator = app.token(Role::Moderator).await;
    let console = app.sign_in(&moderator).await;
    let cases = app
        .call("GET", "/v1/cases?status=open", Some(&moderator), None)
        .await
        .json();
    let case = cases["cases"][0]["id"].as_i64().unwrap().to_string();
    // An inquiry asked on the web, for its private link and the inbox (an admin's session).
    let asked = app
        .state
        .service
        .ask_agency_on_web(
            "so-tt-hn",
            quytac_service::inquiries::follow::AskOnWeb {
                text: "Xin hỏi lịch tiếp công dân?".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let inquiry = asked.inquiry.id.to_string();
    let admin = app.sign_in(&app.token(Role::Admin).await).await;
    // The demo's records for each kind of page parameter.
    let fill = |template: &str| {
        let id = if template.starts_with("/console/inbox") {
            inquiry.as_str()
        } else if template.starts_with("/console") {
            case.as_str()
        } else if template.starts_with("/consultations") {
            "1"
        } else {
            "so-tt-hn"
        };
        template
            .replace("{id}", id)
            .replace("{handle}", "nguyen.van.an")
            .replace("{code}", "en")
            .replace("{secret}", &asked.secret)
    };
    let mut pages = 0;
    for route in quytac_server::routes::routes() {
        if route.method != "GET"
            || route.path.starts_with("/v1")
            || route.path.starts_with("/.well-known")
            || route.path == "/metrics"
        {
            continue;
        }
        let path = fill(route.path);
        // The inbox and the complaints to an agency's page are the officers' (and admins').
        let cookie =
            if path.starts_with("/console/inbox") || path.starts_with("/console/complaints") {
                &admin.cookie
            } else {
                &console.cookie
            };
        let r = app.request("GET", &path, &[("cookie", cookie)], b"").await;
        assert!(r.status < 400, "{path}: {} {}", r.status, r.body);
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        if r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
        {
            assert_secure_html(&path, &r);
            pages += 1;
        }
    }
    assert!(pages >= 8, "only {pages} HTML pages");
    // The refusals and the sign-in form are pages too.
    let denied = app
        .request(
            "POST",
            &format!("/console/cases/{case}"),
            &[("cookie", &console.cookie), FORM],
            decision(None).as_bytes(),
        )
        .await;
    assert_eq!(denied.status, 403);
    assert_secure_html("cross-site refusal", &denied);
    let login = app.request("GET", "/login", &[], b"").await;
    assert_secure_html("/login", &login);
    let bad = app
        .request("POST", "/login", &[FORM], b"token=qt_1_x")
        .await;
    assert_eq!(bad.status, 401);
    assert_secure_html("refused sign-in", &bad);
    // The script and stylesheet the pages load are served by the app.
    for (path, kind) in [
        ("/static/verify.js", "text/javascript"),
        ("/static/quytac.css", "text/css"),
    ] {
        let r = app.request("GET", path, &[], b"").await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
    }
    // A directory page with signed records loads the verifying script from a file.
    let page = app
        .request("GET", "/directory/agencies/so-tt-hn", &[], b"")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<script src=\"/static/verify.js\" "));
}
