//! `quytac eval`: measure the engine on labelled data and print the figures.
//!
//! - `labels`: a CSV with a text and a ViHSD label column (0 clean, 1 offensive, 2 hate):
//!   per-class precision/recall/F1, macro-F1, accuracy, confusion matrix, items/s.
//! - `spans`: a CSV with `content,index_spans` (ViHOS): per-text mean F1 and pooled character
//!   precision/recall/F1 of the offensive/hate spans.
//! - `personal-data`: the JSON Lines test set of `eval/personal_data.jsonl`: precision and
//!   recall per kind.
//! - `names`: the (legal name, display name) pairs of `eval/names.jsonl`: precision, recall and
//!   F1 of the `real_name` finding (CS-1).
//! - `photos`: a folder of images with a `labels.csv` (`scripts/photo-set.py` builds one):
//!   accuracy of the one-real-face decision (CS-2), each image's decision and the median time.
//! - `portal`: the post/article pairs of `eval/portal_pairs.jsonl`: precision and recall of
//!   the `portal_inconsistency` mismatch (AG-4), each post against its article and against a
//!   whole feed.
//!
//! The task is guessed from the file when not given.

use crate::eval_classify::{self, ClassifyEvalArgs, RESAMPLES};
use crate::eval_identity;
use crate::train::LabelKind;
use anyhow::{bail, Context, Result};
use quytac_core::classifier::{Classifier, Confusion, SpanModel, ATTRIBUTION_MIN_SHARE};
use quytac_core::detect::personal_data::{PersonalDataDetector, PersonalDataScores};
use quytac_core::engine::Engine;
use quytac_core::eval::{confusion_ci, span_scores_ci};
use quytac_core::finding::{Label, PersonalDataKind};
use quytac_core::item::{Item, Post};
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use quytac_core::text::Normalized;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// The product's label (classifier combined with detector findings) against ViHSD labels.
    Labels,
    /// Offensive/hate character spans against ViHOS `index_spans`.
    Spans,
    /// Personal-data recognisers against the JSON Lines test set.
    PersonalData,
    /// The text classifier alone (any labelled CSV; `--evasion` for rewritten comments).
    Model,
    /// Real names (CS-1) against the JSON Lines test set of name pairs.
    Names,
    /// Profile photos (CS-2) against a folder of labelled images.
    Photos,
    /// AG-4 portal consistency on labelled post/article pairs (`eval/portal_pairs.jsonl`):
    /// precision and recall of the mismatch finding, per pair and against a whole feed.
    Portal,
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Labelled data: a CSV (ViHSD, ViHOS), a JSON Lines test set (personal data, names), or a
    /// folder of labelled photos.
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// What to measure [default: from the data: a folder → photos, .jsonl of name pairs →
    /// names, other .jsonl → personal-data, `index_spans` column → spans, else labels].
    #[arg(long, value_enum)]
    pub task: Option<Task>,
    /// Text column of a CSV [default: free_text, or content for spans].
    #[arg(long)]
    pub text_col: Option<String>,
    /// Label column of a labels CSV.
    #[arg(long, default_value = "label_id")]
    pub label_col: String,
    /// With --task model: how the label column is read.
    #[arg(long, value_enum, default_value_t = LabelKind::Vihsd)]
    pub labels: LabelKind,
    /// With --task spans: the classifier's attribution cut, a token joining a stretch when its
    /// score reaches this share of the best token's; several, comma-separated, to compare
    /// them [default: the engine's].
    #[arg(long, value_name = "SHARE", value_delimiter = ',')]
    pub min_share: Vec<f32>,
    /// With --task model, labels or spans: a classifier model file [default: the shipped one].
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// With --task labels or spans: a span model file (`quytac train-spans`) [default: the
    /// shipped one].
    #[arg(long, value_name = "FILE")]
    pub span_model: Option<PathBuf>,
    /// With --task model: threshold on P(offensive) + P(hate) [default: the model's].
    #[arg(long)]
    pub offensive_threshold: Option<f32>,
    /// With --task model: threshold on P(hate) [default: the model's].
    #[arg(long)]
    pub hate_threshold: Option<f32>,
    /// With --task model: take the most probable label, ignoring thresholds.
    #[arg(long)]
    pub argmax: bool,
    /// With --task model: also score toxic comments rewritten to evade filters.
    #[arg(long)]
    pub evasion: bool,
    /// With --task model --evasion: teencode table (TSV) for the rewrites.
    #[arg(long, value_name = "FILE")]
    pub teencode: Option<PathBuf>,
}

