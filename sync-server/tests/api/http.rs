//! HTTP-level tests: the real router on 127.0.0.1:0, driven by reqwest.

use std::io::{Read, Write};
use std::sync::Arc;

use crate::common::*;
use bangfu_core::sync::wire::{Capabilities, ErrorBody, OpStatus, PullResponse, PushResponse};
use bangfu_server::{ServerConfig, SqliteStorage, router};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use serde_json::json;

struct Server {
    base: String,
    client: reqwest::Client,
    token: String,
    /// A cadre's device (field records need a person as author) and its token.
    cadre: HandDevice,
    cadre_token: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start(config: ServerConfig) -> Server {
    let storage = SqliteStorage::open_in_memory().expect("storage");
    let token = sign_in_admin(&storage, HandDevice::new(1).id);
    let mut cadre = HandDevice::new(7);
    let cadre_token = sign_in_cadre(&storage, &mut cadre);
    let app = router(Arc::new(storage), config);
    let (base, tx) = serve_on_loopback(app).await;
    Server {
        base,
        // No connection reuse: a connection the server closed after refusing a body early must
        // not be raced by the next request of the test.
        client: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .pool_max_idle_per_host(0)
            .build()
            .expect("client"),
        token,
        cadre,
        cadre_token,
        _shutdown: tx,
    }
}

impl Server {
    async fn post(&self, body: Vec<u8>, headers: &[(&str, &str)]) -> reqwest::Response {
        self.post_as(&self.token, body, headers).await
    }

    async fn post_as(
        &self,
        token: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}/v1/push", self.base))
            .bearer_auth(token)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("send")
    }

    async fn push_json(&self, body: &serde_json::Value) -> reqwest::Response {
        self.post(
            serde_json::to_vec(body).expect("json"),
            &[("content-type", "application/json")],
        )
        .await
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("send")
    }
}

async fn error_of(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    assert_eq!(
        resp.headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "error bodies are JSON"
    );
    let bytes = resp.bytes().await.expect("body");
    let body: ErrorBody = serde_json::from_slice(&bytes).expect("an ErrorBody");
    assert!(!body.message.is_empty());
    (status, body.code)
}

fn seed_request(households: u128) -> (HandDevice, serde_json::Value) {
    let mut dev = HandDevice::new(1);
    let ops = county_ops(&mut dev, households);
    let req = serde_json::to_value(dev.push(ops)).expect("json");
    (dev, req)
}

#[tokio::test]
async fn a_push_with_one_bad_op_is_200_with_the_bad_one_rejected() {
    let s = start(ServerConfig::default()).await;
    let (_, seed) = seed_request(2);
    let resp = s.push_json(&seed).await;
    assert_eq!(resp.status(), 200);
    let mut dev = s.cadre.clone();
    let good = visit_op(&mut dev, 1, 2);
    let bad = dev.op("spaceship", id(5), true, json!({"name": "x"}), VILLAGE);
    let good2 = visit_op(&mut dev, 2, 2);
    let req = serde_json::to_vec(&dev.push(vec![good, bad, good2])).expect("json");
    let resp = s
        .post_as(&s.cadre_token, req, &[("content-type", "application/json")])
        .await;
    assert_eq!(resp.status(), 200);
    let body: PushResponse =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    let statuses: Vec<_> = body
        .results
        .iter()
        .map(|r| (r.status, r.reason.clone().map(|x| x.code)))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (OpStatus::Accepted, None),
            (OpStatus::Rejected, Some("unknown_entity".into())),
            (OpStatus::Accepted, None)
        ]
    );
    assert_eq!(body.device_seq, dev.seq);
}

