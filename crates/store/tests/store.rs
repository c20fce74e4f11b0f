//! The store's behaviour, run against SQLite always and against PostgreSQL when
//! `QUYTAC_TEST_POSTGRES_URL` is set (each test in a database of its own, dropped after).
//! The moderation workflow built on these rows is tested through `quytac-service`.

use quytac_core::finding::{Label, Verdict};
use quytac_core::workflow::agency::ChallengeMethod;
use quytac_core::workflow::{CaseSource, CaseStatus, Role};
use quytac_store::audit::AuditEvent;
use quytac_store::model::*;
use quytac_store::testing::on_each_backend;
use quytac_store::{ErrorKind, Store};

fn post(id: &str, verdict: &str, author: &str) -> NewPost {
    NewPost {
        external_id: id.into(),
        author_id: Some(author.into()),
        text: format!("text of {id}"),
        item_json: format!("{{\"id\":\"{id}\",\"type\":\"post\",\"text\":\"x\"}}"),
        result_json: format!("{{\"id\":\"{id}\",\"verdict\":\"{verdict}\",\"findings\":[]}}"),
        verdict: verdict.parse().unwrap(),
        label: Some(Label::Clean),
        source: "api".into(),
    }
}

/// Stores a post and, when `needs_case`, opens its case, as the service's ingest does.
async fn ingest(s: &Store, p: &NewPost, needs_case: bool) -> (Post, Option<Case>, Vec<AuditEvent>) {
    let mut tx = s.write().await.unwrap();
    let post = tx.upsert_post(p, "t").await.unwrap();
    let case = if needs_case {
        Some(
            tx.join_or_open_case(post.id, CaseSource::Automated, p.verdict, "t")
                .await
                .unwrap(),
        )
    } else {
        None
    };
    let events = tx.commit().await.unwrap();
    (post, case, events)
}

#[tokio::test]
async fn ingest_stores_posts_opens_cases_and_updates_in_place() {
    on_each_backend(|s| async move {
        let (stored, case, events) = ingest(&s, &post("p1", "violation", "u1"), true).await;
        let case = case.expect("a case");
        assert_eq!(case.status, CaseStatus::Open);
        assert_eq!(stored.verdict, Verdict::Violation);
        assert_eq!(stored.result["verdict"], "violation");
        assert_eq!(events.len(), 2, "post.ingested + case.opened");
        let (_, clean_case, _) = ingest(&s, &post("p2", "pass", "u2"), false).await;
        assert!(clean_case.is_none());
        // The same post again (an edit) updates the row and joins the open case.
        let (again, again_case, _) = ingest(&s, &post("p1", "violation", "u1"), true).await;
        assert_eq!(again.id, stored.id);
        assert_eq!(again_case.unwrap().id, case.id);
        assert_eq!(s.count_posts().await.unwrap(), 2);
        assert_eq!(
            s.list_cases(Some(CaseStatus::Open), 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(s
            .post_item_json("p1")
            .await
            .unwrap()
            .unwrap()
            .contains("\"p1\""));
    })
    .await;
}

/// A stored word the workflow does not know is an error of the store, never a panic or a
/// silently wrong value.
#[tokio::test]
async fn an_unknown_stored_status_is_refused_as_unreadable() {
    on_each_backend(|s| async move {
        let (_, case, _) = ingest(&s, &post("p1", "violation", "u1"), true).await;
        let case = case.unwrap();
        sqlx::query("UPDATE cases SET status = 'closed' WHERE id = $1")
            .bind(case.id)
            .execute(s.pool())
            .await
            .unwrap();
        let err = s.case(case.id).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Internal);
        assert!(err.message.contains("status"), "{}", err.message);
    })
    .await;
}

#[tokio::test]
async fn the_audit_chain_verifies_and_an_edited_row_is_named() {
    on_each_backend(|s| async move {
        for i in 0..4 {
            ingest(&s, &post(&format!("p{i}"), "violation", "u"), true).await;
        }
        let report = s.verify_chain().await.unwrap();
        assert!(report.ok);
        assert_eq!(report.events, 8);
        let head = s.audit_head().await.unwrap().unwrap();
        assert_eq!(head.seq, 8);
        assert_eq!(report.chains.len(), 1, "one chain: the workflow's");
        assert_eq!(
            (report.chains[0].pos, report.chains[0].hash.as_str()),
            (8, head.hash.as_str())
        );
        let page = s.audit_events(6, 10).await.unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![7, 8]);

        sqlx::query("UPDATE audit_events SET payload = '{\"verdict\":\"pass\"}' WHERE seq = 5")
            .execute(s.pool())
            .await
            .unwrap();
        let report = s.verify_chain().await.unwrap();
        assert!(!report.ok);
        let broken = report.first_broken.unwrap();
        assert_eq!((broken.seq, broken.reason.as_str()), (5, "hash_mismatch"));

        sqlx::query("DELETE FROM audit_events WHERE seq = 3")
            .execute(s.pool())
            .await
            .unwrap();
        let broken = s.verify_chain().await.unwrap().first_broken.unwrap();
        assert_eq!((broken.pos, broken.reason.as_str()), (3, "missing_event"));
    })
    .await;
}

