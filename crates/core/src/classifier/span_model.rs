//! The span model: which words of a text are the abusive ones, token by token.
//!
//! The whole-text classifier decides whether a post is offensive or hateful, and its
//! attributions ([`super::Classifier::attribute`]) say which stretch moved that decision: a
//! by-product of a model that never saw a span. This model is trained on the spans themselves
//! (ViHOS: the characters annotators marked as offensive or hateful): a logistic regression per
//! key token over hashed features of the token and its neighbours, on both keys, so the same
//! tokenisation as every detector and the classifier, and the same folding of disguises.
//!
//! Features of token `i` (each hashed with its own template seed into `2^hash_bits` buckets):
//! the token on the marked and the plain key; its neighbours at ±1 on both keys and at ±2 on
//! the marked key; the marked and plain bigrams on either side; the plain trigram around it;
//! and the character 2–4-grams of the plain token between `^` and `$`. One signed byte per
//! bucket, so a 2^18 model takes 256 KiB.

use super::attribution::stretches;
use super::features::{fmix, fnv_bytes, FNV_OFFSET};
use super::model::{begin, put_table, seal, ModelError, Reader};
use super::Attribution;
use crate::text::Normalized;
use serde::{Deserialize, Serialize};

/// The span model shipped with quytac (`models/spans-vi.qtc`, see `models/README.md`).
const BUILTIN_SPAN_MODEL: &[u8] = include_bytes!("../../../../models/spans-vi.qtc");

const MAGIC: &[u8; 8] = b"QTSPN\0\0\x01";

/// Seeds of the feature templates, one per template (word templates first, then the
/// character n-grams by length).
const TEMPLATES: [u64; 16] = [
    0x9e37_79b9_7f4a_7c15,
    0xbf58_476d_1ce4_e5b9,
    0x94d0_49bb_1331_11eb,
    0x2545_f491_4f6c_dd1d,
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
    0xcbbb_9d5d_c105_9ed8,
    0x629a_292a_367c_d507,
    0x9159_015a_3070_dd17,
    0x152f_ecd8_f70e_5939,
];
/// Stand-ins for the tokens before the first and after the last.
const BEFORE: u64 = 0x243f_6a88_85a3_08d3;
const AFTER: u64 = 0x1319_8a2e_0370_7344;
/// Lengths of the character n-grams of a token.
const CHAR_NGRAMS: std::ops::RangeInclusive<usize> = 2..=4;

/// What a span model file holds besides its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    hash_bits: u8,
    scale: f32,
    bias: f32,
    threshold: f32,
    description: String,
}

/// A trained span model.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanModel {
    pub(crate) hash_bits: u8,
    /// One quantised weight per bucket.
    pub(crate) weights: Vec<i8>,
    /// The value of one quantisation step.
    pub(crate) scale: f32,
    pub(crate) bias: f32,
    /// A token is abusive when its probability reaches this; chosen by cross-validation on
    /// the training data.
    pub(crate) threshold: f32,
    pub(crate) description: String,
}

