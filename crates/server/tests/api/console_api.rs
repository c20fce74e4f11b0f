//! The console's steps for API callers (issue 14): assignment, internal notes, bulk decisions,
//! appeals upheld or overturned and takedowns carried out, each with its success, a wrong
//! role, bad input and an unknown id.

use crate::helpers::*;

const REMOVE: &str = "Bài viết phân biệt vùng miền nên bị gỡ.";

fn removal() -> Value {
    json!({"rule": "US-1", "category": "regional_discrimination", "action": "remove", "statement": REMOVE})
}

impl TestApp {
    /// A post by `author` that opens a case; the case's id.
    async fn case_of(&self, token: &str, post: &str, author: &str) -> i64 {
        self.ingest(token, post, HATE, author).await["case"]["id"]
            .as_i64()
            .expect("a case is opened")
    }
}

#[tokio::test]
async fn a_case_is_assigned_to_me_or_to_a_staff_user_by_name_and_to_nobody_else() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let citizen = app.token(Role::Citizen).await;
    app.staff_user("lan", Role::Reviewer, None, "mot mat khau rat dai")
        .await;
    let case = app.case_of(&moderator, "a1", "u1").await;
    let assign = |token: &str, body: Value, case: i64| {
        let (app, token) = (&app, token.to_string());
        async move {
            app.call(
                "POST",
                &format!("/v1/cases/{case}/assignment"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };

    let me = assign(&moderator, json!({"assignee": "me"}), case).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let my_name = me.json()["assignee"].as_str().unwrap().to_string();
    assert!(my_name.starts_with("moderator:"), "{my_name}");
    let lan = assign(&moderator, json!({"assignee": "lan"}), case).await;
    assert_eq!(lan.status, 200, "{}", lan.body);
    assert_eq!(lan.json()["assignee"], "reviewer:lan");
    let mine = app
        .call(
            "GET",
            "/v1/cases?assignee=reviewer:lan",
            Some(&moderator),
            None,
        )
        .await;
    assert_eq!(mine.json()["total"], 1, "{}", mine.body);
    let nobody = assign(&moderator, json!({"assignee": null}), case).await;
    assert_eq!(nobody.status, 200);
    assert!(nobody.json()["assignee"].is_null());

    for made_up in ["moderator:99", "somebody", "admin:lan"] {
        let r = assign(&moderator, json!({ "assignee": made_up }), case).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (422, "unknown_assignee"),
            "{made_up}"
        );
    }
    let r = assign(&citizen, json!({"assignee": "me"}), case).await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = assign(&moderator, json!({"to": "me"}), case).await;
    assert_eq!(r.status, 422, "unknown fields are refused: {}", r.body);
    let r = assign(&moderator, json!({"assignee": "me"}), 999_999).await;
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
}

#[tokio::test]
async fn notes_are_added_and_listed_by_staff_only() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let reviewer = app.token(Role::Reviewer).await;
    let citizen = app.token(Role::Citizen).await;
    let case = app.case_of(&moderator, "n1", "u1").await;
    let path = format!("/v1/cases/{case}/notes");

    let r = app
        .call(
            "POST",
            &path,
            Some(&moderator),
            Some(json!({"body": "Chờ pháp chế."})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["body"], "Chờ pháp chế.");
    let list = app.call("GET", &path, Some(&reviewer), None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.json()["notes"][0]["body"], "Chờ pháp chế.");
    assert_eq!(list.json()["assignments"].as_array().unwrap().len(), 0);

    for bad in [
        json!({"body": "   "}),
        json!({"body": "x".repeat(5001)}),
        json!({}),
    ] {
        let r = app.call("POST", &path, Some(&moderator), Some(bad)).await;
        assert_eq!(r.status, 422, "{}", r.body);
    }
    let r = app
        .call("POST", &path, Some(&citizen), Some(json!({"body": "x"})))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        app.call("GET", &path, Some(&citizen), None).await.status,
        403
    );
    let r = app
        .call("GET", "/v1/cases/999999/notes", Some(&moderator), None)
        .await;
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    let r = app
        .call(
            "POST",
            "/v1/cases/999999/notes",
            Some(&moderator),
            Some(json!({"body": "x"})),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_bulk_decision_says_per_case_what_became_of_it() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let citizen = app.token(Role::Citizen).await;
    let a = app.case_of(&moderator, "b1", "u1").await;
    let b = app.case_of(&moderator, "b2", "u2").await;
    let body = json!({"case_ids": [a, b, 999_999], "decision": removal()});

    let r = app
        .call(
            "POST",
            "/v1/cases/bulk-decision",
            Some(&moderator),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let out = r.json();
    assert_eq!(
        (out["decided"].as_u64(), out["refused"].as_u64()),
        (Some(2), Some(1))
    );
    let missing = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_id"] == 999_999)
        .unwrap()
        .clone();
    assert_eq!(missing["error_kind"], "not_found", "{missing}");
    let decided = app
        .call("GET", &format!("/v1/cases/{a}"), Some(&moderator), None)
        .await;
    assert_eq!(decided.json()["status"], "decided", "{}", decided.body);

    let r = app
        .call(
            "POST",
            "/v1/cases/bulk-decision",
            Some(&citizen),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 403);
    for ids in [json!([]), json!((1..=101).collect::<Vec<i64>>())] {
        let mut bad = body.clone();
        bad["case_ids"] = ids;
        let r = app
            .call(
                "POST",
                "/v1/cases/bulk-decision",
                Some(&moderator),
                Some(bad),
            )
            .await;
        assert_eq!((r.status, r.code().as_str()), (422, "invalid_field"));
    }
    let mut bad = body.clone();
    bad["decision"]["action"] = json!("obliterate");
    let r = app
        .call(
            "POST",
            "/v1/cases/bulk-decision",
            Some(&moderator),
            Some(bad),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[tokio::test]
async fn a_reviewer_upholds_or_overturns_an_appeal_and_a_moderator_may_not() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let reviewer = app.token(Role::Reviewer).await;
    let citizen = app.token(Role::Citizen).await;
    let author = app.author_token("u1").await;
    let case = app.case_of(&moderator, "ap1", "u1").await;
    let d = app
        .call(
            "POST",
            &format!("/v1/cases/{case}/decision"),
            Some(&moderator),
            Some(removal()),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    let path = format!("/v1/cases/{case}/appeal/decision");
    let overturn = json!({"outcome": "overturn", "statement": "Bài viết chỉ trích dẫn."});

    // No appeal yet: nothing to decide.
    let r = app
        .call("POST", &path, Some(&reviewer), Some(overturn.clone()))
        .await;
    assert_eq!((r.status, r.code().as_str()), (409, "conflict"));
    let a = app
        .call(
            "POST",
            &format!("/v1/cases/{case}/appeal"),
            Some(&author),
            Some(json!({"reason": "Tôi chỉ trích dẫn."})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);

    for token in [&moderator, &citizen] {
        let r = app
            .call("POST", &path, Some(token), Some(overturn.clone()))
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    for bad in [
        json!({"outcome": "maybe", "statement": "x"}),
        json!({"outcome": "uphold", "statement": ""}),
    ] {
        let r = app.call("POST", &path, Some(&reviewer), Some(bad)).await;
        assert_eq!(r.status, 422, "{}", r.body);
    }
    let r = app
        .call(
            "POST",
            "/v1/cases/999999/appeal/decision",
            Some(&reviewer),
            Some(overturn.clone()),
        )
        .await;
    assert_eq!(r.status, 404);

    let r = app
        .call("POST", &path, Some(&reviewer), Some(overturn))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let decision = &r.json()["decision"];
    assert_eq!(decision["action"], "none", "overturned: {decision}");
    assert_eq!(decision["on_appeal"], true);
}

#[tokio::test]
async fn a_takedown_is_carried_out_once_by_a_moderator() {
    let app = spawn_app().await;
    let moderator = app.token(Role::Moderator).await;
    let reviewer = app.token(Role::Reviewer).await;
    app.agency("bo-ca", true).await;
    let officer = app.officer_of("bo-ca").await;
    app.case_of(&moderator, "t1", "u1").await;
    let filed = app
        .call(
            "POST",
            "/v1/takedowns",
            Some(&officer),
            Some(json!({"post_id": "t1", "legal_basis": "Nghị định 147/2024/NĐ-CP, Điều 23"})),
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let id = filed.json()["takedown"]["id"].as_i64().unwrap();
    let path = format!("/v1/takedowns/{id}/done");

    for token in [&reviewer, &officer] {
        let r = app
            .call("POST", &path, Some(token), Some(removal_for_takedown()))
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    // Still visible: the rule and category it is removed under are needed.
    let r = app
        .call(
            "POST",
            &path,
            Some(&moderator),
            Some(json!({"statement": REMOVE})),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "invalid_field"),
        "{}",
        r.body
    );
    let r = app
        .call(
            "POST",
            "/v1/takedowns/999999/done",
            Some(&moderator),
            Some(removal_for_takedown()),
        )
        .await;
    assert_eq!(r.status, 404);

    let r = app
        .call(
            "POST",
            &path,
            Some(&moderator),
            Some(removal_for_takedown()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["takedown"]["status"], "done", "{}", r.body);
    assert_eq!(r.json()["decision"]["decision"]["action"], "remove");
    let again = app
        .call(
            "POST",
            &path,
            Some(&moderator),
            Some(removal_for_takedown()),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
}

/// A takedown's body: the rule and category, without an action (it is always a removal).
fn removal_for_takedown() -> Value {
    json!({"rule": "US-1", "category": "regional_discrimination", "statement": REMOVE})
}
