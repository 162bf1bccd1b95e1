//! `bangfu bench sync`: the sync client against a real `bangfu-server` process on loopback.
//!
//! The server is the `bangfu-server` binary next to this executable, on a fresh database in a
//! temporary directory. Device A records reference data and visits with `record_change` (the
//! phone's offline work, not timed); then each sync is timed and printed as one JSON line:
//! - `setup`: A's reference data (areas, unit, post, cadre, 100 households and pairings);
//! - `initial_push`: A's `--records` visits in one sync (whose pull leaves A's own operations
//!   out: `exclude_origin`);
//! - `initial_pull`: a fresh device B pulls everything;
//! - `noop`: A syncs with nothing to do;
//! - `incremental`: A records 100 visits, then A's sync and B's sync (summed);
//! - `server`: the server's peak resident memory.
//!
//! `records` counts the operations the scenario is about (pushed, or for `initial_pull` pulled);
//! `json_bytes` is those records' JSON; `bytes_up`/`bytes_down` are wire bytes (compressed bodies
//! and headers) as the transport counts them. `push` and `pull` split each sync into its phases
//! (the version check, when made, counts to `push`); `targets` says what was aimed at and whether
//! it was met.

mod data;
mod report;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bangfu_core::Record;
use bangfu_store::Store;
use bangfu_sync_client::{DeviceToken, HttpOptions, HttpTransport, Phase, Progress, SyncOptions};
use chrono::{DateTime, FixedOffset, SubsecRound};
use serde_json::json;
use uuid::Uuid;

use report::{Line, Measured, PhaseStats};

const HOUSEHOLDS: usize = 100;
const INCREMENTAL: usize = 100;

/// Knobs for exploring batch sizes and compression (defaults: the client's own).
#[derive(Debug, Clone, Copy, Default)]
pub struct Knobs {
    pub batch_size: Option<usize>,
    pub pull_limit: Option<u32>,
    pub zstd_level: Option<i32>,
}

/// How the bench syncs: the client's defaults, plus what an app that keeps its transport and
/// syncs over any link would set: the version asked once per 10 minutes, pull pages that grow
/// while they come within a second.
fn sync_options(knobs: Knobs) -> SyncOptions {
    let d = SyncOptions::default();
    SyncOptions {
        batch_size: knobs.batch_size.unwrap_or(d.batch_size),
        pull_limit: knobs.pull_limit.unwrap_or(d.pull_limit),
        version_max_age: Duration::from_secs(600),
        grow_below: Duration::from_secs(1),
        ..d
    }
}

/// The server process; killed when dropped (also when the bench fails half-way).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn server_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the running executable")?;
    let path = exe
        .parent()
        .context("the executable has no directory")?
        .join(format!("bangfu-server{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        let release = if cfg!(debug_assertions) {
            ""
        } else {
            " --release"
        };
        bail!(
            "the sync server {} is missing: build it with cargo build{release} -p bangfu-server",
            path.display()
        );
    }
    Ok(path)
}

const BENCH_USER: &str = "bench";
const BENCH_PASSWORD: &str = "bench-password";

/// The cadre account whose device records the visits (field records need a person).
const BENCH_CADRE: &str = "bench-cadre";

/// Creates an account on the database with `bangfu-server user create`.
fn create_user(bin: &Path, db: &Path, username: &str, role_args: &[&str]) -> Result<()> {
    let mut create = Command::new(bin)
        .args(["user", "create", "--db"])
        .arg(db)
        .args(["--username", username, "--name", "压测"])
        .args(role_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {} user create", bin.display()))?;
    if let Some(mut stdin) = create.stdin.take() {
        use std::io::Write as _;
        writeln!(stdin, "{BENCH_PASSWORD}").context("cannot give the password")?;
    }
    let status = create.wait().context("bangfu-server user create")?;
    if !status.success() {
        bail!("bangfu-server user create failed: {status}");
    }
    Ok(())
}

/// Starts the server on a free loopback port with the bench's accounts (the county office's,
/// which imports the county's lists, and the cadre `cadre`'s, which records the visits); returns
/// it and its base URL.
fn start_server(bin: &Path, dir: &Path, cadre: Uuid) -> Result<(Server, String)> {
    let log = dir.join("server.log");
    let db = dir.join("server.sqlite");
    create_user(
        bin,
        &db,
        BENCH_USER,
        &["--role", "county_office", "--area", "bench"],
    )?;
    let person = cadre.to_string();
    create_user(
        bin,
        &db,
        BENCH_CADRE,
        &["--role", "cadre", "--person", &person],
    )?;
    let mut child = Command::new(bin)
        .arg("serve")
        .arg("--db")
        .arg(dir.join("server.sqlite"))
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).context("cannot create the server's log")?)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let stdout = child.stdout.take().context("no stdout from the server")?;
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("cannot read the server's address")?;
    let Some(addr) = line.trim().strip_prefix("listening on ") else {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        bail!(
            "bangfu-server did not start (it said {line:?}): {}",
            log.trim()
        );
    };
    Ok((server, format!("http://{addr}")))
}

