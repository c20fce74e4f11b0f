//! Identity and verification: agency officers bound to their agency, domain challenges and
//! badges of verified pages (AG-1), accounts with their display name and photo (CS-1, CS-2),
//! and staff attestations (CS-3). Signing happens in the service (quytac-core
//! `identity::badge`); the store keeps the signed documents and checks, inside the write
//! transaction, that what they name still holds.

use crate::audit::{AuditEvent, NewEvent, Table};
use crate::model::*;
use crate::{json_col, now_ms, word_col, Result, Store, StoreError, WriteTx};
use quytac_core::workflow::agency::{ChallengeMethod, SignedKind};
use sqlx::any::AnyRow;
use sqlx::Row;

const CHALLENGE_COLS: &str = "id, agency_id, domain, method, token, created_by, created_at, \
     expires_at, verified_at, attempts, last_error";
const BADGE_COLS: &str = "serial, agency_id, challenge_id, page_handle, domain, signed, kid, \
     public_key, issued_at, expires_at, approved_by, revoked_at, revoked_by, revoke_reason";
const ACCOUNT_COLS: &str = "handle, display_name, role, agency_id, workplace, photo_hash, \
     photo_report, created_by, created_at, updated_at, display_name_changed_at, photo_changed_at, \
     auth_method, auth_ref, birth_date, guardian, guardian_relation";
/// Records in force first, then the most recently revoked (times are whole seconds, so two
/// records issued in one second are told apart by what superseded what).
const IN_FORCE_FIRST: &str = "CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, \
     COALESCE(revoked_at, 0) DESC, issued_at DESC, serial";
const ATTESTATION_COLS: &str = "serial, handle, agency_id, legal_name, position, display_name, \
     photo_hash, signed, kid, public_key, name_check, issued_at, created_by, revoked_at, \
     revoked_by, revoke_reason";

pub(crate) async fn agency_exists(w: &mut WriteTx<'_>, id: &str) -> Result<()> {
    let found = sqlx::query("SELECT id FROM agencies WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *w.tx)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::not_found(format!("no agency `{id}`"))),
    }
}

impl Store {
    // ---- domain challenges ----------------------------------------------------------------

    /// Opens a domain challenge for the agency's official domain.
    pub async fn create_challenge(
        &self,
        agency_id: &str,
        domain: &str,
        method: ChallengeMethod,
        token: &str,
        expires_at: i64,
        actor: &str,
    ) -> Result<(DomainChallenge, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        agency_exists(&mut w, agency_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO domain_challenges (agency_id, domain, method, token, created_by, \
             created_at, expires_at, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, 0) RETURNING id",
        )
        .bind(agency_id)
        .bind(domain)
        .bind(method.as_str())
        .bind(token)
        .bind(actor)
        .bind(now_ms())
        .bind(expires_at)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.touch(Table::DomainChallenges, id);
        w.audit(NewEvent::new(
            actor,
            "domain_challenge.created",
            format!("agency:{agency_id}"),
            serde_json::json!({"challenge_id": id, "domain": domain, "method": method, "expires_at": expires_at}),
        ))
        .await?;
        let c = challenge_in(&mut w, id).await?;
        let events = w.commit().await?;
        Ok((c, events))
    }

