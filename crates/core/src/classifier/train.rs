//! Training: L2-regularised softmax regression fitted by L-BFGS, then calibrated and given
//! decision thresholds on held-out folds of the training data.
//!
//! The steps, all deterministic (single thread, fixed order, no clock):
//!
//! 1. Featurise every example ([`FeatureSpec::vector`]) and renumber the buckets that occur
//!    into dense columns, so the optimiser only touches weights that can move.
//! 2. Assign each example to one of `folds` folds by a hash of its normalised text without
//!    diacritics (so copies of a comment land in the same fold) and fit one model per fold on the other folds; their
//!    scores on the held-out fold are out-of-fold scores for the whole training set.
//! 3. The final model is the mean of the fold models (bagging), so that calibration is
//!    fitted on scores of the same kind as the model will give.
//! 4. On the out-of-fold scores, fit a temperature and class biases (calibration, by
//!    likelihood) and then the thresholds that maximise macro-F1.
//!
//! Examples may carry a partial label ([`Target::Toxic`]: offensive or hate, not said which),
//! as data sets with a binary toxicity label do; their loss is the negative log of the
//! probability of the set.
//!
//! The folds are independent, so a caller with threads may run them in parallel
//! ([`Trainer::fit_fold`], then [`Trainer::finish`]); [`train`] runs them one after the other.

use super::calibrate::{
    cross_fitted_macro_f1, fit_calibration, macro_f1, macro_f1_argmax, toxic_f1, tune_thresholds,
    tune_toxic_threshold,
};
use super::features::{fmix, fnv_bytes, FeatureSpec, FNV_OFFSET};
use super::model::quantize;
use super::optim::lbfgs;
use super::{Calibration, Classifier, Label, Thresholds};
use crate::text::Normalized;

/// What an example is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Label(Label),
    /// Offensive or hate, without saying which (binary toxicity data).
    Toxic,
}

impl Target {
    pub(crate) fn mask(self) -> [bool; 3] {
        match self {
            Target::Label(l) => {
                let mut m = [false; 3];
                m[l.index()] = true;
                m
            }
            Target::Toxic => [false, true, true],
        }
    }
}

/// One training example.
#[derive(Debug, Clone, Copy)]
pub struct Example<'a> {
    pub text: &'a str,
    pub target: Target,
    /// Relative weight of the example in the loss (1 for ordinary data).
    pub weight: f32,
    /// The example belongs to the data whose labelling scheme the model should follow, so its
    /// held-out score takes part in calibration and threshold choice. Set it on the main data
    /// set and clear it on auxiliary ones labelled differently. (When no example has it set,
    /// all take part.)
    pub tune: bool,
    /// Name of the data set the example comes from: the out-of-fold report gives each source's
    /// toxic F1, so that a change can be judged on every domain without touching a dev set.
    pub source: &'a str,
}

/// How much each class counts in the loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClassWeights {
    /// Every example counts the same.
    Uniform,
    /// Class `c` counts `(n / (3 n_c))^power`: 1 is fully balanced, 0 uniform.
    Balanced {
        power: f32,
    },
    Manual([f32; 3]),
}

/// Settings of a training run.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub features: FeatureSpec,
    /// L2 penalty on the weights (the loss is the weighted mean log-loss plus `l2/2 |w|²`).
    pub l2: f64,
    pub class_weights: ClassWeights,
    /// Naive-Bayes prior on the penalty (0 = off): the weight of column `f` for class `c` is
    /// penalised `((β+1) / (β+|r|))²` times more, `r` the log-count ratio of `f` in `c`
    /// against the other classes, so that columns that tell classes apart move more freely
    /// (the NB-SVM idea of Wang & Manning 2012, as a penalty). Smaller β, stronger prior.
    pub nb_prior: f32,
    /// Buckets seen in fewer training rows than this get no weight (1 keeps all).
    pub min_count: u32,
    /// L-BFGS iterations at most.
    pub max_iter: usize,
    /// Stop when the objective improves by less than this, relatively, over 5 iterations.
    pub tolerance: f64,
    /// Folds for calibration and thresholds; below 2 the model keeps the identity calibration
    /// and the default thresholds.
    pub folds: usize,
    /// Choose thresholds on the out-of-fold scores (else plain 0.5 / 0.5).
    pub tune_thresholds: bool,
    /// The source (an [`Example::source`]) whose out-of-fold rows choose the model's
    /// two-way toxic threshold ([`Classifier::toxic_threshold`]); `None`: the model has none.
    pub toxic_source: Option<String>,
    pub seed: u64,
    /// Written into the model file: which data, which command.
    pub description: String,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            features: FeatureSpec::default(),
            l2: 1e-5,
            class_weights: ClassWeights::Balanced { power: 0.5 },
            nb_prior: 0.0,
            min_count: 2,
            max_iter: 150,
            tolerance: 1e-5,
            folds: 5,
            tune_thresholds: true,
            toxic_source: None,
            seed: 0x7175_7974_6163,
            description: String::new(),
        }
    }
}

