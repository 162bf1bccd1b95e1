//! Bad input over HTTP against the real `bangfu-server` binary with its real limits (32 MiB
//! bodies), on 127.0.0.1. `sync-server/tests/api/http.rs` already covers, in process: malformed JSON,
//! a wrong type of `device_id` or `hlc`, a missing field, unknown envelope fields, a missing or
//! wrong content type, a 64 KiB body limit, a small gzip body that inflates past it, too many
//! operations, bad compression, bad pull queries and one unknown-entity operation among good
//! ones. This file adds what that leaves out:
//! - a wrong type in every field of an operation's envelope (422 naming `ops[0].<field>`), and
//!   nothing stored;
//! - JSON that attacks the parser (nesting 100,000 deep, a byte-order mark, duplicate keys, NUL);
//! - a batch mixing good operations with an unknown entity, an unknown field, a wrong type, an
//!   edit of an unknown record, a missing reference, an edit of an append-only record and an
//!   invalid value: the good accepted, each bad one rejected with its reason, no bad operation
//!   half-applied (checked in the server's database), the same answers on a retry;
//! - a body over 32 MiB, and gzip and zstd bombs (a few hundred KiB inflating to 64 MiB–1 GiB):
//!   413, quickly.
//!
//! After every bad request the server must answer `/healthz`; at the end it still syncs a phone.

use std::io::Write;
use std::time::{Duration, Instant};

use bangfu_core::sync::Operation;
use bangfu_core::sync::wire::{ErrorBody, OpStatus, PullResponse, PushResponse};
use bangfu_core::{Record, Risk};
use bangfu_server::{SqliteStorage, SyncStorage};
use bangfu_sync_client::{HttpOptions, HttpTransport, sync};
use bangfu_tests::fixtures::{
    Phone, cadre_id, household, household_scope, income_record, seed_household_id, visit,
};
use bangfu_tests::raw::{self, HandDevice};
use bangfu_tests::server::ServerProcess;
use bangfu_tests::{quick_sync_options, system_now_ms};
use serde_json::{Value, json};
use uuid::Uuid;

const HOUSEHOLDS: usize = 3;

/// The server with the seed (synced from a phone) and an HTTP client for hand-made requests.
struct Fixture {
    server: ServerProcess,
    client: reqwest::Client,
    /// Tokens of the hand-made devices 1..=4, by device id.
    tokens: std::collections::HashMap<Uuid, String>,
    _dir: tempfile::TempDir,
}

async fn start() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = ServerProcess::start(&dir.path().join("server.db"));
    let mut phone = Phone::new(0, 0);
    phone.record_seed(2, HOUSEHOLDS, system_now_ms());
    server.enrol(&mut [&mut phone]);
    let t = HttpTransport::new(
        &server.url(),
        HttpOptions {
            token: phone.token.clone(),
            ..HttpOptions::default()
        },
    )
    .expect("transport");
    sync(
        &mut phone.store,
        &t,
        &quick_sync_options(500, 500, 3, 20),
        &mut |_| {},
    )
    .await
    .expect("seed");
    // No connection reuse: after refusing an oversized body early the server closes that
    // connection (it never read the rest), and a pooled client could race it with the next
    // request. A fresh connection per request also proves the server still accepts new ones.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let tokens = (1..=4)
        .map(|n| {
            let id = raw::device(n).id;
            (id, server.token_as(id, cadre_id(1)).0)
        })
        .collect();
    Fixture {
        server,
        client,
        tokens,
        _dir: dir,
    }
}

