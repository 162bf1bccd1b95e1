//! bangfu-photo: photo intake on the phone.
//!
//! A cadre's photo (from the camera or the gallery) goes through [`intake`] once, before it is
//! stored: the bytes are identified by content, checked against limits (size, pixels —
//! decompression bombs are refused from the header, before anything is allocated), decoded,
//! shrunk to a long edge (1600 px by default), turned upright by its EXIF orientation, optionally
//! watermarked, and encoded as a JPEG without EXIF, with a thumbnail. Both are named by their
//! SHA-256, as records refer to photos. The time and place from EXIF come back as fields for the
//! record instead of staying in the file (so the stored photo does not leak the GPS position).
//!
//! Cost for a 12-megapixel camera JPEG (4000×3000, 3.6 MB, EXIF orientation 6) on the shared
//! 2-core build machine, release build (`cargo run --release -p bangfu-photo --example
//! bench_intake`): 0.09–0.13 s wall (median; 0.09 s CPU), 340 KB output at quality 80, 7 KB
//! thumbnail; with a CJK watermark the same. The target is under 0.5 s and 400 KB. Where the time
//! goes: decoding (zune-jpeg inside `image`) ~80 ms, resize (`fast_image_resize`) ~12 ms, JPEG
//! encoding (`jpeg-encoder`) ~12 ms, rotation ~3 ms; the choices and the alternatives measured are
//! in the headers of `resize.rs` and `encode.rs`.
//!
//! Formats: JPEG, PNG and WebP are decoded. HEIC/AVIF/GIF/BMP/TIFF are refused with
//! `photo_unsupported_format` (the message tells the cadre to switch the camera to JPG); anything
//! else with `photo_not_image`. Every error has a stable [`IntakeError::code`] and a Chinese
//! [`IntakeError::message_zh`] that says what to do.
//!
//! Everything here is synchronous and single-threaded: the app calls it on a worker thread.

mod decode;
mod encode;
mod error;
mod exif;
mod resize;
mod sniff;
pub mod watermark;

use std::fmt;

use chrono::NaiveDateTime;

pub use encode::sha256_hex;
pub use error::IntakeError;
pub use exif::GeoPoint;
pub use resize::fit;
pub use sniff::{SourceFormat, sniff};
pub use watermark::{Band, Watermark, WatermarkFont, find_system_cjk_font};

/// How intake shrinks and encodes, and what it refuses.
#[derive(Debug, Clone)]
pub struct IntakeOptions {
    /// Longest side of the stored photo, in pixels (smaller photos are not enlarged). Default 1600.
    pub long_edge: u32,
    /// JPEG quality 1–100 of the stored photo. Default 80.
    pub jpeg_quality: u8,
    /// Longest side of the thumbnail. Default 256.
    pub thumb_edge: u32,
    /// JPEG quality of the thumbnail. Default 75.
    pub thumb_quality: u8,
    /// Largest input file accepted, in bytes. Default 40 MiB (a 50-megapixel JPEG is ~25 MB).
    pub max_input_bytes: u64,
    /// Most pixels accepted (width × height as stored). Default 64 million: a 50-megapixel phone
    /// photo passes, a 108-megapixel one (≈ 330 MB decoded) is refused to protect a 2 GB phone.
    pub max_pixels: u64,
    /// Longest side accepted, in pixels. Default 16 384.
    pub max_dimension: u32,
    /// Text to burn into the photo, or none.
    pub watermark: Option<Watermark>,
}

impl Default for IntakeOptions {
    fn default() -> Self {
        Self {
            long_edge: 1600,
            jpeg_quality: 80,
            thumb_edge: 256,
            thumb_quality: 75,
            max_input_bytes: 40 << 20,
            max_pixels: 64_000_000,
            max_dimension: 16_384,
            watermark: None,
        }
    }
}

impl IntakeOptions {
    fn check(&self) -> Result<(), IntakeError> {
        // JPEG stores sides as 16-bit numbers.
        if !(1..=65_535).contains(&self.long_edge) || !(1..=65_535).contains(&self.thumb_edge) {
            return Err(IntakeError::InvalidOptions(
                "long_edge and thumb_edge must be 1…65535",
            ));
        }
        if !(1..=100).contains(&self.jpeg_quality) || !(1..=100).contains(&self.thumb_quality) {
            return Err(IntakeError::InvalidOptions("JPEG qualities must be 1…100"));
        }
        if self.max_pixels == 0 || self.max_dimension == 0 {
            return Err(IntakeError::InvalidOptions("pixel limits must be positive"));
        }
        Ok(())
    }
}

/// What the source photo is, from its header and EXIF, without decoding pixels ([`probe`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoInfo {
    /// The source's format.
    pub format: SourceFormat,
    /// Width as displayed (after EXIF orientation).
    pub width: u32,
    /// Height as displayed (after EXIF orientation).
    pub height: u32,
    /// EXIF orientation 1–8 (1: upright, 6: turn 90° clockwise, …); 1 without EXIF.
    pub orientation: u8,
    /// When the photo was taken, the camera's local time (EXIF `DateTimeOriginal`).
    pub taken_at: Option<NaiveDateTime>,
    /// The UTC offset of `taken_at` in minutes, when the camera wrote one (`OffsetTimeOriginal`).
    pub taken_at_offset_minutes: Option<i16>,
    /// Where, from EXIF GPS.
    pub gps: Option<GeoPoint>,
}