impl SpanModel {
    /// The model shipped with quytac, parsed once on first use.
    pub fn builtin() -> &'static SpanModel {
        static MODEL: std::sync::OnceLock<SpanModel> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| {
            SpanModel::from_bytes(BUILTIN_SPAN_MODEL).expect("the shipped span model is valid")
        })
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    /// The probability of each key token of `norm` to be abusive.
    pub fn token_probs(&self, norm: &Normalized) -> Vec<f32> {
        let mut sums = vec![0i32; norm.marked().tokens().len()];
        visit(norm, self.hash_bits, |i, b| {
            sums[i] += i32::from(self.weights[b as usize]);
        });
        sums.into_iter()
            .map(|s| sigmoid(self.bias + self.scale * s as f32))
            .collect()
    }

    /// The stretches of `norm` whose tokens reach the model's threshold, as char ranges of the
    /// original text, the most probable first (ties in text order). The weight of a stretch
    /// is the highest probability of its tokens.
    pub fn stretches(&self, norm: &Normalized) -> Vec<Attribution> {
        self.stretches_from(norm, self.threshold, |_, _| false)
    }

    /// As [`SpanModel::stretches`], with the tokens that reach `threshold` instead of the
    /// model's own, and without the tokens that `taken` says are accounted for already (given
    /// their char range in the original text): a stretch stops where they start.
    pub fn stretches_from(
        &self,
        norm: &Normalized,
        threshold: f32,
        taken: impl Fn(usize, usize) -> bool,
    ) -> Vec<Attribution> {
        let mut probs = self.token_probs(norm);
        for (p, token) in probs.iter_mut().zip(norm.marked().tokens()) {
            // Below any threshold, 0 included.
            if taken(token.orig.start, token.orig.end) {
                *p = f32::NEG_INFINITY;
            }
        }
        stretches_at(norm, &probs, threshold)
    }

    /// Serialises the model; the bytes are a pure function of the model.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            hash_bits: self.hash_bits,
            scale: self.scale,
            bias: self.bias,
            threshold: self.threshold,
            description: self.description.clone(),
        };
        let mut out = begin(MAGIC, &header, self.weights.len() / 4);
        put_table(&mut out, self.weights.iter().map(|&w| [w]));
        seal(out)
    }

    /// Reads a model written by [`SpanModel::to_bytes`]. Never panics on bad input.
    pub fn from_bytes(bytes: &[u8]) -> Result<SpanModel, ModelError> {
        if bytes.get(..MAGIC.len()) != Some(&MAGIC[..]) {
            return Err(ModelError::BadMagic);
        }
        let mut r = Reader::open(bytes, MAGIC.len())?;
        let h: Header = r.header()?;
        if !(10..=24).contains(&h.hash_bits) {
            return Err(ModelError::Invalid(format!(
                "hash_bits {} outside 10..=24",
                h.hash_bits
            )));
        }
        if !h.scale.is_finite() || !h.bias.is_finite() || !(0.0..=1.0).contains(&h.threshold) {
            return Err(ModelError::Invalid(
                "non-finite scale or bias, or a threshold outside 0..1".into(),
            ));
        }
        let weights = r
            .table::<1>(1usize << h.hash_bits)?
            .into_iter()
            .map(|[w]| w)
            .collect();
        r.finish()?;
        Ok(SpanModel {
            hash_bits: h.hash_bits,
            weights,
            scale: h.scale,
            bias: h.bias,
            threshold: h.threshold,
            description: h.description,
        })
    }
}

pub(crate) fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The stretches of [`SpanModel::stretches`] for given token probabilities.
pub(crate) fn stretches_at(norm: &Normalized, probs: &[f32], threshold: f32) -> Vec<Attribution> {
    stretches(norm, probs, threshold, f32::max)
}

