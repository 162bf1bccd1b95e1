//! The county's reference data (settings, monitoring lines): set by the county office (API or
//! `bangfu-server reference`, and by `bangfu-server demo`), read by every signed-in device.

use std::sync::Arc;

use crate::common::*;
use bangfu_core::sync::wire::Reference;
use bangfu_core::{MonitoringLine, Settings};
use bangfu_server::auth::{AccessStorage, NewAccount, Role};
use bangfu_server::{ServerConfig, SqliteStorage, router};
use serde_json::{Value, json};

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&b).expect("json"));
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_county_office_sets_the_reference_and_every_device_reads_it() {
    let storage = Arc::new(SqliteStorage::open_in_memory().expect("storage"));
    let admin = sign_in_admin(&storage, HandDevice::new(1).id);
    storage
        .create_account(
            &NewAccount {
                username: "shuji".into(),
                display_name: "书记".into(),
                role: Role::FirstSecretary,
                person_id: None,
                unit_id: None,
                area_path: Some(VILLAGE.into()),
                password: "password-2".into(),
            },
            "test",
            T0_MS,
        )
        .expect("account");
    let (_, shuji) = storage
        .sign_in(
            "shuji",
            "password-2",
            HandDevice::new(2).id,
            "phone",
            bangfu_server::now_ms(),
            3_600_000,
        )
        .expect("storage")
        .expect("signed in");
    let app = router(storage.clone(), ServerConfig::default());
    let (base, _shutdown) = serve_on_loopback(app).await;
    let client = reqwest::Client::new();
    let get = || {
        call(
            &client,
            reqwest::Method::GET,
            format!("{base}/v1/reference"),
            &shuji,
            None,
        )
    };

    // Nothing set yet: a clear 404.
    let (status, body) = get().await;
    assert_eq!((status, body["code"].as_str()), (404, Some("no_reference")));

    let reference = Reference {
        settings: Settings::with_tracking_start("2025-01-01".parse().expect("date")),
        monitoring_lines: vec![MonitoringLine {
            year: 2025,
            region_code: "360000".into(),
            yuan_per_person: 7_500,
            source: "赣乡振发〔2025〕1号".into(),
        }],
    };
    let body = serde_json::to_value(&reference).expect("json");
    let put = |token: String, body: Value| {
        let client = client.clone();
        let url = format!("{base}/v1/admin/reference");
        async move { call(&client, reqwest::Method::PUT, url, &token, Some(body)).await }
    };
    // Only the county office sets it; bad values are refused with what is wrong; nothing changes.
    assert_eq!(put(shuji.clone(), body.clone()).await.0, 403);
    let mut bad = body.clone();
    bad["monitoring_lines"][0]["yuan_per_person"] = json!(-1);
    let (status, answer) = put(admin.clone(), bad).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (422, Some("invalid_reference")),
        "{answer}"
    );
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .contains("yuan_per_person")
    );
    assert_eq!(get().await.0, 404);

    let (status, _) = put(admin.clone(), body.clone()).await;
    assert_eq!(status, 200);
    let (status, got) = get().await;
    assert_eq!(status, 200);
    let got: Reference = serde_json::from_value(got).expect("a reference");
    assert_eq!(got, reference);
    let log = storage.audit_log(10).expect("audit");
    assert!(log.iter().any(|e| e.action == "reference_set"));
}
