//! The storage behind the server: a trait, so that SQLite (embedded, the default) and later
//! PostgreSQL can serve the same HTTP layer. Methods are synchronous; the HTTP layer calls them on
//! blocking threads (`tokio::task::spawn_blocking`).

use std::collections::BTreeMap;

use bangfu_core::sync::merge::Head;
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

/// Where the server keeps operations, devices' progress and the merged state.
///
/// Contract of [`push`](SyncStorage::push): the whole batch is applied in one transaction (nothing
/// half-applied) and an accepted batch is durable when the call returns. See the crate docs for the
/// per-operation semantics.
pub trait SyncStorage: Send + Sync + std::fmt::Debug {
    /// Validates and stores a device's batch; answers per operation.
    fn push(&self, req: PushRequest, now_ms: u64) -> Result<PushResponse, StorageError>;

    /// Accepted operations with `server_seq > after`, ascending, at most `limit` (clamped to the
    /// storage's maximum, at least 1). `scope_prefix`: only operations whose `scope_path` is that
    /// path or lies below it (a stand-in until accounts and scopes arrive). `exclude_origin`:
    /// `(device, through)` leaves out that device's operations with `origin_seq <= through` (it
    /// holds them already); the cursor still counts them as looked at.
    fn pull(
        &self,
        after: u64,
        limit: u32,
        scope_prefix: Option<&str>,
        exclude_origin: Option<(Uuid, u64)>,
        now_ms: u64,
    ) -> Result<PullResponse, StorageError>;

    /// [`pull`](SyncStorage::pull) as the JSON of a [`PullResponse`]. A storage may override it to
    /// splice stored operation JSON without parsing it again; the bytes must equal
    /// `serde_json::to_vec(&pull(..))`.
    fn pull_json(
        &self,
        after: u64,
        limit: u32,
        scope_prefix: Option<&str>,
        exclude_origin: Option<(Uuid, u64)>,
        now_ms: u64,
    ) -> Result<Vec<u8>, StorageError> {
        let resp = self.pull(after, limit, scope_prefix, exclude_origin, now_ms)?;
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
