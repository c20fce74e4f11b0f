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
    (7, include_str!("../migrations/sqlite/0007_authority.sql")),
    (8, include_str!("../migrations/sqlite/0008_audit.sql")),
    (9, include_str!("../migrations/sqlite/0009_users.sql")),
    (10, include_str!("../migrations/sqlite/0010_console.sql")),
    (
        11,
        include_str!("../migrations/sqlite/0011_inquiry_follow_links.sql"),
    ),
    (12, include_str!("../migrations/sqlite/0012_decree147.sql")),
    (
        13,
        include_str!("../migrations/sqlite/0013_audit_covers_identity.sql"),
    ),
    (
        14,
        include_str!("../migrations/sqlite/0014_daily_visits.sql"),
    ),
    (
        15,
        include_str!("../migrations/sqlite/0015_sign_in_failures.sql"),
    ),
    (
        16,
        include_str!("../migrations/sqlite/0016_page_owner_complaints.sql"),
    ),
    (
        17,
        include_str!("../migrations/sqlite/0017_token_notify.sql"),
    ),
    (
        18,
        include_str!("../migrations/sqlite/0018_posts_by_month.sql"),
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
    (7, include_str!("../migrations/postgres/0007_authority.sql")),
    (8, include_str!("../migrations/postgres/0008_audit.sql")),
    (9, include_str!("../migrations/postgres/0009_users.sql")),
    (10, include_str!("../migrations/postgres/0010_console.sql")),
    (
        11,
        include_str!("../migrations/postgres/0011_inquiry_follow_links.sql"),
    ),
    (
        12,
        include_str!("../migrations/postgres/0012_decree147.sql"),
    ),
    (
        13,
        include_str!("../migrations/postgres/0013_audit_covers_identity.sql"),
    ),
    (
        14,
        include_str!("../migrations/postgres/0014_daily_visits.sql"),
    ),
    (
        15,
        include_str!("../migrations/postgres/0015_sign_in_failures.sql"),
    ),
    (
        16,
        include_str!("../migrations/postgres/0016_page_owner_complaints.sql"),
    ),
    (
        17,
        include_str!("../migrations/postgres/0017_token_notify.sql"),
    ),
    (
        18,
        include_str!("../migrations/postgres/0018_posts_by_month.sql"),
    ),
];

/// The migration that partitions PostgreSQL's `posts` by month.
pub(crate) const POSTS_BY_MONTH: i64 = 18;

/// Runs the migrations not yet applied, up to `until` (a version; `i64::MAX` for all).
pub(crate) async fn run(pool: &AnyPool, backend: Backend, until: i64) -> Result<()> {
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
    // By version, not by count: a database that ran 1–5 and 8 still gets 6 and 7 when they
    // are added later.
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get("version"))
        .collect::<std::result::Result<_, _>>()?;
    for (version, sql) in migrations
        .iter()
        .filter(|(v, _)| *v <= until && !applied.contains(v))
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each backend lists every migration file of its folder once, in order of version, and
    /// both backends have the same versions (merges of parallel work have lost one before).
    #[test]
    fn every_migration_file_is_listed_in_order_on_both_backends() {
        let versions = |list: &[(i64, &str)]| list.iter().map(|(v, _)| *v).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
        assert!(versions(SQLITE).windows(2).all(|w| w[0] < w[1]));
        for (folder, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(folder);
            let mut files: Vec<i64> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().to_str()?.get(..4)?.parse().ok())
                .collect();
            files.sort();
            assert_eq!(files, versions(list), "{folder}");
        }
    }
}