impl Fixture {
    async fn post(&self, body: Vec<u8>, encoding: Option<&str>) -> reqwest::Response {
        // The token of the device the body names, if it is readable JSON; else device 1's (the
        // server checks the token before it reads the body).
        let named = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
            v.get("device_id")?
                .as_str()
                .and_then(|s| Uuid::try_parse(s).ok())
        });
        let token = named
            .and_then(|d| self.tokens.get(&d))
            .or_else(|| self.tokens.get(&raw::device(1).id))
            .expect("a token");
        let mut req = self
            .client
            .post(format!("{}/v1/push", self.server.url()))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body);
        if let Some(enc) = encoding {
            req = req.header("content-encoding", enc);
        }
        req.send().await.expect("the server answers")
    }

    /// Posts a bad body: a 4xx with a JSON error body, then `/healthz` still answers.
    async fn refused(&self, body: Vec<u8>, encoding: Option<&str>) -> (u16, ErrorBody) {
        let resp = self.post(body, encoding).await;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("body");
        assert!(
            (400..500).contains(&status),
            "expected a 4xx, got {status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        );
        let body: ErrorBody = serde_json::from_slice(&bytes).expect("an ErrorBody");
        assert!(!body.message.is_empty());
        self.assert_healthy().await;
        (status, body)
    }

    async fn push_json(&self, body: &Value) -> PushResponse {
        let resp = self
            .post(serde_json::to_vec(body).expect("json"), None)
            .await;
        assert_eq!(resp.status(), 200);
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("a push response")
    }

    async fn assert_healthy(&self) {
        let resp = self
            .client
            .get(format!("{}/healthz", self.server.url()))
            .send()
            .await
            .expect("healthz");
        assert_eq!(resp.status(), 200, "healthz");
        let h: Value =
            serde_json::from_slice(&resp.bytes().await.expect("body")).expect("health json");
        assert_eq!(h["status"], "ok");
    }

    async fn feed(&self) -> PullResponse {
        let resp = self
            .client
            .get(format!("{}/v1/pull?after=0&limit=10000", self.server.url()))
            .bearer_auth(self.tokens.get(&raw::device(1).id).expect("a token"))
            .send()
            .await
            .expect("pull");
        assert_eq!(resp.status(), 200);
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("pull json")
    }
}

fn new_id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0400_0000_0000 | n)
}

