//! `bangfu-server serve --db FILE --listen ADDR`: the sync server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use bangfu_server::admin_cli::{self, DeviceCommand, UserCommand};
use bangfu_server::{ServerConfig, SqliteStorage, router};
use clap::{Parser, Subcommand};
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
    /// The audit log, newest first.
    Audit {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
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
        Command::Serve { db, listen } => serve(db, listen),
        Command::User { db, command } => admin_cli::user(&need_db(db)?, command),
        Command::Device { db, command } => admin_cli::device(&need_db(db)?, command),
        Command::Audit { db, limit } => admin_cli::audit(&db, limit),
    }
}

fn need_db(db: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    db.context("give the database file with --db FILE")
}

fn serve(db: PathBuf, listen: SocketAddr) -> anyhow::Result<()> {
    let storage = SqliteStorage::open(&db)
        .with_context(|| format!("cannot open the database {}", db.display()))?;
    let config = ServerConfig {
        max_pull_limit: storage.max_pull_limit(),
        ..ServerConfig::default()
    };
    let app = router(Arc::new(storage), config);
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
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
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
