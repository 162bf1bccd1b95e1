//! [`BlobStore`]: where verified photos live, keyed by their SHA-256. A directory on disk
//! ([`DiskBlobStore`], the default) or an S3-compatible object store ([`ObjectBlobStore`], for
//! deployments that outgrow one machine).
//!
//! A store is dumb on purpose: it keeps bytes under a name. Checking that the bytes hash to the
//! name and are an image is [`crate::upload::UploadService`]'s job, done before `put`.

mod disk;
#[cfg(feature = "s3")]
mod object;

use bytes::Bytes;

pub use disk::DiskBlobStore;
#[cfg(feature = "s3")]
pub use object::{ObjectBlobStore, S3Config};

use crate::error::StoreError;
use crate::sha::Sha256Hex;

/// Content-addressed blob storage. Object safe (`Arc<dyn BlobStore>`), shared across tasks.
///
/// Architecture invariant: a blob is either absent or whole under its name — never half
/// written — whatever crash or concurrent `put` of the same name happens.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Whether a blob is stored under `sha`.
    async fn exists(&self, sha: &Sha256Hex) -> Result<bool, StoreError> {
        Ok(self.len(sha).await?.is_some())
    }

    /// Stores `bytes` under `sha`. Idempotent: when a blob is already stored under `sha` nothing
    /// is written (the name is the content's hash, so it holds the same bytes). The caller
    /// guarantees that `bytes` hash to `sha`.
    async fn put(&self, sha: &Sha256Hex, bytes: Bytes) -> Result<(), StoreError>;

    /// The blob, or `None` if none is stored under `sha`.
    async fn get(&self, sha: &Sha256Hex) -> Result<Option<Bytes>, StoreError>;

    /// The blob's size in bytes, or `None` if none is stored under `sha`.
    async fn len(&self, sha: &Sha256Hex) -> Result<Option<u64>, StoreError>;
}
