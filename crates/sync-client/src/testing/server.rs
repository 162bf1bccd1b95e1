//! A simulated sync server in memory, with the protocol's semantics: a gap-free `origin_seq` check
//! per device, duplicates answered as such (and a refused operation refused again), a feed with
//! `server_seq`, scoped pulls, and a count of how often each operation was stored.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bangfu_core::sync::wire::{
    Capabilities, ErrorBody, FeedEntry, OpResult, OpStatus, PROTOCOL_VERSION, PullResponse,
    PushRequest, PushResponse, Reason,
};
use bangfu_core::sync::{EntityState, HlcClock, Operation};
use uuid::Uuid;

use super::store::EntityKey;

/// Decides whether an operation is refused, given the record's current state on the server.
pub type Validator = dyn Fn(&Operation, Option<&EntityState>) -> Result<(), Reason> + Send + Sync;

#[derive(Debug, Clone)]
enum Outcome {
    Accepted,
    Rejected(Reason),
}

/// The server's state.
pub struct MemoryServer {
    feed: Vec<FeedEntry>,
    /// Per device: outcome of each processed `origin_seq` (gap-free from 1).
    devices: HashMap<Uuid, Vec<Outcome>>,
    states: BTreeMap<EntityKey, EntityState>,
    /// How many times each `(device, origin_seq)` was stored (must end at 1).
    stored: HashMap<(Uuid, u64), u32>,
    clock: HlcClock,
    now_ms: u64,
    /// The database's epoch: changed by [`MemoryServer::restore`].
    epoch: Uuid,
    validator: Box<Validator>,
    pub max_ops_per_push: u32,
    pub max_pull_limit: u32,
    pub protocol: u32,
}

impl std::fmt::Debug for MemoryServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryServer")
            .field("feed", &self.feed.len())
            .field("devices", &self.devices.len())
            .field("records", &self.states.len())
            .finish_non_exhaustive()
    }
}

impl Default for MemoryServer {
    fn default() -> Self {
        MemoryServer {
            feed: Vec::new(),
            devices: HashMap::new(),
            states: BTreeMap::new(),
            stored: HashMap::new(),
            clock: HlcClock::default(),
            now_ms: 1_714_521_600_000,
            epoch: Uuid::from_u128(0xe90c_0000_0000_4000_8000_0000_0000_0001),
            validator: Box::new(default_validator),
            max_ops_per_push: 1000,
            max_pull_limit: 1000,
            protocol: PROTOCOL_VERSION,
        }
    }
}

/// Refuses an operation without fields, an edit of a record the server does not have, and any
/// operation whose `note` field is `"REFUSE"` (a handle for tests).
pub fn default_validator(op: &Operation, current: Option<&EntityState>) -> Result<(), Reason> {
    let refuse = |code: &str, message: &str| {
        Err(Reason {
            code: code.to_owned(),
            message: message.to_owned(),
        })
    };
    if op.fields.is_empty() {
        return refuse("no_fields", "the operation changes no field");
    }
    if !op.create && current.is_none() {
        return refuse("unknown_record", "the server does not have this record");
    }
    if op.fields.get("note").and_then(|v| v.as_str()) == Some("REFUSE") {
        return refuse("invalid", "`note` is refused");
    }
    Ok(())
}

fn run_push(runs: &mut Vec<OpResult>, seq: u64, status: OpStatus, reason: Option<Reason>) {
    if reason.is_none()
        && let Some(last) = runs.last_mut()
        && last.status == status
        && last.reason.is_none()
        && last.last_seq + 1 == seq
    {
        last.last_seq = seq;
        return;
    }
    runs.push(OpResult {
        first_seq: seq,
        last_seq: seq,
        status,
        reason,
    });
}

impl MemoryServer {
    pub fn new() -> MemoryServer {
        MemoryServer::default()
    }

    /// Replaces the validator.
    pub fn set_validator(&mut self, v: Box<Validator>) {
        self.validator = v;
    }

    fn tick(&mut self) -> bangfu_core::sync::Hlc {
        self.now_ms += 10;
        self.clock.now(self.now_ms)
    }

