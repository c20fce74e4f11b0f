//! State agencies: the registry that identity (verified pages, vouching) and accountability
//! (inquiries, consultations, portal feeds) both hang off.

use crate::audit::{AuditEvent, NewEvent, Table};
use crate::model::{Agency, AgencyChanges, NewAgency, Responsible};
use crate::{now_ms, Result, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;

const AGENCY_COLS: &str = "id, name, parent_id, official_domain, page_handle, portal_feed_url, \
     response_working_days, responsible, competent_authority, created_at, updated_at";

impl Store {
    /// Registers an agency. Its id, and its page handle when given, must be new; a parent must
    /// already exist.
    pub async fn create_agency(&self, a: &NewAgency, actor: &str) -> Result<Agency> {
        let mut w = self.write().await?;
        let taken = sqlx::query("SELECT id FROM agencies WHERE id = $1 OR page_handle = $2")
            .bind(&a.id)
            .bind(&a.page_handle)
            .fetch_optional(&mut *w.tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::conflict(format!(
                "an agency with id `{}` or that page handle already exists",
                a.id
            )));
        }
        if let Some(parent) = &a.parent_id {
            let found = sqlx::query("SELECT id FROM agencies WHERE id = $1")
                .bind(parent)
                .fetch_optional(&mut *w.tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::not_found(format!(
                    "no parent agency `{parent}`"
                )));
            }
        }
        let now = now_ms();
        let responsible = serde_json::to_string(&a.responsible)
            .map_err(|e| StoreError::conflict(format!("responsible persons: {e}")))?;
        sqlx::query(
            "INSERT INTO agencies (id, name, parent_id, official_domain, page_handle, portal_feed_url, \
             response_working_days, responsible, competent_authority, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(&a.id)
        .bind(&a.name)
        .bind(&a.parent_id)
        .bind(&a.official_domain)
        .bind(&a.page_handle)
        .bind(&a.portal_feed_url)
        .bind(a.response_working_days)
        .bind(&responsible)
        .bind(a.competent_authority as i64)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
        w.touch(Table::Agencies, a.id.as_str());
        w.audit(NewEvent::new(
            actor,
            "agency.created",
            format!("agency:{}", a.id),
            serde_json::json!({
                "name": a.name, "parent_id": a.parent_id, "official_domain": a.official_domain,
                "page_handle": a.page_handle, "portal_feed_url": a.portal_feed_url,
                "response_working_days": a.response_working_days, "responsible": a.responsible,
                "competent_authority": a.competent_authority,
            }),
        ))
        .await?;
        w.commit().await?;
        self.agency(&a.id)
            .await?
            .ok_or_else(|| StoreError::not_found("agency vanished"))
    }

    pub async fn agency(&self, id: &str) -> Result<Option<Agency>> {
        let row = sqlx::query(&format!("SELECT {AGENCY_COLS} FROM agencies WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| agency_from(&r)).transpose()
    }

    /// All agencies, by id.
    pub async fn list_agencies(&self) -> Result<Vec<Agency>> {
        sqlx::query(&format!("SELECT {AGENCY_COLS} FROM agencies ORDER BY id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(agency_from)
            .collect()
    }

    /// Agencies whose id, name, page handle or domain contains `q` (ASCII case-insensitive).
    pub async fn search_agencies(&self, q: &str, limit: i64) -> Result<Vec<Agency>> {
        let pattern = crate::identity::like_pattern(q);
        sqlx::query(&format!(
            "SELECT {AGENCY_COLS} FROM agencies WHERE LOWER(id) LIKE $1 ESCAPE '\\' \
             OR LOWER(name) LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(page_handle, '')) LIKE $1 ESCAPE '\\' \
             OR LOWER(COALESCE(official_domain, '')) LIKE $1 ESCAPE '\\' ORDER BY id LIMIT $2"
        ))
        .bind(&pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(agency_from)
        .collect()
    }

    /// The agency whose page has this handle.
    pub async fn agency_by_page_handle(&self, handle: &str) -> Result<Option<Agency>> {
        let row = sqlx::query(&format!(
            "SELECT {AGENCY_COLS} FROM agencies WHERE page_handle = $1"
        ))
        .bind(handle)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| agency_from(&r)).transpose()
    }

    /// Changes an agency's name, official domain, page handle or responsible persons. A
    /// change of domain or page handle revokes the badge in force (it names them) in the same
    /// transaction.
    pub async fn update_agency(
        &self,
        id: &str,
        c: &AgencyChanges,
        actor: &str,
    ) -> Result<(Agency, Vec<AuditEvent>)> {
        let mut w = self.write().await?;
        let before = sqlx::query(&format!("SELECT {AGENCY_COLS} FROM agencies WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *w.tx)
            .await?
            .map(|r| agency_from(&r))
            .transpose()?
            .ok_or_else(|| StoreError::not_found(format!("no agency `{id}`")))?;
        let mut changed = serde_json::Map::new();
        let name = c.name.clone().unwrap_or_else(|| before.name.clone());
        if name != before.name {
            changed.insert(
                "name".into(),
                serde_json::json!({"from": before.name, "to": name}),
            );
        }
        let domain = c
            .official_domain
            .clone()
            .unwrap_or_else(|| before.official_domain.clone());
        if domain != before.official_domain {
            changed.insert(
                "official_domain".into(),
                serde_json::json!({"from": before.official_domain, "to": domain}),
            );
        }
        let handle = c
            .page_handle
            .clone()
            .unwrap_or_else(|| before.page_handle.clone());
        if handle != before.page_handle {
            if let Some(h) = &handle {
                let taken =
                    sqlx::query("SELECT id FROM agencies WHERE page_handle = $1 AND id <> $2")
                        .bind(h)
                        .bind(id)
                        .fetch_optional(&mut *w.tx)
                        .await?;
                if taken.is_some() {
                    return Err(StoreError::conflict(format!(
                        "another agency already has the page handle `{h}`"
                    )));
                }
            }
            changed.insert(
                "page_handle".into(),
                serde_json::json!({"from": before.page_handle, "to": handle}),
            );
        }
        let responsible = c
            .responsible
            .clone()
            .unwrap_or_else(|| before.responsible.clone());
        if responsible != before.responsible {
            changed.insert(
                "responsible".into(),
                serde_json::json!({"from": before.responsible, "to": responsible}),
            );
        }
        let competent = c.competent_authority.unwrap_or(before.competent_authority);
        if competent != before.competent_authority {
            changed.insert(
                "competent_authority".into(),
                serde_json::json!({"from": before.competent_authority, "to": competent}),
            );
        }
        if changed.is_empty() {
            let events = w.commit().await?;
            return Ok((before, events));
        }
        let responsible_json = serde_json::to_string(&responsible)
            .map_err(|e| StoreError::conflict(format!("responsible persons: {e}")))?;
        sqlx::query(
            "UPDATE agencies SET name = $1, official_domain = $2, page_handle = $3, \
             responsible = $4, competent_authority = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(&name)
        .bind(&domain)
        .bind(&handle)
        .bind(&responsible_json)
        .bind(competent as i64)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        w.touch(Table::Agencies, id);
        w.audit(NewEvent::new(
            actor,
            "agency.updated",
            format!("agency:{id}"),
            serde_json::json!({"changed": changed}),
        ))
        .await?;
        if changed.contains_key("official_domain") || changed.contains_key("page_handle") {
            let in_force = sqlx::query(
                "SELECT serial FROM badges WHERE agency_id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .fetch_optional(&mut *w.tx)
            .await?;
            if let Some(r) = in_force {
                let serial: String = r.try_get("serial")?;
                crate::identity::revoke_badge_in(
                    &mut w,
                    id,
                    &serial,
                    "the agency's official domain or page handle changed",
                    actor,
                    now_ms(),
                )
                .await?;
            }
        }
        let after = sqlx::query(&format!("SELECT {AGENCY_COLS} FROM agencies WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *w.tx)
            .await?;
        let after = agency_from(&after)?;
        let events = w.commit().await?;
        Ok((after, events))
    }
}

impl crate::WriteTx<'_> {
    /// An agency, read in this transaction (who may act in its name is judged on it).
    pub async fn agency(&mut self, id: &str) -> Result<Option<Agency>> {
        let sql = format!("SELECT {AGENCY_COLS} FROM agencies WHERE id = $1");
        crate::fetch_optional(self, &sql, id, agency_from).await
    }
}

fn agency_from(r: &AnyRow) -> Result<Agency> {
    let responsible: String = r.try_get("responsible")?;
    Ok(Agency {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        parent_id: r.try_get("parent_id")?,
        official_domain: r.try_get("official_domain")?,
        page_handle: r.try_get("page_handle")?,
        portal_feed_url: r.try_get("portal_feed_url")?,
        response_working_days: r.try_get("response_working_days")?,
        responsible: serde_json::from_str::<Responsible>(&responsible).unwrap_or_default(),
        competent_authority: crate::flag_col(r, "competent_authority")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}
