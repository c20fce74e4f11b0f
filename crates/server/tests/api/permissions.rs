//! Every endpoint × every role: the permission matrix, checked against the route table.

use crate::helpers::*;

/// Every endpoint × every role, and no token. The expected access is written out here, apart
/// from the route table, so a change to either shows up.
#[tokio::test]
async fn permission_matrix() {
    use Role::*;
    let mut matrix: Vec<MatrixRow> = vec![
        ("GET", "/healthz", "/healthz", Who::Public),
        ("GET", "/openapi.json", "/openapi.json", Who::Public),
        ("POST", "/v1/check", "/v1/check", Who::Public),
        (
            "POST",
            "/v1/posts",
            "/v1/posts",
            Who::Roles(&[Admin, Moderator]),
        ),
        ("GET", "/v1/posts/{id}", "/v1/posts/x", Who::Roles(STAFF)),
        ("POST", "/v1/reports", "/v1/reports", Who::Roles(ALL)),
        ("GET", "/v1/reports/{id}", "/v1/reports/1", Who::Roles(ALL)),
        ("GET", "/v1/cases", "/v1/cases", Who::Roles(STAFF)),
        ("GET", "/v1/cases/{id}", "/v1/cases/1", Who::Roles(STAFF)),
        (
            "POST",
            "/v1/cases/{id}/decision",
            "/v1/cases/1/decision",
            Who::Roles(STAFF),
        ),
        (
            "POST",
            "/v1/cases/{id}/appeal",
            "/v1/cases/1/appeal",
            // The post's author (a citizen) or an admin for them; moderators never appeal.
            Who::Roles(&[Admin, Citizen]),
        ),
        (
            "POST",
            "/v1/takedowns",
            "/v1/takedowns",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "POST",
            "/v1/cases/{id}/assignment",
            "/v1/cases/1/assignment",
            Who::Roles(STAFF),
        ),
        (
            "GET",
            "/v1/cases/{id}/notes",
            "/v1/cases/1/notes",
            Who::Roles(STAFF),
        ),
        (
            "POST",
            "/v1/cases/{id}/notes",
            "/v1/cases/1/notes",
            Who::Roles(STAFF),
        ),
        (
            "POST",
            "/v1/cases/bulk-decision",
            "/v1/cases/bulk-decision",
            Who::Roles(STAFF),
        ),
        (
            "POST",
            "/v1/cases/{id}/appeal/decision",
            "/v1/cases/1/appeal/decision",
            Who::Roles(STAFF),
        ),
        (
            "POST",
            "/v1/takedowns/{id}/done",
            "/v1/takedowns/1/done",
            Who::Roles(&[Admin, Moderator]),
        ),
        (
            "GET",
            "/v1/takedowns",
            "/v1/takedowns",
            Who::Roles(&[Admin, Moderator, AgencyOfficer]),
        ),
        (
            "GET",
            "/v1/accounts/{handle}/violations",
            "/v1/accounts/u1/violations",
            Who::Roles(STAFF),
        ),
        (
            "GET",
            "/v1/audit",
            "/v1/audit",
            Who::Roles(&[Admin, Reviewer]),
        ),
        (
            "GET",
            "/v1/audit/verify",
            "/v1/audit/verify",
            Who::Roles(&[Admin, Reviewer]),
        ),
        (
            "POST",
            "/v1/audit/checkpoints",
            "/v1/audit/checkpoints",
            Who::Roles(&[Admin]),
        ),
        ("GET", "/v1/audit/head", "/v1/audit/head", Who::Public),
        (
            "GET",
            "/v1/transparency",
            "/v1/transparency",
            Who::Roles(ALL),
        ),
        (
            "POST",
            "/v1/integrations/mastodon",
            "/v1/integrations/mastodon",
            Who::Signed,
        ),
    ];
    matrix.extend(crate::identity::permission_rows());
    matrix.extend(crate::inquiries::permission_rows());
    matrix.extend(crate::consultations::permission_rows());
    matrix.extend(crate::tokens::permission_rows());
    matrix.extend(crate::pipeline::permission_rows());
    matrix.extend(crate::reports::permission_rows());
    // The matrix must cover every API route.
    let table: BTreeSet<(String, String)> = matrix
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    let routed: BTreeSet<(String, String)> = quytac_server::routes::routes()
        .iter()
        .filter(|r| r.path.starts_with("/v1") || r.path == "/healthz" || r.path == "/openapi.json")
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(
        table, routed,
        "the permission matrix and the route table differ"
    );

    let app = spawn_app().await;
    let mut tokens = Vec::new();
    for role in ALL {
        tokens.push((*role, app.token(*role).await));
    }
    for (method, template, path, who) in &matrix {
        let body = if *method == "POST" {
            Some(json!({}))
        } else {
            None
        };
        let anon = app.call(method, path, None, body.clone()).await;
        match who {
            // 404: what the path names does not exist (no data is set up); the route is open.
            Who::Public => assert!(
                anon.status < 400 || anon.status == 404 || anon.status == 422,
                "{method} {template} anonymous → {}",
                anon.status
            ),
            Who::Signed => assert_eq!(
                (anon.status, anon.code().as_str()),
                (401, "bad_signature"),
                "{method} {template}"
            ),
            Who::Roles(_) => assert_eq!(
                (anon.status, anon.code().as_str()),
                (401, "missing_token"),
                "{method} {template}"
            ),
        }
        for (role, token) in &tokens {
            let r = app.call(method, path, Some(token), body.clone()).await;
            let allowed = match who {
                Who::Public => true,
                Who::Roles(roles) => roles.contains(role),
                Who::Signed => {
                    assert_eq!(
                        r.status, 401,
                        "{method} {template} as {role}: a token is no signature"
                    );
                    continue;
                }
            };
            if allowed {
                assert!(
                    r.status != 401 && r.status != 403 && r.status < 500,
                    "{method} {template} as {role} → {} {}",
                    r.status,
                    r.body
                );
            } else {
                assert_eq!(
                    (r.status, r.code().as_str()),
                    (403, "forbidden"),
                    "{method} {template} as {role}"
                );
            }
        }
    }

    // Console pages: no cookie → sign-in page; other roles cannot sign in (403, no
    // cookie); staff sign in and see the page.
    let r = app.request("GET", "/console/cases", &[], b"").await;
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/login"));
    for (role, token) in &tokens {
        if STAFF.contains(role) {
            let console = app.sign_in(token).await;
            let r = app
                .request("GET", "/console/cases", &[("cookie", &console.cookie)], b"")
                .await;
            assert_eq!(r.status, 200, "console as {role}");
        } else if *role == Role::AgencyOfficer {
            // Officers sign in for their inbox, and open no other console page.
            let r = app
                .request(
                    "POST",
                    "/login",
                    &[FORM],
                    format!("token={token}").as_bytes(),
                )
                .await;
            assert_eq!(r.status, 303, "inbox sign-in as {role}");
            assert_eq!(r.header("location"), Some("/console/inbox"));
            let cookie = r.cookie();
            let r = app
                .request("GET", "/console/cases", &[("cookie", &cookie)], b"")
                .await;
            assert_eq!(r.status, 403, "console as {role}");
        } else {
            let r = app
                .request(
                    "POST",
                    "/login",
                    &[FORM],
                    format!("token={token}").as_bytes(),
                )
                .await;
            assert_eq!(r.status, 403, "console sign-in as {role}");
            assert!(r.header("set-cookie").is_none(), "{role}");
        }
    }
}
