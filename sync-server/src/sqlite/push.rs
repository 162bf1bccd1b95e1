//! Applying a device's batch: per operation in order, all of it in one transaction.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;

use bangfu_core::Record;
use bangfu_core::sync::check::check_op;
use bangfu_core::sync::hlc::{Hlc, HlcClock};
use bangfu_core::sync::merge::EntityState;
use bangfu_core::sync::op::{ENTITIES, Operation, is_append_only};
use bangfu_core::sync::wire::{PushRequest, PushResponse, Reason};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior};
use uuid::Uuid;

use super::codec::{self, u64_from_sql, u64_to_sql};
use super::places::TxPlaces;
use super::precheck::{self, Prechecked};
use super::refs::{BatchRefs, Current, Key, SharedRecords};
use super::{FUTURE_TOLERANCE_MS, lock};
use crate::authz::{self, Places as _, Pusher};
use crate::error::StorageError;
use crate::runs::Runs;

fn reason(code: &str, message: String) -> Reason {
    Reason {
        code: code.to_owned(),
        message,
    }
}

/// What the server holds for a seq the device already used.
enum Stored {
    /// Its op_id and JSON.
    Accepted(Uuid, String),
    Rejected(Uuid, Reason),
}

struct Batch<'t> {
    tx: &'t Transaction<'t>,
    device: Uuid,
    now_ms: u64,
}

