//! Vietnamese letters: decomposition of a precomposed vowel into its shape (a, ă, â, …) and
//! tone, recomposition, and removal of diacritics.
//!
//! Written by hand because Unicode decomposition does not serve here: NFD splits "ệ" into e +
//! circumflex + dot below, but tone placement needs "ê" + tone as one unit, and NFD does not
//! decompose "đ" at all.

use std::sync::OnceLock;

/// The twelve vowel shapes, each with its six tones: level, grave (huyền), acute (sắc),
/// hook above (hỏi), tilde (ngã), dot below (nặng).
const VOWELS: [[char; 6]; 12] = [
    ['a', 'à', 'á', 'ả', 'ã', 'ạ'],
    ['ă', 'ằ', 'ắ', 'ẳ', 'ẵ', 'ặ'],
    ['â', 'ầ', 'ấ', 'ẩ', 'ẫ', 'ậ'],
    ['e', 'è', 'é', 'ẻ', 'ẽ', 'ẹ'],
    ['ê', 'ề', 'ế', 'ể', 'ễ', 'ệ'],
    ['i', 'ì', 'í', 'ỉ', 'ĩ', 'ị'],
    ['o', 'ò', 'ó', 'ỏ', 'õ', 'ọ'],
    ['ô', 'ồ', 'ố', 'ổ', 'ỗ', 'ộ'],
    ['ơ', 'ờ', 'ớ', 'ở', 'ỡ', 'ợ'],
    ['u', 'ù', 'ú', 'ủ', 'ũ', 'ụ'],
    ['ư', 'ừ', 'ứ', 'ử', 'ữ', 'ự'],
    ['y', 'ỳ', 'ý', 'ỷ', 'ỹ', 'ỵ'],
];

/// The ASCII letter each vowel shape falls back to when diacritics are removed.
const PLAIN: [char; 12] = ['a', 'a', 'a', 'e', 'e', 'i', 'o', 'o', 'o', 'u', 'u', 'y'];

/// Rows whose shape carries a mark of its own (breve, circumflex, horn).
const SHAPED: [bool; 12] = [
    false, true, true, false, true, false, false, true, true, false, true, false,
];

/// A lowercase Vietnamese vowel as (shape row, tone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vowel {
    pub row: u8,
    pub tone: u8,
}

impl Vowel {
    pub fn char(self) -> char {
        VOWELS[self.row as usize][self.tone as usize]
    }
    pub fn base(self) -> char {
        VOWELS[self.row as usize][0]
    }
    pub fn plain(self) -> char {
        PLAIN[self.row as usize]
    }
    pub fn is_shaped(self) -> bool {
        SHAPED[self.row as usize]
    }
}

/// First code points of the two blocks that hold every precomposed Vietnamese vowel: Latin-1
/// with Latin Extended-A/B (à … ư), and Latin Extended Additional (ạ … ỹ).
const BLOCK1: (u32, u32) = (0xC0, 0x1B0);
const BLOCK2: (u32, u32) = (0x1EA0, 0x1EF9);

/// Direct lookup tables over the two blocks: `0` for "not a vowel", else `row * 6 + tone + 1`.
/// Checked on every character of every text, so a table beats a search.
fn tables() -> &'static ([u8; 0x1B0 - 0xC0 + 1], [u8; 0x1EF9 - 0x1EA0 + 1]) {
    static T: OnceLock<([u8; 0x1B0 - 0xC0 + 1], [u8; 0x1EF9 - 0x1EA0 + 1])> = OnceLock::new();
    T.get_or_init(|| {
        let mut t1 = [0u8; 0x1B0 - 0xC0 + 1];
        let mut t2 = [0u8; 0x1EF9 - 0x1EA0 + 1];
        for (row, tones) in VOWELS.iter().enumerate() {
            for (tone, &c) in tones.iter().enumerate() {
                let code = (row * 6 + tone + 1) as u8;
                for x in std::iter::once(c).chain(c.to_uppercase()) {
                    let u = x as u32;
                    if (BLOCK1.0..=BLOCK1.1).contains(&u) {
                        t1[(u - BLOCK1.0) as usize] = code;
                    } else if (BLOCK2.0..=BLOCK2.1).contains(&u) {
                        t2[(u - BLOCK2.0) as usize] = code;
                    }
                }
            }
        }
        (t1, t2)
    })
}

/// Looks up a precomposed Vietnamese vowel of either case.
#[inline]
pub fn vowel(c: char) -> Option<Vowel> {
    let code = match c {
        'a' | 'A' => 1,
        'e' | 'E' => 19,
        'i' | 'I' => 31,
        'o' | 'O' => 37,
        'u' | 'U' => 55,
        'y' | 'Y' => 67,
        _ if c.is_ascii() => return None,
        _ => {
            let u = c as u32;
            let (t1, t2) = tables();
            if (BLOCK1.0..=BLOCK1.1).contains(&u) {
                t1[(u - BLOCK1.0) as usize]
            } else if (BLOCK2.0..=BLOCK2.1).contains(&u) {
                t2[(u - BLOCK2.0) as usize]
            } else {
                0
            }
        }
    };
    (code != 0).then(|| Vowel {
        row: (code - 1) / 6,
        tone: (code - 1) % 6,
    })
}

/// True for characters that are already lowercase NFC Vietnamese letters (or đ/Đ, or
/// uppercase ones), so that the slow Unicode normalisation path can be skipped for them.
pub fn is_vietnamese_letter(c: char) -> bool {
    matches!(c, 'đ' | 'Đ') || (!c.is_ascii() && vowel(c).is_some())
}

