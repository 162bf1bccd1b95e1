//! The watermark's fonts: a TrueType/OpenType font (or collection) rendered with `ab_glyph`, and
//! the built-in 8×8 bitmap font used when the device has no CJK font.

use std::fmt;
use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontArc, FontVec, PxScale, ScaleFont, point};

use crate::IntakeError;

/// Where phones and desktops keep a font with Chinese glyphs, best first. Collections (`.ttc`)
/// hold several faces; [`WatermarkFont::from_bytes`] picks the Simplified Chinese one.
pub const CJK_FONT_PATHS: &[&str] = &[
    // Android (AOSP and most vendors ship Noto CJK; older ones Droid Sans Fallback).
    "/system/fonts/NotoSansCJK-Regular.ttc",
    "/system/fonts/NotoSansSC-Regular.otf",
    "/system/fonts/DroidSansFallbackFull.ttf",
    "/system/fonts/DroidSansFallback.ttf",
    // Debian/Ubuntu: fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei, fonts-droid-fallback.
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    // Windows (township desktops): Microsoft YaHei, SimHei.
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
    // macOS.
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
];

/// The first of [`CJK_FONT_PATHS`] that exists on this device.
pub fn find_system_cjk_font() -> Option<PathBuf> {
    CJK_FONT_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// An outline font for the watermark, parsed once and cheap to clone (shared).
#[derive(Clone)]
pub struct WatermarkFont {
    font: FontArc,
    name: String,
}

impl fmt::Debug for WatermarkFont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatermarkFont")
            .field("name", &self.name)
            .finish()
    }
}

impl WatermarkFont {
    /// A font from TTF/OTF bytes, or from a TTC collection: then the Simplified Chinese face
    /// (family name with "SC", "GB" or "Simplified"; e.g. "Noto Sans CJK SC"), else the first.
    pub fn from_bytes(data: Vec<u8>) -> Result<Self, IntakeError> {
        let index = simplified_chinese_face(&data);
        Self::from_bytes_and_index(data, index)
    }

    /// Face `index` of a collection (0 for a single font).
    pub fn from_bytes_and_index(data: Vec<u8>, index: u32) -> Result<Self, IntakeError> {
        let name = ttf_parser::Face::parse(&data, index)
            .ok()
            .and_then(|face| family_name(&face))
            .unwrap_or_default();
        let font =
            FontVec::try_from_vec_and_index(data, index).map_err(|_| IntakeError::InvalidFont)?;
        Ok(Self {
            font: FontArc::new(font),
            name,
        })
    }

    /// Reads and parses a font file; an unreadable file is [`IntakeError::InvalidFont`].
    pub fn from_file(path: &Path) -> Result<Self, IntakeError> {
        let data = std::fs::read(path).map_err(|_| IntakeError::InvalidFont)?;
        Self::from_bytes(data)
    }

    /// The device's CJK font ([`find_system_cjk_font`]), if it has one that parses.
    pub fn system_cjk() -> Option<Self> {
        CJK_FONT_PATHS
            .iter()
            .map(Path::new)
            .filter(|p| p.is_file())
            .find_map(|p| Self::from_file(p).ok())
    }

    /// The face's family name, e.g. "Noto Sans CJK SC" (empty if the font has none).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the font has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.font.glyph_id(c).0 != 0
    }
}

fn family_name(face: &ttf_parser::Face<'_>) -> Option<String> {
    use ttf_parser::name_id::{FAMILY, TYPOGRAPHIC_FAMILY};
    let names = face.names();
    [TYPOGRAPHIC_FAMILY, FAMILY].iter().find_map(|&id| {
        names
            .into_iter()
            .filter(|n| n.name_id == id && n.is_unicode())
            .find_map(|n| n.to_string())
    })
}

fn simplified_chinese_face(data: &[u8]) -> u32 {
    let count = ttf_parser::fonts_in_collection(data).unwrap_or(1);
    (0..count)
        .find(|&i| {
            ttf_parser::Face::parse(data, i)
                .ok()
                .and_then(|f| family_name(&f))
                .is_some_and(|name| {
                    name.split(|c: char| !c.is_ascii_alphanumeric())
                        .any(|word| matches!(word, "SC" | "GB" | "Simplified"))
                })
        })
        .unwrap_or(0)
}

/// Measures and draws lines of text at a pixel size; `draw` reports coverage 0–1 per pixel.
pub(crate) trait Glyphs {
    /// Pixel size actually used for `px` (the bitmap font snaps to whole multiples of 8).
    fn line_height(&self, px: f32) -> f32;
    /// Distance from the top of a line to its baseline.
    fn ascent(&self, px: f32) -> f32;
    fn width(&self, text: &str, px: f32) -> f32;
    fn draw(&self, text: &str, px: f32, x: f32, baseline: f32, put: &mut dyn FnMut(i32, i32, f32));
    fn has(&self, c: char) -> bool;
}