    pub async fn challenge(&self, id: i64) -> Result<Option<DomainChallenge>> {
        sqlx::query(&format!(
            "SELECT {CHALLENGE_COLS} FROM domain_challenges WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| challenge_from(&r))
        .transpose()
    }

    /// The agency's most recent challenge.
    pub async fn latest_challenge(&self, agency_id: &str) -> Result<Option<DomainChallenge>> {
        sqlx::query(&format!(
            "SELECT {CHALLENGE_COLS} FROM domain_challenges WHERE agency_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(agency_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| challenge_from(&r))
        .transpose()
    }

    /// The most recent challenge of `agency_id` for `domain` verified at or after
    /// `verified_since`.
    pub async fn verified_challenge(
        &self,
        agency_id: &str,
        domain: &str,
        verified_since: i64,
    ) -> Result<Option<DomainChallenge>> {
        sqlx::query(&format!(
            "SELECT {CHALLENGE_COLS} FROM domain_challenges WHERE agency_id = $1 AND domain = $2 \
             AND verified_at IS NOT NULL AND verified_at >= $3 ORDER BY verified_at DESC LIMIT 1"
        ))
        .bind(agency_id)
        .bind(domain)
        .bind(verified_since)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| challenge_from(&r))
        .transpose()
    }

    /// Records an attempt to verify a challenge: `Ok(())` sets `verified_at`, `Err(why)`
    /// counts a failed attempt. Both are audit events.
    pub async fn record_challenge_attempt(
        &self,
        id: i64,
        outcome: std::result::Result<(), &str>,
        actor: &str,
    ) -> Result<(DomainChallenge, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let c = challenge_in(&mut w, id).await?;
        if c.verified_at.is_some() {
            return Err(StoreError::conflict(format!(
                "challenge {id} is already verified"
            )));
        }
        let now = now_ms();
        let (action, detail) = match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE domain_challenges SET verified_at = $1, attempts = attempts + 1, \
                     last_error = NULL WHERE id = $2",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
                ("domain_challenge.verified", None)
            }
            Err(why) => {
                sqlx::query(
                    "UPDATE domain_challenges SET attempts = attempts + 1, last_error = $1 WHERE id = $2",
                )
                .bind(why)
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
                ("domain_challenge.failed", Some(why))
            }
        };
        w.touch(Table::DomainChallenges, id);
        w.audit(NewEvent::new(
            actor,
            action,
            format!("agency:{}", c.agency_id),
            serde_json::json!({"challenge_id": id, "domain": c.domain, "method": c.method, "error": detail}),
        ))
        .await?;
        let c = challenge_in(&mut w, id).await?;
        let events = w.commit().await?;
        Ok((c, events))
    }

    // ---- badges ---------------------------------------------------------------------------

    /// Records an issued badge. The agency must still have the badge's domain and page
    /// handle, and the challenge must be verified for that domain. A badge in force for the
    /// agency is revoked as superseded in the same transaction.
    pub async fn issue_badge(
        &self,
        b: &NewBadge,
        actor: &str,
    ) -> Result<(BadgeRecord, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let agency = sqlx::query("SELECT official_domain, page_handle FROM agencies WHERE id = $1")
            .bind(&b.agency_id)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no agency `{}`", b.agency_id)))?;
        let domain: Option<String> = agency.try_get("official_domain")?;
        let handle: Option<String> = agency.try_get("page_handle")?;
        if domain.as_deref() != Some(b.domain.as_str())
            || handle.as_deref() != Some(b.page_handle.as_str())
        {
            return Err(StoreError::conflict(
                "the agency's domain or page handle changed while the badge was being issued",
            ));
        }
        let c = challenge_in(&mut w, b.challenge_id).await?;
        if c.agency_id != b.agency_id || c.domain != b.domain || c.verified_at.is_none() {
            return Err(StoreError::conflict(format!(
                "challenge {} is not a verified challenge of `{}` for {}",
                b.challenge_id, b.agency_id, b.domain
            )));
        }
        let now = now_ms();
        let previous: Vec<String> =
            sqlx::query("SELECT serial FROM badges WHERE agency_id = $1 AND revoked_at IS NULL")
                .bind(&b.agency_id)
                .fetch_all(&mut *w.tx)
                .await?
                .iter()
                .map(|r| r.try_get("serial"))
                .collect::<std::result::Result<_, _>>()?;
        for serial in previous {
            revoke_badge_in(
                &mut w,
                &b.agency_id,
                &serial,
                "superseded by a new badge",
                actor,
                now,
            )
            .await?;
        }
        sqlx::query(&format!(
            "INSERT INTO badges ({BADGE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, NULL)"
        ))
        .bind(&b.serial)
        .bind(&b.agency_id)
        .bind(b.challenge_id)
        .bind(&b.page_handle)
        .bind(&b.domain)
        .bind(&b.signed)
        .bind(&b.kid)
        .bind(&b.public_key)
        .bind(b.issued_at)
        .bind(b.expires_at)
        .bind(&b.approved_by)
        .execute(&mut *w.tx)
        .await?;
        w.touch(Table::Badges, b.serial.as_str());
        w.audit(NewEvent::new(
            actor,
            "badge.issued",
            format!("agency:{}", b.agency_id),
            serde_json::json!({
                "serial": b.serial, "challenge_id": b.challenge_id, "domain": b.domain,
                "page_handle": b.page_handle, "kid": b.kid, "issued_at": b.issued_at,
                "expires_at": b.expires_at,
            }),
        ))
        .await?;
        let badge = badge_in(&mut w, &b.serial).await?;
        let events = w.commit().await?;
        Ok((badge, events))
    }

    /// Revokes the agency's badge in force.
    pub async fn revoke_badge(
        &self,
        agency_id: &str,
        reason: &str,
        actor: &str,
    ) -> Result<(BadgeRecord, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let serial: String =
            sqlx::query("SELECT serial FROM badges WHERE agency_id = $1 AND revoked_at IS NULL")
                .bind(agency_id)
                .fetch_optional(&mut *w.tx)
                .await?
                .ok_or_else(|| {
                    StoreError::not_found(format!("agency `{agency_id}` has no badge in force"))
                })?
                .try_get("serial")?;
        revoke_badge_in(&mut w, agency_id, &serial, reason, actor, now_ms()).await?;
        let badge = badge_in(&mut w, &serial).await?;
        let events = w.commit().await?;
        Ok((badge, events))
    }

    /// The agency's badges: the one in force first, then the others by revocation, newest
    /// first.
    pub async fn badges_of(&self, agency_id: &str) -> Result<Vec<BadgeRecord>> {
        sqlx::query(&format!(
            "SELECT {BADGE_COLS} FROM badges WHERE agency_id = $1 ORDER BY {IN_FORCE_FIRST}"
        ))
        .bind(agency_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(badge_from)
        .collect()
    }

    pub async fn badge(&self, serial: &str) -> Result<Option<BadgeRecord>> {
        sqlx::query(&format!(
            "SELECT {BADGE_COLS} FROM badges WHERE serial = $1"
        ))
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| badge_from(&r))
        .transpose()
    }

    /// Every revoked badge and attestation, oldest revocation first.
    pub async fn revoked_serials(&self) -> Result<Vec<RevokedSerial>> {
        let mut out = Vec::new();
        for (kind, table) in [
            (SignedKind::Badge, "badges"),
            (SignedKind::Attestation, "staff_attestations"),
        ] {
            let rows = sqlx::query(&format!(
                "SELECT serial, revoked_at, revoke_reason FROM {table} WHERE revoked_at IS NOT NULL"
            ))
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push(RevokedSerial {
                    serial: r.try_get("serial")?,
                    kind,
                    revoked_at: r.try_get("revoked_at")?,
                    reason: r
                        .try_get::<Option<String>, _>("revoke_reason")?
                        .unwrap_or_default(),
                });
            }
        }
        out.sort_by(|a, b| (a.revoked_at, &a.serial).cmp(&(b.revoked_at, &b.serial)));
        Ok(out)
    }

