//! [`Uploader`]: the device's side of photo uploads (reqwest), and of fetching a photo it does not
//! hold ([`Uploader::fetch`]).
//!
//! For one photo: `HEAD` says whether the server has it (nothing to send) or where its copy ends;
//! chunks are `PUT` from there. When a chunk fails on the way (no signal, a cut, a timeout, a
//! 5xx), the uploader waits (backoff), asks `HEAD` again and goes on from the server's offset, so
//! a cut costs at most the chunk that was on the way. For many photos, [`Uploader::upload_many`]
//! first asks `POST /v1/photos/have` about all of them at once (one round trip for a thousand
//! photos), then uploads only what is missing, each from where it stands — first those the server
//! holds part of (finishing them frees the device's quota of unfinished uploads on the server).
//! When the server refuses with 429 `photo_quota` (the device left too many uploads unfinished),
//! no new upload is started in that call, the begun ones are finished, and the call ends with
//! that refusal ([`ClientError::is_retry_later`]): the photos stay to be sent at a later sync.
//!
//! Chunk size: 256 KiB by default — on a 2G link (~30 KiB/s) that is ten seconds of work lost
//! at most per cut, and the per-chunk overhead (one request head, ~300 bytes) stays near 0.1 %.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::sha::Sha256Hex;
use crate::wire::{ChunkResponse, HaveRequest, HaveResponse, MAX_HAVE, PhotoErrorBody, codes};

/// Settings of an [`Uploader`]. The defaults suit a 2G link.
#[derive(Debug, Clone)]
pub struct UploaderOptions {
    /// Bytes per `PUT` (at most the server's chunk limit, 1 MiB by default).
    pub chunk_size: u64,
    pub connect_timeout: Duration,
    /// Time for one request, from sending to the last byte of the answer.
    pub request_timeout: Duration,
    /// Failures in a row (network, 5xx) before an upload gives up.
    pub max_failures: u32,
    /// First wait after a failure; doubles with each failure in a row, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub user_agent: String,
}

impl Default for UploaderOptions {
    fn default() -> UploaderOptions {
        UploaderOptions {
            chunk_size: 256 << 10,
            connect_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(120),
            max_failures: 8,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            user_agent: concat!("bangfu-blobs/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// How far one photo's upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Body bytes sent for this photo so far (a chunk cut on its way counts in full).
    pub sent: u64,
    /// Bytes the server confirmed holding.
    pub confirmed: u64,
    /// The photo's size.
    pub total: u64,
}

/// How one photo's upload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    /// The server had it: nothing was sent.
    AlreadyStored,
    /// Sent and stored (verified by the server); `sent` body bytes in all.
    Stored { sent: u64 },
}

/// What [`Uploader::upload_many`] did.
#[derive(Debug, Default)]
pub struct UploadReport {
    pub uploaded: usize,
    pub already_stored: usize,
    /// Photos the server refused (not an image, too large, …) or whose bytes do not match their
    /// name, with why. The others went on.
    pub refused: Vec<(Sha256Hex, ClientError)>,
    pub body_bytes_sent: u64,
}

/// Counters since the uploader was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploaderStats {
    pub requests: u64,
    /// Requests that failed on the network or with a 5xx.
    pub failures: u64,
    /// Body bytes handed to the network (chunks and JSON), cut ones included.
    pub body_bytes_sent: u64,
}

/// Why an upload failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("uploader configuration: {0}")]
    Config(String),
    /// The bytes do not hash to the name given: the device's copy is not this photo.
    #[error("the photo's bytes do not hash to {0}")]
    LocalHashMismatch(Sha256Hex),
    /// The server refused (4xx). `body.code` is one of [`codes`] (`http_<status>` when the
    /// answer had no JSON body).
    #[error("the server refused the photo ({status} {}: {})", body.code, body.message)]
    Refused { status: u16, body: PhotoErrorBody },
    /// Network failures or 5xx answers `attempts` times in a row; the last is `last`. Try later:
    /// the next upload resumes where this one stopped.
    #[error("the server could not be reached ({attempts} attempts): {last}")]
    Unavailable { attempts: u32, last: String },
    /// An answer that is not the protocol's (a captive portal's page, a truncated body).
    #[error("the answer is not the photo protocol's: {0}")]
    BadResponse(String),
}