#[tokio::test]
async fn checkpoints_and_tokens_round_trip() {
    on_each_backend(|s| async move {
        let id = s
            .create_token(Role::Moderator, "ci", "argon2-hash", None, "cli")
            .await
            .unwrap();
        let t = s.token(id).await.unwrap().unwrap();
        assert_eq!(
            (t.role, t.hash.as_str(), t.revoked, t.agency_id),
            (Role::Moderator, "argon2-hash", false, None)
        );
        assert!(s.token(id + 100).await.unwrap().is_none());
        let c = Checkpoint {
            seq: 1,
            hash: "h".into(),
            signature: "s".into(),
            public_key: "k".into(),
            at: 5,
        };
        s.insert_checkpoint(&c).await.unwrap();
        s.insert_checkpoint(&c).await.unwrap();
        assert_eq!(s.checkpoints().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_keep_every_row_and_one_chain() {
    on_each_backend(|s| async move {
        let mut tasks = Vec::new();
        for i in 0..100 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                ingest(&s, &post(&format!("c{i}"), "review", "u"), i % 2 == 0).await
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(s.count_posts().await.unwrap(), 100);
        let report = s.verify_chain().await.unwrap();
        assert!(report.ok);
        assert_eq!(report.events, 150);
    })
    .await;
}

#[tokio::test]
async fn urls_are_normalised_and_unknown_schemes_refused() {
    let (url, _) = quytac_store::normalize_url("quytac.db").unwrap();
    assert_eq!(url, "sqlite://quytac.db?mode=rwc");
    let (url, _) = quytac_store::normalize_url("sqlite://a.db?mode=ro").unwrap();
    assert_eq!(url, "sqlite://a.db?mode=ro");
    assert_eq!(
        quytac_store::normalize_url("mysql://x").unwrap_err().kind,
        ErrorKind::Config
    );
    assert!(Store::connect("mysql://x").await.is_err());
}

// ---- citizens' inquiries (AG-7, AG-5) --------------------------------------------------------

mod inquiries {
    use super::on_each_backend;
    use quytac_store::inquiries::*;
    use quytac_store::model::NewAgency;
    use quytac_store::ErrorKind;

    const H: i64 = 3_600_000;
    const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00Z

    fn agency(id: &str, parent: Option<&str>) -> NewAgency {
        NewAgency {
            id: id.into(),
            name: format!("Cơ quan {id}"),
            parent_id: parent.map(str::to_string),
            official_domain: None,
            page_handle: None,
            portal_feed_url: None,
            response_working_days: 5,
            responsible: Default::default(),
            competent_authority: false,
        }
    }

    fn inquiry(agency: &str, created_at: i64, due_at: i64, month: &str) -> NewInquiry {
        NewInquiry {
            agency_id: agency.into(),
            citizen: "citizen:9".into(),
            kind: InquiryKind::Question,
            text: "Số của tôi là 0912 345 678".into(),
            masked_text: "Số của tôi là •••• ••• 678".into(),
            check_json: r#"{"verdict":"review","findings":[]}"#.into(),
            created_at,
            month: month.into(),
            working_days: 5,
            due_at,
        }
    }

    fn reply(author: &str, at: i64) -> NewReply {
        NewReply {
            author: author.into(),
            text: "Trả lời, gọi 0912 345 678".into(),
            masked_text: "Trả lời, gọi •••• ••• 678".into(),
            check_json: r#"{"verdict":"pass","findings":[]}"#.into(),
            at,
        }
    }

    fn overdue() -> NewInquiryFinding {
        NewInquiryFinding {
            rule_id: "AG-7".into(),
            category: quytac_core::finding::Category::ResponseOverdue,
            severity: quytac_core::finding::Severity::Violation,
            evidence: "quá hạn".into(),
            message_vi: "Phải phản hồi nhanh chóng.".into(),
            message_en: "Answer promptly.".into(),
        }
    }

    #[tokio::test]
    async fn inquiries_are_answered_reopened_closed_escalated_and_audited() {
        on_each_backend(|s| async move {
            s.create_agency(&agency("ubnd", None), "t").await.unwrap();
            s.create_agency(&agency("so", Some("ubnd")), "t")
                .await
                .unwrap();
            let err = s
                .create_inquiry(&inquiry("nope", T0, T0 + 240 * H, "2026-01"))
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::NotFound);

            let (q1, ev) = s
                .create_inquiry(&inquiry("so", T0, T0 + 240 * H, "2026-01"))
                .await
                .unwrap();
            assert_eq!(ev[0].action, "inquiry.created");
            assert!(
                !ev[0].payload.to_string().contains("0912"),
                "audit keeps no raw text"
            );
            assert_eq!(
                (q1.status.as_str(), q1.reply_due_at),
                ("open", Some(q1.due_at))
            );

            let (q, _) = s
                .assign_inquiry(q1.id, "agency_officer:3", "admin:1")
                .await
                .unwrap();
            assert_eq!(q.assigned_to.as_deref(), Some("agency_officer:3"));

            let late = reply("agency_officer:3", T0 - 1);
            assert_eq!(
                s.answer_inquiry(q1.id, &late, 0).await.unwrap_err().kind,
                ErrorKind::Conflict
            );
            let (q, r, ev) = s
                .answer_inquiry(q1.id, &reply("agency_officer:3", T0 + 24 * H), 1)
                .await
                .unwrap();
            assert_eq!(q.status, InquiryStatus::Answered);
            assert_eq!(q.first_answered_at, Some(T0 + 24 * H));
            assert_eq!(
                (q.answer_ms, q.answer_working_days),
                (Some(24 * H), Some(1))
            );
            assert_eq!(q.reply_due_at, None);
            assert_eq!(
                (r.kind.as_str(), r.masked_text.contains('•')),
                ("answer", true)
            );
            assert_eq!(ev[0].payload["on_time"], true);
            // A second answer keeps the first answer's time.
            let (q, _, _) = s
                .answer_inquiry(q1.id, &reply("agency_officer:3", T0 + 48 * H), 2)
                .await
                .unwrap();
            assert_eq!(q.first_answered_at, Some(T0 + 24 * H));

            let (q, _) = s
                .reopen_inquiry(q1.id, &reply("citizen:9", T0 + 50 * H), T0 + 400 * H)
                .await
                .unwrap();
            assert_eq!(
                (q.status.as_str(), q.reply_due_at),
                ("reopened", Some(T0 + 400 * H))
            );
            assert_eq!(
                s.reopen_inquiry(q1.id, &reply("citizen:9", T0 + 51 * H), T0 + 400 * H)
                    .await
                    .unwrap_err()
                    .kind,
                ErrorKind::Conflict
            );
            let (q, _) = s.close_inquiry(q1.id, "citizen:9").await.unwrap();
            assert_eq!((q.status.as_str(), q.reply_due_at), ("closed", None));
            assert_eq!(
                s.close_inquiry(q1.id, "citizen:9").await.unwrap_err().kind,
                ErrorKind::Conflict
            );
            assert_eq!(
                s.answer_inquiry(q1.id, &reply("agency_officer:3", T0 + 60 * H), 3)
                    .await
                    .unwrap_err()
                    .kind,
                ErrorKind::Conflict
            );

            // An unanswered inquiry past its deadline escalates once.
            let (q2, _) = s
                .create_inquiry(&inquiry("so", T0, T0 + 10 * H, "2026-01"))
                .await
                .unwrap();
            let now = T0 + 20 * H;
            let over = s.overdue_unescalated_inquiries(now, 10).await.unwrap();
            assert_eq!(over.iter().map(|q| q.id).collect::<Vec<_>>(), vec![q2.id]);
            let (q, ev) = s
                .escalate_inquiry(q2.id, Some("ubnd"), &overdue(), now, "system:escalation")
                .await
                .unwrap()
                .expect("escalated");
            assert_eq!(
                (q.escalated_at, q.escalated_to.as_deref()),
                (Some(now), Some("ubnd"))
            );
            assert_eq!(ev[0].action, "inquiry.escalated");
            assert!(s
                .escalate_inquiry(q2.id, Some("ubnd"), &overdue(), now, "t")
                .await
                .unwrap()
                .is_none());
            assert!(s
                .overdue_unescalated_inquiries(now, 10)
                .await
                .unwrap()
                .is_empty());
            let d = s.inquiry_detail(q2.id).await.unwrap().unwrap();
            assert_eq!(d.findings.len(), 1);
            assert_eq!(d.findings[0].category.as_str(), "response_overdue");
            let d = s.inquiry_detail(q1.id).await.unwrap().unwrap();
            assert_eq!(
                d.replies
                    .iter()
                    .map(|r| r.kind.as_str())
                    .collect::<Vec<_>>(),
                vec!["answer", "answer", "reopen"]
            );

            let listed = s.list_inquiries("so", Some(now), 10).await.unwrap();
            assert_eq!(listed.iter().map(|q| q.id).collect::<Vec<_>>(), vec![q2.id]);
            let listed = s.list_inquiries("so", None, 10).await.unwrap();
            assert_eq!(
                listed.iter().map(|q| q.id).collect::<Vec<_>>(),
                vec![q2.id, q1.id]
            );

            let ev = s
                .record_inquiry_unmasked_view(q1.id, "admin:1", "admin")
                .await
                .unwrap();
            assert_eq!(ev[0].action, "inquiry.unmasked_viewed");
            assert_eq!(ev[0].subject, format!("inquiry:{}", q1.id));
            let report = s.verify_chain().await.unwrap();
            assert!(report.ok);
        })
        .await;
    }

    #[tokio::test]
    async fn responsiveness_counts_and_exact_percentiles() {
        on_each_backend(|s| async move {
            s.create_agency(&agency("a", None), "t").await.unwrap();
            s.create_agency(&agency("b", None), "t").await.unwrap();
            s.create_agency(&agency("c", None), "t").await.unwrap();
            // January: answers after 1..=10 hours, due after 5 hours.
            for h in 1..=10 {
                let at = T0 + h * 1000;
                let (q, _) = s
                    .create_inquiry(&inquiry("a", at, at + 5 * H, "2026-01"))
                    .await
                    .unwrap();
                s.answer_inquiry(q.id, &reply("agency_officer:1", at + h * H), h)
                    .await
                    .unwrap();
            }
            // February: one answered on time after 20 hours, one past due without an answer,
            // one not due yet.
            let feb = T0 + 31 * 24 * H;
            let now = feb + 30 * H;
            let (q, _) = s
                .create_inquiry(&inquiry("a", feb, feb + 24 * H, "2026-02"))
                .await
                .unwrap();
            s.answer_inquiry(q.id, &reply("agency_officer:1", feb + 20 * H), 1)
                .await
                .unwrap();
            s.create_inquiry(&inquiry("a", feb, feb + 24 * H, "2026-02"))
                .await
                .unwrap();
            s.create_inquiry(&inquiry("a", feb, feb + 48 * H, "2026-02"))
                .await
                .unwrap();
            s.create_inquiry(&inquiry("b", feb, feb + 48 * H, "2026-02"))
                .await
                .unwrap();

            let r = s.responsiveness("a", now).await.unwrap();
            assert_eq!(
                r.months.iter().map(|m| m.key.as_str()).collect::<Vec<_>>(),
                vec!["2026-01", "2026-02"]
            );
            let jan = &r.months[0];
            assert_eq!(
                (
                    jan.count,
                    jan.answered,
                    jan.on_time,
                    jan.late,
                    jan.open,
                    jan.overdue
                ),
                (10, 10, 5, 5, 0, 0)
            );
            // Sorted 1..10 h: median (5 + 6) / 2; p90 at rank 8.1 → 9 h + 0.1 h.
            assert_eq!(jan.answer_ms.median, Some(5.5 * H as f64));
            assert!((jan.answer_ms.p90.unwrap() - 9.1 * H as f64).abs() < 1e-6);
            assert_eq!(jan.answer_working_days.median, Some(5.5));
            let feb_s = &r.months[1];
            assert_eq!(
                (
                    feb_s.count,
                    feb_s.answered,
                    feb_s.on_time,
                    feb_s.late,
                    feb_s.open,
                    feb_s.overdue
                ),
                (3, 1, 1, 1, 2, 1)
            );
            assert_eq!(feb_s.answer_ms.median, Some(20.0 * H as f64));
            assert_eq!(feb_s.answer_ms.p90, Some(20.0 * H as f64));
            let t = &r.total;
            assert_eq!(t.key, "all");
            assert_eq!(
                (t.count, t.answered, t.on_time, t.late, t.open, t.overdue),
                (13, 11, 6, 6, 2, 1)
            );
            // 1..10 and 20 h: median the 6th (6 h), p90 at rank 9 (10 h).
            assert_eq!(t.answer_ms.median, Some(6.0 * H as f64));
            assert_eq!(t.answer_ms.p90, Some(10.0 * H as f64));

            let empty = s.responsiveness("c", now).await.unwrap();
            assert!(empty.months.is_empty());
            assert_eq!((empty.total.count, empty.total.answer_ms.median), (0, None));

            let all = s.responsiveness_by_agency(now).await.unwrap();
            assert_eq!(
                all.iter()
                    .map(|x| (x.key.as_str(), x.count))
                    .collect::<Vec<_>>(),
                vec![("a", 13), ("b", 1)]
            );
            assert_eq!(all[0].answer_ms.median, Some(6.0 * H as f64));
        })
        .await;
    }

    /// The percentile of sorted `v` at `q` with linear interpolation between closest ranks.
    fn naive(v: &[f64], q: f64) -> f64 {
        let pos = (v.len() - 1) as f64 * q;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    }

    #[tokio::test]
    async fn percentiles_match_a_full_sort_across_histogram_buckets() {
        on_each_backend(|s| async move {
            s.create_agency(&agency("a", None), "t").await.unwrap();
            let mut seed: u64 = 7;
            let mut next = move |n: i64| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((seed >> 33) % n as u64) as i64
            };
            let months = ["2026-01", "2026-02", "2026-03"];
            let mut by_month: Vec<Vec<f64>> = vec![Vec::new(); 3];
            let mut days_all = Vec::new();
            for i in 0..157 {
                let m = next(3) as usize;
                let at = T0 + m as i64 * 31 * 24 * H + i;
                let (q, _) = s
                    .create_inquiry(&inquiry("a", at, at + 5 * 24 * H, months[m]))
                    .await
                    .unwrap();
                // From a minute to 30 days, often several in one day bucket.
                let delay = 60_000 + next(30 * 24 * H);
                let wd = delay / (24 * H);
                s.answer_inquiry(q.id, &reply("agency_officer:1", at + delay), wd)
                    .await
                    .unwrap();
                by_month[m].push(delay as f64);
                days_all.push(wd as f64);
            }
            let r = s.responsiveness("a", T0 + 400 * 24 * H).await.unwrap();
            let mut all: Vec<f64> = by_month.concat();
            all.sort_by(f64::total_cmp);
            days_all.sort_by(f64::total_cmp);
            let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-6;
            assert!(close(r.total.answer_ms.median, naive(&all, 0.5)));
            assert!(close(r.total.answer_ms.p90, naive(&all, 0.9)));
            assert!(close(
                r.total.answer_working_days.median,
                naive(&days_all, 0.5)
            ));
            assert!(close(
                r.total.answer_working_days.p90,
                naive(&days_all, 0.9)
            ));
            for (m, stats) in r.months.iter().enumerate() {
                let mut v = by_month[m].clone();
                v.sort_by(f64::total_cmp);
                assert_eq!(stats.key, months[m]);
                assert_eq!(stats.answered, v.len() as i64);
                assert!(
                    close(stats.answer_ms.median, naive(&v, 0.5)),
                    "{}",
                    stats.key
                );
                assert!(close(stats.answer_ms.p90, naive(&v, 0.9)), "{}", stats.key);
            }
            // The counts and histograms kept by the writes are those of the rows.
            s.rebuild_inquiry_rollups("t").await.unwrap();
            let again = s.responsiveness("a", T0 + 400 * 24 * H).await.unwrap();
            assert_eq!(again, r);
        })
        .await;
    }
}

mod consultations {
    use super::on_each_backend;
    use quytac_store::consultations::*;
    use quytac_store::model::NewAgency;
    use quytac_store::ErrorKind;

    const H: i64 = 3_600_000;
    const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00Z

    fn agency(id: &str) -> NewAgency {
        NewAgency {
            id: id.into(),
            name: format!("Cơ quan {id}"),
            parent_id: None,
            official_domain: None,
            page_handle: Some(format!("page-{id}")),
            portal_feed_url: None,
            response_working_days: 5,
            responsible: Default::default(),
            competent_authority: false,
        }
    }

    fn comment(consultation_id: i64, stance: &str, published: bool) -> NewConsultationComment {
        NewConsultationComment {
            consultation_id,
            author: "citizen:7".into(),
            text: "Tôi đồng tình, gọi 0912 345 678".into(),
            masked_text: "Tôi đồng tình, gọi •••• ••• 678".into(),
            stance: stance.parse().unwrap(),
            stance_source: quytac_store::consultations::StanceSource::Classifier,
            verdict: quytac_core::finding::Verdict::Review,
            check_json: r#"{"verdict":"review","findings":[]}"#.into(),
            published,
        }
    }

    fn article(guid: &str, title: &str) -> NewPortalArticle {
        NewPortalArticle {
            guid: guid.into(),
            url: guid.into(),
            title: title.into(),
            text: format!("{title}: 1,5 tỷ đồng"),
            published_at: Some(T0),
        }
    }

    #[tokio::test]
    async fn consultations_take_comments_only_while_open_and_audit_masked_text() {
        on_each_backend(|s| async move {
            s.create_agency(&agency("so"), "t").await.unwrap();
            let new = NewConsultation {
                agency_id: "so".into(),
                title: "Dự thảo quy định phí trông giữ xe".into(),
                summary: "Lấy ý kiến người dân".into(),
                draft_text: None,
                document_number: Some("12/2026/QĐ-UBND".into()),
                opens_at: T0,
                closes_at: T0 + 240 * H,
            };
            let err = s
                .create_consultation(
                    &NewConsultation {
                        agency_id: "nope".into(),
                        ..new.clone()
                    },
                    "agency_officer:1",
                )
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::NotFound);
            let err = s
                .create_consultation(
                    &NewConsultation {
                        closes_at: T0,
                        ..new.clone()
                    },
                    "agency_officer:1",
                )
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::Conflict);
            let (c, ev) = s
                .create_consultation(&new, "agency_officer:1")
                .await
                .unwrap();
            assert_eq!(ev[0].action, "consultation.opened");
            assert_eq!(c.status.as_str(), "open");
            assert_eq!(
                s.consultation(c.id).await.unwrap().unwrap().title,
                new.title
            );

            let (k, ev) = s
                .add_consultation_comment(&comment(c.id, "support", true), T0 + H)
                .await
                .unwrap();
            assert_eq!(k.created_at, T0 + H);
            assert!(k.published);
            assert_eq!(k.check["verdict"], "review");
            assert_eq!(ev[0].action, "consultation.commented");
            assert!(
                !ev[0].payload.to_string().contains("0912"),
                "no raw text in the log"
            );
            s.add_consultation_comment(&comment(c.id, "oppose", false), T0 + 2 * H)
                .await
                .unwrap();
            // Before it opens and after it closes: refused.
            for at in [T0 - 1, T0 + 240 * H, T0 + 300 * H] {
                let err = s
                    .add_consultation_comment(&comment(c.id, "support", true), at)
                    .await
                    .unwrap_err();
                assert_eq!(err.kind, ErrorKind::Conflict, "at {at}");
            }
            let err = s
                .add_consultation_comment(&comment(999, "support", true), T0 + H)
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::NotFound);
            assert_eq!(s.consultation_comments(c.id, false).await.unwrap().len(), 2);
            let public = s.consultation_comments(c.id, true).await.unwrap();
            assert_eq!(public.len(), 1);
            assert_eq!(public[0].stance.as_str(), "support");
            assert_eq!(s.list_consultations(Some("so"), 10).await.unwrap().len(), 1);
            assert_eq!(s.list_consultations(Some("x"), 10).await.unwrap().len(), 0);
            assert!(s.verify_chain().await.unwrap().ok);
        })
        .await;
    }

    #[tokio::test]
    async fn portal_feeds_keep_validators_and_upsert_articles() {
        on_each_backend(|s| async move {
            s.create_agency(&agency("so"), "t").await.unwrap();
            assert!(s.portal_feed("so").await.unwrap().is_none());
            let err = s
                .set_portal_feed_url("nope", "https://x.gov.vn/rss", "t")
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::NotFound);
            let (f, ev) = s
                .set_portal_feed_url("so", "https://so.gov.vn/rss", "agency_officer:1")
                .await
                .unwrap();
            assert_eq!(ev[0].action, "portal.feed_set");
            assert_eq!(f.url.as_deref(), Some("https://so.gov.vn/rss"));
            assert_eq!(
                s.agency("so")
                    .await
                    .unwrap()
                    .unwrap()
                    .portal_feed_url
                    .as_deref(),
                Some("https://so.gov.vn/rss")
            );
            let fetch = PortalFetch {
                agency_id: "so".into(),
                source: "url".into(),
                url: Some("https://so.gov.vn/rss".into()),
                etag: Some("\"v1\"".into()),
                last_modified: Some("Wed, 01 Jan 2026 00:00:00 GMT".into()),
                articles: vec![
                    article("https://so.gov.vn/a", "Bão số 3"),
                    article("https://so.gov.vn/b", "Hội chợ"),
                    article("https://so.gov.vn/a", "Bão số 3 (trùng)"),
                ],
            };
            let (r, ev) = s.record_portal_fetch(&fetch, "t").await.unwrap();
            assert_eq!(ev[0].action, "portal.refreshed");
            assert_eq!((r.new, r.updated, r.unchanged), (2, 0, 0));
            let mut again = fetch.clone();
            again.articles[1].title = "Hội chợ nông sản".into();
            again.etag = Some("\"v2\"".into());
            let (r, _) = s.record_portal_fetch(&again, "t").await.unwrap();
            assert_eq!((r.new, r.updated, r.unchanged), (0, 1, 1));
            let arts = s.portal_articles("so", 10).await.unwrap();
            assert_eq!(arts.len(), 2);
            assert_eq!(s.count_portal_articles("so").await.unwrap(), 2);
            assert!(arts.iter().any(|a| a.title == "Hội chợ nông sản"));
            let f = s.portal_feed("so").await.unwrap().unwrap();
            assert_eq!(f.etag.as_deref(), Some("\"v2\""));
            assert!(f.fetched_at.is_some() && f.last_error.is_none());

            s.record_portal_error("so", "https://so.gov.vn/rss", "timeout", "t")
                .await
                .unwrap();
            let f = s.portal_feed("so").await.unwrap().unwrap();
            assert_eq!(f.last_error.as_deref(), Some("timeout"));
            assert_eq!(
                f.etag.as_deref(),
                Some("\"v2\""),
                "a failure keeps the validators"
            );
            // A new address drops the old validators.
            let (f, _) = s
                .set_portal_feed_url("so", "https://so.gov.vn/rss2", "t")
                .await
                .unwrap();
            assert!(f.etag.is_none() && f.last_error.is_none());
            assert_eq!(
                s.agency_id_by_page_handle("page-so")
                    .await
                    .unwrap()
                    .as_deref(),
                Some("so")
            );
            assert!(s
                .agency_id_by_page_handle("nobody")
                .await
                .unwrap()
                .is_none());
            assert!(s.verify_chain().await.unwrap().ok);
        })
        .await;
    }
}

