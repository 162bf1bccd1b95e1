//! The `entity_states` table: the per-field merge state of every record that operations touched,
//! keyed by the record's entity kind and id (migration 0003): an operation that carries an id
//! another kind uses is merged under its own kind, never into the other record.
//!
//! A record changed by one operation only (most records, and every append-only one) is stored as
//! a reference to that operation (`sole_op`): its merge state is that operation's fields, each a
//! single head. This halves what a pulled visit costs in time and space. The full
//! [`EntityState`] JSON is written from the second operation on.

use bangfu_core::sync::{EntityState, Hlc, Operation};
use rusqlite::{Connection, params};
use uuid::Uuid;

use super::{Result, hlc_of, hlc_sql, ops};

/// The merge state of one record, as loaded.
#[derive(Debug, Clone)]
pub(crate) struct StateRow {
    pub entity: String,
    /// `scope_path` of the newest operation applied (highest `(hlc, scope_path)`).
    pub scope_path: String,
    pub hlc_max: Hlc,
    pub state: EntityState,
}

impl StateRow {
    /// The state of a record after its first operation.
    pub fn first(op: &Operation) -> StateRow {
        let mut state = EntityState::default();
        state.apply(op);
        StateRow {
            entity: op.entity.clone(),
            scope_path: op.scope_path.clone(),
            hlc_max: op.hlc,
            state,
        }
    }

    /// Applies one more operation (idempotent, order-independent).
    pub fn apply(&mut self, op: &Operation) {
        self.state.apply(op);
        if (op.hlc, op.scope_path.as_str()) > (self.hlc_max, self.scope_path.as_str()) {
            self.hlc_max = op.hlc;
            self.scope_path.clone_from(&op.scope_path);
        }
    }
}

/// Whether the typed tables hold a record's merge winners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mat {
    /// Written.
    Done,
    /// Cannot be written as it stands (fields incomplete or refused by the schema): retried when
    /// the record's next operation arrives.
    Failed,
    /// Refers to a record this device does not hold (`id` in `table`): retried when it arrives.
    Waiting { id: Uuid, table: &'static str },
}

impl Mat {
    fn columns(self) -> (bool, Option<Uuid>, Option<&'static str>) {
        match self {
            Mat::Done => (true, None, None),
            Mat::Failed => (false, None, None),
            Mat::Waiting { id, table } => (false, Some(id), Some(table)),
        }
    }
}

/// Decodes a state from its `state` JSON, scope path and HLC or, for a sole-operation state,
/// its operation's body.
fn decode(
    id: Uuid,
    entity: String,
    full: Option<(&str, Option<String>, Option<i64>)>,
    sole_body: Option<&str>,
) -> Result<StateRow> {
    match (full, sole_body) {
        (Some((json, scope_path, hlc_max)), _) => Ok(StateRow {
            entity,
            scope_path: scope_path.unwrap_or_default(),
            hlc_max: hlc_of(hlc_max.unwrap_or(0)),
            state: serde_json::from_str(json)
                .map_err(|e| super::corrupt_json("entity_state", Some(id), "state", &e))?,
        }),
        (None, Some(body)) => {
            let op = ops::parse(body, None)?;
            Ok(StateRow {
                entity,
                ..StateRow::first(&op)
            })
        }
        (None, None) => Err(crate::StoreError::Corrupt {
            entity: "entity_state",
            id: Some(id),
            field: "sole_op",
            problem: "the operation it names is not stored".to_owned(),
        }),
    }
}

const SELECT: &str = "SELECT s.entity, s.entity_id, s.state, s.scope_path, s.hlc_max, o.body
    FROM entity_states s LEFT JOIN ops o ON o.op_id = s.sole_op";

/// Decodes a row of [`SELECT`].
fn row_of(r: &rusqlite::Row<'_>) -> Result<(Uuid, StateRow)> {
    let id = super::uuid_of(super::blob(r, 1)?, "entity_state", "entity_id")?;
    let full = match super::text_or_null(r, 2)? {
        Some(json) => Some((json, r.get(3)?, r.get(4)?)),
        None => None,
    };
    Ok((id, decode(id, r.get(0)?, full, super::text_or_null(r, 5)?)?))
}

/// The merge state of record `entity`/`id`, if any operation touched it.
pub(crate) fn load(conn: &Connection, entity: &str, id: Uuid) -> Result<Option<StateRow>> {
    let mut st = conn.prepare_cached(&format!(
        "{SELECT} WHERE s.entity_id = ?1 AND s.entity = ?2"
    ))?;
    let mut rows = st.query(params![id.as_bytes(), entity])?;
    match rows.next()? {
        Some(r) => Ok(Some(row_of(r)?.1)),
        None => Ok(None),
    }
}

