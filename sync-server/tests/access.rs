//! The authorization matrix over HTTP: every role × read/write × its own scope / a neighbour's,
//! plus a cadre writing for a household she is not paired with, a revoked device, a disabled
//! account, an expired, a forged and a missing token, throttled sign-ins. A denied cell answers
//! 401/403 and writes nothing; an allowed cell works.

mod common;

use std::sync::Arc;

use bangfu_core::sync::op::Operation;
use bangfu_core::sync::wire::{ErrorBody, OpStatus, PullResponse, PushResponse};
use bangfu_server::auth::{AccessStorage, Role, county_token};
use bangfu_server::{ServerConfig, SqliteStorage, SyncStorage, router};
use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

const TOWNSHIP2: &str = "360722/360722101";
const VILLAGE3: &str = "360722/360722101/360722101201";
const TOWNSHIP2_ID: u128 = 5;
const VILLAGE3_ID: u128 = 6;
const UNIT2_ID: u128 = 11;
const CADRE2_ID: u128 = 21;
const PASSWORD: &str = "correct-horse-1";

/// Households: 0..4 as in `county_ops` (0, 2 in VILLAGE; 1, 3 in VILLAGE2; all paired with
/// cadre 20 of unit 10); 4 in VILLAGE and 5 in VILLAGE3 (another township), paired with cadre 21
/// of unit 11.
fn seed(dev: &mut Device) -> Vec<Operation> {
    let mut ops = county_ops(dev, 4);
    ops.push(dev.op(
        "area",
        id(TOWNSHIP2_ID),
        true,
        json!({"code": "360722101", "name": "大塘埠镇", "level": "township", "parent_id": id(COUNTY_ID)}),
        TOWNSHIP2,
    ));
    ops.push(dev.op(
        "area",
        id(VILLAGE3_ID),
        true,
        json!({"code": "360722101201", "name": "东村", "level": "village", "parent_id": id(TOWNSHIP2_ID)}),
        VILLAGE3,
    ));
    ops.push(dev.op(
        "unit",
        id(UNIT2_ID),
        true,
        json!({"name": "县教育局"}),
        COUNTY,
    ));
    ops.push(dev.op(
        "person",
        id(CADRE2_ID),
        true,
        json!({"name": "李四", "unit_id": id(UNIT2_ID), "roles": [{"role": "cadre", "from": "2024-01-01"}]}),
        COUNTY,
    ));
    for (i, village, path) in [(4u128, VILLAGE_ID, VILLAGE), (5, VILLAGE3_ID, VILLAGE3)] {
        let scope = format!("{path}/h:{}", id(HOUSEHOLD_BASE + i));
        ops.push(dev.op(
            "household",
            id(HOUSEHOLD_BASE + i),
            true,
            json!({"village_id": id(village), "head_name": format!("户主{i}"),
                   "class_history": [{"from": "2024-01-01", "class": "lifted"}], "risks": []}),
            &scope,
        ));
        ops.push(dev.op(
            "pairing",
            id(PAIRING_BASE + i),
            true,
            json!({"household_id": id(HOUSEHOLD_BASE + i), "cadre_id": id(CADRE2_ID), "start": "2024-01-01"}),
            &scope,
        ));
    }
    ops
}

fn path_of(h: u128) -> String {
    let village = match h {
        0 | 2 | 4 => VILLAGE,
        1 | 3 => VILLAGE2,
        _ => VILLAGE3,
    };
    format!("{village}/h:{}", id(HOUSEHOLD_BASE + h))
}

/// A visit of household `h` by cadre `visitor`.
fn visit_of(dev: &mut Device, n: u128, h: u128, visitor: u128) -> Operation {
    let mut fields = visit(0);
    fields["household_id"] = json!(id(HOUSEHOLD_BASE + h));
    fields["visitor_id"] = json!(id(visitor));
    dev.op("visit", id(VISIT_BASE + n), true, fields, &path_of(h))
}

async fn json_of(resp: reqwest::Response) -> Value {
    let bytes = resp.bytes().await.expect("body");
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(&bytes).expect("a JSON answer")
}

