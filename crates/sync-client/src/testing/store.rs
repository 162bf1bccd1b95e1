//! An in-memory [`DeviceStore`]: the device's own operations in a `Vec`, every record's merge state
//! as an [`EntityState`], and failures that can be injected.

use std::collections::{BTreeMap, BTreeSet};

use bangfu_core::sync::wire::{FeedEntry, OpStatus, PushResponse, Reason};
use bangfu_core::sync::{DeviceStore, EntityState, Hlc, HlcClock, OP_SCHEMA_VERSION, Operation};
use chrono::{DateTime, FixedOffset, Offset, Utc};
use uuid::Uuid;

/// `(entity, entity_id)`.
pub type EntityKey = (String, Uuid);

/// A store call that can be made to fail once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreCall {
    Acknowledge,
    ApplyPulled,
}

/// The error of [`MemoryStore`]: only injected failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("injected store failure in {0:?}")]
pub struct MemoryStoreError(pub StoreCall);

/// A device's store in memory.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    device_id: Uuid,
    author: Uuid,
    scope_path: String,
    clock: HlcClock,
    /// The device's wall clock, in ms; advanced by one second per recorded operation.
    now_ms: u64,
    /// This device's operations; `ops[i].origin_seq == i + 1`.
    ops: Vec<Operation>,
    acked_seq: u64,
    cursor: u64,
    /// The server epoch last seen.
    epoch: Option<Uuid>,
    rejected: BTreeMap<u64, Reason>,
    states: BTreeMap<EntityKey, EntityState>,
    applied: BTreeSet<Uuid>,
    /// Operations from the feed applied for the first time (not already held).
    pulled_new: u64,
    next_entity: u64,
    fail_next: Vec<StoreCall>,
}

impl MemoryStore {
    /// An empty device whose operations carry `scope_path` (e.g. `360722/360722100`).
    pub fn new(device_id: Uuid, scope_path: &str) -> MemoryStore {
        MemoryStore {
            device_id,
            author: device_id,
            scope_path: scope_path.to_owned(),
            clock: HlcClock::default(),
            now_ms: 1_714_521_600_000, // 2024-05-01T00:00:00Z
            ops: Vec::new(),
            acked_seq: 0,
            cursor: 0,
            epoch: None,
            rejected: BTreeMap::new(),
            states: BTreeMap::new(),
            applied: BTreeSet::new(),
            pulled_new: 0,
            next_entity: 0,
            fail_next: Vec::new(),
        }
    }

    /// Sets the `scope_path` the next operations carry (a real device derives it per record).
    pub fn set_scope_path(&mut self, scope_path: &str) {
        self.scope_path = scope_path.to_owned();
    }

    /// Sets the person the next operations are authored by (the signed-in account's).
    pub fn set_author(&mut self, author: Uuid) {
        self.author = author;
    }

    /// Sets the device's wall clock (to simulate a phone whose clock is wrong).
    pub fn set_now_ms(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
    }

    /// Records a change made on this device (next `origin_seq`), applies it locally, returns it.
    /// `base` for each field is what this device currently sees, as a real app would do.
    pub fn record(
        &mut self,
        entity: &str,
        entity_id: Uuid,
        create: bool,
        fields: BTreeMap<String, serde_json::Value>,
    ) -> Operation {
        self.now_ms += 1_000;
        let seq = self.ops.len() as u64 + 1;
        let state = self.states.get(&(entity.to_owned(), entity_id));
        let base = fields
            .keys()
            .filter_map(|f| {
                let heads = state.map(|s| s.base_for(f)).unwrap_or_default();
                (!heads.is_empty()).then(|| (f.clone(), heads))
            })
            .collect();
        let op = Operation {
            op_id: Uuid::from_u64_pair(self.device_id.as_u64_pair().1, seq),
            origin_device: self.device_id,
            origin_seq: seq,
            hlc: self.clock.now(self.now_ms),
            entity: entity.to_owned(),
            entity_id,
            create,
            fields,
            base,
            scope_path: self.scope_path.clone(),
            schema_version: OP_SCHEMA_VERSION,
            author: self.author,
            recorded_at: recorded_at(self.now_ms),
        };
        self.apply(&op);
        self.ops.push(op.clone());
        op
    }

    /// Records the creation of a new record with one field `note` (a quick way to make operations).
    pub fn record_new(&mut self, entity: &str, note: &str) -> Operation {
        self.next_entity += 1;
        let id = Uuid::from_u64_pair(
            self.device_id.as_u64_pair().1 ^ 0x5eed_0000_0000_0000,
            self.next_entity,
        );
        let fields = [("note".to_owned(), serde_json::Value::from(note))].into();
        self.record(entity, id, true, fields)
    }

