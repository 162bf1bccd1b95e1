//! A [`Transport`] to a [`SimServer`] that injects faults: scripted (the next request, or the next
//! request of one route) or random with a seed.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use bangfu_core::sync::outgoing::OutgoingPush;
use bangfu_core::sync::wire::{Capabilities, ErrorBody, PullResponse, PushResponse};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use uuid::Uuid;

use super::server::{Refusal, SimServer};
use crate::transport::{Transport, TransportError, TransportStats};

/// Which endpoint a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Push,
    Pull,
    Version,
}

/// What goes wrong with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The request never reaches the server (no signal): a connect error.
    Unreachable,
    /// The server processes the request; the answer is lost (the connection is cut).
    LoseResponse,
    /// The server processes the request; the answer comes too late (a timeout).
    TimeoutAfterProcessing,
    /// The request reaches the server twice (resent by a proxy); the client gets the second answer.
    Duplicate,
    /// 503 without processing.
    Unavailable,
    /// A 4xx with this code, without processing.
    Refuse { status: u16, code: String },
    /// A 200 whose body is not the protocol (a captive portal's page).
    Garbage,
}

impl Fault {
    /// The transient faults, which retries must overcome.
    pub const TRANSIENT: [Fault; 5] = [
        Fault::Unreachable,
        Fault::LoseResponse,
        Fault::TimeoutAfterProcessing,
        Fault::Duplicate,
        Fault::Unavailable,
    ];
}

/// One request as the transport saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub route: Route,
    pub fault: Option<Fault>,
    /// Whether the client got an answer.
    pub ok: bool,
}

#[derive(Debug, Default)]
struct State {
    script: VecDeque<(Option<Route>, Fault)>,
    chaos: Option<(ChaCha8Rng, f64)>,
    calls: Vec<Call>,
    stats: TransportStats,
    /// The last version answer and when it came (cleared by a failed request), as
    /// [`HttpTransport`](crate::HttpTransport) keeps it.
    version: Option<(tokio::time::Instant, Capabilities)>,
}

/// An in-memory transport. Body byte counters count the JSON (there is no compression), headers
/// count nothing.
#[derive(Debug)]
pub struct MemoryTransport {
    server: SimServer,
    /// The device token sent with every request ([`MemoryServer::issue_token`]).
    ///
    /// [`MemoryServer::issue_token`]: super::MemoryServer::issue_token
    token: Option<String>,
    state: Mutex<State>,
}

impl MemoryTransport {
    pub fn new(server: SimServer) -> MemoryTransport {
        MemoryTransport {
            server,
            token: None,
            state: Mutex::new(State::default()),
        }
    }