pub fn run(args: &EvalArgs) -> Result<u8> {
    let task = match args.task {
        Some(t) => t,
        None => guess_task(&args.data)?,
    };
    match task {
        Task::Labels => eval_labels(args),
        Task::Spans => eval_spans(args),
        Task::PersonalData => eval_personal_data(&args.data),
        Task::Names => eval_identity::names(&args.data),
        Task::Photos => eval_identity::photos(&args.data),
        Task::Portal => eval_portal(&args.data),
        Task::Model => {
            eval_classify::run(&ClassifyEvalArgs {
                data: args.data.clone(),
                text_col: args.text_col.clone().unwrap_or_else(|| "free_text".into()),
                label_col: args.label_col.clone(),
                labels: args.labels,
                model: args.model.clone(),
                offensive_threshold: args.offensive_threshold,
                hate_threshold: args.hate_threshold,
                argmax: args.argmax,
                evasion: args.evasion,
                teencode: args.teencode.clone(),
            })?;
            Ok(0)
        }
    }
}

fn guess_task(path: &Path) -> Result<Task> {
    if path.is_dir() {
        return Ok(Task::Photos);
    }
    if path.extension().is_some_and(|e| e == "jsonl") {
        let f =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let first = BufReader::new(f)
            .lines()
            .map_while(Result::ok)
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        return Ok(if first.contains("\"legal_name\"") {
            Task::Names
        } else if first.contains("\"expected_mismatches\"") {
            Task::Portal
        } else {
            Task::PersonalData
        });
    }
    let mut r = csv_reader(path)?;
    let headers = r.headers()?;
    Ok(if headers.iter().any(|h| h == "index_spans") {
        Task::Spans
    } else {
        Task::Labels
    })
}

fn csv_reader(path: &Path) -> Result<csv::Reader<std::fs::File>> {
    csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))
}

/// The index of column `name`, or an error that lists the columns there are.
pub(crate) fn column(headers: &csv::StringRecord, name: &str, path: &Path) -> Result<usize> {
    headers.iter().position(|h| h == name).with_context(|| {
        format!(
            "{} has no column `{name}` (columns: {})",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(", ")
        )
    })
}

fn engine() -> Result<Engine> {
    Ok(Engine::new(RulePack::builtin(DEFAULT_PACK)?))
}

/// A post by a citizen: the label does not depend on the author, and the findings are judged
/// against the most common subject.
fn post(text: String) -> Item {
    Item::Post(Post {
        id: "eval".into(),
        text,
        author: Default::default(),
        engages: None,
        links: Vec::new(),
    })
}

/// The classifier and the span model of `--model` and `--span-model`, else the shipped ones.
/// The process ends after the evaluation, so they may live as long as it does.
fn models(args: &EvalArgs) -> Result<(&'static Classifier, &'static SpanModel)> {
    let model: &'static Classifier = match &args.model {
        Some(path) => Box::leak(Box::new(eval_classify::load_model(path)?)),
        None => Classifier::builtin(),
    };
    let spans: &'static SpanModel = match &args.span_model {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Box::leak(Box::new(SpanModel::from_bytes(&bytes).with_context(
                || format!("cannot load span model {}", path.display()),
            )?))
        }
        None => SpanModel::builtin(),
    };
    Ok((model, spans))
}

