//! Test doubles (feature `testing`): an in-memory device store, a simulated server and a
//! transport to it that injects faults. Used by this crate's tests and the workspace's
//! cross-crate tests.
//!
//! ```
//! use bangfu_sync_client::testing::{MemoryStore, MemoryTransport, SimServer};
//! use bangfu_sync_client::{SyncOptions, sync};
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().expect("rt").block_on(async {
//! let server = SimServer::default();
//! let mut phone = MemoryStore::new(uuid::Uuid::from_u128(1), "360722/360722100");
//! phone.record_new("visit", "入户走访");
//! let report = sync(&mut phone, &MemoryTransport::new(server.clone()), &SyncOptions::default(), &mut |_| {})
//!     .await
//!     .expect("synced");
//! assert_eq!((report.accepted, server.lock().feed().len()), (1, 1));
//! # });
//! ```

mod server;
mod store;
mod transport;

pub use server::{MemoryBackup, MemoryServer, Refusal, SimServer, Validator, default_validator};
pub use store::{EntityKey, MemoryStore, MemoryStoreError, StoreCall};
pub use transport::{Call, Fault, MemoryTransport, Route};
