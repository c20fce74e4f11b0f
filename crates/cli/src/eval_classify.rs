//! `quytac eval --task model`: the whole-text classifier alone on a labelled CSV, and with
//! `--evasion` its recall on toxic comments rewritten the ways users dodge filters.

use crate::train::{load, LabelKind, Row, Source};
use anyhow::{bail, Context, Result};
use quytac_core::classifier::{Classifier, Confusion, Label, Prediction, Target, Thresholds};
use quytac_core::eval::confusion_ci;
use quytac_core::text::vietnamese;
use quytac_core::text::Normalized;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

/// What to score and how (built from `quytac eval`'s options).
#[derive(Debug, Clone)]
pub struct ClassifyEvalArgs {
    /// Labelled CSV to score (ViHSD dev: free_text,label_id; ViCTSD: --text-col Comment
    /// --label-col Toxicity --labels binary).
    pub data: PathBuf,
    /// Column holding the text.
    pub text_col: String,
    /// Column holding the label.
    pub label_col: String,
    /// How the label column is read; `binary` and `spans` score clean against toxic.
    pub labels: LabelKind,
    /// Model file (default: the model shipped with quytac).
    pub model: Option<PathBuf>,
    /// Threshold on P(offensive) + P(hate) (default: the model's).
    pub offensive_threshold: Option<f32>,
    /// Threshold on P(hate) (default: the model's).
    pub hate_threshold: Option<f32>,
    /// Ignore thresholds: take the most probable label.
    pub argmax: bool,
    /// Also rewrite the toxic comments the ways users evade filters and report recall on them.
    pub evasion: bool,
    /// Teencode table for the evasion rewrites (TSV: short form, TAB, standard spelling); the
    /// default is a small built-in list.
    pub teencode: Option<PathBuf>,
}

/// Bootstrap resamples behind every confidence interval of the reports.
pub const RESAMPLES: usize = 1000;

/// The loaded model and the decision rule to apply.
struct Scorer<'a> {
    model: &'a Classifier,
    thresholds: Thresholds,
    argmax: bool,
    /// Threshold on P(offensive) + P(hate) of the two-way decision, for data labelled toxic or
    /// not (`--labels binary`), when the model has one and no threshold was given.
    toxic: Option<f32>,
}

impl Scorer<'_> {
    fn label(&self, p: &Prediction) -> Label {
        if self.argmax {
            p.argmax()
        } else {
            p.label_with(&self.thresholds)
        }
    }

    /// Toxic or not, for two-way scoring.
    fn is_toxic(&self, p: &Prediction) -> bool {
        match self.toxic {
            Some(t) => p.toxic() >= t,
            None => self.label(p) != Label::Clean,
        }
    }
}

/// Reads a model file.
pub fn load_model(path: &std::path::Path) -> Result<Classifier> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Classifier::from_bytes(&bytes).with_context(|| format!("cannot load model {}", path.display()))
}

pub fn run(args: &ClassifyEvalArgs) -> Result<()> {
    let started = Instant::now();
    let owned;
    let model: &Classifier = match &args.model {
        Some(path) => {
            owned = load_model(path)?;
            &owned
        }
        None => Classifier::builtin(),
    };
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut thresholds = model.thresholds();
    if let Some(t) = args.offensive_threshold {
        thresholds.offensive = t;
    }
    if let Some(t) = args.hate_threshold {
        thresholds.hate = t;
    }
    let given = args.argmax || args.offensive_threshold.is_some() || args.hate_threshold.is_some();
    let scorer = Scorer {
        model,
        thresholds,
        argmax: args.argmax,
        toxic: model
            .toxic_threshold()
            .filter(|_| args.labels == LabelKind::Binary && !given),
    };
    let src = Source::new(&args.data, &args.text_col, &args.label_col, args.labels);
    let rows = load(&src)?;
    if rows.is_empty() {
        bail!("{}: no labelled rows", args.data.display());
    }
    let binary = args.labels != LabelKind::Vihsd;
    if !binary && rows.iter().any(|r| r.target == Target::Toxic) {
        bail!("three-way scoring needs three-way labels");
    }

    println!(
        "model: {}",
        args.model
            .as_ref()
            .map_or("built-in".into(), |p| p.display().to_string())
    );
    println!("  {}", model.description());
    println!(
        "  load {:.1} ms, weights {:.1} MB in memory",
        load_ms,
        model.memory_bytes() as f64 / 1e6
    );
    if let Some(t) = scorer.toxic {
        println!(
            "decision: toxic if P(offensive)+P(hate) >= {t:.2} (the model's two-way threshold)"
        );
    } else if args.argmax {
        println!("decision: most probable label");
    } else {
        println!(
            "decision: hate if P(hate) >= {:.2}, else offensive if P(offensive)+P(hate) >= {:.2}",
            thresholds.hate, thresholds.offensive
        );
    }
    println!("data: {} ({} rows)\n", args.data.display(), rows.len());

    let predicted = report(&scorer, &rows, binary);
    speed(model, &rows);
    if args.evasion {
        let table = match &args.teencode {
            Some(p) => {
                let s = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                Teencode::parse(&s)
            }
            None => Teencode::parse(BUILTIN_TEENCODE),
        };
        evasion(&scorer, &rows, &predicted, &table);
    }
    Ok(())
}

