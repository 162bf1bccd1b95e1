//! Photo intake for `add_photo`: every photo goes through `bangfu_photo::intake` before it is
//! kept — shrunk to a long edge of 1600 px, turned upright, EXIF (and so the GPS position)
//! dropped, re-encoded as JPEG, and watermarked like a 水印相机 photo: the date and time it was
//! taken (the photo's own EXIF time, else now), the household and the cadre. The watermark uses
//! the device's CJK font when it has one (Android's Noto CJK, Debian's fonts-noto-cjk, …; read
//! once and kept), else the built-in bitmap font, which leaves Chinese characters out.

use std::sync::OnceLock;

use bangfu_photo::{IntakeError, IntakeOptions, Watermark, WatermarkFont};
use chrono::{DateTime, FixedOffset};

use crate::error::{AppError, Result, invalid};
use crate::visit::MAX_PHOTO_BYTES;

/// The device's CJK font, parsed on first use.
fn font() -> Option<WatermarkFont> {
    static FONT: OnceLock<Option<WatermarkFont>> = OnceLock::new();
    FONT.get_or_init(WatermarkFont::system_cjk).clone()
}

fn refused(e: IntakeError) -> AppError {
    invalid("photos", e.code(), &e.message_zh())
}

/// The JPEG to keep for a photo file: shrunk, upright, without EXIF, watermarked.
pub(crate) fn prepare(
    input: &[u8],
    now: DateTime<FixedOffset>,
    household: &str,
    cadre: &str,
) -> Result<Vec<u8>> {
    let mut options = IntakeOptions {
        max_input_bytes: MAX_PHOTO_BYTES as u64,
        ..IntakeOptions::default()
    };
    let taken_at = bangfu_photo::probe(input, &options)
        .map_err(refused)?
        .taken_at
        .unwrap_or_else(|| now.naive_local());
    options.watermark = Some(Watermark::visit(
        taken_at,
        &format!("{household}户"),
        cadre,
        font(),
    ));
    Ok(bangfu_photo::intake(input, &options).map_err(refused)?.jpeg)
}
