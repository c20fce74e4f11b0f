//! Profile photos for quytac (CS-2: "… và hình ảnh thật của cá nhân"): does a profile photo
//! show exactly one real human face of a reasonable size, and is it the same picture as
//! another account's?
//!
//! The library takes the photo's bytes and does no I/O. [`PhotoChecker::check`]:
//!
//! 1. decodes JPEG, PNG or WebP within [`DecodeLimits`] (bytes, width, height, decoder memory),
//!    so a decompression bomb is refused with a [`PhotoError`];
//! 2. measures colours and texture ([`ImageStats`]) to flag blank or flat-colour images, logos
//!    and cartoon-like drawings;
//! 3. finds faces with `rustface` and the SeetaFace frontal model its package ships (embedded at
//!    build time; BSD-2-Clause, see `NOTICE`), on a copy shrunk to at most 320 pixels;
//! 4. computes a perceptual hash ([`PhotoHash`]) that the service compares across accounts with
//!    [`distance`] and [`SAME_PHOTO_MAX_DISTANCE`].
//!
//! Each problem is a [`Reason`] with a stable code and messages in Vietnamese and English.

mod decode;
mod faces;
mod hash;
mod stats;

pub use decode::{decode, DecodeLimits, Decoded, PhotoError};
pub use faces::{detect_faces, DetectorSettings, Face};
pub use hash::{distance, BadHash, PhotoHash, HASH_BITS, SAME_PHOTO_MAX_DISTANCE};
pub use stats::ImageStats;

use image::{DynamicImage, GenericImageView};

/// Why a photo is not one real face of a reasonable size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// A blank or flat-colour image.
    Blank,
    /// Few colours in large flat areas, or transparency: a logo, an emblem, a text card.
    LogoLike,
    /// Flat fills of a few colours in the picture: a drawing, a cartoon, an avatar.
    CartoonLike,
    /// No face found.
    NoFace,
    /// Two or more faces of comparable size: a group photo.
    SeveralFaces,
    /// One face, but too small a part of the picture to identify the person.
    FaceTooSmall,
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::Blank,
        Reason::LogoLike,
        Reason::CartoonLike,
        Reason::NoFace,
        Reason::SeveralFaces,
        Reason::FaceTooSmall,
    ];

    /// A stable code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Blank => "blank",
            Reason::LogoLike => "logo",
            Reason::CartoonLike => "cartoon",
            Reason::NoFace => "no_face",
            Reason::SeveralFaces => "several_faces",
            Reason::FaceTooSmall => "face_too_small",
        }
    }

    pub fn message_vi(self) -> &'static str {
        match self {
            Reason::Blank => "ảnh trống hoặc chỉ một màu",
            Reason::LogoLike => "ảnh giống biểu trưng (logo), không phải ảnh chân dung",
            Reason::CartoonLike => "ảnh giống tranh vẽ, hoạt hình, không phải ảnh chụp thật",
            Reason::NoFace => "không thấy khuôn mặt người trong ảnh",
            Reason::SeveralFaces => "ảnh có nhiều khuôn mặt (ảnh nhóm)",
            Reason::FaceTooSmall => "khuôn mặt quá nhỏ so với ảnh",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            Reason::Blank => "the image is blank or a single flat colour",
            Reason::LogoLike => "the image looks like a logo, not a portrait",
            Reason::CartoonLike => "the image looks like a drawing or cartoon, not a photograph",
            Reason::NoFace => "no human face was found in the photo",
            Reason::SeveralFaces => "the photo shows several faces (a group photo)",
            Reason::FaceTooSmall => "the face is too small a part of the photo",
        }
    }
}

/// Thresholds of the one-real-face decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub detector: DetectorSettings,
    /// The face's width must be at least this share of the photo's shorter side.
    pub min_face_fraction: f32,
    /// Faces narrower than this share of the widest face are background, not a second person.
    pub companion_face_fraction: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            detector: DetectorSettings::default(),
            min_face_fraction: 0.15,
            companion_face_fraction: 0.5,
        }
    }
}

/// What the checker found in a photo.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoReport {
    /// `"jpeg"`, `"png"` or `"webp"`.
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    /// Faces found, surest first (none are looked for in a blank image).
    pub faces: Vec<Face>,
    pub stats: ImageStats,
    /// Empty when the photo shows one real face of a reasonable size.
    pub problems: Vec<Reason>,
    pub hash: PhotoHash,
}

impl PhotoReport {
    /// True when the photo shows exactly one real face of a reasonable size.
    pub fn is_one_real_face(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks profile photos. Cheap to create and to share between threads.
#[derive(Debug, Clone, Default)]
pub struct PhotoChecker {
    pub limits: DecodeLimits,
    pub settings: Settings,
}

impl PhotoChecker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_limits(limits: DecodeLimits) -> Self {
        PhotoChecker {
            limits,
            settings: Settings::default(),
        }
    }

    /// Decodes and checks a photo given as the bytes of a JPEG, PNG or WebP file.
    pub fn check(&self, bytes: &[u8]) -> Result<PhotoReport, PhotoError> {
        let decoded = decode(bytes, &self.limits)?;
        Ok(self.check_image(&decoded.image, decoded.format))
    }

    /// Checks a decoded image (`format` is only reported back).
    pub fn check_image(&self, img: &DynamicImage, format: &'static str) -> PhotoReport {
        let (width, height) = img.dimensions();
        let stats = ImageStats::of(img);
        let hash = PhotoHash::of(img);
        let mut problems = Vec::new();
        let mut faces = Vec::new();
        if is_blank(&stats) {
            problems.push(Reason::Blank);
        } else {
            faces = detect_faces(img, &self.settings.detector);
            if let Some(r) = drawing(&stats, !faces.is_empty()) {
                problems.push(r);
            }
            problems.extend(self.face_problem(&faces, width.min(height)));
        }
        PhotoReport {
            format,
            width,
            height,
            faces,
            stats,
            problems,
            hash,
        }
    }

    fn face_problem(&self, faces: &[Face], short_side: u32) -> Option<Reason> {
        let Some(widest) = faces.iter().map(|f| f.width).max() else {
            return Some(Reason::NoFace);
        };
        let prominent = faces
            .iter()
            .filter(|f| f.width as f32 >= self.settings.companion_face_fraction * widest as f32)
            .count();
        if prominent >= 2 {
            Some(Reason::SeveralFaces)
        } else if (widest as f32) < self.settings.min_face_fraction * short_side as f32 {
            Some(Reason::FaceTooSmall)
        } else {
            None
        }
    }
}

/// One colour, or no brightness variation to speak of.
fn is_blank(s: &ImageStats) -> bool {
    s.top_colour_share >= 0.95 || s.luma_std < 4.0
}

/// A logo or a drawing rather than a photograph: few colours (at most 32 cover 95% of the
/// picture) in large flat areas (half of it), or transparency around something that is not a
/// face (a cut-out portrait on a transparent background is still a photograph). A flat drawing
/// with flat skin-coloured areas (4% of the picture) or a face in it is a cartoon; the rest
/// are logos, emblems, text cards and clip art.
fn drawing(s: &ImageStats, has_face: bool) -> Option<Reason> {
    let flat_drawing = s.colours_95 <= 32 && s.flat_share >= 0.5;
    if flat_drawing {
        Some(if has_face || s.flat_skin_share >= 0.04 {
            Reason::CartoonLike
        } else {
            Reason::LogoLike
        })
    } else if s.transparent_share >= 0.05 && !has_face {
        Some(Reason::LogoLike)
    } else {
        None
    }
}
