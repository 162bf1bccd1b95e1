//! Photos: stored once by SHA-256, uploaded in chunks that resume where a cut left them,
//! verified (hash and image) on arrival.
//!
//! - [`sha`]: [`Sha256Hex`], a photo's name; the only thing that becomes a path or key.
//! - [`wire`]: the JSON of the routes and the stable error codes (server and client share them).
//! - [`store`] (feature `server`): the [`BlobStore`](store::BlobStore) trait, a directory on disk
//!   ([`DiskBlobStore`](store::DiskBlobStore)) and, with feature `s3`, an S3-compatible store
//!   ([`ObjectBlobStore`](store::ObjectBlobStore)).
//! - [`upload`] (feature `server`): [`UploadService`](upload::UploadService), staging per device,
//!   quotas of unfinished uploads, checks.
//! - [`access`] (feature `server`): [`PhotoAccess`](access::PhotoAccess), the server's policy of
//!   who may see which photo (a photo it may not see looks absent).
//! - [`imagecheck`] (feature `server`): format by content, decode under limits.
//! - [`http`] (feature `server`): the axum routes `/v1/photos/…`, to mount behind authentication
//!   with an access policy.
//! - [`client`] (feature `client`): the device's [`Uploader`](client::Uploader), which also
//!   fetches photos the device does not hold.
//!
//! The phone app needs only `client` (`default-features = false, features = ["client"]`), which
//! keeps axum, image decoding and object_store out of it.

pub mod sha;
pub mod wire;

#[cfg(feature = "server")]
pub mod access;
#[cfg(feature = "server")]
pub mod error;
#[cfg(feature = "server")]
pub mod http;
#[cfg(feature = "server")]
pub mod imagecheck;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod upload;

#[cfg(feature = "client")]
pub mod client;

pub use sha::Sha256Hex;