    /// The (key id, public key) pairs that signed any badge or attestation.
    pub async fn signing_keys(&self) -> Result<Vec<(String, String)>> {
        sqlx::query(
            "SELECT kid, public_key FROM badges UNION SELECT kid, public_key FROM staff_attestations \
             ORDER BY kid",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("kid")?, r.try_get("public_key")?)))
        .collect()
    }

    // ---- accounts -------------------------------------------------------------------------

    pub async fn create_account(
        &self,
        a: &NewAccount,
        actor: &str,
    ) -> Result<(Account, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let taken = sqlx::query("SELECT handle FROM accounts WHERE handle = $1")
            .bind(&a.handle)
            .fetch_optional(&mut *w.tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::conflict(format!(
                "an account `{}` already exists",
                a.handle
            )));
        }
        if let Some(agency) = &a.agency_id {
            agency_exists(&mut w, agency).await?;
        }
        let now = now_ms();
        let report = a.photo.as_ref().map(|p| p.report.to_string());
        sqlx::query(&format!(
            "INSERT INTO accounts ({ACCOUNT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(&a.handle)
        .bind(&a.display_name)
        .bind(a.role.as_str())
        .bind(&a.agency_id)
        .bind(&a.workplace)
        .bind(a.photo.as_ref().map(|p| p.hash.clone()))
        .bind(report)
        .bind(actor)
        .bind(now)
        .bind(a.photo.as_ref().map(|_| now))
        .bind(a.decree.auth_method.as_str())
        .bind(&a.decree.auth_ref)
        .bind(&a.decree.birth_date)
        .bind(&a.decree.guardian)
        .bind(&a.decree.guardian_relation)
        .execute(&mut *w.tx)
        .await?;
        w.touch(Table::Accounts, a.handle.as_str());
        w.audit(NewEvent::new(
            actor,
            "account.created",
            format!("account:{}", a.handle),
            serde_json::json!({
                "display_name": a.display_name, "role": a.role, "agency_id": a.agency_id,
                "workplace": a.workplace, "photo_hash": a.photo.as_ref().map(|p| &p.hash),
                "auth_method": a.decree.auth_method, "birth_date": a.decree.birth_date,
                "guardian": a.decree.guardian, "guardian_relation": a.decree.guardian_relation,
            }),
        ))
        .await?;
        let account = account_in(&mut w, &a.handle).await?;
        let events = w.commit().await?;
        Ok((account, events))
    }

    pub async fn account(&self, handle: &str) -> Result<Option<Account>> {
        sqlx::query(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE handle = $1"
        ))
        .bind(handle)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| account_from(&r))
        .transpose()
    }

    /// The accounts of these handles that exist, in one query per 1000 handles (a batch's
    /// authors are looked up at once, not one per post).
    pub async fn accounts(&self, handles: &[&str]) -> Result<Vec<Account>> {
        let mut out = Vec::with_capacity(handles.len());
        for chunk in handles.chunks(1000) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {ACCOUNT_COLS} FROM accounts WHERE handle IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for h in chunk {
                q = q.bind(*h);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(account_from(&r)?);
            }
        }
        Ok(out)
    }

    /// Changes an account. The audit event names the fields changed and, when the display
    /// name or the photo changed, the attestations in force that bound the old ones (they
    /// stop counting until the agency vouches again).
    pub async fn update_account(
        &self,
        handle: &str,
        c: &AccountChanges,
        actor: &str,
    ) -> Result<(Account, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let before = account_in(&mut w, handle).await?;
        if let Some(Some(agency)) = &c.agency_id {
            agency_exists(&mut w, agency).await?;
        }
        let now = now_ms();
        let mut changed = serde_json::Map::new();
        let display_name = patched(
            &mut changed,
            "display_name",
            &c.display_name,
            &before.display_name,
        );
        let role = patched(&mut changed, "role", &c.role, &before.role);
        let agency_id = patched(&mut changed, "agency_id", &c.agency_id, &before.agency_id);
        let workplace = patched(&mut changed, "workplace", &c.workplace, &before.workplace);
        let (photo_hash, photo_report, photo_changed_at) = match &c.photo {
            Some(p) if p.as_ref().map(|p| &p.hash) != before.photo_hash.as_ref() => {
                changed.insert(
                    "photo_hash".into(),
                    serde_json::json!({"from": before.photo_hash, "to": p.as_ref().map(|p| &p.hash)}),
                );
                (
                    p.as_ref().map(|p| p.hash.clone()),
                    p.as_ref().map(|p| p.report.clone()),
                    Some(now),
                )
            }
            _ => (
                before.photo_hash.clone(),
                before.photo_report.clone(),
                before.photo_changed_at,
            ),
        };
        let before_decree = decree_of(&before);
        let decree = match &c.decree {
            Some(d) if *d != before_decree => {
                changed.insert(
                    "decree".into(),
                    serde_json::json!({
                        "auth_method": {"from": before_decree.auth_method, "to": d.auth_method},
                        "birth_date": {"from": before_decree.birth_date, "to": d.birth_date},
                        "guardian": {"from": before_decree.guardian, "to": d.guardian},
                        "guardian_relation": {"from": before_decree.guardian_relation, "to": d.guardian_relation},
                    }),
                );
                d.clone()
            }
            _ => before_decree,
        };
        if changed.is_empty() {
            let events = w.commit().await?;
            return Ok((before, events));
        }
        let display_changed_at = if display_name != before.display_name {
            now
        } else {
            before.display_name_changed_at
        };
        sqlx::query(
            "UPDATE accounts SET display_name = $1, role = $2, agency_id = $3, workplace = $4, \
             photo_hash = $5, photo_report = $6, updated_at = $7, display_name_changed_at = $8, \
             photo_changed_at = $9, auth_method = $11, auth_ref = $12, birth_date = $13, \
             guardian = $14, guardian_relation = $15 WHERE handle = $10",
        )
        .bind(&display_name)
        .bind(role.as_str())
        .bind(&agency_id)
        .bind(&workplace)
        .bind(&photo_hash)
        .bind(photo_report.map(|r| r.to_string()))
        .bind(now)
        .bind(display_changed_at)
        .bind(photo_changed_at)
        .bind(handle)
        .bind(decree.auth_method.as_str())
        .bind(&decree.auth_ref)
        .bind(&decree.birth_date)
        .bind(&decree.guardian)
        .bind(&decree.guardian_relation)
        .execute(&mut *w.tx)
        .await?;
        let mut unbound = Vec::new();
        if changed.contains_key("display_name") || changed.contains_key("photo_hash") {
            for r in sqlx::query(
                "SELECT serial FROM staff_attestations WHERE handle = $1 AND revoked_at IS NULL ORDER BY serial",
            )
            .bind(handle)
            .fetch_all(&mut *w.tx)
            .await?
            {
                unbound.push(r.try_get::<String, _>("serial")?);
            }
        }
        w.touch(Table::Accounts, handle);
        w.audit(NewEvent::new(
            actor,
            "account.updated",
            format!("account:{handle}"),
            serde_json::json!({"changed": changed, "attestations_no_longer_binding": unbound}),
        ))
        .await?;
        let account = account_in(&mut w, handle).await?;
        let events = w.commit().await?;
        Ok((account, events))
    }

    /// (handle, photo hash) of every account with a photo except `handle`.
    pub async fn photo_hashes_except(&self, handle: &str) -> Result<Vec<(String, String)>> {
        sqlx::query(
            "SELECT handle, photo_hash FROM accounts WHERE photo_hash IS NOT NULL AND handle <> $1 ORDER BY handle",
        )
        .bind(handle)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("handle")?, r.try_get("photo_hash")?)))
        .collect()
    }

    /// Accounts whose handle or display name contains `q` (ASCII case-insensitive).
    pub async fn search_accounts(&self, q: &str, limit: i64) -> Result<Vec<Account>> {
        let pattern = like_pattern(q);
        sqlx::query(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE LOWER(handle) LIKE $1 ESCAPE '\\' \
             OR LOWER(display_name) LIKE $1 ESCAPE '\\' ORDER BY handle LIMIT $2"
        ))
        .bind(&pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(account_from)
        .collect()
    }

    // ---- staff attestations ---------------------------------------------------------------

    /// Records an attestation. The account must still have the display name and photo that
    /// the attestation binds; one in force from the same agency is revoked as superseded.
    pub async fn create_attestation(
        &self,
        a: &NewAttestation,
        actor: &str,
    ) -> Result<(AttestationRecord, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        agency_exists(&mut w, &a.agency_id).await?;
        let account = account_in(&mut w, &a.handle).await?;
        if account.display_name != a.display_name || account.photo_hash != a.photo_hash {
            return Err(StoreError::conflict(
                "the account's display name or photo changed while the attestation was being signed",
            ));
        }
        let now = now_ms();
        let previous: Vec<String> = sqlx::query(
            "SELECT serial FROM staff_attestations WHERE handle = $1 AND agency_id = $2 AND revoked_at IS NULL",
        )
        .bind(&a.handle)
        .bind(&a.agency_id)
        .fetch_all(&mut *w.tx)
        .await?
        .iter()
        .map(|r| r.try_get("serial"))
        .collect::<std::result::Result<_, _>>()?;
        for serial in previous {
            revoke_attestation_in(
                &mut w,
                &serial,
                "superseded: the agency vouched again",
                actor,
                now,
            )
            .await?;
        }
        sqlx::query(&format!(
            "INSERT INTO staff_attestations ({ATTESTATION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL, NULL)"
        ))
        .bind(&a.serial)
        .bind(&a.handle)
        .bind(&a.agency_id)
        .bind(&a.legal_name)
        .bind(&a.position)
        .bind(&a.display_name)
        .bind(&a.photo_hash)
        .bind(&a.signed)
        .bind(&a.kid)
        .bind(&a.public_key)
        .bind(a.name_check.to_string())
        .bind(a.issued_at)
        .bind(&a.created_by)
        .execute(&mut *w.tx)
        .await?;
        w.touch(Table::StaffAttestations, a.serial.as_str());
        w.audit(NewEvent::new(
            actor,
            "staff.vouched",
            format!("account:{}", a.handle),
            serde_json::json!({
                "serial": a.serial, "agency_id": a.agency_id, "legal_name": a.legal_name,
                "position": a.position, "display_name": a.display_name, "photo_hash": a.photo_hash,
                "name_check": a.name_check, "kid": a.kid,
            }),
        ))
        .await?;
        let rec = attestation_in(&mut w, &a.serial).await?;
        let events = w.commit().await?;
        Ok((rec, events))
    }

    /// Revokes the attestation in force of `agency_id` for `handle`.
    pub async fn revoke_attestation(
        &self,
        agency_id: &str,
        handle: &str,
        reason: &str,
        actor: &str,
    ) -> Result<(AttestationRecord, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let serial: String = sqlx::query(
            "SELECT serial FROM staff_attestations WHERE handle = $1 AND agency_id = $2 AND revoked_at IS NULL",
        )
        .bind(handle)
        .bind(agency_id)
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or_else(|| {
            StoreError::not_found(format!(
                "agency `{agency_id}` has no attestation in force for `{handle}`"
            ))
        })?
        .try_get("serial")?;
        revoke_attestation_in(&mut w, &serial, reason, actor, now_ms()).await?;
        let rec = attestation_in(&mut w, &serial).await?;
        let events = w.commit().await?;
        Ok((rec, events))
    }

    /// The attestations about `handle`: those in force first, then the others by revocation,
    /// newest first.
    pub async fn attestations_of(&self, handle: &str) -> Result<Vec<AttestationRecord>> {
        sqlx::query(&format!(
            "SELECT {ATTESTATION_COLS} FROM staff_attestations WHERE handle = $1 ORDER BY {IN_FORCE_FIRST}"
        ))
        .bind(handle)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(attestation_from)
        .collect()
    }

    /// The attestations in force of an agency, by handle.
    pub async fn staff_of(&self, agency_id: &str) -> Result<Vec<AttestationRecord>> {
        sqlx::query(&format!(
            "SELECT {ATTESTATION_COLS} FROM staff_attestations WHERE agency_id = $1 AND revoked_at IS NULL ORDER BY handle"
        ))
        .bind(agency_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(attestation_from)
        .collect()
    }
}

