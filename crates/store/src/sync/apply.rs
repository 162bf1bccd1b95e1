//! Applying pulled operations: store each new one, merge it into its record's state and write the
//! merge winners to the typed tables ("materialize"), a whole page in one transaction.
//!
//! The server validated every operation, so the records are written without validation. But a
//! device holds only its scope: a record may refer to one it does not hold (a pairing's successor
//! in another unit, a household moved to another village). The typed tables' foreign keys are
//! deferred, so this shows only at COMMIT; then every record written by this transaction is
//! checked, those with a missing reference are taken back (a new row is deleted, an updated one
//! gets its previous version back) and marked `materialized = 0` with what they wait for, and the
//! COMMIT is tried again. Their merge state and operations stay: they are written as soon as what
//! they wait for arrives (checked at every pull). Nothing is lost; nothing half-written remains.

use std::collections::{HashMap, HashSet};

use bangfu_core::Record;
use bangfu_core::sync::op::record_from_fields;
use bangfu_core::sync::wire::FeedEntry;
use bangfu_core::sync::{Hlc, Operation};
use rusqlite::{Connection, OptionalExtension, ffi};
use uuid::Uuid;

use super::Result;
use super::ops::Origin;
use super::state::{self, Mat};
use super::{device, ops};
use crate::error::StoreError;
use crate::schema::{self, ALL_TABLES, Table, table_of};
use crate::{RollbackUnlessCommitted, read, write};

/// Runs `work` in one IMMEDIATE transaction whose records are written through a
/// [`Materializer`], and commits it, taking back records with a missing reference (see the
/// module's documentation). Any error rolls everything back.
pub(crate) fn repairing_transaction<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection, &mut Materializer) -> Result<T>,
) -> Result<T> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let _guard = RollbackUnlessCommitted(conn);
    let mut m = Materializer::default();
    let out = work(conn, &mut m)?;
    m.commit(conn)?;
    Ok(out)
}

/// Applies one page of the feed and moves the cursor, in one transaction. `me`: this device.
pub(crate) fn apply_pulled(
    conn: &Connection,
    me: Uuid,
    entries: &[FeedEntry],
    cursor: u64,
) -> Result<()> {
    repairing_transaction(conn, |conn, m| {
        let mut newest = Hlc::ZERO;
        let mut own_seq = 0;
        for e in entries {
            // An operation the server flagged as stamped far in the future (a phone's clock set
            // wrong) is kept, but this device's clock does not follow it there.
            if !e.future {
                newest = newest.max(e.op.hlc);
            }
            let origin = Origin::Pulled {
                server_seq: e.server_seq,
                json: e.op_json.as_deref(),
            };
            if ops::insert(conn, &e.op, origin, &mut m.buf)? {
                if e.op.origin_device == me {
                    // This device's own, unknown here (restored from an old backup).
                    own_seq = own_seq.max(e.op.origin_seq);
                }
                apply_new(conn, &e.op, e.record.as_ref(), m)?;
            } else {
                ops::set_server_seq(conn, e.op.op_id, e.server_seq)?;
            }
        }
        m.retry_waiting(conn)?;
        device::observe(conn, newest)?;
        if own_seq > 0 {
            // The server has them: they are neither to be pushed nor to be numbered again.
            device::acknowledge_through(conn, own_seq)?;
        }
        device::set_cursor(conn, cursor)
    })
}

