//! The human-readable report of `quytac check --format text`: the text with the offending spans
//! highlighted, then each finding with its rule, severity, evidence and messages.

use quytac_core::engine::CheckResult;
use quytac_core::finding::Severity;
use std::io::{self, Write};

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Writes one result. Spans are highlighted in colour on a terminal, and between `[[` `]]`
/// otherwise, so the report stays readable in a file or a pipe.
pub fn write_result(
    out: &mut impl Write,
    r: &CheckResult,
    text: &str,
    color: bool,
) -> io::Result<()> {
    let label = r
        .label
        .map(|l| format!(", label {}", l.as_str()))
        .unwrap_or_default();
    writeln!(
        out,
        "{} {} — verdict {}{label}",
        r.item_type,
        r.id,
        r.verdict.as_str()
    )?;
    if !text.is_empty() {
        writeln!(out, "  {}", highlight(text, r, color))?;
    }
    for f in &r.findings {
        let (on, off) = match (color, f.severity) {
            (false, _) => ("", ""),
            (true, Severity::Violation) => (RED, RESET),
            (true, Severity::Review) => (YELLOW, RESET),
            (true, Severity::Info) => (DIM, RESET),
        };
        let span = match (f.start, f.end) {
            (Some(s), Some(e)) => format!(" [{s}..{e}]"),
            _ => String::new(),
        };
        let kind = f
            .kind
            .map(|k| format!("/{}", k.as_str()))
            .unwrap_or_default();
        writeln!(
            out,
            "  {on}{} {}{kind} {}{off} (score {:.2}){span} «{}»",
            f.rule,
            f.category,
            f.severity.as_str(),
            f.score,
            f.evidence
        )?;
        writeln!(out, "      vi: {}", f.message_vi)?;
        writeln!(out, "      en: {}", f.message_en)?;
    }
    if r.findings.is_empty() {
        writeln!(out, "  no findings")?;
    }
    Ok(())
}

/// The text with every finding's span marked.
fn highlight(text: &str, r: &CheckResult, color: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut marked = vec![false; chars.len()];
    for f in &r.findings {
        if let (Some(s), Some(e)) = (f.start, f.end) {
            for m in marked.iter_mut().take(e.min(chars.len())).skip(s) {
                *m = true;
            }
        }
    }
    let (open, close) = if color { (RED, RESET) } else { ("[[", "]]") };
    let mut out = String::with_capacity(text.len() + 16);
    let mut inside = false;
    for (c, m) in chars.iter().zip(&marked) {
        if *m != inside {
            out.push_str(if *m { open } else { close });
            inside = *m;
        }
        out.push(if *c == '\n' { ' ' } else { *c });
    }
    if inside {
        out.push_str(close);
    }
    out
}
