//! Whole-token phrase matching on the normalisation keys, shared by every detector that works
//! from phrase lists (lexicons, markers of claims, office, secrecy, policy topics).
//!
//! Each phrase is compiled into its marked and plain key patterns (`" a  b "`) and searched
//! with Aho-Corasick over both keys of a text, overlapping matches included, so that a longer
//! harmless phrase (a false friend) can be seen next to the shorter term it contains.

use super::normalize::{phrase_keys, Normalized};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// A phrase match, mapped back to the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhraseMatch {
    /// Index of the phrase in the list given to [`PhraseMatcher::new`].
    pub phrase: usize,
    /// Char offsets into the original text, end exclusive.
    pub start: usize,
    pub end: usize,
    /// Found only on the plain key (the text was written without diacritics).
    pub plain: bool,
}

/// A compiled phrase list.
#[derive(Debug, Clone)]
pub struct PhraseMatcher {
    marked: AhoCorasick,
    plain: AhoCorasick,
    /// For each plain pattern: the phrase it belongs to and that phrase's marked tokens.
    plain_phrases: Vec<(usize, Vec<String>)>,
    marked_phrases: Vec<usize>,
    len: usize,
}

/// How a phrase may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainMatching {
    /// Also match text written without diacritics.
    Allowed,
    /// Only match the marked key (the unaccented form is an everyday word, e.g. "đĩ" → "di").
    Forbidden,
}

impl PhraseMatcher {
    /// Compiles phrases. A phrase that normalises to nothing (only punctuation) never matches.
    pub fn new<'a>(phrases: impl IntoIterator<Item = (&'a str, PlainMatching)>) -> Self {
        let mut marked_pats = Vec::new();
        let mut marked_phrases = Vec::new();
        let mut plain_pats = Vec::new();
        let mut plain_phrases = Vec::new();
        let mut len = 0;
        for (i, (phrase, plain)) in phrases.into_iter().enumerate() {
            len = i + 1;
            let (m, p) = phrase_keys(phrase);
            if m.is_empty() {
                continue;
            }
            if plain == PlainMatching::Allowed {
                let tokens = m.split("  ").map(|t| t.trim().to_string()).collect();
                plain_pats.push(p);
                plain_phrases.push((i, tokens));
            }
            marked_pats.push(m);
            marked_phrases.push(i);
        }
        let build = |pats: &[String]| {
            // Every pattern starts with a space, so no prefilter can skip text: a DFA (one
            // table lookup per byte) is what keeps overlapping search fast.
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(pats)
                .expect("phrase patterns are plain strings and always compile")
        };
        PhraseMatcher {
            marked: build(&marked_pats),
            plain: build(&plain_pats),
            plain_phrases,
            marked_phrases,
            len,
        }
    }

    /// Heap memory of the automata, in bytes.
    pub fn memory_usage(&self) -> usize {
        self.marked.memory_usage() + self.plain.memory_usage()
    }

    /// Number of phrases given to [`PhraseMatcher::new`].
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pushes every match (overlapping ones included) of every phrase in `norm`.
    ///
    /// A plain-key match counts only when each matched token was written without diacritics
    /// in the original, or equals the phrase's token once diacritics are kept: so "ngu" does
    /// not fire on "ngủ", while "dit me" and "địt me" both reach "địt mẹ".
    pub fn find_all(&self, norm: &Normalized, out: &mut Vec<PhraseMatch>) {
        let first = out.len();
        let mk = norm.marked();
        for m in self.marked.find_overlapping_iter(mk.text()) {
            if let Some((start, end)) = mk.orig_span(m.start(), m.end()) {
                out.push(PhraseMatch {
                    phrase: self.marked_phrases[m.pattern().as_usize()],
                    start,
                    end,
                    plain: false,
                });
            }
        }
        let pk = norm.plain();
        for m in self.plain.find_overlapping_iter(pk.text()) {
            let (phrase, tokens) = &self.plain_phrases[m.pattern().as_usize()];
            let range = pk.token_range(m.start(), m.end());
            let trustworthy = range.clone().zip(tokens).all(|(t, want)| {
                !pk.tokens()[t].had_marks || mk.token_text(t) == want.as_str()
            });
            if !trustworthy || range.is_empty() {
                continue;
            }
            let (start, end) = (
                pk.tokens()[range.start].orig.start,
                pk.tokens()[range.end - 1].orig.end,
            );
            let dup = out[first..]
                .iter()
                .any(|x| x.phrase == *phrase && x.start == start && x.end == end);
            if !dup {
                out.push(PhraseMatch {
                    phrase: *phrase,
                    start,
                    end,
                    plain: true,
                });
            }
        }
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
            .map(|x| (x.phrase, crate::text::slice_chars(text, x.start, x.end).to_string(), x.plain))
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
        let p = [("ngu", PlainMatching::Allowed), ("đĩ", PlainMatching::Forbidden)];
        assert!(find(&p, "đi ngủ thôi").is_empty());
        assert_eq!(find(&p, "thang nay ngu qua"), vec![(0, "ngu".into(), false)]);
        assert!(find(&p, "di choi").is_empty());
        assert_eq!(find(&p, "con đĩ"), vec![(1, "đĩ".into(), false)]);
        let p = [("địt mẹ", PlainMatching::Allowed)];
        assert_eq!(find(&p, "dit me may"), vec![(0, "dit me".into(), true)]);
        assert_eq!(find(&p, "dit mẹ"), vec![(0, "dit mẹ".into(), true)]);
    }

    #[test]
    fn reports_overlapping_phrases() {
        let p = [("chém", PlainMatching::Allowed), ("chém gió", PlainMatching::Allowed)];
        let got = find(&p, "Chém gió thôi");
        assert!(got.contains(&(0, "Chém".into(), false)));
        assert!(got.contains(&(1, "Chém gió".into(), false)));
    }
}
