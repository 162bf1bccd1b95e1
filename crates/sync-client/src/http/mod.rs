//! The HTTP transport (reqwest): zstd-compressed request bodies, zstd/gzip answers decoded here
//! (not by reqwest, so that the bytes on the wire can be counted), timeouts and counters.

mod codec;
mod signin;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bangfu_core::sync::Hlc;
use bangfu_core::sync::Scope;
use bangfu_core::sync::outgoing::OutgoingPush;
use bangfu_core::sync::wire::{Capabilities, FeedEntry, PullResponse, PushResponse};
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue,
};
use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use uuid::Uuid;

pub use codec::RequestEncoding;
pub use signin::SignInError;

use crate::transport::{
    PullAhead, PushAhead, Transport, TransportError, TransportStats, spawn_ahead,
};

/// Settings of an [`HttpTransport`]. The defaults suit a 2G link: generous timeouts, zstd.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Time to establish a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time for a whole request, from sending to the last byte of the answer.
    pub request_timeout: Duration,
    /// Longest silence while reading (a link that stalls without closing).
    pub read_timeout: Duration,
    pub request_encoding: RequestEncoding,
    /// zstd level (1–22) or gzip level (0–9) for request bodies. The default, level 1, sends
    /// visits at about 24 % of their JSON: on this JSON even fewer bytes than zstd's own default
    /// level 3 (25 %), for about half its CPU; level 6 saves about one percent more for four
    /// times the phone's CPU (measured with `bangfu bench sync --zstd-level N`).
    pub compression_level: i32,
    /// Largest answer accepted, compressed or not (a guard against runaway or hostile answers).
    pub max_response_bytes: u64,
    pub user_agent: String,
    /// The device token from sign-in, sent as `Authorization: Bearer …` on every request.
    pub token: Option<DeviceToken>,
}

/// A device token. Its `Debug` shows nothing of it, so that it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceToken(pub String);

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceToken(…)")
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(180),
            read_timeout: Duration::from_secs(60),
            request_encoding: RequestEncoding::Zstd,
            compression_level: 1,
            max_response_bytes: 64 << 20,
            user_agent: concat!("bangfu-sync-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            token: None,
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    failures: AtomicU64,
    body_sent: AtomicU64,
    body_received: AtomicU64,
    header_sent: AtomicU64,
    header_received: AtomicU64,
    json_sent: AtomicU64,
    json_received: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// A [`Transport`] over HTTP(S). Cheap to share: one connection pool, counters behind atomics.
/// A clone shares the pool, the counters and the remembered version (it is how a request runs
/// on another worker: [`Transport::pull_ahead`]).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    base: Url,
    options: HttpOptions,
    counters: Arc<Counters>,
    /// The last version answer and when it came; cleared when a request fails.
    version: Arc<Mutex<Option<(Instant, Capabilities)>>>,
}

/// A pull answer whose operations are kept as received, to be parsed one by one (each entry's
/// JSON is then stored by the device as it is: [`FeedEntry::op_json`]).
#[derive(Deserialize)]
struct RawPullResponse<'a> {
    #[serde(borrow)]
    entries: Vec<RawFeedEntry<'a>>,
    cursor: u64,
    has_more: bool,
    server_hlc: Hlc,
    #[serde(default)]
    epoch: Option<Uuid>,
}

#[derive(Deserialize)]
struct RawFeedEntry<'a> {
    server_seq: u64,
    #[serde(borrow)]
    op: &'a RawValue,
    #[serde(default)]
    future: bool,
}

