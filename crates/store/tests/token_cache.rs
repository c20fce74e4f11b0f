//! Token rows kept in memory (`Store::cache_tokens`): a revocation made anywhere reaches a
//! server that caches, through PostgreSQL's notification, and SQLite is never cached. Run on
//! SQLite always and on PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set.

use quytac_core::workflow::Role;
use quytac_store::testing::TestDb;
use quytac_store::{Backend, Store};
use std::time::{Duration, Instant};

async fn wait_until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

async fn revoked(store: &Store, id: i64) -> bool {
    store.token(id).await.unwrap().unwrap().revoked
}

/// A new moderator token made by `maker`, which `server` reads as valid.
async fn fresh_token(maker: &Store, server: &Store, label: &str) -> i64 {
    let id = maker
        .create_token(
            Role::Moderator,
            label,
            &format!("sha256:{label}"),
            None,
            "t",
        )
        .await
        .unwrap();
    assert!(!revoked(server, id).await);
    id
}

#[tokio::test]
async fn a_revocation_made_elsewhere_reaches_a_caching_server() {
    for db in TestDb::each_backend().await {
        // `server` caches; `other` is another process: another server, or `quytac admin`.
        let server = Store::connect(&db.url).await.unwrap();
        let other = Store::connect(&db.url).await.unwrap();
        server.cache_tokens();
        let postgres = server.backend() == Backend::Postgres;
        if postgres {
            wait_until("the listener", Duration::from_secs(10), async || {
                server.caches_tokens()
            })
            .await;
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(!server.caches_tokens(), "SQLite is never cached");
        }
        let a = fresh_token(&other, &server, "a").await;

        // Revoked by another process: refused as soon as the notification arrives.
        other.revoke_token(a, "t").await.unwrap();
        let took = wait_until("the revocation", Duration::from_secs(5), async || {
            revoked(&server, a).await
        })
        .await;
        eprintln!("{}: a revocation elsewhere was seen after {took:?}", db.url);

        if postgres {
            // The rows are served from memory: with the trigger off, a change made elsewhere
            // is not seen — which is why the trigger is there. (No notification is pending
            // here: the one for `a` has been handled, and inserts notify nothing, so `c` is
            // kept when first read.)
            let c = fresh_token(&other, &server, "c").await;
            let sql = |q: &'static str| sqlx::query(q).execute(other.pool());
            sql("ALTER TABLE tokens DISABLE TRIGGER tokens_changed")
                .await
                .unwrap();
            sql("UPDATE tokens SET label = 'changed'").await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert_eq!(server.token(c).await.unwrap().unwrap().label, "c");
            sql("ALTER TABLE tokens ENABLE TRIGGER tokens_changed")
                .await
                .unwrap();
            // An operator's revocation by hand in psql reaches it too.
            sql("UPDATE tokens SET revoked = 1").await.unwrap();
            wait_until("a revocation by SQL", Duration::from_secs(5), async || {
                revoked(&server, c).await
            })
            .await;
        }

        // Revoked through the caching store itself: refused on the very next read, before
        // the trigger's notification comes back.
        let b = fresh_token(&other, &server, "b").await;
        server.revoke_token(b, "t").await.unwrap();
        assert!(revoked(&server, b).await);
        server.close().await;
        other.close().await;
        db.cleanup().await;
    }
}