impl ClientError {
    /// The server refused for now because this device has too many unfinished uploads on it
    /// (429 `photo_quota`): finish those, or try at a later sync.
    pub fn is_quota(&self) -> bool {
        matches!(self, ClientError::Refused { body, .. } if body.code == codes::QUOTA)
    }

    /// Nothing is wrong with the photos: try again at a later sync (the server could not be
    /// reached, or asked to wait).
    pub fn is_retry_later(&self) -> bool {
        matches!(self, ClientError::Unavailable { .. }) || self.is_quota()
    }
}

/// Why a photo could not be fetched ([`Uploader::fetch`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The server holds no such photo, or none this device may see (404: they look alike).
    #[error("the server has no such photo")]
    NotFound,
    /// The server refused (another 4xx); `body` as for an upload's refusal.
    #[error("the server refused the request ({status} {})", body.code)]
    Refused { status: u16, body: PhotoErrorBody },
    /// The server failed (5xx).
    #[error("server error {status}")]
    Server { status: u16 },
    /// No answer in time.
    #[error("the server did not answer in time")]
    Timeout,
    /// No connection, or it broke on the way.
    #[error("the server could not be reached: {0}")]
    Network(String),
    /// Not the photo asked for: larger than allowed, or bytes that do not hash to its name.
    #[error("the answer is not the photo: {0}")]
    BadResponse(String),
    #[error("fetch configuration: {0}")]
    Config(String),
}

/// What a `HEAD` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteStatus {
    Stored {
        size: u64,
    },
    /// Not stored; an upload continues at `offset` (0: nothing received).
    Missing {
        offset: u64,
    },
}

/// A failure that may pass (network, 5xx), or a final one.
enum Failure {
    Transient(String),
    Final(ClientError),
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Failure {
        Failure::Final(e)
    }
}

/// One answer, read whole (photo answers are small JSON or empty).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ClientError::BadResponse(format!("{} answer: {e}", self.status)))
    }

    /// The error body of a 4xx answer; `http_<status>` when it has none.
    fn error_body(&self) -> PhotoErrorBody {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| PhotoErrorBody {
            code: format!("http_{}", self.status.as_u16()),
            message: String::new(),
            expected: None,
            max: None,
        })
    }

    fn refused(&self) -> ClientError {
        ClientError::Refused {
            status: self.status.as_u16(),
            body: self.error_body(),
        }
    }
}

/// Uploads photos to one server. Cheap to share: one connection pool, atomic counters.
#[derive(Debug)]
pub struct Uploader {
    client: reqwest::Client,
    base: Url,
    authorization: Option<HeaderValue>,
    options: UploaderOptions,
    requests: AtomicU64,
    failures: AtomicU64,
    body_sent: AtomicU64,
}

