//! bangfu-tests: the harness of bangfu's cross-crate tests (the tests are in `tests/`).
//!
//! - [`fixtures`]: a fake county and [`fixtures::Phone`]s (real `bangfu_store::Store`s) that keep
//!   every operation they made.
//! - [`inproc`]: [`inproc::FaultyTransport`], the sync client's transport to the real server
//!   storage in process, with a simulated clock and seeded fault injection.
//! - [`server`]: the real `bangfu-server` binary as a child process on 127.0.0.1.
//! - [`proxy`]: [`proxy::CutProxy`], a TCP proxy that cuts HTTP messages at chosen byte offsets.
//! - [`check`]: convergence, exactly-once and nothing-lost assertions.
//! - [`leaks`]: looking for secrets in a log, however it escapes them.
//! - [`raw`]: [`raw::device`] (a `bangfu_testkit::HandDevice`) and [`raw::Api`], for requests the sync client never sends.

pub mod check;
pub mod fixtures;
pub mod inproc;
pub mod leaks;
pub mod proxy;
pub mod raw;
pub mod server;

use std::time::Duration;

use bangfu_sync_client::{RetryPolicy, SyncOptions};

/// Sync options with quick retries (`attempts` per request, waits of `base_ms` doubling up to
/// 8 × `base_ms`).
pub fn quick_sync_options(
    batch_size: usize,
    pull_limit: u32,
    attempts: u32,
    base_ms: u64,
) -> SyncOptions {
    SyncOptions {
        batch_size,
        pull_limit,
        retry: RetryPolicy {
            max_attempts: attempts,
            base_delay: Duration::from_millis(base_ms),
            max_delay: Duration::from_millis(base_ms * 8),
        },
        ..SyncOptions::default()
    }
}

/// Milliseconds since the Unix epoch by the system clock.
pub use bangfu_testkit::system_now_ms;