/// CPU seconds (user + system) of a process so far, from `/proc/<pid>/stat` (0 elsewhere).
fn cpu_s(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    (fields.get(11).unwrap_or(&0) + fields.get(12).unwrap_or(&0)) as f64 / 100.0
}

/// A process's peak resident memory (`VmHWM`) in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// The wall clock in ms and as the phone shows it (UTC+8, whole seconds).
fn now() -> (u64, DateTime<FixedOffset>) {
    let now = chrono::Utc::now();
    let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is an offset");
    let ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    (ms, now.trunc_subsecs(0).with_timezone(&tz))
}

/// Records `records` on `store` as the cadre's changes; returns the records' JSON size.
fn record_all(store: &mut Store, author: Uuid, records: &[(Record, String)]) -> Result<u64> {
    let mut json_bytes = 0;
    for (record, scope) in records {
        let (ms, at) = now();
        store
            .record_change(record, author, scope, ms, at)
            .with_context(|| format!("recording {} {}", record.entity(), record.id()))?;
        json_bytes += serde_json::to_vec(&serde_json::to_value(record)?["record"])?.len() as u64;
    }
    Ok(json_bytes)
}

/// One device: its store and its own connection to the server.
struct Device {
    store: Store,
    transport: HttpTransport,
}

struct Bench {
    rt: tokio::runtime::Runtime,
    options: SyncOptions,
    server_pid: String,
}

impl Bench {
    /// One sync of `d`, timed, split into its push and pull phases.
    fn sync(&self, d: &mut Device) -> Result<Measured> {
        let transport = &d.transport;
        let before = transport.stats();
        let (client0, server0) = (cpu_s("self"), cpu_s(&self.server_pid));
        let start = Instant::now();
        let mut pull_start = None;
        let mut progress = |p: Progress| {
            if p.phase == Phase::Pull && pull_start.is_none() {
                pull_start = Some((Instant::now(), transport.stats()));
            }
        };
        let sync = bangfu_sync_client::sync(&mut d.store, transport, &self.options, &mut progress);
        let report = self
            .rt
            .block_on(sync)
            .map_err(|e| anyhow::anyhow!("sync failed ({}): {e}", e.code()))?;
        let (end, after) = (Instant::now(), transport.stats());
        let (mid, middle) = pull_start.unwrap_or((end, after));
        if let Some(r) = report.rejected.first() {
            bail!(
                "the server rejected operation {}: {:?}",
                r.origin_seq,
                r.reason
            );
        }
        let push_s = (mid - start).as_secs_f64();
        Ok(Measured {
            push: PhaseStats::of(middle.since(&before), report.accepted, push_s),
            pull: PhaseStats::of(
                after.since(&middle),
                report.pulled,
                (end - mid).as_secs_f64(),
            ),
            client_cpu_s: cpu_s("self") - client0,
            server_cpu_s: cpu_s(&self.server_pid) - server0,
        })
    }
}

fn ensure(what: &str, got: u64, want: u64) -> Result<()> {
    if got != want {
        bail!("{what}: {got}, expected {want}");
    }
    Ok(())
}

