//! Intake of good photos: orientation, size, thumbnail, hashes, EXIF time and place, and what the
//! output file does not carry.

mod common;

use bangfu_photo::{GeoPoint, IntakeOptions, SourceFormat, intake, probe};
use common::{
    BLUE, ExifSpec, GREEN, RED, YELLOW, decode, exif_tiff, jpeg, near, photo_like, quadrants,
    with_exif,
};
use sha2::{Digest, Sha256};

fn oriented(orientation: u16) -> Vec<u8> {
    let tiff = exif_tiff(&ExifSpec {
        orientation: Some(orientation),
        ..ExifSpec::default()
    });
    with_exif(&jpeg(&quadrants(64, 48), 95), &tiff)
}

/// Colours at the four corners (4 px in): top-left, top-right, bottom-left, bottom-right.
fn corners(img: &image::RgbImage) -> [[u8; 3]; 4] {
    let (w, h) = img.dimensions();
    [(4, 4), (w - 5, 4), (4, h - 5), (w - 5, h - 5)].map(|(x, y)| img.get_pixel(x, y).0)
}

fn assert_corners(orientation: u16, size: (u32, u32), expected: [[u8; 3]; 4]) {
    let out = intake(&oriented(orientation), &IntakeOptions::default()).expect("intake");
    assert_eq!((out.width, out.height), size, "orientation {orientation}");
    assert_eq!(
        out.source.orientation,
        u8::try_from(orientation).expect("small")
    );
    let img = decode(&out.jpeg);
    assert_eq!(img.dimensions(), size);
    let got = corners(&img);
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert!(
            near(*g, e, 40),
            "orientation {orientation}, corner {i}: {g:?} is not {e:?}"
        );
    }
}

#[test]
fn orientation_6_turns_clockwise() {
    // Stored landscape, displayed portrait: the stored left column becomes the top row.
    assert_corners(6, (48, 64), [BLUE, RED, YELLOW, GREEN]);
}

#[test]
fn orientation_8_turns_counter_clockwise() {
    assert_corners(8, (48, 64), [GREEN, YELLOW, RED, BLUE]);
}

#[test]
fn orientation_3_turns_half_way() {
    assert_corners(3, (64, 48), [YELLOW, BLUE, GREEN, RED]);
}

#[test]
fn orientation_1_and_the_mirrored_ones() {
    assert_corners(1, (64, 48), [RED, GREEN, BLUE, YELLOW]);
    assert_corners(2, (64, 48), [GREEN, RED, YELLOW, BLUE]);
    assert_corners(4, (64, 48), [BLUE, YELLOW, RED, GREEN]);
    assert_corners(5, (48, 64), [RED, BLUE, GREEN, YELLOW]);
    assert_corners(7, (48, 64), [YELLOW, GREEN, BLUE, RED]);
}

#[test]
fn without_exif_the_photo_is_kept_as_stored() {
    let out = intake(&jpeg(&quadrants(64, 48), 95), &IntakeOptions::default()).expect("intake");
    assert_eq!((out.width, out.height), (64, 48));
    assert_eq!(out.source.orientation, 1);
    assert_eq!(out.source.taken_at, None);
    assert_eq!(out.source.gps, None);
    assert!(near(corners(&decode(&out.jpeg))[0], RED, 40));
}

#[test]
fn resize_keeps_aspect_and_long_edge() {
    let input = jpeg(&photo_like(2400, 1600, 1), 90);
    let out = intake(&input, &IntakeOptions::default()).expect("intake");
    assert_eq!((out.width, out.height), (1600, 1067));
    assert_eq!(decode(&out.jpeg).dimensions(), (1600, 1067));

    let opts = IntakeOptions {
        long_edge: 1000,
        ..IntakeOptions::default()
    };
    let out = intake(&input, &opts).expect("intake");
    assert_eq!((out.width, out.height), (1000, 667));
    // The picture is the same picture: the sky is at the top, the ground at the bottom.
    let img = decode(&out.jpeg);
    let (sky, ground) = (img.get_pixel(500, 50).0, img.get_pixel(500, 640).0);
    assert!(sky[2] > 180 && sky[2] > sky[0], "sky {sky:?}");
    assert!(ground[2] < 150, "ground {ground:?}");
}

#[test]
fn portrait_photo_turned_by_exif_has_its_long_edge_vertical() {
    let tiff = exif_tiff(&ExifSpec {
        orientation: Some(6),
        ..ExifSpec::default()
    });
    let input = with_exif(&jpeg(&photo_like(2000, 1500, 2), 90), &tiff);
    let out = intake(&input, &IntakeOptions::default()).expect("intake");
    assert_eq!((out.width, out.height), (1200, 1600));
    assert_eq!((out.source.width, out.source.height), (1500, 2000));
    assert_eq!((out.thumb_width, out.thumb_height), (192, 256));
}

