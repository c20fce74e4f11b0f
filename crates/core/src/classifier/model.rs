//! The model file: quantisation of trained weights and the byte format.
//!
//! Layout (little-endian):
//!
//! ```text
//! magic  b"QTCLS\0\0\x02"                      8 bytes (the last byte is the format version)
//! header_len u32, header JSON                   spec, scales, biases, calibration, thresholds,
//!                                               toxic_threshold (version 2), description
//! buckets u32                                   must equal 2^spec.hash_bits
//! records                                       until all buckets are covered:
//!                                               varint zero_run, then 3 × i8 weights of the
//!                                               next bucket (a run may end the table: then the
//!                                               record has no weights)
//! checksum u64                                  FNV-1a of every byte before it
//! ```
//!
//! Most buckets of a hashed model are never seen in training and stay zero, so the runs keep
//! the file to a few megabytes without a compression library.

use super::features::{fnv_bytes, FNV_OFFSET};
use super::{Calibration, Classifier, FeatureSpec, Thresholds};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Version 2 added `toxic_threshold` to the header; version 1 files are still read (without
/// one).
const MAGIC: &[u8; 8] = b"QTCLS\0\0\x02";
const MAGIC_V1: &[u8; 8] = b"QTCLS\0\0\x01";

/// Why a model file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelError {
    /// Not a quytac classifier file, or a format version this build does not read.
    BadMagic,
    /// The file ends early or has bytes after the end.
    Truncated,
    /// The checksum does not match: the file was damaged.
    Checksum,
    /// The header or the table does not make sense.
    Invalid(String),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::BadMagic => {
                f.write_str("not a quytac classifier model (bad magic or version)")
            }
            ModelError::Truncated => f.write_str("model file is truncated"),
            ModelError::Checksum => f.write_str("model file is damaged (checksum mismatch)"),
            ModelError::Invalid(why) => write!(f, "invalid model file: {why}"),
        }
    }
}

impl std::error::Error for ModelError {}