// ---- identity (issue 5) ----------------------------------------------------------------------

fn agency(id: &str, domain: Option<&str>, handle: Option<&str>) -> NewAgency {
    NewAgency {
        id: id.into(),
        name: format!("Agency {id}"),
        parent_id: None,
        official_domain: domain.map(str::to_string),
        page_handle: handle.map(str::to_string),
        portal_feed_url: None,
        response_working_days: 15,
        responsible: Responsible::default(),
        competent_authority: false,
    }
}

fn new_badge(serial: &str, agency_id: &str, challenge_id: i64, domain: &str) -> NewBadge {
    NewBadge {
        serial: serial.into(),
        agency_id: agency_id.into(),
        challenge_id,
        page_handle: "page".into(),
        domain: domain.into(),
        signed: format!("{{\"badge\":{{\"serial\":\"{serial}\"}}}}"),
        kid: "ed25519-k1".into(),
        public_key: "00".repeat(32),
        issued_at: 1_000,
        expires_at: 2_000,
        approved_by: "reviewer:1".into(),
    }
}

#[tokio::test]
async fn challenges_and_badges_follow_the_agency_and_are_audited() {
    on_each_backend(|s| async move {
        s.create_agency(&agency("a1", Some("a1.gov.vn"), Some("page")), "t")
            .await
            .unwrap();
        let (c, _) = s
            .create_challenge(
                "a1",
                "a1.gov.vn",
                ChallengeMethod::WellKnown,
                "tok-1",
                i64::MAX,
                "officer",
            )
            .await
            .unwrap();
        assert_eq!((c.attempts, c.verified_at), (0, None));
        assert_eq!(
            s.create_challenge("nope", "x.vn", ChallengeMethod::Dns, "tok-2", 0, "t")
                .await
                .unwrap_err()
                .kind,
            ErrorKind::NotFound
        );
        // Not verified yet: no badge.
        let err = s
            .issue_badge(&new_badge("b1", "a1", c.id, "a1.gov.vn"), "rev")
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        let (c, _) = s
            .record_challenge_attempt(c.id, Err("404"), "officer")
            .await
            .unwrap();
        assert_eq!((c.attempts, c.last_error.as_deref()), (1, Some("404")));
        let (c, events) = s
            .record_challenge_attempt(c.id, Ok(()), "officer")
            .await
            .unwrap();
        assert!(c.verified_at.is_some() && c.last_error.is_none());
        assert_eq!(events[0].action, "domain_challenge.verified");
        assert!(s
            .verified_challenge("a1", "a1.gov.vn", 0)
            .await
            .unwrap()
            .is_some());
        assert!(s
            .verified_challenge("a1", "other.gov.vn", 0)
            .await
            .unwrap()
            .is_none());

        let (b1, _) = s
            .issue_badge(&new_badge("b1", "a1", c.id, "a1.gov.vn"), "rev")
            .await
            .unwrap();
        assert_eq!(b1.revoked_at, None);
        // A second badge supersedes the first in the same transaction.
        let (_, events) = s
            .issue_badge(&new_badge("b2", "a1", c.id, "a1.gov.vn"), "rev")
            .await
            .unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["badge.revoked", "badge.issued"]);
        let badges = s.badges_of("a1").await.unwrap();
        assert_eq!(badges[0].serial, "b2", "the badge in force comes first");
        assert_eq!(
            badges[1].revoke_reason.as_deref(),
            Some("superseded by a new badge")
        );
        // A new domain revokes the badge in force.
        let (a, events) = s
            .update_agency(
                "a1",
                &AgencyChanges {
                    official_domain: Some(Some("new.gov.vn".into())),
                    ..AgencyChanges::default()
                },
                "admin",
            )
            .await
            .unwrap();
        assert_eq!(a.official_domain.as_deref(), Some("new.gov.vn"));
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["agency.updated", "badge.revoked"]);
        assert!(s
            .badges_of("a1")
            .await
            .unwrap()
            .iter()
            .all(|b| b.revoked_at.is_some()));
        assert_eq!(
            s.revoke_badge("a1", "x", "rev").await.unwrap_err().kind,
            ErrorKind::NotFound
        );
        let revoked = s.revoked_serials().await.unwrap();
        assert_eq!(revoked.len(), 2);
        assert!(revoked.iter().all(|r| r.kind.as_str() == "badge"));
        assert_eq!(
            s.signing_keys().await.unwrap(),
            [("ed25519-k1".to_string(), "00".repeat(32))]
        );
        // Search is case-insensitive on ASCII and treats % and _ literally.
        assert_eq!(s.search_agencies("A1", 10).await.unwrap().len(), 1);
        assert_eq!(s.search_agencies("%", 10).await.unwrap().len(), 0);
        assert!(s.verify_chain().await.unwrap().ok);
    })
    .await;
}

