//! Decree 147 and figures that do not mislead (issue 14): each case's outcome counted once
//! with appeals apart, the 48-hour clock of complaints, ND-1 and ND-4 on writes, and the
//! provider's monthly report. On SQLite always and on PostgreSQL when
//! `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::{add_agency, citizen_for, new_agency, service, service_with_pack};
use quytac_core::finding::Category;
use quytac_core::item::Item;
use quytac_core::workflow::complaint::{Addressee, ComplaintAnswer};
use quytac_core::workflow::{Action, Actor, Role};
use quytac_service::moderation::{AppealDecision, Decide, ReportFiled, ReportPost};
use quytac_service::posts::PostSource;
use quytac_store::testing::on_each_backend;
use quytac_store::Store;

const AUTHOR: &str = "cs-author";
const DAY: i64 = 86_400_000;

fn slur(id: &str) -> Item {
    Item::from_json(&format!(
        r#"{{"id":"{id}","text":"Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi","author":{{"id":"{AUTHOR}","role":"civil_servant"}}}}"#
    ))
    .unwrap()
}

fn decide(action: Action) -> Decide {
    Decide {
        rule: "CS-5".into(),
        category: Category::RegionalDiscrimination,
        action,
        statement: "Lý do.".into(),
        automated_decision: false,
    }
}

/// An account registered by an admin with a handle and a name, nothing else (not
/// authenticated, no date of birth).
async fn plain_account(
    svc: &quytac_service::Service,
    handle: &str,
) -> quytac_service::identity::accounts::AccountShown {
    let register = quytac_service::identity::accounts::RegisterAccount {
        handle: handle.into(),
        display_name: "Lan".into(),
        ..Default::default()
    };
    svc.register_account(&Actor::new(Role::Admin, 1), register)
        .await
        .unwrap()
}

/// A citizen's complaint about `post` (a report), to the provider or to `addressee`.
async fn complain(
    svc: &quytac_service::Service,
    post: &str,
    addressee: Option<Addressee>,
) -> Result<ReportFiled, quytac_service::ServiceError> {
    let cmd = ReportPost {
        post_id: post.into(),
        category: Some(Category::Hate),
        note: "Nội dung xúc phạm.".into(),
        addressee,
    };
    svc.report(&Actor::new(Role::Citizen, 20), cmd).await
}

/// A post decided with `first` by one reviewer, appealed by its author, and decided again
/// with `second` by another.
async fn decided_on_appeal(
    svc: &quytac_service::Service,
    author: &Actor,
    post: &str,
    first: Action,
    second: Action,
) {
    let case = svc
        .ingest("t", slur(post), PostSource::Api)
        .await
        .unwrap()
        .case
        .unwrap();
    svc.decide(&Actor::new(Role::Reviewer, 10), case.id, decide(first))
        .await
        .unwrap();
    let reason = AppealDecision {
        reason: "Xin xem lại.".into(),
    };
    svc.appeal(author, case.id, reason).await.unwrap();
    svc.decide(&Actor::new(Role::Reviewer, 11), case.id, decide(second))
        .await
        .unwrap();
}

/// Issue 14: "an overturned decision counted twice". A case removed and then restored on
/// appeal is one outcome (`none`), and the appeal is shown apart as overturned.
#[tokio::test]
async fn an_overturned_decision_counts_once_and_the_appeal_apart() {
    on_each_backend(|store| async move {
        let author = citizen_for(&store, AUTHOR).await;
        let svc = service(store);
        for (post, first, second) in [
            ("p1", Action::Remove, Action::None),
            ("p2", Action::Hide, Action::Hide),
        ] {
            decided_on_appeal(&svc, &author, post, first, second).await;
        }
        let now = quytac_store::now_ms();
        let r = svc.transparency_report(now - DAY, now + DAY).await.unwrap();
        assert_eq!(r.decisions, 2, "two cases, two outcomes: {r:?}");
        assert_eq!(r.decisions_recorded, 4);
        assert_eq!(r.by_rule["CS-5"], 2);
        assert_eq!(r.by_action.get("none"), Some(&1));
        assert_eq!(r.by_action.get("hide"), Some(&1));
        assert_eq!(
            r.by_action.get("remove"),
            None,
            "overturned: not an outcome"
        );
        assert_eq!(r.weeks.iter().map(|w| w.total).sum::<usize>(), 2);
        assert_eq!(
            (r.appeals.decided, r.appeals.upheld, r.appeals.overturned),
            (2, 1, 1)
        );
    })
    .await;
}

