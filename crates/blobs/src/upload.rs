//! [`UploadService`]: resumable, verified photo uploads on top of any [`BlobStore`].
//!
//! A device sends a photo in chunks, each at the byte where the server's copy ends
//! ([`UploadService::append`]); the chunks are staged in a local directory (`STAGING/<sha>.part`),
//! whatever the store, so that a chunk is one local append rather than an object write. When the
//! last byte arrives, [`UploadService::complete`] hashes the staged bytes (they must hash to the
//! name), decodes them as an image under limits, `put`s them into the store and removes the
//! staging file. A cut connection loses at most the chunk on the way: the device asks where the
//! server's copy ends and goes on from there.
//!
//! Concurrency: all steps of one name run under that name's lock, so two devices uploading the
//! same photo append in turn (the second is told the offset the first reached, and continues
//! from there: the bytes are the same). Different names run in parallel; image checks (the
//! memory-hungry part) run at most [`UploadConfig::max_concurrent_checks`] at a time.
//!
//! Staged chunks are not fsynced: after a server crash a staging file may end in garbage, the
//! hash check at the end refuses it, and the device sends the photo again. Verified blobs are
//! durable (the store's job). The staging directory belongs to one server process.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use crate::error::{StoreError, UploadError};
use crate::imagecheck::{ImageLimits, PhotoFormat, check_image};
use crate::sha::Sha256Hex;
use crate::store::BlobStore;

/// The service's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadConfig {
    /// Largest photo, in bytes (phones shrink photos to well under 1 MB; an unshrunk camera
    /// photo is 3–6 MB).
    pub max_bytes: u64,
    /// Largest chunk in one `append` (one HTTP request body).
    pub max_chunk_bytes: u64,
    pub image: ImageLimits,
    /// Image checks running at once (each may take up to `image.max_alloc` of memory).
    pub max_concurrent_checks: usize,
    /// Concurrent store look-ups of one [`UploadService::have`] (each is a request to S3).
    pub have_concurrency: usize,
}

impl Default for UploadConfig {
    fn default() -> UploadConfig {
        UploadConfig {
            max_bytes: 8 << 20,
            max_chunk_bytes: 1 << 20,
            image: ImageLimits::default(),
            max_concurrent_checks: 2,
            have_concurrency: 16,
        }
    }
}

/// Where one photo stands on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoStatus {
    /// Stored and verified, `size` bytes: nothing to send.
    Stored { size: u64 },
    /// An upload has `received` bytes so far: send from there.
    Partial { received: u64 },
    /// Nothing of it: send from byte 0.
    Absent,
}

impl PhotoStatus {
    /// The byte an upload continues at (the size when stored).
    pub fn offset(self) -> u64 {
        match self {
            PhotoStatus::Stored { size } => size,
            PhotoStatus::Partial { received } => received,
            PhotoStatus::Absent => 0,
        }
    }
}

/// The answer to [`UploadService::have`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Have {
    /// Stored photos, sorted.
    pub stored: Vec<Sha256Hex>,
    /// Partial uploads and their received bytes.
    pub partial: BTreeMap<Sha256Hex, u64>,
}

/// What an [`UploadService::append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// More to come: `received` bytes so far.
    Partial { received: u64 },
    /// The photo is stored. `created`: by this call (false: it was stored before, the chunk was
    /// not needed).
    Complete { size: u64, created: bool },
}

/// Resumable, verified uploads into a [`BlobStore`].
#[derive(Debug)]
pub struct UploadService {
    store: Arc<dyn BlobStore>,
    staging: PathBuf,
    config: UploadConfig,
    /// One lock per name being worked on (entries die with their last user).
    locks: Mutex<HashMap<Sha256Hex, Weak<tokio::sync::Mutex<()>>>>,
    checks: Semaphore,
}

