//! Asking an agency on the web and following the inquiry by its private link (issue 14): the
//! link is the only way in (a wrong, malformed or guessed secret is `not_found`, ids are not
//! accepted), only the secret's SHA-256 is stored, the row is bound to the audit log, and the
//! name and contact left go only to the assigned officer and admins. Run on SQLite always and
//! on PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::{add_agency, new_agency, service};

use quytac_core::workflow::inquiry::{InquiryStatus, WEB_CITIZEN};
use quytac_core::workflow::{Actor, Role};
use quytac_service::consultations::CommentOn;
use quytac_service::inquiries::follow::AskOnWeb;
use quytac_service::inquiries::{AnswerInquiry, AssignInquiry};
use quytac_service::ErrorKind;
use quytac_store::testing::on_each_backend;
use quytac_store::Store;

async fn agency(store: &Store) {
    add_agency(store, new_agency("so")).await;
}

fn asked(text: &str) -> AskOnWeb {
    AskOnWeb {
        text: text.into(),
        name: "Nguyễn Thị Lan".into(),
        contact: "lan@example.vn".into(),
        ..AskOnWeb::default()
    }
}

#[tokio::test]
async fn the_private_link_is_the_only_way_in_and_shows_the_answer() {
    on_each_backend(|store| async move {
        agency(&store).await;
        let svc = service(store.clone());
        let a = svc
            .ask_agency_on_web("so", asked("Xin hỏi thủ tục; số của tôi 0912 345 678"))
            .await
            .unwrap();
        assert_eq!(a.secret.len(), 64);
        assert!(a.secret.bytes().all(|b| b.is_ascii_hexdigit()));
        let b = svc
            .ask_agency_on_web("so", asked("Câu hỏi thứ hai"))
            .await
            .unwrap();
        assert_ne!(a.secret, b.secret);

        // The link shows its own inquiry, masked.
        let seen = svc.followed_inquiry(&a.secret).await.unwrap().inquiry;
        assert_eq!(seen.id, a.inquiry.id);
        assert!(seen.masked);
        assert!(!seen.text.contains("0912 345 678"), "{}", seen.text);
        assert_eq!(seen.status, InquiryStatus::Open);
        assert_eq!(
            svc.followed_inquiry(&b.secret).await.unwrap().inquiry.id,
            b.inquiry.id
        );

        // Nothing else leads in: a changed digit, the ids, upper case, short, long, empty.
        let mut changed = a.secret.clone().into_bytes();
        changed[10] = if changed[10] == b'0' { b'1' } else { b'0' };
        let changed = String::from_utf8(changed).unwrap();
        let id = a.inquiry.id.to_string();
        for wrong in [
            changed.as_str(),
            id.as_str(),
            &a.secret.to_uppercase(),
            &a.secret[..63],
            &format!("{}0", a.secret),
            "",
            &"0".repeat(64),
        ] {
            let e = svc.followed_inquiry(wrong).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotFound, "{wrong}");
        }

        // Only the hash is stored: the secret appears nowhere in the row.
        let link = store
            .follow_link_of(a.inquiry.id)
            .await
            .unwrap()
            .expect("a link row");
        assert!(link.secret_hash.starts_with("sha256:"));
        assert!(!link.secret_hash.contains(&a.secret));
        assert_eq!(link.asker_contact, "lan@example.vn");

        // The asker is the web citizen; no token is, so no citizen may close it.
        let q = store.inquiry(a.inquiry.id).await.unwrap().unwrap();
        assert_eq!(q.citizen, WEB_CITIZEN);
        let citizen = Actor::new(Role::Citizen, 5);
        assert_eq!(
            svc.close_inquiry(&citizen, a.inquiry.id)
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Forbidden
        );

        // The name and contact: not for an officer not assigned, yes once assigned.
        let officer = Actor {
            agency: Some("so".into()),
            ..Actor::new(Role::AgencyOfficer, 7)
        };
        assert_eq!(
            svc.asker_contact(&officer, a.inquiry.id)
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Forbidden
        );
        svc.assign_inquiry(&officer, a.inquiry.id, AssignInquiry::default())
            .await
            .unwrap();
        let c = svc
            .asker_contact(&officer, a.inquiry.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.name, "Nguyễn Thị Lan");

        // The officer answers; the link shows the answer.
        svc.answer_inquiry(
            &officer,
            a.inquiry.id,
            AnswerInquiry {
                text: "Mời anh chị mang hồ sơ tới bộ phận một cửa.".into(),
                answered_at: None,
            },
        )
        .await
        .unwrap();
        let seen = svc.followed_inquiry(&a.secret).await.unwrap().inquiry;
        assert_eq!(seen.status, InquiryStatus::Answered);
        assert_eq!(seen.replies.len(), 1);
        assert!(seen.replies[0].text.contains("bộ phận một cửa"));

        // Every row written is bound to the audit log.
        let v = svc.verify_audit().await.unwrap();
        assert!(v.ok, "{v:?}");
    })
    .await;
}

#[tokio::test]
async fn hateful_questions_and_bad_fields_are_refused_and_nothing_is_stored() {
    on_each_backend(|store| async move {
        agency(&store).await;
        let svc = service(store.clone());
        let e = svc
            .ask_agency_on_web(
                "so",
                asked("Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi"),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ContentRejected);
        let mut long_name = asked("Xin hỏi");
        long_name.name = "a".repeat(101);
        assert_eq!(
            svc.ask_agency_on_web("so", long_name)
                .await
                .unwrap_err()
                .kind,
            ErrorKind::InvalidField
        );
        let mut two_lines = asked("Xin hỏi");
        two_lines.contact = "a\nb".into();
        assert_eq!(
            svc.ask_agency_on_web("so", two_lines)
                .await
                .unwrap_err()
                .kind,
            ErrorKind::InvalidField
        );
        assert_eq!(
            svc.ask_agency_on_web("nope", asked("Xin hỏi"))
                .await
                .unwrap_err()
                .kind,
            ErrorKind::NotFound
        );
        assert!(store
            .list_inquiries("so", None, 10)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_web_comment_is_recorded_as_the_web_citizen() {
    on_each_backend(|store| async move {
        let svc = service(store.clone());
        svc.load_consultations_demo().await.unwrap();
        let (c, _) = svc.consultation_with_comments(1).await.unwrap();
        let filed = svc
            .comment_on_web(
                c.id,
                CommentOn {
                    text: "Tôi đồng tình với dự thảo, gọi tôi 0912 345 678".into(),
                    stance: None,
                },
            )
            .await
            .unwrap();
        assert!(filed.comment.published);
        let (_, comments) = svc.consultation_with_comments(c.id).await.unwrap();
        let mine = comments
            .iter()
            .find(|k| k.id == filed.comment.comment.id)
            .unwrap();
        assert_eq!(mine.author, WEB_CITIZEN);
        assert!(!mine.masked_text.contains("0912 345 678"));
    })
    .await;
}