struct Api {
    base: String,
    client: reqwest::Client,
    storage: Arc<SqliteStorage>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Api {
    async fn start() -> Api {
        let storage = Arc::new(SqliteStorage::open_in_memory().expect("storage"));
        let mut admin_dev = Device::new(1);
        let token = county_token(
            &*storage,
            "admin",
            PASSWORD,
            admin_dev.id,
            bangfu_server::now_ms(),
        )
        .expect("admin");
        let app = router(storage.clone(), ServerConfig::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        let api = Api {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            storage,
            _shutdown: tx,
        };
        let ops = seed(&mut admin_dev);
        let n = ops.len();
        let resp = api.push(&token, &admin_dev, ops).await;
        assert_eq!(resp.0, 200, "{:?}", resp.1);
        assert_eq!(
            api.storage.health().expect("health").last_server_seq,
            n as u64
        );
        api
    }

    async fn push(&self, token: &str, dev: &Device, ops: Vec<Operation>) -> (u16, Value) {
        let resp = self
            .client
            .post(format!("{}/v1/push", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&dev.push(ops)).expect("json"))
            .send()
            .await
            .expect("push");
        let status = resp.status().as_u16();
        (status, json_of(resp).await)
    }

    async fn get(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("get");
        let status = resp.status().as_u16();
        (status, json_of(resp).await)
    }

    async fn post(&self, token: Option<&str>, path: &str, body: Value) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).expect("json"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("post");
        let status = resp.status().as_u16();
        (status, json_of(resp).await)
    }

    /// Creates an account through the admin API and signs `device` in over HTTP.
    async fn account(&self, admin: &str, new: Value, device: Uuid) -> String {
        let (status, body) = self
            .post(Some(admin), "/v1/admin/accounts", new.clone())
            .await;
        assert_eq!(status, 201, "{body}");
        self.sign_in(new["username"].as_str().expect("name"), PASSWORD, device)
            .await
            .expect("signed in")
    }

    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        device: Uuid,
    ) -> Result<String, (u16, String)> {
        let (status, body) = self
            .post(
                None,
                "/v1/auth/signin",
                json!({"username": username, "password": password, "device_id": device, "device_name": "测试机"}),
            )
            .await;
        if status == 200 {
            Ok(body["device_token"].as_str().expect("token").to_owned())
        } else {
            let e: ErrorBody = serde_json::from_value(body).expect("error body");
            Err((status, e.code))
        }
    }

    /// Every `scope_path` of the device's whole feed.
    async fn feed_paths(&self, token: &str) -> Vec<String> {
        let (status, body) = self.get(Some(token), "/v1/pull?after=0&limit=10000").await;
        assert_eq!(status, 200, "{body}");
        let page: PullResponse = serde_json::from_value(body).expect("page");
        page.entries
            .iter()
            .map(|e| e.op.scope_path.clone())
            .collect()
    }

    fn ops(&self) -> u64 {
        self.storage.health().expect("health").last_server_seq
    }
}

fn role_account(role: Role, username: &str) -> Value {
    let mut v =
        json!({"username": username, "display_name": "测试", "role": role, "password": PASSWORD});
    match role {
        Role::Cadre => v["person_id"] = json!(id(CADRE_ID)),
        Role::UnitAdmin => v["unit_id"] = json!(id(UNIT_ID)),
        Role::FirstSecretary | Role::TeamMember => v["area_path"] = json!(VILLAGE),
        Role::TownshipStation => v["area_path"] = json!(TOWNSHIP),
        Role::CountyOffice => v["area_path"] = json!(COUNTY),
    }
    v
}

