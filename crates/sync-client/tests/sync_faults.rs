//! Faults between the phone and the server: every operation reaches the server exactly once, the
//! cursor reaches the end, transient failures are retried with backoff, refusals are not.

mod common;

use std::time::Duration;

use bangfu_core::sync::DeviceStore;
use bangfu_sync_client::testing::{
    Fault, MemoryStore, MemoryTransport, Route, SimServer, StoreCall,
};
use bangfu_sync_client::{RetryPolicy, SyncOptions, sync};
use common::{SCOPE_A, SCOPE_B, assert_exactly_once, feed_end, options, phone};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn each_transient_fault_is_overcome_without_loss_or_duplicates() {
    for fault in Fault::TRANSIENT {
        for route in [Route::Version, Route::Push, Route::Pull] {
            let server = SimServer::default();
            let t = MemoryTransport::new(server.clone());
            let mut a = phone(1, SCOPE_A, 25);
            // Two faults in a row on the same route, then a clean answer.
            t.fail_next_on(route, fault.clone());
            t.fail_next_on(route, fault.clone());
            let r = sync(&mut a, &t, &options(), &mut |_| {})
                .await
                .unwrap_or_else(|e| panic!("{fault:?} on {route:?}: {e}"));
            assert_exactly_once(&server, 25);
            assert_eq!(r.accepted + r.duplicate, 25, "{fault:?} on {route:?}");
            assert_eq!(a.cursor().expect("cursor"), feed_end(&server));
            assert_eq!(a.acked_seq().expect("acked"), 25);
            let retried = fault != Fault::Duplicate;
            assert_eq!(
                r.retries,
                if retried { 2 } else { 0 },
                "{fault:?} on {route:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_is_resent_and_answered_as_duplicates() {
    let server = SimServer::default();
    let t = MemoryTransport::new(server.clone());
    let mut a = phone(1, SCOPE_A, 25);
    t.fail_next_on(Route::Push, Fault::LoseResponse);
    let r = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect("sync");
    // Batches of 10: the first answer was lost, its resend is answered as 10 duplicates.
    assert_eq!(
        (r.ops_sent, r.accepted, r.duplicate, r.retries),
        (35, 15, 10, 1)
    );
    assert_eq!(t.count(Route::Push), 4);
    assert_exactly_once(&server, 25);
}

#[tokio::test(start_paused = true)]
async fn retries_back_off_exponentially_then_give_up() {
    let t = MemoryTransport::new(SimServer::default());
    let mut a = phone(1, SCOPE_A, 5);
    for _ in 0..4 {
        t.fail_next_on(Route::Push, Fault::Unreachable);
    }
    let opts = SyncOptions {
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        },
        ..options()
    };
    let started = Instant::now();
    let e = sync(&mut a, &t, &opts, &mut |_| {})
        .await
        .expect_err("offline");
    let waited = started.elapsed();
    assert_eq!(e.code(), "offline");
    assert!(e.is_retryable());
    assert_eq!(t.count(Route::Push), 4, "max_attempts");
    // Waits of 1, 2 and 4 s nominal, each at least half of it.
    assert!(waited >= Duration::from_millis(3_500), "{waited:?}");
    assert!(waited <= Duration::from_secs(7), "{waited:?}");
    assert_eq!(a.acked_seq().expect("acked"), 0);
    // Signal is back: the next sync completes.
    sync(&mut a, &t, &opts, &mut |_| {}).await.expect("resumed");
    assert_eq!(a.acked_seq().expect("acked"), 5);
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_never_retried() {
    let server = SimServer::default();
    let t = MemoryTransport::new(server.clone());
    let mut a = phone(1, SCOPE_A, 5);
    t.fail_next_on(
        Route::Push,
        Fault::Refuse {
            status: 403,
            code: "out_of_scope".into(),
        },
    );
    let e = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect_err("refused");
    assert_eq!(
        (e.code(), e.server_code()),
        ("forbidden", Some("out_of_scope"))
    );
    assert!(!e.is_retryable());
    assert_eq!(t.count(Route::Push), 1);
    assert_eq!(server.lock().feed().len(), 0);
    // A refused push does not keep the device from receiving: the pull still ran.
    assert_eq!(
        t.count(Route::Pull),
        1,
        "the pull runs after a refused push"
    );
    // Unless the refusal is about the device's sign-in: then nothing more is asked.
    t.fail_next_on(
        Route::Push,
        Fault::Refuse {
            status: 401,
            code: "auth_bad_token".into(),
        },
    );
    let e = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect_err("signed out");
    assert_eq!(e.server_code(), Some("auth_bad_token"));
    assert_eq!(t.count(Route::Pull), 1, "no pull without a valid sign-in");
    // A page that is not the protocol (a captive portal) stops at once too.
    t.fail_next_on(Route::Pull, Fault::Garbage);
    let e = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect_err("garbage");
    assert_eq!(e.code(), "bad_response");
    assert_eq!(t.count(Route::Pull), 2);
    assert_exactly_once(&server, 5);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_lost_operations_gets_them_again() {
    let server = SimServer::default();
    let t = MemoryTransport::new(server.clone());
    let mut a = phone(1, SCOPE_A, 12);
    sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect("first");
    // Restored from a backup that has only the first 4; meanwhile the phone recorded 3 more.
    server.lock().forget_device_after(a.device_id(), 4);
    for i in 0..3 {
        a.record_new("visit", &format!("补录{i}"));
    }
    let r = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect("second");
    // The first batch (13..15) shows the gap; the phone resends from 5.
    assert_eq!(r.accepted, 11);
    assert_exactly_once(&server, 15);
    assert_eq!(server.lock().device_seq(a.device_id()), 15);
}

#[tokio::test(start_paused = true)]
async fn a_failed_local_commit_does_not_move_the_cursor() {
    let server = SimServer::default();
    let t = MemoryTransport::new(server.clone());
    let mut b = phone(2, SCOPE_B, 20);
    sync(&mut b, &t, &options(), &mut |_| {}).await.expect("b");
    let mut a = phone(1, SCOPE_A, 0);
    a.fail_next(StoreCall::ApplyPulled);
    let e = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect_err("disk full");
    assert_eq!(e.code(), "device_storage");
    assert_eq!(a.cursor().expect("cursor"), 0);
    let r = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect("again");
    assert_eq!((r.pulled, a.pulled_new()), (20, 20));
    assert_eq!(a.states(), b.states());
    // A failed acknowledge: the server has the batch, the resend is answered as duplicates.
    a.record_new("visit", "x");
    a.fail_next(StoreCall::Acknowledge);
    sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect_err("ack failed");
    let r = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect("again");
    assert_eq!((r.accepted, r.duplicate), (0, 1));
    assert_exactly_once(&server, 21);
}

/// Many phones, random transient faults on a third of all requests, small batches and pages:
/// after retries every operation is on the server exactly once and every phone shows the same.
#[tokio::test(start_paused = true)]
async fn chaos_three_phones_converge_exactly_once() {
    for seed in 0..40u64 {
        let server = SimServer::default();
        let mut phones: Vec<(MemoryStore, MemoryTransport)> = (0..3u64)
            .map(|i| {
                let scope = if i % 2 == 0 { SCOPE_A } else { SCOPE_B };
                let n = 17 + 13 * usize::try_from(i).unwrap_or(0);
                let t = MemoryTransport::new(server.clone());
                t.chaos(seed * 31 + i, 0.35);
                (phone(u128::from(i) + 1, scope, n), t)
            })
            .collect();
        let opts = SyncOptions {
            retry: RetryPolicy {
                max_attempts: 40,
                ..options().retry
            },
            ..options()
        };
        // Two rounds: the first phones pull the later phones' operations in the second.
        for _round in 0..2 {
            for (store, t) in &mut phones {
                sync(store, t, &opts, &mut |_| {})
                    .await
                    .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            }
        }
        assert_exactly_once(&server, 17 + 30 + 43);
        let end = feed_end(&server);
        let srv = server.lock();
        for (store, _) in &phones {
            assert_eq!(store.cursor().expect("cursor"), end, "seed {seed}");
            assert_eq!(store.pending_count().expect("pending"), 0, "seed {seed}");
            assert_eq!(store.states(), srv.states(), "seed {seed}");
        }
        let faults: usize = phones
            .iter()
            .map(|(_, t)| t.calls().iter().filter(|c| c.fault.is_some()).count())
            .sum();
        assert!(
            faults > 10,
            "seed {seed}: chaos injected only {faults} faults"
        );
    }
}
