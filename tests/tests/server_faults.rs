//! Faults against the real `bangfu-server` binary over loopback (127.0.0.1 only):
//! - connections cut at chosen byte offsets, both directions, during pushes and pulls, by a TCP
//!   proxy: the client retries, nothing is lost or stored twice, both phones converge;
//! - the server killed with SIGKILL while a large push is in flight, restarted on the same
//!   database at a new port: the sync resumes and every operation is on the server exactly once;
//! - phones whose clocks are ten years early and ten years late converge with the others, and an
//!   edit made after a sync wins over values written before it.
//!
//! The binary is built on first use (see `bangfu_tests::server`). Every network wait is bounded
//! (HTTP timeouts, the proxy's read timeout, the tests' own retry limits).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bangfu_core::Record;
use bangfu_core::sync::DeviceStore;
use bangfu_server::{SqliteStorage, SyncStorage};
use bangfu_sync_client::{
    HttpOptions, HttpTransport, RequestEncoding, SyncError, SyncOptions, SyncReport, Transport,
    sync,
};
use bangfu_tests::check::{assert_converged, device_snapshots};
use bangfu_tests::fixtures::{
    HouseholdField, Phone, TEN_YEARS_MS, household, household_scope, seed_household_id, visit,
};
use bangfu_tests::proxy::{CutProxy, Route, Step};
use bangfu_tests::server::ServerProcess;
use bangfu_tests::{quick_sync_options, system_now_ms};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

fn http_with(url: &str, encoding: RequestEncoding) -> HttpTransport {
    HttpTransport::new(
        url,
        HttpOptions {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(120),
            read_timeout: Duration::from_secs(60),
            request_encoding: encoding,
            ..HttpOptions::default()
        },
    )
    .expect("transport")
}

/// The client's transport with its defaults (zstd bodies) and bounded waits.
fn http(url: &str) -> HttpTransport {
    http_with(url, RequestEncoding::Zstd)
}

async fn try_sync(
    phone: &mut Phone,
    t: &HttpTransport,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let t = t.with_token(phone.token.clone());
    sync(&mut phone.store, &t, options, &mut |_| {}).await
}

async fn sync_ok(phone: &mut Phone, t: &HttpTransport, options: &SyncOptions) -> SyncReport {
    let report = try_sync(phone, t, options)
        .await
        .unwrap_or_else(|e| panic!("phone {} sync: {e}", phone.n));
    assert!(report.rejected.is_empty(), "refused: {:?}", report.rejected);
    report
}

fn visit_id(phone: usize, i: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0200_0000_0000 | ((phone as u128) << 32) | i)
}

fn record_visits(p: &mut Phone, from: u128, n: u128, households: usize) {
    for i in from..from + n {
        let h = seed_household_id(i as usize % households);
        let v = visit(visit_id(p.n, i), h, p.author, system_now_ms());
        p.record(&Record::Visit(v), &household_scope(h), system_now_ms());
    }
}

