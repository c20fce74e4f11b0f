//! What integrations deliver more than once: the Mastodon webhook's deliveries already taken.

use crate::{Result, WriteTx};

impl WriteTx<'_> {
    /// Claims a webhook delivery by its key in this transaction: `true` the first time,
    /// `false` when it was already taken (the caller then changes nothing). Keys delivered
    /// before `forget_before` are pruned first — a delivery that old is refused by its time
    /// before it gets here, so forgetting it cannot let it in again.
    pub async fn claim_delivery(
        &mut self,
        key: &str,
        delivered_at: i64,
        forget_before: i64,
    ) -> Result<bool> {
        sqlx::query("DELETE FROM mastodon_deliveries WHERE delivered_at < $1")
            .bind(forget_before)
            .execute(&mut *self.tx)
            .await?;
        let claimed = sqlx::query(
            "INSERT INTO mastodon_deliveries (delivery_key, delivered_at, received_at) \
             VALUES ($1, $2, $3) ON CONFLICT (delivery_key) DO NOTHING",
        )
        .bind(key)
        .bind(delivered_at)
        .bind(crate::now_ms())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Releases a claimed delivery whose processing failed, so that its retry is taken.
    pub async fn release_delivery(&mut self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM mastodon_deliveries WHERE delivery_key = $1")
            .bind(key)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
