//! [`CutProxy`]: a TCP proxy on 127.0.0.1 between a client and the server that cuts connections at
//! chosen byte offsets of chosen HTTP messages.
//!
//! It is a store-and-forward proxy that understands just enough HTTP/1.1 to find where a message
//! ends (`Content-Length` or chunked bodies): it reads one whole request from the client, forwards
//! it, reads the whole answer, forwards it, and so on (the client does not pipeline). So a cut can
//! be placed at any byte of a message whose length is known — 0 (nothing of it sent) to
//! `len - 1` (all but the last byte) — and after a cut both connections are closed.
//!
//! Each request's route (`POST /v1/push`, `GET /v1/pull`, other) picks the next entry of that
//! route's queue of [`Step`]s: pass, cut the request on its way to the server, or cut the answer
//! on its way back (after the server processed the request). Hooks can run when a request has
//! been forwarded whole (e.g. to kill the server while it processes it) and when an answer has
//! been read whole (e.g. to kill the server after it committed, before the client hears of it).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long the proxy waits for any read before it gives a connection up.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// The endpoint of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Push,
    Pull,
    Other,
}

/// Where a message is cut, as a fraction of its length in thousandths (0: before its first byte;
/// 1000 is read as "all but the last byte").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Pass,
    /// Cut the request after this many thousandths of it reached the server.
    CutRequest(u32),
    /// Let the server process the request; cut its answer after this many thousandths.
    CutAnswer(u32),
}

/// One cut that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutDone {
    pub route: Route,
    pub step: Step,
    /// Bytes of the message that got through.
    pub offset: usize,
    /// The message's full length.
    pub len: usize,
}

type Hook = Box<dyn FnMut(Route, usize) + Send>;

#[derive(Default)]
struct Plan {
    push: VecDeque<Step>,
    pull: VecDeque<Step>,
    done: Vec<CutDone>,
    /// Requests forwarded whole, per route.
    forwarded: [usize; 3],
    /// Answers read whole from the server, per route.
    answered: [usize; 3],
    hook: Option<Hook>,
    answered_hook: Option<Hook>,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("push", &self.push)
            .field("pull", &self.pull)
            .field("done", &self.done)
            .field("forwarded", &self.forwarded)
            .field("answered", &self.answered)
            .finish_non_exhaustive()
    }
}

fn route_index(r: Route) -> usize {
    match r {
        Route::Push => 0,
        Route::Pull => 1,
        Route::Other => 2,
    }
}

/// The proxy. Dropping it stops accepting; open connections end with their peers.
#[derive(Debug)]
pub struct CutProxy {
    pub addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    plan: Arc<Mutex<Plan>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CutProxy {
    /// A proxy on 127.0.0.1:0 to `upstream`. Must be called inside a tokio runtime.
    pub async fn start(upstream: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let upstream = Arc::new(Mutex::new(upstream));
        let plan = Arc::new(Mutex::new(Plan::default()));
        let (up, pl) = (upstream.clone(), plan.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = *lock(&up);
                tokio::spawn(relay(client, server, pl.clone()));
            }
        });
        CutProxy {
            addr,
            upstream,
            plan,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Points new connections at another server.
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *lock(&self.upstream) = upstream;
    }

    /// Appends steps for the next requests of `route` (`Push` or `Pull`).
    pub fn plan(&self, route: Route, steps: impl IntoIterator<Item = Step>) {
        let mut p = lock(&self.plan);
        match route {
            Route::Push => p.push.extend(steps),
            Route::Pull => p.pull.extend(steps),
            Route::Other => panic!("only pushes and pulls are cut"),
        }
    }

    /// Steps not used yet, per route (push, pull).
    pub fn remaining(&self) -> (usize, usize) {
        let p = lock(&self.plan);
        (p.push.len(), p.pull.len())
    }

    /// The cuts made so far.
    pub fn cuts(&self) -> Vec<CutDone> {
        lock(&self.plan).done.clone()
    }

    /// Requests of `route` forwarded whole to the server so far.
    pub fn forwarded(&self, route: Route) -> usize {
        lock(&self.plan).forwarded[route_index(route)]
    }

    /// Runs `hook(route, n)` after each request forwarded whole (`n`: how many of that route so
    /// far, this one included).
    pub fn on_forwarded(&self, hook: impl FnMut(Route, usize) + Send + 'static) {
        lock(&self.plan).hook = Some(Box::new(hook));
    }

    /// Runs `hook(route, n)` after each answer read whole from the server, before it goes on to
    /// the client (`n`: answers of that route so far, this one included).
    pub fn on_answered(&self, hook: impl FnMut(Route, usize) + Send + 'static) {
        lock(&self.plan).answered_hook = Some(Box::new(hook));
    }
}

fn cut_at(thousandths: u32, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (len * thousandths.min(1000) as usize / 1000).min(len - 1)
}

