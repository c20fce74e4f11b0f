//! Throughput of the core check on ViHSD dev text, single-threaded, beside the `rustrict`
//! crate (an English-language filter) over the same text for comparison.
//!
//! Run: `cargo bench -p quytac-core --bench check`. Each benchmark processes the whole of ViHSD
//! dev (about 170 kB); divan reports the median time, and MB/s comes from the byte counter.
//! When the data set is absent, a small built-in sample is used instead.

use divan::counter::BytesCount;
use divan::Bencher;
use quytac_core::engine::Engine;
use quytac_core::item::{Item, Post};
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use quytac_core::text::Normalized;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn texts() -> &'static Vec<String> {
    static T: OnceLock<Vec<String>> = OnceLock::new();
    T.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/datasets/vihsd/dev.csv"
        );
        match std::fs::read_to_string(path) {
            Ok(csv) => read_first_column(&csv),
            Err(_) => vec![
                "Bọn bắc kỳ toàn lũ lừa đảo, hôm nay trời đẹp quá".to_string();
                1000
            ],
        }
    })
}

/// The first column of a small RFC 4180 CSV with a header (quoted fields may hold commas,
/// doubled quotes and newlines).
fn read_first_column(csv: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut field = String::new();
    let (mut in_quotes, mut col, mut chars) = (false, 0, csv.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => in_quotes = !in_quotes,
            (',', false) => {
                if col == 0 {
                    rows.push(std::mem::take(&mut field));
                }
                field.clear();
                col += 1;
            }
            ('\n', false) => {
                field.clear();
                col = 0;
            }
            _ if col == 0 => field.push(c),
            _ => {}
        }
    }
    rows.remove(0);
    rows
}

fn bytes() -> BytesCount {
    BytesCount::new(texts().iter().map(String::len).sum::<usize>())
}

#[divan::bench]
fn normalize(b: Bencher) {
    b.counter(bytes()).bench(|| {
        for t in texts() {
            divan::black_box(Normalized::new(t));
        }
    });
}

/// The classifier alone on text normalised beforehand: the weight-table look-ups.
#[divan::bench]
fn classify_only(b: Bencher) {
    let model = quytac_core::classifier::Classifier::builtin();
    let norms: Vec<Normalized> = texts().iter().map(|t| Normalized::new(t)).collect();
    b.counter(bytes()).bench(|| {
        for n in &norms {
            divan::black_box(model.predict(n));
        }
    });
}

#[divan::bench]
fn core_check(b: Bencher) {
    let engine = Engine::new(RulePack::builtin(DEFAULT_PACK).unwrap());
    let items: Vec<Item> = texts()
        .iter()
        .map(|t| {
            Item::Post(Post {
                id: "b".into(),
                text: t.clone(),
                author: Default::default(),
                engages: None,
                links: Vec::new(),
            })
        })
        .collect();
    b.counter(bytes()).bench(|| {
        for i in &items {
            divan::black_box(engine.check(i));
        }
    });
}

#[divan::bench]
fn rustrict_is_inappropriate(b: Bencher) {
    use rustrict::CensorStr;
    b.counter(bytes()).bench(|| {
        for t in texts() {
            divan::black_box(t.as_str().is_inappropriate());
        }
    });
}
