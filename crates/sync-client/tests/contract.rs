//! The protocol's contract, run against the simulated server (`testing::SimServer` through
//! `MemoryTransport`) and against the real server (`bangfu-server`'s router with SQLite on a
//! file, on 127.0.0.1:0, through `HttpTransport`): the same tests, the same expected answers, so
//! that the simulator the other tests rely on answers as the real server does.
//!
//! - a push is accepted, and the same push again is answered `duplicate`, stored once;
//! - a pull pages through the feed by its cursor, in `server_seq` order;
//! - refusals per operation: an edit of a record the server lacks (`unknown_record`, and again
//!   on a retry), a gap in the device's seqs (`seq_gap`, for it and every operation after it), a
//!   seq 0 (`bad_seq`), a changed re-send (`changed_resend`), a seq taken by another operation
//!   (`seq_reused`), another device's operation (`wrong_device`);
//! - a push for another device than the signed-in one is refused whole (403 `wrong_device`);
//! - every answer carries the database's epoch, and a restore from a backup changes it and
//!   forgets what came after the backup;
//! - without a token, or with one the server did not issue, pushes and pulls are refused 401.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use bangfu_core::sync::Operation;
use bangfu_core::sync::outgoing::OutgoingPush;
use bangfu_core::sync::wire::{OpStatus, PullResponse, PushResponse};
use bangfu_server::auth::AccessStorage as _;
use bangfu_server::{ServerConfig, SqliteStorage, router};
use bangfu_sync_client::testing::{MemoryBackup, MemoryTransport, SimServer};
use bangfu_sync_client::{DeviceToken, HttpOptions, HttpTransport, Transport, TransportError};
use bangfu_testkit::HandDevice;
use serde_json::json;
use uuid::Uuid;

/// The county every operation is in.
const COUNTY: &str = "360722";
/// The person the signed-in account is bound to: the author of every operation.
const AUTHOR: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0020);

/// A server as the client sees it.
trait Backend {
    type T: Transport + Sync;

    /// A transport of `device`, signed in.
    async fn device(&mut self, device: Uuid) -> Self::T;

    /// A transport sending `token` (or none), after at least one device signed in.
    async fn stranger(&mut self, token: Option<&str>) -> Self::T;

    /// Copies the server's data as it is now.
    async fn backup(&mut self);

    /// Replaces the server's data with the last backup, with a new epoch (`bangfu-server
    /// restore`). Transports made before are not used again.
    async fn restore(&mut self);
}

/// The simulated server.
#[derive(Default)]
struct Sim {
    server: SimServer,
    tokens: HashMap<Uuid, String>,
    backup: Option<MemoryBackup>,
}

impl Backend for Sim {
    type T = MemoryTransport;

    async fn device(&mut self, device: Uuid) -> MemoryTransport {
        let server = &self.server;
        let token = self
            .tokens
            .entry(device)
            .or_insert_with(|| server.lock().issue_token(device));
        MemoryTransport::new(self.server.clone()).with_token(token.clone())
    }

    async fn stranger(&mut self, token: Option<&str>) -> MemoryTransport {
        let t = MemoryTransport::new(self.server.clone());
        match token {
            Some(token) => t.with_token(token),
            None => t,
        }
    }

    async fn backup(&mut self) {
        self.backup = Some(self.server.lock().backup());
    }

    async fn restore(&mut self) {
        let backup = self.backup.take().expect("a backup");
        self.server.lock().restore(backup);
    }
}

/// The real server in process, on a database file.
struct Real {
    dir: tempfile::TempDir,
    serving: Option<Serving>,
    tokens: HashMap<Uuid, String>,
}

struct Serving {
    base: String,
    storage: Arc<SqliteStorage>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

const USERNAME: &str = "county";
const PASSWORD: &str = "contract-password-1";

impl Real {
    async fn start() -> Real {
        let dir = tempfile::tempdir().expect("tempdir");
        let serving = Real::serve(dir.path().join("server.db")).await;
        let account = bangfu_server::auth::NewAccount {
            username: USERNAME.into(),
            display_name: "县级办公室".into(),
            role: bangfu_server::auth::Role::CountyOffice,
            person_id: Some(AUTHOR),
            unit_id: None,
            area_path: Some(COUNTY.into()),
            password: PASSWORD.into(),
        };
        serving
            .storage
            .create_account(&account, "test", bangfu_server::now_ms())
            .expect("the account");
        Real {
            dir,
            serving: Some(serving),
            tokens: HashMap::new(),
        }
    }

