//! The client over real HTTP against the real server (`bangfu-server`'s router on 127.0.0.1:0,
//! SQLite in memory): compression both ways, validation by the server, refusals.

use std::collections::BTreeMap;
use std::sync::Arc;

use bangfu_core::sync::DeviceStore;
use bangfu_server::auth::AccessStorage as _;
use bangfu_server::{ServerConfig, SqliteStorage, SyncStorage, router};
use bangfu_sync_client::testing::MemoryStore;
use bangfu_sync_client::{
    DeviceToken, HttpOptions, HttpTransport, Phase, Progress, SyncOptions, sync,
};
use serde_json::{Value, json};
use uuid::Uuid;

const VILLAGE: &str = "360722/360722100/360722100201";

/// Starts the server; returns its base URL and its storage.
async fn start_server() -> (String, Arc<SqliteStorage>) {
    let storage = Arc::new(SqliteStorage::open_in_memory().expect("in-memory database"));
    let app = router(storage.clone(), ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), storage)
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// Signs `device` in as `importer`, a county-office account bound to the cadre `id(20)` (created
/// on first use): it imports the county's lists and records the cadre's visits (field records are
/// authored by the account's person).
fn importer_token(storage: &SqliteStorage, device: Uuid) -> String {
    let importer = bangfu_server::auth::NewAccount {
        username: "importer".into(),
        display_name: "县级办公室".into(),
        role: bangfu_server::auth::Role::CountyOffice,
        person_id: Some(id(20)),
        unit_id: None,
        area_path: Some("360722".into()),
        password: "password-1".into(),
    };
    match storage.create_account(&importer, "test", bangfu_server::now_ms()) {
        Ok(_) | Err(bangfu_server::auth::AccountError::Exists) => {}
        Err(e) => panic!("cannot create the importer: {e}"),
    }
    let (_, token) = storage
        .sign_in(
            "importer",
            "password-1",
            device,
            "phone",
            bangfu_server::now_ms(),
            bangfu_server::auth::DEFAULT_TOKEN_TTL_MS,
        )
        .expect("storage")
        .expect("signed in");
    token
}

