//! `bangfu bench …`: measurements on realistic sizes, printed as one JSON object.

use std::time::Instant;

use anyhow::{Context, Result};
use bangfu_store::Store;
use clap::Subcommand;
use serde::Serialize;

#[derive(Subcommand, Debug)]
pub enum Which {
    /// Generate a county, save it to a store, then time loading it, obligations and alerts.
    Rules {
        #[arg(long, default_value_t = 25_000)]
        households: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Kept for symmetry with other benches: the output is always JSON.
        #[arg(long)]
        json: bool,
    },
    /// Start `bangfu-server` (next to this executable), then time syncs of two devices with it:
    /// initial push, initial pull, a sync with nothing to do, and 100 new visits. One JSON object
    /// per scenario and line.
    Sync {
        /// Visits device A records offline and pushes in one sync.
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        /// Operations per push (default: the client's).
        #[arg(long)]
        batch_size: Option<usize>,
        /// Feed entries per pull (default: the client's).
        #[arg(long)]
        pull_limit: Option<u32>,
        /// zstd level of request bodies (default: the client's).
        #[arg(long)]
        zstd_level: Option<i32>,
        /// Kept for symmetry with other benches: the output is always JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct RulesResult {
    households: usize,
    monitored_households: usize,
    cadres: usize,
    visits: usize,
    income_records: usize,
    generate_s: f64,
    save_s: f64,
    load_s: f64,
    obligations_s: f64,
    alerts_s: f64,
    obligations: usize,
    alerts: usize,
    release_build: bool,
}

pub fn run(which: Which) -> Result<()> {
    match which {
        Which::Rules {
            households,
            seed,
            json: _,
        } => rules(households, seed),
        Which::Sync {
            records,
            batch_size,
            pull_limit,
            zstd_level,
            json: _,
        } => crate::bench_sync::run(
            records,
            crate::bench_sync::Knobs {
                batch_size,
                pull_limit,
                zstd_level,
            },
        ),
    }
}

fn rules(households: usize, seed: u64) -> Result<()> {
    let config = bangfu_demo::DemoConfig {
        households,
        seed,
        year: 2025,
        today: None,
    };
    let as_of = bangfu_demo::demo_as_of(&config);
    let t = Instant::now();
    let generated = bangfu_demo::generate(&config);
    let generate_s = t.elapsed().as_secs_f64();

    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let path = dir.path().join("bench.sqlite");
    let t = Instant::now();
    {
        let mut store = Store::open(&path)?;
        store.save_dataset(&generated)?;
    }
    let save_s = t.elapsed().as_secs_f64();
    drop(generated);

    let t = Instant::now();
    let store = Store::open(&path)?;
    let ds = store.load_dataset()?;
    let load_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let obligations = bangfu_core::rules::obligations(&ds, as_of);
    let obligations_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let alerts = bangfu_core::rules::alerts(&ds, as_of);
    let alerts_s = t.elapsed().as_secs_f64();

    let monitored = ds
        .households
        .iter()
        .filter(|h| h.assistance_on(as_of) == Some(bangfu_core::Assistance::Monitored))
        .count();
    let cadres = ds
        .people
        .iter()
        .filter(|p| p.roles.iter().any(|g| g.role == bangfu_core::Role::Cadre))
        .count();
    let result = RulesResult {
        households: ds.households.len(),
        monitored_households: monitored,
        cadres,
        visits: ds.visits.len(),
        income_records: ds.income_records.len(),
        generate_s,
        save_s,
        load_s,
        obligations_s,
        alerts_s,
        obligations: obligations.len(),
        alerts: alerts.len(),
        release_build: !cfg!(debug_assertions),
    };
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}
