//! The moderation console's use cases through the service (issue 14): the queue's filters,
//! search, sort and paging; assignment; internal notes; bulk decisions; appeals upheld or
//! overturned; a takedown carried out — and that every row they write is bound by the audit
//! log. Run on SQLite always and on PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::{add_agency, new_agency, officer, service};

use quytac_core::finding::{Category, Verdict};
use quytac_core::item::Item;
use quytac_core::workflow::{
    Action, Actor, AppealOutcome, CaseSource, CaseStatus, Role, TakedownStatus,
};
use quytac_service::console::{
    AddNote, AssignCase, BulkDecide, CaseQuery, CompleteTakedown, DecideAppeal,
};
use quytac_service::moderation::{AppealDecision, Decide, ReportPost};
use quytac_service::posts::PostSource;
use quytac_service::takedowns::FileTakedown;
use quytac_service::users::NewUser;
use quytac_service::ErrorKind;
use quytac_store::console::CaseSort;
use quytac_store::model::NewAgency;
use quytac_store::testing::on_each_backend;
use quytac_store::Store;

const AUTHOR: &str = "cs-author";

fn slur(id: &str, author: &str) -> Item {
    Item::from_json(&format!(
        r#"{{"id":"{id}","text":"Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi {id}","author":{{"id":"{author}","role":"civil_servant"}}}}"#
    ))
    .unwrap()
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

const MODERATOR: fn() -> Actor = || Actor::new(Role::Moderator, 30);
const REVIEWER: fn() -> Actor = || Actor::new(Role::Reviewer, 10);
const CITIZEN: fn() -> Actor = || Actor::new(Role::Citizen, 20);

async fn competent_officer(store: &Store) -> Actor {
    let agency = NewAgency {
        name: "Bộ Công an".into(),
        response_working_days: 15,
        competent_authority: true,
        ..new_agency("bo-ca")
    };
    add_agency(store, agency).await;
    officer("bo-ca", 5)
}

fn ids(q: &quytac_service::console::CaseQueue) -> Vec<i64> {
    q.cases.iter().map(|c| c.case.summary.case.id).collect()
}

async fn verified(svc: &quytac_service::Service) {
    let v = svc.verify_audit().await.unwrap();
    assert!(v.ok, "the audit log verifies: {v:?}");
    assert_eq!(v.state.problem_count, 0, "{:?}", v.state.problems);
}

#[tokio::test]
async fn the_queue_filters_searches_sorts_pages_and_puts_overdue_takedowns_first() {
    on_each_backend(|store| async move {
        let officer = competent_officer(&store).await;
        let svc = service(store);
        let mut cases = Vec::new();
        for i in 0..5 {
            let author = if i == 4 { "someone-else" } else { AUTHOR };
            let c = svc
                .ingest("t", slur(&format!("p{i}"), author), PostSource::Api)
                .await
                .unwrap()
                .case
                .unwrap();
            cases.push(c.id);
        }
        svc.report(
            &CITIZEN(),
            ReportPost {
                post_id: "p1".into(),
                category: None,
                note: String::new(),
                addressee: None,
            },
        )
        .await
        .unwrap();
        // The newest case has a takedown past its deadline: it comes first whatever the sort.
        let now = quytac_store::now_ms();
        svc.file_takedown(
            &officer,
            FileTakedown {
                post_id: "p3".into(),
                agency_id: None,
                authority: None,
                legal_basis: "NĐ 147".into(),
                reason: String::new(),
                received_at: Some(now - 25 * 3600 * 1000),
            },
        )
        .await
        .unwrap();
        svc.decide(&MODERATOR(), cases[2], remove("Gỡ."))
            .await
            .unwrap();

        let all = svc.case_queue(CaseQuery::default()).await.unwrap();
        assert_eq!(all.total, 5);
        assert_eq!(
            ids(&all),
            vec![cases[3], cases[0], cases[1], cases[2], cases[4]]
        );
        assert!(all.cases[0].takedown_overdue);
        assert!(!all.cases[1].takedown_overdue);
        let count = |s: CaseStatus| all.counts.iter().find(|c| c.status == s).unwrap().count;
        assert_eq!(
            (count(CaseStatus::Open), count(CaseStatus::Decided)),
            (4, 1)
        );

        let newest = svc
            .case_queue(CaseQuery {
                sort: CaseSort::Newest,
                status: Some(CaseStatus::Open),
                ..CaseQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(ids(&newest), vec![cases[3], cases[4], cases[1], cases[0]]);

        let q = |f: fn(&mut CaseQuery)| {
            let mut query = CaseQuery::default();
            f(&mut query);
            let svc = &svc;
            async move { ids(&svc.case_queue(query).await.unwrap()) }
        };
        assert_eq!(q(|q| q.has_reports = Some(true)).await, vec![cases[1]]);
        assert_eq!(
            q(|q| q.source = Some(CaseSource::Report)).await,
            Vec::<i64>::new()
        );
        assert_eq!(
            q(|q| q.search = Some("someone".into())).await,
            vec![cases[4]]
        );
        assert_eq!(q(|q| q.search = Some("P2".into())).await, vec![cases[2]]);
        let by_id = format!("#{}", cases[1]);
        let mut query = CaseQuery {
            search: Some(by_id),
            ..CaseQuery::default()
        };
        assert_eq!(
            ids(&svc.case_queue(query.clone()).await.unwrap()),
            vec![cases[1]]
        );
        query.search = Some("100%_".into());
        assert!(ids(&svc.case_queue(query).await.unwrap()).is_empty());
        assert_eq!(q(|q| q.rule = Some("CS-5".into())).await.len(), 5);
        assert_eq!(q(|q| q.rule = Some("CS-9".into())).await.len(), 0);
        assert_eq!(
            q(|q| q.category = Some(Category::RegionalDiscrimination))
                .await
                .len(),
            5
        );
        assert_eq!(
            q(|q| q.category = Some(Category::Confidential)).await.len(),
            0
        );
        assert_eq!(q(|q| q.severity = Some(Verdict::Pass)).await.len(), 0);
        let err = svc
            .case_queue(CaseQuery {
                rule: Some("CS-5' OR 1=1".into()),
                ..CaseQuery::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidField);
        let err = svc
            .case_queue(CaseQuery {
                assignee: Some("moderator:\u{0}".into()),
                ..CaseQuery::default()
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::InvalidField,
            "no control characters reach the SQL"
        );

        // Paging: two a page, the total on every page.
        let page = |n| CaseQuery {
            page: n,
            page_size: 2,
            ..CaseQuery::default()
        };
        let p2 = svc.case_queue(page(2)).await.unwrap();
        assert_eq!((p2.total, ids(&p2)), (5, vec![cases[1], cases[2]]));
        let p3 = svc.case_queue(page(3)).await.unwrap();
        assert_eq!(ids(&p3), vec![cases[4]]);
        let big = svc
            .case_queue(CaseQuery {
                page_size: 1_000_000,
                ..CaseQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(big.page_size, 1000, "a page is bounded");
        assert!(!big.total_capped, "five cases are all counted");
        // The search and the depth of paging are bounded too: a search longer than the
        // store takes is refused, and no page starts past the cases the store counts.
        let err = svc
            .case_queue(CaseQuery {
                search: Some("a".repeat(quytac_store::console::MAX_SEARCH_CHARS + 1)),
                ..CaseQuery::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidField);
        let deep = svc
            .case_queue(CaseQuery {
                page: i64::MAX,
                page_size: 50,
                ..CaseQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            deep.page,
            quytac_store::console::MAX_COUNTED / 50 + 1,
            "the deepest page served"
        );
        assert!(deep.cases.is_empty());
    })
    .await;
}

#[tokio::test]
async fn staff_assign_cases_and_write_notes_that_the_audit_binds() {
    on_each_backend(|store| async move {
        competent_officer(&store).await;
        let svc = service(store);
        let a = svc
            .ingest("t", slur("p1", AUTHOR), PostSource::Api)
            .await
            .unwrap()
            .case
            .unwrap();
        let b = svc
            .ingest("t", slur("p2", AUTHOR), PostSource::Api)
            .await
            .unwrap()
            .case
            .unwrap();
        let me = MODERATOR();
        let row = svc
            .assign_case(
                &me,
                a.id,
                AssignCase {
                    assignee: Some(me.name()),
                },
            )
            .await
            .unwrap();
        assert_eq!(row.assignee.as_deref(), Some("moderator:30"));
        // Someone else: an enabled staff user, by username or actor name; nobody made up.
        for (username, role, disabled) in [
            ("lan", Role::Reviewer, false),
            ("minh", Role::Moderator, true),
            ("hoa", Role::AgencyOfficer, false),
        ] {
            svc.add_user(
                "admin:cli",
                &NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    role,
                    agency: (role == Role::AgencyOfficer).then(|| "bo-ca".to_string()),
                    password: "mot mat khau dai".into(),
                },
            )
            .await
            .unwrap();
            if disabled {
                svc.disable_user("admin:cli", username).await.unwrap();
            }
        }
        for unknown in [
            "reviewer:10",
            "nobody",
            "minh",
            "hoa",
            "moderator:lan",
            "me:",
        ] {
            let err = svc
                .assign_case(
                    &me,
                    b.id,
                    AssignCase {
                        assignee: Some(unknown.into()),
                    },
                )
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::UnknownAssignee, "{unknown}");
        }
        for lan in ["LAN", "reviewer:lan"] {
            let row = svc
                .assign_case(
                    &me,
                    b.id,
                    AssignCase {
                        assignee: Some(lan.into()),
                    },
                )
                .await
                .unwrap();
            assert_eq!(row.assignee.as_deref(), Some("reviewer:lan"));
        }
        let row = svc
            .assign_case(
                &me,
                b.id,
                AssignCase {
                    assignee: Some("me".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            row.assignee.as_deref(),
            Some("moderator:30"),
            "a token's caller takes it"
        );
        svc.assign_case(
            &me,
            b.id,
            AssignCase {
                assignee: Some("lan".into()),
            },
        )
        .await
        .unwrap();
        let mine = svc
            .case_queue(CaseQuery {
                assignee: Some(me.name()),
                ..CaseQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(ids(&mine), vec![a.id]);
        assert_eq!(mine.cases[0].case.assignee.as_deref(), Some("moderator:30"));
        // Unassigned again: nobody's.
        svc.assign_case(&me, a.id, AssignCase { assignee: None })
            .await
            .unwrap();
        let nobody = svc
            .case_queue(CaseQuery {
                assignee: Some(String::new()),
                ..CaseQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(ids(&nobody), vec![a.id]);
        let err = svc
            .assign_case(&CITIZEN(), a.id, AssignCase { assignee: None })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let err = svc
            .assign_case(&me, 999, AssignCase { assignee: None })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);

        let note = svc
            .add_note(
                &me,
                a.id,
                AddNote {
                    body: "Đã hỏi ý kiến pháp chế.".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(note.author, "moderator:30");
        let err = svc
            .add_note(&me, a.id, AddNote { body: "  ".into() })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidField);
        let err = svc
            .add_note(&CITIZEN(), a.id, AddNote { body: "x".into() })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let desk = svc.case_desk(&REVIEWER(), a.id).await.unwrap();
        assert_eq!(desk.notes.len(), 1);
        assert_eq!(desk.assignments.len(), 2);
        assert_eq!(
            svc.case_desk(&REVIEWER(), b.id)
                .await
                .unwrap()
                .assignments
                .len(),
            4
        );
        assert!(svc.case_desk(&CITIZEN(), a.id).await.is_err());
        // The note's words are in its row (bound by hash), not in the event.
        let events = svc.audit_events(0, 1000).await.unwrap().events;
        let e = events
            .iter()
            .find(|e| e.action == "case.note_added")
            .unwrap();
        assert!(!e.payload.to_string().contains("pháp chế"));
        assert!(events.iter().any(|e| e.action == "case.assigned"));

        // A decided case is nobody's to take.
        svc.decide(&me, b.id, remove("Gỡ.")).await.unwrap();
        let err = svc
            .assign_case(
                &me,
                b.id,
                AssignCase {
                    assignee: Some(me.name()),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        verified(&svc).await;
    })
    .await;
}

#[tokio::test]
async fn a_bulk_decision_decides_each_case_by_its_rules_and_says_which_were_refused() {
    on_each_backend(|store| async move {
        let svc = service(store);
        let mut ids_ = Vec::new();
        for i in 0..3 {
            ids_.push(
                svc.ingest("t", slur(&format!("p{i}"), AUTHOR), PostSource::Api)
                    .await
                    .unwrap()
                    .case
                    .unwrap()
                    .id,
            );
        }
        svc.decide(&MODERATOR(), ids_[1], remove("Trước."))
            .await
            .unwrap();
        let before = svc.audit_events(0, 1000).await.unwrap().events.len();
        let out = svc
            .decide_many(
                &MODERATOR(),
                BulkDecide {
                    case_ids: vec![ids_[2], ids_[0], ids_[1], ids_[0], 999],
                    decision: remove("Cùng một lý do."),
                },
            )
            .await
            .unwrap();
        assert_eq!((out.decided, out.refused), (2, 2));
        let by = |id: i64| out.results.iter().find(|r| r.case_id == id).unwrap();
        assert!(by(ids_[0]).decision_id.is_some());
        assert!(by(ids_[2]).decision_id.is_some());
        assert_eq!(by(ids_[1]).error_kind.as_deref(), Some("conflict"));
        assert_eq!(by(999).error_kind.as_deref(), Some("not_found"));
        let events = svc.audit_events(0, 1000).await.unwrap().events;
        let decided = events[before..]
            .iter()
            .filter(|e| e.action == "decision.recorded")
            .count();
        assert_eq!(decided, 2, "one audit event per decided case");
        let err = svc
            .decide_many(
                &MODERATOR(),
                BulkDecide {
                    case_ids: vec![],
                    decision: remove("x"),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidField);
        verified(&svc).await;
    })
    .await;
}

#[tokio::test]
async fn a_reviewer_upholds_or_overturns_an_appeal_and_a_moderator_may_not() {
    on_each_backend(|store| async move {
        let admin = Actor::new(Role::Admin, 1);
        let svc = service(store);
        let mut cases = Vec::new();
        for i in 0..2 {
            let c = svc
                .ingest("t", slur(&format!("p{i}"), AUTHOR), PostSource::Api)
                .await
                .unwrap()
                .case
                .unwrap();
            svc.decide(&MODERATOR(), c.id, remove("Gỡ.")).await.unwrap();
            svc.appeal(
                &admin,
                c.id,
                AppealDecision {
                    reason: "Không đúng.".into(),
                },
            )
            .await
            .unwrap();
            cases.push(c.id);
        }
        let outcome = |o, s: &str| DecideAppeal {
            outcome: o,
            statement: s.into(),
        };
        let err = svc
            .decide_appeal(&MODERATOR(), cases[0], outcome(AppealOutcome::Uphold, "x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let upheld = svc
            .decide_appeal(
                &REVIEWER(),
                cases[0],
                outcome(AppealOutcome::Uphold, "Giữ nguyên."),
            )
            .await
            .unwrap();
        assert_eq!(upheld.decision.action, Action::Remove);
        assert!(upheld.decision.on_appeal);
        let overturned = svc
            .decide_appeal(
                &REVIEWER(),
                cases[1],
                outcome(AppealOutcome::Overturn, "Không vi phạm."),
            )
            .await
            .unwrap();
        assert_eq!(overturned.decision.action, Action::None);
        assert_eq!(overturned.decision.rule_id, "CS-5");
        let detail = svc.case(cases[1]).await.unwrap();
        assert_eq!(detail.case.status, CaseStatus::Decided);
        let err = svc
            .decide_appeal(&REVIEWER(), cases[1], outcome(AppealOutcome::Uphold, "x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict, "no pending appeal");
        verified(&svc).await;
    })
    .await;
}

#[tokio::test]
async fn carrying_out_a_takedown_removes_the_content_and_closes_the_request() {
    on_each_backend(|store| async move {
        let officer = competent_officer(&store).await;
        let svc = service(store);
        svc.ingest("t", slur("p1", AUTHOR), PostSource::Api)
            .await
            .unwrap();
        let filed = svc
            .file_takedown(
                &officer,
                FileTakedown {
                    post_id: "p1".into(),
                    agency_id: None,
                    authority: None,
                    legal_basis: "NĐ 147".into(),
                    reason: String::new(),
                    received_at: None,
                },
            )
            .await
            .unwrap();
        let id = filed.takedown.takedown.id;
        let done = |rule: Option<&str>| CompleteTakedown {
            rule: rule.map(str::to_string),
            category: Some(Category::RegionalDiscrimination),
            statement: "Gỡ theo yêu cầu của cơ quan có thẩm quyền.".into(),
        };
        let err = svc
            .complete_takedown(&REVIEWER(), id, done(Some("CS-5")))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let err = svc
            .complete_takedown(&MODERATOR(), id, done(None))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::InvalidField,
            "still visible: say why it goes"
        );
        let out = svc
            .complete_takedown(&MODERATOR(), id, done(Some("CS-5")))
            .await
            .unwrap();
        assert_eq!(out.takedown.status, TakedownStatus::Done);
        assert!(out.takedown.completed_at.is_some());
        assert_eq!(out.decision.unwrap().decision.action, Action::Remove);
        let err = svc
            .complete_takedown(&MODERATOR(), id, done(Some("CS-5")))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict, "done once");
        let err = svc
            .complete_takedown(&MODERATOR(), 999, done(Some("CS-5")))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
        verified(&svc).await;
    })
    .await;
}
