//! Staff vouching (CS-3): an agency attests that an account is its staff member, under a
//! legal name and position, in a signed attestation bound to the account's display name and
//! photo; and the public answer to "what is verified about this handle".

use super::agencies::PageStatus;
use super::{normalize_handle, now_secs, random_id, signed_value, text_field};
use crate::{Actor, ErrorKind, Result, Service, ServiceError};
use quytac_core::identity::attestation::{self, Attestation};
use quytac_core::identity::badge::{format_time, key_id, sign, Verification};
use quytac_core::identity::name;
use quytac_core::workflow::agency::may_act_for;
use quytac_store::audit::AuditEvent;
use quytac_store::model::{Account, Agency, AttestationRecord, NewAttestation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::{same_photo, AccountView};

/// An agency vouches for a staff member.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VouchForStaff {
    pub handle: String,
    pub legal_name: String,
    pub position: String,
}

/// The CS-1 comparison of the account's display name with the legal name the agency gives.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NameCheck {
    pub display_name: String,
    pub legal_name: String,
    pub matches: bool,
    pub problem: Option<String>,
}

pub fn name_check(display: &str, legal: &str) -> NameCheck {
    let problem = name::compare_with_legal(display, legal);
    NameCheck {
        display_name: display.to_string(),
        legal_name: legal.to_string(),
        matches: problem.is_none(),
        problem: problem.map(|p| p.describe()),
    }
}

/// One agency's latest attestation about an account, judged now.
#[derive(Debug, Clone)]
pub struct Vouch {
    pub record: AttestationRecord,
    pub agency_name: String,
    /// `valid`, `display_name_changed`, `photo_changed`, `revoked`, or a verification code.
    pub status: &'static str,
    pub counts: bool,
    pub reason: Option<String>,
}

/// An attestation as shown with its account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttestationView {
    pub serial: String,
    pub agency_id: String,
    pub agency_name: String,
    pub legal_name: String,
    pub position: String,
    pub since: i64,
    pub since_text: String,
    pub recorded_by: String,
    /// `valid`, `display_name_changed`, `photo_changed`, `revoked`, …
    pub status: String,
    pub counts: bool,
    pub reason: Option<String>,
    pub bound_display_name: String,
    pub bound_photo_hash: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
    #[schema(value_type = NameCheck)]
    pub name_check: serde_json::Value,
    /// The attestation exactly as signed.
    #[schema(value_type = Object)]
    pub signed_attestation: serde_json::Value,
}

impl AttestationView {
    pub fn of(v: &Vouch) -> AttestationView {
        let r = &v.record;
        AttestationView {
            serial: r.serial.clone(),
            agency_id: r.agency_id.clone(),
            agency_name: v.agency_name.clone(),
            legal_name: r.legal_name.clone(),
            position: r.position.clone(),
            since: r.issued_at,
            since_text: format_time(r.issued_at.div_euclid(1000)),
            recorded_by: r.created_by.clone(),
            status: v.status.to_string(),
            counts: v.counts,
            reason: v.reason.clone(),
            bound_display_name: r.display_name.clone(),
            bound_photo_hash: r.photo_hash.clone(),
            revoked_at: r.revoked_at,
            revoke_reason: r.revoke_reason.clone(),
            name_check: r.name_check.clone(),
            signed_attestation: signed_value(&r.signed),
        }
    }
}

/// The attestation just recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttestationIssued {
    pub serial: String,
    pub agency_id: String,
    pub handle: String,
    pub legal_name: String,
    pub position: String,
    pub issued_at: i64,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Vouched {
    pub attestation: AttestationIssued,
    #[schema(value_type = Object)]
    pub signed_attestation: serde_json::Value,
    #[schema(value_type = NameCheck)]
    pub name_check: serde_json::Value,
    pub account: AccountView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttestationRevoked {
    pub serial: String,
    pub agency_id: String,
    pub handle: String,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VouchRevoked {
    pub attestation: AttestationRevoked,
}

/// What is public of an account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountSummary {
    pub display_name: String,
    pub role: quytac_core::item::Role,
    pub display_name_changed_at: i64,
    pub photo_changed_at: Option<i64>,
    pub has_photo: bool,
}

/// An agency vouching for the handle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffVouch {
    pub agency_id: String,
    pub agency_name: String,
    pub legal_name: String,
    pub position: String,
    pub since: i64,
    pub since_text: String,
    pub vouched_by: String,
    pub recorded_by: String,
    pub serial: String,
    pub status: String,
    pub valid: bool,
    pub reason: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
}

