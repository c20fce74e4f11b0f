//! Vietnamese normalisation into match keys, with every key token mapped back to the exact
//! range of the original text it came from.
//!
//! The original text is never changed. From it we derive two keys:
//!
//! - the **marked** key: NFKC, lowercase, look-alike characters folded (Cyrillic/Greek letters,
//!   full-width forms via NFKC, leetspeak digits inside words, `@`/`$` inside words), stray
//!   combining marks removed, letters spelled out with separators joined back ("đ.ị.t",
//!   "n-g-u", "d i t"), repeated letters squeezed ("nguuu"), the tone mark put on one canonical
//!   vowel ("hoà" = "hòa"), and teencode expanded ("ko" → "không", "dm" → "địt mẹ");
//! - the **plain** key: the marked key with every diacritic removed (đ → d).
//!
//! Both keys hold the same tokens (syllables), joined by two spaces and padded by one space on
//! each side: `" địt  mẹ  mày "`. A pattern written `" a  b "` can therefore only match whole
//! tokens, and matches of adjacent phrases do not steal each other's separators.
//!
//! Mapping is token-level: every key token records the range of original chars it came from
//! (a teencode expansion's tokens all share the range of the short form). Since matches are
//! whole tokens, [`Key::orig_span`] maps any match back exactly.

use super::syllable;
use super::vietnamese::{self, has_mark, place_tone, take_tone};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The project's teencode table (see `lexicons/teencode.tsv`).
const TEENCODE_TSV: &str = include_str!("../../../../lexicons/teencode.tsv");

/// One token of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyToken {
    /// Byte range of the token in the key text.
    pub key: Range<usize>,
    /// Char range (Unicode scalar values) of the original text it came from.
    pub orig: Range<usize>,
    /// The original token carried Vietnamese diacritics (a tone, a shape mark, or đ), or the
    /// token is part of a teencode expansion, which is standard spelling. A match on the plain
    /// key is trustworthy only for tokens written without them: "ngu" must not match "ngủ".
    pub had_marks: bool,
}

/// A match key: normalised tokens joined by two spaces, padded by one space each side.
#[derive(Debug, Clone, Default)]
pub struct Key {
    text: String,
    tokens: Vec<KeyToken>,
}

impl Key {
    /// The key text, e.g. `" địt  mẹ  mày "` (a single `" "` when there are no tokens).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn tokens(&self) -> &[KeyToken] {
        &self.tokens
    }

    /// The text of token `i`.
    pub fn token_text(&self, i: usize) -> &str {
        &self.text[self.tokens[i].key.clone()]
    }

    /// Index range of the tokens that a byte range of the key text touches.
    pub fn token_range(&self, byte_start: usize, byte_end: usize) -> Range<usize> {
        let first = self.tokens.partition_point(|t| t.key.end <= byte_start);
        let last = self.tokens.partition_point(|t| t.key.start < byte_end);
        first..last.max(first)
    }

    /// [`Key::token_range`] for every byte range at once, for callers that ask it of many.
    pub(crate) fn token_index(&self) -> TokenIndex {
        TokenIndex::new(self)
    }

    /// Maps a byte range of the key text (a match, possibly with its padding spaces) to the char
    /// range of the original text covered by the tokens it touches. `None` if it touches none.
    pub fn orig_span(&self, byte_start: usize, byte_end: usize) -> Option<(usize, usize)> {
        let r = self.token_range(byte_start, byte_end);
        if r.is_empty() {
            return None;
        }
        Some((
            self.tokens[r.start].orig.start,
            self.tokens[r.end - 1].orig.end,
        ))
    }

    fn push(&mut self, token: &str, orig: Range<usize>, had_marks: bool) {
        self.text
            .push_str(if self.tokens.is_empty() { " " } else { "  " });
        let start = self.text.len();
        self.text.push_str(token);
        self.tokens.push(KeyToken {
            key: start..self.text.len(),
            orig,
            had_marks,
        });
    }

    fn finish(&mut self) {
        self.text.push(' ');
    }
}

