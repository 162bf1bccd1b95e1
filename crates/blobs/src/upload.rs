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
//! Owners: each partial upload belongs to an [`Owner`] (the device sending it, as the server's
//! [`PhotoAccess`](crate::access::PhotoAccess) names it), staged in the owner's own directory
//! (`STAGING/d-<owner>/<sha>.part`; the shared owner's at `STAGING/<sha>.part`). A device sees and
//! resumes only its own partial uploads, and whether a photo is stored is told only where the
//! caller says the device may know it (`stored_visible`): otherwise the upload goes on as for a
//! photo never seen, and completes once the device has sent every byte and they hash to the
//! name — proof that it holds the photo. Quotas: an owner may have at most
//! [`UploadConfig::max_partials_per_owner`] unfinished uploads and
//! [`UploadConfig::max_staged_bytes_per_owner`] staged bytes; beyond, a chunk that would start
//! or grow an unfinished upload is refused ([`UploadError::Quota`]) — finishing one is always
//! allowed. Unfinished uploads expire: [`UploadService::remove_stale_partials`].
//!
//! Concurrency: all steps of one owner's upload of one name run under that lock, so two uploads
//! of the same photo by the shared owner append in turn (the second is told the offset the first
//! reached, and continues from there: the bytes are the same). Different names and owners run in
//! parallel (one owner's quota check and chunk write under that owner's lock); image checks (the
//! memory-hungry part) run at most [`UploadConfig::max_concurrent_checks`] at a time.
//!
//! Staged chunks are not fsynced: after a server crash a staging file may end in garbage, the
//! hash check at the end refuses it, and the device sends the photo again. Verified blobs are
//! durable (the store's job). The staging directory belongs to one server process.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use crate::error::{QuotaKind, StoreError, UploadError};
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
    /// Unfinished uploads one [`Owner`] (a device) may have at once: a chunk that would start one
    /// more is refused with [`UploadError::Quota`] (429 `photo_quota`).
    pub max_partials_per_owner: usize,
    /// Bytes one [`Owner`] may have staged in unfinished uploads: a chunk that would go past it
    /// (without completing its photo) is refused with [`UploadError::Quota`].
    pub max_staged_bytes_per_owner: u64,
}

