//! The lexicon detector: curated phrase lists for the categories `offensive`, `hate`,
//! `violence`, `regional_discrimination`, `gender_discrimination` and
//! `religious_discrimination`, matched as whole words on the normalisation keys.
//!
//! The lists live in `lexicons/*.txt` at the repository root (format in `lexicons/README.md`)
//! and are embedded at build time, so the core does no file I/O. A user can add lists of their
//! own in the same format with [`LexiconDetector::from_sources`].
//!
//! What makes the matching precise:
//!
//! - **entries**: a phrase, its category and a score; **compounds** (`a ~ b`) chain parts
//!   that follow each other, so "group name + link + insult" patterns stay small;
//! - **false friends**: harmless phrases that contain an entry ("hạt óc chó", "giết thời
//!   gian"); an entry hit lying wholly inside a false-friend hit is dropped;
//! - **homographs**: in a post typed with diacritics, a bare "cho" is "cho", not "chó";
//! - **context entries** (flag `context`): pronouns and classifiers ("thằng", "mày", "bọn")
//!   that are not abuse by themselves. They only count in a text that has a real hit: one that
//!   touches a hit widens it ("thằng" + "ngu" → "thằng ngu"), any other is reported with its
//!   own low score.
//!
//! All phrases of all lists go into one token trie ([`PhraseMatcher`]), walked over the marked
//! and the plain key, so a text is scanned once, token by token, whatever the size of the
//! lists.

use crate::finding::{Category, Detection};
use crate::text::{phrase_keys, KeyToken, Normalized, PhraseMatch, PhraseMatcher, PlainMatching};
use rustc_hash::FxHashSet;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

mod parse;
#[cfg(test)]
mod tests;

use parse::Parser;

/// The lexicon files shipped with quytac, in load order: the shared sets first, then the
/// categories, the false friends and the group names. [`LexiconDetector::builtin`] is built
/// from exactly these.
pub const BUILTIN_SOURCES: [&str; 9] = [
    include_str!("../../../../lexicons/sets.txt"),
    include_str!("../../../../lexicons/offensive.txt"),
    include_str!("../../../../lexicons/hate.txt"),
    include_str!("../../../../lexicons/violence.txt"),
    include_str!("../../../../lexicons/regional_discrimination.txt"),
    include_str!("../../../../lexicons/gender_discrimination.txt"),
    include_str!("../../../../lexicons/religious_discrimination.txt"),
    include_str!("../../../../lexicons/false_friends.txt"),
    include_str!("../../../../lexicons/groups.txt"),
];

/// A hit found only on the plain key (text written without diacritics) is a little less sure:
/// "lon" may be "lồn" or a can of beer.
const PLAIN_FACTOR: f32 = 0.9;

/// One phrase can expand (through sets and `{a|b}` alternatives) into at most this many
/// variants; more is almost certainly a mistake in the data.
const MAX_VARIANTS: usize = 20_000;

/// Most parts a compound entry may have (`a ~ b ~ c ~ d`).
const MAX_PARTS: usize = 4;

/// One lexicon entry, after expansion of sets and alternatives.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The phrase as written (one variant of the line).
    pub phrase: String,
    pub category: Category,
    /// Severity weight in `[0, 1]`, reported as the detection score.
    pub score: f32,
    /// May match text written without diacritics (flag `marked` turns this off).
    pub plain: bool,
    /// Only counts next to, or in the same text as, a non-context hit (flag `context`).
    pub context: bool,
}

/// A compound entry: parts that must follow each other directly in the text, written
/// `{vung_nguoi} ~ {la} ~ {nhuc}`. Each part is matched on its own and the hits are chained,
/// so a pattern over three sets of 30 costs 90 phrases rather than 27,000.
#[derive(Debug, Clone, PartialEq)]
pub struct Compound {
    /// The line's phrase as written, parts joined by `" ~ "`.
    pub pattern: String,
    pub category: Category,
    /// Severity weight in `[0, 1]`, as for [`Entry`].
    pub score: f32,
    /// May match text written without diacritics.
    pub plain: bool,
    /// A context compound (see the module documentation).
    pub context: bool,
    /// Number of parts.
    pub parts: usize,
}

