//! Conversion from byte offsets (what `regex` and `aho-corasick` report) to offsets in Unicode
//! scalar values (what the public contract uses).

/// Maps byte offsets of one text to char offsets. Built once per text; free for ASCII text.
pub struct CharOffsets {
    /// For non-ASCII text: `char_at_byte[b]` is the char index of the char that starts at or
    /// contains byte `b`; one extra entry for `b == len`. Empty for ASCII text.
    char_at_byte: Vec<u32>,
}

impl CharOffsets {
    pub fn new(text: &str) -> Self {
        if text.is_ascii() {
            return CharOffsets {
                char_at_byte: Vec::new(),
            };
        }
        let mut char_at_byte = Vec::with_capacity(text.len() + 1);
        for (ci, ch) in text.chars().enumerate() {
            for _ in 0..ch.len_utf8() {
                char_at_byte.push(ci as u32);
            }
        }
        let n = text.chars().count() as u32;
        char_at_byte.push(n);
        CharOffsets { char_at_byte }
    }

    /// The char offset of byte offset `byte` (which should be a char boundary).
    pub fn char_of(&self, byte: usize) -> usize {
        if self.char_at_byte.is_empty() {
            byte
        } else {
            self.char_at_byte
                .get(byte)
                .copied()
                .unwrap_or(*self.char_at_byte.last().unwrap_or(&0)) as usize
        }
    }

    /// Converts a byte range to a char range.
    pub fn span(&self, start: usize, end: usize) -> (usize, usize) {
        (self.char_of(start), self.char_of(end))
    }
}

/// The substring of `text` between char offsets `start..end` (clamped to the text).
pub fn slice_chars(text: &str, start: usize, end: usize) -> &str {
    let mut it = text.char_indices().map(|(b, _)| b).chain(std::iter::once(text.len()));
    let b0 = it.by_ref().nth(start).unwrap_or(text.len());
    let b1 = if end > start {
        it.nth(end - start - 1).unwrap_or(text.len())
    } else {
        b0
    };
    &text[b0..b1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_vietnamese_bytes_to_chars() {
        let t = "bọn bắc kỳ";
        let off = CharOffsets::new(t);
        let b = t.find("bắc").unwrap();
        assert_eq!(off.span(b, b + "bắc".len()), (4, 7));
        assert_eq!(slice_chars(t, 4, 7), "bắc");
        assert_eq!(off.char_of(t.len()), 10);
    }

    #[test]
    fn ascii_is_identity() {
        let off = CharOffsets::new("abc def");
        assert_eq!(off.span(4, 7), (4, 7));
        assert_eq!(slice_chars("abc def", 4, 7), "def");
        assert_eq!(slice_chars("abc", 2, 9), "c");
    }
}
