//! Training of the span model ([`SpanModel`]): L2-regularised logistic regression per key
//! token, fitted by L-BFGS, its token threshold chosen by k-fold cross-validation on the
//! training texts alone. Deterministic: one thread, fixed order, no clock.
//!
//! A token is labelled abusive when any original character it came from is a gold character.
//! Texts are assigned to folds by a hash of their plain key, so copies of a comment that differ
//! only in case, marks or spacing share a fold. The threshold is the one of
//! [`THRESHOLD_GRID`] whose out-of-fold spans have the best mean of per-text and pooled F1
//! (the two figures `quytac eval --task spans` reports).

use super::features::{fmix, fnv_bytes, FNV_OFFSET};
use super::optim::lbfgs;
use super::span_model::{sigmoid, stretches_at, visit, SpanModel};
use crate::eval::{span_scores, SpanScores};
use crate::text::Normalized;
use std::ops::Range;

/// The token thresholds tried.
pub const THRESHOLD_GRID: [f32; 11] = [
    0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70,
];

/// One training text: its characters marked abusive, as offsets (ViHOS's `index_spans`).
pub struct SpanExample<'a> {
    pub text: &'a str,
    pub gold: &'a [usize],
}

#[derive(Debug, Clone)]
pub struct SpanTrainConfig {
    /// The model has `2^hash_bits` buckets.
    pub hash_bits: u8,
    /// L2 penalty on the weights, per training text token (as scikit-learn's `1 / C`).
    pub l2: f64,
    pub folds: usize,
    pub max_iter: usize,
    pub tolerance: f64,
}

impl Default for SpanTrainConfig {
    fn default() -> Self {
        SpanTrainConfig {
            hash_bits: 18,
            l2: 1.0,
            folds: 5,
            max_iter: 300,
            tolerance: 1e-6,
        }
    }
}

/// A trained model with the cross-validation it was chosen by.
pub struct SpanFit {
    pub model: SpanModel,
    /// The out-of-fold span scores at each threshold of [`THRESHOLD_GRID`].
    pub cv: Vec<(f32, SpanScores)>,
}

/// The featurised training data: one row per key token.
struct Rows {
    indptr: Vec<usize>,
    cols: Vec<u32>,
    labels: Vec<bool>,
    /// Per text: its rows, its fold, and what scoring its spans needs.
    texts: Vec<Text>,
}

struct Text {
    rows: Range<usize>,
    fold: usize,
    norm: Normalized,
    gold: Vec<usize>,
    chars: usize,
}

fn featurise(examples: &[SpanExample], cfg: &SpanTrainConfig) -> Rows {
    let mut rows = Rows {
        indptr: vec![0],
        cols: Vec::new(),
        labels: Vec::new(),
        texts: Vec::with_capacity(examples.len()),
    };
    for ex in examples {
        let norm = Normalized::new(ex.text);
        let first = rows.labels.len();
        let tokens = norm.marked().tokens();
        let mut current = 0usize;
        let mut row_cols: Vec<u32> = Vec::new();
        let flush = |rows: &mut Rows, row_cols: &mut Vec<u32>| {
            rows.cols.append(row_cols);
            rows.indptr.push(rows.cols.len());
        };
        visit(&norm, cfg.hash_bits, |i, b| {
            while current < i {
                flush(&mut rows, &mut row_cols);
                current += 1;
            }
            row_cols.push(b);
        });
        if !tokens.is_empty() {
            flush(&mut rows, &mut row_cols);
        }
        for t in tokens {
            rows.labels.push(ex.gold.iter().any(|g| t.orig.contains(g)));
        }
        let fold = (fmix(fnv_bytes(FNV_OFFSET, norm.plain().text().as_bytes()))
            % cfg.folds.max(1) as u64) as usize;
        rows.texts.push(Text {
            rows: first..rows.labels.len(),
            fold,
            gold: ex.gold.to_vec(),
            chars: ex.text.chars().count(),
            norm,
        });
    }
    rows
}

/// Fits the weights (the bias last) on the texts `train` says yes to.
fn fit(rows: &Rows, cfg: &SpanTrainConfig, train: impl Fn(&Text) -> bool) -> Vec<f64> {
    let n = 1usize << cfg.hash_bits;
    let picked: Vec<usize> = rows
        .texts
        .iter()
        .filter(|t| train(t))
        .flat_map(|t| t.rows.clone())
        .collect();
    let scale = 1.0 / picked.len().max(1) as f64;
    let mut x = vec![0.0; n + 1];
    lbfgs(
        &mut x,
        |w, g| {
            g.iter_mut().for_each(|v| *v = 0.0);
            let mut loss = 0.0;
            for &r in &picked {
                let cols = &rows.cols[rows.indptr[r]..rows.indptr[r + 1]];
                let z = w[n] + cols.iter().map(|&c| w[c as usize]).sum::<f64>();
                let y = if rows.labels[r] { 1.0 } else { 0.0 };
                // log(1 + e^z) - y z, computed without overflow.
                loss += z.max(0.0) + (-z.abs()).exp().ln_1p() - y * z;
                let d = 1.0 / (1.0 + (-z).exp()) - y;
                for &c in cols {
                    g[c as usize] += d;
                }
                g[n] += d;
            }
            let mut penalty = 0.0;
            for j in 0..n {
                penalty += w[j] * w[j];
                g[j] += cfg.l2 * w[j];
            }
            g.iter_mut().for_each(|v| *v *= scale);
            (loss + 0.5 * cfg.l2 * penalty) * scale
        },
        cfg.max_iter,
        cfg.tolerance,
        &mut |_, _| {},
    );
    x
}

