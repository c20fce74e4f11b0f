//! The public responsiveness figures of agencies: per-month counts and histograms kept by the
//! writes of inquiries, and the percentiles read from them.

use super::{Percentiles, ResponseStats, Responsiveness};
use crate::audit::{AuditEvent, NewEvent};
use crate::{Backend, Result, Store, WriteTx, DAY_MS};
use quytac_core::workflow::inquiry::InquiryStatus;
use serde_json::json;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;

impl Store {
    /// An agency's responsiveness at `now`: in total and per month of receipt.
    ///
    /// Reads the per-month counts and histograms kept by the writes, the questions awaiting an
    /// answer, and, for each median and p90 of the time to first answer, two rows found by a
    /// short walk of an index from the start of the histogram bucket that holds them: the cost
    /// depends on the number of months and of questions awaiting an answer, not on the
    /// number of inquiries.
    pub async fn responsiveness(&self, agency_id: &str, now: i64) -> Result<Responsiveness> {
        let mut tx = self.read_snapshot().await?;
        let parts = read_parts(&mut tx, Some(agency_id), now).await?;
        let mut months: BTreeMap<String, Acc> = BTreeMap::new();
        let mut total = Acc::default();
        for ((_, month), part) in &parts {
            total.add(part);
            months.entry(month.clone()).or_default().add(part);
        }
        let mut groups: Vec<(Scope, Acc)> = months
            .into_iter()
            .map(|(month, acc)| {
                let scope = Scope {
                    key: month.clone(),
                    agency: agency_id.to_string(),
                    month: Some(month),
                };
                (scope, acc)
            })
            .collect();
        let scope = Scope {
            key: "all".into(),
            agency: agency_id.to_string(),
            month: None,
        };
        groups.push((scope, total));
        let mut stats = finish(&mut tx, groups).await?;
        tx.commit().await?;
        let total = stats.pop().unwrap_or_default();
        Ok(Responsiveness {
            total,
            months: stats,
        })
    }

    /// Every agency's figures at `now` (keyed by agency id, in id order), for agencies with
    /// inquiries.
    pub async fn responsiveness_by_agency(&self, now: i64) -> Result<Vec<ResponseStats>> {
        let mut tx = self.read_snapshot().await?;
        let parts = read_parts(&mut tx, None, now).await?;
        let mut agencies: BTreeMap<String, Acc> = BTreeMap::new();
        for ((agency, _), part) in &parts {
            agencies.entry(agency.clone()).or_default().add(part);
        }
        let groups = agencies
            .into_iter()
            .map(|(agency, acc)| {
                let scope = Scope {
                    key: agency.clone(),
                    agency,
                    month: None,
                };
                (scope, acc)
            })
            .collect();
        let stats = finish(&mut tx, groups).await?;
        tx.commit().await?;
        Ok(stats)
    }

    /// Recomputes the per-month counts and histograms of every agency from the inquiries
    /// themselves (after a bulk import, or to check the ones kept by the writes).
    pub async fn rebuild_inquiry_rollups(&self, actor: &str) -> Result<Vec<AuditEvent>> {
        let mut w = self.write().await?;
        for sql in [
            "DELETE FROM inquiry_stats",
            "DELETE FROM inquiry_answer_histogram",
            "INSERT INTO inquiry_stats (agency_id, month, received, answered, answered_on_time, escalated) \
             SELECT agency_id, month, COUNT(*), COUNT(first_answered_at), \
             COALESCE(SUM(CASE WHEN first_answered_at <= due_at THEN 1 ELSE 0 END), 0), \
             COUNT(escalated_at) FROM inquiries GROUP BY agency_id, month",
            "INSERT INTO inquiry_answer_histogram (agency_id, month, measure, bucket, n) \
             SELECT agency_id, month, 'days', answer_ms / 86400000, COUNT(*) FROM inquiries \
             WHERE answer_ms IS NOT NULL GROUP BY agency_id, month, answer_ms / 86400000",
            "INSERT INTO inquiry_answer_histogram (agency_id, month, measure, bucket, n) \
             SELECT agency_id, month, 'working_days', answer_working_days, COUNT(*) FROM inquiries \
             WHERE answer_working_days IS NOT NULL GROUP BY agency_id, month, answer_working_days",
        ] {
            sqlx::query(sql).execute(&mut *w.tx).await?;
        }
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM inquiries")
            .fetch_one(&mut *w.tx)
            .await?
            .try_get("n")?;
        w.audit(NewEvent::new(
            actor,
            "inquiry.rollups_rebuilt",
            "inquiries".into(),
            json!({"inquiries": n}),
        ))
        .await?;
        w.commit().await
    }

