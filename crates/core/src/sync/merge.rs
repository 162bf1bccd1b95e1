//! Per-field merge with one deterministic winner on every tier, and conflicts kept, never dropped.
//!
//! Each field of each record keeps its *heads*: the values written by operations that no other
//! operation (seen so far) replaced through its `base`. Usually there is one head. Two heads with
//! different values are a conflict: both values are kept with who wrote them and when, until a
//! later write that names both in its `base` settles it. The winner shown is the head with the
//! highest `(hlc, origin_device)`. The head set depends only on the set of operations applied,
//! not on their order or duplication, so every replica that saw the same operations agrees.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sync::hlc::Hlc;
use crate::sync::op::Operation;

/// One value of a field, with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    pub op_id: Uuid,
    pub hlc: Hlc,
    pub device: Uuid,
    pub author: Uuid,
    pub value: serde_json::Value,
}

impl Head {
    fn rank(&self) -> (Hlc, Uuid, Uuid) {
        (self.hlc, self.device, self.op_id)
    }
}

/// The merge state of one field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FieldState {
    /// Ascending by `(hlc, device, op_id)`; the last is the winner.
    pub heads: Vec<Head>,
    /// Operations named in some `base` for this field (sorted): they can never be heads again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<Uuid>,
}

impl FieldState {
    /// The value shown: the head with the highest `(hlc, origin_device)`.
    pub fn winner(&self) -> Option<&Head> {
        self.heads.last()
    }

    /// Whether the field holds concurrent different values.
    pub fn in_conflict(&self) -> bool {
        self.heads.iter().any(|h| h.value != self.heads[0].value)
    }

    /// Applies one write. Idempotent: applying the same write again changes nothing.
    pub fn apply(&mut self, head: Head, base: &[Uuid]) {
        for b in base {
            if let Err(pos) = self.superseded.binary_search(b) {
                self.superseded.insert(pos, *b);
            }
        }
        let superseded = &self.superseded;
        self.heads
            .retain(|h| superseded.binary_search(&h.op_id).is_err());
        let known = self.heads.iter().any(|h| h.op_id == head.op_id);
        if !known && self.superseded.binary_search(&head.op_id).is_err() {
            let pos = self.heads.partition_point(|h| h.rank() < head.rank());
            self.heads.insert(pos, head);
        }
    }
}

/// The merge state of one record: its fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EntityState {
    pub fields: BTreeMap<String, FieldState>,
}

impl EntityState {
    /// Applies every field of an operation.
    pub fn apply(&mut self, op: &Operation) {
        for (field, value) in &op.fields {
            let base = op.base.get(field).map(Vec::as_slice).unwrap_or(&[]);
            self.fields.entry(field.clone()).or_default().apply(
                Head {
                    op_id: op.op_id,
                    hlc: op.hlc,
                    device: op.origin_device,
                    author: op.author,
                    value: value.clone(),
                },
                base,
            );
        }
    }

    /// The winning value of every field.
    pub fn winners(&self) -> BTreeMap<String, serde_json::Value> {
        self.fields
            .iter()
            .filter_map(|(k, f)| f.winner().map(|h| (k.clone(), h.value.clone())))
            .collect()
    }

    /// The ids of the current heads of each field: what a writer who saw this state names as the
    /// `base` of its change to that field.
    pub fn base_for(&self, field: &str) -> Vec<Uuid> {
        self.fields
            .get(field)
            .map(|f| f.heads.iter().map(|h| h.op_id).collect())
            .unwrap_or_default()
    }

    /// Fields in conflict, with all their values.
    pub fn conflicts(&self) -> impl Iterator<Item = (&str, &[Head])> {
        self.fields
            .iter()
            .filter(|(_, f)| f.in_conflict())
            .map(|(k, f)| (k.as_str(), f.heads.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn head(n: u128, hlc: u64, value: serde_json::Value) -> Head {
        Head {
            op_id: Uuid::from_u128(n),
            hlc: Hlc::new(hlc, 0),
            device: Uuid::from_u128(100 + n),
            author: Uuid::nil(),
            value,
        }
    }

    fn all_orders(writes: &[(Head, Vec<Uuid>)]) -> Vec<FieldState> {
        // Every permutation of 3 writes, each applied twice (duplicates).
        let idx = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        idx.iter()
            .map(|order| {
                let mut s = FieldState::default();
                for &i in order.iter().chain(order.iter()) {
                    s.apply(writes[i].0.clone(), &writes[i].1);
                }
                s
            })
            .collect()
    }

    #[test]
    fn sequential_edits_leave_one_head_whatever_the_order() {
        let a = head(1, 10, json!("a"));
        let b = head(2, 20, json!("b"));
        let c = head(3, 30, json!("c"));
        let writes = vec![
            (a.clone(), vec![]),
            (b.clone(), vec![a.op_id]),
            (c.clone(), vec![b.op_id]),
        ];
        for s in all_orders(&writes) {
            assert_eq!(s.heads, vec![c.clone()]);
            assert!(!s.in_conflict());
        }
    }

    #[test]
    fn concurrent_edits_are_a_conflict_with_a_deterministic_winner() {
        let a = head(1, 10, json!("a"));
        let b = head(2, 20, json!("b"));
        let c = head(3, 15, json!("c"));
        let writes = vec![
            (a.clone(), vec![]),
            (b.clone(), vec![a.op_id]),
            (c.clone(), vec![a.op_id]),
        ];
        let states = all_orders(&writes);
        for s in &states {
            assert_eq!(s, &states[0]);
            assert!(s.in_conflict());
            assert_eq!(s.winner().map(|h| h.value.clone()), Some(json!("b")));
            assert_eq!(s.heads.len(), 2, "both values kept");
        }
    }

    #[test]
    fn a_write_naming_both_heads_settles_the_conflict() {
        let mut s = FieldState::default();
        let a = head(1, 10, json!("a"));
        let b = head(2, 11, json!("b"));
        s.apply(a.clone(), &[]);
        s.apply(b.clone(), &[]);
        assert!(s.in_conflict());
        s.apply(head(3, 12, json!("settled")), &[a.op_id, b.op_id]);
        assert!(!s.in_conflict());
        assert_eq!(s.heads.len(), 1);
    }
}
