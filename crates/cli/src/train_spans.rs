//! `quytac train-spans`: trains the span model (which words of a post are the abusive ones) on
//! a CSV of texts with their abusive characters marked, as ViHOS's `index_spans`.

use crate::eval::column;
use crate::train::held_out;
use anyhow::{bail, Context, Result};
use quytac_core::classifier::{train_span_model, SpanExample, SpanTrainConfig};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct TrainSpansArgs {
    /// CSV of texts and their abusive characters (ViHOS train).
    #[arg(long)]
    pub data: PathBuf,
    /// Column holding the text.
    #[arg(long, default_value = "content")]
    pub text_col: String,
    /// Column holding the abusive characters: a JSON list of char offsets, `[]` for none.
    #[arg(long, default_value = "index_spans")]
    pub spans_col: String,
    /// Leave out training rows whose normalised text occurs in this CSV (PATH:TEXT_COL,
    /// repeatable), so that it stays a fair test set.
    #[arg(long = "holdout", value_name = "PATH:TEXT_COL")]
    pub holdout: Vec<String>,
    /// The model has 2^N buckets (one byte each).
    #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u8).range(10..=24))]
    pub hash_bits: u8,
    /// L2 penalty per token (scikit-learn's 1 / C).
    #[arg(long, default_value_t = 1.0)]
    pub l2: f64,
    /// Folds of the cross-validation that chooses the token threshold.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(2..=20))]
    pub folds: u16,
    /// Where to write the model.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &TrainSpansArgs) -> Result<()> {
    if !args.l2.is_finite() || args.l2 < 0.0 {
        bail!("--l2 {} must be a finite number ≥ 0", args.l2);
    }
    let held = held_out(&args.holdout)?;
    let mut rdr = csv::Reader::from_path(&args.data)
        .with_context(|| format!("cannot open {}", args.data.display()))?;
    let headers = rdr.headers()?.clone();
    let (ti, si) = (
        column(&headers, &args.text_col, &args.data)?,
        column(&headers, &args.spans_col, &args.data)?,
    );
    let mut rows: Vec<(String, Vec<usize>)> = Vec::new();
    let mut left_out = 0usize;
    for (i, rec) in rdr.records().enumerate() {
        let rec =
            rec.with_context(|| format!("{}: bad CSV record {}", args.data.display(), i + 2))?;
        let text = rec.get(ti).unwrap_or("");
        let gold: Vec<usize> =
            serde_json::from_str(rec.get(si).unwrap_or("")).with_context(|| {
                format!(
                    "{}: row {}: {} is not a list of char offsets",
                    args.data.display(),
                    i + 2,
                    args.spans_col
                )
            })?;
        if held.contains(text) {
            left_out += 1;
            continue;
        }
        rows.push((text.to_string(), gold));
    }
    if rows.is_empty() {
        bail!("{} has no training rows", args.data.display());
    }
    eprintln!(
        "{}: {} rows ({left_out} left out as held-out texts)",
        args.data.display(),
        rows.len()
    );
    let examples: Vec<SpanExample> = rows
        .iter()
        .map(|(text, gold)| SpanExample { text, gold })
        .collect();
    let cfg = SpanTrainConfig {
        hash_bits: args.hash_bits,
        l2: args.l2,
        folds: args.folds as usize,
        ..SpanTrainConfig::default()
    };
    let started = Instant::now();
    let fit = train_span_model(&examples, &cfg, &mut |line| {
        eprintln!("[{:>5.1}s] {line}", started.elapsed().as_secs_f64())
    });
    eprintln!("threshold  per-text F1  pooled F1  (out of fold)");
    for (t, s) in &fit.cv {
        let mark = if *t == fit.model.threshold() {
            "  <- chosen"
        } else {
            ""
        };
        eprintln!(
            "{t:>9.2}  {:>11.4}  {:>9.4}{mark}",
            s.per_text_mean_f1, s.pooled_f1
        );
    }
    std::fs::write(&args.out, fit.model.to_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!("{}\nwrote {}", fit.model.description(), args.out.display());
    Ok(())
}