impl RawPullResponse<'_> {
    fn parse(json: &[u8]) -> Result<PullResponse, serde_json::Error> {
        let raw: RawPullResponse<'_> = serde_json::from_slice(json)?;
        let entries = raw
            .entries
            .into_iter()
            .map(|e| {
                let mut entry = FeedEntry::received(e.server_seq, e.op.get())?;
                entry.future = e.future;
                Ok(entry)
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        Ok(PullResponse {
            entries,
            cursor: raw.cursor,
            has_more: raw.has_more,
            server_hlc: raw.server_hlc,
            epoch: raw.epoch,
        })
    }
}

impl HttpTransport {
    /// A transport to the server at `base_url` (e.g. `https://sync.xinfeng.gov.cn/` or
    /// `http://127.0.0.1:8080`; a path prefix is kept). HTTPS needs the crate feature `rustls`.
    /// Plain HTTP only to a loopback or private address ([`crate::server_url`]).
    pub fn new(base_url: &str, options: HttpOptions) -> Result<HttpTransport, TransportError> {
        crate::server_url::check_server_url(base_url)
            .map_err(|e| TransportError::Config(format!("server address `{base_url}`: {e}")))?;
        let mut base = Url::parse(base_url)
            .map_err(|e| TransportError::Config(format!("bad server address `{base_url}`: {e}")))?;
        match base.scheme() {
            "http" => {}
            "https" if cfg!(feature = "rustls") => {}
            "https" => {
                return Err(TransportError::Config(
                    "HTTPS needs bangfu-sync-client's `rustls` feature".to_owned(),
                ));
            }
            other => {
                return Err(TransportError::Config(format!(
                    "unsupported scheme `{other}` in `{base_url}`"
                )));
            }
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .read_timeout(options.read_timeout)
            .user_agent(options.user_agent.clone())
            .tcp_keepalive(Duration::from_secs(30))
            // Answers are decoded here, so that their wire size can be counted.
            .no_gzip()
            .no_zstd()
            .no_brotli()
            .no_deflate()
            .build()
            .map_err(|e| codec::map_reqwest(&e))?;
        Ok(HttpTransport {
            client,
            base,
            options,
            counters: Arc::default(),
            version: Arc::default(),
        })
    }

    /// The same server and connection pool with another device's token (fresh counters).
    pub fn with_token(&self, token: Option<DeviceToken>) -> HttpTransport {
        HttpTransport {
            client: self.client.clone(),
            base: self.base.clone(),
            options: HttpOptions {
                token,
                ..self.options.clone()
            },
            counters: Arc::default(),
            version: Arc::default(),
        }
    }

    /// The counters so far (also through [`Transport::stats`]).
    pub fn stats(&self) -> TransportStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TransportStats {
            requests: get(&c.requests),
            failures: get(&c.failures),
            body_bytes_sent: get(&c.body_sent),
            body_bytes_received: get(&c.body_received),
            header_bytes_sent: get(&c.header_sent),
            header_bytes_received: get(&c.header_received),
            json_bytes_sent: get(&c.json_sent),
            json_bytes_received: get(&c.json_received),
        }
    }

    fn url(&self, path: &str) -> Result<Url, TransportError> {
        self.base
            .join(path)
            .map_err(|e| TransportError::Config(format!("cannot build the URL for `{path}`: {e}")))
    }

    /// One request; counts it, and counts it as failed if it fails.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        json: Option<Vec<u8>>,
    ) -> Result<T, TransportError> {
        self.call_with(method, url, json, |b| serde_json::from_slice(b))
            .await
    }

    /// [`HttpTransport::call`] with the answer's JSON parsed by `parse`.
    async fn call_with<T>(
        &self,
        method: Method,
        url: Url,
        json: Option<Vec<u8>>,
        parse: impl FnOnce(&[u8]) -> Result<T, serde_json::Error>,
    ) -> Result<T, TransportError> {
        add(&self.counters.requests, 1);
        let result = self.exchange(method, url, json, parse).await;
        if result.is_err() {
            add(&self.counters.failures, 1);
            self.remember_version(None);
        }
        result
    }

    fn remember_version(&self, caps: Option<&Capabilities>) {
        if let Ok(mut v) = self.version.lock() {
            *v = caps.map(|c| (Instant::now(), c.clone()));
        }
    }

    async fn exchange<T>(
        &self,
        method: Method,
        url: Url,
        json: Option<Vec<u8>>,
        parse: impl FnOnce(&[u8]) -> Result<T, serde_json::Error>,
    ) -> Result<T, TransportError> {
        let mut builder = self
            .client
            .request(method, url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(ACCEPT_ENCODING, HeaderValue::from_static("zstd, gzip"));
        if let Some(token) = &self.options.token {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.0)).map_err(|_| {
                    TransportError::Config("the device token is not a valid header".into())
                })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        let mut body_len = 0;
        if let Some(json) = json {
            add(&self.counters.json_sent, json.len() as u64);
            let encoding = self.options.request_encoding;
            let body = codec::encode(json, encoding, self.options.compression_level)?;
            body_len = body.len() as u64;
            builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if let Some(enc) = encoding.header_value() {
                builder = builder.header(CONTENT_ENCODING, HeaderValue::from_static(enc));
            }
            builder = builder.body(body);
        }
        let request = builder.build().map_err(|e| codec::map_reqwest(&e))?;
        let head_len = request_head_len(&request, body_len);
        let sent = || {
            add(&self.counters.header_sent, head_len);
            add(&self.counters.body_sent, body_len);
        };
        let mut response = match self.client.execute(request).await {
            Ok(r) => r,
            Err(e) => {
                let err = codec::map_reqwest(&e);
                if !matches!(err, TransportError::Connect(_)) {
                    sent();
                }
                return Err(err);
            }
        };
        sent();
        // Status line ("HTTP/1.1 200 OK\r\n") and headers.
        let status = response.status();
        let reason_len = status.canonical_reason().map_or(0, str::len) as u64;
        add(
            &self.counters.header_received,
            13 + reason_len + 2 + codec::headers_len(response.headers()),
        );
        let limit = self.options.max_response_bytes;
        let mut raw = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| codec::map_body_read(&e))?
        {
            add(&self.counters.body_received, chunk.len() as u64);
            raw.extend_from_slice(&chunk);
            if raw.len() as u64 > limit {
                return Err(TransportError::BadResponse(format!(
                    "the answer is larger than {limit} bytes"
                )));
            }
        }
        let encoding = response
            .headers()
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok());
        let decoded = codec::decode(&raw, encoding, limit)?;
        add(&self.counters.json_received, decoded.len() as u64);
        if !status.is_success() {
            return Err(codec::status_error(
                status.as_u16(),
                response.headers(),
                &decoded,
            ));
        }
        parse(&decoded).map_err(|e| {
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("no content type");
            TransportError::BadResponse(format!(
                "{e} ({content_type}: {})",
                codec::snippet(&decoded)
            ))
        })
    }
}

