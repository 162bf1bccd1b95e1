//! [`SqliteStorage`]: the embedded default storage (one SQLite file, WAL).
//!
//! One writer connection behind a mutex (SQLite has one writer at a time anyway) and a small pool
//! of read-only connections for pulls, which WAL lets run while a push commits, and for checking a
//! large batch on several threads (module `precheck`). Every commit is fsynced
//! (`synchronous = FULL`): an answered push survives `kill -9` and power loss. WAL checkpoints run
//! on a background thread (`bangfu_store::checkpoint`, after every push), so a push does not
//! wait for them.
//!
//! One server process per database file: the writer's lock is a mutex in this process.

mod access;
mod codec;
#[cfg(test)]
mod demo_ops;
mod photo_refs;
mod places;
mod precheck;
mod push;
mod read;
mod refs;
pub mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use bangfu_core::sync::hlc::{Hlc, HlcClock};
use bangfu_core::sync::wire::{PullResponse, PushRequest, PushResponse};
use rusqlite::{Connection, OpenFlags};
use uuid::Uuid;

use crate::error::StorageError;
use crate::storage::{
    Actor, Conflict, EntityKey, EntitySnapshot, FeedScope, Health, PullQuery, RejectedOp,
    SyncStorage,
};

/// Largest page a pull returns, unless set otherwise.
pub const DEFAULT_MAX_PULL_LIMIT: u32 = 10_000;
/// An operation whose HLC is further ahead of the server's clock than this is accepted but flagged
/// `future`, and the server clock does not absorb it.
pub const FUTURE_TOLERANCE_MS: u64 = 24 * 3600 * 1000;

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_IDLE_READERS: usize = 8;
/// Most threads checking one batch.
const MAX_CHECK_WORKERS: usize = 4;

/// The SQLite storage.
#[derive(Debug)]
pub struct SqliteStorage {
    writer: Mutex<Connection>,
    /// Idle read-only connections (file databases only; an in-memory one reads via the writer).
    readers: Mutex<Vec<Connection>>,
    path: Option<PathBuf>,
    /// The server's HLC; persisted in `server_clock` at every push.
    clock: Mutex<HlcClock>,
    max_pull_limit: u32,
    /// Threads checking a large batch ahead of the writer (0: the writer checks alone).
    check_workers: usize,
    /// Background WAL checkpoints (file databases).
    checkpointer: Option<bangfu_store::checkpoint::Checkpointer>,
    /// Committed editable records, shared by the batches' lookups.
    records: refs::SharedRecords,
    /// Accounts' scopes as last computed, by account and day, with the generation they were
    /// computed at (a cadre's scope reads every pairing of hers: once per push was a tenth of a
    /// bulk push).
    scopes: Mutex<std::collections::HashMap<(i64, chrono::NaiveDate), (u64, crate::auth::Scope)>>,
    /// Moves on after every push that may change a scope (pairings, people, households, areas).
    scope_generation: std::sync::atomic::AtomicU64,
    /// The database's epoch (`server_epoch`), read once: only a restore changes it, with the
    /// server stopped.
    epoch: Uuid,
    /// Sign-ins for names that do not exist, audited at most once a minute (`access`).
    unknown_signins: Mutex<access::UnknownSignins>,
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> StorageError {
        StorageError::database(e)
    }
}

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, StorageError> {
    m.lock().map_err(|_| StorageError::Poisoned)
}

