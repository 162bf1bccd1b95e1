//! Test fixtures: a tiny county (areas, a unit, a cadre, households, pairings) as operations of
//! one device, and visits to push, made by hand with `bangfu_testkit::HandDevice`.
#![allow(dead_code)]

use bangfu_core::sync::op::Operation;
use serde_json::{Value, json};
use uuid::Uuid;

// Not every test binary that includes this module uses each of these.
#[allow(unused_imports)]
pub use bangfu_testkit::{Clock, HandDevice, T0_MS};
pub const COUNTY: &str = "360722";
pub const TOWNSHIP: &str = "360722/360722100";
pub const VILLAGE: &str = "360722/360722100/360722100201";
pub const VILLAGE2: &str = "360722/360722100/360722100202";

pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub const COUNTY_ID: u128 = 1;
pub const TOWNSHIP_ID: u128 = 2;
pub const VILLAGE_ID: u128 = 3;
pub const VILLAGE2_ID: u128 = 4;
pub const UNIT_ID: u128 = 10;
pub const CADRE_ID: u128 = 20;
/// Households are `HOUSEHOLD_BASE + i`, pairings `PAIRING_BASE + i`.
pub const HOUSEHOLD_BASE: u128 = 1_000;
pub const PAIRING_BASE: u128 = 100_000;

pub fn household_scope(i: u128) -> String {
    let village = if i.is_multiple_of(2) {
        VILLAGE
    } else {
        VILLAGE2
    };
    format!("{village}/h:{}", id(HOUSEHOLD_BASE + i))
}

/// Areas, a unit, a cadre and `households` households (alternately in two villages), each paired
/// with the cadre: valid creations in dependency order.
pub fn county_ops(dev: &mut HandDevice, households: u128) -> Vec<Operation> {
    let mut ops = vec![
        dev.op("area", id(COUNTY_ID), true, json!({"code": "360722", "name": "信丰县", "level": "county"}), COUNTY),
        dev.op(
            "area",
            id(TOWNSHIP_ID),
            true,
            json!({"code": "360722100", "name": "嘉定镇", "level": "township", "parent_id": id(COUNTY_ID)}),
            TOWNSHIP,
        ),
        dev.op(
            "area",
            id(VILLAGE_ID),
            true,
            json!({"code": "360722100201", "name": "水东村", "level": "village", "parent_id": id(TOWNSHIP_ID)}),
            VILLAGE,
        ),
        dev.op(
            "area",
            id(VILLAGE2_ID),
            true,
            json!({"code": "360722100202", "name": "龙舌村", "level": "village", "parent_id": id(TOWNSHIP_ID)}),
            VILLAGE2,
        ),
        dev.op("unit", id(UNIT_ID), true, json!({"name": "县财政局"}), COUNTY),
        dev.op(
            "person",
            id(CADRE_ID),
            true,
            json!({"name": "张三", "unit_id": id(UNIT_ID), "roles": [{"role": "cadre", "from": "2024-01-01"}]}),
            COUNTY,
        ),
    ];
    for i in 0..households {
        ops.push(dev.op(
            "household",
            id(HOUSEHOLD_BASE + i),
            true,
            household(i),
            &household_scope(i),
        ));
        ops.push(dev.op(
            "pairing",
            id(PAIRING_BASE + i),
            true,
            json!({"household_id": id(HOUSEHOLD_BASE + i), "cadre_id": id(CADRE_ID), "start": "2024-01-01"}),
            &household_scope(i),
        ));
    }
    ops
}

pub fn household(i: u128) -> Value {
    let village = if i.is_multiple_of(2) {
        VILLAGE_ID
    } else {
        VILLAGE2_ID
    };
    json!({
        "village_id": id(village),
        "head_name": format!("户主{i}"),
        "class_history": [{"from": "2024-01-01", "class": "lifted"}],
        "risks": []
    })
}

/// A visit of household `i` (about 700 bytes as an operation).
pub fn visit(i: u128) -> Value {
    json!({
        "household_id": id(HOUSEHOLD_BASE + i),
        "visitor_id": id(CADRE_ID),
        "visited_at": "2024-05-01T10:00:00+08:00",
        "checks": {
            "education": {"status": "ok"},
            "medical": {"status": "ok"},
            "housing": {"status": "risk", "note": "屋顶漏雨"},
            "water": {"status": "ok"}
        },
        "policy_talk": ["防返贫监测"],
        "problems": "老人患慢性病",
        "measures": "办理慢性病卡",
    })
}

pub const VISIT_BASE: u128 = 10_000_000;

pub fn visit_op(dev: &mut HandDevice, n: u128, households: u128) -> Operation {
    let h = n % households;
    dev.op(
        "visit",
        id(VISIT_BASE + n),
        true,
        visit(h),
        &household_scope(h),
    )
}

/// The password of the test accounts.
pub const TEST_PASSWORD: &str = "test-password-1";

/// Signs `device` in as the county office account `admin` (created on first use); its token.
pub fn sign_in_admin(storage: &bangfu_server::SqliteStorage, device: Uuid) -> String {
    bangfu_server::auth::county_token(
        storage,
        "admin",
        TEST_PASSWORD,
        device,
        bangfu_server::now_ms(),
    )
    .expect("signed in")
}

/// Signs `device` in as the cadre account `cadre` (created on first use): the person `CADRE_ID`,
/// paired with every household of [`county_ops`]. Field records (visits, contacts, income …) are
/// authored by a person, so tests push them with this account; its operations carry the cadre as
/// author from now on.
pub fn sign_in_cadre(storage: &bangfu_server::SqliteStorage, device: &mut HandDevice) -> String {
    use bangfu_server::auth::{AccessStorage, AccountError, NewAccount, Role};
    device.author = id(CADRE_ID);
    let new = NewAccount {
        username: "cadre".into(),
        display_name: "刘建国".into(),
        role: Role::Cadre,
        person_id: Some(id(CADRE_ID)),
        unit_id: None,
        area_path: None,
        password: TEST_PASSWORD.into(),
    };
    match storage.create_account(&new, "test", bangfu_server::now_ms()) {
        Ok(_) | Err(AccountError::Exists) => {}
        Err(e) => panic!("cannot create the cadre account: {e}"),
    }
    let (_, token) = storage
        .sign_in(
            "cadre",
            TEST_PASSWORD,
            device.id,
            "test",
            bangfu_server::now_ms(),
            bangfu_server::auth::DEFAULT_TOKEN_TTL_MS,
        )
        .expect("storage")
        .expect("signed in");
    token
}
pub mod api;
pub mod binary;

/// Serves `app` on a free loopback port until the returned sender is dropped; its base URL.
pub async fn serve_on_loopback(app: axum::Router) -> (String, tokio::sync::oneshot::Sender<()>) {
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
    (format!("http://{addr}"), tx)
}