/// What a line of a lexicon source said wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LexiconErrorKind {
    UnknownDirective(String),
    UnknownCategory(String),
    /// A category that exists but is not assigned by lexicons (e.g. `personal_data`).
    NotALexiconCategory(String),
    BadScore(String),
    UnknownFlag(String),
    UnknownSet(String),
    BadSetDefinition,
    UnbalancedBraces,
    TooManyVariants,
    /// An entry line before any `@category` or `@false_friends`.
    NoCategory,
    /// A false-friend or group line with a score or flags.
    PhraseListFields,
    /// A phrase with no word in it (only punctuation or symbols).
    EmptyPhrase,
    /// More than `phrase | score | flags`.
    TooManyFields,
    /// A compound with more than four parts.
    TooManyParts,
    /// False friends and group names are plain phrases, not compounds.
    CompoundInPhraseList,
}

/// A lexicon source could not be read. `source` and `line` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconError {
    pub source: usize,
    pub line: usize,
    pub kind: LexiconErrorKind,
}

impl fmt::Display for LexiconError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lexicon source {}, line {}: ", self.source, self.line)?;
        match &self.kind {
            LexiconErrorKind::UnknownDirective(d) => write!(f, "unknown directive `@{d}`"),
            LexiconErrorKind::UnknownCategory(c) => write!(f, "unknown category `{c}`"),
            LexiconErrorKind::NotALexiconCategory(c) => {
                write!(f, "category `{c}` is not one a lexicon can assign")
            }
            LexiconErrorKind::BadScore(s) => write!(f, "score `{s}` is not a number in [0, 1]"),
            LexiconErrorKind::UnknownFlag(s) => {
                write!(f, "unknown flag `{s}` (expected `marked` or `context`)")
            }
            LexiconErrorKind::UnknownSet(s) => write!(f, "unknown set `{{{s}}}`"),
            LexiconErrorKind::BadSetDefinition => {
                f.write_str("a set is defined as `@set name = a, b, c`")
            }
            LexiconErrorKind::UnbalancedBraces => f.write_str("unbalanced `{` `}`"),
            LexiconErrorKind::TooManyVariants => {
                write!(f, "the line expands to more than {MAX_VARIANTS} phrases")
            }
            LexiconErrorKind::NoCategory => {
                f.write_str("entry before any `@category` or `@false_friends` line")
            }
            LexiconErrorKind::PhraseListFields => {
                f.write_str("a false friend or group name takes no score or flags")
            }
            LexiconErrorKind::EmptyPhrase => f.write_str("the phrase has no word in it"),
            LexiconErrorKind::TooManyFields => {
                f.write_str("expected `phrase | score | flags` (at most two `|`)")
            }
            LexiconErrorKind::TooManyParts => {
                write!(f, "a compound has at most {MAX_PARTS} parts")
            }
            LexiconErrorKind::CompoundInPhraseList => {
                f.write_str("a false friend or group name cannot be a compound (`~`)")
            }
        }
    }
}

impl std::error::Error for LexiconError {}

/// What a phrase of the matcher stands for.
#[derive(Debug, Clone, Copy)]
enum Role {
    Entry(u32),
    FalseFriend,
    /// A phrase that is one part of one or more compounds (index into `parts`).
    Part(u32),
}

/// A phrase used as a part of compounds, and where.
#[derive(Debug, Clone)]
struct Part {
    phrase: String,
    /// May match text written without diacritics.
    plain: bool,
    /// (compound index, position of the part in the compound).
    uses: Vec<(u32, u8)>,
}