    /// A read-only transaction that sees one state of the database throughout.
    async fn read_snapshot(&self) -> Result<Transaction<'static, Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }
}

/// Adds to the counts of an agency's month: received, answered, answered on time, escalated.
pub(super) async fn bump_stats(
    w: &mut WriteTx<'_>,
    agency: &str,
    month: &str,
    by: [i64; 4],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO inquiry_stats (agency_id, month, received, answered, answered_on_time, escalated) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agency_id, month) DO UPDATE SET \
         received = inquiry_stats.received + excluded.received, \
         answered = inquiry_stats.answered + excluded.answered, \
         answered_on_time = inquiry_stats.answered_on_time + excluded.answered_on_time, \
         escalated = inquiry_stats.escalated + excluded.escalated",
    )
    .bind(agency)
    .bind(month)
    .bind(by[0])
    .bind(by[1])
    .bind(by[2])
    .bind(by[3])
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// Counts one first answer in a histogram bucket of an agency's month.
pub(super) async fn bump_histogram(
    w: &mut WriteTx<'_>,
    agency: &str,
    month: &str,
    measure: &str,
    bucket: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO inquiry_answer_histogram (agency_id, month, measure, bucket, n) \
         VALUES ($1, $2, $3, $4, 1) ON CONFLICT (agency_id, month, measure, bucket) \
         DO UPDATE SET n = inquiry_answer_histogram.n + 1",
    )
    .bind(agency)
    .bind(month)
    .bind(measure)
    .bind(bucket)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// The figures of a group of inquiries while they are summed up: counts, and histograms of
/// the time to first answer in whole days and in working days.
#[derive(Debug, Default)]
struct Acc {
    stats: ResponseStats,
    days: BTreeMap<i64, i64>,
    working_days: BTreeMap<i64, i64>,
}

impl Acc {
    fn add(&mut self, o: &Acc) {
        let (s, t) = (&mut self.stats, &o.stats);
        s.count += t.count;
        s.answered += t.answered;
        s.on_time += t.on_time;
        s.late += t.late;
        s.open += t.open;
        s.overdue += t.overdue;
        s.escalated += t.escalated;
        for (b, n) in &o.days {
            *self.days.entry(*b).or_default() += n;
        }
        for (b, n) in &o.working_days {
            *self.working_days.entry(*b).or_default() += n;
        }
    }
}

/// The inquiries a group covers: one agency's, or one agency's of one month.
struct Scope {
    key: String,
    agency: String,
    month: Option<String>,
}

