//! `quytac serve --demo`: example posts, a report, a takedown and a decision, so the console
//! has something to show. Prints the tokens it creates.

use crate::api::moderation::{record_decision, DecisionBody};
use crate::auth::{create_token_for_agency, Caller, Role};
use crate::moderation::Action;
use crate::state::AppState;
use quytac_core::finding::Category;
use quytac_store::model::{NewReport, NewTakedown};

/// The agency the demo's agency-officer token acts for (registered by the identity demo).
const DEMO_OFFICER_AGENCY: &str = "so-tt-hn";

const POSTS: &[&str] = &[
    r#"{"id":"demo-1","text":"Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi","author":{"id":"demo-user-1","role":"civil_servant","agency":"so-tt-hn"}}"#,
    r#"{"id":"demo-2","text":"NÓNG: nghe nói sắp sáp nhập tỉnh, lương cán bộ bị cắt một nửa, share gấp!","author":{"id":"demo-user-2"}}"#,
    r#"{"id":"demo-3","text":"Hôm nay trời đẹp, cả nhà đi Hà Nội ăn phở.","author":{"id":"demo-user-3"}}"#,
    r#"{"id":"demo-4","text":"Tôi là trưởng phòng đây, liệu hồn mà dọn quán đi, không tôi cho thanh tra xuống.","author":{"id":"demo-user-4","role":"civil_servant","agency":"ubnd-q1"}}"#,
    r#"{"id":"demo-5","text":"Anh Bình, SĐT 0912 345 678, CCCD 001090012345, nhà ở số 12 ngõ 34 phố Huế.","author":{"id":"demo-user-1","role":"civil_servant"}}"#,
];

/// Loads the demo data; returns (role, token) pairs.
pub async fn load(state: &AppState) -> anyhow::Result<Vec<(Role, String)>> {
    for p in POSTS {
        let item = crate::api::check::item_from_value(serde_json::from_str(p)?)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::api::posts::ingest_item(state, item, "api", "demo")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    state
        .store
        .create_report(&NewReport {
            post_id: "demo-3".into(),
            reporter: "citizen:demo".into(),
            category: Some("offensive".into()),
            note: "Thử báo cáo".into(),
        })
        .await?;
    state
        .store
        .create_takedown(&NewTakedown {
            post_id: "demo-2".into(),
            authority: "Sở Thông tin và Truyền thông Hà Nội".into(),
            legal_basis: "Nghị định 147/2024/NĐ-CP".into(),
            reason: "Tin giả về chính sách tiền lương".into(),
            requested_by: "agency_officer:demo".into(),
            received_at: quytac_store::now_ms() - 25 * 3600 * 1000,
        })
        .await?;
    if let Some(case) = state
        .store
        .list_cases(Some("open"), 1)
        .await?
        .into_iter()
        .next()
    {
        let moderator = Caller {
            token_id: 0,
            role: Role::Moderator,
        };
        let body = DecisionBody {
            rule: "CS-5".into(),
            category: Category::RegionalDiscrimination,
            action: Action::Remove,
            statement: "Bài viết dùng từ ngữ phân biệt vùng miền (quy tắc CS-5) nên đã bị gỡ."
                .into(),
            automated_decision: false,
        };
        record_decision(state, &moderator, case.case.id, body)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    // Identity first: it registers the agencies the other two hang their data off.
    crate::api::identity::load_demo(state).await?;
    crate::api::inquiries::load_demo(state).await?;
    crate::api::consultations::load_demo(state).await?;
    // One token per role; the agency officer acts for the demo's verified agency.
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let agency = (role == Role::AgencyOfficer).then_some(DEMO_OFFICER_AGENCY);
        let label = format!("demo {role}");
        tokens.push((
            role,
            create_token_for_agency(&state.store, role, &label, agency, "demo").await?,
        ));
    }
    Ok(tokens)
}
