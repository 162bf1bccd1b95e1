//! The burned-in watermark: drawn in its band at the bottom left and nowhere else, with the
//! device's CJK font when there is one and the built-in bitmap font when there is not.

mod common;

use bangfu_photo::watermark::burn;
use bangfu_photo::{
    Band, IntakeError, IntakeOptions, Watermark, WatermarkFont, find_system_cjk_font, intake,
};
use common::{ExifSpec, decode, exif_tiff, jpeg, photo_like, with_exif};
use image::{Rgb, RgbImage};

const GREY: [u8; 3] = [128, 128, 128];

fn at() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 5, 8)
        .and_then(|d| d.and_hms_opt(14, 32, 5))
        .expect("date")
}

/// Burns `wm` into a grey picture; checks that only the band changed, that the band is at the
/// bottom left and darkened, and returns the number of text (near-white) pixels.
fn burn_and_check(w: u32, h: u32, wm: &Watermark) -> (Band, usize) {
    let mut img = RgbImage::from_pixel(w, h, Rgb(GREY));
    let band = burn(&mut img, wm).expect("a band");
    assert!(band.x < w / 20 && band.x > 0, "{band:?}");
    let bottom_gap = h - (band.y + band.height);
    assert!(bottom_gap > 0 && bottom_gap < h / 20, "{band:?}");
    assert!(band.width < w && band.height < h / 2, "{band:?}");
    let (mut text, mut changed) = (0, 0);
    for (x, y, p) in img.enumerate_pixels() {
        if band.contains(x, y) {
            // Darkened, or text; an anti-aliased edge can land back on grey by chance.
            changed += usize::from(p.0 != GREY);
            text += usize::from(p.0.iter().all(|&c| c > 230));
        } else {
            assert_eq!(p.0, GREY, "pixel outside the band changed at {x},{y}");
        }
    }
    let area = usize::try_from(band.width * band.height).expect("small");
    assert!(
        changed > area * 99 / 100,
        "{changed} of {area} band pixels changed"
    );
    (band, text)
}

#[test]
fn bitmap_fallback_draws_ascii_in_the_band_only() {
    let wm = Watermark {
        lines: vec!["2026-05-08 14:32".into(), "Zhang San / Li Si".into()],
        font: None,
    };
    let (band, text) = burn_and_check(1600, 1200, &wm);
    assert!(text > 2000, "only {text} text pixels");
    // Two lines of 8×8 glyphs scaled ×5: 40 px each.
    assert!((100..160).contains(&band.height), "{band:?}");
    assert!(wm.missing_chars().is_empty());
}

#[test]
fn bitmap_fallback_leaves_chinese_out_and_says_so() {
    let wm = Watermark::visit(at(), "张三", "李四", None);
    assert!(wm.missing_chars().contains(&'张'));
    let (_, with_chinese) = burn_and_check(1200, 1600, &wm);
    let ascii_only = Watermark {
        lines: vec!["2026-05-08 14:32 ".into(), ":".into(), ":".into()],
        font: None,
    };
    let (_, ascii) = burn_and_check(1200, 1600, &ascii_only);
    // The Chinese characters contribute nothing; the full-width colons are drawn as ':'.
    assert_eq!(with_chinese, ascii);
}

#[test]
fn system_cjk_font_draws_chinese() {
    let Some(path) = find_system_cjk_font() else {
        println!(
            "SKIPPED system_cjk_font_draws_chinese: no CJK font installed \
             (e.g. apt-get install fonts-noto-cjk)"
        );
        return;
    };
    let font = WatermarkFont::from_file(&path).expect("the system CJK font parses");
    if path.to_string_lossy().contains("NotoSansCJK") {
        // The collection's Simplified Chinese face is chosen, not the first (Japanese) one.
        assert_eq!(font.name(), "Noto Sans CJK SC");
    }
    let wm = Watermark::visit(at(), "张三（上坪村）", "李四", Some(font.clone()));
    assert_eq!(
        wm.missing_chars(),
        Vec::<char>::new(),
        "font {}",
        font.name()
    );
    let (band, text) = burn_and_check(1200, 1600, &wm);
    // Three lines of ~41 px text.
    assert!((150..260).contains(&band.height), "{band:?}");
    let chinese_only = Watermark {
        lines: vec!["帮扶干部".into()],
        font: Some(font),
    };
    let (_, chinese) = burn_and_check(1200, 1600, &chinese_only);
    assert!(
        chinese > 300,
        "only {chinese} text pixels for four characters"
    );
    assert!(text > chinese * 3);
}