/// The figures of every (agency, month) with inquiries, of one agency or all.
async fn read_parts(
    tx: &mut Transaction<'static, Any>,
    agency: Option<&str>,
    now: i64,
) -> Result<BTreeMap<(String, String), Acc>> {
    // `$1` is the agency when there is one.
    let (only, t) = match agency {
        Some(_) => ("WHERE agency_id = $1", "$2"),
        None => ("", "$1"),
    };
    let scoped = |sql: &'static str| -> String { sql.replace("{only}", only) };
    let mut parts: BTreeMap<(String, String), Acc> = BTreeMap::new();
    let sql = scoped(
        "SELECT agency_id, month, received, answered, answered_on_time, escalated \
         FROM inquiry_stats {only}",
    );
    let rows = bind_agency(sqlx::query(&sql), agency)
        .fetch_all(&mut **tx)
        .await?;
    for r in &rows {
        let acc = parts
            .entry((r.try_get("agency_id")?, r.try_get("month")?))
            .or_default();
        let answered: i64 = r.try_get("answered")?;
        let on_time: i64 = r.try_get("answered_on_time")?;
        acc.stats.count = r.try_get("received")?;
        acc.stats.answered = answered;
        acc.stats.on_time = on_time;
        acc.stats.late += answered - on_time;
        acc.stats.escalated = r.try_get("escalated")?;
    }
    // The statuses awaiting an answer are bound after `now`.
    let awaiting = if agency.is_some() {
        "WHERE agency_id = $1 AND status IN ($3, $4)"
    } else {
        "WHERE status IN ($2, $3)"
    };
    let sql = format!(
        "SELECT agency_id, month, COUNT(*) AS awaiting, \
         COALESCE(SUM(CASE WHEN reply_due_at < {t} THEN 1 ELSE 0 END), 0) AS overdue, \
         COALESCE(SUM(CASE WHEN first_answered_at IS NULL AND due_at < {t} THEN 1 ELSE 0 END), 0) AS late \
         FROM inquiries {awaiting} GROUP BY agency_id, month"
    );
    let q = sqlx::query(&sql);
    let q = match agency {
        Some(a) => q.bind(a).bind(now),
        None => q.bind(now),
    };
    let [open, reopened] = InquiryStatus::AWAITING;
    let q = q.bind(open.as_str()).bind(reopened.as_str());
    for r in &q.fetch_all(&mut **tx).await? {
        let acc = parts
            .entry((r.try_get("agency_id")?, r.try_get("month")?))
            .or_default();
        acc.stats.open = r.try_get("awaiting")?;
        acc.stats.overdue = r.try_get("overdue")?;
        acc.stats.late += r.try_get::<i64, _>("late")?;
    }
    let sql =
        scoped("SELECT agency_id, month, measure, bucket, n FROM inquiry_answer_histogram {only}");
    let rows = bind_agency(sqlx::query(&sql), agency)
        .fetch_all(&mut **tx)
        .await?;
    for r in &rows {
        let acc = parts
            .entry((r.try_get("agency_id")?, r.try_get("month")?))
            .or_default();
        let measure: String = r.try_get("measure")?;
        let hist = if measure == "days" {
            &mut acc.days
        } else {
            &mut acc.working_days
        };
        *hist.entry(r.try_get("bucket")?).or_default() += r.try_get::<i64, _>("n")?;
    }
    Ok(parts)
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

fn bind_agency<'q>(q: AnyQuery<'q>, agency: Option<&'q str>) -> AnyQuery<'q> {
    match agency {
        Some(a) => q.bind(a),
        None => q,
    }
}

/// Where the `tenths`/10 quantile of `n` sorted values lies: the 0-based rank below it and
/// the fraction of the way to the next (linear interpolation between closest ranks, so the
/// median of an even sample is the mean of its two middle values).
fn quantile_rank(n: i64, tenths: i64) -> (i64, f64) {
    let scaled = (n - 1) * tenths;
    (scaled / 10, (scaled % 10) as f64 / 10.0)
}

/// The bucket of a histogram that holds 0-based rank `r`, and `r`'s offset inside it.
fn locate(hist: &BTreeMap<i64, i64>, r: i64) -> Option<(i64, i64)> {
    let mut before = 0;
    for (bucket, n) in hist {
        if r < before + n {
            return Some((*bucket, r - before));
        }
        before += n;
    }
    None
}

/// The 50th and 90th percentiles of the values a histogram of whole numbers counts.
fn histogram_percentiles(hist: &BTreeMap<i64, i64>) -> Percentiles {
    let n: i64 = hist.values().sum();
    let at = |tenths| -> Option<f64> {
        let (r, frac) = quantile_rank(n, tenths);
        let lo = locate(hist, r)?.0 as f64;
        let hi = locate(hist, r + 1).map_or(lo, |(b, _)| b as f64);
        Some(lo + (hi - lo) * frac)
    };
    if n == 0 {
        return Percentiles::default();
    }
    Percentiles {
        median: at(5),
        p90: at(9),
    }
}

/// Completes each group's figures with its percentiles. The working days come from the
/// histogram; each time percentile from the two values at its ranks, read from the index of
/// times in order starting at the histogram bucket that holds the lower rank.
async fn finish(
    tx: &mut Transaction<'static, Any>,
    groups: Vec<(Scope, Acc)>,
) -> Result<Vec<ResponseStats>> {
    // (group, which percentile, fraction, bucket start, offset in the bucket)
    let mut walks: Vec<(usize, i64, f64, i64, i64)> = Vec::new();
    for (g, (_, acc)) in groups.iter().enumerate() {
        let n: i64 = acc.days.values().sum();
        for tenths in [5, 9] {
            let (r, frac) = quantile_rank(n, tenths);
            if let (true, Some((bucket, offset))) = (n > 0, locate(&acc.days, r)) {
                walks.push((g, tenths, frac, bucket * DAY_MS, offset));
            }
        }
    }
    // (group, which) → the values at the rank and the next
    let mut values: BTreeMap<(usize, i64), Vec<i64>> = BTreeMap::new();
    // SQLite takes at most 500 terms in a compound SELECT.
    for (c, chunk) in walks.chunks(200).enumerate() {
        let mut sql = String::new();
        let mut p = 0;
        for (i, (g, _, _, _, _)) in chunk.iter().enumerate() {
            let month = if groups[*g].0.month.is_some() {
                p += 1;
                format!("AND month = ${p}")
            } else {
                String::new()
            };
            if i > 0 {
                sql.push_str(" UNION ALL ");
            }
            sql.push_str(&format!(
                "SELECT CAST({i} AS BIGINT) AS q, answer_ms FROM (SELECT answer_ms FROM inquiries \
                 WHERE agency_id = ${} {month} AND answer_ms IS NOT NULL AND answer_ms >= ${} \
                 ORDER BY answer_ms LIMIT 2 OFFSET ${}) AS w{i}",
                p + 1,
                p + 2,
                p + 3
            ));
            p += 3;
        }
        let mut q = sqlx::query(&sql);
        for (g, _, _, start, offset) in chunk {
            let scope = &groups[*g].0;
            if let Some(m) = &scope.month {
                q = q.bind(m.clone());
            }
            q = q.bind(scope.agency.clone()).bind(*start).bind(*offset);
        }
        for r in q.fetch_all(&mut **tx).await? {
            let i: i64 = r.try_get("q")?;
            let (g, tenths, _, _, _) = walks[c * 200 + i as usize];
            values
                .entry((g, tenths))
                .or_default()
                .push(r.try_get("answer_ms")?);
        }
    }
    let fracs: BTreeMap<(usize, i64), f64> =
        walks.iter().map(|(g, t, f, _, _)| ((*g, *t), *f)).collect();
    let at = |g: usize, tenths: i64| -> Option<f64> {
        let mut v = values.get(&(g, tenths))?.clone();
        v.sort_unstable();
        let lo = *v.first()? as f64;
        let hi = v.get(1).map_or(lo, |x| *x as f64);
        Some(lo + (hi - lo) * fracs.get(&(g, tenths)).copied().unwrap_or(0.0))
    };
    Ok(groups
        .into_iter()
        .enumerate()
        .map(|(g, (scope, acc))| ResponseStats {
            key: scope.key,
            answer_ms: Percentiles {
                median: at(g, 5),
                p90: at(g, 9),
            },
            answer_working_days: histogram_percentiles(&acc.working_days),
            ..acc.stats
        })
        .collect())
}