/// `%q%` for LIKE, ASCII-lowercased (as SQLite's LOWER), with `%`, `_` and `\` escaped.
pub(crate) fn like_pattern(q: &str) -> String {
    let mut p = String::from("%");
    for c in q.trim().to_ascii_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

pub(crate) async fn revoke_badge_in(
    w: &mut WriteTx<'_>,
    agency_id: &str,
    serial: &str,
    reason: &str,
    actor: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE badges SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE serial = $4",
    )
    .bind(now)
    .bind(actor)
    .bind(reason)
    .bind(serial)
    .execute(&mut *w.tx)
    .await?;
    w.touch(Table::Badges, serial);
    w.audit(NewEvent::new(
        actor,
        "badge.revoked",
        format!("agency:{agency_id}"),
        serde_json::json!({"serial": serial, "reason": reason}),
    ))
    .await
}

async fn revoke_attestation_in(
    w: &mut WriteTx<'_>,
    serial: &str,
    reason: &str,
    actor: &str,
    now: i64,
) -> Result<()> {
    let rec = attestation_in(w, serial).await?;
    sqlx::query(
        "UPDATE staff_attestations SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE serial = $4",
    )
    .bind(now)
    .bind(actor)
    .bind(reason)
    .bind(serial)
    .execute(&mut *w.tx)
    .await?;
    w.touch(Table::StaffAttestations, serial);
    w.audit(NewEvent::new(
        actor,
        "staff.revoked",
        format!("account:{}", rec.handle),
        serde_json::json!({"serial": serial, "agency_id": rec.agency_id, "reason": reason}),
    ))
    .await
}

