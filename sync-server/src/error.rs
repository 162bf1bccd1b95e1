//! The storage layer's error. Messages name tables and codes, never record contents.

/// A failure of the storage itself (not of a pushed operation: those are rejected with a reason
/// and the push still succeeds).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database failed (the backend's own error inside).
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Something stored cannot be read back (a row that does not parse).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The database was written by a newer build, or a migration failed.
    #[error("database schema: {0}")]
    Schema(String),
    /// A thread panicked while holding the database.
    #[error("the database lock is poisoned (a previous request panicked)")]
    Poisoned,
    #[error("internal error: {0}")]
    Internal(String),
    #[error("cannot open the database: {0}")]
    Open(String),
}

impl StorageError {
    /// The backend's database error `e`.
    pub fn database(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
        StorageError::Database(Box::new(e))
    }

    pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StorageError {
        StorageError::Corrupt(format!("{what}: {e}"))
    }
}
