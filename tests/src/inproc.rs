//! [`FaultyTransport`]: a [`Transport`] that calls the real server storage ([`SqliteStorage`]) in
//! process, with the server's clock simulated, and injects faults from a seeded plan: a request
//! dropped before the server, an answer dropped after the server applied the request, a request
//! delivered twice, a push replayed much later (a proxy's stale retry), a link that goes down
//! for good in the middle of a sync, and a request that never ends (before or after the server
//! processed it: the app is killed or the sync is abandoned while it waits, so the sync future is
//! dropped mid-way).
//!
//! Requests and answers go through their JSON form, as on the wire; pulls use
//! [`SyncStorage::pull_json`], the path the HTTP server serves.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bangfu_core::sync::outgoing::OutgoingPush;
use bangfu_core::sync::wire::{
    Capabilities, PROTOCOL_VERSION, PullResponse, PushRequest, PushResponse,
};
use bangfu_server::{Actor, PullQuery, ServerConfig, SqliteStorage, SyncStorage};
use bangfu_sync_client::{Transport, TransportError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// How one sync's requests go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    pub seed: u64,
    /// Chance in percent that a request suffers a fault (at most two in a row, so that retries
    /// get through).
    pub percent: u8,
    /// After this many requests of the sync, the link is down for good (the sync fails).
    pub offline_after: Option<u32>,
    /// Request number `n` of the sync never gets an answer (the caller abandons the sync).
    pub hang_at: Option<u32>,
}

impl FaultPlan {
    pub const NONE: FaultPlan = FaultPlan {
        seed: 0,
        percent: 0,
        offline_after: None,
        hang_at: None,
    };
}

/// What happened to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Never reaches the server.
    DropRequest,
    /// The server applies it; the answer is lost.
    DropResponse,
    /// Reaches the server twice; the client gets the second answer.
    Duplicate,
    /// Reaches the server twice; the client gets the first answer, the second copy is applied
    /// after it.
    DuplicateLate,
    /// A copy of this push is kept and replayed to the server later, during some other request.
    ReplayLater,
}

const FAULTS: [Fault; 5] = [
    Fault::DropRequest,
    Fault::DropResponse,
    Fault::Duplicate,
    Fault::DuplicateLate,
    Fault::ReplayLater,
];

/// Counts of injected faults (for the test's report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub requests: u64,
    pub dropped_requests: u64,
    pub dropped_responses: u64,
    pub duplicated: u64,
    pub replayed: u64,
    pub offline: u64,
    pub hung: u64,
}

#[derive(Debug)]
struct State {
    rng: ChaCha8Rng,
    plan: FaultPlan,
    /// Requests in the current sync.
    requests: u32,
    /// Faults in a row.
    in_a_row: u32,
    /// Pushes kept for a late replay.
    stale: Vec<Vec<u8>>,
    counts: FaultCounts,
}

/// The in-process transport. One per test: every phone syncs through it (set the plan before each
/// sync with [`FaultyTransport::set_plan`]).
#[derive(Debug)]
pub struct FaultyTransport {
    storage: Arc<SqliteStorage>,
    config: ServerConfig,
    /// The server's clock (simulated: ms since the epoch).
    clock: Arc<AtomicU64>,
    state: Mutex<State>,
}

