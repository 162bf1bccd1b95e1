//! `bangfu-server demo --db FILE`: a database with the demo county (bangfu-demo) pushed as the
//! county office's import, and demo accounts for each role, for trying the app. Refuses a database
//! that already holds operations (it would mix a demo into real data).
//!
//! The demo's visits name their photos and signatures by SHA-256 like real ones; the images they
//! name (a few photos and signatures drawn by `bangfu_demo::images`) are put into the server's
//! photo store first, checked as an upload is, so the app shows every demo visit's photos.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use bangfu_blobs::Sha256Hex;
use bangfu_blobs::imagecheck::{ImageLimits, check_image};
use bangfu_blobs::store::{BlobStore, DiskBlobStore};
use bangfu_core::Record;
use bangfu_core::sync::import::{ImportStamp, ScopePaths, dataset_operations};
use bangfu_core::sync::wire::{OpStatus, PushRequest};
use bangfu_demo::{DemoConfig, generate};
use chrono::{FixedOffset, Utc};
use uuid::Uuid;

use crate::auth::{AccessStorage, NewAccount, Role};
use crate::{SqliteStorage, SyncStorage, now_ms};

/// The password of every demo account (printed; a demo database is never a real one).
pub const DEMO_PASSWORD: &str = "bangfu-demo";

/// Fills `db` with a demo county of `households` households and the default photo directory of
/// `db` (`<db>.photos`, as `serve` uses without `--photos`) with the demo's images; prints the
/// demo accounts.
pub fn seed(db: &Path, households: usize) -> anyhow::Result<()> {
    seed_with_photos(db, households, || {
        let dir = crate::default_photo_dir(db).join("blobs");
        let store = DiskBlobStore::open(&dir)
            .with_context(|| format!("cannot use the photo directory {}", dir.display()))?;
        Ok(Arc::new(store))
    })
}

