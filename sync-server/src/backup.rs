//! `bangfu-server backup` and `restore`: a consistent copy of the database while the server keeps
//! serving, and the copy put back in place with a new epoch. Operators' guide: `docs/backup.md`.
//!
//! The backup is SQLite's `VACUUM INTO` on its own connection: one read transaction, so it sees
//! one committed state (WAL lets pushes commit meanwhile; they are simply not in the copy), and
//! the copy is compact. It is written under a temporary name, checked (`integrity_check`, the
//! schema, the epoch), flushed to disk and only then renamed to the name asked for.
//!
//! A restore gives the database a **new epoch** (`server_epoch`, migration 5). Devices compare it
//! with the one they last saw: the restored database no longer holds what they pushed after the
//! backup, and gives new operations `server_seq`s they may have passed already, so a device that
//! sees a new epoch pushes again its own operations the server lost and starts its feed over
//! (`bangfu_sync_client`). A copy put back by hand (`cp`) keeps the old epoch and devices would
//! silently miss operations: restore only with `bangfu-server restore`.
//!
//! `serve` holds an exclusive lock on `<db>.lock` ([`ServeLock`]) while it runs; `restore` takes
//! the same lock and refuses while a server holds it.

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use uuid::Uuid;

use crate::sqlite::schema;

/// Why a backup or restore was refused or failed. Messages name files, never record contents.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists: give the copy a new name (a backup never overwrites a file)")]
    Exists(PathBuf),
    #[error("{0} does not exist")]
    Missing(PathBuf),
    #[error(
        "a bangfu-server is serving {0} (it holds its .lock file): stop the server, then restore"
    )]
    InUse(PathBuf),
    #[error("{path} is not a usable bangfu-server database: {why}")]
    NotADatabase { path: PathBuf, why: String },
    #[error("database error on {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Storage(#[from] crate::StorageError),
}

impl BackupError {
    fn sqlite(path: &Path) -> impl FnOnce(rusqlite::Error) -> BackupError + '_ {
        move |source| BackupError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
        move |source| BackupError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What a checked database holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyInfo {
    pub path: PathBuf,
    pub schema_version: u32,
    /// `None` for a database from before epochs (schema < 5): a restore gives it one.
    pub epoch: Option<Uuid>,
    /// The highest `server_seq` (0 when empty).
    pub last_server_seq: u64,
    pub bytes: u64,
}

/// The lock `serve` holds on `<db>.lock` while it runs.
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
}

/// The lock file of the database `db`: `<db>.lock` beside it.
pub fn lock_path(db: &Path) -> PathBuf {
    with_suffix(db, ".lock")
}

impl ServeLock {
    /// Takes the lock of `db`, or [`BackupError::InUse`] if a server (or a restore) holds it.
    /// Released when the value is dropped or the process ends (even by `kill -9`).
    pub fn acquire(db: &Path) -> Result<ServeLock, BackupError> {
        let path = lock_path(db);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(BackupError::io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(ServeLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::InUse(db.to_path_buf())),
            Err(std::fs::TryLockError::Error(e)) => Err(BackupError::Io { path, source: e }),
        }
    }
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Writes a consistent copy of the database `db` to `out` (which must not exist) while a server
/// may keep serving it, and checks the copy.
pub fn backup(db: &Path, out: &Path) -> Result<CopyInfo, BackupError> {
    if !db.exists() {
        return Err(BackupError::Missing(db.to_path_buf()));
    }
    if out.exists() {
        return Err(BackupError::Exists(out.to_path_buf()));
    }
    let source = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(BackupError::sqlite(db))?;
    source
        .busy_timeout(std::time::Duration::from_secs(30))
        .map_err(BackupError::sqlite(db))?;
    check_version(&source, db)?;
    let partial = with_suffix(out, ".partial");
    copy_into(&source, db, &partial)?;
    drop(source);
    let info = check_copy(&partial)?;
    std::fs::rename(&partial, out).map_err(BackupError::io(out))?;
    sync_dir(out)?;
    Ok(CopyInfo {
        path: out.to_path_buf(),
        ..info
    })
}

/// `VACUUM INTO` a fresh file (a stale one of ours from an interrupted run is replaced), then
/// flushed to disk (SQLite does not fsync what `VACUUM INTO` writes).
fn copy_into(source: &Connection, source_path: &Path, to: &Path) -> Result<(), BackupError> {
    for stale in [
        to.to_path_buf(),
        with_suffix(to, "-wal"),
        with_suffix(to, "-shm"),
    ] {
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(BackupError::io(&stale)(e)),
        }
    }
    let target = to.to_str().ok_or_else(|| BackupError::NotADatabase {
        path: to.to_path_buf(),
        why: "the file name is not UTF-8".to_owned(),
    })?;
    source
        .execute("VACUUM INTO ?1", [target])
        .map_err(BackupError::sqlite(source_path))?;
    File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(BackupError::io(to))
}

