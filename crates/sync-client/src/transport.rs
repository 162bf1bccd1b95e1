//! How the client talks to a sync server: the [`Transport`] trait (HTTP in [`crate::http`], a
//! simulated server in `testing`), its errors and its byte counters.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bangfu_core::sync::Scope;
use bangfu_core::sync::outgoing::OutgoingPush;
use bangfu_core::sync::wire::{Capabilities, ErrorBody, PullResponse, PushResponse};
use serde::Serialize;
use uuid::Uuid;

/// One round trip to a sync server per call. Implementations do not retry (apart from what the
/// HTTP stack does on its own, e.g. a stale pooled connection): [`crate::sync`] decides that.
pub trait Transport {
    /// `POST /v1/push`: the body is [`OutgoingPush::to_json`].
    fn push(
        &self,
        request: &OutgoingPush,
    ) -> impl Future<Output = Result<PushResponse, TransportError>> + Send;

    /// `GET /v1/pull?after=…&limit=…[&scope=…][&exclude_origin=…&exclude_through=…]`.
    /// `exclude_origin`: `(device, through)`, the asking device and the seq up to which it holds
    /// all its own operations: the server leaves those out.
    fn pull(
        &self,
        after: u64,
        limit: u32,
        scope: Option<&str>,
        exclude_origin: Option<(Uuid, u64)>,
    ) -> impl Future<Output = Result<PullResponse, TransportError>> + Send;

    /// Starts fetching a pull page in the background, if this transport can, and returns its
    /// answer to await later (the caller applies the page before while it comes). `None` (the
    /// default): not supported here, the caller asks with [`Transport::pull`] when it needs the
    /// page. A failed fetch is simply asked again with `pull` (and its retries).
    fn pull_ahead(
        &self,
        after: u64,
        limit: u32,
        scope: Option<&str>,
        exclude_origin: Option<(Uuid, u64)>,
    ) -> Option<PullAhead> {
        let _ = (after, limit, scope, exclude_origin);
        None
    }

    /// Starts sending a push in the background, if this transport can, and returns its answer
    /// to await later: the caller keeps two pushes in flight (the server writes a device's
    /// pushes in arrival order). `None` (the default): the caller sends with
    /// [`Transport::push`]. A failed background push is sent again with `push` (and retries).
    fn push_ahead(&self, request: Arc<OutgoingPush>) -> Option<PushAhead> {
        let _ = request;
        None
    }

    /// `GET /v1/version`.
    fn version(&self) -> impl Future<Output = Result<Capabilities, TransportError>> + Send;

    /// `GET /v1/me`: the device's read scope today (`None`: this transport does not know scopes).
    fn scope(&self) -> impl Future<Output = Result<Option<Scope>, TransportError>> + Send {
        async { Ok(None) }
    }

    /// `POST /v1/device/report`: what the device still has to send, for its administrators.
    fn report(
        &self,
        unsynced_ops: u64,
        unsynced_photos: u64,
    ) -> impl Future<Output = Result<(), TransportError>> + Send {
        let _ = (unsynced_ops, unsynced_photos);
        async { Ok(()) }
    }

    /// The answer of the last [`version`](Transport::version) call if it came at most `max_age`
    /// ago and no request failed since, so that a sync may skip asking again. The default
    /// remembers nothing.
    fn recent_version(&self, max_age: Duration) -> Option<Capabilities> {
        let _ = max_age;
        None
    }

    /// Counters since the transport was made. The default reports nothing.
    fn stats(&self) -> TransportStats {
        TransportStats::default()
    }
}

/// An answer being fetched in the background, to await later.
pub type Ahead<T> = std::pin::Pin<Box<dyn Future<Output = Result<T, TransportError>> + Send>>;
/// A pull page being fetched in the background ([`Transport::pull_ahead`]).
pub type PullAhead = Ahead<PullResponse>;
/// A push being sent in the background ([`Transport::push_ahead`]).
pub type PushAhead = Ahead<PushResponse>;

/// The current runtime if it has worker threads (on one thread, a background task would not run
/// while the caller works).
pub(crate) fn multi_thread_runtime() -> Option<tokio::runtime::Handle> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    (handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread).then_some(handle)
}

/// Runs `request` as a task on another worker (a multi-threaded runtime only) and gives its
/// answer to await later.
pub(crate) fn spawn_ahead<T: Send + 'static>(
    request: impl Future<Output = Result<T, TransportError>> + Send + 'static,
) -> Option<Ahead<T>> {
    let task = multi_thread_runtime()?.spawn(request);
    Some(Box::pin(async move {
        task.await.unwrap_or_else(|e| {
            Err(TransportError::Cut(format!(
                "the background request stopped: {e}"
            )))
        })
    }))
}