pub fn run(records: usize, knobs: Knobs) -> Result<()> {
    if records == 0 {
        bail!("--records must be at least 1");
    }
    let bin = server_binary()?;
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let mut rng = data::Rng(1);
    let (refs, reference) = data::reference(&mut rng, HOUSEHOLDS)?;
    let (server, url) = start_server(&bin, dir.path(), refs.cadre)?;
    let bench = Bench {
        // Like the app's (Tauri's) runtime: several workers, so that a pull page is fetched
        // and parsed on one while the previous page is applied on another.
        rt: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?,
        options: sync_options(knobs),
        server_pid: server.0.id().to_string(),
    };
    let mut http = HttpOptions::default();
    http.compression_level = knobs.zstd_level.unwrap_or(http.compression_level);
    let device = |file: &str, user: &str| -> Result<Device> {
        let store = Store::open(dir.path().join(file))?;
        let plain = HttpTransport::new(&url, http.clone())?;
        let signed = bench.rt.block_on(plain.sign_in::<serde::de::IgnoredAny>(
            user,
            BENCH_PASSWORD,
            bangfu_core::sync::DeviceStore::device_id(&store),
            file,
        ))?;
        Ok(Device {
            store,
            transport: plain.with_token(Some(DeviceToken(signed.device_token))),
        })
    };

    // The county office imports the county's lists; device A, the cadre's phone, then records
    // the visits (field records are authored by a person).
    let mut office = device("office.sqlite", BENCH_USER)?;
    let ref_json = record_all(&mut office.store, refs.cadre, &reference)?;
    let m = bench.sync(&mut office)?;
    let n_ref = reference.len() as u64;
    ensure("reference records accepted", m.push.ops, n_ref)?;
    let o = &bench.options;
    let mut setup = Line::new("setup", n_ref, ref_json, &[m]);
    setup.options = Some(
        json!({"batch_size": o.batch_size, "pull_limit": o.pull_limit,
        "pull_limit_max": o.pull_limit_max, "grow_below_s": o.grow_below.as_secs_f64(),
        "version_max_age_s": o.version_max_age.as_secs_f64(), "zstd_level": http.compression_level}),
    );
    setup.print()?;

    let mut a = device("a.sqlite", BENCH_CADRE)?;
    // A's first sync pulls the lists it needs (not timed as the push).
    bench.sync(&mut a)?;
    eprintln!("recording {records} visits on device A (not timed)…");
    let (_, at) = now();
    let visits: Vec<_> = (0..records)
        .map(|_| data::visit(&mut rng, &refs, at))
        .collect();
    let t = Instant::now();
    let visits_json = record_all(&mut a.store, refs.cadre, &visits)?;
    drop(visits);
    let per_visit = visits_json / records as u64;
    let took = t.elapsed().as_secs_f64();
    eprintln!("recorded in {took:.1} s: {per_visit} bytes of JSON per visit");
    // A phone's records were made over weeks, its WAL long copied into the database file: copy
    // it now, so that the timed push does not share the machine with this setup's checkpoint.
    a.store
        .checkpoint()
        .context("cannot checkpoint device A's store")?;
    let m = bench.sync(&mut a)?;
    ensure("visits accepted", m.push.ops, records as u64)?;
    let push_ratio = (m.push.bytes_up + m.push.bytes_down) as f64 / visits_json as f64;
    let l = Line::new("initial_push", records as u64, visits_json, &[m]);
    let rate = l.records_per_s;
    l.target("records_per_s >= 50000", rate, rate >= 50_000.0)
        .target(
            "push phase bytes < 35% of json_bytes",
            push_ratio,
            push_ratio < 0.35,
        )
        .print()?;

    let mut b = device("b.sqlite", BENCH_USER)?;
    let m = bench.sync(&mut b)?;
    let all = n_ref + records as u64;
    ensure("operations pulled by B", m.pull.ops, all)?;
    let l = Line::new("initial_pull", all, ref_json + visits_json, &[m]);
    let (rate, ratio) = (l.records_per_s, l.wire_ratio);
    l.target("records_per_s >= 50000", rate, rate >= 50_000.0)
        .target("bytes < 30% of json_bytes", ratio, ratio < 0.30)
        .print()?;
    // The next scenarios are everyday syncs: B's copy of the 100,000 pulled operations from its
    // WAL into its database file (its background checkpoint, about 250 MB written and fsynced on
    // the disk the server also fsyncs on) is done first, as it would be long before a phone's
    // next sync.
    b.store
        .checkpoint()
        .context("cannot checkpoint device B's store")?;

    let m = bench.sync(&mut a)?;
    ensure(
        "operations moved by a sync with nothing to do",
        m.push.ops + m.pull.ops,
        0,
    )?;
    let l = Line::new("noop", 0, 0, &[m]);
    let (requests, bytes) = (l.requests, l.bytes_up + l.bytes_down);
    l.target("requests <= 1", requests as f64, requests <= 1)
        .target("bytes < 2048", bytes as f64, bytes < 2048)
        .print()?;

    let (_, at) = now();
    let new: Vec<_> = (0..INCREMENTAL)
        .map(|_| data::visit(&mut rng, &refs, at))
        .collect();
    let new_json = record_all(&mut a.store, refs.cadre, &new)?;
    let ma = bench.sync(&mut a)?;
    ensure("new visits accepted", ma.push.ops, INCREMENTAL as u64)?;
    let mb = bench.sync(&mut b)?;
    ensure("new visits pulled by B", mb.pull.ops, INCREMENTAL as u64)?;
    let l = Line::new("incremental", INCREMENTAL as u64, new_json, &[ma, mb]);
    let seconds = l.seconds;
    l.target("seconds < 0.020", seconds, seconds < 0.020)
        .print()?;

    let visits_on_b: i64 =
        b.store
            .connection()
            .query_row("SELECT count(*) FROM visits", [], |r| r.get(0))?;
    ensure(
        "visits on B",
        u64::try_from(visits_on_b)?,
        (records + INCREMENTAL) as u64,
    )?;
    let peak = peak_rss(server.0.id());
    drop(server);
    let line = json!({"scenario": "server", "peak_rss_bytes": peak, "release_build": !cfg!(debug_assertions)});
    println!("{line}");
    Ok(())
}