/// Compiled lexicons, ready to scan texts. Build once, share freely (`Send + Sync`).
#[derive(Debug, Clone)]
pub struct LexiconDetector {
    matcher: PhraseMatcher,
    /// Role of each phrase given to the matcher, by phrase index.
    roles: Vec<Role>,
    entries: Vec<Entry>,
    compounds: Vec<Compound>,
    parts: Vec<Part>,
    false_friends: usize,
    /// Phrases that name a group or an identity (`@groups`), matched on their own: only the
    /// engine's hate-or-offence question reads them.
    groups: PhraseMatcher,
    /// Everyday words that a listed word becomes without diacritics (`@homographs`). Read
    /// for every unmarked token, filled only from the lexicons: a fast unkeyed hash is safe.
    homographs: FxHashSet<String>,
}

impl LexiconDetector {
    /// The detector over the shipped lexicons ([`BUILTIN_SOURCES`]), built on first use.
    pub fn builtin() -> &'static LexiconDetector {
        static BUILTIN: OnceLock<LexiconDetector> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            // The shipped data is checked by the test suite, so a failure here is a build defect.
            LexiconDetector::from_sources(&BUILTIN_SOURCES)
                .unwrap_or_else(|e| panic!("built-in lexicons are invalid: {e}"))
        })
    }

    /// Builds a detector from lexicon sources in the `lexicons/` format, read in order: sets
    /// defined in one source are visible in the later ones, and an entry repeated later with
    /// the same category replaces the earlier one (so a user can re-score a built-in entry, or
    /// silence it with score 0). To extend the shipped lists, pass [`BUILTIN_SOURCES`] first.
    pub fn from_sources(sources: &[&str]) -> Result<Self, LexiconError> {
        let mut p = Parser::default();
        for (i, src) in sources.iter().enumerate() {
            p.source(i + 1, src)?;
        }
        Ok(p.finish())
    }

    /// The simple entries (after expansion), in load order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The compound entries, in load order.
    pub fn compounds(&self) -> &[Compound] {
        &self.compounds
    }

    /// Number of false-friend phrases (after expansion).
    pub fn false_friend_count(&self) -> usize {
        self.false_friends
    }

    /// Pushes the lexicon detections of one text. Offsets are chars of the original text;
    /// `reason` is `"lexicon: <entry phrase>"`.
    pub fn detect(&self, norm: &Normalized, out: &mut Vec<Detection>) {
        thread_local! {
            /// Buffers reused from text to text, so most texts cost no allocation at all.
            static RAW: RefCell<Vec<PhraseMatch>> = const { RefCell::new(Vec::new()) };
        }
        RAW.with_borrow_mut(|raw| {
            raw.clear();
            self.matcher.find_all(norm, raw);
            self.resolve(norm, raw, out);
        });
    }

    /// Whether a text names a group or an identity (`@groups`: people of a region or province,
    /// an ethnic group, a religion, a gender, gay or transgender people, a party, a nation, or a
    /// contemptuous collective such as "bọn", "lũ"). Hate, as RULES.md uses the word, attacks a
    /// group or an identity; abuse of one person that names none is offence.
    pub fn names_a_group(&self, norm: &Normalized) -> bool {
        let mut found = Vec::new();
        self.groups.find_all(norm, &mut found);
        !found.is_empty()
    }

    /// Token ranges (indices into the keys of `norm`) of the false friends found in a text:
    /// the stretches a reader takes in their harmless sense ("con chó nhà tôi", "Đảng Cộng sản
    /// Việt Nam"). The engine keeps them from the learned classifier, which knows words, not
    /// senses, and otherwise reads a pet dog or a party's name as abuse. Empty for most texts.
    pub fn literal_senses(&self, norm: &Normalized) -> Vec<std::ops::Range<usize>> {
        if self.false_friends == 0 {
            return Vec::new();
        }
        let mut raw = Vec::new();
        self.matcher.find_all(norm, &mut raw);
        raw.iter()
            .filter(|m| matches!(self.roles[m.phrase()], Role::FalseFriend))
            .map(|m| m.tok_start()..m.tok_end())
            .collect()
    }

    /// Turns the raw phrase matches of one text into detections.
    fn resolve(&self, norm: &Normalized, raw: &[PhraseMatch], out: &mut Vec<Detection>) {
        // Most texts hold only context words and false friends ("con", "mẹ", "mọi người"):
        // without a real hit there is nothing to report, so skip the bookkeeping.
        let real = |m: &PhraseMatch| match self.roles[m.phrase()] {
            Role::Entry(e) => !self.entries[e as usize].context,
            Role::Part(_) => true,
            Role::FalseFriend => false,
        };
        if !raw.iter().any(real) {
            return;
        }
        let tokens = norm.marked().tokens();

        // In a post typed with diacritics, a bare everyday word is itself: "tặng cho má" is
        // not "chó má". A quarter of marked tokens is far below Vietnamese typed with
        // diacritics (about 70%) and far above text typed without (none).
        let accented = tokens.iter().filter(|t| t.had_marks).count() * 4 >= tokens.len();
        let key = norm.marked();
        let bare_homograph = |ts: usize, te: usize| {
            (ts..te.min(tokens.len()))
                .any(|t| !tokens[t].had_marks && self.homographs.contains(key.token_text(t)))
        };

        let mut shields: Vec<(usize, usize)> = Vec::new();
        let mut hits: Vec<Hit> = Vec::with_capacity(raw.len());
        let mut pieces: Vec<Piece> = Vec::new();
        for m in raw {
            let (ts, te) = (m.tok_start(), m.tok_end());
            let is_ff = matches!(self.roles[m.phrase()], Role::FalseFriend);
            if m.plain && !is_ff && accented && bare_homograph(ts, te) {
                continue;
            }
            match self.roles[m.phrase()] {
                Role::FalseFriend => shields.push((m.start(), m.end())),
                Role::Entry(e) => {
                    let entry = &self.entries[e as usize];
                    if entry.score > 0.0 {
                        let (score, context) = (entry.score, entry.context);
                        let h = Hit::new(m, Source::Entry(e), entry.category, score, context);
                        hits.push(h);
                    }
                }
                Role::Part(p) => {
                    for &(compound, at) in &self.parts[p as usize].uses {
                        pieces.push(Piece {
                            compound,
                            at,
                            part: p,
                            m: *m,
                        });
                    }
                }
            }
        }
        self.join_compounds(&mut pieces, &mut hits);
        let shields = (!shields.is_empty()).then(|| Cover::new(shields));
        let mut context = Vec::new();
        hits.retain(|h| {
            if shields.as_ref().is_some_and(|s| s.covers(h.start, h.end)) {
                false
            } else if h.context {
                context.push(*h);
                false
            } else {
                true
            }
        });
        let mut main = hits;
        if main.is_empty() {
            return;
        }
        keep_maximal(&mut main, |outer, inner| {
            outer.category == inner.category || outer.score >= inner.score
        });
        keep_maximal(&mut context, |_, _| true);
        let covered = Cover::new(main.iter().map(|m| (m.start, m.end)).collect());
        context.retain(|c| !covered.covers(c.start, c.end));
        let standalone = absorb_context(&mut main, context, tokens);
        let main = merge_overlapping(main);

        out.reserve(main.len() + standalone.len());
        for h in main.iter().chain(&standalone) {
            out.push(Detection {
                category: h.category,
                start: h.start,
                end: h.end,
                score: h.score,
                kind: None,
                reason: self.reason(&h.source),
            });
        }
    }

    /// Chains compound parts that follow each other directly into hits.
    fn join_compounds(&self, pieces: &mut [Piece], hits: &mut Vec<Hit>) {
        if pieces.is_empty() {
            return;
        }
        pieces.sort_unstable_by_key(|p| (p.compound, p.at, p.m.tok_start(), p.m.tok_end()));
        let pieces = &*pieces;
        // Depth-first over the parts: compounds have at most MAX_PARTS parts and each part
        // matches at a given token in very few ways, so the search stays tiny.
        let mut stack: Vec<(usize, [u32; MAX_PARTS], bool)> = Vec::new();
        for (i, first) in pieces.iter().enumerate().filter(|(_, p)| p.at == 0) {
            let c = &self.compounds[first.compound as usize];
            let mut path = [0u32; MAX_PARTS];
            path[0] = first.part;
            stack.push((i, path, first.m.plain));
            while let Some((j, path, plain)) = stack.pop() {
                let cur = &pieces[j];
                let next_at = cur.at + 1;
                if usize::from(next_at) == c.parts {
                    let source = Source::Compound {
                        id: first.compound,
                        parts: path,
                    };
                    let score = if plain {
                        c.score * PLAIN_FACTOR
                    } else {
                        c.score
                    };
                    hits.push(Hit {
                        source,
                        category: c.category,
                        score,
                        context: c.context,
                        start: first.m.start(),
                        end: cur.m.end(),
                        tok_start: first.m.tok_start(),
                        tok_end: cur.m.tok_end(),
                    });
                    continue;
                }
                let key = (cur.compound, next_at, cur.m.tok_end());
                let from = pieces.partition_point(|p| (p.compound, p.at, p.m.tok_start()) < key);
                for (k, p) in pieces[from..].iter().enumerate() {
                    if (p.compound, p.at, p.m.tok_start()) != key {
                        break;
                    }
                    let mut path = path;
                    path[usize::from(next_at)] = p.part;
                    stack.push((from + k, path, plain || p.m.plain));
                }
            }
        }
    }

    fn reason(&self, source: &Source) -> String {
        match *source {
            Source::Entry(e) => format!("lexicon: {}", self.entries[e as usize].phrase),
            Source::Compound { id, parts } => {
                let mut r = String::from("lexicon:");
                for &p in &parts[..self.compounds[id as usize].parts] {
                    r.push(' ');
                    r.push_str(&self.parts[p as usize].phrase);
                }
                r
            }
        }
    }
}