impl SqliteStorage {
    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStorage, StorageError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)
            .map_err(|e| StorageError::Open(format!("{}: {e}", path.display())))?;
        SqliteStorage::init(conn, Some(path))
    }

    /// A private in-memory database (tests). Nothing survives the value.
    pub fn open_in_memory() -> Result<SqliteStorage, StorageError> {
        SqliteStorage::init(Connection::open_in_memory()?, None)
    }

    /// Sets the largest page a pull returns.
    pub fn with_max_pull_limit(mut self, limit: u32) -> SqliteStorage {
        self.max_pull_limit = limit.max(1);
        self
    }

    /// The largest page a pull returns.
    pub fn max_pull_limit(&self) -> u32 {
        self.max_pull_limit
    }

    /// Sets how many threads check a large batch ahead of the writer (file databases; 0: the
    /// writer checks every operation itself). The answers are the same either way. Default: the
    /// number of CPUs, at most 4.
    pub fn with_check_workers(mut self, workers: usize) -> SqliteStorage {
        self.check_workers = workers.min(MAX_CHECK_WORKERS);
        self
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<SqliteStorage, StorageError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if path.is_some() {
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StorageError::Open(format!(
                    "the database cannot use WAL (journal mode {mode})"
                )));
            }
        }
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = FULL;
             PRAGMA cache_size = -65536;
             PRAGMA temp_store = MEMORY;",
        )?;
        conn.pragma_update(
            None,
            "journal_size_limit",
            bangfu_store::checkpoint::WAL_SIZE_LIMIT,
        )?;
        let checkpointer = match &path {
            Some(p) => {
                // Checkpoints run in the background; the writer checkpoints itself only if the WAL
                // grows past ~1 GiB (the background thread fell far behind).
                conn.pragma_update(
                    None,
                    "wal_autocheckpoint",
                    bangfu_store::checkpoint::FALLBACK_PAGES,
                )?;
                let c = bangfu_store::checkpoint::Checkpointer::start(p, std::time::Duration::ZERO)
                    .map_err(|e| StorageError::Open(e.to_string()))?;
                Some(c)
            }
            None => None,
        };
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn)?;
        let last: i64 =
            conn.query_row("SELECT last_hlc FROM server_clock WHERE id = 1", [], |r| {
                r.get(0)
            })?;
        let epoch = read::epoch(&conn)?;
        Ok(SqliteStorage {
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            path,
            clock: Mutex::new(HlcClock::resume(Hlc::from_packed(last as u64))),
            max_pull_limit: DEFAULT_MAX_PULL_LIMIT,
            check_workers: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_CHECK_WORKERS),
            checkpointer,
            records: refs::SharedRecords::default(),
            scopes: Mutex::default(),
            scope_generation: std::sync::atomic::AtomicU64::new(0),
            epoch,
            unknown_signins: Mutex::default(),
        })
    }

    fn open_reader(path: &Path) -> Result<Connection, StorageError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch("PRAGMA cache_size = -32768;")?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    /// `n` read connections from the pool (opening more if needed); none for an in-memory database.
    fn take_readers(&self, n: usize) -> Result<Vec<Connection>, StorageError> {
        let Some(path) = &self.path else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(n);
        {
            let mut idle = lock(&self.readers)?;
            while out.len() < n
                && let Some(c) = idle.pop()
            {
                out.push(c);
            }
        }
        while out.len() < n {
            out.push(SqliteStorage::open_reader(path)?);
        }
        Ok(out)
    }

    fn return_readers(&self, conns: Vec<Connection>) -> Result<(), StorageError> {
        let mut idle = lock(&self.readers)?;
        for c in conns {
            if idle.len() < MAX_IDLE_READERS {
                idle.push(c);
            }
        }
        Ok(())
    }

    /// Runs `f` on a read connection: a pooled read-only one for a file, the writer in memory.
    fn read<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        if self.path.is_none() {
            return f(&mut *lock(&self.writer)?);
        }
        let mut conns = self.take_readers(1)?;
        let out = match conns.first_mut() {
            Some(conn) => f(conn),
            None => Err(StorageError::Internal("no read connection".into())),
        };
        self.return_readers(conns)?;
        out
    }

    fn server_hlc(&self, now_ms: u64) -> Result<Hlc, StorageError> {
        Ok(lock(&self.clock)?.now(now_ms))
    }
}

