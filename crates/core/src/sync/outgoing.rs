//! A push as a device sends it: each operation's JSON exactly as the device stored it when the
//! operation was made, with the few facts the device needs to follow the server's answer.
//!
//! The body is the same JSON as [`PushRequest`]'s (`{"device_id":…,"ops":[…]}`), but the device
//! neither parses its stored operations into [`Operation`]s nor serialises them again: for a
//! first push of 100,000 visits those two steps were half of the client's work. The server parses
//! and checks every operation as always.

use serde::Deserialize;
use uuid::Uuid;

use super::op::Operation;
use super::wire::PushRequest;

/// One operation about to be pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingOp {
    pub op_id: Uuid,
    pub origin_seq: u64,
    pub entity: String,
    /// The operation as JSON (one object).
    json: String,
}

/// What [`OutgoingOp::from_json`] reads; serde skips (and checks the syntax of) the rest.
#[derive(Deserialize)]
struct Facts {
    op_id: Uuid,
    origin_seq: u64,
    entity: String,
}

impl OutgoingOp {
    /// From an operation in memory (serialised here).
    pub fn from_op(op: &Operation) -> OutgoingOp {
        OutgoingOp {
            op_id: op.op_id,
            origin_seq: op.origin_seq,
            entity: op.entity.clone(),
            // Cannot fail: every field serialises, and the map keys are strings.
            json: serde_json::to_string(op).expect("an operation always serialises"),
        }
    }

    /// From an operation's stored JSON, which must be one JSON object naming its `op_id`,
    /// `origin_seq` and `entity` (the rest is checked by the server).
    pub fn from_json(json: String) -> Result<OutgoingOp, serde_json::Error> {
        let facts: Facts = serde_json::from_str(&json)?;
        Ok(OutgoingOp {
            op_id: facts.op_id,
            origin_seq: facts.origin_seq,
            entity: facts.entity,
            json,
        })
    }

    /// The operation's JSON, as it goes on the wire.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The operation itself (parsed: for in-process servers and tests).
    pub fn to_op(&self) -> Result<Operation, serde_json::Error> {
        serde_json::from_str(&self.json)
    }
}

/// A batch of a device's operations, in `origin_seq` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingPush {
    pub device_id: Uuid,
    pub ops: Vec<OutgoingOp>,
}

impl OutgoingPush {
    pub fn new(device_id: Uuid, ops: Vec<OutgoingOp>) -> OutgoingPush {
        OutgoingPush { device_id, ops }
    }

    /// From operations in memory.
    pub fn from_ops(device_id: Uuid, ops: &[Operation]) -> OutgoingPush {
        OutgoingPush::new(device_id, ops.iter().map(OutgoingOp::from_op).collect())
    }

    /// The request body: the JSON of the [`PushRequest`] of the same operations.
    pub fn to_json(&self) -> Vec<u8> {
        let ops: usize = self.ops.iter().map(|o| o.json.len() + 1).sum();
        let mut out = Vec::with_capacity(ops + 64);
        out.extend_from_slice(b"{\"device_id\":\"");
        let mut buf = Uuid::encode_buffer();
        out.extend_from_slice(
            self.device_id
                .hyphenated()
                .encode_lower(&mut buf)
                .as_bytes(),
        );
        out.extend_from_slice(b"\",\"ops\":[");
        for (i, op) in self.ops.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(op.json.as_bytes());
        }
        out.extend_from_slice(b"]}");
        out
    }

    /// The request as a server receives it (every operation parsed; its JSON kept).
    pub fn to_request(&self) -> Result<PushRequest, serde_json::Error> {
        let ops = self
            .ops
            .iter()
            .map(OutgoingOp::to_op)
            .collect::<Result<_, _>>()?;
        let mut req = PushRequest::new(self.device_id, ops);
        req.ops_json = self.ops.iter().map(|o| o.json.clone()).collect();
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::hlc::Hlc;
    use chrono::{FixedOffset, TimeZone};
    use serde_json::json;

    fn op(seq: u64) -> Operation {
        let tz = FixedOffset::east_opt(8 * 3600).expect("tz");
        Operation {
            op_id: Uuid::from_u128(100 + u128::from(seq)),
            origin_device: Uuid::from_u128(7),
            origin_seq: seq,
            hlc: Hlc::new(1_742_437_800_000 + seq, 0),
            entity: "visit".into(),
            entity_id: Uuid::from_u128(500 + u128::from(seq)),
            create: true,
            fields: [
                ("problems".to_owned(), json!("房屋漏雨 \"引号\"")),
                ("present".to_owned(), json!(["户主"])),
            ]
            .into(),
            base: Default::default(),
            scope_path: "360722/h:1".into(),
            schema_version: crate::sync::OP_SCHEMA_VERSION,
            author: Uuid::from_u128(9),
            recorded_at: tz
                .with_ymd_and_hms(2025, 3, 20, 10, 31, 5)
                .single()
                .expect("t"),
        }
    }

    #[test]
    fn the_body_is_the_json_of_the_push_request() {
        let ops = vec![op(1), op(2), op(3)];
        let push = OutgoingPush::from_ops(Uuid::from_u128(7), &ops);
        let request = PushRequest::new(Uuid::from_u128(7), ops.clone());
        assert_eq!(
            push.to_json(),
            serde_json::to_vec(&request).expect("json"),
            "byte for byte"
        );
        assert_eq!(push.to_request().expect("parse"), request);
        let empty = OutgoingPush::new(Uuid::from_u128(7), Vec::new());
        assert_eq!(
            empty.to_json(),
            serde_json::to_vec(&PushRequest::new(Uuid::from_u128(7), Vec::new())).expect("json")
        );
    }

    #[test]
    fn stored_json_is_sent_as_it_is_with_its_facts_read() {
        // Key order and spacing of the stored text are kept (the server parses it).
        let text = serde_json::to_string_pretty(&op(4)).expect("json");
        let out = OutgoingOp::from_json(text.clone()).expect("valid");
        assert_eq!(
            (out.op_id, out.origin_seq, out.entity.as_str()),
            (Uuid::from_u128(104), 4, "visit")
        );
        assert_eq!(out.json(), text);
        assert_eq!(out.to_op().expect("parse"), op(4));
    }

    #[test]
    fn stored_json_that_is_not_an_operation_is_refused() {
        let good = serde_json::to_string(&op(5)).expect("json");
        for bad in [
            String::new(),
            "[]".to_owned(),
            good[..good.len() - 1].to_owned(),             // cut
            format!("{good} {{}}"),                        // something after it
            good.replace("\"origin_seq\"", "\"seq\""),     // a fact missing
            good.replace("\"fields\":{", "\"fields\":{,"), // broken inside a skipped value
        ] {
            assert!(
                OutgoingOp::from_json(bad.clone()).is_err(),
                "accepted {bad:?}"
            );
        }
    }
}