impl Glyphs for WatermarkFont {
    fn line_height(&self, px: f32) -> f32 {
        let s = self.font.as_scaled(PxScale::from(px));
        s.ascent() - s.descent()
    }

    fn ascent(&self, px: f32) -> f32 {
        self.font.as_scaled(PxScale::from(px)).ascent()
    }

    fn width(&self, text: &str, px: f32) -> f32 {
        let s = self.font.as_scaled(PxScale::from(px));
        let mut prev = None;
        let mut w = 0.0;
        for c in text.chars().filter(|&c| self.has(c)) {
            let id = s.glyph_id(c);
            if let Some(p) = prev {
                w += s.kern(p, id);
            }
            w += s.h_advance(id);
            prev = Some(id);
        }
        w
    }

    fn draw(&self, text: &str, px: f32, x: f32, baseline: f32, put: &mut dyn FnMut(i32, i32, f32)) {
        let s = self.font.as_scaled(PxScale::from(px));
        let (mut pen, mut prev) = (x, None);
        for c in text.chars().filter(|&c| self.has(c)) {
            let id = s.glyph_id(c);
            if let Some(p) = prev {
                pen += s.kern(p, id);
            }
            let glyph = id.with_scale_and_position(px, point(pen, baseline));
            if let Some(outline) = self.font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                // Bounds are whole pixels; the casts cannot lose anything a picture can hold.
                let (bx, by) = (b.min.x as i32, b.min.y as i32);
                outline.draw(|gx, gy, cov| {
                    let (gx, gy) = (i32::try_from(gx), i32::try_from(gy));
                    if let (Ok(gx), Ok(gy)) = (gx, gy) {
                        put(bx + gx, by + gy, cov);
                    }
                });
            }
            pen += s.h_advance(id);
            prev = Some(id);
        }
    }

    fn has(&self, c: char) -> bool {
        c == ' ' || (!c.is_control() && self.has_glyph(c))
    }
}

/// The built-in fallback: the public-domain 8×8 bitmap font (crate `font8x8`), scaled by whole
/// multiples. It covers ASCII, Latin-1 (so "°" works) and the full-width forms of ASCII ("：" is
/// drawn as ":"); anything else — Chinese characters included — is left out of the line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bitmap;

impl Bitmap {
    fn glyph(c: char) -> Option<[u8; 8]> {
        use font8x8::legacy::{BASIC_LEGACY, LATIN_LEGACY};
        let code = u32::from(c);
        let at = |table: &[[u8; 8]], i: u32| table.get(usize::try_from(i).ok()?).copied();
        match code {
            0x20..=0x7E => at(&BASIC_LEGACY, code),
            0xA0..=0xFF => at(&LATIN_LEGACY, code - 0xA0),
            0xFF01..=0xFF5E => at(&BASIC_LEGACY, code - 0xFEE0),
            0x3000 => at(&BASIC_LEGACY, 0x20),
            0x3001 => at(&BASIC_LEGACY, u32::from(',')),
            0x3002 => at(&BASIC_LEGACY, u32::from('.')),
            _ => None,
        }
    }

    fn scale(px: f32) -> i32 {
        // Sizes are tens of pixels: the cast is exact after rounding.
        let k = (px / 8.0).round() as i32;
        k.max(1)
    }
}

impl Glyphs for Bitmap {
    fn line_height(&self, px: f32) -> f32 {
        (8 * Self::scale(px)) as f32
    }

    fn ascent(&self, px: f32) -> f32 {
        self.line_height(px)
    }

    fn width(&self, text: &str, px: f32) -> f32 {
        let n = text.chars().filter(|&c| Self::glyph(c).is_some()).count();
        n as f32 * self.line_height(px)
    }

    fn draw(&self, text: &str, px: f32, x: f32, baseline: f32, put: &mut dyn FnMut(i32, i32, f32)) {
        let k = Self::scale(px);
        let (mut left, top) = (
            x.round() as i32,
            (baseline - self.ascent(px)).round() as i32,
        );
        for rows in text.chars().filter_map(Self::glyph) {
            for (row, bits) in (0..).zip(rows) {
                for col in 0..8 {
                    // Bit 0 is the leftmost pixel.
                    if bits & (1 << col) != 0 {
                        for dy in 0..k {
                            for dx in 0..k {
                                put(left + col * k + dx, top + row * k + dy, 1.0);
                            }
                        }
                    }
                }
            }
            left += 8 * k;
        }
    }

    fn has(&self, c: char) -> bool {
        Self::glyph(c).is_some()
    }
}
