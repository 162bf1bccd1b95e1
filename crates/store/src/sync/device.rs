//! The device row (its id, clock, sequence numbers and feed cursor) and the store's side of the
//! sync client: `impl DeviceStore for Store`.

use bangfu_core::sync::outgoing::OutgoingOp;
use bangfu_core::sync::wire::{FeedEntry, OpStatus, PushResponse};
use bangfu_core::sync::{DeviceStore, Hlc, HlcClock, Operation};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{Result, hlc_of, hlc_sql, ops, seq_of, seq_sql};
use crate::error::StoreError;
use crate::{Store, write_transaction};

/// The device's id, creating the device row (with a new UUIDv7) if the database has none.
pub(crate) fn ensure(conn: &Connection) -> Result<Uuid> {
    if let Some(id) = device_id(conn)? {
        return Ok(id);
    }
    let id = Uuid::now_v7();
    write_transaction(conn, |conn| {
        conn.execute(
            "INSERT INTO device (id, device_id) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
            [id.as_bytes()],
        )?;
        Ok(())
    })?;
    // Another connection may have created it first: its id is the one.
    device_id(conn)?.ok_or(StoreError::NotFound {
        entity: "device",
        id: None,
    })
}

fn device_id(conn: &Connection) -> Result<Option<Uuid>> {
    let id: Option<Vec<u8>> = conn
        .query_row("SELECT device_id FROM device WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    id.map(|b| super::uuid_of(&b, "device", "device_id"))
        .transpose()
}

/// Sets the device's id. Refused once this device has made an operation under another id.
fn init(conn: &Connection, id: Uuid) -> Result<()> {
    let current = device_id(conn)?;
    if current == Some(id) {
        return Ok(());
    }
    let made: Option<i64> = conn
        .query_row("SELECT 1 FROM ops WHERE local = 1 LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    if made.is_some() {
        return Err(StoreError::Sync {
            code: "device_in_use",
            message: "this device has made operations under its id: the id cannot change".into(),
        });
    }
    conn.execute(
        "INSERT INTO device (id, device_id) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET device_id = excluded.device_id, next_seq = 1,
             acked_seq = 0",
        [id.as_bytes()],
    )?;
    Ok(())
}

fn get_u64(conn: &Connection, column: &str) -> Result<u64> {
    let v: i64 = conn
        .prepare_cached(&format!("SELECT {column} FROM device WHERE id = 1"))?
        .query_row([], |r| r.get(0))?;
    Ok(seq_of(v))
}

/// The device's clock as stored.
pub(crate) fn clock(conn: &Connection) -> Result<HlcClock> {
    let v: i64 = conn
        .prepare_cached("SELECT hlc_last FROM device WHERE id = 1")?
        .query_row([], |r| r.get(0))?;
    Ok(HlcClock::resume(hlc_of(v)))
}

/// Absorbs `hlc` into the stored clock (inside the caller's transaction).
pub(crate) fn observe(conn: &Connection, hlc: Hlc) -> Result<()> {
    let mut clock = clock(conn)?;
    let before = clock.last();
    clock.observe(hlc);
    if clock.last() != before {
        conn.prepare_cached("UPDATE device SET hlc_last = ?1 WHERE id = 1")?
            .execute([hlc_sql(clock.last())])?;
    }
    Ok(())
}

/// Issues the timestamp and sequence number of a new local operation (inside the caller's
/// transaction, so a rollback gives both back and `origin_seq` stays gap-free).
pub(crate) fn next_stamp(conn: &Connection, now_ms: u64) -> Result<(Hlc, u64)> {
    let (last, seq): (i64, i64) = conn
        .prepare_cached("SELECT hlc_last, next_seq FROM device WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let hlc = HlcClock::resume(hlc_of(last)).now(now_ms);
    conn.prepare_cached("UPDATE device SET hlc_last = ?1, next_seq = next_seq + 1 WHERE id = 1")?
        .execute([hlc_sql(hlc)])?;
    Ok((hlc, seq_of(seq)))
}

/// Records that the server holds this device's operations up to `seq`: `acked_seq` moves forward
/// to it (never back), and new local operations are numbered after it. Beyond what this device
/// made, that is a database restored from an old backup: reusing a number the server holds would
/// be taken for a retry and the new operation dropped.
pub(crate) fn acknowledge_through(conn: &Connection, seq: u64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE device SET acked_seq = max(acked_seq, ?1), next_seq = max(next_seq, ?1 + 1)
         WHERE id = 1",
    )?
    .execute([seq_sql(seq, "seq")?])?;
    Ok(())
}

/// The highest `h` such that every operation `1..=h` of `me` is held, given `known`: one such
/// `h` found before. Seqs are unique per device, so `count == max - known` above `known` means no
/// gap; otherwise the end of the run from 1 is looked for.
fn held_through(conn: &Connection, me: Uuid, known: u64) -> Result<u64> {
    let known_sql = seq_sql(known, "held")?;
    let (count, max): (i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), COALESCE(max(origin_seq), 0) FROM ops
             WHERE origin_device = ?1 AND origin_seq > ?2",
        )?
        .query_row(params![me.as_bytes(), known_sql], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    if count == 0 {
        return Ok(known);
    }
    if count == max - known_sql {
        return Ok(seq_of(max));
    }
    // A gap (a restore from a backup, then a server answer beyond it).
    let end: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(min(o.origin_seq), 0) FROM ops o
             WHERE o.origin_device = ?1 AND o.origin_seq >= ?2
               AND (?2 > 0 OR EXISTS (SELECT 1 FROM ops f
                                      WHERE f.origin_device = ?1 AND f.origin_seq = 1))
               AND NOT EXISTS (SELECT 1 FROM ops n
                               WHERE n.origin_device = ?1 AND n.origin_seq = o.origin_seq + 1)",
        )?
        .query_row(params![me.as_bytes(), known_sql], |r| r.get(0))?;
    Ok(seq_of(end).max(known))
}

