//! The moderation workflow through the service: what decisions and appeals change, who may
//! take each step, and the race between an appeal and decisions sent at the same moment. Run
//! on SQLite always and on PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::{add_agency, citizen_for, new_agency, officer, service};

use quytac_core::finding::Category;
use quytac_core::item::Item;
use quytac_core::workflow::{
    Action, Actor, AppealStatus, CaseSource, CaseStatus, ReportOutcome, Role, TakedownStatus,
};
use quytac_service::moderation::{AppealDecision, Decide, ReportPost};
use quytac_service::posts::PostSource;
use quytac_service::takedowns::FileTakedown;
use quytac_service::ErrorKind;
use quytac_store::model::NewAgency;
use quytac_store::testing::on_each_backend;
use quytac_store::Store;

/// The author of every post of these tests.
const AUTHOR: &str = "cs-author";

/// A civil servant's regional slur: CS-5 binds the author and judges the category.
fn slur(id: &str) -> Item {
    Item::from_json(&format!(
        r#"{{"id":"{id}","text":"Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi","author":{{"id":"{AUTHOR}","role":"civil_servant"}}}}"#
    ))
    .unwrap()
}

/// An officer of a newly registered agency, a competent authority or not.
async fn officer_of_new_agency(store: &Store, id: &str, competent: bool) -> Actor {
    let agency = NewAgency {
        response_working_days: 15,
        competent_authority: competent,
        ..new_agency(id)
    };
    add_agency(store, agency).await;
    officer(id, 5)
}

fn takedown(post_id: &str, received_at: Option<i64>) -> FileTakedown {
    FileTakedown {
        post_id: post_id.into(),
        agency_id: None,
        authority: None,
        legal_basis: "B".into(),
        reason: "C".into(),
        received_at,
    }
}

fn remove(statement: &str) -> Decide {
    Decide {
        rule: "CS-5".into(),
        category: Category::RegionalDiscrimination,
        action: Action::Remove,
        statement: statement.into(),
        automated_decision: false,
    }
}

fn appeal() -> AppealDecision {
    AppealDecision {
        reason: "Tôi không đồng ý.".into(),
    }
}

const MODERATOR: fn() -> Actor = || Actor::new(Role::Moderator, 30);
const REVIEWER: fn() -> Actor = || Actor::new(Role::Reviewer, 10);
const OTHER_REVIEWER: fn() -> Actor = || Actor::new(Role::Reviewer, 11);
const CITIZEN: fn() -> Actor = || Actor::new(Role::Citizen, 20);

