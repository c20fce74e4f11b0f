//! Bounded decoding of profile photos: JPEG, PNG and WebP only, with a byte-size cap, a cap on
//! width and height read from the header before any pixel is decoded, and an allocation limit
//! for the decoder, so that a decompression bomb (a few kilobytes of PNG that would expand to
//! gigabytes) is refused with an error instead of exhausting memory.

use image::{DynamicImage, ImageError, ImageFormat, ImageReader};
use std::fmt;
use std::io::Cursor;

/// How large a photo may be. The defaults are generous for profile photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The largest encoded file accepted, in bytes.
    pub max_bytes: usize,
    /// The largest width, in pixels.
    pub max_width: u32,
    /// The largest height, in pixels.
    pub max_height: u32,
    /// The most memory the decoder may allocate, in bytes.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_bytes: 16 << 20,
            max_width: 8192,
            max_height: 8192,
            max_alloc: 128 << 20,
        }
    }
}

/// Why a photo could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoError {
    /// No bytes at all.
    Empty,
    /// The file is larger than [`DecodeLimits::max_bytes`].
    TooManyBytes { bytes: usize, max: usize },
    /// Not a JPEG, PNG or WebP file (the detected format, if any).
    UnsupportedFormat(Option<String>),
    /// The header announces an image wider or taller than the limits.
    TooLarge {
        width: u32,
        height: u32,
        max_width: u32,
        max_height: u32,
    },
    /// Decoding would need more memory than [`DecodeLimits::max_alloc`].
    TooMuchMemory { max_alloc: u64 },
    /// The file is damaged or not what its header says.
    Corrupt(String),
}

impl PhotoError {
    /// A stable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Empty => "empty",
            PhotoError::TooManyBytes { .. } => "too_many_bytes",
            PhotoError::UnsupportedFormat(_) => "unsupported_format",
            PhotoError::TooLarge { .. } => "too_large",
            PhotoError::TooMuchMemory { .. } => "too_much_memory",
            PhotoError::Corrupt(_) => "corrupt",
        }
    }

    /// The error in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            PhotoError::Empty => "tệp ảnh rỗng".into(),
            PhotoError::TooManyBytes { bytes, max } => {
                format!("tệp ảnh quá lớn ({bytes} byte, tối đa {max} byte)")
            }
            PhotoError::UnsupportedFormat(_) => {
                "không phải ảnh JPEG, PNG hoặc WebP".into()
            }
            PhotoError::TooLarge {
                width,
                height,
                max_width,
                max_height,
            } => format!(
                "ảnh quá lớn ({width}×{height} điểm ảnh, tối đa {max_width}×{max_height}); bị từ chối để tránh bom giải nén"
            ),
            PhotoError::TooMuchMemory { .. } => {
                "giải mã ảnh cần quá nhiều bộ nhớ; bị từ chối để tránh bom giải nén".into()
            }
            PhotoError::Corrupt(_) => "tệp ảnh bị hỏng, không giải mã được".into(),
        }
    }
}

impl fmt::Display for PhotoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhotoError::Empty => write!(f, "the photo file is empty"),
            PhotoError::TooManyBytes { bytes, max } => {
                write!(f, "the photo file is too large ({bytes} bytes, at most {max})")
            }
            PhotoError::UnsupportedFormat(None) => {
                write!(f, "not a JPEG, PNG or WebP image")
            }
            PhotoError::UnsupportedFormat(Some(fmt)) => {
                write!(f, "{fmt} images are not accepted: only JPEG, PNG or WebP")
            }
            PhotoError::TooLarge {
                width,
                height,
                max_width,
                max_height,
            } => write!(
                f,
                "the image is {width}×{height} pixels, more than the {max_width}×{max_height} accepted (refused as a possible decompression bomb)"
            ),
            PhotoError::TooMuchMemory { max_alloc } => write!(
                f,
                "decoding the image would need more than {} MiB of memory (refused as a possible decompression bomb)",
                max_alloc >> 20
            ),
            PhotoError::Corrupt(e) => write!(f, "the image cannot be decoded: {e}"),
        }
    }
}

impl std::error::Error for PhotoError {}

/// A decoded photo and the format it came in.
pub struct Decoded {
    pub image: DynamicImage,
    /// `"jpeg"`, `"png"` or `"webp"`.
    pub format: &'static str,
}

fn format_name(f: ImageFormat) -> Option<&'static str> {
    match f {
        ImageFormat::Jpeg => Some("jpeg"),
        ImageFormat::Png => Some("png"),
        ImageFormat::WebP => Some("webp"),
        _ => None,
    }
}

/// Decodes JPEG, PNG or WebP bytes within `limits`.
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Decoded, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooManyBytes {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let format = image::guess_format(bytes).map_err(|_| PhotoError::UnsupportedFormat(None))?;
    let name = format_name(format)
        .ok_or_else(|| PhotoError::UnsupportedFormat(Some(format!("{format:?}"))))?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_width);
    decoder_limits.max_image_height = Some(limits.max_height);
    decoder_limits.max_alloc = Some(limits.max_alloc);

    // The header first: a clear error for oversize images before any pixel is decoded.
    let header = ImageReader::with_format(Cursor::new(bytes), format);
    let (width, height) = header.into_dimensions().map_err(to_error(limits))?;
    if width > limits.max_width || height > limits.max_height {
        return Err(PhotoError::TooLarge {
            width,
            height,
            max_width: limits.max_width,
            max_height: limits.max_height,
        });
    }
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt("the image has no pixels".into()));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decoder_limits);
    let image = reader.decode().map_err(to_error(limits))?;
    Ok(Decoded {
        image,
        format: name,
    })
}

fn to_error(limits: &DecodeLimits) -> impl Fn(ImageError) -> PhotoError + '_ {
    move |e| match e {
        ImageError::Limits(_) => PhotoError::TooMuchMemory {
            max_alloc: limits.max_alloc,
        },
        ImageError::Unsupported(u) => PhotoError::Corrupt(u.to_string()),
        other => PhotoError::Corrupt(other.to_string()),
    }
}
