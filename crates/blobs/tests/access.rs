//! The routes under an access policy (disk store): a photo the requester may not read looks
//! absent; partial uploads are each device's own; quotas of unfinished uploads per device, and
//! how the uploader lives with them.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use bangfu_blobs::Sha256Hex;
use bangfu_blobs::access::{AccessError, PhotoAccess};
use bangfu_blobs::client::{ClientError, Uploader, UploaderOptions};
use bangfu_blobs::error::{QuotaKind, UploadError};
use bangfu_blobs::http::router;
use bangfu_blobs::upload::{Appended, Owner, PhotoStatus, UploadConfig, UploadService};
use bangfu_blobs::wire::PhotoErrorBody;
use bytes::Bytes;
use common::{Backend, noisy_png, serve, small_jpeg};

/// The signed-in device, as a test authentication layer puts it into the request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DeviceName(String);

/// A policy from a table: which device reads which photos; every completed upload is noted.
#[derive(Debug, Default)]
struct Table {
    reads: Mutex<HashMap<String, HashSet<Sha256Hex>>>,
    uploads: Mutex<Vec<(String, Sha256Hex)>>,
}

impl Table {
    fn grant(&self, device: &str, sha: &Sha256Hex) {
        self.reads
            .lock()
            .expect("lock")
            .entry(device.to_owned())
            .or_default()
            .insert(sha.clone());
    }
}

#[async_trait::async_trait]
impl PhotoAccess for Table {
    type Who = DeviceName;

    fn owner(&self, who: &DeviceName) -> Owner {
        Owner::new(&who.0).expect("a device name that is an owner key")
    }

    async fn readable(
        &self,
        who: &DeviceName,
        shas: &[Sha256Hex],
    ) -> Result<HashSet<Sha256Hex>, AccessError> {
        let reads = self.reads.lock().expect("lock");
        let mine = reads.get(&who.0);
        Ok(shas
            .iter()
            .filter(|s| mine.is_some_and(|m| m.contains(*s)))
            .cloned()
            .collect())
    }

    async fn uploaded(&self, who: &DeviceName, sha: &Sha256Hex) -> Result<(), AccessError> {
        self.uploads
            .lock()
            .expect("lock")
            .push((who.0.clone(), sha.clone()));
        Ok(())
    }
}

/// `Authorization: Bearer <device>` becomes the request's [`DeviceName`]; none, no requester.
async fn sign_in(mut request: Request, next: Next) -> Response {
    let device = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|d| DeviceName(d.to_owned()));
    if let Some(d) = device {
        request.extensions_mut().insert(d);
    }
    next.run(request).await
}

struct Server {
    backend: Backend,
    service: Arc<UploadService>,
    table: Arc<Table>,
    base: String,
}

async fn server(config: UploadConfig) -> Server {
    let backend = Backend::disk();
    let service = backend.service(config);
    let table = Arc::new(Table::default());
    let app = router(service.clone(), table.clone()).layer(middleware::from_fn(sign_in));
    let addr = serve(app).await;
    Server {
        backend,
        service,
        table,
        base: format!("http://{addr}"),
    }
}

impl Server {
    fn uploader(&self, device: &str, chunk_size: u64) -> Uploader {
        let options = UploaderOptions {
            chunk_size,
            backoff: Duration::from_millis(5),
            ..UploaderOptions::default()
        };
        Uploader::new(&self.base, Some(format!("Bearer {device}")), options).expect("uploader")
    }

    async fn get(&self, device: Option<&str>, sha: &Sha256Hex) -> (StatusCode, Vec<u8>) {
        let mut req = reqwest::Client::new().get(format!("{}/v1/photos/{sha}", self.base));
        if let Some(d) = device {
            req = req.bearer_auth(d);
        }
        let r = req.send().await.expect("get");
        (r.status(), r.bytes().await.expect("body").to_vec())
    }
}

fn owner(name: &str) -> Owner {
    Owner::new(name).expect("owner")
}

