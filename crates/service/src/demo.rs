//! The demo's moderation data (`quytac serve --demo`): the authors' accounts, example posts,
//! a report, a complaint to the demo agency's page about a comment on it, an overdue takedown
//! and a decision, loaded through the same use cases as real traffic. It runs after the
//! identity demo, whose agency `so-tt-hn` is the competent authority that files the takedown
//! and owns the page `sotttt.hanoi`.
//!
//! The authors' accounts carry how they were authenticated (Decree 147, ND-1): one by a
//! personal ID, others by a mobile number, a minor with a guardian (ND-4) — and one that is
//! not authenticated, whose post the `vn-147-2024` pack refuses (the demo answers it as
//! refused; under the other packs it is stored). The decision cites the rule the active
//! pack's check found, so the demo works under every pack.

use crate::moderation::{Decide, ReportPost};
use crate::posts::PostSource;
use crate::takedowns::FileTakedown;
use crate::{Actor, Result, Role, Service, ServiceError};
use quytac_core::finding::Category;
use quytac_core::item::Item;
use quytac_core::workflow::complaint::Addressee;
use quytac_core::workflow::decree147::{self, AuthMethod, DecreeFinding};
use quytac_core::workflow::{Action, CaseStatus};
use quytac_store::model::{AccountDecree, NewAccount};

const POSTS: &[&str] = &[
    r#"{"id":"demo-1","text":"Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi","author":{"id":"demo-user-1","role":"civil_servant","agency":"so-tt-hn"}}"#,
    r#"{"id":"demo-2","text":"NÓNG: nghe nói sắp sáp nhập tỉnh, lương cán bộ bị cắt một nửa, share gấp!","author":{"id":"demo-user-2"}}"#,
    r#"{"id":"demo-3","text":"Hôm nay trời đẹp, cả nhà đi Hà Nội ăn phở.","author":{"id":"demo-user-3"}}"#,
    r#"{"id":"demo-4","text":"Tôi là trưởng phòng đây, liệu hồn mà dọn quán đi, không tôi cho thanh tra xuống.","author":{"id":"demo-user-4","role":"civil_servant","agency":"ubnd-q1"}}"#,
    r#"{"id":"demo-5","text":"Anh Bình, SĐT 0912 345 678, CCCD 001090012345, nhà ở số 12 ngõ 34 phố Huế.","author":{"id":"demo-user-1","role":"civil_servant"}}"#,
    r#"{"id":"demo-6","text":"Chào mọi người, mình mới lập tài khoản, chưa xác thực số điện thoại.","author":{"id":"demo-user-5"}}"#,
    r#"{"id":"demo-7","text":"Sở Thông tin và Truyền thông Hà Nội thông báo: từ tháng này, người dân gửi câu hỏi về dịch vụ công trực tuyến qua trang của Sở.","author":{"id":"sotttt.hanoi"}}"#,
    r#"{"id":"demo-8","text":"Hỏi mãi không ai trả lời, cái trang này toàn lũ ăn hại, đồ vô dụng!","author":{"id":"demo-user-2"},"engages":{"kind":"comment","target_id":"demo-7"}}"#,
];

/// The comment on the demo agency's page that a citizen complains about to the page's owner
/// (Decree 147's 48-hour clock for page owners; `/console/complaints`).
const PAGE_COMPLAINT_POST: &str = "demo-8";

/// A demo author's account: handle, display name, role, authentication (method, number),
/// date of birth and guardian (name, relation).
struct DemoAuthor {
    handle: &'static str,
    name: &'static str,
    role: quytac_core::item::Role,
    auth: (AuthMethod, Option<&'static str>),
    birth_date: Option<&'static str>,
    guardian: Option<(&'static str, &'static str)>,
}

const AUTHORS: [DemoAuthor; 6] = [
    DemoAuthor {
        handle: "demo-user-1",
        name: "Phạm Văn Hùng",
        role: quytac_core::item::Role::CivilServant,
        auth: (AuthMethod::PersonalId, Some("001090012345")),
        birth_date: Some("1990-04-12"),
        guardian: None,
    },
    DemoAuthor {
        handle: "demo-user-2",
        name: "Trần Thị Mai",
        role: quytac_core::item::Role::Citizen,
        auth: (AuthMethod::Mobile, Some("0912 345 678")),
        birth_date: None,
        guardian: None,
    },
    DemoAuthor {
        handle: "demo-user-3",
        name: "Trần Minh Khôi",
        role: quytac_core::item::Role::Citizen,
        auth: (AuthMethod::Mobile, Some("0987 654 321")),
        birth_date: Some("2013-09-01"),
        guardian: Some(("demo-user-2", "mẹ")),
    },
    DemoAuthor {
        handle: "demo-user-4",
        name: "Lý Quốc Dũng",
        role: quytac_core::item::Role::CivilServant,
        auth: (AuthMethod::Mobile, Some("0903 111 222")),
        birth_date: None,
        guardian: None,
    },
    // The demo agency's page (its handle in the identity demo), authenticated by the mobile
    // number of its page administrator.
    DemoAuthor {
        handle: "sotttt.hanoi",
        name: "Sở Thông tin và Truyền thông Hà Nội",
        role: quytac_core::item::Role::Citizen,
        auth: (AuthMethod::Mobile, Some("0936 225 588")),
        birth_date: None,
        guardian: None,
    },
    DemoAuthor {
        handle: "demo-user-5",
        name: "Người dùng mới",
        role: quytac_core::item::Role::Citizen,
        auth: (AuthMethod::None, None),
        birth_date: None,
        guardian: None,
    },
];

/// A demo post Decree 147 refused under the active pack: its id and the finding.
pub type DemoRefusal = (String, DecreeFinding);

/// The post whose case the demo decides: a civil servant's regional slur (CS-5).
const DECIDED_POST: &str = "demo-1";
/// Its author: the demo's citizen token speaks for them, so it may appeal the decision.
pub const DEMO_AUTHOR: &str = "demo-user-1";

impl Service {
    /// Whether the demo's data is already in this database (a second `serve --demo` on the
    /// same file): the demo's first post is stored.
    pub async fn demo_loaded(&self) -> Result<bool> {
        Ok(self
            .store
            .post_by_external_id(DECIDED_POST)
            .await?
            .is_some())
    }

