//! From bytes to RGB pixels, within limits.
//!
//! Order of checks, cheapest first: size of the input, format by content, dimensions from the
//! header (read by hand in `sniff`, before any decoder exists), completeness of a JPEG, then the
//! decoder itself with `image::Limits` as a second line of defence.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits, RgbImage};

use crate::exif::{self, ExifInfo};
use crate::sniff::{self, SourceFormat};
use crate::{IntakeError, IntakeOptions};

/// What the header and metadata say, before pixels are decoded.
#[derive(Debug)]
pub(crate) struct Header {
    pub format: SourceFormat,
    /// As stored, before orientation.
    pub width: u32,
    pub height: u32,
    pub exif: ExifInfo,
    pub icc: Option<Vec<u8>>,
}

/// Runs every check that does not need pixels, and returns the decoder ready to decode.
pub(crate) fn open<'a>(
    input: &'a [u8],
    opts: &IntakeOptions,
) -> Result<(Header, impl ImageDecoder + 'a), IntakeError> {
    let bytes = u64::try_from(input.len()).unwrap_or(u64::MAX);
    if bytes > opts.max_input_bytes {
        return Err(IntakeError::TooLarge {
            bytes,
            limit: opts.max_input_bytes,
        });
    }
    let format = sniff::sniff(input)?;
    let (width, height) = sniff::header_dimensions(input, format)?;
    check_pixels(width, height, opts)?;
    if format == SourceFormat::Jpeg {
        let scan = sniff::jpeg_scan(input).map_err(|d| corrupt(format, d))?;
        if !scan.complete {
            return Err(corrupt(
                format,
                "no end-of-image marker: the file is cut short",
            ));
        }
    }

    let mut limits = Limits::default();
    limits.max_image_width = Some(opts.max_dimension);
    limits.max_image_height = Some(opts.max_dimension);
    // The RGBA8 output plus the decoders' own working buffers.
    limits.max_alloc = Some(opts.max_pixels.saturating_mul(4).saturating_add(64 << 20));
    let mut reader = ImageReader::with_format(Cursor::new(input), format.image_format());
    reader.limits(limits);
    let too_many = IntakeError::TooManyPixels { width, height };
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| map_error(e, format, &too_many))?;
    // The decoder's own idea of the dimensions must pass too (it is what gets allocated).
    let (dw, dh) = decoder.dimensions();
    check_pixels(dw, dh, opts)?;
    if decoder.total_bytes() > opts.max_pixels.saturating_mul(4) {
        return Err(IntakeError::TooManyPixels {
            width: dw,
            height: dh,
        });
    }
    // Metadata is optional: a decoder that cannot read it leaves it out.
    let exif = decoder
        .exif_metadata()
        .ok()
        .flatten()
        .map(exif::read)
        .unwrap_or(ExifInfo {
            orientation: 1,
            ..ExifInfo::default()
        });
    let icc = decoder.icc_profile().ok().flatten();
    let header = Header {
        format,
        width: dw,
        height: dh,
        exif,
        icc,
    };
    Ok((header, decoder))
}

/// Decodes the pixels to 8-bit RGB; transparency is composed over white (a screenshot with an
/// alpha channel would otherwise turn black where it is transparent).
pub(crate) fn pixels(
    decoder: impl ImageDecoder,
    format: SourceFormat,
    header: &Header,
) -> Result<RgbImage, IntakeError> {
    let too_many = IntakeError::TooManyPixels {
        width: header.width,
        height: header.height,
    };
    let image = DynamicImage::from_decoder(decoder).map_err(|e| map_error(e, format, &too_many))?;
    Ok(match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other if other.color().has_alpha() => over_white(other),
        other => other.into_rgb8(),
    })
}

fn over_white(image: DynamicImage) -> RgbImage {
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = Vec::with_capacity(rgba.as_raw().len() / 4 * 3);
    for px in rgba.as_raw().chunks_exact(4) {
        let a = u32::from(px[3]);
        for &c in &px[..3] {
            // c·a + 255·(255 − a), divided by 255 with rounding.
            let v = (u32::from(c) * a + 255 * (255 - a) + 127) / 255;
            out.push(u8::try_from(v).unwrap_or(u8::MAX));
        }
    }
    RgbImage::from_raw(w, h, out).unwrap_or_else(|| RgbImage::new(w, h))
}

fn check_pixels(width: u32, height: u32, opts: &IntakeOptions) -> Result<(), IntakeError> {
    if width > opts.max_dimension
        || height > opts.max_dimension
        || u64::from(width) * u64::from(height) > opts.max_pixels
    {
        return Err(IntakeError::TooManyPixels { width, height });
    }
    Ok(())
}

fn corrupt(format: SourceFormat, detail: &str) -> IntakeError {
    IntakeError::Corrupt {
        format: format.name(),
        detail: detail.to_owned(),
    }
}

fn map_error(e: ImageError, format: SourceFormat, too_many: &IntakeError) -> IntakeError {
    match e {
        ImageError::Limits(_) => too_many.clone(),
        ImageError::Unsupported(u) => IntakeError::Corrupt {
            format: format.name(),
            detail: format!("unsupported variant: {u}"),
        },
        other => IntakeError::Corrupt {
            format: format.name(),
            detail: other.to_string(),
        },
    }
}
