//! `quytac train`: trains the whole-text classifier on labelled CSV files and writes a model.

use crate::eval_classify::strip_diacritics;
use anyhow::{bail, Context, Result};
use quytac_core::classifier::{
    tune_thresholds_on, ClassWeights, Classifier, Example, FeatureSpec, HeldOut, Label, NgramRange,
    Target, TrainConfig, Trainer,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How the label column(s) of a CSV are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LabelKind {
    /// ViHSD: 0/clean, 1/offensive, 2/hate.
    Vihsd,
    /// 0 = clean, 1 = toxic (offensive or hate, not said which), as ViCTSD's `Toxicity`.
    Binary,
    /// A list of character offsets, as ViHOS's `index_spans`: `[]` = clean, any offset = toxic.
    Spans,
    /// Several target columns valued 0 absent, 1 clean, 2 offensive, 3 hate, as ViTHSD's; the
    /// text takes the highest.
    Targets,
    /// As `targets`, the first column naming attacks on an individual and the others attacks
    /// on groups (ViTHSD's `individual` then `groups,religion/creed,race/ethnicity,politics`).
    /// Hate is an attack on a group or an identity, so hate aimed at an individual only counts
    /// as offensive.
    GroupTargets,
}

/// One labelled CSV file.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text_col: String,
    /// One column, or several (comma-separated) for [`LabelKind::Targets`].
    pub label_cols: Vec<String>,
    pub kind: LabelKind,
    /// Weight of each of its examples in the loss.
    pub weight: f32,
}

impl Source {
    pub fn new(path: &Path, text_col: &str, label_col: &str, kind: LabelKind) -> Source {
        Source {
            path: path.to_path_buf(),
            text_col: text_col.to_string(),
            label_cols: label_col.split(',').map(|s| s.trim().to_string()).collect(),
            kind,
            weight: 1.0,
        }
    }

    /// Parses `PATH:TEXT_COL:LABEL_COL[:KIND[:WEIGHT]]`.
    pub fn parse(spec: &str) -> Result<Source> {
        let parts: Vec<&str> = spec.split(':').collect();
        if parts.len() < 3 || parts.len() > 5 {
            bail!("data spec {spec:?}: expected PATH:TEXT_COL:LABEL_COL[:KIND[:WEIGHT]]");
        }
        let kind = match parts.get(3).copied().unwrap_or("vihsd") {
            "vihsd" => LabelKind::Vihsd,
            "binary" => LabelKind::Binary,
            "spans" => LabelKind::Spans,
            "targets" => LabelKind::Targets,
            "group-targets" => LabelKind::GroupTargets,
            other => bail!(
                "data spec {spec:?}: unknown label kind {other:?} (vihsd, binary, spans, \
                 targets, group-targets)"
            ),
        };
        let mut s = Source::new(Path::new(parts[0]), parts[1], parts[2], kind);
        if let Some(w) = parts.get(4) {
            s.weight = w
                .parse()
                .with_context(|| format!("data spec {spec:?}: bad weight {w:?}"))?;
        }
        Ok(s)
    }
}

/// A labelled text read from a CSV.
#[derive(Debug, Clone)]
pub struct Row {
    pub text: String,
    pub target: Target,
    /// Weight in the loss (the source's weight).
    pub weight: f32,
    /// Row of the main data set (see [`Example::tune`]).
    pub tune: bool,
    /// The file it was read from, as `folder/file.csv` (see [`Example::source`]).
    pub source: String,
}

/// The texts of the `--holdout PATH:TEXT_COL` files, to be left out of training.
pub fn held_out(specs: &[String]) -> Result<HeldOut> {
    let mut held = HeldOut::default();
    for h in specs {
        let (path, col) = h
            .rsplit_once(':')
            .with_context(|| format!("--holdout {h:?}: expected PATH:TEXT_COL"))?;
        for t in read_texts(Path::new(path), col)? {
            held.insert(&t);
        }
    }
    Ok(held)
}

