//! bangfu-server: the sync server. Devices push their operations (`POST /v1/push`); the server
//! checks each one, stores it, merges it into the record it changes, and serves every accepted
//! operation in one feed (`GET /v1/pull`). See `docs/sync-protocol.md` (protocol version 1) and
//! `crates/core/src/sync` for the messages, the HLC and the merge.
//!
//! # Push semantics
//! Per operation, in order, the whole batch in one transaction (nothing half-applied), where
//! `processed` is the highest `origin_seq` of the pushing device processed so far:
//! - `origin_seq` 0: rejected `bad_seq` (seqs start at 1), kept in `rejected_ops`.
//! - `origin_seq <= processed`: `duplicate` if that seq is stored with the same `op_id` and
//!   content (`changed_resend` if the content differs); a retry of
//!   an operation that was refused gets the same refusal again; otherwise rejected `seq_reused`
//!   (the operation is still kept in `rejected_ops`).
//! - `origin_seq > processed + 1`: rejected `seq_gap`, not processed, and so is every later
//!   operation of the batch: the device resends from `device_seq + 1`.
//! - `origin_device` is not the pushing device: rejected `wrong_device`.
//! - otherwise [`bangfu_core::sync::check::check_op`] against the record's merge state and the
//!   stored records it refers to, then (a signed-in account's pushes, [`Actor`])
//!   [`authz::authorize`] for the pushing account, with the record's place derived on the server:
//!   refused → kept in `rejected_ops`, rejected with the reason; passed → stored, merged,
//!   `accepted`; an `op_id` already taken is rejected `op_id_reused`, an id of another kind
//!   `id_taken`. Either way the device's seq advances.
//!
//! An operation whose HLC is more than 24 h ahead of the server's time is accepted (refusing it
//! would lose data) but flagged `future` and not absorbed by the server's clock.
//!
//! # Scopes
//! A pull is filtered by the account's read scope ([`auth::scope`]), by the current place of each
//! operation's household; `scope` on a pull (county-wide accounts) narrows it to operations whose
//! `scope_path` is that path or lies below it (`a/b` matches `a/b` and `a/b/c`, not `a/bc`).

// The OpenAPI document (`http/openapi.rs`) is one `json!` literal.
#![recursion_limit = "256"]

pub mod admin_cli;
pub mod auth;
pub mod authz;
pub mod backup;
pub mod demo_seed;
pub mod error;
pub mod http;
pub mod photos;
pub mod runs;
pub mod sqlite;
pub mod storage;

pub use error::StorageError;
pub use http::{ServerConfig, router, router_with_photos};
pub use sqlite::SqliteStorage;
pub use storage::{
    ActingAccount, Actor, Conflict, EntityKey, EntitySnapshot, FeedScope, Health, OwnOps,
    PullQuery, RejectedOp, SyncStorage,
};

/// The photo directory of the database `db` when none is given: `<db>.photos` beside it, with the
/// stored photos in its `blobs/` and partial uploads in its `staging/` (`serve` and `demo` agree
/// on it).
pub fn default_photo_dir(db: &std::path::Path) -> std::path::PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".photos");
    std::path::PathBuf::from(p)
}

/// Milliseconds since the Unix epoch by the system clock (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