/// Trains a model on fully labelled texts. Deterministic: the same input and configuration
/// give the same model, byte for byte.
pub fn train(examples: &[(&str, Label)], cfg: &TrainConfig) -> Classifier {
    let ex: Vec<Example> = examples
        .iter()
        .map(|&(text, l)| Example {
            text,
            target: Target::Label(l),
            weight: 1.0,
            tune: true,
            source: "",
        })
        .collect();
    train_examples(&ex, cfg)
}

/// Trains a model on examples that may carry partial labels or weights.
pub fn train_examples(examples: &[Example], cfg: &TrainConfig) -> Classifier {
    let t = Trainer::new(examples, cfg);
    if t.folds() >= 2 {
        let folds: Vec<Fold> = (0..t.folds()).map(|k| t.fit_fold(k, &|_| {})).collect();
        t.finish(folds, None)
    } else {
        let full = t.fit_full(&|_| {});
        t.finish(Vec::new(), Some(full))
    }
}

/// A fitted set of weights over the trainer's columns.
#[derive(Debug, Clone)]
pub struct Fit {
    /// `[column][class]`, flattened, then the three biases.
    params: Vec<f64>,
    pub iterations: usize,
    pub objective: f64,
}

/// A model fitted without one fold, and its scores on that fold.
#[derive(Debug, Clone)]
pub struct Fold {
    pub fold: usize,
    pub fit: Fit,
    rows: Vec<u32>,
    scores: Vec<[f32; 3]>,
}

/// Progress of an optimisation: iteration and objective.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub fold: Option<usize>,
    pub iteration: usize,
    pub objective: f64,
}

/// One label of a distinct text (a text may carry several: copies, other data sets).
#[derive(Debug, Clone, Copy)]
struct RowTarget {
    target: Target,
    /// Example weight times class weight.
    weight: f64,
    tune: bool,
    /// Index into [`Trainer::sources`].
    source: u16,
}

/// Featurised training data, ready for fitting.
///
/// Examples with the same normalised text have the same features, so they share one row that
/// carries all their labels: the model is scored once per distinct text. Copies are common:
/// ViHSD repeats short comments, and the data sets that re-annotate it repeat its texts.
pub struct Trainer {
    cfg: TrainConfig,
    examples: usize,
    /// CSR rows (one per distinct text) over dense columns.
    indptr: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f32>,
    /// Bucket of each dense column.
    col_bucket: Vec<u32>,
    /// Labels of row `r`: `targets[target_ptr[r]..target_ptr[r + 1]]`.
    target_ptr: Vec<usize>,
    targets: Vec<RowTarget>,
    fold: Vec<u8>,
    /// Names of the examples' sources, in order of first appearance.
    sources: Vec<String>,
}

