//! Agencies: register, show and change one (AG-2, AG-3), and the status of its verified page
//! (AG-1). Officers change their own agency's details; the official domain, and whether the
//! agency is a competent authority that requests takedowns (ND-2), only an admin.

use super::badges::BadgeView;
use super::challenges::ChallengeView;
use super::{check_agency_id, double, normalize_domain, normalize_handle, text_field};
use crate::{fetch, Actor, Result, Service, ServiceError};
use quytac_core::finding::Finding;
use quytac_core::identity::badge::{self, Verification};
use quytac_core::identity::page::{page_findings, Page, Person};
use quytac_core::workflow::agency::{may_act_for, may_change_domain, may_register_authority};
use quytac_store::model::{
    Agency, AgencyChanges, BadgeRecord, NewAgency, Responsible, ResponsiblePerson,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The working days an inquiry waits when the agency sets none (Luật Tiếp công dân: 15).
pub const DEFAULT_RESPONSE_WORKING_DAYS: i64 = 15;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub name: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponsibleInput {
    #[serde(default)]
    pub head: Option<PersonInput>,
    #[serde(default)]
    pub page_admin: Option<PersonInput>,
}

fn person(p: Option<PersonInput>, what: &str) -> Result<Option<ResponsiblePerson>> {
    let Some(p) = p else { return Ok(None) };
    let opt = |v: Option<String>, f: &str| -> Result<Option<String>> {
        match v {
            Some(v) => {
                let v = text_field(&format!("{what}.{f}"), &v, false)?;
                Ok((!v.is_empty()).then_some(v))
            }
            None => Ok(None),
        }
    };
    Ok(Some(ResponsiblePerson {
        name: text_field(&format!("{what}.name"), &p.name, true)?,
        position: text_field(&format!("{what}.position"), &p.position, false)?,
        phone: opt(p.phone, "phone")?,
        email: opt(p.email, "email")?,
    }))
}

fn responsible(b: ResponsibleInput) -> Result<Responsible> {
    Ok(Responsible {
        head: person(b.head, "responsible.head")?,
        page_admin: person(b.page_admin, "responsible.page_admin")?,
    })
}

/// An agency to register.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterAgency {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub official_domain: Option<String>,
    #[serde(default)]
    pub page_handle: Option<String>,
    #[serde(default)]
    pub portal_feed_url: Option<String>,
    /// Working days an inquiry may wait for its first answer (AG-7); 15 by default.
    #[serde(default)]
    pub response_working_days: Option<i64>,
    #[serde(default)]
    pub responsible: Option<ResponsibleInput>,
    /// Registered as a competent authority: its officers may request takedowns (ND-2).
    #[serde(default)]
    pub competent_authority: bool,
}

/// Changes to an agency; absent fields stay as they are, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeAgency {
    #[serde(default)]
    pub name: Option<String>,
    /// Only an admin changes the official domain.
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<String>)]
    pub official_domain: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<String>)]
    pub page_handle: Option<Option<String>>,
    /// Replaces both persons (send both).
    #[serde(default)]
    pub responsible: Option<ResponsibleInput>,
    /// Registers the agency as a competent authority, or withdraws it; only an admin.
    #[serde(default)]
    pub competent_authority: Option<bool>,
}

/// Whether an agency's page is verified now, and by which badge.
#[derive(Debug, Clone)]
pub struct PageStatus {
    pub verified: bool,
    /// `none` (never badged), or the code of the latest badge's verification (`valid`,
    /// `revoked`, `expired`, …); `stale` when it names another domain or page.
    pub status: &'static str,
    /// Why not verified, in English.
    pub reason: Option<String>,
    pub badge: Option<BadgeRecord>,
}

/// The verification of an agency's page, as shown with the agency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageVerification {
    pub verified: bool,
    /// `none`, `valid`, `stale`, `revoked`, `expired`, …
    pub status: String,
    pub reason: Option<String>,
    pub badge: Option<BadgeView>,
    pub challenge: Option<ChallengeView>,
}

/// An agency with its page verification and AG-1..AG-3 findings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyView {
    #[serde(flatten)]
    pub agency: Agency,
    pub verification: PageVerification,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyShown {
    pub agency: AgencyView,
}

fn as_person(p: &Option<ResponsiblePerson>) -> Option<Person<'_>> {
    p.as_ref().map(|p| Person {
        name: &p.name,
        position: &p.position,
        phone: p.phone.as_deref(),
        email: p.email.as_deref(),
    })
}

