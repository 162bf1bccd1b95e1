//! The burned-in watermark, as cadres' 水印相机 apps make it: a dark band at the bottom left with
//! an orange bar on its left edge and white lines of text with a shadow (date and time, household,
//! cadre, …).
//!
//! Sizes follow the picture's short edge (text ≈ 3.4 % of it: 41 px on a 1600×1200 photo), so a
//! watermark looks the same whatever the resolution. Everything is drawn inside the band: not one
//! pixel outside it changes. Text too wide for the picture is cut at the band's edge.
//!
//! Chinese text needs an outline font with CJK glyphs ([`WatermarkFont`]; the app passes the
//! device's, see [`find_system_cjk_font`]). Without one the built-in 8×8 bitmap font draws ASCII
//! only and leaves other characters out; [`Watermark::missing_chars`] tells the app beforehand, so
//! it can, e.g., write the household's pinyin instead.

mod font;

use chrono::{Datelike, NaiveDateTime};
use image::RgbImage;

use font::{Bitmap, Glyphs};
pub use font::{CJK_FONT_PATHS, WatermarkFont, find_system_cjk_font};

/// Text to burn into the photo.
#[derive(Debug, Clone, Default)]
pub struct Watermark {
    /// Lines from top to bottom; empty lines keep their space.
    pub lines: Vec<String>,
    /// The outline font; `None` uses the built-in bitmap font (ASCII only).
    pub font: Option<WatermarkFont>,
}

/// A rectangle of the output picture, in pixels (the watermark's band).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Band {
    /// Whether pixel `(x, y)` is inside the band.
    pub fn contains(&self, x: u32, y: u32) -> bool {
        (self.x..self.x + self.width).contains(&x) && (self.y..self.y + self.height).contains(&y)
    }
}

const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

impl Watermark {
    /// The usual visit watermark: `2026-05-08 14:32 星期五`, `农户：{household}`,
    /// `帮扶干部：{cadre}`. Push more lines (a place, a task) onto `lines` as needed.
    pub fn visit(
        at: NaiveDateTime,
        household: &str,
        cadre: &str,
        font: Option<WatermarkFont>,
    ) -> Self {
        let weekday = WEEKDAYS
            .get(usize::try_from(at.weekday().num_days_from_monday()).unwrap_or(0))
            .copied()
            .unwrap_or("");
        Self {
            lines: vec![
                format!("{} 星期{weekday}", at.format("%Y-%m-%d %H:%M")),
                format!("农户：{household}"),
                format!("帮扶干部：{cadre}"),
            ],
            font,
        }
    }

    /// Characters of `lines` the font cannot draw (each once, in order of appearance); they are
    /// left out of the picture.
    pub fn missing_chars(&self) -> Vec<char> {
        let glyphs = self.glyphs();
        let mut missing = Vec::new();
        for c in self.lines.iter().flat_map(|l| l.chars()) {
            if !glyphs.has(c) && !missing.contains(&c) {
                missing.push(c);
            }
        }
        missing
    }

    fn glyphs(&self) -> &dyn Glyphs {
        match &self.font {
            Some(font) => font,
            None => &Bitmap,
        }
    }
}

