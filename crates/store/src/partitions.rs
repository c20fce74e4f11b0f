//! The monthly partitions of PostgreSQL's `posts` table (migration 0018): one per calendar
//! month of Vietnam time (UTC+7, the months of the Decree 147 reports), and a DEFAULT
//! partition that takes any post whose month has none yet. The SQL functions of the migration
//! (`quytac_create_post_months`) do the work, so the migration, the store's start and the
//! operator's command create months the same way: under one advisory lock, and moving the
//! month's rows out of DEFAULT in the same transaction. SQLite keeps one table and has none.

use crate::{now_ms, Result, Store};
use sqlx::Row;
use std::time::Duration;

/// Months created ahead of the current one whenever a store connects to PostgreSQL.
pub const MONTHS_AHEAD: u16 = 3;
/// The most months ahead one call creates (ten years): bounds the work of one command.
pub const MAX_MONTHS_AHEAD: u16 = 120;
/// How often a long-running server or worker makes sure of the months ahead
/// ([`Store::keep_post_partitions_ahead`]).
pub const KEEP_AHEAD_EVERY: Duration = Duration::from_secs(6 * 3600);

/// One partition of `posts`, with the rows it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPartition {
    /// The table's name: `posts_2026_12`, or `posts_default`.
    pub name: String,
    /// The first and the end (excluded) `created_at` of its range, Unix milliseconds; `None`
    /// for DEFAULT.
    pub range: Option<(i64, i64)>,
    /// Rows it holds, counted now.
    pub rows: i64,
}

impl Store {
    /// Makes sure `posts` has a partition for the current month and the `ahead` months after
    /// it (at most [`MAX_MONTHS_AHEAD`]), and for every month whose posts wait in DEFAULT
    /// (they are moved into it); returns the partitions created. Idempotent, and safe when
    /// several processes call it at once. Nothing to do on SQLite.
    pub async fn ensure_post_partitions(&self, ahead: u16) -> Result<Vec<String>> {
        self.create_post_partitions_from(now_ms(), ahead).await
    }

    /// Makes sure of the [`MONTHS_AHEAD`] months `every` ([`KEEP_AHEAD_EVERY`] in `serve` and
    /// `worker`) for as long as the process runs, so that a server or worker that runs for months never sends a
    /// month's posts to DEFAULT (from where a late partition would have to move them under
    /// a lock of the table). A failure is logged and retried at the next tick. Does nothing
    /// on SQLite. Call once, inside a Tokio runtime.
    pub fn keep_post_partitions_ahead(&self, every: Duration) {
        if !self.posts_by_month {
            return;
        }
        let store = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = store.ensure_post_partitions(MONTHS_AHEAD).await {
                    tracing::warn!(error = %e, "making the months ahead of posts failed; retried at the next tick");
                }
            }
        });
    }

    /// [`Store::ensure_post_partitions`] from the month around `at_ms` (Unix milliseconds).
    pub async fn create_post_partitions_from(&self, at_ms: i64, ahead: u16) -> Result<Vec<String>> {
        if !self.posts_by_month {
            return Ok(Vec::new());
        }
        let ahead = i32::from(ahead.min(MAX_MONTHS_AHEAD));
        let mut tx = self.pool().begin().await?;
        let created = sqlx::query_scalar::<_, String>(
            "SELECT name FROM quytac_create_post_months($1, $2) AS name",
        )
        .bind(at_ms)
        .bind(ahead)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The partitions of `posts` in order of their months (DEFAULT last), each with its rows
    /// counted (a scan of each partition: an operator's command, not a request's work).
    /// Empty on SQLite, whose `posts` is one table.
    pub async fn post_partitions(&self) -> Result<Vec<PostPartition>> {
        if !self.posts_by_month {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT name, bounds[1]::BIGINT AS from_ms, bounds[2]::BIGINT AS to_ms, \
             (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', name), \
                                                  false, true, '')))[1]::TEXT::BIGINT AS n \
             FROM (SELECT c.relname::TEXT AS name, \
                          regexp_match(pg_get_expr(c.relpartbound, c.oid), \
                                       'FROM \\(''(-?[0-9]+)''\\) TO \\(''(-?[0-9]+)''\\)') AS bounds \
                   FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                   WHERE i.inhparent = 'posts'::regclass) p \
             ORDER BY from_ms NULLS LAST, name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let from: Option<i64> = r.try_get("from_ms")?;
                let to: Option<i64> = r.try_get("to_ms")?;
                Ok(PostPartition {
                    name: r.try_get("name")?,
                    range: from.zip(to),
                    rows: r.try_get("n")?,
                })
            })
            .collect()
    }
}