#[tokio::test]
async fn accounts_attestations_and_officer_tokens() {
    on_each_backend(|s| async move {
        s.create_agency(&agency("a1", None, None), "t")
            .await
            .unwrap();
        let id = s
            .create_token(Role::AgencyOfficer, "o", "hash", Some("a1"), "cli")
            .await
            .unwrap();
        assert_eq!(s.token_agency(id).await.unwrap().as_deref(), Some("a1"));
        let plain = s
            .create_token(Role::Admin, "x", "hash", None, "cli")
            .await
            .unwrap();
        assert_eq!(s.token_agency(plain).await.unwrap(), None);
        assert!(s
            .create_token(Role::AgencyOfficer, "o", "h", Some("nope"), "cli")
            .await
            .is_err());

        let photo = AccountPhoto {
            hash: "ab".repeat(32),
            report: serde_json::json!({"hash": "ab".repeat(32), "checked": false}),
        };
        let (acc, _) = s
            .create_account(
                &NewAccount {
                    handle: "an".into(),
                    display_name: "Nguyễn Văn An".into(),
                    role: quytac_core::item::Role::CivilServant,
                    agency_id: Some("a1".into()),
                    workplace: None,
                    photo: Some(photo.clone()),
                    decree: Default::default(),
                },
                "mod",
            )
            .await
            .unwrap();
        assert_eq!(acc.photo_report, Some(photo.report.clone()));
        assert_eq!(
            s.create_account(
                &NewAccount {
                    handle: "an".into(),
                    display_name: "x".into(),
                    role: quytac_core::item::Role::Citizen,
                    agency_id: None,
                    workplace: None,
                    photo: None,
                    decree: Default::default(),
                },
                "mod",
            )
            .await
            .unwrap_err()
            .kind,
            ErrorKind::Conflict
        );
        let att = |serial: &str, display: &str| NewAttestation {
            serial: serial.into(),
            handle: "an".into(),
            agency_id: "a1".into(),
            legal_name: "Nguyễn Văn An".into(),
            position: "Chuyên viên".into(),
            display_name: display.into(),
            photo_hash: Some("ab".repeat(32)),
            signed: "{}".into(),
            kid: "ed25519-k1".into(),
            public_key: "00".repeat(32),
            name_check: serde_json::json!({"matches": true}),
            issued_at: 5_000,
            created_by: "agency_officer:1".into(),
        };
        // The attestation must bind the account as it is.
        assert_eq!(
            s.create_attestation(&att("x0", "Other Name"), "o")
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Conflict
        );
        s.create_attestation(&att("x1", "Nguyễn Văn An"), "o")
            .await
            .unwrap();
        let (after, events) = s
            .update_account(
                "an",
                &AccountChanges {
                    display_name: Some("An Nguyễn".into()),
                    ..AccountChanges::default()
                },
                "mod",
            )
            .await
            .unwrap();
        assert_eq!(after.display_name, "An Nguyễn");
        assert!(after.display_name_changed_at >= acc.display_name_changed_at);
        assert_eq!(
            events[0].payload["attestations_no_longer_binding"],
            serde_json::json!(["x1"])
        );
        // No change, no event.
        let (_, events) = s
            .update_account("an", &AccountChanges::default(), "mod")
            .await
            .unwrap();
        assert!(events.is_empty());
        s.create_attestation(&att("x2", "An Nguyễn"), "o")
            .await
            .unwrap();
        let list = s.attestations_of("an").await.unwrap();
        assert_eq!(list[0].serial, "x2", "the attestation in force comes first");
        assert!(list[1].revoked_at.is_some());
        assert_eq!(s.staff_of("a1").await.unwrap().len(), 1);
        s.revoke_attestation("a1", "an", "left the agency", "o")
            .await
            .unwrap();
        assert!(s.staff_of("a1").await.unwrap().is_empty());
        assert_eq!(
            s.revoke_attestation("a1", "an", "again", "o")
                .await
                .unwrap_err()
                .kind,
            ErrorKind::NotFound
        );
        let kinds: Vec<String> = s
            .revoked_serials()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.kind.to_string())
            .collect();
        assert_eq!(kinds, ["attestation", "attestation"]);
        assert_eq!(
            s.photo_hashes_except("other").await.unwrap(),
            [("an".to_string(), "ab".repeat(32))]
        );
        assert!(s.photo_hashes_except("an").await.unwrap().is_empty());
        assert_eq!(s.search_accounts("NGUY", 10).await.unwrap().len(), 1);
        assert_eq!(s.search_accounts("an_", 10).await.unwrap().len(), 0);
        assert_eq!(s.search_accounts("AN", 10).await.unwrap().len(), 1);
        assert!(s.verify_chain().await.unwrap().ok);
    })
    .await;
}

