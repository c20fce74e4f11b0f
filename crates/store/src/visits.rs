//! Visits for Decree 147's provider report: page views counted per Vietnam day, one row per
//! day (`daily_visits`). No personal data: the day and a count. The server batches its counts
//! in memory and adds them here on a timer, so a request never writes. Not covered by the
//! audit: a counter, not a decision of the workflow.

use crate::{Result, Store};
use sqlx::Row;

impl Store {
    /// Adds `views` page views to `day` (`YYYY-MM-DD`, Vietnam time): one upsert.
    pub async fn add_page_views(&self, day: &str, views: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO daily_visits (day, page_views) VALUES ($1, $2) \
             ON CONFLICT (day) DO UPDATE SET page_views = daily_visits.page_views + excluded.page_views",
        )
        .bind(day)
        .bind(views)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The page views of the days from `from` up to `to` excluded (`YYYY-MM-DD`; as text
    /// they sort as dates).
    pub async fn page_views_between(&self, from: &str, to: &str) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT CAST(COALESCE(SUM(page_views), 0) AS BIGINT) AS n FROM daily_visits \
             WHERE day >= $1 AND day < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?)
    }
}
