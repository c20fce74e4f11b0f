//! Conversion from byte offsets (what `regex` and `aho-corasick` report) to offsets in Unicode
//! scalar values (what the public contract uses).

/// Maps byte offsets of one text to char offsets.
///
/// Detectors convert only a handful of offsets per text, so counting chars on demand (which
/// is a simple pass over bytes) is cheaper than building a table per text. A cursor remembers
/// the last conversion, so offsets asked for in increasing order cost one pass in total.
pub struct CharOffsets<'a> {
    text: &'a str,
    /// (byte, char) of the last conversion.
    cursor: std::cell::Cell<(usize, usize)>,
}

/// Chars that start in `bytes`: every byte that does not continue a UTF-8 sequence.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl<'a> CharOffsets<'a> {
    pub fn new(text: &'a str) -> Self {
        CharOffsets {
            text,
            cursor: std::cell::Cell::new((0, 0)),
        }
    }

    /// The char offset of byte offset `byte` (clamped to the text; a byte inside a char
    /// counts as that char).
    pub fn char_of(&self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        let bytes = self.text.as_bytes();
        let (cb, cc) = self.cursor.get();
        let c = if byte >= cb {
            cc + count_chars(&bytes[cb..byte])
        } else {
            count_chars(&bytes[..byte])
        };
        self.cursor.set((byte, c));
        c
    }

    /// Converts a byte range to a char range.
    pub fn span(&self, start: usize, end: usize) -> (usize, usize) {
        (self.char_of(start), self.char_of(end))
    }
}

/// The substring of `text` between char offsets `start..end` (clamped to the text).
pub fn slice_chars(text: &str, start: usize, end: usize) -> &str {
    let mut it = text
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()));
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
    fn conversions_in_any_order_agree() {
        let t = "đã ăn cơm chưa";
        let off = CharOffsets::new(t);
        let boundaries: Vec<usize> = (0..=t.len()).filter(|&b| t.is_char_boundary(b)).collect();
        for &b in boundaries.iter().rev().chain(&boundaries) {
            assert_eq!(off.char_of(b), t[..b].chars().count());
        }
    }

    #[test]
    fn ascii_is_identity() {
        let off = CharOffsets::new("abc def");
        assert_eq!(off.span(4, 7), (4, 7));
        assert_eq!(slice_chars("abc def", 4, 7), "def");
        assert_eq!(slice_chars("abc", 2, 9), "c");
    }
}