/// Rows of a CSV file, and the line numbers (1-based, header = line 1) of records skipped for a
/// missing or unreadable label.
pub fn read_source(src: &Source) -> Result<(Vec<Row>, Vec<u64>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&src.path)
        .with_context(|| format!("cannot open {}", src.path.display()))?;
    let headers = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header", src.path.display()))?
        .clone();
    let col = |name: &str| -> Result<usize> {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .with_context(|| {
                format!(
                    "{}: no column {name:?} (columns: {})",
                    src.path.display(),
                    headers.iter().collect::<Vec<_>>().join(", ")
                )
            })
    };
    let text_i = col(&src.text_col)?;
    let label_is: Vec<usize> = src
        .label_cols
        .iter()
        .map(|c| col(c))
        .collect::<Result<_>>()?;
    let multi = matches!(src.kind, LabelKind::Targets | LabelKind::GroupTargets);
    if !multi && label_is.len() != 1 {
        bail!(
            "{}: only the `targets` label kind takes several label columns",
            src.path.display()
        );
    }
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec =
            rec.with_context(|| format!("{}: bad CSV record {}", src.path.display(), i + 2))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(i as u64 + 2);
        let Some(text) = rec.get(text_i) else {
            skipped.push(line);
            continue;
        };
        let labels: Vec<&str> = label_is.iter().map(|&j| rec.get(j).unwrap_or("")).collect();
        match parse_target(src.kind, &labels) {
            Some(target) => rows.push(Row {
                text: text.to_string(),
                target,
                weight: src.weight,
                tune: false,
                source: short_name(&src.path),
            }),
            None => skipped.push(line),
        }
    }
    Ok((rows, skipped))
}

/// The target a row's label cell(s) say, or `None` when they cannot be read.
pub fn parse_target(kind: LabelKind, cells: &[&str]) -> Option<Target> {
    let first = cells.first()?.trim();
    match kind {
        LabelKind::Vihsd => first.parse::<Label>().ok().map(Target::Label),
        LabelKind::Binary => match first {
            "0" => Some(Target::Label(Label::Clean)),
            "1" => Some(Target::Toxic),
            _ => None,
        },
        LabelKind::Spans => {
            let inner = first.strip_prefix('[')?.strip_suffix(']')?;
            if inner.trim().is_empty() {
                Some(Target::Label(Label::Clean))
            } else if inner.split(',').all(|x| x.trim().parse::<u32>().is_ok()) {
                Some(Target::Toxic)
            } else {
                None
            }
        }
        LabelKind::Targets | LabelKind::GroupTargets => {
            let mut best = 0u8;
            let mut group_best = 0u8;
            for (i, c) in cells.iter().enumerate() {
                let v: u8 = c.trim().parse().ok()?;
                if v > 3 {
                    return None;
                }
                best = best.max(v);
                if i > 0 {
                    group_best = group_best.max(v);
                }
            }
            if kind == LabelKind::GroupTargets && best == 3 && group_best < 3 {
                best = 2;
            }
            Some(Target::Label(match best {
                0 | 1 => Label::Clean,
                2 => Label::Offensive,
                _ => Label::Hate,
            }))
        }
    }
}

/// Reads a source and reports what was skipped on stderr.
pub fn load(src: &Source) -> Result<Vec<Row>> {
    let (rows, skipped) = read_source(src)?;
    if !skipped.is_empty() {
        let shown: Vec<String> = skipped.iter().take(5).map(|l| l.to_string()).collect();
        eprintln!(
            "warning: {}: skipped {} record(s) with a missing or unreadable label (lines {}{})",
            src.path.display(),
            skipped.len(),
            shown.join(", "),
            if skipped.len() > 5 { ", …" } else { "" }
        );
    }
    Ok(rows)
}

