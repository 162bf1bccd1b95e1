//! Timing of sync on a county-sized store: 100,000 pulled visit operations applied in pages of
//! 5,000, and local changes. Ignored by default; run
//! `cargo test --release -p bangfu-store --test sync_scale -- --ignored --nocapture`.

mod common;
mod sync_common;

use std::time::{Duration, Instant};

use bangfu_core::Record;
use bangfu_core::sync::{DeviceStore, Hlc, OP_SCHEMA_VERSION, Operation};
use bangfu_store::Store;
use sync_common::{device, recorded_at, scope_of};
use uuid::Uuid;

/// CPU time (user + system) of this thread so far, from /proc on Linux (10 ms resolution).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn timed<T>(what: &str, n: usize, f: impl FnOnce() -> T) -> (T, f64) {
    let (t, c) = (Instant::now(), cpu());
    let out = f();
    let (wall, cpu) = (t.elapsed(), cpu() - c);
    let rate = n as f64 / cpu.as_secs_f64().max(0.001);
    println!(
        "{what}: {n} in {wall:?} wall, {cpu:?} cpu = {:.0} ops/s (wall), {rate:.0} ops/s (cpu)",
        n as f64 / wall.as_secs_f64()
    );
    (out, rate)
}

#[test]
#[ignore = "slow: county-sized timing, run in release"]
fn applying_100_000_pulled_visits() {
    let mut ds = common::county(12_500, 8);
    let visits = std::mem::take(&mut ds.visits);
    assert_eq!(visits.len(), 100_000);
    let t0 = 1_714_521_600_000_u64;
    let entries: Vec<_> = visits
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let rec = Record::Visit(v.clone());
            let origin = (i % 500) as u64;
            bangfu_core::sync::wire::FeedEntry::new(
                i as u64 + 1,
                Operation {
                    op_id: Uuid::now_v7(),
                    origin_device: device(u128::from(origin) + 100),
                    origin_seq: i as u64 / 500 + 1,
                    hlc: Hlc::new(t0 + i as u64, 0),
                    entity: "visit".into(),
                    entity_id: v.id,
                    create: true,
                    fields: Operation::fields_of(&rec),
                    base: Default::default(),
                    scope_path: scope_of(&rec),
                    schema_version: OP_SCHEMA_VERSION,
                    author: v.visitor_id,
                    recorded_at: recorded_at(t0 + i as u64),
                },
            )
        })
        .collect();

    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path().join("device.db")).expect("open");
    store.save_dataset(&ds).expect("base");
    store.init_device(device(1)).expect("device");

    let (_, rate) = timed("apply_pulled, pages of 5,000", entries.len(), || {
        for page in entries.chunks(5_000) {
            let cursor = page.last().map_or(0, |e| e.server_seq);
            store.apply_pulled(page, cursor).expect("apply");
        }
    });
    assert_eq!(store.cursor().expect("cursor"), 100_000);
    assert!(store.unmaterialized().expect("list").is_empty());
    let loaded = store.load_dataset().expect("load");
    assert_eq!(loaded.visits.len(), 100_000);
    timed("apply_pulled again (all held)", entries.len(), || {
        for page in entries.chunks(5_000) {
            let cursor = page.last().map_or(0, |e| e.server_seq);
            store.apply_pulled(page, cursor).expect("apply");
        }
    });

    // Local changes: one transaction (and one fsync-free WAL commit) each, validated.
    let n_local = 5_000;
    let local: Vec<_> = visits[..n_local]
        .iter()
        .map(|v| {
            let mut v = v.clone();
            v.id = Uuid::now_v7();
            Record::Visit(v)
        })
        .collect();
    timed("record_change (new visits)", n_local, || {
        for (i, r) in local.iter().enumerate() {
            let ms = t0 + 200_000 + i as u64;
            store
                .record_change(r, Uuid::nil(), &scope_of(r), ms, recorded_at(ms))
                .expect("change");
        }
    });
    assert_eq!(store.pending_count().expect("pending"), n_local as u64);
    // For comparison: the same saves without operations.
    let plain: Vec<_> = visits[n_local..2 * n_local]
        .iter()
        .map(|v| {
            let mut v = v.clone();
            v.id = Uuid::now_v7();
            Record::Visit(v)
        })
        .collect();
    timed("save_record (new visits, no operation)", n_local, || {
        for r in &plain {
            store.save_record(r).expect("save");
        }
    });
    let size = std::fs::metadata(dir.path().join("device.db")).map_or(0, |m| m.len());
    println!("database file: {} MB", size / 1_000_000);
    if !cfg!(debug_assertions) {
        // Measured about 54,000 ops/s of CPU on a 2-core build machine. The bound is generous
        // (CPU time, so a busy machine does not fail it): it catches a per-op transaction or
        // fsync, or a quadratic step, not a 20 % regression.
        assert!(rate >= 25_000.0, "apply_pulled: {rate:.0} ops/s");
    }
}
