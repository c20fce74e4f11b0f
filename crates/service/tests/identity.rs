//! Identity through the service: who may act for an agency (an officer only for the agency
//! its token is bound to; the official domain only an admin), CS-2 photo findings as the
//! engine writes them, and the identity demo. Run on SQLite always and on PostgreSQL when
//! `QUYTAC_TEST_POSTGRES_URL` is set.

mod common;

use common::service;

use quytac_core::finding::Category;
use quytac_core::workflow::{Actor, Role};
use quytac_service::identity::accounts::{ChangeAccount, RegisterAccount};
use quytac_service::identity::agencies::{ChangeAgency, RegisterAgency};
use quytac_service::identity::vouching::VouchForStaff;
use quytac_service::ErrorKind;
use quytac_store::testing::on_each_backend;

const ADMIN: fn() -> Actor = || Actor::new(Role::Admin, 1);
const MODERATOR: fn() -> Actor = || Actor::new(Role::Moderator, 2);

fn officer_of(agency: &str) -> Actor {
    Actor {
        agency: Some(agency.to_string()),
        ..Actor::new(Role::AgencyOfficer, 3)
    }
}

fn agency(id: &str, domain: &str) -> RegisterAgency {
    RegisterAgency {
        id: id.into(),
        name: format!("Sở Thông tin và Truyền thông {id}"),
        parent_id: None,
        official_domain: Some(domain.into()),
        page_handle: Some(format!("{id}.page")),
        portal_feed_url: None,
        response_working_days: None,
        responsible: None,
        competent_authority: false,
    }
}

#[tokio::test]
async fn officers_change_their_agency_but_only_an_admin_changes_the_domain() {
    on_each_backend(|store| async move {
        let svc = service(store);
        svc.register_agency(&ADMIN(), agency("so-a", "a.gov.vn"))
            .await
            .unwrap();
        svc.register_agency(&ADMIN(), agency("so-b", "b.gov.vn"))
            .await
            .unwrap();

        // The agency's own officer: the name, yes; the domain, no.
        let renamed = svc
            .change_agency(
                &officer_of("so-a"),
                "so-a",
                ChangeAgency {
                    name: Some("Sở A mới".into()),
                    ..ChangeAgency::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.agency.agency.name, "Sở A mới");
        for domain in [Some("evil.gov.vn".to_string()), None] {
            let e = svc
                .change_agency(
                    &officer_of("so-a"),
                    "so-a",
                    ChangeAgency {
                        official_domain: Some(domain),
                        ..ChangeAgency::default()
                    },
                )
                .await
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Forbidden, "{e}");
        }
        let shown = svc.agency("so-a").await.unwrap();
        assert_eq!(
            shown.agency.agency.official_domain.as_deref(),
            Some("a.gov.vn")
        );

        // Another agency's officer, an unbound officer, a moderator: nothing.
        let unbound = Actor::new(Role::AgencyOfficer, 4);
        for actor in [officer_of("so-b"), unbound, MODERATOR()] {
            let e = svc
                .change_agency(
                    &actor,
                    "so-a",
                    ChangeAgency {
                        name: Some("x".into()),
                        ..ChangeAgency::default()
                    },
                )
                .await
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Forbidden, "{e}");
        }

        // Whether the agency is a competent authority (it files takedowns): an admin only.
        for actor in [officer_of("so-a"), MODERATOR()] {
            let e = svc
                .change_agency(
                    &actor,
                    "so-a",
                    ChangeAgency {
                        competent_authority: Some(true),
                        ..ChangeAgency::default()
                    },
                )
                .await
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Forbidden, "{e}");
        }
        let registered = svc
            .change_agency(
                &ADMIN(),
                "so-a",
                ChangeAgency {
                    competent_authority: Some(true),
                    ..ChangeAgency::default()
                },
            )
            .await
            .unwrap();
        assert!(registered.agency.agency.competent_authority);

        // An admin moves the domain.
        let moved = svc
            .change_agency(
                &ADMIN(),
                "so-a",
                ChangeAgency {
                    official_domain: Some(Some("moi.a.gov.vn".into())),
                    ..ChangeAgency::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            moved.agency.agency.official_domain.as_deref(),
            Some("moi.a.gov.vn")
        );

        // Vouching follows the same rule.
        svc.register_account(
            &MODERATOR(),
            RegisterAccount {
                handle: "an.nguyen".into(),
                display_name: "Nguyễn Văn An".into(),
                role: None,
                agency_id: None,
                workplace: None,
                photo: None,
                photo_hash: None,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let vouch = || VouchForStaff {
            handle: "an.nguyen".into(),
            legal_name: "Nguyễn Văn An".into(),
            position: "Chuyên viên".into(),
        };
        let e = svc
            .vouch(&officer_of("so-b"), "so-a", vouch())
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Forbidden);
        let vouched = svc
            .vouch(&officer_of("so-a"), "so-a", vouch())
            .await
            .unwrap();
        assert_eq!(vouched.attestation.agency_id, "so-a");
    })
    .await;
}

