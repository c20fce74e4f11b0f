//! Scoring of predicted character spans against gold character offsets, as for ViHOS.
//!
//! Two figures, because they answer different questions:
//!
//! - **per-text mean F1** (SemEval-2021 Task 5, the figure ViHOS papers report): every text
//!   scores the F1 of its predicted against its gold characters, 1 when both are empty and 0
//!   when only one is; the score is the mean over texts. About half of the ViHOS texts have no
//!   gold span, so predicting nothing already scores about 0.5;
//! - **pooled** precision, recall and F1: all characters of all texts counted together, which
//!   says how much of the abusive text is actually found.

use crate::classifier::Confusion;

/// Span scores over a set of texts. All values are in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SpanScores {
    /// Number of texts scored.
    pub texts: usize,
    pub per_text_mean_f1: f64,
    pub pooled_precision: f64,
    pub pooled_recall: f64,
    pub pooled_f1: f64,
}

/// Scores `(gold, predicted, text_len)` triples: `gold` holds the char offsets of the gold
/// characters, `predicted` char spans `(start, end)` (end exclusive, overlaps allowed), and
/// `text_len` the length of the text in chars (predicted spans are clipped to it). Offsets are
/// Unicode scalar values, as Python `str` indices.
pub fn span_scores<I>(pairs: I) -> SpanScores
where
    I: IntoIterator<Item = (Vec<usize>, Vec<(usize, usize)>, usize)>,
{
    let counts: Vec<TextCounts> = pairs
        .into_iter()
        .map(|(gold, pred, len)| text_counts(&gold, &pred, len))
        .collect();
    aggregate(counts.iter())
}

/// [`span_scores`] with a bootstrap confidence interval of the per-text and pooled F1
/// (texts resampled with replacement; see [`bootstrap`]).
pub fn span_scores_ci<I>(
    pairs: I,
    resamples: usize,
    level: f64,
) -> (SpanScores, Option<[Interval; 2]>)
where
    I: IntoIterator<Item = (Vec<usize>, Vec<(usize, usize)>, usize)>,
{
    let counts: Vec<TextCounts> = pairs
        .into_iter()
        .map(|(gold, pred, len)| text_counts(&gold, &pred, len))
        .collect();
    let scores = aggregate(counts.iter());
    let per_text = bootstrap(counts.len(), resamples, level, BOOTSTRAP_SEED, |idx| {
        aggregate(idx.iter().map(|&i| &counts[i as usize])).per_text_mean_f1
    });
    let pooled = bootstrap(counts.len(), resamples, level, BOOTSTRAP_SEED, |idx| {
        aggregate(idx.iter().map(|&i| &counts[i as usize])).pooled_f1
    });
    (scores, per_text.zip(pooled).map(|(a, b)| [a, b]))
}

/// The character counts of one text: its F1 and its true-positive, predicted and gold chars.
#[derive(Debug, Clone, Copy)]
struct TextCounts {
    f1: f64,
    tp: usize,
    pred: usize,
    gold: usize,
}

fn text_counts(gold: &[usize], pred: &[(usize, usize)], len: usize) -> TextCounts {
    // One byte per char: bit 0 gold, bit 1 predicted; sets, so duplicates count once.
    let size = gold.iter().map(|&g| g + 1).max().unwrap_or(0).max(len);
    let mut mark = vec![0u8; size];
    for &g in gold {
        mark[g] |= 1;
    }
    for &(s, e) in pred {
        for m in &mut mark[s.min(len)..e.min(len)] {
            *m |= 2;
        }
    }
    let (mut t, mut p, mut g) = (0usize, 0usize, 0usize);
    for &m in &mark {
        t += usize::from(m == 3);
        p += usize::from(m & 2 != 0);
        g += usize::from(m & 1 != 0);
    }
    let f1 = match (g, p) {
        (0, 0) => 1.0,
        (0, _) | (_, 0) => 0.0,
        _ => 2.0 * t as f64 / (g + p) as f64,
    };
    TextCounts {
        f1,
        tp: t,
        pred: p,
        gold: g,
    }
}

fn aggregate<'a>(counts: impl Iterator<Item = &'a TextCounts>) -> SpanScores {
    let (mut texts, mut f1_sum) = (0usize, 0f64);
    let (mut tp, mut n_pred, mut n_gold) = (0usize, 0usize, 0usize);
    for c in counts {
        texts += 1;
        f1_sum += c.f1;
        tp += c.tp;
        n_pred += c.pred;
        n_gold += c.gold;
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let (precision, recall) = (ratio(tp, n_pred), ratio(tp, n_gold));
    SpanScores {
        texts,
        per_text_mean_f1: if texts == 0 {
            0.0
        } else {
            f1_sum / texts as f64
        },
        pooled_precision: precision,
        pooled_recall: recall,
        pooled_f1: if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        },
    }
}

/// A confidence interval of a statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    /// Coverage, e.g. 0.95.
    pub level: f64,
    pub resamples: usize,
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0}% CI {:.4}–{:.4}, {} bootstrap resamples",
            self.level * 100.0,
            self.low,
            self.high,
            self.resamples
        )
    }
}

