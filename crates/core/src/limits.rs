//! How much work one item may cause, and how large its result may be: [`CheckLimits`].
//!
//! The engine's cost grows with the length of a text and the number of its words, and the
//! size of a result with the number of findings (a text of the same insult repeated has one
//! finding per repetition). A caller that takes items from the public refuses an item over
//! the limits before checking it ([`CheckLimits::admit`]) and cuts the result to the limits
//! after ([`CheckLimits::bound`]), which marks it `truncated`. `quytac check` reports an item
//! over the limits as an error line and goes on with the batch; `quytac serve` answers `413
//! text_too_long`. The verdict and label are computed before the cut, from every finding.

use crate::engine::CheckResult;
use crate::item::Item;
use crate::text::vietnamese;

/// Bounds of one item's check. The defaults leave room for the longest real posts (Facebook
/// allows 63,206 characters, but posts and comments past a few thousand are rare) while
/// keeping a worst-case check of one item well under a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckLimits {
    /// Most characters (Unicode scalar values) in an item's texts together: a post's text and
    /// links; a profile's names, workplace, bio and the other fields.
    pub max_chars: usize,
    /// Most words (runs of letters and digits) in an item's texts together.
    pub max_words: usize,
    /// Most findings in a result; the most severe are kept, in their order.
    pub max_findings: usize,
    /// Most characters of a finding's `evidence`; a longer one is cut and ends with `…`.
    pub max_evidence_chars: usize,
}

impl CheckLimits {
    pub const DEFAULT: CheckLimits = CheckLimits {
        max_chars: 20_000,
        max_words: 5_000,
        max_findings: 100,
        max_evidence_chars: 200,
    };

    /// No bounds at all (trusted input; tests of the engine itself).
    pub const NONE: CheckLimits = CheckLimits {
        max_chars: usize::MAX,
        max_words: usize::MAX,
        max_findings: usize::MAX,
        max_evidence_chars: usize::MAX,
    };

    /// Whether `item` is within the limits of characters and words, and its size if so.
    /// Counting stops at the limit, so refusing a huge item costs no more than admitting a
    /// maximal one.
    pub fn admit(&self, item: &Item) -> Result<Size, Oversize> {
        let texts = texts(item);
        // A character takes at least one byte and a word needs a separator after it, so an
        // item whose bytes are within both limits is admitted without walking its words.
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        if bytes <= self.max_chars && bytes.div_ceil(2) <= self.max_words {
            let chars = texts.iter().map(|t| t.chars().count()).sum();
            return Ok(Size { chars });
        }
        let mut chars = 0usize;
        let mut words = 0usize;
        for text in texts {
            let mut in_word = false;
            for c in text.chars() {
                chars += 1;
                if chars > self.max_chars {
                    return Err(Oversize::Chars {
                        limit: self.max_chars,
                    });
                }
                let alnum = is_alphanumeric(c);
                if alnum && !in_word {
                    words += 1;
                    if words > self.max_words {
                        return Err(Oversize::Words {
                            limit: self.max_words,
                        });
                    }
                }
                in_word = alnum;
            }
        }
        Ok(Size { chars })
    }

    /// Cuts `result` to the limits of findings and evidence, and marks it `truncated` when
    /// anything was cut. The verdict and label are left as they are.
    pub fn bound(&self, result: &mut CheckResult) {
        if result.findings.len() > self.max_findings {
            // Keep the most severe findings (earlier first among equals), in their order.
            let mut order: Vec<usize> = (0..result.findings.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(result.findings[i].severity));
            let mut keep = vec![false; result.findings.len()];
            for &i in &order[..self.max_findings] {
                keep[i] = true;
            }
            let mut i = 0;
            result.findings.retain(|_| {
                i += 1;
                keep[i - 1]
            });
            result.truncated = true;
        }
        for f in &mut result.findings {
            if let Some((cut, _)) = f.evidence.char_indices().nth(self.max_evidence_chars) {
                // Cut one character earlier, to make room for the ellipsis.
                let end = f.evidence[..cut]
                    .char_indices()
                    .last()
                    .map_or(0, |(i, _)| i);
                f.evidence.truncate(end);
                f.evidence.push('…');
                result.truncated = true;
            }
        }
    }
}

/// `char::is_alphanumeric`, with the letters of Vietnamese answered from the tables the
/// normaliser uses: the general Unicode look-up is slow, and this runs on every character.
#[inline]
fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        vietnamese::is_vietnamese_letter(c) || c.is_alphanumeric()
    }
}

impl Default for CheckLimits {
    fn default() -> Self {
        CheckLimits::DEFAULT
    }
}

/// The size of an admitted item's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub chars: usize,
}

/// Why an item was refused by [`CheckLimits::admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversize {
    Chars { limit: usize },
    Words { limit: usize },
}

impl std::fmt::Display for Oversize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Oversize::Chars { limit } => {
                write!(f, "the item's text is longer than {limit} characters")
            }
            Oversize::Words { limit } => write!(f, "the item's text has more than {limit} words"),
        }
    }
}

