//! Citizens' inquiries through the service: who may assign, answer, reopen, close and unmask,
//! checked on the stored row (officers of the agency, and of the parent after escalation),
//! and the escalation sweep's AG-7 finding. Run on SQLite always and on PostgreSQL when
//! `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::{add_agency, new_agency, service};

use quytac_core::finding::Category;
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use quytac_core::workflow::inquiry::{InquiryKind, InquiryStatus};
use quytac_core::workflow::{Actor, Role};
use quytac_service::inquiries::{AnswerInquiry, AskAgency, AssignInquiry, ReopenInquiry};
use quytac_service::ErrorKind;
use quytac_store::model::NewAgency;
use quytac_store::testing::on_each_backend;
use quytac_store::Store;

const DAY: i64 = 86_400_000;

fn actor(role: Role, token_id: i64, agency: Option<&str>) -> Actor {
    Actor {
        role,
        token_id,
        agency: agency.map(str::to_string),
        user: None,
    }
}

async fn agencies(store: &Store) {
    for (id, parent) in [("ubnd", None), ("so", Some("ubnd")), ("khac", None)] {
        let agency = NewAgency {
            parent_id: parent.map(str::to_string),
            ..new_agency(id)
        };
        add_agency(store, agency).await;
    }
}

fn ask(text: &str, received_at: Option<i64>) -> AskAgency {
    AskAgency {
        text: text.into(),
        kind: InquiryKind::Question,
        received_at,
    }
}

fn answer(text: &str) -> AnswerInquiry {
    AnswerInquiry {
        text: text.into(),
        answered_at: None,
    }
}

#[tokio::test]
async fn officers_act_for_their_agency_and_the_asker_reopens_and_closes() {
    on_each_backend(|store| async move {
        agencies(&store).await;
        let svc = service(store);
        let citizen = actor(Role::Citizen, 5, None);
        let own = actor(Role::AgencyOfficer, 7, Some("so"));
        let other = actor(Role::AgencyOfficer, 9, Some("khac"));
        let q = svc
            .ask_agency(
                &citizen,
                "so",
                ask("Xin hỏi thủ tục, gọi tôi: 0912 345 678", None),
            )
            .await
            .unwrap()
            .inquiry;
        assert_eq!(q.status, InquiryStatus::Open);
        assert!(q.masked && !q.text.contains("345 678"));
        // Only admins date a question.
        let err = svc
            .ask_agency(&citizen, "so", ask("Xin hỏi", Some(1)))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        // A citizen's text breaking the code for another reason than personal data is refused.
        let err = svc
            .ask_agency(
                &citizen,
                "so",
                ask("Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi", None),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ContentRejected);

        let err = svc
            .assign_inquiry(&other, q.id, AssignInquiry::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let err = svc
            .answer_inquiry(&other, q.id, answer("Trả lời"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let err = svc.inquiry(&own, q.id, true).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden, "not assigned yet");

        let v = svc
            .assign_inquiry(&own, q.id, AssignInquiry::default())
            .await
            .unwrap()
            .inquiry;
        assert_eq!(v.assigned_to.as_deref(), Some("agency_officer:7"));
        let shown = svc.inquiry(&own, q.id, true).await.unwrap().inquiry;
        assert!(!shown.masked && shown.text.contains("0912 345 678"));
        assert_eq!(shown.citizen.as_deref(), Some("citizen:5"));

        let v = svc
            .answer_inquiry(&own, q.id, answer("Cảm ơn anh/chị, thủ tục như sau."))
            .await
            .unwrap()
            .inquiry;
        assert_eq!(v.status, InquiryStatus::Answered);
        assert_eq!(v.answered_on_time, Some(true));

        let stranger = actor(Role::Citizen, 6, None);
        let err = svc
            .reopen_inquiry(&stranger, q.id, ReopenInquiry::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let v = svc
            .reopen_inquiry(
                &citizen,
                q.id,
                ReopenInquiry {
                    reason: "Chưa rõ".into(),
                },
            )
            .await
            .unwrap()
            .inquiry;
        assert_eq!(v.status, InquiryStatus::Reopened);
        let err = svc
            .reopen_inquiry(&citizen, q.id, ReopenInquiry::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        let v = svc.close_inquiry(&citizen, q.id).await.unwrap().inquiry;
        assert_eq!(v.status, InquiryStatus::Closed);
        let err = svc
            .answer_inquiry(&own, q.id, answer("Muộn"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        let err = svc.close_inquiry(&citizen, q.id).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
    })
    .await;
}

#[tokio::test]
async fn an_overdue_inquiry_escalates_once_to_the_parent_whose_officers_may_then_answer() {
    on_each_backend(|store| async move {
        agencies(&store).await;
        let svc = service(store);
        let admin = actor(Role::Admin, 1, None);
        let parent = actor(Role::AgencyOfficer, 8, Some("ubnd"));
        let now = quytac_store::now_ms();
        let q = svc
            .ask_agency(
                &admin,
                "so",
                ask("Xin hỏi lịch tiếp công dân", Some(now - 30 * DAY)),
            )
            .await
            .unwrap()
            .inquiry;
        let err = svc
            .answer_inquiry(&parent, q.id, answer("Trả lời"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden, "not escalated yet");

        let done = svc.escalate_inquiries("system:escalation").await.unwrap();
        assert_eq!(done.escalated, vec![q.id]);
        let again = svc.escalate_inquiries("system:escalation").await.unwrap();
        assert!(again.escalated.is_empty(), "once per deadline");

        let v = svc.inquiry(&admin, q.id, false).await.unwrap().inquiry;
        assert_eq!(v.escalated_to.as_deref(), Some("ubnd"));
        assert!(v.overdue);
        let f = &v.findings[0];
        let pack = RulePack::builtin(DEFAULT_PACK).unwrap();
        let rule = pack
            .rule_for(quytac_core::item::Role::Agency, Category::ResponseOverdue)
            .unwrap();
        assert_eq!(
            (f.rule_id.as_str(), f.category),
            (rule.id.as_str(), Category::ResponseOverdue)
        );
        assert!(f.evidence.contains("`ubnd`"));

        let v = svc
            .answer_inquiry(&parent, q.id, answer("Ủy ban trả lời thay Sở."))
            .await
            .unwrap()
            .inquiry;
        assert_eq!(v.status, InquiryStatus::Answered);
        assert_eq!(v.answered_on_time, Some(false));
    })
    .await;
}