#[tokio::test]
async fn photo_findings_are_the_engines_in_both_languages() {
    on_each_backend(|store| async move {
        let svc = service(store);
        let account = |handle: &str, hash: Option<&str>| RegisterAccount {
            handle: handle.into(),
            display_name: "Trần Thị Bình".into(),
            role: Some(quytac_core::item::Role::CivilServant),
            agency_id: None,
            workplace: Some("Sở Thông tin và Truyền thông Hà Nội".into()),
            photo: None,
            photo_hash: hash.map(str::to_string),
            ..Default::default()
        };
        // No photo: the engine's CS-2 finding, in Vietnamese and English.
        let shown = svc
            .register_account(&MODERATOR(), account("binh.tran", None))
            .await
            .unwrap();
        let photo: Vec<_> = shown
            .account
            .findings
            .iter()
            .filter(|f| f.category == Category::RealPhoto)
            .collect();
        assert_eq!(photo.len(), 1, "{photo:?}");
        assert!(photo[0].message_vi.contains("chưa có ảnh đại diện"));
        assert!(photo[0].message_en.contains("no profile photo"));

        // The same picture on two accounts: each is flagged with the other's handle.
        let hash = "ab".repeat(32);
        let changed = svc
            .change_account(
                &MODERATOR(),
                "binh.tran",
                ChangeAccount {
                    photo_hash: Some(hash.clone()),
                    ..ChangeAccount::default()
                },
            )
            .await
            .unwrap();
        assert!(changed
            .account
            .findings
            .iter()
            .all(|f| f.category != Category::RealPhoto));
        let copy = svc
            .register_account(&MODERATOR(), account("binh.tran2", Some(&hash)))
            .await
            .unwrap();
        let reused: Vec<_> = copy
            .account
            .findings
            .iter()
            .filter(|f| f.category == Category::RealPhoto)
            .collect();
        assert_eq!(reused.len(), 1, "{reused:?}");
        assert_eq!(reused[0].evidence, "binh.tran");
        assert!(reused[0].message_vi.contains("binh.tran"));
        assert!(reused[0].message_en.contains("binh.tran"));
        assert_ne!(reused[0].message_vi, reused[0].message_en);
    })
    .await;
}

#[tokio::test]
async fn the_identity_demo_loads_through_the_service() {
    on_each_backend(|store| async move {
        let svc = service(store);
        svc.load_identity_demo().await.unwrap();
        let verified = svc.agency("so-tt-hn").await.unwrap();
        assert!(verified.agency.verification.verified);
        assert_eq!(verified.agency.verification.status, "valid");
        let other = svc.agency("ubnd-q1").await.unwrap();
        assert!(!other.agency.verification.verified);
        let an = svc.verify_handle("@Nguyen.Van.An").await.unwrap();
        assert!(an.verified, "{an:?}");
        assert_eq!(an.staff[0].agency_id, "so-tt-hn");
        let page = svc.verify_handle("sotttt.hanoi").await.unwrap();
        assert!(page.page.as_ref().is_some_and(|p| p.verified));
    })
    .await;
}