/// Calls `emit(token, bucket)` for every feature of every key token of `norm`.
pub(crate) fn visit(norm: &Normalized, hash_bits: u8, mut emit: impl FnMut(usize, u32)) {
    let (marked, plain) = (norm.marked(), norm.plain());
    let n = marked.tokens().len();
    if n == 0 {
        return;
    }
    let shift = 64 - u32::from(hash_bits);
    let hash_tokens = |key: &crate::text::Key| -> Vec<u64> {
        (0..n)
            .map(|i| fnv_bytes(FNV_OFFSET, key.token_text(i).as_bytes()))
            .collect()
    };
    let (hm, hp) = (hash_tokens(marked), hash_tokens(plain));
    let at = |h: &[u64], k: isize| -> u64 {
        if k < 0 {
            BEFORE
        } else {
            h.get(k as usize).copied().unwrap_or(AFTER)
        }
    };
    let bucket = |template: usize, parts: &[u64]| -> u32 {
        let mut h = TEMPLATES[template];
        for &p in parts {
            h = fmix(h ^ p);
        }
        (h >> shift) as u32
    };
    let mut chars: Vec<char> = Vec::new();
    for i in 0..n {
        let k = i as isize;
        let (m0, p0) = (hm[i], hp[i]);
        let (m_1, m1, p_1, p1) = (
            at(&hm, k - 1),
            at(&hm, k + 1),
            at(&hp, k - 1),
            at(&hp, k + 1),
        );
        let words: [(usize, &[u64]); 13] = [
            (0, &[m0]),
            (1, &[p0]),
            (2, &[m_1]),
            (3, &[m1]),
            (4, &[p_1]),
            (5, &[p1]),
            (6, &[at(&hm, k - 2)]),
            (7, &[at(&hm, k + 2)]),
            (8, &[m_1, m0]),
            (9, &[m0, m1]),
            (10, &[p_1, p0]),
            (11, &[p0, p1]),
            (12, &[p_1, p0, p1]),
        ];
        for (template, parts) in words {
            emit(i, bucket(template, parts));
        }
        chars.clear();
        chars.push('^');
        chars.extend(plain.token_text(i).chars());
        chars.push('$');
        for (t, len) in CHAR_NGRAMS.enumerate() {
            for w in chars.windows(len) {
                let h = w
                    .iter()
                    .fold(FNV_OFFSET, |h, &c| fnv_bytes(h, &(c as u32).to_le_bytes()));
                emit(i, bucket(13 + t, &[h]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(weights: Vec<i8>) -> SpanModel {
        SpanModel {
            hash_bits: 10,
            weights,
            scale: 0.5,
            bias: -1.0,
            threshold: 0.5,
            description: "test".into(),
        }
    }

    #[test]
    fn round_trips_and_rejects_damage() {
        let mut w = vec![0i8; 1024];
        w[3] = 7;
        w[1000] = -100;
        let m = model(w);
        let bytes = m.to_bytes();
        assert_eq!(SpanModel::from_bytes(&bytes).unwrap(), m);
        let mut bad = bytes.clone();
        bad[20] ^= 1;
        assert_eq!(SpanModel::from_bytes(&bad), Err(ModelError::Checksum));
        assert_eq!(
            SpanModel::from_bytes(&bytes[..bytes.len() - 3]),
            Err(ModelError::Checksum)
        );
        assert_eq!(SpanModel::from_bytes(b"QTCLS"), Err(ModelError::BadMagic));
    }

    #[test]
    fn every_token_gets_its_features_in_range() {
        let norm = Normalized::new("Đồ ngu, mày câm mồm lại");
        let mut per_token = vec![0usize; norm.marked().tokens().len()];
        visit(&norm, 10, |i, b| {
            assert!(b < 1024);
            per_token[i] += 1;
        });
        // 13 word templates, and "^do$" has 3 + 2 + 1 character n-grams.
        assert_eq!(per_token[0], 13 + 6);
        assert!(per_token.iter().all(|&c| c >= 13 + 3));
    }

    #[test]
    fn stretches_join_neighbouring_tokens_and_map_to_the_original() {
        let norm = Normalized::new("anh ấy đồ ngu thật");
        let s = stretches_at(&norm, &[0.1, 0.2, 0.9, 0.6, 0.1], 0.5);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].start, s[0].end), (7, 13));
        assert!((s[0].weight - 0.9).abs() < 1e-6);
        assert!(stretches_at(&norm, &[0.1; 5], 0.5).is_empty());
    }

    #[test]
    fn the_shipped_model_marks_the_insult_not_the_greeting() {
        let m = SpanModel::builtin();
        let norm = Normalized::new("chào bạn, mày là thằng óc chó");
        let s = m.stretches(&norm);
        let text: String = "chào bạn, mày là thằng óc chó".chars().collect();
        let picked: Vec<String> = s
            .iter()
            .map(|a| text.chars().skip(a.start).take(a.end - a.start).collect())
            .collect();
        assert!(picked.iter().any(|p| p.contains("óc chó")), "{picked:?}");
        assert!(picked.iter().all(|p| !p.contains("chào")), "{picked:?}");
    }

    #[test]
    fn tokens_taken_already_are_left_out_at_any_threshold() {
        let m = SpanModel::builtin();
        let norm = Normalized::new("đồ ngu");
        // At 0 every token is marked: one stretch over both words.
        let all = m.stretches_from(&norm, 0.0, |_, _| false);
        assert_eq!(
            all.iter().map(|a| (a.start, a.end)).collect::<Vec<_>>(),
            [(0, 6)]
        );
        // "ngu" (chars 3..6) taken: the stretch stops before it, even at 0.
        let rest = m.stretches_from(&norm, 0.0, |start, _| start >= 3);
        assert_eq!(
            rest.iter().map(|a| (a.start, a.end)).collect::<Vec<_>>(),
            [(0, 2)]
        );
    }
}