/// Burns `watermark` into `image` and returns the band it drew in, or `None` when there is
/// nothing to draw (no lines, or only empty ones).
pub fn burn(image: &mut RgbImage, watermark: &Watermark) -> Option<Band> {
    if watermark.lines.iter().all(|l| l.trim().is_empty()) {
        return None;
    }
    let glyphs = watermark.glyphs();
    let (w, h) = image.dimensions();
    let short = w.min(h) as f32;
    let px = (short * 0.034).clamp(10.0, 400.0);
    let line_h = glyphs.line_height(px);
    let gap = (px * 0.25).round();
    let pad = (px * 0.45).round();
    let margin = (px * 0.5).round();
    let bar = (px * 0.15).round().max(2.0);
    let n = watermark.lines.len() as f32;
    let text_w = watermark
        .lines
        .iter()
        .map(|l| glyphs.width(l, px))
        .fold(0.0_f32, f32::max);
    let band_w = (bar + 2.0 * pad + text_w).ceil();
    let band_h = (2.0 * pad + n * line_h + (n - 1.0) * gap).ceil();
    // Clip to the picture (a very small picture gets a band that fills it).
    let x0 = to_px(margin).min(w.saturating_sub(1));
    let band_w = to_px(band_w).min(w - x0).max(1);
    let band_h = to_px(band_h).min(h).max(1);
    let y0 = h.saturating_sub(to_px(margin)).saturating_sub(band_h);
    let band = Band {
        x: x0,
        y: y0,
        width: band_w,
        height: band_h.min(h - y0),
    };

    // The band: the photo darkened to 45 %, and the accent bar.
    for y in band.y..band.y + band.height {
        for x in band.x..band.x + band.width {
            let p = image.get_pixel_mut(x, y);
            if x < band.x + to_px(bar) {
                p.0 = [0xFF, 0xB4, 0x00];
            } else {
                p.0 = p.0.map(|c| scale_u8(c, 0.45));
            }
        }
    }

    // The text: shadow first, then white over it.
    let shadow = (px / 18.0).round().max(1.0);
    let left = band.x as f32 + bar + pad;
    for (i, line) in watermark.lines.iter().enumerate() {
        let top = band.y as f32 + pad + i as f32 * (line_h + gap);
        let baseline = top + glyphs.ascent(px);
        for (dx, colour, strength) in [(shadow, [0_u8; 3], 0.7), (0.0, [0xFF_u8; 3], 1.0)] {
            glyphs.draw(line, px, left + dx, baseline + dx, &mut |x, y, cov| {
                let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
                    return;
                };
                if band.contains(x, y) && x >= band.x + to_px(bar) {
                    blend(
                        image.get_pixel_mut(x, y),
                        colour,
                        cov.clamp(0.0, 1.0) * strength,
                    );
                }
            });
        }
    }
    Some(band)
}

/// A non-negative pixel measure to whole pixels (values are far below `u32::MAX`).
fn to_px(v: f32) -> u32 {
    let v = v.round().max(0.0);
    // `as` saturates; the value is a small non-negative integer.
    v as u32
}

fn scale_u8(c: u8, f: f32) -> u8 {
    (f32::from(c) * f).round().clamp(0.0, 255.0) as u8
}

fn blend(p: &mut image::Rgb<u8>, colour: [u8; 3], alpha: f32) {
    for (c, t) in p.0.iter_mut().zip(colour) {
        let v = f32::from(*c) * (1.0 - alpha) + f32::from(t) * alpha;
        *c = v.round().clamp(0.0, 255.0) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visit_lines_name_weekday_in_chinese() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 5, 8)
            .and_then(|d| d.and_hms_opt(14, 32, 5))
            .expect("date");
        let wm = Watermark::visit(at, "张三", "李四", None);
        assert_eq!(
            wm.lines,
            ["2026-05-08 14:32 星期五", "农户：张三", "帮扶干部：李四"]
        );
        // The bitmap font draws the ASCII and full-width colon, not the Chinese.
        assert_eq!(
            wm.missing_chars(),
            [
                '星', '期', '五', '农', '户', '张', '三', '帮', '扶', '干', '部', '李', '四'
            ]
        );
    }

    #[test]
    fn tiny_and_thin_pictures_get_a_band_inside_them() {
        let wm = Watermark {
            lines: vec!["2026-05-08 14:32".into(), "Zhang San".into()],
            font: None,
        };
        for (w, h) in [(1, 1), (10, 10), (30, 400), (400, 30), (5000, 20)] {
            let mut img = RgbImage::from_pixel(w, h, image::Rgb([128, 128, 128]));
            let band = burn(&mut img, &wm).expect("band");
            assert!(band.width >= 1 && band.height >= 1, "{w}×{h}: {band:?}");
            assert!(
                band.x + band.width <= w && band.y + band.height <= h,
                "{w}×{h}: {band:?}"
            );
        }
    }

    #[test]
    fn nothing_to_draw_changes_nothing() {
        let mut img = RgbImage::from_pixel(64, 48, image::Rgb([10, 200, 30]));
        let wm = Watermark {
            lines: vec![String::new(), "  ".into()],
            font: None,
        };
        assert_eq!(burn(&mut img, &wm), None);
        assert!(img.pixels().all(|p| p.0 == [10, 200, 30]));
    }
}
