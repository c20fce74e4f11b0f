//! The moderation workflow: ingest, cases, decisions citing a rule, appeals, ND-3 lock
//! recommendations, takedowns with their deadline, and the transparency counts.

use crate::helpers::*;

#[tokio::test]
async fn moderation_workflow_from_ingest_to_appeal() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let reviewer = app.token(Role::Reviewer).await;
    let citizen = app.token(Role::Citizen).await;
    // The post's author: only they appeal (issue 11).
    let author = app.author_token("u1").await;

    let clean = app.ingest(&moderator, "p-clean", CLEAN, "u2").await;
    assert!(clean["case"].is_null());
    assert_eq!(clean["result"]["verdict"], "pass");
    let hate = app.ingest(&moderator, "p-hate", HATE, "u1").await;
    let case_id = hate["case"]["id"].as_i64().expect("a case is opened");
    assert_eq!(hate["case"]["status"], "open");

    // A citizen's report joins the open case.
    let r = app
        .call(
            "POST",
            "/v1/reports",
            Some(&citizen),
            Some(json!({"post_id": "p-hate", "category": "hate", "note": "phân biệt vùng miền"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["case"]["id"].as_i64(), Some(case_id));
    let report_id = r.json()["report"]["id"].as_i64().unwrap();

    let queue = app
        .call("GET", "/v1/cases?status=open", Some(&moderator), None)
        .await
        .json();
    assert_eq!(queue["cases"].as_array().unwrap().len(), 1);

    // Unknown rule, then a proper statement of reasons.
    let bad = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/decision"),
            Some(&moderator),
            Some(json!({"rule": "XX-9", "category": "hate", "action": "remove", "statement": "x"})),
        )
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (422, "unknown_rule"));
    let d = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/decision"),
            Some(&moderator),
            Some(json!({"rule": "US-1", "category": "regional_discrimination", "action": "remove", "statement": "Bài viết phân biệt vùng miền nên bị gỡ."})),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    let d = d.json();
    assert_eq!(d["decision"]["rule_id"], "US-1");
    assert_eq!(d["decision"]["automated_detection"], true);
    assert_eq!(d["decision"]["automated_decision"], false);
    assert_eq!(
        d["notice_to_author"]["statement"],
        "Bài viết phân biệt vùng miền nên bị gỡ."
    );
    assert_eq!(d["notice_to_author"]["author_id"], "u1");
    assert_eq!(d["reporters_notified"], 1);

    // The reporter is told the outcome; another citizen cannot read the report.
    let rep = app
        .call(
            "GET",
            &format!("/v1/reports/{report_id}"),
            Some(&citizen),
            None,
        )
        .await;
    assert_eq!(rep.json()["outcome"], "remove");
    let other = app.token(Role::Citizen).await;
    assert_eq!(
        app.call(
            "GET",
            &format!("/v1/reports/{report_id}"),
            Some(&other),
            None
        )
        .await
        .status,
        404
    );

    // A decided case cannot be decided again.
    let again = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/decision"),
            Some(&moderator),
            Some(json!({"rule": "US-1", "category": "hate", "action": "label", "statement": "x"})),
        )
        .await;
    assert_eq!((again.status, again.code().as_str()), (409, "conflict"));

    // Appeal: the case reopens; the same person may not decide it; a reviewer does.
    let a = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/appeal"),
            Some(&author),
            Some(json!({"reason": "Tôi chỉ trích dẫn."})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let twice = app
        .call(
            "POST",
            &format!("/v1/cases/{case_id}/appeal"),
            Some(&author),
            Some(json!({"reason": "lần nữa"})),
        )
        .await;
    assert_eq!(twice.status, 409);
    let decide = |token: String, action: &'static str| {
        let app = &app;
        async move {
            app.call(
                "POST",
                &format!("/v1/cases/{case_id}/decision"),
                Some(&token),
                Some(json!({"rule": "US-1", "category": "regional_discrimination", "action": action, "statement": "Giữ nguyên quyết định."})),
            )
            .await
        }
    };
    let same = decide(moderator.clone(), "remove").await;
    assert_eq!(same.status, 403, "{}", same.body);
    let by_reviewer = decide(reviewer.clone(), "remove").await;
    assert_eq!(by_reviewer.status, 201, "{}", by_reviewer.body);
    assert_eq!(by_reviewer.json()["decision"]["on_appeal"], true);

    let case = app
        .call(
            "GET",
            &format!("/v1/cases/{case_id}"),
            Some(&reviewer),
            None,
        )
        .await
        .json();
    assert_eq!(case["status"], "decided");
    assert_eq!(case["decisions"].as_array().unwrap().len(), 2);
    assert_eq!(case["appeals"][0]["status"], "decided");
    assert_eq!(case["post"]["external_id"], "p-hate");

    let v = app
        .call("GET", "/v1/accounts/u1/violations", Some(&moderator), None)
        .await
        .json();
    assert_eq!(v["last_30_days"], 2);
    assert_eq!(v["recommendation"]["action"], "none");
}

