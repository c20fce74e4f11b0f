//! `quytac check` and `quytac redact`: stream JSON Lines through the engine, in input order,
//! in constant memory, checking each chunk of lines in parallel.

use crate::input::{Line, LineReader, PackArgs};
use crate::photo::PhotoReader;
use crate::report;
use anyhow::Result;
use quytac_core::engine::{CheckResult, EngagementLog, Engine};
use quytac_core::finding::Verdict;
use quytac_core::item::{Item, Post};
use quytac_core::limits::CheckLimits;
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc;

/// Lines checked together; large enough to keep both cores busy, small enough that memory
/// stays flat (at most this many lines of 1 MiB each are held at once).
const CHUNK_LINES: usize = 2048;
/// Chunks are also cut at this many bytes, so that long lines do not pile up.
const CHUNK_BYTES: usize = 8 << 20;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Text,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// JSON Lines input file, or - for standard input (the default).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Check one text (a post by a citizen, or by --role) instead of a file.
    #[arg(long, value_name = "TEXT", conflicts_with = "path")]
    pub text: Option<String>,
    /// Author role for --text.
    #[arg(long, default_value = "citizen", requires = "text", value_parser = ["citizen", "organization", "civil_servant", "agency", "provider"])]
    pub role: String,
    /// Output format [default: jsonl, or text with --text].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub pack: PackArgs,
    /// Exit 0 even when items need review or break a rule (for pipelines).
    #[arg(long)]
    pub exit_zero: bool,
    /// Most characters of an item's text; a longer item is an error line, the batch goes on
    /// (the same limit as `quytac serve`).
    #[arg(long, default_value_t = CheckLimits::DEFAULT.max_chars, value_name = "N")]
    pub max_chars: usize,
    /// Most words (runs of letters and digits) of an item's text; more is an error line.
    #[arg(long, default_value_t = CheckLimits::DEFAULT.max_words, value_name = "N")]
    pub max_words: usize,
    /// Most findings in a result; more are cut, the result marked `"truncated": true`.
    #[arg(long, default_value_t = CheckLimits::DEFAULT.max_findings, value_name = "N")]
    pub max_findings: usize,
}

