//! Tests of the inquiries endpoints: deadlines in working days (weekends, Tết), answers on
//! time and late, escalation to the parent agency with `response_overdue`, reopening, masking
//! of citizens' personal data with audited unmasked reads (AG-5), the responsiveness figures
//! and their public pages (AG-7).

use crate::helpers::*;
use quytac_core::agency::{CivilDate, DateTimeVn};

/// This module's rows of the permission matrix.
pub(super) fn permission_rows() -> Vec<MatrixRow> {
    use Role::*;
    vec![
        (
            "POST",
            "/v1/agencies/{id}/inquiries",
            "/v1/agencies/x/inquiries",
            Who::Roles(&[Admin, Citizen]),
        ),
        (
            "GET",
            "/v1/agencies/{id}/inquiries",
            "/v1/agencies/x/inquiries",
            Who::Roles(ALL),
        ),
        (
            "GET",
            "/v1/agencies/{id}/responsiveness",
            "/v1/agencies/x/responsiveness",
            Who::Public,
        ),
        (
            "POST",
            "/v1/inquiries/escalate",
            "/v1/inquiries/escalate",
            Who::Roles(&[Admin]),
        ),
        (
            "GET",
            "/v1/inquiries/{id}",
            "/v1/inquiries/1",
            Who::Roles(ALL),
        ),
        (
            "POST",
            "/v1/inquiries/{id}/assign",
            "/v1/inquiries/1/assign",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "POST",
            "/v1/inquiries/{id}/answer",
            "/v1/inquiries/1/answer",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "POST",
            "/v1/inquiries/{id}/reopen",
            "/v1/inquiries/1/reopen",
            Who::Roles(&[Admin, Citizen]),
        ),
        (
            "POST",
            "/v1/inquiries/{id}/close",
            "/v1/inquiries/1/close",
            Who::Roles(&[Admin, Citizen]),
        ),
    ]
}

/// Unix ms of a Vietnam wall-clock time.
fn vn(y: i32, m: u32, d: u32, h: u32, mi: u32) -> i64 {
    DateTimeVn::new(CivilDate::new(y, m, d).unwrap(), h, mi)
        .unwrap()
        .to_unix()
        * 1000
}

/// The actor name of a token (`role:id`).
fn actor(role: Role, token: &str) -> String {
    let id = token
        .strip_prefix("qt_")
        .unwrap()
        .split('_')
        .next()
        .unwrap();
    format!("{role}:{id}")
}

async fn agency(app: &TestApp, id: &str, parent: Option<&str>, days: i64) {
    app.add_agency(id, parent, days).await;
}

