//! Local changes: each one validated like [`Store::save_record`], turned into an operation and
//! written with it in one transaction.

use std::collections::BTreeMap;

use bangfu_core::Record;
use bangfu_core::sync::op::{is_append_only, record_from_fields};
use bangfu_core::sync::{OP_SCHEMA_VERSION, Operation};
use bangfu_core::validate::validate_record;
use chrono::{DateTime, FixedOffset};
use rusqlite::Connection;
use serde_json::Value;
use uuid::Uuid;

use super::Result;
use super::apply::{Materializer, repairing_transaction};
use super::ops::Origin;
use super::state::{self, Mat, StateRow};
use super::{device, ops};
use crate::error::StoreError;
use crate::schema::table_of;
use crate::{Store, StoreRefs, read, write, write_transaction};

/// Who made a change, where it belongs, and when (the device's wall clock, passed in).
#[derive(Debug, Clone, Copy)]
struct Stamp<'a> {
    me: Uuid,
    author: Uuid,
    scope_path: &'a str,
    now_ms: u64,
    recorded_at: DateTime<FixedOffset>,
}

/// Validates `record` against the typed tables, as [`Store::save_record`] does.
fn validate(conn: &Connection, record: &Record) -> Result<()> {
    let refs = StoreRefs::new(conn);
    let verdict = validate_record(record, &refs);
    refs.into_result()?;
    verdict.map_err(StoreError::Invalid)
}

/// The fields of `new` that differ from what the user saw: the record as the typed tables show
/// it (`shown`) or, when they do not show it, the merge winners. A field the record no longer has
/// (an option set to none) becomes `null`.
fn changed_fields(
    entity: &str,
    id: Uuid,
    shown: Option<&Record>,
    winners: &BTreeMap<String, Value>,
    new: BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    // Compared as typed records serialise, so that equal values always compare equal and fields
    // of a newer schema (unknown to this build) are left alone. The typed row is what the user
    // edited: it differs from the winners only while the record waits for a reference this
    // device does not hold, and a change made then must not undo what the user never saw.
    let old = match shown {
        Some(r) => Ok(Operation::fields_of(r)),
        None => record_from_fields(entity, id, winners).map(|r| Operation::fields_of(&r)),
    };
    let mut changed = BTreeMap::new();
    if let Ok(old) = &old {
        for (k, v) in old {
            if !v.is_null() && !new.contains_key(k) {
                changed.insert(k.clone(), Value::Null);
            }
        }
    }
    let old = old.as_ref().unwrap_or(winners);
    for (k, v) in new {
        if old.get(&k).unwrap_or(&Value::Null) != &v {
            changed.insert(k, v);
        }
    }
    changed
}

/// A change must say where it belongs (the server checks scopes against it).
fn check_scope(stamp: Stamp<'_>, entity: &str, id: Uuid) -> Result<()> {
    if stamp.scope_path.is_empty() {
        return Err(StoreError::Sync {
            code: "no_scope",
            message: format!("{entity} {id}: a change needs its scope path"),
        });
    }
    Ok(())
}

/// Makes, stores and merges one local operation (inside the caller's transaction). `current` is
/// the record's merge state (`None` for a creation). Returns the operation and the new state.
fn commit_op(
    conn: &Connection,
    stamp: Stamp<'_>,
    entity: &str,
    entity_id: Uuid,
    fields: BTreeMap<String, Value>,
    current: Option<StateRow>,
) -> Result<(Operation, StateRow)> {
    check_scope(stamp, entity, entity_id)?;
    let base = match &current {
        None => BTreeMap::new(),
        Some(row) => fields
            .keys()
            .filter_map(|f| {
                let heads = row.state.base_for(f);
                (!heads.is_empty()).then(|| (f.clone(), heads))
            })
            .collect(),
    };
    let (hlc, origin_seq) = device::next_stamp(conn, stamp.now_ms)?;
    let op = Operation {
        op_id: Uuid::now_v7(),
        origin_device: stamp.me,
        origin_seq,
        hlc,
        entity: entity.to_owned(),
        entity_id,
        create: current.is_none(),
        fields,
        base,
        scope_path: stamp.scope_path.to_owned(),
        schema_version: OP_SCHEMA_VERSION,
        author: stamp.author,
        recorded_at: stamp.recorded_at,
    };
    if !ops::insert(conn, &op, Origin::Local, &mut Vec::with_capacity(2048))? {
        return Err(StoreError::Sync {
            code: "op_id_reused",
            message: format!("operation id {} is already stored", op.op_id),
        });
    }
    let row = match current {
        None => {
            state::insert_first(conn, &op, Mat::Done)?;
            StateRow::first(&op)
        }
        Some(mut row) => {
            row.apply(&op);
            state::save(conn, entity_id, &row, Mat::Done)?;
            row
        }
    };
    Ok((op, row))
}

/// The merge state of record `entity`/`id`, refusing an id that a record of another entity
/// already has (ids are unique across kinds; the server refuses a second kind of an id).
fn current_state(conn: &Connection, entity: &str, id: Uuid) -> Result<Option<StateRow>> {
    if let Some(other) = state::other_kinds(conn, entity, id)?.into_iter().next() {
        return Err(StoreError::Sync {
            code: "entity_mismatch",
            message: format!("{id} is a {other}, not a {entity}"),
        });
    }
    state::load(conn, entity, id)
}

