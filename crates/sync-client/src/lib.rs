//! bangfu's sync client: pushes a device's operations to the sync server and pulls everyone
//! else's, resuming wherever a cut connection stopped it.
//!
//! - [`sync`] drives a [`DeviceStore`](bangfu_core::sync::DeviceStore) through a [`Transport`]:
//!   version check, push in batches, pull page by page; each request retried per [`RetryPolicy`].
//! - [`HttpTransport`] speaks the protocol over HTTP(S) with zstd bodies and counts the bytes,
//!   and signs a device in ([`HttpTransport::sign_in`], failures as [`SignInError`]).
//! - [`SyncError`] carries a stable [`code`](SyncError::code) and a plain Chinese
//!   [`message_zh`](SyncError::message_zh) for the user.
//! - `testing` (feature `testing`): an in-memory store, a simulated server and a faulty transport.

mod error;
pub mod http;
mod retry;
pub mod server_url;
mod sync;
mod transport;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::SyncError;
pub use http::{DeviceToken, HttpOptions, HttpTransport, RequestEncoding, SignInError};
pub use retry::RetryPolicy;
pub use sync::{Phase, Progress, RejectedOp, SyncOptions, SyncReport, sync};
pub use transport::{Transport, TransportError, TransportStats};
