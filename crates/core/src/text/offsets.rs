//! Conversion from byte offsets (what `regex` and `aho-corasick` report) to offsets in Unicode
//! scalar values (what the public contract uses).

/// Maps byte offsets of one text to char offsets.
///
/// Detectors convert only a handful of offsets per text, so counting chars on demand (which
/// the standard library does a word at a time) is cheaper than building a table per text.
pub struct CharOffsets<'a> {
    text: &'a str,
}

impl<'a> CharOffsets<'a> {
    pub fn new(text: &'a str) -> Self {
        CharOffsets { text }
    }

    /// The char offset of byte offset `byte` (clamped to the text; a byte inside a char
    /// counts as that char).
    pub fn char_of(&self, byte: usize) -> usize {
        let bytes = &self.text.as_bytes()[..byte.min(self.text.len())];
        // Every byte that does not continue a UTF-8 sequence starts a char.
        bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
    }

    /// Converts a byte range to a char range.
    pub fn span(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.char_of(start);
        let between = &self.text.as_bytes()[start.min(self.text.len())..end.min(self.text.len())];
        (s, s + between.iter().filter(|&&b| (b as i8) >= -0x40).count())
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
