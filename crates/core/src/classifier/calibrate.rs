//! Calibration and decision thresholds, fitted on out-of-fold scores of the training data.

use super::metrics::Confusion;
use super::optim::lbfgs;
use super::train::Target;
use super::{Calibration, Classifier, Label, Prediction, Thresholds};

/// Fits `temperature` and class biases to out-of-fold scores by likelihood.
pub(crate) fn fit_calibration(oof: &[([f32; 3], Target)]) -> Calibration {
    // Parameters: log temperature, bias of offensive, bias of hate (clean's bias is 0: the
    // softmax only sees differences).
    let n = oof.len() as f64;
    let mut x = vec![0.0; 3];
    lbfgs(
        &mut x,
        |p, g| {
            let t = p[0].exp();
            let bias = [0.0, p[1], p[2]];
            g.fill(0.0);
            let mut loss = 0.0;
            for (s, target) in oof {
                let z: [f64; 3] = std::array::from_fn(|c| s[c] as f64 / t + bias[c]);
                let m = z[0].max(z[1]).max(z[2]);
                let e = z.map(|v| (v - m).exp());
                let sum = e[0] + e[1] + e[2];
                let mask = target.mask();
                let in_set: f64 = (0..3).filter(|&c| mask[c]).map(|c| e[c]).sum();
                loss += (sum.ln() - in_set.max(1e-300).ln()) / n;
                let d: [f64; 3] = std::array::from_fn(|c| {
                    let q = if mask[c] { e[c] / in_set } else { 0.0 };
                    (e[c] / sum - q) / n
                });
                // dz_c/dlogT = -s_c / t.
                for c in 0..3 {
                    g[0] += d[c] * (-(s[c] as f64) / t);
                }
                g[1] += d[1];
                g[2] += d[2];
            }
            loss
        },
        200,
        1e-9,
        &mut |_, _| {},
    );
    Calibration {
        temperature: x[0].exp().clamp(1e-3, 1e3) as f32,
        bias: [0.0, x[1] as f32, x[2] as f32],
    }
}

fn label_rows(probs: &[([f32; 3], Target)]) -> impl Iterator<Item = ([f32; 3], Label)> + '_ {
    probs.iter().filter_map(|(p, t)| match t {
        Target::Label(l) => Some((*p, *l)),
        Target::Toxic => None,
    })
}

/// Adds the labelled rows of `probs` to `m`, each labelled under `t`.
fn count_labels(m: &mut Confusion, probs: &[([f32; 3], Target)], t: &Thresholds) {
    for (p, l) in label_rows(probs) {
        let pred = Prediction {
            probs: p,
            thresholds: *t,
        };
        m.add(l.index(), pred.label().index());
    }
}

pub(crate) fn macro_f1(probs: &[([f32; 3], Target)], t: &Thresholds) -> f64 {
    let mut m = Confusion::new(3);
    count_labels(&mut m, probs, t);
    m.macro_f1()
}

pub(crate) fn macro_f1_argmax(probs: &[([f32; 3], Target)]) -> f64 {
    let mut m = Confusion::new(3);
    for (p, l) in label_rows(probs) {
        let pred = Prediction {
            probs: p,
            thresholds: Thresholds::default(),
        };
        m.add(l.index(), pred.argmax().index());
    }
    m.macro_f1()
}

/// Macro-F1 of out-of-fold scores when the scores of fold `k` are labelled under thresholds
/// chosen on the other folds' scores only (`fold[i]` is the fold of `probs[i]`). Unlike
/// [`macro_f1`] under thresholds tuned on the same scores, no row is judged by thresholds fitted
/// to it, so the figure does not flatter the model.
pub(crate) fn cross_fitted_macro_f1(probs: &[([f32; 3], Target)], fold: &[u8]) -> f64 {
    let mut m = Confusion::new(3);
    let folds = fold.iter().copied().max().map_or(0, |k| k as usize + 1);
    for k in 0..folds {
        let (mut held, mut rest) = (Vec::new(), Vec::new());
        for (row, &f) in probs.iter().zip(fold) {
            if f as usize == k {
                held.push(*row);
            } else {
                rest.push(*row);
            }
        }
        count_labels(&mut m, &held, &tune_thresholds(&rest));
    }
    m.macro_f1()
}

/// F1 of toxic (offensive or hate) against clean, the label taken under `t`.
pub(crate) fn toxic_f1(probs: impl Iterator<Item = ([f32; 3], Target)>, t: &Thresholds) -> f64 {
    let mut m = Confusion::new(2);
    for (p, target) in probs {
        let gold = usize::from(target != Target::Label(Label::Clean));
        let pred = Prediction {
            probs: p,
            thresholds: *t,
        };
        m.add(gold, usize::from(pred.label() != Label::Clean));
    }
    m.class(1).f1
}

