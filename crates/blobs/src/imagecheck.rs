//! Is it a real photo? The format is told by the content (never by a name or a header the client
//! sends), JPEG, PNG and WebP only, and the image is decoded in full under [`ImageLimits`]: the
//! declared width and height are checked before any pixel buffer is allocated, so a small file
//! that claims to be 100,000 × 100,000 pixels (a decompression bomb) is refused at once.

use std::io::Cursor;

use image::{ImageError, ImageFormat, ImageReader, Limits, error::LimitErrorKind};

use crate::error::UploadError;

/// The image formats accepted, told by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoFormat {
    Jpeg,
    Png,
    Webp,
}

impl PhotoFormat {
    /// The format of `bytes` by its signature, if it is one of ours.
    pub fn sniff(bytes: &[u8]) -> Option<PhotoFormat> {
        if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(PhotoFormat::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(PhotoFormat::Png)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(PhotoFormat::Webp)
        } else {
            None
        }
    }

    /// The media type, for `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
            PhotoFormat::Webp => "image/webp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            PhotoFormat::Jpeg => ImageFormat::Jpeg,
            PhotoFormat::Png => ImageFormat::Png,
            PhotoFormat::Webp => ImageFormat::WebP,
        }
    }
}

/// Limits on a photo's decoded form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    pub max_width: u32,
    pub max_height: u32,
    /// Most bytes the decoder may allocate (the decoded pixels count).
    pub max_alloc: u64,
}

impl Default for ImageLimits {
    /// Photos are shrunk on the phone before they are stored (a few megapixels); these limits
    /// leave room for an unshrunk 48-megapixel camera photo (8000 × 6000 RGB is 144 MB decoded)
    /// and refuse anything larger.
    fn default() -> ImageLimits {
        ImageLimits {
            max_width: 12_000,
            max_height: 12_000,
            max_alloc: 256 << 20,
        }
    }
}

/// What a successful check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedImage {
    pub format: PhotoFormat,
    pub width: u32,
    pub height: u32,
}

/// Decodes `bytes` in full under `limits`. CPU-bound (tens of milliseconds for a phone photo):
/// call it on a blocking thread.
pub fn check_image(bytes: &[u8], limits: &ImageLimits) -> Result<CheckedImage, UploadError> {
    let Some(format) = PhotoFormat::sniff(bytes) else {
        return Err(UploadError::NotImage(
            "not a JPEG, PNG or WebP signature".to_owned(),
        ));
    };
    let mut image_limits = Limits::default();
    image_limits.max_image_width = Some(limits.max_width);
    image_limits.max_image_height = Some(limits.max_height);
    image_limits.max_alloc = Some(limits.max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(image_limits);
    // `decode` checks the dimensions and reserves the output buffer against `max_alloc` before
    // it allocates; the decoders also count their own buffers against it.
    let image = reader.decode().map_err(|e| match e {
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError => UploadError::ImageTooLarge(format!(
                "width or height over {} × {} pixels",
                limits.max_width, limits.max_height
            )),
            _ => UploadError::ImageTooLarge(format!(
                "decoding needs more than {} bytes",
                limits.max_alloc
            )),
        },
        other => UploadError::NotImage(other.to_string()),
    })?;
    if format == PhotoFormat::Jpeg && !has_jpeg_end(bytes) {
        // The JPEG decoder fills a cut-off image with grey rather than fail: a photo whose end
        // is missing would be stored as half a picture.
        return Err(UploadError::NotImage(
            "the JPEG has no end marker (truncated)".to_owned(),
        ));
    }
    Ok(CheckedImage {
        format,
        width: image.width(),
        height: image.height(),
    })
}