/// Where a hit comes from, for its reason.
#[derive(Debug, Clone, Copy)]
enum Source {
    Entry(u32),
    Compound { id: u32, parts: [u32; MAX_PARTS] },
}

/// A matched part of a compound, waiting to be chained.
#[derive(Debug, Clone, Copy)]
struct Piece {
    compound: u32,
    at: u8,
    part: u32,
    m: PhraseMatch,
}

/// An entry hit during detection.
#[derive(Debug, Clone, Copy)]
struct Hit {
    source: Source,
    category: Category,
    score: f32,
    context: bool,
    /// Char offsets into the original text.
    start: usize,
    end: usize,
    /// Token index range in the key.
    tok_start: usize,
    tok_end: usize,
}

impl Hit {
    fn new(m: &PhraseMatch, source: Source, category: Category, score: f32, context: bool) -> Self {
        Hit {
            source,
            category,
            score: if m.plain { score * PLAIN_FACTOR } else { score },
            context,
            start: m.start(),
            end: m.end(),
            tok_start: m.tok_start(),
            tok_end: m.tok_end(),
        }
    }
}

/// Sorts hits by position and drops every hit that lies inside another one for which
/// `dominates(outer, inner)` holds ("địt" inside "địt mẹ"). Equal spans keep the best score.
fn keep_maximal(hits: &mut Vec<Hit>, dominates: impl Fn(&Hit, &Hit) -> bool) {
    hits.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(b.score.total_cmp(&a.score))
    });
    // Sweep in start order, keeping the hits still open at the current start: phrases are a
    // few tokens long, so this window stays small even on texts with thousands of hits.
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    let mut open: Vec<usize> = Vec::new();
    for h in hits.iter() {
        open.retain(|&i| kept[i].end > h.start);
        let covered = open.iter().any(|&i| {
            let o = &kept[i];
            o.start <= h.start && h.end <= o.end && dominates(o, h)
        });
        if !covered {
            open.push(kept.len());
            kept.push(*h);
        }
    }
    *hits = kept;
}

