//! Test pictures made here, byte by byte: JPEGs with a hand-written EXIF block (TIFF structure),
//! so every orientation, time and GPS case is exact and no fixture file is needed.
//! Shared by the tests and by `examples/bench_intake.rs`.

#![allow(dead_code)]

use image::{Rgb, RgbImage};

/// EXIF fields to write.
#[derive(Debug, Default, Clone)]
pub struct ExifSpec {
    pub orientation: Option<u16>,
    /// `"YYYY:MM:DD HH:MM:SS"`.
    pub date_time_original: Option<String>,
    /// `"+08:00"`.
    pub offset_time_original: Option<String>,
    /// Latitude and longitude in decimal degrees (signs give the refs).
    pub gps: Option<(f64, f64)>,
}

struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    data: Vec<u8>,
}

const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;

fn ascii(tag: u16, s: &str) -> Entry {
    let mut data = s.as_bytes().to_vec();
    data.push(0);
    Entry {
        tag,
        typ: ASCII,
        count: u32::try_from(data.len()).expect("short"),
        data,
    }
}

fn long(tag: u16, v: u32) -> Entry {
    Entry {
        tag,
        typ: LONG,
        count: 1,
        data: v.to_le_bytes().to_vec(),
    }
}

/// Degrees, minutes and seconds (to 1/1000) as three rationals.
fn dms(tag: u16, deg: f64) -> Entry {
    let deg = deg.abs();
    let d = deg.floor();
    let m = ((deg - d) * 60.0).floor();
    let s = ((deg - d) * 60.0 - m) * 60.0;
    let mut data = Vec::new();
    for (num, den) in [
        (d as u32, 1_u32),
        (m as u32, 1),
        ((s * 1000.0).round() as u32, 1000),
    ] {
        data.extend_from_slice(&num.to_le_bytes());
        data.extend_from_slice(&den.to_le_bytes());
    }
    Entry {
        tag,
        typ: RATIONAL,
        count: 3,
        data,
    }
}

fn ifd_size(entries: &[Entry]) -> usize {
    let outside: usize = entries
        .iter()
        .filter(|e| e.data.len() > 4)
        .map(|e| e.data.len().next_multiple_of(2))
        .sum();
    2 + 12 * entries.len() + 4 + outside
}

/// Appends an IFD at `out.len()` (its offset), its long values right after it.
fn write_ifd(out: &mut Vec<u8>, mut entries: Vec<Entry>) {
    entries.sort_by_key(|e| e.tag);
    let start = out.len();
    let mut data_at = start + 2 + 12 * entries.len() + 4;
    out.extend_from_slice(&u16::try_from(entries.len()).expect("few").to_le_bytes());
    let mut data = Vec::new();
    for e in &entries {
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.typ.to_le_bytes());
        out.extend_from_slice(&e.count.to_le_bytes());
        if e.data.len() <= 4 {
            let mut v = e.data.clone();
            v.resize(4, 0);
            out.extend_from_slice(&v);
        } else {
            out.extend_from_slice(&u32::try_from(data_at).expect("small").to_le_bytes());
            data.extend_from_slice(&e.data);
            if e.data.len() % 2 == 1 {
                data.push(0);
            }
            data_at += e.data.len().next_multiple_of(2);
        }
    }
    out.extend_from_slice(&0_u32.to_le_bytes()); // no next IFD
    out.extend_from_slice(&data);
}

/// A little-endian TIFF structure as found in an EXIF APP1 segment after `Exif\0\0`.
pub fn exif_tiff(spec: &ExifSpec) -> Vec<u8> {
    let mut exif = Vec::new();
    if let Some(t) = &spec.date_time_original {
        exif.push(ascii(0x9003, t));
    }
    if let Some(o) = &spec.offset_time_original {
        exif.push(ascii(0x9011, o));
    }
    let mut gps = Vec::new();
    if let Some((lat, lon)) = spec.gps {
        gps.push(ascii(1, if lat < 0.0 { "S" } else { "N" }));
        gps.push(dms(2, lat));
        gps.push(ascii(3, if lon < 0.0 { "W" } else { "E" }));
        gps.push(dms(4, lon));
    }
    let mut ifd0 = vec![ascii(0x010F, "TestCam")];
    if let Some(o) = spec.orientation {
        ifd0.push(Entry {
            tag: 0x0112,
            typ: SHORT,
            count: 1,
            data: o.to_le_bytes().to_vec(),
        });
    }
    // Pointers are inline LONGs: add placeholders to size IFD0, then the real offsets.
    let has_exif = !exif.is_empty();
    let has_gps = !gps.is_empty();
    if has_exif {
        ifd0.push(long(0x8769, 0));
    }
    if has_gps {
        ifd0.push(long(0x8825, 0));
    }
    let exif_at = 8 + ifd_size(&ifd0);
    let gps_at = exif_at + if has_exif { ifd_size(&exif) } else { 0 };
    for e in &mut ifd0 {
        match e.tag {
            0x8769 => {
                e.data = u32::try_from(exif_at)
                    .expect("small")
                    .to_le_bytes()
                    .to_vec()
            }
            0x8825 => e.data = u32::try_from(gps_at).expect("small").to_le_bytes().to_vec(),
            _ => {}
        }
    }
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8_u32.to_le_bytes());
    write_ifd(&mut out, ifd0);
    if has_exif {
        assert_eq!(out.len(), exif_at);
        write_ifd(&mut out, exif);
    }
    if has_gps {
        assert_eq!(out.len(), gps_at);
        write_ifd(&mut out, gps);
    }
    out
}

