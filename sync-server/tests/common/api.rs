//! An HTTP test harness with accounts: the real router on 127.0.0.1:0 over an in-memory
//! database seeded with two townships, three villages, two units, their cadres, a first
//! secretary and a team member, and six households; helpers to create role accounts and push,
//! pull and sign in over HTTP.

use std::sync::Arc;

use bangfu_core::sync::op::Operation;
use bangfu_core::sync::wire::{ErrorBody, PullResponse};
use bangfu_server::auth::Role;
use bangfu_server::{ServerConfig, SqliteStorage, SyncStorage, router};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;

pub const TOWNSHIP2: &str = "360722/360722101";
pub const VILLAGE3: &str = "360722/360722101/360722101201";
pub const TOWNSHIP2_ID: u128 = 5;
pub const VILLAGE3_ID: u128 = 6;
pub const UNIT2_ID: u128 = 11;
pub const CADRE2_ID: u128 = 21;
/// The password of every test account.
pub const PASSWORD: &str = super::TEST_PASSWORD;
/// The first secretary and the team member of VILLAGE.
pub const SECRETARY_ID: u128 = 30;
pub const TEAM_MEMBER_ID: u128 = 31;

/// Households: 0..4 as in `county_ops` (0, 2 in VILLAGE; 1, 3 in VILLAGE2; all paired with
/// cadre 20 of unit 10); 4 in VILLAGE and 5 in VILLAGE3 (another township), paired with cadre 21
/// of unit 11.
pub fn seed(dev: &mut HandDevice) -> Vec<Operation> {
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
    for (person, role) in [
        (SECRETARY_ID, "first_secretary"),
        (TEAM_MEMBER_ID, "team_member"),
    ] {
        ops.push(dev.op(
            "person",
            id(person),
            true,
            json!({"name": "驻村干部", "roles": [{"role": role, "area_id": id(VILLAGE_ID), "from": "2024-01-01"}]}),
            COUNTY,
        ));
    }
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

pub fn path_of(h: u128) -> String {
    let village = match h {
        0 | 2 | 4 => VILLAGE,
        1 | 3 => VILLAGE2,
        _ => VILLAGE3,
    };
    format!("{village}/h:{}", id(HOUSEHOLD_BASE + h))
}

/// A visit of household `h` by cadre `visitor`.
pub fn visit_of(dev: &mut HandDevice, n: u128, h: u128, visitor: u128) -> Operation {
    let mut fields = visit(0);
    fields["household_id"] = json!(id(HOUSEHOLD_BASE + h));
    fields["visitor_id"] = json!(id(visitor));
    dev.op("visit", id(VISIT_BASE + n), true, fields, &path_of(h))
}

/// `POST /v1/push` of `dev`'s `ops` to the server at `base` as `token`'s device: the status and
/// the JSON answer.
pub async fn push_ops(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    dev: &HandDevice,
    ops: Vec<Operation>,
) -> (u16, Value) {
    let resp = client
        .post(format!("{base}/v1/push"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&dev.push(ops)).expect("json"))
        .send()
        .await
        .expect("push");
    let status = resp.status().as_u16();
    (status, json_of(resp).await)
}

pub async fn json_of(resp: reqwest::Response) -> Value {
    let bytes = resp.bytes().await.expect("body");
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(&bytes).expect("a JSON answer")
}

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub storage: Arc<SqliteStorage>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Api {
    pub async fn start() -> Api {
        let storage = Arc::new(SqliteStorage::open_in_memory().expect("storage"));
        let mut admin_dev = HandDevice::new(1);
        let token = sign_in_admin(&storage, admin_dev.id);
        let app = router(storage.clone(), ServerConfig::default());
        let (base, tx) = serve_on_loopback(app).await;
        let api = Api {
            base,
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

    pub async fn push(&self, token: &str, dev: &HandDevice, ops: Vec<Operation>) -> (u16, Value) {
        push_ops(&self.client, &self.base, token, dev, ops).await
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("get");
        let status = resp.status().as_u16();
        (status, json_of(resp).await)
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: Value) -> (u16, Value) {
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
    pub async fn account(&self, admin: &str, new: Value, device: Uuid) -> String {
        let (status, body) = self
            .post(Some(admin), "/v1/admin/accounts", new.clone())
            .await;
        assert_eq!(status, 201, "{body}");
        self.sign_in(new["username"].as_str().expect("name"), PASSWORD, device)
            .await
            .expect("signed in")
    }

    pub async fn sign_in(
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
    pub async fn feed_paths(&self, token: &str) -> Vec<String> {
        let (status, body) = self.get(Some(token), "/v1/pull?after=0&limit=10000").await;
        assert_eq!(status, 200, "{body}");
        let page: PullResponse = serde_json::from_value(body).expect("page");
        page.entries
            .iter()
            .map(|e| e.op.scope_path.clone())
            .collect()
    }

    /// The county office's token (the account `admin`, created on first use).
    pub fn admin(&self) -> String {
        sign_in_admin(&self.storage, HandDevice::new(1).id)
    }

    pub fn ops(&self) -> u64 {
        self.storage.health().expect("health").last_server_seq
    }
}

pub fn role_account(role: Role, username: &str) -> Value {
    let mut v =
        json!({"username": username, "display_name": "测试", "role": role, "password": PASSWORD});
    match role {
        Role::Cadre => v["person_id"] = json!(id(CADRE_ID)),
        Role::UnitAdmin => v["unit_id"] = json!(id(UNIT_ID)),
        Role::FirstSecretary => {
            v["area_path"] = json!(VILLAGE);
            v["person_id"] = json!(id(SECRETARY_ID));
        }
        Role::TeamMember => {
            v["area_path"] = json!(VILLAGE);
            v["person_id"] = json!(id(TEAM_MEMBER_ID));
        }
        Role::TownshipStation => v["area_path"] = json!(TOWNSHIP),
        Role::CountyOffice => v["area_path"] = json!(COUNTY),
    }
    v
}

/// (own household, a neighbour's household) of each role; the county office has no neighbour on
/// its own server.
pub fn own_and_neighbour(role: Role) -> (u128, Option<u128>) {
    match role {
        Role::Cadre | Role::UnitAdmin => (0, Some(4)),
        Role::FirstSecretary | Role::TeamMember => (0, Some(1)),
        Role::TownshipStation => (1, Some(5)),
        Role::CountyOffice => (5, None),
    }
}
