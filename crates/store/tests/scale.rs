//! Timing on a county-sized store (25,000 households, 200,000 visits). Ignored by default; run
//! `cargo test --release -p bangfu-store --test scale -- --ignored --nocapture`.

mod common;

use std::time::{Duration, Instant};

use bangfu_store::Store;

/// CPU time (user + system) of this thread so far, from /proc on Linux (10 ms resolution): the
/// wall clock lies on a shared, busy build machine.
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
    // Fields 14 and 15 of the stat line (utime, stime) are the 12th and 13th after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Runs `f`, printing its wall and CPU time.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> (T, Duration) {
    let (t, c) = (Instant::now(), cpu());
    let out = f();
    let (wall, cpu) = (t.elapsed(), cpu() - c);
    println!("{what}: {wall:?} wall, {cpu:?} cpu");
    (out, cpu)
}

#[test]
#[ignore = "slow: county-sized timing, run in release"]
fn county_sized_save_and_load() {
    let ds = common::county(25_000, 8);
    println!(
        "households {}, members {}, visits {}, income records {}",
        ds.households.len(),
        ds.members.len(),
        ds.visits.len(),
        ds.income_records.len()
    );
    timed("validate_dataset", || {
        bangfu_core::validate::validate_dataset(&ds).expect("valid")
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("county.db");
    let mut store = Store::open(&path).expect("open");
    let (_, save) = timed(
        "save_dataset into an empty store (incl. validation)",
        || store.save_dataset(&ds).expect("save"),
    );
    timed("save_dataset over a full store", || {
        store.save_dataset(&ds).expect("save again")
    });
    drop(store);

    let store = Store::open(&path).expect("reopen");
    let (loaded, load) = timed("load_dataset (fresh connection)", || {
        store.load_dataset().expect("load")
    });
    assert_eq!(loaded, ds);
    drop(loaded);
    timed("load_dataset again", || store.load_dataset().expect("load"));

    let h = &ds.households[12_345];
    let (counts, _) = timed("three list queries", || {
        let page = store.households_in_village(h.village_id, 50, 100);
        let visits = store.visits_of_household(h.id);
        let pairings = store.pairings_of_cadre(ds.pairings[12_345].cadre_id);
        (
            page.expect("page").len(),
            visits.expect("visits").len(),
            pairings.expect("pairings").len(),
        )
    });
    assert_eq!(counts, (50, 8, 6));
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("database file: {} MB", size / 1_000_000);
    if !cfg!(debug_assertions) {
        // Generous bounds (CPU time, so a busy machine does not fail it): they catch an accidental
        // quadratic query or a per-row transaction, not a 20 % regression.
        assert!(save.as_secs_f64() < 10.0, "save took {save:?}");
        assert!(load.as_secs_f64() < 3.0, "load took {load:?}");
    }
}
