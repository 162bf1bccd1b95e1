//! What tests and the UI read about sync: merge states, conflicts, rejected operations, unsynced
//! counts and a record's history.

use std::collections::BTreeMap;

use bangfu_core::sync::wire::Reason;
use bangfu_core::sync::{EntityState, Head, Operation};
use rusqlite::params;
use uuid::Uuid;

use super::{ops, seq_of, state};
use crate::Store;
use crate::error::StoreError;

/// Concurrent different values of one field of one record, until a supervisor settles them
/// ([`Store::resolve_conflict`]). The record shows the last head (highest `(hlc, device)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub entity: String,
    pub entity_id: Uuid,
    pub field: String,
    /// Every value, ascending by `(hlc, device, op_id)`, with who wrote it and when.
    pub heads: Vec<Head>,
}

/// A local operation the server refused, with its reason. The operation stays applied on this
/// device (nothing is lost); the user sees it and records a correction.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedOp {
    pub op: Operation,
    pub reason: Reason,
}

/// The household id at the end of a scope path (`…/h:<uuid>` or `…/<uuid>`), if any.
fn household_of(scope_path: &str) -> Option<Uuid> {
    let last = scope_path.rsplit('/').next()?;
    let id = last.rsplit(':').next()?;
    Uuid::parse_str(id).ok()
}

impl Store {
    /// The merge state of every record that operations touched, by `(entity, id)`.
    pub fn entity_states(
        &self,
    ) -> std::result::Result<BTreeMap<(String, Uuid), EntityState>, StoreError> {
        Ok(state::all(&self.conn)?
            .into_iter()
            .map(|(entity, id, s)| ((entity, id), s))
            .collect())
    }

    /// The merge state of one record (`entity` as [`bangfu_core::Record::entity`] names it).
    pub fn entity_state(
        &self,
        entity: &str,
        id: Uuid,
    ) -> std::result::Result<Option<EntityState>, StoreError> {
        Ok(state::load(&self.conn, entity, id)?.map(|row| row.state))
    }

    /// Every field in conflict, by entity, id and field.
    pub fn conflicts(&self) -> std::result::Result<Vec<Conflict>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT entity, entity_id, state FROM entity_states
             WHERE conflicted = 1 ORDER BY entity, entity_id",
        )?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let entity: String = r.get(0)?;
            let id = super::uuid_of(super::blob(r, 1)?, "entity_state", "entity_id")?;
            let Some(json) = super::text_or_null(r, 2)? else {
                continue;
            };
            let s: EntityState = serde_json::from_str(json)
                .map_err(|e| super::corrupt_json("entity_state", Some(id), "state", &e))?;
            for (field, heads) in s.conflicts() {
                out.push(Conflict {
                    entity: entity.clone(),
                    entity_id: id,
                    field: field.to_owned(),
                    heads: heads.to_vec(),
                });
            }
        }
        Ok(out)
    }

    /// This device's operations the server refused, by `origin_seq`.
    pub fn rejected_ops(&self) -> std::result::Result<Vec<RejectedOp>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT o.body, r.code, r.message FROM rejected_ops r JOIN ops o ON o.op_id = r.op_id
             ORDER BY r.origin_seq",
        )?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(RejectedOp {
                op: ops::parse(super::text(r, 0)?, None)?,
                reason: Reason {
                    code: r.get(1)?,
                    message: r.get(2)?,
                },
            });
        }
        Ok(out)
    }

    /// How many of this device's operations the server has not processed yet.
    pub fn unsynced_count(&self) -> std::result::Result<u64, StoreError> {
        bangfu_core::sync::DeviceStore::pending_count(self)
    }

    /// Unsynced operations per household (those whose scope path ends with a household id).
    pub fn unsynced_by_household(&self) -> std::result::Result<BTreeMap<Uuid, u64>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT json_extract(body, '$.scope_path') AS scope, count(*) FROM ops
             WHERE origin_device = ?1 AND local = 1
               AND origin_seq > (SELECT acked_seq FROM device WHERE id = 1)
             GROUP BY scope",
        )?;
        let mut rows = st.query(params![self.device_id.as_bytes()])?;
        let mut out = BTreeMap::new();
        while let Some(r) = rows.next()? {
            let path: Option<String> = r.get(0)?;
            if let Some(h) = path.as_deref().and_then(household_of) {
                *out.entry(h).or_insert(0) += seq_of(r.get(1)?);
            }
        }
        Ok(out)
    }

    /// Unsynced operations by entity (`visit`, `income_record`, …), in entity order.
    pub fn unsynced_by_entity(&self) -> std::result::Result<Vec<(String, u64)>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT entity, count(*) FROM ops
             WHERE origin_device = ?1 AND local = 1
               AND origin_seq > (SELECT acked_seq FROM device WHERE id = 1)
             GROUP BY entity ORDER BY entity",
        )?;
        let mut rows = st.query(params![self.device_id.as_bytes()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((r.get(0)?, seq_of(r.get(1)?)));
        }
        Ok(out)
    }

    /// Whether this installation ever made an operation (pushed or not): its device id can then
    /// no longer change.
    pub fn has_local_ops(&self) -> std::result::Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM ops WHERE local = 1)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Unsynced operations of one household.
    pub fn unsynced_count_for_household(
        &self,
        household_id: Uuid,
    ) -> std::result::Result<u64, StoreError> {
        Ok(self
            .unsynced_by_household()?
            .get(&household_id)
            .copied()
            .unwrap_or(0))
    }

    /// Every operation of a record (local and pulled), by HLC: its history, overwritten values
    /// included. Only the operations of kind `entity`: another kind's under the same id are
    /// another record's.
    pub fn history(
        &self,
        entity: &str,
        entity_id: Uuid,
    ) -> std::result::Result<Vec<Operation>, StoreError> {
        ops::select(
            &self.conn,
            "SELECT body FROM ops WHERE entity_id = ?1 AND entity = ?2
             ORDER BY hlc, origin_device, op_id",
            params![entity_id.as_bytes(), entity],
        )
    }

    /// Records that have operations but are not (or not in their latest version) in the typed
    /// tables, by entity and id: their fields are incomplete, or they refer to a record this
    /// device does not hold yet.
    pub fn unmaterialized(&self) -> std::result::Result<Vec<(String, Uuid)>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT entity, entity_id FROM entity_states WHERE materialized = 0
             ORDER BY entity, entity_id",
        )?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id = super::uuid_of(super::blob(r, 1)?, "entity_state", "entity_id")?;
            out.push((r.get(0)?, id));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::household_of;
    use uuid::Uuid;

    #[test]
    fn the_household_is_the_last_segment_of_the_scope_path() {
        let h = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0042);
        assert_eq!(household_of(&format!("360722/360722100/h:{h}")), Some(h));
        assert_eq!(household_of(&format!("360722/{h}")), Some(h));
        assert_eq!(household_of("360722/360722100"), None);
    }
}