    /// Loads the demo authors' accounts, posts, a report, a complaint to a page owner, an
    /// overdue takedown and a decision.
    /// Answers the posts Decree 147 refused under the active pack.
    pub async fn load_moderation_demo(&self) -> Result<Vec<DemoRefusal>> {
        self.demo_authors().await?;
        let mut refused = Vec::new();
        let mut decided_rule = None;
        for p in POSTS {
            let item = Item::from_json(p).map_err(ServiceError::invalid_field)?;
            let id = item.id().to_string();
            let author = match &item {
                Item::Post(p) => p.author.id.clone(),
                Item::Profile(_) => None,
            };
            if let Some(finding) = self
                .decree_refusals(&[author.as_deref()])
                .await?
                .pop()
                .flatten()
            {
                refused.push((id, finding));
                continue;
            }
            let done = self.ingest("demo", item, PostSource::Api).await?;
            if id == DECIDED_POST {
                let findings = &done.result.findings;
                decided_rule = findings
                    .iter()
                    .find(|f| f.category == Category::RegionalDiscrimination)
                    .or(findings.first())
                    .map(|f| (f.rule.clone(), f.category));
            }
        }
        let citizen = Actor::new(Role::Citizen, 0);
        self.report(
            &citizen,
            ReportPost {
                post_id: "demo-3".into(),
                category: Some(Category::Offensive),
                note: "Thử báo cáo".into(),
                addressee: None,
            },
        )
        .await?;
        self.report(
            &citizen,
            ReportPost {
                post_id: PAGE_COMPLAINT_POST.into(),
                category: Some(Category::Offensive),
                note: "Bình luận xúc phạm trên trang của Sở".into(),
                addressee: Some(Addressee::agency(crate::identity::DEMO_AUTHORITY)),
            },
        )
        .await?;
        // Filed by an officer of the demo's competent authority (registered by the identity
        // demo, which runs first), in its name.
        let officer = Actor {
            agency: Some(crate::identity::DEMO_AUTHORITY.into()),
            ..Actor::new(Role::AgencyOfficer, 0)
        };
        self.file_takedown(
            &officer,
            FileTakedown {
                post_id: "demo-2".into(),
                agency_id: None,
                authority: None,
                legal_basis: "Nghị định 147/2024/NĐ-CP".into(),
                reason: "Tin giả về chính sách tiền lương".into(),
                received_at: Some(quytac_store::now_ms() - 25 * 3600 * 1000),
            },
        )
        .await?;
        let post = self.post(DECIDED_POST).await?;
        let open = self.cases(Some(CaseStatus::Open), 1000).await?;
        let case = open.cases.iter().find(|c| c.case.post_id == post.id);
        if let (Some(case), Some((rule, category))) = (case, decided_rule) {
            let moderator = Actor::new(Role::Moderator, 0);
            let decision = Decide {
                statement: format!(
                    "Bài viết dùng từ ngữ phân biệt vùng miền (quy tắc {rule}) nên đã bị gỡ."
                ),
                rule,
                category,
                action: Action::Remove,
                automated_decision: false,
            };
            self.decide(&moderator, case.case.id, decision).await?;
        }
        Ok(refused)
    }

    /// The accounts of the demo's authors, made unless they exist.
    async fn demo_authors(&self) -> Result<()> {
        for a in &AUTHORS {
            if self.store.account(a.handle).await?.is_some() {
                continue;
            }
            let auth_ref = decree147::check_authentication(a.auth.0, a.auth.1)?;
            let new = NewAccount {
                handle: a.handle.into(),
                display_name: a.name.into(),
                role: a.role,
                agency_id: None,
                workplace: None,
                photo: None,
                decree: AccountDecree {
                    auth_method: a.auth.0,
                    auth_ref,
                    birth_date: a.birth_date.map(str::to_string),
                    guardian: a.guardian.map(|g| g.0.to_string()),
                    guardian_relation: a.guardian.map(|g| g.1.to_string()),
                },
            };
            self.store.create_account(&new, "demo").await?;
        }
        Ok(())
    }
}