impl Trainer {
    pub fn new(examples: &[Example], cfg: &TrainConfig) -> Trainer {
        let spec = &cfg.features;
        let cw = class_weights(examples, cfg.class_weights);
        let any_tune = examples.iter().any(|e| e.tune);
        // Group examples by normalised text, in order of first appearance.
        let mut row_of: std::collections::HashMap<String, usize> = Default::default();
        let mut first: Vec<usize> = Vec::new();
        let mut labels: Vec<Vec<RowTarget>> = Vec::new();
        let mut norms: Vec<Normalized> = Vec::new();
        let mut sources: Vec<String> = Vec::new();
        for (i, e) in examples.iter().enumerate() {
            let source = match sources.iter().position(|s| s == e.source) {
                Some(k) => k,
                None => {
                    sources.push(e.source.to_string());
                    sources.len() - 1
                }
            };
            let norm = Normalized::new(e.text);
            let key = format!("{}\u{0}{}", norm.marked().text(), norm.plain().text());
            let r = *row_of.entry(key).or_insert_with(|| {
                first.push(i);
                labels.push(Vec::new());
                norms.push(norm);
                first.len() - 1
            });
            let w = match e.target {
                Target::Label(l) => cw[l.index()],
                Target::Toxic => (cw[1] + cw[2]) / 2.0,
            };
            labels[r].push(RowTarget {
                target: e.target,
                weight: (w * e.weight.max(0.0)) as f64,
                tune: e.tune || !any_tune,
                source: source.min(u16::MAX as usize) as u16,
            });
        }
        drop(row_of);

        let mut col_of = vec![u32::MAX; spec.buckets()];
        let mut col_bucket = Vec::new();
        let mut indptr = Vec::with_capacity(norms.len() + 1);
        let mut cols = Vec::new();
        let mut vals = Vec::new();
        let mut fold = Vec::with_capacity(norms.len());
        let mut v = Vec::new();
        let k = cfg.folds.max(1) as u64;
        indptr.push(0);
        for norm in &norms {
            spec.vector(norm, &mut v);
            for &(b, x) in &v {
                let c = &mut col_of[b as usize];
                if *c == u32::MAX {
                    *c = col_bucket.len() as u32;
                    col_bucket.push(b);
                }
                cols.push(*c);
                vals.push(x);
            }
            indptr.push(cols.len());
            // By the plain key, so that copies of a comment that differ only in diacritics
            // (real ones, or the augmented copies of the trainer) share a fold: a copy in the
            // training folds would otherwise flatter the score of its twin held out.
            let h = fnv_bytes(FNV_OFFSET, norm.plain().text().as_bytes()) ^ cfg.seed;
            fold.push((fmix(h) % k) as u8);
        }
        drop(norms);
        let mut target_ptr = Vec::with_capacity(labels.len() + 1);
        target_ptr.push(0);
        let mut targets = Vec::with_capacity(examples.len());
        for l in labels {
            targets.extend(l);
            target_ptr.push(targets.len());
        }

        // Columns seen in fewer rows than `min_count` are dropped; the others are renumbered
        // by falling frequency, so that the weights most rows touch sit together in cache: the
        // fit is bound by memory access, not arithmetic.
        let mut freq = vec![0u32; col_bucket.len()];
        for &c in &cols {
            freq[c as usize] += 1;
        }
        let mut order: Vec<u32> = (0..col_bucket.len() as u32)
            .filter(|&c| freq[c as usize] >= cfg.min_count)
            .collect();
        order.sort_by_key(|&c| (std::cmp::Reverse(freq[c as usize]), col_bucket[c as usize]));
        let mut renum = vec![u32::MAX; col_bucket.len()];
        for (new, &old) in order.iter().enumerate() {
            renum[old as usize] = new as u32;
        }
        let mut w = 0;
        let mut start = 0;
        for r in 0..fold.len() {
            let end = indptr[r + 1];
            for i in start..end {
                let c = renum[cols[i] as usize];
                if c != u32::MAX {
                    cols[w] = c;
                    vals[w] = vals[i];
                    w += 1;
                }
            }
            start = end;
            indptr[r + 1] = w;
        }
        cols.truncate(w);
        vals.truncate(w);
        let col_bucket: Vec<u32> = order.iter().map(|&old| col_bucket[old as usize]).collect();

        Trainer {
            cfg: cfg.clone(),
            examples: examples.len(),
            indptr,
            cols,
            vals,
            col_bucket,
            target_ptr,
            targets,
            fold,
            sources,
        }
    }

    /// Number of examples.
    pub fn rows(&self) -> usize {
        self.examples
    }

    /// Number of distinct texts (rows of the fit).
    pub fn distinct(&self) -> usize {
        self.fold.len()
    }

    /// Distinct buckets kept as columns.
    pub fn columns(&self) -> usize {
        self.col_bucket.len()
    }

    pub fn nonzeros(&self) -> usize {
        self.cols.len()
    }

    /// Number of folds (0 when calibration is off: then fit with [`Trainer::fit_full`]).
    pub fn folds(&self) -> usize {
        if self.cfg.folds >= 2 {
            self.cfg.folds
        } else {
            0
        }
    }