    /// The same transport sending `token` with every request.
    pub fn with_token(self, token: impl Into<String>) -> MemoryTransport {
        MemoryTransport {
            token: Some(token.into()),
            ..self
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next request (any route) suffers `fault`. Faults queue up in order.
    pub fn fail_next(&self, fault: Fault) {
        self.state().script.push_back((None, fault));
    }

    /// The next request to `route` suffers `fault`.
    pub fn fail_next_on(&self, route: Route, fault: Fault) {
        self.state().script.push_back((Some(route), fault));
    }

    /// From now on, each request without a scripted fault suffers a random transient fault with
    /// probability `p` (reproducible from `seed`). `p = 0` turns it off.
    pub fn chaos(&self, seed: u64, p: f64) {
        self.state().chaos = (p > 0.0).then(|| (ChaCha8Rng::seed_from_u64(seed), p));
    }

    /// Every request so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// Requests so far to `route`.
    pub fn count(&self, route: Route) -> usize {
        self.state()
            .calls
            .iter()
            .filter(|c| c.route == route)
            .count()
    }

    fn fault_for(&self, route: Route) -> Option<Fault> {
        let mut st = self.state();
        if let Some(i) = st
            .script
            .iter()
            .position(|(r, _)| r.is_none_or(|r| r == route))
        {
            return st.script.remove(i).map(|(_, f)| f);
        }
        let (rng, p) = st.chaos.as_mut()?;
        if rng.random_bool(p.clamp(0.0, 1.0)) {
            let i = rng.random_range(0..Fault::TRANSIENT.len());
            return Some(Fault::TRANSIENT[i].clone());
        }
        None
    }

    /// Runs one request through the fault plan; `serve` is the server's handling.
    fn exchange<Req: Serialize + ?Sized, Resp: Serialize>(
        &self,
        route: Route,
        request: &Req,
        mut serve: impl FnMut() -> Result<Resp, Refusal>,
    ) -> Result<Resp, TransportError> {
        let fault = self.fault_for(route);
        let sent = json_len(request);
        let outcome = match &fault {
            None => serve().map_err(|r| refused(r.status, r.body)),
            Some(Fault::Unreachable) => {
                Err(TransportError::Connect("no signal (simulated)".into()))
            }
            Some(Fault::LoseResponse) => {
                let _ = serve();
                Err(TransportError::Cut("answer lost (simulated)".into()))
            }
            Some(Fault::TimeoutAfterProcessing) => {
                let _ = serve();
                Err(TransportError::Timeout)
            }
            Some(Fault::Duplicate) => {
                let _ = serve();
                serve().map_err(|r| refused(r.status, r.body))
            }
            Some(Fault::Unavailable) => Err(TransportError::Server {
                status: 503,
                body: None,
                retry_after: None,
            }),
            Some(Fault::Refuse { status, code }) => Err(refused(
                *status,
                ErrorBody {
                    code: code.clone(),
                    message: "refused (simulated)".into(),
                },
            )),
            Some(Fault::Garbage) => Err(TransportError::BadResponse(
                "expected value at line 1 column 1 (text/html: <html>…)".into(),
            )),
        };
        let mut st = self.state();
        st.stats.requests += 1;
        if !matches!(fault, Some(Fault::Unreachable)) {
            st.stats.body_bytes_sent += sent;
            st.stats.json_bytes_sent += sent;
        }
        if let Ok(resp) = &outcome {
            let received = json_len(resp);
            st.stats.body_bytes_received += received;
            st.stats.json_bytes_received += received;
        } else {
            st.stats.failures += 1;
            st.version = None;
        }
        st.calls.push(Call {
            route,
            fault,
            ok: outcome.is_ok(),
        });
        outcome
    }
}

fn refused(status: u16, body: ErrorBody) -> TransportError {
    TransportError::Refused {
        status,
        body,
        retry_after: None,
    }
}

fn json_len<T: Serialize + ?Sized>(v: &T) -> u64 {
    serde_json::to_vec(v).map_or(0, |b| b.len() as u64)
}

impl Transport for MemoryTransport {
    async fn push(&self, request: &OutgoingPush) -> Result<PushResponse, TransportError> {
        // Parsed as the server would: a device's stored JSON that is not an operation is
        // refused like a malformed body.
        let request = request.to_request().map_err(|e| {
            refused(
                400,
                ErrorBody {
                    code: "malformed_json".to_owned(),
                    message: format!("the push is not valid JSON: {e}"),
                },
            )
        })?;
        self.exchange(Route::Push, &request, || {
            let mut server = self.server.lock();
            let device = server.authenticate(self.token.as_deref())?;
            server.push(&request, device)
        })
    }

    async fn pull(
        &self,
        after: u64,
        limit: u32,
        scope: Option<&str>,
        exclude_origin: Option<(Uuid, u64)>,
    ) -> Result<PullResponse, TransportError> {
        let query = (after, limit, scope, exclude_origin);
        self.exchange(Route::Pull, &query, || {
            let mut server = self.server.lock();
            server.authenticate(self.token.as_deref())?;
            Ok(server.pull(after, limit, scope, exclude_origin))
        })
    }

    async fn version(&self) -> Result<Capabilities, TransportError> {
        let caps = self.exchange(Route::Version, &(), || {
            Ok(self.server.lock().capabilities())
        })?;
        self.state().version = Some((tokio::time::Instant::now(), caps.clone()));
        Ok(caps)
    }

    fn recent_version(&self, max_age: std::time::Duration) -> Option<Capabilities> {
        let st = self.state();
        let (at, caps) = st.version.as_ref()?;
        (at.elapsed() < max_age).then(|| caps.clone())
    }

    fn stats(&self) -> TransportStats {
        self.state().stats
    }
}
