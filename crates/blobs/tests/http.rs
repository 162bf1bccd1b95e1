//! The photo routes over real HTTP on loopback (disk store: the routes do not depend on the
//! store, which `backends.rs` covers): the documented answers, every malformed request a 4xx
//! with a code, and the uploader's `upload_many`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use bangfu_blobs::Sha256Hex;
use bangfu_blobs::access::Unrestricted;
use bangfu_blobs::client::{ClientError, Uploaded, Uploader, UploaderOptions};
use bangfu_blobs::error::StoreError;
use bangfu_blobs::http::router;
use bangfu_blobs::store::BlobStore;
use bangfu_blobs::upload::{PhotoStatus, UploadConfig, UploadService};
use bangfu_blobs::wire::{ChunkResponse, HaveRequest, HaveResponse, PhotoErrorBody};
use bytes::Bytes;
use common::{Backend, five_mb_png, noise, noisy_png, png_bomb, serve, small_jpeg};
use reqwest::Method;
use serde_json::json;

struct Server {
    backend: Backend,
    service: Arc<UploadService>,
    base: String,
    http: reqwest::Client,
}

async fn server() -> Server {
    let backend = Backend::disk();
    let service = backend.service(UploadConfig::default());
    let addr = serve(router(service.clone(), Arc::new(Unrestricted))).await;
    Server {
        backend,
        service,
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
    }
}

impl Server {
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request")
    }

    async fn put(&self, sha: &str, range: &str, body: &[u8]) -> reqwest::Response {
        self.send(
            Method::PUT,
            &format!("/v1/photos/{sha}"),
            &[("content-range", range)],
            body.to_vec(),
        )
        .await
    }

    async fn head_offset(&self, sha: &str) -> (StatusCode, Option<String>, Option<String>) {
        let r = self
            .send(Method::HEAD, &format!("/v1/photos/{sha}"), &[], Vec::new())
            .await;
        let h = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        (r.status(), h("upload-offset"), h("content-length"))
    }
}

/// A request and the refusal it must get: what, method, path, headers, body, status, code.
type Case<'a> = (
    &'a str,
    Method,
    String,
    Vec<(&'a str, &'a str)>,
    Vec<u8>,
    u16,
    &'a str,
);

async fn json_of<T: serde::de::DeserializeOwned>(r: reqwest::Response) -> T {
    let body = r.bytes().await.expect("body");
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {body:?}"))
}

async fn error_body(r: reqwest::Response) -> (StatusCode, PhotoErrorBody) {
    let status = r.status();
    let body = r.bytes().await.expect("body");
    let parsed = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{status}: not an error body ({e}): {body:?}"));
    (status, parsed)
}

fn range(start: usize, end_exclusive: usize, total: usize) -> String {
    format!("bytes {start}-{}/{total}", end_exclusive - 1)
}