/// The handle as an agency's verified page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageOfHandle {
    pub agency_id: String,
    pub agency_name: String,
    pub domain: Option<String>,
    pub verified: bool,
    pub status: String,
    pub reason: Option<String>,
    pub since: Option<i64>,
    pub since_text: Option<String>,
    pub expires: Option<i64>,
    pub approved_by: Option<String>,
    pub serial: Option<String>,
}

/// What is verified about a handle, by whom and since when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandleVerification {
    pub handle: String,
    pub known: bool,
    pub verified: bool,
    pub account: Option<AccountSummary>,
    pub staff: Vec<StaffVouch>,
    pub page: Option<PageOfHandle>,
    pub checked_at: String,
}

impl Service {
    /// The latest attestation of each agency about `account`, judged against the account as
    /// it is now: it counts only when genuine, not revoked, and its bound display name and
    /// photo still hold.
    pub async fn vouches(&self, account: &Account) -> Result<Vec<Vouch>> {
        let keys = self.key_set().await?;
        let revoked = self.revocation_list().await?;
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for record in self.store.attestations_of(&account.handle).await? {
            if !seen.insert(record.agency_id.clone()) {
                continue;
            }
            let v = attestation::verify(&record.signed, &keys, Some(&revoked), now_secs());
            let agency_name = v
                .record()
                .map(|a: &Attestation| a.agency_name.clone())
                .unwrap_or_else(|| record.agency_id.clone());
            let (status, reason) = match &v {
                Verification::Valid(a) => {
                    match a.binding(
                        &account.display_name,
                        account.photo_hash.as_deref(),
                        same_photo,
                    ) {
                        attestation::Binding::Holds => ("valid", None),
                        attestation::Binding::DisplayNameChanged { bound, current } => (
                            "display_name_changed",
                            Some(format!(
                                "the display name changed from \"{bound}\" to \"{current}\" since the agency vouched; it must vouch again"
                            )),
                        ),
                        attestation::Binding::PhotoChanged => (
                            "photo_changed",
                            Some(
                                "the photo changed since the agency vouched; it must vouch again"
                                    .to_string(),
                            ),
                        ),
                    }
                }
                other => (other.code(), Some(other.describe())),
            };
            out.push(Vouch {
                agency_name,
                counts: status == "valid",
                status,
                reason,
                record,
            });
        }
        Ok(out)
    }

    /// The staff an agency vouches for whose attestation counts now, with their accounts.
    pub async fn vouched_staff(
        &self,
        agency_id: &str,
    ) -> Result<Vec<(AttestationRecord, Account)>> {
        let mut out = Vec::new();
        for r in self.store.staff_of(agency_id).await? {
            if let Some(account) = self.store.account(&r.handle).await? {
                let counts = self
                    .vouches(&account)
                    .await?
                    .into_iter()
                    .any(|v| v.counts && v.record.agency_id == agency_id);
                if counts {
                    out.push((r, account));
                }
            }
        }
        Ok(out)
    }

    /// Signs and records an attestation of `agency` for `account`.
    pub(crate) async fn sign_attestation(
        &self,
        agency: &Agency,
        account: &Account,
        legal_name: &str,
        position: &str,
        actor: &str,
    ) -> Result<(AttestationRecord, Vec<AuditEvent>)> {
        let issued = now_secs();
        let vk = self.signer.verifying_key();
        let kid = key_id(&vk);
        let a = Attestation::new(
            &random_id("a"),
            &agency.id,
            &agency.name,
            &account.handle,
            legal_name,
            position,
            &account.display_name,
            account.photo_hash.as_deref(),
            issued,
            &kid,
        );
        let signed = sign(&a, self.signer.signing_key())
            .map_err(|e| ServiceError::new(ErrorKind::Internal, e.to_string()))?;
        let check = name_check(&account.display_name, legal_name);
        Ok(self
            .store
            .create_attestation(
                &NewAttestation {
                    serial: a.serial.clone(),
                    handle: account.handle.clone(),
                    agency_id: agency.id.clone(),
                    legal_name: legal_name.to_string(),
                    position: position.to_string(),
                    display_name: account.display_name.clone(),
                    photo_hash: account.photo_hash.clone(),
                    signed,
                    kid,
                    public_key: hex::encode(vk.as_bytes()),
                    name_check: serde_json::to_value(&check).unwrap_or_default(),
                    issued_at: issued * 1000,
                    created_by: actor.to_string(),
                },
                actor,
            )
            .await?)
    }