/// The two match keys of one text.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    marked: Key,
    plain: Key,
}

impl Normalized {
    pub fn new(text: &str) -> Self {
        normalize(text, Some(teencode()))
    }

    /// The same keys without the tokens whose indices fall in `drop` (ranges of token
    /// indices, in any order, may overlap). The tokens kept still map to their original chars,
    /// so offsets found on the result are offsets in the original text.
    pub fn without_tokens(&self, drop: &[Range<usize>]) -> Normalized {
        let keep = |i: usize| !drop.iter().any(|r| r.contains(&i));
        let rebuild = |key: &Key| {
            let mut out = Key::default();
            for (i, t) in key.tokens.iter().enumerate() {
                if keep(i) {
                    out.push(&key.text[t.key.clone()], t.orig.clone(), t.had_marks);
                }
            }
            out.finish();
            out
        };
        Normalized {
            marked: rebuild(&self.marked),
            plain: rebuild(&self.plain),
        }
    }

    /// The key with diacritics (tone placement unified).
    pub fn marked(&self) -> &Key {
        &self.marked
    }

    /// The key without diacritics.
    pub fn plain(&self) -> &Key {
        &self.plain
    }
}

/// The normal form of a text: its marked key without the outer padding. Normalising a normal
/// form gives it back unchanged.
pub fn normal_form(text: &str) -> String {
    Normalized::new(text)
        .marked
        .text
        .trim_matches(' ')
        .to_string()
}

/// The marked and plain patterns of a lexicon phrase, in key form (`" a  b "`), ready for an
/// Aho-Corasick automaton over [`Key::text`]. Empty strings when the phrase has no token.
pub fn phrase_keys(phrase: &str) -> (String, String) {
    let n = Normalized::new(phrase);
    if n.marked.tokens.is_empty() {
        return (String::new(), String::new());
    }
    (n.marked.text, n.plain.text)
}

/// A folded character and the range of original chars it came from.
#[derive(Debug, Clone, Copy)]
struct Folded {
    c: char,
    start: u32,
    end: u32,
}

/// How two adjacent raw tokens are separated in the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    /// Exactly one whitespace character: "d i t".
    Space,
    /// In-word separators only, no whitespace: "n-g-u", "đ.ị.t".
    Joiner,
    /// Anything else (punctuation, emoji, several spaces).
    Other,
}

fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '.' | '-' | '_' | '*' | '\'' | '`' | '~' | '+' | '|' | '/' | '^' | '\u{2019}'
    )
}

/// A letter. ASCII and Vietnamese letters are answered from tables; only other scripts pay for
/// the general Unicode lookup (this runs on every character of every text).
#[inline]
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        vietnamese::is_vietnamese_letter(c) || c.is_alphabetic()
    }
}

#[inline]
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '@' || c == '$'
    } else {
        is_letter(c) || c.is_numeric()
    }
}

/// Cyrillic and Greek letters that users put in place of Latin ones to dodge filters.
fn fold_lookalike(c: char) -> char {
    match c {
        'а' => 'a',
        'в' => 'b',
        'е' | 'ё' => 'e',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'ѕ' => 's',
        'і' => 'i',
        'ј' => 'j',
        'ԁ' => 'd',
        'ɡ' => 'g',
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'γ' => 'y',
        'ω' => 'w',
        _ => c,
    }
}

/// Leetspeak digits, folded only inside tokens that have at least two letters, so that numbers
/// ("2018") and amounts ("10k") stay as they are.
fn fold_leet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '@' => 'a',
        '$' => 's',
        _ => c,
    }
}