/// The value of a field after a patch that may change it (`None`: left as it is); a change is
/// recorded in `changed` as `{"from", "to"}` for the audit event.
fn patched<T: Clone + PartialEq + serde::Serialize>(
    changed: &mut serde_json::Map<String, serde_json::Value>,
    field: &str,
    new: &Option<T>,
    old: &T,
) -> T {
    match new {
        Some(v) if v != old => {
            changed.insert(field.into(), serde_json::json!({"from": old, "to": v}));
            v.clone()
        }
        _ => old.clone(),
    }
}

async fn challenge_in(w: &mut WriteTx<'_>, id: i64) -> Result<DomainChallenge> {
    let sql = format!("SELECT {CHALLENGE_COLS} FROM domain_challenges WHERE id = $1");
    crate::fetch_one(w, "domain challenge", &sql, id, challenge_from).await
}

async fn badge_in(w: &mut WriteTx<'_>, serial: &str) -> Result<BadgeRecord> {
    let sql = format!("SELECT {BADGE_COLS} FROM badges WHERE serial = $1");
    crate::fetch_one(w, "badge", &sql, serial, badge_from).await
}

async fn account_in(w: &mut WriteTx<'_>, handle: &str) -> Result<Account> {
    let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE handle = $1");
    crate::fetch_one(w, "account", &sql, handle, account_from).await
}

