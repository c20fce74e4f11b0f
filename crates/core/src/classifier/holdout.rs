//! Texts kept out of training because they are evaluated.
//!
//! The shared data sets re-annotate each other's comments, so a comment of one set's dev split
//! often stands in another set's train split. A figure measured on texts the model was trained
//! on flatters it; the trainer leaves such copies out.

use crate::text::normal_form;
use std::collections::HashSet;

/// Texts that must not be trained on. A row is left out when its text matches a held-out text
/// under either of two foldings: NFC, lower case and runs of white space folded to one space
/// (the plain copy of a comment), or the normaliser's marked key, which also folds teencode,
/// disguises and punctuation (a copy that differs only in spelling tricks).
#[derive(Debug, Default)]
pub struct HeldOut {
    plain: HashSet<String>,
    keys: HashSet<String>,
}

impl HeldOut {
    pub fn insert(&mut self, text: &str) {
        self.plain.insert(fold_text(text));
        let key = normal_form(text);
        // A text with no token at all (only symbols) would match every other such text.
        if !key.is_empty() {
            self.keys.insert(key);
        }
    }

    pub fn contains(&self, text: &str) -> bool {
        self.plain.contains(&fold_text(text)) || {
            let key = normal_form(text);
            !key.is_empty() && self.keys.contains(&key)
        }
    }

    pub fn len(&self) -> usize {
        self.plain.len()
    }

    pub fn is_empty(&self) -> bool {
        self.plain.is_empty()
    }
}

/// NFC, lower case, white space trimmed and folded to single spaces.
pub fn fold_text(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let lower: String = text.nfc().collect::<String>().to_lowercase();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_spacing_and_composition() {
        // "ạ" written as a + combining dot below composes to the same text.
        assert_eq!(fold_text("  Đồ  NGU\tthật "), "đồ ngu thật");
        assert_eq!(fold_text("a\u{323}"), fold_text("ạ"));
    }

    #[test]
    fn matches_copies_not_other_texts() {
        let mut h = HeldOut::default();
        h.insert("Thằng này ngu  thật");
        h.insert("!!!");
        assert!(h.contains("thằng này NGU thật"));
        assert!(h.contains("thằng này n.g.u thật"));
        assert!(!h.contains("thằng kia ngu thật"));
        // A text without any token matches only its own plain copy.
        assert!(h.contains("!!!"));
        assert!(!h.contains("???"));
        assert_eq!(h.len(), 2);
    }
}