/// Step 1: fold the original text into lowercase characters, each tagged with its origin.
/// A base character and the combining marks that follow it form one cluster; the cluster is
/// normalised as a whole (so decomposed input composes) and all its output points back to it.
fn fold_chars(text: &str, out: &mut Vec<Folded>) {
    let mut chars = text.char_indices().peekable();
    let mut i = 0u32;
    let mut cluster = String::new();
    while let Some((byte, c)) = chars.next() {
        let start = i;
        i += 1;
        // An HTML character reference in plain text ("b&#7855;c") is a way to write a letter
        // that a filter reading the raw text does not see: fold it to what it stands for, all
        // of it pointing back to the whole reference.
        if c == '&' {
            if let Some((end, decoded)) = super::html::reference_at(text, byte) {
                while chars.peek().is_some_and(|&(b, _)| b < end) {
                    chars.next();
                    i += 1;
                }
                fold_cluster(&decoded, start, i, out);
                continue;
            }
        }
        let marks_follow = chars
            .peek()
            .is_some_and(|&(_, n)| !n.is_ascii() && is_combining_mark(n));
        if !marks_follow && c.is_ascii() {
            out.push(Folded {
                c: c.to_ascii_lowercase(),
                start,
                end: i,
            });
            continue;
        }
        if !marks_follow && vietnamese::is_vietnamese_letter(c) {
            out.push(Folded {
                c: vietnamese::lowercase(c),
                start,
                end: i,
            });
            continue;
        }
        cluster.clear();
        cluster.push(c);
        while let Some(&(_, n)) = chars.peek() {
            if n.is_ascii() || !is_combining_mark(n) {
                break;
            }
            cluster.push(n);
            chars.next();
            i += 1;
        }
        fold_cluster(&cluster, start, i, out);
    }
}

/// Folds a base character with its combining marks (or a decoded reference) as a whole, every
/// output character pointing back to original chars `start..end`.
fn fold_cluster(cluster: &str, start: u32, end: u32, out: &mut Vec<Folded>) {
    for n in cluster.nfkc() {
        for l in n.to_lowercase() {
            if is_combining_mark(l) {
                continue;
            }
            out.push(Folded {
                c: fold_lookalike(l),
                start,
                end,
            });
        }
    }
}

/// Step 2: split folded characters into raw tokens (ranges into the folded vector) and the
/// gaps between them. `@` and `$` belong to a token only inside it.
fn raw_tokens(f: &[Folded], toks: &mut Vec<Range<usize>>, gaps: &mut Vec<Gap>) {
    let mut i = 0;
    let mut prev_end: Option<usize> = None;
    while i < f.len() {
        if !is_word_char(f[i].c) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < f.len() && is_word_char(f[j].c) {
            j += 1;
        }
        let (mut s, mut e) = (i, j);
        while s < e && matches!(f[s].c, '@' | '$') {
            s += 1;
        }
        while e > s && matches!(f[e - 1].c, '@' | '$') {
            e -= 1;
        }
        if s < e {
            if let Some(pe) = prev_end {
                gaps.push(classify_gap(&f[pe..s]));
            }
            toks.push(s..e);
            prev_end = Some(e);
        }
        i = j;
    }
}

fn classify_gap(between: &[Folded]) -> Gap {
    let mut spaces = 0;
    let mut joiners = 0;
    for x in between {
        if x.c.is_whitespace() {
            spaces += 1;
        } else if is_joiner(x.c) {
            joiners += 1;
        } else {
            return Gap::Other;
        }
    }
    match (spaces, joiners) {
        (1, 0) => Gap::Space,
        (0, j) if j > 0 => Gap::Joiner,
        _ => Gap::Other,
    }
}