/// Whether a JPEG's image data is followed by its end-of-image marker `FF D9`: the last `FF D9`
/// must come after the last start-of-scan `FF DA`. (In the compressed data a literal `FF` is
/// always followed by `00`, so neither marker appears there by chance; an EXIF thumbnail's
/// markers come before the main image's. Bytes some cameras append after the end are allowed.)
fn has_jpeg_end(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w == [0xff, marker]);
    match (last(0xda), last(0xd9)) {
        (Some(sos), Some(eoi)) => eoi > sos,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("encode png");
        out
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("encode jpeg");
        out
    }

    /// A PNG whose header claims `width` × `height` but which holds almost nothing.
    pub(crate) fn png_bomb(width: u32, height: u32) -> Vec<u8> {
        let mut real = png(1, 1);
        // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC at 29.
        real[16..20].copy_from_slice(&width.to_be_bytes());
        real[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&real[12..29]);
        real[29..33].copy_from_slice(&crc.to_be_bytes());
        real
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn real_images_pass() {
        let limits = ImageLimits::default();
        let p = check_image(&png(64, 48), &limits).expect("png");
        assert_eq!((p.format, p.width, p.height), (PhotoFormat::Png, 64, 48));
        let j = check_image(&jpeg(64, 48), &limits).expect("jpeg");
        assert_eq!((j.format, j.width, j.height), (PhotoFormat::Jpeg, 64, 48));
    }

    #[test]
    fn non_images_are_refused() {
        let limits = ImageLimits::default();
        let text = "这不是照片，是一段文字。".repeat(100);
        let mut random = vec![0u8; 10_000];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for b in &mut random {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let mut fake_jpeg = vec![0xff, 0xd8, 0xff, 0xe0];
        fake_jpeg.extend_from_slice(&random);
        let full = jpeg(256, 256);
        let truncated_jpeg = full[..full.len() / 2].to_vec();
        let full_png = png(256, 256);
        let truncated_png = full_png[..full_png.len() / 2].to_vec();
        for (name, bytes) in [
            ("empty", Vec::new()),
            ("text", text.into_bytes()),
            ("random", random),
            ("jpeg signature then noise", fake_jpeg),
            ("truncated jpeg", truncated_jpeg),
            ("truncated png", truncated_png),
        ] {
            match check_image(&bytes, &limits) {
                Err(UploadError::NotImage(_)) => {}
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    /// `main` with `thumb` inside an APP1 segment after its SOI, as cameras embed thumbnails.
    fn with_thumbnail(main: &[u8], thumb: &[u8]) -> Vec<u8> {
        let len = u16::try_from(2 + 6 + thumb.len()).expect("small thumbnail");
        let mut out = vec![0xff, 0xd8, 0xff, 0xe1];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(b"Exif\0\0");
        out.extend_from_slice(thumb);
        out.extend_from_slice(&main[2..]);
        out
    }

    #[test]
    fn a_jpeg_must_end_after_its_image_data() {
        let limits = ImageLimits::default();
        let main = jpeg(256, 256);
        let thumb = jpeg(8, 8);
        let whole = with_thumbnail(&main, &thumb);
        check_image(&whole, &limits).expect("with a thumbnail");
        let mut trailer = main.clone();
        trailer.extend_from_slice(&[0x5a; 5000]);
        check_image(&trailer, &limits).expect("with bytes after the end");
        // Cut in the main image: the thumbnail's end marker does not count.
        let cut = &whole[..whole.len() - main.len() / 2];
        assert!(matches!(
            check_image(cut, &limits),
            Err(UploadError::NotImage(_))
        ));
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_allocating() {
        let limits = ImageLimits::default();
        let bomb = png_bomb(100_000, 100_000);
        assert!(bomb.len() < 100);
        let started = std::time::Instant::now();
        match check_image(&bomb, &limits) {
            Err(UploadError::ImageTooLarge(_)) => {}
            other => panic!("{other:?}"),
        }
        // Within the dimension limits, over the allocation limit (10,000² RGB is 300 MB).
        match check_image(&png_bomb(10_000, 10_000), &limits) {
            Err(UploadError::ImageTooLarge(_)) => {}
            other => panic!("{other:?}"),
        }
        // Refused from the header: no 30 GB (or 300 MB) buffer was filled.
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
