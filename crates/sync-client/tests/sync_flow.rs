//! The sync client against the simulated server, without faults: what is pushed, pulled,
//! reported and refused.

mod common;

use bangfu_core::sync::DeviceStore;
use bangfu_core::sync::outgoing::OutgoingPush;
use bangfu_core::sync::wire::{Capabilities, PullResponse, PushResponse};
use bangfu_sync_client::testing::{
    Fault, MemoryServer, MemoryStore, MemoryTransport, Route, SimServer,
};
use bangfu_sync_client::{
    HttpOptions, HttpTransport, Phase, Progress, SyncOptions, Transport, TransportError, sync,
};
use common::{SCOPE_A, SCOPE_B, assert_exactly_once, feed_end, options, phone, recorder};

#[tokio::test(start_paused = true)]
async fn two_phones_converge_through_the_server() {
    let server = SimServer::default();
    let mut a = phone(1, SCOPE_A, 23);
    let mut b = phone(2, SCOPE_B, 31);
    let (ta, tb) = (
        MemoryTransport::new(server.clone()),
        MemoryTransport::new(server.clone()),
    );
    let ra = sync(&mut a, &ta, &options(), &mut |_| {}).await.expect("a");
    let rb = sync(&mut b, &tb, &options(), &mut |_| {}).await.expect("b");
    let ra2 = sync(&mut a, &ta, &options(), &mut |_| {})
        .await
        .expect("a again");
    assert_eq!((ra.accepted, ra.duplicate, ra.ops_sent), (23, 0, 23));
    // Each phone pulls only the other's operations: its own are left out by the server.
    assert_eq!((rb.accepted, rb.pulled), (31, 23));
    assert_eq!((ra2.ops_sent, ra2.pulled), (0, 31));
    assert_exactly_once(&server, 54);
    assert_eq!(a.cursor().expect("cursor"), feed_end(&server));
    assert_eq!(b.cursor().expect("cursor"), feed_end(&server));
    assert_eq!(a.states(), server.lock().states());
    assert_eq!(b.states(), a.states());
    assert_eq!(
        (a.acked_seq().expect("acked"), a.pending_count().expect("n")),
        (23, 0)
    );
    // 23 ops in batches of 10: 3 pushes; the server clock was absorbed.
    assert_eq!(ta.count(Route::Push), 3);
    assert!(a.clock() >= server.lock().feed()[53].op.hlc);
    assert!(ra.transport.bytes_sent() > 0 && ra.transport.requests == ra.requests);
    assert!(ra.server.is_some());
}

#[tokio::test(start_paused = true)]
async fn progress_reaches_the_total_and_the_end_of_the_feed() {
    let server = SimServer::default();
    let mut a = phone(1, SCOPE_A, 25);
    let t = MemoryTransport::new(server.clone());
    t.fail_next_on(Route::Push, Fault::Unavailable);
    let mut seen: Vec<Progress> = Vec::new();
    sync(&mut a, &t, &options(), &mut recorder(&mut seen))
        .await
        .expect("sync");
    let push: Vec<_> = seen.iter().filter(|p| p.phase == Phase::Push).collect();
    let pull: Vec<_> = seen.iter().filter(|p| p.phase == Phase::Pull).collect();
    assert_eq!(push.first().map(|p| (p.done, p.total)), Some((0, Some(25))));
    let last = push.last().expect("push progress");
    assert_eq!((last.done, last.total, last.more), (25, Some(25), false));
    assert!(push.windows(2).all(|w| w[0].done <= w[1].done), "monotonic");
    assert_eq!(push.iter().filter(|p| p.retry_in.is_some()).count(), 1);
    let last = pull.last().expect("pull progress");
    // Alone on the server: the feed holds only its own operations, which are left out.
    assert_eq!((last.done, last.total, last.more), (0, None, false));
    assert!(pull.iter().rev().skip(1).all(|p| p.more));
}

#[tokio::test(start_paused = true)]
async fn refused_operations_are_reported_kept_and_not_resent() {
    let server = SimServer::default();
    let mut a = phone(1, SCOPE_A, 3);
    a.record_new("visit", "REFUSE");
    a.record_new("visit", "ok");
    let t = MemoryTransport::new(server.clone());
    // The answer to the batch is lost: on the resend the refusal must be reported again.
    t.fail_next_on(Route::Push, Fault::LoseResponse);
    let r = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect("sync");
    assert_eq!((r.accepted, r.duplicate), (0, 4));
    assert_eq!(r.rejected.len(), 1);
    let rej = &r.rejected[0];
    assert_eq!((rej.origin_seq, rej.reason.code.as_str()), (4, "invalid"));
    assert_eq!(rej.op_id, Some(a.ops()[3].op_id));
    assert_eq!(a.rejected().keys().copied().collect::<Vec<_>>(), vec![4]);
    assert_eq!(
        (a.acked_seq().expect("acked"), a.pending_count().expect("n")),
        (5, 0)
    );
    assert_exactly_once(&server, 4);
    let again = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect("sync");
    assert_eq!(again.ops_sent, 0, "a refused operation is not sent again");
}