#[test]
fn a_latin_outline_font_is_used_for_what_it_has() {
    let path = std::path::Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    if !path.is_file() {
        println!("SKIPPED a_latin_outline_font_is_used_for_what_it_has: no DejaVuSans.ttf");
        return;
    }
    let font = WatermarkFont::from_file(path).expect("DejaVu parses");
    assert_eq!(font.name(), "DejaVu Sans");
    let wm = Watermark::visit(at(), "Zhang San", "李四", Some(font));
    assert_eq!(
        wm.missing_chars(),
        [
            '星', '期', '五', '农', '户', '：', '帮', '扶', '干', '部', '李', '四'
        ]
    );
    let (_, text) = burn_and_check(1600, 1200, &wm);
    assert!(text > 1000, "only {text} text pixels");
}

#[test]
fn invalid_font_is_refused() {
    let err = WatermarkFont::from_bytes(b"not a font at all".to_vec()).expect_err("not a font");
    assert_eq!(err, IntakeError::InvalidFont);
    assert_eq!(err.code(), "photo_invalid_font");
    assert_eq!(
        WatermarkFont::from_file(std::path::Path::new("/nonexistent/font.ttf")).map(|_| ()),
        Err(IntakeError::InvalidFont)
    );
}

#[test]
fn intake_burns_the_watermark_upright_and_changes_only_the_band() {
    // A portrait photo stored on its side (orientation 6): the watermark goes on the upright one.
    let tiff = exif_tiff(&ExifSpec {
        orientation: Some(6),
        ..ExifSpec::default()
    });
    let input = with_exif(&jpeg(&photo_like(2000, 1500, 11), 90), &tiff);
    let plain = intake(&input, &IntakeOptions::default()).expect("intake");
    let opts = IntakeOptions {
        watermark: Some(Watermark::visit(
            at(),
            "Zhang San",
            "Li Si",
            WatermarkFont::system_cjk(),
        )),
        ..IntakeOptions::default()
    };
    let marked = intake(&input, &opts).expect("intake with watermark");
    let band = marked.watermark_band.expect("band");
    assert_eq!((marked.width, marked.height), (1200, 1600));
    assert!(band.y + band.height > 1500 && band.x < 40, "{band:?}");
    assert_ne!(marked.sha256, plain.sha256);

    let (a, b) = (decode(&plain.jpeg), decode(&marked.jpeg));
    // JPEG codes 16×16 blocks independently; chroma upsampling reads one block further. Outside
    // the band grown to that, the two outputs decode to the very same pixels.
    let grown = Band {
        x: (band.x / 16 * 16).saturating_sub(16),
        y: (band.y / 16 * 16).saturating_sub(16),
        width: band.width + 64,
        height: band.height + 64,
    };
    let mut inside_changed = 0_u64;
    for (x, y, p) in b.enumerate_pixels() {
        if grown.contains(x, y) {
            inside_changed += u64::from(p.0 != a.get_pixel(x, y).0);
        } else {
            assert_eq!(
                p.0,
                a.get_pixel(x, y).0,
                "pixel outside the band changed at {x},{y}"
            );
        }
    }
    let area = u64::from(band.width) * u64::from(band.height);
    assert!(inside_changed > area * 9 / 10, "{inside_changed} of {area}");
    // The band is darker than the photo under it.
    let mean = |img: &RgbImage| {
        let mut sum = 0_u64;
        for y in band.y + 4..band.y + band.height - 4 {
            for x in band.x + 20..band.x + band.width - 4 {
                sum += img
                    .get_pixel(x, y)
                    .0
                    .iter()
                    .map(|&c| u64::from(c))
                    .sum::<u64>();
            }
        }
        sum
    };
    assert!(mean(&b) < mean(&a) * 3 / 4);
}
