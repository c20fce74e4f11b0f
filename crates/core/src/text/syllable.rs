//! Cutting a run of spelled-out letters ("c h ó đ ấ y", "đ ô n g ó c c h ó") back into the
//! syllables it spells.
//!
//! Written by hand: word segmenters for Vietnamese (VnCoreNLP, pyvi) group syllables into words;
//! none cuts a string of letters into syllables, which is what a spelled-out insult needs.
//!
//! A syllable is an optional initial consonant, a nucleus from the closed list of Vietnamese
//! vowel clusters, and an optional final consonant; it carries at most one tone mark, and a
//! syllable closed by a stop (c, ch, p, t) takes only the level, acute or dot-below tone. Those
//! two rules decide most ambiguous runs by themselves: "vội à" cannot be one syllable
//! "vộià" (two tones), "chó ạ" cannot be "chóạ". Letters written without diacritics may stand
//! for any vowel of the same base letter.

use super::vietnamese::{self, vowel};
use rustc_hash::FxHashMap;
use std::ops::Range;
use std::sync::OnceLock;

/// The longest Vietnamese syllable has seven letters ("nghiêng").
const MAX_SYLLABLE_LETTERS: usize = 7;

const ONSETS: [&str; 27] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
];
const CODAS: [&str; 8] = ["ng", "nh", "ch", "c", "m", "n", "p", "t"];

/// Vowel clusters of Vietnamese syllables, without tones (with "uô", "ươ", "iê"/"yê", which
/// need a final consonant or glide, accepted open as well: spelled-out text is loose).
const NUCLEI: &[&str] = &[
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây",
    "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "ôi", "ơi", "oo", "ua", "uâ", "uê", "ui",
    "uô", "uơ", "uy", "ưa", "ưi", "ưu", "ươ", "yê", "iêu", "oai", "oao", "oay", "oeo", "uây",
    "uôi", "uya", "uyê", "uyu", "ươi", "ươu", "yêu",
];

/// Whether `letters` (lowercase, with or without diacritics) spell one Vietnamese syllable.
pub(super) fn is_syllable(letters: &[char]) -> bool {
    if letters.is_empty() || letters.len() > MAX_SYLLABLE_LETTERS {
        return false;
    }
    let mut tone = 0u8;
    let mut bases = [' '; MAX_SYLLABLE_LETTERS];
    for (slot, &c) in bases.iter_mut().zip(letters) {
        *slot = match vowel(c) {
            Some(v) => {
                if v.tone != 0 {
                    if tone != 0 {
                        return false;
                    }
                    tone = v.tone;
                }
                v.base()
            }
            None => c,
        };
    }
    let bases = &bases[..letters.len()];
    let onset_len = ONSETS
        .iter()
        .filter(|o| starts_with(bases, o))
        .map(|o| o.chars().count());
    // "gi" and "qu" also read as g/q + a vowel ("gìn" = gi + n, "gịa"): try every onset length.
    onset_len.chain([0]).any(|skip| {
        let rest = &bases[skip..];
        CODAS
            .iter()
            .filter(|c| ends_with(rest, c))
            .map(|c| (c.chars().count(), matches!(*c, "c" | "ch" | "p" | "t")))
            .chain([(0, false)])
            .any(|(coda, stop)| {
                let nucleus = &rest[..rest.len().saturating_sub(coda)];
                // A stop takes only the level (unwritten), acute or dot-below tone; a nucleus
                // that ends in a glide ("ai", "ao", "êu") takes no final consonant.
                coda <= rest.len()
                    && (!stop || matches!(tone, 0 | 2 | 5))
                    && NUCLEI
                        .iter()
                        .any(|n| nucleus_matches(nucleus, n) && (coda == 0 || !ends_in_glide(n)))
            })
    })
}

/// Nuclei whose last vowel is an off-glide ("ai", "ây", "êu", "ươi"); unlike "ia", "ua" or
/// "oo", they take no final consonant.
fn ends_in_glide(nucleus: &str) -> bool {
    const GLIDE_FINAL: [&str; 26] = [
        "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "iu", "oi", "ôi", "ơi", "ui", "ưi", "ưu",
        "iêu", "oai", "oao", "oay", "oeo", "uây", "uôi", "uyu", "ươi", "ươu", "yêu",
    ];
    GLIDE_FINAL.contains(&nucleus)
}

fn starts_with(letters: &[char], prefix: &str) -> bool {
    let n = prefix.chars().count();
    letters.len() >= n && letters[..n].iter().copied().eq(prefix.chars())
}

fn ends_with(letters: &[char], suffix: &str) -> bool {
    let n = suffix.chars().count();
    letters.len() >= n
        && letters[letters.len() - n..]
            .iter()
            .copied()
            .eq(suffix.chars())
}

/// A written vowel matches a nucleus vowel when it is the same, or when it is written without
/// diacritics and is the nucleus vowel's base letter ("ngu" may be "ngư").
fn nucleus_matches(written: &[char], nucleus: &str) -> bool {
    written.len() == nucleus.chars().count()
        && written
            .iter()
            .zip(nucleus.chars())
            .all(|(&w, n)| w == n || (w.is_ascii() && vietnamese::strip(n) == w))
}