#[tokio::test(start_paused = true)]
async fn a_scoped_pull_gets_only_its_scope_and_still_reaches_the_end() {
    let server = SimServer::default();
    let t = MemoryTransport::new(server.clone());
    let mut a = phone(1, SCOPE_A, 12);
    let mut b = phone(2, SCOPE_B, 9);
    sync(&mut a, &t, &options(), &mut |_| {}).await.expect("a");
    let scoped = SyncOptions {
        scope: Some(SCOPE_B.to_owned()),
        ..options()
    };
    let r = sync(&mut b, &t, &scoped, &mut |_| {}).await.expect("b");
    assert_eq!(r.pulled, 0, "a's are out of scope, b's own are left out");
    assert_eq!(b.pulled_new(), 0, "b already had its own operations");
    assert_eq!(b.states().len(), 9);
    assert_eq!(b.cursor().expect("cursor"), feed_end(&server));
    // A prefix that is not a whole path segment does not match.
    let mut c = phone(3, SCOPE_A, 0);
    let partial = SyncOptions {
        scope: Some("360722/3607221".to_owned()),
        ..options()
    };
    assert_eq!(
        sync(&mut c, &t, &partial, &mut |_| {})
            .await
            .expect("c")
            .pulled,
        0
    );
}

#[tokio::test(start_paused = true)]
async fn batches_follow_the_servers_limits() {
    let mut srv = MemoryServer::new();
    srv.max_ops_per_push = 4;
    srv.max_pull_limit = 5;
    let server = SimServer::new(srv);
    let t = MemoryTransport::new(server.clone());
    let mut a = phone(1, SCOPE_A, 18);
    let r = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect("sync");
    assert_eq!(t.count(Route::Push), 5, "18 operations, 4 per push");
    assert_eq!(t.count(Route::Pull), 1, "its own 18 entries are left out");
    assert_eq!(r.accepted, 18);
    let mut c = phone(3, SCOPE_A, 0);
    let tc = MemoryTransport::new(server.clone());
    let r = sync(&mut c, &tc, &options(), &mut |_| {})
        .await
        .expect("sync");
    assert_eq!(tc.count(Route::Pull), 4, "18 entries, 5 per page");
    assert_eq!(r.pulled, 18);
    // A 413 halves the batch (10 → 5) and is not counted as a failure of the sync.
    let server = SimServer::default();
    let t = MemoryTransport::new(server.clone());
    let mut b = phone(2, SCOPE_A, 10);
    t.fail_next_on(
        Route::Push,
        Fault::Refuse {
            status: 413,
            code: "too_large".into(),
        },
    );
    let r = sync(&mut b, &t, &options(), &mut |_| {})
        .await
        .expect("sync");
    assert_eq!((r.accepted, t.count(Route::Push)), (10, 3));
    assert_exactly_once(&server, 10);
}

#[tokio::test(start_paused = true)]
async fn a_protocol_version_mismatch_stops_before_anything_is_sent() {
    let mut srv = MemoryServer::new();
    srv.protocol = 2;
    let t = MemoryTransport::new(SimServer::new(srv));
    let mut a = phone(1, SCOPE_A, 3);
    let e = sync(&mut a, &t, &options(), &mut |_| {})
        .await
        .expect_err("mismatch");
    assert_eq!(e.code(), "version_mismatch");
    assert_eq!((t.count(Route::Push), t.count(Route::Version)), (0, 1));
}

/// A server that answers every push without processing anything.
struct BlackHole;

impl Transport for BlackHole {
    async fn push(&self, request: &OutgoingPush) -> Result<PushResponse, TransportError> {
        let first = request.ops.first().map_or(1, |o| o.origin_seq);
        let last = request.ops.last().map_or(0, |o| o.origin_seq);
        Ok(PushResponse {
            results: vec![bangfu_core::sync::wire::OpResult {
                first_seq: first,
                last_seq: last,
                status: bangfu_core::sync::wire::OpStatus::Rejected,
                reason: None,
            }],
            device_seq: 0,
            server_hlc: bangfu_core::sync::Hlc::ZERO,
            epoch: None,
        })
    }
    async fn pull(
        &self,
        _: u64,
        _: u32,
        _: Option<&str>,
        _: Option<(uuid::Uuid, u64)>,
    ) -> Result<PullResponse, TransportError> {
        Err(TransportError::BadResponse("unused".into()))
    }
    async fn version(&self) -> Result<Capabilities, TransportError> {
        Err(TransportError::BadResponse("unused".into()))
    }
}

#[tokio::test(start_paused = true)]
async fn a_server_that_processes_nothing_is_reported_not_looped_on() {
    let mut a = phone(1, SCOPE_A, 3);
    let opts = SyncOptions {
        check_version: false,
        ..options()
    };
    let e = sync(&mut a, &BlackHole, &opts, &mut |_| {})
        .await
        .expect_err("stuck");
    assert_eq!(e.code(), "push_stuck");
    assert_eq!(a.acked_seq().expect("acked"), 0);
}

#[test]
fn the_sync_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mut a: MemoryStore = phone(1, SCOPE_A, 1);
    let t = MemoryTransport::new(SimServer::default());
    let opts = options();
    let mut progress = |_: Progress| {};
    let fut = sync(&mut a, &t, &opts, &mut progress);
    assert_send(&fut);
    drop(fut);
    let http = HttpTransport::new("http://127.0.0.1:9", HttpOptions::default()).expect("transport");
    let fut = sync(&mut a, &http, &opts, &mut progress);
    assert_send(&fut);
}
