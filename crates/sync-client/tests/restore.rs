//! The server's database restored from an older backup (a new epoch): every device pushes again
//! what the server lost, starts its feed over, and no device misses an operation that got a
//! `server_seq` it had already passed.

mod common;

use bangfu_core::sync::DeviceStore;
use bangfu_core::sync::outgoing::OutgoingPush;
use bangfu_core::sync::wire::{Capabilities, PullResponse, PushResponse};
use bangfu_sync_client::testing::{MemoryStore, MemoryTransport, Route, SimServer};
use bangfu_sync_client::{SyncOptions, Transport, TransportError, sync};
use common::{SCOPE_A, SCOPE_B, assert_exactly_once, feed_end, options, phone};

async fn sync_ok(store: &mut MemoryStore, t: &MemoryTransport, opts: &SyncOptions) {
    sync(store, t, opts, &mut |_| {}).await.expect("sync");
}

/// A and B record and sync; a backup is taken; both record more and sync until each holds
/// everything; the server is restored from the backup. Returns the phones, the server and each
/// phone's transport.
async fn restored_after_more_work() -> (MemoryStore, MemoryStore, SimServer, MemoryTransport) {
    let server = SimServer::default();
    let t = MemoryTransport::new(server.clone());
    let mut a = phone(1, SCOPE_A, 10);
    let mut b = phone(2, SCOPE_B, 10);
    sync_ok(&mut a, &t, &options()).await;
    sync_ok(&mut b, &t, &options()).await;
    let backup = server.lock().backup();
    for i in 0..5 {
        a.record_new("visit", &format!("备份后A{i}"));
        b.record_new("visit", &format!("备份后B{i}"));
    }
    sync_ok(&mut a, &t, &options()).await;
    sync_ok(&mut b, &t, &options()).await;
    sync_ok(&mut a, &t, &options()).await;
    assert_eq!(a.states(), b.states());
    assert_eq!(b.cursor().expect("cursor"), 30);
    server.lock().restore(backup);
    assert_eq!(
        feed_end(&server),
        20,
        "the restored feed ends before the lost 10"
    );
    (a, b, server, t)
}

#[tokio::test(start_paused = true)]
async fn after_a_restore_devices_push_again_what_the_server_lost_and_miss_nothing() {
    let (mut a, mut b, server, t) = restored_after_more_work().await;
    // A has nothing pending, yet the server lost 5 of its operations; A records 2 more, which
    // get positions B has already passed in the old feed.
    sync_ok(&mut a, &t, &options()).await;
    assert_eq!(server.lock().device_seq(a.device_id()), 15);
    for i in 0..2 {
        a.record_new("visit", &format!("恢复后A{i}"));
    }
    sync_ok(&mut a, &t, &options()).await;
    sync_ok(&mut b, &t, &options()).await;
    sync_ok(&mut a, &t, &options()).await;
    assert_exactly_once(&server, 32);
    assert_eq!(server.lock().device_seq(b.device_id()), 15);
    assert_eq!(a.states(), b.states(), "A and B hold the same records");
    assert_eq!(a.states(), server.lock().states());
    assert_eq!(a.states().len(), 32);
    for p in [&a, &b] {
        assert_eq!(p.cursor().expect("cursor"), 32);
        assert_eq!(p.pending_count().expect("pending"), 0);
        assert_eq!(
            p.server_epoch().expect("epoch"),
            Some(server.lock().epoch())
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_new_epoch_seen_only_in_the_feed_still_pushes_again_what_was_lost() {
    let (mut a, mut b, server, t) = restored_after_more_work().await;
    // No version request and nothing pending: the first answer is a pull page.
    let quiet = SyncOptions {
        check_version: false,
        ..options()
    };
    let pushes = t.count(Route::Push);
    let r = sync(&mut b, &t, &quiet, &mut |_| {}).await.expect("b");
    assert!(r.server_restored);
    assert!(
        t.count(Route::Push) > pushes,
        "B asked where the server stands"
    );
    assert_eq!(server.lock().device_seq(b.device_id()), 15);
    sync_ok(&mut a, &t, &quiet).await;
    sync_ok(&mut b, &t, &quiet).await;
    assert_exactly_once(&server, 30);
    assert_eq!(a.states(), b.states());
    assert_eq!(a.states().len(), 30);
    // Once followed, the epoch changes nothing more.
    let r = sync(&mut a, &t, &quiet, &mut |_| {}).await.expect("again");
    assert!(!r.server_restored);
    assert_eq!((r.pulled, r.ops_sent), (0, 0));
}

/// A server from before epochs: its answers carry none.
struct NoEpoch(MemoryTransport);

impl Transport for NoEpoch {
    async fn push(&self, request: &OutgoingPush) -> Result<PushResponse, TransportError> {
        let mut r = self.0.push(request).await?;
        r.epoch = None;
        Ok(r)
    }
    async fn pull(
        &self,
        after: u64,
        limit: u32,
        scope: Option<&str>,
        exclude_origin: Option<(uuid::Uuid, u64)>,
    ) -> Result<PullResponse, TransportError> {
        let mut r = self.0.pull(after, limit, scope, exclude_origin).await?;
        r.epoch = None;
        Ok(r)
    }
    async fn version(&self) -> Result<Capabilities, TransportError> {
        let mut r = self.0.version().await?;
        r.epoch = None;
        Ok(r)
    }
}

#[tokio::test(start_paused = true)]
async fn the_first_epoch_a_device_sees_is_kept_without_starting_over() {
    let server = SimServer::default();
    let mut a = phone(1, SCOPE_A, 10);
    let mut b = phone(2, SCOPE_B, 10);
    let old = NoEpoch(MemoryTransport::new(server.clone()));
    sync(&mut a, &old, &options(), &mut |_| {})
        .await
        .expect("a");
    sync(&mut b, &old, &options(), &mut |_| {})
        .await
        .expect("b");
    assert_eq!(b.server_epoch().expect("epoch"), None);
    // The server is upgraded: its answers carry an epoch from now on. The device keeps it and
    // goes on from where it was: nothing sent again, nothing pulled again.
    let t = MemoryTransport::new(server.clone());
    let r = sync(&mut b, &t, &options(), &mut |_| {}).await.expect("b");
    assert!(!r.server_restored);
    assert_eq!((r.ops_sent, r.pulled), (0, 0));
    assert_eq!(b.cursor().expect("cursor"), 20);
    assert_eq!(
        b.server_epoch().expect("epoch"),
        Some(server.lock().epoch())
    );
    // Answers without an epoch (a server downgraded again) change nothing either.
    let r = sync(&mut b, &old, &options(), &mut |_| {})
        .await
        .expect("b");
    assert_eq!((r.ops_sent, r.pulled, r.server_restored), (0, 0, false));
    assert_eq!(
        b.server_epoch().expect("epoch"),
        Some(server.lock().epoch())
    );
}
