//! The restore drill (issue 11, item 10): the server's database is backed up while it serves,
//! devices keep working, and the database is restored from the older backup. Afterwards every
//! operation of every device is on the server again, exactly once, and every device holds every
//! operation: none missed an operation that the restored server gave a `server_seq` it had
//! already passed, none kept an operation the server had lost.
//!
//! Real device stores, the real server storage on a file, `bangfu_server::backup` as the
//! `backup` and `restore` commands run it; requests go in process (`FaultyTransport`, no faults).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bangfu_core::Record;
use bangfu_core::sync::DeviceStore;
use bangfu_server::{SqliteStorage, SyncStorage};
use bangfu_sync_client::{SyncOptions, sync};
use bangfu_tests::check::assert_converged;
use bangfu_tests::fixtures::{
    HouseholdField, Phone, T0_MS, household, household_scope, seed_household_id, visit,
};
use bangfu_tests::inproc::FaultyTransport;
use bangfu_tests::quick_sync_options;
use uuid::Uuid;

/// The server as the drill sees it: its storage on `db` and the devices' link to it.
struct Server {
    storage: Arc<SqliteStorage>,
    transport: FaultyTransport,
}

impl Server {
    fn open(db: &Path, clock: &Arc<AtomicU64>) -> Server {
        let storage = Arc::new(SqliteStorage::open(db).expect("open the server database"));
        let transport = FaultyTransport::new(storage.clone(), clock.clone());
        Server { storage, transport }
    }
}

fn options() -> SyncOptions {
    // Small batches and pages: the loops run several times.
    quick_sync_options(7, 5, 2, 1)
}

/// Syncs A and B in the order `order` names them (`"aba"`: A, then B, then A again).
fn sync_in_order(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    a: &mut Phone,
    b: &mut Phone,
    order: &str,
) {
    for c in order.chars() {
        let p = if c == 'a' { &mut *a } else { &mut *b };
        rt.block_on(sync(
            &mut p.store,
            &server.transport,
            &options(),
            &mut |_| {},
        ))
        .unwrap_or_else(|e| panic!("phone {} syncs: {e}", p.n));
    }
}

fn new_id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0dd1_0000_0000 | n)
}

fn record_visits(p: &mut Phone, h: Uuid, ids: std::ops::Range<u128>, now: u64) {
    for (i, id) in ids.enumerate() {
        let at = now + i as u64 * 1_000;
        let v = visit(new_id(id), h, p.author, at);
        p.record(&Record::Visit(v), &household_scope(h), at)
            .expect("a visit is a change");
    }
}

#[test]
fn after_a_restore_from_an_older_backup_every_device_converges_with_nothing_lost() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("county.db");
    let copy = dir.path().join("county-backup.db");
    let mut now = T0_MS;
    let clock = Arc::new(AtomicU64::new(now));
    let server = Server::open(&db, &clock);
    let mut a = Phone::new(0, 0);
    let mut b = Phone::new(1, 0);
    let (h0, h1) = (seed_household_id(0), seed_household_id(1));

    // Before the backup: the seed, visits of both, one edit; everyone synced.
    a.record_seed(2, 2, now);
    record_visits(&mut a, h0, 0..3, now);
    sync_in_order(&rt, &server, &mut a, &mut b, "ab");
    record_visits(&mut b, h1, 10..13, now);
    b.edit_household(h1, HouseholdField::ALL[0], 1, now)
        .expect("an edit");
    sync_in_order(&rt, &server, &mut a, &mut b, "ba");

    // The backup, while the server is open.
    let backed_up = bangfu_server::backup::backup(&db, &copy).expect("backup");
    let old_epoch = server.storage.epoch().expect("epoch");
    assert_eq!(backed_up.epoch, Some(old_epoch));

    // After the backup: more work on both phones, including a new household and its visit, and
    // edits of one household on both; everyone holds everything.
    now += 3_600_000;
    clock.store(now, Ordering::SeqCst);
    let h_new = new_id(100);
    a.record(
        &Record::Household(household(h_new, "新户")),
        &household_scope(h_new),
        now,
    )
    .expect("a new household");
    record_visits(&mut a, h_new, 20..22, now);
    record_visits(&mut a, h0, 22..24, now);
    record_visits(&mut b, h1, 30..34, now);
    sync_in_order(&rt, &server, &mut a, &mut b, "ab");
    a.edit_household(h1, HouseholdField::ALL[1], 1, now + 10)
        .expect("an edit");
    b.edit_household(h1, HouseholdField::ALL[1], 0, now + 20)
        .expect("an edit");
    sync_in_order(&rt, &server, &mut a, &mut b, "aba");
    let feed_end_before = DeviceStore::cursor(&b.store).expect("cursor");
    assert_eq!(
        DeviceStore::cursor(&a.store).expect("cursor"),
        feed_end_before
    );

    // The server stops; the database is restored from the older backup; the server starts.
    drop(server);
    let restored = bangfu_server::backup::restore(&copy, &db, now).expect("restore");
    assert!(
        restored.set_aside.is_some(),
        "the replaced database is kept"
    );
    assert!(restored.info.last_server_seq < feed_end_before);
    let server = Server::open(&db, &clock);
    let new_epoch = server.storage.epoch().expect("epoch");
    assert_ne!(new_epoch, old_epoch, "a restore gives a new epoch");

    // A records a visit first: on the restored server it takes a position B has passed.
    now += 3_600_000;
    clock.store(now, Ordering::SeqCst);
    record_visits(&mut a, h0, 40..41, now);
    sync_in_order(&rt, &server, &mut a, &mut b, "abab");

    // B had passed the position A's new visit got on the restored server: it has it all the same.
    assert!(
        b.store.get_visit(new_id(40)).expect("read").is_some(),
        "B missed the visit A recorded after the restore"
    );
    for p in [&a, &b] {
        assert_eq!(
            p.store.server_epoch().expect("epoch"),
            Some(new_epoch),
            "phone {}",
            p.n
        );
    }

    // Every operation of both devices is on the server once, none refused, both devices pulled
    // the whole new feed and show the server's state.
    assert_converged(&[a, b], &*server.storage, now);
}
