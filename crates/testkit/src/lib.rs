//! Operations made by hand, for tests that push what they like: [`HandDevice`] is a device
//! with no store behind it, which numbers and stamps its operations as a real device would, and
//! whose operations a test may then alter (a wrong seq, a foreign author, an old time) before
//! pushing them.
//!
//! One builder for every test crate: the server's tests, the sync client's contract test and
//! the cross-crate tests in `tests/` all make their hand-made operations here.

use std::time::{SystemTime, UNIX_EPOCH};

use bangfu_core::Record;
use bangfu_core::sync::wire::PushRequest;
use bangfu_core::sync::{Hlc, OP_SCHEMA_VERSION, Operation};
use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};
use uuid::Uuid;

/// 2024-05-01T00:00:00Z: where a [`HandDevice`]'s stepping clock starts.
pub const T0_MS: u64 = 1_714_521_600_000;

/// Where the wall-clock time of a hand-made operation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The last operation's time; each operation is one millisecond later (reproducible times).
    Steps(u64),
    /// The machine's clock (for servers that refuse operations from far in the past).
    System,
}

/// A device making operations by hand: consecutive seqs from 1, increasing HLCs, operation ids
/// unique per device number `n` and seq.
#[derive(Debug, Clone)]
pub struct HandDevice {
    pub id: Uuid,
    /// The seq of the last operation made.
    pub seq: u64,
    /// The author of every operation.
    pub author: Uuid,
    pub clock: Clock,
    n: u64,
}

impl HandDevice {
    /// Device `n` (below 2³²), authoring as person `0xa000_0000 + n`, its clock stepping from
    /// [`T0_MS`].
    pub fn new(n: u128) -> HandDevice {
        let n = u64::try_from(n)
            .ok()
            .filter(|n| *n < 1 << 32)
            .expect("a hand-made device's number is below 2^32");
        HandDevice {
            id: Uuid::from_u64_pair(0x0190_0000_0000_7000, 0x8000_00ee_0000_0000 | n),
            seq: 0,
            author: Uuid::from_u128(0xa000_0000 + u128::from(n)),
            clock: Clock::Steps(T0_MS),
            n,
        }
    }

    /// The same device under the id `id` (a device an account signed in with).
    pub fn with_id(self, id: Uuid) -> HandDevice {
        HandDevice { id, ..self }
    }

    /// The same device authoring as `author`.
    pub fn by(self, author: Uuid) -> HandDevice {
        HandDevice { author, ..self }
    }

    /// The same device on the machine's clock.
    pub fn on_system_clock(self) -> HandDevice {
        HandDevice {
            clock: Clock::System,
            ..self
        }
    }

    /// The next operation: `fields` (a JSON object) of `entity` `id`, created or edited, in
    /// `scope`. Its `recorded_at` is its wall-clock time in UTC+8.
    pub fn op(
        &mut self,
        entity: &str,
        id: Uuid,
        create: bool,
        fields: Value,
        scope: &str,
    ) -> Operation {
        let Value::Object(fields) = fields else {
            panic!("fields must be a JSON object, not {fields}")
        };
        self.seq += 1;
        let wall_ms = match &mut self.clock {
            Clock::Steps(ms) => {
                *ms += 1;
                *ms
            }
            Clock::System => system_now_ms(),
        };
        Operation {
            op_id: Uuid::from_u64_pair(
                0x0190_0000_0000_7000 | (self.n << 16),
                0x8000_0000_0000_0000 | self.seq,
            ),
            origin_device: self.id,
            origin_seq: self.seq,
            hlc: Hlc::new(wall_ms, 0),
            entity: entity.to_owned(),
            entity_id: id,
            create,
            fields: fields.into_iter().collect(),
            base: Default::default(),
            scope_path: scope.to_owned(),
            schema_version: OP_SCHEMA_VERSION,
            author: self.author,
            recorded_at: at_ms(wall_ms),
        }
    }

    /// The next operation: `r` created, every field set.
    pub fn record(&mut self, r: &Record, scope: &str) -> Operation {
        let fields = Value::Object(Operation::fields_of(r).into_iter().collect());
        self.op(r.entity(), r.id(), true, fields, scope)
    }

    /// A push request of `ops` from this device.
    pub fn push(&self, ops: Vec<Operation>) -> PushRequest {
        PushRequest::new(self.id, ops)
    }

    /// A push request body of `ops` from this device, as JSON (to alter before sending).
    pub fn push_json(&self, ops: &[Operation]) -> Value {
        json!({"device_id": self.id, "ops": ops})
    }
}

/// Milliseconds since the Unix epoch by the machine's clock.
pub fn system_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `ms` since the epoch as a time in UTC+8 (the county's zone).
pub fn at_ms(ms: u64) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    DateTime::from_timestamp_millis(i64::try_from(ms).expect("a time in range"))
        .expect("a time in range")
        .with_timezone(&tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_of_one_device_are_numbered_and_stamped_in_order() {
        let mut dev = HandDevice::new(7);
        let a = dev.op(
            "unit",
            Uuid::from_u128(1),
            true,
            json!({"name": "甲"}),
            "360722",
        );
        let b = dev.op(
            "unit",
            Uuid::from_u128(1),
            false,
            json!({"name": "乙"}),
            "360722",
        );
        assert_eq!((a.origin_seq, b.origin_seq), (1, 2));
        assert!(a.hlc < b.hlc);
        assert_ne!(a.op_id, b.op_id);
        assert_eq!(a.op_id.get_version_num(), 7);
        assert_eq!(a.recorded_at.timestamp_millis() as u64, T0_MS + 1);
        assert_eq!(b.fields["name"], json!("乙"));
    }

    #[test]
    fn devices_with_different_numbers_never_share_an_id() {
        let mut a = HandDevice::new(1);
        let mut b = HandDevice::new(2);
        assert_ne!(a.id, b.id);
        let x = a.op("unit", Uuid::from_u128(1), true, json!({}), "360722");
        let y = b.op("unit", Uuid::from_u128(1), true, json!({}), "360722");
        assert_ne!(x.op_id, y.op_id);
    }

    #[test]
    fn the_system_clock_is_now() {
        let mut dev = HandDevice::new(1).on_system_clock();
        let before = system_now_ms();
        let op = dev.op("unit", Uuid::from_u128(1), true, json!({}), "360722");
        assert!(op.hlc.wall_ms() >= before && op.hlc.wall_ms() <= system_now_ms());
    }
}
