//! Evaluation: span matching shared by the integration test and `quytac eval` on a
//! personal-data set.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::finding::{Category, Detection, PersonalDataKind};

pub const MIN_IOU: f64 = 0.5;

/// Intersection over union of two half-open char ranges.
pub fn span_iou(a: (usize, usize), b: (usize, usize)) -> f64 {
    let inter = a.1.min(b.1).saturating_sub(a.0.max(b.0));
    let union = a.1.max(b.1) - a.0.min(b.0);
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Counts for one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl KindCounts {
    /// Gold spans of this kind.
    pub fn support(&self) -> usize {
        self.true_positives + self.false_negatives
    }
    /// 1.0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        let p = self.true_positives + self.false_positives;
        if p == 0 {
            1.0
        } else {
            self.true_positives as f64 / p as f64
        }
    }
    /// 1.0 when there is nothing to find.
    pub fn recall(&self) -> f64 {
        let s = self.support();
        if s == 0 {
            1.0
        } else {
            self.true_positives as f64 / s as f64
        }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Per-kind span-level scores, accumulated over any number of texts.
///
/// Matching rule, per text and per kind: every (gold, prediction) pair of that kind with
/// IoU ≥ [`MIN_IOU`] is a possible match; pairs are taken best IoU first, each gold span and
/// each prediction matching at most once. Matched predictions are true positives, unmatched
/// predictions false positives, unmatched gold spans false negatives. A prediction of the
/// wrong kind on a gold span therefore counts twice: a false positive for its kind and a false
/// negative for the gold kind. Detections of other categories, or without a kind, are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalDataScores {
    pub per_kind: BTreeMap<PersonalDataKind, KindCounts>,
}

impl Default for PersonalDataScores {
    fn default() -> Self {
        Self::new()
    }
}

impl PersonalDataScores {
    pub fn new() -> Self {
        PersonalDataScores {
            per_kind: PersonalDataKind::ALL
                .into_iter()
                .map(|k| (k, KindCounts::default()))
                .collect(),
        }
    }

    /// Adds one text: its gold spans `(start, end, kind)` and the detector's output.
    pub fn add(&mut self, gold: &[(usize, usize, PersonalDataKind)], pred: &[Detection]) {
        for kind in PersonalDataKind::ALL {
            let g: Vec<(usize, usize)> = gold
                .iter()
                .filter(|x| x.2 == kind)
                .map(|x| (x.0, x.1))
                .collect();
            let p: Vec<(usize, usize)> = pred
                .iter()
                .filter(|d| d.category == Category::PersonalData && d.kind == Some(kind))
                .map(|d| (d.start, d.end))
                .collect();
            if g.is_empty() && p.is_empty() {
                continue;
            }
            let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
            for (gi, gs) in g.iter().enumerate() {
                for (pi, ps) in p.iter().enumerate() {
                    let iou = span_iou(*gs, *ps);
                    if iou >= MIN_IOU {
                        pairs.push((iou, gi, pi));
                    }
                }
            }
            pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
            let (mut g_used, mut p_used) = (vec![false; g.len()], vec![false; p.len()]);
            let mut tp = 0;
            for (_, gi, pi) in pairs {
                if !g_used[gi] && !p_used[pi] {
                    g_used[gi] = true;
                    p_used[pi] = true;
                    tp += 1;
                }
            }
            let c = self.per_kind.entry(kind).or_default();
            c.true_positives += tp;
            c.false_positives += p.len() - tp;
            c.false_negatives += g.len() - tp;
        }
    }

    pub fn get(&self, kind: PersonalDataKind) -> KindCounts {
        self.per_kind.get(&kind).copied().unwrap_or_default()
    }

    /// All kinds pooled (micro average).
    pub fn total(&self) -> KindCounts {
        self.per_kind
            .values()
            .fold(KindCounts::default(), |a, c| KindCounts {
                true_positives: a.true_positives + c.true_positives,
                false_positives: a.false_positives + c.false_positives,
                false_negatives: a.false_negatives + c.false_negatives,
            })
    }

    /// A plain-text table: kind, precision, recall, F1, support, TP, FP, FN.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<13} {:>9} {:>7} {:>6} {:>8} {:>5} {:>4} {:>4}",
            "kind", "precision", "recall", "f1", "support", "tp", "fp", "fn"
        );
        let mut row = |name: &str, c: KindCounts| {
            let _ = writeln!(
                s,
                "{:<13} {:>9.3} {:>7.3} {:>6.3} {:>8} {:>5} {:>4} {:>4}",
                name,
                c.precision(),
                c.recall(),
                c.f1(),
                c.support(),
                c.true_positives,
                c.false_positives,
                c.false_negatives
            );
        };
        for (k, c) in &self.per_kind {
            row(k.as_str(), *c);
        }
        row("all (micro)", self.total());
        s
    }
}

/// Scores one text's predictions against its gold spans (see [`PersonalDataScores`] for the
/// matching rule).
pub fn score_spans(
    gold: &[(usize, usize, PersonalDataKind)],
    pred: &[Detection],
) -> PersonalDataScores {
    let mut s = PersonalDataScores::new();
    s.add(gold, pred);
    s
}
