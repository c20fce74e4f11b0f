//! The demo's agencies (created when missing) and inquiries: some answered on time, one late,
//! one overdue and escalated to the parent agency, one awaiting an answer.

use crate::{Result, Service, ServiceError};
use quytac_core::workflow::inquiry::InquiryKind;
use quytac_store::model::NewAgency;

const DAY: i64 = 86_400_000;
const OFFICER: &str = "agency_officer:demo";

impl Service {
    /// Loads the demo's inquiries (and the agencies they go to, when missing). Does nothing
    /// when the demo agency already has inquiries.
    pub async fn load_inquiries_demo(&self) -> Result<()> {
        let agencies = [
            ("ubnd-hn", "Ủy ban nhân dân thành phố Hà Nội", None, 15),
            (
                "so-tt-hn",
                "Sở Thông tin và Truyền thông Hà Nội",
                Some("ubnd-hn"),
                10,
            ),
            (
                "ubnd-q1",
                "Ủy ban nhân dân Quận 1, TP. Hồ Chí Minh",
                None,
                7,
            ),
        ];
        for (id, name, parent, days) in agencies {
            if self.store.agency(id).await?.is_none() {
                self.store
                    .create_agency(
                        &NewAgency {
                            id: id.into(),
                            name: name.into(),
                            parent_id: parent.map(str::to_string),
                            official_domain: None,
                            page_handle: None,
                            portal_feed_url: None,
                            response_working_days: days,
                            responsible: Default::default(),
                            competent_authority: false,
                        },
                        "demo",
                    )
                    .await?;
            }
        }
        if !self
            .store
            .list_inquiries("so-tt-hn", None, 1)
            .await?
            .is_empty()
        {
            return Ok(());
        }
        let now = quytac_store::now_ms();
        // (agency, kind, text, received days ago, answered days after receipt)
        let cases: [(&str, InquiryKind, &str, i64, Option<i64>); 6] = [
            ("so-tt-hn", InquiryKind::Question,
             "Xin hỏi thủ tục cấp phép trang thông tin điện tử tổng hợp cần những giấy tờ gì? Liên hệ tôi qua số 0912 345 678.",
             60, Some(3)),
            ("so-tt-hn", InquiryKind::ConflictingInformation,
             "Trang của Sở ghi hạn nộp hồ sơ là 15/3 nhưng cổng thông tin ghi 20/3, thông tin nào đúng?",
             45, Some(2)),
            ("so-tt-hn", InquiryKind::Doubt,
             "Tôi nghi ngờ trang mạo danh Sở đang thu phí đăng ký, CCCD của tôi là 001090012345, xin Sở xác minh giúp.",
             40, Some(30)),
            ("so-tt-hn", InquiryKind::Question,
             "Khi nào Sở công bố kết quả lấy ý kiến về dự thảo quy chế?",
             30, None),
            ("ubnd-q1", InquiryKind::Question,
             "Xin hỏi lịch tiếp công dân của Ủy ban quận trong tháng này.",
             20, Some(1)),
            ("ubnd-q1", InquiryKind::Question,
             "Đề nghị cho biết tiến độ sửa chữa vỉa hè đường Lê Lợi.",
             0, None),
        ];
        for (agency_id, kind, text, ago, answered_after) in cases {
            let received = now - ago * DAY;
            let id = self
                .record_inquiry("citizen:demo", agency_id, kind, text, received)
                .await?
                .inquiry
                .id;
            let Some(after) = answered_after else {
                continue;
            };
            let mut tx = self.store.write().await?;
            tx.assign_inquiry(id, OFFICER, OFFICER).await?;
            let q = tx.inquiry(id).await?;
            self.answer_in(
                &mut tx,
                OFFICER,
                &q,
                "Cảm ơn anh/chị đã hỏi. Sở đã kiểm tra và trả lời như sau: thông tin chính thức được đăng trên cổng thông tin của Sở.",
                (received + after * DAY).min(now),
            )
            .await?;
            let events = tx.commit().await?;
            self.after_commit(&events).await;
        }
        self.escalate_overdue(now, "demo")
            .await
            .map_err(|e| ServiceError::new(e.kind, format!("demo escalation: {e}")))?;
        Ok(())
    }
}
