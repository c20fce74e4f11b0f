//! The demo's moderation data (`quytac serve --demo`): example posts, a report, an overdue
//! takedown and a decision, loaded through the same use cases as real traffic. It runs after
//! the identity demo, whose agency `so-tt-hn` is the competent authority that files the
//! takedown.

use crate::moderation::{Decide, ReportPost};
use crate::posts::PostSource;
use crate::takedowns::FileTakedown;
use crate::{Actor, Result, Role, Service, ServiceError};
use quytac_core::finding::Category;
use quytac_core::item::Item;
use quytac_core::workflow::{Action, CaseStatus};

const POSTS: &[&str] = &[
    r#"{"id":"demo-1","text":"Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi","author":{"id":"demo-user-1","role":"civil_servant","agency":"so-tt-hn"}}"#,
    r#"{"id":"demo-2","text":"NÓNG: nghe nói sắp sáp nhập tỉnh, lương cán bộ bị cắt một nửa, share gấp!","author":{"id":"demo-user-2"}}"#,
    r#"{"id":"demo-3","text":"Hôm nay trời đẹp, cả nhà đi Hà Nội ăn phở.","author":{"id":"demo-user-3"}}"#,
    r#"{"id":"demo-4","text":"Tôi là trưởng phòng đây, liệu hồn mà dọn quán đi, không tôi cho thanh tra xuống.","author":{"id":"demo-user-4","role":"civil_servant","agency":"ubnd-q1"}}"#,
    r#"{"id":"demo-5","text":"Anh Bình, SĐT 0912 345 678, CCCD 001090012345, nhà ở số 12 ngõ 34 phố Huế.","author":{"id":"demo-user-1","role":"civil_servant"}}"#,
];

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

    /// Loads the demo's posts, a report, an overdue takedown and a decision.
    pub async fn load_moderation_demo(&self) -> Result<()> {
        for p in POSTS {
            let item = Item::from_json(p).map_err(ServiceError::invalid_field)?;
            self.ingest("demo", item, PostSource::Api).await?;
        }
        let citizen = Actor::new(Role::Citizen, 0);
        self.report(
            &citizen,
            ReportPost {
                post_id: "demo-3".into(),
                category: Some(Category::Offensive),
                note: "Thử báo cáo".into(),
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
        if let Some(case) = open.cases.iter().find(|c| c.case.post_id == post.id) {
            let moderator = Actor::new(Role::Moderator, 0);
            let decision = Decide {
                rule: "CS-5".into(),
                category: Category::RegionalDiscrimination,
                action: Action::Remove,
                statement: "Bài viết dùng từ ngữ phân biệt vùng miền (quy tắc CS-5) nên đã bị gỡ."
                    .into(),
                automated_decision: false,
            };
            self.decide(&moderator, case.case.id, decision).await?;
        }
        Ok(())
    }
}
