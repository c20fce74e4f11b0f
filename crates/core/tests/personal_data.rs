//! Span-level evaluation of the personal-data recognisers on `eval/personal_data.jsonl`.
//!
//! Each line is `{"text": "…", "spans": [{"start": N, "end": M, "kind": "phone"}, …]}` with char
//! offsets (Unicode scalar values, end exclusive); lines with no spans are hard negatives.
//!
//! Matching rule (implemented by `quytac_core::detect::personal_data::PersonalDataScores`): per
//! text and per kind, a prediction is correct when it has the same kind as a gold span and their
//! intersection-over-union in chars is at least 0.5; each gold span and each prediction is
//! matched at most once (best IoU first). Unmatched predictions are false positives, unmatched
//! gold spans false negatives.
//!
//! Targets: precision ≥ 0.97 and recall ≥ 0.97 for every kind (issue 13).

use quytac_core::detect::personal_data::{PersonalDataDetector, PersonalDataScores};
use quytac_core::finding::{Detection, PersonalDataKind};
use quytac_core::text::slice_chars;
use serde::Deserialize;

const MIN_PRECISION: f64 = 0.97;
const MIN_RECALL: f64 = 0.97;

#[derive(Deserialize)]
struct Example {
    text: String,
    spans: Vec<GoldSpan>,
}

#[derive(Deserialize)]
struct GoldSpan {
    start: usize,
    end: usize,
    kind: String,
}

fn load() -> Vec<Example> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../eval/personal_data.jsonl"
    );
    let data = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    data.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1)))
        .collect()
}

fn describe(text: &str, start: usize, end: usize, kind: &str) -> String {
    format!("{kind} «{}»", slice_chars(text, start, end))
}

#[test]
fn personal_data_meets_targets() {
    let examples = load();
    let detector = PersonalDataDetector::new();
    let mut scores = PersonalDataScores::new();
    let mut errors = Vec::new();
    let (mut positives, mut negatives) = (0, 0);

    for ex in &examples {
        let n = ex.text.chars().count();
        let gold: Vec<(usize, usize, PersonalDataKind)> = ex
            .spans
            .iter()
            .map(|s| {
                assert!(
                    s.start < s.end && s.end <= n,
                    "bad gold span in {:?}",
                    ex.text
                );
                let kind = s
                    .kind
                    .parse()
                    .unwrap_or_else(|e| panic!("{e} in {:?}", ex.text));
                (s.start, s.end, kind)
            })
            .collect();
        if gold.is_empty() {
            negatives += 1;
        } else {
            positives += 1;
        }
        let mut pred: Vec<Detection> = Vec::new();
        detector.detect(&ex.text, &mut pred);
        for d in &pred {
            assert!(
                d.start < d.end && d.end <= n,
                "bad span {d:?} in {:?}",
                ex.text
            );
            assert!((0.0..=1.0).contains(&d.score));
        }

        // Per-example scores, only to list the errors; the totals come from `scores`.
        let one = quytac_core::detect::personal_data::score_spans(&gold, &pred);
        if one.total().false_positives + one.total().false_negatives > 0 {
            let g: Vec<String> = gold
                .iter()
                .map(|&(s, e, k)| describe(&ex.text, s, e, k.as_str()))
                .collect();
            let p: Vec<String> = pred
                .iter()
                .map(|d| describe(&ex.text, d.start, d.end, d.kind.map_or("?", |k| k.as_str())))
                .collect();
            errors.push(format!("{}\n    gold: {g:?}\n    pred: {p:?}", ex.text));
        }
        scores.add(&gold, &pred);
    }

    println!(
        "eval/personal_data.jsonl: {} texts ({positives} with personal data, {negatives} hard negatives)",
        examples.len()
    );
    println!("{}", scores.table());
    if !errors.is_empty() {
        println!("{} texts with errors:", errors.len());
        for e in &errors {
            println!("  {e}");
        }
    }

    assert!(
        negatives >= 150,
        "need at least 150 hard negatives, have {negatives}"
    );
    let mut failed = Vec::new();
    for kind in PersonalDataKind::ALL {
        let c = scores.get(kind);
        assert!(
            c.support() >= 40,
            "{}: only {} gold spans",
            kind.as_str(),
            c.support()
        );
        if c.precision() < MIN_PRECISION || c.recall() < MIN_RECALL {
            failed.push(format!(
                "{}: precision {:.3}, recall {:.3}",
                kind.as_str(),
                c.precision(),
                c.recall()
            ));
        }
    }
    assert!(failed.is_empty(), "below target: {failed:?}");
}
