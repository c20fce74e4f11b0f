//! Takedown requests from authorities, due 24 hours after they were received (ND-2).

use crate::audit::{NewEvent, Table};
use crate::model::{NewTakedown, Takedown};
use crate::{fetch_one, now_ms, word_col, Bounded, Result, Store, WriteTx};
use quytac_core::workflow::{takedown, TakedownStatus};
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) const TAKEDOWN_COLS: &str = "id, post_id, case_id, agency_id, authority, legal_basis, reason, requested_by, received_at, deadline, status, completed_at";

impl Store {
    /// Takedown requests, oldest deadline first; `overdue_at` keeps only the open ones whose
    /// deadline passed before that time, `agency` only those the agency filed.
    pub async fn list_takedowns(
        &self,
        overdue_at: Option<i64>,
        agency: Option<&str>,
    ) -> Result<Vec<Takedown>> {
        let mut sql = format!("SELECT {TAKEDOWN_COLS} FROM takedowns WHERE 1 = 1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        if overdue_at.is_some() {
            sql.push_str(&format!(
                " AND status = ${} AND deadline < ${}",
                next(),
                next()
            ));
        }
        if agency.is_some() {
            sql.push_str(&format!(" AND agency_id = ${}", next()));
        }
        sql.push_str(" ORDER BY deadline, id");
        let mut q = sqlx::query(&sql);
        if let Some(now) = overdue_at {
            q = q.bind(TakedownStatus::Open.as_str()).bind(now);
        }
        if let Some(a) = agency {
            q = q.bind(a);
        }
        q.fetch_all(self.pool())
            .await?
            .iter()
            .map(takedown_from)
            .collect()
    }

    /// Takedowns received in `[from, to)`: at most `limit`, and whether more were left out.
    pub async fn takedowns_between(
        &self,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Bounded<Takedown>> {
        let rows = sqlx::query(&format!(
            "SELECT {TAKEDOWN_COLS} FROM takedowns WHERE received_at >= $1 AND received_at < $2 ORDER BY id LIMIT $3"
        ))
        .bind(from)
        .bind(to)
        .bind(limit.saturating_add(1))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(takedown_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Bounded::of(rows, limit))
    }
}

impl WriteTx<'_> {
    /// Stores an open takedown request on `post_id`, tracked on `case_id`, due by ND-2's
    /// deadline.
    pub async fn insert_takedown(
        &mut self,
        post_id: i64,
        case_id: i64,
        t: &NewTakedown,
    ) -> Result<Takedown> {
        let id: i64 = sqlx::query(
            "INSERT INTO takedowns (post_id, case_id, authority, legal_basis, reason, requested_by, received_at, deadline, status, agency_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(post_id)
        .bind(case_id)
        .bind(&t.authority)
        .bind(&t.legal_basis)
        .bind(&t.reason)
        .bind(&t.requested_by)
        .bind(t.received_at)
        .bind(takedown::deadline(t.received_at))
        .bind(TakedownStatus::Open.as_str())
        .bind(&t.agency_id)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        self.touch(Table::Takedowns, id);
        self.audit(NewEvent::new(
            &t.requested_by,
            "takedown.requested",
            format!("takedown:{id}"),
            serde_json::json!({"post_id": post_id, "case_id": case_id, "agency_id": t.agency_id, "authority": t.authority, "legal_basis": t.legal_basis, "received_at": t.received_at}),
        ))
        .await?;
        let sql = format!("SELECT {TAKEDOWN_COLS} FROM takedowns WHERE id = $1");
        fetch_one(self, "takedown", &sql, id, takedown_from).await
    }

    /// A takedown request, read in this transaction.
    pub async fn takedown(&mut self, id: i64) -> Result<Option<Takedown>> {
        let sql = format!("SELECT {TAKEDOWN_COLS} FROM takedowns WHERE id = $1");
        crate::fetch_optional(self, &sql, id, takedown_from).await
    }

    /// Marks one open takedown request done (its content is down), audited.
    pub async fn complete_takedown(&mut self, id: i64, by: &str) -> Result<Takedown> {
        let done = sqlx::query(
            "UPDATE takedowns SET status = $1, completed_at = $2 WHERE id = $3 AND status = $4 RETURNING id",
        )
        .bind(TakedownStatus::Done.as_str())
        .bind(now_ms())
        .bind(id)
        .bind(TakedownStatus::Open.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        self.touch_all(Table::Takedowns, &done)?;
        self.audit(NewEvent::new(
            by,
            "takedown.completed",
            format!("takedown:{id}"),
            serde_json::json!({"takedown_id": id}),
        ))
        .await?;
        let sql = format!("SELECT {TAKEDOWN_COLS} FROM takedowns WHERE id = $1");
        fetch_one(self, "takedown", &sql, id, takedown_from).await
    }

    /// Marks the open takedowns of a post done.
    pub async fn complete_takedowns(&mut self, post_id: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE takedowns SET status = $1, completed_at = $2 WHERE post_id = $3 AND status = $4 RETURNING id",
        )
        .bind(TakedownStatus::Done.as_str())
        .bind(now_ms())
        .bind(post_id)
        .bind(TakedownStatus::Open.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        self.touch_all(Table::Takedowns, &done)
    }
}

pub(crate) fn takedown_from(r: &AnyRow) -> Result<Takedown> {
    Ok(Takedown {
        id: r.try_get("id")?,
        post_id: r.try_get("post_id")?,
        case_id: r.try_get("case_id")?,
        agency_id: r.try_get("agency_id")?,
        authority: r.try_get("authority")?,
        legal_basis: r.try_get("legal_basis")?,
        reason: r.try_get("reason")?,
        requested_by: r.try_get("requested_by")?,
        received_at: r.try_get("received_at")?,
        deadline: r.try_get("deadline")?,
        status: word_col(r, "status")?,
        completed_at: r.try_get("completed_at")?,
    })
}
