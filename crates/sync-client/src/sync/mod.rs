//! One sync: check the server's protocol version, push this device's pending operations, pull the
//! feed. Every answer carries the server database's epoch: when it differs from the one the
//! device last saw, the server was restored from a backup, and the device follows it
//! ([`DeviceStore::rebase_on_restored_server`]): its own operations the server lost go again and
//! the feed starts over, then the sync goes on (from the push, if a pull page told it). Everything is derived from the store's `acked_seq` and `cursor`, and the store commits
//! every step, so a sync cut anywhere (or a dropped future, or a killed app) resumes where it
//! stopped the next time, and sends nothing twice that the server does not already answer as a
//! duplicate.
//!
//! The store's methods are synchronous (SQLite on the phone, short transactions) and are called
//! from the sync future directly.

mod epoch;
mod pull;
mod push;

use std::time::Duration;

use bangfu_core::sync::DeviceStore;
use bangfu_core::sync::wire::{Capabilities, PROTOCOL_VERSION, Reason};
use serde::Serialize;
use uuid::Uuid;

use crate::error::SyncError;
use crate::retry::{Attempts, RetryPolicy, with_retry};
use crate::transport::{Transport, TransportError, TransportStats};

/// How to sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncOptions {
    /// Operations per push (lowered to the server's `max_ops_per_push`; halved while the server
    /// answers 413 Payload Too Large).
    pub batch_size: usize,
    /// Largest push batch: after a batch answered within `grow_below`, the next carries twice as
    /// many operations, up to this (and the server's `max_ops_per_push`), as pull pages grow.
    pub batch_size_max: usize,
    /// Feed entries of the first pull page (lowered to the server's `max_pull_limit`).
    pub pull_limit: u32,
    /// Largest pull page: after a page that came within `grow_below`, the next asks for twice as
    /// many entries, up to this (and the server's `max_pull_limit`). A page's fixed costs (a round
    /// trip, a local commit) then vanish on a fast link, while a slow one keeps small pages. A
    /// retried page asks for half as many each time, down to `pull_limit`.
    pub pull_limit_max: u32,
    /// See `pull_limit_max` and `batch_size_max`; zero (the default) keeps pages at `pull_limit`
    /// and batches at `batch_size`.
    pub grow_below: Duration,
    /// Keep two pushes in flight and fetch the next pull page while one is applied, where the
    /// transport can ([`Transport::push_ahead`], [`Transport::pull_ahead`]: HTTP on a
    /// multi-threaded runtime). Off: one request at a time.
    pub pipeline: bool,
    /// Pull only operations whose `scope_path` is this path or below it (`None`: what the server
    /// gives this device).
    pub scope: Option<String>,
    pub retry: RetryPolicy,
    /// Ask `GET /v1/version` first and stop on a protocol mismatch (one small extra request).
    pub check_version: bool,
    /// Skip that request when the transport received the server's answer less than this ago and
    /// no request failed since (a transport kept across syncs then makes a sync with nothing to do
    /// one request). Zero asks at every sync.
    pub version_max_age: Duration,
    /// Before pushing, tell the server how much this device still has to send (one request), so
    /// administrators see it (`bangfu-server device list`).
    pub report_unsynced: bool,
    /// Photos waiting to upload, for that report.
    pub unsynced_photos: u64,
    /// After pulling, ask the server for the device's scope (one request) and drop the households
    /// that left it ([`DeviceStore::leave_scope`]).
    pub leave_scope: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            batch_size: 200,
            batch_size_max: 2_000,
            pull_limit: 500,
            pull_limit_max: 5_000,
            grow_below: Duration::ZERO,
            pipeline: true,
            scope: None,
            retry: RetryPolicy::default(),
            check_version: true,
            version_max_age: Duration::ZERO,
            report_unsynced: false,
            unsynced_photos: 0,
            leave_scope: false,
        }
    }
}

/// The step a [`Progress`] report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Push,
    Pull,
}