async fn ask(app: &TestApp, token: &str, agency: &str, body: Value) -> Value {
    let r = app
        .call(
            "POST",
            &format!("/v1/agencies/{agency}/inquiries"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["inquiry"].clone()
}

async fn answer(app: &TestApp, token: &str, id: i64, body: Value) -> Value {
    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{id}/answer"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["inquiry"].clone()
}

async fn audit_actions(app: &TestApp, subject: &str) -> Vec<(String, String)> {
    app.state
        .store
        .audit_events(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.subject == subject)
        .map(|e| (e.action, e.actor))
        .collect()
}

#[tokio::test]
async fn due_times_skip_weekends_tet_and_evenings_and_answers_are_judged_by_them() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    agency(&app, "so", None, 3).await;
    let officer = app.officer_of("so").await;

    // Thursday 12 Feb 2026, 10:00: Friday 13 counts, Tết (16–20 Feb, Mon–Fri) and the
    // weekends around it do not; due at 17:00 on Tuesday 24 Feb.
    let cases = [
        (vn(2026, 2, 12, 10, 0), "2026-02-24T17:00+07:00"),
        // Friday 13 Feb at 18:00, after office hours: received on Monday 23 Feb.
        (vn(2026, 2, 13, 18, 0), "2026-02-26T17:00+07:00"),
        // A Saturday: received on Monday 6 Oct 2025.
        (vn(2025, 10, 4, 9, 0), "2025-10-09T17:00+07:00"),
        // Before 1 May and 30 April (Thu, Fri): Wed 29 Apr 2026 → Mon 4, Tue 5, Wed 6 May.
        (vn(2026, 4, 29, 9, 0), "2026-05-06T17:00+07:00"),
    ];
    let mut ids = Vec::new();
    for (received, due) in cases {
        let q = ask(
            &app,
            &admin,
            "so",
            json!({"text": "Xin hỏi thủ tục đăng ký trang thông tin điện tử.", "received_at": received}),
        )
        .await;
        assert_eq!(q["due_at_local"], due, "received {received}");
        assert_eq!(q["created_at"], received);
        assert_eq!(q["status"], "open");
        assert_eq!(q["working_days"], 3);
        ids.push(q["id"].as_i64().unwrap());
    }
    let r = app
        .call(
            "GET",
            &format!("/v1/inquiries/{}", ids[0]),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(r.json()["inquiry"]["due_at"], vn(2026, 2, 24, 17, 0));

    // Answered one minute before the deadline: on time, 3 working days (13, 23, 24 Feb).
    let q = answer(
        &app,
        &admin,
        ids[0],
        json!({"text": "Hồ sơ gồm đơn đề nghị và đề án hoạt động.", "answered_at": vn(2026, 2, 24, 16, 59)}),
    )
    .await;
    assert_eq!(q["answered_on_time"], true);
    assert_eq!(q["working_days_to_first_answer"], 3);
    assert_eq!(q["status"], "answered");
    assert_eq!(q["first_answered_at_local"], "2026-02-24T16:59+07:00");
    // The next morning after its deadline: late.
    let q = answer(
        &app,
        &admin,
        ids[1],
        json!({"text": "Hồ sơ gồm đơn đề nghị.", "answered_at": vn(2026, 2, 27, 9, 0)}),
    )
    .await;
    assert_eq!(q["answered_on_time"], false);

    // Only admins may set times, and not in the future or before receipt.
    let citizen = app.token(Role::Citizen).await;
    let r = app
        .call(
            "POST",
            "/v1/agencies/so/inquiries",
            Some(&citizen),
            Some(json!({"text": "Câu hỏi", "received_at": vn(2026, 1, 5, 9, 0)})),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{}/answer", ids[2]),
            Some(&officer),
            Some(json!({"text": "Trả lời", "answered_at": vn(2026, 1, 5, 9, 0)})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{}/answer", ids[2]),
            Some(&admin),
            Some(json!({"text": "Trả lời", "answered_at": vn(2025, 1, 5, 9, 0)})),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "invalid_field"));
    let r = app
        .call(
            "POST",
            "/v1/agencies/so/inquiries",
            Some(&admin),
            Some(json!({"text": "Câu hỏi", "received_at": quytac_store::now_ms() + 3_600_000})),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "invalid_field"));
    let r = app
        .call(
            "POST",
            "/v1/agencies/nope/inquiries",
            Some(&citizen),
            Some(json!({"text": "Câu hỏi"})),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .call(
            "POST",
            "/v1/agencies/so/inquiries",
            Some(&citizen),
            Some(json!({"text": "Câu hỏi", "kind": "complaint"})),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (422, "invalid_field"));
}

#[tokio::test]
async fn overdue_inquiries_escalate_to_the_parent_agency_with_response_overdue() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let citizen = app.token(Role::Citizen).await;
    agency(&app, "ubnd", None, 15).await;
    agency(&app, "so", Some("ubnd"), 5).await;
    let day = 86_400_000;
    let now = quytac_store::now_ms();
    let old = ask(
        &app,
        &admin,
        "so",
        json!({"text": "Vì sao hồ sơ của tôi chưa được giải quyết?", "kind": "doubt", "received_at": now - 30 * day}),
    )
    .await;
    let fresh = ask(
        &app,
        &citizen,
        "so",
        json!({"text": "Thông tin trên trang khác cổng thông tin.", "kind": "conflicting_information"}),
    )
    .await;
    let (old_id, fresh_id) = (old["id"].as_i64().unwrap(), fresh["id"].as_i64().unwrap());
    assert_eq!(old["overdue"], true);
    assert_eq!(fresh["overdue"], false);
    assert_eq!(fresh["kind"], "conflicting_information");

    let r = app
        .call(
            "GET",
            "/v1/agencies/so/inquiries?overdue=true",
            Some(&citizen),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let listed: Vec<i64> = r.json()["inquiries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, vec![old_id]);

    let r = app
        .call(
            "POST",
            "/v1/inquiries/escalate",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["escalated"], json!([old_id]));
    let r = app
        .call(
            "GET",
            &format!("/v1/inquiries/{old_id}"),
            Some(&citizen),
            None,
        )
        .await;
    let q = r.json()["inquiry"].clone();
    assert_eq!(q["escalated_to"], "ubnd");
    assert!(q["escalated_at"].is_i64());
    let f = &q["findings"][0];
    assert_eq!(f["category"], "response_overdue");
    assert_eq!(f["rule_id"], "AG-7");
    assert_eq!(f["severity"], "violation");
    assert!(f["evidence"].as_str().unwrap().contains("ubnd"));
    // Once per deadline; the fresh one is not due.
    let r = app
        .call(
            "POST",
            "/v1/inquiries/escalate",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.json()["escalated"], json!([]));
    let events = audit_actions(&app, &format!("inquiry:{old_id}")).await;
    assert!(
        events.iter().any(|(a, _)| a == "inquiry.escalated"),
        "{events:?}"
    );
    // The parent agency's officers may now answer it, not the other one.
    let parent_officer = app.officer_of("ubnd").await;
    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{fresh_id}/answer"),
            Some(&parent_officer),
            Some(json!({"text": "Trả lời"})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let events = audit_actions(&app, &format!("inquiry:{fresh_id}")).await;
    assert!(!events.iter().any(|(a, _)| a == "inquiry.escalated"));

    // The figures count it as open, overdue and escalated.
    let r = app
        .call("GET", "/v1/agencies/so/responsiveness", None, None)
        .await;
    let t = r.json()["total"].clone();
    assert_eq!(
        (
            &t["count"],
            &t["open"],
            &t["overdue"],
            &t["escalated"],
            &t["late"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(1), &json!(1))
    );
    let q = answer(
        &app,
        &parent_officer,
        old_id,
        json!({"text": "Ủy ban đã yêu cầu Sở giải quyết hồ sơ trong tuần này."}),
    )
    .await;
    assert_eq!(
        (&q["status"], &q["answered_on_time"]),
        (&json!("answered"), &json!(false))
    );
    let r = app
        .call("GET", "/v1/agencies/so/responsiveness", None, None)
        .await;
    let t = r.json()["total"].clone();
    assert_eq!(
        (&t["answered"], &t["late"], &t["overdue"], &t["escalated"]),
        (&json!(1), &json!(1), &json!(0), &json!(1))
    );
}

#[tokio::test]
async fn only_the_asker_reopens_and_a_new_deadline_runs() {
    let app = spawn_app().await;
    let asker = app.token(Role::Citizen).await;
    let other = app.token(Role::Citizen).await;
    agency(&app, "so", None, 5).await;
    let officer = app.officer_of("so").await;
    let q = ask(
        &app,
        &asker,
        "so",
        json!({"text": "Khi nào có kết quả tuyển dụng?"}),
    )
    .await;
    let id = q["id"].as_i64().unwrap();
    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{id}/reopen"),
            Some(&asker),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "conflict"),
        "still open"
    );
    let q = answer(&app, &officer, id, json!({"text": "Dự kiến cuối tháng."})).await;
    assert_eq!(q["answered_on_time"], true);
    assert_eq!(q["reply_due_at"], Value::Null);
    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{id}/reopen"),
            Some(&other),
            Some(json!({"reason": "Chưa rõ"})),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{id}/reopen"),
            Some(&asker),
            Some(json!({"reason": "Cuối tháng là ngày nào? Gọi tôi: 0912 345 678"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let q = r.json()["inquiry"].clone();
    assert_eq!(q["status"], "reopened");
    assert!(q["reply_due_at"].as_i64().unwrap() > q["due_at"].as_i64().unwrap() - 1);
    let reason = &q["replies"][1];
    assert_eq!(reason["kind"], "reopen");
    assert!(
        !reason["text"].as_str().unwrap().contains("345 678"),
        "{reason}"
    );
    // The first answer still decides the public figure.
    assert_eq!(q["answered_on_time"], true);
    let q = answer(&app, &officer, id, json!({"text": "Ngày 30."})).await;
    assert_eq!(q["status"], "answered");
    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{id}/close"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{id}/close"),
            Some(&asker),
            None,
        )
        .await;
    assert_eq!(r.json()["inquiry"]["status"], "closed");
    let actions: Vec<String> = audit_actions(&app, &format!("inquiry:{id}"))
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        vec![
            "inquiry.created",
            "inquiry.answered",
            "inquiry.reopened",
            "inquiry.answered",
            "inquiry.closed"
        ]
    );
}

#[tokio::test]
async fn personal_data_is_masked_and_only_the_assigned_officer_and_admins_unmask_it() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let citizen = app.token(Role::Citizen).await;
    let moderator = app.token(Role::Moderator).await;
    agency(&app, "so", None, 5).await;
    agency(&app, "khac", None, 5).await;
    let officer = app.officer_of("so").await;
    let other_officer = app.officer_of("so").await;
    let elsewhere = app.officer_of("khac").await;
    let unbound = app.token(Role::AgencyOfficer).await;
    let text =
        "Tôi là Nguyễn Văn An, CCCD 001090012345, SĐT 0912 345 678, xin hỏi về hồ sơ cấp phép.";
    let q = ask(&app, &citizen, "so", json!({"text": text})).await;
    let id = q["id"].as_i64().unwrap();
    let public = q["text"].as_str().unwrap();
    assert_eq!(q["masked"], true);
    assert!(
        !public.contains("001090012345") && !public.contains("0912 345"),
        "{public}"
    );
    assert!(
        public.contains('•') && public.contains("xin hỏi về hồ sơ"),
        "{public}"
    );
    assert!(
        q.get("citizen").is_none(),
        "the asker is not shown in public"
    );
    let findings = q["check"]["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["category"] == "personal_data"),
        "{findings:?}"
    );
    assert!(findings
        .iter()
        .all(|f| f.get("evidence").is_none() && f.get("start").is_none()));

    // Refused to everyone but the assigned officer and admins.
    let unmasked = format!("/v1/inquiries/{id}?unmasked=true");
    for token in [&citizen, &officer, &moderator] {
        let r = app.call("GET", &unmasked, Some(token), None).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "forbidden"),
            "{}",
            r.body
        );
    }
    let r = app.call("GET", &unmasked, None, None).await;
    assert_eq!(r.status, 401);
    assert!(audit_actions(&app, &format!("inquiry:{id}"))
        .await
        .iter()
        .all(|(a, _)| a != "inquiry.unmasked_viewed"));

    let r = app
        .call(
            "POST",
            &format!("/v1/inquiries/{id}/assign"),
            Some(&officer),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["inquiry"]["assigned_to"],
        actor(Role::AgencyOfficer, &officer)
    );
    // Only to an officer of this agency, and only by one.
    for assignee in [
        actor(Role::Citizen, &citizen),
        actor(Role::AgencyOfficer, &elsewhere),
    ] {
        let r = app
            .call(
                "POST",
                &format!("/v1/inquiries/{id}/assign"),
                Some(&admin),
                Some(json!({ "assignee": assignee })),
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (422, "unknown_assignee"),
            "{assignee}"
        );
    }
    for token in [&elsewhere, &unbound] {
        let r = app
            .call(
                "POST",
                &format!("/v1/inquiries/{id}/assign"),
                Some(token),
                Some(json!({})),
            )
            .await;
        assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
        let r = app
            .call(
                "POST",
                &format!("/v1/inquiries/{id}/answer"),
                Some(token),
                Some(json!({"text": "Trả lời"})),
            )
            .await;
        assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    }

    let r = app.call("GET", &unmasked, Some(&officer), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["inquiry"]["text"], text);
    assert_eq!(r.json()["inquiry"]["masked"], false);
    assert_eq!(
        r.json()["inquiry"]["citizen"],
        actor(Role::Citizen, &citizen)
    );
    let r = app.call("GET", &unmasked, Some(&other_officer), None).await;
    assert_eq!(r.status, 403);
    let r = app.call("GET", &unmasked, Some(&admin), None).await;
    assert_eq!(r.json()["inquiry"]["text"], text);
    let views: Vec<(String, String)> = audit_actions(&app, &format!("inquiry:{id}"))
        .await
        .into_iter()
        .filter(|(a, _)| a == "inquiry.unmasked_viewed")
        .collect();
    assert_eq!(
        views.iter().map(|(_, who)| who.clone()).collect::<Vec<_>>(),
        vec![
            actor(Role::AgencyOfficer, &officer),
            actor(Role::Admin, &admin)
        ]
    );
    // No audit event carries the text as written.
    let all = app.state.store.audit_events(0, 10_000).await.unwrap();
    assert!(all
        .iter()
        .all(|e| !e.payload.to_string().contains("001090012345")));

    // The agency's answer is masked before publication too.
    let q = answer(
        &app,
        &officer,
        id,
        json!({"text": "Chúng tôi sẽ gọi lại anh An qua số 0912 345 678 trong tuần."}),
    )
    .await;
    let reply = q["replies"][0]["text"].as_str().unwrap();
    assert!(
        !reply.contains("0912 345") && reply.contains('•'),
        "{reply}"
    );
    let r = app.call("GET", &unmasked, Some(&officer), None).await;
    assert!(r.json()["inquiry"]["replies"][0]["text"]
        .as_str()
        .unwrap()
        .contains("0912 345 678"));

    // Texts that break the code are refused and not stored.
    let r = app
        .call(
            "POST",
            "/v1/agencies/so/inquiries",
            Some(&citizen),
            Some(json!({"text": "Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi"})),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "content_rejected"),
        "{}",
        r.body
    );
    let r = app
        .call("GET", "/v1/agencies/so/inquiries", Some(&citizen), None)
        .await;
    assert_eq!(r.json()["inquiries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn responsiveness_figures_pages_and_ranking() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    agency(&app, "slow", None, 1).await;
    agency(&app, "fast", None, 1).await;
    agency(&app, "quiet", None, 1).await;
    // Monday 6 Oct 2025, 08:00: due Tuesday 7 Oct, 17:00 (33 hours later).
    let t0 = vn(2025, 10, 6, 8, 0);
    let h = 3_600_000;
    for hours in [1, 2, 3, 4, 5, 6, 7, 8, 9, 40] {
        let q = ask(
            &app,
            &admin,
            "slow",
            json!({"text": "Câu hỏi về thủ tục.", "received_at": t0}),
        )
        .await;
        answer(
            &app,
            &admin,
            q["id"].as_i64().unwrap(),
            json!({"text": "Trả lời.", "answered_at": t0 + hours * h}),
        )
        .await;
    }
    let q = ask(
        &app,
        &admin,
        "fast",
        json!({"text": "Câu hỏi.", "received_at": t0}),
    )
    .await;
    answer(
        &app,
        &admin,
        q["id"].as_i64().unwrap(),
        json!({"text": "Trả lời.", "answered_at": t0 + 30 * h}),
    )
    .await;

    let r = app
        .call("GET", "/v1/agencies/slow/responsiveness", None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["time_zone"], "Asia/Ho_Chi_Minh");
    assert!(v["at_local"].as_str().unwrap().ends_with("+07:00"));
    let t = &v["total"];
    assert_eq!(t["count"], 10);
    assert_eq!(t["answered"], 10);
    assert_eq!(t["answered_on_time"], 9);
    assert_eq!(t["late"], 1);
    assert_eq!(t["on_time_share"], 0.9);
    // 1..9 and 40 hours: median (5 + 6) / 2; p90 at rank 8.1: 9 + 0.1 × (40 − 9).
    assert_eq!(t["median_hours_to_first_answer"], 5.5);
    assert_eq!(t["p90_hours_to_first_answer"], 12.1);
    // Answered on the day of receipt (0 working days) but for the 40 hours (Wed 8 Oct: 2).
    assert_eq!(t["median_working_days_to_first_answer"], 0.0);
    assert_eq!(t["p90_working_days_to_first_answer"], 0.2);
    assert_eq!((&t["open"], &t["overdue"]), (&json!(0), &json!(0)));
    assert_eq!(v["months"][0]["key"], "2025-10");
    assert_eq!(v["months"][0]["count"], 10);
    assert_eq!(v["months"].as_array().unwrap().len(), 1);
    let r = app
        .call("GET", "/v1/agencies/nope/responsiveness", None, None)
        .await;
    assert_eq!(r.status, 404);

    let page = app
        .request("GET", "/agencies/slow/responsiveness", &[], b"")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "{}", page.body);
    assert!(page.body.contains("2025-10"));
    assert!(page.body.contains("90,0 %"), "{}", page.body);
    assert!(page.body.contains("5,5 giờ"));
    assert!(page.body.contains("UTC+7"));
    // One bar, on time and late stacked (nothing is pending).
    assert_eq!(page.body.matches("class=\"bar\"").count(), 2);
    assert!(
        page.body.contains("2025-10 · Đúng hạn: 9") && page.body.contains("2025-10 · Trễ hạn: 1")
    );
    let page = app
        .request("GET", "/agencies/nope/responsiveness", &[], b"")
        .await;
    assert_eq!(page.status, 404);

    let page = app
        .request("GET", "/agencies/responsiveness", &[], b"")
        .await;
    assert_eq!(page.status, 200);
    // Issue 14: `fast` answered one question (100 % on time): too few to be ranked, it is
    // listed apart after the ranked `slow`.
    let order: Vec<usize> = ["slow", "fast", "quiet"]
        .iter()
        .map(|id| {
            page.body
                .find(&format!("data-id=\"{id}\""))
                .unwrap_or_else(|| panic!("{id} missing: {}", page.body))
        })
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{}", page.body);
    assert!(page.body.contains("href=\"/agencies/fast/responsiveness\""));
}