#[tokio::test]
async fn revoking_a_token_ends_its_sessions_once() {
    on_each_backend(|s| async move {
        let id = s
            .insert_token(
                &quytac_store::NewTokenRow {
                    role: Role::Moderator,
                    label: "m",
                    hash: "sha256:00",
                    agency_id: None,
                    expires_at: Some(123),
                },
                "cli",
            )
            .await
            .unwrap();
        let other = s
            .create_token(Role::Reviewer, "r", "sha256:11", None, "cli")
            .await
            .unwrap();
        let t = s.token(id).await.unwrap().unwrap();
        assert_eq!(
            (t.expires_at, t.revoked_at, t.revoked),
            (Some(123), None, false)
        );
        let session = |h: &str, token_id: i64, expires_at: i64| SessionRecord {
            id_hash: h.into(),
            token_id: Some(token_id),
            user_id: None,
            created_at: 1,
            last_seen_at: 1,
            expires_at,
        };
        let far = quytac_store::now_ms() + 3_600_000;
        s.create_session(&session("a", id, far)).await.unwrap();
        s.create_session(&session("b", id, far)).await.unwrap();
        s.create_session(&session("c", other, far)).await.unwrap();
        assert_eq!(s.session("a").await.unwrap().unwrap().token_id, Some(id));
        s.touch_session("a", 77).await.unwrap();
        assert_eq!(s.session("a").await.unwrap().unwrap().last_seen_at, 77);

        let revoked = s.revoke_token(id, "admin:1").await.unwrap();
        assert!(revoked.revoked && revoked.revoked_at.is_some());
        assert!(s.session("a").await.unwrap().is_none());
        assert!(s.session("b").await.unwrap().is_none());
        assert!(
            s.session("c").await.unwrap().is_some(),
            "another token's session"
        );
        // Again: nothing changes, nothing is recorded.
        let events = s.audit_events(0, 100).await.unwrap();
        s.revoke_token(id, "admin:1").await.unwrap();
        assert_eq!(s.audit_events(0, 100).await.unwrap().len(), events.len());
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == "token.revoked")
                .count(),
            1
        );
        assert_eq!(
            s.revoke_token(9999, "admin:1").await.unwrap_err().kind,
            ErrorKind::NotFound
        );
        assert_eq!(s.tokens(10).await.unwrap().len(), 2);
        // Sign-out; a new session sweeps the ones past their end.
        assert!(s.delete_session("c").await.unwrap());
        assert!(!s.delete_session("c").await.unwrap());
        s.create_session(&session("old", other, 5)).await.unwrap();
        s.create_session(&session("new", other, far)).await.unwrap();
        assert!(s.session("old").await.unwrap().is_none());
        // A token holds at most SESSIONS_PER_TOKEN sessions: the oldest go.
        let cap = quytac_store::SESSIONS_PER_TOKEN;
        for i in 0..cap + 5 {
            let mut one = session(&format!("many{i:03}"), other, far);
            one.created_at = 100 + i;
            s.create_session(&one).await.unwrap();
        }
        assert!(s.session("many000").await.unwrap().is_none());
        assert!(s.session("new").await.unwrap().is_none());
        let last = format!("many{:03}", cap + 4);
        assert!(s.session(&last).await.unwrap().is_some());
        let first_kept = format!("many{:03}", 5);
        assert!(s.session(&first_kept).await.unwrap().is_some());
    })
    .await;
}

