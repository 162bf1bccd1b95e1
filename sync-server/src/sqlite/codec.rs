//! Column encodings: ids as 16-byte BLOBs, `u64` as SQLite's signed `INTEGER` (same bits).

use rusqlite::types::ValueRef;
use uuid::Uuid;

use crate::error::StorageError;

pub(crate) fn id(u: &Uuid) -> &[u8] {
    &u.as_bytes()[..]
}

pub(crate) fn u64_to_sql(v: u64) -> i64 {
    v as i64
}

pub(crate) fn u64_from_sql(v: i64) -> u64 {
    v as u64
}

pub(crate) fn uuid_from(v: ValueRef<'_>, what: &str) -> Result<Uuid, StorageError> {
    let bytes = v.as_blob().map_err(|e| StorageError::corrupt(what, e))?;
    Uuid::from_slice(bytes).map_err(|e| StorageError::corrupt(what, e))
}
