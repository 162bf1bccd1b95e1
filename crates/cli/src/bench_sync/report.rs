//! What `bangfu bench sync` prints: one line per scenario, with the push and pull phases apart.

use anyhow::Result;
use bangfu_sync_client::TransportStats;
use serde::Serialize;

/// One phase (push or pull) of one or more syncs.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PhaseStats {
    pub ops: u64,
    pub seconds: f64,
    pub requests: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// The messages' JSON before compression.
    json_up: u64,
    json_down: u64,
}

impl PhaseStats {
    pub fn of(t: TransportStats, ops: u64, seconds: f64) -> PhaseStats {
        let (bytes_up, bytes_down) = (t.bytes_sent(), t.bytes_received());
        let (json_up, json_down) = (t.json_bytes_sent, t.json_bytes_received);
        let requests = t.requests;
        PhaseStats {
            ops,
            seconds,
            requests,
            bytes_up,
            bytes_down,
            json_up,
            json_down,
        }
    }
    pub fn add(&mut self, o: &PhaseStats) {
        self.ops += o.ops;
        self.seconds += o.seconds;
        self.requests += o.requests;
        self.bytes_up += o.bytes_up;
        self.bytes_down += o.bytes_down;
        self.json_up += o.json_up;
        self.json_down += o.json_down;
    }
}

/// What one or more syncs did, and the CPU they took in the bench (the client) and the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measured {
    pub push: PhaseStats,
    pub pull: PhaseStats,
    pub client_cpu_s: f64,
    pub server_cpu_s: f64,
}

#[derive(Debug, Serialize)]
struct Target {
    target: &'static str,
    value: f64,
    met: bool,
}

#[derive(Debug, Serialize)]
pub struct Line {
    scenario: &'static str,
    pub records: u64,
    pub seconds: f64,
    pub requests: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub json_bytes: u64,
    pub records_per_s: f64,
    /// (bytes_up + bytes_down) / json_bytes.
    pub wire_ratio: f64,
    push: PhaseStats,
    pull: PhaseStats,
    client_cpu_s: f64,
    server_cpu_s: f64,
    targets: Vec<Target>,
    /// How the syncs were made (on the setup line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<serde_json::Value>,
}

impl Line {
    pub fn new(scenario: &'static str, records: u64, json_bytes: u64, m: &[Measured]) -> Line {
        let (mut push, mut pull) = (PhaseStats::default(), PhaseStats::default());
        for x in m {
            push.add(&x.push);
            pull.add(&x.pull);
        }
        let seconds = push.seconds + pull.seconds;
        let (bytes_up, bytes_down) = (
            push.bytes_up + pull.bytes_up,
            push.bytes_down + pull.bytes_down,
        );
        Line {
            scenario,
            records,
            seconds,
            requests: push.requests + pull.requests,
            bytes_up,
            bytes_down,
            json_bytes,
            records_per_s: records as f64 / seconds.max(1e-9),
            wire_ratio: (bytes_up + bytes_down) as f64 / json_bytes.max(1) as f64,
            push,
            pull,
            client_cpu_s: m.iter().map(|x| x.client_cpu_s).sum(),
            server_cpu_s: m.iter().map(|x| x.server_cpu_s).sum(),
            targets: Vec::new(),
            options: None,
        }
    }

    pub fn target(mut self, target: &'static str, value: f64, met: bool) -> Line {
        self.targets.push(Target { target, value, met });
        self
    }

    pub fn print(&self) -> Result<()> {
        println!("{}", serde_json::to_string(self)?);
        Ok(())
    }
}