/// The lowercase form of a letter for which [`is_vietnamese_letter`] holds, by table rather
/// than through Unicode's case tables: the normaliser lowercases every letter of every text.
pub fn lowercase(c: char) -> char {
    if c == 'Đ' {
        return 'đ';
    }
    vowel(c).map_or(c, Vowel::char)
}

/// Removes every Vietnamese diacritic from a lowercase letter (đ → d).
pub fn strip(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    if c == 'đ' {
        return 'd';
    }
    match vowel(c) {
        Some(v) => v.plain(),
        None => c,
    }
}

/// True when a lowercase letter carries any Vietnamese diacritic (tone, shape mark, or đ).
pub fn has_mark(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    c == 'đ' || vowel(c).is_some_and(|v| v.tone != 0 || v.is_shaped())
}

/// Puts the tone of a lowercase syllable on one canonical vowel, so that "hoà" and "hòa",
/// "thuỷ" and "thủy" become the same key. `syl` is rewritten in place.
pub fn canonical_tone(syl: &mut [char]) {
    let tone = take_tone(syl);
    place_tone(syl, tone);
}

/// Removes the tone from every vowel of a lowercase syllable and returns it (the first one
/// found, if a malformed syllable carries several).
pub fn take_tone(syl: &mut [char]) -> u8 {
    let mut tone = 0u8;
    for c in syl.iter_mut() {
        if let Some(v) = vowel(*c) {
            if tone == 0 {
                tone = v.tone;
            }
            *c = v.base();
        }
    }
    tone
}

/// Puts `tone` on the canonical vowel of a toneless lowercase syllable.
///
/// The placement follows the traditional rule: a vowel with a shape mark takes the tone (the
/// last one, as in "người"); otherwise, in a closed syllable the last vowel of the nucleus,
/// in an open one the first of two vowels or the middle of three. The "qu" and "gi" onsets do
/// not count as vowels. Any deterministic rule would do for matching; this one also reads well.
pub fn place_tone(syl: &mut [char], tone: u8) {
    if tone == 0 {
        return;
    }
    let mut vowels: [usize; 8] = [0; 8];
    let mut nv = 0usize;
    for (i, &c) in syl.iter().enumerate() {
        if vowel(c).is_some() && nv < vowels.len() {
            vowels[nv] = i;
            nv += 1;
        }
    }
    if nv == 0 {
        return;
    }
    let mut v = &vowels[..nv];
    // "qu" and "gi" onsets: their u/i is part of the consonant when another vowel follows.
    if v.len() > 1
        && v[0] == 1
        && ((syl[0] == 'q' && syl[1] == 'u') || (syl[0] == 'g' && syl[1] == 'i'))
    {
        v = &v[1..];
    }
    let shaped_last = v
        .iter()
        .rev()
        .copied()
        .find(|&i| vowel(syl[i]).is_some_and(|x| x.is_shaped()));
    let at = match shaped_last {
        Some(i) => i,
        None => {
            let last = v[v.len() - 1];
            if last + 1 < syl.len() || v.len() == 1 {
                last
            } else if v.len() == 2 {
                v[0]
            } else {
                v[1]
            }
        }
    };
    if let Some(x) = vowel(syl[at]) {
        syl[at] = Vowel { row: x.row, tone }.char();
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn lowercase_agrees_with_unicode_on_every_vietnamese_letter() {
        let mut letters = 0;
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            if is_vietnamese_letter(c) {
                letters += 1;
                assert_eq!(
                    lowercase(c).to_string(),
                    c.to_lowercase().to_string(),
                    "{c:?}"
                );
            }
        }
        // 12 shapes × 6 tones, both cases, less the 12 ASCII ones (a, A, e, …), and đ, Đ.
        assert_eq!(letters, 12 * 6 * 2 - 12 + 2);
    }

    use super::*;

    fn canon(s: &str) -> String {
        let mut v: Vec<char> = s.chars().collect();
        canonical_tone(&mut v);
        v.into_iter().collect()
    }

    #[test]
    fn tone_placement_is_unified() {
        assert_eq!(canon("hoà"), canon("hòa"));
        assert_eq!(canon("thuỷ"), canon("thủy"));
        assert_eq!(canon("người"), "người");
        assert_eq!(canon("nguời"), "nguời");
        assert_eq!(canon("quýt"), "quýt");
        assert_eq!(canon("gìn"), "gìn");
        assert_eq!(canon("hoàn"), "hoàn");
        assert_eq!(canon("mùa"), "mùa");
        assert_eq!(canon("ngoài"), "ngoài");
        assert_eq!(canon("khoẻ"), canon("khỏe"));
    }

    #[test]
    fn lookup_table_agrees_with_the_vowel_rows() {
        for (row, tones) in VOWELS.iter().enumerate() {
            for (tone, &c) in tones.iter().enumerate() {
                let want = Some(Vowel {
                    row: row as u8,
                    tone: tone as u8,
                });
                assert_eq!(vowel(c), want, "{c}");
                for u in c.to_uppercase() {
                    assert_eq!(vowel(u), want, "{u}");
                }
            }
        }
        assert_eq!(vowel('b'), None);
        assert_eq!(vowel('đ'), None);
        assert_eq!(vowel('ß'), None);
    }

    #[test]
    fn strips_and_detects_marks() {
        assert_eq!("địt mẹ".chars().map(strip).collect::<String>(), "dit me");
        assert!(has_mark('đ') && has_mark('ơ') && has_mark('à'));
        assert!(!has_mark('a') && !has_mark('z'));
        assert_eq!(vowel('Ệ'), vowel('ệ'));
    }
}