/// `serve --demo` loads the inquiries and the consultation through the service, and a second
/// start on the same database leaves them as they are.
#[tokio::test]
async fn the_demo_loads_inquiries_and_a_consultation_through_the_service_once() {
    let app = spawn_app().await;
    let first = quytac_server::demo::load(&app.state).await.unwrap();
    assert!(!first.already_loaded);
    let second = quytac_server::demo::load(&app.state).await.unwrap();
    assert!(second.already_loaded);
    let svc = &app.state.service;
    let so = svc.agency_inquiries("so-tt-hn", false, None).await.unwrap();
    assert_eq!(so.inquiries.len(), 4);
    assert!(so
        .inquiries
        .iter()
        .all(|q| q.masked && !q.text.contains("0912 345 678")));
    let waiting: Vec<_> = so.inquiries.iter().filter(|q| q.overdue).collect();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert!(waiting[0].escalated_at.is_some(), "{waiting:?}");
    let q1 = svc.agency_inquiries("ubnd-q1", false, None).await.unwrap();
    assert_eq!(q1.inquiries.len(), 2);
    let c = svc.consultation(1).await.unwrap();
    assert_eq!(c.comments.len(), 4);
}

/// Issue 14's reviewer: the assignee lookup knew token names only, so an officer who signs in
/// with a username could not be given an inquiry, nor see it as theirs in the inbox.
#[tokio::test]
async fn an_officer_signed_in_by_username_is_assigned_by_username_and_sees_it_in_the_inbox() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let citizen = app.token(Role::Citizen).await;
    agency(&app, "so", None, 5).await;
    agency(&app, "khac", None, 5).await;
    const PASSWORD: &str = "mật khẩu rất dài 2026";
    for (username, of) in [("hoa", "so"), ("binh", "khac")] {
        app.staff_user(username, Role::AgencyOfficer, Some(of), PASSWORD)
            .await;
    }
    let q = ask(
        &app,
        &citizen,
        "so",
        json!({"text": "Xin hỏi về thủ tục cấp phép."}),
    )
    .await;
    let id = q["id"].as_i64().unwrap();
    let assign = |assignee: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.call(
                "POST",
                &format!("/v1/inquiries/{id}/assign"),
                Some(admin),
                Some(json!({ "assignee": assignee })),
            )
            .await
        }
    };
    // Another agency's officer, and nobody, are refused.
    for other in ["binh", "agency_officer:nobody", "moderator:hoa"] {
        let r = assign(other).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (422, "unknown_assignee"),
            "{other}: {}",
            r.body
        );
    }
    let r = assign("hoa").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["inquiry"]["assigned_to"], "agency_officer:hoa");

    let login = app
        .request(
            "POST",
            "/login",
            &[FORM],
            format!(
                "username=hoa&password={}&next=%2Fconsole%2Finbox",
                quytac_server::web::url_encode(PASSWORD)
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
    let cookie = login.cookie();
    let inbox = app
        .request("GET", "/console/inbox", &[("cookie", &cookie)], b"")
        .await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    let row = inbox
        .body
        .split(&format!("id=\"inquiry-{id}\""))
        .nth(1)
        .expect("the inquiry is in the inbox");
    let row = row.split("</tr>").next().unwrap();
    assert!(row.contains("Được giao cho bạn"), "{row}");
    let page = app
        .request(
            "GET",
            &format!("/console/inbox/{id}"),
            &[("cookie", &cookie)],
            b"",
        )
        .await;
    assert!(page.body.contains("id=\"assigned\">Bạn"), "{}", page.body);
}