fn a_visit(dev: &mut HandDevice, n: u128) -> Operation {
    let h = seed_household_id(0);
    let v = visit(new_id(n), h, cadre_id(1), system_now_ms());
    dev.record(&Record::Visit(v), &household_scope(h))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_type_anywhere_in_an_operation_is_422_naming_the_field_and_stores_nothing() {
    let f = start().await;
    let before = f.feed().await.entries.len();
    let mut dev = raw::device(1);
    let good = serde_json::to_value(a_visit(&mut dev, 1)).expect("json");
    let cases: Vec<(&str, Value)> = vec![
        ("op_id", json!(5)),
        ("origin_device", json!("not-a-uuid")),
        ("origin_seq", json!("one")),
        ("origin_seq", json!(-1)),
        ("origin_seq", json!(1.5)),
        ("origin_seq", json!(18_446_744_073_709_551_616.0_f64)),
        ("hlc", json!("ABCDEF0123456789")),
        ("hlc", json!(12)),
        ("entity", json!(["visit"])),
        ("entity_id", json!({"id": 1})),
        ("create", json!("yes")),
        ("fields", json!([])),
        ("fields", json!("household_id=1")),
        ("base", json!({"problems": "not-a-list"})),
        ("base", json!({"problems": ["not-a-uuid"]})),
        ("scope_path", json!(null)),
        ("schema_version", json!(-1)),
        ("author", json!(true)),
        ("recorded_at", json!("yesterday")),
    ];
    for (field, bad) in cases {
        let mut op = good.clone();
        op[field] = bad.clone();
        let body = serde_json::to_vec(&json!({"device_id": dev.id, "ops": [op]})).expect("json");
        let (status, err) = f.refused(body, None).await;
        assert_eq!(
            (status, err.code.as_str()),
            (422, "invalid_message"),
            "{field} = {bad}"
        );
        assert!(
            err.message.contains(&format!("ops[0].{field}")),
            "{field}: {}",
            err.message
        );
    }
    for missing in [
        "op_id",
        "origin_seq",
        "hlc",
        "entity",
        "fields",
        "scope_path",
        "author",
    ] {
        let mut op = good.clone();
        op.as_object_mut().expect("object").remove(missing);
        let body = serde_json::to_vec(&json!({"device_id": dev.id, "ops": [op]})).expect("json");
        let (status, err) = f.refused(body, None).await;
        assert_eq!(
            (status, err.code.as_str()),
            (422, "invalid_message"),
            "without {missing}"
        );
        assert!(err.message.contains(missing), "{missing}: {}", err.message);
    }
    // A bad operation after a good one refuses the whole request: the good one is not stored
    // either (the device sends it again with the corrected one).
    let mut bad = serde_json::to_value(a_visit(&mut dev, 2)).expect("json");
    bad["create"] = json!(1);
    let body = serde_json::to_vec(&json!({"device_id": dev.id, "ops": [good, bad]})).expect("json");
    let (_, err) = f.refused(body, None).await;
    assert!(err.message.contains("ops[1].create"), "{}", err.message);
    assert_eq!(f.feed().await.entries.len(), before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_that_attacks_the_parser_is_a_4xx() {
    let f = start().await;
    let before = f.feed().await.entries.len();
    let mut dev = raw::device(2);
    let good = a_visit(&mut dev, 1);
    let good_json = serde_json::to_vec(&dev.push_json(std::slice::from_ref(&good))).expect("json");

    // Nesting 100,000 deep: at the top, and inside an operation's field.
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let (status, err) = f.refused(deep(100_000).into_bytes(), None).await;
    eprintln!("a body nested 100,000 deep: {status} {}", err.code);
    let in_ops = format!(
        r#"{{"device_id": "{}", "ops": [{}]}}"#,
        dev.id,
        deep(100_000)
    );
    let (status, err) = f.refused(in_ops.into_bytes(), None).await;
    eprintln!("an operation nested 100,000 deep: {status} {}", err.code);
    let mut op = serde_json::to_value(&good).expect("json");
    op["fields"]["problems"] = json!("PLACEHOLDER");
    let text = serde_json::to_string(&json!({"device_id": dev.id, "ops": [op]}))
        .expect("json")
        .replace("\"PLACEHOLDER\"", &deep(100_000));
    let (status, err) = f.refused(text.into_bytes(), None).await;
    eprintln!("a field nested 100,000 deep: {status} {}", err.code);
    let nested_objects = format!(
        r#"{{"device_id": "{}", "ops": [{}]}}"#,
        dev.id,
        "{\"a\":".repeat(50_000) + "1" + &"}".repeat(50_000)
    );
    let (status, err) = f.refused(nested_objects.into_bytes(), None).await;
    eprintln!("objects nested 50,000 deep: {status} {}", err.code);

    // A byte-order mark, a NUL after the JSON, a duplicate key, `ops` null, a lone surrogate.
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(&good_json);
    let (status, err) = f.refused(bom, None).await;
    assert_eq!((status, err.code.as_str()), (400, "malformed_json"));
    let mut nul = good_json.clone();
    nul.push(0);
    let (status, _) = f.refused(nul, None).await;
    assert_eq!(status, 400);
    let dup = format!(
        r#"{{"device_id": "{0}", "device_id": "{0}", "ops": []}}"#,
        dev.id
    );
    let (status, _) = f.refused(dup.into_bytes(), None).await;
    assert_eq!(status, 422);
    let null_ops = format!(r#"{{"device_id": "{}", "ops": null}}"#, dev.id);
    let (status, _) = f.refused(null_ops.into_bytes(), None).await;
    assert_eq!(status, 422);
    let surrogate = String::from_utf8(good_json.clone())
        .expect("utf-8")
        .replace("测试问题", "\\ud800");
    let (status, _) = f.refused(surrogate.into_bytes(), None).await;
    assert!(status == 400 || status == 422, "{status}");
    assert_eq!(f.feed().await.entries.len(), before, "nothing stored");

    // The good request still goes through.
    let resp = f.push_json(&dev.push_json(&[good])).await;
    assert_eq!(resp.results[0].status, OpStatus::Accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_operations_are_accepted_beside_bad_ones_and_nothing_bad_is_half_applied() {
    let mut f = start().await;
    let mut dev = raw::device(3);
    let h0 = seed_household_id(0);
    let h1 = seed_household_id(1);
    let scope0 = household_scope(h0);
    let scope1 = household_scope(h1);
    let stranger = new_id(999);
    let mut ops = Vec::new();
    // 1 good: a visit.
    ops.push(a_visit(&mut dev, 1));
    // 2 bad: a valid phone number with an unknown field in the same operation.
    ops.push(dev.op(
        "household",
        h0,
        false,
        json!({"phone": "13800000077", "colour": "red"}),
        &scope0,
    ));
    // 3 good: an address.
    ops.push(dev.op(
        "household",
        h0,
        false,
        json!({"address": "样例村三组5号"}),
        &scope0,
    ));
    // 4 bad: an unknown entity.
    ops.push(dev.op("spaceship", new_id(4), true, json!({"name": "x"}), &scope0));
    // 5 bad: a wrong type of a known field, beside a good value of another field.
    ops.push(dev.op(
        "household",
        h1,
        false,
        json!({"head_name": 42, "group": "三组"}),
        &scope1,
    ));
    // 6 bad: an edit of a household the server does not have.
    ops.push(dev.op(
        "household",
        stranger,
        false,
        json!({"phone": "13800000078"}),
        &household_scope(stranger),
    ));
    // 7 bad: a visit to a household the server does not have.
    let v = visit(new_id(7), stranger, cadre_id(1), system_now_ms());
    ops.push(dev.record(&Record::Visit(v), &household_scope(stranger)));
    // 8 bad: an edit of an append-only record (the visit of 1).
    ops.push(dev.op(
        "visit",
        new_id(1),
        false,
        json!({"problems": "改过"}),
        &scope0,
    ));
    // 9 good: an income record.
    let r = income_record(new_id(9), h1, cadre_id(1), 2, 1_800_000);
    ops.push(dev.record(&Record::IncomeRecord(r), &scope1));
    // 10 bad: a new household with an invalid phone and a risk twice.
    let mut bad_household = household(new_id(10), "新户主");
    bad_household.phone = Some("call me".to_owned());
    bad_household.risks = vec![Risk::Illness, Risk::Illness];
    ops.push(dev.record(
        &Record::Household(bad_household),
        &household_scope(new_id(10)),
    ));
    // 11 good: another visit.
    ops.push(a_visit(&mut dev, 11));

    let expected: Vec<(u64, OpStatus, Option<&str>)> = vec![
        (1, OpStatus::Accepted, None),
        (2, OpStatus::Rejected, Some("unknown_field")),
        (3, OpStatus::Accepted, None),
        (4, OpStatus::Rejected, Some("unknown_entity")),
        (5, OpStatus::Rejected, Some("bad_field")),
        (6, OpStatus::Rejected, Some("unknown_record")),
        (7, OpStatus::Rejected, Some("unknown_household")),
        (8, OpStatus::Rejected, Some("append_only")),
        (9, OpStatus::Accepted, None),
        (10, OpStatus::Rejected, Some("phone_invalid")),
        (11, OpStatus::Accepted, None),
    ];
    let per_op = |resp: &PushResponse| -> Vec<(u64, OpStatus, Option<String>)> {
        resp.results
            .iter()
            .flat_map(|r| {
                (r.first_seq..=r.last_seq)
                    .map(|s| (s, r.status, r.reason.as_ref().map(|x| x.code.clone())))
            })
            .collect()
    };
    let resp = f.push_json(&dev.push_json(&ops)).await;
    let got = per_op(&resp);
    let want: Vec<_> = expected
        .iter()
        .map(|(s, st, c)| (*s, *st, c.map(str::to_owned)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        resp.device_seq, 11,
        "rejected operations count as processed"
    );
    for r in &resp.results {
        if let Some(reason) = &r.reason {
            assert!(!reason.message.is_empty());
            assert!(
                !reason.message.contains("call me"),
                "values never in messages: {}",
                reason.message
            );
        }
    }
    f.assert_healthy().await;

    // A retry of the same batch: the good ones are duplicates, the bad ones get the same reasons.
    let again = per_op(&f.push_json(&dev.push_json(&ops)).await);
    let want_again: Vec<_> = want
        .iter()
        .map(|(s, st, c)| {
            let st = if *st == OpStatus::Accepted {
                OpStatus::Duplicate
            } else {
                *st
            };
            (*s, st, c.clone())
        })
        .collect();
    assert_eq!(again, want_again);

    // The feed has the good ones only, once each.
    let feed = f.feed().await;
    let mine: Vec<u64> = feed
        .entries
        .iter()
        .filter(|e| e.op.origin_device == dev.id)
        .map(|e| e.op.origin_seq)
        .collect();
    assert_eq!(mine, [1, 3, 9, 11]);

    // The server's merged state: no trace of a bad operation, not even of its good fields.
    f.server.kill9();
    let storage = SqliteStorage::open(&f.server.db).expect("open the database");
    let states = storage.entity_states().expect("states");
    let house0 = &states[&("household".to_owned(), h0)];
    assert_eq!(
        house0.winners.get("phone"),
        None,
        "the phone of the refused operation 2"
    );
    assert_eq!(house0.winners.get("colour"), None);
    assert_eq!(house0.winners["address"], json!("样例村三组5号"));
    let house1 = &states[&("household".to_owned(), h1)];
    assert_eq!(house1.winners["head_name"], json!("样例户主1"));
    assert_eq!(
        house1.winners.get("group"),
        None,
        "the group of the refused operation 5"
    );
    for id in [new_id(4), stranger, new_id(7), new_id(10)] {
        assert!(!states.keys().any(|(_, k)| *k == id), "{id} must not exist");
    }
    let visit1 = &states[&("visit".to_owned(), new_id(1))];
    assert_eq!(visit1.winners["problems"], json!("测试问题"));
    let refused: Vec<(u64, String)> = storage
        .rejected(Some(dev.id))
        .expect("rejected")
        .into_iter()
        .map(|r| (r.seq, r.code))
        .collect();
    let want_refused: Vec<(u64, String)> = expected
        .iter()
        .filter_map(|(s, _, c)| c.map(|c| (*s, c.to_owned())))
        .collect();
    // Kept for an administrator (a retry may be recorded again: at least once each).
    for w in &want_refused {
        assert!(refused.contains(w), "{w:?} kept in {refused:?}");
    }
}

fn gzip_member(data: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_and_compression_bombs_are_413_quickly() {
    let f = start().await;
    let mut dev = raw::device(4);
    let valid_prefix = format!(r#"{{"device_id": "{}", "ops": [], "pad": ""#, dev.id);

    // Over 32 MiB, plain.
    let mut big = valid_prefix.clone().into_bytes();
    big.extend(std::iter::repeat_n(b'a', 33 << 20));
    big.extend(b"\"}");
    let started = Instant::now();
    let (status, err) = f.refused(big, None).await;
    assert_eq!((status, err.code.as_str()), (413, "body_too_large"));
    eprintln!("33 MiB body refused in {:?}", started.elapsed());

    // gzip bomb: 256 copies of one member inflating to 1 MiB of spaces after a JSON start:
    // 256 MiB inflated from ~260 KiB.
    let member = gzip_member(&vec![b' '; 1 << 20], flate2::Compression::best());
    let mut bomb = gzip_member(valid_prefix.as_bytes(), flate2::Compression::best());
    for _ in 0..256 {
        bomb.extend_from_slice(&member);
    }
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let started = Instant::now();
    let (status, err) = f.refused(bomb, Some("gzip")).await;
    assert_eq!((status, err.code.as_str()), (413, "body_too_large"));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    eprintln!("gzip bomb refused in {:?}", started.elapsed());

    // zstd bomb: 1 GiB of zeros in frames of 64 MiB.
    let frame = zstd::bulk::compress(&vec![0u8; 64 << 20], 3).expect("zstd");
    let mut bomb = Vec::new();
    for _ in 0..16 {
        bomb.extend_from_slice(&frame);
    }
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let started = Instant::now();
    let (status, err) = f.refused(bomb, Some("zstd")).await;
    assert_eq!((status, err.code.as_str()), (413, "body_too_large"));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    eprintln!("zstd bomb refused in {:?}", started.elapsed());

    // A single gzip member of 64 MiB (one stream, not a concatenation).
    let started = Instant::now();
    let mut one = valid_prefix.clone().into_bytes();
    one.resize(64 << 20, b' ');
    let bomb = gzip_member(&one, flate2::Compression::fast());
    eprintln!(
        "single-member gzip of 64 MiB is {} bytes (made in {:?})",
        bomb.len(),
        started.elapsed()
    );
    let (status, err) = f.refused(bomb, Some("gzip")).await;
    assert_eq!((status, err.code.as_str()), (413, "body_too_large"));

    // Still working: a normal push is accepted.
    let ok = a_visit(&mut dev, 1);
    let resp = f.push_json(&dev.push_json(&[ok])).await;
    assert_eq!(resp.results[0].status, OpStatus::Accepted);
}