impl std::error::Error for Oversize {}

/// Every free text of an item that the engine reads.
fn texts(item: &Item) -> Vec<&str> {
    match item {
        Item::Post(p) => {
            let mut v = vec![p.text.as_str()];
            v.extend(p.links.iter().map(String::as_str));
            v.extend(p.author.id.as_deref());
            v.extend(p.author.agency.as_deref());
            v.extend(p.engages.as_ref().map(|e| e.target_id.as_str()));
            v
        }
        Item::Profile(p) => [
            p.display_name.as_deref(),
            p.legal_name.as_deref(),
            p.photo.as_deref(),
            p.workplace.as_deref(),
            p.vouched_by.as_deref(),
            p.bio.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::rules::{RulePack, DEFAULT_PACK};

    fn post(text: &str) -> Item {
        Item::from_json(&serde_json::json!({"id": "p", "text": text}).to_string()).unwrap()
    }

    #[test]
    fn the_fast_alphanumeric_test_agrees_with_unicode_on_every_char() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn admits_up_to_the_limits_and_refuses_past_them() {
        let limits = CheckLimits {
            max_chars: 10,
            max_words: 3,
            ..CheckLimits::DEFAULT
        };
        assert_eq!(limits.admit(&post("một hai ba")), Ok(Size { chars: 10 }));
        assert_eq!(
            limits.admit(&post("một hai ba b")),
            Err(Oversize::Chars { limit: 10 })
        );
        assert_eq!(
            limits.admit(&post("a b c d")),
            Err(Oversize::Words { limit: 3 })
        );
        // Punctuation is not a word; a word is counted once however long.
        let one_word = CheckLimits {
            max_words: 1,
            ..CheckLimits::DEFAULT
        };
        assert_eq!(one_word.admit(&post("…, !! abcd")), Ok(Size { chars: 10 }));
        assert_eq!(
            one_word.admit(&post("…, a !! abc")),
            Err(Oversize::Words { limit: 1 })
        );
        let profile =
            Item::from_json(r#"{"id":"u","type":"profile","display_name":"An","bio":"a b c d"}"#)
                .unwrap();
        assert_eq!(limits.admit(&profile), Err(Oversize::Words { limit: 3 }));
    }

    proptest::proptest! {
        /// Limits loose enough for the byte count to settle the question and limits met
        /// exactly, which make `admit` walk the words, agree; one word fewer refuses.
        #[test]
        fn the_byte_shortcut_agrees_with_counting(text in "[ a-zA-Zđăâêôơưạờ0-9,.!…\n]{0,40}") {
            let chars = text.chars().count();
            let words = text
                .split(|c: char| !is_alphanumeric(c))
                .filter(|w| !w.is_empty())
                .count();
            let item = post(&text);
            proptest::prop_assert_eq!(CheckLimits::DEFAULT.admit(&item), Ok(Size { chars }));
            let exact = CheckLimits { max_chars: chars, max_words: words, ..CheckLimits::DEFAULT };
            proptest::prop_assert_eq!(exact.admit(&item), Ok(Size { chars }));
            if words > 0 {
                let fewer = CheckLimits { max_words: words - 1, ..exact };
                proptest::prop_assert_eq!(fewer.admit(&item), Err(Oversize::Words { limit: words - 1 }));
            }
        }
    }

    #[test]
    fn bound_keeps_the_most_severe_findings_in_order_and_says_so() {
        let engine = Engine::new(RulePack::builtin(DEFAULT_PACK).unwrap());
        let mut r = engine.check(&post(&"ngu ".repeat(50)));
        let full = r.clone();
        assert!(r.findings.len() > 5, "{r:?}");
        let limits = CheckLimits {
            max_findings: 5,
            max_evidence_chars: 2,
            ..CheckLimits::DEFAULT
        };
        limits.bound(&mut r);
        assert!(r.truncated);
        assert_eq!(r.findings.len(), 5);
        assert_eq!(r.verdict, full.verdict);
        let mut most_severe: Vec<_> = full.findings.iter().map(|f| f.severity).collect();
        most_severe.sort_by(|a, b| b.cmp(a));
        most_severe.truncate(5);
        let mut kept: Vec<_> = r.findings.iter().map(|f| f.severity).collect();
        kept.sort_by(|a, b| b.cmp(a));
        assert_eq!(kept, most_severe);
        assert!(r.findings.windows(2).all(|w| w[0].start <= w[1].start));
        assert!(r.findings.iter().all(|f| f.evidence.chars().count() <= 2));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["truncated"], true);

        let mut small = engine.check(&post("ngu"));
        CheckLimits::DEFAULT.bound(&mut small);
        assert!(!small.truncated);
        // The field is left out of results that were not cut (CONTRACT.md, section 1).
        assert!(serde_json::to_value(&small)
            .unwrap()
            .get("truncated")
            .is_none());
    }
}
