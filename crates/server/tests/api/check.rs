//! Checking texts (`POST /v1/check`), the service's own description (health, OpenAPI) and
//! the stable error codes of bad requests.

use crate::helpers::*;

#[tokio::test]
async fn health_and_openapi_describe_every_api_route() {
    let app = spawn_app().await;
    let r = app.call("GET", "/healthz", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    let doc = app.call("GET", "/openapi.json", None, None).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/check",
        "/v1/posts",
        "/v1/cases/{id}/decision",
        "/v1/audit/verify",
        "/v1/integrations/mastodon",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert_eq!(doc["paths"]["/v1/check"]["post"]["security"], json!([]));
    assert_eq!(
        doc["paths"]["/v1/audit"]["get"]["x-roles"],
        json!(["admin", "reviewer"])
    );
}

#[tokio::test]
async fn check_returns_contract_results_for_one_item_or_many() {
    let app = spawn_app().await;
    let r = app
        .call(
            "POST",
            "/v1/check",
            None,
            Some(json!({"id": "p1", "text": HATE, "author": {"role": "citizen"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["id"], "p1");
    assert_eq!(v["type"], "post");
    assert_eq!(v["verdict"], "violation");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["category"] == "regional_discrimination"));
    let r = app
        .call("POST", "/v1/check", None, Some(json!([{"id": "a", "text": CLEAN}, {"id": "u", "type": "profile", "display_name": "An"}])))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v[0]["verdict"], "pass");
    assert_eq!(v[1]["type"], "profile");
}

#[tokio::test]
async fn bad_requests_get_a_4xx_with_a_stable_code_never_a_500() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let send = |path: &'static str, body: &'static str| {
        let app = &app;
        let auth = format!("Bearer {admin}");
        async move {
            app.request(
                "POST",
                path,
                &[("authorization", auth.as_str())],
                body.as_bytes(),
            )
            .await
        }
    };
    let cases: &[(&str, &str, u16, &str)] = &[
        ("/v1/check", "{\"id\":1,", 400, "malformed_json"),
        ("/v1/check", "not json", 400, "malformed_json"),
        ("/v1/check", "{\"id\":\"p\",\"text\":5}", 422, "invalid_field"),
        ("/v1/check", "{\"id\":\"p\",\"text\":\"a\",\"author\":{\"role\":\"king\"}}", 422, "invalid_field"),
        ("/v1/check", "{\"id\":\"p\",\"type\":\"video\",\"text\":\"a\"}", 422, "invalid_item"),
        ("/v1/check", "42", 422, "invalid_item"),
        ("/v1/posts", "{\"id\":\"u\",\"type\":\"profile\"}", 422, "invalid_item"),
        ("/v1/posts", "[", 400, "malformed_json"),
        // U+0000 once made PostgreSQL fail the insert: a 500, and a poison message in the
        // pipeline. It is no part of any text, so it is refused on every store alike.
        ("/v1/posts", "{\"id\":\"p\",\"text\":\"b\\u0000ắc kỳ\"}", 422, "invalid_field"),
        ("/v1/check", "{\"id\":\"p\",\"text\":\"x\",\"author\":{\"id\":\"\\u0000\"}}", 422, "invalid_field"),
        ("/v1/reports", "{\"post_id\":\"x\",\"category\":\"rudeness\"}", 422, "invalid_field"),
        ("/v1/reports", "{\"post_id\":\"missing\"}", 404, "not_found"),
        ("/v1/cases/1/decision", "{\"rule\":\"CS-5\",\"category\":\"hate\",\"action\":\"ban\",\"statement\":\"x\"}", 422, "invalid_field"),
        ("/v1/takedowns", "{\"post_id\":\"x\",\"authority\":\"A\",\"legal_basis\":\"B\",\"received_at\":\"yesterday\"}", 422, "invalid_field"),
    ];
    for (path, body, status, code) in cases {
        let r = send(path, body).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (*status, *code),
            "{path} {body} → {}",
            r.body
        );
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    let big = format!("{{\"id\":\"p\",\"text\":\"{}\"}}", "a".repeat(100 * 1024));
    let r = app.request("POST", "/v1/check", &[], big.as_bytes()).await;
    assert_eq!((r.status, r.code().as_str()), (413, "payload_too_large"));
    let auth = format!("Bearer {admin}");
    let get = |path: &'static str| {
        let app = &app;
        let auth = auth.clone();
        async move {
            app.request("GET", path, &[("authorization", auth.as_str())], b"")
                .await
        }
    };
    for (path, status, code) in [
        ("/v1/cases/abc", 400, "invalid_path"),
        ("/v1/takedowns?overdue=maybe", 400, "invalid_query"),
        ("/v1/cases?status=closed", 400, "invalid_query"),
        ("/v1/transparency?from=2025-13-01", 400, "invalid_query"),
        ("/v1/nothing", 404, "not_found"),
        ("/v1/cases/999", 404, "not_found"),
    ] {
        let r = get(path).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{path} → {}",
            r.body
        );
    }
    let r = app.request("DELETE", "/v1/check", &[], b"").await;
    assert_eq!((r.status, r.code().as_str()), (405, "method_not_allowed"));
    let r = app
        .request(
            "GET",
            "/v1/cases",
            &[("authorization", "Bearer qt_1_nope")],
            b"",
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_token"));
    let r = app
        .request(
            "GET",
            "/v1/cases",
            &[("authorization", "Bearer garbage")],
            b"",
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_token"));
}