impl FaultyTransport {
    pub fn new(storage: Arc<SqliteStorage>, clock: Arc<AtomicU64>) -> FaultyTransport {
        let config = ServerConfig {
            max_pull_limit: storage.max_pull_limit(),
            ..ServerConfig::default()
        };
        FaultyTransport {
            storage,
            config,
            clock,
            state: Mutex::new(State {
                rng: ChaCha8Rng::seed_from_u64(0),
                plan: FaultPlan::NONE,
                requests: 0,
                in_a_row: 0,
                stale: Vec::new(),
                counts: FaultCounts::default(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The plan for the next sync (restarts its request count).
    pub fn set_plan(&self, plan: FaultPlan) {
        let mut st = self.state();
        st.rng = ChaCha8Rng::seed_from_u64(plan.seed);
        st.plan = plan;
        st.requests = 0;
        st.in_a_row = 0;
    }

    /// Replays every push kept for later (answers discarded) and forgets them.
    pub fn replay_stale(&self) {
        let stale = std::mem::take(&mut self.state().stale);
        for body in stale {
            let _ = self.serve_push(&body);
            self.state().counts.replayed += 1;
        }
    }

    pub fn counts(&self) -> FaultCounts {
        self.state().counts
    }

    fn now(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// The fault for the next request, and maybe a stale push to replay first. `Err`: the link
    /// is down.
    fn next(&self, is_push: bool) -> Result<Decision, TransportError> {
        let mut guard = self.state();
        let st = &mut *guard;
        st.requests += 1;
        st.counts.requests += 1;
        if st.plan.offline_after.is_some_and(|n| st.requests > n) {
            st.counts.offline += 1;
            return Err(TransportError::Connect("no signal (simulated)".into()));
        }
        if st.plan.hang_at == Some(st.requests) {
            st.counts.hung += 1;
            return Ok(Decision::Hang {
                served_first: st.rng.random_bool(0.5),
            });
        }
        let percent = u32::from(st.plan.percent);
        let replay = if !st.stale.is_empty() && st.rng.random_ratio(1, 3) {
            let i = st.rng.random_range(0..st.stale.len());
            Some(st.stale.swap_remove(i))
        } else {
            None
        };
        if replay.is_some() {
            st.counts.replayed += 1;
        }
        let fault = if percent > 0 && st.in_a_row < 2 && st.rng.random_ratio(percent.min(100), 100)
        {
            let mut f = FAULTS[st.rng.random_range(0..FAULTS.len())];
            if !is_push && f == Fault::ReplayLater {
                f = Fault::Duplicate;
            }
            Some(f)
        } else {
            None
        };
        st.in_a_row = if fault.is_some() { st.in_a_row + 1 } else { 0 };
        match fault {
            Some(Fault::DropRequest) => st.counts.dropped_requests += 1,
            Some(Fault::DropResponse) => st.counts.dropped_responses += 1,
            Some(Fault::Duplicate | Fault::DuplicateLate) => st.counts.duplicated += 1,
            Some(Fault::ReplayLater) | None => {}
        }
        Ok(Decision::Go { fault, replay })
    }

    /// The server's handling of a push body: JSON in, JSON out.
    fn serve_push(&self, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        let req: PushRequest = serde_json::from_slice(body).map_err(|e| {
            TransportError::refused_without_body(422, &format!("not a push request: {e}"))
        })?;
        let resp = self
            .storage
            .push(req, &Actor::local(self.now()))
            .map_err(server_error)?;
        serde_json::to_vec(&resp).map_err(|e| TransportError::BadResponse(e.to_string()))
    }

    fn serve_pull(
        &self,
        after: u64,
        limit: u32,
        scope: Option<&str>,
        exclude_origin: Option<(uuid::Uuid, u64)>,
    ) -> Result<Vec<u8>, TransportError> {
        let limit = limit.clamp(1, self.config.max_pull_limit);
        let mut query = PullQuery::new(after, limit, self.now());
        if let Some(path) = scope {
            query = query.within(path);
        }
        if let Some((device, through)) = exclude_origin {
            query = query.excluding(device, through);
        }
        self.storage.pull_json(&query).map_err(server_error)
    }

    /// Runs one request through the fault plan; `Ok(None)`: it never ends.
    fn exchange<T: serde::de::DeserializeOwned>(
        &self,
        is_push: bool,
        mut serve: impl FnMut() -> Result<Vec<u8>, TransportError>,
        keep: impl FnOnce() -> Vec<u8>,
    ) -> Result<Option<T>, TransportError> {
        let (fault, replay) = match self.next(is_push)? {
            Decision::Go { fault, replay } => (fault, replay),
            Decision::Hang { served_first } => {
                if served_first {
                    let _ = serve();
                }
                return Ok(None);
            }
        };
        if let Some(stale) = replay {
            let _ = self.serve_push(&stale);
        }
        let answer = match fault {
            None => serve()?,
            Some(Fault::DropRequest) => {
                return Err(TransportError::Connect("request lost (simulated)".into()));
            }
            Some(Fault::DropResponse) => {
                let _ = serve();
                return Err(TransportError::Cut("answer lost (simulated)".into()));
            }
            Some(Fault::Duplicate) => {
                let _ = serve();
                serve()?
            }
            Some(Fault::DuplicateLate) => {
                let first = serve();
                let _ = serve();
                first?
            }
            Some(Fault::ReplayLater) => {
                let answer = serve()?;
                self.state().stale.push(keep());
                answer
            }
        };
        parse(&answer).map(Some)
    }
}

/// What happens to the next request.
enum Decision {
    Go {
        fault: Option<Fault>,
        /// A stale push to replay to the server first.
        replay: Option<Vec<u8>>,
    },
    Hang {
        served_first: bool,
    },
}

/// Lets another task run first (so that two phones syncing at once alternate request by
/// request).
async fn turn() {
    tokio::task::yield_now().await;
}

/// The answer, or a wait that never ends.
async fn answer<T>(outcome: Result<Option<T>, TransportError>) -> Result<T, TransportError> {
    match outcome? {
        Some(v) => Ok(v),
        None => std::future::pending().await,
    }
}

fn server_error(e: bangfu_server::StorageError) -> TransportError {
    TransportError::Server {
        status: 500,
        body: Some(bangfu_core::sync::wire::ErrorBody {
            code: "storage_error".into(),
            message: e.to_string(),
        }),
        retry_after: None,
    }
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, TransportError> {
    // Through `Value` first: the answer must be plain JSON before it is a message.
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| TransportError::BadResponse(e.to_string()))?;
    serde_json::from_value(v).map_err(|e| TransportError::BadResponse(e.to_string()))
}

impl Transport for FaultyTransport {
    async fn push(&self, request: &OutgoingPush) -> Result<PushResponse, TransportError> {
        let body = request.to_json();
        turn().await;
        answer(self.exchange(true, || self.serve_push(&body), || body.clone())).await
    }

    async fn pull(
        &self,
        after: u64,
        limit: u32,
        scope: Option<&str>,
        exclude_origin: Option<(uuid::Uuid, u64)>,
    ) -> Result<PullResponse, TransportError> {
        turn().await;
        let serve = || self.serve_pull(after, limit, scope, exclude_origin);
        answer(self.exchange(false, serve, Vec::new)).await
    }

    async fn version(&self) -> Result<Capabilities, TransportError> {
        let caps = Capabilities {
            protocol: PROTOCOL_VERSION,
            server: "bangfu-server (in process)".to_owned(),
            encodings: Vec::new(),
            max_body_bytes: self.config.max_body_bytes,
            max_ops_per_push: self.config.max_ops_per_push,
            max_pull_limit: self.config.max_pull_limit,
            epoch: self.storage.epoch().ok(),
        };
        let json = serde_json::to_vec(&caps).map_err(|e| TransportError::Config(e.to_string()))?;
        turn().await;
        answer(self.exchange(false, || Ok(json.clone()), Vec::new)).await
    }
}
