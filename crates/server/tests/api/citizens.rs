//! Citizens and officers on the web (issue 14), over HTTP on SQLite and, when
//! `QUYTAC_TEST_POSTGRES_URL` is set, PostgreSQL: asking an agency from its page (checked
//! first, personal data warned of, hateful text refused), the private follow link as the only
//! way in (a wrong secret and every id are a Vietnamese 404 page), an officer answering from
//! the inbox, and a consultation comment from its page.

use crate::helpers::*;

const PD_QUESTION: &str = "Xin hỏi thủ tục cấp phép; số điện thoại của tôi là 0912 345 678.";

/// A form field's value, percent-encoded.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn agency(app: &TestApp) {
    app.add_agency("so-web", None, 5).await;
}

async fn ask(app: &TestApp, fields: &str) -> Resp {
    app.request(
        "POST",
        "/agencies/so-web/inquiries",
        &[FORM],
        fields.as_bytes(),
    )
    .await
}

async fn count(app: &TestApp) -> usize {
    app.state
        .store
        .list_inquiries("so-web", None, 100)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_citizen_asks_on_the_web_and_follows_the_answer_by_the_private_link_only() {
    for db in quytac_store::testing::TestDb::each_backend().await {
        let url = db.url.clone();
        let app = spawn_app_with(move |c| c.database_url = url).await;
        agency(&app).await;
        let page = app
            .request("GET", "/agencies/so-web/responsiveness", &[], b"")
            .await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("id=\"ask-form\""),
            "the form is on the page"
        );
        assert!(page.body.contains("href=\"/directory/agencies/so-web\""));

        // Checked first: the phone number is named, with its evidence, and nothing is stored.
        let text = enc(PD_QUESTION);
        let checked = ask(&app, &format!("text={text}&step=check")).await;
        assert_eq!(checked.status, 200, "{}", checked.body);
        assert!(checked.body.contains("id=\"personal-data\""));
        assert!(checked.body.contains("Số điện thoại"));
        assert!(checked.body.contains("0912 345 678"));
        assert!(checked.body.contains("id=\"send-anyway\""));
        // Sending without confirming the warning only warns again.
        let unconfirmed = ask(&app, &format!("text={text}&step=send")).await;
        assert_eq!(unconfirmed.status, 200);
        assert!(unconfirmed.body.contains("id=\"personal-data\""));
        assert_eq!(count(&app).await, 0);

        // Hateful text is refused with the reason; a cross-site post is refused.
        let hate = ask(&app, &format!("text={}&step=send&confirm=yes", enc(HATE))).await;
        assert_eq!(hate.status, 422);
        assert!(hate.body.contains("id=\"refused\""), "{}", hate.body);
        let empty = ask(&app, "text=+&step=send").await;
        assert_eq!(empty.status, 422);
        let cross = app
            .request(
                "POST",
                "/agencies/so-web/inquiries",
                &[FORM, ("origin", "https://evil.example")],
                format!("text={}&step=send", enc("Xin hỏi")).as_bytes(),
            )
            .await;
        assert_eq!(cross.status, 403);
        assert_eq!(count(&app).await, 0);

        // Confirmed: stored, and the citizen is sent to the private link.
        let sent = ask(
            &app,
            &format!("text={text}&name=Lan&contact=lan%40example.vn&step=send&confirm=yes"),
        )
        .await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let location = sent.header("location").unwrap().to_string();
        let secret = location
            .strip_prefix("/inquiries/follow/")
            .and_then(|s| s.strip_suffix("?sent=1"))
            .unwrap_or_else(|| panic!("{location}"))
            .to_string();
        assert_eq!(secret.len(), 64);
        assert_eq!(count(&app).await, 1);
        let follow = app.request("GET", &location, &[], b"").await;
        assert_eq!(follow.status, 200);
        assert!(follow.body.contains("id=\"sent\""));
        assert!(follow.body.contains("Đang chờ trả lời"));
        assert!(follow.body.contains("id=\"due-left\""));
        assert!(!follow.body.contains("0912 345 678"), "masked");
        assert!(
            !follow.body.contains("lan@example.vn"),
            "the contact is not shown"
        );
        assert_eq!(follow.header("cache-control"), Some("no-store"));

        // In English for a reader who asks for it.
        let en = app
            .request("GET", &location, &[("accept-language", "en")], b"")
            .await;
        assert!(en.body.contains("lang=\"en\""));
        assert!(en.body.contains("Follow your inquiry") && en.body.contains("Awaiting an answer"));
        assert!(!en.body.contains("Theo dõi"));
        // No other way in: a changed secret, ids, a short secret.
        let id = app
            .state
            .store
            .list_inquiries("so-web", None, 1)
            .await
            .unwrap()[0]
            .id;
        let mut wrong = secret.clone().into_bytes();
        wrong[0] = if wrong[0] == b'a' { b'b' } else { b'a' };
        let wrong = String::from_utf8(wrong).unwrap();
        for path in [
            format!("/inquiries/follow/{wrong}"),
            format!("/inquiries/follow/{id}"),
            "/inquiries/follow/0".to_string(),
            format!("/inquiries/follow/{}", &secret[..32]),
            format!("/inquiries/follow/{}", secret.to_uppercase()),
        ] {
            let r = app.request("GET", &path, &[], b"").await;
            assert_eq!(r.status, 404, "{path}");
            assert!(r.body.contains("lang=\"vi\""), "{path}: {}", r.body);
            assert!(r.body.contains("Không tìm thấy yêu cầu"), "{path}");
        }

        // An officer of the agency signs in, sees it in the inbox and answers.
        let token = app.officer_of("so-web").await;
        let login = app.web_login(&format!("token={token}")).await;
        assert_eq!(login.status, 303, "{}", login.body);
        assert_eq!(login.header("location"), Some("/console/inbox"));
        let cookie = login.cookie();
        let inbox = app
            .request("GET", "/console/inbox", &[("cookie", &cookie)], b"")
            .await;
        assert_eq!(inbox.status, 200, "{}", inbox.body);
        assert!(inbox.body.contains(&format!("id=\"inquiry-{id}\"")));
        let csrf = csrf_of(&inbox.body);
        let path = format!("/console/inbox/{id}");
        // Not assigned: the name and contact stay hidden; taken, the officer sees them.
        let before = app.request("GET", &path, &[("cookie", &cookie)], b"").await;
        assert_eq!(before.status, 200, "{}", before.body);
        assert!(!before.body.contains("lan@example.vn"));
        let take = app
            .request(
                "POST",
                &format!("{path}/assign"),
                &[FORM, ("cookie", &cookie)],
                format!("csrf={csrf}").as_bytes(),
            )
            .await;
        assert_eq!(take.status, 303, "{}", take.body);
        let after = app.request("GET", &path, &[("cookie", &cookie)], b"").await;
        assert!(after.body.contains("lan@example.vn"), "{}", after.body);
        assert!(after.body.contains("id=\"assigned\">Bạn"));
        let answer = enc("Mời anh chị mang hồ sơ tới bộ phận một cửa.");
        let check = app
            .request(
                "POST",
                &path,
                &[FORM, ("cookie", &cookie)],
                format!("csrf={csrf}&text={answer}&step=check").as_bytes(),
            )
            .await;
        assert_eq!(check.status, 200, "{}", check.body);
        assert!(check.body.contains("id=\"send\""));
        let done = app
            .request(
                "POST",
                &path,
                &[FORM, ("cookie", &cookie)],
                format!("csrf={csrf}&text={answer}&step=send").as_bytes(),
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let follow = app.request("GET", &location, &[], b"").await;
        assert!(follow.body.contains("bộ phận một cửa"), "{}", follow.body);
        assert!(follow.body.contains("Đã trả lời"));

        // The officer opens no other console page; staff do not open the inbox.
        let cases = app
            .request("GET", "/console/cases", &[("cookie", &cookie)], b"")
            .await;
        assert_eq!(cases.status, 403);
        let moderator = app.token(Role::Moderator).await;
        let console = app.sign_in(&moderator).await;
        let r = app
            .request("GET", "/console/inbox", &[("cookie", &console.cookie)], b"")
            .await;
        assert_eq!(r.status, 403);
        drop(app);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_comment_from_the_consultation_page_is_checked_then_published_masked() {
    let app = spawn_app().await;
    app.state.service.load_consultations_demo().await.unwrap();
    let page = app.request("GET", "/consultations/1", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"comment-form\""));
    assert!(!page.body.contains("qua API"));
    let text = enc("Tôi đồng tình với dự thảo. Liên hệ 0912 345 678.");
    let checked = app
        .request(
            "POST",
            "/consultations/1/comments",
            &[FORM],
            format!("text={text}&stance=support&step=check").as_bytes(),
        )
        .await;
    assert_eq!(checked.status, 200);
    assert!(checked.body.contains("id=\"personal-data\""));
    let sent = app
        .request(
            "POST",
            "/consultations/1/comments",
            &[FORM],
            format!("text={text}&stance=support&step=send&confirm=yes").as_bytes(),
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let back = app
        .request("GET", sent.header("location").unwrap(), &[], b"")
        .await;
    assert!(back.body.contains("id=\"comment-notice\""));
    assert!(back.body.contains("Tôi đồng tình với dự thảo"));
    assert!(!back.body.contains("0912 345 678"));
    let missing = app
        .request(
            "POST",
            "/consultations/999/comments",
            &[FORM],
            format!("text={text}&step=send&confirm=yes").as_bytes(),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn the_parent_agencys_inbox_shows_what_was_escalated_to_it_overdue_first() {
    for db in quytac_store::testing::TestDb::each_backend().await {
        let url = db.url.clone();
        let app = spawn_app_with(move |c| c.database_url = url).await;
        for (id, parent) in [("ubnd-web", None), ("so-con", Some("ubnd-web"))] {
            app.add_agency(id, parent, 5).await;
        }
        // A question received 60 days ago, never answered: the sweep escalates it.
        let admin = quytac_core::workflow::Actor::new(Role::Admin, 1);
        let old = app
            .state
            .service
            .ask_agency(
                &admin,
                "so-con",
                quytac_service::inquiries::AskAgency {
                    text: "Câu hỏi đã quá hạn từ lâu".into(),
                    kind: Default::default(),
                    received_at: Some(quytac_store::now_ms() - 60 * 86_400_000),
                },
            )
            .await
            .unwrap();
        let token = app.officer_of("ubnd-web").await;
        let login = app.web_login(&format!("token={token}")).await;
        let cookie = login.cookie();
        let inbox = app
            .request("GET", "/console/inbox", &[("cookie", &cookie)], b"")
            .await;
        assert!(!inbox
            .body
            .contains(&format!("id=\"inquiry-{}\"", old.inquiry.id)));
        // The escalation button runs the sweep.
        let csrf = csrf_of(&inbox.body);
        let swept = app
            .request(
                "POST",
                "/console/inbox/escalate",
                &[FORM, ("cookie", &cookie)],
                format!("csrf={csrf}").as_bytes(),
            )
            .await;
        assert_eq!(swept.status, 303, "{}", swept.body);
        assert_eq!(swept.header("location"), Some("/console/inbox?escalated=1"));
        let inbox = app
            .request(
                "GET",
                "/console/inbox?escalated=1",
                &[("cookie", &cookie)],
                b"",
            )
            .await;
        assert!(inbox.body.contains("id=\"notice\""));
        let first = inbox.body.find("<tr class=\"inquiry").unwrap();
        let row = &inbox.body[first..];
        assert!(
            row.starts_with(&format!(
                "<tr class=\"inquiry overdue\" id=\"inquiry-{}\"",
                old.inquiry.id
            )),
            "{row}"
        );
        assert!(row.contains("Chuyển lên từ cơ quan cấp dưới: Cơ quan so-con"));
        // And the parent's officer may answer it.
        let page = app
            .request(
                "GET",
                &format!("/console/inbox/{}", old.inquiry.id),
                &[("cookie", &cookie)],
                b"",
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"answer-form\""));
        drop(app);
        db.cleanup().await;
    }
}
