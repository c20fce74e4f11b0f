//! Staff users who sign in with a password (issue 14): username, display name, role, the
//! agency an officer acts for, and the argon2id hash of the password (a PHC string). Every
//! write goes through [`WriteTx`], is an audit event and binds the row ([`Table::Users`]), the
//! hash included. Their console sessions are in `console_sessions` (`user_id`).

use crate::audit::{NewEvent, Table};
use crate::identity::agency_exists;
use crate::model::{SessionRecord, UserRecord};
use crate::{flag_col, now_ms, word_col, Result, Store, StoreError, WriteTx};
use quytac_core::workflow::Role;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUserRow<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub agency_id: Option<&'a str>,
    /// The argon2id PHC string of the password.
    pub password_hash: &'a str,
}

const USER_COLUMNS: &str =
    "id, username, display_name, role, agency_id, password_hash, disabled, created_at, updated_at";

fn user_row(r: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: word_col(r, "role")?,
        agency_id: r.try_get("agency_id")?,
        password_hash: r.try_get("password_hash")?,
        disabled: flag_col(r, "disabled")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) fn session_row(r: &AnyRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id_hash: r.try_get("id_hash")?,
        token_id: r.try_get("token_id")?,
        user_id: r.try_get("user_id")?,
        created_at: r.try_get("created_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub(crate) const SESSION_COLUMNS: &str =
    "id_hash, token_id, user_id, created_at, last_seen_at, expires_at";

impl Store {
    /// The user with this username (already folded to lower case).
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// Every user, by id (at most `limit`).
    pub async fn users(&self, limit: i64) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(user_row).collect()
    }

    /// The live sessions of a user, newest first.
    pub async fn user_sessions(&self, user_id: i64) -> Result<Vec<SessionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM console_sessions WHERE user_id = $1 AND expires_at > $2 \
             ORDER BY created_at DESC, id_hash"
        ))
        .bind(user_id)
        .bind(now_ms())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(session_row).collect()
    }

    /// The live sessions opened with a token, newest first.
    pub async fn token_sessions(&self, token_id: i64) -> Result<Vec<SessionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM console_sessions WHERE token_id = $1 AND expires_at > $2 \
             ORDER BY created_at DESC, id_hash"
        ))
        .bind(token_id)
        .bind(now_ms())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(session_row).collect()
    }
}

impl WriteTx<'_> {
    /// The user with this username, read in this transaction.
    pub async fn user_by_username(&mut self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// Creates a user (`user.created`); a taken username is a conflict, an unknown agency
    /// not found. Returns the id.
    pub async fn insert_user(&mut self, u: &NewUserRow<'_>, actor: &str) -> Result<i64> {
        if let Some(a) = u.agency_id {
            agency_exists(self, a).await?;
        }
        if self.user_by_username(u.username).await?.is_some() {
            return Err(StoreError::conflict(format!(
                "the username `{}` is taken",
                u.username
            )));
        }
        let now = now_ms();
        let id: i64 = sqlx::query(
            "INSERT INTO users (username, display_name, role, agency_id, password_hash, disabled, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
        )
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.role.as_str())
        .bind(u.agency_id)
        .bind(u.password_hash)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        self.touch(Table::Users, id);
        self.audit(NewEvent::new(
            actor,
            "user.created",
            format!("user:{id}"),
            serde_json::json!({
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "agency_id": u.agency_id,
            }),
        ))
        .await?;
        Ok(id)
    }

    /// Disables a user and ends every session of theirs (`user.disabled`); disabling a
    /// disabled user changes nothing and records nothing. Returns the sessions ended.
    pub async fn disable_user(&mut self, id: i64, actor: &str) -> Result<u64> {
        let disabled: Option<i64> = sqlx::query("SELECT disabled FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
            .map(|r| r.try_get("disabled"))
            .transpose()?;
        match disabled {
            None => return Err(StoreError::not_found(format!("no user {id}"))),
            Some(d) if d != 0 => return Ok(0),
            Some(_) => {}
        }
        sqlx::query("UPDATE users SET disabled = 1, updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        let ended = self.end_user_sessions(id).await?;
        self.touch(Table::Users, id);
        self.audit(NewEvent::new(
            actor,
            "user.disabled",
            format!("user:{id}"),
            serde_json::json!({"sessions_ended": ended}),
        ))
        .await?;
        Ok(ended)
    }

    /// Sets a new password hash (`user.password_reset`) and ends every session of the user.
    /// Returns the sessions ended.
    pub async fn set_user_password(&mut self, id: i64, hash: &str, actor: &str) -> Result<u64> {
        let n = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::not_found(format!("no user {id}")));
        }
        let ended = self.end_user_sessions(id).await?;
        self.touch(Table::Users, id);
        self.audit(NewEvent::new(
            actor,
            "user.password_reset",
            format!("user:{id}"),
            serde_json::json!({"sessions_ended": ended}),
        ))
        .await?;
        Ok(ended)
    }

    /// Ends every session of a user (sign-out everywhere), with its audit event
    /// (`user.signed_out_everywhere`). Returns the sessions ended.
    pub async fn sign_out_user_everywhere(&mut self, id: i64, actor: &str) -> Result<u64> {
        let ended = self.end_user_sessions(id).await?;
        self.audit(NewEvent::new(
            actor,
            "user.signed_out_everywhere",
            format!("user:{id}"),
            serde_json::json!({"sessions_ended": ended}),
        ))
        .await?;
        Ok(ended)
    }

    /// Ends every session opened with a token (sign-out everywhere of a token's holder), with
    /// its audit event (`token.signed_out_everywhere`).
    pub async fn sign_out_token_everywhere(&mut self, token_id: i64, actor: &str) -> Result<u64> {
        let ended = sqlx::query("DELETE FROM console_sessions WHERE token_id = $1")
            .bind(token_id)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        self.audit(NewEvent::new(
            actor,
            "token.signed_out_everywhere",
            format!("token:{token_id}"),
            serde_json::json!({"sessions_ended": ended}),
        ))
        .await?;
        Ok(ended)
    }

    async fn end_user_sessions(&mut self, id: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM console_sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *self.tx)
                .await?
                .rows_affected(),
        )
    }
}
