//! [`ObjectBlobStore`]: blobs as objects `<prefix>/<sha>` in any `object_store` store; S3 and
//! S3-compatible servers (MinIO, Ceph, the cloud's object storage) through [`S3Config`].
//!
//! object_store's batteries-included `aws` feature brings its own HTTP stack; we use its
//! `aws-base` (S3 without transport) with request signing by `ring`, and give it
//! [`ReqwestConnector`] below: our reqwest, with HTTPS (rustls; the `s3` feature turns it on).
//! Plain HTTP is refused unless the endpoint is explicitly `http://` to a loopback address (an
//! S3-compatible test server on the same machine): photos are personal data.
//!
//! Objects are written whole by one PUT (photos are a few MB, under S3's 5 GB single-PUT limit),
//! which S3 makes visible atomically: a reader sees the old state or the whole object, never a
//! part. `put` asks first (`HEAD`), so a photo referenced a thousand times is written once.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use http_body_util::BodyExt;
use object_store::aws::AmazonS3Builder;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpResponseBody, HttpService,
};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload};

use super::BlobStore;
use crate::error::StoreError;
use crate::sha::Sha256Hex;

/// Where an S3-compatible store is and how to sign for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The server, e.g. `https://oss-cn-beijing.aliyuncs.com` (or `http://127.0.0.1:9000`, plain
    /// HTTP being allowed to loopback only); `None` for Amazon S3 itself (from `region`).
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Key prefix of the photos inside the bucket (`photos` → `photos/<sha>`).
    pub prefix: String,
}

impl S3Config {
    /// A config with region `us-east-1` and prefix `photos`.
    pub fn new(
        endpoint: Option<&str>,
        bucket: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> S3Config {
        S3Config {
            endpoint: endpoint.map(str::to_owned),
            bucket: bucket.to_owned(),
            region: "us-east-1".to_owned(),
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            prefix: "photos".to_owned(),
        }
    }
}

/// Blobs in an object store.
#[derive(Debug, Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
}

impl ObjectBlobStore {
    /// Over any object store (an S3 built elsewhere, object_store's in-memory store, …); blobs
    /// are `<prefix>/<sha>` (`prefix` may be empty).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> ObjectBlobStore {
        ObjectBlobStore {
            store,
            prefix: Path::from(prefix),
        }
    }

    /// An S3-compatible store. Does no I/O: a wrong endpoint or key shows at the first request.
    /// Refuses a plain `http://` endpoint that is not loopback.
    pub fn s3(config: &S3Config) -> Result<ObjectBlobStore, StoreError> {
        if config.bucket.is_empty() {
            return Err(StoreError::Config("the S3 bucket name is empty".to_owned()));
        }
        let allow_http = match config.endpoint.as_deref() {
            Some(e) if e.trim().to_ascii_lowercase().starts_with("http://") => {
                if !is_loopback_endpoint(e) {
                    return Err(StoreError::Config(format!(
                        "S3 endpoint `{e}`: plain http is allowed to a loopback address only \
                         (photos are personal data); use an https:// endpoint"
                    )));
                }
                true
            }
            _ => false,
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_allow_http(allow_http)
            .with_http_connector(ReqwestConnector {
                https_only: !allow_http,
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let store = builder
            .build()
            .map_err(|e| StoreError::Config(e.to_string()))?;
        Ok(ObjectBlobStore::new(Arc::new(store), &config.prefix))
    }

    /// The object store underneath (for maintenance and tests: listing, lifecycle).
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The object key of the blob named `sha`.
    pub fn key_of(&self, sha: &Sha256Hex) -> Path {
        self.prefix.clone().join(sha.as_str())
    }

    /// The names of all stored blobs, sorted (lists the prefix: for tests and maintenance).
    pub async fn list(&self) -> Result<Vec<Sha256Hex>, StoreError> {
        let metas: Vec<_> = self
            .store
            .list(Some(&self.prefix))
            .try_collect()
            .await
            .map_err(object_error)?;
        let mut out: Vec<_> = metas
            .iter()
            .filter_map(|m| m.location.filename().and_then(|f| f.parse().ok()))
            .collect();
        out.sort();
        Ok(out)
    }
}

/// Whether `endpoint`'s host is a loopback address (127.0.0.0/8, ::1) or `localhost`.
fn is_loopback_endpoint(endpoint: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(endpoint.trim()) else {
        return false;
    };
    match url.host_str() {
        Some(h) if h.eq_ignore_ascii_case("localhost") => true,
        Some(h) => h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

fn object_error(e: object_store::Error) -> StoreError {
    StoreError::Object(e.to_string())
}

#[async_trait::async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, sha: &Sha256Hex, bytes: Bytes) -> Result<(), StoreError> {
        if self.exists(sha).await? {
            return Ok(());
        }
        // A concurrent put of the same name overwrites identical bytes: harmless, so no
        // conditional PUT (which not every S3-compatible server supports).
        self.store
            .put(&self.key_of(sha), PutPayload::from_bytes(bytes))
            .await
            .map_err(object_error)?;
        Ok(())
    }

    async fn get(&self, sha: &Sha256Hex) -> Result<Option<Bytes>, StoreError> {
        match self.store.get(&self.key_of(sha)).await {
            Ok(result) => Ok(Some(result.bytes().await.map_err(object_error)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(object_error(e)),
        }
    }

    async fn len(&self, sha: &Sha256Hex) -> Result<Option<u64>, StoreError> {
        match self.store.head(&self.key_of(sha)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(object_error(e)),
        }
    }
}

/// object_store's transport over our reqwest (see the module doc for why).
#[derive(Debug, Clone, Copy)]
struct ReqwestConnector {
    https_only: bool,
}

impl HttpConnector for ReqwestConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        // object_store's retries sit above this service; these are per-attempt limits.
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .https_only(self.https_only)
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "S3",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(ReqwestService(client)))
    }
}

#[derive(Debug)]
struct ReqwestService(reqwest::Client);

fn http_error(e: reqwest::Error) -> HttpError {
    let kind = if e.is_timeout() {
        HttpErrorKind::Timeout
    } else if e.is_connect() {
        HttpErrorKind::Connect
    } else if e.is_body() || e.is_decode() {
        HttpErrorKind::Decode
    } else {
        HttpErrorKind::Request
    };
    HttpError::new(kind, e)
}

#[async_trait::async_trait]
impl HttpService for ReqwestService {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = req.into_parts();
        // Request bodies are in memory already (a photo, or a small XML document).
        let body = match body.as_bytes() {
            Some(b) => b.clone(),
            None => body
                .collect()
                .await
                .map_err(|e| HttpError::new(HttpErrorKind::Request, e))?
                .to_bytes(),
        };
        let url = reqwest::Url::parse(&parts.uri.to_string())
            .map_err(|e| HttpError::new(HttpErrorKind::Request, e))?;
        let mut request = reqwest::Request::new(parts.method, url);
        *request.headers_mut() = parts.headers;
        *request.body_mut() = Some(reqwest::Body::from(body));
        let response = self.0.execute(request).await.map_err(http_error)?;
        let response: http::Response<reqwest::Body> = response.into();
        let (parts, body) = response.into_parts();
        let body = HttpResponseBody::new(body.map_err(http_error));
        Ok(HttpResponse::from_parts(parts, body))
    }
}