/// Estimated size of the request line and headers as HTTP/1.1 sends them, including `host` and
/// `content-length`, which the HTTP stack adds.
fn request_head_len(request: &reqwest::Request, body_len: u64) -> u64 {
    let url = request.url();
    let target = url.path().len() + url.query().map_or(0, |q| q.len() + 1);
    let host =
        url.host_str().map_or(0, str::len) + url.port().map_or(0, |p| p.to_string().len() + 1);
    let line = request.method().as_str().len() + 1 + target + 11;
    let mut len = line as u64 + codec::headers_len(request.headers()) + 8 + host as u64;
    if body_len > 0 {
        len += 18 + body_len.to_string().len() as u64;
    }
    len
}

impl HttpTransport {
    /// `GET /v1/reference`: the county's settings and monitoring lines; `None` while the county
    /// office has set none (404 `no_reference`).
    pub async fn reference(
        &self,
    ) -> Result<Option<bangfu_core::sync::wire::Reference>, TransportError> {
        let url = self.url("v1/reference")?;
        match self.call(Method::GET, url, None).await {
            Ok(r) => Ok(Some(r)),
            Err(TransportError::Refused {
                status: 404, body, ..
            }) if body.code == "no_reference" => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Transport for HttpTransport {
    async fn push(&self, request: &OutgoingPush) -> Result<PushResponse, TransportError> {
        let json = request.to_json();
        let url = self.url("v1/push")?;
        self.call(Method::POST, url, Some(json)).await
    }

    async fn pull(
        &self,
        after: u64,
        limit: u32,
        scope: Option<&str>,
        exclude_origin: Option<(Uuid, u64)>,
    ) -> Result<PullResponse, TransportError> {
        let mut url = self.url("v1/pull")?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("after", &after.to_string());
            q.append_pair("limit", &limit.to_string());
            if let Some(scope) = scope {
                q.append_pair("scope", scope);
            }
            if let Some((device, through)) = exclude_origin {
                q.append_pair("exclude_origin", &device.to_string());
                q.append_pair("exclude_through", &through.to_string());
            }
        }
        self.call_with(Method::GET, url, None, RawPullResponse::parse)
            .await
    }

    /// On a multi-threaded runtime the push is encoded and sent by a task on another worker.
    fn push_ahead(&self, request: Arc<OutgoingPush>) -> Option<PushAhead> {
        let me = self.clone();
        spawn_ahead(async move { me.push(&request).await })
    }

    /// On a multi-threaded runtime the page is fetched, decoded and parsed by a task on another
    /// worker while the caller applies the previous one.
    fn pull_ahead(
        &self,
        after: u64,
        limit: u32,
        scope: Option<&str>,
        exclude_origin: Option<(Uuid, u64)>,
    ) -> Option<PullAhead> {
        let me = self.clone();
        let scope = scope.map(str::to_owned);
        spawn_ahead(async move {
            me.pull(after, limit, scope.as_deref(), exclude_origin)
                .await
        })
    }

    async fn version(&self) -> Result<Capabilities, TransportError> {
        let url = self.url("v1/version")?;
        let caps: Capabilities = self.call(Method::GET, url, None).await?;
        self.remember_version(Some(&caps));
        Ok(caps)
    }

    async fn scope(&self) -> Result<Option<Scope>, TransportError> {
        #[derive(serde::Deserialize)]
        struct Me {
            scope: Scope,
        }
        let url = self.url("v1/me")?;
        let me: Me = self.call(Method::GET, url, None).await?;
        Ok(Some(me.scope))
    }

    async fn report(&self, unsynced_ops: u64, unsynced_photos: u64) -> Result<(), TransportError> {
        let json = serde_json::to_vec(&serde_json::json!({
            "unsynced_ops": unsynced_ops,
            "unsynced_photos": unsynced_photos,
        }))
        .map_err(|e| TransportError::Config(format!("cannot encode the report: {e}")))?;
        let url = self.url("v1/device/report")?;
        let _: serde_json::Value = self.call(Method::POST, url, Some(json)).await?;
        Ok(())
    }

    fn recent_version(&self, max_age: Duration) -> Option<Capabilities> {
        let v = self.version.lock().ok()?;
        let (at, caps) = v.as_ref()?;
        (at.elapsed() < max_age).then(|| caps.clone())
    }

    fn stats(&self) -> TransportStats {
        HttpTransport::stats(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_answer_keeps_its_epoch_and_one_without_parses() {
        let with = br#"{"entries":[],"cursor":7,"has_more":false,"server_hlc":"0195b165e5800001","epoch":"9f2c41d6-0b7e-4a51-8c3d-27e6f1a095b4"}"#;
        let page = RawPullResponse::parse(with).expect("parses");
        assert_eq!(
            page.epoch,
            Some(Uuid::from_u128(0x9f2c_41d6_0b7e_4a51_8c3d_27e6_f1a0_95b4))
        );
        let without =
            br#"{"entries":[],"cursor":7,"has_more":false,"server_hlc":"0195b165e5800001"}"#;
        let page = RawPullResponse::parse(without).expect("parses");
        assert_eq!((page.epoch, page.cursor), (None, 7));
    }

    #[test]
    fn base_urls_keep_their_prefix_and_https_needs_tls() {
        let t = HttpTransport::new("http://127.0.0.1:8080", HttpOptions::default()).expect("ok");
        assert_eq!(
            t.url("v1/push").expect("url").as_str(),
            "http://127.0.0.1:8080/v1/push"
        );
        let t = HttpTransport::new("http://10.0.0.5/county/", HttpOptions::default()).expect("ok");
        assert_eq!(
            t.url("v1/pull").expect("url").as_str(),
            "http://10.0.0.5/county/v1/pull"
        );
        let t = HttpTransport::new("http://10.0.0.5/county", HttpOptions::default()).expect("ok");
        assert_eq!(
            t.url("v1/pull").expect("url").as_str(),
            "http://10.0.0.5/county/v1/pull"
        );
        assert!(matches!(
            HttpTransport::new("http://sync.example.org", HttpOptions::default()),
            Err(TransportError::Config(_))
        ));
        assert!(matches!(
            HttpTransport::new("ftp://h", HttpOptions::default()),
            Err(TransportError::Config(_))
        ));
        assert!(matches!(
            HttpTransport::new("not a url", HttpOptions::default()),
            Err(TransportError::Config(_))
        ));
        let https = HttpTransport::new("https://h", HttpOptions::default());
        assert_eq!(https.is_ok(), cfg!(feature = "rustls"));
    }

    #[tokio::test]
    async fn nothing_listening_is_a_retryable_connect_error() {
        // Bind then drop a listener so that the port is (almost certainly) closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let t = HttpTransport::new(&format!("http://127.0.0.1:{port}"), HttpOptions::default())
            .expect("transport");
        let err = t.version().await.expect_err("nothing listens");
        assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
        assert!(err.is_retryable());
        let s = t.stats();
        assert_eq!((s.requests, s.failures, s.bytes_sent()), (1, 1, 0));
    }
}
