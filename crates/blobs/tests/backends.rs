//! One behaviour suite, run against both blob stores: a directory on disk, and a real
//! S3-compatible server (moto) started on loopback. The S3 run fails, never skips, when moto is
//! not installed (`.ci/run` installs it).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bangfu_blobs::Sha256Hex;
use bangfu_blobs::access::Unrestricted;
use bangfu_blobs::client::{Uploaded, Uploader, UploaderOptions};
use bangfu_blobs::error::UploadError;
use bangfu_blobs::http::router;
use bangfu_blobs::upload::{Appended, PhotoStatus, UploadConfig};
use bytes::Bytes;
use common::{Backend, CutProxy, five_mb_png, noise, noisy_png, png_bomb, serve, small_jpeg};

async fn suite(backend: &Backend) {
    store_put_is_idempotent(backend).await;
    a_thousand_references_store_a_photo_once(backend).await;
    a_corrupted_chunk_is_refused_by_the_hash_check(backend).await;
    non_images_are_refused(backend).await;
    decompression_bombs_are_refused_quickly(backend).await;
    over_the_size_limit_is_refused(backend).await;
    a_cut_upload_resumes_where_it_stopped(backend).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_store_behaviour() {
    suite(&Backend::disk()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_store_behaviour() {
    suite(&Backend::s3().await).await;
}

async fn store_put_is_idempotent(b: &Backend) {
    let before = b.count().await;
    let bytes = Bytes::from(small_jpeg(1));
    let sha = Sha256Hex::of(&bytes);
    assert!(!b.store.exists(&sha).await.expect("exists"), "{}", b.name);
    assert_eq!(b.store.get(&sha).await.expect("get"), None, "{}", b.name);
    assert_eq!(b.store.len(&sha).await.expect("len"), None, "{}", b.name);
    for _ in 0..3 {
        b.store.put(&sha, bytes.clone()).await.expect("put");
    }
    assert_eq!(b.store.get(&sha).await.expect("get"), Some(bytes.clone()));
    assert_eq!(
        b.store.len(&sha).await.expect("len"),
        Some(bytes.len() as u64)
    );
    assert!(b.store.exists(&sha).await.expect("exists"));
    assert_eq!(b.count().await, before + 1, "{}", b.name);
}

/// 1,000 records referring to one photo: 1,000 uploads of it, all at once. It is stored once,
/// exactly one upload wrote it, and every one of them is told it is stored.
async fn a_thousand_references_store_a_photo_once(b: &Backend) {
    let before = b.count().await;
    let service = b.service(UploadConfig::default());
    let photo = Bytes::from(small_jpeg(2));
    let sha = Sha256Hex::of(&photo);
    let total = photo.len() as u64;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let (service, sha, photo) = (service.clone(), sha.clone(), photo.clone());
        tasks.spawn(async move { service.append(&sha, total, 0, &photo).await });
    }
    let mut created = 0;
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(Appended::Complete { size, created: c }) => {
                assert_eq!(size, total);
                created += usize::from(c);
            }
            other => panic!("{}: {other:?}", b.name),
        }
    }
    assert_eq!(created, 1, "{}: exactly one upload stores it", b.name);
    assert_eq!(b.count().await, before + 1, "{}: stored once", b.name);
    assert_eq!(Backend::staging_files(&service), 0);
    let refs = vec![sha.clone(); 1000];
    let have = service.have(&refs).await.expect("have");
    assert_eq!(have.stored, vec![sha.clone()]);
    assert!(have.partial.is_empty());
    assert_eq!(b.store.get(&sha).await.expect("get"), Some(photo));
}

