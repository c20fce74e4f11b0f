//! Takedown requests from authorities, due 24 hours after they were received (ND-2). Only the
//! officers of an agency registered as a competent authority file them, in their own agency's
//! name: the server fills the requesting authority in from the agency (a request that names
//! another agency, or another authority's name, is refused); officers list their own agency's
//! requests, staff all of them. The rules are `quytac_core::workflow::takedown`'s.

use crate::{Actor, Result, Service, ServiceError};
use quytac_core::workflow::takedown::{filing_agency, may_request_takedowns, visible_to, Visible};
use quytac_core::workflow::text::{validate, TextBounds};
use quytac_core::workflow::{takedown, CaseSource, Refusal};
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
    /// The requesting agency. An officer's request is filed in the name of the agency their
    /// token is bound to (this may be left out; naming another agency is refused); an admin
    /// names the competent authority whose request they enter.
    #[serde(default)]
    pub agency_id: Option<String>,
    /// The requesting authority's name. The server fills it in from the agency; when given it
    /// must be that agency's registered name (another authority's name is refused).
    #[serde(default)]
    pub authority: Option<String>,
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
        let legal_basis = validate("legal_basis", &cmd.legal_basis, line)?;
        let reason = validate("reason", &cmd.reason, TextBounds::prose(5000, false))?;
        let named_authority = cmd
            .authority
            .as_deref()
            .map(|a| validate("authority", a, line))
            .transpose()?;
        let agency_id = filing_agency(actor, cmd.agency_id.as_deref())?.to_string();
        let mut tx = self.store.write().await?;
        // Whether the agency may request takedowns is judged on its row as this write reads
        // it, so withdrawing the registration takes effect on the next request.
        let agency = tx.agency(&agency_id).await?.ok_or_else(|| {
            ServiceError::from(Refusal::Forbidden(format!(
                "agency `{agency_id}` is not registered"
            )))
        })?;
        may_request_takedowns(&agency.id, agency.competent_authority)?;
        if let Some(named) = named_authority.filter(|n| *n != agency.name) {
            return Err(Refusal::Forbidden(format!(
                "a takedown is filed in the name of `{}`, not `{named}`",
                agency.name
            ))
            .into());
        }
        let new = NewTakedown {
            post_id: cmd.post_id,
            agency_id: Some(agency.id.clone()),
            authority: agency.name.clone(),
            legal_basis,
            reason,
            requested_by: actor.name(),
            received_at,
        };
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

    /// Takedown requests, oldest deadline first; only the overdue ones when asked. Officers
    /// see their own agency's, staff every one.
    pub async fn takedowns(&self, actor: &Actor, overdue_only: bool) -> Result<TakedownList> {
        let agency = match visible_to(actor)? {
            Visible::All => None,
            Visible::OfAgency(a) => Some(a),
            Visible::None => return Ok(TakedownList { takedowns: vec![] }),
        };
        let now = quytac_store::now_ms();
        let list = self
            .store
            .list_takedowns(overdue_only.then_some(now), agency)
            .await?;
        Ok(TakedownList {
            takedowns: list.into_iter().map(|t| TakedownView::at(t, now)).collect(),
        })
    }
}
