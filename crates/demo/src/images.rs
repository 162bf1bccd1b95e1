//! The demo's photos and signatures: a small fixed set of real images, drawn here and encoded the
//! same way every time, so that the photo and signature hashes of the demo's visits name images
//! that exist. `bangfu-server demo` stores them in the server's photo store, and the field app
//! shows them like any photo a cadre took.
//!
//! - [`PHOTO_COUNT`] photos: 640 × 480 JPEGs of a farmhouse under hills (each with its own light,
//!   hills, fields and house), as the app keeps photos (JPEG, no EXIF);
//! - [`SIGNATURE_COUNT`] signatures: 480 × 160 PNGs of a dark scribble on white, as the app keeps
//!   the household's drawn signature.
//!
//! Each visit takes one or two different photos of the set and, if signed, one signature
//! ([`pick_photos`], [`pick_signature`]). The images depend on nothing but this file (and the
//! `image` crate's encoders, pinned by `Cargo.lock`): the drawing uses only exact arithmetic
//! (no `sin` from the platform's maths library), so every machine gets the same bytes and hashes.

use std::io::Cursor;
use std::sync::OnceLock;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{GrayImage, ImageEncoder as _, Luma, Rgb, RgbImage};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::util::DemoRng;

/// How many demo photos there are.
pub const PHOTO_COUNT: usize = 6;
/// How many demo signatures there are.
pub const SIGNATURE_COUNT: usize = 3;

/// Size of a demo photo, in pixels.
pub const PHOTO_SIZE: (u32, u32) = (640, 480);
/// Size of a demo signature, in pixels.
pub const SIGNATURE_SIZE: (u32, u32) = (480, 160);

/// JPEG quality of the demo photos (the app's default for photos).
const JPEG_QUALITY: u8 = 80;

/// What a demo image stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoImageKind {
    /// A photo taken on a visit (JPEG).
    Photo,
    /// The household's drawn signature (PNG).
    Signature,
}

/// One demo image: its bytes and their name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoImage {
    pub kind: DemoImageKind,
    /// Lowercase hex SHA-256 of `bytes`, as visits refer to it.
    pub sha256: String,
    /// The encoded image (JPEG for a photo, PNG for a signature).
    pub bytes: Vec<u8>,
}

impl DemoImage {
    /// The media type of `bytes`.
    pub fn mime(&self) -> &'static str {
        match self.kind {
            DemoImageKind::Photo => "image/jpeg",
            DemoImageKind::Signature => "image/png",
        }
    }
}

/// Every image the demo's visits refer to: the [`PHOTO_COUNT`] photos, then the
/// [`SIGNATURE_COUNT`] signatures. Drawn and encoded once per process.
pub fn demo_images() -> &'static [DemoImage] {
    static IMAGES: OnceLock<Vec<DemoImage>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let photos = SCENES.iter().map(|scene| DemoImage {
            kind: DemoImageKind::Photo,
            sha256: String::new(),
            bytes: jpeg(&draw_scene(scene)),
        });
        let signatures = SIGNATURES.iter().map(|sig| DemoImage {
            kind: DemoImageKind::Signature,
            sha256: String::new(),
            bytes: png(&draw_signature(sig)),
        });
        photos
            .chain(signatures)
            .map(|mut image| {
                image.sha256 = sha256_hex(&image.bytes);
                image
            })
            .collect()
    })
}

/// The demo photo number `i` (`0..PHOTO_COUNT`).
fn photo(i: usize) -> &'static DemoImage {
    &demo_images()[i % PHOTO_COUNT]
}

/// The demo signature number `i` (`0..SIGNATURE_COUNT`).
fn signature(i: usize) -> &'static DemoImage {
    &demo_images()[PHOTO_COUNT + i % SIGNATURE_COUNT]
}

/// 32 bytes of the stream (as many as a random SHA-256 took when the demo's hashes were made
/// up, so the rest of the dataset stays what it was), as a number.
fn draw(rng: &mut DemoRng) -> usize {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    // Only the remainder by a small count is used: truncating to usize on 32-bit is harmless.
    u64::from_le_bytes(word) as usize
}

/// `n` (1 or 2; more are capped at [`PHOTO_COUNT`]) different demo photos, by their hashes.
pub(crate) fn pick_photos(rng: &mut DemoRng, n: usize) -> Vec<String> {
    let mut left: Vec<usize> = (0..PHOTO_COUNT).collect();
    (0..n.min(PHOTO_COUNT))
        .map(|_| {
            let i = left.remove(draw(rng) % left.len());
            photo(i).sha256.clone()
        })
        .collect()
}

