//! The learned whole-text classifier: clean / offensive / hate, in the ViHSD three-way scheme.
//!
//! A linear softmax model over hashed word and character n-grams of the normalisation keys
//! ([`features`]), trained in Rust ([`train`]), with calibrated probabilities and per-category
//! decision thresholds. Scoring a text is a few hundred table look-ups: no allocation, no
//! threads, no I/O.
//!
//! - [`Classifier::builtin`] is the model shipped with quytac (see `models/README.md`).
//! - [`Classifier::from_bytes`] / [`Classifier::to_bytes`] read and write a model file.
//! - [`Classifier::predict`] gives a [`Prediction`]: calibrated probabilities, and a label under
//!   the model's thresholds or the caller's ([`Prediction::label_with`]).
//! - [`Classifier::attribute`] gives the stretches of the original text that drove a class's
//!   score ([`Attribution`]), best first: the evidence span of a classifier finding.

mod attribution;
mod calibrate;
pub mod features;
mod holdout;
pub mod metrics;
mod model;
mod optim;
mod span_model;
mod span_train;
pub mod train;

pub use attribution::MIN_SHARE as ATTRIBUTION_MIN_SHARE;
pub use calibrate::tune_thresholds_on;
pub use features::{FeatureSpec, NgramRange};
pub use holdout::{fold_text, HeldOut};
pub use metrics::Confusion;
pub use model::ModelError;
pub use span_model::SpanModel;
pub use span_train::{train_span_model, SpanExample, SpanFit, SpanTrainConfig, THRESHOLD_GRID};
pub use train::{train, train_examples, ClassWeights, Example, Target, TrainConfig, Trainer};

pub use crate::finding::Label;
use crate::text::Normalized;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The model file shipped with quytac, trained by the command in `models/README.md`.
const BUILTIN_MODEL: &[u8] = include_bytes!("../../../../models/classifier-vi.qtc");

/// Decision thresholds on calibrated probabilities. A text is `hate` when P(hate) reaches
/// `hate`; otherwise `offensive` when P(offensive) + P(hate) — the chance it is toxic at all —
/// reaches `offensive`; otherwise `clean`. Lower thresholds trade precision for recall.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub offensive: f32,
    pub hate: f32,
}

impl Default for Thresholds {
    /// Plain majority: toxic when more likely than not.
    fn default() -> Self {
        Thresholds {
            offensive: 0.5,
            hate: 0.5,
        }
    }
}

/// What the classifier says about one text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Calibrated probabilities of clean, offensive and hate (they sum to 1).
    pub probs: [f32; 3],
    /// The model's own thresholds, used by [`Prediction::label`].
    pub thresholds: Thresholds,
}

impl Prediction {
    /// The label under the model's thresholds (chosen when it was trained, on held-out folds of
    /// its training data, to maximise macro-F1).
    pub fn label(&self) -> Label {
        self.label_with(&self.thresholds)
    }

    /// The label under the given thresholds (for example a rule pack's).
    pub fn label_with(&self, t: &Thresholds) -> Label {
        let [_, off, hate] = self.probs;
        if hate >= t.hate {
            Label::Hate
        } else if off + hate >= t.offensive {
            Label::Offensive
        } else {
            Label::Clean
        }
    }

    /// The most probable label, ignoring thresholds.
    pub fn argmax(&self) -> Label {
        let mut best = 0;
        for i in 1..3 {
            if self.probs[i] > self.probs[best] {
                best = i;
            }
        }
        Label::ALL[best]
    }

    /// P(offensive) + P(hate).
    pub fn toxic(&self) -> f32 {
        self.probs[1] + self.probs[2]
    }

    pub fn prob(&self, label: Label) -> f32 {
        self.probs[label.index()]
    }
}

/// A stretch of the original text that pushed the score of a class up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// Char offsets (Unicode scalar values) into the original text, end exclusive.
    pub start: usize,
    pub end: usize,
    /// The stretch's contribution to the log-odds of the class against `clean`.
    pub weight: f32,
}