fn sync_dir(file: &Path) -> Result<(), BackupError> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(BackupError::io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn check_version(conn: &Connection, path: &Path) -> Result<u32, BackupError> {
    let version = schema::version(conn).map_err(|e| BackupError::NotADatabase {
        path: path.to_path_buf(),
        why: e.to_string(),
    })?;
    let bad = |why: String| BackupError::NotADatabase {
        path: path.to_path_buf(),
        why,
    };
    if version == 0 {
        return Err(bad("it has no bangfu-server schema".to_owned()));
    }
    if version > schema::current_version() {
        return Err(bad(format!(
            "schema version {version} is newer than this build's {}: use a newer bangfu-server",
            schema::current_version()
        )));
    }
    Ok(version)
}

/// Opens `path` read-only and checks it: SQLite's `integrity_check`, a bangfu-server schema this
/// build knows, the epoch (if the schema has one) and the feed's end.
pub fn check_copy(path: &Path) -> Result<CopyInfo, BackupError> {
    if !path.exists() {
        return Err(BackupError::Missing(path.to_path_buf()));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(BackupError::sqlite(path))?;
    let bad = |why: String| BackupError::NotADatabase {
        path: path.to_path_buf(),
        why,
    };
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    if integrity != "ok" {
        return Err(bad(format!("integrity check failed: {integrity}")));
    }
    let schema_version = check_version(&conn, path)?;
    let has_epoch: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'server_epoch'",
            [],
            |r| r.get(0),
        )
        .map_err(BackupError::sqlite(path))?;
    let epoch = if has_epoch {
        let bytes: Vec<u8> = conn
            .query_row("SELECT epoch FROM server_epoch WHERE id = 1", [], |r| {
                r.get(0)
            })
            .map_err(|e| bad(format!("no epoch: {e}")))?;
        Some(Uuid::from_slice(&bytes).map_err(|e| bad(format!("epoch: {e}")))?)
    } else {
        None
    };
    let last: i64 = conn
        .query_row("SELECT COALESCE(MAX(server_seq), 0) FROM ops", [], |r| {
            r.get(0)
        })
        .map_err(|e| bad(e.to_string()))?;
    let bytes = std::fs::metadata(path)
        .map_err(BackupError::io(path))?
        .len();
    Ok(CopyInfo {
        path: path.to_path_buf(),
        schema_version,
        epoch,
        last_server_seq: last as u64,
        bytes,
    })
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The restored database, as now in place.
    pub info: CopyInfo,
    /// The epoch the copy had (`None`: from before epochs).
    pub old_epoch: Option<Uuid>,
    /// Where the database that was in place went (nothing is deleted), if there was one.
    pub set_aside: Option<PathBuf>,
}

/// Puts the backup `from` in place as the database `db`, with a new epoch. Refused while a server
/// serves `db` ([`ServeLock`]). The copy is checked first and left as it is; the database in
/// place (with its WAL) is renamed to `<db>.before-restore-<now_ms>`, never deleted.
pub fn restore(from: &Path, db: &Path, now_ms: u64) -> Result<Restored, BackupError> {
    let _lock = ServeLock::acquire(db)?;
    let copy = check_copy(from)?;
    let staging = with_suffix(db, ".restoring");
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(BackupError::sqlite(from))?;
    copy_into(&source, from, &staging)?;
    drop(source);
    let epoch = {
        let mut conn = Connection::open(&staging).map_err(BackupError::sqlite(&staging))?;
        // An older copy is brought to this build's schema (migration 5 gives it an epoch)…
        schema::migrate(&mut conn)?;
        // …and every copy gets a new one: devices must notice the restore.
        let epoch = new_epoch();
        let tx = conn.transaction().map_err(BackupError::sqlite(&staging))?;
        tx.execute(
            "UPDATE server_epoch SET epoch = ?1 WHERE id = 1",
            [&epoch.as_bytes()[..]],
        )
        .map_err(BackupError::sqlite(&staging))?;
        tx.execute(
            "INSERT INTO audit_log (at_ms, actor, device_id, action, detail)
             VALUES (?1, 'cli', NULL, 'restore', ?2)",
            rusqlite::params![
                now_ms as i64,
                format!(
                    "restored from a backup ending at server_seq {}; new epoch {epoch}",
                    copy.last_server_seq
                )
            ],
        )
        .map_err(BackupError::sqlite(&staging))?;
        tx.commit().map_err(BackupError::sqlite(&staging))?;
        conn.close()
            .map_err(|(_, e)| BackupError::sqlite(&staging)(e))?;
        epoch
    };
    File::open(&staging)
        .and_then(|f| f.sync_all())
        .map_err(BackupError::io(&staging))?;
    let set_aside = if db.exists() {
        let aside = with_suffix(db, &format!(".before-restore-{now_ms}"));
        std::fs::rename(db, &aside).map_err(BackupError::io(db))?;
        // The WAL belongs to the database it was written for: it moves along (SQLite pairs them by
        // name); the shared-memory index is rebuilt from it.
        for suffix in ["-wal", "-shm"] {
            let from = with_suffix(db, suffix);
            if from.exists() {
                std::fs::rename(&from, with_suffix(&aside, suffix))
                    .map_err(BackupError::io(&from))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&staging, db).map_err(BackupError::io(db))?;
    sync_dir(db)?;
    let info = check_copy(db)?;
    debug_assert_eq!(info.epoch, Some(epoch));
    Ok(Restored {
        info,
        old_epoch: copy.epoch,
        set_aside,
    })
}

/// A random (version 4) UUID.
pub fn new_epoch() -> Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}
