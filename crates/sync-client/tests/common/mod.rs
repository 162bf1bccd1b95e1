//! Helpers shared by the client's tests.
#![allow(dead_code)]

use std::time::Duration;

use bangfu_sync_client::testing::{MemoryStore, SimServer};
use bangfu_sync_client::{Progress, RetryPolicy, SyncOptions};
use uuid::Uuid;

pub const SCOPE_A: &str = "360722/360722100/360722100201";
pub const SCOPE_B: &str = "360722/360722100/360722100202";

/// A phone with `n` recorded visits in `scope`.
pub fn phone(id: u128, scope: &str, n: usize) -> MemoryStore {
    let mut s = MemoryStore::new(Uuid::from_u128(id), scope);
    for i in 0..n {
        s.record_new("visit", &format!("第{i}次走访"));
    }
    s
}

/// Small batches and pages (to exercise the loops), quick retries.
pub fn options() -> SyncOptions {
    SyncOptions {
        batch_size: 10,
        pull_limit: 7,
        retry: RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        },
        ..SyncOptions::default()
    }
}

/// Every operation the server holds was stored exactly once, and there are `expected` of them.
pub fn assert_exactly_once(server: &SimServer, expected: usize) {
    let s = server.lock();
    let counts = s.stored_counts();
    assert_eq!(counts.len(), expected, "operations stored");
    assert!(
        counts.values().all(|n| *n == 1),
        "an operation was stored twice"
    );
    assert_eq!(s.feed().len(), expected, "feed length");
}

/// The last server_seq of the feed.
pub fn feed_end(server: &SimServer) -> u64 {
    server.lock().feed().last().map_or(0, |e| e.server_seq)
}

/// A progress callback that keeps every report.
pub fn recorder(into: &mut Vec<Progress>) -> impl FnMut(Progress) + Send + '_ {
    move |p| into.push(p)
}
