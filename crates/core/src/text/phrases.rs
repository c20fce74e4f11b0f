//! Whole-token phrase matching on the normalisation keys, shared by every detector that works
//! from phrase lists (lexicons, markers of claims, office, secrecy, policy topics).
//!
//! Phrases are tries of token ids, one over marked tokens and one over plain tokens. A text's
//! tokens are looked up once in the vocabulary, and a walk starts only at tokens that begin
//! some phrase, so the cost is about one hash lookup per token and does not grow with the size
//! of the lists (an Aho-Corasick automaton over ten thousand phrases misses the cache on
//! nearly every byte). All matches are reported, overlapping ones included, so that a longer
//! harmless phrase (a false friend) can be seen next to the shorter term it contains.

use super::normalize::{phrase_keys, Normalized};
use super::vietnamese;
use std::collections::HashMap;

/// How a phrase may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainMatching {
    /// Also match text written without diacritics.
    Allowed,
    /// Only match the marked key (the unaccented form is an everyday word, e.g. "đĩ" → "di").
    Forbidden,
}

/// A phrase found in a text by [`PhraseMatcher`]. Fields are `u32` to keep it small: texts
/// are far shorter than 4 G chars (the checker refuses oversize input long before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhraseMatch {
    /// Index of the phrase given to [`PhraseMatcher::new`].
    phrase: u32,
    /// Char offsets into the original text, end exclusive.
    start: u32,
    end: u32,
    /// Token index range in the keys.
    tok_start: u32,
    tok_end: u32,
    /// Found only on the plain key (some token was written without its diacritics).
    pub plain: bool,
}

impl PhraseMatch {
    pub fn phrase(&self) -> usize {
        self.phrase as usize
    }
    pub fn start(&self) -> usize {
        self.start as usize
    }
    pub fn end(&self) -> usize {
        self.end as usize
    }
    pub fn tok_start(&self) -> usize {
        self.tok_start as usize
    }
    pub fn tok_end(&self) -> usize {
        self.tok_end as usize
    }
}

/// No token id: the token is in no phrase.
const NO_TOKEN: u32 = u32::MAX;

/// Whole-token phrase matching on the normalisation keys.
///
/// Phrases are tries of token ids, one over marked tokens and one over plain tokens. A text's
/// tokens are looked up once in the vocabulary, and a walk starts only at tokens that begin
/// some phrase, so the cost is about one hash lookup per token and does not grow with the size
/// of the lists (an Aho-Corasick automaton over ten thousand phrases misses the cache on
/// nearly every byte).
#[derive(Debug, Clone, Default)]
pub struct PhraseMatcher {
    /// Marked and plain tokens of every phrase share one vocabulary.
    vocab: Vocab,
    marked: Trie,
    plain: Trie,
    /// Marked token ids of every phrase, for the trust check of plain matches.
    phrase_tokens: Vec<Box<[u32]>>,
    /// Whether each phrase may match on the plain key.
    plain_allowed: Vec<bool>,
    /// For each token id, the id of the same token without diacritics (`NO_TOKEN` if that is
    /// in no phrase).
    plain_of: Vec<u32>,
}

