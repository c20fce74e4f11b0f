//! Token attributions: which stretches of a text drove a class's score.
//!
//! The model is linear, so a class's log-odds against `clean` is a sum over n-gram
//! occurrences. Each occurrence's share is spread evenly over the key tokens it covers, giving
//! a score per token; maximal runs of tokens whose score reaches a fraction of the best token's
//! form the stretches, mapped back to the original text through [`KeyToken::orig`].
//!
//! [`KeyToken::orig`]: crate::text::KeyToken

use super::features::{group_scale, GROUPS};
use super::{Attribution, Classifier, Label};
use crate::text::Normalized;

/// A token belongs to a stretch when its score reaches this share of the best token's score.
/// Chosen on ViHOS train, never on dev: the train file split in two halves, each scored by a
/// model trained without it, the cut among 0.1–0.6 with the best mean of per-text and pooled
/// span F1 (`quytac eval --task spans --min-share …`; `models/README.md`).
pub const MIN_SHARE: f32 = 0.3;

pub(crate) fn attribute(m: &Classifier, norm: &Normalized, class: Label) -> Vec<Attribution> {
    attribute_with(m, norm, class, MIN_SHARE)
}

pub(crate) fn token_scores(m: &Classifier, norm: &Normalized, class: Label) -> Vec<f32> {
    let n = norm.marked().tokens().len();
    if n == 0 {
        return Vec::new();
    }
    // One pass: each group's shares are summed apart, since a group's scale depends on its
    // n-gram count, known only at the end.
    let mut per_group = vec![0f32; GROUPS * n];
    let mut counts = [0u32; GROUPS];
    m.spec.visit::<true>(norm, |g, b, r| {
        counts[g] += 1;
        if r.is_empty() {
            return;
        }
        let q = m.weights[b as usize];
        let w: [f32; 3] = std::array::from_fn(|c| q[c] as f32 * m.scale[c]);
        let contrib = match class {
            Label::Clean => w[0] - (w[1] + w[2]) / 2.0,
            _ => w[class.index()] - w[0],
        };
        let share = contrib / r.len() as f32;
        for s in &mut per_group[g * n + r.start..g * n + r.end] {
            *s += share;
        }
    });
    let gw = m.spec.group_weights();
    let t = m.calibration.temperature;
    let k: [f32; GROUPS] = std::array::from_fn(|g| group_scale(gw[g], counts[g]) / t);
    (0..n)
        .map(|i| (0..GROUPS).map(|g| k[g] * per_group[g * n + i]).sum())
        .collect()
}

pub(crate) fn attribute_with(
    m: &Classifier,
    norm: &Normalized,
    class: Label,
    min_share: f32,
) -> Vec<Attribution> {
    let tok = token_scores(m, norm, class);
    let best = tok.iter().copied().fold(0f32, f32::max);
    if best <= 0.0 {
        return Vec::new();
    }
    stretches(norm, &tok, best * min_share, |weight, score| weight + score)
}

/// Maximal runs of consecutive key tokens whose score reaches `cut`, as char ranges of the
/// original text, the heaviest first (equal weights keep text order). `weigh` folds the
/// scores of a run into its weight, starting from 0. `scores` holds one score per key token.
pub(crate) fn stretches(
    norm: &Normalized,
    scores: &[f32],
    cut: f32,
    weigh: fn(f32, f32) -> f32,
) -> Vec<Attribution> {
    let tokens = norm.marked().tokens();
    let mut out = Vec::new();
    let mut i = 0;
    while i < scores.len() {
        if scores[i] < cut {
            i += 1;
            continue;
        }
        let start = i;
        let mut weight = 0.0;
        while i < scores.len() && scores[i] >= cut {
            weight = weigh(weight, scores[i]);
            i += 1;
        }
        out.push(Attribution {
            start: tokens[start].orig.start,
            end: tokens[i - 1].orig.end,
            weight,
        });
    }
    out.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.start.cmp(&b.start)));
    out
}