/// A complaint (a user's report) runs on a 48-hour clock until the post is decided.
#[tokio::test]
async fn complaints_count_against_their_48_hour_clock() {
    on_each_backend(|store| async move {
        let svc = service(store);
        let case = svc
            .ingest("t", slur("p1"), PostSource::Api)
            .await
            .unwrap()
            .case
            .unwrap();
        svc.ingest("t", slur("p2"), PostSource::Api).await.unwrap();
        for post in ["p1", "p2"] {
            complain(&svc, post, None).await.unwrap();
        }
        svc.decide(
            &Actor::new(Role::Moderator, 30),
            case.id,
            decide(Action::Remove),
        )
        .await
        .unwrap();
        let now = quytac_store::now_ms();
        let r = svc.transparency_report(now - DAY, now + DAY).await.unwrap();
        let c = &r.complaints;
        assert_eq!(
            (
                c.received,
                c.handled_within_48h,
                c.open_running,
                c.well_founded
            ),
            (2, 1, 1, 1),
            "{c:?}"
        );
        let overdue = svc
            .overdue_complaints(now + 49 * 3600 * 1000)
            .await
            .unwrap();
        assert_eq!(
            overdue.complaints.len(),
            1,
            "p2's complaint, seen 49 hours on"
        );
        assert!(svc
            .overdue_complaints(now)
            .await
            .unwrap()
            .complaints
            .is_empty());
    })
    .await;
}

fn service_147(store: Store) -> quytac_service::Service {
    service_with_pack(store, "vn-147-2024")
}

fn post_by(author: &str, id: &str) -> Item {
    Item::from_json(&format!(
        r#"{{"id":"{id}","text":"Hôm nay trời đẹp.","author":{{"id":"{author}","role":"citizen"}}}}"#
    ))
    .unwrap()
}