/// How a calibrated probability is made from raw scores: `softmax(z / temperature + bias)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub temperature: f32,
    pub bias: [f32; 3],
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            temperature: 1.0,
            bias: [0.0; 3],
        }
    }
}

impl Calibration {
    pub fn apply(&self, z: [f32; 3]) -> [f32; 3] {
        let t = self.temperature;
        softmax(std::array::from_fn(|c| z[c] / t + self.bias[c]))
    }
}

pub(crate) fn softmax(z: [f32; 3]) -> [f32; 3] {
    let m = z[0].max(z[1]).max(z[2]);
    let e = z.map(|v| (v - m).exp());
    let s = e[0] + e[1] + e[2];
    e.map(|v| v / s)
}

/// A trained model.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    pub(crate) spec: FeatureSpec,
    /// Per bucket, the quantised weights of the three classes (and a pad byte for alignment).
    pub(crate) weights: Vec<[i8; 4]>,
    /// Per class, the value of one quantisation step.
    pub(crate) scale: [f32; 3],
    pub(crate) bias: [f32; 3],
    pub(crate) calibration: Calibration,
    pub(crate) thresholds: Thresholds,
    /// Threshold on P(offensive) + P(hate) for a two-way toxic / clean decision, chosen on the
    /// out-of-fold scores of one binary-labelled training source (the news comments of ViCTSD),
    /// when the model was trained with one (see [`Classifier::toxic_threshold`]).
    pub(crate) toxic_threshold: Option<f32>,
    /// Free text: what the model was trained on, with which settings.
    pub(crate) description: String,
}