    fn row_targets(&self, r: usize) -> &[RowTarget] {
        &self.targets[self.target_ptr[r]..self.target_ptr[r + 1]]
    }

    /// Fits on every fold but `k` and scores fold `k`.
    pub fn fit_fold(&self, k: usize, progress: &(dyn Fn(Progress) + Sync)) -> Fold {
        let (train, held): (Vec<u32>, Vec<u32>) =
            (0..self.distinct() as u32).partition(|&r| self.fold[r as usize] as usize != k);
        let fit = self.fit_rows(&train, Some(k), progress);
        let scores = held
            .iter()
            .map(|&r| self.row_scores(&fit.params, r))
            .collect();
        Fold {
            fold: k,
            fit,
            rows: held,
            scores,
        }
    }

    /// Fits on all rows (for training without folds).
    pub fn fit_full(&self, progress: &(dyn Fn(Progress) + Sync)) -> Fit {
        let all: Vec<u32> = (0..self.distinct() as u32).collect();
        self.fit_rows(&all, None, progress)
    }

    /// Builds the model. With folds, its weights are the mean of the fold models' (bagging):
    /// the model whose scores calibration saw, not a stronger one fitted on more data whose
    /// scores would sit on another scale. Without folds, `full` is taken as is.
    pub fn finish(&self, mut folds: Vec<Fold>, full: Option<Fit>) -> Classifier {
        folds.sort_by_key(|f| f.fold);
        let ncol = self.columns();
        let (params, iterations) = match (&full, folds.is_empty()) {
            (Some(f), _) => (f.params.clone(), f.iterations.to_string()),
            (None, false) => {
                let mut p = vec![0.0; 3 * ncol + 3];
                for f in &folds {
                    for (a, b) in p.iter_mut().zip(&f.fit.params) {
                        *a += b / folds.len() as f64;
                    }
                }
                let its: Vec<String> = folds.iter().map(|f| f.fit.iterations.to_string()).collect();
                (p, its.join("/"))
            }
            (None, true) => (vec![0.0; 3 * ncol + 3], "0".into()),
        };
        let mut w = vec![[0f32; 3]; self.cfg.features.buckets()];
        for (j, &b) in self.col_bucket.iter().enumerate() {
            for c in 0..3 {
                w[b as usize][c] = params[3 * j + c] as f32;
            }
        }
        let (weights, scale) = quantize(&w);
        let bias: [f32; 3] = std::array::from_fn(|c| params[3 * ncol + c] as f32);

        let mut oof: Vec<([f32; 3], Target)> = Vec::new();
        let mut oof_fold: Vec<u8> = Vec::new();
        // Every labelled out-of-fold row with its source, for the report per source.
        let mut oof_all: Vec<([f32; 3], Target, u16)> = Vec::new();
        for f in &folds {
            for (&r, s) in f.rows.iter().zip(&f.scores) {
                for t in self.row_targets(r as usize) {
                    if t.tune {
                        oof.push((*s, t.target));
                        oof_fold.push(f.fold as u8);
                    }
                    oof_all.push((*s, t.target, t.source));
                }
            }
        }
        let calibration = if oof.is_empty() {
            Calibration::default()
        } else {
            fit_calibration(&oof)
        };
        let probs: Vec<([f32; 3], Target)> = oof
            .iter()
            .map(|(s, t)| (calibration.apply(*s), *t))
            .collect();
        let thresholds = if self.cfg.tune_thresholds && !probs.is_empty() {
            tune_thresholds(&probs)
        } else {
            Thresholds::default()
        };
        let toxic_threshold = self.cfg.toxic_source.as_ref().and_then(|name| {
            let k = self.sources.iter().position(|s| s == name)?;
            let rows: Vec<([f32; 3], Target)> = oof_all
                .iter()
                .filter(|x| x.2 as usize == k)
                .map(|(s, t, _)| (calibration.apply(*s), *t))
                .collect();
            tune_toxic_threshold(&rows).map(|(t, f1)| (name, t, f1))
        });
        let mut description = self.cfg.description.clone();
        if !description.is_empty() {
            description.push_str("; ");
        }
        description.push_str(&format!(
            "{} examples ({} distinct texts), {} columns, l2 {:e}, {:?}, {}",
            self.rows(),
            self.distinct(),
            ncol,
            self.cfg.l2,
            self.cfg.class_weights,
            if folds.is_empty() {
                format!("{iterations} iterations")
            } else {
                format!(
                    "mean of {} fold models ({iterations} iterations)",
                    folds.len()
                )
            }
        ));
        if !probs.is_empty() {
            description.push_str(&format!(
                ", out-of-fold macro-F1 {:.4} (thresholds chosen on the other folds {:.4}, \
                 argmax {:.4})",
                macro_f1(&probs, &thresholds),
                cross_fitted_macro_f1(&probs, &oof_fold),
                macro_f1_argmax(&probs)
            ));
        }
        if !oof_all.is_empty() {
            let f1s: Vec<String> = (0..self.sources.len())
                .map(|k| {
                    let rows = oof_all
                        .iter()
                        .filter(|x| x.2 as usize == k)
                        .map(|(s, t, _)| (calibration.apply(*s), *t));
                    format!("{} {:.4}", self.sources[k], toxic_f1(rows, &thresholds))
                })
                .collect();
            description.push_str(&format!(", out-of-fold toxic F1 {}", f1s.join(", ")));
        }
        if let Some((name, t, f1)) = toxic_threshold {
            description.push_str(&format!(
                ", two-way toxic threshold {t:.2} chosen on {name} (out-of-fold toxic F1 {f1:.4})"
            ));
        }
        Classifier {
            spec: self.cfg.features.clone(),
            weights,
            scale,
            bias,
            calibration,
            thresholds,
            toxic_threshold: toxic_threshold.map(|x| x.1),
            description,
        }
    }