/// A demo signature, by its hash.
pub(crate) fn pick_signature(rng: &mut DemoRng) -> String {
    signature(draw(rng)).sha256.clone()
}

fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encoding a JPEG into memory cannot fail");
    out
}

fn png(image: &GrayImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    PngEncoder::new(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::L8,
        )
        .expect("encoding a PNG into memory cannot fail");
    out.into_inner()
}

/// A wave of period 1 with peaks ±1 (two parabolas: close to a sine, exact on every machine).
fn wave(t: f64) -> f64 {
    let p = t - t.floor();
    if p < 0.5 {
        let q = 2.0 * p;
        4.0 * q * (1.0 - q)
    } else {
        let q = 2.0 * p - 1.0;
        -4.0 * q * (1.0 - q)
    }
}

/// `a` to `b` at `t` (0–1).
fn mix(a: [u8; 3], b: [u8; 3], t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    let one = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    [one(a[0], b[0]), one(a[1], b[1]), one(a[2], b[2])]
}

/// `c` darkened by `f` (0–1).
fn shade(c: [u8; 3], f: f64) -> [u8; 3] {
    mix(c, [0, 0, 0], f)
}

/// A farmhouse under hills.
#[derive(Debug)]
struct Scene {
    /// Sky at the top and at the hills.
    sky: ([u8; 3], [u8; 3]),
    hills: [u8; 3],
    field: [u8; 3],
    wall: [u8; 3],
    roof: [u8; 3],
    /// Left edge and width of the house.
    house: (u32, u32),
    /// Where the fields begin (pixels from the top).
    horizon: u32,
    /// Shifts the hills' waves.
    phase: f64,
}

const SCENES: [Scene; PHOTO_COUNT] = [
    Scene {
        sky: ([92, 148, 214], [196, 222, 240]),
        hills: [78, 122, 74],
        field: [112, 160, 70],
        wall: [236, 232, 222],
        roof: [70, 72, 80],
        house: (380, 170),
        horizon: 300,
        phase: 0.1,
    },
    Scene {
        sky: ([150, 170, 190], [214, 218, 220]),
        hills: [96, 116, 100],
        field: [150, 134, 84],
        wall: [222, 214, 196],
        roof: [150, 70, 52],
        house: (110, 200),
        horizon: 290,
        phase: 0.45,
    },
    Scene {
        sky: ([234, 150, 96], [250, 214, 160]),
        hills: [90, 96, 82],
        field: [196, 168, 80],
        wall: [240, 226, 204],
        roof: [60, 60, 64],
        house: (250, 150),
        horizon: 320,
        phase: 0.7,
    },
    Scene {
        sky: ([70, 120, 200], [170, 206, 236]),
        hills: [60, 104, 70],
        field: [84, 150, 90],
        wall: [210, 200, 186],
        roof: [120, 60, 40],
        house: (60, 160),
        horizon: 280,
        phase: 0.25,
    },
    Scene {
        sky: ([120, 140, 170], [190, 200, 214]),
        hills: [70, 90, 78],
        field: [126, 110, 80],
        wall: [246, 244, 238],
        roof: [84, 88, 96],
        house: (420, 180),
        horizon: 310,
        phase: 0.6,
    },
    Scene {
        sky: ([104, 164, 220], [224, 236, 244]),
        hills: [84, 132, 92],
        field: [150, 184, 72],
        wall: [226, 206, 170],
        roof: [96, 54, 44],
        house: (200, 230),
        horizon: 300,
        phase: 0.85,
    },
];