impl Uploader {
    /// An uploader to the server at `base_url` (`http://127.0.0.1:8080`, `https://…` with the
    /// `rustls` feature; a path prefix is kept). `authorization` is the whole `Authorization`
    /// header value (`Bearer <device token>`), sent with every request.
    pub fn new(
        base_url: &str,
        authorization: Option<String>,
        options: UploaderOptions,
    ) -> Result<Uploader, ClientError> {
        let mut base = Url::parse(base_url)
            .map_err(|e| ClientError::Config(format!("bad server address `{base_url}`: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ClientError::Config(format!(
                "unsupported scheme in `{base_url}`"
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        if options.chunk_size == 0 {
            return Err(ClientError::Config("chunk_size is 0".to_owned()));
        }
        let authorization = authorization
            .map(|a| {
                let mut v = HeaderValue::from_str(&a).map_err(|_| {
                    ClientError::Config("the Authorization value is not a header value".to_owned())
                })?;
                v.set_sensitive(true);
                Ok(v)
            })
            .transpose()?;
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .user_agent(options.user_agent.clone())
            .tcp_keepalive(Duration::from_secs(30))
            .build()
            .map_err(|e| ClientError::Config(e.to_string()))?;
        Ok(Uploader {
            client,
            base,
            authorization,
            options,
            requests: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            body_sent: AtomicU64::new(0),
        })
    }

    pub fn stats(&self) -> UploaderStats {
        UploaderStats {
            requests: self.requests.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            body_bytes_sent: self.body_sent.load(Ordering::Relaxed),
        }
    }

    /// One request, its answer read whole. Network errors and 5xx are `Transient`.
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Answer, Failure> {
        let url = self
            .base
            .join(path)
            .map_err(|e| ClientError::Config(format!("cannot build the URL for `{path}`: {e}")))?;
        let mut request = self.client.request(method, url).headers(headers);
        if let Some(auth) = &self.authorization {
            request = request.header(header::AUTHORIZATION, auth.clone());
        }
        if let Some(body) = body {
            self.body_sent
                .fetch_add(body.len() as u64, Ordering::Relaxed);
            request = request.body(body);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let transient = |e: String| {
            self.failures.fetch_add(1, Ordering::Relaxed);
            Failure::Transient(e)
        };
        let response = request.send().await.map_err(|e| transient(e.to_string()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| transient(e.to_string()))?;
        if status.is_server_error() {
            return Err(transient(format!("server error {status}")));
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// `HEAD /v1/photos/{sha}`, once.
    async fn head(&self, sha: &Sha256Hex) -> Result<RemoteStatus, Failure> {
        let answer = self
            .send(
                Method::HEAD,
                &format!("v1/photos/{sha}"),
                HeaderMap::new(),
                None,
            )
            .await?;
        let number = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
        };
        match answer.status {
            StatusCode::OK => Ok(RemoteStatus::Stored {
                size: number(header::CONTENT_LENGTH.as_str()).unwrap_or(0),
            }),
            StatusCode::NOT_FOUND => match number(crate::wire::UPLOAD_OFFSET) {
                Some(offset) => Ok(RemoteStatus::Missing { offset }),
                None => Err(ClientError::BadResponse(
                    "a 404 without Upload-Offset: the server has no photo routes here".to_owned(),
                )
                .into()),
            },
            _ => Err(answer.refused().into()),
        }
    }

    /// `GET /v1/photos/{sha}`, once (someone is waiting to see it: no retries): the photo's
    /// bytes, at most `max_bytes`, checked against its name.
    pub async fn fetch(&self, sha: &Sha256Hex, max_bytes: u64) -> Result<Bytes, FetchError> {
        let path = format!("v1/photos/{sha}");
        let url = self
            .base
            .join(&path)
            .map_err(|e| FetchError::Config(format!("cannot build the URL for `{path}`: {e}")))?;
        let mut request = self.client.get(url);
        if let Some(auth) = &self.authorization {
            request = request.header(header::AUTHORIZATION, auth.clone());
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let failed = |e: reqwest::Error| {
            self.failures.fetch_add(1, Ordering::Relaxed);
            if e.is_timeout() {
                FetchError::Timeout
            } else {
                FetchError::Network(e.to_string())
            }
        };
        let mut response = request.send().await.map_err(failed)?;
        let status = response.status();
        if status.is_server_error() {
            self.failures.fetch_add(1, Ordering::Relaxed);
            return Err(FetchError::Server {
                status: status.as_u16(),
            });
        }
        match status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Err(FetchError::NotFound),
            _ => {
                let answer = Answer {
                    status,
                    headers: response.headers().clone(),
                    body: response.bytes().await.map_err(failed)?,
                };
                return Err(FetchError::Refused {
                    status: status.as_u16(),
                    body: answer.error_body(),
                });
            }
        }
        let too_large = || FetchError::BadResponse(format!("larger than {max_bytes} bytes"));
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if Sha256Hex::of(&bytes) != *sha {
            return Err(FetchError::BadResponse(format!(
                "the bytes do not hash to {sha}"
            )));
        }
        Ok(Bytes::from(bytes))
    }

    /// Where `sha` stands on the server (`HEAD`, with retries).
    pub async fn status(&self, sha: &Sha256Hex) -> Result<RemoteStatus, ClientError> {
        let mut failures = 0;
        loop {
            match self.head(sha).await {
                Ok(s) => return Ok(s),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Transient(e)) => self.wait(&mut failures, e).await?,
            }
        }
    }

    /// `POST /v1/photos/have` for up to [`MAX_HAVE`] hashes (with retries).
    pub async fn have(&self, shas: &[Sha256Hex]) -> Result<HaveResponse, ClientError> {
        if shas.len() > MAX_HAVE {
            return Err(ClientError::Config(format!(
                "at most {MAX_HAVE} hashes per have"
            )));
        }
        let request = HaveRequest {
            sha256: shas.iter().map(ToString::to_string).collect(),
        };
        let json = Bytes::from(
            serde_json::to_vec(&request).map_err(|e| ClientError::Config(e.to_string()))?,
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let mut failures = 0;
        loop {
            match self
                .send(
                    Method::POST,
                    "v1/photos/have",
                    headers.clone(),
                    Some(json.clone()),
                )
                .await
            {
                Ok(a) if a.status == StatusCode::OK => return a.json(),
                Ok(a) => return Err(a.refused()),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Transient(e)) => self.wait(&mut failures, e).await?,
            }
        }
    }

    /// Uploads one photo (`HEAD` first: nothing is sent if the server has it).
    pub async fn upload(
        &self,
        sha: &Sha256Hex,
        bytes: &Bytes,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Uploaded, ClientError> {
        if Sha256Hex::of(bytes) != *sha {
            return Err(ClientError::LocalHashMismatch(sha.clone()));
        }
        match self.status(sha).await? {
            RemoteStatus::Stored { .. } => Ok(Uploaded::AlreadyStored),
            RemoteStatus::Missing { offset } => {
                self.upload_from(sha, bytes, offset, progress).await
            }
        }
    }

    /// Uploads the photos the server does not have: one `have` per thousand, then each missing
    /// photo from where it stands, those the server holds part of first. Duplicates in `photos`
    /// are sent once. A photo the server refuses is reported and the others go on; an
    /// unreachable server ends it (`Err`). A refusal for the device's quota of unfinished
    /// uploads (`photo_quota`) stops new uploads but lets the begun ones finish, then ends it
    /// with that refusal (`Err`, [`ClientError::is_retry_later`]).
    pub async fn upload_many(
        &self,
        photos: &[(Sha256Hex, Bytes)],
        progress: &mut (dyn FnMut(&Sha256Hex, Progress) + Send),
    ) -> Result<UploadReport, ClientError> {
        let mut seen = HashSet::new();
        let unique: Vec<_> = photos.iter().filter(|(s, _)| seen.insert(s)).collect();
        let sent_before = self.stats().body_bytes_sent;
        let mut report = UploadReport::default();
        let mut over_quota: Option<ClientError> = None;
        for batch in unique.chunks(MAX_HAVE) {
            let shas: Vec<_> = batch.iter().map(|(s, _)| s.clone()).collect();
            let have = self.have(&shas).await?;
            let stored: HashSet<&str> = have.stored.iter().map(String::as_str).collect();
            // Begun uploads first (stable: otherwise in the caller's order).
            let mut batch = batch.to_vec();
            batch.sort_by_key(|(sha, _)| !have.partial.contains_key(sha.as_str()));
            for (sha, bytes) in batch {
                if stored.contains(sha.as_str()) {
                    report.already_stored += 1;
                    continue;
                }
                if Sha256Hex::of(bytes) != *sha {
                    report
                        .refused
                        .push((sha.clone(), ClientError::LocalHashMismatch(sha.clone())));
                    continue;
                }
                let offset = have.partial.get(sha.as_str()).copied().unwrap_or(0);
                if offset == 0 && over_quota.is_some() {
                    // It would begin one more unfinished upload: at a later sync.
                    continue;
                }
                let mut each = |p: Progress| progress(sha, p);
                match self.upload_from(sha, bytes, offset, &mut each).await {
                    Ok(Uploaded::AlreadyStored) => report.already_stored += 1,
                    Ok(Uploaded::Stored { .. }) => report.uploaded += 1,
                    Err(e) if e.is_quota() => over_quota = Some(e),
                    Err(e @ ClientError::Refused { .. }) => report.refused.push((sha.clone(), e)),
                    Err(e) => return Err(e),
                }
            }
        }
        if let Some(e) = over_quota {
            return Err(e);
        }
        report.body_bytes_sent = self.stats().body_bytes_sent - sent_before;
        Ok(report)
    }

    /// Sends chunks from `offset` until the server has the photo.
    async fn upload_from(
        &self,
        sha: &Sha256Hex,
        bytes: &Bytes,
        mut offset: u64,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Uploaded, ClientError> {
        let total = bytes.len() as u64;
        if total == 0 {
            return Err(ClientError::Config(
                "an empty file is not a photo".to_owned(),
            ));
        }
        let chunk = self.options.chunk_size;
        let mut sent = 0u64;
        let mut failures = 0u32;
        let mut conflicts = 0u32;
        let mut restarted = false;
        let mut ask = false;
        loop {
            if ask {
                match self.head(sha).await {
                    Ok(RemoteStatus::Stored { .. }) => return Ok(Uploaded::Stored { sent }),
                    Ok(RemoteStatus::Missing { offset: o }) => {
                        offset = o;
                        ask = false;
                    }
                    Err(Failure::Final(e)) => return Err(e),
                    Err(Failure::Transient(e)) => {
                        self.wait(&mut failures, e).await?;
                        continue;
                    }
                }
            }
            if offset >= total {
                // The server holds every byte but did not store the photo (its store failed at
                // the end): any chunk makes it retry, so the last byte is sent again.
                offset = total - 1;
            }
            let end = (offset + chunk).min(total);
            let (start, end_usize) = (usize_of(offset)?, usize_of(end)?);
            let mut headers = HeaderMap::new();
            let range = format!("bytes {offset}-{}/{total}", end - 1);
            headers.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&range).map_err(|e| ClientError::Config(e.to_string()))?,
            );
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            let body = bytes.slice(start..end_usize);
            sent += end - offset;
            let answer = self
                .send(
                    Method::PUT,
                    &format!("v1/photos/{sha}"),
                    headers,
                    Some(body),
                )
                .await;
            match answer {
                Ok(a) if a.status.is_success() => {
                    let r: ChunkResponse = a.json()?;
                    failures = 0;
                    conflicts = 0;
                    progress(Progress {
                        sent,
                        confirmed: r.received,
                        total,
                    });
                    if r.complete {
                        return Ok(Uploaded::Stored { sent });
                    }
                    offset = r.received;
                }
                Ok(a) => {
                    let refused = a.refused();
                    let ClientError::Refused { body, .. } = &refused else {
                        return Err(refused);
                    };
                    match (body.code.as_str(), body.expected) {
                        // Another device uploading the same photo (or a lost answer) moved
                        // the server's copy on: go on from there. Only a copy that does not
                        // move forward (it was discarded meanwhile) counts towards giving up.
                        (codes::OFFSET_MISMATCH, Some(expected)) if conflicts < 8 => {
                            if expected <= offset {
                                conflicts += 1;
                            } else {
                                conflicts = 0;
                            }
                            offset = expected;
                        }
                        // Corrupted on the way; the server discarded it: once more from 0.
                        (codes::HASH_MISMATCH, _) if !restarted => {
                            restarted = true;
                            offset = 0;
                        }
                        _ => return Err(refused),
                    }
                }
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Transient(e)) => {
                    self.wait(&mut failures, e).await?;
                    ask = true;
                }
            }
        }
    }

    /// Counts a failure; gives up after `max_failures` in a row, else waits the backoff.
    async fn wait(&self, failures: &mut u32, last: String) -> Result<(), ClientError> {
        *failures += 1;
        if *failures >= self.options.max_failures {
            return Err(ClientError::Unavailable {
                attempts: *failures,
                last,
            });
        }
        let factor = 1u32 << (*failures - 1).min(16);
        let delay = self
            .options
            .backoff
            .saturating_mul(factor)
            .min(self.options.max_backoff);
        tokio::time::sleep(delay).await;
        Ok(())
    }
}

fn usize_of(n: u64) -> Result<usize, ClientError> {
    usize::try_from(n).map_err(|_| ClientError::Config("photo larger than memory".to_owned()))
}

/// One photo to the server at `base_url`, in chunks of `chunk_size` (a convenience over
/// [`Uploader`]; keep an `Uploader` to upload many and reuse its connections).
pub async fn upload(
    base_url: &str,
    authorization: Option<String>,
    sha: &Sha256Hex,
    bytes: &Bytes,
    chunk_size: u64,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Uploaded, ClientError> {
    let options = UploaderOptions {
        chunk_size,
        ..UploaderOptions::default()
    };
    Uploader::new(base_url, authorization, options)?
        .upload(sha, bytes, progress)
        .await
}