impl Service {
    pub(crate) async fn agency_or_404(&self, id: &str) -> Result<Agency> {
        self.store
            .agency(id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("no agency `{id}`")))
    }

    /// An agency, if registered (the directory's pages).
    pub async fn find_agency(&self, id: &str) -> Result<Option<Agency>> {
        Ok(self.store.agency(id).await?)
    }

    /// Every agency, by id (the directory).
    pub async fn all_agencies(&self) -> Result<Vec<Agency>> {
        Ok(self.store.list_agencies().await?)
    }

    /// The agency's latest badge, exactly as signed, if any.
    pub async fn latest_badge(&self, agency_id: &str) -> Result<Option<BadgeRecord>> {
        Ok(self.store.badges_of(agency_id).await?.into_iter().next())
    }

    /// Registers an agency (admins, by the route table).
    pub async fn register_agency(&self, actor: &Actor, cmd: RegisterAgency) -> Result<AgencyShown> {
        let policy = &self.settings.fetch;
        let days = cmd
            .response_working_days
            .unwrap_or(DEFAULT_RESPONSE_WORKING_DAYS);
        if !(1..=60).contains(&days) {
            return Err(ServiceError::invalid_field(
                "`response_working_days` must be 1–60",
            ));
        }
        let new = NewAgency {
            id: check_agency_id(&cmd.id)?,
            name: text_field("name", &cmd.name, true)?,
            parent_id: cmd.parent_id.as_deref().map(check_agency_id).transpose()?,
            official_domain: cmd
                .official_domain
                .as_deref()
                .map(|d| normalize_domain(d, policy))
                .transpose()?,
            page_handle: cmd
                .page_handle
                .as_deref()
                .map(normalize_handle)
                .transpose()?,
            portal_feed_url: match cmd.portal_feed_url {
                Some(u) => Some(
                    fetch::check_url(u.trim(), policy)
                        .map_err(|e| {
                            ServiceError::invalid_field(format!("`portal_feed_url`: {e}"))
                        })?
                        .to_string(),
                ),
                None => None,
            },
            response_working_days: days,
            responsible: responsible(cmd.responsible.unwrap_or_default())?,
            competent_authority: cmd.competent_authority,
        };
        if new.competent_authority {
            may_register_authority(actor)?;
        }
        let agency = self.store.create_agency(&new, &actor.name()).await?;
        Ok(AgencyShown {
            agency: self.agency_view(agency).await?,
        })
    }

    /// An agency with its page verification and findings (anyone authenticated).
    pub async fn agency(&self, id: &str) -> Result<AgencyShown> {
        let agency = self.agency_or_404(id).await?;
        Ok(AgencyShown {
            agency: self.agency_view(agency).await?,
        })
    }

    /// Changes an agency's details: an admin, or an officer of that agency; the official
    /// domain only an admin. A new domain or handle revokes the badge (in the store).
    pub async fn change_agency(
        &self,
        actor: &Actor,
        id: &str,
        cmd: ChangeAgency,
    ) -> Result<AgencyShown> {
        self.agency_or_404(id).await?;
        may_act_for(actor, id)?;
        if cmd.official_domain.is_some() {
            may_change_domain(actor)?;
        }
        if cmd.competent_authority.is_some() {
            may_register_authority(actor)?;
        }
        let policy = &self.settings.fetch;
        let changes = AgencyChanges {
            name: cmd.name.map(|n| text_field("name", &n, true)).transpose()?,
            official_domain: cmd
                .official_domain
                .map(|d| d.map(|d| normalize_domain(&d, policy)).transpose())
                .transpose()?,
            page_handle: cmd
                .page_handle
                .map(|h| h.map(|h| normalize_handle(&h)).transpose())
                .transpose()?,
            responsible: cmd.responsible.map(responsible).transpose()?,
            competent_authority: cmd.competent_authority,
        };
        let (agency, events) = self
            .store
            .update_agency(id, &changes, &actor.name())
            .await?;
        self.after_commit(&events).await;
        Ok(AgencyShown {
            agency: self.agency_view(agency).await?,
        })
    }

    /// Whether the agency's page is verified now: its latest badge, checked against the keys,
    /// the revocations and the agency's current domain and page.
    pub async fn page_status(&self, agency: &Agency) -> Result<PageStatus> {
        let Some(latest) = self.store.badges_of(&agency.id).await?.into_iter().next() else {
            return Ok(PageStatus {
                verified: false,
                status: "none",
                reason: Some("no badge has been issued for this page".into()),
                badge: None,
            });
        };
        let keys = self.key_set().await?;
        let revoked = self.revocation_list().await?;
        let v = badge::verify(&latest.signed, &keys, Some(&revoked), super::now_secs());
        let (verified, status, reason) = match &v {
            Verification::Valid(b)
                if Some(&b.domain) != agency.official_domain.as_ref()
                    || Some(&b.page_handle) != agency.page_handle.as_ref() =>
            {
                (
                    false,
                    "stale",
                    Some("the badge names another domain or page".to_string()),
                )
            }
            Verification::Valid(_) => (true, "valid", None),
            other => (
                false,
                other.code(),
                Some(format!("badge {}", other.describe())),
            ),
        };
        Ok(PageStatus {
            verified,
            status,
            reason,
            badge: Some(latest),
        })
    }

    /// AG-1..AG-3 findings of an agency's page.
    pub fn agency_findings(&self, agency: &Agency, page: &PageStatus) -> Vec<Finding> {
        let reason = page.reason.as_deref().unwrap_or("not verified");
        page_findings(
            self.engine.pack(),
            &Page {
                head: as_person(&agency.responsible.head),
                page_admin: as_person(&agency.responsible.page_admin),
                unverified: (!page.verified).then_some(reason),
            },
        )
    }

    pub async fn agency_view(&self, agency: Agency) -> Result<AgencyView> {
        let page = self.page_status(&agency).await?;
        let findings = self.agency_findings(&agency, &page);
        let challenge = self.store.latest_challenge(&agency.id).await?;
        Ok(AgencyView {
            verification: PageVerification {
                verified: page.verified,
                status: page.status.to_string(),
                reason: page.reason,
                badge: page.badge.as_ref().map(BadgeView::of),
                challenge: challenge.map(|c| self.challenge_view(c)),
            },
            findings,
            agency,
        })
    }
}