    fn row_scores(&self, params: &[f64], r: u32) -> [f32; 3] {
        let ncol = self.columns();
        let mut z = [params[3 * ncol], params[3 * ncol + 1], params[3 * ncol + 2]];
        let (a, b) = (self.indptr[r as usize], self.indptr[r as usize + 1]);
        for i in a..b {
            let j = self.cols[i] as usize * 3;
            let v = self.vals[i] as f64;
            z[0] += v * params[j];
            z[1] += v * params[j + 1];
            z[2] += v * params[j + 2];
        }
        z.map(|x| x as f32)
    }

    /// Objective and gradient over `rows`. The sums over rows run on `f32` copies of the
    /// weights and gradient (`work`), half the memory traffic of `f64`.
    fn objective(
        &self,
        rows: &[u32],
        total_weight: f64,
        penalty: &[f32],
        params: &[f64],
        grad: &mut [f64],
        work: &mut (Vec<f32>, Vec<f32>),
    ) -> f64 {
        let ncol = self.columns();
        let l2 = self.cfg.l2;
        let (wp, wg) = work;
        wp.clear();
        wp.extend(params[..3 * ncol].iter().map(|&p| p as f32));
        wg.clear();
        wg.resize(3 * ncol, 0.0);
        let mut bias_grad = [0f64; 3];
        let mut loss = 0.0;
        let bias = [params[3 * ncol], params[3 * ncol + 1], params[3 * ncol + 2]];
        for &r in rows {
            let r = r as usize;
            let (a, b) = (self.indptr[r], self.indptr[r + 1]);
            let mut zf = [0f32; 3];
            for i in a..b {
                let j = self.cols[i] as usize * 3;
                let v = self.vals[i];
                zf[0] += v * wp[j];
                zf[1] += v * wp[j + 1];
                zf[2] += v * wp[j + 2];
            }
            let z: [f64; 3] = std::array::from_fn(|c| bias[c] + zf[c] as f64);
            let m = z[0].max(z[1]).max(z[2]);
            let e = z.map(|x| (x - m).exp());
            let sum = e[0] + e[1] + e[2];
            // d(loss)/dz = Σ_t w_t (p - q_t), q_t the posterior restricted to t's label set.
            let mut d = [0f64; 3];
            for t in self.row_targets(r) {
                let sw = t.weight / total_weight;
                if sw == 0.0 {
                    continue;
                }
                let mask = t.target.mask();
                let in_set: f64 = (0..3).filter(|&c| mask[c]).map(|c| e[c]).sum();
                loss += sw * (sum.ln() - in_set.max(1e-300).ln());
                for c in 0..3 {
                    let q = if mask[c] { e[c] / in_set } else { 0.0 };
                    d[c] += sw * (e[c] / sum - q);
                }
            }
            let df = d.map(|x| x as f32);
            for i in a..b {
                let j = self.cols[i] as usize * 3;
                let v = self.vals[i];
                wg[j] += v * df[0];
                wg[j + 1] += v * df[1];
                wg[j + 2] += v * df[2];
            }
            for c in 0..3 {
                bias_grad[c] += d[c];
            }
        }
        if penalty.is_empty() {
            for ((g, &p), &w) in grad[..3 * ncol]
                .iter_mut()
                .zip(&params[..3 * ncol])
                .zip(wg.iter())
            {
                *g = l2 * p + w as f64;
                loss += 0.5 * l2 * p * p;
            }
        } else {
            let it = grad[..3 * ncol]
                .iter_mut()
                .zip(&params[..3 * ncol])
                .zip(wg.iter());
            for (((g, &p), &w), &k) in it.zip(penalty) {
                let l = l2 * k as f64;
                *g = l * p + w as f64;
                loss += 0.5 * l * p * p;
            }
        }
        grad[3 * ncol..].copy_from_slice(&bias_grad);
        loss
    }