impl Default for UploadConfig {
    fn default() -> UploadConfig {
        UploadConfig {
            max_bytes: 8 << 20,
            max_chunk_bytes: 1 << 20,
            image: ImageLimits::default(),
            max_concurrent_checks: 2,
            have_concurrency: 16,
            max_partials_per_owner: 50,
            max_staged_bytes_per_owner: 200 << 20,
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

/// Whose partial uploads: the device sending them. Each owner's are staged apart, seen by it
/// alone and counted against its quotas.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner(String);

impl Owner {
    /// The owner of uploads made without one (a server that does no access control, tests).
    pub fn shared() -> Owner {
        Owner(String::new())
    }

    /// An owner named by `key`: 1–64 ASCII letters, digits, `-` or `_` (it becomes a directory
    /// name), e.g. a device id in hex. `None` for anything else.
    pub fn new(key: &str) -> Option<Owner> {
        let ok = !key.is_empty()
            && key.len() <= 64
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Owner(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owner's staging directory under `staging`.
    fn dir(&self, staging: &Path) -> PathBuf {
        if self.0.is_empty() {
            staging.to_owned()
        } else {
            staging.join(format!("{OWNER_DIR_PREFIX}{}", self.0))
        }
    }
}

/// Staging subdirectories of owners are `d-<owner>`.
const OWNER_DIR_PREFIX: &str = "d-";

/// Async locks by key, each entry dying with its last user.
#[derive(Debug)]
struct Locks<K>(Mutex<HashMap<K, Weak<tokio::sync::Mutex<()>>>>);

impl<K: std::hash::Hash + Eq + Clone> Locks<K> {
    fn new() -> Locks<K> {
        Locks(Mutex::new(HashMap::new()))
    }

    fn get(&self, key: &K) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lock) = locks.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() >= 64 {
            locks.retain(|_, w| w.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(key.clone(), Arc::downgrade(&lock));
        lock
    }
}

/// Resumable, verified uploads into a [`BlobStore`].
#[derive(Debug)]
pub struct UploadService {
    store: Arc<dyn BlobStore>,
    staging: PathBuf,
    config: UploadConfig,
    /// One lock per owner's upload of a name being worked on.
    locks: Locks<(Owner, Sha256Hex)>,
    /// One lock per owner: its quota check and chunk write.
    quotas: Locks<Owner>,
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
            locks: Locks::new(),
            quotas: Locks::new(),
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

    /// The shared owner's staging file of `sha` (whether or not it exists).
    pub fn staging_path(&self, sha: &Sha256Hex) -> PathBuf {
        self.staging_path_of(&Owner::shared(), sha)
    }

    /// `owner`'s staging file of `sha` (whether or not it exists).
    pub fn staging_path_of(&self, owner: &Owner, sha: &Sha256Hex) -> PathBuf {
        owner.dir(&self.staging).join(format!("{sha}.part"))
    }

    /// Where `sha` stands for the shared owner.
    pub async fn status(&self, sha: &Sha256Hex) -> Result<PhotoStatus, UploadError> {
        self.status_of(&Owner::shared(), sha, true).await
    }

    /// Where `sha` stands for `owner`: stored (only when `stored_visible`: the owner may know
    /// it), else how much of it the owner's own upload holds.
    pub async fn status_of(
        &self,
        owner: &Owner,
        sha: &Sha256Hex,
        stored_visible: bool,
    ) -> Result<PhotoStatus, UploadError> {
        if stored_visible && let Some(size) = self.store.len(sha).await? {
            return Ok(PhotoStatus::Stored { size });
        }
        Ok(match staged_len(&self.staging_path_of(owner, sha)).await? {
            0 => PhotoStatus::Absent,
            received => PhotoStatus::Partial { received },
        })
    }

    /// Where each of `shas` stands for the shared owner, in one call.
    pub async fn have(&self, shas: &[Sha256Hex]) -> Result<Have, UploadError> {
        self.have_of(&Owner::shared(), shas, None).await
    }

    /// Where each of `shas` stands for `owner`, in one call (each name looked up once,
    /// concurrently). `visible`: the names whose being stored the owner may know (`None`: all);
    /// the others are told by the owner's own partial upload alone.
    pub async fn have_of(
        &self,
        owner: &Owner,
        shas: &[Sha256Hex],
        visible: Option<&HashSet<Sha256Hex>>,
    ) -> Result<Have, UploadError> {
        let mut unique: Vec<(Sha256Hex, bool)> = shas
            .iter()
            .map(|s| (s.clone(), visible.is_none_or(|v| v.contains(s))))
            .collect();
        unique.sort();
        unique.dedup_by(|a, b| a.0 == b.0);
        // Owned names: a closure over borrowed ones trips the compiler's higher-ranked
        // lifetime check once the future must be `Send` (axum handlers).
        let statuses: Vec<_> =
            futures::stream::iter(unique)
                .map(|(sha, seen)| async move {
                    self.status_of(owner, &sha, seen).await.map(|s| (sha, s))
                })
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

    /// [`append_of`](UploadService::append_of) by the shared owner, who may know what is stored.
    pub async fn append(
        &self,
        sha: &Sha256Hex,
        total: u64,
        offset: u64,
        chunk: &[u8],
    ) -> Result<Appended, UploadError> {
        self.append_of(&Owner::shared(), sha, total, offset, chunk, true)
            .await
    }

    /// Adds `chunk`, the bytes at `offset` of a photo of `total` bytes named `sha`, to `owner`'s
    /// upload. When it is the last chunk, completes the upload (hash and image checks, then the
    /// store). A chunk for a photo that is stored already is not needed and answered
    /// [`Appended::Complete`] — when `stored_visible` (the owner may know the photo is stored);
    /// otherwise the upload goes on as for a photo never seen, and completes (without writing
    /// the store again) once every byte came and hashes to `sha`.
    ///
    /// Refusals: `total` over the limit or zero, a chunk over the chunk limit or past `total`,
    /// [`UploadError::OffsetMismatch`] when `offset` is not where the owner's staged copy ends
    /// (its `expected` says where to go on), and [`UploadError::Quota`] when a chunk that does
    /// not complete its photo would start an unfinished upload beyond the owner's count, or
    /// stage bytes beyond its byte limit.
    pub async fn append_of(
        &self,
        owner: &Owner,
        sha: &Sha256Hex,
        total: u64,
        offset: u64,
        chunk: &[u8],
        stored_visible: bool,
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
        let lock = self.locks.get(&(owner.clone(), sha.clone()));
        let _held = lock.lock().await;
        let path = self.staging_path_of(owner, sha);
        let received = staged_len(&path).await?;
        if received == 0
            && stored_visible
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
            return self.complete_locked(sha, &path).await;
        }
        if offset != received {
            return Err(UploadError::OffsetMismatch {
                expected: received,
                offset,
            });
        }
        let received = received + len;
        if len > 0 {
            // Written under the owner's lock (so two chunks at once cannot both squeeze into its
            // quota, and the stale sweep does not remove its directory meanwhile); a chunk that
            // leaves the photo unfinished is checked against the owner's quotas first.
            let quota = self.quotas.get(owner);
            let _held = quota.lock().await;
            if received < total {
                self.check_quota(owner, received == len, len).await?;
            }
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(StoreError::Io)?;
            }
            let mut file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .await
                .map_err(StoreError::Io)?;
            file.write_all(chunk).await.map_err(StoreError::Io)?;
            file.flush().await.map_err(StoreError::Io)?;
        }
        if received < total {
            return Ok(Appended::Partial { received });
        }
        self.complete_locked(sha, &path).await
    }

    /// Whether `owner` may stage `len` more bytes (`starts`: in a new unfinished upload).
    async fn check_quota(&self, owner: &Owner, starts: bool, len: u64) -> Result<(), UploadError> {
        let (count, bytes) = staged_usage(&owner.dir(&self.staging)).await?;
        let max_count = self.config.max_partials_per_owner;
        if starts && count >= max_count {
            return Err(UploadError::Quota {
                what: QuotaKind::Uploads,
                max: max_count as u64,
            });
        }
        let max_bytes = self.config.max_staged_bytes_per_owner;
        if bytes.saturating_add(len) > max_bytes {
            return Err(UploadError::Quota {
                what: QuotaKind::Bytes,
                max: max_bytes,
            });
        }
        Ok(())
    }

    /// Verifies the staged bytes of `sha` and stores them: they must hash to `sha` and be an
    /// image within the limits. On a refusal the staged bytes are removed (they can never become
    /// this photo). `append` calls this after the last chunk; calling it again once stored is
    /// harmless. Returns the stored size.
    pub async fn complete(&self, sha: &Sha256Hex) -> Result<u64, UploadError> {
        let owner = Owner::shared();
        let lock = self.locks.get(&(owner.clone(), sha.clone()));
        let _held = lock.lock().await;
        let path = self.staging_path_of(&owner, sha);
        if staged_len(&path).await? == 0
            && let Some(size) = self.store.len(sha).await?
        {
            return Ok(size);
        }
        match self.complete_locked(sha, &path).await? {
            Appended::Complete { size, .. } | Appended::Partial { received: size } => Ok(size),
        }
    }

    /// Verifies the staged bytes and, unless the store has them already, stores them.
    async fn complete_locked(&self, sha: &Sha256Hex, path: &Path) -> Result<Appended, UploadError> {
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
        // Another device's copy may be stored already (same name, same bytes).
        let created = self.store.len(sha).await?.is_none();
        if created {
            self.store.put(sha, bytes).await?;
        }
        remove_if_present(path).await?;
        Ok(Appended::Complete { size, created })
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
    /// was reset), of every owner, and owners' directories left empty. Returns how many uploads.
    /// Call it now and then (hourly, with a few days' age, say): an owner's expired uploads no
    /// longer count against its quotas.
    pub async fn remove_stale_partials(&self, older_than: Duration) -> Result<usize, UploadError> {
        let mut removed = self.remove_stale_of(&Owner::shared(), older_than).await?;
        let mut dir = tokio::fs::read_dir(&self.staging)
            .await
            .map_err(StoreError::Io)?;
        while let Some(entry) = dir.next_entry().await.map_err(StoreError::Io)? {
            let Some(owner) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.strip_prefix(OWNER_DIR_PREFIX))
                .and_then(Owner::new)
            else {
                continue;
            };
            removed += self.remove_stale_of(&owner, older_than).await?;
            // Under the owner's lock, so no chunk is being written into it meanwhile; fails
            // (and is left) when it is not empty.
            let quota = self.quotas.get(&owner);
            let _held = quota.lock().await;
            let _ = tokio::fs::remove_dir(entry.path()).await;
        }
        Ok(removed)
    }

    async fn remove_stale_of(
        &self,
        owner: &Owner,
        older_than: Duration,
    ) -> Result<usize, UploadError> {
        let mut removed = 0;
        let mut dir = match tokio::fs::read_dir(owner.dir(&self.staging)).await {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(StoreError::Io(e).into()),
        };
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
            let lock = self.locks.get(&(owner.clone(), sha));
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
}

/// How many unfinished uploads (`*.part` files) a staging directory holds, and their bytes.
async fn staged_usage(dir: &Path) -> Result<(usize, u64), StoreError> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e.into()),
    };
    let (mut count, mut bytes) = (0usize, 0u64);
    while let Some(entry) = entries.next_entry().await? {
        if !entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(".part"))
        {
            continue;
        }
        // Removed meanwhile (completed by another request): not counted.
        if let Ok(m) = entry.metadata().await
            && m.is_file()
        {
            count += 1;
            bytes = bytes.saturating_add(m.len());
        }
    }
    Ok((count, bytes))
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
