//! Badges of verified pages (AG-1): issued by a reviewer for an agency whose domain challenge
//! is verified, signed with the service's Ed25519 key; revoked with a reason. The published
//! keys and revocation list let anyone verify them offline.

use super::challenges::CHALLENGE_VALID_MS;
use super::{now_secs, random_id, signed_value, text_field};
use crate::{Actor, ErrorKind, Result, Service, ServiceError};
use quytac_core::identity::badge::{
    self, format_time, key_id, sign, Badge, KeySet, PublicKey, Revocation, RevocationList,
};
use quytac_store::audit::AuditEvent;
use quytac_store::model::{Agency, BadgeRecord, NewBadge};
use quytac_store::now_ms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Badge validity, default and maximum, in days.
pub const BADGE_DAYS: i64 = 365;
pub const BADGE_MAX_DAYS: i64 = 730;

/// Issue a badge.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBadge {
    /// Days the badge is valid, 1–730; 365 by default.
    #[serde(default)]
    pub valid_days: Option<i64>,
}

/// A badge as recorded, with the signed document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadgeView {
    pub serial: String,
    pub domain: String,
    pub page_handle: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub approved_by: String,
    pub kid: String,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
    /// The badge exactly as signed.
    #[schema(value_type = Object)]
    pub signed_badge: serde_json::Value,
}

impl BadgeView {
    pub fn of(b: &BadgeRecord) -> BadgeView {
        BadgeView {
            serial: b.serial.clone(),
            domain: b.domain.clone(),
            page_handle: b.page_handle.clone(),
            issued_at: b.issued_at,
            expires_at: b.expires_at,
            approved_by: b.approved_by.clone(),
            kid: b.kid.clone(),
            revoked_at: b.revoked_at,
            revoke_reason: b.revoke_reason.clone(),
            signed_badge: signed_value(&b.signed),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadgeIssued {
    #[schema(value_type = Object)]
    pub signed_badge: serde_json::Value,
    pub badge: BadgeView,
    /// Where the keys are published.
    pub keys: String,
    /// Where the revocations are published.
    pub revocations: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadgeRevoked {
    pub badge: BadgeView,
}

/// `/.well-known/quytac-revocations.json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevocationsDocument {
    pub revoked: Vec<Revocation>,
    /// When the list was made, `YYYY-MM-DDTHH:MM:SSZ`.
    pub updated: String,
}

impl Service {
    /// The keys that verify what the service signed: the current one first, then any earlier
    /// key that signed a badge or an attestation still on record.
    pub async fn key_set(&self) -> Result<KeySet> {
        let mut keys = KeySet::of(&[self.signer.verifying_key()]);
        for (kid, public_key) in self.store.signing_keys().await? {
            if keys.keys.iter().all(|k| k.kid != kid) {
                keys.keys.push(PublicKey {
                    kid,
                    alg: badge::ALG.to_string(),
                    public_key,
                });
            }
        }
        Ok(keys)
    }

    pub async fn revocation_list(&self) -> Result<RevocationList> {
        Ok(RevocationList {
            revoked: self
                .store
                .revoked_serials()
                .await?
                .into_iter()
                .map(|r| Revocation {
                    serial: r.serial,
                    at: format_time(r.revoked_at.div_euclid(1000)),
                    reason: r.reason,
                })
                .collect(),
        })
    }

    /// The public revocation list, dated now.
    pub async fn revocations_document(&self) -> Result<RevocationsDocument> {
        Ok(RevocationsDocument {
            revoked: self.revocation_list().await?.revoked,
            updated: format_time(now_secs()),
        })
    }

    /// Signs and records a badge for an agency whose domain challenge is verified.
    pub(crate) async fn sign_badge(
        &self,
        agency: &Agency,
        valid_days: i64,
        actor: &str,
    ) -> Result<(BadgeRecord, Vec<AuditEvent>)> {
        let (Some(domain), Some(handle)) = (&agency.official_domain, &agency.page_handle) else {
            return Err(ServiceError::new(
                ErrorKind::Conflict,
                "a badge needs the agency's official domain and page handle",
            ));
        };
        let challenge = self
            .store
            .verified_challenge(&agency.id, domain, now_ms() - CHALLENGE_VALID_MS)
            .await?
            .ok_or_else(|| {
                ServiceError::new(
                    ErrorKind::DomainNotVerified,
                    format!(
                        "no domain challenge for {domain} verified in the last 30 days: the \
                         agency must prove control of its domain first"
                    ),
                )
            })?;
        let issued = now_secs();
        let expires = issued + valid_days * 86_400;
        let vk = self.signer.verifying_key();
        let kid = key_id(&vk);
        let b = Badge::new(
            &random_id("b"),
            &agency.id,
            &agency.name,
            handle,
            domain,
            issued,
            expires,
            &kid,
        );
        let signed = sign(&b, self.signer.signing_key())
            .map_err(|e| ServiceError::new(ErrorKind::Internal, e.to_string()))?;
        Ok(self
            .store
            .issue_badge(
                &NewBadge {
                    serial: b.serial.clone(),
                    agency_id: agency.id.clone(),
                    challenge_id: challenge.id,
                    page_handle: handle.clone(),
                    domain: domain.clone(),
                    signed,
                    kid,
                    public_key: hex::encode(vk.as_bytes()),
                    issued_at: issued * 1000,
                    expires_at: expires * 1000,
                    approved_by: actor.to_string(),
                },
                actor,
            )
            .await?)
    }

    /// Approves the verified page: a signed badge (admins and reviewers, by the route table).
    pub async fn issue_badge(
        &self,
        actor: &Actor,
        id: &str,
        cmd: IssueBadge,
    ) -> Result<BadgeIssued> {
        let days = cmd.valid_days.unwrap_or(BADGE_DAYS);
        if !(1..=BADGE_MAX_DAYS).contains(&days) {
            return Err(ServiceError::invalid_field(format!(
                "`valid_days` must be 1–{BADGE_MAX_DAYS}"
            )));
        }
        let agency = self.agency_or_404(id).await?;
        let (record, events) = self.sign_badge(&agency, days, &actor.name()).await?;
        self.after_commit(&events).await;
        Ok(BadgeIssued {
            signed_badge: signed_value(&record.signed),
            badge: BadgeView::of(&record),
            keys: "/.well-known/quytac-keys.json".into(),
            revocations: "/.well-known/quytac-revocations.json".into(),
        })
    }

    /// Revokes the agency's badge in force, with a reason.
    pub async fn revoke_badge(
        &self,
        actor: &Actor,
        id: &str,
        reason: &str,
    ) -> Result<BadgeRevoked> {
        let reason = text_field("reason", reason, true)?;
        self.agency_or_404(id).await?;
        let (record, events) = self.store.revoke_badge(id, &reason, &actor.name()).await?;
        self.after_commit(&events).await;
        Ok(BadgeRevoked {
            badge: BadgeView::of(&record),
        })
    }
}