/// Rebuilds the merge state of every id that operations of more than one kind carry, one state
/// per kind from that kind's operations alone, and writes each kind's winners (one
/// transaction). Until migration 0003 a device keyed states by id alone and folded such an
/// operation (a visit carrying a household's id) into the other record; run once, right after
/// that migration. Returns how many ids were split.
pub(crate) fn split_shared_ids(conn: &Connection) -> Result<usize> {
    let mut shared: Vec<Uuid> = Vec::new();
    {
        let mut st = conn.prepare(
            "SELECT entity_id FROM ops GROUP BY entity_id HAVING count(DISTINCT entity) > 1",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            shared.push(super::uuid_of(super::blob(r, 0)?, "op", "entity_id")?);
        }
    }
    if shared.is_empty() {
        return Ok(0);
    }
    repairing_transaction(conn, |conn, m| {
        for &id in &shared {
            conn.execute(
                "DELETE FROM entity_states WHERE entity_id = ?1",
                [id.as_bytes()],
            )?;
            let mut by_kind: std::collections::BTreeMap<String, Vec<Operation>> =
                std::collections::BTreeMap::new();
            for op in ops::select(
                conn,
                "SELECT body FROM ops WHERE entity_id = ?1 ORDER BY hlc, origin_device, op_id",
                [id.as_bytes()],
            )? {
                by_kind.entry(op.entity.clone()).or_default().push(op);
            }
            for (entity, ops) in by_kind {
                let Some((first, rest)) = ops.split_first() else {
                    continue;
                };
                state::insert_first(conn, first, Mat::Done)?;
                let mut row = state::StateRow::first(first);
                for op in rest {
                    row.apply(op);
                }
                if !rest.is_empty() {
                    state::save(conn, id, &row, Mat::Done)?;
                }
                let mat = m.materialize(conn, &entity, id, &row.state.winners(), false)?;
                state::mark(conn, &entity, id, mat)?;
            }
        }
        Ok(shared.len())
    })
}

/// Merges an operation not held before into its record's state and materializes the record.
/// `prepared`: the record a creating operation makes, if the caller made it already.
fn apply_new(
    conn: &Connection,
    op: &Operation,
    prepared: Option<&Record>,
    m: &mut Materializer,
) -> Result<()> {
    // The first operation of a record (every pulled visit): no state to read, and the winners
    // are the operation's own fields.
    if state::insert_first(conn, op, Mat::Done)? {
        let mat = match prepared.filter(|r| op.create && r.id() == op.entity_id) {
            Some(record) => m.materialize_record(conn, record, true)?,
            None => m.materialize(conn, &op.entity, op.entity_id, &op.fields, true)?,
        };
        if mat != Mat::Done {
            state::mark(conn, &op.entity, op.entity_id, mat)?;
        }
        return Ok(());
    }
    // Keyed by kind and id: an operation whose id another kind uses is merged under its own.
    let mut row = state::load(conn, &op.entity, op.entity_id)?.ok_or(StoreError::NotFound {
        entity: "entity_state",
        id: Some(op.entity_id),
    })?;
    row.apply(op);
    let mat = m.materialize(conn, &row.entity, op.entity_id, &row.state.winners(), false)?;
    state::save(conn, op.entity_id, &row, mat)
}

/// A record this transaction wrote to the typed tables.
#[derive(Debug)]
struct Written {
    /// What the typed tables held before this transaction (restored if the new version refers to
    /// a missing record).
    prior: Option<Record>,
    /// Whether the typed tables now hold this transaction's version.
    live: bool,
}