/// (own household, a neighbour's household) of each role; the county office has no neighbour on
/// its own server.
fn own_and_neighbour(role: Role) -> (u128, Option<u128>) {
    match role {
        Role::Cadre | Role::UnitAdmin => (0, Some(4)),
        Role::FirstSecretary | Role::TeamMember => (0, Some(1)),
        Role::TownshipStation => (1, Some(5)),
        Role::CountyOffice => (5, None),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_reads_and_writes_its_scope_and_nothing_else() {
    let api = Api::start().await;
    let admin = county_token(
        &*api.storage,
        "admin",
        PASSWORD,
        Device::new(1).id,
        bangfu_server::now_ms(),
    )
    .expect("admin");
    let mut visit_n = 0u128;
    for (k, role) in Role::ALL.into_iter().enumerate() {
        let mut dev = Device::new(100 + k as u128);
        // A cadre's operations must carry her own person id as author.
        if role == Role::Cadre {
            dev.author = id(CADRE_ID);
        }
        let token = api
            .account(&admin, role_account(role, &format!("user-{role}")), dev.id)
            .await;
        let (own, neighbour) = own_and_neighbour(role);

        // Write in the own scope: accepted.
        visit_n += 1;
        let op = visit_of(&mut dev, visit_n, own, CADRE_ID);
        let (status, body) = api.push(&token, &dev, vec![op]).await;
        assert_eq!(status, 200, "{role} writes its own household: {body}");
        let resp: PushResponse = serde_json::from_value(body).expect("push response");
        assert_eq!(resp.results[0].status, OpStatus::Accepted, "{role}");

        // Read the own scope: the household's records (and the visit just written) are there.
        let paths = api.feed_paths(&token).await;
        assert!(
            paths.contains(&path_of(own)),
            "{role} reads its own household"
        );
        assert!(
            paths.iter().any(|p| p == COUNTY),
            "{role} reads the county's shared records"
        );

        if let Some(nb) = neighbour {
            // Read a neighbour's scope: not in the feed, and asking for it is 403.
            assert!(
                !paths.contains(&path_of(nb)),
                "{role} must not read household {nb}"
            );
            let (status, body) = api
                .get(
                    Some(&token),
                    &format!("/v1/pull?after=0&scope={}", path_of(nb)),
                )
                .await;
            assert_eq!(
                (status, body["code"].as_str()),
                (403, Some("forbidden_scope")),
                "{role}"
            );

            // Write in a neighbour's scope: 403, nothing written.
            let before = api.ops();
            visit_n += 1;
            let op = visit_of(&mut dev, visit_n, nb, CADRE2_ID);
            let (status, body) = api.push(&token, &dev, vec![op]).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (403, Some("forbidden_scope")),
                "{role}: {body}"
            );
            assert_eq!(api.ops(), before, "{role}: nothing written");
            // The device's sequence did not move either: the refused operation is its to fix.
            dev.seq -= 1;
        } else {
            assert!(paths.contains(&path_of(5)) && paths.contains(&path_of(1)));
        }

        // Administration is the county office's alone.
        let (status, _) = api.get(Some(&token), "/v1/admin/accounts").await;
        assert_eq!(
            status,
            if role == Role::CountyOffice { 200 } else { 403 },
            "{role}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cadre_cannot_write_for_an_unpaired_household_by_any_path() {
    let api = Api::start().await;
    let admin = county_token(
        &*api.storage,
        "admin",
        PASSWORD,
        Device::new(1).id,
        bangfu_server::now_ms(),
    )
    .expect("admin");
    let mut dev = Device::new(200);
    dev.author = id(CADRE_ID);
    let token = api
        .account(&admin, role_account(Role::Cadre, "zhangsan"), dev.id)
        .await;
    let before = api.ops();

    // Household 4 is cadre 21's: claiming her own household's path does not help — the visit
    // names household 4, whose stored path is out of scope.
    let mut fields = visit(0);
    fields["household_id"] = json!(id(HOUSEHOLD_BASE + 4));
    let forged = dev.op("visit", id(VISIT_BASE + 900), true, fields, &path_of(0));
    let (status, body) = api.push(&token, &dev, vec![forged]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden_scope")),
        "{body}"
    );

    // Editing household 4 itself under a false path: its stored path decides.
    dev.seq = 0;
    let edit = dev.op(
        "household",
        id(HOUSEHOLD_BASE + 4),
        false,
        json!({"head_name": "改"}),
        &path_of(0),
    );
    let (status, _) = api.push(&token, &dev, vec![edit]).await;
    assert_eq!(status, 403);

    // One bad operation in a batch refuses the batch: the good one is not half-applied.
    dev.seq = 0;
    let good = visit_of(&mut dev, 901, 0, CADRE_ID);
    let bad = visit_of(&mut dev, 902, 4, CADRE2_ID);
    let (status, body) = api.push(&token, &dev, vec![good, bad]).await;
    assert_eq!(status, 403);
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .starts_with("ops[1]"),
        "{body}"
    );

    // Another author than the signed-in cadre, another device than the token's.
    dev.seq = 0;
    let mut other = visit_of(&mut dev, 903, 0, CADRE_ID);
    other.author = id(CADRE2_ID);
    let (status, _) = api.push(&token, &dev, vec![other]).await;
    assert_eq!(status, 403);
    let mut stranger = Device::new(201);
    stranger.author = id(CADRE_ID);
    let op = visit_of(&mut stranger, 904, 0, CADRE_ID);
    let (status, body) = api.push(&token, &stranger, vec![op]).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("wrong_device")));
    assert_eq!(api.ops(), before, "nothing written by any refused push");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_disabled_expired_forged_and_missing_tokens_are_refused() {
    let api = Api::start().await;
    let admin = county_token(
        &*api.storage,
        "admin",
        PASSWORD,
        Device::new(1).id,
        bangfu_server::now_ms(),
    )
    .expect("admin");
    let mut dev = Device::new(300);
    let token = api
        .account(&admin, role_account(Role::FirstSecretary, "wangwu"), dev.id)
        .await;
    let op = visit_of(&mut dev, 1000, 0, CADRE_ID);
    assert_eq!(api.push(&token, &dev, vec![op.clone()]).await.0, 200);
    let before = api.ops();

    // No token, a forged one, one of the right shape but unknown.
    assert_eq!(api.get(None, "/v1/pull").await.0, 401);
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    let (status, body) = api.get(Some(&forged), "/v1/pull").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth_bad_token"))
    );
    assert_eq!(api.get(Some("Bearer nonsense"), "/v1/me").await.0, 401);

    // Revoked: 403 for that device, other devices of the account still work.
    let other = Device::new(301);
    let other_token = api
        .sign_in("wangwu", PASSWORD, other.id)
        .await
        .expect("second device");
    let (status, _) = api
        .post(
            Some(&admin),
            &format!("/v1/admin/devices/{}/revoke", dev.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    let op2 = visit_of(&mut dev, 1001, 0, CADRE_ID);
    let (status, body) = api.push(&token, &dev, vec![op2]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth_device_revoked"))
    );
    assert_eq!(api.get(Some(&other_token), "/v1/me").await.0, 200);

    // Disabled: every device of the account is refused, and it cannot sign in.
    let (status, _) = api
        .post(Some(&admin), "/v1/admin/accounts/wangwu/disable", json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = api.get(Some(&other_token), "/v1/pull").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth_disabled"))
    );
    assert_eq!(
        api.sign_in("wangwu", PASSWORD, Device::new(302).id).await,
        Err((403, "auth_disabled".into()))
    );

    // Expired: a token issued with a lifetime already over.
    let dev4 = Device::new(303);
    let (_, expired) = api
        .storage
        .sign_in(
            "admin",
            PASSWORD,
            dev4.id,
            "old",
            bangfu_server::now_ms() - 10_000,
            1,
        )
        .expect("storage")
        .expect("signed in");
    let (status, body) = api.get(Some(&expired), "/v1/pull").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth_token_expired"))
    );
    assert_eq!(api.ops(), before, "nothing written by refused requests");

    // Every administrative act is in the audit log, without tokens.
    let log = api.storage.audit_log(100).expect("audit");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "account_create",
        "signin",
        "device_revoke",
        "account_disable",
        "push",
    ] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
    let text = format!("{log:?}");
    assert!(!text.contains(&token) && !text.contains(&other_token) && !text.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_bad_sign_ins_are_slowed_down() {
    let api = Api::start().await;
    let admin = county_token(
        &*api.storage,
        "admin",
        PASSWORD,
        Device::new(1).id,
        bangfu_server::now_ms(),
    )
    .expect("admin");
    let (status, _) = api
        .post(
            Some(&admin),
            "/v1/admin/accounts",
            role_account(Role::TeamMember, "zhaoliu"),
        )
        .await;
    assert_eq!(status, 201);
    let device = Device::new(400).id;
    for _ in 0..5 {
        assert_eq!(
            api.sign_in("zhaoliu", "wrong-password", device).await,
            Err((401, "auth_bad_credentials".into()))
        );
    }
    // The sixth attempt must wait, even with the right password.
    assert_eq!(
        api.sign_in("zhaoliu", PASSWORD, device).await,
        Err((429, "auth_slow_down".into()))
    );
    // An unknown name looks the same as a wrong password.
    assert_eq!(
        api.sign_in("nobody", PASSWORD, device).await,
        Err((401, "auth_bad_credentials".into()))
    );
    // Bad account data is refused with what to fix; a taken name is a conflict.
    let mut bad = role_account(Role::Cadre, "x");
    bad["person_id"] = Value::Null;
    let (status, body) = api.post(Some(&admin), "/v1/admin/accounts", bad).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_account"))
    );
    let (status, body) = api
        .post(
            Some(&admin),
            "/v1/admin/accounts",
            role_account(Role::TeamMember, "zhaoliu"),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("account_exists"))
    );
    assert!(api.storage.accounts().expect("accounts").len() == 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_routes_need_a_device_token() {
    use bangfu_blobs::store::DiskBlobStore;
    use bangfu_blobs::upload::{UploadConfig, UploadService};
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Arc::new(SqliteStorage::open_in_memory().expect("storage"));
    let token = county_token(
        &*storage,
        "admin",
        PASSWORD,
        Device::new(1).id,
        bangfu_server::now_ms(),
    )
    .expect("admin");
    let blobs = Arc::new(DiskBlobStore::open(dir.path().join("blobs")).expect("blobs"));
    let photos = Arc::new(
        UploadService::new(blobs, dir.path().join("staging"), UploadConfig::default())
            .expect("photos"),
    );
    let app = bangfu_server::router_with_photos(storage, ServerConfig::default(), photos);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = reqwest::Client::new();
    let sha = "ab".repeat(32);
    let url = format!("{base}/v1/photos/{sha}");
    let anon = client.head(&url).send().await.expect("head");
    assert_eq!(anon.status(), 401);
    let forged = client
        .head(&url)
        .bearer_auth("bft1.x.y")
        .send()
        .await
        .expect("head");
    assert_eq!(forged.status(), 401);
    let ok = client
        .head(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("head");
    assert_eq!(ok.status(), 404, "not stored yet, resume at 0");
    assert_eq!(
        ok.headers()
            .get("upload-offset")
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
}
