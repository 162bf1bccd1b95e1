//! Abuse of the server over HTTP (issue 11, items 1, 7, 8 and 9), against the real router served
//! on 127.0.0.1:0 as the binary serves it:
//! - a device id belongs to the account that enrolled it: another account signing in with it is
//!   refused, and so is a revoked device; its own account signs in again;
//! - sign-ins are throttled atomically, by username (known or not, alike) and by address, and
//!   unknown usernames do not each cost an audit row;
//! - a push's body is read before it takes one of the few push permits, within a deadline (408),
//!   and a device holds at most two pushes at once (429 with `Retry-After`).
//!
//! The bounded load test is `tests/load.rs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use bangfu_core::sync::wire::ErrorBody;
use bangfu_server::auth::AccessStorage;
use bangfu_server::{ServerConfig, SqliteStorage, SyncStorage, router};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

const PASSWORD: &str = TEST_PASSWORD;
/// A guard against a test hanging for ever; never a timing assertion.
const GUARD: Duration = Duration::from_secs(30);

struct Srv {
    base: String,
    addr: SocketAddr,
    storage: Arc<SqliteStorage>,
    client: reqwest::Client,
    admin: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start(config: ServerConfig) -> Srv {
    let storage = Arc::new(SqliteStorage::open_in_memory().expect("storage"));
    let admin = sign_in_admin(&storage, HandDevice::new(1).id);
    let app = router(storage.clone(), config.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = bangfu_server::http::serve(listener, app, &config, async {
            let _ = rx.await;
        })
        .await;
    });
    Srv {
        base: format!("http://{addr}"),
        addr,
        storage,
        client: reqwest::Client::new(),
        admin,
        _shutdown: tx,
    }
}

/// An answer: status, JSON body (Null if empty), `Retry-After`.
type Answer = (u16, Value, Option<u64>);

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let bytes = resp.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON answer")
    };
    (status, body, retry)
}

fn code(a: &Answer) -> (u16, &str) {
    (a.0, a.1["code"].as_str().unwrap_or(""))
}

impl Srv {
    async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> Answer {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).expect("json"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await.expect("post")).await
    }

    async fn get(&self, token: &str, path: &str) -> Answer {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        answer(resp).await
    }

    async fn sign_in(&self, username: &str, password: &str, device: Uuid) -> Answer {
        self.post(
            None,
            "/v1/auth/signin",
            &json!({"username": username, "password": password, "device_id": device}),
        )
        .await
    }

    async fn create(&self, username: &str) {
        let a = self
            .post(
                Some(&self.admin),
                "/v1/admin/accounts",
                &json!({"username": username, "display_name": "队员", "role": "team_member",
                        "area_path": VILLAGE, "password": PASSWORD}),
            )
            .await;
        assert_eq!(a.0, 201, "{:?}", a.1);
    }

    fn audit_actions(&self) -> Vec<String> {
        self.storage
            .audit_log(10_000)
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .collect()
    }
}

fn token_of(a: &Answer) -> String {
    assert_eq!(a.0, 200, "{:?}", a.1);
    a.1["device_token"].as_str().expect("token").to_owned()
}