/// [`seed`] with the photo store `photos` opens (called once the database is known to be empty).
pub fn seed_with_photos(
    db: &Path,
    households: usize,
    photos: impl FnOnce() -> anyhow::Result<Arc<dyn BlobStore>>,
) -> anyhow::Result<()> {
    let storage = SqliteStorage::open(db)
        .with_context(|| format!("cannot open the database {}", db.display()))?;
    if storage.health()?.last_server_seq > 0 {
        bail!(
            "{} already holds operations: the demo needs an empty database (give a new file)",
            db.display()
        );
    }
    // The images first: no record ever names a photo the server does not have.
    let stored = store_demo_images(photos()?)?;
    println!("demo photos: {stored} images in the photo store");
    // The demo's year ends today (the county's date): the app, whose clock says the same day,
    // shows a present with most work done and a few lapses, not a year of work overdue.
    let tz = FixedOffset::east_opt(8 * 3600).context("UTC+8")?;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let ds = generate(&DemoConfig::ending_on(today, households));
    let device = Uuid::now_v7();
    let now = now_ms();
    let token_owner = crate::auth::county_token(&storage, "xianban", DEMO_PASSWORD, device, now)
        .map_err(|e| anyhow::anyhow!("cannot create the county account: {e}"))?;
    drop(token_owner);
    let ops = dataset_operations(
        &ds,
        ImportStamp {
            device,
            author: Uuid::nil(),
            first_seq: 1,
            wall_ms: now,
            recorded_at: Utc::now().with_timezone(&tz),
        },
        &mut Uuid::now_v7,
    );
    let total = ops.len();
    let mut rejected = 0usize;
    let mut chunk = Vec::with_capacity(5_000);
    for op in ops {
        chunk.push(op);
        if chunk.len() == 5_000 {
            rejected += push(&storage, device, std::mem::take(&mut chunk))?;
        }
    }
    if !chunk.is_empty() {
        rejected += push(&storage, device, chunk)?;
    }
    println!("demo county: {total} records ({rejected} refused)");
    storage.set_reference(
        &bangfu_core::sync::wire::Reference {
            settings: ds.settings.clone(),
            monitoring_lines: ds.monitoring_lines.clone(),
        },
        "demo",
        now,
    )?;

    // One account per role, anchored in the demo data.
    let paths = ScopePaths::new(&ds);
    let area_path = |id: Uuid| {
        ds.areas
            .iter()
            .find(|a| a.id == id)
            .map(|a| paths.of(&Record::Area(a.clone())))
    };
    let secretary = ds.people.iter().find_map(|p| {
        p.roles
            .iter()
            .find(|g| g.role == Role::FirstSecretary && g.to.is_none())
            .and_then(|g| g.area_id)
            .map(|village| (p, village))
    });
    let mut accounts = vec![NewAccount {
        username: "xianban".into(),
        display_name: "县巩固衔接办公室".into(),
        role: Role::CountyOffice,
        person_id: None,
        unit_id: None,
        area_path: None,
        password: DEMO_PASSWORD.into(),
    }];
    if let Some((p, village)) = secretary {
        let vpath = area_path(village).unwrap_or_default();
        accounts.push(NewAccount {
            username: "shuji".into(),
            display_name: p.name.clone(),
            role: Role::FirstSecretary,
            person_id: Some(p.id),
            unit_id: None,
            area_path: Some(vpath.clone()),
            password: DEMO_PASSWORD.into(),
        });
        if let Some(township) = vpath.rsplit_once('/').map(|(t, _)| t.to_owned()) {
            accounts.push(NewAccount {
                username: "zhanzhang".into(),
                display_name: "乡镇工作站".into(),
                role: Role::TownshipStation,
                person_id: None,
                unit_id: None,
                area_path: Some(township),
                password: DEMO_PASSWORD.into(),
            });
        }
        // A cadre with an active pairing in that village.
        let in_village: std::collections::HashSet<Uuid> = ds
            .households
            .iter()
            .filter(|h| h.village_id == village)
            .map(|h| h.id)
            .collect();
        if let Some(pairing) = ds
            .pairings
            .iter()
            .find(|x| x.end.is_none() && in_village.contains(&x.household_id))
            && let Some(cadre) = ds.people.iter().find(|p| p.id == pairing.cadre_id)
        {
            accounts.push(NewAccount {
                username: "ganbu".into(),
                display_name: cadre.name.clone(),
                role: Role::Cadre,
                person_id: Some(cadre.id),
                unit_id: None,
                area_path: None,
                password: DEMO_PASSWORD.into(),
            });
            if let Some(unit) = cadre.unit_id {
                accounts.push(NewAccount {
                    username: "danwei".into(),
                    display_name: "帮扶单位管理员".into(),
                    role: Role::UnitAdmin,
                    person_id: None,
                    unit_id: Some(unit),
                    area_path: None,
                    password: DEMO_PASSWORD.into(),
                });
            }
        }
    }
    println!("demo accounts (password `{DEMO_PASSWORD}`):");
    for a in accounts.iter().skip(1) {
        storage
            .create_account(a, "demo", now)
            .map_err(|e| anyhow::anyhow!("cannot create the demo account {}: {e}", a.username))?;
    }
    for a in &accounts {
        println!("  {:<10} {}", a.username, a.role);
    }
    Ok(())
}

/// Puts every demo image into `photos` (after the checks an upload gets: its name is its hash, it
/// decodes as an image within the limits); answers how many there are.
fn store_demo_images(photos: Arc<dyn BlobStore>) -> anyhow::Result<usize> {
    let images = bangfu_demo::demo_images();
    for image in images {
        let sha = Sha256Hex::of(&image.bytes);
        if sha.as_str() != image.sha256 {
            bail!("the demo image {} is not named by its hash", image.sha256);
        }
        check_image(&image.bytes, &ImageLimits::default())
            .with_context(|| format!("the demo image {sha} is no image"))?;
    }
    // The store is async; `seed` may be called on an async runtime's thread (tests) or not (the
    // command line), so the puts run on a thread of their own with a runtime of their own.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the async runtime")?;
                runtime.block_on(async {
                    for image in images {
                        let sha = Sha256Hex::of(&image.bytes);
                        photos
                            .put(&sha, image.bytes.clone().into())
                            .await
                            .with_context(|| format!("cannot store the demo image {sha}"))?;
                    }
                    anyhow::Ok(())
                })
            })
            .join()
            .map_err(|_| anyhow::anyhow!("storing the demo photos panicked"))?
    })?;
    Ok(images.len())
}

fn push(
    storage: &SqliteStorage,
    device: Uuid,
    ops: Vec<bangfu_core::sync::Operation>,
) -> anyhow::Result<usize> {
    let resp = storage.push(
        PushRequest::new(device, ops),
        &crate::Actor::local(now_ms()),
    )?;
    Ok(resp
        .results
        .iter()
        .filter(|r| r.status == OpStatus::Rejected)
        .map(|r| (r.last_seq - r.first_seq + 1) as usize)
        .sum())
}