#[tokio::test]
async fn the_routes_answer_as_documented() {
    let s = server().await;
    let photo = small_jpeg(5);
    let sha = Sha256Hex::of(&photo).to_string();
    let n = photo.len();

    assert_eq!(
        s.head_offset(&sha).await,
        (
            StatusCode::NOT_FOUND,
            Some("0".to_owned()),
            Some("0".to_owned())
        )
    );
    let r = s.put(&sha, &range(0, 1000, n), &photo[..1000]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let chunk: ChunkResponse = json_of(r).await;
    assert_eq!(
        chunk,
        ChunkResponse {
            received: 1000,
            complete: false
        }
    );
    assert_eq!(s.head_offset(&sha).await.1.as_deref(), Some("1000"));

    let other = Sha256Hex::of(b"another").to_string();
    let r = s
        .send(
            Method::POST,
            "/v1/photos/have",
            &[("content-type", "application/json")],
            serde_json::to_vec(&json!({"sha256": [sha, other]})).expect("json"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let have: HaveResponse = json_of(r).await;
    assert!(have.stored.is_empty());
    assert_eq!(have.partial.get(&sha), Some(&1000));
    assert_eq!(have.partial.len(), 1);

    // A chunk from the wrong place: 409, and where to go on, in the body and in the header.
    let r = s.put(&sha, &range(0, 1000, n), &photo[..1000]).await;
    assert_eq!(
        r.headers().get("upload-offset").map(|v| v.as_bytes()),
        Some(&b"1000"[..])
    );
    let (status, body) = error_body(r).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body.code, "photo_offset_mismatch");
    assert_eq!(body.expected, Some(1000));
    assert!(body.message.contains("1000字节"), "{}", body.message);

    let r = s.put(&sha, &range(1000, n, n), &photo[1000..]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let chunk: ChunkResponse = json_of(r).await;
    assert_eq!(
        chunk,
        ChunkResponse {
            received: n as u64,
            complete: true
        }
    );
    assert_eq!(
        s.head_offset(&sha).await,
        (StatusCode::OK, None, Some(n.to_string()))
    );

    let r = s
        .send(Method::GET, &format!("/v1/photos/{sha}"), &[], Vec::new())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["etag"], format!("\"{sha}\"").as_str());
    assert_eq!(r.bytes().await.expect("bytes"), Bytes::from(photo.clone()));

    // Any chunk of a stored photo: 200, complete, nothing written.
    let r = s.put(&sha, &range(0, 10, n), &photo[..10]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let chunk: ChunkResponse = json_of(r).await;
    assert!(chunk.complete);
    assert_eq!(s.backend.count().await, 1);
}

#[tokio::test]
async fn every_malformed_request_is_a_4xx_with_a_code() {
    let s = server().await;
    let sha = Sha256Hex::of(b"x").to_string();
    let photo = format!("/v1/photos/{sha}");
    let json_ct = [("content-type", "application/json")];
    let hashes = |n: usize| {
        let list: Vec<String> = (0..n)
            .map(|i| Sha256Hex::of(&i.to_le_bytes()).to_string())
            .collect();
        serde_json::to_vec(&HaveRequest { sha256: list }).expect("json")
    };
    // What, method, path, headers, body → status, code.
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("not hex", Method::PUT, "/v1/photos/xyz".into(), vec![("content-range", "bytes 0-0/1")], vec![1], 400, "photo_bad_hash"),
        ("upper case", Method::GET, format!("/v1/photos/{}", sha.to_uppercase()), vec![], vec![], 400, "photo_bad_hash"),
        ("path escape", Method::GET, "/v1/photos/..%2F..%2Fetc%2Fpasswd".into(), vec![], vec![], 400, "photo_bad_hash"),
        ("no range", Method::PUT, photo.clone(), vec![], vec![1, 2], 400, "photo_bad_range"),
        ("range words", Method::PUT, photo.clone(), vec![("content-range", "bytes=0-1/2")], vec![1, 2], 400, "photo_bad_range"),
        ("range past total", Method::PUT, photo.clone(), vec![("content-range", "bytes 0-9/5")], vec![0; 10], 400, "photo_bad_range"),
        ("empty photo", Method::PUT, photo.clone(), vec![("content-range", "bytes 0-0/0")], vec![0], 400, "photo_bad_range"),
        ("body shorter", Method::PUT, photo.clone(), vec![("content-range", "bytes 0-9/100")], vec![0; 5], 400, "photo_bad_range"),
        ("body longer", Method::PUT, photo.clone(), vec![("content-range", "bytes 0-9/100")], vec![0; 50], 400, "photo_bad_range"),
        ("photo too large", Method::PUT, photo.clone(), vec![("content-range", "bytes 0-9/9000000")], vec![0; 10], 413, "photo_too_large"),
        ("chunk range too large", Method::PUT, photo.clone(), vec![("content-range", "bytes 0-2000000/3000000")], vec![0; 10], 413, "photo_chunk_too_large"),
        ("chunk body too large", Method::PUT, photo.clone(), vec![("content-range", "bytes 0-9/3000000")], vec![0; 2 << 20], 413, "photo_chunk_too_large"),
        ("have: no content type", Method::POST, "/v1/photos/have".into(), vec![], hashes(1), 415, "unsupported_media_type"),
        ("have: not json", Method::POST, "/v1/photos/have".into(), json_ct.to_vec(), b"{\"sha256\": [".to_vec(), 400, "malformed_json"),
        ("have: wrong field", Method::POST, "/v1/photos/have".into(), json_ct.to_vec(), br#"{"sha": []}"#.to_vec(), 422, "invalid_message"),
        ("have: wrong type", Method::POST, "/v1/photos/have".into(), json_ct.to_vec(), br#"{"sha256": "abc"}"#.to_vec(), 422, "invalid_message"),
        ("have: bad hash", Method::POST, "/v1/photos/have".into(), json_ct.to_vec(), br#"{"sha256": ["abc"]}"#.to_vec(), 400, "photo_bad_hash"),
        ("have: too many", Method::POST, "/v1/photos/have".into(), json_ct.to_vec(), hashes(1001), 413, "photo_too_many"),
        ("have: huge body", Method::POST, "/v1/photos/have".into(), json_ct.to_vec(), vec![b' '; 1 << 20], 413, "photo_too_many"),
        ("get absent", Method::GET, photo.clone(), vec![], vec![], 404, "photo_not_found"),
    ];
    for (what, method, path, headers, body, status, code) in cases {
        let r = s.send(method, &path, &headers, body).await;
        let (got, err) = error_body(r).await;
        assert_eq!((got.as_u16(), err.code.as_str()), (status, code), "{what}");
        assert!(!err.message.is_empty(), "{what}");
    }
    // HEAD of a bad name: 400, no body (HEAD has none).
    assert_eq!(s.head_offset("nothex").await.0, StatusCode::BAD_REQUEST);
    // Another method: 405.
    let r = s.send(Method::DELETE, &photo, &[], Vec::new()).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(s.backend.count().await, 0);
    assert_eq!(Backend::staging_files(&s.service), 0);
}

#[tokio::test]
async fn the_final_chunk_is_checked_and_a_refusal_discards_the_bytes() {
    let s = server().await;
    let good = noisy_png(100, 1);
    let mut corrupted = good.clone();
    corrupted[5000] ^= 0x80;
    let jpeg = small_jpeg(9);
    for (what, name_of, bytes, code) in [
        (
            "corrupted",
            Sha256Hex::of(&good),
            corrupted,
            "photo_hash_mismatch",
        ),
        (
            "text",
            Sha256Hex::of(b"hello"),
            b"hello".to_vec(),
            "photo_not_image",
        ),
        (
            "truncated jpeg",
            Sha256Hex::of(&jpeg[..jpeg.len() / 2]),
            jpeg[..jpeg.len() / 2].to_vec(),
            "photo_not_image",
        ),
        (
            "bomb",
            Sha256Hex::of(&png_bomb(50_000, 50_000)),
            png_bomb(50_000, 50_000),
            "photo_image_too_large",
        ),
    ] {
        let sha = name_of.to_string();
        let n = bytes.len();
        let half = n / 2;
        let r = s.put(&sha, &range(0, half, n), &bytes[..half]).await;
        assert_eq!(r.status(), StatusCode::OK, "{what}");
        let r = s.put(&sha, &range(half, n, n), &bytes[half..]).await;
        let (status, body) = error_body(r).await;
        assert_eq!(
            (status, body.code.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{what}"
        );
        assert_eq!(
            s.head_offset(&sha).await,
            (
                StatusCode::NOT_FOUND,
                Some("0".to_owned()),
                Some("0".to_owned())
            ),
            "{what}: the bytes were discarded"
        );
    }
    assert_eq!(s.backend.count().await, 0);
    assert_eq!(Backend::staging_files(&s.service), 0);
}

/// 1,000 references (records) to 14 photos: one `have`, and only what the server lacks is sent —
/// a photo it has is not sent, a partial one only from where it stands.
#[tokio::test]
async fn upload_many_sends_only_what_is_missing() {
    let s = server().await;
    let options = UploaderOptions {
        chunk_size: 16 << 10,
        ..UploaderOptions::default()
    };
    let uploader = Uploader::new(&s.base, None, options).expect("uploader");
    let known = Bytes::from(small_jpeg(1));
    let partial = Bytes::from(noisy_png(80, 2));
    let fresh: Vec<Bytes> = (10..22).map(|i| Bytes::from(small_jpeg(i))).collect();
    let not_image = Bytes::from(noise(3000, 7));
    let known_sha = Sha256Hex::of(&known);
    assert_eq!(
        uploader.upload(&known_sha, &known, &mut |_| {}).await,
        Ok(Uploaded::Stored {
            sent: known.len() as u64
        })
    );
    let partial_sha = Sha256Hex::of(&partial);
    let half = partial.len() / 2;
    let r = s
        .put(
            partial_sha.as_str(),
            &range(0, half, partial.len()),
            &partial[..half],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let mut photos: Vec<(Sha256Hex, Bytes)> = Vec::new();
    let distinct: Vec<Bytes> = [known.clone(), partial.clone(), not_image.clone()]
        .into_iter()
        .chain(fresh.iter().cloned())
        .collect();
    for i in 0..1000 {
        let b = distinct[i % distinct.len()].clone();
        photos.push((Sha256Hex::of(&b), b));
    }
    let mut progress_calls = 0;
    let report = uploader
        .upload_many(&photos, &mut |_, _| progress_calls += 1)
        .await
        .expect("upload_many");
    assert_eq!(report.already_stored, 1);
    assert_eq!(report.uploaded, 1 + fresh.len());
    assert_eq!(report.refused.len(), 1);
    let (sha, err) = &report.refused[0];
    assert_eq!(*sha, Sha256Hex::of(&not_image));
    assert!(
        matches!(err, ClientError::Refused { status: 422, body } if body.code == "photo_not_image"),
        "{err:?}"
    );
    let have_json = serde_json::to_vec(&HaveRequest {
        sha256: distinct
            .iter()
            .map(|b| Sha256Hex::of(b).to_string())
            .collect(),
    })
    .expect("json")
    .len();
    let expected = have_json
        + (partial.len() - half)
        + not_image.len()
        + fresh.iter().map(Bytes::len).sum::<usize>();
    assert_eq!(report.body_bytes_sent, expected as u64);
    assert!(progress_calls > fresh.len());
    assert_eq!(s.backend.count().await, 2 + fresh.len());
    for b in distinct.iter().filter(|b| **b != not_image) {
        let sha = Sha256Hex::of(b);
        assert_eq!(
            s.backend.store.get(&sha).await.expect("get"),
            Some(b.clone())
        );
    }
}

/// Two devices upload the same 5 MB photo at the same time: both succeed, it is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_uploading_one_photo_store_it_once() {
    let s = server().await;
    let photo = Bytes::from(five_mb_png());
    let sha = Sha256Hex::of(&photo);
    let run = |seed: u64| {
        let (base, photo, sha) = (s.base.clone(), photo.clone(), sha.clone());
        tokio::spawn(async move {
            let options = UploaderOptions {
                chunk_size: (200 << 10) + seed * 1000,
                ..UploaderOptions::default()
            };
            let uploader = Uploader::new(&base, None, options).expect("uploader");
            uploader.upload(&sha, &photo, &mut |_| {}).await
        })
    };
    let (a, b) = (run(1), run(2));
    for outcome in [a.await.expect("task"), b.await.expect("task")] {
        assert!(
            matches!(
                outcome,
                Ok(Uploaded::Stored { .. } | Uploaded::AlreadyStored)
            ),
            "{outcome:?}"
        );
    }
    assert_eq!(s.backend.count().await, 1);
    assert_eq!(s.backend.store.get(&sha).await.expect("get"), Some(photo));
    assert_eq!(Backend::staging_files(&s.service), 0);
}

/// How the sync server mounts the routes: behind its authentication layer. The uploader sends
/// the `Authorization` value it is given with every request.
#[tokio::test]
async fn the_routes_mount_behind_authentication() {
    async fn require_token(request: Request, next: Next) -> Response {
        let ok = request
            .headers()
            .get("authorization")
            .is_some_and(|v| v == "Bearer device-token");
        if ok {
            next.run(request).await
        } else {
            StatusCode::UNAUTHORIZED.into_response()
        }
    }
    let backend = Backend::disk();
    let service = backend.service(UploadConfig::default());
    let app = axum::Router::new()
        .merge(router(service, Arc::new(Unrestricted)))
        .layer(middleware::from_fn(require_token));
    let base = format!("http://{}", serve(app).await);
    let photo = Bytes::from(small_jpeg(4));
    let sha = Sha256Hex::of(&photo);

    let stranger = Uploader::new(&base, None, UploaderOptions::default()).expect("uploader");
    match stranger.upload(&sha, &photo, &mut |_| {}).await {
        Err(ClientError::Refused { status: 401, body }) => assert_eq!(body.code, "http_401"),
        other => panic!("{other:?}"),
    }
    let device = Uploader::new(
        &base,
        Some("Bearer device-token".to_owned()),
        UploaderOptions::default(),
    )
    .expect("uploader");
    assert!(matches!(
        device.upload(&sha, &photo, &mut |_| {}).await,
        Ok(Uploaded::Stored { .. })
    ));
    assert_eq!(backend.count().await, 1);
}

/// A store that fails its first `put` (S3 down for a moment).
#[derive(Debug)]
struct FailsOnce {
    inner: Arc<dyn BlobStore>,
    failed: AtomicBool,
}

#[async_trait::async_trait]
impl BlobStore for FailsOnce {
    async fn put(&self, sha: &Sha256Hex, bytes: Bytes) -> Result<(), StoreError> {
        if !self.failed.swap(true, Ordering::SeqCst) {
            return Err(StoreError::Object("503 Slow Down".to_owned()));
        }
        self.inner.put(sha, bytes).await
    }
    async fn get(&self, sha: &Sha256Hex) -> Result<Option<Bytes>, StoreError> {
        self.inner.get(sha).await
    }
    async fn len(&self, sha: &Sha256Hex) -> Result<Option<u64>, StoreError> {
        self.inner.len(sha).await
    }
}

/// The store fails when the last chunk arrives: the server answers 500 and keeps the staged
/// bytes; the uploader asks where things stand (every byte is there), sends the last chunk again,
/// and the server completes without the photo being sent twice.
#[tokio::test]
async fn a_store_failure_at_the_end_is_retried_without_resending_the_photo() {
    let backend = Backend::disk();
    let store = Arc::new(FailsOnce {
        inner: backend.store.clone(),
        failed: AtomicBool::new(false),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let service =
        Arc::new(UploadService::new(store, dir.path(), UploadConfig::default()).expect("service"));
    let base = format!(
        "http://{}",
        serve(router(service.clone(), Arc::new(Unrestricted))).await
    );
    let photo = Bytes::from(noisy_png(200, 3));
    let sha = Sha256Hex::of(&photo);
    let options = UploaderOptions {
        chunk_size: 32 << 10,
        backoff: Duration::from_millis(5),
        ..UploaderOptions::default()
    };
    let uploader = Uploader::new(&base, None, options).expect("uploader");
    let outcome = uploader.upload(&sha, &photo, &mut |_| {}).await;
    // The whole photo once, and its last byte again to retry the completion.
    assert_eq!(
        outcome,
        Ok(Uploaded::Stored {
            sent: photo.len() as u64 + 1
        })
    );
    assert_eq!(uploader.stats().failures, 1);
    assert_eq!(backend.store.get(&sha).await.expect("get"), Some(photo));
    assert_eq!(Backend::staging_files(&service), 0);
}

#[tokio::test]
async fn stale_partial_uploads_are_removed() {
    let s = server().await;
    let photo = small_jpeg(8);
    let sha = Sha256Hex::of(&photo);
    let r = s
        .put(sha.as_str(), &range(0, 100, photo.len()), &photo[..100])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let young = s
        .service
        .remove_stale_partials(Duration::from_secs(3600))
        .await
        .expect("clean");
    assert_eq!(young, 0);
    assert_eq!(
        s.service.status(&sha).await.expect("status"),
        PhotoStatus::Partial { received: 100 }
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let old = s
        .service
        .remove_stale_partials(Duration::from_millis(10))
        .await
        .expect("clean");
    assert_eq!(old, 1);
    assert_eq!(
        s.service.status(&sha).await.expect("status"),
        PhotoStatus::Absent
    );
}