#[tokio::test]
async fn repeated_violations_recommend_a_lock_nd3() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    for i in 0..5 {
        let v = app
            .ingest(&moderator, &format!("p{i}"), HATE, "repeat-offender")
            .await;
        let case_id = v["case"]["id"].as_i64().unwrap();
        let d = app
            .call("POST", &format!("/v1/cases/{case_id}/decision"), Some(&moderator), Some(json!({"rule": "US-1", "category": "hate", "action": "hide", "statement": "Vi phạm US-1."})))
            .await;
        assert_eq!(d.status, 201);
        let v = app
            .call(
                "GET",
                "/v1/accounts/repeat-offender/violations",
                Some(&moderator),
                None,
            )
            .await
            .json();
        let want = if i < 4 { "none" } else { "temporary_lock" };
        assert_eq!(
            v["recommendation"]["action"],
            want,
            "after {} violations",
            i + 1
        );
    }
}

#[tokio::test]
async fn takedowns_have_a_24_hour_deadline_and_an_overdue_list() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    // Takedowns come from the officers of a competent authority (issue 11).
    app.agency("so-tt-hn", true).await;
    let officer = app.officer_of("so-tt-hn").await;
    app.ingest(&moderator, "old", CLEAN, "u1").await;
    app.ingest(&moderator, "new", CLEAN, "u2").await;
    let now = quytac_store::now_ms();
    let old = app
        .call("POST", "/v1/takedowns", Some(&officer), Some(json!({"post_id": "old", "legal_basis": "NĐ 147/2024", "received_at": now - 25 * 3600 * 1000})))
        .await;
    assert_eq!(old.status, 201, "{}", old.body);
    let old = old.json();
    assert_eq!(
        old["takedown"]["deadline"].as_i64().unwrap()
            - old["takedown"]["received_at"].as_i64().unwrap(),
        24 * 3600 * 1000
    );
    assert_eq!(old["takedown"]["overdue"], true);
    let new = app
        .call(
            "POST",
            "/v1/takedowns",
            Some(&officer),
            Some(json!({"post_id": "new", "legal_basis": "NĐ 147/2024"})),
        )
        .await;
    assert_eq!(new.json()["takedown"]["overdue"], false);

    let overdue = app
        .call("GET", "/v1/takedowns?overdue=true", Some(&officer), None)
        .await
        .json();
    let ids: Vec<i64> = overdue["takedowns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![old["takedown"]["id"].as_i64().unwrap()]);
    assert_eq!(
        app.call("GET", "/v1/takedowns", Some(&officer), None)
            .await
            .json()["takedowns"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Removing the post satisfies the request.
    let case_id = old["takedown"]["case_id"].as_i64().unwrap();
    let d = app
        .call("POST", &format!("/v1/cases/{case_id}/decision"), Some(&moderator), Some(json!({"rule": "US-2", "category": "unverified_claim", "action": "remove", "statement": "Gỡ theo yêu cầu."})))
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    let overdue = app
        .call("GET", "/v1/takedowns?overdue=true", Some(&officer), None)
        .await
        .json();
    assert!(overdue["takedowns"].as_array().unwrap().is_empty());
    let t = app
        .call("GET", "/v1/transparency", Some(&officer), None)
        .await
        .json();
    assert_eq!(t["takedowns"]["received"], 2);
    assert_eq!(t["takedowns"]["completed_late"], 1);
}

#[tokio::test]
async fn a_decision_must_cite_a_rule_for_the_author_and_the_category() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    // A citizen's post (no role given) and a civil servant's, with the same text.
    let citizen_case = app.ingest(&moderator, "by-citizen", HATE, "u1").await["case"]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .call(
            "POST",
            "/v1/posts",
            Some(&moderator),
            Some(json!({"id": "by-servant", "text": HATE, "author": {"id": "u2", "role": "civil_servant"}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let servant_case = r.json()["case"]["id"].as_i64().unwrap();
    let decide = |case_id: i64,
                  rule: &'static str,
                  category: &'static str,
                  action: &'static str| {
        let app = &app;
        let moderator = moderator.clone();
        async move {
            app.call(
                "POST",
                &format!("/v1/cases/{case_id}/decision"),
                Some(&moderator),
                Some(json!({"rule": rule, "category": category, "action": action, "statement": "Lý do."})),
            )
            .await
        }
    };

    // CS-5 binds civil servants and agencies, not a citizen.
    let r = decide(citizen_case, "CS-5", "regional_discrimination", "remove").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "rule_not_applicable"),
        "{}",
        r.body
    );
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("CS-5") && message.contains("citizen"),
        "{message}"
    );
    // US-1 binds citizens but does not judge personal data.
    let r = decide(citizen_case, "US-1", "personal_data", "remove").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "rule_not_applicable"),
        "{}",
        r.body
    );
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("personal_data"));
    // Nor does a "no breach" decision escape the subject check.
    let r = decide(citizen_case, "CS-5", "regional_discrimination", "none").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "rule_not_applicable"),
        "{}",
        r.body
    );
    let r = decide(servant_case, "US-1", "regional_discrimination", "remove").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "rule_not_applicable"),
        "{}",
        r.body
    );

    // The console form shows the same refusal, and the case stays open.
    let console = app.sign_in(&moderator).await;
    let form = format!(
        "csrf={}&rule=CS-5&category=regional_discrimination&action=remove&statement=G%E1%BB%A1",
        console.csrf
    );
    let page = app
        .request(
            "POST",
            &format!("/console/cases/{citizen_case}"),
            &[("cookie", &console.cookie), FORM],
            form.as_bytes(),
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("id=\"error\""), "{}", page.body);
    assert!(
        page.body
            .contains("Quy tắc đã chọn không áp dụng cho tác giả này"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"decision\""),
        "the form is still there"
    );
    let detail = app
        .call(
            "GET",
            &format!("/v1/cases/{citizen_case}"),
            Some(&moderator),
            None,
        )
        .await
        .json();
    assert_eq!(detail["status"], "open");
    assert!(detail["decisions"].as_array().unwrap().is_empty());

    // The rules that do apply are accepted; `none` may name any category of a rule that binds.
    let r = decide(servant_case, "CS-5", "regional_discrimination", "remove").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = decide(citizen_case, "US-1", "personal_data", "none").await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn transparency_counts_decisions_per_rule_and_week_and_draws_them() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let citizen = app.token(Role::Citizen).await;
    for (i, (rule, category)) in [
        ("US-1", "hate"),
        ("US-1", "hate"),
        ("US-2", "personal_data"),
    ]
    .iter()
    .enumerate()
    {
        let v = app.ingest(&moderator, &format!("t{i}"), HATE, "u1").await;
        let case_id = v["case"]["id"].as_i64().unwrap();
        let d = app
            .call("POST", &format!("/v1/cases/{case_id}/decision"), Some(&moderator), Some(json!({"rule": rule, "category": category, "action": "label", "statement": "Gắn nhãn."})))
            .await;
        assert_eq!(d.status, 201, "{}", d.body);
    }
    let t = app
        .call("GET", "/v1/transparency", Some(&citizen), None)
        .await
        .json();
    assert_eq!(t["decisions"], 3);
    assert_eq!(t["by_rule"]["US-1"], 2);
    assert_eq!(t["by_rule"]["US-2"], 1);
    assert_eq!(t["by_action"]["label"], 3);
    assert_eq!(t["weeks"].as_array().unwrap().len(), 1);
    assert_eq!(t["weeks"][0]["total"], 3);
    let page = app.request("GET", "/transparency", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "{}", page.body);
    assert_eq!(
        page.body.matches("class=\"bar\"").count(),
        2,
        "one bar segment per rule in the week"
    );
    let old = app
        .call(
            "GET",
            "/v1/transparency?from=2020-01-01&to=2020-01-31",
            Some(&citizen),
            None,
        )
        .await
        .json();
    assert_eq!(old["decisions"], 0);
}

