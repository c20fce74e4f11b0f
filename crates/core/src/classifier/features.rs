//! Hashed n-gram features of the normalisation keys.
//!
//! A text becomes a sparse vector over `2^hash_bits` buckets. Four groups of n-grams feed it:
//! word n-grams and character n-grams, each of the marked key (with diacritics) and of the
//! plain key (without). The keys already fold teencode, leetspeak, look-alike letters, spacing
//! and repeated letters, which is what lets a model trained on ordinary spelling recognise the
//! disguised one.
//!
//! Every occurrence of an n-gram adds `weight_g / sqrt(n_g)` to its bucket, where `n_g` is the
//! number of n-gram occurrences of its group in the text. This is a bag of n-grams scaled to
//! unit length per group when no n-gram repeats, and it can be scored in one pass with no
//! buffer: the sums of weights per group are scaled at the end.
//!
//! Hashing works on bytes as they are read (FNV-1a, then a 64-bit finaliser), so no n-gram is
//! ever copied or allocated.

use crate::text::normalize::TokenIndex;
use crate::text::{Key, Normalized};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// An inclusive range of n-gram lengths; `max == 0` switches the group off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NgramRange {
    pub min: u8,
    pub max: u8,
}

impl NgramRange {
    pub const OFF: NgramRange = NgramRange { min: 1, max: 0 };

    pub const fn new(min: u8, max: u8) -> Self {
        NgramRange { min, max }
    }

    pub fn is_off(self) -> bool {
        self.max == 0 || self.max < self.min
    }
}

/// Which n-grams a model reads, and how many buckets they are hashed into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// The model has `2^hash_bits` buckets (10..=24).
    pub hash_bits: u8,
    /// Word (syllable) n-grams of the marked key.
    pub word_marked: NgramRange,
    /// Word n-grams of the plain key.
    pub word_plain: NgramRange,
    /// Character n-grams of the marked key text (token separators included).
    pub char_marked: NgramRange,
    /// Character n-grams of the plain key with the token separators taken out ("thang ngu"
    /// reads "thangngu"), so that a word spelled out letter by letter, which the normaliser
    /// joins with its neighbours ("t h a n g n g u" is one token), still shares n-grams with
    /// the ordinary spelling.
    pub char_plain: NgramRange,
    /// Scale of the word groups.
    pub word_weight: f32,
    /// Scale of the character groups.
    pub char_weight: f32,
}

impl Default for FeatureSpec {
    fn default() -> Self {
        FeatureSpec {
            hash_bits: 20,
            word_marked: NgramRange::new(1, 3),
            word_plain: NgramRange::new(1, 2),
            char_marked: NgramRange::new(2, 5),
            char_plain: NgramRange::new(2, 5),
            word_weight: 1.0,
            char_weight: 1.0,
        }
    }
}

/// The four feature groups, in the order of [`FeatureSpec`].
pub const GROUPS: usize = 4;

impl FeatureSpec {
    /// Checks the ranges a model file may hold (hash bits 10..=24, n-gram lengths up to 4 for
    /// words and 8 for characters), so that a bad file cannot make scoring loop for long or
    /// index out of bounds.
    pub fn validate(&self) -> Result<(), String> {
        if !(10..=24).contains(&self.hash_bits) {
            return Err(format!("hash_bits {} outside 10..=24", self.hash_bits));
        }
        for (name, r, cap) in [
            ("word_marked", self.word_marked, 4),
            ("word_plain", self.word_plain, 4),
            ("char_marked", self.char_marked, 8),
            ("char_plain", self.char_plain, 8),
        ] {
            if !r.is_off() && (r.min == 0 || r.max > cap) {
                return Err(format!("{name} n-gram range {}..={} invalid", r.min, r.max));
            }
        }
        if !self.word_weight.is_finite() || !self.char_weight.is_finite() {
            return Err("group weight is not finite".into());
        }
        Ok(())
    }

    pub fn buckets(&self) -> usize {
        1usize << self.hash_bits
    }

    /// Scale of each group.
    pub(crate) fn group_weights(&self) -> [f32; GROUPS] {
        [
            self.word_weight,
            self.word_weight,
            self.char_weight,
            self.char_weight,
        ]
    }

    /// Calls `sink(group, bucket, tokens)` for every n-gram occurrence of the text. `tokens` is
    /// the range of key tokens the n-gram covers when `WITH_TOKENS` is set (for attribution),
    /// an empty range otherwise. The groups come one after the other, in the order of
    /// [`FeatureSpec`]'s fields ([`super::Classifier::scores`] relies on it).
    #[inline]
    pub(crate) fn visit<const WITH_TOKENS: bool>(
        &self,
        norm: &Normalized,
        mut sink: impl FnMut(usize, u32, Range<usize>),
    ) {
        let shift = 64 - self.hash_bits as u32;
        let keys = [norm.marked(), norm.plain()];
        for (g, (key, range)) in [(keys[0], self.word_marked), (keys[1], self.word_plain)]
            .into_iter()
            .enumerate()
        {
            if !range.is_off() {
                word_ngrams(key, range, SEEDS[g], shift, |b, t| sink(g, b, t));
            }
        }
        for (g, (key, range)) in [(keys[0], self.char_marked), (keys[1], self.char_plain)]
            .into_iter()
            .enumerate()
        {
            if !range.is_off() {
                if g == 0 {
                    char_ngrams::<WITH_TOKENS>(key, range, SEEDS[2], shift, |b, t| sink(2, b, t));
                } else {
                    squashed_char_ngrams(key, range, SEEDS[3], shift, |b, t| sink(3, b, t));
                }
            }
        }
    }

