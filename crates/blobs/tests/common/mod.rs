//! Test helpers: photos made on the spot, the two blob stores (a temporary directory, and a real
//! S3-compatible server — moto — started on loopback), the routes served on loopback, and a TCP
//! proxy that cuts a connection after a chosen number of bytes.
#![allow(dead_code)] // Each test file uses its own part of this.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bangfu_blobs::store::{BlobStore, DiskBlobStore, ObjectBlobStore, S3Config};
use bangfu_blobs::upload::{UploadConfig, UploadService};
use image::{ImageEncoder, RgbImage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Deterministic noise (xorshift64).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A PNG of random RGB pixels (incompressible, so the file is about `side² × 3` bytes).
pub fn noisy_png(side: u32, seed: u64) -> Vec<u8> {
    let pixels = noise((side * side * 3) as usize, seed);
    let img = RgbImage::from_raw(side, side, pixels).expect("pixel buffer");
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(img.as_raw(), side, side, image::ExtendedColorType::Rgb8)
    .expect("encode png");
    out
}

/// A ~5 MB real image (1300 × 1300 noisy RGB PNG, 5.07 MB).
pub fn five_mb_png() -> Vec<u8> {
    noisy_png(1300, 5)
}

/// A small real photo (JPEG, a few kB).
pub fn small_jpeg(seed: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(120, 90, |x, y| {
        image::Rgb([x as u8 ^ seed, y as u8, seed.wrapping_mul(7)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .write_image(img.as_raw(), 120, 90, image::ExtendedColorType::Rgb8)
        .expect("encode jpeg");
    out
}

/// A PNG whose header claims `width` × `height` but that holds one pixel.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_pixel(1, 1, image::Rgb([1, 2, 3]));
    let mut real = Vec::new();
    image::codecs::png::PngEncoder::new(&mut real)
        .write_image(img.as_raw(), 1, 1, image::ExtendedColorType::Rgb8)
        .expect("encode png");
    real[16..20].copy_from_slice(&width.to_be_bytes());
    real[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&real[12..29]);
    real[29..33].copy_from_slice(&crc.to_be_bytes());
    real
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The S3-compatible server of the tests: moto's `moto_server` (PyPI `moto[server]`), run as a
/// child process on a free loopback port.
#[derive(Debug)]
pub struct S3Server {
    pub endpoint: String,
    /// A shell that runs moto in the background and kills it when `stdin` closes: when this is
    /// dropped, and also when the test process dies without running destructors.
    child: Child,
    stdin: Option<ChildStdin>,
}

const DEFAULT_S3_SERVER: &str = "/var/tmp/bangfu-venv/bin/moto_server";

impl S3Server {
    /// Starts moto and waits for it. Fails (never skips) when moto is not installed.
    pub fn start() -> S3Server {
        let binary = match std::env::var_os("BANGFU_S3_SERVER") {
            Some(b) => PathBuf::from(b),
            None => PathBuf::from(DEFAULT_S3_SERVER),
        };
        assert!(
            binary.is_file(),
            "the S3-compatible test server is not installed at {} (set BANGFU_S3_SERVER to \
             another moto_server). Install it with:\n  python3 -m venv /var/tmp/bangfu-venv && \
             /var/tmp/bangfu-venv/bin/pip install 'moto[server]'\n(.ci/run does this; on \
             Debian `apt-get install python3-venv` first if venv is missing)",
            binary.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 & pid=$!; read _; kill $pid; wait $pid"#)
            .arg(&binary)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let stdin = child.stdin.take().expect("moto's stdin");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server did not listen on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
            stdin: Some(stdin),
        }
    }

    /// Creates a bucket (moto does not check signatures, so a plain PUT does).
    pub async fn create_bucket(&self, bucket: &str) {
        let response = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .expect("create the bucket");
        assert!(
            response.status().is_success(),
            "create bucket: {}",
            response.status()
        );
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        // The wrapper reads end-of-file, kills moto and exits.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// One blob store under test, with what it needs kept alive.
#[derive(Debug)]
pub struct Backend {
    pub name: &'static str,
    pub store: Arc<dyn BlobStore>,
    kind: Kind,
    _dir: tempfile::TempDir,
    _s3: Option<S3Server>,
}

#[derive(Debug)]
enum Kind {
    Disk(DiskBlobStore),
    Object(ObjectBlobStore),
}

impl Backend {
    pub fn disk() -> Backend {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DiskBlobStore::open(dir.path().join("blobs")).expect("open disk store");
        Backend {
            name: "disk",
            store: Arc::new(store.clone()),
            kind: Kind::Disk(store),
            _dir: dir,
            _s3: None,
        }
    }

    pub async fn s3() -> Backend {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = S3Server::start();
        server.create_bucket("bangfu-photos").await;
        let config = S3Config::new(
            Some(&server.endpoint),
            "bangfu-photos",
            "test-key",
            "test-secret",
        );
        let store = ObjectBlobStore::s3(&config).expect("S3 store");
        Backend {
            name: "s3",
            store: Arc::new(store.clone()),
            kind: Kind::Object(store),
            _dir: dir,
            _s3: Some(server),
        }
    }

    /// How many blobs the store holds (files on disk / objects in the bucket).
    pub async fn count(&self) -> usize {
        match &self.kind {
            Kind::Disk(d) => d.list().expect("list disk store").len(),
            Kind::Object(o) => o.list().await.expect("list bucket").len(),
        }
    }

    /// An upload service over this store with its own staging directory.
    pub fn service(&self, config: UploadConfig) -> Arc<UploadService> {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let staging = self._dir.path().join(format!("staging-{n}"));
        Arc::new(UploadService::new(self.store.clone(), staging, config).expect("service"))
    }

    /// Files in the service's staging directory (partial uploads).
    pub fn staging_files(service: &UploadService) -> usize {
        std::fs::read_dir(service.staging_dir())
            .expect("read staging")
            .count()
    }
}

/// Serves `router` on 127.0.0.1:0; the task ends with the runtime.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// A streaming TCP proxy on loopback that counts the bytes going from clients to the server and
/// can cut (close both sides of) the connection carrying byte N, once.
#[derive(Debug)]
pub struct CutProxy {
    pub addr: SocketAddr,
    up_bytes: Arc<AtomicU64>,
    cut_at: Arc<AtomicU64>,
    cut_done: Arc<AtomicBool>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl CutProxy {
    /// A proxy to `upstream` that cuts the connection once `cut_at` bytes went upstream
    /// (`u64::MAX`: never).
    pub async fn start(upstream: SocketAddr, cut_at: u64) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let up_bytes = Arc::new(AtomicU64::new(0));
        let cut = Arc::new(AtomicU64::new(cut_at));
        let cut_done = Arc::new(AtomicBool::new(false));
        let (ub, c, cd) = (up_bytes.clone(), cut.clone(), cut_done.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (ub, c, cd) = (ub.clone(), c.clone(), cd.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    relay(client, server, ub, c, cd).await;
                });
            }
        });
        CutProxy {
            addr,
            up_bytes,
            cut_at: cut,
            cut_done,
            accept,
        }
    }

    /// Bytes that went from clients to the server (request heads and bodies), cut ones included.
    pub fn bytes_up(&self) -> u64 {
        self.up_bytes.load(Ordering::SeqCst)
    }

    pub fn was_cut(&self) -> bool {
        self.cut_done.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    up_bytes: Arc<AtomicU64>,
    cut_at: Arc<AtomicU64>,
    cut_done: Arc<AtomicBool>,
) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = async {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n as u64,
            };
            let before = up_bytes.fetch_add(n, Ordering::SeqCst);
            let cut = cut_at.load(Ordering::SeqCst);
            if before + n >= cut && !cut_done.swap(true, Ordering::SeqCst) {
                let allowed = cut.saturating_sub(before);
                up_bytes.fetch_sub(n - allowed, Ordering::SeqCst);
                let _ = sw.write_all(&buf[..allowed as usize]).await;
                return; // Dropping every half closes both connections.
            }
            if sw.write_all(&buf[..n as usize]).await.is_err() {
                return;
            }
        }
    };
    let down = async {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if cw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}