/// A photo ready to store: the shrunk JPEG and its thumbnail, their hashes, and what the source
/// said about time and place.
#[derive(Clone, PartialEq)]
pub struct Intake {
    /// The stored photo: baseline JPEG, upright, no EXIF.
    pub jpeg: Vec<u8>,
    /// Lowercase hex SHA-256 of `jpeg`: the photo's name in records.
    pub sha256: String,
    /// Width of `jpeg`.
    pub width: u32,
    /// Height of `jpeg`.
    pub height: u32,
    /// The thumbnail: JPEG, upright, no EXIF, made from the stored photo (watermark included).
    pub thumb_jpeg: Vec<u8>,
    /// Lowercase hex SHA-256 of `thumb_jpeg`.
    pub thumb_sha256: String,
    /// Width of `thumb_jpeg`.
    pub thumb_width: u32,
    /// Height of `thumb_jpeg`.
    pub thumb_height: u32,
    /// The source photo: format, displayed size, orientation, time and place.
    pub source: PhotoInfo,
    /// Where the watermark was drawn in `jpeg`, if one was.
    pub watermark_band: Option<Band>,
}

impl Intake {
    /// EXIF `DateTimeOriginal` of the source (camera's local time).
    pub fn taken_at(&self) -> Option<NaiveDateTime> {
        self.source.taken_at
    }

    /// EXIF GPS position of the source.
    pub fn gps(&self) -> Option<GeoPoint> {
        self.source.gps
    }

    /// The source's format.
    pub fn source_format(&self) -> SourceFormat {
        self.source.format
    }
}

impl fmt::Debug for Intake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Intake")
            .field("jpeg", &format_args!("{} bytes", self.jpeg.len()))
            .field("sha256", &self.sha256)
            .field("width", &self.width)
            .field("height", &self.height)
            .field(
                "thumb_jpeg",
                &format_args!("{} bytes", self.thumb_jpeg.len()),
            )
            .field("thumb_sha256", &self.thumb_sha256)
            .field("thumb_width", &self.thumb_width)
            .field("thumb_height", &self.thumb_height)
            .field("source", &self.source)
            .field("watermark_band", &self.watermark_band)
            .finish()
    }
}

/// Turns a photo file into what is stored; see the crate docs for the steps.
pub fn intake(input: &[u8], opts: &IntakeOptions) -> Result<Intake, IntakeError> {
    opts.check()?;
    let (header, decoder) = decode::open(input, opts)?;
    let source = info(&header);
    let pixels = decode::pixels(decoder, header.format, &header)?;

    let (w, h) = fit(pixels.width(), pixels.height(), opts.long_edge);
    let shrunk = if (w, h) == pixels.dimensions() {
        pixels
    } else {
        resize::resize(&pixels, w, h)?
    };
    let mut upright = resize::orient(shrunk, header.exif.orientation);
    let watermark_band = opts
        .watermark
        .as_ref()
        .and_then(|wm| watermark::burn(&mut upright, wm));

    let icc = header.icc.as_deref();
    let (width, height) = upright.dimensions();
    let jpeg = encode::jpeg(upright.as_raw(), width, height, opts.jpeg_quality, icc)?;
    let (tw, th) = fit(width, height, opts.thumb_edge);
    let thumb_jpeg = if (tw, th) == (width, height) {
        jpeg.clone()
    } else {
        let thumb = resize::resize(&upright, tw, th)?;
        encode::jpeg(thumb.as_raw(), tw, th, opts.thumb_quality, icc)?
    };
    Ok(Intake {
        sha256: sha256_hex(&jpeg),
        thumb_sha256: sha256_hex(&thumb_jpeg),
        jpeg,
        width,
        height,
        thumb_jpeg,
        thumb_width: tw,
        thumb_height: th,
        source,
        watermark_band,
    })
}

/// What a photo is (format, displayed size, time, place) without decoding its pixels: cheap
/// (a few milliseconds), and refuses the same bad input as [`intake`] except damage in the pixel
/// data. The app uses it to put the photo's own time into the watermark before intake.
pub fn probe(input: &[u8], opts: &IntakeOptions) -> Result<PhotoInfo, IntakeError> {
    opts.check()?;
    let (header, _decoder) = decode::open(input, opts)?;
    Ok(info(&header))
}

fn info(header: &decode::Header) -> PhotoInfo {
    let turned = header.exif.orientation >= 5; // 5–8 swap width and height
    let (width, height) = if turned {
        (header.height, header.width)
    } else {
        (header.width, header.height)
    };
    PhotoInfo {
        format: header.format,
        width,
        height,
        orientation: header.exif.orientation,
        taken_at: header.exif.taken_at,
        taken_at_offset_minutes: header.exif.offset_minutes,
        gps: header.exif.gps,
    }
}
