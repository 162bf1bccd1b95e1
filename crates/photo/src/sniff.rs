//! What the bytes are, read from their content (never from a file name), and the dimensions the
//! header claims — read here, by hand, so that a decompression bomb is refused before any decoder
//! is built or any pixel buffer allocated.

use crate::IntakeError;

/// The source formats intake decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// JPEG (every phone camera's default).
    Jpeg,
    /// PNG (screenshots).
    Png,
    /// WebP (images saved from chat apps).
    WebP,
}

impl SourceFormat {
    /// Short name: `"JPEG"`, `"PNG"`, `"WebP"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::WebP => "WebP",
        }
    }

    pub(crate) fn image_format(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::WebP => image::ImageFormat::WebP,
        }
    }
}

/// The format of `input`, from its first bytes. Known image formats that intake does not decode
/// are [`IntakeError::UnsupportedFormat`]; anything else is [`IntakeError::NotImage`].
pub fn sniff(input: &[u8]) -> Result<SourceFormat, IntakeError> {
    if input.is_empty() {
        return Err(IntakeError::Empty);
    }
    let unsupported = |format| Err(IntakeError::UnsupportedFormat { format });
    if input.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(SourceFormat::Jpeg);
    }
    if input.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(SourceFormat::Png);
    }
    if input.len() >= 12 && &input[0..4] == b"RIFF" && &input[8..12] == b"WEBP" {
        return Ok(SourceFormat::WebP);
    }
    if input.len() >= 12 && &input[4..8] == b"ftyp" {
        return match &input[8..12] {
            b"avif" | b"avis" => unsupported("AVIF"),
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                unsupported("HEIC")
            }
            _ => Err(IntakeError::NotImage), // MP4 and other ISO-BMFF files: videos.
        };
    }
    if input.starts_with(b"GIF87a") || input.starts_with(b"GIF89a") {
        return unsupported("GIF");
    }
    if input.starts_with(b"II*\0") || input.starts_with(b"MM\0*") {
        return unsupported("TIFF");
    }
    let bmp_dib_size = input
        .get(14..18)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes);
    if input.starts_with(b"BM") && matches!(bmp_dib_size, Some(12 | 40 | 52 | 56 | 64 | 108 | 124))
    {
        return unsupported("BMP");
    }
    Err(IntakeError::NotImage)
}

/// The dimensions claimed by the header (as stored, before EXIF orientation).
pub(crate) fn header_dimensions(
    input: &[u8],
    format: SourceFormat,
) -> Result<(u32, u32), IntakeError> {
    let corrupt = |detail: &str| IntakeError::Corrupt {
        format: format.name(),
        detail: detail.to_owned(),
    };
    let dims = match format {
        SourceFormat::Jpeg => jpeg_scan(input).map_err(corrupt)?.dimensions,
        SourceFormat::Png => png_dimensions(input).ok_or_else(|| corrupt("no IHDR header"))?,
        SourceFormat::WebP => webp_dimensions(input).ok_or_else(|| corrupt("no VP8 header"))?,
    };
    if dims.0 == 0 || dims.1 == 0 {
        return Err(corrupt("zero width or height"));
    }
    Ok(dims)
}

/// What a walk over a JPEG's segments finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JpegScan {
    /// Width and height from the first SOFn segment.
    pub dimensions: (u32, u32),
    /// Whether an end-of-image marker follows the first scan: a file cut short (a half-copied
    /// photo) has none. The decoder alone would not say so: it fills the missing rows with grey.
    pub complete: bool,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Walks the marker segments up to the first scan (SOS), reading the frame header (SOFn) on the
/// way, then looks for the end-of-image marker after it. Entropy-coded data never contains
/// `FF D9` (a data byte `FF` is stuffed as `FF 00`), so finding it means the scan data is whole.
pub(crate) fn jpeg_scan(input: &[u8]) -> Result<JpegScan, &'static str> {
    let mut at = 2; // after SOI
    let mut dimensions = None;
    loop {
        // Markers may be preceded by any number of fill bytes 0xFF.
        if input.get(at) != Some(&0xFF) {
            return Err("bad marker before the image data");
        }
        while input.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *input.get(at).ok_or("cut short in the header")?;
        at += 1;
        match marker {
            // Standalone markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 | 0xD9 => return Err("unexpected marker before the image data"),
            _ => {}
        }
        let len = usize::from(be16(input, at).ok_or("cut short in the header")?);
        if len < 2 || at + len > input.len() {
            return Err("cut short in the header");
        }
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            // SOFn: length, precision, height, width.
            let h = be16(input, at + 3).ok_or("short frame header")?;
            let w = be16(input, at + 5).ok_or("short frame header")?;
            dimensions.get_or_insert((u32::from(w), u32::from(h)));
        }
        at += len;
        if marker == 0xDA {
            break;
        }
    }
    let dimensions = dimensions.ok_or("no frame header before the image data")?;
    // Search from the end: a whole file ends with FF D9 (or has a little trailing data).
    let data = &input[at..];
    let complete = data.windows(2).rev().any(|w| w == [0xFF, 0xD9]);
    Ok(JpegScan {
        dimensions,
        complete,
    })
}

fn png_dimensions(input: &[u8]) -> Option<(u32, u32)> {
    if input.get(12..16)? != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(input.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(input.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        0,
    ]))
}

fn webp_dimensions(input: &[u8]) -> Option<(u32, u32)> {
    match input.get(12..16)? {
        // Extended: canvas width-1 and height-1, 24 bits each, at 24 and 27.
        b"VP8X" => Some((le24(input, 24)? + 1, le24(input, 27)? + 1)),
        // Lossless: signature 0x2F, then 14 bits width-1 and 14 bits height-1.
        b"VP8L" => {
            if *input.get(20)? != 0x2F {
                return None;
            }
            let bits = u32::from_le_bytes(input.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        // Lossy: 3-byte frame tag, start code 9D 01 2A, then 14-bit width and height.
        b"VP8 " => {
            if input.get(23..26)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            let w = u16::from_le_bytes(input.get(26..28)?.try_into().ok()?) & 0x3FFF;
            let h = u16::from_le_bytes(input.get(28..30)?.try_into().ok()?) & 0x3FFF;
            Some((u32::from(w), u32::from(h)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Ok(SourceFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Ok(SourceFormat::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Ok(SourceFormat::WebP));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Err(IntakeError::UnsupportedFormat { format: "HEIC" })
        );
        assert_eq!(
            sniff(b"GIF89a\x01\0\x01\0"),
            Err(IntakeError::UnsupportedFormat { format: "GIF" })
        );
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0"), Err(IntakeError::NotImage));
        assert_eq!(sniff(b"%PDF-1.7"), Err(IntakeError::NotImage));
        assert_eq!(sniff(b""), Err(IntakeError::Empty));
    }

    #[test]
    fn webp_headers_give_dimensions() {
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0x9F, 0x0F, 0x00, 0xB7, 0x0B, 0x00]); // 3999+1, 2999+1
        assert_eq!(webp_dimensions(&vp8x), Some((4000, 3000)));
        let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2F".to_vec();
        let bits: u32 = 99 | (49 << 14);
        vp8l.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(webp_dimensions(&vp8l), Some((100, 50)));
    }
}
