//! What the EXIF block says: orientation, when the photo was taken, and where.
//!
//! EXIF is written by the camera and can be wrong, partial or garbage: nothing here fails. A field
//! that cannot be read is simply absent (orientation: 1, upright).

use chrono::{NaiveDate, NaiveDateTime};
use exif::{In, Reader, Tag, Value};

/// A place on Earth in decimal degrees, as the camera wrote it (WGS-84 from the phone's GPS;
/// maps in China use GCJ-02, convert before drawing on one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Latitude, −90…90, north positive.
    pub lat: f64,
    /// Longitude, −180…180, east positive.
    pub lon: f64,
}

/// The EXIF fields intake keeps.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct ExifInfo {
    /// EXIF orientation 1–8 (1 when absent or invalid).
    pub orientation: u8,
    /// `DateTimeOriginal` (else `DateTimeDigitized`, else `DateTime`), the camera's local time.
    pub taken_at: Option<NaiveDateTime>,
    /// `OffsetTimeOriginal` in minutes east of UTC, when the camera wrote it.
    pub offset_minutes: Option<i16>,
    /// `GPSLatitude`/`GPSLongitude` with their refs.
    pub gps: Option<GeoPoint>,
}

/// Reads the raw EXIF (TIFF-structured, as found after `Exif\0\0` in a JPEG APP1 segment).
pub(crate) fn read(raw: Vec<u8>) -> ExifInfo {
    // Keep what parses even when a later IFD is broken (common in edited photos).
    let fallback_orientation = image::metadata::Orientation::from_exif_chunk(&raw);
    let exif = match Reader::new().continue_on_error(true).read_raw(raw) {
        Ok(exif) => exif,
        Err(exif::Error::PartialResult(partial)) => partial.into_inner().0,
        Err(_) => {
            return ExifInfo {
                orientation: fallback_orientation.map_or(1, |o| o.to_exif()),
                ..ExifInfo::default()
            };
        }
    };
    let orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|o| u8::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);
    let (taken_at, offset_minutes) = [Tag::DateTimeOriginal, Tag::DateTimeDigitized, Tag::DateTime]
        .iter()
        .find_map(|&tag| date_time(&exif, tag))
        .map_or((None, None), |(t, o)| (Some(t), o));
    ExifInfo {
        orientation,
        taken_at,
        offset_minutes,
        gps: gps(&exif),
    }
}

fn ascii(exif: &exif::Exif, tag: Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(v) => v.first().map(Vec::as_slice),
        _ => None,
    }
}

/// The time of `tag`, with the offset of its companion `OffsetTime*` tag.
fn date_time(exif: &exif::Exif, tag: Tag) -> Option<(NaiveDateTime, Option<i16>)> {
    let mut dt = exif::DateTime::from_ascii(ascii(exif, tag)?).ok()?;
    let offset_tag = match tag {
        Tag::DateTimeOriginal => Tag::OffsetTimeOriginal,
        Tag::DateTimeDigitized => Tag::OffsetTimeDigitized,
        _ => Tag::OffsetTime,
    };
    if let Some(raw) = ascii(exif, offset_tag) {
        // An unreadable offset leaves the time without one.
        let _ = dt.parse_offset(raw);
    }
    let date = NaiveDate::from_ymd_opt(i32::from(dt.year), dt.month.into(), dt.day.into())?;
    // Year 0 … 1990 are cameras with an unset clock ("0000:00:00", "1970:01:01"): no time.
    if dt.year < 1991 {
        return None;
    }
    let time = date.and_hms_opt(dt.hour.into(), dt.minute.into(), dt.second.into())?;
    let offset = dt.offset.filter(|o| o.abs() <= 14 * 60);
    Some((time, offset))
}

/// Degrees, minutes, seconds as three rationals, signed by the ref letter.
fn coordinate(exif: &exif::Exif, tag: Tag, ref_tag: Tag, negative: u8) -> Option<f64> {
    let Value::Rational(dms) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    let part = |i: usize| dms.get(i).map(|r| r.to_f64());
    let degrees = part(0)? + part(1).unwrap_or(0.0) / 60.0 + part(2).unwrap_or(0.0) / 3600.0;
    if !degrees.is_finite() {
        return None;
    }
    let sign = match ascii(exif, ref_tag).and_then(|r| r.first()) {
        Some(&r) if r.eq_ignore_ascii_case(&negative) => -1.0,
        _ => 1.0,
    };
    Some(sign * degrees)
}

fn gps(exif: &exif::Exif) -> Option<GeoPoint> {
    let lat = coordinate(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let lon = coordinate(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    // Exactly 0,0 is a camera without a fix that wrote zeros, not a photo taken at sea off Africa.
    if !(-90.0..=90.0).contains(&lat)
        || !(-180.0..=180.0).contains(&lon)
        || (lat, lon) == (0.0, 0.0)
    {
        return None;
    }
    Some(GeoPoint { lat, lon })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_exif_is_upright_with_nothing_known() {
        assert_eq!(
            read(b"not a tiff".to_vec()),
            ExifInfo {
                orientation: 1,
                ..ExifInfo::default()
            }
        );
        assert_eq!(read(Vec::new()).orientation, 1);
    }
}
