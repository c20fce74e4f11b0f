//! Colour and texture statistics of an image, for telling photographs from blank images,
//! logos and cartoons.
//!
//! The statistics are taken on a grid of at most [`GRID`]×[`GRID`] pixels of the full-size
//! image (no resampling, so the exact colours of flat areas and the sensor noise of photographs
//! are both kept); texture compares each grid pixel with its right and lower neighbours in the
//! full image.

use image::{DynamicImage, GenericImageView, Rgba};
use std::collections::HashMap;

/// The sampling grid's side.
pub const GRID: u32 = 160;

/// Two neighbouring pixels whose channels all differ by at most this much are "flat".
const FLAT_DELTA: i32 = 2;

/// What the photo checks look at.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImageStats {
    /// Pixels sampled.
    pub samples: u32,
    /// The fewest colours that cover 95% of the samples: a handful for logos and flat drawings,
    /// dozens to hundreds for photographs. Colours are counted at 5 bits per channel, and greys
    /// (the channels within a few levels of each other) at 8 bits, so that black-and-white
    /// photographs count their shades.
    pub colours_95: u32,
    /// Share of the samples in the most common colour.
    pub top_colour_share: f32,
    /// Share of the samples whose right and lower neighbours have the same colour (within a
    /// couple of levels): flat fills, as in logos, drawings and blank images.
    pub flat_share: f32,
    /// Share of the samples that are flat but not of the most common colour: flat fills other
    /// than a plain background (a cartoon's skin, a logo's letters).
    pub flat_foreground_share: f32,
    /// Share of the samples that are flat and skin-coloured: the face of a drawn person.
    pub flat_skin_share: f32,
    /// Share of the samples that are at least partly transparent.
    pub transparent_share: f32,
    /// Standard deviation of brightness (0–255).
    pub luma_std: f32,
}

/// The colour bin of a pixel: 8-bit grey for greys, else 5 bits per channel.
fn quantise(p: Rgba<u8>) -> u16 {
    let [r, g, b, _] = p.0;
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    if max - min <= GREY_CHROMA {
        let l = (r as u16 * 77 + g as u16 * 150 + b as u16 * 29) >> 8;
        0x8000 | l
    } else {
        ((r as u16 >> 3) << 10) | ((g as u16 >> 3) << 5) | (b as u16 >> 3)
    }
}

/// A pixel whose channels are this close is a grey.
const GREY_CHROMA: u8 = 6;

/// Skin tones under daylight (Kovač, Peer and Solina's RGB rule).
fn is_skin(p: Rgba<u8>) -> bool {
    let [r, g, b, _] = p.0.map(i32::from);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    r > 95 && g > 40 && b > 20 && max - min > 15 && (r - g).abs() > 15 && r > g && r > b
}

fn near(a: Rgba<u8>, b: Rgba<u8>) -> bool {
    a.0.iter()
        .zip(b.0.iter())
        .all(|(&x, &y)| (x as i32 - y as i32).abs() <= FLAT_DELTA)
}

/// Alpha-composites a pixel over white, as a viewer shows a transparent logo.
fn over_white(p: Rgba<u8>) -> Rgba<u8> {
    let a = p.0[3] as u32;
    if a == 255 {
        return p;
    }
    let mix = |c: u8| ((c as u32 * a + 255 * (255 - a)) / 255) as u8;
    Rgba([mix(p.0[0]), mix(p.0[1]), mix(p.0[2]), 255])
}

impl ImageStats {
    /// Statistics of a whole image.
    pub fn of(img: &DynamicImage) -> ImageStats {
        let (w, h) = img.dimensions();
        Self::of_region(img, 0, 0, w, h)
    }

    /// Statistics of a rectangle of an image (clamped to the image).
    pub fn of_region(img: &DynamicImage, x0: u32, y0: u32, rw: u32, rh: u32) -> ImageStats {
        let (w, h) = img.dimensions();
        let x0 = x0.min(w.saturating_sub(1));
        let y0 = y0.min(h.saturating_sub(1));
        let rw = rw.min(w - x0).max(1);
        let rh = rh.min(h - y0).max(1);
        let gw = rw.min(GRID);
        let gh = rh.min(GRID);
        let mut counts: HashMap<u16, u32> = HashMap::new();
        let (mut flat, mut flat_skin, mut transparent, mut n) = (0u32, 0u32, 0u32, 0u32);
        let mut flat_colours: Vec<u16> = Vec::with_capacity((gw * gh) as usize);
        let (mut sum, mut sum2) = (0f64, 0f64);
        for j in 0..gh {
            let y = y0 + (j as u64 * rh as u64 / gh as u64) as u32;
            for i in 0..gw {
                let x = x0 + (i as u64 * rw as u64 / gw as u64) as u32;
                let raw = img.get_pixel(x, y);
                if raw.0[3] < 250 {
                    transparent += 1;
                }
                let p = over_white(raw);
                let q = quantise(p);
                *counts.entry(q).or_insert(0) += 1;
                let right = if x + 1 < w {
                    over_white(img.get_pixel(x + 1, y))
                } else {
                    p
                };
                let down = if y + 1 < h {
                    over_white(img.get_pixel(x, y + 1))
                } else {
                    p
                };
                if near(p, right) && near(p, down) {
                    flat += 1;
                    flat_colours.push(q);
                    if is_skin(p) {
                        flat_skin += 1;
                    }
                }
                let l = 0.299 * p.0[0] as f64 + 0.587 * p.0[1] as f64 + 0.114 * p.0[2] as f64;
                sum += l;
                sum2 += l * l;
                n += 1;
            }
        }
        let top_colour = counts
            .iter()
            .max_by_key(|(&q, &c)| (c, std::cmp::Reverse(q)))
            .map(|(&q, _)| q);
        let mut sorted: Vec<u32> = counts.values().copied().collect();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let need = (n as f64 * 0.95).ceil() as u32;
        let (mut covered, mut colours_95) = (0u32, 0u32);
        for c in &sorted {
            if covered >= need {
                break;
            }
            covered += c;
            colours_95 += 1;
        }
        let flat_foreground = flat_colours
            .iter()
            .filter(|&&q| Some(q) != top_colour)
            .count() as u32;
        let nf = n.max(1) as f64;
        let mean = sum / nf;
        ImageStats {
            samples: n,
            colours_95,
            top_colour_share: (top_colour.map_or(0, |q| counts[&q]) as f64 / nf) as f32,
            flat_share: (flat as f64 / nf) as f32,
            flat_foreground_share: (flat_foreground as f64 / nf) as f32,
            flat_skin_share: (flat_skin as f64 / nf) as f32,
            transparent_share: (transparent as f64 / nf) as f32,
            luma_std: (sum2 / nf - mean * mean).max(0.0).sqrt() as f32,
        }
    }
}
