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
