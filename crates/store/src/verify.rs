//! Reading the whole log and the covered rows in one snapshot, for verification. What the
//! signatures mean is the service's to judge (it holds the key); this gathers and recomputes.

use crate::audit::{self, ChainHead, ChainWalker, RowKey, SignedHead, Table};
use crate::model::Checkpoint;
use crate::{Backend, Result, Store};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use std::collections::{HashMap, HashSet};

/// The chains recomputed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainReport {
    pub ok: bool,
    pub events: i64,
    pub chains: Vec<ChainHead>,
    pub first_broken: Option<audit::BrokenLink>,
}

/// A covered row that does not match the log: `row_differs` (its content is not what the
/// latest event bound), `unbound_row` (no event ever bound it: written outside the workflow)
/// or `row_missing` (an event bound it; it is gone).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    pub table: String,
    pub id: RowKey,
    pub reason: String,
}

/// The covered rows checked against their bindings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StateReport {
    pub rows: i64,
    /// Rows written before the audit bound rows (below `audit_coverage`), not checked.
    pub legacy_rows: i64,
    pub problem_count: i64,
    /// The first problems, at most [`StateReport::SHOWN`].
    pub problems: Vec<RowProblem>,
}

impl StateReport {
    pub const SHOWN: usize = 50;

    fn add(&mut self, table: Table, id: RowKey, reason: &str) {
        self.problem_count += 1;
        if self.problems.len() < Self::SHOWN {
            self.problems.push(RowProblem {
                table: table.name().into(),
                id,
                reason: reason.into(),
            });
        }
    }
}

/// Everything verification needs, read in one snapshot of the database.
#[derive(Debug)]
pub struct LogScan {
    /// Every signed head, oldest first.
    pub heads: Vec<SignedHead>,
    /// Checkpoints of the log before chains (format 1, chain 0 at pos = seq).
    pub legacy: Vec<Checkpoint>,
    pub walker: ChainWalker,
    pub state: StateReport,
}

const PAGE: i64 = 2000;

impl Store {
    /// Reads every signed head, every chain and every covered row in one read-only snapshot
    /// (so writes committing meanwhile cannot look like tampering), recomputing each chain,
    /// and checks each row against its latest binding. `extra` names heads (a witness's) whose
    /// positions' hashes the caller will ask the walker for.
    pub async fn scan_log(&self, extra: &[ChainHead]) -> Result<LogScan> {
        let mut tx = self.pool().begin().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let heads: Vec<SignedHead> = sqlx::query(&format!(
            "SELECT {} FROM audit_heads ORDER BY id",
            audit::HEAD_COLS
        ))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(audit::head_from)
        .collect::<Result<_>>()?;
        let legacy: Vec<Checkpoint> = sqlx::query(
            "SELECT seq, hash, signature, public_key, at FROM audit_checkpoints ORDER BY seq",
        )
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(Checkpoint {
                seq: r.try_get("seq")?,
                hash: r.try_get("hash")?,
                signature: r.try_get("signature")?,
                public_key: r.try_get("public_key")?,
                at: r.try_get("at")?,
            })
        })
        .collect::<Result<_>>()?;
        let mut wanted: HashSet<(i64, i64)> = heads
            .iter()
            .flat_map(|h| h.chains.iter())
            .chain(extra)
            .map(|c| (c.chain, c.pos))
            .collect();
        wanted.extend(legacy.iter().map(|c| (0, c.seq)));
        let mut walker = ChainWalker::new(wanted, true);
        let chains: Vec<i64> =
            sqlx::query("SELECT DISTINCT chain FROM audit_events ORDER BY chain")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("chain"))
                .collect::<std::result::Result<_, _>>()?;
        for chain in chains {
            let mut after = 0;
            loop {
                let page = sqlx::query(&format!(
                    "SELECT {} FROM audit_events WHERE chain = $1 AND pos > $2 ORDER BY pos LIMIT $3",
                    audit::EVENT_COLS
                ))
                .bind(chain)
                .bind(after)
                .bind(PAGE)
                .fetch_all(&mut *tx)
                .await?;
                for r in &page {
                    let e = audit::event_from(r)?;
                    after = e.pos;
                    walker.push(&e);
                }
                if (page.len() as i64) < PAGE {
                    break;
                }
            }
        }
        let state = check_rows(&mut tx, &mut walker.bindings).await?;
        tx.commit().await?;
        Ok(LogScan {
            heads,
            legacy,
            walker,
            state,
        })
    }
}

/// Recomputes every covered row's hash and compares it with the latest binding; what is left
/// of the bindings afterwards are rows that are gone. Rows written before their table was
/// covered are not checked until the workflow writes them again: those of numbered tables
/// below `audit_coverage.from_id`, those of tables keyed by text listed in
/// `audit_legacy_rows`.
async fn check_rows(
    tx: &mut Transaction<'static, Any>,
    bindings: &mut HashMap<(Table, RowKey), (String, i64)>,
) -> Result<StateReport> {
    let coverage: HashMap<String, i64> = sqlx::query("SELECT tbl, from_id FROM audit_coverage")
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("tbl")?, r.try_get("from_id")?)))
        .collect::<Result<_>>()?;
    let legacy_keys: HashSet<(String, String)> =
        sqlx::query("SELECT tbl, row_key FROM audit_legacy_rows")
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("tbl")?, r.try_get("row_key")?)))
            .collect::<Result<_>>()?;
    let mut report = StateReport::default();
    for table in Table::ALL {
        let from_id = coverage.get(table.name()).copied().unwrap_or(0);
        let mut after: Option<RowKey> = None;
        loop {
            // Qualified: the bare key of ORDER BY would be the text column of the select list
            // and sort "10" before "9", so pages would skip rows.
            let (t, k) = (table.name(), table.key_column());
            let sql = match after {
                None => format!("{} ORDER BY {t}.{k} LIMIT $1", table.select_sql()),
                Some(_) => format!(
                    "{} WHERE {t}.{k} > $2 ORDER BY {t}.{k} LIMIT $1",
                    table.select_sql()
                ),
            };
            let query = sqlx::query(&sql).bind(PAGE);
            let query = match &after {
                None => query,
                Some(RowKey::Id(id)) => query.bind(*id),
                Some(RowKey::Text(key)) => query.bind(key.clone()),
            };
            let page = query.fetch_all(&mut **tx).await?;
            for r in &page {
                let values = audit::row_values(table, r)?;
                let text = values.first().cloned().flatten().unwrap_or_default();
                let key = if table.text_key() {
                    RowKey::Text(text.clone())
                } else {
                    RowKey::Id(text.parse().unwrap_or_default())
                };
                after = Some(key.clone());
                report.rows += 1;
                let legacy = match key {
                    RowKey::Id(id) => id < from_id,
                    RowKey::Text(_) => legacy_keys.contains(&(table.name().to_string(), text)),
                };
                match bindings.remove(&(table, key.clone())) {
                    Some((hash, _)) if hash == audit::row_hash(table, &values) => {}
                    Some(_) => report.add(table, key, "row_differs"),
                    None if legacy => report.legacy_rows += 1,
                    None => report.add(table, key, "unbound_row"),
                }
            }
            if (page.len() as i64) < PAGE {
                break;
            }
        }
    }
    let mut gone: Vec<(Table, RowKey)> = bindings.keys().cloned().collect();
    gone.sort();
    for (table, key) in gone {
        report.add(table, key, "row_missing");
    }
    Ok(report)
}