    async fn serve(db: PathBuf) -> Serving {
        let storage = Arc::new(SqliteStorage::open(&db).expect("the database"));
        let app = router(storage.clone(), ServerConfig::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Serving {
            base: format!("http://{addr}"),
            storage,
            stop,
            task,
        }
    }

    fn serving(&self) -> &Serving {
        self.serving.as_ref().expect("the server runs")
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("server.db")
    }

    fn backup_path(&self) -> PathBuf {
        self.dir.path().join("backup.db")
    }

    fn transport(&self, token: Option<&str>) -> HttpTransport {
        let options = HttpOptions {
            token: token.map(|t| DeviceToken(t.to_owned())),
            ..HttpOptions::default()
        };
        HttpTransport::new(&self.serving().base, options).expect("transport")
    }
}

impl Backend for Real {
    type T = HttpTransport;

    async fn device(&mut self, device: Uuid) -> HttpTransport {
        if !self.tokens.contains_key(&device) {
            let (_, token) = self
                .serving()
                .storage
                .sign_in(
                    USERNAME,
                    PASSWORD,
                    device,
                    "phone",
                    bangfu_server::now_ms(),
                    bangfu_server::auth::DEFAULT_TOKEN_TTL_MS,
                )
                .expect("storage")
                .expect("signed in");
            self.tokens.insert(device, token);
        }
        self.transport(self.tokens.get(&device).map(String::as_str))
    }

    async fn stranger(&mut self, token: Option<&str>) -> HttpTransport {
        self.transport(token)
    }

    async fn backup(&mut self) {
        bangfu_server::backup::backup(&self.db(), &self.backup_path()).expect("backup");
    }