impl Batch<'_> {
    fn processed_seq(&self) -> Result<u64, StorageError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT processed_seq FROM devices WHERE device_id = ?1")?;
        let seq: Option<i64> = stmt
            .query_row([codec::id(&self.device)], |r| r.get(0))
            .optional()?;
        Ok(seq.map_or(0, u64_from_sql))
    }

    fn save_processed_seq(&self, seq: u64) -> Result<(), StorageError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO devices (device_id, processed_seq, last_push_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (device_id) DO UPDATE
             SET processed_seq = excluded.processed_seq, last_push_ms = excluded.last_push_ms",
        )?;
        stmt.execute((
            codec::id(&self.device),
            u64_to_sql(seq),
            u64_to_sql(self.now_ms),
        ))?;
        Ok(())
    }

    fn stored(&self, seq: u64) -> Result<Option<Stored>, StorageError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT op_id, body FROM ops WHERE origin_device = ?1 AND origin_seq = ?2",
        )?;
        let found = stmt
            .query_row((codec::id(&self.device), u64_to_sql(seq)), |r| {
                Ok((codec::uuid_from(r.get_ref(0)?, "ops.op_id"), r.get(1)?))
            })
            .optional()?;
        if let Some((id, body)) = found {
            return Ok(Some(Stored::Accepted(id?, body)));
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT op_id, code, message FROM rejected_ops
             WHERE device = ?1 AND seq = ?2 AND consumed = 1",
        )?;
        let found = stmt
            .query_row((codec::id(&self.device), u64_to_sql(seq)), |r| {
                Ok((
                    codec::uuid_from(r.get_ref(0)?, "rejected_ops.op_id"),
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        Ok(match found {
            Some((id, code, message)) => Some(Stored::Rejected(id?, Reason { code, message })),
            None => None,
        })
    }

    /// Keeps a refused operation. `consumed`: it used up its seq.
    fn reject(&self, op: &Operation, consumed: bool, why: &Reason) -> Result<(), StorageError> {
        let body = serde_json::to_string(op).map_err(|e| StorageError::corrupt("operation", e))?;
        let mut stmt = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO rejected_ops
             (device, seq, op_id, consumed, code, message, body, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        stmt.execute((
            codec::id(&self.device),
            u64_to_sql(op.origin_seq),
            codec::id(&op.op_id),
            consumed,
            &why.code,
            &why.message,
            &body,
            u64_to_sql(self.now_ms),
        ))?;
        Ok(())
    }

    /// Inserts an accepted operation with its JSON; `None` if its `op_id` is already taken.
    fn insert_op(
        &self,
        op: &Operation,
        body: &str,
        future: bool,
        household: Option<Uuid>,
    ) -> Result<Option<i64>, StorageError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO ops (op_id, origin_device, origin_seq, hlc, entity, entity_id,
                              scope_path, body, received_at_ms, future, household)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let done = stmt.execute((
            codec::id(&op.op_id),
            codec::id(&op.origin_device),
            u64_to_sql(op.origin_seq),
            u64_to_sql(op.hlc.packed()),
            &op.entity,
            codec::id(&op.entity_id),
            &op.scope_path,
            body,
            u64_to_sql(self.now_ms),
            future,
            household.as_ref().map(codec::id),
        ));
        match done {
            Ok(_) => Ok(Some(self.tx.last_insert_rowid())),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::ConstraintViolation && self.op_id_taken(op.op_id)? =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn op_id_taken(&self, op_id: Uuid) -> Result<bool, StorageError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT 1 FROM ops WHERE op_id = ?1")?;
        Ok(stmt.exists([codec::id(&op_id)])?)
    }

    /// Writes the record's merged state; `path` is its place as the server derived it (never
    /// frozen by a far-future operation's claim).
    fn write_entity(
        &self,
        op: &Operation,
        path: &str,
        state: Option<&str>,
        record: Option<&str>,
        in_conflict: bool,
        server_seq: i64,
    ) -> Result<(), StorageError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO entities
               (entity, entity_id, scope_path, state, record, in_conflict, last_server_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (entity, entity_id) DO UPDATE SET
               scope_path = excluded.scope_path,
               state = excluded.state,
               record = excluded.record,
               in_conflict = excluded.in_conflict,
               last_server_seq = excluded.last_server_seq",
        )?;
        stmt.execute((
            &op.entity,
            codec::id(&op.entity_id),
            path,
            state,
            record,
            in_conflict,
            server_seq,
        ))?;
        Ok(())
    }
}

/// The outcome of one in-sequence operation.
enum Outcome {
    Accepted { observed: Option<Hlc> },
    Rejected(Reason),
}

/// Where an operation's record lies: its derived path, its household, and its stored path before
/// the operation.
type Placed = (String, Option<Uuid>, Option<String>);

/// What the writer keeps across the operations of one batch.
struct Writer<'b> {
    batch: &'b Batch<'b>,
    refs: BatchRefs<'b>,
    places: TxPlaces<'b>,
    /// The pushing account (`None`: a trusted local import, e.g. `bangfu-server demo`).
    pusher: Option<&'b Pusher>,
    /// Records written by this batch so far (a precheck that looked at one is stale).
    written: HashSet<Key>,
    /// The editable records this batch wrote, for the shared cache once committed.
    changed: Vec<(Key, Record)>,
}

impl Writer<'_> {
    fn check(
        &self,
        entity: &'static str,
        op: &Operation,
    ) -> Result<Result<Record, Reason>, StorageError> {
        let empty = EntityState::default();
        let current = self.refs.current(entity, op.entity_id)?;
        let state = match &current {
            None => None,
            Some(Current::AppendOnly) => Some(&empty),
            Some(Current::Mutable(s)) => Some(s),
        };
        let checked = check_op(op, state, &self.refs);
        match self.refs.take_error() {
            Some(e) => Err(e),
            None => Ok(checked),
        }
    }

    /// Where the record of `op` lies (derived on the server), its household and its stored path
    /// before `op`; or why `op` is refused: an id of another kind, a claimed place that is not the
    /// derived one, or what the pusher may not write (`crate::authz`).
    fn place(
        &self,
        op: &Operation,
        record: &Record,
    ) -> Result<Result<Placed, Reason>, StorageError> {
        let kinds = self.places.kinds_of(op.entity_id)?;
        if kinds.iter().any(|k| *k != op.entity) {
            return Ok(Err(reason(
                "id_taken",
                format!(
                    "id {} already belongs to a record of another kind: give every record a new id",
                    op.entity_id
                ),
            )));
        }
        let before = match op.entity.as_str() {
            "household" => self.places.household_path(op.entity_id)?,
            "area" => self.places.area_path(op.entity_id)?,
            _ => None,
        };
        let place = authz::place_of(record, &self.places)?;
        let Some(pusher) = self.pusher else {
            // A trusted local import: the derived place where there is one, else the claim.
            let household = authz::household_of_record(record);
            let path = place.map_or_else(|| op.scope_path.clone(), |p| p.path);
            return Ok(Ok((path, household, before)));
        };
        let Some(place) = place else {
            return Ok(Err(reason(
                "unknown_place",
                format!(
                    "the server cannot place this {}: the household or area it belongs to is not \
                     stored; sync first, or ask the county office",
                    op.entity
                ),
            )));
        };
        if let Err(why) =
            authz::authorize(pusher, op, record, &place, before.as_deref(), &self.places)?
        {
            return Ok(Err(why));
        }
        Ok(Ok((place.path, place.household, before)))
    }

    /// Checks (or takes the still valid precheck of), stores and merges one in-sequence operation.
    /// `json`: the operation's JSON as received, stored as its body if given.
    fn apply(
        &mut self,
        op: &Operation,
        json: Option<&str>,
        pre: Option<Prechecked>,
    ) -> Result<Outcome, StorageError> {
        let batch = self.batch;
        if op.origin_device != batch.device {
            return Ok(Outcome::Rejected(reason(
                "wrong_device",
                format!(
                    "the operation was made by device {} but pushed by device {}: \
                     a device pushes only its own operations",
                    op.origin_device, batch.device
                ),
            )));
        }
        let Some(entity) = ENTITIES.iter().copied().find(|e| *e == op.entity) else {
            // Unknown entity: the core check names it.
            return Ok(Outcome::Rejected(match check_op(op, None, &self.refs) {
                Err(r) => r,
                Ok(_) => reason("unknown_entity", format!("unknown entity `{}`", op.entity)),
            }));
        };
        let key = (entity, op.entity_id);
        let (checked, body) = match pre.filter(|p| p.still_valid(&self.written)) {
            Some(p) => (p.result, p.body),
            None => (self.check(entity, op)?, None),
        };
        let record = match checked {
            Ok(r) => r,
            Err(r) => return Ok(Outcome::Rejected(r)),
        };
        let (path, household, before) = match self.place(op, &record)? {
            Ok(found) => found,
            Err(r) => return Ok(Outcome::Rejected(r)),
        };
        let future = op.hlc.wall_ms() > batch.now_ms.saturating_add(FUTURE_TOLERANCE_MS);
        let body = match (json, body) {
            (Some(json), _) => std::borrow::Cow::Borrowed(json),
            (None, Some(b)) => std::borrow::Cow::Owned(b),
            (None, None) => std::borrow::Cow::Owned(
                serde_json::to_string(op).map_err(|e| StorageError::corrupt("operation", e))?,
            ),
        };
        let Some(server_seq) = batch.insert_op(op, &body, future, household)? else {
            return Ok(Outcome::Rejected(reason(
                "op_id_reused",
                format!(
                    "op_id {} is already taken by another operation: give every operation a new id",
                    op.op_id
                ),
            )));
        };
        if is_append_only(entity) {
            // Compact: the record and its state are its creating operation (`last_server_seq`).
            batch.write_entity(op, &path, None, None, false, server_seq)?;
            self.refs.stored(key, Current::AppendOnly, None);
        } else {
            let mut state = match self.refs.current(entity, op.entity_id)? {
                Some(Current::Mutable(s)) => s,
                _ => EntityState::default(),
            };
            state.apply(op);
            let in_conflict = state.conflicts().next().is_some();
            let json = serde_json::to_string(&state)
                .map_err(|e| StorageError::corrupt("entity state", e))?;
            let record_json =
                serde_json::to_string(&record).map_err(|e| StorageError::corrupt("record", e))?;
            batch.write_entity(
                op,
                &path,
                Some(&json),
                Some(&record_json),
                in_conflict,
                server_seq,
            )?;
            if let Some(old) = before.as_deref()
                && old != path
                && entity == "household"
            {
                self.places.moved(op.entity_id, old, &path, server_seq)?;
            }
            self.changed.push((key, record.clone()));
            self.refs.stored(key, Current::Mutable(state), Some(record));
        }
        self.places.wrote(entity, op.entity_id, &path);
        self.written.insert(key);
        Ok(Outcome::Accepted {
            observed: (!future).then_some(op.hlc),
        })
    }
}

