//! The storage behind the server: traits, so that SQLite (embedded, the default, `crate::sqlite`)
//! and other backends (PostgreSQL for a province) serve the same HTTP layer. [`SyncStorage`] keeps
//! the operations, the feed and the merged records; [`AccessStorage`](crate::auth::AccessStorage)
//! accounts, devices, scopes and the audit log; [`PhotoRefStorage`](crate::photos::PhotoRefStorage)
//! which records name which photo. Their signatures name only the protocol's and the server's own
//! types, never a database's.
//!
//! Methods are synchronous; the HTTP layer calls them on blocking threads
//! (`tokio::task::spawn_blocking`), several at once: a backend is shared by every request thread
//! (`Send + Sync`) and serializes its writes as its database needs.

use std::collections::BTreeMap;

use bangfu_core::sync::merge::Head;
use bangfu_core::sync::scope::Scope;
use bangfu_core::sync::wire::{PullResponse, PushRequest, PushResponse};
use serde::Serialize;
use uuid::Uuid;

use crate::error::StorageError;

/// `(entity, entity_id)`: one record.
pub type EntityKey = (String, Uuid);

/// One record's merged state as every replica must agree on it: the winning value of each field and
/// the fields in conflict with all their values.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct EntitySnapshot {
    pub winners: BTreeMap<String, serde_json::Value>,
    /// Field → its concurrent heads (ascending by `(hlc, device, op_id)`; the last one wins).
    pub conflicts: BTreeMap<String, Vec<Head>>,
}

/// A field holding concurrent different values, for a supervisor to settle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub entity: String,
    pub entity_id: Uuid,
    pub scope_path: String,
    pub field: String,
    /// Every value with who wrote it and when; the last one is shown meanwhile.
    pub heads: Vec<Head>,
}

/// A refused operation, kept as it arrived so that nothing is lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectedOp {
    /// The device that pushed it.
    pub device: Uuid,
    pub seq: u64,
    pub op_id: Uuid,
    pub code: String,
    pub message: String,
    /// The operation's JSON as received.
    pub body: String,
    pub received_at_ms: u64,
}

/// An accepted operation stamped more than 24 h ahead of the server's clock when it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FutureOp {
    pub server_seq: u64,
    pub device: Uuid,
    pub seq: u64,
    pub entity: String,
    pub entity_id: Uuid,
    /// The wall time its HLC claims.
    pub stamped_ms: u64,
    pub received_at_ms: u64,
}

/// What `GET /healthz` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// `"ok"`.
    pub status: String,
    /// Schema version of the database.
    pub schema_version: u32,
    /// The highest `server_seq` given out (0 when empty).
    pub last_server_seq: u64,
}

/// Who makes a push, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The server's time of the push (ms since the Unix epoch): `received_at_ms` of what it
    /// stores, and what the server's clock is advanced to.
    pub now_ms: u64,
    /// The signed-in account pushing (over HTTP); `None` for a trusted local push (the demo seed,
    /// tests): its operations are checked but not authorized, and nothing is audited.
    pub account: Option<ActingAccount>,
}

/// A signed-in account making a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActingAccount {
    /// Its username, as the audit log names it.
    pub username: String,
    /// What it may write: each operation is authorized for it ([`crate::authz::authorize`]).
    pub pusher: crate::authz::Pusher,
}

impl Actor {
    /// A trusted local push at `now_ms` (no account: nothing authorized or audited).
    pub fn local(now_ms: u64) -> Actor {
        Actor {
            now_ms,
            account: None,
        }
    }

    /// A push by the signed-in account `username`, authorized for `pusher`.
    pub fn account(
        username: impl Into<String>,
        pusher: crate::authz::Pusher,
        now_ms: u64,
    ) -> Actor {
        Actor {
            now_ms,
            account: Some(ActingAccount {
                username: username.into(),
                pusher,
            }),
        }
    }
}

/// Which operations of the feed a pull serves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FeedScope {
    /// Every operation.
    #[default]
    All,
    /// Operations whose `scope_path` is this administrative path or lies below it (`a/b` matches
    /// `a/b` and `a/b/c`, not `a/bc`; a trailing `/` is ignored, an empty path is [`All`](Self::All)).
    Path(String),
    /// Operations that an account's read scope reads, each by the *current* place of its
    /// household (a household moved to another village takes its whole history along); other
    /// records by their `scope_path`.
    Account(Scope),
}

/// A device's own operations that a pull leaves out (it holds them already).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnOps {
    pub device: Uuid,
    /// Its operations with `origin_seq` up to this one are left out.
    pub through: u64,
}

