//! The moderation queue over HTTP (issue 14): `/v1/cases` keeps its fields and takes optional
//! filters, search, sort and pages; the console's pages refuse bad input with Vietnamese pages,
//! never a panic or an English error.

use crate::helpers::*;

#[tokio::test]
async fn the_case_list_filters_searches_sorts_and_pages_in_the_store() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let v = app
            .ingest(&moderator, &format!("q{i}"), HATE, &format!("author-{i}"))
            .await;
        ids.push(v["case"]["id"].as_i64().unwrap());
    }
    let get = |q: &str| {
        let (app, moderator) = (&app, &moderator);
        let q = q.to_string();
        async move {
            app.call("GET", &format!("/v1/cases{q}"), Some(moderator), None)
                .await
        }
    };
    let all = get("?status=open").await;
    assert_eq!(all.status, 200, "{}", all.body);
    let body = all.json();
    assert_eq!(body["total"], 3);
    assert_eq!(body["cases"][0]["id"], ids[0], "oldest first");
    assert!(
        body["cases"][0]["text"].is_string(),
        "the earlier fields stay"
    );
    assert_eq!(body["cases"][0]["report_count"], 0);
    assert!(body["counts"].as_array().unwrap().len() >= 3);

    let newest = get("?sort=newest&limit=1&page=2").await.json();
    assert_eq!(newest["total"], 3);
    assert_eq!(newest["cases"].as_array().unwrap().len(), 1);
    assert_eq!(newest["cases"][0]["id"], ids[1]);

    let found = get("?q=author-2").await.json();
    assert_eq!(found["total"], 1);
    assert_eq!(found["cases"][0]["id"], ids[2]);
    let by_id = get(&format!("?q=%23{}", ids[1])).await.json();
    assert_eq!(by_id["cases"][0]["id"], ids[1]);
    assert_eq!(get("?has_reports=true").await.json()["total"], 0);
    assert_eq!(get("?source=automated").await.json()["total"], 3);

    for bad in [
        "?sort=sideways",
        "?limit=0",
        "?limit=5000",
        "?rule=CS-5%27",
        "?severity=awful",
    ] {
        let r = get(bad).await;
        assert!(
            r.status == 400 || r.status == 422,
            "{bad}: {} {}",
            r.status,
            r.body
        );
        assert!(
            ["invalid_field", "invalid_query"].contains(&r.code().as_str()),
            "{bad}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn console_pages_refuse_bad_input_in_vietnamese() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let v = app.ingest(&moderator, "c1", HATE, "u1").await;
    let case_id = v["case"]["id"].as_i64().unwrap();
    let console = app.sign_in(&moderator).await;
    let cookie = ("cookie", console.cookie.as_str());

    let r = app
        .request("GET", "/console/cases/abc", &[cookie], b"")
        .await;
    assert_eq!(r.status, 404);
    assert!(
        r.body.contains("Số hồ sơ phải là một số nguyên"),
        "{}",
        r.body
    );
    let r = app
        .request("GET", "/console/cases/99999", &[cookie], b"")
        .await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Không có hồ sơ này"), "{}", r.body);

    // A filter that is not one of the words is said, and the rest of the queue still shows.
    let r = app
        .request(
            "GET",
            "/console/cases?severity=awful&sort=up",
            &[cookie],
            b"",
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Một bộ lọc không hợp lệ"), "{}", r.body);
    assert!(r.body.contains(&format!("/console/cases/{case_id}")));

    // A bulk decision with nothing selected.
    let form = format!(
        "csrf={}&rule=US-1&category=hate&action=remove&statement=x",
        console.csrf
    );
    let r = app
        .request(
            "POST",
            "/console/cases/bulk",
            &[cookie, FORM],
            form.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Chưa chọn hồ sơ nào"), "{}", r.body);

    // An empty note is refused in words, and nothing is written.
    let form = format!("csrf={}&body=", console.csrf);
    let r = app
        .request(
            "POST",
            &format!("/console/cases/{case_id}/notes"),
            &[cookie, FORM],
            form.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Ghi chú"), "{}", r.body);
    assert!(!r.body.contains("must have"), "{}", r.body);

    // A note and "assign to me" are kept, shown on the timeline, and bound by the audit log.
    let form = format!(
        "csrf={}&body=Ch%E1%BB%9D+ph%C3%A1p+ch%E1%BA%BF",
        console.csrf
    );
    let r = app
        .request(
            "POST",
            &format!("/console/cases/{case_id}/notes"),
            &[cookie, FORM],
            form.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let form = format!("csrf={}&to=me", console.csrf);
    let r = app
        .request(
            "POST",
            &format!("/console/cases/{case_id}/assign"),
            &[cookie, FORM],
            form.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // A name that is no staff user is refused in words, and the case stays mine.
    let form = format!("csrf={}&to=moderator%3A999", console.csrf);
    let r = app
        .request(
            "POST",
            &format!("/console/cases/{case_id}/assign"),
            &[cookie, FORM],
            form.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("Người được giao phải là một nhân viên kiểm duyệt đang hoạt động"),
        "{}",
        r.body
    );
    let page = app
        .request("GET", &format!("/console/cases/{case_id}"), &[cookie], b"")
        .await;
    assert!(page.body.contains("Chờ pháp chế"), "{}", page.body);
    assert!(page.body.contains("Giao hồ sơ cho"), "{}", page.body);
    let mine = app
        .call("GET", "/v1/cases?assignee=me", Some(&moderator), None)
        .await;
    assert_eq!(mine.status, 200);
    let admin = app.token(Role::Admin).await;
    let verify = app
        .call("GET", "/v1/audit/verify", Some(&admin), None)
        .await
        .json();
    assert_eq!(verify["ok"], true, "{verify}");
}