async fn a_corrupted_chunk_is_refused_by_the_hash_check(b: &Backend) {
    let before = b.count().await;
    let service = b.service(UploadConfig::default());
    let photo = noisy_png(300, 9);
    let sha = Sha256Hex::of(&photo);
    let total = photo.len() as u64;
    let chunk = 64 << 10;
    let send = |corrupt_chunk: Option<usize>| {
        let (service, sha, photo) = (service.clone(), sha.clone(), photo.clone());
        async move {
            let mut last = None;
            for (i, piece) in photo.chunks(chunk).enumerate() {
                let mut piece = piece.to_vec();
                if corrupt_chunk == Some(i) {
                    piece[100] ^= 0x01;
                }
                let offset = (i * chunk) as u64;
                last = Some(service.append(&sha, total, offset, &piece).await);
                if i + 1 < photo.len().div_ceil(chunk) {
                    assert_eq!(
                        last.as_ref().map(|r| r.as_ref().ok()),
                        Some(Some(&Appended::Partial {
                            received: offset + piece.len() as u64
                        }))
                    );
                }
            }
            last.expect("at least one chunk")
        }
    };
    match send(Some(2)).await {
        Err(UploadError::HashMismatch { expected, actual }) => {
            assert_eq!(expected, sha.to_string());
            assert_ne!(actual, expected);
        }
        other => panic!("{}: {other:?}", b.name),
    }
    assert_eq!(
        service.status(&sha).await.expect("status"),
        PhotoStatus::Absent
    );
    assert_eq!(b.count().await, before, "{}: nothing stored", b.name);
    assert_eq!(Backend::staging_files(&service), 0, "staging cleaned");
    // Sent again whole, it is stored.
    assert_eq!(
        send(None).await.expect("clean upload"),
        Appended::Complete {
            size: total,
            created: true
        }
    );
    assert_eq!(b.count().await, before + 1);
    assert_eq!(
        b.store.get(&sha).await.expect("get").as_deref(),
        Some(&photo[..])
    );
}

async fn non_images_are_refused(b: &Backend) {
    let before = b.count().await;
    let service = b.service(UploadConfig::default());
    let jpeg = small_jpeg(3);
    let mut fake_jpeg = vec![0xff, 0xd8, 0xff, 0xe0];
    fake_jpeg.extend(noise(20_000, 3));
    for (what, bytes) in [
        ("text", "走访记录：本户收入稳定。".repeat(200).into_bytes()),
        ("random bytes", noise(100_000, 4)),
        ("a JPEG signature then noise", fake_jpeg),
        ("a truncated JPEG", jpeg[..jpeg.len() * 2 / 3].to_vec()),
    ] {
        let sha = Sha256Hex::of(&bytes);
        match service.append(&sha, bytes.len() as u64, 0, &bytes).await {
            Err(e @ UploadError::NotImage(_)) => assert_eq!(e.code(), "photo_not_image"),
            other => panic!("{}: {what}: {other:?}", b.name),
        }
        assert_eq!(
            service.status(&sha).await.expect("status"),
            PhotoStatus::Absent
        );
    }
    assert_eq!(b.count().await, before, "{}", b.name);
    assert_eq!(Backend::staging_files(&service), 0);
}

async fn decompression_bombs_are_refused_quickly(b: &Backend) {
    let before = b.count().await;
    let service = b.service(UploadConfig::default());
    for (w, h) in [(100_000, 100_000), (12_000, 12_000), (1, 12_001)] {
        let bomb = png_bomb(w, h);
        let sha = Sha256Hex::of(&bomb);
        let started = Instant::now();
        match service.append(&sha, bomb.len() as u64, 0, &bomb).await {
            Err(e @ UploadError::ImageTooLarge(_)) => {
                assert_eq!(e.code(), "photo_image_too_large");
            }
            other => panic!("{}: {w}×{h}: {other:?}", b.name),
        }
        // Refused from the header, without filling gigabytes of pixels.
        assert!(started.elapsed() < Duration::from_secs(2), "{w}×{h}");
    }
    assert_eq!(b.count().await, before, "{}", b.name);
    assert_eq!(Backend::staging_files(&service), 0);
}

