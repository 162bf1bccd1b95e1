//! The sync protocol's messages (version 1), shared by the server and the client.
//! Frozen by golden tests and described in `docs/sync-protocol.md`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::record::Record;
use crate::sync::hlc::Hlc;
use crate::sync::op::Operation;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// `POST /v1/push`: a device's operations in `origin_seq` order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub device_id: Uuid,
    pub ops: Vec<Operation>,
    /// Each operation's JSON exactly as received, when the receiver kept it (not on the wire):
    /// empty, or one per operation of `ops`, which it parsed to. The server stores it as the
    /// operation's body instead of serialising the operation again.
    #[serde(skip)]
    pub ops_json: Vec<String>,
}

impl PushRequest {
    /// A request without the received JSON (what a device sends).
    pub fn new(device_id: Uuid, ops: Vec<Operation>) -> PushRequest {
        PushRequest {
            device_id,
            ops,
            ops_json: Vec::new(),
        }
    }

    /// The JSON of operation `i` as received, if kept.
    pub fn op_json(&self, i: usize) -> Option<&str> {
        self.ops_json.get(i).map(String::as_str)
    }
}

/// Equal when device and operations are: `ops_json` is a cache of how they were received.
impl PartialEq for PushRequest {
    fn eq(&self, other: &PushRequest) -> bool {
        self.device_id == other.device_id && self.ops == other.ops
    }
}

/// What happened to one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpStatus {
    /// Stored now.
    Accepted,
    /// Already stored before (a retry): harmless.
    Duplicate,
    /// Refused; see the reason. The device keeps it and shows it to the user.
    Rejected,
}

/// Why an operation was refused: a stable code and a message naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub message: String,
}

/// The answer for a run of consecutive operations with the same status (`first_seq..=last_seq`
/// of the pushing device). A rejected operation is always a run of its own, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub first_seq: u64,
    pub last_seq: u64,
    pub status: OpStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

/// Answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Every pushed operation is covered by exactly one run, in order.
    pub results: Vec<OpResult>,
    /// The highest `origin_seq` of this device the server has processed with no gap before it:
    /// the device resends from the next one.
    pub device_seq: u64,
    /// The server's clock: the device absorbs it.
    pub server_hlc: Hlc,
    /// The server database's epoch (see [`Capabilities::epoch`]). Added to version 1: absent from
    /// an older server's answers, not sent when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<Uuid>,
}

/// One operation in the feed, with its position.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedEntry {
    pub server_seq: u64,
    pub op: Operation,
    /// The server flagged the operation when it arrived: its HLC was more than 24 h ahead of the
    /// server's clock (a phone's clock set wrong). A receiver keeps it but does not move its own
    /// clock to it, and shows the flag. Added to protocol v1 (absent means `false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub future: bool,
    /// The operation's JSON exactly as received, when the receiver kept it (not on the wire: the
    /// wire carries `op`). A device stores it as the operation's body instead of serialising
    /// `op` again; it parses to `op` by construction, and keeps fields a newer server added.
    #[serde(skip)]
    pub op_json: Option<String>,
    /// For an operation that creates its record: the record its fields make
    /// ([`record_from_fields`](crate::sync::op::record_from_fields)), when the receiver prepared
    /// it (a device does so while the page before is applied). Not on the wire.
    #[serde(skip)]
    pub record: Option<Record>,
}

impl FeedEntry {
    /// An entry without the received JSON or a prepared record (a server, a test).
    pub fn new(server_seq: u64, op: Operation) -> FeedEntry {
        FeedEntry {
            server_seq,
            op,
            future: false,
            op_json: None,
            record: None,
        }
    }

    /// An entry as a device receives it: the operation parsed from `json`, which is kept, and
    /// the record a creation makes prepared.
    pub fn received(server_seq: u64, json: &str) -> Result<FeedEntry, serde_json::Error> {
        let op: Operation = serde_json::from_str(json)?;
        let record = if op.create {
            crate::sync::op::record_from_fields(&op.entity, op.entity_id, &op.fields).ok()
        } else {
            None
        };
        Ok(FeedEntry {
            server_seq,
            op,
            future: false,
            op_json: Some(json.to_owned()),
            record,
        })
    }
}

/// Equal when position and operation are: `op_json` and `record` are made from `op`.
impl PartialEq for FeedEntry {
    fn eq(&self, other: &FeedEntry) -> bool {
        self.server_seq == other.server_seq && self.op == other.op
    }
}

/// Answer to `GET /v1/pull?after=CURSOR&limit=N[&scope=PATH]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Ascending by `server_seq`.
    pub entries: Vec<FeedEntry>,
    /// The cursor to ask from next (the last `server_seq` looked at, even if it was filtered out).
    pub cursor: u64,
    /// More entries wait after `cursor`.
    pub has_more: bool,
    pub server_hlc: Hlc,
    /// The server database's epoch (see [`Capabilities::epoch`]). Added to version 1: absent from
    /// an older server's answers, not sent when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<Uuid>,
}

/// Answer to `GET /v1/reference`: the county's settings and monitoring lines, set by the county
/// office and handed to every device (they are not records with a merge: one author, replaced
/// whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub settings: crate::Settings,
    pub monitoring_lines: Vec<crate::MonitoringLine>,
}

/// Answer to `GET /v1/version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    pub protocol: u32,
    pub server: String,
    /// Content encodings accepted for requests and offered for responses.
    pub encodings: Vec<String>,
    pub max_body_bytes: u64,
    pub max_ops_per_push: u32,
    pub max_pull_limit: u32,
    /// The server database's epoch: a random id made with the database and replaced when it is
    /// restored from a backup. `server_seq`s and `device_seq`s are only comparable within one
    /// epoch: a device that sees a new one starts its feed over and pushes again what the server
    /// no longer holds. Added to version 1 (absent from an older server's answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<Uuid>,
}

/// The body of every 4xx/5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// `POST /v1/auth/signin`: a device signs in (online, once) with the account's name and
/// password. Its `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
    /// The device's own random id.
    pub device_id: Uuid,
    /// The device's name as administrators see it (empty: none given).
    #[serde(default)]
    pub device_name: String,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("username", &self.username)
            .field("device_id", &self.device_id)
            .field("device_name", &self.device_name)
            .finish_non_exhaustive()
    }
}

/// The answer to a sign-in: the device token (shown this once) and the account as the server
/// describes it. `A` is the server's account type where it is written, and whatever part of it a
/// client reads where it is read. Its `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInResponse<A> {
    pub device_token: String,
    pub device_id: Uuid,
    pub account: A,
}

impl<A: std::fmt::Debug> std::fmt::Debug for SignInResponse<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInResponse")
            .field("device_id", &self.device_id)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}