fn eval_labels(args: &EvalArgs) -> Result<u8> {
    let text_col = args.text_col.as_deref().unwrap_or("free_text");
    let mut r = csv_reader(&args.data)?;
    let headers = r.headers()?.clone();
    let (ti, li) = (
        column(&headers, text_col, &args.data)?,
        column(&headers, &args.label_col, &args.data)?,
    );
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", args.data.display(), i + 2))?;
        let id: u8 = rec[li]
            .trim()
            .parse()
            .with_context(|| format!("row {}: label `{}` is not 0, 1 or 2", i + 2, &rec[li]))?;
        let gold = Label::from_index(id as usize)
            .with_context(|| format!("row {}: label {id} is not 0, 1 or 2", i + 2))?;
        rows.push((post(rec[ti].to_string()), gold));
    }
    if rows.is_empty() {
        bail!("{} has no rows", args.data.display());
    }
    let (model, spans) = models(args)?;
    let engine = engine()?.with_classifier(model).with_span_model(spans);
    let started = Instant::now();
    let predicted: Vec<Label> = rows
        .iter()
        .map(|(item, _)| engine.check(item).label.unwrap_or(Label::Clean))
        .collect();
    let secs = started.elapsed().as_secs_f64();
    let bytes: usize = rows
        .iter()
        .map(|(i, _)| match i {
            Item::Post(p) => p.text.len(),
            _ => 0,
        })
        .sum();

    let mut confusion = Confusion::new(3);
    let pairs: Vec<(usize, usize)> = rows
        .iter()
        .zip(&predicted)
        .map(|((_, gold), pred)| (gold.index(), pred.index()))
        .collect();
    for &(g, p) in &pairs {
        confusion.add(g, p);
    }
    let ci = confusion_ci(&pairs, 3, RESAMPLES, 0.95, |m| m.macro_f1())
        .map_or(String::new(), |i| format!(" ({i})"));
    println!("data: {} ({} items)", args.data.display(), rows.len());
    println!(
        "label: the text classifier combined with the detectors' findings (as `quytac check`)"
    );
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>8}",
        "class", "precision", "recall", "f1", "support"
    );
    for l in Label::ALL {
        let c = confusion.class(l.index());
        println!(
            "{:<10} {:>9.4} {:>9.4} {:>9.4} {:>8}",
            l.as_str(),
            c.precision,
            c.recall,
            c.f1,
            c.support
        );
    }
    println!(
        "macro-F1 {:.4}{ci}   accuracy {:.4}",
        confusion.macro_f1(),
        confusion.accuracy()
    );
    println!("confusion (rows gold, columns predicted: clean offensive hate)");
    for l in Label::ALL {
        let g = l.index();
        println!(
            "  {:<10} {:>7} {:>7} {:>7}",
            l.as_str(),
            confusion.cell(g, 0),
            confusion.cell(g, 1),
            confusion.cell(g, 2)
        );
    }
    println!(
        "speed: {:.0} items/s, {:.1} MB/s (one thread, full check)",
        rows.len() as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    Ok(0)
}

/// Which predicted spans to score, from the detectors' spans and the classifier's stretches
/// (best first).
type PickSpans = fn(&[(usize, usize)], &[(usize, usize)]) -> Vec<(usize, usize)>;

/// One text as the span metric reads it: gold character offsets, predicted spans, length.
type ScoredText = (Vec<usize>, Vec<(usize, usize)>, usize);

/// Prints the span scores of one set of predictions, with their intervals.
fn report_spans(name: &str, texts: impl Iterator<Item = ScoredText>) {
    let (s, ci) = span_scores_ci(texts, RESAMPLES, 0.95);
    let [per_text_ci, pooled_ci] = ci.map_or([String::new(), String::new()], |c| {
        c.map(|i| format!(" ({i})"))
    });
    println!("\n{name}:");
    println!(
        "  per-text mean F1 (ViHOS metric): {:.4}{per_text_ci}",
        s.per_text_mean_f1
    );
    println!(
        "  pooled characters: precision {:.4}  recall {:.4}  F1 {:.4}{pooled_ci}",
        s.pooled_precision, s.pooled_recall, s.pooled_f1
    );
}