/// The server epoch stored (see migration 0004).
fn server_epoch(conn: &Connection) -> Result<Option<Uuid>> {
    let id: Option<Vec<u8>> = conn
        .prepare_cached("SELECT server_epoch FROM device WHERE id = 1")?
        .query_row([], |r| r.get(0))?;
    id.map(|b| super::uuid_of(&b, "device", "server_epoch"))
        .transpose()
}

/// The server was restored from a backup: own operations after `device_seq` are unsynced again,
/// the feed starts over (the positions pulled operations carry are of the old epoch: cleared),
/// and the new epoch is stored (inside the caller's transaction).
fn rebase(conn: &Connection, epoch: Uuid, device_seq: u64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE device SET acked_seq = ?1, next_seq = max(next_seq, ?1 + 1), cursor = 0,
             server_epoch = ?2
         WHERE id = 1",
    )?
    .execute(params![
        seq_sql(device_seq, "device_seq")?,
        epoch.as_bytes()
    ])?;
    conn.prepare_cached("UPDATE ops SET server_seq = NULL WHERE server_seq IS NOT NULL")?
        .execute([])?;
    Ok(())
}

pub(crate) fn set_cursor(conn: &Connection, cursor: u64) -> Result<()> {
    conn.prepare_cached("UPDATE device SET cursor = ?1 WHERE id = 1")?
        .execute([seq_sql(cursor, "cursor")?])?;
    Ok(())
}

/// Records a push's answer (inside the caller's transaction).
fn acknowledge(conn: &Connection, me: Uuid, response: &PushResponse) -> Result<()> {
    for run in &response.results {
        match run.status {
            OpStatus::Rejected => {
                let (code, message) = match &run.reason {
                    Some(r) => (r.code.as_str(), r.message.as_str()),
                    None => ("unknown", ""),
                };
                for seq in run.first_seq..=run.last_seq {
                    // The server answers for what was sent; an answer for an operation this
                    // device does not hold changes nothing.
                    let Some(op_id) = ops::local_op_id(conn, me, seq)? else {
                        continue;
                    };
                    conn.prepare_cached(
                        "INSERT INTO rejected_ops (op_id, origin_seq, code, message)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (op_id) DO UPDATE SET code = excluded.code,
                             message = excluded.message",
                    )?
                    .execute(params![
                        op_id.as_bytes(),
                        seq_sql(seq, "seq")?,
                        code,
                        message
                    ])?;
                }
            }
            // Accepted on a later push (e.g. after a server upgrade): no longer rejected.
            OpStatus::Accepted | OpStatus::Duplicate => {
                conn.prepare_cached(
                    // EXISTS, not `op_id IN (SELECT … WHERE origin_device = ?3)`: the latter reads
                    // every operation this device ever made on each acknowledgement.
                    "DELETE FROM rejected_ops WHERE origin_seq BETWEEN ?1 AND ?2
                     AND EXISTS (SELECT 1 FROM ops WHERE ops.op_id = rejected_ops.op_id
                                 AND ops.origin_device = ?3)",
                )?
                .execute(params![
                    seq_sql(run.first_seq, "seq")?,
                    seq_sql(run.last_seq, "seq")?,
                    me.as_bytes()
                ])?;
            }
        }
    }
    acknowledge_through(conn, response.device_seq)
}