impl SqliteStorage {
    /// One page of the feed as stored, in one read transaction.
    fn pull_page(&self, q: &PullQuery) -> Result<read::PullPage, StorageError> {
        let limit = q.limit.clamp(1, self.max_pull_limit);
        let exclude = q.exclude_origin.map(|o| (o.device, o.through));
        let prefix = match &q.scope {
            FeedScope::All => None,
            FeedScope::Account(scope) if scope.all => None,
            FeedScope::Path(path) => Some(path.as_str()),
            FeedScope::Account(scope) => {
                let keep = |p: &str| scope.reads(p);
                return self.read(|c| read::pull_page_filtered(c, q.after, limit, &keep, exclude));
            }
        };
        self.read(|c| read::pull_page(c, q.after, limit, prefix, exclude))
    }

    /// A push: authorized per operation and audited (in its transaction) when `by` is a
    /// signed-in account.
    fn push_by(&self, req: PushRequest, by: &Actor) -> Result<PushResponse, StorageError> {
        // What could change an account's scope (read before the push: a scope computed while it
        // commits is stored under the generation before, so it is computed again).
        let scoping = req.ops.iter().any(|o| {
            matches!(
                o.entity.as_str(),
                "pairing" | "person" | "household" | "area"
            )
        });
        let mut conn = lock(&self.writer)?;
        let workers = if req.ops.len() >= precheck::MIN_OPS {
            self.check_workers
        } else {
            0
        };
        let mut readers = self.take_readers(workers)?;
        let resp = push::push(
            &mut conn,
            &self.clock,
            &self.records,
            &mut readers,
            &req,
            by.now_ms,
            by.account.as_ref().map(|a| a.username.as_str()),
            by.account.as_ref().map(|a| &a.pusher),
        )
        .map(|r| PushResponse {
            epoch: Some(self.epoch),
            ..r
        });
        drop(conn);
        drop_elsewhere(req);
        self.return_readers(readers)?;
        if scoping {
            self.scope_generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        if resp.is_ok()
            && let Some(c) = &self.checkpointer
        {
            c.nudge();
        }
        resp
    }
}

/// Frees a large parsed push on another thread: its thousands of JSON values took the writer a
/// fifth of its time to free, and the device waits for the answer meanwhile.
fn drop_elsewhere(req: PushRequest) {
    if req.ops.len() < precheck::MIN_OPS {
        return;
    }
    let freeing = std::thread::Builder::new()
        .name("bangfu-free".into())
        .spawn(move || drop(req));
    // If no thread can be started the request was dropped with the closure: freed here.
    drop(freeing);
}

impl SyncStorage for SqliteStorage {
    fn push(&self, req: PushRequest, by: &Actor) -> Result<PushResponse, StorageError> {
        self.push_by(req, by)
    }

    fn pull(&self, query: &PullQuery) -> Result<PullResponse, StorageError> {
        let page = self.pull_page(query)?;
        page.into_response(self.server_hlc(query.now_ms)?, self.epoch)
    }

    fn pull_json(&self, query: &PullQuery) -> Result<Vec<u8>, StorageError> {
        let page = self.pull_page(query)?;
        Ok(page.into_json(self.server_hlc(query.now_ms)?, self.epoch))
    }

    fn device_seq(&self, device: Uuid) -> Result<u64, StorageError> {
        self.read(|c| read::device_seq(c, device))
    }

    fn entity_states(&self) -> Result<BTreeMap<EntityKey, EntitySnapshot>, StorageError> {
        self.read(read::entity_states)
    }

    fn conflicts(&self) -> Result<Vec<Conflict>, StorageError> {
        self.read(read::conflicts)
    }

    fn rejected(&self, device: Option<Uuid>) -> Result<Vec<RejectedOp>, StorageError> {
        self.read(|c| read::rejected(c, device))
    }

    fn future_ops(&self, limit: u32) -> Result<Vec<crate::storage::FutureOp>, StorageError> {
        self.read(|c| read::future_ops(c, limit))
    }

    fn health(&self) -> Result<Health, StorageError> {
        self.read(read::health)
    }

    fn epoch(&self) -> Result<Uuid, StorageError> {
        Ok(self.epoch)
    }
}