    /// `POST /v1/push`. A batch from another device than `device_id` is a 400.
    pub fn push(&mut self, req: &PushRequest) -> Result<PushResponse, ErrorBody> {
        if req.ops.iter().any(|o| o.origin_device != req.device_id) {
            return Err(ErrorBody {
                code: "wrong_device".into(),
                message: "an operation of another device".into(),
            });
        }
        if req.ops.len() > self.max_ops_per_push as usize {
            return Err(ErrorBody {
                code: "too_many_ops".into(),
                message: format!("at most {} operations per push", self.max_ops_per_push),
            });
        }
        let mut runs = Vec::new();
        for op in &req.ops {
            let seq = op.origin_seq;
            let done = self.devices.entry(req.device_id).or_default();
            let device_seq = done.len() as u64;
            if seq >= 1 && seq <= device_seq {
                match &done[(seq - 1) as usize] {
                    Outcome::Accepted => run_push(&mut runs, seq, OpStatus::Duplicate, None),
                    Outcome::Rejected(r) => {
                        run_push(&mut runs, seq, OpStatus::Rejected, Some(r.clone()))
                    }
                }
                continue;
            }
            if seq != device_seq + 1 {
                let reason = Reason {
                    code: "seq_gap".into(),
                    message: format!("expected operation {} first", device_seq + 1),
                };
                run_push(&mut runs, seq, OpStatus::Rejected, Some(reason));
                continue;
            }
            let key = (op.entity.clone(), op.entity_id);
            match (self.validator)(op, self.states.get(&key)) {
                Ok(()) => {
                    self.clock.observe(op.hlc);
                    self.states.entry(key).or_default().apply(op);
                    let server_seq = self.feed.last().map_or(0, |e| e.server_seq) + 1;
                    self.feed.push(FeedEntry::new(server_seq, op.clone()));
                    *self.stored.entry((req.device_id, seq)).or_default() += 1;
                    self.devices
                        .entry(req.device_id)
                        .or_default()
                        .push(Outcome::Accepted);
                    run_push(&mut runs, seq, OpStatus::Accepted, None);
                }
                Err(reason) => {
                    self.devices
                        .entry(req.device_id)
                        .or_default()
                        .push(Outcome::Rejected(reason.clone()));
                    run_push(&mut runs, seq, OpStatus::Rejected, Some(reason));
                }
            }
        }
        Ok(PushResponse {
            results: runs,
            device_seq: self.device_seq(req.device_id),
            server_hlc: self.tick(),
            epoch: Some(self.epoch),
        })
    }

    /// `GET /v1/pull`: up to `limit` entries after `after` whose `scope_path` is `scope` or lies
    /// below it, but for `exclude_origin` `(device, through)`'s own operations up to `through`; the
    /// cursor is the last entry looked at.
    pub fn pull(
        &mut self,
        after: u64,
        limit: u32,
        scope: Option<&str>,
        exclude_origin: Option<(Uuid, u64)>,
    ) -> PullResponse {
        let limit = limit.clamp(1, self.max_pull_limit.max(1)) as usize;
        let in_scope = |op: &Operation| match scope {
            None => true,
            Some(s) => {
                op.scope_path == s
                    || (op.scope_path.starts_with(s) && op.scope_path[s.len()..].starts_with('/'))
            }
        };
        let start = self.feed.partition_point(|e| e.server_seq <= after);
        let mut entries = Vec::new();
        let mut cursor = after;
        for e in &self.feed[start..] {
            if entries.len() == limit {
                break;
            }
            cursor = e.server_seq;
            let excluded = exclude_origin
                .is_some_and(|(d, t)| e.op.origin_device == d && e.op.origin_seq <= t);
            if in_scope(&e.op) && !excluded {
                entries.push(e.clone());
            }
        }
        let has_more = self.feed.last().is_some_and(|e| e.server_seq > cursor);
        PullResponse {
            entries,
            cursor,
            has_more,
            server_hlc: self.tick(),
            epoch: Some(self.epoch),
        }
    }