#[test]
fn small_photos_are_not_enlarged() {
    let out = intake(
        &jpeg(&photo_like(800, 600, 3), 90),
        &IntakeOptions::default(),
    )
    .expect("intake");
    assert_eq!((out.width, out.height), (800, 600));
    assert_eq!((out.thumb_width, out.thumb_height), (256, 192));
    // Smaller than the thumbnail too: the thumbnail is the photo itself.
    let out = intake(&jpeg(&quadrants(200, 100), 90), &IntakeOptions::default()).expect("intake");
    assert_eq!(
        (out.width, out.height, out.thumb_width, out.thumb_height),
        (200, 100, 200, 100)
    );
    assert_eq!(out.thumb_jpeg, out.jpeg);
}

#[test]
fn thumbnail_has_the_thumb_edge_and_decodes() {
    let opts = IntakeOptions {
        thumb_edge: 320,
        ..IntakeOptions::default()
    };
    let out = intake(&jpeg(&photo_like(1800, 1200, 4), 90), &opts).expect("intake");
    assert_eq!((out.thumb_width, out.thumb_height), (320, 213));
    assert_eq!(decode(&out.thumb_jpeg).dimensions(), (320, 213));
    assert!(out.thumb_jpeg.len() < out.jpeg.len() / 5);
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn hashes_name_the_output_bytes() {
    let out = intake(
        &jpeg(&photo_like(900, 700, 5), 90),
        &IntakeOptions::default(),
    )
    .expect("intake");
    assert_eq!(out.sha256, hex(&out.jpeg));
    assert_eq!(out.thumb_sha256, hex(&out.thumb_jpeg));
    assert_eq!(out.sha256.len(), 64);
    assert!(
        out.sha256
            .chars()
            .all(|c| matches!(c, '0'..='9' | 'a'..='f'))
    );
    assert_ne!(out.sha256, out.thumb_sha256);
    // Deterministic: the same photo gives the same bytes, so the same name (deduplication).
    let again = intake(
        &jpeg(&photo_like(900, 700, 5), 90),
        &IntakeOptions::default(),
    )
    .expect("intake");
    assert_eq!(again.sha256, out.sha256);
}

fn exif_photo(spec: &ExifSpec) -> Vec<u8> {
    with_exif(&jpeg(&photo_like(640, 480, 6), 90), &exif_tiff(spec))
}

#[test]
fn exif_time_and_gps_are_returned() {
    let input = exif_photo(&ExifSpec {
        orientation: Some(1),
        date_time_original: Some("2024:03:15 09:41:27".into()),
        offset_time_original: Some("+08:00".into()),
        gps: Some((25.8312, 114.9331)),
    });
    let out = intake(&input, &IntakeOptions::default()).expect("intake");
    let expected = chrono::NaiveDate::from_ymd_opt(2024, 3, 15)
        .and_then(|d| d.and_hms_opt(9, 41, 27))
        .expect("date");
    assert_eq!(out.taken_at(), Some(expected));
    assert_eq!(out.source.taken_at_offset_minutes, Some(480));
    let GeoPoint { lat, lon } = out.gps().expect("gps");
    assert!((lat - 25.8312).abs() < 1e-6, "lat {lat}");
    assert!((lon - 114.9331).abs() < 1e-6, "lon {lon}");
    assert_eq!(out.source_format(), SourceFormat::Jpeg);

    // Probe reads the same without decoding.
    let info = probe(&input, &IntakeOptions::default()).expect("probe");
    assert_eq!(info, out.source);
}

#[test]
fn southern_and_western_coordinates_are_negative() {
    let input = exif_photo(&ExifSpec {
        gps: Some((-33.8568, -151.2153)),
        ..ExifSpec::default()
    });
    let gps = intake(&input, &IntakeOptions::default())
        .expect("intake")
        .gps()
        .expect("gps");
    assert!(
        (gps.lat + 33.8568).abs() < 1e-6 && (gps.lon + 151.2153).abs() < 1e-6,
        "{gps:?}"
    );
}

#[test]
fn unset_camera_clock_and_zero_gps_are_absent() {
    let input = exif_photo(&ExifSpec {
        date_time_original: Some("0000:00:00 00:00:00".into()),
        gps: Some((0.0, 0.0)),
        ..ExifSpec::default()
    });
    let out = intake(&input, &IntakeOptions::default()).expect("intake");
    assert_eq!((out.taken_at(), out.gps()), (None, None));
}

#[test]
fn broken_exif_does_not_refuse_the_photo() {
    let input = with_exif(
        &jpeg(&quadrants(64, 48), 95),
        b"MM\0*\xFF\xFF\xFF\xFFgarbage",
    );
    let out = intake(&input, &IntakeOptions::default()).expect("intake");
    assert_eq!(out.source.orientation, 1);
    assert_eq!((out.width, out.height), (64, 48));
}

/// The APP segments of a JPEG (marker, payload), up to the first scan.
fn app_segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut at = 2;
    let mut out = Vec::new();
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if (0xE0..=0xEF).contains(&marker) {
            out.push((marker, jpeg[at + 4..at + 2 + len].to_vec()));
        }
        at += 2 + len;
    }
    out
}

