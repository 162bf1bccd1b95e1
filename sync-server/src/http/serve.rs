//! Serving the router over TCP with the limits `axum::serve` does not have (it has no read
//! timeouts and takes every connection):
//! - at most [`ServerConfig::max_connections`] connections open; beyond that new ones wait in the
//!   kernel's accept queue (they hold no file descriptor of the server) until one closes;
//! - at most [`ServerConfig::max_connections_per_address`] from one client address (not behind a
//!   proxy): more are closed at once, so that one host cannot take every slot;
//! - a request's head must arrive within [`ServerConfig::header_read_timeout`], and so must the
//!   next request's on a kept-alive connection (idle connections close);
//! - a request's body must arrive within [`ServerConfig::body_read_timeout`] (a deadline on the
//!   whole body, see [`DeadlineBody`]): a slowly sent body gets 408 `body_timeout`;
//! - HTTP/1.1 only (the app and the sync client speak it; a TLS proxy in front speaks it too).
//!
//! The client's address reaches the handlers as [`axum::extract::ConnectInfo`].

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt as _;

use super::ServerConfig;

/// How long open connections may finish their requests after the shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Largest request head and read buffer of a connection.
const MAX_BUF: usize = 64 * 1024;

/// Serves `app` on `listener` with `config`'s connection limits and read timeouts until
/// `shutdown` resolves; then stops accepting, lets open requests finish (at most 30 s) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let max = config.max_connections.max(1);
    let open = Arc::new(Semaphore::new(max));
    let per_address = (!config.trust_forwarded_for)
        .then(|| Arc::new(PerAddress::new(config.max_connections_per_address.max(1))));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(MAX_BUF);
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = open.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let address_slot = match &per_address {
            Some(p) => match p.take(peer.ip()) {
                Some(s) => Some(s),
                None => {
                    tracing::debug!("too many connections from one address: closed");
                    continue;
                }
            },
            None => None,
        };
        tracing::trace!(open = max - open.available_permits(), "connection accepted");
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |req: hyper::Request<hyper::body::Incoming>| {
                let mut req = req.map(Body::new);
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let http = http.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slots = (slot, address_slot);
            let conn =
                http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            let mut conn = pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    drop(stop_tx);
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, open.acquire_many(all)).await;
    Ok(())
}

/// Open connections by client address.
#[derive(Debug)]
struct PerAddress {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection of an address, counted until dropped.
#[derive(Debug)]
struct AddressSlot {
    of: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn new(max: usize) -> PerAddress {
        PerAddress {
            max,
            open: Mutex::default(),
        }
    }

    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let ip = super::throttle::address_key(ip);
        let mut open = match self.open.lock() {
            Ok(o) => o,
            Err(p) => p.into_inner(),
        };
        let n = open.entry(ip).or_default();
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            of: self.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = match self.of.open.lock() {
            Ok(o) => o,
            Err(p) => p.into_inner(),
        };
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// The error of a body that did not arrive by its deadline (see [`DeadlineBody`]).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyDeadline;

/// A request body that fails with [`BodyDeadline`] if it has not arrived whole by a deadline
/// (counted from when the request was received). A slowly sent body cannot hold a handler, its
/// memory and its connection longer than that.
#[derive(Debug)]
pub struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    pub fn new(inner: Body, within: Duration) -> DeadlineBody {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(within)),
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyDeadline)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware: every request body gets the deadline `within` (every route, photos included).
pub(super) async fn body_deadline(
    State(within): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = Body::new(DeadlineBody::new(body, within));
    next.run(Request::from_parts(parts, body)).await
}

/// Whether a body read failed because its deadline passed.
pub(super) fn is_deadline(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<BodyDeadline>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// The client's address for throttling: the connection's peer, or — behind a proxy the
/// operator trusts (`trust_forwarded_for`) — the last address of `X-Forwarded-For` (the one the
/// proxy added). Unspecified when neither is known (a router served without [`serve`]).
pub(super) fn client_ip(parts: &axum::http::request::Parts, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for
        && let Some(ip) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip;
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_per_address_and_given_back() {
        let p = Arc::new(PerAddress::new(2));
        let ip: IpAddr = "10.1.2.3".parse().expect("ip");
        let a = p.take(ip).expect("first");
        let _b = p.take(ip).expect("second");
        assert!(p.take(ip).is_none());
        assert!(p.take("10.1.2.4".parse().expect("ip")).is_some());
        drop(a);
        assert!(p.take(ip).is_some());
    }
}
