//! Profile-photo checks on images made here (flat colours, gradients, noise, logos, bombs), and
//! face-positive checks on the sample photograph that the `rustface` package ships (found by
//! the build script, never copied into the repository).

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use quytac_photo::{
    decode, distance, DecodeLimits, PhotoChecker, PhotoError, PhotoHash, Reason,
    SAME_PHOTO_MAX_DISTANCE,
};
use std::io::Cursor;

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn jpeg(img: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&img.to_rgb8())
        .unwrap();
    out
}

/// A deterministic "natural" picture: smooth random blobs of colour with fine noise.
fn blobs(seed: u64, w: u32, h: u32) -> DynamicImage {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as f32 / (1u64 << 31) as f32
    };
    let centres: Vec<(f32, f32, f32, [f32; 3])> = (0..12)
        .map(|_| {
            (
                next() * w as f32,
                next() * h as f32,
                20.0 + next() * w as f32 / 3.0,
                [next() * 255.0, next() * 255.0, next() * 255.0],
            )
        })
        .collect();
    let img = RgbImage::from_fn(w, h, |x, y| {
        let (mut acc, mut wsum) = ([0f32; 3], 0f32);
        for &(cx, cy, r, c) in &centres {
            let d2 = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)) / (r * r);
            let wgt = (-d2).exp();
            for k in 0..3 {
                acc[k] += c[k] * wgt;
            }
            wsum += wgt;
        }
        let n = ((x * 7919 + y * 104729) % 13) as f32 - 6.0;
        Rgb(acc.map(|v| (v / wsum.max(1e-6) + n).clamp(0.0, 255.0) as u8))
    });
    DynamicImage::ImageRgb8(img)
}

// --- A valid PNG decompression bomb, written by hand -------------------------------------

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, bits: u32) {
        self.acc |= (value as u64) << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, bits: u32) {
        let rev = code.reverse_bits() >> (32 - bits);
        self.put(rev, bits);
    }
}

/// A zlib stream of `n` zero bytes: one fixed-Huffman block of a literal zero and copies of
/// 258 bytes at distance 1 (about 1:1000, the most deflate allows).
fn zlib_zeros(n: u64) -> Vec<u8> {
    let mut b = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman codes
    b.code(0x30, 8); // literal 0
    let mut left = n - 1;
    while left >= 258 {
        b.code(0xc5, 8); // length 258 (symbol 285)
        b.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        b.code(0x30, 8);
    }
    b.code(0, 7); // end of block
    if b.n > 0 {
        b.put(0, 8 - b.n);
    }
    let adler = ((n % 65521) << 16) as u32 | 1;
    b.out.extend_from_slice(&adler.to_be_bytes());
    b.out
}

/// A PNG of zeros: `colour` 0 grey, 6 RGBA; `depth` 8 or 16.
fn png_bomb(width: u32, height: u32, colour: u8, depth: u8) -> Vec<u8> {
    let channels = if colour == 6 { 4 } else { 1 };
    let row = 1 + width as u64 * channels * depth as u64 / 8;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, colour, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_zeros(row * height as u64));
    chunk(&mut out, b"IEND", &[]);
    out
}

// --- Tests ------------------------------------------------------------------------------

#[test]
fn a_flat_colour_is_blank() {
    let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(300, 300, Rgb([40, 90, 200])));
    for bytes in [
        encode(&img, ImageFormat::Png),
        jpeg(&img, 85),
        encode(&img, ImageFormat::WebP),
    ] {
        let r = PhotoChecker::new().check(&bytes).unwrap();
        assert_eq!(r.problems, vec![Reason::Blank]);
        assert!(!r.is_one_real_face());
    }
}

#[test]
fn gradients_noise_and_pictures_without_people_have_no_face() {
    let gradient = DynamicImage::ImageRgb8(RgbImage::from_fn(400, 300, |x, y| {
        Rgb([(x * 255 / 400) as u8, (y * 255 / 300) as u8, 128])
    }));
    let mut s = 7u32;
    let noise = DynamicImage::ImageRgb8(RgbImage::from_fn(256, 256, |_, _| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        Rgb([s as u8, (s >> 8) as u8, (s >> 16) as u8])
    }));
    for (name, img) in [
        ("gradient", gradient),
        ("noise", noise),
        ("blobs", blobs(3, 320, 320)),
    ] {
        let r = PhotoChecker::new()
            .check(&encode(&img, ImageFormat::Png))
            .unwrap();
        assert!(!r.is_one_real_face(), "{name}: {r:?}");
        assert!(r.faces.is_empty(), "{name}: {:?}", r.faces);
    }
}