    /// The feature vector of a text as sorted `(bucket, value)` pairs with duplicates summed:
    /// the form the trainer stores.
    pub(crate) fn vector(&self, norm: &Normalized, out: &mut Vec<(u32, f32)>) {
        out.clear();
        let mut counts = [0u32; GROUPS];
        let mut raw: Vec<(u32, u8)> = Vec::with_capacity(256);
        self.visit::<false>(norm, |g, b, _| {
            counts[g] += 1;
            raw.push((b, g as u8));
        });
        let gw = self.group_weights();
        let scale: [f32; GROUPS] = std::array::from_fn(|g| group_scale(gw[g], counts[g]));
        raw.sort_unstable();
        for (b, g) in raw {
            let v = scale[g as usize];
            match out.last_mut() {
                Some(last) if last.0 == b => last.1 += v,
                _ => out.push((b, v)),
            }
        }
    }
}

/// The value one occurrence adds in a group of `count` occurrences.
#[inline]
pub(crate) fn group_scale(weight: f32, count: u32) -> f32 {
    if count == 0 {
        0.0
    } else {
        weight / (count as f32).sqrt()
    }
}

const SEEDS: [u64; GROUPS] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];

pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[inline(always)]
fn fnv(h: u64, b: u8) -> u64 {
    (h ^ b as u64).wrapping_mul(FNV_PRIME)
}

#[inline(always)]
pub(crate) fn fnv_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = fnv(h, b);
    }
    h
}

/// The 64-bit finaliser of MurmurHash3: spreads FNV's weak low bits over the whole word.
#[inline(always)]
pub(crate) fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

#[inline(always)]
fn bucket(h: u64, seed: u64, shift: u32) -> u32 {
    (fmix(h ^ seed) >> shift) as u32
}

/// Word n-grams: every run of `range` consecutive tokens.
#[inline]
fn word_ngrams(
    key: &Key,
    range: NgramRange,
    seed: u64,
    shift: u32,
    mut emit: impl FnMut(u32, Range<usize>),
) {
    let text = key.text().as_bytes();
    let tokens = key.tokens();
    // Hashes of the last four tokens (the longest n-gram a spec may ask for).
    let mut window = [0u64; 4];
    let (min, max) = (range.min as usize, range.max as usize);
    for (j, t) in tokens.iter().enumerate() {
        window.rotate_left(1);
        window[3] = fnv_bytes(FNV_OFFSET, &text[t.key.clone()]);
        for n in min..=max.min(j + 1) {
            let mut h = FNV_OFFSET ^ (n as u64);
            for &th in &window[4 - n..] {
                h = fmix(h ^ th);
            }
            emit(bucket(h, seed, shift), j + 1 - n..j + 1);
        }
    }
}

/// Length in bytes of the UTF-8 sequence that starts with `b`.
#[inline(always)]
fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Character n-grams of the key text, separators and padding included, so that n-grams that
/// touch a space mark the start or end of a syllable. N-grams made only of spaces are skipped.
#[inline]
fn char_ngrams<const WITH_TOKENS: bool>(
    key: &Key,
    range: NgramRange,
    seed: u64,
    shift: u32,
    mut emit: impl FnMut(u32, Range<usize>),
) {
    let text = key.text().as_bytes();
    let (min, max) = (range.min as usize, range.max as usize);
    let index = if WITH_TOKENS {
        key.token_index()
    } else {
        TokenIndex::default()
    };
    let mut start = 0;
    while start < text.len() {
        let mut h = FNV_OFFSET;
        let mut end = start;
        let mut letters = false;
        for n in 1..=max {
            if end >= text.len() {
                break;
            }
            let len = utf8_len(text[end]).min(text.len() - end);
            letters |= text[end] != b' ';
            h = fnv_bytes(h, &text[end..end + len]);
            end += len;
            if n >= min && letters {
                let tokens = if WITH_TOKENS {
                    index.token_range(start, end)
                } else {
                    0..0
                };
                emit(bucket(h, seed, shift), tokens);
            }
        }
        start += utf8_len(text[start]);
    }
}