/// How often each syllable occurs (`lexicons/syllables.tsv`), and the total.
struct Frequencies {
    /// Filled once from the shipped table and only read: a fast unkeyed hash is safe.
    count: FxHashMap<String, u32>,
    total: f64,
}

fn frequencies() -> &'static Frequencies {
    static TABLE: OnceLock<Frequencies> = OnceLock::new();
    TABLE.get_or_init(|| {
        let count: FxHashMap<String, u32> = include_str!("../../../../lexicons/syllables.tsv")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (word, n) = l.split_once('\t')?;
                Some((word.to_string(), n.trim().parse().ok()?))
            })
            .collect();
        let total = count.values().map(|&n| f64::from(n)).sum::<f64>().max(1.0);
        Frequencies { count, total }
    })
}

/// What a syllable costs in a cut: its negative log frequency (in hundredths), so the cut is
/// the likeliest sequence of syllables. A syllable never seen, or a known word that is no
/// syllable, costs as much as one seen half a time.
fn syllable_cost(piece: &[char]) -> u32 {
    let mut canonical = piece.to_vec();
    vietnamese::canonical_tone(&mut canonical);
    let word: String = canonical.into_iter().collect();
    let table = frequencies();
    let n = table.count.get(&word).map_or(0.0, |&n| f64::from(n));
    ((table.total.ln() - (n + 0.5).ln()) * 100.0).round() as u32
}

/// Cuts `letters` into syllables: first with as few letters as possible left in stretches that
/// spell no syllable (each kept as one token), then as the likeliest sequence of syllables
/// ("vội à ngu", not "vộ ià ngu"; "đông óc", not "đô ngóc"). A stretch that `known` accepts (a
/// teencode word such as "lol" or "vl") counts as a syllable. Returns the pieces as ranges of
/// `letters`, or `None` when no piece is a syllable ("tphcm").
pub(super) fn cut(letters: &[char], known: impl Fn(&[char]) -> bool) -> Option<Vec<Range<usize>>> {
    let n = letters.len();
    // best[i]: ((stray letters, cost), start of the last piece, is it a syllable) over
    // letters[..i].
    type Best = ((u32, u32), usize, bool);
    let mut best: Vec<Option<Best>> = vec![None; n + 1];
    best[0] = Some(((0, 0), 0, false));
    for end in 1..=n {
        for start in end.saturating_sub(MAX_SYLLABLE_LETTERS)..end {
            let Some(((stray, cost), _, _)) = best[start] else {
                continue;
            };
            let piece = &letters[start..end];
            let syllable = is_syllable(piece) || known(piece);
            let total = match syllable {
                false => (stray + piece.len() as u32, cost),
                true => (stray, cost + syllable_cost(piece)),
            };
            if best[end].is_none_or(|(t, _, _)| total < t) {
                best[end] = Some((total, start, syllable));
            }
        }
    }
    let mut pieces = Vec::new();
    let mut any_syllable = false;
    let mut end = n;
    while end > 0 {
        let (_, start, syllable) = best[end]?;
        any_syllable |= syllable;
        pieces.push(start..end);
        end = start;
    }
    pieces.reverse();
    any_syllable.then_some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut_str(s: &str) -> Vec<String> {
        let letters: Vec<char> = s.chars().collect();
        let lol: Vec<char> = "lol".chars().collect();
        match cut(&letters, |piece| piece == lol.as_slice()) {
            Some(pieces) => pieces
                .into_iter()
                .map(|r| letters[r].iter().collect())
                .collect(),
            None => vec![s.to_string()],
        }
    }

    #[test]
    fn recognises_syllables() {
        for s in [
            "nghiêng", "người", "ngu", "chó", "địt", "mẹ", "khuya", "quốc", "gì", "ạ",
        ] {
            assert!(is_syllable(&s.chars().collect::<Vec<_>>()), "{s}");
        }
        // Two tones, a stop with a grave tone, no vowel, a foreign cluster.
        for s in ["vộià", "chóạ", "càt", "tph", "lol", "ngg"] {
            assert!(!is_syllable(&s.chars().collect::<Vec<_>>()), "{s}");
        }
    }

    #[test]
    fn cuts_runs_into_syllables() {
        assert_eq!(cut_str("cáiđịtmẹ"), ["cái", "địt", "mẹ"]);
        assert_eq!(cut_str("vộiàngu"), ["vội", "à", "ngu"]);
        assert_eq!(cut_str("chóạ"), ["chó", "ạ"]);
        assert_eq!(cut_str("màyngu"), ["mày", "ngu"]);
        assert_eq!(cut_str("nhờơnchị"), ["nhờ", "ơn", "chị"]);
        assert_eq!(cut_str("đôngócchó"), ["đông", "óc", "chó"]);
        assert_eq!(cut_str("hoàbình"), ["hoà", "bình"]);
        assert_eq!(cut_str("luônhộ"), ["luôn", "hộ"]);
        // A known word that is no syllable is one piece among the syllables around it.
        assert_eq!(cut_str("cáilolcòn"), ["cái", "lol", "còn"]);
        // Letters that spell nothing stay in as few stretches as possible.
        assert_eq!(cut_str("bcdngu"), ["bcd", "ngu"]);
        // No syllable at all: the caller keeps the run whole.
        assert_eq!(cut_str("tphcm"), ["tphcm"]);
    }
}