fn record_change(
    conn: &Connection,
    m: &mut Materializer,
    stamp: Stamp<'_>,
    record: &Record,
) -> Result<Option<Operation>> {
    let (entity, id) = (record.entity(), record.id());
    check_scope(stamp, entity, id)?;
    let current = current_state(conn, entity, id)?;
    if record.is_append_only() && (current.is_some() || read::exists(conn, entity, id)?) {
        return Err(StoreError::AppendOnly { entity, id });
    }
    validate(conn, record)?;
    let new = Operation::fields_of(record);
    let fields = match &current {
        None => new,
        Some(row) => {
            let shown = read::get_record(conn, entity, id)?;
            changed_fields(entity, id, shown.as_ref(), &row.state.winners(), new)
        }
    };
    if fields.is_empty() {
        return Ok(None);
    }
    let (op, after) = commit_op(conn, stamp, entity, id, fields, current)?;
    write::put_record(conn, record)?;
    // The merge winners are now `record` (every field it changed has this operation as its only
    // head, and the others showed its values) unless the record was waiting for a reference
    // this device does not hold: then the winners are written like a pulled change's, and if
    // they still cannot be, the typed tables show `record`, as the user saved it.
    let winners = after.state.winners();
    if record_from_fields(entity, id, &winners).ok().as_ref() != Some(record) {
        m.track(id, entity, Some(record.clone()));
        let mat = m.materialize(conn, entity, id, &winners, false)?;
        state::mark(conn, entity, id, mat)?;
    }
    Ok(Some(op))
}

fn resolve_conflict(
    conn: &Connection,
    stamp: Stamp<'_>,
    entity: &str,
    entity_id: Uuid,
    field: &str,
    value: Value,
) -> Result<Operation> {
    let row = state::load(conn, entity, entity_id)?.ok_or(StoreError::NotFound {
        entity: "entity_state",
        id: Some(entity_id),
    })?;
    let entity = table_of(&row.entity)
        .ok_or_else(|| StoreError::UnknownEntity(row.entity.clone()))?
        .entity;
    let invalid = |code: &'static str, message: String, message_zh: &str| {
        StoreError::Invalid(vec![bangfu_core::validate::ValidationError {
            entity,
            record_id: entity_id,
            field: field.to_owned(),
            code,
            message,
            message_zh: message_zh.to_owned(),
        }])
    };
    if is_append_only(entity) {
        return Err(StoreError::AppendOnly {
            entity,
            id: entity_id,
        });
    }
    let mut state_fields = row.state.winners();
    state_fields.insert(field.to_owned(), value.clone());
    // The messages never repeat the value (serde's would).
    let record = record_from_fields(entity, entity_id, &state_fields).map_err(|_| {
        invalid(
            "bad_field",
            format!("the value does not fit field `{field}`"),
            "取值格式不正确，请重新选择",
        )
    })?;
    if field == "id" || (!value.is_null() && !Operation::fields_of(&record).contains_key(field)) {
        return Err(invalid(
            "unknown_field",
            format!("{entity} has no field `{field}`"),
            "没有这一项，无法修改",
        ));
    }
    validate(conn, &record)?;
    let scope_path = row.scope_path.clone();
    let stamp = Stamp {
        scope_path: &scope_path,
        ..stamp
    };
    let fields = BTreeMap::from([(field.to_owned(), value)]);
    let (op, _) = commit_op(conn, stamp, entity, entity_id, fields, Some(row))?;
    write::upsert_record(conn, &record)?;
    Ok(op)
}

impl Store {
    /// Records a change made on this device: in ONE transaction, validates `record` as
    /// [`Store::save_record`] does (it refuses what `save_record` refuses), makes the operation
    /// (a creation with every field when the record has no merge state yet — also when it was
    /// imported without operations —, else only the fields that differ from the current merge
    /// winners, each naming the heads it replaces in `base`), stamps it with the device's HLC and
    /// next gap-free `origin_seq`, stores it, merges it and writes the record. Any failure leaves
    /// neither the change nor the operation, and gives the sequence number back.
    ///
    /// Returns `Ok(None)` and writes nothing when the record equals what is shown: saving an
    /// unchanged form is not an error. Append-only records (visits, contacts, income records,
    /// evaluations) can only be created: an existing id is refused with
    /// [`StoreError::AppendOnly`].
    pub fn record_change(
        &mut self,
        record: &Record,
        author: Uuid,
        scope_path: &str,
        now_ms: u64,
        recorded_at: DateTime<FixedOffset>,
    ) -> std::result::Result<Option<Operation>, StoreError> {
        let stamp = Stamp {
            me: self.device_id,
            author,
            scope_path,
            now_ms,
            recorded_at,
        };
        let op =
            repairing_transaction(&self.conn, |conn, m| record_change(conn, m, stamp, record))?;
        self.nudge_checkpoint();
        Ok(op)
    }

    /// Settles a conflict (or sets one field): writes `value` to `field` of record
    /// `entity`/`entity_id` (a [`crate::Conflict`]'s `entity` and `entity_id`),
    /// naming every current head of that field in `base`, so that every replica shows `value`
    /// from then on (even when `value` is one of the values already there). The resulting record
    /// is validated like any change; the operation carries the record's scope path.
    #[allow(clippy::too_many_arguments)]
    pub fn resolve_conflict(
        &mut self,
        entity: &str,
        entity_id: Uuid,
        field: &str,
        value: Value,
        author: Uuid,
        now_ms: u64,
        recorded_at: DateTime<FixedOffset>,
    ) -> std::result::Result<Operation, StoreError> {
        let stamp = Stamp {
            me: self.device_id,
            author,
            scope_path: "",
            now_ms,
            recorded_at,
        };
        write_transaction(&self.conn, |conn| {
            resolve_conflict(conn, stamp, entity, entity_id, field, value)
        })
    }
}