#[tokio::test]
async fn malformed_json_is_400_and_wrong_shapes_are_422() {
    let s = start(ServerConfig::default()).await;
    let ct = [("content-type", "application/json")];
    assert_eq!(
        error_of(s.post(b"{\"device_id\": ".to_vec(), &ct).await).await,
        (400, "malformed_json".into())
    );
    assert_eq!(
        error_of(s.post(b"not json".to_vec(), &ct).await).await,
        (400, "malformed_json".into())
    );
    assert_eq!(
        error_of(s.post(Vec::new(), &ct).await).await,
        (400, "malformed_json".into())
    );
    assert_eq!(
        error_of(s.post(vec![0xff, 0xfe, 0x00], &ct).await).await,
        (400, "malformed_json".into())
    );
    // Wrong types, missing fields, unknown fields.
    let (dev, _) = seed_request(1);
    assert_eq!(
        error_of(s.push_json(&json!({"device_id": 12, "ops": []})).await).await,
        (422, "invalid_message".into())
    );
    assert_eq!(
        error_of(s.push_json(&json!({"ops": []})).await).await,
        (422, "invalid_message".into())
    );
    assert_eq!(
        error_of(s.push_json(&json!([1, 2])).await).await,
        (422, "invalid_message".into())
    );
    assert_eq!(
        error_of(
            s.push_json(&json!({"device_id": dev.id, "ops": [], "token": "x"}))
                .await
        )
        .await,
        (422, "invalid_message".into())
    );
    let mut d = dev.clone();
    let mut op = serde_json::to_value(d.op("unit", id(1), true, json!({"name": "x"}), COUNTY))
        .expect("json");
    op["hlc"] = json!("not-an-hlc");
    let resp = s
        .push_json(&json!({"device_id": dev.id, "ops": [op]}))
        .await;
    let status = resp.status().as_u16();
    let body: ErrorBody = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!((status, body.code.as_str()), (422, "invalid_message"));
    assert!(body.message.contains("ops[0].hlc"), "{}", body.message);
    op["hlc"] = json!("0000000000000001");
    op["colour"] = json!("red");
    let resp = s
        .push_json(&json!({"device_id": dev.id, "ops": [op]}))
        .await;
    let body: ErrorBody = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(body.code, "invalid_message");
    assert!(body.message.contains("ops[0].colour"), "{}", body.message);
    // Values never come back in messages.
    let resp = s
        .push_json(&json!({"device_id": "张三的身份证号", "ops": []}))
        .await;
    let body: ErrorBody = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert!(!body.message.contains("张三"), "{}", body.message);
}