/// Why one request failed. [`TransportError::is_retryable`] says whether trying the same request
/// again later may succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No connection could be made (no signal, DNS failure, server down, refused).
    #[error("cannot connect to the server: {0}")]
    Connect(String),
    /// The connection broke while the request or the answer was on its way. The server may or may
    /// not have processed the request (sending it again is harmless: pushes are idempotent).
    #[error("the connection was cut: {0}")]
    Cut(String),
    /// No answer in time.
    #[error("the server did not answer in time")]
    Timeout,
    /// The server failed (5xx). `retry_after` is its `Retry-After`, if it sent one.
    #[error("server error {status}{}", body.as_ref().map(|b| format!(" ({}: {})", b.code, b.message)).unwrap_or_default())]
    Server {
        status: u16,
        body: Option<ErrorBody>,
        retry_after: Option<Duration>,
    },
    /// The server refused the request (4xx). When it did not send an [`ErrorBody`] (a proxy's
    /// page, say), `body.code` is `http_<status>`.
    #[error("the server refused the request ({status} {}: {})", body.code, body.message)]
    Refused {
        status: u16,
        body: ErrorBody,
        retry_after: Option<Duration>,
    },
    /// The answer is not the protocol's JSON (a captive portal's login page, a truncated or
    /// undecodable body, an unknown content encoding).
    #[error("the answer is not a sync protocol message: {0}")]
    BadResponse(String),
    /// Client and server speak different protocol versions.
    #[error("protocol version mismatch: server speaks {server}, this client {client}")]
    VersionMismatch { server: u32, client: u32 },
    /// The transport is misconfigured (a bad URL, HTTPS without TLS support built in).
    #[error("transport configuration: {0}")]
    Config(String),
}

impl TransportError {
    /// Whether the same request may succeed later: connection failures, timeouts, 5xx, and the
    /// two 4xx that HTTP defines as "try again later" (408 Request Timeout, 429 Too Many
    /// Requests). Every other 4xx, bad answers and version mismatches are final.
    pub fn is_retryable(&self) -> bool {
        match self {
            TransportError::Connect(_) | TransportError::Cut(_) | TransportError::Timeout => true,
            TransportError::Server { .. } => true,
            TransportError::Refused { status, .. } => matches!(status, 408 | 429),
            TransportError::BadResponse(_)
            | TransportError::VersionMismatch { .. }
            | TransportError::Config(_) => false,
        }
    }

    /// The wait the server asked for (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TransportError::Server { retry_after, .. }
            | TransportError::Refused { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A 4xx answer without a usable [`ErrorBody`].
    pub fn refused_without_body(status: u16, detail: &str) -> TransportError {
        TransportError::Refused {
            status,
            body: ErrorBody {
                code: format!("http_{status}"),
                message: detail.to_owned(),
            },
            retry_after: None,
        }
    }
}

/// Counters of a transport, for benchmarks and diagnostics.
///
/// `body_bytes_*` count request and response bodies exactly as they crossed the wire (after
/// compression). `header_bytes_*` estimate the HTTP/1.1 request line or status line and headers
/// (what the client set and what it received; hop-by-hop headers added by the HTTP stack, such as
/// `host` and `content-length`, are estimated too). `json_bytes_*` count the JSON before
/// compression, so `json / body` is the compression ratio. A request that failed before it
/// connected counts as a request but sends no bytes; one cut half-way counts its body as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct TransportStats {
    /// Requests started (every attempt, retries included).
    pub requests: u64,
    /// Requests that ended in an error (any [`TransportError`]).
    pub failures: u64,
    pub body_bytes_sent: u64,
    pub body_bytes_received: u64,
    pub header_bytes_sent: u64,
    pub header_bytes_received: u64,
    pub json_bytes_sent: u64,
    pub json_bytes_received: u64,
}

impl TransportStats {
    /// Bytes sent on the wire: bodies plus estimated headers.
    pub fn bytes_sent(&self) -> u64 {
        self.body_bytes_sent + self.header_bytes_sent
    }

    /// Bytes received on the wire: bodies plus estimated headers.
    pub fn bytes_received(&self) -> u64 {
        self.body_bytes_received + self.header_bytes_received
    }

    /// The counters accumulated since `earlier` (saturating, field by field).
    pub fn since(&self, earlier: &TransportStats) -> TransportStats {
        TransportStats {
            requests: self.requests.saturating_sub(earlier.requests),
            failures: self.failures.saturating_sub(earlier.failures),
            body_bytes_sent: self.body_bytes_sent.saturating_sub(earlier.body_bytes_sent),
            body_bytes_received: self
                .body_bytes_received
                .saturating_sub(earlier.body_bytes_received),
            header_bytes_sent: self
                .header_bytes_sent
                .saturating_sub(earlier.header_bytes_sent),
            header_bytes_received: self
                .header_bytes_received
                .saturating_sub(earlier.header_bytes_received),
            json_bytes_sent: self.json_bytes_sent.saturating_sub(earlier.json_bytes_sent),
            json_bytes_received: self
                .json_bytes_received
                .saturating_sub(earlier.json_bytes_received),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retryable() {
        assert!(TransportError::Connect("x".into()).is_retryable());
        assert!(TransportError::Cut("x".into()).is_retryable());
        assert!(TransportError::Timeout.is_retryable());
        let s503 = TransportError::Server {
            status: 503,
            body: None,
            retry_after: None,
        };
        assert!(s503.is_retryable());
        assert!(!TransportError::refused_without_body(400, "x").is_retryable());
        assert!(!TransportError::refused_without_body(413, "x").is_retryable());
        assert!(TransportError::refused_without_body(429, "x").is_retryable());
        assert!(!TransportError::BadResponse("x".into()).is_retryable());
        let vm = TransportError::VersionMismatch {
            server: 2,
            client: 1,
        };
        assert!(!vm.is_retryable());
    }
}