    /// `GET /v1/version`.
    pub fn capabilities(&self) -> Capabilities {
        Capabilities {
            protocol: self.protocol,
            server: "bangfu-sync-client testing::MemoryServer".into(),
            encodings: vec!["identity".into()],
            max_body_bytes: 16 << 20,
            max_ops_per_push: self.max_ops_per_push,
            max_pull_limit: self.max_pull_limit,
            epoch: Some(self.epoch),
        }
    }

    /// The highest `origin_seq` of `device` processed without a gap.
    pub fn device_seq(&self, device: Uuid) -> u64 {
        self.devices.get(&device).map_or(0, |d| d.len() as u64)
    }

    pub fn feed(&self) -> &[FeedEntry] {
        &self.feed
    }

    pub fn states(&self) -> &BTreeMap<EntityKey, EntityState> {
        &self.states
    }

    /// How many times each `(device, origin_seq)` was stored. Exactly-once delivery means every
    /// value is 1.
    pub fn stored_counts(&self) -> &HashMap<(Uuid, u64), u32> {
        &self.stored
    }

    /// The refusals recorded for `device`, by `origin_seq`.
    pub fn rejected(&self, device: Uuid) -> BTreeMap<u64, Reason> {
        let Some(done) = self.devices.get(&device) else {
            return BTreeMap::new();
        };
        (1u64..)
            .zip(done)
            .filter_map(|(seq, o)| match o {
                Outcome::Rejected(r) => Some((seq, r.clone())),
                Outcome::Accepted => None,
            })
            .collect()
    }

    /// Simulates a restore from a backup that missed `device`'s operations after `seq`: they are
    /// forgotten (their feed entries too), so the device has to send them again.
    pub fn forget_device_after(&mut self, device: Uuid, seq: u64) {
        if let Some(done) = self.devices.get_mut(&device) {
            done.truncate(usize::try_from(seq).unwrap_or(usize::MAX));
        }
        self.feed
            .retain(|e| e.op.origin_device != device || e.op.origin_seq <= seq);
        self.stored.retain(|(d, s), _| *d != device || *s <= seq);
        self.states.clear();
        for e in &self.feed {
            self.states
                .entry((e.op.entity.clone(), e.op.entity_id))
                .or_default()
                .apply(&e.op);
        }
    }
}

/// A copy of a [`MemoryServer`]'s data ([`MemoryServer::backup`]).
#[derive(Debug, Clone)]
pub struct MemoryBackup {
    feed: Vec<FeedEntry>,
    devices: HashMap<Uuid, Vec<Outcome>>,
    states: BTreeMap<EntityKey, EntityState>,
    stored: HashMap<(Uuid, u64), u32>,
    clock: HlcClock,
    epoch: Uuid,
}

impl MemoryServer {
    /// The server database's epoch.
    pub fn epoch(&self) -> Uuid {
        self.epoch
    }

    /// A copy of the data as it is now (`bangfu-server backup`).
    pub fn backup(&self) -> MemoryBackup {
        MemoryBackup {
            feed: self.feed.clone(),
            devices: self.devices.clone(),
            states: self.states.clone(),
            stored: self.stored.clone(),
            clock: self.clock,
            epoch: self.epoch,
        }
    }

    /// Replaces the data with `backup` and gives the database a new epoch (`bangfu-server
    /// restore`): what came after the backup is forgotten, and the next operations get the
    /// `server_seq`s the lost ones had.
    pub fn restore(&mut self, backup: MemoryBackup) {
        self.feed = backup.feed;
        self.devices = backup.devices;
        self.states = backup.states;
        self.stored = backup.stored;
        self.clock = backup.clock;
        let (hi, lo) = backup.epoch.as_u64_pair();
        self.epoch = Uuid::from_u64_pair(hi, lo.wrapping_add(1));
    }
}

/// A [`MemoryServer`] shared by several transports (one per simulated device).
#[derive(Debug, Clone, Default)]
pub struct SimServer(Arc<Mutex<MemoryServer>>);

impl SimServer {
    pub fn new(server: MemoryServer) -> SimServer {
        SimServer(Arc::new(Mutex::new(server)))
    }

    /// The server's state (a poisoned lock is taken over: the state stays usable in tests).
    pub fn lock(&self) -> MutexGuard<'_, MemoryServer> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