    /// The agency vouches that an account is its staff member: a signed attestation.
    pub async fn vouch(&self, actor: &Actor, id: &str, cmd: VouchForStaff) -> Result<Vouched> {
        let agency = self.agency_or_404(id).await?;
        may_act_for(actor, id)?;
        let legal_name = text_field("legal_name", &cmd.legal_name, true)?;
        let position = text_field("position", &cmd.position, true)?;
        let account = self.account_or_404(&cmd.handle).await?;
        let (record, events) = self
            .sign_attestation(&agency, &account, &legal_name, &position, &actor.name())
            .await?;
        self.after_commit(&events).await;
        Ok(Vouched {
            attestation: AttestationIssued {
                serial: record.serial.clone(),
                agency_id: record.agency_id.clone(),
                handle: record.handle.clone(),
                legal_name: record.legal_name.clone(),
                position: record.position.clone(),
                issued_at: record.issued_at,
                created_by: record.created_by.clone(),
            },
            signed_attestation: signed_value(&record.signed),
            name_check: record.name_check,
            account: self.account_view(account).await?,
        })
    }

    /// Revokes the agency's attestation for an account, with a reason.
    pub async fn revoke_vouch(
        &self,
        actor: &Actor,
        id: &str,
        handle: &str,
        reason: &str,
    ) -> Result<VouchRevoked> {
        let reason = text_field("reason", reason, true)?;
        self.agency_or_404(id).await?;
        may_act_for(actor, id)?;
        let account = self.account_or_404(handle).await?;
        let (record, events) = self
            .store
            .revoke_attestation(id, &account.handle, &reason, &actor.name())
            .await?;
        self.after_commit(&events).await;
        Ok(VouchRevoked {
            attestation: AttestationRevoked {
                serial: record.serial,
                agency_id: record.agency_id,
                handle: record.handle,
                revoked_at: record.revoked_at,
                revoke_reason: record.revoke_reason,
            },
        })
    }

    /// What is verified about a handle: as an account vouched for by agencies, and as an
    /// agency's page with a badge (public).
    pub async fn verify_handle(&self, handle: &str) -> Result<HandleVerification> {
        let handle = normalize_handle(handle).unwrap_or_else(|_| handle.trim().to_string());
        let account = self.store.account(&handle).await?;
        let mut staff = Vec::new();
        if let Some(a) = &account {
            for v in self.vouches(a).await? {
                let r = v.record;
                staff.push(StaffVouch {
                    agency_id: r.agency_id,
                    vouched_by: v.agency_name.clone(),
                    agency_name: v.agency_name,
                    legal_name: r.legal_name,
                    position: r.position,
                    since: r.issued_at,
                    since_text: format_time(r.issued_at.div_euclid(1000)),
                    recorded_by: r.created_by,
                    serial: r.serial,
                    status: v.status.to_string(),
                    valid: v.counts,
                    reason: v.reason,
                    revoked_at: r.revoked_at,
                    revoke_reason: r.revoke_reason,
                });
            }
        }
        let page = match self.store.agency_by_page_handle(&handle).await? {
            Some(agency) => {
                let p: PageStatus = self.page_status(&agency).await?;
                let b = p.badge.as_ref();
                Some(PageOfHandle {
                    agency_id: agency.id,
                    agency_name: agency.name,
                    domain: agency.official_domain,
                    verified: p.verified,
                    status: p.status.to_string(),
                    reason: p.reason.clone(),
                    since: b.map(|b| b.issued_at),
                    since_text: b.map(|b| format_time(b.issued_at.div_euclid(1000))),
                    expires: b.map(|b| b.expires_at),
                    approved_by: b.map(|b| b.approved_by.clone()),
                    serial: b.map(|b| b.serial.clone()),
                })
            }
            None => None,
        };
        let verified = staff.iter().any(|s| s.valid) || page.as_ref().is_some_and(|p| p.verified);
        Ok(HandleVerification {
            known: account.is_some() || page.is_some(),
            verified,
            account: account.map(|a| AccountSummary {
                has_photo: a.photo_hash.is_some(),
                display_name: a.display_name,
                role: a.role,
                display_name_changed_at: a.display_name_changed_at,
                photo_changed_at: a.photo_changed_at,
            }),
            staff,
            page,
            checked_at: format_time(now_secs()),
            handle,
        })
    }
}
