//! The built `bangfu-server` binary as a child process on a free loopback port.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Kills the server if a test fails half-way (no stray processes).
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `bangfu-server serve` on `db` at 127.0.0.1:0 with `extra` arguments; the server and
/// the `host:port` it listens on.
pub fn start_server(db: &Path, extra: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bangfu-server"))
        .args(["serve", "--db"])
        .arg(db)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn bangfu-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (Server(child), addr)
}

/// `POST /v1/push` of the JSON `body` to the server at `base` as `token`'s device: the answer,
/// which must be a 200. Two minutes at most (a guard against a hang, not a timing assertion).
pub async fn push_body(
    base: &str,
    token: &str,
    body: Vec<u8>,
) -> bangfu_core::sync::wire::PushResponse {
    let resp = reqwest::Client::new()
        .post(format!("{base}/v1/push"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .timeout(std::time::Duration::from_secs(120))
        .send()
        .await
        .expect("push");
    assert_eq!(resp.status(), 200);
    serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json")
}
