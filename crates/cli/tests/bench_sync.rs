//! `bangfu bench sync` end to end through the binaries: the bench starts the `bangfu-server`
//! built next to `bangfu` (`.ci/run` builds every binary before the tests), syncs two devices
//! with it and prints one JSON line per scenario. Small (300 visits) and in the debug build: this
//! checks that the bench works and counts right, not how fast it is.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn num(line: &Value, path: &[&str]) -> f64 {
    let mut v = line;
    for key in path {
        v = &v[*key];
    }
    v.as_f64()
        .unwrap_or_else(|| panic!("{} has no number at {path:?}: {line}", line["scenario"]))
}

#[test]
fn bench_sync_runs_every_scenario_against_the_server_binary() {
    let bangfu = Path::new(env!("CARGO_BIN_EXE_bangfu"));
    let server = bangfu.with_file_name(format!("bangfu-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        server.is_file(),
        "{} is missing: build it first with `cargo build -p bangfu-server` \
         (.ci/run builds every binary before the tests)",
        server.display()
    );
    let out = Command::new(bangfu)
        .args(["bench", "sync", "--records", "300", "--json"])
        .output()
        .expect("run bangfu");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench sync failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let names: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["scenario"].as_str())
        .collect();
    let expected = [
        "setup",
        "initial_push",
        "initial_pull",
        "noop",
        "incremental",
        "server",
    ];
    assert_eq!(names, expected);
    let [setup, push, pull, noop, incremental, server] = &lines[..] else {
        unreachable!("six lines");
    };
    for l in [setup, push, pull, noop, incremental] {
        for field in ["records", "seconds", "requests", "bytes_up", "bytes_down"] {
            assert!(num(l, &[field]) >= 0.0);
        }
        assert!(l["targets"].is_array(), "{l}");
    }
    // 4 areas, a unit, a post, a cadre, 100 households and their 100 pairings.
    let reference = 207.0;
    assert_eq!(num(setup, &["records"]), reference);
    assert_eq!(num(setup, &["push", "ops"]), reference);
    // A pushes its visits (and its pull leaves its own operations out).
    assert_eq!(num(push, &["records"]), 300.0);
    assert_eq!(num(push, &["push", "ops"]), 300.0);
    assert_eq!(num(push, &["pull", "ops"]), 0.0);
    assert!(num(push, &["bytes_up"]) > 0.0 && num(push, &["json_bytes"]) > 300.0 * 500.0);
    // B pulls everything.
    assert_eq!(num(pull, &["records"]), reference + 300.0);
    assert_eq!(num(pull, &["pull", "ops"]), reference + 300.0);
    assert_eq!(num(pull, &["push", "ops"]), 0.0);
    // Nothing to do: one small request (the version answer is remembered).
    assert_eq!(num(noop, &["records"]), 0.0);
    assert_eq!(num(noop, &["requests"]), 1.0);
    assert!(num(noop, &["bytes_up"]) + num(noop, &["bytes_down"]) < 2048.0);
    // 100 new visits: A pushes them (its pull leaves them out), B pulls them.
    assert_eq!(num(incremental, &["records"]), 100.0);
    assert_eq!(num(incremental, &["push", "ops"]), 100.0);
    assert_eq!(num(incremental, &["pull", "ops"]), 100.0);
    if cfg!(target_os = "linux") {
        assert!(num(server, &["peak_rss_bytes"]) > 1e6, "{server}");
    }
}
