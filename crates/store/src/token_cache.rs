//! The token rows a server has read, kept in memory while PostgreSQL tells it of every change.
//!
//! Every API request reads its token's row (revocation and expiry are checked on each use). On
//! PostgreSQL that read is a round trip and a backend's work for each request, a third of the
//! cost of a post taken into the pipeline (`docs/scaling.md`). A server started with
//! [`Store::cache_tokens`] keeps the rows it read; a trigger on `tokens` (migration 0017)
//! sends `NOTIFY quytac_tokens` with the row's id on every update or delete, whoever makes it
//! (this server, another one, `quytac admin revoke-token`, an operator's `psql`), and a
//! listener drops that row. A revoked token is therefore refused as soon as the notification
//! arrives — milliseconds — not at the next restart; a revocation through this store drops the
//! row at once, so the revoking server refuses the token on its very next use.
//!
//! The cache is used only while the listener is connected: when its connection is lost, the
//! notifications sent meanwhile would be lost with it, so the cache is emptied and every read
//! goes to the database until the listener is back. A read that raced a notification (row
//! read, then changed and notified, then put in the cache) is not kept: each change bumps a
//! generation, and a row read under an older generation is not stored. SQLite has no
//! notifications (and another process may write the same file), so it is never cached.

use crate::model::TokenRecord;
use crate::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The channel the trigger of migration 0017 notifies, with the changed row's id.
const CHANNEL: &str = "quytac_tokens";
/// Rows kept at most; when full the cache starts again (tokens are few; this bounds a flood of
/// distinct valid tokens, not a normal load).
const MAX_ROWS: usize = 10_000;

#[derive(Default)]
pub(crate) struct TokenCache {
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    /// The listener is connected and listening: notifications arrive, rows may be kept.
    live: bool,
    /// Bumped on every change and every loss of the listener.
    generation: u64,
    rows: HashMap<i64, TokenRecord>,
}

/// What a look-up found: the row, or the generation under which to read and put it.
pub(crate) enum Lookup {
    Hit(TokenRecord),
    Miss {
        generation: u64,
    },
    /// Not caching now (SQLite, or the listener is not connected).
    Off,
}

impl TokenCache {
    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // A panic while holding this lock cannot leave the map half-changed in a way that
        // matters (each operation is one insert, remove or clear), so a poisoned lock is used.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self, id: i64) -> Lookup {
        let s = self.state();
        if !s.live {
            return Lookup::Off;
        }
        match s.rows.get(&id) {
            Some(row) => Lookup::Hit(row.clone()),
            None => Lookup::Miss {
                generation: s.generation,
            },
        }
    }

    /// Keeps a row read under `generation`, unless something changed since.
    pub(crate) fn put(&self, generation: u64, row: &TokenRecord) {
        let mut s = self.state();
        if !s.live || s.generation != generation {
            return;
        }
        if s.rows.len() >= MAX_ROWS {
            s.rows.clear();
        }
        s.rows.insert(row.id, row.clone());
    }

    /// A row changed (`Some(id)`), or something did that names no row (`None`: drop all).
    pub(crate) fn changed(&self, id: Option<i64>) {
        let mut s = self.state();
        s.generation += 1;
        match id {
            Some(id) => {
                s.rows.remove(&id);
            }
            None => s.rows.clear(),
        }
    }

    fn live(&self) -> bool {
        self.state().live
    }

    fn set_live(&self, live: bool) {
        let mut s = self.state();
        s.live = live;
        s.generation += 1;
        s.rows.clear();
    }
}

impl Store {
    /// Keeps the token rows this store reads, for as long as PostgreSQL can tell it of their
    /// changes (the module's documentation). Does nothing on SQLite. Call once, from a server
    /// inside a Tokio runtime; the listener runs until the process ends.
    pub fn cache_tokens(&self) {
        if self.backend != crate::Backend::Postgres {
            return;
        }
        tokio::spawn(listen(self.token_cache.clone(), self.url.clone()));
    }

    /// Whether token rows are served from memory now (the listener is connected).
    pub fn caches_tokens(&self) -> bool {
        self.token_cache.live()
    }
}

/// Listens for changes, reconnecting after a loss; the cache is used only while listening.
async fn listen(cache: Arc<TokenCache>, url: Arc<str>) {
    use sqlx::postgres::PgListener;
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    cache.set_live(true);
                    // `try_recv` answers `None` when the connection was lost: whatever was
                    // notified meanwhile is unknown, so the cache goes off and starts again.
                    while let Ok(Some(n)) = listener.try_recv().await {
                        cache.changed(n.payload().parse().ok());
                    }
                    cache.set_live(false);
                    tracing::warn!("the token listener lost PostgreSQL; tokens are read from the database until it is back");
                }
                Err(e) => tracing::warn!(error = %e, "listening for token changes failed"),
            },
            Err(e) => tracing::warn!(error = %e, "the token listener cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, revoked: bool) -> TokenRecord {
        TokenRecord {
            id,
            role: quytac_core::workflow::Role::Moderator,
            label: "t".into(),
            hash: "sha256:x".into(),
            revoked,
            agency_id: None,
            created_at: 0,
            expires_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn nothing_is_kept_while_not_listening() {
        let c = TokenCache::default();
        assert!(matches!(c.get(1), Lookup::Off));
        c.put(0, &row(1, false));
        c.set_live(true);
        assert!(matches!(c.get(1), Lookup::Miss { .. }));
    }

    #[test]
    fn a_row_read_before_a_change_is_not_kept() {
        let c = TokenCache::default();
        c.set_live(true);
        let Lookup::Miss { generation } = c.get(1) else {
            panic!("a miss")
        };
        c.changed(Some(1)); // revoked and notified while the row was being read
        c.put(generation, &row(1, false));
        assert!(matches!(c.get(1), Lookup::Miss { .. }));
    }

    #[test]
    fn a_change_drops_the_row_and_losing_the_listener_drops_all() {
        let c = TokenCache::default();
        c.set_live(true);
        for id in [1, 2] {
            let Lookup::Miss { generation } = c.get(id) else {
                panic!("a miss")
            };
            c.put(generation, &row(id, false));
        }
        assert!(matches!(c.get(1), Lookup::Hit(r) if !r.revoked));
        c.changed(Some(1));
        assert!(matches!(c.get(1), Lookup::Miss { .. }));
        assert!(matches!(c.get(2), Lookup::Hit(_)));
        c.set_live(false);
        assert!(matches!(c.get(2), Lookup::Off));
    }
}