#[tokio::test]
async fn a_decision_tells_reporters_counts_the_violation_and_closes_takedowns() {
    on_each_backend(|store| async move {
        let officer = officer_of_new_agency(&store, "bo-ca", true).await;
        let svc = service(store);
        let ingested = svc.ingest("t", slur("p1"), PostSource::Api).await.unwrap();
        let case = ingested.case.expect("the slur needs a person");
        assert_eq!(case.source, CaseSource::Automated);
        let filed = svc
            .report(
                &CITIZEN(),
                ReportPost {
                    post_id: "p1".into(),
                    category: Some(Category::Hate),
                    note: "n".into(),
                    addressee: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(filed.case.id, case.id, "the report joins the open case");
        assert!(filed.report.outcome.is_none());
        let now = quytac_store::now_ms();
        let td = svc
            .file_takedown(&officer, takedown("p1", Some(now - 25 * 3600 * 1000)))
            .await
            .unwrap();
        assert!(td.takedown.overdue);
        assert_eq!(td.takedown.takedown.authority, "Cơ quan bo-ca");
        assert_eq!(td.takedown.takedown.agency_id.as_deref(), Some("bo-ca"));
        assert_eq!(
            svc.takedowns(&officer, true).await.unwrap().takedowns.len(),
            1
        );

        let recorded = svc
            .decide(&MODERATOR(), case.id, remove("Lý do."))
            .await
            .unwrap();
        assert!(recorded.notice_to_author.automated_detection);
        assert!(recorded.notice_to_author.can_appeal);
        assert_eq!(recorded.reporters_notified, 1);
        let report = svc.report_for(&CITIZEN(), filed.report.id).await.unwrap();
        assert_eq!(report.outcome, Some(ReportOutcome::Remove));
        assert!(svc
            .takedowns(&MODERATOR(), true)
            .await
            .unwrap()
            .takedowns
            .is_empty());
        let all = svc.takedowns(&officer, false).await.unwrap().takedowns;
        assert_eq!(all[0].takedown.status, TakedownStatus::Done);
        let standing = svc.standing(AUTHOR).await.unwrap();
        assert_eq!(
            (
                standing.counts.last_30_days,
                standing.counts.temporary_locks
            ),
            (1, 0)
        );

        let err = svc
            .decide(&MODERATOR(), case.id, remove("Again."))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        let err = svc
            .decide(&MODERATOR(), 999, remove("x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
        // Someone else's report is not shown to them.
        let err = svc
            .report_for(&Actor::new(Role::Citizen, 99), filed.report.id)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
    })
    .await;
}

#[tokio::test]
async fn an_appeal_reopens_a_first_decision_once_for_another_reviewer() {
    on_each_backend(|store| async move {
        let author = citizen_for(&store, AUTHOR).await;
        let stranger = citizen_for(&store, "someone-else").await;
        let svc = service(store);
        let case = svc
            .ingest("t", slur("p1"), PostSource::Api)
            .await
            .unwrap()
            .case
            .unwrap();
        let err = svc.appeal(&author, case.id, appeal()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict, "nothing decided yet");
        svc.decide(&REVIEWER(), case.id, remove("Gỡ."))
            .await
            .unwrap();
        let err = svc
            .appeal(&REVIEWER(), case.id, appeal())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden, "not one's own decision");
        // Issue 11: any citizen could appeal any case. Only the post's author appeals.
        for other in [stranger.clone(), CITIZEN(), MODERATOR()] {
            let err = svc.appeal(&other, case.id, appeal()).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Forbidden, "{}", other.name());
        }
        let filed = svc.appeal(&author, case.id, appeal()).await.unwrap();
        assert_eq!(filed.appeal.status, AppealStatus::Pending);
        assert_eq!(
            svc.case(case.id).await.unwrap().case.status,
            CaseStatus::Appealed
        );

        let err = svc
            .decide(&MODERATOR(), case.id, remove("x"))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::Forbidden,
            "a moderator cannot decide an appeal"
        );
        let err = svc
            .decide(&REVIEWER(), case.id, remove("x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::SameModerator);
        let mut overturn = remove("Không vi phạm.");
        overturn.action = Action::None;
        let recorded = svc
            .decide(&OTHER_REVIEWER(), case.id, overturn)
            .await
            .unwrap();
        assert!(recorded.decision.on_appeal);
        assert!(
            !recorded.notice_to_author.can_appeal,
            "a decision on appeal is final"
        );
        let detail = svc.case(case.id).await.unwrap();
        assert_eq!(detail.appeals[0].status, AppealStatus::Decided);
        let err = svc.appeal(&author, case.id, appeal()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict, "appeals once");
    })
    .await;
}

/// The race of issue "One home for every rule": an appeal and two decisions sent at the same
/// moment — by a moderator, and by the reviewer whose decision is appealed. Whatever lands
/// first, neither may end up deciding the appeal.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_appeal_racing_decisions_is_never_decided_by_a_moderator_or_the_appealed_reviewer() {
    on_each_backend(|store| async move {
        let author = citizen_for(&store, AUTHOR).await;
        let svc = service(store);
        let rounds = 40;
        let mut appeals_filed = 0;
        for round in 0..rounds {
            let id = format!("race-{round}");
            let case = svc
                .ingest("t", slur(&id), PostSource::Api)
                .await
                .unwrap()
                .case
                .unwrap();
            svc.decide(&REVIEWER(), case.id, remove("Gỡ."))
                .await
                .unwrap();
            let (a, m, r) = (svc.clone(), svc.clone(), svc.clone());
            let author = author.clone();
            let appeal_task =
                tokio::spawn(async move { a.appeal(&author, case.id, appeal()).await });
            let moderator_task =
                tokio::spawn(async move { m.decide(&MODERATOR(), case.id, remove("M")).await });
            let reviewer_task =
                tokio::spawn(async move { r.decide(&REVIEWER(), case.id, remove("R")).await });
            if appeal_task.await.unwrap().is_ok() {
                appeals_filed += 1;
            }
            assert!(moderator_task.await.unwrap().is_err(), "round {round}");
            assert!(reviewer_task.await.unwrap().is_err(), "round {round}");
            let detail = svc.case(case.id).await.unwrap();
            let on_appeal: Vec<&str> = detail
                .decisions
                .iter()
                .filter(|d| d.on_appeal)
                .map(|d| d.moderator.as_str())
                .collect();
            assert!(
                on_appeal.is_empty(),
                "round {round}: appeal decided by {on_appeal:?}"
            );
        }
        assert_eq!(
            appeals_filed, rounds,
            "every appeal of a first decision lands"
        );
    })
    .await;
}

/// Issue 11, "What broke" 4: any officer — even one bound to no agency — filed a takedown
/// naming any authority, and every officer listed every takedown.
#[tokio::test]
async fn takedowns_only_from_competent_authorities_in_their_own_name() {
    on_each_backend(|store| async move {
        let police = officer_of_new_agency(&store, "bo-ca", true).await;
        let district = officer_of_new_agency(&store, "ubnd-q1", false).await;
        let other_authority = officer_of_new_agency(&store, "so-tt-hn", true).await;
        let svc = service(store);
        svc.ingest("t", slur("p1"), PostSource::Api).await.unwrap();
        let unbound = Actor::new(Role::AgencyOfficer, 6);
        let refused = |e: quytac_service::ServiceError| e.kind;
        assert_eq!(
            refused(
                svc.file_takedown(&unbound, takedown("p1", None))
                    .await
                    .unwrap_err()
            ),
            ErrorKind::Forbidden
        );
        assert_eq!(
            refused(
                svc.file_takedown(&district, takedown("p1", None))
                    .await
                    .unwrap_err()
            ),
            ErrorKind::Forbidden,
            "not a competent authority"
        );
        let mut naming_other = takedown("p1", None);
        naming_other.agency_id = Some("so-tt-hn".into());
        assert_eq!(
            refused(svc.file_takedown(&police, naming_other).await.unwrap_err()),
            ErrorKind::Forbidden
        );
        let mut other_name = takedown("p1", None);
        other_name.authority = Some("Bộ Công an".into());
        assert_eq!(
            refused(svc.file_takedown(&police, other_name).await.unwrap_err()),
            ErrorKind::Forbidden
        );
        let mut own_name = takedown("p1", None);
        own_name.authority = Some("Cơ quan bo-ca".into());
        svc.file_takedown(&police, own_name).await.unwrap();
        svc.file_takedown(&other_authority, takedown("p1", None))
            .await
            .unwrap();
        let seen = |list: quytac_service::takedowns::TakedownList| -> Vec<String> {
            list.takedowns
                .into_iter()
                .map(|t| t.takedown.agency_id.unwrap_or_default())
                .collect()
        };
        assert_eq!(
            seen(svc.takedowns(&police, false).await.unwrap()),
            ["bo-ca"]
        );
        assert!(seen(svc.takedowns(&district, false).await.unwrap()).is_empty());
        assert_eq!(
            svc.takedowns(&MODERATOR(), false)
                .await
                .unwrap()
                .takedowns
                .len(),
            2
        );
        assert!(svc
            .takedowns(&unbound, false)
            .await
            .unwrap()
            .takedowns
            .is_empty());
        assert!(svc.takedowns(&CITIZEN(), false).await.is_err());
    })
    .await;
}
