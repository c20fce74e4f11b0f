//! Reading JSON Lines input: bounded lines (a line over the limit is reported and skipped
//! without being held in memory), invalid UTF-8 reported per line, and the choice of rule pack.

use anyhow::{Context, Result};
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

/// The longest input line accepted (CONTRACT.md: "oversize" lines get a per-line error).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// One input line, or why it cannot be read.
pub enum Line {
    Text(String),
    Error(String),
}

/// Reads lines of at most [`MAX_LINE_BYTES`], in constant memory whatever the input.
pub struct LineReader {
    inner: Box<dyn BufRead + Send>,
    buf: Vec<u8>,
    pub line_no: usize,
}

impl LineReader {
    /// Opens a file, or standard input for `-` or no path.
    pub fn open(path: Option<&Path>) -> Result<LineReader> {
        let inner: Box<dyn BufRead + Send> = match path {
            None => Box::new(BufReader::with_capacity(1 << 16, io::stdin())),
            Some(p) if p.as_os_str() == "-" => {
                Box::new(BufReader::with_capacity(1 << 16, io::stdin()))
            }
            Some(p) => {
                let f = File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
                Box::new(BufReader::with_capacity(1 << 16, f))
            }
        };
        Ok(LineReader {
            inner,
            buf: Vec::new(),
            line_no: 0,
        })
    }

    #[cfg(test)]
    pub fn from_reader(r: impl io::Read + Send + 'static) -> LineReader {
        LineReader {
            inner: Box::new(BufReader::new(r)),
            buf: Vec::new(),
            line_no: 0,
        }
    }

    /// The next line (without its line ending), numbered from 1 in `line_no`; `None` at end.
    pub fn next_line(&mut self) -> io::Result<Option<Line>> {
        self.buf.clear();
        let mut oversize = false;
        let mut any = false;
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !oversize {
                if self.buf.len() + take > MAX_LINE_BYTES + 2 {
                    oversize = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            self.inner.consume(take);
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.line_no += 1;
        if oversize {
            return Ok(Some(Line::Error(format!(
                "line is longer than {} bytes",
                MAX_LINE_BYTES
            ))));
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        if self.buf.len() > MAX_LINE_BYTES {
            return Ok(Some(Line::Error(format!(
                "line is longer than {} bytes",
                MAX_LINE_BYTES
            ))));
        }
        match String::from_utf8(std::mem::take(&mut self.buf)) {
            Ok(s) => Ok(Some(Line::Text(s))),
            Err(e) => Ok(Some(Line::Error(format!(
                "line is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            )))),
        }
    }
}

/// Rule-pack options shared by the commands that check text.
#[derive(clap::Args, Debug, Clone)]
pub struct PackArgs {
    /// Rule pack to apply.
    #[arg(long, default_value = DEFAULT_PACK, value_parser = ["vn-2018-draft", "vn-874-2021", "vn-147-2024"])]
    pub pack: String,
    /// A rule pack of your own, in the TOML format of `rules/` (replaces --pack).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

impl PackArgs {
    pub fn load(&self) -> Result<RulePack> {
        match &self.rules {
            Some(path) => {
                let src = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read rule pack {}", path.display()))?;
                RulePack::from_toml(&src).with_context(|| format!("in {}", path.display()))
            }
            None => Ok(RulePack::builtin(&self.pack)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<String> {
        let mut r = LineReader::from_reader(io::Cursor::new(input.to_vec()));
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push(match l {
                Line::Text(t) => t,
                Line::Error(e) => format!("ERR {e}"),
            });
        }
        out
    }

    #[test]
    fn splits_lines_and_reports_bad_ones() {
        assert_eq!(lines(b"a\r\nb\n\nc"), vec!["a", "b", "", "c"]);
        assert!(lines(b"ok\n\xff\xfe\n")[1].starts_with("ERR line is not valid UTF-8"));
        let mut big = vec![b'x'; MAX_LINE_BYTES + 10];
        big.extend_from_slice(b"\nafter\n");
        let got = lines(&big);
        assert!(got[0].starts_with("ERR line is longer"));
        assert_eq!(got[1], "after");
        assert!(lines(b"").is_empty());
    }
}