fn class_index(t: Target, binary: bool) -> usize {
    match (t, binary) {
        (Target::Toxic, _) => 1,
        (Target::Label(l), false) => l.index(),
        (Target::Label(l), true) => (l != Label::Clean) as usize,
    }
}

/// Prints the scores and returns the predicted labels.
fn report(scorer: &Scorer, rows: &[Row], binary: bool) -> Vec<Label> {
    let n = if binary { 2 } else { 3 };
    let names: &[&str] = if binary {
        &["clean", "toxic"]
    } else {
        &["clean", "offensive", "hate"]
    };
    let mut m = Confusion::new(n);
    let mut labels = Vec::with_capacity(rows.len());
    let mut pairs = Vec::with_capacity(rows.len());
    for r in rows {
        let p = scorer.model.predict(&Normalized::new(&r.text));
        let l = scorer.label(&p);
        labels.push(l);
        let pred = if binary {
            scorer.is_toxic(&p) as usize
        } else {
            l.index()
        };
        m.add(class_index(r.target, binary), pred);
        pairs.push((class_index(r.target, binary), pred));
    }
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>8}",
        "class", "precision", "recall", "F1", "support"
    );
    for (c, name) in names.iter().enumerate() {
        let s = m.class(c);
        println!(
            "{:<10} {:>9.4} {:>9.4} {:>9.4} {:>8}",
            name, s.precision, s.recall, s.f1, s.support
        );
    }
    let ci = |score: &dyn Fn(&Confusion) -> f64| {
        confusion_ci(&pairs, n, RESAMPLES, 0.95, score).map_or(String::new(), |i| format!(" ({i})"))
    };
    println!(
        "\nmacro-F1  {:.4}{}",
        m.macro_f1(),
        ci(&|m: &Confusion| m.macro_f1())
    );
    if binary {
        println!(
            "toxic F1  {:.4}{}",
            m.class(1).f1,
            ci(&|m: &Confusion| m.class(1).f1)
        );
    }
    println!("accuracy  {:.4}", m.accuracy());
    println!("\nconfusion (rows gold, columns predicted)");
    print!("{:<10}", "");
    for name in names {
        print!(" {name:>9}");
    }
    println!();
    for (g, name) in names.iter().enumerate() {
        print!("{name:<10}");
        for p in 0..n {
            print!(" {:>9}", m.cell(g, p));
        }
        println!();
    }
    labels
}

/// Single-thread throughput: normalisation plus scoring, and scoring alone.
fn speed(model: &Classifier, rows: &[Row]) {
    let bytes: usize = rows.iter().map(|r| r.text.len()).sum();
    let min_time = 1.0;
    let mut sink = 0f32;
    let (mut items, t) = (0usize, Instant::now());
    while t.elapsed().as_secs_f64() < min_time {
        for r in rows {
            sink += model.predict(&Normalized::new(&r.text)).probs[1];
        }
        items += rows.len();
    }
    let full = t.elapsed().as_secs_f64();
    let norms: Vec<Normalized> = rows.iter().map(|r| Normalized::new(&r.text)).collect();
    let (mut items2, t) = (0usize, Instant::now());
    while t.elapsed().as_secs_f64() < min_time {
        for n in &norms {
            sink += model.predict(n).probs[1];
        }
        items2 += norms.len();
    }
    let only = t.elapsed().as_secs_f64();
    let reps = items as f64 / rows.len() as f64;
    println!(
        "\nspeed, one thread: {:.0} items/s ({:.1} MB/s) normalise + classify; {:.0} items/s classify only{}",
        items as f64 / full,
        bytes as f64 * reps / full / 1e6,
        items2 as f64 / only,
        if sink.is_nan() { " (nan seen)" } else { "" }
    );
}