impl UploadService {
    /// A service over `store`, staging partial uploads in `staging_dir` (created if needed; keep
    /// it on the same machine as the server process, off any network file system).
    pub fn new(
        store: Arc<dyn BlobStore>,
        staging_dir: impl Into<PathBuf>,
        config: UploadConfig,
    ) -> Result<UploadService, StoreError> {
        let staging = staging_dir.into();
        std::fs::create_dir_all(&staging)?;
        Ok(UploadService {
            store,
            staging,
            checks: Semaphore::new(config.max_concurrent_checks.max(1)),
            config,
            locks: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &UploadConfig {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn BlobStore> {
        &self.store
    }

    /// The directory of partial uploads.
    pub fn staging_dir(&self) -> &Path {
        &self.staging
    }

    /// The staging file of `sha` (whether or not it exists).
    pub fn staging_path(&self, sha: &Sha256Hex) -> PathBuf {
        self.staging.join(format!("{sha}.part"))
    }

    /// Where `sha` stands.
    pub async fn status(&self, sha: &Sha256Hex) -> Result<PhotoStatus, UploadError> {
        if let Some(size) = self.store.len(sha).await? {
            return Ok(PhotoStatus::Stored { size });
        }
        Ok(match staged_len(&self.staging_path(sha)).await? {
            0 => PhotoStatus::Absent,
            received => PhotoStatus::Partial { received },
        })
    }

    /// Where each of `shas` stands, in one call (each name looked up once, concurrently).
    pub async fn have(&self, shas: &[Sha256Hex]) -> Result<Have, UploadError> {
        let mut unique = shas.to_vec();
        unique.sort();
        unique.dedup();
        // Owned names: a closure over borrowed ones trips the compiler's higher-ranked
        // lifetime check once the future must be `Send` (axum handlers).
        let statuses: Vec<_> = futures::stream::iter(unique)
            .map(|sha| async move { self.status(&sha).await.map(|s| (sha, s)) })
            .buffer_unordered(self.config.have_concurrency.max(1))
            .collect()
            .await;
        let mut have = Have::default();
        for status in statuses {
            match status? {
                (sha, PhotoStatus::Stored { .. }) => have.stored.push(sha),
                (sha, PhotoStatus::Partial { received }) => {
                    have.partial.insert(sha, received);
                }
                (_, PhotoStatus::Absent) => {}
            }
        }
        have.stored.sort();
        Ok(have)
    }

    /// Adds `chunk`, the bytes at `offset` of a photo of `total` bytes named `sha`. When it is the
    /// last chunk, completes the upload (hash and image checks, then the store). A chunk for a
    /// photo that is stored already is not needed and answered [`Appended::Complete`].
    ///
    /// Refusals: `total` over the limit or zero, a chunk over the chunk limit or past `total`,
    /// and [`UploadError::OffsetMismatch`] when `offset` is not where the staged copy ends (its
    /// `expected` says where to go on).
    pub async fn append(
        &self,
        sha: &Sha256Hex,
        total: u64,
        offset: u64,
        chunk: &[u8],
    ) -> Result<Appended, UploadError> {
        let max = self.config.max_bytes;
        if total > max {
            return Err(UploadError::TooLarge {
                declared: total,
                max,
            });
        }
        if total == 0 {
            return Err(UploadError::BadRange("an empty photo"));
        }
        let len = chunk.len() as u64;
        if len > self.config.max_chunk_bytes {
            return Err(UploadError::ChunkTooLarge {
                len,
                max: self.config.max_chunk_bytes,
            });
        }
        if offset.checked_add(len).is_none_or(|end| end > total) {
            return Err(UploadError::BadRange(
                "the chunk ends past the photo's size",
            ));
        }
        let lock = self.lock_for(sha);
        let _held = lock.lock().await;
        let path = self.staging_path(sha);
        let received = staged_len(&path).await?;
        if received == 0
            && let Some(size) = self.store.len(sha).await?
        {
            return Ok(Appended::Complete {
                size,
                created: false,
            });
        }
        if received >= total {
            // Staged whole, but the completion failed on the server's side (the store was
            // down): any chunk of the photo retries it.
            let size = self.complete_locked(sha, &path).await?;
            return Ok(Appended::Complete {
                size,
                created: true,
            });
        }
        if offset != received {
            return Err(UploadError::OffsetMismatch {
                expected: received,
                offset,
            });
        }
        if len > 0 {
            let mut file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .await
                .map_err(StoreError::Io)?;
            file.write_all(chunk).await.map_err(StoreError::Io)?;
            file.flush().await.map_err(StoreError::Io)?;
        }
        let received = received + len;
        if received < total {
            return Ok(Appended::Partial { received });
        }
        let size = self.complete_locked(sha, &path).await?;
        Ok(Appended::Complete {
            size,
            created: true,
        })
    }

    /// Verifies the staged bytes of `sha` and stores them: they must hash to `sha` and be an
    /// image within the limits. On a refusal the staged bytes are removed (they can never become
    /// this photo). `append` calls this after the last chunk; calling it again once stored is
    /// harmless. Returns the stored size.
    pub async fn complete(&self, sha: &Sha256Hex) -> Result<u64, UploadError> {
        let lock = self.lock_for(sha);
        let _held = lock.lock().await;
        let path = self.staging_path(sha);
        if staged_len(&path).await? == 0
            && let Some(size) = self.store.len(sha).await?
        {
            return Ok(size);
        }
        self.complete_locked(sha, &path).await
    }

    async fn complete_locked(&self, sha: &Sha256Hex, path: &Path) -> Result<u64, UploadError> {
        let bytes = match tokio::fs::read(path).await {
            Ok(b) => Bytes::from(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(UploadError::BadRange("nothing of this photo was received"));
            }
            Err(e) => return Err(StoreError::Io(e).into()),
        };
        let checked = self.verify(sha, bytes.clone()).await;
        if let Err(e) = checked {
            if !e.is_server_fault() {
                remove_if_present(path).await?;
            }
            return Err(e);
        }
        let size = bytes.len() as u64;
        self.store.put(sha, bytes).await?;
        remove_if_present(path).await?;
        Ok(size)
    }

    /// The hash, then (on a blocking thread, a few at a time) the image check.
    async fn verify(&self, sha: &Sha256Hex, bytes: Bytes) -> Result<(), UploadError> {
        if bytes.len() as u64 > self.config.max_bytes {
            return Err(UploadError::TooLarge {
                declared: bytes.len() as u64,
                max: self.config.max_bytes,
            });
        }
        let limits = self.config.image;
        let _permit = self
            .checks
            .acquire()
            .await
            .map_err(|e| StoreError::Io(io::Error::other(e)))?;
        let expected = sha.clone();
        tokio::task::spawn_blocking(move || {
            let actual = Sha256Hex::from_digest(&Sha256::digest(&bytes));
            if actual != expected {
                return Err(UploadError::HashMismatch {
                    expected: expected.to_string(),
                    actual: actual.to_string(),
                });
            }
            check_image(&bytes, &limits).map(|_| ())
        })
        .await
        .map_err(|e| StoreError::Io(io::Error::other(e)))?
    }

    /// The stored photo and its format (`None` if not stored).
    pub async fn get(&self, sha: &Sha256Hex) -> Result<Option<(Bytes, PhotoFormat)>, UploadError> {
        Ok(self.store.get(sha).await?.map(|bytes| {
            // Stored photos passed the check, so the signature is there; JPEG is the fallback
            // for a store filled by other means.
            let format = PhotoFormat::sniff(&bytes).unwrap_or(PhotoFormat::Jpeg);
            (bytes, format)
        }))
    }

    /// Removes partial uploads untouched for longer than `older_than` (a device that gave up, or
    /// was reset). Returns how many. Call it now and then (daily, with a week's age, say).
    pub async fn remove_stale_partials(&self, older_than: Duration) -> Result<usize, UploadError> {
        let mut removed = 0;
        let mut dir = tokio::fs::read_dir(&self.staging)
            .await
            .map_err(StoreError::Io)?;
        let now = SystemTime::now();
        while let Some(entry) = dir.next_entry().await.map_err(StoreError::Io)? {
            let Some(sha) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".part"))
                .and_then(|n| Sha256Hex::parse(n).ok())
            else {
                continue;
            };
            let lock = self.lock_for(&sha);
            let _held = lock.lock().await;
            let stale = tokio::fs::metadata(entry.path())
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > older_than);
            if stale {
                remove_if_present(&entry.path()).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn lock_for(&self, sha: &Sha256Hex) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lock) = locks.get(sha).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() >= 64 {
            locks.retain(|_, w| w.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(sha.clone(), Arc::downgrade(&lock));
        lock
    }
}

/// The staged length, 0 when there is no staging file.
async fn staged_len(path: &Path) -> Result<u64, StoreError> {
    match tokio::fs::metadata(path).await {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e.into()),
    }
}

async fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}