/// The seed of every bootstrap in the reports, so that the same data gives the same interval.
pub const BOOTSTRAP_SEED: u64 = 0x6271_7574_6163_6369;

/// A percentile bootstrap interval: `stat` is computed on `resamples` samples of `n` item
/// indices drawn with replacement (a deterministic generator seeded by `seed`), and the
/// interval holds the central `level` share of those values. `None` when there is no item or
/// no resample: an interval of nothing would be a made-up figure.
pub fn bootstrap(
    n: usize,
    resamples: usize,
    level: f64,
    seed: u64,
    mut stat: impl FnMut(&[u32]) -> f64,
) -> Option<Interval> {
    if n == 0 || resamples == 0 {
        return None;
    }
    let mut state = seed;
    let mut idx = vec![0u32; n];
    let mut values = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for i in idx.iter_mut() {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            // Lemire's multiply-shift maps a 64-bit draw onto 0..n without a modulo bias
            // worth speaking of at these sizes.
            *i = ((splitmix(state) as u128 * n as u128) >> 64) as u32;
        }
        values.push(stat(&idx));
    }
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - level.clamp(0.0, 1.0)) / 2.0;
    let at = |q: f64| values[((q * (resamples - 1) as f64).round() as usize).min(resamples - 1)];
    Some(Interval {
        low: at(tail),
        high: at(1.0 - tail),
        level,
        resamples,
    })
}

/// Bootstrap interval of a score read off a confusion matrix of `(gold, predicted)` pairs.
pub fn confusion_ci(
    pairs: &[(usize, usize)],
    classes: usize,
    resamples: usize,
    level: f64,
    score: impl Fn(&Confusion) -> f64,
) -> Option<Interval> {
    let mut m = Confusion::new(classes);
    bootstrap(pairs.len(), resamples, level, BOOTSTRAP_SEED, |idx| {
        m.clear();
        for &i in idx {
            let (g, p) = pairs[i as usize];
            m.add(g, p);
        }
        score(&m)
    })
}

fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn empty_gold_and_prediction_scores_one_per_text() {
        let s = span_scores([(vec![], vec![], 5), (vec![1, 2], vec![], 5)]);
        assert_eq!(s.texts, 2);
        assert!(close(s.per_text_mean_f1, 0.5));
        assert!(close(s.pooled_f1, 0.0));
    }

    #[test]
    fn partial_overlap() {
        // Gold chars 0..4, predicted 2..6: tp 2, |gold| 4, |pred| 4.
        let s = span_scores([(vec![0, 1, 2, 3], vec![(2, 6)], 10)]);
        assert!(close(s.per_text_mean_f1, 0.5));
        assert!(close(s.pooled_precision, 0.5));
        assert!(close(s.pooled_recall, 0.5));
        assert!(close(s.pooled_f1, 0.5));
    }

    #[test]
    fn overlapping_predictions_and_clipping_count_once() {
        let s = span_scores([(vec![0, 1], vec![(0, 2), (1, 2), (0, 99)], 2)]);
        assert!(close(s.per_text_mean_f1, 1.0));
        assert!(close(s.pooled_precision, 1.0));
    }

    #[test]
    fn prediction_on_clean_text_scores_zero() {
        let s = span_scores([(vec![], vec![(0, 1)], 3)]);
        assert!(close(s.per_text_mean_f1, 0.0));
        assert!(close(s.pooled_precision, 0.0));
    }

    #[test]
    fn bootstrap_interval_brackets_the_estimate_and_is_deterministic() {
        // 200 items, 70% correct: the interval holds 0.7 and is a few points wide.
        let pairs: Vec<(usize, usize)> = (0..200).map(|i| (0, usize::from(i % 10 >= 7))).collect();
        let acc = |m: &Confusion| m.accuracy();
        let a = confusion_ci(&pairs, 2, 500, 0.95, acc).unwrap();
        let b = confusion_ci(&pairs, 2, 500, 0.95, acc).unwrap();
        assert_eq!(a, b);
        assert!(a.low < 0.7 && 0.7 < a.high, "{a:?}");
        assert!(a.high - a.low > 0.05 && a.high - a.low < 0.2, "{a:?}");
        assert!(confusion_ci(&[], 2, 500, 0.95, acc).is_none());
    }

    #[test]
    fn span_interval_matches_the_scores() {
        let data = || {
            (0..50).map(|i| {
                if i % 2 == 0 {
                    (vec![0, 1, 2], vec![(0, 3)], 5)
                } else {
                    (vec![], vec![], 5)
                }
            })
        };
        let (s, ci) = span_scores_ci(data(), 200, 0.9);
        assert_eq!(s, span_scores(data()));
        let [per_text, pooled] = ci.unwrap();
        // Every text scores 1, so every resample does too.
        assert!((per_text.low - 1.0).abs() < 1e-12 && (pooled.high - 1.0).abs() < 1e-12);
    }
}