/// Step 3: group raw tokens into words. Single letters joined by in-word separators
/// ("n-g-u", two or more letters) or by single spaces ("d i t", three or more) are spelled-out
/// words and become one token. Returns ranges of raw-token indices.
fn group_spelled_out(
    f: &[Folded],
    toks: &[Range<usize>],
    gaps: &[Gap],
    teencode: Option<&Teencode>,
) -> Vec<Range<usize>> {
    let single = |t: &Range<usize>| t.len() == 1 && is_letter(f[t.start].c);
    let mut groups = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        if single(&toks[i]) {
            // Joiner-linked run first.
            let mut j = i;
            while j + 1 < toks.len() && gaps[j] == Gap::Joiner && single(&toks[j + 1]) {
                j += 1;
            }
            if j > i {
                push_syllables(f, toks, i..j + 1, teencode, &mut groups);
                i = j + 1;
                continue;
            }
            let mut k = i;
            while k + 1 < toks.len()
                && gaps[k] == Gap::Space
                && single(&toks[k + 1])
                && !(k + 2 < toks.len() && gaps[k + 1] == Gap::Joiner && single(&toks[k + 2]))
            {
                k += 1;
            }
            if k >= i + 2
                || (k == i + 1 && spelled_pair(f[toks[i].start].c, f[toks[k].start].c, teencode))
            {
                push_syllables(f, toks, i..k + 1, teencode, &mut groups);
                i = k + 1;
                continue;
            }
        }
        groups.push(i..i + 1);
        i += 1;
    }
    groups
}

/// Whether two single letters with a space between spell one word: a syllable that carries a
/// mark ("đ ĩ", "m ẹ", "ó c"), or a teencode word ("c c", "v l", "d m"). Other pairs ("a b",
/// "t a") are more often two words than one spelled out.
fn spelled_pair(first: char, second: char, teencode: Option<&Teencode>) -> bool {
    let pair = [first, second];
    (pair.iter().any(|&c| has_mark(c)) && syllable::is_syllable(&pair))
        || teencode.is_some_and(|t| t.get(&String::from_iter(pair), 2).is_some())
}

/// Pushes a run of spelled-out letters as the syllables it spells: "c á i đ ị t m ẹ" is three
/// words, not one (see [`syllable::cut`]). A run in which no syllable can be read
/// ("t p h c m") stays one token.
fn push_syllables(
    f: &[Folded],
    toks: &[Range<usize>],
    run: Range<usize>,
    teencode: Option<&Teencode>,
    groups: &mut Vec<Range<usize>>,
) {
    let letters: Vec<char> = toks[run.clone()].iter().map(|t| f[t.start].c).collect();
    // A teencode word spelled out ("l o l", "v l") is a piece of its own.
    let known = |piece: &[char]| {
        teencode.is_some_and(|t| {
            let word: String = piece.iter().collect();
            t.get(&word, piece.len()).is_some()
        })
    };
    match syllable::cut(&letters, known) {
        Some(pieces) => groups.extend(
            pieces
                .into_iter()
                .map(|p| run.start + p.start..run.start + p.end),
        ),
        None => groups.push(run),
    }
}

/// Expansion of one teencode entry, already in key form.
struct Expansion {
    marked: Vec<String>,
    plain: Vec<String>,
    /// Whether each marked token carries diacritics.
    had_marks: Vec<bool>,
}

/// The teencode table, and the length in chars of its longest key: longer words are not
/// looked up at all, which spares a hash for most syllables.
struct Teencode {
    map: HashMap<String, Expansion>,
    max_key_chars: usize,
}

impl Teencode {
    fn get(&self, word: &str, chars: usize) -> Option<&Expansion> {
        if chars > self.max_key_chars {
            return None;
        }
        self.map.get(word)
    }
}

fn teencode() -> &'static Teencode {
    static TABLE: OnceLock<Teencode> = OnceLock::new();
    TABLE.get_or_init(|| parse_teencode(TEENCODE_TSV))
}

fn parse_teencode(src: &str) -> Teencode {
    let mut map = HashMap::new();
    let mut max_key_chars = 0;
    for line in src.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((short, long)) = line.split_once('\t') else {
            continue;
        };
        // Keys are looked up before squeezing (so "dmm" stays apart from "dm"), hence stored
        // unsqueezed; expansions are normal forms.
        let key = normalize_word_unsqueezed(short.trim());
        let exp = normalize(long.trim(), None);
        let marked = exp
            .marked
            .tokens
            .iter()
            .map(|t| exp.marked.text[t.key.clone()].to_string())
            .collect();
        let plain = exp
            .plain
            .tokens
            .iter()
            .map(|t| exp.plain.text[t.key.clone()].to_string())
            .collect();
        if let Some(key) = key {
            max_key_chars = max_key_chars.max(key.chars().count());
            let had_marks = exp.marked.tokens.iter().map(|t| t.had_marks).collect();
            map.insert(
                key,
                Expansion {
                    marked,
                    plain,
                    had_marks,
                },
            );
        }
    }
    Teencode { map, max_key_chars }
}