#[tokio::test]
async fn a_photo_the_policy_does_not_grant_looks_absent_and_partial_uploads_are_each_devices_own() {
    let s = server(UploadConfig::default()).await;
    let photo = Bytes::from(small_jpeg(3));
    let sha = Sha256Hex::of(&photo);
    s.service
        .append(&sha, photo.len() as u64, 0, &photo)
        .await
        .expect("stored");
    s.table.grant("reader", &sha);

    let (status, body) = s.get(Some("reader"), &sha).await;
    assert_eq!((status, body), (StatusCode::OK, photo.to_vec()));
    let (status, body) = s.get(Some("stranger"), &sha).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let body: PhotoErrorBody = serde_json::from_slice(&body).expect("error body");
    assert_eq!(body.code, "photo_not_found");
    // Mounted without a requester: refused, never served.
    let (status, body) = s.get(None, &sha).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let body: PhotoErrorBody = serde_json::from_slice(&body).expect("error body");
    assert_eq!(body.code, "auth_required");

    let stranger = s.uploader("stranger", 1000);
    let reader = s.uploader("reader", 1000);
    assert!(
        stranger
            .have(std::slice::from_ref(&sha))
            .await
            .expect("have")
            .stored
            .is_empty()
    );
    assert_eq!(
        reader
            .have(std::slice::from_ref(&sha))
            .await
            .expect("have")
            .stored,
        vec![sha.to_string()]
    );

    // The stranger sends the photo: taken as a new upload, completed once every byte came and
    // matched (it holds the photo); the store is not written again.
    let uploaded = stranger.upload(&sha, &photo, &mut |_| {}).await;
    assert_eq!(
        uploaded,
        Ok(bangfu_blobs::client::Uploaded::Stored {
            sent: photo.len() as u64
        })
    );
    assert_eq!(s.backend.count().await, 1);
    assert_eq!(
        *s.table.uploads.lock().expect("lock"),
        vec![("stranger".to_owned(), sha.clone())]
    );

    // Partial uploads: the one device's is invisible to the other, which starts its own.
    let other = Bytes::from(small_jpeg(4));
    let other_sha = Sha256Hex::of(&other);
    let total = other.len() as u64;
    s.service
        .append_of(&owner("a"), &other_sha, total, 0, &other[..100], false)
        .await
        .expect("partial");
    assert_eq!(
        s.service
            .status_of(&owner("b"), &other_sha, true)
            .await
            .expect("status"),
        PhotoStatus::Absent
    );
    let b = s.uploader("b", 1000);
    assert_eq!(
        b.have(std::slice::from_ref(&other_sha))
            .await
            .expect("have")
            .partial
            .len(),
        0
    );
    let a = s.uploader("a", 1000);
    assert_eq!(
        a.have(std::slice::from_ref(&other_sha))
            .await
            .expect("have")
            .partial
            .get(other_sha.as_str()),
        Some(&100)
    );
    // The device resumes its own where it stopped.
    let before = a.stats().body_bytes_sent;
    a.upload_many(&[(other_sha.clone(), other.clone())], &mut |_, _| {})
        .await
        .expect("upload");
    // (the rest of the photo and the `have` question: less than the whole photo)
    assert!(a.stats().body_bytes_sent - before < total);
    assert_eq!(
        s.service
            .status_of(&owner("a"), &other_sha, true)
            .await
            .expect("status"),
        PhotoStatus::Stored { size: total }
    );
}