fn fields(v: Value) -> BTreeMap<String, Value> {
    match v {
        Value::Object(m) => m.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// A county, a township, a village, a unit, a cadre, two paired households and `visits` visits,
/// recorded on `phone`: operations the server's validation accepts.
fn record_county(phone: &mut MemoryStore, visits: u128) -> usize {
    let areas = [
        (
            1,
            json!({"code": "360722", "name": "信丰县", "level": "county"}),
        ),
        (
            2,
            json!({"code": "360722100", "name": "嘉定镇", "level": "township", "parent_id": id(1)}),
        ),
        (
            3,
            json!({"code": "360722100201", "name": "水东村", "level": "village", "parent_id": id(2)}),
        ),
    ];
    // The place of each record as the server derives it.
    phone.set_author(id(20));
    let paths = ["360722", "360722/360722100", VILLAGE];
    for ((n, f), path) in areas.into_iter().zip(paths) {
        phone.set_scope_path(path);
        phone.record("area", id(n), true, fields(f));
    }
    phone.set_scope_path("360722");
    phone.record("unit", id(10), true, fields(json!({"name": "县财政局"})));
    phone.record(
        "person",
        id(20),
        true,
        fields(json!({"name": "张三", "unit_id": id(10), "roles": [{"role": "cadre", "from": "2024-01-01"}]})),
    );
    for h in 0..2u128 {
        phone.set_scope_path(&format!("{VILLAGE}/h:{}", id(1_000 + h)));
        phone.record(
            "household",
            id(1_000 + h),
            true,
            fields(json!({
                "village_id": id(3),
                "head_name": format!("户主{h}"),
                "class_history": [{"from": "2024-01-01", "class": "lifted"}],
                "risks": []
            })),
        );
        phone.record(
            "pairing",
            id(100_000 + h),
            true,
            fields(
                json!({"household_id": id(1_000 + h), "cadre_id": id(20), "start": "2024-01-01"}),
            ),
        );
    }
    for v in 0..visits {
        phone.set_scope_path(&format!("{VILLAGE}/h:{}", id(1_000 + v % 2)));
        phone.record(
            "visit",
            id(10_000_000 + v),
            true,
            fields(json!({
                "household_id": id(1_000 + v % 2),
                "visitor_id": id(20),
                "visited_at": "2024-05-01T10:00:00+08:00",
                "present": ["户主"],
                "checks": {
                    "education": {"status": "ok"},
                    "medical": {"status": "ok"},
                    "housing": {"status": "risk", "note": "屋顶漏雨，已联系村委维修"},
                    "water": {"status": "ok"}
                },
                "policy_talk": ["防返贫监测政策"],
                "problems": "家中老人患慢性病，需定期买药，医疗支出较大。",
                "measures": "协助办理慢性病卡，落实医保报销；介绍务工岗位。",
            })),
        );
    }
    phone.ops().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phones_sync_through_the_real_server() {
    let (base, storage) = start_server().await;
    let opts = SyncOptions {
        batch_size: 16,
        pull_limit: 10,
        ..SyncOptions::default()
    };

    let mut a = MemoryStore::new(Uuid::from_u128(0xd1), VILLAGE);
    let n = record_county(&mut a, 40);
    // A visit cannot be edited (append-only): the server refuses this one.
    a.record(
        "visit",
        id(10_000_000),
        false,
        fields(json!({"problems": "改了"})),
    );
    // Phone a imports the county and records visits: a county-office account bound to the
    // cadre's person (field records are authored by the account's person).
    bangfu_server::auth::county_token(
        &*storage,
        "admin",
        "password-1",
        Uuid::from_u128(0xd0),
        bangfu_server::now_ms(),
    )
    .expect("admin");
    let token = importer_token(&storage, Uuid::from_u128(0xd1));
    let ta = HttpTransport::new(
        &base,
        HttpOptions {
            token: Some(DeviceToken(token)),
            ..HttpOptions::default()
        },
    )
    .expect("transport");
    let mut progress: Vec<Progress> = Vec::new();
    let ra = sync(&mut a, &ta, &opts, &mut |p| progress.push(p))
        .await
        .expect("phone a syncs");
    let codes: Vec<&str> = ra.rejected.iter().map(|r| r.reason.code.as_str()).collect();
    assert_eq!(ra.accepted, n as u64, "{codes:?}");
    assert_eq!(ra.rejected.len(), 1);
    assert_eq!(ra.rejected[0].reason.code, "append_only");
    assert_eq!(a.rejected().len(), 1);
    assert_eq!(a.pending_count().expect("pending"), 0);
    let health = storage.health().expect("health");
    assert_eq!(health.last_server_seq, n as u64);
    assert_eq!(a.cursor().expect("cursor"), n as u64);
    let last_push = progress
        .iter()
        .rfind(|p| p.phase == Phase::Push)
        .expect("push");
    assert_eq!(
        (last_push.done, last_push.total),
        (n as u64 + 1, Some(n as u64 + 1))
    );

    // Bodies were compressed both ways (phone a's pull has nothing of its own to bring back, so
    // answers are checked on phone b below), and counted.
    let s = ta.stats();
    assert_eq!(s.requests, ra.requests);
    assert_eq!(s.failures, 0);
    assert!(s.body_bytes_sent * 3 < s.json_bytes_sent, "{s:?}");
    assert!(s.header_bytes_sent > 0 && s.header_bytes_received > 0);
    assert_eq!(ra.transport, s);

    // A second phone in the same village pulls everything and shows the same.
    let mut b = MemoryStore::new(Uuid::from_u128(0xd2), VILLAGE);
    // Phone b signs in over HTTP, as the app does.
    let signed = HttpTransport::new(&base, HttpOptions::default())
        .expect("transport")
        .sign_in::<serde_json::Value>("admin", "password-1", Uuid::from_u128(0xd2), "phone b")
        .await
        .expect("signed in");
    assert_eq!(signed.account["role"], "county_office");
    let tb = HttpTransport::new(
        &base,
        HttpOptions {
            token: Some(DeviceToken(signed.device_token)),
            ..HttpOptions::default()
        },
    )
    .expect("transport");
    // The whole feed: the county's and township's records lie above the village.
    let rb = sync(&mut b, &tb, &opts, &mut |_| {})
        .await
        .expect("phone b syncs");
    assert_eq!((rb.pulled, rb.cursor), (n as u64, n as u64));
    let s = tb.stats();
    assert!(s.body_bytes_received * 2 < s.json_bytes_received, "{s:?}");
    let snapshot = storage.entity_states().expect("states");
    assert_eq!(snapshot.len(), b.states().len());
    for ((entity, id), state) in b.states() {
        let server = snapshot
            .get(&(entity.clone(), *id))
            .expect("record on server");
        assert_eq!(&state.winners(), &server.winners, "{entity} {id}");
    }
    // Phone a pulls nothing new; a sync with nothing to do is two small requests (version, pull).
    let again = sync(&mut a, &ta, &opts, &mut |_| {}).await.expect("again");
    assert_eq!((again.ops_sent, again.pulled, again.requests), (0, 0, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_address_is_refused_at_once() {
    let (base, _storage) = start_server().await;
    let t =
        HttpTransport::new(&format!("{base}/nope/"), HttpOptions::default()).expect("transport");
    let mut a = MemoryStore::new(Uuid::from_u128(0xd3), VILLAGE);
    a.record_new("visit", "x");
    let e = sync(&mut a, &t, &SyncOptions::default(), &mut |_| {})
        .await
        .expect_err("404");
    assert_eq!(
        (e.code(), e.server_code()),
        ("not_found", Some("not_found"))
    );
    assert_eq!(t.stats().requests, 1, "a 4xx is not retried");
}

/// Serves `storage` on 127.0.0.1:0; its base URL. The task ends with the test's runtime.
async fn serve(storage: Arc<SqliteStorage>) -> String {
    let app = router(storage, ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn transport(base: &str, token: &str) -> HttpTransport {
    HttpTransport::new(
        base,
        HttpOptions {
            token: Some(DeviceToken(token.to_owned())),
            ..HttpOptions::default()
        },
    )
    .expect("transport")
}

/// The restore drill over HTTP, with two pushes and a pull page in flight at a time (a
/// multi-threaded runtime): after the database is restored from an older backup, phone A sends
/// again what the server lost, phone B (nothing to push, no version request) learns of the
/// restore from a pull page, and both end with every operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restore_pipelined_phones_resend_what_was_lost_over_http() {
    let dir = std::env::temp_dir().join(format!("bangfu-restore-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (db, copy) = (dir.join("county.db"), dir.join("backup.db"));
    let storage = Arc::new(SqliteStorage::open(&db).expect("open"));
    let now = bangfu_server::now_ms();
    let token = |device: u128| {
        bangfu_server::auth::county_token(&*storage, "admin", "password-1", id(device), now)
            .expect("token")
    };
    let (token_a, token_b) = (importer_token(&storage, id(0xd1)), token(0xd2));
    let base = serve(storage.clone()).await;
    let opts = SyncOptions {
        batch_size: 8,
        pull_limit: 8,
        ..SyncOptions::default()
    };
    let quiet = SyncOptions {
        check_version: false,
        ..opts.clone()
    };
    let mut a = MemoryStore::new(id(0xd1), VILLAGE);
    let mut b = MemoryStore::new(id(0xd2), VILLAGE);
    record_county(&mut a, 20);
    let (ta, tb) = (transport(&base, &token_a), transport(&base, &token_b));
    sync(&mut a, &ta, &opts, &mut |_| {}).await.expect("a");
    let backup = bangfu_server::backup::backup(&db, &copy).expect("backup");
    let old_epoch = storage.epoch().expect("epoch");
    assert_eq!(backup.epoch, Some(old_epoch));
    for v in 100..140 {
        a.set_scope_path(&format!("{VILLAGE}/h:{}", id(1_000 + v % 2)));
        a.record(
            "visit",
            id(10_000_000 + v),
            true,
            fields(json!({
                "household_id": id(1_000 + v % 2), "visitor_id": id(20),
                "visited_at": "2024-06-01T10:00:00+08:00", "present": ["户主"],
                "checks": {"education": {"status": "ok"}, "medical": {"status": "ok"},
                           "housing": {"status": "ok"}, "water": {"status": "ok"}},
                "policy_talk": [], "problems": "无", "measures": "无",
            })),
        );
    }
    sync(&mut a, &ta, &opts, &mut |_| {}).await.expect("a");
    sync(&mut b, &tb, &opts, &mut |_| {}).await.expect("b");
    assert_eq!(b.states(), a.states());
    assert_eq!(b.server_epoch().expect("epoch"), Some(old_epoch));

    let restored = bangfu_server::backup::restore(&copy, &db, now).expect("restore");
    let storage = Arc::new(SqliteStorage::open(&db).expect("open"));
    let new_epoch = storage.epoch().expect("epoch");
    assert_eq!(restored.info.epoch, Some(new_epoch));
    let base = serve(storage.clone()).await;
    let (ta, tb) = (transport(&base, &token_a), transport(&base, &token_b));
    let ra = sync(&mut a, &ta, &opts, &mut |_| {}).await.expect("a");
    assert!(ra.server_restored);
    assert_eq!(
        ra.accepted, 40,
        "A sends again the 40 visits the copy lacks"
    );
    let rb = sync(&mut b, &tb, &quiet, &mut |_| {}).await.expect("b");
    assert!(rb.server_restored, "B learns it from a pull page");
    assert_eq!(rb.accepted, 0);
    assert_eq!(
        storage.device_seq(id(0xd1)).expect("seq"),
        a.ops().len() as u64
    );
    let end = storage.health().expect("health").last_server_seq;
    for p in [&a, &b] {
        assert_eq!(p.cursor().expect("cursor"), end);
        assert_eq!(p.server_epoch().expect("epoch"), Some(new_epoch));
    }
    assert_eq!(b.states(), a.states());
    let _ = std::fs::remove_dir_all(&dir);
}