impl Store {
    /// Sets this installation's device id (e.g. the one the server enrolled). A new store has a
    /// fresh UUIDv7 already; the id can change only while the device has made no operation
    /// (`Sync { code: "device_in_use" }` otherwise).
    pub fn init_device(&mut self, device_id: Uuid) -> std::result::Result<(), StoreError> {
        write_transaction(&self.conn, |conn| init(conn, device_id))?;
        self.device_id = device_id;
        Ok(())
    }

    /// The id this device signs its operations with.
    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    /// The device's clock: the latest timestamp it issued or observed.
    pub fn hlc_last(&self) -> std::result::Result<Hlc, StoreError> {
        Ok(clock(&self.conn)?.last())
    }
}

impl DeviceStore for Store {
    type Error = StoreError;

    fn device_id(&self) -> Uuid {
        self.device_id
    }

    fn acked_seq(&self) -> Result<u64> {
        get_u64(&self.conn, "acked_seq")
    }

    fn pending_ops(&self, after_seq: u64, limit: usize) -> Result<Vec<Operation>> {
        ops::pending_push(&self.conn, self.device_id, after_seq, limit)?
            .iter()
            .map(|o| ops::parse(o.json(), Some(o.op_id)))
            .collect()
    }

    fn pending_push(&self, after_seq: u64, limit: usize) -> Result<Vec<OutgoingOp>> {
        ops::pending_push(&self.conn, self.device_id, after_seq, limit)
    }

    fn pending_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM ops WHERE origin_device = ?1 AND local = 1
                 AND origin_seq > (SELECT acked_seq FROM device WHERE id = 1)",
            )?
            .query_row([self.device_id.as_bytes()], |r| r.get(0))?;
        Ok(seq_of(n))
    }

    fn acknowledge(&mut self, response: &PushResponse) -> Result<()> {
        let me = self.device_id;
        write_transaction(&self.conn, |conn| acknowledge(conn, me, response))
    }

    fn own_ops_held_through(&self) -> Result<u64> {
        let held = held_through(&self.conn, self.device_id, self.own_held.get())?;
        self.own_held.set(held);
        Ok(held)
    }

    fn cursor(&self) -> Result<u64> {
        get_u64(&self.conn, "cursor")
    }

    fn apply_pulled(&mut self, entries: &[FeedEntry], cursor: u64) -> Result<()> {
        crate::relaxed_sync(&self.conn, || {
            super::apply::apply_pulled(&self.conn, self.device_id, entries, cursor)
        })?;
        self.nudge_checkpoint();
        Ok(())
    }

    fn observe_server_clock(&mut self, hlc: Hlc) -> Result<()> {
        write_transaction(&self.conn, |conn| observe(conn, hlc))
    }

    fn restart_feed(&mut self) -> Result<()> {
        set_cursor(&self.conn, 0)
    }

    fn server_epoch(&self) -> Result<Option<Uuid>> {
        server_epoch(&self.conn)
    }

    fn set_server_epoch(&mut self, epoch: Uuid) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE device SET server_epoch = ?1 WHERE id = 1")?
            .execute([epoch.as_bytes()])?;
        Ok(())
    }

    fn rebase_on_restored_server(&mut self, epoch: Uuid, device_seq: u64) -> Result<()> {
        write_transaction(&self.conn, |conn| rebase(conn, epoch, device_seq))
    }

    fn leave_scope(&mut self, scope: &bangfu_core::sync::Scope) -> Result<u64> {
        let me = self.device_id;
        write_transaction(&self.conn, |conn| {
            super::leave::leave_scope(conn, me, scope)
        })
    }
}
