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
    let (mut texts, mut f1_sum) = (0usize, 0f64);
    let (mut tp, mut n_pred, mut n_gold) = (0usize, 0usize, 0usize);
    let mut mark: Vec<u8> = Vec::new();
    for (gold, pred, len) in pairs {
        // One byte per char: bit 0 gold, bit 1 predicted; sets, so duplicates count once.
        let size = gold.iter().map(|&g| g + 1).max().unwrap_or(0).max(len);
        mark.clear();
        mark.resize(size, 0);
        for &g in &gold {
            mark[g] |= 1;
        }
        for &(s, e) in &pred {
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
        f1_sum += match (g, p) {
            (0, 0) => 1.0,
            (0, _) | (_, 0) => 0.0,
            _ => 2.0 * t as f64 / (g + p) as f64,
        };
        texts += 1;
        tp += t;
        n_pred += p;
        n_gold += g;
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
}