async fn attestation_in(w: &mut WriteTx<'_>, serial: &str) -> Result<AttestationRecord> {
    let sql = format!("SELECT {ATTESTATION_COLS} FROM staff_attestations WHERE serial = $1");
    crate::fetch_one(w, "attestation", &sql, serial, attestation_from).await
}

fn challenge_from(r: &AnyRow) -> Result<DomainChallenge> {
    Ok(DomainChallenge {
        id: r.try_get("id")?,
        agency_id: r.try_get("agency_id")?,
        domain: r.try_get("domain")?,
        method: word_col(r, "method")?,
        token: r.try_get("token")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        verified_at: r.try_get("verified_at")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
    })
}

fn badge_from(r: &AnyRow) -> Result<BadgeRecord> {
    Ok(BadgeRecord {
        serial: r.try_get("serial")?,
        agency_id: r.try_get("agency_id")?,
        challenge_id: r.try_get("challenge_id")?,
        page_handle: r.try_get("page_handle")?,
        domain: r.try_get("domain")?,
        signed: r.try_get("signed")?,
        kid: r.try_get("kid")?,
        public_key: r.try_get("public_key")?,
        issued_at: r.try_get("issued_at")?,
        expires_at: r.try_get("expires_at")?,
        approved_by: r.try_get("approved_by")?,
        revoked_at: r.try_get("revoked_at")?,
        revoked_by: r.try_get("revoked_by")?,
        revoke_reason: r.try_get("revoke_reason")?,
    })
}

