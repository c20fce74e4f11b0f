//! Decree 147 and figures that do not mislead (issue 14) over HTTP: the transparency page's
//! period picker and its CSV and JSON downloads, an appeal shown apart, the provider's monthly
//! report, the overdue complaints, and ND-1 under `--pack vn-147-2024`.

use crate::helpers::*;

/// This module's rows of the permission matrix.
pub(super) fn permission_rows() -> Vec<MatrixRow> {
    use Role::*;
    vec![
        (
            "GET",
            "/v1/complaints/overdue",
            "/v1/complaints/overdue",
            Who::Roles(&[Admin, Moderator, Reviewer]),
        ),
        (
            "GET",
            "/v1/provider-report",
            "/v1/provider-report?month=2026-11",
            Who::Roles(&[Admin, Reviewer]),
        ),
        (
            "GET",
            "/v1/page-complaints",
            "/v1/page-complaints",
            Who::Roles(ALL),
        ),
        (
            "POST",
            "/v1/complaints/{id}/answer",
            "/v1/complaints/1/answer",
            Who::Roles(&[AgencyOfficer, Citizen]),
        ),
    ]
}

#[tokio::test]
async fn the_transparency_page_picks_a_period_and_downloads_it() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let v = app.ingest(&moderator, "t1", HATE, "u1").await;
    let case_id = v["case"]["id"].as_i64().unwrap();
    let d = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/decision"),
            Some(&moderator),
            Some(
                json!({"rule": "US-1", "category": "hate", "action": "remove", "statement": "Gỡ."}),
            ),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.body);

    let page = app.request("GET", "/transparency", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains(r#"<form method="get" action="/transparency" id="period">"#));
    assert!(
        page.body.contains(r#"<strong id="total">1</strong>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("gỡ bỏ nội dung"), "the action in words");
    assert!(!page.body.contains(">remove<"), "no raw code");
    assert!(
        page.body.contains("Trục ngang: các tuần"),
        "the axes in words"
    );
    assert!(
        page.body.contains(r#"<table id="weeks">"#),
        "the chart's data as a table"
    );

    let old = app
        .request(
            "GET",
            "/transparency?from=2020-01-01&to=2020-01-31",
            &[],
            b"",
        )
        .await;
    assert_eq!(old.status, 200);
    assert!(old
        .body
        .contains(r#"id="from" name="from" value="2020-01-01""#));
    assert!(old.body.contains(r#"id="to" name="to" value="2020-01-31""#));
    assert!(old.body.contains(r#"<strong id="total">0</strong>"#));
    assert!(
        old.body
            .contains(r#"href="/transparency.csv?from=2020-01-01&#38;to=2020-01-31""#),
        "{}",
        old.body
    );

    let bad = app
        .request("GET", "/transparency?from=2020-02-30&to=x", &[], b"")
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("Khoảng thời gian không hợp lệ"),
        "{}",
        bad.body
    );
    assert!(bad.header("content-type").unwrap().starts_with("text/html"));

    let csv = app.request("GET", "/transparency.csv", &[], b"").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    assert!(csv.body.starts_with("\u{feff}section,key,value\r\n"));
    assert!(
        csv.body.contains("\r\noutcomes,cases_decided,1\r\n"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("\r\nby_action,remove,1\r\n"));
    let json = app
        .request(
            "GET",
            "/transparency.json?from=2020-01-01&to=2020-01-31",
            &[],
            b"",
        )
        .await;
    assert_eq!(json.status, 200);
    assert_eq!(json.json()["decisions"], 0);
    assert_eq!(json.json()["from"], "2020-01-01");
    let bad = app
        .request("GET", "/transparency.csv?from=nope", &[], b"")
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn the_provider_reports_a_month_as_json_and_csv() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let reviewer = app.token(Role::Reviewer).await;
    let citizen = app.token(Role::Citizen).await;
    let v = app.ingest(&moderator, "t1", HATE, "u1").await;
    assert!(v["case"]["id"].as_i64().is_some());
    let r = app
        .call(
            "POST",
            "/v1/reports",
            Some(&citizen),
            Some(json!({"post_id": "t1", "category": "hate"})),
        )
        .await;
    assert!(r.status < 300, "{}", r.body);
    // Visits: successful GETs of pages and API reads; not health checks, errors or writes.
    for _ in 0..2 {
        assert_eq!(app.request("GET", "/", &[], b"").await.status, 200);
    }
    let read = app
        .call("GET", "/v1/posts/t1", Some(&moderator), None)
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(app.request("GET", "/healthz", &[], b"").await.status, 200);
    assert_eq!(app.request("GET", "/nope", &[], b"").await.status, 404);
    let month = quytac_service::vn_time::vn_month(quytac_store::now_ms());
    let j = app
        .call(
            "GET",
            &format!("/v1/provider-report?month={month}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(j.status, 200, "{}", j.body);
    let j = j.json();
    assert_eq!(j["regular_users"], 1);
    assert_eq!(j["visits"]["recorded"], true);
    assert_eq!(j["visits"]["value"], 3, "{j}");
    assert_eq!(j["complaints"]["received"], 1);
    assert_eq!(j["complaints"]["open_running"], 1);
    let c = app
        .call(
            "GET",
            &format!("/v1/provider-report?month={month}&format=csv"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(c.status, 200);
    assert!(
        c.body.contains("\r\ncomplaints_received,1\r\n"),
        "{}",
        c.body
    );
    // The two pages, the post read and the JSON report.
    assert!(c.body.contains("\r\nvisits,4\r\n"), "{}", c.body);
    for (bad, status) in [
        ("month=2026-13", 422),
        ("month=2026-11&format=xml", 400),
        ("", 400),
    ] {
        let r = app
            .call(
                "GET",
                &format!("/v1/provider-report?{bad}"),
                Some(&reviewer),
                None,
            )
            .await;
        assert_eq!(r.status, status, "{bad}: {}", r.body);
    }
    let o = app
        .call("GET", "/v1/complaints/overdue", Some(&moderator), None)
        .await;
    assert_eq!(o.status, 200);
    assert_eq!(
        o.json()["complaints"].as_array().unwrap().len(),
        0,
        "within 48 hours"
    );
}

#[tokio::test]
async fn nd1_refuses_a_post_by_an_unauthenticated_account_under_the_2024_pack() {
    let app = spawn_app_with(|c| c.pack = "vn-147-2024".into()).await;
    let admin = app.token(Role::Admin).await;
    let r = app
        .call("POST", "/v1/posts", Some(&admin), Some(json!({"id": "p1", "text": "Chào buổi sáng.", "author": {"id": "lan", "role": "citizen"}})))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "decree_refused"),
        "{}",
        r.body
    );
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("ND-1"),
        "{}",
        r.body
    );
    let a = app
        .call("POST", "/v1/accounts", Some(&admin), Some(json!({"handle": "lan", "display_name": "Lan", "authentication": {"method": "personal_id", "number": "001099012345"}})))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["account"]["auth_method"], "personal_id");
    assert_eq!(a.json()["account"]["auth_ref"], "…345");
    let r = app
        .call("POST", "/v1/posts", Some(&admin), Some(json!({"id": "p2", "text": "Chào buổi sáng.", "author": {"id": "lan", "role": "citizen"}})))
        .await;
    assert!(r.status < 300, "{}", r.body);
    let bad = app
        .call("POST", "/v1/accounts", Some(&admin), Some(json!({"handle": "minh", "display_name": "Minh", "authentication": {"method": "mobile", "number": "12345"}})))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
}

/// Issue 14: "an agency ranks first at 100% on time from one answered question". The demo's
/// agencies have answered fewer than five questions: none is ranked, each is listed apart, and
/// P90 and working days are explained in words.
#[tokio::test]
async fn agencies_with_few_answers_are_listed_apart_from_the_ranking() {
    let app = spawn_app().await;
    quytac_server::demo::load(&app.state).await.unwrap();
    let page = app
        .request("GET", "/agencies/responsiveness", &[], b"")
        .await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(r#"<table id="ranking">"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"<p id="empty">"#));
    let apart = page
        .body
        .find(r#"<table id="not-ranked">"#)
        .expect("listed apart");
    let so = page.body.find(r#"data-id="so-tt-hn""#).unwrap();
    assert!(so > apart);
    assert!(
        page.body.contains("<strong>5</strong>"),
        "the minimum is told"
    );
    assert!(page.body.contains("9 trên 10 câu hỏi"), "P90 in words");
    assert!(
        page.body.contains("không tính thứ Bảy, Chủ nhật"),
        "working days in words"
    );
}

/// Complaints to a page owner over HTTP (Decree 147): a citizen addresses a complaint to the
/// agency's page the post appeared on; the agency's officer lists it with its deadline and
/// answers it on the API and on the web (in Vietnamese); the overdue list and the provider's
/// report give it apart from the provider's complaints.
#[tokio::test]
async fn an_officer_sees_and_answers_the_complaints_to_the_agency_s_page() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let citizen = app.token(Role::Citizen).await;
    app.agency("so-a", false).await;
    app.agency("so-b", false).await;
    app.ingest(&moderator, "p1", HATE, "so-a.page").await;
    app.ingest(&moderator, "p2", HATE, "someone").await;
    let complain = |post: &'static str, to: Value| {
        let (app, citizen) = (&app, &citizen);
        async move {
            app.call(
                "POST",
                "/v1/reports",
                Some(citizen),
                Some(json!({"post_id": post, "category": "hate", "note": "Xúc phạm.", "addressee": to})),
            )
            .await
        }
    };
    let to_so_a = json!({"kind": "agency", "id": "so-a"});
    let filed = complain("p1", to_so_a.clone()).await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    assert_eq!(filed.json()["report"]["addressee"], to_so_a);
    let first = filed.json()["report"]["id"].as_i64().unwrap();
    let second = complain("p1", to_so_a.clone()).await.json()["report"]["id"]
        .as_i64()
        .unwrap();
    let r = complain("p2", to_so_a.clone()).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "invalid_field"),
        "{}",
        r.body
    );
    let r = complain("p1", json!({"kind": "page", "id": "so-a"})).await;
    assert_eq!(r.status, 422, "an unknown kind: {}", r.body);

    let officer = app.officer_of("so-a").await;
    let list = app
        .call("GET", "/v1/page-complaints", Some(&officer), None)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let v = list.json();
    assert_eq!(v["addressee"], to_so_a);
    assert_eq!(
        (v["running"].as_i64(), v["overdue"].as_i64()),
        (Some(2), Some(0))
    );
    assert_eq!(v["complaints"][0]["id"], first);
    assert_eq!(v["complaints"][0]["clock"], "running");
    assert_eq!(v["complaints"][0]["post"], "p1");
    assert!(v["complaints"][0]["deadline"].as_i64().is_some());
    let other = app.officer_of("so-b").await;
    let r = app
        .call("GET", "/v1/page-complaints?agency=so-a", Some(&other), None)
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = app
        .call(
            "GET",
            "/v1/page-complaints?agency=so-a&account=x",
            Some(&moderator),
            None,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);

    // The answer on the API: once, by the owner, with a reason.
    let answer = |token: &str, id: i64, body: Value| {
        let (app, token) = (&app, token.to_string());
        async move {
            app.call(
                "POST",
                &format!("/v1/complaints/{id}/answer"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let upheld = json!({"answer": "upheld", "reason": "Đã ẩn bài viết."});
    let r = answer(&moderator, first, upheld.clone()).await;
    assert_eq!(r.status, 403);
    let r = answer(&officer, first, json!({"answer": "maybe", "reason": "x"})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = answer(&officer, first, upheld.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["clock"], "on_time");
    assert_eq!(r.json()["answer"], "upheld");
    let r = answer(&officer, first, upheld.clone()).await;
    assert_eq!((r.status, r.code().as_str()), (409, "conflict"));
    let r = answer(&officer, 999_999, upheld).await;
    assert_eq!(r.status, 404);

    // On the web: the officer signs in, sees the open complaint in words and answers it.
    let login = app.web_login(&format!("token={officer}")).await;
    assert_eq!(login.status, 303, "{}", login.body);
    let cookie = login.cookie();
    let page = app
        .request("GET", "/console/complaints", &[("cookie", &cookie)], b"")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&format!("id=\"complaint-{second}\"")));
    assert!(page.body.contains("Đang trong hạn"), "the clock in words");
    assert!(page.body.contains("Chấp nhận: đã xử lý nội dung"));
    assert!(!page.body.contains(">running<") && !page.body.contains(">upheld<"));
    let csrf = csrf_of(&page.body);
    let reason = quytac_server::web::url_encode("Bài viết không vi phạm quy định.");
    let form = format!("csrf={csrf}&answer=rejected&reason={reason}");
    let answer_on_web = || {
        let path = format!("/console/complaints/{second}/answer");
        let (app, cookie, form) = (&app, &cookie, &form);
        async move {
            app.request("POST", &path, &[FORM, ("cookie", cookie)], form.as_bytes())
                .await
        }
    };
    let done = answer_on_web().await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.header("location").unwrap().to_string();
    assert_eq!(location, format!("/console/complaints?answered={second}"));
    let after = app
        .request("GET", &location, &[("cookie", &cookie)], b"")
        .await;
    assert!(
        after.body.contains(&format!("phản ánh #{second}")),
        "{}",
        after.body
    );
    assert!(after.body.contains("Không chấp nhận"));
    assert!(after.body.contains("Bài viết không vi phạm quy định."));
    let again = answer_on_web().await;
    assert_eq!(again.status, 409, "answered once");
    assert!(
        again.body.contains("lang=\"vi\""),
        "an HTML page: {}",
        again.body
    );

    // Apart from the provider's complaints: the overdue list and the month's report.
    let r = app
        .call("GET", "/v1/complaints/overdue", Some(&moderator), None)
        .await;
    assert!(r.json()["to_page_owners"].as_array().unwrap().is_empty());
    let admin = app.token(Role::Admin).await;
    let month = quytac_service::vn_time::vn_month(quytac_store::now_ms());
    let r = app
        .call(
            "GET",
            &format!("/v1/provider-report?month={month}"),
            Some(&admin),
            None,
        )
        .await;
    let owners = &r.json()["complaints_to_page_owners"];
    assert_eq!(owners["received"], 2, "{}", r.body);
    assert_eq!(owners["handled_within_48h"], 2);
    assert_eq!(owners["well_founded"], 1);
    assert_eq!(r.json()["complaints"]["received"], 0);
    let csv = app
        .call(
            "GET",
            &format!("/v1/provider-report?month={month}&format=csv"),
            Some(&admin),
            None,
        )
        .await;
    assert!(
        csv.body
            .contains("\r\npage_owner_complaints_received,2\r\n"),
        "{}",
        csv.body
    );

    // The transparency page shows them apart too, in words.
    let page = app.request("GET", "/transparency", &[], b"").await;
    let owners = page
        .body
        .split("id=\"owner-complaints\"")
        .nth(1)
        .expect("the page owners' table");
    assert!(
        owners.contains("id=\"reports-owner-figures-received\"><th scope=\"row\">Phản ánh nhận được</th><td>2</td>"),
        "{owners}"
    );
}
