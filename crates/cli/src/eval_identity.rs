//! `quytac eval --task names` and `--task photos`: the identity checks (CS-1, CS-2) on the
//! project's test sets.

use anyhow::{bail, Context, Result};
use quytac_core::classifier::Confusion;
use quytac_core::identity::name::NameCase;
use quytac_photo::{distance, PhotoChecker, SAME_PHOTO_MAX_DISTANCE};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

/// Precision, recall and F1 of the `real_name` finding on (legal name, display name) pairs,
/// and every pair the check gets wrong.
pub fn names(path: &Path) -> Result<u8> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut cases = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let case: NameCase = serde_json::from_str(&line)
            .with_context(|| format!("{}: line {}", path.display(), i + 1))?;
        cases.push(case);
    }
    if cases.is_empty() {
        bail!("{} has no name pairs", path.display());
    }
    let started = Instant::now();
    let verdicts: Vec<_> = cases.iter().map(NameCase::check).collect();
    let secs = started.elapsed().as_secs_f64();
    let mut confusion = Confusion::new(2);
    let mut wrong = Vec::new();
    for (c, v) in cases.iter().zip(&verdicts) {
        confusion.add(c.expect_finding as usize, v.is_some() as usize);
        if v.is_some() != c.expect_finding {
            wrong.push((c, v));
        }
    }
    let s = confusion.class(1);
    println!(
        "data: {} ({} pairs, {} expect a finding)",
        path.display(),
        cases.len(),
        s.support
    );
    println!("real_name finding (CS-1), the display name checked against the legal name:");
    println!(
        "precision {:.4}  recall {:.4}  F1 {:.4}  accuracy {:.4}",
        s.precision,
        s.recall,
        s.f1,
        confusion.accuracy()
    );
    println!(
        "confusion: {} true findings, {} false findings, {} missed, {} true matches",
        confusion.cell(1, 1),
        confusion.cell(0, 1),
        confusion.cell(1, 0),
        confusion.cell(0, 0)
    );
    if !wrong.is_empty() {
        println!("wrong:");
        for (c, v) in wrong {
            println!(
                "  {:?} vs legal {:?} [{}]: expected {}, got {}",
                c.display_name,
                c.legal_name,
                c.note,
                if c.expect_finding {
                    "a finding"
                } else {
                    "no finding"
                },
                v.as_ref()
                    .map_or("no finding".to_string(), |p| p.describe())
            );
        }
    }
    println!(
        "speed: {:.0} pairs/s (one thread)",
        cases.len() as f64 / secs.max(1e-9)
    );
    Ok(0)
}

/// Accuracy of the one-real-face decision on a folder with `labels.csv` (file,one_face,kind),
/// each image's decision, the median time of a check, and the same-photo pairs the hash finds.
pub fn photos(dir: &Path) -> Result<u8> {
    let labels = dir.join("labels.csv");
    let mut r = csv::Reader::from_path(&labels)
        .with_context(|| format!("cannot read {} (file,one_face,kind)", labels.display()))?;
    let checker = PhotoChecker::new();
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", labels.display(), i + 2))?;
        let (file, want, kind) = (
            rec.get(0).unwrap_or(""),
            rec.get(1).unwrap_or("") == "1",
            rec.get(2).unwrap_or(""),
        );
        let bytes = std::fs::read(dir.join(file)).with_context(|| format!("cannot read {file}"))?;
        let started = Instant::now();
        let result = checker.check(&bytes);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        rows.push((file.to_string(), kind.to_string(), want, result, ms));
    }
    if rows.is_empty() {
        bail!("{} lists no images", labels.display());
    }
    println!("data: {} ({} images)", dir.display(), rows.len());
    println!(
        "{:<40} {:<22} {:>4} {:>4} {:>9} {:>7}  problems",
        "image", "kind", "want", "got", "size", "ms"
    );
    let mut ok = 0;
    let mut by_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut confusion = Confusion::new(2);
    for (file, kind, want, result, ms) in &rows {
        let (got, size, problems) = match result {
            Ok(rep) => (
                rep.is_one_real_face(),
                format!("{}x{}", rep.width, rep.height),
                rep.problems
                    .iter()
                    .map(|p| p.code())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Err(e) => (false, "-".into(), format!("error: {e}")),
        };
        confusion.add(*want as usize, got as usize);
        let k = by_kind.entry(kind.as_str()).or_default();
        k.1 += 1;
        if got == *want {
            ok += 1;
            k.0 += 1;
        }
        println!(
            "{:<40} {:<22} {:>4} {:>4} {:>9} {:>7.1}  {}{}",
            file,
            kind,
            *want as u8,
            got as u8,
            size,
            ms,
            problems,
            if got == *want { "" } else { "  <-- wrong" }
        );
    }
    println!("by kind:");
    for (kind, (good, n)) in &by_kind {
        println!("  {kind:<22} {good:>4}/{n:<4}");
    }
    let face = confusion.class(1);
    println!(
        "one-real-face decision: accuracy {:.4} ({ok}/{}); precision {:.4} recall {:.4}",
        ok as f64 / rows.len() as f64,
        rows.len(),
        face.precision,
        face.recall
    );
    let mut all: Vec<f64> = rows.iter().map(|r| r.4).collect();
    let mut square: Vec<f64> = rows
        .iter()
        .filter(|r| {
            r.3.as_ref()
                .is_ok_and(|rep| rep.width == 400 && rep.height == 400)
        })
        .map(|r| r.4)
        .collect();
    println!(
        "time per check (decode, statistics, faces, hash; one thread): median {:.1} ms, max {:.1} ms",
        median(&mut all),
        all.last().copied().unwrap_or(0.0)
    );
    if !square.is_empty() {
        println!(
            "  400×400 photos: median {:.1} ms over {}",
            median(&mut square),
            square.len()
        );
    }
    // Same-photo pairs by perceptual hash: copies of one picture in the set.
    let hashes: Vec<(&str, &quytac_photo::PhotoHash)> = rows
        .iter()
        .filter_map(|r| r.3.as_ref().ok().map(|rep| (r.0.as_str(), &rep.hash)))
        .collect();
    let mut pairs = 0;
    for i in 0..hashes.len() {
        for j in i + 1..hashes.len() {
            if distance(hashes[i].1, hashes[j].1) <= SAME_PHOTO_MAX_DISTANCE {
                pairs += 1;
            }
        }
    }
    println!(
        "same-photo pairs (hash distance <= {SAME_PHOTO_MAX_DISTANCE} of {} bits): {pairs}",
        quytac_photo::HASH_BITS
    );
    Ok(0)
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
