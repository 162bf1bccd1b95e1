//! Photo and signature files kept on the phone (under `photos/`, by SHA-256): registered when
//! kept, queued for upload once the visit naming them is recorded, marked when the server holds
//! them.

use rusqlite::params;

use super::{LocalDb, ms_sql};
use crate::error::StoreError;

/// What a kept file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoKind {
    Photo,
    Signature,
}

impl PhotoKind {
    /// `photo` or `signature`.
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoKind::Photo => "photo",
            PhotoKind::Signature => "signature",
        }
    }
}

/// A file of a recorded visit that the server does not hold yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingPhoto {
    pub sha256: String,
    pub bytes: u64,
    /// `photo` or `signature`.
    pub kind: String,
}

const WAITING: &str = "visit_id IS NOT NULL AND uploaded_at_ms IS NULL";

impl LocalDb {
    /// Registers a kept file (nothing changes if it is registered already).
    pub fn add_photo(
        &self,
        sha256: &str,
        kind: PhotoKind,
        bytes: u32,
        added_at_ms: u64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO photos (sha256, kind, bytes, added_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sha256) DO NOTHING",
            params![sha256, kind.as_str(), i64::from(bytes), ms_sql(added_at_ms)],
        )?;
        Ok(())
    }

    /// Whether a recorded visit names the file.
    pub fn photo_in_visit(&self, sha256: &str) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1 AND visit_id IS NOT NULL)",
            [sha256],
            |r| r.get(0),
        )?)
    }

    /// Forgets a file.
    pub fn delete_photo(&self, sha256: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM photos WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    /// The files waiting for upload, oldest first.
    pub fn photos_waiting(&self) -> Result<Vec<WaitingPhoto>, StoreError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT sha256, bytes, kind FROM photos WHERE {WAITING} ORDER BY added_at_ms, sha256"
        ))?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(WaitingPhoto {
                sha256: r.get(0)?,
                bytes: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                kind: r.get(2)?,
            });
        }
        Ok(out)
    }

    /// How many files wait for upload, and their bytes in all.
    pub fn photos_waiting_total(&self) -> Result<(u64, u64), StoreError> {
        let (n, bytes): (i64, i64) = self.conn.query_row(
            &format!("SELECT count(*), IFNULL(sum(bytes), 0) FROM photos WHERE {WAITING}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((
            u64::try_from(n).unwrap_or(0),
            u64::try_from(bytes).unwrap_or(0),
        ))
    }

    /// Marks a file as held by the server.
    pub fn mark_photo_uploaded(&self, sha256: &str, at_ms: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE photos SET uploaded_at_ms = ?2 WHERE sha256 = ?1",
            params![sha256, ms_sql(at_ms)],
        )?;
        Ok(())
    }
}
