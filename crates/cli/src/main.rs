//! `bangfu`: the command line of the paired-assistance system.
//!
//! Personal data note: obligations and alerts printed here name households by their head and
//! village for the supervisor at the terminal; nothing is written to a log.

mod bench;
mod bench_sync;
mod report;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use bangfu_core::{Dataset, dataset_from_json, dataset_to_json};
use bangfu_store::Store;
use chrono::{Datelike, NaiveDate};
use clap::{Parser, Subcommand};

/// mimalloc, as in the app (src-tauri) and the server: applying a pulled page frees thousands of
/// small JSON values, where glibc's allocator spends much of its time consolidating free lists.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "bangfu",
    version,
    about = "结对帮扶: the county's rules, records and tasks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where a dataset comes from: a JSON file or a store.
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
struct Source {
    /// A dataset JSON file (see docs/dataset.md).
    #[arg(long, value_name = "FILE.json")]
    data: Option<PathBuf>,
    /// A bangfu SQLite store.
    #[arg(long, value_name = "STORE.sqlite")]
    db: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a realistic demo county (Xinfeng's townships) with a year of records and lapses.
    Demo {
        #[arg(long, default_value_t = 2000)]
        households: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The year of records to generate ("today" is its December 20).
        #[arg(long, default_value_t = 2025)]
        year: i32,
        /// The demo's last day instead, YYYY-MM-DD (its year is the demo year; overrides --year).
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<NaiveDate>,
        #[arg(long, value_name = "FILE.json")]
        out: PathBuf,
    },
    /// What is owed (R2, R3, R4, R6, R7, D3, D5, W4) on a day.
    Obligations {
        #[command(flatten)]
        source: Source,
        /// The day to evaluate, YYYY-MM-DD.
        #[arg(long)]
        on: NaiveDate,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// Only obligations with this status (upcoming, open, done, overdue).
        #[arg(long)]
        status: Option<String>,
    },
    /// What needs attention (D2, D3, R5, R6, W2) on a day.
    Alerts {
        #[command(flatten)]
        source: Source,
        #[arg(long)]
        on: NaiveDate,
        #[arg(long)]
        json: bool,
    },
    /// Validate a dataset JSON file and load it into a store (all or nothing).
    Import {
        file: PathBuf,
        #[arg(long, value_name = "STORE.sqlite")]
        db: PathBuf,
    },
    /// Write a store's dataset as JSON.
    Export {
        #[arg(long, value_name = "STORE.sqlite")]
        db: PathBuf,
        #[arg(long, value_name = "FILE.json")]
        out: PathBuf,
    },
    /// Benchmarks (run from a release build); results as JSON.
    Bench {
        #[command(subcommand)]
        which: bench::Which,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the chain of causes on one line, without a backtrace.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo {
            households,
            seed,
            year,
            today,
            out,
        } => {
            if households == 0 {
                bail!("--households must be at least 1");
            }
            let config = bangfu_demo::DemoConfig {
                households,
                seed,
                year: today.map_or(year, |d| d.year()),
                today,
            };
            let ds = bangfu_demo::generate(&config);
            write_json(&out, &ds)?;
            eprintln!(
                "wrote {}: {} households, {} people, {} visits; try `bangfu obligations --data {} --on {}`",
                out.display(),
                ds.households.len(),
                ds.people.len(),
                ds.visits.len(),
                out.display(),
                bangfu_demo::demo_as_of(&config)
            );
        }
        Command::Obligations {
            source,
            on,
            json,
            status,
        } => {
            let ds = load(&source)?;
            let mut obligations = bangfu_core::rules::obligations(&ds, on);
            if let Some(wanted) = status {
                let wanted = report::parse_status(&wanted)?;
                obligations.retain(|o| o.status == wanted);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&obligations)?);
            } else {
                report::print_obligations(&ds, &obligations, on);
            }
        }
        Command::Alerts { source, on, json } => {
            let ds = load(&source)?;
            let alerts = bangfu_core::rules::alerts(&ds, on);
            if json {
                println!("{}", serde_json::to_string_pretty(&alerts)?);
            } else {
                report::print_alerts(&ds, &alerts, on);
            }
        }
        Command::Import { file, db } => {
            let ds = read_json(&file)?;
            let mut store = Store::open(&db)
                .with_context(|| format!("cannot open the store {}", db.display()))?;
            store
                .save_dataset(&ds)
                .map_err(|e| anyhow::anyhow!("{e}\n{}\nnothing was imported", e.message_zh()))?;
            eprintln!(
                "imported {} households and {} visits into {}",
                ds.households.len(),
                ds.visits.len(),
                db.display()
            );
        }
        Command::Export { db, out } => {
            if !db.exists() {
                bail!("no store at {}: import a dataset first", db.display());
            }
            let store = Store::open(&db)
                .with_context(|| format!("cannot open the store {}", db.display()))?;
            let ds = store.load_dataset()?;
            write_json(&out, &ds)?;
            eprintln!(
                "exported {} households to {}",
                ds.households.len(),
                out.display()
            );
        }
        Command::Bench { which } => bench::run(which)?,
    }
    Ok(())
}

/// Reads and validates a dataset JSON file; errors name the record and the field.
fn read_json(path: &Path) -> Result<Dataset> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let ds = dataset_from_json(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}\n{}", path.display(), e.message_zh()))?;
    if let Err(errors) = bangfu_core::validate::validate_dataset(&ds) {
        let mut msg = format!(
            "{}: {} problem(s) found, nothing was loaded:",
            path.display(),
            errors.len()
        );
        for e in errors.iter().take(20) {
            msg.push_str(&format!("\n  - {e}\n    {}", e.message_zh));
        }
        if errors.len() > 20 {
            msg.push_str(&format!("\n  … and {} more", errors.len() - 20));
        }
        bail!(msg);
    }
    Ok(ds)
}

fn load(source: &Source) -> Result<Dataset> {
    match (&source.data, &source.db) {
        (Some(file), _) => read_json(file),
        (None, Some(db)) => {
            if !db.exists() {
                bail!("no store at {}: import a dataset first", db.display());
            }
            let store = Store::open(db)
                .with_context(|| format!("cannot open the store {}", db.display()))?;
            Ok(store.load_dataset()?)
        }
        (None, None) => bail!("give --data FILE.json or --db STORE.sqlite"),
    }
}

/// Writes JSON through a temporary file and a rename, so a crash never leaves half a file.
fn write_json(path: &Path, ds: &Dataset) -> Result<()> {
    let tmp = path.with_extension("json.partial");
    std::fs::write(&tmp, dataset_to_json(ds))
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