/// The ways users spell around filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// Every diacritic removed from the whole comment.
    NoDiacritics,
    /// The offending words spelled out with spaces: "n g u".
    Spaced,
    /// The offending words spelled out with dots: "n.g.u".
    Dotted,
    /// Leetspeak in the offending words: a→4, e→3, i→1, o→0, s→5, t→7.
    Leet,
    /// The last letter of each offending word repeated: "nguuuuu".
    Repeated,
    /// Latin letters of the offending words swapped for Cyrillic look-alikes.
    Lookalike,
    /// Standard spellings in the whole comment replaced by teencode: "không" → "ko".
    Teencode,
    /// No diacritics, teencode, and one of the word-level disguises, taken in turn.
    Mixed,
}

impl Rewrite {
    pub const ALL: [Rewrite; 8] = [
        Rewrite::NoDiacritics,
        Rewrite::Spaced,
        Rewrite::Dotted,
        Rewrite::Leet,
        Rewrite::Repeated,
        Rewrite::Lookalike,
        Rewrite::Teencode,
        Rewrite::Mixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rewrite::NoDiacritics => "no diacritics",
            Rewrite::Spaced => "spaced letters",
            Rewrite::Dotted => "dotted letters",
            Rewrite::Leet => "leetspeak",
            Rewrite::Repeated => "repeated letters",
            Rewrite::Lookalike => "look-alikes",
            Rewrite::Teencode => "teencode",
            Rewrite::Mixed => "mixed",
        }
    }
}

/// A few common teencode forms, used when no table is given.
const BUILTIN_TEENCODE: &str = "ko\tkhông\ndc\tđược\nj\tgì\nz\tvậy\nbít\tbiết\nm\tmày\nt\ttao\n\
dm\tđịt mẹ\nđcm\tđịt con mẹ\nvl\tvãi lồn\nvkl\tvãi cả lồn\nclgt\tcái lồn gì thế\ncc\tcon cặc\n\
ng\tngười\nnc\tnước\nmn\tmọi người\nr\trồi\nvs\tvới\nck\tchồng\nvk\tvợ\nbh\tbây giờ\nkq\tkết quả\n\
sv\tsinh viên\nđ\tđéo\nns\tnói\nthik\tthích\nqá\tquá\nlm\tlàm\nntn\tnhư thế nào\n";

/// Standard spellings (one to four words) and the teencode that replaces them.
pub struct Teencode {
    map: HashMap<Vec<String>, String>,
    longest: usize,
}

impl Teencode {
    /// Reads `short<TAB>expansion` lines; each expansion takes its shortest short form.
    pub fn parse(src: &str) -> Teencode {
        let mut map: HashMap<Vec<String>, String> = HashMap::new();
        for line in src.lines() {
            let line = line.trim_end();
            if line.starts_with('#') {
                continue;
            }
            let Some((short, long)) = line.split_once('\t') else {
                continue;
            };
            let (short, words) = (short.trim(), words_lower(long));
            if short.is_empty() || words.is_empty() || words.len() > 4 {
                continue;
            }
            let e = map.entry(words).or_insert_with(|| short.to_string());
            if short.chars().count() < e.chars().count() {
                *e = short.to_string();
            }
        }
        let longest = map.keys().map(|k| k.len()).max().unwrap_or(0);
        Teencode { map, longest }
    }

    fn rewrite(&self, text: &str) -> String {
        let words = split_words(text);
        let lower: Vec<String> = words.iter().map(|w| w.text.to_lowercase()).collect();
        let mut out = String::with_capacity(text.len());
        let chars: Vec<char> = text.chars().collect();
        let mut at = 0; // char position copied so far
        let mut i = 0;
        while i < words.len() {
            let mut hit = None;
            for n in (1..=self.longest.min(words.len() - i)).rev() {
                // Only words separated by plain spaces form a phrase.
                let joined = (i..i + n - 1).all(|k| {
                    chars[words[k].end..words[k + 1].start]
                        .iter()
                        .all(|c| *c == ' ')
                });
                if !joined {
                    continue;
                }
                if let Some(short) = self.map.get(&lower[i..i + n]) {
                    hit = Some((n, short));
                    break;
                }
            }
            match hit {
                Some((n, short)) => {
                    out.extend(&chars[at..words[i].start]);
                    out.push_str(short);
                    at = words[i + n - 1].end;
                    i += n;
                }
                None => i += 1,
            }
        }
        out.extend(&chars[at..]);
        out
    }
}

fn words_lower(s: &str) -> Vec<String> {
    split_words(s)
        .into_iter()
        .map(|w| w.text.to_lowercase())
        .collect()
}

/// A word of the original text: a run of letters and digits, with char offsets.
struct Word {
    start: usize,
    end: usize,
    text: String,
}

