//! `bangfu-server user …`, `device …`, `audit`: administration on the database file, for the
//! county's administrator at the server (also before any account exists). Every act is audited
//! with the actor `cli`. Nothing printed contains a password or a token.

use std::io::BufRead as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use uuid::Uuid;

use crate::auth::{AccessStorage, NewAccount, Role};
use crate::{SqliteStorage, SyncStorage as _, now_ms};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from the first line of standard input.
    Create {
        #[arg(long)]
        username: String,
        /// The name shown in the app (e.g. 张三).
        #[arg(long)]
        name: String,
        /// cadre, first_secretary, team_member, township_station, unit_admin, county_office.
        #[arg(long)]
        role: String,
        /// A cadre's person id.
        #[arg(long)]
        person: Option<Uuid>,
        /// A unit admin's unit id.
        #[arg(long)]
        unit: Option<Uuid>,
        /// County/township/village codes, e.g. 360722/360722100/360722100201.
        #[arg(long)]
        area: Option<String>,
    },
    /// Disable an account (its devices are refused from now on).
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long)]
        username: String,
    },
    /// List accounts.
    List,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List devices: last sync and what each reported still unsynced.
    List {
        #[arg(long)]
        username: Option<String>,
    },
    /// Revoke a device's token (it must sign in again).
    Revoke {
        #[arg(long)]
        device: Uuid,
    },
}

fn open(db: &Path) -> anyhow::Result<SqliteStorage> {
    SqliteStorage::open(db).with_context(|| format!("cannot open the database {}", db.display()))
}

fn time(ms: Option<u64>) -> String {
    ms.and_then(|m| chrono::DateTime::from_timestamp_millis(i64::try_from(m).ok()?))
        .map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        )
}

pub fn user(db: &Path, cmd: UserCommand) -> anyhow::Result<()> {
    let storage = open(db)?;
    match cmd {
        UserCommand::Create {
            username,
            name,
            role,
            person,
            unit,
            area,
        } => {
            let Some(role) = Role::parse(&role) else {
                bail!(
                    "unknown role `{role}`: use one of cadre, first_secretary, team_member, \
                     township_station, unit_admin, county_office"
                );
            };
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let new = NewAccount {
                username,
                display_name: name,
                role,
                person_id: person,
                unit_id: unit,
                area_path: area,
                password: password.trim_end_matches(['\r', '\n']).to_owned(),
            };
            let a = storage
                .create_account(&new, "cli", now_ms())
                .map_err(|e| anyhow::anyhow!("cannot create the account: {e}"))?;
            println!("created account {} ({}, {})", a.username, a.role, a.id);
        }
        UserCommand::Disable { username } => {
            storage
                .set_disabled(&username, true, "cli", now_ms())
                .map_err(|e| anyhow::anyhow!("cannot disable `{username}`: {e}"))?;
            println!("disabled {username}");
        }
        UserCommand::Enable { username } => {
            storage
                .set_disabled(&username, false, "cli", now_ms())
                .map_err(|e| anyhow::anyhow!("cannot enable `{username}`: {e}"))?;
            println!("enabled {username}");
        }
        UserCommand::List => {
            println!("username\trole\tdisabled\tarea\tcreated");
            for a in storage.accounts()? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    a.username,
                    a.role,
                    a.disabled,
                    a.area_path.as_deref().unwrap_or("-"),
                    time(Some(a.created_at_ms))
                );
            }
        }
    }
    Ok(())
}

pub fn device(db: &Path, cmd: DeviceCommand) -> anyhow::Result<()> {
    let storage = open(db)?;
    match cmd {
        DeviceCommand::List { username } => {
            println!(
                "device\tusername\tname\tlast_sync\tunsynced_ops\tunsynced_photos\treported\trevoked"
            );
            for d in storage.devices(username.as_deref())? {
                let n = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    d.device_id,
                    d.username,
                    d.name,
                    time(d.last_sync_ms),
                    n(d.reported_unsynced_ops),
                    n(d.reported_unsynced_photos),
                    time(d.reported_at_ms),
                    time(d.revoked_at_ms)
                );
            }
        }
        DeviceCommand::Revoke { device } => {
            if !storage.revoke_device(device, "cli", now_ms())? {
                bail!("no device {device}: see `bangfu-server device list`");
            }
            println!("revoked {device}");
        }
    }
    Ok(())
}

pub fn audit(db: &Path, limit: u32) -> anyhow::Result<()> {
    let storage = open(db)?;
    println!("time\tactor\tdevice\taction\tdetail");
    for e in storage.audit_log(limit)? {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            time(Some(e.at_ms)),
            e.actor,
            e.device_id
                .map_or_else(|| "-".to_owned(), |d| d.to_string()),
            e.action,
            e.detail
        );
    }
    Ok(())
}

/// `bangfu-server rejected --db FILE [--device D] [--limit N]`: refused operations, newest first,
/// with the record they name and why (never the record's content).
pub fn rejected(db: &Path, device: Option<Uuid>, limit: usize) -> anyhow::Result<()> {
    let storage = open(db)?;
    println!("time\tdevice\tseq\trecord\tcode\tmessage");
    for r in storage.rejected(device)?.into_iter().rev().take(limit) {
        let e = crate::http::admin::RejectedEntry::from(r);
        println!(
            "{}\t{}\t{}\t{} {}\t{}\t{}",
            time(Some(e.received_at_ms)),
            e.device,
            e.seq,
            e.entity.as_deref().unwrap_or("-"),
            e.entity_id
                .map_or_else(|| "-".to_owned(), |i| i.to_string()),
            e.code,
            e.message
        );
    }
    Ok(())
}

/// `bangfu-server future --db FILE [--limit N]`: operations stamped far in the future, newest
/// first, with the device whose clock is wrong.
pub fn future(db: &Path, limit: u32) -> anyhow::Result<()> {
    let storage = open(db)?;
    println!("received\tstamped\tdevice\tseq\trecord");
    for f in storage.future_ops(limit)? {
        println!(
            "{}\t{}\t{}\t{}\t{} {}",
            time(Some(f.received_at_ms)),
            time(Some(f.stamped_ms)),
            f.device,
            f.seq,
            f.entity,
            f.entity_id
        );
    }
    Ok(())
}

/// `bangfu-server reference --db FILE --dataset FILE`: the county's settings and monitoring lines
/// from a dataset JSON file (as `bangfu export` writes it), handed to every device at sync.
pub fn reference(db: &Path, dataset: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(dataset)
        .with_context(|| format!("cannot read {}", dataset.display()))?;
    let ds = bangfu_core::dataset_from_json(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a dataset file: {e}", dataset.display()))?;
    let r = bangfu_core::sync::wire::Reference {
        settings: ds.settings,
        monitoring_lines: ds.monitoring_lines,
    };
    crate::http::admin::check_reference(&r).map_err(|why| anyhow::anyhow!("{why}"))?;
    let storage = open(db)?;
    storage.set_reference(&r, "cli", now_ms())?;
    println!(
        "reference set: tracking from {}, {} monitoring lines",
        r.settings.tracking_start,
        r.monitoring_lines.len()
    );
    Ok(())
}
