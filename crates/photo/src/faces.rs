//! Face detection with `rustface` (a Rust port of SeetaFace's funnel-structured cascade) and
//! the SeetaFace frontal model that its crates.io package ships, embedded at build time (see
//! `build.rs` and `NOTICE`).

use image::{imageops::FilterType, DynamicImage, GenericImageView};
use rustface::{ImageData, Model};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

static MODEL_BYTES: &[u8] = include_bytes!(env!("QUYTAC_SEETA_MODEL_PATH"));

/// The SeetaFace model, parsed once.
fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        rustface::read_model(MODEL_BYTES).expect("the embedded SeetaFace model is readable")
    })
}

/// A face found in a photo, in the photo's own pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// The cascade's score (higher is surer; the threshold is
    /// [`DetectorSettings::score_threshold`]).
    pub score: f64,
}

/// Settings of the face detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorSettings {
    /// Images are shrunk so that their longer side is at most this many pixels before
    /// detection: profile faces are large, and the cost grows with the area.
    pub max_side: u32,
    /// Small images are enlarged so that their shorter side is at least this many pixels (the
    /// detector's window is 40 pixels).
    pub min_side: u32,
    /// Smallest face looked for, in pixels of the detection image (rustface's minimum is 20).
    pub min_face_size: u32,
    /// Lowest cascade score kept (rustface's example uses 2.0; SeetaFace suggests 0.95–4.5).
    pub score_threshold: f64,
    /// Factor between the scales of the image pyramid.
    pub pyramid_scale: f32,
    /// Step of the sliding window, in pixels.
    pub step: u32,
}

impl Default for DetectorSettings {
    fn default() -> Self {
        DetectorSettings {
            max_side: 320,
            min_side: 120,
            min_face_size: 32,
            score_threshold: 2.0,
            pyramid_scale: 0.8,
            step: 4,
        }
    }
}

/// Smallest detection image side: the detector's 40-pixel window must fit.
const WINDOW: u32 = 40;

/// Finds the faces in an image.
pub fn detect_faces(img: &DynamicImage, s: &DetectorSettings) -> Vec<Face> {
    let (w, h) = img.dimensions();
    let (long, short) = (w.max(h) as f64, w.min(h) as f64);
    if short < 1.0 {
        return Vec::new();
    }
    let mut scale = 1.0f64;
    if long > s.max_side as f64 {
        scale = s.max_side as f64 / long;
    }
    if short * scale < s.min_side as f64 {
        // Enlarge, but never past twice the longest side allowed: a sliver of an image holds
        // no face.
        scale = (s.min_side as f64 / short).min(2.0 * s.max_side as f64 / long);
    }
    let nw = ((w as f64 * scale).round() as u32).max(1);
    let nh = ((h as f64 * scale).round() as u32).max(1);
    if nw.min(nh) < WINDOW {
        return Vec::new();
    }
    let gray = if (nw, nh) == (w, h) {
        img.to_luma8()
    } else if scale < 1.0 {
        img.thumbnail_exact(nw, nh).to_luma8()
    } else {
        img.resize_exact(nw, nh, FilterType::Triangle).to_luma8()
    };
    let faces = catch_unwind(AssertUnwindSafe(|| {
        let mut detector = rustface::create_detector_with_model(model().clone());
        detector.set_min_face_size(s.min_face_size.max(20));
        detector.set_score_thresh(s.score_threshold.max(0.01));
        detector.set_pyramid_scale_factor(s.pyramid_scale.clamp(0.1, 0.95));
        detector.set_slide_window_step(s.step.max(1), s.step.max(1));
        detector.detect(&ImageData::new(gray.as_raw(), nw, nh))
    }))
    // The detector is given only images it accepts (grey, at least its window in size); should
    // it fail anyway, the photo is reported as having no face rather than taking the batch down.
    .unwrap_or_default();
    let sx = w as f64 / nw as f64;
    let sy = h as f64 / nh as f64;
    let mut out: Vec<Face> = faces
        .iter()
        .map(|f| {
            let b = f.bbox();
            let x0 = (b.x().max(0) as f64 * sx) as u32;
            let y0 = (b.y().max(0) as f64 * sy) as u32;
            let x1 = (((b.x() as f64 + b.width() as f64) * sx) as u32).min(w);
            let y1 = (((b.y() as f64 + b.height() as f64) * sy) as u32).min(h);
            Face {
                x: x0.min(w.saturating_sub(1)),
                y: y0.min(h.saturating_sub(1)),
                width: x1.saturating_sub(x0).max(1),
                height: y1.saturating_sub(y0).max(1),
                score: f.score(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}
