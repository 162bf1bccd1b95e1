//! `bangfu-server serve --db FILE --listen ADDR`: the sync server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use bangfu_blobs::store::{BlobStore, DiskBlobStore, ObjectBlobStore, S3Config};
use bangfu_blobs::upload::{UploadConfig, UploadService};
use bangfu_server::admin_cli::{self, DeviceCommand, UserCommand};
use bangfu_server::{ServerConfig, SqliteStorage, default_photo_dir, router_with_photos};
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// mimalloc: a push parses and checks thousands of small JSON values; glibc's allocator spends a
/// third of that time consolidating free lists.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "bangfu-server", version, about = "bangfu's sync server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync API over HTTP until SIGTERM or Ctrl-C.
    Serve {
        /// The SQLite database file (created if missing).
        #[arg(long)]
        db: PathBuf,
        /// Address to listen on; port 0 picks a free port (printed on start).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        photos: PhotoArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Accounts: create, disable, enable, list.
    User {
        /// The SQLite database file.
        #[arg(long, global = true)]
        db: Option<PathBuf>,
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Devices: list (last sync, reported unsynced), revoke.
    Device {
        /// The SQLite database file.
        #[arg(long, global = true)]
        db: Option<PathBuf>,
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Fill a new database with the demo county and demo accounts (for trying the app), and the
    /// photo store with the demo's photos and signatures (give the photo options `serve` gets).
    Demo {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 2_000)]
        households: usize,
        #[command(flatten)]
        photos: PhotoArgs,
    },
    /// Operations stamped far in the future (a device's clock set wrong), newest first.
    Future {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Refused operations, newest first: which record, which device, why.
    Rejected {
        #[arg(long)]
        db: PathBuf,
        /// Only this device's.
        #[arg(long)]
        device: Option<uuid::Uuid>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Set the county's settings and monitoring lines from a dataset JSON file.
    Reference {
        #[arg(long)]
        db: PathBuf,
        /// A dataset file (`bangfu export` writes one); only its settings and lines are used.
        #[arg(long)]
        dataset: PathBuf,
    },
    /// Write a consistent copy of the database while the server keeps serving (SQLite's
    /// `VACUUM INTO`), checked before it gets its name. Then copy the photos (docs/backup.md).
    Backup {
        /// The database file (the server may be running on it).
        #[arg(long)]
        db: PathBuf,
        /// The copy to write; must not exist.
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup in place as the database, with a new epoch (devices then push again what the
    /// copy lacks and start their feed over). The server must be stopped; the database in place
    /// is kept beside it as `<db>.before-restore-<time>`.
    Restore {
        /// The backup to restore (left as it is).
        #[arg(long)]
        from: PathBuf,
        /// The database file to replace.
        #[arg(long)]
        db: PathBuf,
    },
    /// The audit log, newest first.
    Audit {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

/// Connection limits and read timeouts of `serve` (defaults: `ServerConfig::default()`).
#[derive(Debug, Args)]
struct LimitArgs {
    /// Open connections at most; more wait to be accepted.
    #[arg(long)]
    max_connections: Option<usize>,
    /// Open connections from one client address at most; more are closed.
    #[arg(long)]
    max_connections_per_address: Option<usize>,
    /// Seconds for a request's head to arrive (and for an idle connection's next request).
    #[arg(long)]
    header_timeout_secs: Option<u64>,
    /// Seconds for a request's whole body to arrive (408 after).
    #[arg(long)]
    body_timeout_secs: Option<u64>,
    /// Behind a reverse proxy that sets X-Forwarded-For: throttle sign-ins by the address it
    /// names (and do not cap connections per address: they all come from the proxy).
    #[arg(long)]
    trust_forwarded_for: bool,
}

impl LimitArgs {
    fn apply(&self, config: &mut ServerConfig) {
        if let Some(n) = self.max_connections {
            config.max_connections = n.max(1);
        }
        if let Some(n) = self.max_connections_per_address {
            config.max_connections_per_address = n.max(1);
        }
        if let Some(s) = self.header_timeout_secs {
            config.header_read_timeout = std::time::Duration::from_secs(s.max(1));
        }
        if let Some(s) = self.body_timeout_secs {
            config.body_read_timeout = std::time::Duration::from_secs(s.max(1));
        }
        config.trust_forwarded_for = self.trust_forwarded_for;
    }
}

/// Where the photos are kept (`serve` and `demo`).
#[derive(Debug, Args)]
struct PhotoArgs {
    /// Directory of the photo blobs (default: `<db>.photos` beside the database).
    #[arg(long)]
    photos: Option<PathBuf>,
    /// Keep photos in an S3-compatible bucket instead (endpoint URL; with --s3-bucket and the
    /// credentials in BANGFU_S3_KEY_ID / BANGFU_S3_SECRET).
    #[arg(long, requires = "s3_bucket")]
    s3_endpoint: Option<String>,
    #[arg(long)]
    s3_bucket: Option<String>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            db,
            listen,
            photos,
            limits,
        } => serve(db, listen, &photos, &limits),
        Command::User { db, command } => admin_cli::user(&need_db(db)?, command),
        Command::Device { db, command } => admin_cli::device(&need_db(db)?, command),
        Command::Audit { db, limit } => admin_cli::audit(&db, limit),
        Command::Rejected { db, device, limit } => admin_cli::rejected(&db, device, limit),
        Command::Future { db, limit } => admin_cli::future(&db, limit),
        Command::Reference { db, dataset } => admin_cli::reference(&db, &dataset),
        Command::Backup { db, out } => backup(&db, &out),
        Command::Restore { from, db } => restore(&from, &db),
        Command::Demo {
            db,
            households,
            photos,
        } => bangfu_server::demo_seed::seed_with_photos(&db, households, || {
            Ok(photo_store(&db, &photos)?.0)
        }),
    }
}

fn backup(db: &std::path::Path, out: &std::path::Path) -> anyhow::Result<()> {
    let info = bangfu_server::backup::backup(db, out)?;
    println!(
        "backup written: {} ({} bytes, schema {}, feed up to server_seq {}, epoch {})",
        info.path.display(),
        info.bytes,
        info.schema_version,
        info.last_server_seq,
        info.epoch
            .map_or_else(|| "none".to_owned(), |e| e.to_string())
    );
    println!("now copy the photos too: see docs/backup.md");
    Ok(())
}

fn restore(from: &std::path::Path, db: &std::path::Path) -> anyhow::Result<()> {
    let r = bangfu_server::backup::restore(from, db, bangfu_server::now_ms())?;
    if let Some(aside) = &r.set_aside {
        println!(
            "the database that was in place is kept as {}",
            aside.display()
        );
    }
    println!(
        "restored {} from {}: feed up to server_seq {}, new epoch {} (devices will push again \
         what the backup lacks and restart their feed)",
        r.info.path.display(),
        from.display(),
        r.info.last_server_seq,
        r.info
            .epoch
            .map_or_else(|| "none".to_owned(), |e| e.to_string())
    );
    Ok(())
}

fn need_db(db: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    db.context("give the database file with --db FILE")
}

/// The photo store the options name, and the photo directory (staging of uploads; the blobs too
/// unless they go to S3).
fn photo_store(
    db: &std::path::Path,
    args: &PhotoArgs,
) -> anyhow::Result<(Arc<dyn BlobStore>, PathBuf)> {
    let dir = args.photos.clone().unwrap_or_else(|| default_photo_dir(db));
    let store: Arc<dyn BlobStore> = match (&args.s3_endpoint, &args.s3_bucket) {
        (Some(endpoint), Some(bucket)) => {
            let key = std::env::var("BANGFU_S3_KEY_ID").context("BANGFU_S3_KEY_ID is not set")?;
            let secret =
                std::env::var("BANGFU_S3_SECRET").context("BANGFU_S3_SECRET is not set")?;
            Arc::new(
                ObjectBlobStore::s3(&S3Config::new(Some(endpoint), bucket, &key, &secret))
                    .context("cannot use the S3 bucket")?,
            )
        }
        _ => Arc::new(
            DiskBlobStore::open(dir.join("blobs"))
                .with_context(|| format!("cannot use the photo directory {}", dir.display()))?,
        ),
    };
    Ok((store, dir))
}

fn photo_service(db: &std::path::Path, args: &PhotoArgs) -> anyhow::Result<Arc<UploadService>> {
    let (store, dir) = photo_store(db, args)?;
    Ok(Arc::new(
        UploadService::new(store, dir.join("staging"), UploadConfig::default())
            .context("cannot prepare the photo staging directory")?,
    ))
}

fn serve(
    db: PathBuf,
    listen: SocketAddr,
    photos: &PhotoArgs,
    limits: &LimitArgs,
) -> anyhow::Result<()> {
    // One server per database, and no restore under a running server.
    let _lock = bangfu_server::backup::ServeLock::acquire(&db)?;
    let storage = SqliteStorage::open(&db)
        .with_context(|| format!("cannot open the database {}", db.display()))?;
    let mut config = ServerConfig {
        max_pull_limit: storage.max_pull_limit(),
        ..ServerConfig::default()
    };
    limits.apply(&mut config);
    let photos = photo_service(&db, photos)?;
    let app = router_with_photos(Arc::new(storage), config.clone(), photos.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = listener.local_addr().context("no local address")?;
        println!("listening on {bound}");
        tracing::info!(%bound, db = %db.display(), "bangfu-server started");
        // Uploads begun and never finished would fill the staging directory and count against
        // their device's quota of unfinished uploads: every hour, partial uploads untouched for
        // three days are removed (a phone resuming later starts over).
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every.tick().await;
                match photos
                    .remove_stale_partials(std::time::Duration::from_secs(3 * 24 * 3600))
                    .await
                {
                    Ok(n) if n > 0 => tracing::info!(removed = n, "stale partial photo uploads"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(code = e.code(), "cleaning photo staging failed"),
                }
            }
        });
        // Connection caps and read timeouts (axum::serve has none).
        bangfu_server::http::serve(listener, app, &config, shutdown())
            .await
            .context("the server stopped with an error")?;
        tracing::info!("bangfu-server stopped");
        anyhow::Ok(())
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