    /// Makes the next call of `call` fail (before changing anything).
    pub fn fail_next(&mut self, call: StoreCall) {
        self.fail_next.push(call);
    }

    fn injected(&mut self, call: StoreCall) -> Result<(), MemoryStoreError> {
        match self.fail_next.iter().position(|c| *c == call) {
            Some(i) => {
                self.fail_next.remove(i);
                Err(MemoryStoreError(call))
            }
            None => Ok(()),
        }
    }

    fn apply(&mut self, op: &Operation) -> bool {
        self.clock.observe(op.hlc);
        if !self.applied.insert(op.op_id) {
            return false;
        }
        self.states
            .entry((op.entity.clone(), op.entity_id))
            .or_default()
            .apply(op);
        true
    }

    /// This device's operations, by `origin_seq`.
    pub fn ops(&self) -> &[Operation] {
        &self.ops
    }

    /// Every record's merge state (own and pulled operations).
    pub fn states(&self) -> &BTreeMap<EntityKey, EntityState> {
        &self.states
    }

    /// Operations the server refused, by `origin_seq`, with reasons.
    pub fn rejected(&self) -> &BTreeMap<u64, Reason> {
        &self.rejected
    }

    /// Pulled operations that were new to this device.
    pub fn pulled_new(&self) -> u64 {
        self.pulled_new
    }

    /// The device's clock (latest timestamp issued or observed).
    pub fn clock(&self) -> Hlc {
        self.clock.last()
    }
}

fn recorded_at(ms: u64) -> DateTime<FixedOffset> {
    let china = FixedOffset::east_opt(8 * 3600).unwrap_or(Utc.fix());
    i64::try_from(ms)
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .unwrap_or(DateTime::UNIX_EPOCH)
        .with_timezone(&china)
}

impl DeviceStore for MemoryStore {
    type Error = MemoryStoreError;

    fn device_id(&self) -> Uuid {
        self.device_id
    }

    fn acked_seq(&self) -> Result<u64, Self::Error> {
        Ok(self.acked_seq)
    }

    fn pending_ops(&self, after_seq: u64, limit: usize) -> Result<Vec<Operation>, Self::Error> {
        let start = usize::try_from(after_seq)
            .unwrap_or(usize::MAX)
            .min(self.ops.len());
        Ok(self.ops[start..].iter().take(limit).cloned().collect())
    }

    fn pending_count(&self) -> Result<u64, Self::Error> {
        Ok((self.ops.len() as u64).saturating_sub(self.acked_seq))
    }

    fn acknowledge(&mut self, response: &PushResponse) -> Result<(), Self::Error> {
        self.injected(StoreCall::Acknowledge)?;
        for r in &response.results {
            for seq in r.first_seq..=r.last_seq {
                match (&r.status, &r.reason) {
                    (OpStatus::Rejected, Some(reason)) => {
                        self.rejected.insert(seq, reason.clone());
                    }
                    (OpStatus::Rejected, None) => {
                        self.rejected.insert(
                            seq,
                            Reason {
                                code: "unknown".into(),
                                message: String::new(),
                            },
                        );
                    }
                    _ => {
                        self.rejected.remove(&seq);
                    }
                }
            }
        }
        self.acked_seq = self.acked_seq.max(response.device_seq);
        Ok(())
    }

    fn own_ops_held_through(&self) -> Result<u64, Self::Error> {
        Ok(self.ops.len() as u64)
    }

    fn cursor(&self) -> Result<u64, Self::Error> {
        Ok(self.cursor)
    }

    fn apply_pulled(&mut self, entries: &[FeedEntry], cursor: u64) -> Result<(), Self::Error> {
        self.injected(StoreCall::ApplyPulled)?;
        for e in entries {
            if self.apply(&e.op) {
                self.pulled_new += 1;
            }
        }
        self.cursor = cursor;
        Ok(())
    }

    fn observe_server_clock(&mut self, hlc: Hlc) -> Result<(), Self::Error> {
        self.clock.observe(hlc);
        Ok(())
    }

    fn restart_feed(&mut self) -> Result<(), Self::Error> {
        self.cursor = 0;
        Ok(())
    }

    fn server_epoch(&self) -> Result<Option<Uuid>, Self::Error> {
        Ok(self.epoch)
    }

    fn set_server_epoch(&mut self, epoch: Uuid) -> Result<(), Self::Error> {
        self.epoch = Some(epoch);
        Ok(())
    }

    fn rebase_on_restored_server(
        &mut self,
        epoch: Uuid,
        device_seq: u64,
    ) -> Result<(), Self::Error> {
        self.acked_seq = device_seq;
        self.cursor = 0;
        self.epoch = Some(epoch);
        Ok(())
    }
}