fn draw_scene(s: &Scene) -> RgbImage {
    let (w, h) = PHOTO_SIZE;
    let horizon = f64::from(s.horizon);
    let (hx, hw) = (f64::from(s.house.0), f64::from(s.house.1));
    // The house stands on the fields, its walls half as high as it is wide, the roof above.
    let base = horizon + 70.0;
    let wall_top = base - hw * 0.5;
    let roof_top = wall_top - hw * 0.32;
    let door = (hx + hw * 0.42, hx + hw * 0.58, base - hw * 0.3);
    let window = (
        hx + hw * 0.12,
        hx + hw * 0.3,
        wall_top + hw * 0.1,
        wall_top + hw * 0.24,
    );
    RgbImage::from_fn(w, h, |x, y| {
        let (x, y) = (f64::from(x), f64::from(y));
        let ridge = horizon
            - 70.0
            - 40.0 * wave(x / 520.0 + s.phase)
            - 14.0 * wave(x / 170.0 + 2.0 * s.phase);
        let mut c = if y < ridge {
            mix(s.sky.0, s.sky.1, y / ridge)
        } else if y < horizon {
            shade(s.hills, 0.25 * (y - ridge) / (horizon - ridge + 1.0))
        } else {
            // Furrows running towards a point on the horizon.
            let depth = y - horizon + 12.0;
            let furrow = wave((x - 320.0) / depth * 1.5);
            shade(
                mix(s.field, [255, 255, 255], 0.15 * (1.0 - depth / 200.0)),
                0.12 + 0.08 * furrow,
            )
        };
        let in_house = x >= hx && x < hx + hw;
        if in_house && y >= wall_top && y < base {
            c = s.wall;
            let in_door = x >= door.0 && x < door.1 && y >= door.2;
            let in_window = x >= window.0 && x < window.1 && y >= window.2 && y < window.3;
            if in_door {
                c = [88, 58, 40];
            } else if in_window {
                c = [60, 74, 90];
            } else if x < hx + hw * 0.04 {
                c = shade(s.wall, 0.12);
            }
        }
        // The roof: a gable overhanging the walls a little.
        let mid = hx + hw / 2.0;
        let half = (hw / 2.0 + 10.0) * (y - roof_top) / (wall_top - roof_top);
        if y >= roof_top && y < wall_top && (x - mid).abs() <= half {
            c = shade(s.roof, if x < mid { 0.0 } else { 0.18 });
        }
        Rgb(c)
    })
}

/// A scribbled name: a line across with loops.
#[derive(Debug)]
struct Signature {
    /// Loops along the line.
    loops: f64,
    /// Size of the loops and of the line's swing, in pixels.
    radius: f64,
    swing: f64,
    /// Slant of the line (pixels up over its length).
    rise: f64,
}

const SIGNATURES: [Signature; SIGNATURE_COUNT] = [
    Signature {
        loops: 7.0,
        radius: 22.0,
        swing: 18.0,
        rise: 20.0,
    },
    Signature {
        loops: 5.0,
        radius: 30.0,
        swing: 10.0,
        rise: -10.0,
    },
    Signature {
        loops: 9.0,
        radius: 16.0,
        swing: 26.0,
        rise: 34.0,
    },
];

fn draw_signature(s: &Signature) -> GrayImage {
    let (w, h) = SIGNATURE_SIZE;
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    const STEPS: u32 = 6_000;
    // The pen's width: 2.5 px, as on the app's signature pad.
    const PEN: f64 = 1.25;
    for step in 0..=STEPS {
        let t = f64::from(step) / f64::from(STEPS);
        // A cosine of the same turn is the wave a quarter turn later.
        let x = 50.0 + 380.0 * t + s.radius * wave(s.loops * t + 0.25);
        let y = 90.0 - s.rise * t + s.swing * wave(1.5 * t) + s.radius * wave(s.loops * t);
        let (x0, y0) = ((x - PEN).floor().max(0.0), (y - PEN).floor().max(0.0));
        for py in (y0 as u32)..=((y + PEN).ceil() as u32).min(h - 1) {
            for px in (x0 as u32)..=((x + PEN).ceil() as u32).min(w - 1) {
                let (dx, dy) = (f64::from(px) + 0.5 - x, f64::from(py) + 0.5 - y);
                if dx * dx + dy * dy <= PEN * PEN {
                    img.put_pixel(px, py, Luma([17]));
                }
            }
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageFormat;
    use rand::SeedableRng as _;

    #[test]
    fn the_images_are_real_distinct_and_named_by_their_hash() {
        let images = demo_images();
        assert_eq!(images.len(), PHOTO_COUNT + SIGNATURE_COUNT);
        let mut names = std::collections::HashSet::new();
        for image in images {
            assert_eq!(image.sha256, sha256_hex(&image.bytes));
            assert!(names.insert(image.sha256.clone()), "distinct images");
            let (format, size) = match image.kind {
                DemoImageKind::Photo => (ImageFormat::Jpeg, PHOTO_SIZE),
                DemoImageKind::Signature => (ImageFormat::Png, SIGNATURE_SIZE),
            };
            let decoded = image::load_from_memory_with_format(&image.bytes, format)
                .expect("decodes as its format");
            assert_eq!((decoded.width(), decoded.height()), size);
            assert!(image.bytes.len() < 100_000, "{} bytes", image.bytes.len());
        }
    }

    #[test]
    fn a_visit_takes_different_photos() {
        let mut rng = DemoRng::seed_from_u64(5);
        for _ in 0..200 {
            let two = pick_photos(&mut rng, 2);
            assert_eq!(two.len(), 2);
            assert_ne!(two[0], two[1]);
        }
        assert_eq!(pick_photos(&mut rng, 99).len(), PHOTO_COUNT);
    }
}