/// The unsqueezed marked form of a single word, as teencode keys are stored.
fn normalize_word_unsqueezed(word: &str) -> Option<String> {
    let mut f = Vec::new();
    fold_chars(word, &mut f);
    let mut buf: Vec<char> = f.iter().map(|x| x.c).filter(|&c| is_word_char(c)).collect();
    if buf.is_empty() {
        return None;
    }
    let tone = take_tone(&mut buf);
    place_tone(&mut buf, tone);
    Some(buf.into_iter().collect())
}

/// Squeezes runs of the same letter ("nguuu" → "ngu"); digits are kept ("1000").
fn squeeze(buf: &mut Vec<char>) {
    buf.dedup_by(|a, b| a == b && is_letter(*a));
}

/// Working buffers of [`normalize`], kept per thread so that normalising a text allocates only
/// its result.
#[derive(Default)]
struct Scratch {
    folded: Vec<Folded>,
    toks: Vec<Range<usize>>,
    gaps: Vec<Gap>,
    buf: Vec<char>,
    word: String,
    plain: String,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = Default::default();
}

fn normalize(text: &str, teencode: Option<&Teencode>) -> Normalized {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut scratch) => normalize_with(text, teencode, &mut scratch),
        // Re-entered (the teencode table normalises its entries on first use): fresh buffers.
        Err(_) => normalize_with(text, teencode, &mut Scratch::default()),
    })
}

fn normalize_with(text: &str, teencode: Option<&Teencode>, scratch: &mut Scratch) -> Normalized {
    let Scratch {
        folded,
        toks,
        gaps,
        buf,
        word,
        plain,
    } = scratch;
    folded.clear();
    toks.clear();
    gaps.clear();
    fold_chars(text, folded);
    raw_tokens(folded, toks, gaps);
    let groups = group_spelled_out(folded, toks, gaps, teencode);

    let mut out = Normalized {
        marked: Key {
            text: String::with_capacity(text.len() + 8),
            tokens: Vec::with_capacity(groups.len()),
        },
        plain: Key {
            text: String::with_capacity(text.len() + 8),
            tokens: Vec::with_capacity(groups.len()),
        },
    };
    // Whether the token before is a number: a short form after it is a unit of measure ("15
    // dm", "5 kg"), not teencode ("dm" → "địt mẹ", "kg" → "không").
    let mut after_number = false;
    for g in groups {
        let first = &toks[g.start];
        let last = &toks[g.end - 1];
        let orig = folded[first.start].start as usize..folded[last.end - 1].end as usize;

        buf.clear();
        for t in &toks[g] {
            buf.extend(folded[t.clone()].iter().map(|x| x.c));
        }
        // `@` and `$` inside a word are letters; then digits fold only in real words.
        let has_symbols = buf
            .iter()
            .any(|c| c.is_ascii_digit() || matches!(c, '@' | '$'));
        if has_symbols {
            for c in buf.iter_mut() {
                if matches!(*c, '@' | '$') {
                    *c = fold_leet(*c);
                }
            }
            if buf.iter().filter(|c| is_letter(**c)).count() >= 2 {
                for c in buf.iter_mut() {
                    *c = fold_leet(*c);
                }
            }
        }
        let had_marks = buf.iter().any(|&c| has_mark(c));
        let tone = take_tone(buf);
        let repeats = buf.windows(2).any(|w| w[0] == w[1] && is_letter(w[0]));

        let unit = after_number && buf.iter().all(char::is_ascii_alphabetic);
        after_number = buf.iter().all(char::is_ascii_digit);
        let teencode = teencode.filter(|_| !unit);
        let mut expansion = None;
        if let Some(table) = teencode {
            // Look the word up before squeezing ("dmm" differs from "dm"), then after.
            if repeats {
                let mut unsqueezed = buf.clone();
                place_tone(&mut unsqueezed, tone);
                word.clear();
                word.extend(unsqueezed.iter());
                expansion = table.get(word, unsqueezed.len());
            }
        }
        if expansion.is_none() {
            squeeze(buf);
            place_tone(buf, tone);
            word.clear();
            word.extend(buf.iter());
            if let Some(table) = teencode {
                expansion = table.get(word, buf.len());
            }
        }

        match expansion {
            Some(exp) => {
                // An expansion is the standard spelling, diacritics included: its tokens count
                // as written with them, so "vl" (vãi lồn) never passes for "vài lon".
                for ((m, p), marks) in exp.marked.iter().zip(&exp.plain).zip(&exp.had_marks) {
                    out.marked.push(m, orig.clone(), *marks);
                    out.plain.push(p, orig.clone(), *marks);
                }
            }
            None => {
                plain.clear();
                plain.extend(word.chars().map(vietnamese::strip));
                out.marked.push(word, orig.clone(), had_marks);
                out.plain.push(plain, orig, had_marks);
            }
        }
    }
    out.marked.finish();
    out.plain.finish();
    out
}