#[tokio::test]
async fn quotas_refuse_one_unfinished_upload_too_many_and_bytes_over_the_limit() {
    let config = UploadConfig {
        max_partials_per_owner: 3,
        max_staged_bytes_per_owner: 1000,
        ..UploadConfig::default()
    };
    let backend = Backend::disk();
    let service = backend.service(config);
    let sha = |n: u64| Sha256Hex::of(&n.to_le_bytes());
    let a = owner("a");

    // Three unfinished uploads of 100 bytes: the fourth is refused; the others go on.
    for n in 0..3 {
        let r = service
            .append_of(&a, &sha(n), 5000, 0, &[1; 100], false)
            .await;
        assert_eq!(r.ok(), Some(Appended::Partial { received: 100 }), "{n}");
    }
    match service
        .append_of(&a, &sha(3), 5000, 0, &[1; 100], false)
        .await
    {
        Err(
            e @ UploadError::Quota {
                what: QuotaKind::Uploads,
                max: 3,
            },
        ) => {
            assert_eq!(e.code(), "photo_quota");
            assert!(e.message_zh().contains("3张"), "{}", e.message_zh());
        }
        other => panic!("{other:?}"),
    }
    let r = service
        .append_of(&a, &sha(0), 5000, 100, &[1; 400], false)
        .await;
    assert_eq!(r.ok(), Some(Appended::Partial { received: 500 }));
    // 700 bytes staged: 301 more would pass the 1000-byte limit.
    match service
        .append_of(&a, &sha(1), 5000, 100, &[1; 301], false)
        .await
    {
        Err(UploadError::Quota {
            what: QuotaKind::Bytes,
            max: 1000,
        }) => {}
        other => panic!("{other:?}"),
    }
    let r = service
        .append_of(&a, &sha(1), 5000, 100, &[1; 300], false)
        .await;
    assert_eq!(r.ok(), Some(Appended::Partial { received: 400 }));

    // Another device has quotas of its own.
    let r = service
        .append_of(&owner("b"), &sha(3), 5000, 0, &[1; 100], false)
        .await;
    assert_eq!(r.ok(), Some(Appended::Partial { received: 100 }));

    // Finishing an upload is never refused, and frees its place.
    let photo = small_jpeg(9);
    let photo_sha = Sha256Hex::of(&photo);
    let total = photo.len() as u64;
    let r = service
        .append_of(&a, &photo_sha, total, 0, &photo, false)
        .await;
    assert!(matches!(r, Ok(Appended::Complete { .. })), "{r:?}");

    // Expired unfinished uploads no longer count.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let removed = service
        .remove_stale_partials(Duration::from_millis(10))
        .await
        .expect("clean");
    assert_eq!(removed, 4);
    let r = service
        .append_of(&a, &sha(3), 5000, 0, &[1; 100], false)
        .await;
    assert_eq!(r.ok(), Some(Appended::Partial { received: 100 }));
}

#[tokio::test]
async fn the_uploader_finishes_begun_uploads_first_and_leaves_new_ones_for_later_at_the_quota() {
    let s = server(UploadConfig {
        max_partials_per_owner: 1,
        ..UploadConfig::default()
    })
    .await;
    let first = Bytes::from(noisy_png(40, 10));
    let second = Bytes::from(noisy_png(40, 12));
    let (first_sha, second_sha) = (Sha256Hex::of(&first), Sha256Hex::of(&second));
    let dev = owner("phone");
    // A cut left `second` half sent: the device's one unfinished upload.
    s.service
        .append_of(
            &dev,
            &second_sha,
            second.len() as u64,
            0,
            &second[..1000],
            false,
        )
        .await
        .expect("partial");

    // In the caller's order `first` would begin a second unfinished upload: the begun one goes
    // first, so both get through.
    let phone = s.uploader("phone", 1000);
    let report = phone
        .upload_many(
            &[
                (first_sha.clone(), first.clone()),
                (second_sha.clone(), second.clone()),
            ],
            &mut |_, _| {},
        )
        .await
        .expect("uploaded");
    assert_eq!(report.uploaded, 2);
    assert!(report.refused.is_empty());

    // An upload the phone abandoned (the photo was deleted) fills its quota: new uploads wait
    // for a later sync — no photo is reported refused, the error says "later".
    s.service
        .append_of(&dev, &Sha256Hex::of(b"gone"), 5000, 0, &[0; 10], false)
        .await
        .expect("partial");
    let third = Bytes::from(noisy_png(40, 14));
    let third_sha = Sha256Hex::of(&third);
    match phone
        .upload_many(&[(third_sha.clone(), third.clone())], &mut |_, _| {})
        .await
    {
        Err(e) => {
            assert!(e.is_quota() && e.is_retry_later(), "{e:?}");
            assert!(matches!(e, ClientError::Refused { status: 429, .. }));
        }
        Ok(r) => panic!("{r:?}"),
    }
    assert_eq!(
        s.service
            .status_of(&dev, &third_sha, true)
            .await
            .expect("status"),
        PhotoStatus::Absent
    );
    // A photo that fits in one chunk starts no unfinished upload: it goes through.
    let small = Bytes::from(small_jpeg(1));
    let report = s
        .uploader("phone", 1 << 20)
        .upload_many(&[(Sha256Hex::of(&small), small.clone())], &mut |_, _| {})
        .await
        .expect("one chunk");
    assert_eq!(report.uploaded, 1);
}

#[test]
fn owner_keys_are_directory_safe() {
    assert!(Owner::new("0123abcd-ef_9").is_some());
    for bad in ["", "../x", "a/b", "a b", ".", &"x".repeat(65)] {
        assert!(Owner::new(bad).is_none(), "{bad:?}");
    }
}
