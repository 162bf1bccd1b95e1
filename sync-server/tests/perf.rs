//! Throughput check (release, ignored by default):
//! `cargo test --release -p bangfu-server --test perf -- --ignored --nocapture`.
//! Pushes 100,000 visit operations (~700 bytes each) in batches of 5,000 through the storage
//! trait into a database file, then pulls them all back in pages of 10,000.

mod common;
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use bangfu_server::{Actor, PullQuery, SqliteStorage, SyncStorage};
use common::*;

const OPS: u128 = 100_000;
const BATCH: usize = 5_000;
const HOUSEHOLDS: u128 = 2_000;

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn push_and_pull_100k_visits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStorage::open(dir.path().join("perf.db")).expect("open");
    let mut dev = HandDevice::new(1);
    let seed = county_ops(&mut dev, HOUSEHOLDS);
    store
        .push(dev.push(seed), &Actor::local(T0_MS))
        .expect("seed");
    let visits: Vec<_> = (0..OPS)
        .map(|n| visit_op(&mut dev, n, HOUSEHOLDS))
        .collect();
    let bytes = serde_json::to_vec(&visits[0]).expect("json").len();
    let batches: Vec<Vec<u8>> = visits
        .chunks(BATCH)
        .map(|c| serde_json::to_vec(&dev.push(c.to_vec())).expect("json"))
        .collect();
    drop(visits);

    let t = Instant::now();
    let mut parse = std::time::Duration::ZERO;
    for body in &batches {
        let p = Instant::now();
        let req = serde_json::from_slice(body).expect("parse");
        parse += p.elapsed();
        let resp = store.push(req, &Actor::local(T0_MS)).expect("push");
        assert!(
            resp.results.len() == 1,
            "all accepted: {:?}",
            &resp.results[..1]
        );
    }
    let push = t.elapsed();
    println!(
        "push: {OPS} ops of {bytes} bytes in {:.2} s = {:.0} ops/s (of which JSON parsing {:.2} s)",
        push.as_secs_f64(),
        OPS as f64 / push.as_secs_f64(),
        parse.as_secs_f64()
    );

    let t = Instant::now();
    let mut cursor = 0;
    let mut n = 0;
    let mut size = 0;
    loop {
        let json = store
            .pull_json(&PullQuery::new(cursor, 10_000, T0_MS))
            .expect("pull");
        size += json.len();
        let page: bangfu_core::sync::wire::PullResponse =
            serde_json::from_slice(&json).expect("json");
        n += page.entries.len();
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    let pull = t.elapsed();
    println!(
        "pull (JSON spliced, parsed by the test): {n} ops, {} MB in {:.2} s = {:.0} ops/s",
        size / 1_000_000,
        pull.as_secs_f64(),
        n as f64 / pull.as_secs_f64()
    );
    let t = Instant::now();
    let mut cursor = 0;
    loop {
        let json = store
            .pull_json(&PullQuery::new(cursor, 10_000, T0_MS))
            .expect("pull");
        cursor = cursor_of(&json);
        if !has_more(&json) {
            break;
        }
    }
    let raw = t.elapsed();
    println!(
        "pull (server side only): {:.2} s = {:.0} ops/s",
        raw.as_secs_f64(),
        n as f64 / raw.as_secs_f64()
    );
    let t = Instant::now();
    let _ = store
        .pull(&PullQuery::new(0, 10_000, T0_MS).within(VILLAGE))
        .expect("pull");
    println!(
        "scoped pull of one village, first page: {:.3} s",
        t.elapsed().as_secs_f64()
    );
}

fn tail(json: &[u8]) -> &str {
    let start = json.len().saturating_sub(120);
    std::str::from_utf8(&json[start..]).unwrap_or("")
}

fn cursor_of(json: &[u8]) -> u64 {
    let t = tail(json);
    let i = t.rfind("\"cursor\":").expect("cursor") + 9;
    t[i..]
        .split(',')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("number")
}

fn has_more(json: &[u8]) -> bool {
    tail(json).contains("\"has_more\":true")
}

/// The same through HTTP: the real router on 127.0.0.1, a reqwest client in the same process
/// (sharing the 2 cores), 20 pushes of 5,000 visits, then the feed in pages of 10,000.
#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn http_push_and_pull_100k_visits() {
    use std::sync::Arc;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStorage::open(dir.path().join("perf.db")).expect("open");
        let app = bangfu_server::router(Arc::new(store), bangfu_server::ServerConfig::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let client = reqwest::Client::new();

        let mut dev = HandDevice::new(1);
        let seed = county_ops(&mut dev, HOUSEHOLDS);
        let body = serde_json::to_vec(&dev.push(seed)).expect("json");
        let resp = client
            .post(format!("{base}/v1/push"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("seed");
        assert_eq!(resp.status(), 200);
        let visits: Vec<_> = (0..OPS).map(|n| visit_op(&mut dev, n, HOUSEHOLDS)).collect();
        let plain: Vec<Vec<u8>> = visits
            .chunks(BATCH)
            .map(|c| serde_json::to_vec(&dev.push(c.to_vec())).expect("json"))
            .collect();
        drop(visits);
        let mb = plain.iter().map(Vec::len).sum::<usize>() / 1_000_000;

        let t = Instant::now();
        for body in plain {
            let resp = client
                .post(format!("{base}/v1/push"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("push");
            assert_eq!(resp.status(), 200);
            let r: bangfu_core::sync::wire::PushResponse =
                serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
            assert_eq!(r.results.len(), 1, "all accepted");
        }
        let push = t.elapsed();
        println!(
            "HTTP push: {OPS} ops ({mb} MB JSON) in {:.2} s = {:.0} ops/s",
            push.as_secs_f64(),
            OPS as f64 / push.as_secs_f64()
        );

        for encoding in ["identity", "gzip", "zstd"] {
            let t = Instant::now();
            let mut cursor = 0;
            let mut bytes = 0;
            loop {
                let resp = client
                    .get(format!("{base}/v1/pull?after={cursor}&limit=10000"))
                    .header("accept-encoding", encoding)
                    .send()
                    .await
                    .expect("pull");
                assert_eq!(resp.status(), 200);
                let raw = resp.bytes().await.expect("body");
                bytes += raw.len();
                let json = match encoding {
                    "gzip" => {
                        let mut out = Vec::new();
                        std::io::Read::read_to_end(
                            &mut flate2::read::GzDecoder::new(&raw[..]),
                            &mut out,
                        )
                        .expect("gunzip");
                        out
                    }
                    "zstd" => zstd::decode_all(&raw[..]).expect("unzstd"),
                    _ => raw.to_vec(),
                };
                cursor = cursor_of(&json);
                if !has_more(&json) {
                    break;
                }
            }
            let pull = t.elapsed();
            println!(
                "HTTP pull ({encoding}, {} MB on the wire, decoded by the client): {:.2} s = {:.0} ops/s",
                bytes / 1_000_000,
                pull.as_secs_f64(),
                (OPS as f64 + 4006.0) / pull.as_secs_f64()
            );
        }
    });
}
