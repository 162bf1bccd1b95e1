//! A bounded load test of the `bangfu-server` binary on 127.0.0.1 (issue 11, items 7 and 9):
//! hundreds of half-sent requests, a burst of sign-ins for unknown usernames and slowly sent push
//! bodies at once, while the server's open file descriptors and resident memory are read from
//! `/proc/<pid>`. Both must stay bounded (the connection cap, one argon2 check per slot, two
//! pushes per device, body deadlines), every request must get an answer, and the server must
//! answer normally afterwards. Counts and the time are bounded; the server is killed at the end.
//! Linux only (it reads `/proc`).
#![cfg(target_os = "linux")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bangfu_server::SqliteStorage;
use common::binary::{Server, start_server};
use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

/// The limits the server is started with (small, so that the test is quick).
const MAX_CONNECTIONS: usize = 48;
const LIMIT_ARGS: &[&str] = &[
    "--max-connections",
    "48",
    "--max-connections-per-address",
    "1000",
    "--header-timeout-secs",
    "2",
    "--body-timeout-secs",
    "3",
];
const HALF_SENT: usize = 300;
const UNKNOWN_SIGNINS: usize = 40;
/// Pushes started per device (two are taken, the third refused).
const SLOW_PUSHES: usize = 3;
const SLOW_DEVICES: u128 = 3;
/// What a slow push sends of its announced 20 MB before it stalls.
const SLOW_SENT: usize = 1024 * 1024;
/// A guard against the test hanging; never a timing assertion.
const GUARD: Duration = Duration::from_secs(90);

fn start(db: &std::path::Path) -> (Server, String) {
    start_server(db, LIMIT_ARGS)
}

/// Open file descriptors and resident memory (KiB) of `pid`.
fn usage(pid: u32) -> (usize, u64) {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    (fds, rss)
}

/// Reads until the server answers or closes; the status (0: closed without an answer).
async fn status_or_close(s: &mut TcpStream) -> u16 {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() >= 12 {
            break;
        }
    }
    if buf.len() >= 12 && buf.starts_with(b"HTTP/1.1 ") {
        String::from_utf8_lossy(&buf[9..12]).parse().unwrap_or(0)
    } else {
        0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_connections_and_memory_stay_bounded_under_half_sent_requests_sign_ins_and_slow_pushes()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    let tokens: Vec<String> = {
        let storage = SqliteStorage::open(&db).expect("open");
        (0..SLOW_DEVICES)
            .map(|n| sign_in_admin(&storage, HandDevice::new(100 + n).id))
            .collect()
    };
    let (server, addr) = start(&db);
    let pid = server.0.id();
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .timeout(GUARD)
        .build()
        .expect("client");
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("healthz")
            .status(),
        200
    );
    let (base_fds, base_rss) = usage(pid);

    // Sample the server's usage until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let peak_fds = Arc::new(AtomicUsize::new(0));
    let peak_rss = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (stop, peak_fds, peak_rss) = (stop.clone(), peak_fds.clone(), peak_rss.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Acquire) {
                let (fds, rss) = usage(pid);
                peak_fds.fetch_max(fds, Ordering::AcqRel);
                peak_rss.fetch_max(usize::try_from(rss).unwrap_or(usize::MAX), Ordering::AcqRel);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // Hundreds of requests whose head never ends.
    let mut half_sent = Vec::new();
    for i in 0..HALF_SENT {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        let head = format!("POST /v1/auth/signin HTTP/1.1\r\nHost: {addr}\r\nX-N: {i}\r\n");
        s.write_all(head.as_bytes()).await.expect("write");
        half_sent.push(tokio::spawn(async move { status_or_close(&mut s).await }));
    }

    // Slow push bodies: each device starts three, sends a megabyte of each and stalls.
    let mut slow = Vec::new();
    for token in &tokens {
        for _ in 0..SLOW_PUSHES {
            let (addr, token) = (addr.clone(), token.clone());
            slow.push(tokio::spawn(async move {
                let mut s = TcpStream::connect(&addr).await.expect("connect");
                let head = format!(
                    "POST /v1/push HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    20 * 1024 * 1024
                );
                s.write_all(head.as_bytes()).await.expect("write");
                let filler = vec![b' '; SLOW_SENT];
                // The server may answer (429) and close before taking it all.
                let _ = s.write_all(&filler).await;
                status_or_close(&mut s).await
            }));
        }
    }

    // Sign-ins for names that do not exist, all at once.
    let mut signins = Vec::new();
    for i in 0..UNKNOWN_SIGNINS {
        let (client, base) = (client.clone(), base.clone());
        signins.push(tokio::spawn(async move {
            let body = json!({"username": format!("ghost{i}"), "password": "guess-guess",
                              "device_id": Uuid::now_v7()});
            match client
                .post(format!("{base}/v1/auth/signin"))
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).expect("json"))
                .send()
                .await
            {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            }
        }));
    }

    let outcome = tokio::time::timeout(GUARD, async {
        let mut half = Vec::new();
        for t in half_sent {
            half.push(t.await.expect("task"));
        }
        let mut pushes = Vec::new();
        for t in slow {
            pushes.push(t.await.expect("task"));
        }
        let mut signed = Vec::new();
        for t in signins {
            signed.push(t.await.expect("task"));
        }
        (half, pushes, signed)
    })
    .await;
    stop.store(true, Ordering::Release);
    sampler.await.expect("sampler");
    let (half, pushes, signed) = outcome.expect("requests were left hanging");

    // Every half-sent request was closed by the server (no answer, or a 4xx), none kept open.
    assert!(
        half.iter().all(|s| *s == 0 || (400..500).contains(s)),
        "{half:?}"
    );
    // Each device had two slow pushes taken and timed out (408), the third refused (429; or
    // the connection reset: the server closed it with the unread megabyte still arriving).
    let timed_out = pushes.iter().filter(|s| **s == 408).count();
    let refused = pushes.iter().filter(|s| **s == 429 || **s == 0).count();
    assert_eq!(
        (timed_out, refused),
        (2 * SLOW_DEVICES as usize, SLOW_DEVICES as usize),
        "{pushes:?}"
    );
    // Every unknown-name sign-in was answered: checked (401), throttled (429) or busy (503).
    assert!(
        signed.iter().all(|s| [401, 429, 503].contains(s)),
        "{signed:?}"
    );
    let (peak_fds, peak_rss) = (
        peak_fds.load(Ordering::Acquire),
        peak_rss.load(Ordering::Acquire) as u64,
    );
    eprintln!(
        "load: descriptors {base_fds} → peak {peak_fds}; RSS {} → peak {} MiB; sign-ins {signed:?}",
        base_rss / 1024,
        peak_rss / 1024
    );
    assert!(
        // (Beyond the connections: the database's read connections, opened as needed.)
        peak_fds <= base_fds + MAX_CONNECTIONS + 32,
        "open descriptors reached {peak_fds} (from {base_fds}; cap {MAX_CONNECTIONS})"
    );
    assert!(
        peak_rss <= base_rss + 200 * 1024,
        "resident memory reached {} MiB (from {} MiB)",
        peak_rss / 1024,
        base_rss / 1024
    );
    // And the server still answers.
    let resp = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(resp.status(), 200);
}
