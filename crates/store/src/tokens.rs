//! API tokens: a role, the hash of the secret (never the secret itself) and, for an agency
//! officer, the one agency the token acts for.

use crate::audit::NewEvent;
use crate::identity::agency_exists;
use crate::model::TokenRecord;
use crate::{flag_col, now_ms, word_col, Result, Store};
use quytac_core::workflow::Role;
use sqlx::Row;

impl Store {
    /// Stores a token's hash with its role, bound to `agency_id` when given; returns the
    /// token's id.
    pub async fn create_token(
        &self,
        role: Role,
        label: &str,
        hash: &str,
        agency_id: Option<&str>,
        actor: &str,
    ) -> Result<i64> {
        let mut w = self.write().await?;
        if let Some(a) = agency_id {
            agency_exists(&mut w, a).await?;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO tokens (role, label, hash, created_at, revoked, agency_id) \
             VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
        )
        .bind(role.as_str())
        .bind(label)
        .bind(hash)
        .bind(now_ms())
        .bind(agency_id)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.audit(NewEvent::new(
            actor,
            "token.created",
            format!("token:{id}"),
            serde_json::json!({"role": role, "label": label, "agency_id": agency_id}),
        ))
        .await?;
        w.commit().await?;
        Ok(id)
    }

    pub async fn token(&self, id: i64) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(
            "SELECT id, role, label, hash, revoked, agency_id FROM tokens WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(TokenRecord {
                id: r.try_get("id")?,
                role: word_col(&r, "role")?,
                label: r.try_get("label")?,
                hash: r.try_get("hash")?,
                revoked: flag_col(&r, "revoked")?,
                agency_id: r.try_get("agency_id")?,
            })
        })
        .transpose()
    }

    /// The agency a token is bound to, if any.
    pub async fn token_agency(&self, token_id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT agency_id FROM tokens WHERE id = $1")
            .bind(token_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get("agency_id")?,
            None => None,
        })
    }
}

impl Store {
    /// Binds a citizen's token to the author it speaks for (the `author.id` of the posts the
    /// citizen wrote): that author's decisions are the ones the token may appeal.
    pub async fn bind_token_account(
        &self,
        token_id: i64,
        account: &str,
        actor: &str,
    ) -> Result<()> {
        let mut w = self.write().await?;
        let role: Role = match sqlx::query("SELECT role FROM tokens WHERE id = $1")
            .bind(token_id)
            .fetch_optional(&mut *w.tx)
            .await?
        {
            Some(r) => word_col(&r, "role")?,
            None => return Err(crate::StoreError::not_found(format!("no token {token_id}"))),
        };
        if role != Role::Citizen {
            return Err(crate::StoreError::conflict(
                "only a citizen's token speaks for an author",
            ));
        }
        sqlx::query("UPDATE tokens SET account_id = $1 WHERE id = $2")
            .bind(account)
            .bind(token_id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(NewEvent::new(
            actor,
            "token.account_bound",
            format!("token:{token_id}"),
            serde_json::json!({"account_id": account}),
        ))
        .await?;
        w.commit().await?;
        Ok(())
    }
}

impl crate::WriteTx<'_> {
    /// The author a token speaks for, read in this transaction (`None` for a token bound to
    /// none, or no token: the service's own actor).
    pub async fn token_account(&mut self, token_id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT account_id FROM tokens WHERE id = $1")
            .bind(token_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(match row {
            Some(r) => r.try_get("account_id")?,
            None => None,
        })
    }
}