/// Applies `req` (see the crate docs for the rules) and answers it. With read connections in
/// `readers` (a file database) and a large batch, operations are checked ahead on that many
/// threads ([`precheck`](super::precheck)).
#[allow(clippy::too_many_arguments)]
pub(super) fn push(
    conn: &mut Connection,
    clock: &Mutex<HlcClock>,
    shared: &SharedRecords,
    readers: &mut [Connection],
    req: &PushRequest,
    now_ms: u64,
    actor: Option<&str>,
    pusher: Option<&Pusher>,
) -> Result<PushResponse, StorageError> {
    // The write lock is taken first: the state the workers read cannot change until commit.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let batch = Batch {
        tx: &tx,
        device: req.device_id,
        now_ms,
    };
    let start = batch.processed_seq()?;
    let ops = &req.ops;
    let (processed, runs, observed, changed) = if readers.is_empty()
        || ops.len() < precheck::MIN_OPS
    {
        run(&batch, shared, req, start, pusher, |_| Ok(None))?
    } else {
        let device = req.device_id;
        let eligible = move |op: &Operation| op.origin_device == device && op.origin_seq > start;
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let received = !req.ops_json.is_empty();
            let mut verdicts =
                precheck::spawn(scope, readers, ops, received, &next, &eligible, shared);
            run(&batch, shared, req, start, pusher, |i| verdicts.take(i))
        })?
    };
    if processed != start {
        batch.save_processed_seq(processed)?;
    }
    let mut next = *lock(clock)?;
    next.observe(observed);
    let server_hlc = next.now(now_ms);
    tx.prepare_cached("UPDATE server_clock SET last_hlc = ?1 WHERE id = 1")?
        .execute([u64_to_sql(server_hlc.packed())])?;
    let results = runs.finish();
    if let Some(actor) = actor {
        // In the push's own transaction: one commit (one fsync) for both.
        let (accepted, duplicate, rejected) = crate::runs::counts(&results);
        let detail = format!(
            "ops {} accepted {accepted} duplicate {duplicate} rejected {rejected} device_seq {processed}",
            ops.len()
        );
        tx.prepare_cached(
            "INSERT INTO audit_log (at_ms, actor, device_id, action, detail)
             VALUES (?1, ?2, ?3, 'push', ?4)",
        )?
        .execute(rusqlite::params![
            u64_to_sql(now_ms),
            actor,
            &req.device_id.as_bytes()[..],
            detail
        ])?;
        tx.prepare_cached("UPDATE device_tokens SET last_sync_ms = ?2 WHERE device_id = ?1")?
            .execute(rusqlite::params![
                &req.device_id.as_bytes()[..],
                u64_to_sql(now_ms)
            ])?;
    }
    tx.commit()?;
    lock(clock)?.observe(server_hlc);
    for (key, record) in changed {
        shared.insert(key, record);
    }
    Ok(PushResponse {
        results,
        device_seq: processed,
        server_hlc,
        // Set by the caller, which knows the database's epoch.
        epoch: None,
    })
}