impl PhraseMatcher {
    /// Compiles `(phrase, plain matching allowed)` pairs; phrase indices are positions.
    pub fn new<'a>(phrases: impl IntoIterator<Item = (&'a str, PlainMatching)>) -> Self {
        let mut vocab = VocabBuilder::default();
        let mut marked = TrieBuilder::default();
        let mut plain = TrieBuilder::default();
        let mut phrase_tokens = Vec::new();
        let mut plain_allowed = Vec::new();
        let mut plain_ids = Vec::new();
        for (i, (phrase, matching)) in phrases.into_iter().enumerate() {
            let allowed = matching == PlainMatching::Allowed;
            let (marked_key, plain_key) = phrase_keys(phrase);
            let ids: Box<[u32]> = pattern_tokens(&marked_key)
                .map(|t| vocab.intern(t))
                .collect();
            if !ids.is_empty() {
                marked.insert(&ids, i as u32);
                if allowed {
                    plain_ids.clear();
                    plain_ids.extend(pattern_tokens(&plain_key).map(|t| vocab.intern(t)));
                    plain.insert(&plain_ids, i as u32);
                }
            }
            phrase_tokens.push(ids);
            plain_allowed.push(allowed);
        }
        let vocab = vocab.build();
        let plain_of = (0..vocab.len() as u32)
            .map(|id| {
                let bare: String = vocab.text(id).chars().map(vietnamese::strip).collect();
                vocab.get(&bare)
            })
            .collect();
        PhraseMatcher {
            plain_of,
            marked: marked.build(vocab.len()),
            plain: plain.build(vocab.len()),
            vocab,
            phrase_tokens,
            plain_allowed,
        }
    }

    /// Pushes every match of every phrase in `norm`, overlapping ones included.
    ///
    /// A plain-key match counts only when each matched token was written without diacritics
    /// in the original, or equals the phrase's token once diacritics are kept: "ngu" does not
    /// fire on "ngủ", while "dit me" and "địt me" both reach "địt mẹ". A plain match that is
    /// also a marked match is reported once, as marked.
    /// `marked` and `plain` are buffers for the token ids of the text.
    pub fn find_all(&self, norm: &Normalized, out: &mut Vec<PhraseMatch>) {
        thread_local! {
            static IDS: std::cell::RefCell<(Vec<u32>, Vec<u32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
        }
        IDS.with(|ids| match ids.try_borrow_mut() {
            Ok(mut ids) => {
                let (marked, plain) = &mut *ids;
                self.find_with(norm, marked, plain, out)
            }
            Err(_) => self.find_with(norm, &mut Vec::new(), &mut Vec::new(), out),
        })
    }

    fn find_with(
        &self,
        norm: &Normalized,
        marked: &mut Vec<u32>,
        plain: &mut Vec<u32>,
        out: &mut Vec<PhraseMatch>,
    ) {
        let (mk, pk) = (norm.marked(), norm.plain());
        let tokens = mk.tokens();
        marked.clear();
        plain.clear();
        for (i, t) in tokens.iter().enumerate() {
            let m_text = mk.token_text(i);
            let m = self.vocab.get(m_text);
            marked.push(m);
            // The plain token is the marked one without diacritics, so a known marked token
            // gives its plain id by table. An unknown one written with diacritics cannot take
            // part in a trusted plain match; only a teencode expansion (unmarked in the
            // original, marked in the key) needs a second lookup.
            plain.push(if m != NO_TOKEN {
                self.plain_of[m as usize]
            } else if !t.had_marks && m_text != pk.token_text(i) {
                self.vocab.get(pk.token_text(i))
            } else {
                NO_TOKEN
            });
        }
        let span = |phrase: u32, start: usize, end: usize, plain: bool| PhraseMatch {
            phrase,
            start: tokens[start].orig.start as u32,
            end: tokens[end - 1].orig.end as u32,
            tok_start: start as u32,
            tok_end: end as u32,
            plain,
        };
        for start in 0..tokens.len() {
            self.marked
                .walk(marked, start, |p, end| out.push(span(p, start, end, false)));
            self.plain.walk(plain, start, |p, end| {
                if !self.plain_allowed[p as usize] {
                    return;
                }
                let want = &self.phrase_tokens[p as usize];
                let (mut trusted, mut same) = (true, true);
                for (t, &w) in (start..end).zip(want.iter()) {
                    let equal = marked[t] == w;
                    same &= equal;
                    trusted &= equal || !tokens[t].had_marks;
                }
                if trusted && !same {
                    out.push(span(p, start, end, true));
                }
            });
        }
    }
}

/// The tokens of a key pattern `" a  b "`.
fn pattern_tokens(pattern: &str) -> impl Iterator<Item = &str> {
    pattern.split("  ").map(str::trim).filter(|t| !t.is_empty())
}

