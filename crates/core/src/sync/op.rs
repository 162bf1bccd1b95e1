//! Operations: the immutable unit of change that devices and servers exchange.
//!
//! A record is created by one operation carrying all its fields, and changed by operations
//! carrying the changed fields (a patch). Merge is per field (see [`super::merge`]). Visits,
//! contacts, income records and evaluations are append-only: only a creation is accepted for
//! them; a correction is a new record that names the one it corrects.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::record::Record;
use crate::sync::hlc::Hlc;

/// The version of the operation schema this build writes.
pub const OP_SCHEMA_VERSION: u32 = 1;

/// Entity names, as in [`Record::entity`].
pub const ENTITIES: [&str; 17] = [
    "area",
    "unit",
    "post",
    "person",
    "household",
    "member",
    "pairing",
    "visit",
    "contact",
    "income_record",
    "evaluation",
    "measure",
    "plan",
    "consumption_purchase",
    "purchase_event",
    "sign_replacement",
    "ledger_submission",
];

/// Whether an entity is append-only (only creations; corrections are new records).
pub fn is_append_only(entity: &str) -> bool {
    matches!(entity, "visit" | "contact" | "income_record" | "evaluation")
}

/// One change to one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// UUIDv7, made by the device.
    pub op_id: Uuid,
    /// The device that made it.
    pub origin_device: Uuid,
    /// 1, 2, 3 … per device, without gaps.
    pub origin_seq: u64,
    pub hlc: Hlc,
    /// Entity name (one of [`ENTITIES`]).
    pub entity: String,
    pub entity_id: Uuid,
    /// `true` when this operation creates the record (and then carries every field).
    #[serde(default)]
    pub create: bool,
    /// Field name → new value (the record's JSON fields, without `id`).
    pub fields: BTreeMap<String, serde_json::Value>,
    /// For each changed field, the operations whose values the author saw and replaces. A field
    /// written without naming the value it replaces is concurrent with it: a conflict to settle.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub base: BTreeMap<String, Vec<Uuid>>,
    /// Administrative path of the record: `county/township/village[/household]` codes and ids,
    /// e.g. `360722/360722100/360722100201/h:0190…`. Scopes are prefixes of it.
    pub scope_path: String,
    pub schema_version: u32,
    /// The person who made the change.
    pub author: Uuid,
    /// The device's wall-clock time when the change was made (for display; may be wrong).
    pub recorded_at: DateTime<FixedOffset>,
}

impl Operation {
    /// The fields of `record` as a creation patch (all fields except `id`).
    pub fn fields_of(record: &Record) -> BTreeMap<String, serde_json::Value> {
        let mut out = BTreeMap::new();
        if let Ok(serde_json::Value::Object(obj)) = serde_json::to_value(record)
            && let Some(serde_json::Value::Object(fields)) = obj.get("record")
        {
            for (k, v) in fields {
                if k != "id" {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        out
    }
}

/// Rebuilds a typed record from an entity name, id and its fields (the merge winners).
pub use crate::sync::fields::record_from_fields;
