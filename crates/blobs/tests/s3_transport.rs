//! The server's S3 client: HTTPS to any endpoint (it speaks TLS), plain HTTP only to loopback.

use std::time::Duration;

use bangfu_blobs::sha::Sha256Hex;
use bangfu_blobs::store::{BlobStore, ObjectBlobStore, S3Config};
use tokio::io::AsyncReadExt;

fn config(endpoint: &str) -> S3Config {
    S3Config::new(Some(endpoint), "bangfu-photos", "key", "secret")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_endpoint_is_spoken_to_in_tls() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let store = ObjectBlobStore::s3(&config(&format!("https://127.0.0.1:{port}")))
        .expect("an https endpoint is accepted");
    let request = tokio::spawn(async move { store.get(&Sha256Hex::of(b"photo")).await });
    // The first byte the client sends: 0x16 opens a TLS handshake (a plain request would
    // start with the letters of its method).
    let first = tokio::time::timeout(Duration::from_secs(60), async {
        let (mut conn, _) = listener.accept().await.expect("the client connects");
        conn.read_u8().await.expect("a first byte")
    })
    .await
    .expect("the client connected within a minute");
    request.abort();
    assert_eq!(first, 0x16, "a TLS ClientHello");
}

#[test]
fn plain_http_endpoints_are_refused_unless_loopback() {
    for public in [
        "http://s3.example.org",
        "http://10.0.0.5:9000",
        "http://oss-cn-beijing.aliyuncs.com",
    ] {
        let e = ObjectBlobStore::s3(&config(public)).expect_err(public);
        assert!(e.to_string().contains("https://"), "{public}: {e}");
    }
    for loopback in [
        "http://127.0.0.1:9000",
        "http://localhost:9000",
        "http://[::1]:9000",
    ] {
        ObjectBlobStore::s3(&config(loopback)).unwrap_or_else(|e| panic!("{loopback}: {e}"));
    }
    ObjectBlobStore::s3(&config("https://oss-cn-beijing.aliyuncs.com")).expect("https");
}