#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// Labelled CSV to train on.
    #[arg(long)]
    pub data: PathBuf,
    /// Column holding the text.
    #[arg(long, default_value = "free_text")]
    pub text_col: String,
    /// Column holding the label (comma-separated columns for `--labels targets`).
    #[arg(long, default_value = "label_id")]
    pub label_col: String,
    /// How the label column is read.
    #[arg(long, value_enum, default_value_t = LabelKind::Vihsd)]
    pub labels: LabelKind,
    /// More training data, repeatable: PATH:TEXT_COL:LABEL_COL[:KIND[:WEIGHT]], KIND one of
    /// vihsd, binary, spans, targets (default vihsd), WEIGHT of its examples (default 1).
    #[arg(long = "also", value_name = "SPEC")]
    pub also: Vec<String>,
    /// Leave out training rows (of `--data` and of the `--also` files) whose normalised text
    /// occurs in this CSV (PATH:TEXT_COL, repeatable), so that it stays a fair test set.
    #[arg(long = "holdout", value_name = "PATH:TEXT_COL")]
    pub holdout: Vec<String>,
    /// Choose the decision thresholds on this labelled CSV (PATH:TEXT_COL:LABEL_COL, three-way
    /// labels) instead of on the held-out folds of the training data. Say so when you report
    /// figures on the same file: they are then optimistic.
    #[arg(long, value_name = "PATH:TEXT_COL:LABEL_COL")]
    pub tune_on: Option<String>,
    /// Choose the model's two-way toxic / clean threshold (used where data is labelled toxic or
    /// not, as news comments are) on the out-of-fold scores of this training file, one of
    /// `--data` and the `--also` files (its path as given there).
    #[arg(long, value_name = "PATH")]
    pub toxic_threshold_on: Option<PathBuf>,
    /// Where to write the model.
    #[arg(long, default_value = "models/classifier-vi.qtc")]
    pub out: PathBuf,
    /// Seed of the fold assignment (training is otherwise deterministic).
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Hash buckets: 2^BITS.
    #[arg(long, default_value_t = FeatureSpec::default().hash_bits)]
    pub hash_bits: u8,
    /// Character n-grams of the plain key without separators, as MIN-MAX (or `off`).
    #[arg(long, default_value = "2-5")]
    pub plain_chars: String,
    /// L2 penalty.
    #[arg(long, default_value_t = TrainConfig::default().l2)]
    pub l2: f64,
    /// Class balancing: class c counts (n / 3 n_c)^POWER (0 = none, 1 = fully balanced).
    #[arg(long, default_value_t = 0.5)]
    pub balance: f32,
    /// Buckets seen in fewer distinct training texts than this get no weight.
    #[arg(long, default_value_t = TrainConfig::default().min_count)]
    pub min_count: u32,
    /// Folds for calibration and thresholds (0 = none).
    #[arg(long, default_value_t = TrainConfig::default().folds)]
    pub folds: usize,
    /// L-BFGS iterations at most.
    #[arg(long, default_value_t = TrainConfig::default().max_iter)]
    pub max_iter: usize,
    /// Also train on a copy of every training text with its diacritics removed, its weight
    /// this share of the original's (0 = off), so that the model does not lean on diacritics
    /// that users leave out (an evasion and a habit of fast typing alike).
    #[arg(long, default_value_t = 0.0)]
    pub augment_no_diacritics: f32,
    /// Naive-Bayes prior on the L2 penalty (0 = off; smaller is stronger): weights of n-grams
    /// whose log-count ratio tells the classes apart are penalised less (NBSVM-like).
    #[arg(long, default_value_t = TrainConfig::default().nb_prior)]
    pub nb_prior: f32,
    /// Threads for the folds (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

impl TrainArgs {
    /// The training configuration these arguments describe.
    pub fn config(&self) -> Result<TrainConfig> {
        let d = TrainConfig::default();
        let toxic_source = match &self.toxic_threshold_on {
            None => None,
            Some(p) => {
                let given = std::iter::once(self.data.clone()).chain(
                    self.also
                        .iter()
                        .filter_map(|a| a.split(':').next().map(PathBuf::from)),
                );
                if !given.into_iter().any(|g| g == *p) {
                    bail!(
                        "--toxic-threshold-on {}: not one of the training files (--data, --also)",
                        p.display()
                    );
                }
                Some(short_name(p))
            }
        };
        let char_plain = match self.plain_chars.as_str() {
            "off" => NgramRange::OFF,
            r => {
                let (a, b) = r
                    .split_once('-')
                    .with_context(|| format!("--plain-chars {r:?}: expected MIN-MAX or off"))?;
                NgramRange::new(a.parse()?, b.parse()?)
            }
        };
        let features = FeatureSpec {
            hash_bits: self.hash_bits,
            char_plain,
            ..d.features.clone()
        };
        features
            .validate()
            .map_err(|e| anyhow::anyhow!("bad feature settings: {e}"))?;
        Ok(TrainConfig {
            features,
            l2: self.l2,
            class_weights: if self.balance == 0.0 {
                ClassWeights::Uniform
            } else {
                ClassWeights::Balanced {
                    power: self.balance,
                }
            },
            max_iter: self.max_iter,
            min_count: self.min_count,
            nb_prior: self.nb_prior,
            folds: self.folds,
            toxic_source,
            seed: self.seed,
            ..d
        })
    }

