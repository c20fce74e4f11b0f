//! Takedown requests from authorities, due 24 hours after they were received (ND-2).

use crate::{Actor, Result, Service, ServiceError};
use quytac_core::workflow::text::{validate, TextBounds};
use quytac_core::workflow::{takedown, CaseSource};
use quytac_store::model::{NewTakedown, Takedown};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A client may date a request up to this far ahead of the server's clock (clock skew).
const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// An authority's request to take a post down.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileTakedown {
    /// The post's own id.
    pub post_id: String,
    /// The requesting authority, e.g. "Cục Phát thanh, truyền hình và thông tin điện tử".
    pub authority: String,
    /// The legal basis cited, e.g. "Nghị định 147/2024/NĐ-CP, Điều 23".
    pub legal_basis: String,
    #[serde(default)]
    pub reason: String,
    /// When the request was received (Unix ms); defaults to now. The deadline runs from here.
    #[serde(default)]
    pub received_at: Option<i64>,
}

/// A takedown request and whether it is past its deadline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TakedownView {
    #[serde(flatten)]
    pub takedown: Takedown,
    pub overdue: bool,
}

impl TakedownView {
    fn at(takedown: Takedown, now: i64) -> Self {
        let overdue = takedown::is_overdue(takedown.status, takedown.deadline, now);
        TakedownView { takedown, overdue }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TakedownFiled {
    pub takedown: TakedownView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TakedownList {
    pub takedowns: Vec<TakedownView>,
}

impl Service {
    /// Files a takedown request on a stored post: it opens (or joins) the post's case and is
    /// due by ND-2's deadline.
    pub async fn file_takedown(&self, actor: &Actor, cmd: FileTakedown) -> Result<TakedownFiled> {
        let now = quytac_store::now_ms();
        let received_at = cmd.received_at.unwrap_or(now);
        if received_at <= 0 || received_at > now + MAX_CLOCK_SKEW_MS {
            return Err(ServiceError::invalid_field(
                "`received_at` must be a time in Unix milliseconds, not in the future",
            ));
        }
        let line = TextBounds::line(500, true);
        let new = NewTakedown {
            authority: validate("authority", &cmd.authority, line)?,
            legal_basis: validate("legal_basis", &cmd.legal_basis, line)?,
            reason: validate("reason", &cmd.reason, TextBounds::prose(5000, false))?,
            post_id: cmd.post_id,
            requested_by: actor.name(),
            received_at,
        };
        let mut tx = self.store.write().await?;
        let post = tx.post_by_external_id(&new.post_id).await?;
        let case = tx
            .join_or_open_case(
                post.id,
                CaseSource::Takedown,
                post.verdict,
                &new.requested_by,
            )
            .await?;
        let takedown = tx.insert_takedown(post.id, case.id, &new).await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(TakedownFiled {
            takedown: TakedownView::at(takedown, now),
        })
    }

    /// Takedown requests, oldest deadline first; only the overdue ones when asked.
    pub async fn takedowns(&self, overdue_only: bool) -> Result<TakedownList> {
        let now = quytac_store::now_ms();
        let list = self
            .store
            .list_takedowns(overdue_only.then_some(now))
            .await?;
        Ok(TakedownList {
            takedowns: list.into_iter().map(|t| TakedownView::at(t, now)).collect(),
        })
    }
}
