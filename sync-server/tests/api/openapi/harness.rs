//! The real router with photos on 127.0.0.1:0, a signed-in county office device, and raw
//! requests with any method, headers, body and `Authorization`.

use std::sync::Arc;
use std::time::Duration;

use bangfu_blobs::store::DiskBlobStore;
use bangfu_blobs::upload::{UploadConfig, UploadService};
use bangfu_core::sync::wire::ErrorBody;
use bangfu_server::{ServerConfig, SqliteStorage, router_with_photos};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use uuid::Uuid;

use crate::common::serve_on_loopback;

/// The real router on 127.0.0.1:0 with a signed-in county office device.
pub(super) struct Server {
    pub(super) base: String,
    pub(super) client: reqwest::Client,
    pub(super) token: String,
    pub(super) device: Uuid,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _photos: tempfile::TempDir,
}

pub(super) async fn start() -> Server {
    let device = Uuid::from_u128(0x0190_0000_0000_7000_8000_00ab_0000_0001);
    start_as("admin", "test-password-1", device).await
}

/// The real router on 127.0.0.1:0, `device` signed in as the county office `username`.
pub(super) async fn start_as(username: &str, password: &str, device: Uuid) -> Server {
    let storage = SqliteStorage::open_in_memory().expect("storage");
    let token = bangfu_server::auth::county_token(
        &storage,
        username,
        password,
        device,
        bangfu_server::now_ms(),
    )
    .expect("signed in");
    let photos = tempfile::tempdir().expect("tempdir");
    let blobs = Arc::new(DiskBlobStore::open(photos.path().join("blobs")).expect("blob store"));
    let uploads = Arc::new(
        UploadService::new(
            blobs,
            photos.path().join("staging"),
            UploadConfig::default(),
        )
        .expect("upload service"),
    );
    let app = router_with_photos(Arc::new(storage), ServerConfig::default(), uploads);
    let (base, shutdown) = serve_on_loopback(app).await;
    Server {
        base,
        // No connection reuse: a connection the server closed after refusing a body early must
        // not be raced by the next request.
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(0)
            .build()
            .expect("client"),
        token,
        device,
        _shutdown: shutdown,
        _photos: photos,
    }
}

/// The `Authorization` a request carries.
#[derive(Debug, Clone)]
pub(super) enum Auth {
    Valid,
    Missing,
    /// A bad header value (raw bytes).
    Bad(Vec<u8>),
}

impl Auth {
    pub(super) fn label(&self) -> String {
        match self {
            Auth::Valid => "token".to_owned(),
            Auth::Missing => "no token".to_owned(),
            Auth::Bad(v) => format!(
                "Authorization {:?}",
                String::from_utf8_lossy(&v[..v.len().min(40)])
            ),
        }
    }
}

/// An answer: status, `Content-Type`, body.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) content_type: Option<String>,
    pub(super) body: Vec<u8>,
}

impl Answer {
    pub(super) fn error_body(&self) -> Option<ErrorBody> {
        serde_json::from_slice(&self.body).ok()
    }
}

impl Server {
    pub(super) async fn send(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &[(&str, Vec<u8>)],
        body: Option<&[u8]>,
        auth: &Auth,
    ) -> Answer {
        let url = format!("{}{path_and_query}", self.base);
        let mut req = self.client.request(method.clone(), &url);
        match auth {
            Auth::Valid => req = req.bearer_auth(&self.token),
            Auth::Missing => {}
            Auth::Bad(v) => {
                req = req.header(
                    reqwest::header::AUTHORIZATION,
                    HeaderValue::from_bytes(v).expect("a header value"),
                );
            }
        }
        for (name, value) in headers {
            req = req.header(
                HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                HeaderValue::from_bytes(value).expect("a header value"),
            );
        }
        if let Some(body) = body {
            req = req.body(body.to_vec());
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: no answer: {e}"));
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.bytes().await.expect("the answer's body").to_vec();
        Answer {
            status,
            content_type,
            body,
        }
    }
}
