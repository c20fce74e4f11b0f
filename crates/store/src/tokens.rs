//! API tokens: a role, the hash of the secret (never the secret itself), an optional expiry
//! and, for an agency officer, the one agency the token acts for; and the web console's
//! sessions, each opened with a token and ended with it.

use crate::audit::{NewEvent, Table};
use crate::identity::agency_exists;
use crate::model::{SessionRecord, TokenRecord};
use crate::token_cache::Lookup;
use crate::{flag_col, now_ms, word_col, Result, Store, StoreError};
use quytac_core::workflow::Role;
use sqlx::any::AnyRow;
use sqlx::Row;

/// What a new token is.
#[derive(Debug, Clone)]
pub struct NewTokenRow<'a> {
    pub role: Role,
    pub label: &'a str,
    /// The hash of the secret, as [`TokenRecord::hash`].
    pub hash: &'a str,
    pub agency_id: Option<&'a str>,
    /// Unix ms; `None`: the token does not expire.
    pub expires_at: Option<i64>,
}

/// The most console sessions one token (or one user) holds at once.
pub const SESSIONS_PER_TOKEN: i64 = 20;

const TOKEN_COLUMNS: &str =
    "id, role, label, hash, revoked, agency_id, created_at, expires_at, revoked_at";

fn token_row(r: &AnyRow) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.try_get("id")?,
        role: word_col(r, "role")?,
        label: r.try_get("label")?,
        hash: r.try_get("hash")?,
        revoked: flag_col(r, "revoked")?,
        agency_id: r.try_get("agency_id")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

impl Store {
    /// Stores a token's hash with its role, bound to `agency_id` when given; returns the
    /// token's id. The token does not expire ([`Store::insert_token`] sets an expiry).
    pub async fn create_token(
        &self,
        role: Role,
        label: &str,
        hash: &str,
        agency_id: Option<&str>,
        actor: &str,
    ) -> Result<i64> {
        self.insert_token(
            &NewTokenRow {
                role,
                label,
                hash,
                agency_id,
                expires_at: None,
            },
            actor,
        )
        .await
    }

    /// Stores a token; returns its id. The creation is an audit event (`token.created`).
    pub async fn insert_token(&self, t: &NewTokenRow<'_>, actor: &str) -> Result<i64> {
        let mut w = self.write().await?;
        if let Some(a) = t.agency_id {
            agency_exists(&mut w, a).await?;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO tokens (role, label, hash, created_at, revoked, agency_id, expires_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6) RETURNING id",
        )
        .bind(t.role.as_str())
        .bind(t.label)
        .bind(t.hash)
        .bind(now_ms())
        .bind(t.agency_id)
        .bind(t.expires_at)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        w.touch(Table::Tokens, id);
        w.audit(NewEvent::new(
            actor,
            "token.created",
            format!("token:{id}"),
            serde_json::json!({
                "role": t.role,
                "label": t.label,
                "agency_id": t.agency_id,
                "expires_at": t.expires_at,
            }),
        ))
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// A token's row: from memory when this store caches tokens and has it
    /// ([`Store::cache_tokens`]), else read (and then kept, when caching).
    pub async fn token(&self, id: i64) -> Result<Option<TokenRecord>> {
        let generation = match self.token_cache.get(id) {
            Lookup::Hit(row) => return Ok(Some(row)),
            Lookup::Miss { generation } => Some(generation),
            Lookup::Off => None,
        };
        let row = sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let row = row.as_ref().map(token_row).transpose()?;
        if let (Some(generation), Some(row)) = (generation, &row) {
            self.token_cache.put(generation, row);
        }
        Ok(row)
    }

    /// Every token, oldest first (at most `limit`).
    pub async fn tokens(&self, limit: i64) -> Result<Vec<TokenRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(token_row).collect()
    }

    /// Revokes a token and ends every console session opened with it, in one transaction
    /// with its audit event (`token.revoked`). Revoking a revoked token changes nothing and
    /// records nothing. Returns the token as it is now.
    pub async fn revoke_token(&self, id: i64, actor: &str) -> Result<TokenRecord> {
        let mut w = self.write().await?;
        let row = sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no token {id}")))?;
        let mut token = token_row(&row)?;
        if token.revoked {
            return Ok(token);
        }
        let now = now_ms();
        sqlx::query("UPDATE tokens SET revoked = 1, revoked_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        let ended = sqlx::query("DELETE FROM console_sessions WHERE token_id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.touch(Table::Tokens, id);
        w.audit(NewEvent::new(
            actor,
            "token.revoked",
            format!("token:{id}"),
            serde_json::json!({"sessions_ended": ended}),
        ))
        .await?;
        w.commit().await?;
        // At once for this process; other servers hear of it from the trigger's notification.
        self.token_cache.changed(Some(id));
        token.revoked = true;
        token.revoked_at = Some(now);
        Ok(token)
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

    /// Stores a new console session. Sessions past their absolute end are deleted first, and
    /// a token or a user keeps at most [`SESSIONS_PER_TOKEN`] sessions (its oldest end), so
    /// the table holds only live ones and signing in again and again cannot grow it.
    pub async fn create_session(&self, s: &SessionRecord) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        let (owner, id) = match (s.token_id, s.user_id) {
            (Some(t), None) => ("token_id", t),
            (None, Some(u)) => ("user_id", u),
            _ => {
                return Err(StoreError::conflict(
                    "a session belongs to a token or to a user",
                ))
            }
        };
        sqlx::query(&format!(
            "DELETE FROM console_sessions WHERE {owner} = $1 AND id_hash NOT IN \
             (SELECT id_hash FROM console_sessions WHERE {owner} = $1 \
              ORDER BY created_at DESC, id_hash LIMIT $2)"
        ))
        .bind(id)
        .bind(SESSIONS_PER_TOKEN - 1)
        .execute(self.pool())
        .await?;
        sqlx::query(
            "INSERT INTO console_sessions (id_hash, token_id, user_id, created_at, last_seen_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id_hash)
        .bind(s.token_id)
        .bind(s.user_id)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM console_sessions WHERE id_hash = $1",
            crate::users::SESSION_COLUMNS
        ))
        .bind(id_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(crate::users::session_row).transpose()
    }

    /// Records activity on a session (its idle time starts again).
    pub async fn touch_session(&self, id_hash: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(at)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends a session; true when there was one.
    pub async fn delete_session(&self, id_hash: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n > 0)
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
        w.touch(Table::Tokens, token_id);
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

impl Store {
    /// The author a token speaks for, as stored now (`None` for a token bound to none).
    pub async fn account_of_token(&self, token_id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT account_id FROM tokens WHERE id = $1")
            .bind(token_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get("account_id")?,
            None => None,
        })
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