/// ND-1 and ND-4 under the 2024 pack: a post by an account that is not authenticated, or by
/// a user under 16 without a guardian, is refused naming the rule; the 2018 pack asks nothing.
#[tokio::test]
async fn nd1_and_nd4_refuse_posts_under_the_2024_pack() {
    use quytac_core::workflow::decree147::AuthMethod;
    use quytac_service::identity::accounts::{Authentication, ChangeAccount, GuardianRecord};
    use quytac_service::ErrorKind;
    on_each_backend(|store| async move {
        let old = service(store.clone());
        old.ingest("t", post_by("nobody", "p0"), PostSource::Api)
            .await
            .expect("the 2018 pack does not enforce ND-1");
        let svc = service_147(store);
        let admin = Actor::new(Role::Admin, 1);
        let err = svc
            .ingest("t", post_by("nobody", "p1"), PostSource::Api)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::DecreeRefused);
        assert!(err.message.starts_with("ND-1"), "{}", err.message);

        let shown = plain_account(&svc, "lan").await;
        assert_eq!(shown.account.decree_findings[0].rule, "ND-1");
        let err = svc
            .ingest("t", post_by("lan", "p2"), PostSource::Api)
            .await
            .unwrap_err();
        assert!(err.message.starts_with("ND-1"), "{}", err.message);

        let bad = svc
            .change_account(
                &admin,
                "lan",
                ChangeAccount {
                    authentication: Some(Authentication {
                        method: AuthMethod::Mobile,
                        number: Some("0212 345 678".into()),
                    }),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(bad.kind, ErrorKind::InvalidField, "a landline is no mobile");
        let year = quytac_service::decree147::today_vn().0;
        let changed = svc
            .change_account(
                &admin,
                "lan",
                ChangeAccount {
                    authentication: Some(Authentication {
                        method: AuthMethod::Mobile,
                        number: Some("+84 912.345.678".into()),
                    }),
                    birth_date: Some(Some(format!("{}-01-01", year - 12))),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let account = &changed.account.account;
        assert_eq!(account.auth_method, AuthMethod::Mobile);
        assert_eq!(
            account.auth_ref.as_deref(),
            Some("…678"),
            "only the last digits"
        );
        assert_eq!(changed.account.decree_findings[0].rule, "ND-4");
        let err = svc
            .ingest("t", post_by("lan", "p3"), PostSource::Api)
            .await
            .unwrap_err();
        assert!(err.message.starts_with("ND-4"), "{}", err.message);

        let guarded = svc
            .change_account(
                &admin,
                "lan",
                ChangeAccount {
                    guardian: Some(Some(GuardianRecord {
                        name: "Nguyễn Thị Hoa".into(),
                        relation: "mẹ".into(),
                    })),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(guarded.account.decree_findings.is_empty());
        svc.ingest("t", post_by("lan", "p4"), PostSource::Api)
            .await
            .expect("authenticated, with a guardian");
    })
    .await;
}

/// ND-1 and ND-4 on the batch path (`POST /v1/posts/batch`, the pipeline's worker): under
/// the 2024 pack the posts of an account that is not authenticated, of no account, or of a
/// minor without a guardian are answered refused in their place and not stored; the others
/// are stored. The 2018 pack stores them all.
#[tokio::test]
async fn nd1_and_nd4_refuse_posts_of_a_batch() {
    use quytac_core::workflow::decree147::AuthMethod;
    use quytac_service::identity::accounts::{Authentication, RegisterAccount};
    use quytac_service::posts::{BatchOutcome, BatchPost};
    on_each_backend(|store| async move {
        let svc = service_147(store.clone());
        let admin = Actor::new(Role::Admin, 1);
        let year = quytac_service::decree147::today_vn().0;
        for (handle, number, birth) in [
            ("adult", Some("0912 345 678"), None),
            (
                "child",
                Some("0912 345 679"),
                Some(format!("{}-01-01", year - 12)),
            ),
            ("unauth", None, None),
        ] {
            svc.register_account(
                &admin,
                RegisterAccount {
                    handle: handle.into(),
                    display_name: handle.into(),
                    authentication: number.map(|n| Authentication {
                        method: AuthMethod::Mobile,
                        number: Some(n.into()),
                    }),
                    birth_date: birth,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        let batch = |ids: &[(&str, &str)]| -> Vec<BatchPost> {
            ids.iter()
                .map(|(author, id)| BatchPost {
                    by: "t".into(),
                    item: post_by(author, id),
                    source: PostSource::Import,
                })
                .collect()
        };
        let posts = [
            ("unauth", "b1"),
            ("adult", "b2"),
            ("nobody", "b3"),
            ("child", "b4"),
            ("adult", "b5"),
        ];
        let out = svc.ingest_batch(batch(&posts)).await.unwrap();
        let seen: Vec<(String, Option<String>)> = out
            .iter()
            .map(|o| match o {
                BatchOutcome::Stored(d) => (d.ingested.post.external_id.clone(), None),
                BatchOutcome::Refused(r) => (r.post.clone(), Some(r.finding.rule.clone())),
            })
            .collect();
        let expected: Vec<(String, Option<String>)> = vec![
            ("b1".into(), Some("ND-1".into())),
            ("b2".into(), None),
            ("b3".into(), Some("ND-1".into())),
            ("b4".into(), Some("ND-4".into())),
            ("b5".into(), None),
        ];
        assert_eq!(seen, expected);
        for refused in ["b1", "b3", "b4"] {
            assert!(svc.post(refused).await.is_err(), "{refused} was stored");
        }
        svc.post("b2").await.expect("an authenticated adult's post");
        let all_refused = svc.ingest_batch(batch(&[("nobody", "b6")])).await.unwrap();
        assert!(matches!(all_refused[..], [BatchOutcome::Refused(_)]));

        let old = service(store);
        let out = old.ingest_batch(batch(&posts)).await.unwrap();
        assert!(
            out.iter().all(|o| matches!(o, BatchOutcome::Stored(_))),
            "the 2018 pack does not enforce ND-1"
        );
    })
    .await;
}

/// The provider's report for a month: regular users (authors active in the month), visits
/// (page views per Vietnam day), removals with ND-2's timeliness, complaints with their 48-hour clock.
#[tokio::test]
async fn the_provider_reports_a_month() {
    on_each_backend(|store| async move {
        let svc = service(store);
        let case = svc
            .ingest("t", slur("p1"), PostSource::Api)
            .await
            .unwrap()
            .case
            .unwrap();
        svc.ingest("t", post_by("other", "p2"), PostSource::Api)
            .await
            .unwrap();
        complain(&svc, "p1", None).await.unwrap();
        svc.decide(
            &Actor::new(Role::Moderator, 30),
            case.id,
            decide(Action::Remove),
        )
        .await
        .unwrap();
        let month = quytac_service::vn_time::vn_month(quytac_store::now_ms());
        let r = svc.provider_report(&month).await.unwrap();
        assert_eq!(r.regular_users, 2);
        assert!(r.visits.recorded);
        assert_eq!(r.visits.value, Some(0), "no visit counted yet");
        assert_eq!(r.removals.content_removed, 1);
        assert_eq!(r.complaints.handled_within_48h, 1);
        assert_eq!(r.decisions, 1);
        let csv = r.csv();
        assert!(csv.starts_with("\u{feff}figure,value\r\n"));
        assert!(csv.contains("\r\nregular_users,2\r\n"), "{csv}");
        assert!(csv.contains("\r\nvisits,0\r\n"));
        // Page views are counted in memory; the report flushes them first.
        for _ in 0..3 {
            svc.count_visit();
        }
        svc.flush_visits().await.unwrap();
        svc.count_visit();
        let r = svc.provider_report(&month).await.unwrap();
        assert_eq!(r.visits.value, Some(4));
        let empty = svc.provider_report("2019-01").await.unwrap();
        assert_eq!((empty.regular_users, empty.decisions), (0, 0));
        assert!(svc.provider_report("2019-13").await.is_err());
    })
    .await;
}

/// ND-1 on comments under the 2024 pack: a citizen comments on a consultation through the
/// authenticated account their token speaks for.
#[tokio::test]
async fn nd1_refuses_a_comment_without_an_authenticated_account() {
    use quytac_core::workflow::decree147::AuthMethod;
    use quytac_service::consultations::{CommentOn, OpenConsultation, TimeField};
    use quytac_service::identity::accounts::{Authentication, RegisterAccount};
    use quytac_service::ErrorKind;
    on_each_backend(|store| async move {
        add_agency(&store, new_agency("so")).await;
        let token = store
            .create_token(Role::Citizen, "c", "unused-hash", None, "test")
            .await
            .unwrap();
        let citizen = Actor::new(Role::Citizen, token);
        let svc = service_147(store.clone());
        let officer = Actor {
            agency: Some("so".into()),
            ..Actor::new(Role::AgencyOfficer, 7)
        };
        let c = svc
            .open_consultation(
                &officer,
                "so",
                OpenConsultation {
                    title: "Dự thảo".into(),
                    summary: "Tóm tắt".into(),
                    closes_at: TimeField::Ms(quytac_store::now_ms() + DAY),
                    opens_at: None,
                    draft_text: None,
                    document_number: None,
                },
            )
            .await
            .unwrap()
            .consultation;
        let say = || CommentOn {
            text: "Tôi đồng tình với dự thảo.".into(),
            stance: None,
        };
        let err = svc.comment_on(&citizen, c.id, say()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::DecreeRefused);
        assert!(err.message.starts_with("ND-1"), "{}", err.message);
        svc.register_account(
            &Actor::new(Role::Admin, 1),
            RegisterAccount {
                handle: "hoa".into(),
                display_name: "Hoa".into(),
                authentication: Some(Authentication {
                    method: AuthMethod::PersonalId,
                    number: Some("079203001234".into()),
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        store
            .bind_token_account(token, "hoa", "test")
            .await
            .unwrap();
        svc.comment_on(&citizen, c.id, say())
            .await
            .expect("an authenticated account comments");
    })
    .await;
}

/// Decree 147's 48-hour clock for complaints to page owners: a complaint goes to the page the
/// post appeared on (written there, or a comment on its post); the agency's officers and the
/// account's owner see theirs and answer them once; the overdue list and the provider's
/// report give them apart from the provider's complaints, whose figures stay as they were.
#[tokio::test]
async fn complaints_to_page_owners_run_their_own_48_hour_clock() {
    use quytac_core::workflow::decree147::ComplaintClock;
    use quytac_service::complaints::AnswerComplaint;
    use quytac_service::ErrorKind;
    use quytac_store::model::NewAgency;
    on_each_backend(|store| async move {
        let page = NewAgency {
            page_handle: Some("so.page".into()),
            ..new_agency("so")
        };
        add_agency(&store, page).await;
        add_agency(&store, new_agency("khac")).await;
        let svc = service(store.clone());
        plain_account(&svc, "lan").await;
        let item = |json: &str| Item::from_json(json).unwrap();
        for post in [
            r#"{"id":"p1","text":"Thông báo lịch tiếp dân.","author":{"id":"so.page","role":"agency"}}"#,
            r#"{"id":"p2","text":"Đồ ngu, cút đi.","author":{"id":"alice"},"engages":{"kind":"comment","target_id":"p1"}}"#,
            r#"{"id":"p3","text":"Đồ ngu, cút đi.","author":{"id":"bob"}}"#,
            r#"{"id":"p4","text":"Đồ ngu, cút đi.","author":{"id":"lan"}}"#,
        ] {
            svc.ingest("t", item(post), PostSource::Api).await.unwrap();
        }
        let agency = || Some(Addressee::agency("so"));
        let on_page = complain(&svc, "p1", agency()).await.unwrap().report;
        assert_eq!(on_page.addressee, agency());
        let comment = complain(&svc, "p2", agency()).await.unwrap().report;
        let to_lan = complain(&svc, "p4", Some(Addressee::account("lan")))
            .await
            .unwrap()
            .report;
        let to_provider = complain(&svc, "p3", None).await.unwrap().report;
        for (post, to) in [
            ("p3", Addressee::agency("so")),
            ("p1", Addressee::agency("khac")),
            ("p1", Addressee::agency("nowhere")),
            ("p1", Addressee::account("nobody")),
            ("p3", Addressee::account("lan")),
        ] {
            let err = complain(&svc, post, Some(to.clone())).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidField, "{post} to {to:?}");
        }

        // The agency's officers see the complaints to its page, unanswered oldest first.
        let own = common::officer("so", 7);
        let listed = svc.page_complaints(&own, None).await.unwrap();
        let ids: Vec<i64> = listed
            .complaints
            .iter()
            .map(|c| c.complaint.report.id)
            .collect();
        assert_eq!(ids, vec![on_page.id, comment.id]);
        assert_eq!((listed.running, listed.overdue), (2, 0));
        assert_eq!(listed.complaints[1].post, "p2");
        let other = common::officer("khac", 8);
        let err = svc
            .page_complaints(&other, Some(Addressee::agency("so")))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        let staff = Actor::new(Role::Moderator, 30);
        svc.page_complaints(&staff, Some(Addressee::agency("so")))
            .await
            .expect("staff see every page's complaints");

        // Only the owner answers, once, with a reason.
        let answer = |a: ComplaintAnswer| AnswerComplaint {
            answer: a,
            reason: "Đã ẩn bình luận vi phạm.".into(),
        };
        for (who, kind) in [
            (&staff, ErrorKind::Forbidden),
            (&other, ErrorKind::NotFound),
        ] {
            let err = svc
                .answer_complaint(who, on_page.id, answer(ComplaintAnswer::Upheld))
                .await
                .unwrap_err();
            assert_eq!(err.kind, kind);
        }
        let err = svc
            .answer_complaint(&own, to_provider.id, answer(ComplaintAnswer::Upheld))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound, "not the officer's complaint");
        let err = svc
            .answer_complaint(
                &own,
                on_page.id,
                AnswerComplaint {
                    answer: ComplaintAnswer::Upheld,
                    reason: "  ".into(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidField, "a reason is required");
        let answered = svc
            .answer_complaint(&own, on_page.id, answer(ComplaintAnswer::Upheld))
            .await
            .unwrap();
        assert_eq!(answered.clock, ComplaintClock::OnTime);
        assert_eq!(answered.report.answer, Some(ComplaintAnswer::Upheld));
        assert_eq!(answered.report.answered_by.as_deref(), Some("agency_officer:7"));
        let err = svc
            .answer_complaint(&own, on_page.id, answer(ComplaintAnswer::Rejected))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);

        // The account's owner: the citizen whose token speaks for it.
        let lan = citizen_for(&store, "lan").await;
        let mine = svc.page_complaints(&lan, None).await.unwrap();
        assert_eq!(mine.complaints.len(), 1);
        svc.report_for(&lan, to_lan.id)
            .await
            .expect("the owner reads a complaint addressed to them");
        svc.answer_complaint(&lan, to_lan.id, answer(ComplaintAnswer::Rejected))
            .await
            .unwrap();
        let stranger = citizen_for(&store, "bob").await;
        assert!(svc.page_complaints(&stranger, Some(Addressee::account("lan"))).await.is_err());

        // Overdue 49 hours on: the provider's complaint, and apart the owner's one left.
        let now = quytac_store::now_ms();
        let overdue = svc.overdue_complaints(now + 49 * 3600 * 1000).await.unwrap();
        let ids = |v: &[quytac_service::decree147::ComplaintView]| -> Vec<i64> {
            v.iter().map(|c| c.report.id).collect()
        };
        assert_eq!(ids(&overdue.complaints), vec![to_provider.id]);
        assert_eq!(ids(&overdue.to_page_owners), vec![comment.id]);

        // The month's report: the provider's complaints as before, the owners' apart.
        let month = quytac_service::vn_time::vn_month(now);
        let r = svc.provider_report(&month).await.unwrap();
        assert_eq!((r.complaints.received, r.complaints.open_running), (1, 1));
        let o = &r.complaints_to_page_owners;
        assert_eq!(
            (o.received, o.handled_within_48h, o.open_running, o.well_founded),
            (3, 2, 1, 1),
            "{o:?}"
        );
        assert!(!r.truncated);
        let csv = r.csv();
        assert!(csv.contains("\r\ncomplaints_received,1\r\n"), "{csv}");
        assert!(csv.contains("\r\npage_owner_complaints_received,3\r\n"));
        assert!(csv.contains("\r\npage_owner_complaints_well_founded,1\r\n"));

        // A decision on the post tells the reporter, but handles no complaint to its owner.
        let on_comment = Decide {
            rule: "US-1".into(),
            ..decide(Action::Hide)
        };
        svc.decide(&staff, comment.case_id, on_comment).await.unwrap();
        let after = svc.overdue_complaints(now + 49 * 3600 * 1000).await.unwrap();
        assert_eq!(ids(&after.to_page_owners), vec![comment.id]);

        // The answers are bound by the audit log like every other column of a report.
        let v = svc.verify_audit().await.unwrap();
        assert!(v.ok, "{:?}", v.first_broken);
        sqlx::query("UPDATE reports SET answer_reason = 'sửa lén' WHERE id = $1")
            .bind(on_page.id)
            .execute(store.pool())
            .await
            .unwrap();
        assert!(!svc.verify_audit().await.unwrap().ok, "a changed answer is found");
    })
    .await;
}