/// The foreign keys of one table: `(column, parent table)`.
type ForeignKeys = Vec<(String, &'static str)>;

/// Writes merge winners to the typed tables and keeps what the foreign-key repair needs.
#[derive(Debug, Default)]
pub(crate) struct Materializer {
    /// Scratch space for operation JSON.
    buf: Vec<u8>,
    /// By entity kind and id (two kinds may share an id: each is its own record).
    written: HashMap<(&'static str, Uuid), Written>,
    fks: HashMap<&'static str, ForeignKeys>,
}

impl Materializer {
    /// Writes the record `entity`/`id` with `fields`; [`Mat::Failed`] when they do not make a
    /// record the schema accepts. A missing reference shows only at [`Materializer::commit`].
    /// `new_state`: the record had no merge state before this operation, so it is almost surely
    /// not in the typed tables either (unless imported): inserted without reading first.
    pub(crate) fn materialize(
        &mut self,
        conn: &Connection,
        entity: &str,
        id: Uuid,
        fields: &std::collections::BTreeMap<String, serde_json::Value>,
        new_state: bool,
    ) -> Result<Mat> {
        let Ok(record) = record_from_fields(entity, id, fields) else {
            // An edit that arrived before its record's creation, or an entity of a newer schema:
            // kept, written once complete or after an upgrade.
            return Ok(Mat::Failed);
        };
        self.materialize_record(conn, &record, new_state)
    }

    /// [`Materializer::materialize`] with the record already made from the fields.
    pub(crate) fn materialize_record(
        &mut self,
        conn: &Connection,
        record: &Record,
        new_state: bool,
    ) -> Result<Mat> {
        let Some(table) = table_of(record.entity()) else {
            return Ok(Mat::Failed); // an entity of a newer schema: kept, shown after an upgrade
        };
        let id = record.id();
        let key = (table.entity, id);
        let first_write = !self.written.contains_key(&key);
        let written = if first_write && new_state {
            match write_atomically(conn, record, true) {
                Err(StoreError::Duplicate { .. }) => {
                    // Imported without operations: replaced, and remembered.
                    let prior = read::get_record(conn, table.entity, id)?;
                    self.track(id, table.entity, prior);
                    write_atomically(conn, record, false)
                }
                inserted => {
                    if inserted.is_ok() {
                        self.track(id, table.entity, None);
                    }
                    inserted
                }
            }
        } else {
            if first_write {
                let prior = read::get_record(conn, table.entity, id)?;
                self.track(id, table.entity, prior);
            }
            write_atomically(conn, record, false)
        };
        match written {
            Ok(()) => {
                if let Some(w) = self.written.get_mut(&key) {
                    w.live = true;
                }
                Ok(Mat::Done)
            }
            // A CHECK or NOT NULL the validators do not cover: the statement (or savepoint) left
            // the typed tables as they were.
            Err(StoreError::Rejected { .. } | StoreError::Duplicate { .. }) => Ok(Mat::Failed),
            Err(e) => Err(e),
        }
    }

    /// Remembers what the typed tables held for `id` before this transaction first wrote it
    /// (or what to show if its new version cannot be written).
    pub(crate) fn track(&mut self, id: Uuid, entity: &'static str, prior: Option<Record>) {
        self.written
            .entry((entity, id))
            .or_insert(Written { prior, live: false });
    }

    /// Materializes every record waiting for a reference that is now in the typed tables
    /// (arrived in this transaction, or before), until none is left.
    fn retry_waiting(&mut self, conn: &Connection) -> Result<()> {
        let mut tried = HashSet::new();
        loop {
            let mut ready = Vec::new();
            for w in state::waiting(conn)? {
                let key = (w.entity, w.id);
                if !tried.contains(&key) && parent_exists(conn, &w.table, w.wanted)? {
                    ready.push(key);
                }
            }
            if ready.is_empty() {
                return Ok(());
            }
            for (entity, id) in ready {
                let Some(row) = state::load(conn, &entity, id)? else {
                    continue;
                };
                let mat = self.materialize(conn, &entity, id, &row.state.winners(), false)?;
                state::mark(conn, &entity, id, mat)?;
                tried.insert((entity, id));
            }
        }
    }

    /// Commits; when a deferred foreign key fails, takes back the records with a missing
    /// reference and tries again (each round takes back at least one record, or gives up).
    fn commit(mut self, conn: &Connection) -> Result<()> {
        loop {
            let err = match conn.execute_batch("COMMIT") {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let is_fk = matches!(&err, rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY);
            if !is_fk {
                return Err(StoreError::Sqlite(err));
            }
            // Still inside the transaction (SQLite keeps it open after a failed COMMIT).
            if self.take_back_missing(conn)? == 0 {
                return Err(schema::explain_commit_failure(conn, err));
            }
        }
    }

    /// Takes back every live record of this transaction that refers to a missing record; returns
    /// how many.
    fn take_back_missing(&mut self, conn: &Connection) -> Result<usize> {
        let mut missing = Vec::new();
        for (&(entity, id), w) in &self.written {
            if w.live
                && let Some(gap) = missing_reference(conn, &mut self.fks, entity, id)?
            {
                missing.push(((entity, id), gap));
            }
        }
        for (key, (wanted, table)) in &missing {
            let Some(w) = self.written.get_mut(key) else {
                continue;
            };
            let (entity, id) = *key;
            w.live = false;
            match &w.prior {
                Some(prior) => write_atomically(conn, prior, false)?,
                None => delete(conn, entity, id)?,
            }
            state::mark(conn, entity, id, Mat::Waiting { id: *wanted, table })?;
        }
        Ok(missing.len())
    }
}

/// The list table of an entity whose records have one.
fn child_table(entity: &str) -> Option<&'static Table> {
    match entity {
        "person" => Some(&schema::ROLE_GRANTS),
        "household" => Some(&schema::HOUSEHOLD_CLASSES),
        "income_record" => Some(&schema::INCOME_ITEMS),
        _ => None,
    }
}

/// Inserts (`insert_only`: fails with [`StoreError::Duplicate`] if the id is there) or upserts a
/// record; one with list rows inside a savepoint, so that a refused list row (or a refused insert
/// after its old list rows were deleted) leaves the record as it was.
fn write_atomically(conn: &Connection, record: &Record, insert_only: bool) -> Result<()> {
    if child_table(record.entity()).is_none() {
        return write::write_record(conn, record, insert_only);
    }
    conn.prepare_cached("SAVEPOINT materialize")?.execute([])?;
    match write::write_record(conn, record, insert_only) {
        Ok(()) => {
            conn.prepare_cached("RELEASE materialize")?.execute([])?;
            Ok(())
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO materialize; RELEASE materialize")?;
            Err(e)
        }
    }
}

/// Deletes a record (and its list rows) from the typed tables.
fn delete(conn: &Connection, entity: &str, id: Uuid) -> Result<()> {
    if let Some(child) = child_table(entity) {
        conn.prepare_cached(&format!(
            "DELETE FROM {} WHERE {} = ?1",
            child.name, child.cols[0]
        ))?
        .execute([id.as_bytes()])?;
    }
    let table = table_of(entity).ok_or_else(|| StoreError::UnknownEntity(entity.to_owned()))?;
    conn.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", table.name))?
        .execute([id.as_bytes()])?;
    Ok(())
}

/// Whether the record `id` is in `table` (a table name stored by this module).
fn parent_exists(conn: &Connection, table: &str, id: Uuid) -> Result<bool> {
    let Some(t) = ALL_TABLES.iter().find(|t| t.name == table) else {
        return Ok(false);
    };
    let sql = format!("SELECT 1 FROM {} WHERE id = ?1", t.name);
    let found: Option<i64> = conn
        .prepare_cached(&sql)?
        .query_row([id.as_bytes()], |r| r.get(0))
        .optional()?;
    Ok(found.is_some())
}

/// The foreign keys of `table`, from SQLite's own description of the schema.
fn foreign_keys<'a>(
    conn: &Connection,
    cache: &'a mut HashMap<&'static str, ForeignKeys>,
    table: &'static Table,
) -> Result<&'a ForeignKeys> {
    if !cache.contains_key(table.name) {
        let mut st = conn
            .prepare("SELECT \"from\", \"table\" FROM pragma_foreign_key_list(?1) ORDER BY id")?;
        let mut fks = Vec::new();
        for row in st.query_map([table.name], |r| Ok((r.get(0)?, r.get(1)?)))? {
            let (from, parent): (String, String) = row?;
            if let Some(p) = ALL_TABLES.iter().find(|t| t.name == parent) {
                fks.push((from, p.name));
            }
        }
        cache.insert(table.name, fks);
    }
    cache
        .get(table.name)
        .ok_or(StoreError::UnknownEntity(table.name.to_owned()))
}