    /// All training rows: `--data`, then the `--also` files, each less the held-out texts.
    pub fn rows(&self) -> Result<Vec<Row>> {
        let held = held_out(&self.holdout)?;
        let main = Source::new(&self.data, &self.text_col, &self.label_col, self.labels);
        let mut rows = Vec::new();
        let mut sources = vec![(main, true)];
        for spec in &self.also {
            sources.push((Source::parse(spec)?, false));
        }
        for (src, tune) in sources {
            let all = load(&src)?;
            let before = all.len();
            let kept: Vec<Row> = all
                .into_iter()
                .filter(|r| !held.contains(&r.text))
                .map(|r| Row { tune, ..r })
                .collect();
            eprintln!(
                "{}: {} rows ({} left out as held-out texts), weight {}",
                src.path.display(),
                kept.len(),
                before - kept.len(),
                src.weight
            );
            rows.extend(kept);
        }
        if self.augment_no_diacritics > 0.0 {
            let copies: Vec<Row> = rows
                .iter()
                .filter_map(|r| {
                    let text = strip_diacritics(&r.text);
                    (text != r.text).then(|| Row {
                        text,
                        target: r.target,
                        weight: r.weight * self.augment_no_diacritics,
                        tune: false,
                        source: format!("{} without diacritics", r.source),
                    })
                })
                .collect();
            eprintln!(
                "{} copies without diacritics, weight x{}",
                copies.len(),
                self.augment_no_diacritics
            );
            rows.extend(copies);
        }
        Ok(rows)
    }
}