/// Relays one client connection, request by request.
async fn relay(mut client: TcpStream, server_addr: SocketAddr, plan: Arc<Mutex<Plan>>) {
    let mut server: Option<TcpStream> = None;
    let mut from_client = Vec::new();
    let mut from_server = Vec::new();
    loop {
        let Ok(Some(request)) = read_message(&mut client, &mut from_client, true).await else {
            return;
        };
        let route = route_of(&request);
        let step = {
            let mut p = lock(&plan);
            let q = match route {
                Route::Push => Some(&mut p.push),
                Route::Pull => Some(&mut p.pull),
                Route::Other => None,
            };
            q.and_then(VecDeque::pop_front).unwrap_or(Step::Pass)
        };
        if server.is_none() {
            match tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(server_addr)).await {
                Ok(Ok(s)) => server = Some(s),
                // The server is down: the client sees its connection closed.
                _ => return,
            }
        }
        let Some(up) = server.as_mut() else { return };
        if let Step::CutRequest(t) = step {
            let offset = cut_at(t, request.len());
            let _ = up.write_all(&request[..offset]).await;
            lock(&plan).done.push(CutDone {
                route,
                step,
                offset,
                len: request.len(),
            });
            let _ = up.shutdown().await;
            let _ = client.shutdown().await;
            return;
        }
        if up.write_all(&request).await.is_err() {
            return;
        }
        {
            let mut p = lock(&plan);
            let i = route_index(route);
            p.forwarded[i] += 1;
            let n = p.forwarded[i];
            if let Some(hook) = p.hook.as_mut() {
                hook(route, n);
            }
        }
        let Ok(Some(answer)) = read_message(up, &mut from_server, false).await else {
            return;
        };
        {
            let mut p = lock(&plan);
            let i = route_index(route);
            p.answered[i] += 1;
            let n = p.answered[i];
            if let Some(hook) = p.answered_hook.as_mut() {
                hook(route, n);
            }
        }
        if let Step::CutAnswer(t) = step {
            let offset = cut_at(t, answer.len());
            let _ = client.write_all(&answer[..offset]).await;
            lock(&plan).done.push(CutDone {
                route,
                step,
                offset,
                len: answer.len(),
            });
            let _ = client.shutdown().await;
            let _ = up.shutdown().await;
            return;
        }
        if client.write_all(&answer).await.is_err() {
            return;
        }
    }
}

fn route_of(request: &[u8]) -> Route {
    if request.starts_with(b"POST /v1/push") {
        Route::Push
    } else if request.starts_with(b"GET /v1/pull") {
        Route::Pull
    } else {
        Route::Other
    }
}

/// Reads more bytes into `buf`; `false` at end of stream.
async fn fill(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 16 * 1024];
    let n = tokio::time::timeout(IO_TIMEOUT, s.read(&mut chunk))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "proxy read timed out"))??;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Reads one whole HTTP/1.1 message (head and body) from `s`, starting with what `buf` holds;
/// leaves any bytes after it in `buf`. `None`: the peer closed before a new message began.
async fn read_message(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    is_request: bool,
) -> std::io::Result<Option<Vec<u8>>> {
    let head_end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n", 0) {
            break p + 4;
        }
        if !fill(s, buf).await? {
            if buf.is_empty() {
                return Ok(None);
            }
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')))
            .map(|v| v.trim().to_owned())
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let length: Option<usize> = header("content-length").and_then(|v| v.parse().ok());
    let end = if chunked {
        // Chunks: `size-hex[;ext]\r\n data \r\n`, ending with size 0 and a blank line.
        let mut pos = head_end;
        loop {
            let line_end = loop {
                if let Some(p) = find(buf, b"\r\n", pos) {
                    break p;
                }
                if !fill(s, buf).await? {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
            };
            let size_text = String::from_utf8_lossy(&buf[pos..line_end]).to_string();
            let size_text = size_text.split(';').next().unwrap_or("").trim().to_owned();
            let size = usize::from_str_radix(&size_text, 16)
                .map_err(|_| std::io::Error::other("bad chunk size"))?;
            pos = line_end + 2;
            if size == 0 {
                // Trailers, then the blank line.
                loop {
                    let l = loop {
                        if let Some(p) = find(buf, b"\r\n", pos) {
                            break p;
                        }
                        if !fill(s, buf).await? {
                            return Err(std::io::ErrorKind::UnexpectedEof.into());
                        }
                    };
                    let blank = l == pos;
                    pos = l + 2;
                    if blank {
                        break;
                    }
                }
                break pos;
            }
            while buf.len() < pos + size + 2 {
                if !fill(s, buf).await? {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
            }
            pos += size + 2;
        }
    } else if let Some(len) = length {
        while buf.len() < head_end + len {
            if !fill(s, buf).await? {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        head_end + len
    } else if is_request {
        head_end
    } else {
        // An answer without a length ends with the connection.
        while fill(s, buf).await? {}
        buf.len()
    };
    let rest = buf.split_off(end);
    Ok(Some(std::mem::replace(buf, rest)))
}