impl CheckArgs {
    fn limits(&self) -> CheckLimits {
        CheckLimits {
            max_chars: self.max_chars,
            max_words: self.max_words,
            max_findings: self.max_findings,
            ..CheckLimits::DEFAULT
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct RedactArgs {
    /// JSON Lines input file, or - for standard input (the default).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Redact one text instead of a file.
    #[arg(long, value_name = "TEXT", conflicts_with = "path")]
    pub text: Option<String>,
}

/// One output line: a result, or the error of a line that could not be read.
#[derive(Serialize)]
#[serde(untagged)]
enum Outcome {
    Checked(CheckResult),
    Error { line: usize, error: String },
}

pub fn run_check(args: &CheckArgs) -> Result<u8> {
    let engine = Engine::new(args.pack.load()?);
    let limits = args.limits();
    let format = args.format.unwrap_or(if args.text.is_some() {
        Format::Text
    } else {
        Format::Jsonl
    });
    let stdout = io::stdout();
    let color =
        format == Format::Text && stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut tally = Tally::default();
    // `text` is the checked text, for the human report's highlighting.
    let emit = |o: Outcome,
                text: &str,
                tally: &mut Tally,
                out: &mut BufWriter<io::StdoutLock>|
     -> io::Result<()> {
        tally.note(&o);
        match format {
            Format::Jsonl => {
                serde_json::to_writer(&mut *out, &o)?;
                out.write_all(b"\n")
            }
            Format::Text => match &o {
                Outcome::Checked(r) => report::write_result(out, r, text, color),
                Outcome::Error { line, error } => writeln!(out, "line {line}: error: {error}"),
            },
        }
    };

    if let Some(text) = &args.text {
        let role: quytac_core::item::Role = serde_json::from_value(args.role.clone().into())?;
        let item = Item::Post(Post {
            id: "text".into(),
            text: text.clone(),
            author: quytac_core::item::Author {
                role,
                ..Default::default()
            },
            engages: None,
            links: Vec::new(),
        });
        if let Err(e) = limits.admit(&item) {
            anyhow::bail!("{e} (--max-chars, --max-words)");
        }
        let mut result = engine.check(&item);
        limits.bound(&mut result);
        emit(Outcome::Checked(result), text, &mut tally, &mut out)?;
    } else {
        let reader = LineReader::open(args.path.as_deref())?;
        let photos = PhotoReader::for_input(args.path.as_deref());
        let mut log = EngagementLog::default();
        // Reading runs on a thread of its own, up to two chunks ahead of the checking, so that
        // the cores never wait for input.
        let (chunks, received) = mpsc::sync_channel::<io::Result<Vec<(usize, Line)>>>(2);
        std::thread::scope(|scope| -> Result<()> {
            scope.spawn(move || read_chunks(reader, chunks));
            for chunk in received {
                let chunk = chunk?;
                let mut checked: Vec<(Option<Item>, Outcome)> = chunk
                    .par_iter()
                    .map(|(no, line)| check_line(&engine, &limits, &photos, *no, line))
                    .collect();
                // CS-8 relates each item to the ones before it: in input order.
                for (item, outcome) in &mut checked {
                    if let (Some(item), Outcome::Checked(result)) = (&*item, &mut *outcome) {
                        log.resolve(&engine, item, result);
                    }
                }
                if format == Format::Jsonl {
                    // Bounding and serialising are per item: in parallel, in order.
                    let pieces: Vec<(Vec<u8>, Tally)> = checked
                        .par_chunks_mut(OUTPUT_PIECE)
                        .map(|piece| write_jsonl(piece, &limits))
                        .collect::<io::Result<_>>()?;
                    for (bytes, piece_tally) in pieces {
                        tally.merge(piece_tally);
                        out.write_all(&bytes)?;
                    }
                } else {
                    for (item, mut outcome) in checked {
                        if let Outcome::Checked(result) = &mut outcome {
                            limits.bound(result);
                        }
                        let text = match &item {
                            Some(Item::Post(p)) => p.text.as_str(),
                            _ => "",
                        };
                        emit(outcome, text, &mut tally, &mut out)?;
                    }
                }
            }
            Ok(())
        })?;
    }
    out.flush()?;
    Ok(
        if args.exit_zero || (tally.worst == Verdict::Pass && !tally.had_errors) {
            0
        } else {
            1
        },
    )
}

/// Output lines serialised together by one thread: enough to amortise the hand-over.
const OUTPUT_PIECE: usize = 64;

/// Reads the input in chunks of lines and hands them over until the end, a read error, or the
/// receiver hanging up.
fn read_chunks(mut reader: LineReader, chunks: mpsc::SyncSender<io::Result<Vec<(usize, Line)>>>) {
    loop {
        let mut chunk = Vec::with_capacity(CHUNK_LINES);
        let mut bytes = 0;
        while chunk.len() < CHUNK_LINES && bytes < CHUNK_BYTES {
            match reader.next_line() {
                Ok(Some(line)) => {
                    if let Line::Text(t) = &line {
                        bytes += t.len();
                    }
                    chunk.push((reader.line_no, line));
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = chunks.send(Err(e));
                    return;
                }
            }
        }
        if chunk.is_empty() || chunks.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// What the exit code depends on: the worst verdict written and whether any line was an error.
struct Tally {
    worst: Verdict,
    had_errors: bool,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            worst: Verdict::Pass,
            had_errors: false,
        }
    }
}

impl Tally {
    fn note(&mut self, o: &Outcome) {
        match o {
            Outcome::Checked(r) => self.worst = self.worst.max(r.verdict),
            Outcome::Error { .. } => self.had_errors = true,
        }
    }

    fn merge(&mut self, other: Tally) {
        self.worst = self.worst.max(other.worst);
        self.had_errors |= other.had_errors;
    }
}

/// Bounds the results of a run of checked lines and writes them as JSON Lines, with their
/// tally.
fn write_jsonl(
    piece: &mut [(Option<Item>, Outcome)],
    limits: &CheckLimits,
) -> io::Result<(Vec<u8>, Tally)> {
    let mut bytes = Vec::with_capacity(piece.len() * 512);
    let mut tally = Tally::default();
    for (_, outcome) in piece {
        if let Outcome::Checked(result) = outcome {
            limits.bound(result);
        }
        tally.note(outcome);
        serde_json::to_writer(&mut bytes, &*outcome)?;
        bytes.push(b'\n');
    }
    Ok((bytes, tally))
}

fn check_line(
    engine: &Engine,
    limits: &CheckLimits,
    photos: &PhotoReader,
    no: usize,
    line: &Line,
) -> (Option<Item>, Outcome) {
    let text = match line {
        Line::Error(e) => {
            return (
                None,
                Outcome::Error {
                    line: no,
                    error: e.clone(),
                },
            )
        }
        Line::Text(t) => t,
    };
    if text.trim().is_empty() {
        return (
            None,
            Outcome::Error {
                line: no,
                error: "empty line".into(),
            },
        );
    }
    // An item over the limits is an error line, like one that cannot be read.
    let item = Item::from_json(text)
        .and_then(|item| limits.admit(&item).map(|_| item).map_err(|e| e.to_string()));
    match item {
        Ok(item) => {
            // A profile's photo is read and checked here, beside the input file.
            let photo = match &item {
                Item::Profile(p) => p
                    .photo
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| photos.check(s)),
                Item::Post(_) => None,
            };
            let result = engine.check_with(&item, photo.as_ref());
            (Some(item), Outcome::Checked(result))
        }
        Err(e) => (None, Outcome::Error { line: no, error: e }),
    }
}

pub fn run_redact(args: &RedactArgs) -> Result<u8> {
    let engine = Engine::new(quytac_core::rules::RulePack::builtin(
        quytac_core::rules::DEFAULT_PACK,
    )?);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let masked = |text: &str| engine.mask_personal_data(text);
    if let Some(text) = &args.text {
        writeln!(out, "{}", masked(text))?;
        out.flush()?;
        return Ok(0);
    }
    let mut reader = LineReader::open(args.path.as_deref())?;
    let mut code = 0;
    while let Some(line) = reader.next_line()? {
        let no = reader.line_no;
        let value = match line {
            Line::Error(e) => serde_json::json!({"line": no, "error": e}),
            Line::Text(t) => match Item::from_json(&t) {
                Ok(Item::Post(p)) => {
                    serde_json::json!({"id": p.id, "type": "post", "text": masked(&p.text)})
                }
                Ok(Item::Profile(p)) => {
                    serde_json::json!({"id": p.id, "type": "profile", "bio": p.bio.as_deref().map(masked)})
                }
                Err(e) => serde_json::json!({"line": no, "error": e}),
            },
        };
        if value.get("error").is_some() {
            code = 1;
        }
        serde_json::to_writer(&mut out, &value)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(code)
}
