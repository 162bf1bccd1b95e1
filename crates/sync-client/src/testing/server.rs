//! A simulated sync server in memory, with the protocol's semantics as the real server answers
//! them (`crates/sync-client/tests/contract.rs` runs the same tests against both): a gap-free
//! `origin_seq` check per device, duplicates answered as such (a refused operation refused again,
//! a changed re-send or a reused seq refused), a feed with `server_seq`, scoped pulls, device
//! tokens once one is issued, and a count of how often each operation was stored.

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

/// What became of a processed `origin_seq`: the operation stored, or the id of the one refused.
#[derive(Debug, Clone)]
enum Outcome {
    Accepted(Box<Operation>),
    Rejected(Uuid, Reason),
}

/// A request refused whole: the HTTP status the real server answers, and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub body: ErrorBody,
}

impl Refusal {
    fn new(status: u16, code: &str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            body: ErrorBody {
                code: code.to_owned(),
                message: message.into(),
            },
        }
    }
}

fn reason(code: &str, message: String) -> Reason {
    Reason {
        code: code.to_owned(),
        message,
    }
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
    /// The device of each token issued ([`MemoryServer::issue_token`]); `None`: no token needed.
    tokens: Option<HashMap<String, Uuid>>,
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
            tokens: None,
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

    /// A device token for `device`. From the first token issued on, pushes and pulls need a
    /// token ([`MemoryServer::authenticate`]), as on the real server; before, anyone is served.
    pub fn issue_token(&mut self, device: Uuid) -> String {
        let tokens = self.tokens.get_or_insert_with(HashMap::new);
        let token = format!("sim.{}.{}", device.simple(), tokens.len() + 1);
        tokens.insert(token.clone(), device);
        token
    }

    /// The device a request's `token` signs in (`None` while no token was ever issued): 401
    /// `auth_required` without one, `auth_bad_token` for one the server did not issue.
    pub fn authenticate(&self, token: Option<&str>) -> Result<Option<Uuid>, Refusal> {
        let Some(tokens) = &self.tokens else {
            return Ok(None);
        };
        let token = token.ok_or_else(|| Refusal::new(401, "auth_required", "sign in first"))?;
        match tokens.get(token) {
            Some(device) => Ok(Some(*device)),
            None => Err(Refusal::new(
                401,
                "auth_bad_token",
                "an unknown device token",
            )),
        }
    }

    /// `POST /v1/push` by `signed_in` (the device of the request's token, if tokens are in use):
    /// a push for another device is 403 `wrong_device`, too many operations 413 `too_many_ops`.
    /// Each operation is answered as the real server does, in order: after a gap in the device's
    /// seqs, it and all after it `seq_gap` (not processed); seq 0 `bad_seq`; an already processed
    /// seq a duplicate if it is the same operation, else `changed_resend` (same op id) or
    /// `seq_reused`, a refused one refused again; another device's operation `wrong_device`;
    /// then the validator.
    pub fn push(
        &mut self,
        req: &PushRequest,
        signed_in: Option<Uuid>,
    ) -> Result<PushResponse, Refusal> {
        if signed_in.is_some_and(|d| d != req.device_id) {
            return Err(Refusal::new(
                403,
                "wrong_device",
                "device_id is not the signed-in device",
            ));
        }
        if req.ops.len() > self.max_ops_per_push as usize {
            return Err(Refusal::new(
                413,
                "too_many_ops",
                format!("at most {} operations per push", self.max_ops_per_push),
            ));
        }
        let mut runs = Vec::new();
        let mut gap = false;
        for op in &req.ops {
            let seq = op.origin_seq;
            let processed = self.device_seq(req.device_id);
            if gap || seq > processed + 1 {
                gap = true;
                let why = format!("expected operation {} first", processed + 1);
                run_push(
                    &mut runs,
                    seq,
                    OpStatus::Rejected,
                    Some(reason("seq_gap", why)),
                );
                continue;
            }
            if seq == 0 {
                let why = reason("bad_seq", "origin_seq starts at 1".to_owned());
                run_push(&mut runs, seq, OpStatus::Rejected, Some(why));
                continue;
            }
            if seq <= processed {
                let done = &self.devices[&req.device_id][(seq - 1) as usize];
                let (status, why) = match done {
                    Outcome::Accepted(stored) if **stored == *op => (OpStatus::Duplicate, None),
                    Outcome::Accepted(stored) if stored.op_id == op.op_id => {
                        let why = format!("operation {seq} was stored with other content");
                        (OpStatus::Rejected, Some(reason("changed_resend", why)))
                    }
                    Outcome::Rejected(id, why) if *id == op.op_id => {
                        (OpStatus::Rejected, Some(why.clone()))
                    }
                    Outcome::Accepted(_) | Outcome::Rejected(..) => {
                        let why = format!("sequence number {seq} is taken by another operation");
                        (OpStatus::Rejected, Some(reason("seq_reused", why)))
                    }
                };
                run_push(&mut runs, seq, status, why);
                continue;
            }
            let key = (op.entity.clone(), op.entity_id);
            let checked = if op.origin_device == req.device_id {
                (self.validator)(op, self.states.get(&key))
            } else {
                let why = format!("an operation of device {}", op.origin_device);
                Err(reason("wrong_device", why))
            };
            let done = self.devices.entry(req.device_id).or_default();
            match checked {
                Ok(()) => {
                    done.push(Outcome::Accepted(Box::new(op.clone())));
                    self.clock.observe(op.hlc);
                    self.states.entry(key).or_default().apply(op);
                    let server_seq = self.feed.last().map_or(0, |e| e.server_seq) + 1;
                    self.feed.push(FeedEntry::new(server_seq, op.clone()));
                    *self.stored.entry((req.device_id, seq)).or_default() += 1;
                    run_push(&mut runs, seq, OpStatus::Accepted, None);
                }
                Err(why) => {
                    done.push(Outcome::Rejected(op.op_id, why.clone()));
                    run_push(&mut runs, seq, OpStatus::Rejected, Some(why));
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
                Outcome::Rejected(_, r) => Some((seq, r.clone())),
                Outcome::Accepted(_) => None,
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
