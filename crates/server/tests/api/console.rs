//! The web console: checking a text, deciding cases, signing in and refusing other roles.

use crate::helpers::*;

#[tokio::test]
async fn web_console_checks_text_and_decides_cases() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let page = app.request("GET", "/", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<form"));
    let form = format!(
        "text={}&role=civil_servant",
        quytac_server::web::url_encode(HATE).replace('/', "%2F")
    );
    let r = app
        .request(
            "POST",
            "/",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<mark title=\"CS-5"), "{}", r.body);
    assert!(r.body.contains("violation"));

    let v = app.ingest(&moderator, "w1", HATE, "u1").await;
    let case_id = v["case"]["id"].as_i64().unwrap();
    let bad_login = app
        .request(
            "POST",
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            b"token=qt_1_x&next=%2Fconsole%2Fcases",
        )
        .await;
    assert_eq!(bad_login.status, 401);
    let login = app
        .request(
            "POST",
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("token={moderator}&next=%2Fconsole%2Fcases").as_bytes(),
        )
        .await;
    assert_eq!(login.status, 303);
    let cookie = login.cookie();
    assert!(cookie.starts_with("quytac_session="));
    assert!(!cookie.contains(&moderator), "the cookie is not the token");
    let queue = app
        .request("GET", "/console/cases", &[("cookie", cookie.as_str())], b"")
        .await;
    assert!(
        queue.body.contains(&format!("/console/cases/{case_id}")),
        "{}",
        queue.body
    );
    let case = app
        .request(
            "GET",
            &format!("/console/cases/{case_id}"),
            &[("cookie", cookie.as_str())],
            b"",
        )
        .await;
    assert!(case.body.contains("id=\"decision\""));
    let form = format!(
        "csrf={}&rule=US-1&category=regional_discrimination&action=remove&statement=G%E1%BB%A1+b%C3%A0i",
        csrf_of(&case.body)
    );
    let r = app
        .request(
            "POST",
            &format!("/console/cases/{case_id}"),
            &[
                ("cookie", cookie.as_str()),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            form.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let detail = app
        .call(
            "GET",
            &format!("/v1/cases/{case_id}"),
            Some(&moderator),
            None,
        )
        .await
        .json();
    assert_eq!(detail["status"], "decided");
    assert_eq!(detail["decisions"][0]["statement"], "Gỡ bài");
}

#[tokio::test]
async fn console_refuses_other_roles_at_sign_in_and_in_html() {
    let app = spawn_app().await;
    // Officers sign in for their inbox only (tests/api/citizens.rs).
    for role in [Role::Citizen] {
        let token = app.token(role).await;
        // Sign-in is refused on the form itself, with a message and no cookie.
        let login = app
            .request(
                "POST",
                "/login",
                &[FORM],
                format!("token={token}&next=%2Fconsole%2Fcases").as_bytes(),
            )
            .await;
        assert_eq!(login.status, 403, "{role}: {}", login.body);
        assert!(login.header("set-cookie").is_none(), "{role}: no cookie");
        assert!(login.header("location").is_none(), "{role}: no redirect");
        assert!(login
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
        assert!(login.body.contains("class=\"error\""), "{}", login.body);
        assert!(login
            .body
            .contains("không được đăng nhập vào bảng điều khiển"));
        assert!(
            login.body.contains("id=\"token\""),
            "the form is shown again"
        );

        // The token itself in a cookie (as versions before sessions set it) opens nothing:
        // the console sends the browser to sign in.
        for cookie in [
            format!("quytac_token={token}"),
            format!("quytac_session={token}"),
        ] {
            for path in ["/console/cases", "/console/cases/1"] {
                let r = app.request("GET", path, &[("cookie", &cookie)], b"").await;
                assert_eq!(r.status, 303, "{role} {path}");
                assert!(r.header("location").unwrap().starts_with("/login"));
            }
        }
    }
    for role in [Role::Admin, Role::Moderator, Role::Reviewer] {
        let token = app.token(role).await;
        let login = app
            .request(
                "POST",
                "/login",
                &[FORM],
                format!("token={token}").as_bytes(),
            )
            .await;
        assert_eq!(login.status, 303, "{role}: {}", login.body);
        assert!(login
            .header("set-cookie")
            .unwrap()
            .starts_with("quytac_session="));
    }
}

#[tokio::test]
async fn console_sign_in_keeps_the_query_and_only_goes_to_local_paths() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let r = app
        .request("GET", "/console/cases?status=decided", &[], b"")
        .await;
    assert_eq!(r.status, 303);
    let location = r.header("location").unwrap().to_string();
    assert_eq!(location, "/login?next=/console/cases%3Fstatus%3Ddecided");
    let page = app.request("GET", &location, &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("name=\"next\" value=\"/console/cases?status=decided\""),
        "{}",
        page.body
    );
    let login = |next: &'static str| {
        let app = &app;
        let body = format!("token={moderator}&next={next}");
        async move {
            let r = app
                .request("POST", "/login", &[FORM], body.as_bytes())
                .await;
            assert_eq!(r.status, 303, "{next}: {}", r.body);
            r.header("location").unwrap().to_string()
        }
    };
    assert_eq!(
        login("%2Fconsole%2Fcases%3Fstatus%3Ddecided").await,
        "/console/cases?status=decided"
    );
    assert_eq!(login("%2Fconsole%2Fcases%2F7").await, "/console/cases/7");
    // Anything that a browser could read as another site falls back to the queue.
    for evil in [
        "%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
        "%2F%5C%5Cevil.example",
        "https%3A%2F%2Fevil.example",
        "evil.example",
        "%2F%09%2Fevil.example",
        "%2F%0D%0ALocation%3A+https%3A%2F%2Fevil.example",
        "javascript%3Aalert(1)",
    ] {
        assert_eq!(login(evil).await, "/console/cases", "next={evil}");
        let path = format!("/login?next={evil}");
        let page = app.request("GET", &path, &[], b"").await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body.contains("name=\"next\" value=\"/console/cases\""),
            "{path}: {}",
            page.body
        );
    }
}