/// `jpeg` with an APP1 EXIF segment holding `tiff`, right after SOI (where cameras put it).
pub fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], [0xFF, 0xD8], "not a JPEG");
    let len = u16::try_from(2 + 6 + tiff.len()).expect("EXIF under 64 KB");
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// `img` as a 4:2:0 JPEG at `quality`, like a phone camera writes (without EXIF).
pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.encode(
        img.as_raw(),
        u16::try_from(img.width()).expect("width"),
        u16::try_from(img.height()).expect("height"),
        jpeg_encoder::ColorType::Rgb,
    )
    .expect("encode");
    out
}

pub const RED: [u8; 3] = [220, 30, 30];
pub const GREEN: [u8; 3] = [30, 200, 60];
pub const BLUE: [u8; 3] = [30, 60, 220];
pub const YELLOW: [u8; 3] = [240, 220, 40];

/// A `w × h` picture in four solid quadrants: red top-left, green top-right, blue bottom-left,
/// yellow bottom-right — where a corner ends up tells how the picture was turned.
pub fn quadrants(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb(match (x < w / 2, y < h / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => YELLOW,
        })
    })
}

/// Decodes a JPEG (test side, with `image`).
pub fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("decode output")
        .into_rgb8()
}

/// Whether `a` is within `tol` of `b` on every channel (JPEG is lossy).
pub fn near(a: [u8; 3], b: [u8; 3], tol: u8) -> bool {
    a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= tol)
}

/// A camera-like picture: sky gradient, fields with low-frequency variation, a brick house,
/// high-contrast detail, and sensor noise — compresses like a real photo (≈ 3–5 MB at quality 92
/// for 12 megapixels), unlike flat test patterns.
pub fn photo_like(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut state = seed | 1;
    let mut noise = move || {
        // xorshift64*: fast and deterministic.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32;
        // Sum of two uniforms: a triangular distribution in −1…1.
        ((r & 0xFFFF) as f32 + (r >> 16) as f32) / 65_535.0 - 1.0
    };
    let (wf, hf) = (w as f32, h as f32);
    let horizon = hf * 0.42;
    RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let mut c = if yf < horizon {
            let t = yf / horizon;
            let cloud = ((xf / wf * 9.0).sin() * (yf / hf * 23.0).cos()).max(0.0) * 40.0;
            [
                110.0 + 120.0 * t + cloud,
                160.0 + 80.0 * t + cloud,
                235.0 + cloud * 0.3,
            ]
        } else {
            let field = ((xf / wf * 31.0 + yf / hf * 7.0).sin() * 0.5 + 0.5) * 60.0;
            let rows = ((yf / hf * 260.0).sin() * 0.5 + 0.5) * 25.0;
            [70.0 + field + rows, 110.0 + field * 0.8, 40.0 + rows]
        };
        // A house: brick wall with mortar lines, a dark door, a white sign with "text".
        let (hx0, hx1, hy0, hy1) = (wf * 0.55, wf * 0.85, hf * 0.30, hf * 0.70);
        if (hx0..hx1).contains(&xf) && (hy0..hy1).contains(&yf) {
            let row = ((yf - hy0) / 18.0) as u32;
            let shift = if row.is_multiple_of(2) { 0.0 } else { 20.0 };
            let mortar = (yf - hy0) % 18.0 < 3.0 || (xf - hx0 + shift) % 40.0 < 3.0;
            c = if mortar {
                [200.0, 195.0, 185.0]
            } else {
                [165.0, 75.0, 55.0]
            };
            if (wf * 0.66..wf * 0.72).contains(&xf) && yf > hf * 0.52 {
                c = [50.0, 35.0, 30.0];
            }
            if (wf * 0.58..wf * 0.64).contains(&xf) && (hf * 0.36..hf * 0.44).contains(&yf) {
                let stroke = (xf as u32 / 7 + yf as u32 / 11).is_multiple_of(3);
                c = if stroke {
                    [20.0, 20.0, 20.0]
                } else {
                    [245.0, 245.0, 240.0]
                };
            }
        }
        // Foliage, gravel and plaster: texture at 3–12 px that survives shrinking.
        let texture = if yf < horizon { 0.3 } else { 1.0 };
        let t = (value_noise(xf / 3.0, yf / 3.0, seed) * 18.0
            + value_noise(xf / 12.0, yf / 12.0, seed ^ 0x5555) * 14.0)
            * texture;
        let n = noise() * 9.0;
        Rgb([c[0] + t + n, c[1] + t * 1.1 + n, c[2] + t * 0.7 + n]
            .map(|v| v.clamp(0.0, 255.0) as u8))
    })
}

/// Smooth pseudo-random texture in −1…1: a hashed lattice, bilinearly interpolated.
fn value_noise(x: f32, y: f32, seed: u64) -> f32 {
    let lattice = |ix: i64, iy: i64| {
        let mut h = (ix as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (iy as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ seed;
        h ^= h >> 29;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 32;
        (h & 0xFFFF) as f32 / 32_767.5 - 1.0
    };
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (ix, iy) = (x0 as i64, y0 as i64);
    let top = lattice(ix, iy) * (1.0 - fx) + lattice(ix + 1, iy) * fx;
    let bottom = lattice(ix, iy + 1) * (1.0 - fx) + lattice(ix + 1, iy + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}