/// The first reference of record `entity`/`id` (or of its list rows) to a record that is not in
/// the typed tables: `(missing id, its table)`.
fn missing_reference(
    conn: &Connection,
    cache: &mut HashMap<&'static str, ForeignKeys>,
    entity: &str,
    id: Uuid,
) -> Result<Option<(Uuid, &'static str)>> {
    let tables = table_of(entity)
        .map(|t| (t, "id"))
        .into_iter()
        .chain(child_table(entity).map(|c| (c, c.cols[0])));
    for (table, key) in tables {
        let fks = foreign_keys(conn, cache, table)?.clone();
        if fks.is_empty() {
            continue;
        }
        let cols: Vec<&str> = fks.iter().map(|(c, _)| c.as_str()).collect();
        let sql = format!(
            "SELECT {} FROM {} WHERE {key} = ?1",
            cols.join(", "),
            table.name
        );
        let mut st = conn.prepare_cached(&sql)?;
        let mut rows = st.query([id.as_bytes()])?;
        while let Some(row) = rows.next()? {
            for (i, (_, parent)) in fks.iter().enumerate() {
                let Some(bytes) = super::blob_or_null(row, i)? else {
                    continue;
                };
                let wanted = super::uuid_of(bytes, "record", "reference")?;
                if !parent_exists(conn, parent, wanted)? {
                    return Ok(Some((wanted, parent)));
                }
            }
        }
    }
    Ok(None)
}