#[test]
fn a_small_logo_is_logo_like() {
    // A red disc with a yellow bar on a transparent background, 64×64.
    let logo = RgbaImage::from_fn(64, 64, |x, y| {
        let (dx, dy) = (x as i32 - 32, y as i32 - 32);
        if (28..36).contains(&y) && (12..52).contains(&x) {
            Rgba([255, 205, 0, 255])
        } else if dx * dx + dy * dy < 28 * 28 {
            Rgba([218, 37, 29, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let r = PhotoChecker::new()
        .check(&encode(
            &DynamicImage::ImageRgba8(logo.clone()),
            ImageFormat::Png,
        ))
        .unwrap();
    assert!(r.problems.contains(&Reason::LogoLike), "{r:?}");
    // The same logo flattened on white is still a logo, as a PNG and as a JPEG of a
    // reasonable size; a 64-pixel JPEG is too blurred by compression to tell from a picture,
    // but is still no face.
    let flat = DynamicImage::ImageRgba8(logo).to_rgb8();
    let flat = DynamicImage::ImageRgb8(RgbImage::from_fn(64, 64, |x, y| {
        let p = flat.get_pixel(x, y);
        if p.0 == [0, 0, 0] {
            Rgb([255, 255, 255])
        } else {
            *p
        }
    }));
    let checker = PhotoChecker::new();
    let r = checker.check(&encode(&flat, ImageFormat::Png)).unwrap();
    assert!(r.problems.contains(&Reason::LogoLike), "{r:?}");
    let big = flat.resize_exact(256, 256, image::imageops::FilterType::Nearest);
    let r = checker.check(&jpeg(&big, 85)).unwrap();
    assert!(r.problems.contains(&Reason::LogoLike), "{r:?}");
    assert!(!checker.check(&jpeg(&flat, 85)).unwrap().is_one_real_face());
}

#[test]
fn decompression_bombs_are_refused() {
    // 20000×20000 grey zeros: 400 MB of pixels in a file of a few MB.
    let bomb = png_bomb(20_000, 20_000, 0, 8);
    assert!(bomb.len() < 3 << 20);
    let e = PhotoChecker::new().check(&bomb).unwrap_err();
    assert!(
        matches!(e, PhotoError::TooLarge { width: 20_000, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("decompression bomb"), "{e}");
    // Within the width and height limits, but 8000×8000 RGBA at 16 bits is 512 MB.
    let bomb = png_bomb(8_000, 8_000, 6, 16);
    let e = PhotoChecker::new().check(&bomb).unwrap_err();
    assert!(matches!(e, PhotoError::TooMuchMemory { .. }), "{e}");
    // The same kind of file, small, decodes: the generator makes valid PNGs.
    let small = decode(&png_bomb(64, 48, 0, 8), &DecodeLimits::default()).unwrap();
    assert_eq!((small.image.width(), small.image.height()), (64, 48));
    assert_eq!(small.format, "png");
}

#[test]
fn bad_files_are_errors_not_panics() {
    let checker = PhotoChecker::new();
    assert_eq!(checker.check(&[]).unwrap_err(), PhotoError::Empty);
    assert!(matches!(
        checker.check(b"hello, not an image").unwrap_err(),
        PhotoError::UnsupportedFormat(None)
    ));
    assert!(matches!(
        checker
            .check(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
            .unwrap_err(),
        PhotoError::UnsupportedFormat(Some(_))
    ));
    let png = encode(&blobs(1, 200, 200), ImageFormat::Png);
    assert!(matches!(
        checker.check(&png[..png.len() / 2]).unwrap_err(),
        PhotoError::Corrupt(_)
    ));
    let mut jpg = jpeg(&blobs(1, 200, 200), 80);
    jpg.truncate(300);
    assert!(checker.check(&jpg).is_err());
    let small = PhotoChecker::with_limits(DecodeLimits {
        max_bytes: 1000,
        ..DecodeLimits::default()
    });
    assert!(matches!(
        small.check(&png).unwrap_err(),
        PhotoError::TooManyBytes { .. }
    ));
    for e in [PhotoError::Empty, PhotoError::Corrupt("x".into())] {
        assert!(!e.message_vi().is_empty() && !e.code().is_empty());
    }
}

#[test]
fn tiny_and_thin_images_do_not_panic() {
    let checker = PhotoChecker::new();
    for (w, h) in [(1, 1), (3, 500), (500, 3), (39, 39), (41, 41), (8000, 2)] {
        let img = blobs(w as u64, w, h);
        let r = checker.check(&encode(&img, ImageFormat::Png)).unwrap();
        assert!(!r.is_one_real_face(), "{w}×{h}");
    }
}

#[test]
fn resized_and_reencoded_copies_have_close_hashes() {
    let checker = PhotoChecker::new();
    let hash = |bytes: &[u8]| checker.check(bytes).unwrap().hash;
    let original = blobs(42, 480, 480);
    let h0 = hash(&encode(&original, ImageFormat::Png));
    let copies = [
        jpeg(&original, 95),
        jpeg(&original, 40),
        encode(&original, ImageFormat::WebP),
        encode(
            &original.resize_exact(240, 240, image::imageops::FilterType::Triangle),
            ImageFormat::Png,
        ),
        jpeg(
            &original.resize_exact(160, 160, image::imageops::FilterType::Lanczos3),
            70,
        ),
        encode(
            &original.resize_exact(800, 800, image::imageops::FilterType::CatmullRom),
            ImageFormat::Png,
        ),
        jpeg(&original.brighten(20), 85),
    ];
    for (i, c) in copies.iter().enumerate() {
        let d = distance(&h0, &hash(c));
        assert!(d <= SAME_PHOTO_MAX_DISTANCE, "copy {i}: {d} bits");
        assert!(h0.same_photo(&hash(c)));
    }
    for seed in [1, 2, 5, 9, 77] {
        let other = hash(&encode(&blobs(seed, 480, 480), ImageFormat::Png));
        let d = distance(&h0, &other);
        assert!(d > SAME_PHOTO_MAX_DISTANCE * 2, "picture {seed}: {d} bits");
    }
    // The hash as text and back.
    let hex = h0.to_hex();
    assert_eq!(hex.len() as u32 * 4, quytac_photo::HASH_BITS);
    assert_eq!(hex.parse::<PhotoHash>().unwrap(), h0);
    assert!("abc".parse::<PhotoHash>().is_err());
    assert!("zz".parse::<PhotoHash>().is_err());
}

// --- Face-positive checks on the rustface package's sample photograph ------------------

/// The 1927 Solvay conference photograph that the rustface package ships, with the faces boxed
/// in red by its demo.
fn solvay() -> DynamicImage {
    let path = std::path::Path::new(env!("QUYTAC_RUSTFACE_DIR")).join("test.png");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the rustface package's sample)", path.display()));
    decode(&bytes, &DecodeLimits::default()).unwrap().image
}

/// A head-and-shoulders crop around a face box of the photograph, enlarged to 240×240.
fn portrait(img: &DynamicImage, x0: u32, y0: u32, x1: u32, y1: u32) -> DynamicImage {
    let w = x1 - x0;
    let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2 + w / 6);
    let half = w * 85 / 100;
    img.crop_imm(cx - half, cy - half, 2 * half, 2 * half)
        .resize_exact(240, 240, image::imageops::FilterType::CatmullRom)
}

#[test]
fn a_group_photo_has_several_faces_and_a_portrait_one() {
    let checker = PhotoChecker::new();
    let group = solvay();
    let r = checker.check_image(&group.crop_imm(180, 150, 420, 300), "png");
    assert!(r.problems.contains(&Reason::SeveralFaces), "{r:?}");
    assert!(r.faces.len() >= 2);

    let einstein = portrait(&group, 865, 250, 926, 311);
    let r = checker.check(&encode(&einstein, ImageFormat::Png)).unwrap();
    assert!(r.is_one_real_face(), "{r:?}");
    assert_eq!(r.faces.len(), 1);
    let f = r.faces[0];
    assert!(f.width >= 60 && f.x < 120 && f.y < 120, "{f:?}");

    // Cut out on a transparent background, the portrait is still a photograph.
    let mut cut = einstein.to_rgba8();
    for (x, y, p) in cut.enumerate_pixels_mut() {
        let (dx, dy) = (x as f32 - 120.0, y as f32 - 110.0);
        if dx * dx / (95.0 * 95.0) + dy * dy / (115.0 * 115.0) > 1.0 {
            p.0[3] = 0;
        }
    }
    let c = checker
        .check(&encode(&DynamicImage::ImageRgba8(cut), ImageFormat::Png))
        .unwrap();
    assert!(c.stats.transparent_share > 0.3);
    assert!(c.is_one_real_face(), "{c:?}");

    // The same portrait re-encoded is the same photo; another person's is not.
    let again = checker.check(&jpeg(&einstein, 50)).unwrap();
    assert!(again.is_one_real_face());
    assert!(distance(&r.hash, &again.hash) <= SAME_PHOTO_MAX_DISTANCE);
    let other = portrait(&group, 566, 198, 623, 255);
    let o = checker.check(&encode(&other, ImageFormat::Png)).unwrap();
    assert!(o.is_one_real_face(), "{o:?}");
    assert!(distance(&r.hash, &o.hash) > SAME_PHOTO_MAX_DISTANCE);

    // The face as a small part of a wide picture is too small.
    let mut canvas = blobs(11, 900, 900).to_rgb8();
    image::imageops::overlay(
        &mut canvas,
        &einstein
            .resize_exact(110, 110, image::imageops::FilterType::Triangle)
            .to_rgb8(),
        400,
        400,
    );
    let r = checker.check_image(&DynamicImage::ImageRgb8(canvas), "png");
    assert!(!r.is_one_real_face(), "{r:?}");
}