/// Where a sync stands, reported after every request (and before every retry wait).
///
/// Push: `done` counts this device's operations the server has answered for (accepted, duplicate
/// or rejected); `total` is the pending count at the start (raised if the server asks for older
/// operations again). Pull: the feed's length is unknown, so `total` is `None`, `done` counts the
/// entries pulled so far and `more` says whether more wait. The last report of each phase has
/// `more == false` (for push, also `done == total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: Option<u64>,
    pub more: bool,
    /// Set while waiting to retry a failed request: how long the wait is.
    pub retry_in: Option<Duration>,
}

/// An operation the server refused, with its reason (the store keeps it for the user to see).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedOp {
    pub origin_seq: u64,
    /// `None` if the store no longer returned the operation when the answer came.
    pub op_id: Option<Uuid>,
    pub entity: Option<String>,
    pub reason: Reason,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SyncReport {
    /// Operations in push requests, counted once per attempt (retries and resends included).
    pub ops_sent: u64,
    /// Operations the server stored now.
    pub accepted: u64,
    /// Operations the server already had (an earlier answer was lost).
    pub duplicate: u64,
    /// Operations the server refused, with reasons.
    pub rejected: Vec<RejectedOp>,
    /// Feed entries pulled and applied.
    pub pulled: u64,
    /// Of those, entries the server flagged as stamped far in the future (a phone's clock set
    /// wrong): kept, without moving this device's clock there.
    pub future_pulled: u64,
    /// The server's clock in its last answer, to tell the user when the phone's clock is wrong.
    pub server_hlc: Option<bangfu_core::sync::Hlc>,
    /// The feed cursor at the end.
    pub cursor: u64,
    /// Households dropped because they left the device's scope.
    pub households_left: u64,
    /// Requests made, retries included.
    pub requests: u64,
    /// Of those, retries.
    pub retries: u64,
    /// The transport's counters over this sync (bytes on the wire).
    pub transport: TransportStats,
    /// What the server said about itself, if the version was checked.
    pub server: Option<Capabilities>,
    /// The server's database had been restored from a backup (its epoch changed): this device's
    /// operations it had lost were pushed again and the feed started over.
    pub server_restored: bool,
}

/// Frees `value` on a blocking thread when the runtime has worker threads (a page of thousands of
/// operations takes a while to free, time the sync would otherwise wait), else here.
pub(crate) fn drop_elsewhere<T: Send + 'static>(value: T) {
    match crate::transport::multi_thread_runtime() {
        Some(h) => drop(h.spawn_blocking(move || drop(value))),
        None => drop(value),
    }
}

/// Shared by the push and pull steps.
pub(crate) struct Run<'a, S, T> {
    store: &'a mut S,
    transport: &'a T,
    options: &'a SyncOptions,
    progress: &'a mut (dyn FnMut(Progress) + Send),
    attempts: Attempts,
    report: SyncReport,
    /// The last progress reported, to report retry waits against.
    last: Progress,
    /// The server epoch the store holds (read once per sync, kept up to date).
    epoch: Option<Uuid>,
}

impl<S: DeviceStore, T: Transport> Run<'_, S, T> {
    fn report_progress(&mut self, p: Progress) {
        self.last = p;
        (self.progress)(p);
    }

    /// Runs one request with retries, reporting retry waits as progress.
    async fn request<R, F, Fut>(&mut self, request: F) -> Result<R, TransportError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<R, TransportError>>,
    {
        let last = self.last;
        let progress = &mut *self.progress;
        let mut on_wait = |_: &TransportError, wait: Duration| {
            progress(Progress {
                retry_in: Some(wait),
                ..last
            });
        };
        with_retry(
            &self.options.retry,
            &mut self.attempts,
            &mut on_wait,
            request,
        )
        .await
    }
}