    async fn restore(&mut self) {
        let Serving {
            storage,
            stop,
            task,
            ..
        } = self.serving.take().expect("the server runs");
        let _ = stop.send(());
        task.await.expect("the server stops");
        drop(storage);
        bangfu_server::backup::restore(&self.backup_path(), &self.db(), bangfu_server::now_ms())
            .expect("restore");
        self.serving = Some(Real::serve(self.db()).await);
    }
}

/// Hand-made device `n`, authoring as the county office's person: it makes units of the county
/// (records every server takes from a county office account once the county's area is there)
/// and edits of them.
fn device(n: u128) -> HandDevice {
    HandDevice::new(n).by(AUTHOR)
}

/// A new unit named `name`, made by `dev`.
fn unit(dev: &mut HandDevice, name: &str) -> Operation {
    let id = Uuid::from_u64_pair(dev.id.as_u64_pair().1, dev.seq + 1);
    dev.op("unit", id, true, json!({"name": name}), COUNTY)
}

/// The county's area, which the units are in: pushed first by a device of its own.
async fn the_county(b: &mut impl Backend) {
    let mut dev = device(0);
    let t = b.device(dev.id).await;
    let county = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
    let op = dev.op(
        "area",
        county,
        true,
        json!({"code": COUNTY, "name": "信丰县", "level": "county"}),
        COUNTY,
    );
    assert_eq!(answers(&push(&t, dev.id, &[op]).await), ["accepted"]);
}

async fn push(t: &impl Transport, device: Uuid, ops: &[Operation]) -> PushResponse {
    t.push(&OutgoingPush::from_ops(device, ops))
        .await
        .expect("a push answer")
}

async fn pull(t: &impl Transport, after: u64, limit: u32) -> PullResponse {
    t.pull(after, limit, None, None)
        .await
        .expect("a pull answer")
}

/// Each operation's answer, in order: `accepted`, `duplicate` or the refusal's code.
fn answers(resp: &PushResponse) -> Vec<String> {
    resp.results
        .iter()
        .flat_map(|r| {
            let a = match r.status {
                OpStatus::Accepted => "accepted".to_owned(),
                OpStatus::Duplicate => "duplicate".to_owned(),
                OpStatus::Rejected => r.reason.as_ref().map_or("?".into(), |x| x.code.clone()),
            };
            (r.first_seq..=r.last_seq).map(move |_| a.clone())
        })
        .collect()
}

/// The status and code of a request refused whole.
fn refusal<T: std::fmt::Debug>(r: Result<T, TransportError>) -> (u16, String) {
    match r {
        Err(TransportError::Refused { status, body, .. }) => (status, body.code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn a_push_is_accepted_and_the_same_push_again_is_a_duplicate(b: &mut impl Backend) {
    the_county(b).await;
    let mut dev = device(1);
    let t = b.device(dev.id).await;
    let ops: Vec<Operation> = (0..3)
        .map(|n| unit(&mut dev, &format!("单位{n}")))
        .collect();
    let first = push(&t, dev.id, &ops).await;
    assert_eq!(answers(&first), ["accepted"; 3]);
    assert_eq!(first.device_seq, 3);
    let again = push(&t, dev.id, &ops).await;
    assert_eq!(answers(&again), ["duplicate"; 3]);
    assert_eq!(again.device_seq, 3);
    let feed = pull(&t, 0, 100).await;
    let mine: Vec<u64> = feed
        .entries
        .iter()
        .filter(|e| e.op.origin_device == dev.id)
        .map(|e| e.op.origin_seq)
        .collect();
    assert_eq!(mine, [1, 2, 3], "stored once each");
}

async fn a_pull_pages_through_the_feed_by_its_cursor(b: &mut impl Backend) {
    the_county(b).await;
    let mut dev = device(2);
    let t = b.device(dev.id).await;
    let ops: Vec<Operation> = (0..5)
        .map(|n| unit(&mut dev, &format!("单位{n}")))
        .collect();
    push(&t, dev.id, &ops).await;
    let mut after = 0;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = pull(&t, after, 2).await;
        pages += 1;
        assert!(page.entries.len() <= 2);
        if let Some(last) = page.entries.last() {
            assert_eq!(page.cursor, last.server_seq, "the cursor is the last entry");
        }
        assert!(page.cursor >= after);
        seen.extend(
            page.entries
                .iter()
                .filter(|e| e.op.origin_device == dev.id)
                .map(|e| (e.server_seq, e.op.op_id)),
        );
        after = page.cursor;
        if !page.has_more {
            break;
        }
        assert!(pages < 10, "the feed ends");
    }
    assert_eq!(pages, 3, "the county and 5 units in pages of 2");
    let seqs: Vec<u64> = seen.iter().map(|(s, _)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let ids: Vec<Uuid> = seen.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids, ops.iter().map(|o| o.op_id).collect::<Vec<_>>());
    let end = pull(&t, after, 2).await;
    assert!(end.entries.is_empty());
    assert!(!end.has_more);
    assert_eq!(end.cursor, after, "past the end the cursor stays");
}

async fn refusals_name_their_reason_per_operation(b: &mut impl Backend) {
    the_county(b).await;
    let mut dev = device(3);
    let t = b.device(dev.id).await;
    let first = unit(&mut dev, "单位");
    let unknown = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0dea_d001);
    let edit_unknown = dev.op("unit", unknown, false, json!({"name": "无此单位"}), COUNTY);
    let resp = push(&t, dev.id, &[first.clone(), edit_unknown.clone()]).await;
    assert_eq!(answers(&resp), ["accepted", "unknown_record"]);
    // A retry of a refused operation is refused again; of an accepted one, a duplicate.
    let resp = push(&t, dev.id, &[first.clone(), edit_unknown]).await;
    assert_eq!(answers(&resp), ["duplicate", "unknown_record"]);
    assert_eq!(resp.device_seq, 2);

    // A gap: the operation after it and every one after that are not processed.
    let third = unit(&mut dev, "单位三");
    let fourth = unit(&mut dev, "单位四");
    let fifth = unit(&mut dev, "单位五");
    let resp = push(&t, dev.id, &[fourth.clone(), third.clone(), fifth.clone()]).await;
    assert_eq!(answers(&resp), ["seq_gap", "seq_gap", "seq_gap"]);
    assert_eq!(resp.device_seq, 2);
    let resp = push(&t, dev.id, &[third.clone(), fourth, fifth]).await;
    assert_eq!(answers(&resp), ["accepted"; 3]);

    // Seq 0; a changed re-send; another operation under a taken seq.
    let mut zero = unit(&mut dev, "零号");
    zero.origin_seq = 0;
    let mut reused = unit(&mut dev, "另一个");
    reused.origin_seq = third.origin_seq;
    dev.seq -= 2;
    let mut changed = third.clone();
    changed.fields.insert("name".into(), json!("改过的单位三"));
    let resp = push(&t, dev.id, &[zero, changed, reused]).await;
    assert_eq!(answers(&resp), ["bad_seq", "changed_resend", "seq_reused"]);
    assert_eq!(resp.device_seq, 5);

    // Another device's operation in this device's push.
    let mut other = device(30);
    let mut foreign = unit(&mut other, "别人的单位");
    foreign.origin_seq = dev.seq + 1;
    let resp = push(&t, dev.id, &[foreign]).await;
    assert_eq!(answers(&resp), ["wrong_device"]);
    assert_eq!(resp.device_seq, 6, "the seq is used up");

    // A push for another device than the signed-in one is refused whole.
    let answer = t
        .push(&OutgoingPush::from_ops(
            other.id,
            &[unit(&mut other, "别人的")],
        ))
        .await;
    assert_eq!(refusal(answer), (403, "wrong_device".to_owned()));
}

async fn every_answer_carries_the_epoch_and_a_restore_changes_it(b: &mut impl Backend) {
    the_county(b).await;
    let mut dev = device(4);
    let t = b.device(dev.id).await;
    let before: Vec<Operation> = (0..2)
        .map(|n| unit(&mut dev, &format!("单位{n}")))
        .collect();
    let resp = push(&t, dev.id, &before).await;
    let epoch = resp.epoch.expect("an epoch");
    assert_eq!(pull(&t, 0, 10).await.epoch, Some(epoch));
    assert_eq!(t.version().await.expect("version").epoch, Some(epoch));
    b.backup().await;
    let after = unit(&mut dev, "备份后");
    assert_eq!(
        answers(&push(&t, dev.id, std::slice::from_ref(&after)).await),
        ["accepted"]
    );
    drop(t);

    b.restore().await;
    let t = b.device(dev.id).await;
    let caps = t.version().await.expect("version");
    let new_epoch = caps.epoch.expect("an epoch");
    assert_ne!(new_epoch, epoch, "a restore gives a new epoch");
    let feed = pull(&t, 0, 10).await;
    assert_eq!(feed.epoch, Some(new_epoch));
    assert!(
        feed.entries.iter().all(|e| e.op.op_id != after.op_id),
        "what came after the backup is forgotten"
    );
    // The device sends it again: the server has the device's operations up to the backup.
    let resp = push(&t, dev.id, &[after]).await;
    assert_eq!(answers(&resp), ["accepted"]);
    assert_eq!((resp.device_seq, resp.epoch), (3, Some(new_epoch)));
}

async fn without_a_valid_token_pushes_and_pulls_are_refused(b: &mut impl Backend) {
    let mut dev = device(5);
    b.device(dev.id).await;
    let op = unit(&mut dev, "单位");
    for (token, code) in [
        (None, "auth_required"),
        (Some("not-a-token"), "auth_bad_token"),
    ] {
        let t = b.stranger(token).await;
        let answer = t
            .push(&OutgoingPush::from_ops(dev.id, std::slice::from_ref(&op)))
            .await;
        assert_eq!(refusal(answer), (401, code.to_owned()), "push, {token:?}");
        let answer = t.pull(0, 10, None, None).await;
        assert_eq!(refusal(answer), (401, code.to_owned()), "pull, {token:?}");
    }
}

/// Runs one contract test against the simulated server and the real one.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod simulated {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&mut super::Sim::default()).await;
                }
            )*
        }
        mod real {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(&mut super::Real::start().await).await;
                }
            )*
        }
    };
}

contract!(
    a_push_is_accepted_and_the_same_push_again_is_a_duplicate,
    a_pull_pages_through_the_feed_by_its_cursor,
    refusals_name_their_reason_per_operation,
    every_answer_carries_the_epoch_and_a_restore_changes_it,
    without_a_valid_token_pushes_and_pulls_are_refused,
);
