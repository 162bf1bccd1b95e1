//! The report of every sync run (the app's JSON), newest last.

use rusqlite::{OptionalExtension, params};

use super::LocalDb;
use crate::error::StoreError;

/// A sync run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRunRow {
    /// RFC 3339.
    pub finished_at: String,
    /// Everything went through.
    pub ok: bool,
    /// The report (JSON).
    pub body: String,
}

impl LocalDb {
    /// Keeps a sync run's report.
    pub fn add_sync_run(&self, run: &SyncRunRow) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_runs (finished_at, ok, body) VALUES (?1, ?2, ?3)",
            params![run.finished_at, run.ok, run.body],
        )?;
        Ok(())
    }

    /// The report of the last sync run, if any.
    pub fn last_sync_run(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT body FROM sync_runs ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// When a sync last went through whole.
    pub fn last_success_at(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT finished_at FROM sync_runs WHERE ok = 1 ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }
}