/// The page frame: the reader's language from `Accept-Language` or the switch's cookie, and
/// the signed-in person named (with a sign-out form) on public pages as well as the console.
#[tokio::test]
async fn every_page_names_who_is_signed_in_in_the_readers_language() {
    let app = spawn_app().await;
    let vi = app.request("GET", "/transparency", &[], b"").await;
    assert!(vi.body.contains("<html lang=\"vi\">"), "{}", vi.body);
    assert!(vi.body.contains(">Minh bạch<"));
    assert!(vi.body.contains("id=\"sign-in\""));

    let en = app
        .request(
            "GET",
            "/transparency",
            &[("accept-language", "en-GB,en;q=0.9")],
            b"",
        )
        .await;
    assert!(en.body.contains("<html lang=\"en\">"), "{}", en.body);
    assert!(en.body.contains(">Transparency<"));

    // The switch keeps the choice, which wins over the browser's languages, and goes back.
    let switch = app
        .request("GET", "/lang/en?next=%2Fdirectory", &[], b"")
        .await;
    assert_eq!(switch.status, 303);
    assert_eq!(switch.header("location"), Some("/directory"));
    let cookie = switch.cookie();
    assert_eq!(cookie, "quytac_lang=en");
    let page = app
        .request(
            "GET",
            "/directory",
            &[("cookie", &cookie), ("accept-language", "vi")],
            b"",
        )
        .await;
    assert!(page.body.contains("<html lang=\"en\">"));
    let elsewhere = app
        .request("GET", "/lang/en?next=https://evil.example/", &[], b"")
        .await;
    assert_eq!(
        elsewhere.header("location"),
        Some("/"),
        "never to another site"
    );
    assert_eq!(app.request("GET", "/lang/fr", &[], b"").await.status, 404);

    let moderator = app.token(Role::Moderator).await;
    let console = app.sign_in(&moderator).await;
    let public = app
        .request("GET", "/", &[("cookie", &console.cookie)], b"")
        .await;
    assert!(public.body.contains("id=\"signed-in\""), "{}", public.body);
    assert!(public.body.contains("action=\"/logout\""));
    assert!(!public.body.contains("id=\"sign-in\""));
}