#[derive(Serialize, Deserialize)]
struct Header {
    spec: FeatureSpec,
    scale: [f32; 3],
    bias: [f32; 3],
    calibration: Calibration,
    thresholds: Thresholds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    toxic_threshold: Option<f32>,
    description: String,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Starts a file: its magic, then its header as JSON after its length (u32), with room for
/// `more` bytes of weights.
pub(crate) fn begin(magic: &[u8; 8], header: &impl Serialize, more: usize) -> Vec<u8> {
    let json = serde_json::to_vec(header).unwrap_or_default();
    let mut out = Vec::with_capacity(magic.len() + 4 + json.len() + more + 16);
    out.extend_from_slice(magic);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out
}

/// Ends a file: appends the FNV-1a checksum of every byte before it.
pub(crate) fn seal(mut out: Vec<u8>) -> Vec<u8> {
    let sum = fnv_bytes(FNV_OFFSET, &out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Writes a weight table (a u32 count, then records of a varint zero run and the `K` weights
/// of the next non-zero entry; a run may end the table).
pub(crate) fn put_table<const K: usize>(
    out: &mut Vec<u8>,
    table: impl ExactSizeIterator<Item = [i8; K]>,
) {
    out.extend_from_slice(&(table.len() as u32).to_le_bytes());
    let mut run = 0u64;
    for w in table {
        if w == [0; K] {
            run += 1;
            continue;
        }
        put_varint(out, run);
        out.extend(w.iter().map(|&x| x as u8));
        run = 0;
    }
    if run > 0 {
        put_varint(out, run);
    }
}

/// Reads the body of a file checked by its checksum; never panics on bad input.
pub(crate) struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Checks the checksum of a whole file and starts reading after its magic of `skip` bytes
    /// (checked by the caller).
    pub(crate) fn open(bytes: &'a [u8], skip: usize) -> Result<Reader<'a>, ModelError> {
        if bytes.len() < skip + 8 + 4 {
            return Err(ModelError::Truncated);
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        if fnv_bytes(FNV_OFFSET, body) != u64::from_le_bytes(sum.try_into().unwrap_or([0; 8])) {
            return Err(ModelError::Checksum);
        }
        Ok(Reader { b: body, at: skip })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self.at.checked_add(n).ok_or(ModelError::Truncated)?;
        let s = self.b.get(self.at..end).ok_or(ModelError::Truncated)?;
        self.at = end;
        Ok(s)
    }

    /// Reads the header written by [`begin`].
    pub(crate) fn header<H: serde::de::DeserializeOwned>(&mut self) -> Result<H, ModelError> {
        let len = self.u32()? as usize;
        serde_json::from_slice(self.take(len)?)
            .map_err(|e| ModelError::Invalid(format!("header: {e}")))
    }

    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or([0; 4]),
        ))
    }

    fn varint(&mut self) -> Result<u64, ModelError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(ModelError::Invalid("varint too long".into()))
    }

    /// Reads a table written by [`put_table`], which must hold `n` entries.
    pub(crate) fn table<const K: usize>(&mut self, n: usize) -> Result<Vec<[i8; K]>, ModelError> {
        let count = self.u32()? as usize;
        if count != n {
            return Err(ModelError::Invalid(format!(
                "{count} buckets where the header says {n}"
            )));
        }
        let mut table = vec![[0i8; K]; n];
        let mut at = 0usize;
        while at < n {
            let run = self.varint()?;
            if run > (n - at) as u64 {
                return Err(ModelError::Invalid(
                    "zero run past the end of the table".into(),
                ));
            }
            at += run as usize;
            if at == n {
                break;
            }
            let w = self.take(K)?;
            table[at] = std::array::from_fn(|k| w[k] as i8);
            at += 1;
        }
        Ok(table)
    }

    /// Checks that nothing follows what was read.
    pub(crate) fn finish(&self) -> Result<(), ModelError> {
        if self.at != self.b.len() {
            return Err(ModelError::Invalid("bytes after the weight table".into()));
        }
        Ok(())
    }
}

/// Quantises float weights (`[bucket][class]`) to one signed byte per weight, with one scale
/// per class chosen so that the largest weight maps to ±127.
pub(crate) fn quantize(weights: &[[f32; 3]]) -> (Vec<[i8; 4]>, [f32; 3]) {
    let mut max = [0f32; 3];
    for w in weights {
        for c in 0..3 {
            max[c] = max[c].max(w[c].abs());
        }
    }
    let scale = max.map(|m| if m > 0.0 { m / 127.0 } else { 1.0 });
    let q = weights
        .iter()
        .map(|w| {
            let mut out = [0i8; 4];
            for c in 0..3 {
                out[c] = (w[c] / scale[c]).round().clamp(-127.0, 127.0) as i8;
            }
            out
        })
        .collect();
    (q, scale)
}

impl Classifier {
    /// Serialises the model. The bytes are a pure function of the model, so identical training
    /// gives identical files.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            spec: self.spec.clone(),
            scale: self.scale,
            bias: self.bias,
            calibration: self.calibration,
            thresholds: self.thresholds,
            toxic_threshold: self.toxic_threshold,
            description: self.description.clone(),
        };
        let mut out = begin(MAGIC, &header, self.weights.len() / 2);
        put_table(&mut out, self.weights.iter().map(|w| [w[0], w[1], w[2]]));
        seal(out)
    }

    /// Reads a model written by [`Classifier::to_bytes`]. Never panics on bad input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier, ModelError> {
        let magic = bytes.get(..MAGIC.len());
        if magic != Some(&MAGIC[..]) && magic != Some(&MAGIC_V1[..]) {
            return Err(ModelError::BadMagic);
        }
        let mut r = Reader::open(bytes, MAGIC.len())?;
        let header: Header = r.header()?;
        header.spec.validate().map_err(ModelError::Invalid)?;
        let mut numbers = header
            .scale
            .iter()
            .chain(&header.bias)
            .chain(&header.calibration.bias);
        let t = header.calibration.temperature;
        let temperature_ok = t.is_finite() && t > 0.0;
        let toxic_ok = header
            .toxic_threshold
            .is_none_or(|x| (0.0..=1.0).contains(&x));
        if !temperature_ok || !toxic_ok || numbers.any(|x| !x.is_finite()) {
            return Err(ModelError::Invalid(
                "non-finite scale, bias or temperature, or a toxic threshold outside 0..1".into(),
            ));
        }
        let weights = r
            .table::<3>(header.spec.buckets())?
            .into_iter()
            .map(|w| [w[0], w[1], w[2], 0])
            .collect();
        r.finish()?;
        Ok(Classifier {
            spec: header.spec,
            weights,
            scale: header.scale,
            bias: header.bias,
            calibration: header.calibration,
            thresholds: header.thresholds,
            toxic_threshold: header.toxic_threshold,
            description: header.description,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::{FeatureSpec, Label};
    use proptest::prelude::*;

    fn tiny() -> Classifier {
        let spec = FeatureSpec {
            hash_bits: 10,
            ..FeatureSpec::default()
        };
        let mut w = vec![[0f32; 3]; spec.buckets()];
        w[3] = [0.5, -1.0, 2.0];
        w[700] = [-0.25, 0.0, 0.125];
        let (weights, scale) = quantize(&w);
        Classifier {
            spec,
            weights,
            scale,
            bias: [0.1, -0.2, 0.3],
            calibration: Calibration {
                temperature: 1.5,
                bias: [0.0, 0.1, -0.1],
            },
            thresholds: Thresholds {
                offensive: 0.4,
                hate: 0.6,
            },
            toxic_threshold: Some(0.3),
            description: "test".into(),
        }
    }

    #[test]
    fn round_trips() {
        let m = tiny();
        let b = m.to_bytes();
        let back = Classifier::from_bytes(&b).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_bytes(), b);
        let p = back.predict_text("xin chào");
        assert!((p.probs.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(Label::ALL.contains(&p.label()));
    }

    #[test]
    fn reads_version_1_files_without_a_toxic_threshold() {
        let mut m = tiny();
        m.toxic_threshold = None;
        let mut b = m.to_bytes();
        b.truncate(b.len() - 8);
        b[..MAGIC_V1.len()].copy_from_slice(MAGIC_V1);
        let sum = fnv_bytes(FNV_OFFSET, &b);
        b.extend_from_slice(&sum.to_le_bytes());
        assert_eq!(Classifier::from_bytes(&b), Ok(m));
        // A toxic threshold that is no probability is refused.
        let mut bad = tiny();
        bad.toxic_threshold = Some(1.5);
        assert!(matches!(
            Classifier::from_bytes(&bad.to_bytes()),
            Err(ModelError::Invalid(_))
        ));
    }

    #[test]
    fn quantisation_keeps_the_largest_weight() {
        let (q, s) = quantize(&[[1.0, -2.0, 0.0], [0.5, 1.0, 0.0]]);
        assert_eq!(q[0][..3], [127, -127, 0]);
        assert_eq!(q[1][0], 64);
        assert!((s[1] - 2.0 / 127.0).abs() < 1e-7);
    }

    #[test]
    fn rejects_damaged_files() {
        let b = tiny().to_bytes();
        assert_eq!(Classifier::from_bytes(b"nope"), Err(ModelError::BadMagic));
        assert_eq!(Classifier::from_bytes(&b[..20]), Err(ModelError::Checksum));
        let mut bad = b.clone();
        bad[30] ^= 1;
        assert_eq!(Classifier::from_bytes(&bad), Err(ModelError::Checksum));
    }

    proptest! {
        #[test]
        fn never_panics_on_garbage(tail in prop::collection::vec(any::<u8>(), 0..300)) {
            let mut b = MAGIC.to_vec();
            b.extend(tail);
            let _ = Classifier::from_bytes(&b);
            // With a valid checksum the parser itself must cope too.
            let sum = fnv_bytes(FNV_OFFSET, &b);
            b.extend_from_slice(&sum.to_le_bytes());
            let _ = Classifier::from_bytes(&b);
        }
    }
}