async fn over_the_size_limit_is_refused(b: &Backend) {
    let service = b.service(UploadConfig {
        max_bytes: 100_000,
        max_chunk_bytes: 10_000,
        ..UploadConfig::default()
    });
    let sha = Sha256Hex::of(b"some large photo");
    match service.append(&sha, 100_001, 0, &[0; 100]).await {
        Err(UploadError::TooLarge { declared, max }) => {
            assert_eq!((declared, max), (100_001, 100_000));
        }
        other => panic!("{other:?}"),
    }
    match service.append(&sha, 50_000, 0, &[0; 10_001]).await {
        Err(UploadError::ChunkTooLarge { len, max }) => assert_eq!((len, max), (10_001, 10_000)),
        other => panic!("{other:?}"),
    }
    // A real photo over the limit, whatever its chunks say, is refused too.
    let photo = noisy_png(200, 11);
    assert!(photo.len() > 100_000);
    let sha = Sha256Hex::of(&photo);
    assert!(matches!(
        service
            .append(&sha, photo.len() as u64, 0, &photo[..10_000])
            .await,
        Err(UploadError::TooLarge { .. })
    ));
    assert_eq!(Backend::staging_files(&service), 0);
}

/// A 5 MB photo over real HTTP on loopback, the connection cut when half of it has gone: the
/// upload resumes where the server's copy ends, and less than 1.1 × the file goes over the wire
/// in all (request heads included).
async fn a_cut_upload_resumes_where_it_stopped(b: &Backend) {
    let service = b.service(UploadConfig::default());
    let addr = serve(router(service.clone(), Arc::new(Unrestricted))).await;
    let options = UploaderOptions {
        backoff: Duration::from_millis(10),
        ..UploaderOptions::default()
    };

    // Uncut first, for the time it takes.
    let photo = Bytes::from(five_mb_png());
    let sha = Sha256Hex::of(&photo);
    let uploader = Uploader::new(&format!("http://{addr}"), None, options.clone()).expect("up");
    let started = Instant::now();
    let outcome = uploader.upload(&sha, &photo, &mut |_| {}).await;
    let took = started.elapsed();
    assert_eq!(
        outcome.expect("upload"),
        Uploaded::Stored {
            sent: photo.len() as u64
        }
    );
    eprintln!(
        "{}: a {} byte photo uploaded (256 KiB chunks, loopback, hash and image checks) in {:?}",
        b.name,
        photo.len(),
        took
    );
    assert_eq!(b.store.get(&sha).await.expect("get"), Some(photo));

    // Cut at half way.
    let photo = Bytes::from(noisy_png(1300, 6));
    let sha = Sha256Hex::of(&photo);
    let len = photo.len() as u64;
    let proxy = CutProxy::start(addr, len / 2).await;
    let uploader = Uploader::new(&proxy.url(), None, options).expect("uploader");
    let mut confirmed = Vec::new();
    let outcome = uploader
        .upload(&sha, &photo, &mut |p| confirmed.push(p.confirmed))
        .await;
    let Ok(Uploaded::Stored { sent }) = outcome else {
        panic!("{}: {outcome:?}", b.name);
    };
    assert!(proxy.was_cut(), "the connection was cut");
    let wire = proxy.bytes_up();
    eprintln!(
        "{}: cut at {} of {len} bytes; resumed; {sent} body bytes sent ({:.3}×), {wire} bytes on \
         the wire with request heads ({:.3}×), {} requests, {} failed",
        b.name,
        len / 2,
        sent as f64 / len as f64,
        wire as f64 / len as f64,
        uploader.stats().requests,
        uploader.stats().failures,
    );
    assert!(wire < len + len / 10, "{wire} bytes for a {len} byte photo");
    assert!(sent < len + len / 10);
    assert!(uploader.stats().failures >= 1, "the cut was felt");
    assert!(confirmed.windows(2).all(|w| w[0] < w[1]), "{confirmed:?}");
    assert_eq!(b.store.get(&sha).await.expect("get"), Some(photo));
    assert_eq!(Backend::staging_files(&service), 0);
}
