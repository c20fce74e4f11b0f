//! A small migration runner over the embedded SQL files: each file runs once, in order, in its
//! own transaction, and is recorded in `schema_migrations`.

use crate::{Backend, Result};
use sqlx::{AnyPool, Row};

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_agencies.sql")),
    (3, include_str!("../migrations/sqlite/0003_identity.sql")),
    (4, include_str!("../migrations/sqlite/0004_inquiries.sql")),
    (
        5,
        include_str!("../migrations/sqlite/0005_consultations.sql"),
    ),
    (
        6,
        include_str!("../migrations/sqlite/0006_tokens_sessions.sql"),
    ),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_agencies.sql")),
    (3, include_str!("../migrations/postgres/0003_identity.sql")),
    (4, include_str!("../migrations/postgres/0004_inquiries.sql")),
    (
        5,
        include_str!("../migrations/postgres/0005_consultations.sql"),
    ),
    (
        6,
        include_str!("../migrations/postgres/0006_tokens_sessions.sql"),
    ),
];

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<()> {
    let migrations = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let mut tx = pool.begin().await?;
    if backend == Backend::Postgres {
        // Two servers starting at once must not both create the schema.
        sqlx::query("SELECT pg_advisory_xact_lock(727273)")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(&mut *tx)
        .await?;
    let applied: i64 = sqlx::query("SELECT COUNT(*) AS n FROM schema_migrations")
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    for (version, sql) in migrations.iter().skip(applied.max(0) as usize) {
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(crate::now_ms())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