/// The server's state, read from its database file after it was killed.
fn open_killed(server: &mut ServerProcess) -> SqliteStorage {
    server.kill9();
    SqliteStorage::open(&server.db).expect("open the server's database")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_cut_at_any_byte_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = ServerProcess::start(&dir.path().join("server.db"));
    let proxy = CutProxy::start(server.addr).await;
    let direct = http(&server.url());
    let via = http(&proxy.url());
    // Phone b sends plain JSON: its push bodies are larger, and a cut lands inside the JSON.
    let via_plain = http_with(&proxy.url(), RequestEncoding::Identity);
    const HOUSEHOLDS: usize = 4;
    let mut a = Phone::new(0, 0);
    let mut b = Phone::new(1, 0);
    server.enrol(&mut [&mut a, &mut b]);
    a.record_seed(2, HOUSEHOLDS, system_now_ms());
    let plain = quick_sync_options(500, 500, 3, 20);
    sync_ok(&mut a, &direct, &plain).await;
    sync_ok(&mut b, &direct, &plain).await;

    // Offline work on both phones, with the same fields edited on both.
    record_visits(&mut a, 0, 120, HOUSEHOLDS);
    record_visits(&mut b, 0, 120, HOUSEHOLDS);
    for (i, field) in HouseholdField::ALL.into_iter().enumerate() {
        let h = seed_household_id(i % HOUSEHOLDS);
        a.edit_household(h, field, 1, system_now_ms())
            .expect("a change");
        let other = if field == HouseholdField::Group { 0 } else { 2 };
        b.edit_household(h, field, other, system_now_ms())
            .expect("a change");
    }
    for i in 0..5u128 {
        let id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0300_0000_0000 | i);
        b.record(
            &Record::Household(household(id, "新户")),
            &household_scope(id),
            system_now_ms(),
        );
    }

    // Cuts at the first byte, the last byte and random bytes of requests and answers, of pushes
    // and pulls, each followed by a request that passes (the retry).
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
    let steps = |rng: &mut ChaCha8Rng| {
        let mut cuts = vec![
            Step::CutRequest(0),
            Step::CutRequest(1000),
            Step::CutAnswer(0),
            Step::CutAnswer(1000),
        ];
        for _ in 0..3 {
            cuts.push(Step::CutRequest(rng.random_range(1..1000)));
            cuts.push(Step::CutAnswer(rng.random_range(1..1000)));
        }
        cuts.into_iter()
            .flat_map(|c| [c, Step::Pass])
            .collect::<Vec<_>>()
    };
    let push_steps = steps(&mut rng);
    let pull_steps = steps(&mut rng);
    let planned = push_steps.len() / 2 + pull_steps.len() / 2;
    proxy.plan(Route::Push, push_steps);
    proxy.plan(Route::Pull, pull_steps);

    let options = quick_sync_options(20, 30, 6, 20);
    let mut duplicates = 0;
    let mut retries = 0;
    let mut extra = 0;
    for round in 0..40 {
        for (p, via) in [(&mut a, &via), (&mut b, &via_plain)] {
            match try_sync(p, via, &options).await {
                Ok(r) => {
                    assert!(r.rejected.is_empty(), "refused: {:?}", r.rejected);
                    duplicates += r.duplicate;
                    retries += r.retries;
                }
                Err(e) => assert!(e.is_retryable(), "round {round}: phone {}: {e}", p.n),
            }
        }
        if proxy.remaining() == (0, 0) {
            break;
        }
        // More traffic until every planned cut has happened.
        record_visits(&mut a, 1_000 + extra, 25, HOUSEHOLDS);
        extra += 25;
    }
    assert_eq!(
        proxy.remaining(),
        (0, 0),
        "planned cuts left: {:?}",
        proxy.cuts()
    );
    let cuts = proxy.cuts();
    eprintln!(
        "cuts (route, step, bytes through / length): {:?}",
        cuts.iter()
            .map(|c| format!("{:?} {:?} {}/{}", c.route, c.step, c.offset, c.len))
            .collect::<Vec<_>>()
    );
    assert_eq!(cuts.len(), planned);
    for c in &cuts {
        assert!(c.offset < c.len, "{c:?}");
    }
    assert!(
        retries >= planned as u64,
        "every cut was retried ({retries} retries)"
    );
    assert!(
        duplicates > 0,
        "an answer cut after the server applied the push comes back as duplicates"
    );

    // Both phones catch up without the proxy.
    sync_ok(&mut a, &direct, &plain).await;
    sync_ok(&mut b, &direct, &plain).await;
    sync_ok(&mut a, &direct, &plain).await;
    let storage = open_killed(&mut server);
    let conflicts = assert_converged(&[a, b], &storage, system_now_ms());
    assert!(
        conflicts >= HouseholdField::ALL.len(),
        "the fields both phones edited are in conflict"
    );
}