fn account_from(r: &AnyRow) -> Result<Account> {
    let report: Option<String> = r.try_get("photo_report")?;
    Ok(Account {
        handle: r.try_get("handle")?,
        display_name: r.try_get("display_name")?,
        role: word_col(r, "role")?,
        agency_id: r.try_get("agency_id")?,
        workplace: r.try_get("workplace")?,
        photo_hash: r.try_get("photo_hash")?,
        photo_report: report.and_then(|s| serde_json::from_str(&s).ok()),
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        display_name_changed_at: r.try_get("display_name_changed_at")?,
        photo_changed_at: r.try_get("photo_changed_at")?,
        auth_method: word_col(r, "auth_method")?,
        auth_ref: r.try_get("auth_ref")?,
        birth_date: r.try_get("birth_date")?,
        guardian: r.try_get("guardian")?,
        guardian_relation: r.try_get("guardian_relation")?,
    })
}

/// The Decree 147 record of an account as stored.
pub fn decree_of(a: &Account) -> AccountDecree {
    AccountDecree {
        auth_method: a.auth_method,
        auth_ref: a.auth_ref.clone(),
        birth_date: a.birth_date.clone(),
        guardian: a.guardian.clone(),
        guardian_relation: a.guardian_relation.clone(),
    }
}

fn attestation_from(r: &AnyRow) -> Result<AttestationRecord> {
    Ok(AttestationRecord {
        serial: r.try_get("serial")?,
        handle: r.try_get("handle")?,
        agency_id: r.try_get("agency_id")?,
        legal_name: r.try_get("legal_name")?,
        position: r.try_get("position")?,
        display_name: r.try_get("display_name")?,
        photo_hash: r.try_get("photo_hash")?,
        signed: r.try_get("signed")?,
        kid: r.try_get("kid")?,
        public_key: r.try_get("public_key")?,
        name_check: json_col(r, "name_check")?,
        issued_at: r.try_get("issued_at")?,
        created_by: r.try_get("created_by")?,
        revoked_at: r.try_get("revoked_at")?,
        revoked_by: r.try_get("revoked_by")?,
        revoke_reason: r.try_get("revoke_reason")?,
    })
}
