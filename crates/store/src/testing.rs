//! Fresh databases for tests (feature `testing`): SQLite in a temporary folder always, and
//! PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` names a server (a database of its own per test,
//! dropped afterwards). Shared by the tests of the store, the service and the server.

use crate::Store;
use sqlx::{Connection, Executor};
use std::future::Future;

/// A fresh database for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub url: String,
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        TestDb {
            url,
            pg: None,
            _dir: Some(dir),
        }
    }

    /// A new database on the server `base` names.
    pub async fn postgres(base: &str) -> TestDb {
        sqlx::any::install_default_drivers();
        let name = format!("quytac_test_{}_{}", std::process::id(), unique_suffix());
        let mut admin = admin_connection(base).await;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create a test database");
        let (prefix, _) = base
            .rsplit_once('/')
            .expect("a postgres URL with a database");
        TestDb {
            url: format!("{prefix}/{name}"),
            pg: Some((base.to_string(), name)),
            _dir: None,
        }
    }

    /// SQLite, and PostgreSQL when `QUYTAC_TEST_POSTGRES_URL` is set.
    pub async fn each_backend() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite()];
        if let Ok(base) = std::env::var("QUYTAC_TEST_POSTGRES_URL") {
            if !base.is_empty() {
                dbs.push(TestDb::postgres(&base).await);
            }
        }
        dbs
    }

    pub async fn cleanup(self) {
        if let Some((base, name)) = &self.pg {
            let mut admin = admin_connection(base).await;
            admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .expect("drop the test database");
        }
    }
}

async fn admin_connection(url: &str) -> sqlx::AnyConnection {
    sqlx::AnyConnection::connect(url)
        .await
        .expect("connect to PostgreSQL")
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{nanos}_{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A store on `url` with its schema migrated up to `version` only: the database as an older
/// release left it, for a test of the upgrade (connect with [`Store::connect`] afterwards).
pub async fn connect_until(url: &str, version: i64) -> Store {
    Store::connect_until(url, version)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// Runs `test` on a fresh store of each backend ([`TestDb::each_backend`]).
pub async fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in TestDb::each_backend().await {
        let store = Store::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.url));
        test(store.clone()).await;
        store.close().await;
        db.cleanup().await;
    }
}
