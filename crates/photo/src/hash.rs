//! Perceptual hashes of photos, to find the same picture used by two accounts (CS-2,
//! impersonation).
//!
//! The hash is `image_hasher`'s double gradient at hash size 16×16: the grey image shrunk to
//! 9×9 cells, each cell compared with its right and lower neighbours — 144 bits, written as 36
//! hex digits. Copies of one picture (re-encoded as JPEG or WebP at another quality, resized,
//! brightened or darkened, greyed, softened) stay within [`SAME_PHOTO_MAX_DISTANCE`] bits of each
//! other; different photographs are about half the bits apart. A mirrored, rotated or cropped
//! copy is a different picture to this hash.

use image::DynamicImage;
use image_hasher::{FilterType, HashAlg, Hasher, HasherConfig};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// The hash's size in bits.
pub const HASH_BITS: u32 = 144;

/// Two hashes at most this many bits apart (of [`HASH_BITS`]) are the same photo.
///
/// Measured on the photo evaluation set (`scripts/photo-set.py`): copies of one portrait
/// re-encoded as JPEG at quality 35 or WebP, resized from 400 to 120 pixels, greyed, blurred,
/// darkened or brightened by 30% were 0–6 bits from the original; among 13,366 pairs of
/// distinct pictures (faces, group photos, scenes) the closest were 12 bits apart (two
/// composites sharing half their picture; two tightly cropped faces on the same plain border),
/// the 1st percentile 21 and the median 63. The crate's tests check resized and re-encoded
/// copies against this threshold.
pub const SAME_PHOTO_MAX_DISTANCE: u32 = 10;

/// A perceptual hash of a photo.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhotoHash(Vec<u8>);

fn hasher() -> &'static Hasher {
    static H: OnceLock<Hasher> = OnceLock::new();
    H.get_or_init(|| {
        HasherConfig::new()
            .hash_alg(HashAlg::DoubleGradient)
            .hash_size(16, 16)
            .resize_filter(FilterType::Triangle)
            .to_hasher()
    })
}

impl PhotoHash {
    /// The hash of a decoded image.
    pub fn of(image: &DynamicImage) -> PhotoHash {
        PhotoHash(hasher().hash_image(image).as_bytes().to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The hash as lowercase hex.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    /// True when `other` is the same photo (within [`SAME_PHOTO_MAX_DISTANCE`]).
    pub fn same_photo(&self, other: &PhotoHash) -> bool {
        distance(self, other) <= SAME_PHOTO_MAX_DISTANCE
    }
}

/// The number of bits in which two hashes differ (Hamming distance). Hashes of different
/// lengths differ in every bit the shorter one lacks.
pub fn distance(a: &PhotoHash, b: &PhotoHash) -> u32 {
    let common: u32 =
        a.0.iter()
            .zip(&b.0)
            .map(|(x, y)| (x ^ y).count_ones())
            .sum();
    common + 8 * a.0.len().abs_diff(b.0.len()) as u32
}

impl fmt::Display for PhotoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A hash that is not an even number of hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHash;

impl fmt::Display for BadHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a photo hash is a non-empty, even number of hex digits")
    }
}

impl std::error::Error for BadHash {}

impl FromStr for PhotoHash {
    type Err = BadHash;
    fn from_str(s: &str) -> Result<Self, BadHash> {
        let s = s.trim();
        if s.is_empty() || s.len() % 2 == 1 || !s.is_ascii() {
            return Err(BadHash);
        }
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| BadHash))
            .collect::<Result<Vec<u8>, BadHash>>()
            .map(PhotoHash)
    }
}