/// Joins hits of one category that share characters ("bọn hồi giáo" and "hồi giáo khủng bố"
/// make "bọn hồi giáo khủng bố"): one finding per stretch of abuse. The merged hit keeps the
/// best score and that hit's reason.
fn merge_overlapping(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|h| (h.category, h.start, h.end));
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        match out.last_mut() {
            Some(last) if last.category == h.category && h.start < last.end => {
                if h.score > last.score {
                    last.score = h.score;
                    last.source = h.source;
                }
                last.end = last.end.max(h.end);
                last.tok_end = last.tok_end.max(h.tok_end);
            }
            _ => out.push(h),
        }
    }
    out.sort_by_key(|h| (h.start, h.end));
    out
}

/// Widens main hits over the context hits that touch them, in chains ("địt mẹ" + "chúng mày",
/// "mấy thằng" + "óc chó"), and returns the context hits left standing alone.
///
/// Two hits touch when their tokens are consecutive and at most one character (a space)
/// separates them in the original text; a full stop and a space do not join sentences.
fn absorb_context(main: &mut [Hit], context: Vec<Hit>, tokens: &[KeyToken]) -> Vec<Hit> {
    let touches = |left: &Hit, right: &Hit| {
        left.tok_end == right.tok_start
            && tokens
                .get(right.tok_start)
                .zip(tokens.get(left.tok_end.wrapping_sub(1)))
                .is_some_and(|(r, l)| r.orig.start <= l.orig.end + 1)
    };
    // Context hits by the token where they end and where they start, so that each step of a
    // chain is a bisection, not a scan: hostile texts can hold thousands of hits.
    let mut by_end: Vec<usize> = (0..context.len()).collect();
    by_end.sort_by_key(|&i| context[i].tok_end);
    let mut by_start = by_end.clone();
    by_start.sort_by_key(|&i| context[i].tok_start);
    let mut absorbed = vec![false; context.len()];
    for m in main.iter_mut() {
        loop {
            let from = by_end.partition_point(|&i| context[i].tok_end < m.tok_start);
            let found = by_end[from..]
                .iter()
                .take_while(|&&i| context[i].tok_end == m.tok_start)
                .find(|&&i| !absorbed[i] && touches(&context[i], m));
            let Some(&i) = found else { break };
            absorbed[i] = true;
            m.start = context[i].start;
            m.tok_start = context[i].tok_start;
        }
        loop {
            let from = by_start.partition_point(|&i| context[i].tok_start < m.tok_end);
            let found = by_start[from..]
                .iter()
                .take_while(|&&i| context[i].tok_start == m.tok_end)
                .find(|&&i| !absorbed[i] && touches(m, &context[i]));
            let Some(&i) = found else { break };
            absorbed[i] = true;
            m.end = context[i].end;
            m.tok_end = context[i].tok_end;
        }
    }
    context
        .into_iter()
        .zip(absorbed)
        .filter_map(|(c, done)| (!done).then_some(c))
        .collect()
}

/// Spans sorted by start with the running maximum of their ends, to answer "does any span
/// cover `start..end`?" by bisection.
struct Cover {
    starts: Vec<usize>,
    max_end: Vec<usize>,
}

impl Cover {
    fn new(mut spans: Vec<(usize, usize)>) -> Self {
        spans.sort_unstable();
        let mut max = 0;
        let max_end = spans
            .iter()
            .map(|&(_, e)| {
                max = max.max(e);
                max
            })
            .collect();
        Cover {
            starts: spans.into_iter().map(|(s, _)| s).collect(),
            max_end,
        }
    }

    fn covers(&self, start: usize, end: usize) -> bool {
        let n = self.starts.partition_point(|&s| s <= start);
        n > 0 && self.max_end[n - 1] >= end
    }
}
