//! What intake refuses, with which code, and how fast: non-images, damaged files, unsupported
//! formats, oversized files and decompression bombs.

mod common;

use std::time::{Duration, Instant};

use bangfu_photo::{IntakeError, IntakeOptions, intake, probe};
use common::{jpeg, photo_like, quadrants};

fn code(input: &[u8]) -> &'static str {
    code_with(input, &IntakeOptions::default())
}

fn code_with(input: &[u8], opts: &IntakeOptions) -> &'static str {
    match intake(input, opts) {
        Ok(out) => panic!("accepted: {out:?}"),
        Err(e) => {
            assert!(e.code().starts_with("photo_"));
            assert!(!e.message_zh().is_empty());
            e.code()
        }
    }
}

fn random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()[3]
        })
        .collect()
}

#[test]
fn text_and_random_bytes_are_not_images() {
    let text = "走访记录：张三家，2024年3月15日。\nHello, this is text.".as_bytes();
    assert_eq!(code(text), "photo_not_image");
    let err = intake(text, &IntakeOptions::default()).expect_err("text");
    assert_eq!(
        err.message_zh(),
        "这不是照片文件，请重新拍照或选择 JPG/PNG 图片。"
    );
    for seed in 1..20 {
        assert_eq!(
            code(&random_bytes(10_000, seed)),
            "photo_not_image",
            "seed {seed}"
        );
    }
    assert_eq!(code(b"%PDF-1.7\n"), "photo_not_image");
    // An MP4 video (ISO-BMFF, not an image brand).
    assert_eq!(
        code(b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2"),
        "photo_not_image"
    );
    assert_eq!(code(b""), "photo_empty");
}

#[test]
fn unsupported_image_formats_say_so() {
    assert_eq!(
        code(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
        "photo_unsupported_format"
    );
    assert_eq!(
        code(b"GIF89a\x10\0\x10\0\0\0\0"),
        "photo_unsupported_format"
    );
    let err = intake(b"\0\0\0\x18ftypheic\0\0\0\0", &IntakeOptions::default()).expect_err("heic");
    assert!(err.message_zh().contains("HEIC") && err.message_zh().contains("JPG"));
}

#[test]
fn truncated_jpeg_is_corrupt() {
    let whole = jpeg(&photo_like(640, 480, 9), 90);
    for keep in [whole.len() * 6 / 10, whole.len() - 2, 600, 100, 20, 3] {
        assert_eq!(
            code(&whole[..keep]),
            "photo_corrupt",
            "cut at {keep} of {}",
            whole.len()
        );
    }
    // Whole but with the image data scrambled after the header: still refused, never a panic.
    let mut scrambled = whole.clone();
    let n = scrambled.len();
    scrambled[n / 2..n - 2].copy_from_slice(&random_bytes(n - 2 - n / 2, 5));
    let _ = intake(&scrambled, &IntakeOptions::default());
}

#[test]
fn damaged_png_is_corrupt() {
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(photo_like(200, 150, 3))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    assert_eq!(code(&png[..png.len() / 2]), "photo_corrupt");
    assert_eq!(code(&png[..20]), "photo_corrupt");
    let mut bad = png.clone();
    let n = bad.len();
    bad[100..n - 20].copy_from_slice(&random_bytes(n - 120, 8));
    assert_eq!(code(&bad), "photo_corrupt");
}

/// A PNG whose header claims `w × h` and whose data is a few bytes.
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&u32::try_from(data.len()).expect("short").to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&[0, 0, 0, 0]); // CRC: the decoder must not get that far
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

/// A JPEG whose frame header claims `w × h`, with a real header taken from a small JPEG.
fn jpeg_bomb(w: u16, h: u16) -> Vec<u8> {
    let mut out = jpeg(&quadrants(16, 16), 90);
    // Find SOF0 and rewrite its height and width.
    let sof = out
        .windows(2)
        .position(|m| m == [0xFF, 0xC0])
        .expect("baseline JPEG");
    out[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    out
}

fn refused_fast(input: &[u8], expected: &str) {
    let t = Instant::now();
    let err = intake(input, &IntakeOptions::default()).expect_err("bomb accepted");
    let took = t.elapsed();
    assert_eq!(err.code(), expected);
    assert!(took < Duration::from_millis(50), "took {took:?}");
}

#[test]
fn bombs_are_refused_from_the_header_without_allocating() {
    refused_fast(&png_bomb(100_000, 100_000), "photo_too_many_pixels");
    refused_fast(&png_bomb(16_000, 16_000), "photo_too_many_pixels"); // 256 MP, sides allowed
    refused_fast(&jpeg_bomb(65_535, 65_535), "photo_too_many_pixels");
    refused_fast(&jpeg_bomb(12_000, 9_000), "photo_too_many_pixels"); // a 108 MP photo
    let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    webp.extend_from_slice(&[0xFE, 0x3F, 0x00, 0xFE, 0x3F, 0x00]); // 16383 × 16383
    refused_fast(&webp, "photo_too_many_pixels");
    let err = intake(&png_bomb(100_000, 100_000), &IntakeOptions::default()).expect_err("bomb");
    assert_eq!(
        err,
        IntakeError::TooManyPixels {
            width: 100_000,
            height: 100_000
        }
    );
    assert_eq!(
        probe(&png_bomb(100_000, 100_000), &IntakeOptions::default()).map_err(|e| e.code()),
        Err("photo_too_many_pixels")
    );
}

#[test]
fn limits_are_configurable() {
    let input = jpeg(&photo_like(300, 200, 1), 90);
    let small_file = IntakeOptions {
        max_input_bytes: 1000,
        ..IntakeOptions::default()
    };
    assert_eq!(code_with(&input, &small_file), "photo_too_large");
    let err = intake(&input, &small_file).expect_err("too large");
    assert!(err.message_zh().contains("MB"));
    let few_pixels = IntakeOptions {
        max_pixels: 50_000,
        ..IntakeOptions::default()
    };
    assert_eq!(code_with(&input, &few_pixels), "photo_too_many_pixels");
    let narrow = IntakeOptions {
        max_dimension: 299,
        ..IntakeOptions::default()
    };
    assert_eq!(code_with(&input, &narrow), "photo_too_many_pixels");
    // Just within every limit: taken.
    let exact = IntakeOptions {
        max_input_bytes: u64::try_from(input.len()).expect("small"),
        max_pixels: 60_000,
        max_dimension: 300,
        ..IntakeOptions::default()
    };
    assert!(intake(&input, &exact).is_ok());
}

#[test]
fn bad_options_are_refused() {
    let input = jpeg(&quadrants(16, 16), 90);
    for opts in [
        IntakeOptions {
            long_edge: 0,
            ..IntakeOptions::default()
        },
        IntakeOptions {
            jpeg_quality: 0,
            ..IntakeOptions::default()
        },
        IntakeOptions {
            thumb_quality: 101,
            ..IntakeOptions::default()
        },
    ] {
        assert_eq!(code_with(&input, &opts), "photo_invalid_options");
    }
}