/// A database of the version before issue 11 (migrations 1–5, an argon2 token row) is
/// migrated on connect; its token row stays readable, to be refused as retired.
#[tokio::test]
async fn an_older_database_migrates_with_its_tokens() {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    {
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut c)
        .await
        .unwrap();
        for (v, sql) in [
            include_str!("../migrations/sqlite/0001_init.sql"),
            include_str!("../migrations/sqlite/0002_agencies.sql"),
            include_str!("../migrations/sqlite/0003_identity.sql"),
            include_str!("../migrations/sqlite/0004_inquiries.sql"),
            include_str!("../migrations/sqlite/0005_consultations.sql"),
        ]
        .iter()
        .enumerate()
        {
            sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            sqlx::raw_sql(&format!(
                "INSERT INTO schema_migrations VALUES ({}, 0)",
                v + 1
            ))
            .execute(&mut c)
            .await
            .unwrap();
        }
        sqlx::raw_sql(
            "INSERT INTO tokens (role, label, hash, created_at, revoked) \
             VALUES ('admin', 'old', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 5, 0)",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    }
    let s = Store::connect(&url).await.unwrap();
    let t = s.token(1).await.unwrap().unwrap();
    assert!(t.hash.starts_with("$argon2"));
    assert_eq!((t.expires_at, t.revoked_at, t.created_at), (None, None, 5));
    let id = s
        .create_token(Role::Admin, "new", "sha256:00", None, "cli")
        .await
        .unwrap();
    assert_eq!(id, 2);
    s.close().await;
}