fn split_words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur: Option<Word> = None;
    for (i, c) in text.chars().enumerate() {
        if c.is_alphanumeric() {
            match &mut cur {
                Some(w) => {
                    w.text.push(c);
                    w.end = i + 1;
                }
                None => {
                    cur = Some(Word {
                        start: i,
                        end: i + 1,
                        text: c.to_string(),
                    })
                }
            }
        } else if let Some(w) = cur.take() {
            out.push(w);
        }
    }
    out.extend(cur);
    out
}

/// The text with every diacritic removed ("Đồ ngu" → "Do ngu"), case kept.
pub fn strip_diacritics(text: &str) -> String {
    text.chars().filter_map(strip_char).collect()
}

fn strip_char(c: char) -> Option<char> {
    if ('\u{300}'..='\u{36f}').contains(&c) {
        return None;
    }
    if c == 'Đ' {
        return Some('D');
    }
    let upper = c.is_uppercase();
    let lower: Vec<char> = c.to_lowercase().collect();
    if lower.len() != 1 {
        return Some(c);
    }
    let s = vietnamese::strip(lower[0]);
    Some(if upper { s.to_ascii_uppercase() } else { s })
}

fn lookalike(c: char) -> char {
    match c {
        'a' => 'а',
        'o' => 'о',
        'e' => 'е',
        'c' => 'с',
        'p' => 'р',
        'x' => 'х',
        'y' => 'у',
        'A' => 'А',
        'O' => 'О',
        'E' => 'Е',
        'C' => 'С',
        'P' => 'Р',
        'T' => 'Т',
        'H' => 'Н',
        'K' => 'К',
        'M' => 'М',
        _ => c,
    }
}

fn leet(c: char) -> char {
    match c {
        'a' | 'A' => '4',
        'e' | 'E' => '3',
        'i' | 'I' => '1',
        'o' | 'O' => '0',
        's' | 'S' => '5',
        't' | 'T' => '7',
        _ => c,
    }
}

/// Applies a word-level disguise to the words that overlap `spans` (char ranges).
fn disguise_words(text: &str, spans: &[(usize, usize)], how: Rewrite) -> String {
    let chars: Vec<char> = text.chars().collect();
    let words = split_words(text);
    let mut out = String::with_capacity(text.len() * 2);
    let mut at = 0;
    for w in words {
        if !spans.iter().any(|&(s, e)| w.start < e && s < w.end) {
            continue;
        }
        out.extend(&chars[at..w.start]);
        let letters: Vec<char> = chars[w.start..w.end].to_vec();
        match how {
            Rewrite::Spaced | Rewrite::Dotted => {
                let sep = if how == Rewrite::Spaced { " " } else { "." };
                for (k, c) in letters.iter().enumerate() {
                    if k > 0 {
                        out.push_str(sep);
                    }
                    out.push(*c);
                }
            }
            Rewrite::Leet => {
                // Leetspeak keeps the first letter readable, as people write it ("ng0").
                for (k, c) in letters.iter().enumerate() {
                    out.push(if k == 0 { *c } else { leet(*c) });
                }
            }
            Rewrite::Repeated => {
                out.extend(&letters);
                if let Some(&last) = letters.last() {
                    if last.is_alphabetic() {
                        out.extend(std::iter::repeat_n(last, 4));
                    }
                }
            }
            Rewrite::Lookalike => out.extend(letters.iter().map(|&c| lookalike(c))),
            _ => out.extend(&letters),
        }
        at = w.end;
    }
    out.extend(&chars[at..]);
    out
}

pub fn rewrite(
    text: &str,
    spans: &[(usize, usize)],
    how: Rewrite,
    table: &Teencode,
    turn: usize,
) -> String {
    match how {
        Rewrite::NoDiacritics => strip_diacritics(text),
        Rewrite::Teencode => table.rewrite(text),
        Rewrite::Mixed => {
            const WORD_LEVEL: [Rewrite; 5] = [
                Rewrite::Spaced,
                Rewrite::Dotted,
                Rewrite::Leet,
                Rewrite::Repeated,
                Rewrite::Lookalike,
            ];
            // Word-level first (offsets are those of the original), then the whole-text ones.
            let t = disguise_words(text, spans, WORD_LEVEL[turn % WORD_LEVEL.len()]);
            let t = table.rewrite(&t);
            t.chars().filter_map(strip_char).collect()
        }
        word_level => disguise_words(text, spans, word_level),
    }
}