/// The kinds other than `entity` that have a merge state under `id` (ids are meant to be unique
/// across kinds: a local change never makes a second kind of an id).
pub(crate) fn other_kinds(conn: &Connection, entity: &str, id: Uuid) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT entity FROM entity_states WHERE entity_id = ?1 AND entity <> ?2 ORDER BY entity",
    )?;
    let rows = st.query_map(params![id.as_bytes(), entity], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every state, by entity then id (for tests and diagnostics).
pub(crate) fn all(conn: &Connection) -> Result<Vec<(String, Uuid, EntityState)>> {
    let mut st = conn.prepare(&format!("{SELECT} ORDER BY s.entity, s.entity_id"))?;
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let (id, row) = row_of(r)?;
        out.push((row.entity, id, row.state));
    }
    Ok(out)
}

/// Creates the state of a record from its first operation, unless the record has one; `true`
/// when it was created. Costs no read when the record is new (the common case of a pull).
pub(crate) fn insert_first(conn: &Connection, op: &Operation, mat: Mat) -> Result<bool> {
    let (done, waiting_for, waiting_in) = mat.columns();
    let n = conn
        .prepare_cached(
            "INSERT INTO entity_states (entity_id, entity, sole_op, materialized, waiting_for,
                 waiting_in)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (entity_id, entity) DO NOTHING",
        )?
        .execute(params![
            op.entity_id.as_bytes(),
            op.entity,
            op.op_id.as_bytes(),
            done,
            waiting_for.as_ref().map(|u| u.as_bytes().as_slice()),
            waiting_in
        ])?;
    Ok(n == 1)
}

/// Writes the full state of an existing record (of kind `row.entity`).
pub(crate) fn save(conn: &Connection, id: Uuid, row: &StateRow, mat: Mat) -> Result<()> {
    let json = serde_json::to_string(&row.state).map_err(|e| crate::StoreError::Sync {
        code: "encode_failed",
        message: format!("merge state of {id}: {e}"),
    })?;
    let conflicted = row.state.conflicts().next().is_some();
    let (done, waiting_for, waiting_in) = mat.columns();
    conn.prepare_cached(
        "UPDATE entity_states SET scope_path = ?2, hlc_max = ?3, sole_op = NULL, state = ?4,
             conflicted = ?5, materialized = ?6, waiting_for = ?7, waiting_in = ?8
         WHERE entity_id = ?1 AND entity = ?9",
    )?
    .execute(params![
        id.as_bytes(),
        row.scope_path,
        hlc_sql(row.hlc_max),
        json,
        conflicted,
        done,
        waiting_for.as_ref().map(|u| u.as_bytes().as_slice()),
        waiting_in,
        row.entity
    ])?;
    Ok(())
}

/// Records whether record `entity`/`id` is materialized.
pub(crate) fn mark(conn: &Connection, entity: &str, id: Uuid, mat: Mat) -> Result<()> {
    let (done, waiting_for, waiting_in) = mat.columns();
    conn.prepare_cached(
        "UPDATE entity_states SET materialized = ?2, waiting_for = ?3, waiting_in = ?4
         WHERE entity_id = ?1 AND entity = ?5",
    )?
    .execute(params![
        id.as_bytes(),
        done,
        waiting_for.as_ref().map(|u| u.as_bytes().as_slice()),
        waiting_in,
        entity
    ])?;
    Ok(())
}

/// A record waiting for a missing reference.
#[derive(Debug, Clone)]
pub(crate) struct Waiting {
    pub entity: String,
    pub id: Uuid,
    /// The id it waits for, and that record's table.
    pub wanted: Uuid,
    pub table: String,
}

/// Records waiting for a missing reference.
pub(crate) fn waiting(conn: &Connection) -> Result<Vec<Waiting>> {
    let mut st = conn.prepare_cached(
        "SELECT entity, entity_id, waiting_for, waiting_in FROM entity_states
         WHERE materialized = 0 AND waiting_for IS NOT NULL",
    )?;
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(Waiting {
            entity: r.get(0)?,
            id: super::uuid_of(super::blob(r, 1)?, "entity_state", "entity_id")?,
            wanted: super::uuid_of(super::blob(r, 2)?, "entity_state", "waiting_for")?,
            table: r.get(3)?,
        });
    }
    Ok(out)
}