/// Interned phrase tokens: one arena of bytes and an open-addressing table of ids, so that a
/// lookup is a hash, a probe or two in a small array and one comparison with contiguous
/// bytes. The table is filled once, at build time, and never grows, so a fast unkeyed hash is
/// safe: text cannot insert keys to provoke collisions.
#[derive(Debug, Clone, Default)]
struct Vocab {
    arena: String,
    /// Byte range of each token in `arena`, by id.
    spans: Vec<(u32, u32)>,
    /// Power-of-two table of (id, high hash bits), `NO_TOKEN` for empty, at most a quarter
    /// full; the hash bits spare most string comparisons.
    slots: Vec<(u32, u32)>,
}

impl Vocab {
    fn len(&self) -> usize {
        self.spans.len()
    }

    fn text(&self, id: u32) -> &str {
        let (s, e) = self.spans[id as usize];
        &self.arena[s as usize..e as usize]
    }

    fn get(&self, token: &str) -> u32 {
        if self.slots.is_empty() {
            return NO_TOKEN;
        }
        let mask = self.slots.len() - 1;
        let h = fx_hash(token.as_bytes());
        let tag = (h >> 32) as u32;
        let mut i = h as usize & mask;
        loop {
            let (id, t) = self.slots[i];
            if id == NO_TOKEN || (t == tag && self.text(id) == token) {
                return id;
            }
            i = (i + 1) & mask;
        }
    }
}

#[derive(Default)]
struct VocabBuilder {
    ids: HashMap<String, u32>,
    order: Vec<String>,
}

impl VocabBuilder {
    fn intern(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.ids.get(token) {
            return id;
        }
        let id = self.order.len() as u32;
        self.ids.insert(token.to_string(), id);
        self.order.push(token.to_string());
        id
    }

    fn build(self) -> Vocab {
        let mut v = Vocab::default();
        for t in &self.order {
            let start = v.arena.len() as u32;
            v.arena.push_str(t);
            v.spans.push((start, v.arena.len() as u32));
        }
        let size = (self.order.len() * 4).next_power_of_two().max(16);
        v.slots = vec![(NO_TOKEN, 0); size];
        for (id, t) in self.order.iter().enumerate() {
            let h = fx_hash(t.as_bytes());
            let mut i = h as usize & (size - 1);
            while v.slots[i].0 != NO_TOKEN {
                i = (i + 1) & (size - 1);
            }
            v.slots[i] = (id as u32, (h >> 32) as u32);
        }
        v
    }
}

/// A hash for short byte strings (tokens are syllables of a few bytes): the first and last
/// eight bytes (or four, or three single bytes) and the length, mixed by two multiplications.
/// Longer tokens that share both ends only collide; the table compares the bytes anyway.
fn fx_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let n = bytes.len();
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(w)
    };
    let (head, tail) = match n {
        0 => (0, 0),
        1..=3 => (
            u64::from(bytes[0]) | u64::from(bytes[n / 2]) << 8 | u64::from(bytes[n - 1]) << 16,
            0,
        ),
        4..=7 => (word(&bytes[..4]), word(&bytes[n - 4..])),
        _ => (word(&bytes[..8]), word(&bytes[n - 8..])),
    };
    let h = (head ^ (n as u64) << 56).wrapping_mul(K);
    let h = (h.rotate_left(26) ^ tail).wrapping_mul(K);
    // Fold the high bits down: the table index takes the low ones, the tag the high ones.
    h ^ (h >> 29)
}

/// A trie over token ids, frozen into flat arrays: the root's children by direct index (every
/// walk starts there), deeper children as sorted runs searched by bisection.
#[derive(Debug, Clone, Default)]
struct Trie {
    /// Child of the root for each token id, or `NO_TOKEN`.
    root: Vec<u32>,
    /// For each node: its children as a range of `children`.
    child_ranges: Vec<(u32, u32)>,
    /// (token id, child node), sorted by token id within each node's range.
    children: Vec<(u32, u32)>,
    /// For each node: the phrases ending there, as a range of `ends`.
    end_ranges: Vec<(u32, u32)>,
    ends: Vec<u32>,
}

