//! The Mastodon webhook: signatures and ingestion.

use crate::helpers::*;

#[tokio::test]
async fn mastodon_webhook_checks_the_signature_and_ingests() {
    let app = spawn_app().await;
    let deliver = |body: Value, sig: Option<String>| {
        let app = &app;
        async move {
            let body = body.to_string();
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
    // Deliveries are dated now: older ones are replays, refused (issue 11; see authority.rs).
    let now = super::authority::rfc3339(quytac_store::now_ms());
    let status = json!({"event": "status.created", "created_at": now, "object": {
        "id": "1101", "content": format!("<p>{HATE}</p>"), "account": {"id": "9", "username": "an", "acct": "an@example.social"}}});
    let bad = deliver(status.clone(), Some("sha256=00".into())).await;
    assert_eq!((bad.status, bad.code().as_str()), (401, "bad_signature"));
    let other_key = quytac_server::api::mastodon::sign("wrong", status.to_string().as_bytes());
    assert_eq!(deliver(status.clone(), Some(other_key)).await.status, 401);
    let ok = deliver(status, None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let v = ok.json();
    assert_eq!(
        v["ingested"][0]["post"]["external_id"],
        "mastodon:status:1101"
    );
    assert_eq!(
        v["ingested"][0]["post"]["author_id"],
        "mastodon:an@example.social"
    );
    assert_eq!(v["ingested"][0]["result"]["verdict"], "violation");

    let report = json!({"event": "report.created", "created_at": now, "object": {"id": "7", "category": "violation", "comment": "kỳ thị",
        "account": {"username": "binh"}, "target_account": {"username": "an"},
        "statuses": [{"id": "1102", "content": "<p>Xin chào</p>", "account": {"acct": "an"}}]}});
    let r = deliver(report, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["reports"][0]["report"]["reporter"],
        "mastodon:binh"
    );

    let account = json!({"event": "account.updated", "created_at": now, "object": {"id": "9", "username": "an", "account": {"display_name": "An 123", "note": "<p>hi</p>"}}});
    let r = deliver(account, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["result"]["type"], "profile");

    let unknown = deliver(json!({"event": "poll.ended", "object": {}}), None).await;
    assert_eq!(
        (unknown.status, unknown.code().as_str()),
        (422, "unknown_event")
    );
}