/// Recall of toxic comments (predicted offensive or hate) before and after each rewrite.
fn evasion(scorer: &Scorer, rows: &[Row], predicted: &[Label], table: &Teencode) {
    let toxic: Vec<(usize, &Row)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.target != Target::Label(Label::Clean))
        .collect();
    if toxic.is_empty() {
        println!("\nevasion: no toxic rows");
        return;
    }
    let n = toxic.len() as f64;
    let orig_hits = toxic
        .iter()
        .filter(|(i, _)| predicted[*i] != Label::Clean)
        .count();
    let orig_recall = orig_hits as f64 / n;
    println!(
        "\nevasion rewrites of the {} toxic comments (offending words = the stretches the model \
         attributes the gold class to, or the whole comment when it finds none)",
        toxic.len()
    );
    println!("original toxic recall {:.4}", orig_recall);
    println!(
        "{:<17} {:>8} {:>13} {:>9} {:>17} {:>17}",
        "rewrite", "changed", "toxic recall", "ratio", "changed: before", "changed: after"
    );
    // The offending words, found once on the original comments.
    let spans: Vec<Vec<(usize, usize)>> = toxic
        .iter()
        .map(|(_, r)| {
            let class = match r.target {
                Target::Label(l) => l,
                Target::Toxic => Label::Offensive,
            };
            let norm = Normalized::new(&r.text);
            let mut a: Vec<(usize, usize)> = scorer
                .model
                .attribute(&norm, class)
                .iter()
                .take(3)
                .map(|a| (a.start, a.end))
                .collect();
            if a.is_empty() {
                a.push((0, r.text.chars().count()));
            }
            a
        })
        .collect();
    for how in Rewrite::ALL {
        let (mut hits, mut changed, mut ch_before, mut ch_after) = (0, 0, 0, 0);
        for (k, ((i, r), sp)) in toxic.iter().zip(&spans).enumerate() {
            let t = rewrite(&r.text, sp, how, table, k);
            let before = predicted[*i] != Label::Clean;
            let after = if t == r.text {
                before
            } else {
                changed += 1;
                let p = scorer.model.predict(&Normalized::new(&t));
                let a = scorer.label(&p) != Label::Clean;
                ch_before += before as usize;
                ch_after += a as usize;
                a
            };
            hits += after as usize;
        }
        let recall = hits as f64 / n;
        let pct = |x: usize| {
            if changed == 0 {
                0.0
            } else {
                x as f64 / changed as f64
            }
        };
        println!(
            "{:<17} {:>7.1}% {:>13.4} {:>8.1}% {:>17.4} {:>17.4}",
            how.name(),
            100.0 * changed as f64 / n,
            recall,
            100.0 * recall / orig_recall.max(1e-12),
            pct(ch_before),
            pct(ch_after)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_the_offending_words_only() {
        let t = Teencode::parse(BUILTIN_TEENCODE);
        let text = "Mày ngu vãi";
        let sp = [(4, 7)];
        assert_eq!(rewrite(text, &sp, Rewrite::Spaced, &t, 0), "Mày n g u vãi");
        assert_eq!(rewrite(text, &sp, Rewrite::Dotted, &t, 0), "Mày n.g.u vãi");
        assert_eq!(
            rewrite(text, &sp, Rewrite::Repeated, &t, 0),
            "Mày nguuuuu vãi"
        );
        assert_eq!(
            rewrite("thằng lol", &[(6, 9)], Rewrite::Leet, &t, 0),
            "thằng l0l"
        );
        assert_eq!(
            rewrite(text, &sp, Rewrite::NoDiacritics, &t, 0),
            "May ngu vai"
        );
        assert_eq!(rewrite("Đéo", &sp, Rewrite::NoDiacritics, &t, 0), "Deo");
        assert_eq!(
            rewrite("không được đâu", &sp, Rewrite::Teencode, &t, 0),
            "ko dc đâu"
        );
        assert_eq!(rewrite("địt mẹ mày", &sp, Rewrite::Teencode, &t, 0), "dm m");
        assert_ne!(
            rewrite("con cac", &[(4, 7)], Rewrite::Lookalike, &t, 0),
            "con cac"
        );
    }

    #[test]
    fn disguises_fold_back_to_the_same_key() {
        let t = Teencode::parse(BUILTIN_TEENCODE);
        let text = "thằng ngu";
        let key = |s: &str| Normalized::new(s).marked().text().to_string();
        for how in [
            Rewrite::Dotted,
            Rewrite::Repeated,
            Rewrite::Lookalike,
            Rewrite::Leet,
        ] {
            let r = rewrite(text, &[(6, 9)], how, &t, 0);
            assert_eq!(key(&r), key(text), "{how:?}: {r}");
        }
    }
}