fn eval_spans(args: &EvalArgs) -> Result<u8> {
    let text_col = args.text_col.as_deref().unwrap_or("content");
    let shares = if args.min_share.is_empty() {
        vec![ATTRIBUTION_MIN_SHARE]
    } else {
        args.min_share.clone()
    };
    if let Some(bad) = shares.iter().find(|s| !(0.0..=1.0).contains(*s)) {
        bail!("--min-share {bad} is outside 0..=1");
    }
    let mut r = csv_reader(&args.data)?;
    let headers = r.headers()?.clone();
    let (ti, si) = (
        column(&headers, text_col, &args.data)?,
        column(&headers, "index_spans", &args.data)?,
    );
    let (model, spans) = models(args)?;
    let engine = engine()?.with_classifier(model).with_span_model(spans);
    // The decision the engine would take: the pack's classifier thresholds, else the model's.
    let thresholds = engine.pack().classifier.unwrap_or(model.thresholds());
    // Per text: gold offsets, the abusive-language spans of `quytac check`, detector spans, the
    // classifier's stretches at each share, length.
    let mut texts = Vec::new();
    let started = Instant::now();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", args.data.display(), i + 2))?;
        let gold: Vec<usize> = serde_json::from_str(&rec[si])
            .with_context(|| format!("row {}: index_spans is not a list of offsets", i + 2))?;
        let text = &rec[ti];
        let checked: Vec<(usize, usize)> = engine
            .check(&post(text.to_string()))
            .findings
            .iter()
            .filter(|f| f.category.is_abusive_language())
            .filter_map(|f| f.start.zip(f.end))
            .collect();
        let dets: Vec<(usize, usize)> = engine
            .detect(text)
            .into_iter()
            .filter(|d| {
                d.category.is_abusive_language() && d.score >= engine.pack().threshold(d.category)
            })
            .map(|d| (d.start, d.end))
            .collect();
        // The classifier's stretches for the label it decides, when it decides the text is
        // offensive or hate.
        let norm = Normalized::new(text);
        let label = model.predict(&norm).label_with(&thresholds);
        let from_model: Vec<Vec<(usize, usize)>> = shares
            .iter()
            .map(|&share| {
                if label == Label::Clean {
                    return Vec::new();
                }
                model
                    .attribute_with(&norm, label, share)
                    .iter()
                    .map(|a| (a.start, a.end))
                    .collect()
            })
            .collect();
        let marked: Vec<(usize, usize)> = spans
            .stretches(&norm)
            .iter()
            .map(|a| (a.start, a.end))
            .collect();
        texts.push((
            gold,
            checked,
            dets,
            from_model,
            marked,
            text.chars().count(),
        ));
    }
    let secs = started.elapsed().as_secs_f64();
    let n = texts.len();
    if n == 0 {
        bail!("{} has no rows", args.data.display());
    }
    println!("data: {} ({n} texts)", args.data.display());
    report_spans(
        "`quytac check` (its abusive-language findings, the classifier's at the engine's cut)",
        texts
            .iter()
            .map(|(g, c, _, _, _, len)| (g.clone(), c.clone(), *len)),
    );
    report_spans(
        "detectors alone",
        texts
            .iter()
            .map(|(g, _, d, _, _, len)| (g.clone(), d.clone(), *len)),
    );
    report_spans(
        &format!(
            "the span model alone, on every text (threshold {:.2})",
            spans.threshold()
        ),
        texts
            .iter()
            .map(|(g, _, _, _, s, len)| (g.clone(), s.clone(), *len)),
    );
    let sets: [(&str, PickSpans); 2] = [
        ("detectors and every stretch of the classifier", |d, m| {
            d.iter().chain(m).copied().collect()
        }),
        ("the classifier's stretches alone", |_, m| m.to_vec()),
    ];
    for (k, share) in shares.iter().enumerate() {
        println!("\n-- attribution cut {share}: a token joins a stretch at {share} of the best token's score");
        for (name, pick) in sets {
            report_spans(
                name,
                texts
                    .iter()
                    .map(|(g, _, d, m, _, len)| (g.clone(), pick(d, &m[k]), *len)),
            );
        }
    }
    println!(
        "\nspeed: {:.0} texts/s (one thread, all detectors and the classifier)",
        n as f64 / secs
    );
    Ok(0)
}

fn eval_personal_data(path: &Path) -> Result<u8> {
    #[derive(serde::Deserialize)]
    struct Case {
        text: String,
        spans: Vec<GoldSpan>,
    }
    #[derive(serde::Deserialize)]
    struct GoldSpan {
        start: usize,
        end: usize,
        kind: PersonalDataKind,
    }
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let detector = PersonalDataDetector::new();
    let mut scores = PersonalDataScores::new();
    let mut n = 0;
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let case: Case = serde_json::from_str(&line)
            .with_context(|| format!("{}: line {}", path.display(), i + 1))?;
        let mut pred = Vec::new();
        detector.detect(&case.text, &mut pred);
        let gold: Vec<_> = case
            .spans
            .iter()
            .map(|s| (s.start, s.end, s.kind))
            .collect();
        scores.add(&gold, &pred);
        n += 1;
    }
    if n == 0 {
        bail!("{} has no test sentences", path.display());
    }
    println!("data: {} ({n} sentences)", path.display());
    print!("{}", scores.table());
    Ok(0)
}

fn eval_portal(path: &Path) -> Result<u8> {
    use quytac_core::agency::portal_eval::{evaluate, parse_pairs, Mode};
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let pairs = parse_pairs(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if pairs.is_empty() {
        bail!("{} has no post/article pairs", path.display());
    }
    println!("data: {} ({} pairs)", path.display(), pairs.len());
    for (mode, what) in [
        (Mode::Pairs, "each post against its article"),
        (
            Mode::Feed,
            "each post against a feed of its article and every other subject's",
        ),
    ] {
        let scores = evaluate(&pairs, mode).map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("\n{what}:");
        print!("{}", scores.table());
        for e in &scores.errors {
            println!("  {e}");
        }
    }
    Ok(0)
}