/// The threshold on P(offensive) + P(hate) (on a 0.01 grid) that maximises the toxic F1 of a
/// two-way decision on binary-labelled out-of-fold rows, with that F1; `None` without rows.
pub(crate) fn tune_toxic_threshold(probs: &[([f32; 3], Target)]) -> Option<(f32, f64)> {
    if probs.is_empty() {
        return None;
    }
    let mut best: Option<(f32, f64)> = None;
    for k in 5..=95 {
        let t = k as f32 / 100.0;
        let mut m = Confusion::new(2);
        for (p, target) in probs {
            let gold = usize::from(*target != Target::Label(Label::Clean));
            m.add(gold, usize::from(p[1] + p[2] >= t));
        }
        let f = m.class(1).f1;
        if best.is_none_or(|(_, b)| f > b + 1e-12) {
            best = Some((t, f));
        }
    }
    best
}

/// The thresholds (on a 0.01 grid) that maximise macro-F1 on labelled out-of-fold rows.
pub(crate) fn tune_thresholds(probs: &[([f32; 3], Target)]) -> Thresholds {
    let rows: Vec<([f32; 3], Label)> = label_rows(probs).collect();
    if rows.is_empty() {
        return Thresholds::default();
    }
    let mut best = (f64::MIN, Thresholds::default());
    for h in 5..=95 {
        for o in 5..=95 {
            let t = Thresholds {
                offensive: o as f32 / 100.0,
                hate: h as f32 / 100.0,
            };
            let mut m = Confusion::new(3);
            for (p, l) in &rows {
                let pred = Prediction {
                    probs: *p,
                    thresholds: t,
                };
                m.add(l.index(), pred.label().index());
            }
            let f = m.macro_f1();
            if f > best.0 + 1e-12 {
                best = (f, t);
            }
        }
    }
    best.1
}

/// Sets the model's thresholds to those (on a 0.01 grid) that maximise macro-F1 on the given
/// labelled texts, and returns that macro-F1. Use a development set, never the test set; the
/// figure it returns is optimistic for that set.
pub fn tune_thresholds_on(model: &mut Classifier, data: &[(&str, Label)]) -> f64 {
    let probs: Vec<([f32; 3], Target)> = data
        .iter()
        .map(|&(text, l)| (model.predict_text(text).probs, Target::Label(l)))
        .collect();
    let t = tune_thresholds(&probs);
    model.set_thresholds(t);
    macro_f1(&probs, &t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::features::fmix as mix;
    use crate::classifier::softmax;

    #[test]
    fn calibration_recovers_a_temperature() {
        // Scores that are twice too confident: the fitted temperature is about 2.
        let mut oof = Vec::new();
        let mut state = 1u64;
        for _ in 0..4000 {
            state = mix(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let s = (u * 8.0 - 4.0) as f32;
            let p = softmax([0.0, s / 2.0, -10.0]);
            state = mix(state);
            let v = (state >> 11) as f64 / (1u64 << 53) as f64;
            let l = if v < p[1] as f64 {
                Label::Offensive
            } else {
                Label::Clean
            };
            oof.push(([0.0, s, -20.0], Target::Label(l)));
        }
        let c = fit_calibration(&oof);
        assert!((c.temperature - 2.0).abs() < 0.3, "{c:?}");
    }

    #[test]
    fn cross_fitted_thresholds_never_see_the_fold_they_judge() {
        // In each fold offensive scores sit above clean ones, but at another height: one
        // threshold separates the pooled scores, none chosen on one fold separates the other.
        let row = |p: f32, l: Label| ([1.0 - p, p, 0.0], Target::Label(l));
        let mut probs = Vec::new();
        let mut fold = Vec::new();
        for (k, off, clean) in [(0u8, 0.5, 0.3), (1, 0.35, 0.1)] {
            for _ in 0..10 {
                probs.push(row(off, Label::Offensive));
                probs.push(row(clean, Label::Clean));
                fold.extend([k, k]);
            }
        }
        let in_sample = macro_f1(&probs, &tune_thresholds(&probs));
        assert!(cross_fitted_macro_f1(&probs, &fold) < in_sample);
        // Two folds alike: the thresholds of either are those of both.
        let alike: Vec<_> = probs[..20].iter().chain(&probs[..20]).copied().collect();
        let halves: Vec<u8> = (0..40).map(|i| (i / 20) as u8).collect();
        let tuned = macro_f1(&alike, &tune_thresholds(&alike));
        assert_eq!(cross_fitted_macro_f1(&alike, &halves), tuned);
    }
}