impl Classifier {
    /// The model shipped with quytac, parsed once on first use.
    pub fn builtin() -> &'static Classifier {
        static MODEL: OnceLock<Classifier> = OnceLock::new();
        MODEL.get_or_init(|| {
            Classifier::from_bytes(BUILTIN_MODEL).expect("the shipped model file is valid")
        })
    }

    pub fn spec(&self) -> &FeatureSpec {
        &self.spec
    }

    pub fn calibration(&self) -> Calibration {
        self.calibration
    }

    /// The thresholds chosen when the model was trained.
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    pub fn set_thresholds(&mut self, t: Thresholds) {
        self.thresholds = t;
    }

    /// The threshold on P(offensive) + P(hate) for a two-way toxic / clean decision (data
    /// labelled toxic or not, as ViCTSD's news comments), if the model was trained with one;
    /// the three-way [`Thresholds`] serve the three-way label.
    pub fn toxic_threshold(&self) -> Option<f32> {
        self.toxic_threshold
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    /// Bytes of memory the weight table takes.
    pub fn memory_bytes(&self) -> usize {
        self.weights.len() * std::mem::size_of::<[i8; 4]>() + self.description.len()
    }

    /// Raw (uncalibrated) class scores.
    ///
    /// Two passes: the n-grams are hashed into buckets first, then the weights are gathered.
    /// The table is larger than a core's cache, so nearly every look-up misses; a loop that
    /// only loads and adds lets the processor have many misses in flight at once, where
    /// hashing between look-ups kept it to a few. The sums are integers, so the order of the
    /// look-ups changes nothing in the result.
    #[inline]
    pub fn scores(&self, norm: &Normalized) -> [f32; 3] {
        thread_local! {
            /// Buckets of one text, group after group.
            static BUCKETS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUCKETS.with(|buckets| match buckets.try_borrow_mut() {
            Ok(mut buckets) => self.scores_with(norm, &mut buckets),
            Err(_) => self.scores_with(norm, &mut Vec::new()),
        })
    }

    fn scores_with(&self, norm: &Normalized, buckets: &mut Vec<u32>) -> [f32; 3] {
        let mut counts = [0u32; features::GROUPS];
        buckets.clear();
        // `visit` yields the groups one after the other, so each group's buckets are one run
        // of `buckets`, as long as its count.
        self.spec.visit::<false>(norm, |g, b, _| {
            counts[g] += 1;
            buckets.push(b);
        });
        let w = &self.weights[..];
        let gw = self.spec.group_weights();
        let mut z = self.bias;
        let mut rest = &buckets[..];
        for g in 0..features::GROUPS {
            let (run, after) = rest.split_at(counts[g] as usize);
            rest = after;
            // Summed in locals rather than in an array indexed by group: the adds then stay
            // in registers instead of waiting on each other through memory.
            let (mut s0, mut s1, mut s2) = (0i32, 0i32, 0i32);
            for &b in run {
                // `visit` yields buckets below 2^hash_bits == weights.len().
                let q = w[b as usize];
                s0 += q[0] as i32;
                s1 += q[1] as i32;
                s2 += q[2] as i32;
            }
            let k = features::group_scale(gw[g], counts[g]);
            for (c, s) in [s0, s1, s2].into_iter().enumerate() {
                z[c] += s as f32 * k * self.scale[c];
            }
        }
        z
    }

    /// Calibrated probabilities and the model's thresholds.
    pub fn predict(&self, norm: &Normalized) -> Prediction {
        Prediction {
            probs: self.calibration.apply(self.scores(norm)),
            thresholds: self.thresholds,
        }
    }

    /// Shorthand for `predict(&Normalized::new(text))`.
    pub fn predict_text(&self, text: &str) -> Prediction {
        self.predict(&Normalized::new(text))
    }

    /// The stretches of the original text whose n-grams pushed `class` up against `clean`
    /// (for `Clean`: against the stronger of the two others), best first. Only stretches whose
    /// tokens carry a real share of the evidence are returned, so a long post yields the
    /// insult, not the whole post.
    pub fn attribute(&self, norm: &Normalized, class: Label) -> Vec<Attribution> {
        attribution::attribute(self, norm, class)
    }

    /// [`Classifier::attribute`] with an explicit cut: a token joins a stretch when its score
    /// reaches `min_share` of the best token's ([`ATTRIBUTION_MIN_SHARE`] by default).
    pub fn attribute_with(
        &self,
        norm: &Normalized,
        class: Label,
        min_share: f32,
    ) -> Vec<Attribution> {
        attribution::attribute_with(self, norm, class, min_share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The scoring of one pass, looking each bucket up as it is hashed: what
    /// [`Classifier::scores`] did before it gathered the weights in a pass of their own.
    fn scores_one_pass(m: &Classifier, norm: &Normalized) -> [f32; 3] {
        let mut sums = [[0i32; 3]; features::GROUPS];
        let mut counts = [0u32; features::GROUPS];
        m.spec.visit::<false>(norm, |g, b, _| {
            let q = m.weights[b as usize];
            counts[g] += 1;
            for c in 0..3 {
                sums[g][c] += q[c] as i32;
            }
        });
        let gw = m.spec.group_weights();
        let mut z = m.bias;
        for g in 0..features::GROUPS {
            let k = features::group_scale(gw[g], counts[g]);
            for c in 0..3 {
                z[c] += sums[g][c] as f32 * k * m.scale[c];
            }
        }
        z
    }

    fn vietnamese_like() -> impl Strategy<Value = String> {
        let atoms = prop::sample::select(vec![
            "địt", "mẹ", "Hoà", "ngu", "n-g-u", "đ.ị.t", "d", " ", "  ", ".", "ko", "dm", "vcl",
            "1", "0", "@", "con", "chó", "bắc", "kỳ", "😡", "Ệ", "\n", "2018", "thằng", "bọn",
            "nguuuu", "người", "quá", "đẹp", "&#7855;", "lũ", "Việt", "Nam",
        ]);
        prop::collection::vec(atoms, 0..40).prop_map(|v| v.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The shipped model scores every text exactly as the one-pass scoring did.
        #[test]
        fn two_pass_scoring_equals_one_pass(s in vietnamese_like()) {
            let m = Classifier::builtin();
            let norm = Normalized::new(&s);
            prop_assert_eq!(m.scores(&norm), scores_one_pass(m, &norm));
        }
    }
}
