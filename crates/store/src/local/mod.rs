//! [`LocalDb`]: the field app's own small database beside the store (`app.sqlite`): the enrolled
//! account, the PIN's hash and failure count, visit drafts, the photo queue and sync runs.
//! Nothing here is synced; the records themselves live in the [`Store`](crate::Store).
//!
//! Its schema is [`MIGRATIONS`], applied by the one migration runner ([`crate::migrate::apply`]).
//! A database made before, which counted its steps in `PRAGMA user_version`, is adopted as it is.
//!
//! - [`account`]: the account and the PIN.
//! - [`drafts`]: visit drafts (their body is the app's JSON).
//! - [`photos`]: photo and signature files kept on the phone, and which wait for upload.
//! - [`runs`]: the report of every sync run.

pub mod account;
pub mod drafts;
pub mod photos;
pub mod runs;

#[cfg(test)]
mod tests;

use std::path::Path;

use rusqlite::Connection;

use crate::BUSY_TIMEOUT;
use crate::error::StoreError;
use crate::migrate::Migration;

pub use account::{AccountRow, PinRow};
pub use photos::{PhotoKind, WaitingPhoto};
pub use runs::SyncRunRow;

/// The migrations of the app's database, in the order they apply.
///
/// APPEND-ONLY, as the store's [`crate::migrate::MIGRATIONS`]: never edit a landed one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial",
        sql: include_str!("../../migrations/local/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_pin_wait_left",
        sql: include_str!("../../migrations/local/0002_pin_wait_left.sql"),
    },
];

/// The app's own database: one SQLite connection, its schema up to date.
#[derive(Debug)]
pub struct LocalDb {
    conn: Connection,
}

impl LocalDb {
    /// Opens (creating) the database file at `path`, in WAL mode, and migrates it.
    pub fn open(path: impl AsRef<Path>) -> Result<LocalDb, StoreError> {
        LocalDb::init(Connection::open(path)?, true)
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory() -> Result<LocalDb, StoreError> {
        LocalDb::init(Connection::open_in_memory()?, false)
    }

    fn init(mut conn: Connection, file: bool) -> Result<LocalDb, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if file {
            let _mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        }
        // FULL: a draft step the user saw saved survives a power cut, not only a killed app.
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        crate::migrate::apply(&mut conn, MIGRATIONS)?;
        Ok(LocalDb { conn })
    }
}

/// Milliseconds as SQLite stores them (saturating at `i64::MAX`).
fn ms_sql(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}