/// Token probabilities of one text under float weights.
fn probs(rows: &Rows, text: &Text, w: &[f64]) -> Vec<f32> {
    let bias = w[w.len() - 1];
    text.rows
        .clone()
        .map(|r| {
            let cols = &rows.cols[rows.indptr[r]..rows.indptr[r + 1]];
            sigmoid((bias + cols.iter().map(|&c| w[c as usize]).sum::<f64>()) as f32)
        })
        .collect()
}

/// Trains a span model: cross-validation for the threshold, then the model on every text.
/// `progress` hears a line per step.
pub fn train_span_model(
    examples: &[SpanExample],
    cfg: &SpanTrainConfig,
    progress: &mut dyn FnMut(&str),
) -> SpanFit {
    let rows = featurise(examples, cfg);
    progress(&format!(
        "{} texts, {} tokens ({} abusive), {} features",
        rows.texts.len(),
        rows.labels.len(),
        rows.labels.iter().filter(|&&l| l).count(),
        rows.cols.len()
    ));
    let mut oof: Vec<Vec<f32>> = vec![Vec::new(); rows.texts.len()];
    for k in 0..cfg.folds {
        let w = fit(&rows, cfg, |t| t.fold != k);
        for (i, t) in rows.texts.iter().enumerate() {
            if t.fold == k {
                oof[i] = probs(&rows, t, &w);
            }
        }
        progress(&format!("fold {} of {} fitted", k + 1, cfg.folds));
    }
    let cv: Vec<(f32, SpanScores)> = THRESHOLD_GRID
        .iter()
        .map(|&th| {
            let scores = span_scores(rows.texts.iter().zip(&oof).map(|(t, p)| {
                let spans = stretches_at(&t.norm, p, th)
                    .iter()
                    .map(|a| (a.start, a.end))
                    .collect();
                (t.gold.clone(), spans, t.chars)
            }));
            (th, scores)
        })
        .collect();
    let mean = |s: &SpanScores| (s.per_text_mean_f1 + s.pooled_f1) / 2.0;
    let (threshold, best) = cv
        .iter()
        .fold(None::<&(f32, SpanScores)>, |best, c| match best {
            Some(b) if mean(&b.1) >= mean(&c.1) => Some(b),
            _ => Some(c),
        })
        .map(|(t, s)| (*t, *s))
        .unwrap_or((0.5, SpanScores::default()));
    let w = fit(&rows, cfg, |_| true);
    progress("final model fitted");
    let n = w.len() - 1;
    let max = w[..n].iter().fold(0f64, |m, v| m.max(v.abs()));
    let step = if max > 0.0 { max / 127.0 } else { 1.0 };
    let weights = w[..n]
        .iter()
        .map(|v| (v / step).round().clamp(-127.0, 127.0) as i8)
        .collect();
    let description = format!(
        "span model: logistic regression per key token, 2^{} buckets, L2 {}, {} texts; \
         threshold {threshold:.2} chosen by {}-fold cross-validation (out-of-fold per-text F1 \
         {:.4}, pooled F1 {:.4})",
        cfg.hash_bits,
        cfg.l2,
        rows.texts.len(),
        cfg.folds,
        best.per_text_mean_f1,
        best.pooled_f1
    );
    SpanFit {
        model: SpanModel {
            hash_bits: cfg.hash_bits,
            weights,
            scale: step as f32,
            bias: w[n] as f32,
            threshold,
            description,
        },
        cv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_the_marked_words_deterministically() {
        let texts: Vec<(String, Vec<usize>)> = (0..60)
            .map(|i| {
                let names = ["an", "bình", "chi", "dũng", "hoa", "minh"];
                let name = names[i % names.len()];
                if i % 2 == 0 {
                    let text = format!("{name} là đồ ngu");
                    let start = text.chars().count() - 6;
                    (text, (start..start + 6).collect())
                } else {
                    (format!("{name} là người tốt"), Vec::new())
                }
            })
            .collect();
        let examples: Vec<SpanExample> = texts
            .iter()
            .map(|(t, g)| SpanExample { text: t, gold: g })
            .collect();
        let cfg = SpanTrainConfig {
            hash_bits: 12,
            folds: 3,
            ..SpanTrainConfig::default()
        };
        let a = train_span_model(&examples, &cfg, &mut |_| {});
        let b = train_span_model(&examples, &cfg, &mut |_| {});
        assert_eq!(a.model.to_bytes(), b.model.to_bytes());
        assert_eq!(a.cv.len(), THRESHOLD_GRID.len());
        let s = a.model.stretches(&Normalized::new("hoa là đồ ngu"));
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!((s[0].start, s[0].end), (7, 13));
        assert!(a
            .model
            .stretches(&Normalized::new("hoa là người tốt"))
            .is_empty());
    }
}