/// One page of the feed to read ([`SyncStorage::pull`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullQuery {
    /// The cursor: operations with `server_seq > after`.
    pub after: u64,
    /// At most this many operations (clamped to the storage's maximum, at least 1).
    pub limit: u32,
    pub scope: FeedScope,
    /// Left out of the answer, though the cursor still counts them as looked at.
    pub exclude_origin: Option<OwnOps>,
    /// The server's time: the answer's `server_hlc` is the server's clock at it.
    pub now_ms: u64,
}

impl PullQuery {
    /// Every operation after `after`, `limit` at most, at `now_ms`.
    pub fn new(after: u64, limit: u32, now_ms: u64) -> PullQuery {
        PullQuery {
            after,
            limit,
            scope: FeedScope::All,
            exclude_origin: None,
            now_ms,
        }
    }

    /// Only operations at `path` or below it ([`FeedScope::Path`]).
    pub fn within(self, path: impl Into<String>) -> PullQuery {
        PullQuery {
            scope: FeedScope::Path(path.into()),
            ..self
        }
    }

    /// Without `device`'s own operations up to `through` ([`OwnOps`]).
    pub fn excluding(self, device: Uuid, through: u64) -> PullQuery {
        PullQuery {
            exclude_origin: Some(OwnOps { device, through }),
            ..self
        }
    }
}

/// Where the server keeps operations, devices' progress and the merged state.
///
/// What every backend must guarantee (the tests of `sync-server/tests` hold the SQLite one to it):
/// - [`push`](SyncStorage::push) applies the whole batch in one transaction, with the
///   per-operation semantics of the crate docs, and, for a signed-in account, its audit line and
///   the device's last sync: nothing half-applied, and an answered push is durable (it survives a
///   crash or power loss the moment the call returns). Pushes of one device are applied one at a
///   time; `UNIQUE (origin_device, origin_seq)` and `UNIQUE (op_id)` hold across the database.
/// - Every accepted operation gets a `server_seq`, increasing in the order the pushes committed
///   and never given twice under one [`epoch`](SyncStorage::epoch) (a restore from a backup makes
///   a new epoch). A pull reads one consistent snapshot of committed pushes, and no operation with
///   a smaller `server_seq` than one it served commits later (a device's cursor never skips one).
/// - Merging is deterministic: the same operations give the same [`EntitySnapshot`]s, whatever
///   the order and duplication in which they arrived.
/// - The server's HLC is persisted with every push and never goes back, not across restarts.
pub trait SyncStorage: Send + Sync + std::fmt::Debug {
    /// Validates and stores a device's batch, authorized and audited for `by.account` when given;
    /// answers per operation. A refusal of an operation is in its answer, not an `Err`.
    fn push(&self, req: PushRequest, by: &Actor) -> Result<PushResponse, StorageError>;

    /// One page of the feed: accepted operations with `server_seq > after` that `scope` serves,
    /// ascending, at most `limit`, without `exclude_origin`'s. The cursor moves past every
    /// operation looked at, served or not; `has_more` says the feed goes on (a backend may also
    /// stop early after looking at many operations that it did not serve).
    fn pull(&self, query: &PullQuery) -> Result<PullResponse, StorageError>;

    /// [`pull`](SyncStorage::pull) as the JSON of a [`PullResponse`]. A storage may override it to
    /// splice stored operation JSON without parsing it again; the bytes must equal
    /// `serde_json::to_vec(&pull(..))`.
    fn pull_json(&self, query: &PullQuery) -> Result<Vec<u8>, StorageError> {
        let resp = self.pull(query)?;
        serde_json::to_vec(&resp).map_err(|e| StorageError::corrupt("pull response", e))
    }
    /// The highest `origin_seq` of `device` processed without a gap (0 if none).
    fn device_seq(&self, device: Uuid) -> Result<u64, StorageError>;

    /// The merged state of every record (for tests and diagnostics: reads everything).
    fn entity_states(&self) -> Result<BTreeMap<EntityKey, EntitySnapshot>, StorageError>;

    /// Every field in conflict, by entity and id.
    fn conflicts(&self) -> Result<Vec<Conflict>, StorageError>;

    /// Refused operations, oldest first, of one device or of all.
    fn rejected(&self, device: Option<Uuid>) -> Result<Vec<RejectedOp>, StorageError>;

    /// Operations flagged `future`, newest first, at most `limit`.
    fn future_ops(&self, limit: u32) -> Result<Vec<FutureOp>, StorageError>;

    /// A cheap check that the storage answers.
    fn health(&self) -> Result<Health, StorageError>;

    /// The database's epoch: a random id made with it and replaced when it is restored from a
    /// backup. Every push and pull answer carries it ([`PushResponse::epoch`]); it does not
    /// change while the storage is open, so a storage keeps it in memory (cheap to call).
    fn epoch(&self) -> Result<Uuid, StorageError>;
}
