//! WAL checkpoints on a background thread. A pulled page writes a few megabytes to the WAL;
//! copying them into the database file (`PRAGMA wal_checkpoint(PASSIVE)`, which never blocks the
//! writer or readers) would otherwise run inside the next commit (SQLite's automatic checkpoint)
//! and hold up the sync. Here the store nudges the thread after such commits and the copy runs on
//! another core while the next page is applied. SQLite's automatic checkpoint stays on with a
//! higher threshold ([`FALLBACK_PAGES`]) so the WAL stays bounded if this thread falls behind.
//!
//! On a device, checkpoints wait for a pause in the commits ([`DEVICE_QUIET`]): a sync's pages are
//! applied first.
//!
//! The sync server uses the same checkpointer for its database. This crate logs nothing: a failed
//! checkpoint is simply retried at the next nudge (or done by SQLite's automatic one).

use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::error::StoreError;

/// WAL pages after which a store's commit checkpoints by itself (1 GiB at 4 KB pages): only if
/// this thread falls far behind. Lower, it fired inside a large first pull (100,000 visits write
/// about 300 MB to the WAL) and copied a quarter of a gigabyte on the syncing thread, a fifth of
/// the pull's time.
pub const FALLBACK_PAGES: u32 = 262_144;

/// The background checkpointer of a file store; stops (after a last checkpoint) when dropped.
#[derive(Debug)]
pub struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread with its own connection to the WAL database at `path`. If it cannot,
    /// the database relies on SQLite's automatic checkpoint alone.
    /// `quiet`: how long commits must pause before a checkpoint (see [`DEVICE_QUIET`]); zero
    /// checkpoints after every nudge.
    pub fn start(path: &Path, quiet: Duration) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(1))?;
        let (tx, rx) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("bangfu-store-checkpoint".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    if !quiet.is_zero() && !after_the_burst(&rx, quiet) {
                        break;
                    }
                    // A failure (busy, I/O) is retried at the next nudge.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
                // Closing: copy what the other connections allow without waiting for them (the
                // store being dropped must not wait; SQLite copies the rest and removes the WAL
                // when the last connection closes).
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            })
            .map_err(|e| StoreError::Sync {
                code: "checkpoint_thread",
                message: format!("cannot start the checkpoint thread: {e}"),
            })?;
        Ok(Checkpointer {
            nudge: Some(tx),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint soon (nudges arriving while one runs are merged into the next).
    pub fn nudge(&self) {
        if let Some(tx) = &self.nudge {
            // Full: one is already asked for; disconnected: the thread ended (nothing to do).
            let _ = tx.try_send(());
        }
    }
}

/// On a device, a checkpoint waits until commits pause for this long (a sync's burst of pages is
/// applied first, and the copy does not take a core from it), but no longer than [`MAX_DELAY`].
/// (The sync server checkpoints after every push instead: a large checkpoint left for later makes
/// the next small push's fsync wait for its writes on the same disk.)
pub const DEVICE_QUIET: Duration = Duration::from_millis(200);
/// See [`DEVICE_QUIET`]. A long burst is copied every few seconds all the same, so that the
/// WAL stays well below [`FALLBACK_PAGES`] (a device writes at most ~150 MB of WAL a second).
const MAX_DELAY: Duration = Duration::from_secs(4);

/// The size the WAL file is cut back to once a checkpoint has emptied it (`journal_size_limit`):
/// after a large sync it would otherwise keep its largest size on the phone's storage.
pub const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Waits out a burst of nudges (until `quiet` passes without one); `false` when the store is
/// closing.
fn after_the_burst(rx: &Receiver<()>, quiet: Duration) -> bool {
    let first = Instant::now();
    loop {
        let left = MAX_DELAY.saturating_sub(first.elapsed());
        if left.is_zero() {
            return true;
        }
        match rx.recv_timeout(quiet.min(left)) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => return true,
            Err(RecvTimeoutError::Disconnected) => return false,
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.nudge.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