/// What the per-operation loop leaves: the new processed seq, the answers, the highest HLC to
/// absorb and the editable records written.
type Ran = (u64, Runs, Hlc, Vec<(Key, Record)>);

/// The per-operation loop. `precheck(i)` gives the workers' verdict on operation `i`, if any.
fn run(
    batch: &Batch<'_>,
    shared: &SharedRecords,
    req: &PushRequest,
    start: u64,
    pusher: Option<&Pusher>,
    mut precheck: impl FnMut(usize) -> Result<Option<Prechecked>, StorageError>,
) -> Result<Ran, StorageError> {
    let mut writer = Writer {
        batch,
        refs: BatchRefs::new(batch.tx, Some(shared)),
        places: TxPlaces::new(batch.tx),
        pusher,
        written: HashSet::new(),
        changed: Vec::new(),
    };
    let ops = &req.ops;
    let mut processed = start;
    let mut runs = Runs::new();
    let mut gap = false;
    let mut observed = Hlc::ZERO;
    for (i, op) in ops.iter().enumerate() {
        let seq = op.origin_seq;
        if gap || seq > processed.saturating_add(1) {
            // Not processed: the device resends from `processed + 1`.
            gap = true;
            runs.rejected(
                seq,
                reason(
                    "seq_gap",
                    format!(
                        "operation {seq} comes after a gap: the server has this device's \
                         operations up to {processed}; resend from {}",
                        processed.saturating_add(1)
                    ),
                ),
            );
            continue;
        }
        if seq == 0 {
            let why = reason(
                "bad_seq",
                "origin_seq starts at 1: the device numbers its operations 1, 2, 3 …".to_owned(),
            );
            batch.reject(op, false, &why)?;
            runs.rejected(seq, why);
            continue;
        }
        if seq <= processed {
            match batch.stored(seq)? {
                // A retry is a duplicate only if it says what was stored: a changed re-send is
                // refused (and kept), the original stays.
                Some(Stored::Accepted(id, body)) if id == op.op_id => {
                    let same = serde_json::from_str::<Operation>(&body).is_ok_and(|o| o == *op);
                    if same {
                        runs.duplicate(seq);
                    } else {
                        let why = reason(
                            "changed_resend",
                            format!(
                                "operation {seq} was stored earlier with other content: the \
                                 stored one stays; record the change as a new operation"
                            ),
                        );
                        batch.reject(op, false, &why)?;
                        runs.rejected(seq, why);
                    }
                }
                // A retry of a refused operation gets the same answer again.
                Some(Stored::Rejected(id, why)) if id == op.op_id => runs.rejected(seq, why),
                _ => {
                    let why = reason(
                        "seq_reused",
                        format!(
                            "sequence number {seq} of this device is already taken by another \
                             operation: the device's numbering was reset; the operation is kept \
                             on the server, contact the county office"
                        ),
                    );
                    batch.reject(op, false, &why)?;
                    runs.rejected(seq, why);
                }
            }
            continue;
        }
        processed = seq;
        let pre = precheck(i)?;
        match writer.apply(op, req.op_json(i), pre)? {
            Outcome::Accepted { observed: seen } => {
                if let Some(h) = seen {
                    observed = observed.max(h);
                }
                runs.accepted(seq);
            }
            Outcome::Rejected(why) => {
                batch.reject(op, true, &why)?;
                runs.rejected(seq, why);
            }
        }
    }
    Ok((processed, runs, observed, writer.changed))
}