    fn fit_rows(
        &self,
        rows: &[u32],
        fold: Option<usize>,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Fit {
        let n = 3 * self.columns() + 3;
        let total: f64 = rows
            .iter()
            .flat_map(|&r| self.row_targets(r as usize))
            .map(|t| t.weight)
            .sum::<f64>()
            .max(1e-12);
        // The prior is counted on the rows being fitted only: counted on all rows, it would
        // carry the labels of a held-out fold into the fit that is scored on it.
        let penalty = if self.cfg.nb_prior > 0.0 {
            self.nb_penalty(self.cfg.nb_prior, rows)
        } else {
            Vec::new()
        };
        let mut x = vec![0.0; n];
        let mut work = (Vec::new(), Vec::new());
        let (objective, iterations) = lbfgs(
            &mut x,
            |p, g| self.objective(rows, total, &penalty, p, g, &mut work),
            self.cfg.max_iter,
            self.cfg.tolerance,
            &mut |iteration, objective| {
                progress(Progress {
                    fold,
                    iteration,
                    objective,
                })
            },
        );
        Fit {
            params: x,
            iterations,
            objective,
        }
    }

    /// Penalty multipliers (`[column][class]`) from the log-count ratios of `rows` (see
    /// [`TrainConfig::nb_prior`]).
    fn nb_penalty(&self, beta: f32, rows: &[u32]) -> Vec<f32> {
        let alpha = 1.0f64;
        let ncol = self.columns();
        let mut count = vec![[0f64; 3]; ncol];
        for &r in rows {
            let r = r as usize;
            for t in self.row_targets(r) {
                let Target::Label(l) = t.target else { continue };
                for &c in &self.cols[self.indptr[r]..self.indptr[r + 1]] {
                    count[c as usize][l.index()] += 1.0;
                }
            }
        }
        let total: [f64; 3] = std::array::from_fn(|k| count.iter().map(|x| x[k] + alpha).sum());
        let all: f64 = total.iter().sum();
        let beta = beta as f64;
        let mut pen = Vec::with_capacity(3 * ncol);
        for x in &count {
            let sum: f64 = x.iter().sum::<f64>() + 3.0 * alpha;
            for k in 0..3 {
                let p = (x[k] + alpha) / total[k];
                let q = (sum - x[k] - alpha) / (all - total[k]);
                let r = (p / q).ln().abs();
                pen.push((((beta + 1.0) / (beta + r)).powi(2)) as f32);
            }
        }
        pen
    }
}

fn class_weights(examples: &[Example], cw: ClassWeights) -> [f32; 3] {
    match cw {
        ClassWeights::Uniform => [1.0; 3],
        ClassWeights::Manual(w) => w,
        ClassWeights::Balanced { power } => {
            let mut n = [0usize; 3];
            for e in examples {
                if let Target::Label(l) = e.target {
                    n[l.index()] += 1;
                }
            }
            let total: usize = n.iter().sum();
            n.map(|nc| {
                if nc == 0 {
                    1.0
                } else {
                    (total as f32 / (3.0 * nc as f32)).powf(power)
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Vec<(&'static str, Label)> {
        let clean = [
            "hôm nay trời đẹp quá",
            "cảm ơn bạn nhiều nhé",
            "món này ngon lắm",
            "chúc mọi người cuối tuần vui vẻ",
            "bài hát hay quá",
            "xin chào cả nhà",
        ];
        let off = [
            "đồ ngu như bò",
            "mày ngu vãi",
            "thằng này ngu thật",
            "óc chó vãi",
            "ngu như chó",
            "đm mày",
        ];
        let hate = [
            "bọn bắc kỳ cút đi",
            "lũ ba que chết hết đi",
            "bọn nam kỳ rác rưởi",
            "dân bắc kỳ toàn lũ lừa đảo",
            "cút hết bọn ba que",
            "bọn bắc kỳ chó",
        ];
        let mut v = Vec::new();
        for (list, l) in [
            (clean, Label::Clean),
            (off, Label::Offensive),
            (hate, Label::Hate),
        ] {
            for t in list {
                v.push((t, l));
            }
        }
        v
    }

    fn cfg() -> TrainConfig {
        TrainConfig {
            features: FeatureSpec {
                hash_bits: 14,
                ..FeatureSpec::default()
            },
            l2: 1e-3,
            folds: 3,
            max_iter: 100,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn learns_a_toy_problem() {
        let m = train(&data(), &cfg());
        assert_eq!(m.predict_text("mày ngu như bò").argmax(), Label::Offensive);
        assert_eq!(m.predict_text("lũ bắc kỳ").argmax(), Label::Hate);
        assert_eq!(m.predict_text("trời đẹp quá").argmax(), Label::Clean);
    }

    /// The fit scored on a fold must not depend on that fold's labels, or the out-of-fold
    /// figures that choose the recipe flatter it.
    #[test]
    fn a_fold_is_fitted_without_its_own_labels() {
        let cfg = TrainConfig {
            nb_prior: 0.25,
            ..cfg()
        };
        let examples = |data: &[(&'static str, Label)]| -> Vec<Example> {
            data.iter()
                .map(|&(text, l)| Example {
                    text,
                    target: Target::Label(l),
                    weight: 1.0,
                    tune: true,
                    source: "main",
                })
                .collect()
        };
        let data = data();
        let trainer = Trainer::new(&examples(&data), &cfg);
        assert_eq!(trainer.distinct(), data.len(), "one row per text, in order");
        // A fold whose rows do not all share one label.
        let (k, held) = (0..trainer.folds())
            .map(|k| {
                let rows: Vec<usize> = (0..data.len())
                    .filter(|&r| trainer.fold[r] as usize == k)
                    .collect();
                (k, rows)
            })
            .find(|(_, rows)| rows.iter().any(|&r| data[r].1 != data[rows[0]].1))
            .expect("a fold with two labels");
        // Its labels, rotated among its rows: some labels change, the class counts (and so the
        // class weights) do not.
        let mut swapped = data.clone();
        for (i, &r) in held.iter().enumerate() {
            swapped[r].1 = data[held[(i + 1) % held.len()]].1;
        }
        let relabelled = Trainer::new(&examples(&swapped), &cfg);
        let fit = |t: &Trainer| t.fit_fold(k, &|_| {}).fit.params;
        assert_eq!(fit(&trainer), fit(&relabelled));
    }

    #[test]
    fn partial_labels_push_towards_toxic() {
        let mut ex: Vec<Example> = data()
            .into_iter()
            .map(|(text, l)| Example {
                text,
                target: Target::Label(l),
                weight: 1.0,
                tune: true,
                source: "main",
            })
            .collect();
        for text in ["đồ khốn nạn", "khốn nạn thật", "lũ khốn nạn"] {
            ex.push(Example {
                text,
                target: Target::Toxic,
                weight: 1.0,
                tune: false,
                source: "extra",
            });
        }
        let m = train_examples(&ex, &cfg());
        assert!(m.predict_text("khốn nạn").toxic() > m.predict_text("cảm ơn").toxic());
        // The report names both sources.
        assert!(m.description().contains("out-of-fold toxic F1 main "));
        assert!(m.description().contains(", extra "));
        // No source was named for the two-way threshold.
        assert_eq!(m.toxic_threshold(), None);
        let named = TrainConfig {
            toxic_source: Some("extra".into()),
            ..cfg()
        };
        let m = train_examples(&ex, &named);
        let t = m.toxic_threshold().expect("a threshold chosen on `extra`");
        assert!((0.05..=0.95).contains(&t));
        assert!(m.description().contains("two-way toxic threshold"));
    }
}