/// The race of issue "One home for every rule", over HTTP: a citizen's appeal and two
/// decisions sent at the same moment — by a moderator, and by the reviewer whose decision is
/// appealed. Whichever lands first, neither of them decides the appeal. On SQLite, and on
/// PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appeal_and_decisions_never_let_the_wrong_person_decide_the_appeal() {
    for db in quytac_store::testing::TestDb::each_backend().await {
        let url = db.url.clone();
        let app = spawn_app_with(move |c| c.database_url = url).await;
        let moderator = app.token(Role::Moderator).await;
        let reviewer = app.token(Role::Reviewer).await;
        // The author of every post of the race: only they appeal (issue 11).
        let citizen = app.author_token("cs-author").await;
        let reviewer_name = format!("reviewer:{}", reviewer.split('_').nth(1).unwrap());
        let moderator_name = format!("moderator:{}", moderator.split('_').nth(1).unwrap());
        let decision = |statement: &str| json!({"rule": "CS-5", "category": "regional_discrimination", "action": "remove", "statement": statement});
        for round in 0..30 {
            let post = json!({"id": format!("race-{round}"), "text": HATE,
                              "author": {"id": "cs-author", "role": "civil_servant"}});
            let r = app
                .call("POST", "/v1/posts", Some(&moderator), Some(post))
                .await;
            let case = r.json()["case"]["id"].as_i64().expect("a case");
            let path = format!("/v1/cases/{case}/decision");
            let first = app
                .call("POST", &path, Some(&reviewer), Some(decision("Gỡ.")))
                .await;
            assert_eq!(first.status, 201, "{}", first.body);
            let appeal_path = format!("/v1/cases/{case}/appeal");
            let (appeal, by_moderator, by_reviewer) = tokio::join!(
                app.call(
                    "POST",
                    &appeal_path,
                    Some(&citizen),
                    Some(json!({"reason": "Sai."}))
                ),
                app.call("POST", &path, Some(&moderator), Some(decision("M"))),
                app.call("POST", &path, Some(&reviewer), Some(decision("R"))),
            );
            assert_eq!(appeal.status, 201, "round {round}: {}", appeal.body);
            assert!(
                by_moderator.status >= 400,
                "round {round}: {}",
                by_moderator.body
            );
            assert!(
                by_reviewer.status >= 400,
                "round {round}: {}",
                by_reviewer.body
            );
            let detail = app
                .call("GET", &format!("/v1/cases/{case}"), Some(&moderator), None)
                .await
                .json();
            for d in detail["decisions"].as_array().unwrap() {
                if d["on_appeal"] == true {
                    let by = d["moderator"].as_str().unwrap();
                    assert!(
                        by != moderator_name && by != reviewer_name,
                        "round {round}: the appeal was decided by {by}"
                    );
                }
            }
        }
        db.cleanup().await;
    }
}
