//! Checking a large batch on several threads while the writer stores it.
//!
//! `check_op` dominates the cost of a push, and it is pure given the operation, the state of its
//! record and the records it refers to. So worker threads check the batch ahead, in chunks, against
//! the state before the batch (read connections: the writer holds the write lock, so that state
//! cannot change under them), noting every record each check looked at. The writer then takes the
//! results in order; where a check looked at a record the batch itself has written since, the
//! writer checks that operation again against the current state. The answers are exactly those of
//! checking one by one.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::Scope;

use bangfu_core::Record;
use bangfu_core::sync::check::check_op;
use bangfu_core::sync::merge::EntityState;
use bangfu_core::sync::op::{ENTITIES, Operation};
use bangfu_core::sync::wire::Reason;
use rusqlite::Connection;

use super::refs::{BatchRefs, Current, Key, SharedRecords};
use crate::error::StorageError;

/// Operations per chunk handed to a worker.
pub(super) const CHUNK: usize = 128;
/// Smaller batches are checked by the writer alone.
pub(super) const MIN_OPS: usize = 2 * CHUNK;

/// A worker's verdict on one operation.
#[derive(Debug)]
pub(super) struct Prechecked {
    pub result: Result<Record, Reason>,
    /// Every record the check looked at (the operation's own included).
    pub touched: Vec<Key>,
    /// The operation's JSON, when it passed (serialised here to spare the writer).
    pub body: Option<String>,
}

impl Prechecked {
    /// Whether the verdict still holds after the batch wrote `written`.
    pub(super) fn still_valid(&self, written: &HashSet<Key>) -> bool {
        !self.touched.iter().any(|k| written.contains(k))
    }
}

/// `None` for an operation on an unknown entity: the writer refuses it at once.
fn precheck_one(
    refs: &BatchRefs<'_>,
    op: &Operation,
    received: bool,
) -> Result<Option<Prechecked>, StorageError> {
    let empty = EntityState::default();
    let Some(entity) = ENTITIES.iter().copied().find(|e| *e == op.entity) else {
        return Ok(None);
    };
    let current = refs.current(entity, op.entity_id)?;
    let state = match &current {
        None => None,
        Some(Current::AppendOnly) => Some(&empty),
        Some(Current::Mutable(s)) => Some(s),
    };
    let result = check_op(op, state, refs);
    if let Some(e) = refs.take_error() {
        return Err(e);
    }
    let body = match &result {
        Ok(_) if received => None, // the writer stores the JSON as received
        Ok(_) => {
            Some(serde_json::to_string(op).map_err(|e| StorageError::corrupt("operation", e))?)
        }
        Err(_) => None,
    };
    Ok(Some(Prechecked {
        result,
        touched: refs.take_touched(),
        body,
    }))
}

type ChunkResult = (usize, Result<Vec<Option<Prechecked>>, StorageError>);

/// Starts one worker per read connection, checking the operations `eligible` says the writer will
/// process. Results arrive by chunk, in any order; `next` (starting at 0) hands out the chunks.
pub(super) fn spawn<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    readers: &'env mut [Connection],
    ops: &'env [Operation],
    received: bool,
    next: &'env AtomicUsize,
    eligible: &'env (dyn Fn(&Operation) -> bool + Sync),
    shared: &'env SharedRecords,
) -> InOrder {
    let (tx, rx) = mpsc::channel::<ChunkResult>();
    let chunks = ops.len().div_ceil(CHUNK);
    for conn in readers.iter_mut() {
        let tx = tx.clone();
        scope.spawn(move || {
            // One read transaction for the whole batch: every lookup sees the same snapshot (the
            // state before the batch) without taking and releasing SQLite's shared locks each
            // time (a third of a lookup's cost). Without it (BEGIN refused) each lookup takes its
            // own snapshot, which is the same one: the writer holds the write lock throughout.
            let _snapshot = ReadSnapshot::begin(conn).ok();
            let refs = BatchRefs::tracking(conn, Some(shared));
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= chunks {
                    break;
                }
                let end = ops.len().min((i + 1) * CHUNK);
                let result = ops[i * CHUNK..end]
                    .iter()
                    .map(|op| {
                        if eligible(op) {
                            precheck_one(&refs, op, received)
                        } else {
                            Ok(None)
                        }
                    })
                    .collect();
                if tx.send((i, result)).is_err() {
                    break;
                }
            }
        });
    }
    InOrder {
        rx,
        chunks: HashMap::new(),
    }
}

/// A read transaction on a worker's connection, ended when dropped (the connection goes back to
/// the pool).
struct ReadSnapshot<'c>(&'c Connection);

impl<'c> ReadSnapshot<'c> {
    fn begin(conn: &'c Connection) -> Result<ReadSnapshot<'c>, StorageError> {
        conn.execute_batch("BEGIN DEFERRED")?;
        Ok(ReadSnapshot(conn))
    }
}

impl Drop for ReadSnapshot<'_> {
    fn drop(&mut self) {
        // A read transaction cannot fail to end; if it did, the pool's next user would see an
        // open transaction and its own BEGIN would fail loudly.
        let _ = self.0.execute_batch("COMMIT");
    }
}

/// Hands the workers' verdicts to the writer in operation order.
#[derive(Debug)]
pub(super) struct InOrder {
    rx: mpsc::Receiver<ChunkResult>,
    chunks: HashMap<usize, Vec<Option<Prechecked>>>,
}

impl InOrder {
    /// The verdict on operation `i` (`None` if it was not eligible). Each `i` at most once,
    /// ascending.
    pub(super) fn take(&mut self, i: usize) -> Result<Option<Prechecked>, StorageError> {
        let chunk = i / CHUNK;
        while !self.chunks.contains_key(&chunk) {
            let (c, result) = self
                .rx
                .recv()
                .map_err(|_| StorageError::Internal("a check worker stopped".into()))?;
            self.chunks.insert(c, result?);
        }
        self.chunks.retain(|c, _| *c >= chunk);
        Ok(self
            .chunks
            .get_mut(&chunk)
            .and_then(|v| v.get_mut(i % CHUNK))
            .and_then(Option::take))
    }
}