#[test]
fn output_has_no_exif() {
    let input = exif_photo(&ExifSpec {
        orientation: Some(6),
        date_time_original: Some("2024:03:15 09:41:27".into()),
        gps: Some((25.8312, 114.9331)),
        ..ExifSpec::default()
    });
    assert!(
        app_segments(&input)
            .iter()
            .any(|(m, p)| *m == 0xE1 && p.starts_with(b"Exif"))
    );
    let out = intake(&input, &IntakeOptions::default()).expect("intake");
    for file in [&out.jpeg, &out.thumb_jpeg] {
        assert!(
            app_segments(file).iter().all(|(m, _)| *m != 0xE1),
            "an APP1 segment"
        );
        assert!(!file.windows(4).any(|w| w == b"Exif"));
        assert!(
            !file.windows(7).any(|w| w == b"TestCam"),
            "the camera's name leaked"
        );
        let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(file));
        assert!(exif.is_err(), "EXIF found in the output");
        assert_eq!(&file[..2], [0xFF, 0xD8]);
        assert_eq!(&file[file.len() - 2..], [0xFF, 0xD9]);
    }
}

/// The SOF and SOS segments of a JPEG (marker, payload), up to the first scan.
fn frame_and_scan(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut at = 2;
    let mut out = Vec::new();
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if matches!(marker, 0xC0..=0xC3 | 0xDA) {
            out.push((marker, jpeg[at + 4..at + 2 + len].to_vec()));
        }
        if marker == 0xDA {
            break;
        }
        at += 2 + len;
    }
    out
}

#[test]
fn output_is_baseline_with_one_interleaved_scan() {
    // What every decoder reads: SOF0 (baseline), and the first scan carries all three
    // components (a non-interleaved file trips zune-jpeg, the decoder inside `image`).
    let out = intake(
        &jpeg(&photo_like(900, 700, 5), 90),
        &IntakeOptions::default(),
    )
    .expect("intake");
    for file in [&out.jpeg, &out.thumb_jpeg] {
        let segments = frame_and_scan(file);
        assert_eq!(segments.len(), 2, "one frame header, then the scan");
        assert_eq!(segments[0].0, 0xC0, "baseline");
        assert_eq!(segments[0].1[5], 3, "three components");
        assert_eq!(
            (segments[1].0, segments[1].1[0]),
            (0xDA, 3),
            "interleaved scan"
        );
    }
}

#[test]
fn icc_profile_is_kept() {
    // An APP2 ICC_PROFILE segment (one chunk of one) with a recognisable body.
    let body: Vec<u8> = (0..200_u8).collect();
    let mut app2 = b"ICC_PROFILE\0\x01\x01".to_vec();
    app2.extend_from_slice(&body);
    let plain = jpeg(&quadrants(64, 48), 95);
    let mut input = vec![0xFF, 0xD8, 0xFF, 0xE2];
    input.extend_from_slice(&u16::try_from(app2.len() + 2).expect("short").to_be_bytes());
    input.extend_from_slice(&app2);
    input.extend_from_slice(&plain[2..]);
    let out = intake(&input, &IntakeOptions::default()).expect("intake");
    let segments = app_segments(&out.jpeg);
    let icc = segments
        .iter()
        .find(|(m, p)| *m == 0xE2 && p.starts_with(b"ICC_PROFILE"))
        .expect("ICC kept");
    assert_eq!(&icc.1[14..], body.as_slice());
}

#[test]
fn png_and_webp_are_taken_and_transparency_turns_white() {
    // PNG with alpha: the left half transparent.
    let rgba = image::RgbaImage::from_fn(60, 40, |x, _| {
        image::Rgba(if x < 30 {
            [0, 0, 0, 0]
        } else {
            [30, 60, 220, 255]
        })
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(rgba.clone())
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let out = intake(&png, &IntakeOptions::default()).expect("intake png");
    assert_eq!(out.source_format(), SourceFormat::Png);
    let img = decode(&out.jpeg);
    assert!(
        near(img.get_pixel(5, 20).0, [255, 255, 255], 12),
        "{:?}",
        img.get_pixel(5, 20)
    );
    assert!(near(img.get_pixel(50, 20).0, BLUE, 30));

    let mut webp = Vec::new();
    image::DynamicImage::ImageRgba8(rgba)
        .write_to(
            &mut std::io::Cursor::new(&mut webp),
            image::ImageFormat::WebP,
        )
        .expect("webp");
    let out = intake(&webp, &IntakeOptions::default()).expect("intake webp");
    assert_eq!(out.source_format(), SourceFormat::WebP);
    assert_eq!((out.width, out.height), (60, 40));
    assert!(near(decode(&out.jpeg).get_pixel(50, 20).0, BLUE, 30));
}

#[test]
fn grayscale_jpeg_is_taken() {
    let gray = image::GrayImage::from_fn(80, 60, |x, _| {
        image::Luma([u8::try_from(x * 3).expect("small")])
    });
    let mut input = Vec::new();
    image::DynamicImage::ImageLuma8(gray)
        .write_to(
            &mut std::io::Cursor::new(&mut input),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
    let out = intake(&input, &IntakeOptions::default()).expect("intake");
    assert_eq!((out.width, out.height), (80, 60));
    let px = decode(&out.jpeg).get_pixel(70, 30).0;
    assert!(near(px, [210, 210, 210], 12), "{px:?}");
}