// ---- item 1 -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signin_refuses_a_device_enrolled_by_another_account_and_a_revoked_one() {
    let srv = start(ServerConfig::default()).await;
    srv.create("wang").await;
    srv.create("lisi").await;
    let phone = HandDevice::new(500).id;
    let wang = token_of(&srv.sign_in("wang", PASSWORD, phone).await);

    // Lisi signs in with Wang's device id (ids are not secret: every operation carries one).
    let taken = srv.sign_in("lisi", PASSWORD, phone).await;
    assert_eq!(code(&taken), (403, "auth_device_taken"));
    let e: ErrorBody = serde_json::from_value(taken.1).expect("error body");
    assert!(e.message.contains("重新安装"), "{}", e.message);
    // Wang's token still works, as Wang's.
    let me = srv.get(&wang, "/v1/me").await;
    assert_eq!(me.0, 200);
    assert_eq!(me.1["account"]["username"], "wang");
    // The county office's own device id is just as safe.
    let admin_phone = HandDevice::new(1).id;
    assert_eq!(
        code(&srv.sign_in("lisi", PASSWORD, admin_phone).await),
        (403, "auth_device_taken")
    );
    assert_eq!(srv.get(&srv.admin, "/v1/me").await.0, 200);

    // Wang signs in again on her own phone: a fresh token that works, the old one is gone.
    let again = token_of(&srv.sign_in("wang", PASSWORD, phone).await);
    assert_ne!(again, wang);
    assert_eq!(srv.get(&again, "/v1/me").await.0, 200);
    assert_eq!(
        code(&srv.get(&wang, "/v1/me").await),
        (401, "auth_bad_token")
    );

    // Revoked: the device cannot be enrolled again, by its account or another.
    let revoke = srv
        .post(
            Some(&srv.admin),
            &format!("/v1/admin/devices/{phone}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(revoke.0, 204);
    for who in ["wang", "lisi"] {
        let a = srv.sign_in(who, PASSWORD, phone).await;
        assert_eq!(code(&a), (403, "auth_device_revoked"), "{who}");
    }
    assert_eq!(
        code(&srv.get(&again, "/v1/me").await),
        (403, "auth_device_revoked")
    );
    let devices = srv.storage.devices(None).expect("devices");
    let row = devices
        .iter()
        .find(|d| d.device_id == phone)
        .expect("the phone");
    assert_eq!(row.username, "wang");
    assert!(row.revoked_at_ms.is_some());
    // A new device id (the app reinstalled) works for either.
    token_of(&srv.sign_in("lisi", PASSWORD, HandDevice::new(501).id).await);
}

// ---- item 8 -------------------------------------------------------------------------------

/// Sends one sign-in per `(username, password)` at once; the answers in that order.
async fn sign_ins_at_once(srv: &Srv, tries: Vec<(String, String)>) -> Vec<Answer> {
    let tasks: Vec<_> = tries
        .into_iter()
        .map(|(username, password)| {
            let client = srv.client.clone();
            let url = format!("{}/v1/auth/signin", srv.base);
            let body = json!({"username": username, "password": password,
                              "device_id": Uuid::now_v7()});
            tokio::spawn(async move {
                let resp = client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(serde_json::to_vec(&body).expect("json"))
                    .send()
                    .await
                    .expect("sign-in");
                answer(resp).await
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

/// Sends `n` sign-ins for `username` at once (a wrong password); the answers' (status, code,
/// Retry-After).
async fn burst(srv: &Srv, username: &str, n: usize) -> Vec<(u16, String, Option<u64>)> {
    let tries = (0..n)
        .map(|i| (username.to_owned(), format!("wrong-{i}")))
        .collect();
    codes(sign_ins_at_once(srv, tries).await)
}

/// Each answer's (status, code, Retry-After).
fn codes(answers: Vec<Answer>) -> Vec<(u16, String, Option<u64>)> {
    answers
        .into_iter()
        .map(|a| (a.0, a.1["code"].as_str().unwrap_or("").to_owned(), a.2))
        .collect()
}

fn tally(answers: &[(u16, String, Option<u64>)]) -> (usize, usize) {
    let checked = answers
        .iter()
        .filter(|a| (a.0, a.1.as_str()) == (401, "auth_bad_credentials"))
        .count();
    let throttled = answers
        .iter()
        .filter(|a| (a.0, a.1.as_str()) == (429, "auth_slow_down") && a.2.is_some())
        .count();
    (checked, throttled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_throttled_atomically_and_unknown_names_answer_alike() {
    let srv = start(ServerConfig::default()).await;
    srv.create("zhaoliu").await;
    // 20 wrong passwords at once for an existing account: only the free five are checked.
    let known = burst(&srv, "zhaoliu", 20).await;
    assert_eq!(tally(&known), (5, 15), "{known:?}");
    // The same for a name that does not exist: it is throttled alike, so 429 tells nothing.
    let unknown = burst(&srv, "nobody-here", 20).await;
    assert_eq!(tally(&unknown), (5, 15), "{unknown:?}");
    // Audited: the five checked failures of the account, one row for the unknown name.
    let log = srv.audit_actions();
    let failed = log.iter().filter(|a| *a == "signin_failed").count();
    assert_eq!(failed, 5 + 1, "audit rows of failures");
}

// ---- item 7 -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_usernames_are_throttled_by_address_without_an_audit_row_each() {
    let srv = start(ServerConfig::default()).await;
    let before = srv.audit_actions().len();
    // 80 different names at once, each tried once: no name is throttled, the address is.
    let tries = (0..80)
        .map(|i| (format!("spray{i}"), "guess-1".to_owned()))
        .collect();
    let answers = codes(sign_ins_at_once(&srv, tries).await);
    let (checked, throttled) = tally(&answers);
    assert_eq!(checked + throttled, 80, "{answers:?}");
    // The address's free failures, and perhaps one more each time its wait ran out meanwhile.
    let free = ServerConfig::default().signin_free_failures_per_address as usize;
    assert!(checked <= free + 3, "{checked} checked");
    // The unknown names cost at most a row or two of audit (one a minute), not one each.
    let rows = srv.audit_actions().len() - before;
    assert!(rows <= 2, "{rows} audit rows for 80 unknown names");
    // A right password from elsewhere is not held up by this address's failures.
    srv.create("sunqi").await;
    let ok = srv
        .storage
        .sign_in(
            "sunqi",
            PASSWORD,
            HandDevice::new(700).id,
            "phone",
            bangfu_server::now_ms(),
            60_000,
        )
        .expect("storage");
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_beyond_the_password_check_gate_are_refused_at_once() {
    // One password check at a time and none waiting: sign-ins sent together mostly find the one
    // slot taken (a check takes tens of milliseconds) and are answered 503 at once.
    let srv = start(ServerConfig {
        signin_concurrency: 1,
        signin_queue: 0,
        signin_free_failures_per_address: 1_000,
        ..ServerConfig::default()
    })
    .await;
    let tries = (0..20)
        .map(|i| (format!("gate{i}"), "guess-1".to_owned()))
        .collect();
    let answers = sign_ins_at_once(&srv, tries).await;
    let busy: Vec<&Answer> = answers
        .iter()
        .filter(|a| code(a) == (503, "signin_busy"))
        .collect();
    let checked = answers
        .iter()
        .filter(|a| code(a) == (401, "auth_bad_credentials"))
        .count();
    assert_eq!(busy.len() + checked, 20, "{answers:?}");
    assert!(checked >= 1 && !busy.is_empty(), "{answers:?}");
    assert!(busy.iter().all(|a| a.2.is_some()), "Retry-After");
}

// ---- item 9 -------------------------------------------------------------------------------

/// Starts a push whose body is announced as `len` bytes and only partly sent; the connection.
async fn stalled_push(addr: SocketAddr, token: &str, len: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /v1/push HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {len}\r\n\r\n{{\"device_id\":"
    );
    s.write_all(head.as_bytes()).await.expect("write");
    s.flush().await.expect("flush");
    s
}

/// Reads an HTTP/1.1 answer up to its end or EOF: (status, JSON body).
async fn read_answer(s: &mut TcpStream) -> (u16, Value) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let status = text[9..12].parse().unwrap_or(0);
                let body =
                    serde_json::from_slice(&buf[end + 4..end + 4 + len]).unwrap_or(Value::Null);
                return (status, body);
            }
        }
    }
    (0, Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_push_bodies_hold_no_push_permit_and_time_out_with_408() {
    let config = ServerConfig {
        max_concurrent_pushes: 1,
        body_read_timeout: Duration::from_secs(2),
        ..ServerConfig::default()
    };
    let srv = start(config).await;
    // Two devices of the county office each start a push and stop sending half-way.
    let slow_a = sign_in_other(&srv, 801);
    let slow_b = sign_in_other(&srv, 802);
    let mut stalled = vec![
        stalled_push(srv.addr, &slow_a, 100_000).await,
        stalled_push(srv.addr, &slow_b, 100_000).await,
    ];
    // Another device's push goes through meanwhile, though only one push is processed at a time.
    let mut dev = HandDevice::new(803);
    let token = sign_in_other(&srv, 803);
    let ops = county_ops(&mut dev, 2);
    let body = serde_json::to_vec(&dev.push(ops)).expect("json");
    let resp = tokio::time::timeout(
        GUARD,
        srv.client
            .post(format!("{}/v1/push", srv.base))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send(),
    )
    .await
    .expect("the push was held up by the slow ones")
    .expect("push");
    assert_eq!(resp.status(), 200);
    assert_eq!(srv.storage.device_seq(dev.id).expect("seq"), dev.seq);
    // The slow bodies are refused: 408 with a JSON ErrorBody.
    for s in &mut stalled {
        let (status, body) = tokio::time::timeout(GUARD, read_answer(s))
            .await
            .expect("a slow body is never answered");
        assert_eq!(status, 408, "{body}");
        assert_eq!(body["code"], "body_timeout");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

/// Signs device `n` in as the county office; its token.
fn sign_in_other(srv: &Srv, n: u128) -> String {
    sign_in_admin(&srv.storage, HandDevice::new(n).id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_holds_at_most_two_pushes_at_once() {
    let srv = start(ServerConfig::default()).await;
    let mut dev = HandDevice::new(900);
    let token = sign_in_other(&srv, 900);
    let _first = stalled_push(srv.addr, &token, 1_000_000).await;
    let _second = stalled_push(srv.addr, &token, 1_000_000).await;
    // Let the server take both in (they are read concurrently).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ops = county_ops(&mut dev, 1);
    let body = serde_json::to_vec(&dev.push(ops)).expect("json");
    let resp = tokio::time::timeout(
        GUARD,
        srv.client
            .post(format!("{}/v1/push", srv.base))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send(),
    )
    .await
    .expect("a third push was queued without bound")
    .expect("push");
    let a = answer(resp).await;
    assert_eq!(code(&a), (429, "push_busy"), "{:?}", a.1);
    assert!(a.2.is_some_and(|s| s >= 1), "Retry-After");
    assert_eq!(srv.storage.device_seq(dev.id).expect("seq"), 0);
    // Another device is not affected.
    let mut other = HandDevice::new(901);
    let other_token = sign_in_other(&srv, 901);
    let ops = county_ops(&mut other, 1);
    let a = srv
        .post(
            Some(&other_token),
            "/v1/push",
            &serde_json::to_value(other.push(ops)).expect("json"),
        )
        .await;
    assert_eq!(a.0, 200, "{:?}", a.1);
}
