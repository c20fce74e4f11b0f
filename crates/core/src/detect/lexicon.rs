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
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

/// The lexicon files shipped with quytac, in load order: the shared sets first, false friends
/// last. [`LexiconDetector::builtin`] is built from exactly these.
pub const BUILTIN_SOURCES: [&str; 8] = [
    include_str!("../../../../lexicons/sets.txt"),
    include_str!("../../../../lexicons/offensive.txt"),
    include_str!("../../../../lexicons/hate.txt"),
    include_str!("../../../../lexicons/violence.txt"),
    include_str!("../../../../lexicons/regional_discrimination.txt"),
    include_str!("../../../../lexicons/gender_discrimination.txt"),
    include_str!("../../../../lexicons/religious_discrimination.txt"),
    include_str!("../../../../lexicons/false_friends.txt"),
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
    /// A false-friend line with a score or flags.
    FalseFriendFields,
    /// A phrase with no word in it (only punctuation or symbols).
    EmptyPhrase,
    /// More than `phrase | score | flags`.
    TooManyFields,
    /// A compound with more than four parts.
    TooManyParts,
    /// False friends are plain phrases, not compounds.
    CompoundFalseFriend,
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
            LexiconErrorKind::FalseFriendFields => {
                f.write_str("a false friend takes no score or flags")
            }
            LexiconErrorKind::EmptyPhrase => f.write_str("the phrase has no word in it"),
            LexiconErrorKind::TooManyFields => {
                f.write_str("expected `phrase | score | flags` (at most two `|`)")
            }
            LexiconErrorKind::TooManyParts => {
                write!(f, "a compound has at most {MAX_PARTS} parts")
            }
            LexiconErrorKind::CompoundFalseFriend => {
                f.write_str("a false friend cannot be a compound (`~`)")
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
    /// Everyday words that a listed word becomes without diacritics (`@homographs`).
    homographs: HashSet<String>,
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

/// Reads lexicon sources line by line.
#[derive(Default)]
struct Parser {
    sets: HashMap<String, Vec<String>>,
    entries: Vec<Entry>,
    /// Marked key and category of each entry → its index, for replacement by later lines.
    by_key: HashMap<(String, Category), usize>,
    compounds: Vec<Compound>,
    parts: Vec<Part>,
    /// (Marked key, plain matching allowed) of each part → its index.
    part_keys: HashMap<(String, bool), u32>,
    false_friends: Vec<String>,
    ff_keys: HashSet<String>,
    homographs: HashSet<String>,
}

/// The section a line belongs to.
#[derive(Clone, Copy)]
enum Section {
    None,
    Category(Category),
    FalseFriends,
}

impl Parser {
    fn source(&mut self, source: usize, text: &str) -> Result<(), LexiconError> {
        let mut section = Section::None;
        let mut default_score = 0.8f32;
        let mut default_flags = (true, false);
        for (n, raw) in text.lines().enumerate() {
            let err = |kind| LexiconError {
                source,
                line: n + 1,
                kind,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(d) = line.strip_prefix('@') {
                let (name, arg) = d.split_once(char::is_whitespace).unwrap_or((d, ""));
                let arg = arg.trim();
                match name {
                    "category" => {
                        let c: Category = arg
                            .parse()
                            .map_err(|_| err(LexiconErrorKind::UnknownCategory(arg.into())))?;
                        if !c.is_abusive_language() {
                            return Err(err(LexiconErrorKind::NotALexiconCategory(arg.into())));
                        }
                        section = Section::Category(c);
                        default_score = 0.8;
                        default_flags = (true, false);
                    }
                    "false_friends" => section = Section::FalseFriends,
                    "score" => default_score = parse_score(arg).map_err(err)?,
                    "flags" => default_flags = parse_flags(arg, (true, false)).map_err(err)?,
                    "set" => self.define_set(arg).map_err(err)?,
                    "homographs" => {
                        for w in arg.split(',').map(str::trim).filter(|w| !w.is_empty()) {
                            let k = key_of(w).map_err(err)?;
                            self.homographs.insert(k.trim().to_string());
                        }
                    }
                    other => return Err(err(LexiconErrorKind::UnknownDirective(other.into()))),
                }
                continue;
            }
            let fields = split_top_level(line, '|');
            if fields.len() > 3 {
                return Err(err(LexiconErrorKind::TooManyFields));
            }
            let (phrase, score, flags) = (fields[0], fields.get(1), fields.get(2));
            let parts = split_top_level(phrase, '~');
            if parts.len() > MAX_PARTS {
                return Err(err(LexiconErrorKind::TooManyParts));
            }
            match section {
                Section::None => return Err(err(LexiconErrorKind::NoCategory)),
                Section::FalseFriends => {
                    if score.is_some() || flags.is_some() {
                        return Err(err(LexiconErrorKind::FalseFriendFields));
                    }
                    if parts.len() > 1 {
                        return Err(err(LexiconErrorKind::CompoundFalseFriend));
                    }
                    for v in expand(phrase, &self.sets).map_err(err)? {
                        let marked = key_of(&v).map_err(err)?;
                        if self.ff_keys.insert(marked) {
                            self.false_friends.push(v);
                        }
                    }
                }
                Section::Category(category) => {
                    let score = match score.filter(|s| !s.is_empty()) {
                        Some(s) => parse_score(s).map_err(err)?,
                        None => default_score,
                    };
                    let (plain, context) = match flags {
                        Some(f) => parse_flags(f, default_flags).map_err(err)?,
                        None => default_flags,
                    };
                    if parts.len() > 1 {
                        self.compound(&parts, category, score, plain, context)
                            .map_err(err)?;
                        continue;
                    }
                    for v in expand(phrase, &self.sets).map_err(err)? {
                        let marked = key_of(&v).map_err(err)?;
                        let entry = Entry {
                            phrase: v,
                            category,
                            score,
                            plain,
                            context,
                        };
                        match self.by_key.get(&(marked.clone(), category)) {
                            // The first spelling stays the entry's name in reasons ("lồn",
                            // not a later "lozz" that normalises to it); the rest is replaced.
                            Some(&i) => {
                                let old = &mut self.entries[i];
                                old.score = entry.score;
                                old.plain = entry.plain;
                                old.context = entry.context;
                            }
                            None => {
                                self.by_key.insert((marked, category), self.entries.len());
                                self.entries.push(entry);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn compound(
        &mut self,
        parts: &[&str],
        category: Category,
        score: f32,
        plain: bool,
        context: bool,
    ) -> Result<(), LexiconErrorKind> {
        // A part with an empty alternative ("{toàn|đều|}") is optional: the line stands for
        // one compound with the part and one without it.
        let mut expanded = Vec::with_capacity(parts.len());
        for part in parts {
            let mut variants = expand(part, &self.sets)?;
            let optional = variants.iter().any(String::is_empty);
            variants.retain(|v| !v.is_empty());
            if variants.is_empty() {
                return Err(LexiconErrorKind::EmptyPhrase);
            }
            expanded.push((variants, optional));
        }
        for dropped in 0u32..1 << parts.len() {
            let keep = |i: usize| dropped & (1 << i) == 0;
            if (0..parts.len()).any(|i| !keep(i) && !expanded[i].1)
                || dropped.count_ones() as usize == parts.len()
            {
                continue;
            }
            let id = self.compounds.len() as u32;
            let kept: Vec<usize> = (0..parts.len()).filter(|&i| keep(i)).collect();
            for (at, &i) in kept.iter().enumerate() {
                for v in &expanded[i].0 {
                    let marked = key_of(v)?;
                    let next = self.parts.len() as u32;
                    let p = *self.part_keys.entry((marked, plain)).or_insert(next);
                    if p == next {
                        self.parts.push(Part {
                            phrase: v.clone(),
                            plain,
                            uses: Vec::new(),
                        });
                    }
                    let uses = &mut self.parts[p as usize].uses;
                    if !uses.contains(&(id, at as u8)) {
                        uses.push((id, at as u8));
                    }
                }
            }
            self.compounds.push(Compound {
                pattern: kept
                    .iter()
                    .map(|&i| parts[i])
                    .collect::<Vec<_>>()
                    .join(" ~ "),
                category,
                score,
                plain,
                context,
                parts: kept.len(),
            });
        }
        Ok(())
    }

    fn define_set(&mut self, arg: &str) -> Result<(), LexiconErrorKind> {
        let (name, members) = arg
            .split_once('=')
            .ok_or(LexiconErrorKind::BadSetDefinition)?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(LexiconErrorKind::BadSetDefinition);
        }
        let mut all = Vec::new();
        for m in members.split(',') {
            let m = m.trim();
            if m.is_empty() {
                return Err(LexiconErrorKind::BadSetDefinition);
            }
            all.extend(expand(m, &self.sets)?);
        }
        self.sets.insert(name.to_string(), all);
        Ok(())
    }

    fn finish(self) -> LexiconDetector {
        let n = self.entries.len() + self.false_friends.len() + self.parts.len();
        let mut phrases = Vec::with_capacity(n);
        let mut roles = Vec::with_capacity(n);
        for (i, e) in self.entries.iter().enumerate() {
            phrases.push((e.phrase.as_str(), plain_matching(e.plain)));
            roles.push(Role::Entry(i as u32));
        }
        for ff in &self.false_friends {
            phrases.push((ff.as_str(), PlainMatching::Allowed));
            roles.push(Role::FalseFriend);
        }
        for (i, p) in self.parts.iter().enumerate() {
            phrases.push((p.phrase.as_str(), plain_matching(p.plain)));
            roles.push(Role::Part(i as u32));
        }
        LexiconDetector {
            matcher: PhraseMatcher::new(phrases),
            roles,
            false_friends: self.false_friends.len(),
            entries: self.entries,
            compounds: self.compounds,
            parts: self.parts,
            homographs: self.homographs,
        }
    }
}

fn plain_matching(allowed: bool) -> PlainMatching {
    if allowed {
        PlainMatching::Allowed
    } else {
        PlainMatching::Forbidden
    }
}

/// The marked key of a phrase, or an error if it has no word.
fn key_of(phrase: &str) -> Result<String, LexiconErrorKind> {
    let (marked, _) = phrase_keys(phrase);
    if marked.is_empty() {
        Err(LexiconErrorKind::EmptyPhrase)
    } else {
        Ok(marked)
    }
}

/// Splits a line on `sep` where it is not inside `{…}`, trimming the pieces.
fn split_top_level(line: &str, sep: char) -> Vec<&str> {
    let mut depth = 0i32;
    let mut start = 0;
    let mut fields = Vec::with_capacity(3);
    for (i, c) in line.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            c if c == sep && depth == 0 => {
                fields.push(line[start..i].trim());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    fields.push(line[start..].trim());
    fields
}

fn parse_score(s: &str) -> Result<f32, LexiconErrorKind> {
    match s.trim().parse::<f32>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(LexiconErrorKind::BadScore(s.trim().into())),
    }
}

/// Parses `marked, context` into (plain allowed, context), starting from `default`.
fn parse_flags(s: &str, default: (bool, bool)) -> Result<(bool, bool), LexiconErrorKind> {
    let (mut plain, mut context) = default;
    for f in s.split([',', ' ']).map(str::trim).filter(|f| !f.is_empty()) {
        match f {
            "marked" => plain = false,
            "plain" => plain = true,
            "context" => context = true,
            other => return Err(LexiconErrorKind::UnknownFlag(other.into())),
        }
    }
    Ok((plain, context))
}

/// Expands `{set}` references and `{a|b|}` alternatives (an empty alternative makes a part
/// optional) into every phrase the pattern stands for, with spaces collapsed.
fn expand(
    pattern: &str,
    sets: &HashMap<String, Vec<String>>,
) -> Result<Vec<String>, LexiconErrorKind> {
    let mut out = vec![String::new()];
    let mut rest = pattern;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                for o in &mut out {
                    o.push_str(rest);
                }
                break;
            }
            Some(i) if rest.as_bytes()[i] == b'}' => {
                return Err(LexiconErrorKind::UnbalancedBraces)
            }
            Some(i) => {
                let lit = &rest[..i];
                let close = rest[i..]
                    .find('}')
                    .map(|j| i + j)
                    .ok_or(LexiconErrorKind::UnbalancedBraces)?;
                let inner = &rest[i + 1..close];
                if inner.contains('{') {
                    return Err(LexiconErrorKind::UnbalancedBraces);
                }
                let owned: Vec<String>;
                let alts: &[String] = if inner.contains('|') {
                    owned = inner.split('|').map(|a| a.trim().to_string()).collect();
                    &owned
                } else {
                    sets.get(inner.trim())
                        .ok_or_else(|| LexiconErrorKind::UnknownSet(inner.trim().into()))?
                };
                if out.len().saturating_mul(alts.len()) > MAX_VARIANTS {
                    return Err(LexiconErrorKind::TooManyVariants);
                }
                let mut next = Vec::with_capacity(out.len() * alts.len());
                for o in &out {
                    for a in alts {
                        let mut s = String::with_capacity(o.len() + lit.len() + a.len() + 1);
                        s.push_str(o);
                        s.push_str(lit);
                        s.push(' ');
                        s.push_str(a);
                        s.push(' ');
                        next.push(s);
                    }
                }
                out = next;
                rest = &rest[close + 1..];
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets() -> HashMap<String, Vec<String>> {
        let mut s = HashMap::new();
        s.insert("ai".into(), vec!["thằng".into(), "con".into()]);
        s
    }

    #[test]
    fn expands_sets_and_alternatives() {
        let got = expand("{ai} {ngu|điên} {lắm|}", &sets()).unwrap();
        assert_eq!(got.len(), 8);
        assert!(got.contains(&"thằng ngu lắm".to_string()));
        assert!(got.contains(&"con điên".to_string()));
        assert_eq!(expand("óc chó", &sets()).unwrap(), vec!["óc chó"]);
    }

    #[test]
    fn expansion_errors_are_reported() {
        assert_eq!(
            expand("{x} a", &sets()),
            Err(LexiconErrorKind::UnknownSet("x".into()))
        );
        assert_eq!(
            expand("{a|b a", &sets()),
            Err(LexiconErrorKind::UnbalancedBraces)
        );
        assert_eq!(
            expand("a} b", &sets()),
            Err(LexiconErrorKind::UnbalancedBraces)
        );
    }

    #[test]
    fn fields_split_outside_braces() {
        let f = split_top_level("{a|b} c | 0.5 | marked", '|');
        assert_eq!(f, vec!["{a|b} c", "0.5", "marked"]);
        assert_eq!(split_top_level("{ai} ~ {a|b}", '~'), vec!["{ai}", "{a|b}"]);
    }

    #[test]
    fn errors_name_source_and_line() {
        let e = LexiconDetector::from_sources(&["# x\n@category offensive\nngu | 2"]).unwrap_err();
        assert_eq!((e.source, e.line), (1, 3));
        assert_eq!(e.kind, LexiconErrorKind::BadScore("2".into()));
        let e = LexiconDetector::from_sources(&["ok", "@category personal_data"]).unwrap_err();
        assert_eq!(
            (e.source, e.line, e.kind),
            (1, 1, LexiconErrorKind::NoCategory)
        );
        let e = LexiconDetector::from_sources(&["@category personal_data"]).unwrap_err();
        assert!(
            e.to_string().contains("not one a lexicon can assign"),
            "{e}"
        );
        let e = LexiconDetector::from_sources(&["@category hate\nx | 0.5 | loud"]).unwrap_err();
        assert_eq!(e.kind, LexiconErrorKind::UnknownFlag("loud".into()));
        let e = LexiconDetector::from_sources(&["@false_friends\nx | 0.5"]).unwrap_err();
        assert_eq!(e.kind, LexiconErrorKind::FalseFriendFields);
        let e = LexiconDetector::from_sources(&["@category hate\n!!!"]).unwrap_err();
        assert_eq!(e.kind, LexiconErrorKind::EmptyPhrase);
        let e = LexiconDetector::from_sources(&["@bogus"]).unwrap_err();
        assert_eq!(e.kind, LexiconErrorKind::UnknownDirective("bogus".into()));
    }

    #[test]
    fn later_sources_replace_entries() {
        let d = LexiconDetector::from_sources(&[
            "@category offensive\nngu | 0.7",
            "@category offensive\nngu | 0.2",
        ])
        .unwrap();
        assert_eq!(d.entries().len(), 1);
        assert_eq!(d.entries()[0].score, 0.2);
    }

    fn spans(d: &LexiconDetector, text: &str) -> Vec<(String, Category, String)> {
        let mut out = Vec::new();
        d.detect(&Normalized::new(text), &mut out);
        out.sort_by_key(|x| x.start);
        out.into_iter()
            .map(|x| {
                let ev = crate::text::slice_chars(text, x.start, x.end).to_string();
                (ev, x.category, x.reason)
            })
            .collect()
    }

    #[test]
    fn compounds_chain_adjacent_parts() {
        let d = LexiconDetector::from_sources(&[
            "@set g = dân x, người x\n@set i = ngu, lười\n@category regional_discrimination\n{g} ~ {toàn|đều|} ~ {i} | 0.9",
        ])
        .unwrap();
        // The optional middle part makes two compounds: with and without it.
        assert_eq!(d.compounds().len(), 2);
        let got = spans(&d, "nghe nói dân x toàn ngu lắm");
        assert_eq!(
            got,
            vec![(
                "dân x toàn ngu".to_string(),
                Category::RegionalDiscrimination,
                "lexicon: dân x toàn ngu".to_string()
            )]
        );
        assert_eq!(spans(&d, "dân x lười").len(), 1);
        assert!(spans(&d, "dân x không ngu").is_empty());
        assert!(spans(&d, "dân x").is_empty());
    }

    #[test]
    fn context_words_widen_hits_and_never_stand_alone() {
        let d = LexiconDetector::from_sources(&[
            "@category offensive\nngu | 0.7\nthằng | 0.3 | context\nmày | 0.3 | context",
        ])
        .unwrap();
        let got = spans(&d, "thằng ngu kia, mày nghe không");
        let ev: Vec<_> = got.iter().map(|x| (x.0.as_str(), x.2.as_str())).collect();
        assert_eq!(
            ev,
            vec![("thằng ngu", "lexicon: ngu"), ("mày", "lexicon: mày")]
        );
        assert!(spans(&d, "thằng bé nói mày ơi").is_empty());
        // A full stop and a space do not join a context word to the hit before it.
        assert_eq!(spans(&d, "ngu. Thằng")[0].0, "ngu");
    }

    #[test]
    fn false_friends_cover_whole_hits_only() {
        let d = LexiconDetector::from_sources(&[
            "@category offensive\nóc chó | 0.8\nđồ ăn hại | 0.8\n@false_friends\nhạt óc chó\nđồ ăn",
        ])
        .unwrap();
        assert!(spans(&d, "mua hạt óc chó").is_empty());
        assert_eq!(spans(&d, "mày là đồ ăn hại")[0].0, "đồ ăn hại");
    }

    #[test]
    fn bare_homographs_in_accented_text_are_themselves() {
        let d = LexiconDetector::from_sources(&[
            "@category offensive\nchó má | 0.8\n@false_friends\n@homographs cho",
        ])
        .unwrap();
        assert!(spans(&d, "Mua tặng cho má một bó hoa thật đẹp").is_empty());
        assert_eq!(spans(&d, "đồ chó má").len(), 1);
        // Text typed without diacritics is ambiguous, so the hit stands.
        assert_eq!(spans(&d, "do cho ma").len(), 1);
    }

    #[test]
    fn builtin_entries_are_not_single_letters() {
        // A one-letter key ("l", "đ") would fire on abbreviations everywhere; such words may
        // only be context entries ("ị" is a word, not an abbreviation). This also catches spellings that squeeze to one letter.
        for e in LexiconDetector::builtin().entries() {
            let (key, _) = phrase_keys(&e.phrase);
            let mut chars = key.trim().chars();
            let one_letter =
                matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii() || c == 'đ');
            assert!(
                !one_letter || e.context,
                "{:?} normalises to {key:?}",
                e.phrase
            );
        }
    }

    #[test]
    fn builtin_lexicons_load() {
        let d = LexiconDetector::builtin();
        assert!(d.entries().len() > 500);
        assert!(d.false_friend_count() > 100);
    }
}