/// Syncs `store` with the server behind `transport`: version check (if asked), push, pull.
/// `progress` is called after every request; see [`Progress`].
///
/// Retries: each request is retried on its own per `options.retry` when it failed in a way that
/// may pass (no connection, cut, timeout, 5xx, 408/429); a 4xx or an answer that is not the
/// protocol stops the sync at once. The future is `Send` when the store is `Send` and the
/// transport `Sync`; dropping it mid-way is safe.
pub async fn sync<S, T>(
    store: &mut S,
    transport: &T,
    options: &SyncOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<SyncReport, SyncError>
where
    S: DeviceStore,
    T: Transport,
{
    let stats_before = transport.stats();
    let epoch = store.server_epoch().map_err(SyncError::store)?;
    let mut run = Run {
        store,
        transport,
        options,
        progress,
        attempts: Attempts::default(),
        report: SyncReport::default(),
        last: Progress {
            phase: Phase::Push,
            done: 0,
            total: None,
            more: true,
            retry_in: None,
        },
        epoch,
    };
    let mut batch_size = options.batch_size.max(1);
    let mut batch_max = options.batch_size_max.max(batch_size);
    let mut pull_limit = options.pull_limit.max(1);
    let mut pull_max = options.pull_limit_max.max(pull_limit);
    if options.check_version {
        let caps = match transport.recent_version(options.version_max_age) {
            Some(caps) => caps,
            None => {
                let caps = run.request(|| transport.version()).await?;
                // A remembered answer may be older than a restore: only a fresh one tells.
                if caps.protocol == PROTOCOL_VERSION {
                    run.follow_epoch(caps.epoch, None).await?;
                }
                caps
            }
        };
        if caps.protocol != PROTOCOL_VERSION {
            return Err(TransportError::VersionMismatch {
                server: caps.protocol,
                client: PROTOCOL_VERSION,
            }
            .into());
        }
        if caps.max_ops_per_push > 0 {
            let max = usize::try_from(caps.max_ops_per_push).unwrap_or(usize::MAX);
            batch_size = batch_size.min(max);
            batch_max = batch_max.min(max);
        }
        if caps.max_pull_limit > 0 {
            pull_limit = pull_limit.min(caps.max_pull_limit);
            pull_max = pull_max.min(caps.max_pull_limit);
        }
        run.report.server = Some(caps);
    }
    if options.report_unsynced {
        let pending = run.store.pending_count().map_err(SyncError::store)?;
        run.request(|| transport.report(pending, options.unsynced_photos))
            .await?;
    }
    // A push refused as a whole for a reason other than the device's sign-in (an older server's
    // 403 for one out-of-scope operation, say) must not keep the device from receiving: the pull
    // still runs, then the push's refusal is reported.
    let mut restored_in_pull = 0u32;
    let pushed = loop {
        let pushed = match run.push(batch_size, batch_max).await {
            Err(e) if refusal_leaves_pull(&e) => Err(e),
            Err(e) => return Err(e),
            Ok(()) => Ok(()),
        };
        match run.pull(pull_limit, pull_max).await? {
            pull::PullEnd::Done => break pushed,
            // A pull page said the server was restored: what it lost goes again first.
            pull::PullEnd::ServerRestored if restored_in_pull < 2 => restored_in_pull += 1,
            pull::PullEnd::ServerRestored => {
                return Err(SyncError::Protocol(
                    "the server's epoch changed three times in one sync".to_owned(),
                ));
            }
        }
    };
    pushed?;
    if options.leave_scope
        && let Some(scope) = run.request(|| transport.scope()).await?
    {
        // After the push: what the device changed in a household that left its scope has reached
        // the server (or is kept, if not), and only then does the household leave.
        run.report.households_left = run.store.leave_scope(&scope).map_err(SyncError::store)?;
    }
    let mut report = run.report;
    report.requests = run.attempts.requests;
    report.retries = run.attempts.retries;
    report.transport = transport.stats().since(&stats_before);
    Ok(report)
}

/// Whether the pull may still run after the push failed with `e`: a refusal (4xx) that is not
/// about the device's sign-in or the protocol itself.
fn refusal_leaves_pull(e: &SyncError) -> bool {
    match e {
        SyncError::Transport(TransportError::Refused { status, body, .. }) => {
            *status != 401 && !body.code.starts_with("auth_")
        }
        _ => false,
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use std::sync::Mutex;

    use bangfu_core::sync::outgoing::OutgoingPush;
    use bangfu_core::sync::wire::{PullResponse, PushResponse};

    use super::*;
    use crate::testing::{Fault, MemoryStore, MemoryTransport, Route, SimServer};

    const SCOPE: &str = "360722/360722100/360722100201";

    fn phone(id: u128, n: usize) -> MemoryStore {
        let mut s = MemoryStore::new(Uuid::from_u128(id), SCOPE);
        for i in 0..n {
            s.record_new("visit", &format!("第{i}次走访"));
        }
        s
    }

    fn quick_retries() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_recent_version_answer_saves_the_request() {
        let t = MemoryTransport::new(SimServer::default());
        let mut a = phone(1, 1);
        let opts = SyncOptions {
            version_max_age: Duration::from_secs(600),
            retry: quick_retries(),
            ..SyncOptions::default()
        };
        sync(&mut a, &t, &opts, &mut |_| {}).await.expect("first");
        let again = sync(&mut a, &t, &opts, &mut |_| {}).await.expect("again");
        assert_eq!((again.requests, t.count(Route::Version)), (1, 1));
        assert!(again.server.is_some());
        // Too old: asked again.
        tokio::time::advance(Duration::from_secs(601)).await;
        sync(&mut a, &t, &opts, &mut |_| {}).await.expect("later");
        assert_eq!(t.count(Route::Version), 2);
        // A failed request forgets the answer.
        t.fail_next_on(Route::Pull, Fault::Unavailable);
        sync(&mut a, &t, &opts, &mut |_| {}).await.expect("retried");
        sync(&mut a, &t, &opts, &mut |_| {}).await.expect("after");
        assert_eq!(t.count(Route::Version), 3);
        // Zero (the default) asks every time.
        let opts = SyncOptions::default();
        sync(&mut a, &t, &opts, &mut |_| {}).await.expect("default");
        assert_eq!(t.count(Route::Version), 4);
    }

    /// Records the `limit` of every pull; fails the pull number `fail_at` once; answers after
    /// `delay`.
    #[derive(Debug)]
    struct Pages {
        inner: MemoryTransport,
        limits: Mutex<Vec<u32>>,
        fail_at: usize,
        delay: Duration,
    }

    impl Transport for Pages {
        async fn push(&self, request: &OutgoingPush) -> Result<PushResponse, TransportError> {
            self.inner.push(request).await
        }
        async fn pull(
            &self,
            after: u64,
            limit: u32,
            scope: Option<&str>,
            exclude_origin: Option<(uuid::Uuid, u64)>,
        ) -> Result<PullResponse, TransportError> {
            let n = {
                let mut limits = self.limits.lock().expect("lock");
                limits.push(limit);
                limits.len()
            };
            tokio::time::sleep(self.delay).await;
            if n == self.fail_at {
                return Err(TransportError::Timeout);
            }
            self.inner.pull(after, limit, scope, exclude_origin).await
        }
        async fn version(&self) -> Result<Capabilities, TransportError> {
            self.inner.version().await
        }
    }

    async fn pages(opts: &SyncOptions, fail_at: usize, delay: Duration) -> Vec<u32> {
        let server = SimServer::default();
        let mut b = phone(2, 100);
        let t = MemoryTransport::new(server.clone());
        sync(&mut b, &t, opts, &mut |_| {}).await.expect("b pushes");
        let t = Pages {
            inner: MemoryTransport::new(server),
            limits: Mutex::new(Vec::new()),
            fail_at,
            delay,
        };
        let mut a = phone(1, 0);
        let r = sync(&mut a, &t, opts, &mut |_| {}).await.expect("a pulls");
        assert_eq!(r.pulled, 100);
        t.limits.into_inner().expect("lock")
    }

    #[tokio::test(start_paused = true)]
    async fn pull_pages_grow_while_they_come_quickly_and_shrink_when_retried() {
        let fixed = SyncOptions {
            pull_limit: 5,
            pull_limit_max: 40,
            retry: quick_retries(),
            ..SyncOptions::default()
        };
        let limits = pages(&fixed, 0, Duration::ZERO).await;
        assert!(
            limits.len() >= 20 && limits.iter().all(|l| *l == 5),
            "{limits:?}"
        );
        let growing = SyncOptions {
            grow_below: Duration::from_secs(10),
            ..fixed
        };
        let limits = pages(&growing, 4, Duration::ZERO).await;
        assert_eq!(limits, [5, 10, 20, 40, 20, 40, 40]);
        // A slow link keeps small pages.
        let limits = pages(&growing, 0, Duration::from_secs(11)).await;
        assert!(
            limits.len() >= 20 && limits.iter().all(|l| *l == 5),
            "{limits:?}"
        );
    }
}
