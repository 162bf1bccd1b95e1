//! The real `bangfu-server` binary as a child process on 127.0.0.1.
//!
//! Cargo builds a binary for the integration tests of its own package only
//! (`CARGO_BIN_EXE_<name>`), not for a package that depends on it, so [`server_binary`] finds it
//! next to the running test (`<target>/<profile>/deps/<test>` → `<target>/<profile>/bangfu-server`)
//! and first runs `cargo build -p bangfu-server --bin bangfu-server` for that target directory and
//! profile, once per test process (a no-op when it is fresh, so a stale binary is never tested).
//! Set `BANGFU_SERVER_BIN` to use a given binary instead and skip the build (e.g. when the tests
//! run from an archive without cargo).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

/// How long the server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The `bangfu-server` binary, built if needed (see the module's documentation).
pub fn server_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("BANGFU_SERVER_BIN") {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().expect("the test's own path");
        let deps = exe
            .parent()
            .expect("the test is in <target>/<profile>/deps");
        let profile_dir = deps.parent().expect("<target>/<profile>");
        let target_dir = profile_dir.parent().expect("<target>");
        let profile = profile_dir
            .file_name()
            .and_then(|p| p.to_str())
            .expect("a profile directory name");
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "bangfu-server",
            "--bin",
            "bangfu-server",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir);
        match profile {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let status = cmd.status().expect("run cargo to build bangfu-server");
        assert!(
            status.success(),
            "cargo build -p bangfu-server failed: {status}"
        );
        let bin = profile_dir.join(format!("bangfu-server{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
}

/// A running `bangfu-server serve`, killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    pub db: PathBuf,
    /// Kept open: the server must not get EPIPE if it prints again.
    _stdout: BufReader<ChildStdout>,
}

impl ServerProcess {
    /// Starts the server on `db` at `127.0.0.1:0` and waits for its `listening on ADDR` line.
    pub fn start(db: &Path) -> ServerProcess {
        ServerProcess::spawn(db, "error", Stdio::inherit())
    }

    /// Like [`ServerProcess::start`], with `RUST_LOG=<filter>` (e.g. `debug`, `trace`) and the
    /// server's standard error (its log) written to the file `log` (created or truncated).
    pub fn start_logging_to(db: &Path, filter: &str, log: &Path) -> ServerProcess {
        let file = std::fs::File::create(log)
            .unwrap_or_else(|e| panic!("cannot create the log file {}: {e}", log.display()));
        ServerProcess::spawn(db, filter, Stdio::from(file))
    }

    fn spawn(db: &Path, filter: &str, stderr: Stdio) -> ServerProcess {
        let mut child = Command::new(server_binary())
            .args(["serve", "--db"])
            .arg(db)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", filter)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn bangfu-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line);
            let _ = tx.send((read.map(|_| line), reader));
        });
        let (line, reader) = match rx.recv_timeout(START_TIMEOUT) {
            Ok((Ok(line), reader)) => (line, reader),
            Ok((Err(e), _)) => {
                let _ = child.kill();
                panic!("reading the server's first line: {e}");
            }
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not say where it listens within {START_TIMEOUT:?}");
            }
        };
        let addr: SocketAddr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        assert!(
            addr.ip().is_loopback(),
            "the server listens on {addr}, not loopback"
        );
        ServerProcess {
            child,
            addr,
            db: db.to_owned(),
            _stdout: reader,
        }
    }

    /// Signs `device` in as the county office account `admin` (created on first use) through
    /// the database file, as `bangfu-server user create` does next to the running server.
    pub fn token(&self, device: uuid::Uuid) -> bangfu_sync_client::DeviceToken {
        let storage =
            bangfu_server::SqliteStorage::open(&self.db).expect("open the server's database");
        let token = bangfu_server::auth::county_token(
            &storage,
            "admin",
            "test-password-1",
            device,
            crate::system_now_ms(),
        )
        .expect("signed in");
        bangfu_sync_client::DeviceToken(token)
    }

    /// Signs `device` in as a county-office account bound to `person` (created on first use):
    /// its operations may carry field records authored by that person.
    pub fn token_as(
        &self,
        device: uuid::Uuid,
        person: uuid::Uuid,
    ) -> bangfu_sync_client::DeviceToken {
        use bangfu_server::auth::{AccessStorage, AccountError, NewAccount, Role};
        let storage =
            bangfu_server::SqliteStorage::open(&self.db).expect("open the server's database");
        let username = format!("p{}", person.simple());
        let new = NewAccount {
            username: username.clone(),
            display_name: "测试".to_owned(),
            role: Role::CountyOffice,
            person_id: Some(person),
            unit_id: None,
            area_path: Some("county".to_owned()),
            password: "test-password-1".to_owned(),
        };
        match storage.create_account(&new, "test", crate::system_now_ms()) {
            Ok(_) | Err(AccountError::Exists) => {}
            Err(e) => panic!("cannot create {username}: {e}"),
        }
        let (_, token) = storage
            .sign_in(
                &username,
                "test-password-1",
                device,
                "test",
                crate::system_now_ms(),
                bangfu_server::auth::DEFAULT_TOKEN_TTL_MS,
            )
            .expect("storage")
            .expect("signed in");
        bangfu_sync_client::DeviceToken(token)
    }

    /// Gives each phone its own account and token: a county-office account (it imports the
    /// county's lists) bound to the phone's person, so that its field records (visits …) are
    /// authored by the account's person as the server demands.
    pub fn enrol(&self, phones: &mut [&mut crate::fixtures::Phone]) {
        for p in phones {
            let device = bangfu_core::sync::DeviceStore::device_id(&p.store);
            p.token = Some(self.token_as(device, p.author));
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill9(&mut self) {
        if self.is_running() {
            self.child.kill().expect("kill -9 the server");
        }
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}
