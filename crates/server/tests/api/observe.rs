//! The request log and the request id: every answer carries an `X-Request-Id`, an internal
//! error reaches the client as a code, a generic message and that id (never database text),
//! and the log line of a request names its route template and status but nothing the client
//! sent (token, body, ids in the path, query string).

use crate::helpers::*;

fn request_id(r: &Resp) -> String {
    let id = r.header("x-request-id").expect("an X-Request-Id header");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "a request id of 32 hex digits: {id}"
    );
    id.to_string()
}

#[tokio::test]
async fn every_answer_has_its_own_request_id_and_a_client_one_is_not_taken_over() {
    let app = spawn_app().await;
    let mut seen = BTreeSet::new();
    for path in ["/healthz", "/v1/nothing", "/v1/cases"] {
        let r = app
            .request(
                "GET",
                path,
                &[("x-request-id", "forged-by-the-client")],
                b"",
            )
            .await;
        let id = request_id(&r);
        assert!(seen.insert(id.clone()), "{path}: {id} repeated");
        if r.status >= 400 {
            assert_eq!(r.json()["error"]["request_id"], id.as_str(), "{}", r.body);
        }
    }
    let r = app
        .request("GET", "/healthz", &[("x-request-id", "abc123")], b"")
        .await;
    assert_ne!(request_id(&r), "abc123");
}

#[tokio::test]
async fn an_internal_error_gives_a_code_and_a_request_id_and_logs_the_database_text() {
    let app = spawn_app().await;
    let log = captured_log();
    let admin = app.token(Role::Admin).await;
    sqlx::query("DROP TABLE takedowns")
        .execute(app.state.store.pool())
        .await
        .unwrap();
    let r = app.call("GET", "/v1/takedowns", Some(&admin), None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (500, "internal"),
        "{}",
        r.body
    );
    let id = request_id(&r);
    let error = &r.json()["error"];
    assert_eq!(error["request_id"], id.as_str());
    let message = error["message"].as_str().unwrap();
    assert!(!message.is_empty());
    for leak in ["takedowns", "table", "database", "sql", "no such"] {
        assert!(
            !r.body.to_lowercase().contains(leak),
            "the body tells `{leak}`: {}",
            r.body
        );
    }
    // The log has what the client was not told, under the same request id.
    let lines = log.lines_of(&id);
    let logged = lines
        .iter()
        .find(|l| l.contains("ERROR"))
        .unwrap_or_else(|| panic!("no error line for {id} in {lines:#?}"));
    assert!(logged.contains("no such table"), "{logged}");
    let line = log.request_line(&id);
    assert!(line.contains("route=/v1/takedowns"), "{line}");
    assert!(line.contains("status=500"), "{line}");
}

#[tokio::test]
async fn the_request_line_names_the_route_template_and_status_and_nothing_sent() {
    let app = spawn_app().await;
    let log = captured_log();
    let moderator = app.token(Role::Moderator).await;
    let marker = "Nguyễn Văn Bí Mật 0912345678";
    let r = app
        .call(
            "POST",
            "/v1/posts",
            Some(&moderator),
            Some(json!({"id": "log-1", "text": marker, "author": {"id": "u-log"}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut ids = vec![request_id(&r)];
    let line = log.request_line(&ids[0]);
    for (field, want) in [
        ("method=", "method=POST"),
        ("route=", "route=/v1/posts"),
        ("status=", "status=201"),
    ] {
        assert!(line.contains(want), "{field}: {line}");
    }
    let latency: f64 = line
        .split("latency_ms=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no latency in {line}"));
    assert!(latency >= 0.0, "{line}");

    // An id in the path and a query string stay out; the template is logged.
    let r = app
        .call(
            "GET",
            "/v1/cases/424242?name=Tr%E1%BA%A7n",
            Some(&moderator),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    ids.push(request_id(&r));
    let line = log.request_line(&ids[1]);
    assert!(line.contains("route=/v1/cases/{id}"), "{line}");
    assert!(line.contains("status=404"), "{line}");

    // A request no route matches is logged without its path.
    let r = app.request("GET", "/v1/secret-path-xyz", &[], b"").await;
    ids.push(request_id(&r));
    let line = log.request_line(&ids[2]);
    assert!(line.contains("route=<unmatched>"), "{line}");

    // The log is shared by the tests running beside this one; what this test sent is in
    // none of its lines.
    let text = log.text();
    for secret in [
        moderator.as_str(),
        "Bí Mật",
        "0912345678",
        "log-1",
        "424242",
        "secret-path-xyz",
    ] {
        assert!(!text.contains(secret), "the log holds `{secret}`");
    }
    for id in &ids {
        for line in log.lines_of(id) {
            assert!(
                !line.contains("name=") && !line.contains("%E1") && !line.contains("Trần"),
                "{line}"
            );
        }
    }
}
