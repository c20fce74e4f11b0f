//! Failed staff sign-ins per key (a username or a client), over a window, with a lock
//! (issue 14). In the store so that every serving process sees the same counts and a restart
//! forgets none. Each failure is one atomic upsert, so two processes failing the same key at
//! once both count. The rules (which keys, which limits) are the service's.

use crate::{Result, Store};
use sqlx::Row;

/// How failures of one key are counted.
#[derive(Debug, Clone, Copy)]
pub struct FailureLimit {
    /// Failures within `window_ms` that lock the key.
    pub failures: i64,
    pub window_ms: i64,
    /// How long a locked key is refused.
    pub lock_ms: i64,
}

impl Store {
    /// The latest end of a lock on any of `keys` that has not passed at `now` (Unix ms).
    pub async fn sign_in_locked_until(&self, keys: &[&str], now: i64) -> Result<Option<i64>> {
        let mut latest: Option<i64> = None;
        for key in keys {
            let until: Option<i64> = sqlx::query(
                "SELECT locked_until FROM sign_in_failures WHERE key = $1 AND locked_until > $2",
            )
            .bind(*key)
            .bind(now)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.try_get("locked_until"))
            .transpose()?;
            latest = latest.max(until);
        }
        Ok(latest)
    }

    /// Counts a failure of `key` at `now`: a new window when the last one (or its lock) has
    /// passed, a lock once the count reaches the limit. Rows whose window and lock have passed
    /// are pruned, so the table holds only the keys that failed lately.
    pub async fn record_sign_in_failure(
        &self,
        key: &str,
        limit: FailureLimit,
        now: i64,
    ) -> Result<()> {
        let lock_at_first = (limit.failures <= 1).then_some(now + limit.lock_ms);
        // `stale`: the window has passed, or the key was locked and the lock has ended.
        const STALE: &str =
            "((sign_in_failures.locked_until IS NOT NULL AND sign_in_failures.locked_until <= $2) \
             OR $2 - sign_in_failures.window_start >= $5)";
        let sql = format!(
            "INSERT INTO sign_in_failures (key, failures, window_start, locked_until) \
             VALUES ($1, 1, $2, $6) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN {STALE} THEN 1 ELSE sign_in_failures.failures + 1 END, \
             window_start = CASE WHEN {STALE} THEN $2 ELSE sign_in_failures.window_start END, \
             locked_until = CASE \
               WHEN (CASE WHEN {STALE} THEN 1 ELSE sign_in_failures.failures + 1 END) >= $3 THEN $4 \
               WHEN {STALE} THEN NULL \
               ELSE sign_in_failures.locked_until END"
        );
        sqlx::query(&sql)
            .bind(key)
            .bind(now)
            .bind(limit.failures)
            .bind(now + limit.lock_ms)
            .bind(limit.window_ms)
            .bind(lock_at_first)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "DELETE FROM sign_in_failures WHERE window_start <= $1 \
             AND (locked_until IS NULL OR locked_until <= $2)",
        )
        .bind(now - limit.window_ms)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets the failures of `key` (a right sign-in clears its username's).
    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How many keys have failures remembered (the table's size, for tests of its bound).
    pub async fn sign_in_failure_keys(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM sign_in_failures")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?)
    }
}