/// [`Key::token_range`] by table ([`Key::token_index`]): for each byte offset of the key text,
/// the first token that ends after it and the number of tokens that start before it.
/// Attribution asks for the tokens of every character n-gram, and two binary searches each
/// were most of its time.
#[derive(Default)]
pub(crate) struct TokenIndex {
    first_after: Vec<u32>,
    starting_before: Vec<u32>,
}

impl TokenIndex {
    fn new(key: &Key) -> Self {
        let tokens = key.tokens();
        let len = key.text().len();
        let (mut first_after, mut starting_before) =
            (Vec::with_capacity(len + 1), Vec::with_capacity(len + 1));
        let (mut first, mut before) = (0usize, 0usize);
        for pos in 0..=len {
            while first < tokens.len() && tokens[first].key.end <= pos {
                first += 1;
            }
            while before < tokens.len() && tokens[before].key.start < pos {
                before += 1;
            }
            first_after.push(first as u32);
            starting_before.push(before as u32);
        }
        TokenIndex {
            first_after,
            starting_before,
        }
    }

    pub(crate) fn token_range(&self, byte_start: usize, byte_end: usize) -> Range<usize> {
        let first = self.first_after[byte_start] as usize;
        let last = self.starting_before[byte_end] as usize;
        first..last.max(first)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_token_index_agrees_with_the_keys_search() {
        for text in ["", "a", "đồ  ngu, mày   ơi!", "t h ằ n g n g u 123 x"] {
            let norm = Normalized::new(text);
            for key in [norm.marked(), norm.plain()] {
                let index = key.token_index();
                let len = key.text().len();
                for start in 0..=len {
                    for end in start..=len {
                        assert_eq!(
                            index.token_range(start, end),
                            key.token_range(start, end),
                            "{text:?} {start}..{end}"
                        );
                    }
                }
            }
        }
    }

    use super::*;
    use crate::text::slice_chars;
    use proptest::prelude::*;

    fn nf(s: &str) -> String {
        normal_form(s)
    }

    fn plain(s: &str) -> String {
        Normalized::new(s).plain().text().trim().to_string()
    }

    #[test]
    fn folds_case_tone_placement_and_decomposed_input() {
        assert_eq!(nf("Hoà Bình"), nf("hòa bình"));
        assert_eq!(nf("THUỶ"), nf("thủy"));
        let decomposed: String = "người".nfd().collect();
        assert_eq!(nf(&decomposed), "người");
    }

    #[test]
    fn removes_diacritics_in_plain_key() {
        assert_eq!(plain("Đường phố Hà Nội"), "duong  pho  ha  noi");
    }

    #[test]
    fn expands_teencode() {
        assert_eq!(nf("ko dc"), "không  được");
        assert_eq!(nf("dm"), "địt  mẹ");
        assert_eq!(nf("Đjt"), "địt");
        assert_eq!(nf("vcl"), "vãi  cả  lồn");
        assert_eq!(nf("dmm"), "địt  mẹ  mày");
        assert_eq!(nf("dmmmm"), "địt  mẹ");
    }

    #[test]
    fn folds_leetspeak_and_lookalikes() {
        assert_eq!(nf("ng0"), "ngo");
        assert_eq!(nf("đ1t"), "địt");
        assert_eq!(nf("c@c"), "cac");
        assert_eq!(nf("2018"), "2018");
        assert_eq!(nf("10k"), "10k");
        // Cyrillic а and о, full-width letters.
        assert_eq!(nf("ngоc"), "ngoc");
        assert_eq!(nf("ｎｇｕ"), "ngu");
    }

    #[test]
    fn squeezes_repeats_and_joins_spelled_out_words() {
        assert_eq!(nf("nguuuuu"), "ngu");
        assert_eq!(nf("ngủuuu"), "ngủ");
        assert_eq!(nf("đ.ị.t"), "địt");
        assert_eq!(nf("n-g-u"), "ngu");
        assert_eq!(nf("d i t"), "dit");
        assert_eq!(nf("d i t m e"), "dit  me");
        assert_eq!(nf("c á i đ ị t m ẹ"), "cái  địt  mẹ");
        assert_eq!(nf("n.g.ư.ờ.i"), "người");
        // Letters that spell no syllable stay one token.
        assert_eq!(nf("t p h c m"), "tphcm");
        assert_eq!(nf("đ.ị.t m.ẹ"), "địt  mẹ");
        // Two single letters with a space are a spelled-out word only as consonant + marked
        // vowel.
        assert_eq!(nf("a b"), "anh  b");
        assert_eq!(nf("con đ ĩ"), "con  đĩ");
        assert_eq!(nf("m ẹ mày"), "mẹ  mày");
        assert_eq!(nf("tức v l"), nf("tức vl"));
        assert_eq!(nf("ó c chó"), "óc  chó");
    }

    #[test]
    fn maps_matches_back_to_original_offsets() {
        let text = "Mày là đồ   N.G.U, ok?";
        let n = Normalized::new(text);
        let key = n.marked();
        let at = key.text().find(" ngu ").unwrap();
        let (s, e) = key.orig_span(at, at + " ngu ".len()).unwrap();
        assert_eq!(slice_chars(text, s, e), "N.G.U");
        let n = Normalized::new("thằng dm này");
        let at = n.marked().text().find(" mẹ ").unwrap();
        let (s, e) = n.marked().orig_span(at, at + 5).unwrap();
        assert_eq!(slice_chars("thằng dm này", s, e), "dm");
    }

    #[test]
    fn character_references_fold_to_their_letters() {
        let text = "bọn B&#7855;c k&#x1EF3; AT&T &bar;";
        assert_eq!(nf(text), "bọn  bắc  kỳ  at  t  bar");
        assert_eq!(nf("x&agrave;m"), "xàm");
        let n = Normalized::new(text);
        let at = n.marked().text().find(" bắc ").unwrap();
        let (s, e) = n.marked().orig_span(at, at + " bắc ".len()).unwrap();
        assert_eq!(slice_chars(text, s, e), "B&#7855;c");
        let at = n.marked().text().find(" kỳ ").unwrap();
        let (s, e) = n.marked().orig_span(at, at + " kỳ ".len()).unwrap();
        assert_eq!(slice_chars(text, s, e), "k&#x1EF3;");
    }

    #[test]
    fn dropping_tokens_keeps_the_mapping() {
        let text = "Con chó nhà tôi rất khôn";
        let n = Normalized::new(text);
        let kept = n.without_tokens(&[0..2, 2..4]);
        assert_eq!(kept.marked().text(), " rất  khôn ");
        assert_eq!(kept.plain().text(), " rat  khon ");
        let t = &kept.marked().tokens()[1];
        assert_eq!(slice_chars(text, t.orig.start, t.orig.end), "khôn");
        assert_eq!(n.without_tokens(&[]).marked().text(), n.marked().text());
        assert_eq!(
            n.without_tokens(&[0..1, 1..99]).marked().text(),
            Normalized::new("").marked().text()
        );
    }

    #[test]
    fn teencode_expansions_are_normal_forms() {
        for (k, exp) in &teencode().map {
            for m in &exp.marked {
                assert_eq!(&nf(m), m, "expansion of {k} is not a normal form");
            }
        }
    }

    #[test]
    fn a_short_form_after_a_number_is_a_unit() {
        assert_eq!(
            Normalized::new("cao 15 dm").marked().text(),
            " cao  15  dm "
        );
        assert_eq!(
            Normalized::new("nặng 5 KG").marked().text(),
            " nặng  5  kg "
        );
        assert_eq!(Normalized::new("dm 15").marked().text(), " địt  mẹ  15 ");
        assert_eq!(
            Normalized::new("đm 15 lần").marked().text(),
            " địt  mẹ  15  lần "
        );
    }

    #[test]
    fn empty_and_symbol_only_text_has_no_tokens() {
        assert!(Normalized::new("").marked().tokens().is_empty());
        assert!(Normalized::new("!!! 😡 ...").marked().tokens().is_empty());
        assert_eq!(Normalized::new("").marked().text(), " ");
    }

    fn vietnamese_like() -> impl Strategy<Value = String> {
        let atoms = prop::sample::select(vec![
            "địt", "mẹ", "Hoà", "hòa", "ngu", "n-g-u", "đ.ị.t", "d", "i", "t", " ", "  ", ".",
            "ko", "dm", "vcl", "1", "0", "@", "$", "ｎ", "о", "\u{0301}", "😡", "Ệ", "\n", "-",
            "2018", "10k", "a", "b", "c", "nguuuu", "İ", "ß", "ﬁ", "ǅ", "Ω", "&#7855;", "&agrave;",
            "&amp;", "&#x1EAF;", "&", "#", ";", "&#769;", "&#0;",
        ]);
        prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn never_panics_and_mapping_is_exact(s in any::<String>()) {
            let n = Normalized::new(&s);
            let len = s.chars().count();
            for key in [n.marked(), n.plain()] {
                prop_assert_eq!(key.tokens().len(), n.marked().tokens().len());
                let mut prev = 0;
                for t in key.tokens() {
                    prop_assert!(t.orig.start < t.orig.end && t.orig.end <= len);
                    prop_assert!(t.orig.start >= prev || t.orig.start == prev);
                    prev = t.orig.start;
                    prop_assert!(!key.text()[t.key.clone()].is_empty());
                }
            }
        }

        #[test]
        fn mapping_covers_the_source_characters(s in vietnamese_like()) {
            let n = Normalized::new(&s);
            for (i, t) in n.marked().tokens().iter().enumerate() {
                let orig = slice_chars(&s, t.orig.start, t.orig.end);
                // Every token comes from original text that holds at least one word character.
                prop_assert!(orig.chars().any(|c| c.is_alphanumeric()), "token {} from {:?}", i, orig);
                let at = t.key.start - 1;
                prop_assert_eq!(n.marked().orig_span(at, t.key.end + 1), Some((t.orig.start, t.orig.end)));
            }
        }

        #[test]
        fn normalisation_is_idempotent(s in vietnamese_like()) {
            let once = normal_form(&s);
            prop_assert_eq!(normal_form(&once), once.clone());
        }

        #[test]
        fn normalisation_is_idempotent_on_any_text(s in any::<String>()) {
            let once = normal_form(&s);
            prop_assert_eq!(normal_form(&once), once.clone());
        }
    }
}
