//! Photo and signature files on the phone, and photo intake.
//!
//! Files live under `photos/<sha256>` in the data directory, written through a temporary file,
//! fsync and a rename, and registered in the app's database ([`bangfu_store::LocalDb`]): a file
//! no draft and no recorded visit names is deleted; a recorded visit's files wait there for
//! upload. Photos fetched from the server are kept the same way, as a cache.
//!
//! Intake for `add_photo`: every photo goes through `bangfu_photo::intake` before it is
//! kept — shrunk to a long edge of 1600 px, turned upright, EXIF (and so the GPS position)
//! dropped, re-encoded as JPEG, and watermarked like a 水印相机 photo: the date and time it was
//! taken (the photo's own EXIF time, else now), the household and the cadre. The watermark uses
//! the device's CJK font when it has one (Android's Noto CJK, Debian's fonts-noto-cjk, …; read
//! once and kept), else the built-in bitmap font, which leaves Chinese characters out.

use std::sync::OnceLock;

use bangfu_photo::{IntakeError, IntakeOptions, Watermark, WatermarkFont};
use bangfu_store::local::PhotoKind;
use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};

use crate::App;
use crate::clock::epoch_ms;
use crate::error::{AppError, Result, invalid};

/// Photo and signature files, under the data directory.
pub const PHOTO_DIR: &str = "photos";
/// Largest photo file accepted (before intake shrinks it), and largest photo fetched.
pub const MAX_PHOTO_BYTES: usize = 25 * 1024 * 1024;

/// A file kept under `photos/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeptPhoto {
    /// Lowercase hex SHA-256 of the bytes (the file's name).
    pub sha256: String,
    pub bytes: u32,
}

pub(crate) fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    crate::hex(&Sha256::digest(bytes))
}

impl App {
    /// Writes the bytes to `photos/<sha256>` (temporary file, fsync, rename) and registers them.
    pub(crate) fn keep_photo(&self, bytes: &[u8], kind: PhotoKind) -> Result<KeptPhoto> {
        use std::io::Write;
        let sha = sha256_hex(bytes);
        let dir = self.dir.join(PHOTO_DIR);
        let path = dir.join(&sha);
        if !path.exists() {
            let tmp = dir.join(format!("{sha}.partial"));
            let written = (|| -> std::io::Result<()> {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(bytes)?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)
            })();
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
        }
        let size = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.local
            .add_photo(&sha, kind, size, epoch_ms(self.now()))?;
        Ok(KeptPhoto {
            sha256: sha,
            bytes: size,
        })
    }

    /// Deletes a photo file no draft and no recorded visit names.
    pub(crate) fn forget_photo_if_unused(&self, sha: &str) -> Result<()> {
        if !is_sha256(sha) {
            return Ok(());
        }
        if !self.local.photo_in_visit(sha)? && !self.local.draft_mentions(sha)? {
            self.local.delete_photo(sha)?;
            let _ = std::fs::remove_file(self.dir.join(PHOTO_DIR).join(sha));
        }
        Ok(())
    }

    /// The size of a kept file (0 when this phone does not hold it: fetched when shown).
    pub(crate) fn kept_photo_bytes(&self, sha: &str) -> u32 {
        if !is_sha256(sha) {
            return 0;
        }
        std::fs::metadata(self.dir.join(PHOTO_DIR).join(sha))
            .ok()
            .and_then(|m| u32::try_from(m.len()).ok())
            .unwrap_or(0)
    }

    /// The bytes of a kept file; [`AppError::NotFound`] when this phone does not hold it.
    pub(crate) fn read_photo(&self, sha: &str) -> Result<Vec<u8>> {
        if !is_sha256(sha) {
            return Err(AppError::NotFound("photo"));
        }
        match std::fs::read(self.dir.join(PHOTO_DIR).join(sha)) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::NotFound("photo")),
            Err(e) => Err(e.into()),
        }
    }

    /// Keeps a photo fetched from the server under `photos/` (a cache: it waits for no upload),
    /// after checking that its bytes are the photo of that name.
    pub fn keep_fetched_photo(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        if sha256_hex(bytes) != sha256 {
            return Err(AppError::BadResponse);
        }
        let path = self.dir.join(PHOTO_DIR).join(sha256);
        if !path.exists() {
            crate::session::write_private(&path, bytes)?;
        }
        Ok(())
    }
}

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