/// A server on `db` with `p` enrolled, behind a proxy that kills it (SIGKILL) as soon as the
/// `nth` push has reached it whole; the flag says whether that happened.
async fn killed_at_push(
    db: &std::path::Path,
    p: &mut Phone,
    nth: usize,
) -> (Arc<Mutex<ServerProcess>>, CutProxy, Arc<AtomicBool>) {
    let server = Arc::new(Mutex::new(ServerProcess::start(db)));
    server.lock().expect("server").enrol(&mut [p]);
    let addr = server.lock().expect("server").addr;
    let proxy = CutProxy::start(addr).await;
    let killed = Arc::new(AtomicBool::new(false));
    {
        let (server, killed) = (server.clone(), killed.clone());
        proxy.on_forwarded(move |route, n| {
            if route == Route::Push && n == nth {
                server.lock().expect("server").kill9();
                killed.store(true, Ordering::SeqCst);
            }
        });
    }
    (server, proxy, killed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_push_resumes_after_restart_with_every_operation_once() {
    const VISITS: u128 = 20_000;
    const BATCH: u64 = 2_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    let mut p = Phone::new(0, 0);
    p.record_seed(1, 4, system_now_ms());
    let started = Instant::now();
    record_visits(&mut p, 0, VISITS, 4);
    eprintln!(
        "recorded {VISITS} visits in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let total = p.made.len() as u64;
    // One push at a time, so that the kills fall between known batches (with two in flight: the
    // next test).
    let options = SyncOptions {
        pipeline: false,
        ..quick_sync_options(BATCH as usize, 5_000, 3, 50)
    };

    // 1. Killed (SIGKILL) as soon as the second batch has reached the server whole: the first was
    //    answered (the client sends the next batch only then), the second is being processed.
    let (_server, proxy, killed) = killed_at_push(&db, &mut p, 2).await;
    let started = Instant::now();
    let err = try_sync(&mut p, &http(&proxy.url()), &options)
        .await
        .expect_err("the server died mid-sync");
    assert!(
        killed.load(Ordering::SeqCst),
        "killed with the second batch in flight"
    );
    assert!(
        err.is_retryable(),
        "a dead server is worth retrying later: {err}"
    );
    let acked1 = p.store.acked_seq().expect("acked");
    assert_eq!(
        acked1, BATCH,
        "the first batch (seed included) was answered, the second not"
    );
    drop(proxy);

    // 2. Restarted on the same database at a new port, the phone pointed at it (through another
    //    proxy). This time the server is killed after it answered the second batch (so it
    //    committed it), before the answer reaches the phone.
    let server = Arc::new(Mutex::new(ServerProcess::start(&db)));
    let addr = server.lock().expect("server").addr;
    let proxy = CutProxy::start(addr).await;
    proxy.plan(Route::Push, [Step::Pass, Step::CutAnswer(0)]);
    let killed = Arc::new(AtomicBool::new(false));
    {
        let (server, killed) = (server.clone(), killed.clone());
        proxy.on_answered(move |route, n| {
            if route == Route::Push && n == 2 {
                server.lock().expect("server").kill9();
                killed.store(true, Ordering::SeqCst);
            }
        });
    }
    let report = try_sync(&mut p, &http(&proxy.url()), &options).await;
    assert!(
        killed.load(Ordering::SeqCst),
        "killed after answering the second batch"
    );
    assert!(report.is_err_and(|e| e.is_retryable()));
    let acked2 = p.store.acked_seq().expect("acked");
    assert_eq!(
        acked2,
        acked1 + BATCH,
        "one more batch answered before the kill"
    );
    drop(proxy);

    // 3. Restarted again, the phone connects directly: the committed but unanswered batch comes
    //    back as duplicates, the rest is accepted.
    let mut last = ServerProcess::start(&db);
    let report = sync_ok(&mut p, &http(&last.url()), &options).await;
    eprintln!(
        "after two kill -9: {} accepted, {} duplicate, {:.1} s in all",
        report.accepted,
        report.duplicate,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        report.duplicate, BATCH,
        "the batch committed before the kill"
    );
    assert_eq!(report.accepted + report.duplicate, total - acked2);
    assert_eq!(p.store.pending_count().expect("pending"), 0);
    drop(server);
    let storage = open_killed(&mut last);
    assert_eq!(storage.device_seq(p.store.device_id()).expect("seq"), total);
    assert_converged(&[p], &storage, system_now_ms());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_with_two_pushes_in_flight_loses_and_duplicates_nothing() {
    const VISITS: u128 = 6_000;
    const BATCH: usize = 1_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    let mut p = Phone::new(0, 0);
    p.record_seed(1, 4, system_now_ms());
    record_visits(&mut p, 0, VISITS, 4);
    let total = p.made.len() as u64;
    let options = quick_sync_options(BATCH, 5_000, 3, 50);
    assert!(options.pipeline, "two pushes in flight by default");

    // Killed as soon as a third push has reached the server whole: the client sends a batch
    // before the answer to the one before it has come, so two or three are at the server, one of
    // them being written.
    let (server, proxy, killed) = killed_at_push(&db, &mut p, 3).await;
    let err = try_sync(&mut p, &http(&proxy.url()), &options)
        .await
        .expect_err("the server died mid-sync");
    assert!(killed.load(Ordering::SeqCst), "killed mid-push");
    assert!(err.is_retryable(), "{err}");
    let acked = p.store.acked_seq().expect("acked");
    assert!(acked < total, "the kill came before the end");
    drop(proxy);
    drop(server);

    // Restarted: everything answered before the kill is there (durable), and the rest arrives
    // exactly once, whatever of it the server had committed unanswered (duplicates).
    let before = SqliteStorage::open(&db)
        .expect("open the server's database")
        .device_seq(p.store.device_id())
        .expect("seq");
    eprintln!("answered before the kill: {acked}; stored: {before}; total: {total}");
    assert!(
        before >= acked,
        "answered operations survive kill -9 ({before} < {acked})"
    );
    let mut restarted = ServerProcess::start(&db);
    let report = sync_ok(&mut p, &http(&restarted.url()), &options).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.accepted, total - before, "the rest, once");
    assert_eq!(report.duplicate, before - acked, "committed but unanswered");
    assert_eq!(p.store.pending_count().expect("pending"), 0);
    let storage = open_killed(&mut restarted);
    assert_eq!(storage.device_seq(p.store.device_id()).expect("seq"), total);
    assert_converged(&[p], &storage, system_now_ms());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_ten_years_early_and_late_converge_and_edits_after_a_sync_win() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = ServerProcess::start(&dir.path().join("server.db"));
    let t = http(&server.url());
    let options = quick_sync_options(200, 200, 3, 20);
    let ten_years = i64::try_from(TEN_YEARS_MS).expect("fits");
    let mut n = Phone::new(0, 0);
    let mut early = Phone::new(1, -ten_years);
    let mut late = Phone::new(2, ten_years);
    server.enrol(&mut [&mut n, &mut early, &mut late]);
    n.record_seed(3, 4, system_now_ms());
    for p in [&mut n, &mut early, &mut late] {
        sync_ok(p, &t, &options).await;
    }
    let tick = || std::thread::sleep(Duration::from_millis(3));

    // Offline: all three write household 0's phone at once; each records visits.
    let h = seed_household_id;
    n.edit_household(h(0), HouseholdField::Phone, 0, system_now_ms())
        .expect("change");
    early
        .edit_household(h(0), HouseholdField::Phone, 1, system_now_ms())
        .expect("change");
    let late_phone = late
        .edit_household(h(0), HouseholdField::Phone, 2, system_now_ms())
        .expect("change");
    for p in [&mut n, &mut early, &mut late] {
        record_visits(p, 0, 5, 4);
    }
    // The normal phone writes two values it will push only later.
    let n_address = n
        .edit_household(h(1), HouseholdField::Address, 0, system_now_ms())
        .expect("change");
    let n_head = n
        .edit_household(h(2), HouseholdField::HeadName, 0, system_now_ms())
        .expect("change");
    tick();

    // The early phone syncs once: it absorbs the server's clock.
    sync_ok(&mut early, &t, &options).await;
    tick();
    let early_address = early
        .edit_household(h(1), HouseholdField::Address, 1, system_now_ms())
        .expect("change");
    assert!(
        early.wall_ms(system_now_ms()) < n_address.hlc.wall_ms(),
        "the early phone's own clock is years behind the value it competes with"
    );
    assert!(
        !early_address
            .base
            .get("address")
            .is_some_and(|b| b.contains(&n_address.op_id)),
        "the early phone has not seen the normal phone's value: the two are concurrent"
    );
    assert!(
        early_address.hlc > n_address.hlc,
        "after one sync the early phone stamps after what was written before it: {} vs {}",
        early_address.hlc,
        n_address.hlc
    );

    // The late phone syncs; the server keeps its operations but not its clock.
    sync_ok(&mut late, &t, &options).await;
    let probe = t
        .with_token(late.token.clone())
        .pull(0, 1, None, None)
        .await
        .expect("pull");
    assert!(
        probe.server_hlc.wall_ms() < system_now_ms() + 24 * 3600 * 1000,
        "the server took the late phone's clock: {}",
        probe.server_hlc
    );
    let late_head = late
        .edit_household(h(2), HouseholdField::HeadName, 1, system_now_ms())
        .expect("change");
    assert!(late_head.hlc > n_head.hlc);

    for _ in 0..2 {
        for p in [&mut n, &mut early, &mut late] {
            sync_ok(p, &t, &options).await;
        }
    }
    let storage = open_killed(&mut server);
    let states = storage.entity_states().expect("states");
    let household = &states[&("household".to_owned(), h(1))];
    assert_eq!(
        household.winners.get("address"),
        early_address.fields.get("address")
    );
    let kept: Vec<_> = household.conflicts["address"]
        .iter()
        .map(|x| x.op_id)
        .collect();
    assert_eq!(
        kept,
        [n_address.op_id, early_address.op_id],
        "the older value is kept as a conflict"
    );
    let household = &states[&("household".to_owned(), h(2))];
    assert_eq!(
        household.winners.get("head_name"),
        late_head.fields.get("head_name")
    );
    let household = &states[&("household".to_owned(), h(0))];
    assert_eq!(
        household.winners.get("phone"),
        late_phone.fields.get("phone")
    );
    assert_eq!(
        household.conflicts["phone"].len(),
        3,
        "all three values kept"
    );
    assert_eq!(device_snapshots(&early.store), states);
    assert_converged(&[n, early, late], &storage, system_now_ms());
}