/// The texts of one column of a CSV.
pub fn read_texts(path: &Path, col: &str) -> Result<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let headers = rdr.headers()?.clone();
    let i = headers
        .iter()
        .position(|h| h.trim() == col)
        .with_context(|| format!("{}: no column {col:?}", path.display()))?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.with_context(|| format!("{}: bad CSV record", path.display()))?;
        if let Some(t) = rec.get(i) {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

/// Trains with the folds spread over `threads` threads.
pub fn train_parallel(
    examples: &[Example],
    cfg: &TrainConfig,
    threads: usize,
) -> Result<Classifier> {
    use quytac_core::classifier::train::{Fold, Progress};
    let started = Instant::now();
    let trainer = Trainer::new(examples, cfg);
    eprintln!(
        "featurised {} examples ({} distinct texts): {} columns, {} non-zeros ({:.1}s)",
        trainer.rows(),
        trainer.distinct(),
        trainer.columns(),
        trainer.nonzeros(),
        started.elapsed().as_secs_f64()
    );
    let progress = |p: Progress| {
        if p.iteration.is_multiple_of(50) {
            let who = p
                .fold
                .map_or("fit".to_string(), |k| format!("fold {}", k + 1));
            eprintln!(
                "  {who}: iteration {} objective {:.5}",
                p.iteration, p.objective
            );
        }
    };
    if trainer.folds() < 2 {
        let full = trainer.fit_full(&progress);
        return Ok(trainer.finish(Vec::new(), Some(full)));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .context("cannot start the thread pool")?;
    let folds: Vec<Fold> = pool.install(|| {
        use rayon::prelude::*;
        (0..trainer.folds())
            .into_par_iter()
            .map(|k| {
                let t = Instant::now();
                let f = trainer.fit_fold(k, &progress);
                eprintln!(
                    "  fold {} done: {} iterations in {:.1}s",
                    k + 1,
                    f.fit.iterations,
                    t.elapsed().as_secs_f64()
                );
                f
            })
            .collect()
    });
    Ok(trainer.finish(folds, None))
}

pub fn run(args: &TrainArgs) -> Result<()> {
    let started = Instant::now();
    let rows = args.rows()?;
    if rows.is_empty() {
        bail!("no labelled rows to train on");
    }
    let examples: Vec<Example> = rows
        .iter()
        .map(|r| Example {
            text: &r.text,
            target: r.target,
            weight: r.weight,
            tune: r.tune,
            source: &r.source,
        })
        .collect();
    let mut cfg = args.config()?;
    cfg.description = describe(args);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut model = train_parallel(&examples, &cfg, threads)?;
    if let Some(spec) = &args.tune_on {
        let src = Source::parse(spec)?;
        let rows = load(&src)?;
        let data: Vec<(&str, Label)> = rows
            .iter()
            .filter_map(|r| match r.target {
                Target::Label(l) => Some((r.text.as_str(), l)),
                Target::Toxic => None,
            })
            .collect();
        if data.is_empty() {
            bail!("--tune-on {spec}: no three-way labelled rows");
        }
        let f1 = tune_thresholds_on(&mut model, &data);
        eprintln!(
            "thresholds chosen on {} ({} rows): macro-F1 there {:.4} (optimistic for that file)",
            src.path.display(),
            data.len(),
            f1
        );
    }
    let bytes = model.to_bytes();
    if let Some(dir) = args.out.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let t = model.thresholds();
    eprintln!("{}", model.description());
    eprintln!(
        "thresholds: offensive {:.2}, hate {:.2}; temperature {:.3}",
        t.offensive,
        t.hate,
        model.calibration().temperature
    );
    eprintln!(
        "wrote {} ({:.2} MB) in {:.1}s",
        args.out.display(),
        bytes.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `folder/file.csv`: enough to tell the data sets apart, without where they sit.
pub fn short_name(p: &Path) -> String {
    let parent = p
        .parent()
        .and_then(|d| d.file_name())
        .map(|d| format!("{}/", d.to_string_lossy()))
        .unwrap_or_default();
    format!(
        "{parent}{}",
        p.file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default()
    )
}

/// What goes into the model file's description: the data and settings, file names only, so
/// the bytes do not depend on where the data sits.
fn describe(args: &TrainArgs) -> String {
    let name = |p: &str| short_name(Path::new(p));
    let mut s = format!(
        "trained by `quytac train` on {} ({}:{})",
        name(&args.data.to_string_lossy()),
        args.text_col,
        args.label_col
    );
    for a in &args.also {
        let mut parts = a.splitn(2, ':');
        let p = parts.next().unwrap_or("");
        s.push_str(&format!(" + {}:{}", name(p), parts.next().unwrap_or("")));
    }
    for h in &args.holdout {
        let p = h.rsplit_once(':').map_or(h.as_str(), |x| x.0);
        s.push_str(&format!(", holding out {}", name(p)));
    }
    if args.augment_no_diacritics > 0.0 {
        s.push_str(&format!(
            ", with copies without diacritics at weight {}",
            args.augment_no_diacritics
        ));
    }
    if args.nb_prior > 0.0 {
        s.push_str(&format!(", naive-Bayes prior {}", args.nb_prior));
    }
    if let Some(t) = &args.tune_on {
        s.push_str(&format!(
            ", thresholds chosen on {}",
            name(t.split(':').next().unwrap_or(""))
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_label_kind() {
        use LabelKind::*;
        assert_eq!(
            parse_target(Vihsd, &["2"]),
            Some(Target::Label(Label::Hate))
        );
        assert_eq!(
            parse_target(Vihsd, &["offensive"]),
            Some(Target::Label(Label::Offensive))
        );
        assert_eq!(parse_target(Vihsd, &["7"]), None);
        assert_eq!(parse_target(Binary, &["1"]), Some(Target::Toxic));
        assert_eq!(
            parse_target(Spans, &["[]"]),
            Some(Target::Label(Label::Clean))
        );
        assert_eq!(parse_target(Spans, &["[1, 2, 3]"]), Some(Target::Toxic));
        assert_eq!(parse_target(Spans, &["[a]"]), None);
        assert_eq!(
            parse_target(Targets, &["1", "0", "3", "2", "0"]),
            Some(Target::Label(Label::Hate))
        );
        assert_eq!(
            parse_target(Targets, &["1", "0"]),
            Some(Target::Label(Label::Clean))
        );
        // Hate at an individual only is offensive; at a group it is hate.
        assert_eq!(
            parse_target(GroupTargets, &["3", "0", "0", "0", "0"]),
            Some(Target::Label(Label::Offensive))
        );
        assert_eq!(
            parse_target(GroupTargets, &["1", "0", "0", "3", "0"]),
            Some(Target::Label(Label::Hate))
        );
    }

    #[test]
    fn the_two_way_threshold_is_chosen_on_a_training_file() {
        #[derive(clap::Parser)]
        struct Cmd {
            #[command(flatten)]
            train: TrainArgs,
        }
        let parse = |on: &str| {
            <Cmd as clap::Parser>::try_parse_from([
                "train",
                "--data",
                "a/train.csv",
                "--also",
                "news/train.csv:Comment:Toxicity:binary:1",
                "--toxic-threshold-on",
                on,
            ])
            .unwrap()
            .train
            .config()
        };
        let cfg = parse("news/train.csv").unwrap();
        assert_eq!(cfg.toxic_source.as_deref(), Some("news/train.csv"));
        assert!(parse("news/valid.csv").is_err());
    }

    #[test]
    fn parses_data_specs() {
        let s = Source::parse("a/b.csv:Comment:Toxicity:binary:0.5").unwrap();
        assert_eq!(s.kind, LabelKind::Binary);
        assert_eq!(s.weight, 0.5);
        assert!(Source::parse("a.csv:x").is_err());
        assert!(Source::parse("a.csv:x:y:nope").is_err());
    }
}