impl Trie {
    /// Calls `found(phrase, end)` for every phrase whose tokens are `ids[start..end]`.
    fn walk(&self, ids: &[u32], start: usize, mut found: impl FnMut(u32, usize)) {
        let Some(&first) = ids.get(start) else {
            return;
        };
        let mut node = match self.root.get(first as usize) {
            Some(&n) if n != NO_TOKEN => n,
            _ => return,
        };
        let mut end = start + 1;
        loop {
            let (s, e) = self.end_ranges[node as usize];
            for &p in &self.ends[s as usize..e as usize] {
                found(p, end);
            }
            let Some(&t) = ids.get(end) else {
                return;
            };
            if t == NO_TOKEN {
                return;
            }
            let (s, e) = self.child_ranges[node as usize];
            let kids = &self.children[s as usize..e as usize];
            match kids.binary_search_by_key(&t, |&(tok, _)| tok) {
                Ok(k) => node = kids[k].1,
                Err(_) => return,
            }
            end += 1;
        }
    }
}

#[derive(Default)]
struct TrieBuilder {
    /// Children and ending phrases of each node; node 0 is the root.
    nodes: Vec<(HashMap<u32, u32>, Vec<u32>)>,
}

impl TrieBuilder {
    fn insert(&mut self, tokens: &[u32], phrase: u32) {
        if self.nodes.is_empty() {
            self.nodes.push(Default::default());
        }
        let mut node = 0usize;
        for &t in tokens {
            let next = self.nodes.len() as u32;
            let child = *self.nodes[node].0.entry(t).or_insert(next);
            if child == next {
                self.nodes.push(Default::default());
            }
            node = child as usize;
        }
        let ends = &mut self.nodes[node].1;
        if !ends.contains(&phrase) {
            ends.push(phrase);
        }
    }

    fn build(self, vocab_len: usize) -> Trie {
        let mut t = Trie {
            root: vec![NO_TOKEN; vocab_len],
            ..Trie::default()
        };
        for (i, (kids, ends)) in self.nodes.into_iter().enumerate() {
            let mut kids: Vec<(u32, u32)> = kids.into_iter().collect();
            kids.sort_unstable();
            if i == 0 {
                for &(tok, child) in &kids {
                    t.root[tok as usize] = child;
                }
            }
            let s = t.children.len() as u32;
            t.children.extend(kids);
            t.child_ranges.push((s, t.children.len() as u32));
            let s = t.ends.len() as u32;
            t.ends.extend(ends);
            t.end_ranges.push((s, t.ends.len() as u32));
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(phrases: &[(&str, PlainMatching)], text: &str) -> Vec<(usize, String, bool)> {
        let m = PhraseMatcher::new(phrases.iter().copied());
        let mut out = Vec::new();
        m.find_all(&Normalized::new(text), &mut out);
        out.into_iter()
            .map(|x| {
                (
                    x.phrase(),
                    crate::text::slice_chars(text, x.start(), x.end()).to_string(),
                    x.plain,
                )
            })
            .collect()
    }

    #[test]
    fn matches_whole_tokens_only() {
        let p = [("đm", PlainMatching::Allowed)];
        assert_eq!(find(&p, "đmột").len(), 0);
        assert_eq!(find(&p, "ĐM nó").len(), 1);
    }

    #[test]
    fn plain_matches_need_unaccented_writing() {
        let p = [
            ("ngu", PlainMatching::Allowed),
            ("đĩ", PlainMatching::Forbidden),
        ];
        assert!(find(&p, "đi ngủ thôi").is_empty());
        assert_eq!(
            find(&p, "thang nay ngu qua"),
            vec![(0, "ngu".into(), false)]
        );
        assert!(find(&p, "di choi").is_empty());
        assert_eq!(find(&p, "con đĩ"), vec![(1, "đĩ".into(), false)]);
        let p = [("địt mẹ", PlainMatching::Allowed)];
        assert_eq!(find(&p, "dit me may"), vec![(0, "dit me".into(), true)]);
        assert_eq!(find(&p, "dit mẹ"), vec![(0, "dit mẹ".into(), true)]);
    }

    #[test]
    fn reports_overlapping_phrases() {
        let p = [
            ("chém", PlainMatching::Allowed),
            ("chém gió", PlainMatching::Allowed),
        ];
        let got = find(&p, "Chém gió thôi");
        assert!(got.contains(&(0, "Chém".into(), false)));
        assert!(got.contains(&(1, "Chém gió".into(), false)));
    }
}
