//! Consultations through the service: only the agency's officers open them and read their
//! summary and export; comments breaking the code for another reason than personal data are
//! kept but withheld; personal data is masked. SQLite always, PostgreSQL when
//! `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::{add_agency, new_agency, service};

use quytac_core::workflow::consultation::ConsultationPhase;
use quytac_core::workflow::{Actor, Role};
use quytac_service::consultations::{CommentOn, OpenConsultation, TimeField};
use quytac_service::ErrorKind;
use quytac_store::testing::on_each_backend;

fn actor(role: Role, token_id: i64, agency: Option<&str>) -> Actor {
    Actor {
        role,
        token_id,
        agency: agency.map(str::to_string),
        user: None,
    }
}

fn open(closes_at: i64) -> OpenConsultation {
    OpenConsultation {
        title: "Dự thảo quy định phí trông giữ xe".into(),
        summary: "Lấy ý kiến người dân".into(),
        closes_at: TimeField::Ms(closes_at),
        opens_at: None,
        draft_text: None,
        document_number: None,
    }
}

fn comment(text: &str) -> CommentOn {
    CommentOn {
        text: text.into(),
        stance: None,
    }
}

#[tokio::test]
async fn officers_of_the_agency_open_and_read_comments_are_masked_or_withheld() {
    on_each_backend(|store| async move {
        add_agency(&store, new_agency("so")).await;
        let svc = service(store);
        let own = actor(Role::AgencyOfficer, 7, Some("so"));
        let other = actor(Role::AgencyOfficer, 8, Some("khac"));
        let citizen = actor(Role::Citizen, 5, None);
        let later = quytac_store::now_ms() + 86_400_000;
        let err = svc
            .open_consultation(&other, "so", open(later))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let err = svc
            .open_consultation(&own, "so", open(quytac_store::now_ms() - 1))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidField);
        let c = svc
            .open_consultation(&own, "so", open(later))
            .await
            .unwrap()
            .consultation;
        assert_eq!(c.status, ConsultationPhase::Open);

        let pd = svc
            .comment_on(
                &citizen,
                c.id,
                comment("Tôi đồng tình. Gọi tôi: 0912 345 678."),
            )
            .await
            .unwrap()
            .comment;
        assert!(pd.published && !pd.comment.text.contains("345 678"));
        assert!(pd.withheld_because.is_none());
        let hate = svc
            .comment_on(
                &citizen,
                c.id,
                comment("Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi"),
            )
            .await
            .unwrap()
            .comment;
        assert!(!hate.published && hate.withheld_because.is_some());
        let err = svc
            .comment_on(&citizen, c.id, comment("a\u{1b}b"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidField, "the one text validator");

        let shown = svc.consultation(c.id).await.unwrap();
        assert_eq!((shown.comments.len(), shown.withheld), (1, 1));
        let err = svc.consultation_summary(&other, c.id).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let s = svc.consultation_summary(&own, c.id).await.unwrap();
        assert_eq!((s.total, s.published, s.withheld), (2, 1, 1));
        let csv = String::from_utf8(svc.consultation_csv(&own, c.id).await.unwrap()).unwrap();
        assert!(
            !csv.contains("0912 345 678") && csv.lines().count() == 3,
            "{csv}"
        );
        let err = svc.consultation_csv(&citizen, c.id).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
    })
    .await;
}