/// Character n-grams of the tokens written one after the other, a space standing only at the
/// start and end of the text. Hashes the n chars that end at each position, newest first.
#[inline]
fn squashed_char_ngrams(
    key: &Key,
    range: NgramRange,
    seed: u64,
    shift: u32,
    mut emit: impl FnMut(u32, Range<usize>),
) {
    let tokens = key.tokens();
    if tokens.is_empty() {
        return;
    }
    let text = key.text();
    let (min, max) = (range.min as usize, range.max as usize);
    // The last `max` chars and their tokens (a ring, newest at `len - 1`).
    let mut ring = [(' ', 0usize); 8];
    let mut len = 0usize;
    let last = tokens.len() - 1;
    let chars = std::iter::once((' ', 0))
        .chain(
            tokens
                .iter()
                .enumerate()
                .flat_map(|(i, t)| text[t.key.clone()].chars().map(move |c| (c, i))),
        )
        .chain(std::iter::once((' ', last)));
    for (c, t) in chars {
        ring[len % 8] = (c, t);
        len += 1;
        let mut h = FNV_OFFSET;
        for k in 0..max.min(len) {
            let (ck, tk) = ring[(len - 1 - k) % 8];
            h = (h ^ ck as u64).wrapping_mul(FNV_PRIME);
            if k + 1 >= min {
                emit(bucket(h, seed, shift), tk..t + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(spec: &FeatureSpec, text: &str) -> Vec<(usize, u32, Range<usize>)> {
        let mut v = Vec::new();
        spec.visit::<true>(&Normalized::new(text), |g, b, t| v.push((g, b, t)));
        v
    }

    #[test]
    fn counts_the_expected_ngrams() {
        let spec = FeatureSpec {
            word_marked: NgramRange::new(1, 3),
            word_plain: NgramRange::OFF,
            char_marked: NgramRange::new(2, 3),
            char_plain: NgramRange::OFF,
            ..FeatureSpec::default()
        };
        // " ab  cd ": tokens "ab", "cd"; 3 + 2 + 1 word n-grams... for two tokens: 2 + 1.
        let f = features(&spec, "ab cd");
        let words: Vec<_> = f.iter().filter(|x| x.0 == 0).collect();
        assert_eq!(words.len(), 3);
        // The text " ab  cd " has 8 chars: 7 bigrams, 6 trigrams, all with a letter but "  ".
        let chars = f.iter().filter(|x| x.0 == 2).count();
        assert_eq!(chars, 6 + 6);
    }

    #[test]
    fn same_text_same_buckets_and_disguises_agree() {
        let spec = FeatureSpec::default();
        let b = |t: &str| -> Vec<u32> { features(&spec, t).into_iter().map(|x| x.1).collect() };
        assert_eq!(b("đồ ngu"), b("Đồ NGU"));
        assert_eq!(b("đồ ngu"), b("đồ n.g.u"));
        assert_eq!(b("đồ ngu"), b("đồ nguuuuu"));
        assert_ne!(b("đồ ngu"), b("đồ ngủ"));
    }

    #[test]
    fn squashed_plain_ngrams_survive_spelling_out() {
        let spec = FeatureSpec {
            word_marked: NgramRange::OFF,
            word_plain: NgramRange::OFF,
            char_marked: NgramRange::OFF,
            char_plain: NgramRange::new(2, 5),
            ..FeatureSpec::default()
        };
        let b = |t: &str| -> Vec<u32> {
            let mut v: Vec<u32> = features(&spec, t).into_iter().map(|x| x.1).collect();
            v.sort();
            v
        };
        assert_eq!(b("thằng ngu"), b("t h ằ n g n g u"));
        assert_eq!(b("thằng ngu"), b("thang ngu"));
        // Token ranges stay inside the text's tokens.
        let f = features(&spec, "thằng ngu");
        assert!(f.iter().all(|x| x.2.end <= 2 && !x.2.is_empty()));
    }

    #[test]
    fn token_ranges_point_at_the_tokens() {
        let spec = FeatureSpec {
            char_marked: NgramRange::new(2, 2),
            word_marked: NgramRange::new(2, 2),
            word_plain: NgramRange::OFF,
            ..FeatureSpec::default()
        };
        let f = features(&spec, "ab cd");
        // The word bigram covers both tokens; the char bigram "b " only the first.
        assert!(f.iter().any(|x| x.0 == 0 && x.2 == (0..2)));
        assert!(f.iter().filter(|x| x.0 == 2).all(|x| x.2.len() == 1));
    }

    #[test]
    fn vector_is_sorted_and_scaled() {
        let spec = FeatureSpec::default();
        let mut v = Vec::new();
        spec.vector(&Normalized::new("mày ngu như bò, ngu ngu"), &mut v);
        assert!(v.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(v
            .iter()
            .all(|x| x.1 > 0.0 && (x.0 as usize) < spec.buckets()));
        spec.vector(&Normalized::new(""), &mut v);
        assert!(v.is_empty());
    }

    #[test]
    fn validation_rejects_bad_specs() {
        let mut s = FeatureSpec::default();
        assert!(s.validate().is_ok());
        s.hash_bits = 40;
        assert!(s.validate().is_err());
        let s = FeatureSpec {
            char_marked: NgramRange::new(0, 30),
            ..FeatureSpec::default()
        };
        assert!(s.validate().is_err());
    }
}
