//! The device's side of sync (migration `0002_sync`).
//!
//! - [`local`]: every local change becomes an [`Operation`](bangfu_core::sync::Operation) written
//!   in the same transaction as the change ([`Store::record_change`](crate::Store::record_change)).
//! - [`apply`]: pulled operations are stored, merged per field and written to the typed tables
//!   ("materialized"), one transaction per page.
//! - [`device`]: the device row (id, clock, sequence numbers, cursor) and
//!   `impl DeviceStore for Store`.
//! - [`state`] and [`ops`]: the `entity_states` and `ops` tables. [`query`]: what tests and the UI
//!   read (merge states, conflicts, rejections, unsynced counts, history). [`fields`]: typed
//!   records from merge winners without copying them.
//!
//! The typed tables of 0001 always show the merge winners of every record whose winners can be
//! written; a record that cannot (its fields are incomplete, or it refers to a record this device
//! does not hold, e.g. outside its scope) keeps its merge state and operations with
//! `materialized = 0` and is written as soon as what it waits for arrives. No operation is ever
//! dropped or changed.

pub(crate) mod apply;
pub(crate) mod device;
pub(crate) mod leave;
pub(crate) mod local;
pub(crate) mod ops;
pub(crate) mod query;
pub(crate) mod state;

use bangfu_core::sync::Hlc;
use uuid::Uuid;

use crate::error::StoreError;

pub use query::{Conflict, RejectedOp};

#[cfg(test)]
mod tests;

type Result<T> = std::result::Result<T, StoreError>;

/// An HLC as stored: the packed `u64`'s bits as SQLite's signed INTEGER.
pub(crate) fn hlc_sql(h: Hlc) -> i64 {
    i64::from_ne_bytes(h.packed().to_ne_bytes())
}

/// An HLC read back from [`hlc_sql`].
pub(crate) fn hlc_of(v: i64) -> Hlc {
    Hlc::from_packed(u64::from_ne_bytes(v.to_ne_bytes()))
}

/// A sequence number or cursor as SQLite's INTEGER.
pub(crate) fn seq_sql(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::Sync {
        code: "out_of_range",
        message: format!("{what} {v} is beyond what the database stores"),
    })
}

/// A sequence number or cursor read back (the schema's CHECKs keep them non-negative).
pub(crate) fn seq_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// An id read from a 16-byte BLOB.
pub(crate) fn uuid_of(bytes: &[u8], entity: &'static str, field: &'static str) -> Result<Uuid> {
    Uuid::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        entity,
        id: None,
        field,
        problem: e.to_string(),
    })
}

/// A JSON column that cannot be read. The problem names the place, never the value (serde's
/// message may quote it, and it may be personal data).
pub(crate) fn corrupt_json(
    entity: &'static str,
    id: Option<Uuid>,
    field: &'static str,
    e: &serde_json::Error,
) -> StoreError {
    StoreError::Corrupt {
        entity,
        id,
        field,
        problem: format!(
            "unreadable JSON ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
    }
}

fn column_error(i: usize, e: rusqlite::types::FromSqlError) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Null,
        Box::new(e),
    ))
}

/// Column `i` of `row` as a BLOB (no copy).
pub(crate) fn blob<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r [u8]> {
    row.get_ref(i)?.as_blob().map_err(|e| column_error(i, e))
}

/// Column `i` of `row` as a BLOB or NULL (no copy).
pub(crate) fn blob_or_null<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r [u8]>> {
    row.get_ref(i)?
        .as_blob_or_null()
        .map_err(|e| column_error(i, e))
}

/// Column `i` of `row` as TEXT (no copy).
pub(crate) fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str> {
    row.get_ref(i)?.as_str().map_err(|e| column_error(i, e))
}

/// Column `i` of `row` as TEXT or NULL (no copy).
pub(crate) fn text_or_null<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>> {
    row.get_ref(i)?
        .as_str_or_null()
        .map_err(|e| column_error(i, e))
}