#[tokio::test]
async fn content_type_is_required() {
    let s = start(ServerConfig::default()).await;
    let (_, seed) = seed_request(1);
    let body = serde_json::to_vec(&seed).expect("json");
    assert_eq!(
        error_of(s.post(body.clone(), &[]).await).await,
        (415, "unsupported_media_type".into())
    );
    assert_eq!(
        error_of(
            s.post(body.clone(), &[("content-type", "text/plain")])
                .await
        )
        .await,
        (415, "unsupported_media_type".into())
    );
    let ok = s
        .post(body, &[("content-type", "application/json; charset=utf-8")])
        .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn oversized_bodies_and_batches_are_413() {
    let config = ServerConfig {
        max_body_bytes: 64 * 1024,
        max_ops_per_push: 10,
        ..ServerConfig::default()
    };
    let s = start(config).await;
    let ct = ("content-type", "application/json");
    let mut big = b"{\"device_id\": \"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 100 * 1024));
    big.extend(b"\", \"ops\": []}");
    assert_eq!(
        error_of(s.post(big.clone(), &[ct]).await).await,
        (413, "body_too_large".into())
    );
    // Small when compressed, too large once decompressed.
    let zipped = gzip(&big);
    assert!(zipped.len() < 64 * 1024);
    assert_eq!(
        error_of(s.post(zipped, &[ct, ("content-encoding", "gzip")]).await).await,
        (413, "body_too_large".into())
    );
    let (_, seed) = seed_request(3); // 12 operations
    assert_eq!(
        error_of(s.push_json(&seed).await).await,
        (413, "too_many_ops".into())
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

#[tokio::test]
async fn gzip_and_zstd_request_bodies_are_accepted() {
    let s = start(ServerConfig::default()).await;
    let (_, seed) = seed_request(1);
    let mut dev = s.cadre.clone();
    let body = serde_json::to_vec(&seed).expect("json");
    let ct = ("content-type", "application/json");
    let resp = s
        .post(gzip(&body), &[ct, ("content-encoding", "gzip")])
        .await;
    assert_eq!(resp.status(), 200);
    let ops = (0..3).map(|n| visit_op(&mut dev, n, 1)).collect();
    let visits = serde_json::to_vec(&dev.push(ops)).expect("json");
    let zst = zstd::encode_all(&visits[..], 3).expect("zstd");
    let resp = s
        .post_as(&s.cadre_token, zst, &[ct, ("content-encoding", "zstd")])
        .await;
    assert_eq!(resp.status(), 200);
    let body: PushResponse =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(body.results.len(), 1);
    assert_eq!(body.results[0].status, OpStatus::Accepted);
    // Garbage that claims to be compressed, and an unknown encoding.
    assert_eq!(
        error_of(
            s.post(b"not gzip".to_vec(), &[ct, ("content-encoding", "gzip")])
                .await
        )
        .await,
        (400, "bad_encoding".into())
    );
    assert_eq!(
        error_of(
            s.post(b"not zstd".to_vec(), &[ct, ("content-encoding", "zstd")])
                .await
        )
        .await,
        (400, "bad_encoding".into())
    );
    assert_eq!(
        error_of(s.post(visits, &[ct, ("content-encoding", "br")]).await).await,
        (415, "unsupported_encoding".into())
    );
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let s = start(ServerConfig::default()).await;
    let (_, seed) = seed_request(20);
    assert_eq!(s.push_json(&seed).await.status(), 200);
    for encoding in ["gzip", "zstd"] {
        let resp = s
            .client
            .get(format!("{}/v1/pull?after=0&limit=100", s.base))
            .bearer_auth(&s.token)
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()
                .get(CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok()),
            Some(encoding)
        );
        let raw = resp.bytes().await.expect("body");
        let plain = match encoding {
            "gzip" => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_end(&mut out)
                    .expect("gunzip");
                out
            }
            _ => zstd::decode_all(&raw[..]).expect("unzstd"),
        };
        assert!(raw.len() < plain.len());
        let page: PullResponse = serde_json::from_slice(&plain).expect("json");
        assert_eq!(page.entries.len(), 46);
    }
    // Without Accept-Encoding: plain.
    let resp = s.get("/v1/pull").await;
    assert!(resp.headers().get(CONTENT_ENCODING).is_none());
    let page: PullResponse =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(page.cursor, 46);
}

#[tokio::test]
async fn pull_queries_are_checked_and_scoped() {
    let s = start(ServerConfig::default()).await;
    let (dev, seed) = seed_request(4);
    assert_eq!(s.push_json(&seed).await.status(), 200);
    for bad in [
        "after=-1",
        "after=x",
        "limit=0",
        "limit=99999999999",
        "colour=red",
        "scope=",
        "after=1&after=2",
        "exclude_origin=not-a-uuid",
        "exclude_through=3",
        "exclude_origin=00000000-0000-0000-0000-000000000001&exclude_through=x",
    ] {
        assert_eq!(
            error_of(s.get(&format!("/v1/pull?{bad}")).await).await,
            (400, "bad_query".into()),
            "{bad}"
        );
    }
    let resp = s
        .get(&format!("/v1/pull?after=0&limit=3&scope={VILLAGE}"))
        .await;
    assert_eq!(resp.status(), 200);
    let page: PullResponse =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(page.entries.len(), 3);
    assert!(page.has_more);
    assert!(
        page.entries
            .iter()
            .all(|e| e.op.scope_path.starts_with(VILLAGE))
    );
    // The seeding device's own operations are left out when it asks so; the cursor still moves.
    let resp = s
        .get(&format!("/v1/pull?after=0&exclude_origin={}", dev.id))
        .await;
    assert_eq!(resp.status(), 200);
    let page: PullResponse =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert!(page.entries.is_empty());
    assert!(!page.has_more);
    assert_eq!(page.cursor, dev.seq);
    let resp = s
        .get(&format!(
            "/v1/pull?after=0&exclude_origin={}&exclude_through=3",
            dev.id
        ))
        .await;
    let page: PullResponse =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(page.entries.len() as u64, dev.seq - 3);
    assert!(page.entries.iter().all(|e| e.op.origin_seq > 3));
    let other = uuid::Uuid::from_u128(0xfeed);
    let resp = s
        .get(&format!("/v1/pull?after=0&limit=5&exclude_origin={other}"))
        .await;
    let page: PullResponse =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(page.entries.len(), 5);
}

#[tokio::test]
async fn version_health_and_unknown_routes() {
    let s = start(ServerConfig::default()).await;
    let resp = s.get("/v1/version").await;
    assert_eq!(resp.status(), 200);
    let caps: Capabilities =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(caps.protocol, bangfu_core::sync::wire::PROTOCOL_VERSION);
    assert_eq!(caps.encodings, vec!["gzip", "zstd"]);
    assert_eq!(caps.max_ops_per_push, 10_000);
    let resp = s.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    let health: serde_json::Value =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(health["status"], "ok");
    assert_eq!(
        error_of(s.get("/v2/push").await).await,
        (404, "not_found".into())
    );
    assert_eq!(error_of(s.get("/").await).await, (404, "not_found".into()));
    assert_eq!(
        error_of(s.get("/v1/push").await).await,
        (405, "method_not_allowed".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pushes_and_pulls_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = SqliteStorage::open(dir.path().join("server.db")).expect("storage");
    // Device 1 the county office's (the seed); 2–5 cadres' (visits need a person).
    let tokens: Vec<String> = (1..6_u128)
        .map(|d| match d {
            1 => sign_in_admin(&storage, HandDevice::new(d).id),
            _ => sign_in_cadre(&storage, &mut HandDevice::new(d)),
        })
        .collect();
    let app = router(Arc::new(storage), ServerConfig::default());
    let (base, _shutdown) = serve_on_loopback(app).await;
    let client = reqwest::Client::new();
    // The seed (6 + 2 × 8 operations), then 4 devices × 3 batches × 300 visits.
    const TOTAL: usize = 22 + 4 * 900;
    let (_, seed) = seed_request(8);
    let resp = client
        .post(format!("{base}/v1/push"))
        .bearer_auth(&tokens[0])
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&seed).expect("json"))
        .send()
        .await
        .expect("seed");
    assert_eq!(resp.status(), 200);
    let mut tasks = Vec::new();
    for d in 2..6_u128 {
        let (client, base) = (client.clone(), base.clone());
        let token = tokens[(d - 1) as usize].clone();
        tasks.push(tokio::spawn(async move {
            let mut dev = HandDevice::new(d);
            dev.author = id(CADRE_ID);
            for batch in 0..3_u128 {
                let ops = (0..300)
                    .map(|n| visit_op(&mut dev, d * 10_000 + batch * 1_000 + n, 8))
                    .collect();
                let resp = client
                    .post(format!("{base}/v1/push"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(serde_json::to_vec(&dev.push(ops)).expect("json"))
                    .send()
                    .await
                    .expect("push");
                assert_eq!(resp.status(), 200);
                let body: PushResponse =
                    serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
                assert_eq!(body.device_seq, dev.seq);
                assert!(body.results.iter().all(|r| r.status == OpStatus::Accepted));
            }
        }));
    }
    // Pull while they push: the feed only ever grows, with no gaps.
    let mut cursor = 0;
    let mut seen = Vec::new();
    for _ in 0..200 {
        let resp = client
            .get(format!("{base}/v1/pull?after={cursor}&limit=500"))
            .bearer_auth(&tokens[0])
            .send()
            .await
            .expect("pull");
        assert_eq!(resp.status(), 200);
        let page: PullResponse =
            serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
        seen.extend(page.entries.iter().map(|e| e.server_seq));
        cursor = page.cursor;
        if seen.len() == TOTAL {
            break;
        }
        if !page.has_more {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    for t in tasks {
        t.await.expect("task");
    }
    let resp = client
        .get(format!("{base}/v1/pull?after={cursor}&limit=10000"))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .expect("pull");
    let page: PullResponse =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    seen.extend(page.entries.iter().map(|e| e.server_seq));
    assert_eq!(seen.len(), TOTAL, "every operation once");
    assert!(
        seen.iter().enumerate().all(|(i, s)| *s == i as u64 + 1),
        "in order, no gaps"
    );
}
