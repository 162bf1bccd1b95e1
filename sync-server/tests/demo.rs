//! `bangfu-server demo`: the demo county goes in whole (every operation accepted by the same
//! checks as a device's push), each demo account has a non-empty scope, a database that already
//! holds data is refused, and every photo and signature a demo visit names is in the photo store
//! `serve` uses, a real image.

use std::collections::BTreeSet;
use std::sync::Arc;

use bangfu_blobs::Sha256Hex;
use bangfu_blobs::imagecheck::{ImageLimits, PhotoFormat, check_image};
use bangfu_blobs::store::{BlobStore, DiskBlobStore};
use bangfu_blobs::upload::{UploadConfig, UploadService};
use bangfu_server::auth::{AccessStorage, Role};
use bangfu_server::demo_seed::{seed, seed_with_photos};
use bangfu_server::{SqliteStorage, SyncStorage, default_photo_dir};

#[test]
fn the_demo_county_and_its_accounts_load_into_an_empty_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.sqlite");
    seed(&db, 300).expect("demo");
    let storage = SqliteStorage::open(&db).expect("open");
    assert!(
        storage.rejected(None).expect("rejected").is_empty(),
        "every record accepted"
    );
    let ops = storage.health().expect("health").last_server_seq;
    assert!(ops > 1_000, "{ops}");
    let accounts = storage.accounts().expect("accounts");
    let roles: Vec<Role> = accounts.iter().map(|a| a.role).collect();
    for role in [
        Role::CountyOffice,
        Role::FirstSecretary,
        Role::Cadre,
        Role::TownshipStation,
    ] {
        assert!(roles.contains(&role), "{role:?} in {roles:?}");
    }
    let today = bangfu_server::http::auth::china_today(bangfu_server::now_ms());
    for a in &accounts {
        let scope = storage.scope_of(a, today).expect("scope");
        assert!(!scope.is_empty(), "{} has a scope", a.username);
    }
    drop(storage);
    let again = seed(&db, 300).expect_err("not twice");
    assert!(
        again.to_string().contains("already holds operations"),
        "{again}"
    );
}

/// The visits stored in `db`: how many, how many with two photos, the photos and the signatures
/// they name.
struct Named {
    visits: usize,
    with_two_photos: usize,
    photos: BTreeSet<String>,
    signatures: BTreeSet<String>,
}

fn named_images(db: &std::path::Path) -> Named {
    let storage = SqliteStorage::open(db).expect("open");
    let mut named = Named {
        visits: 0,
        with_two_photos: 0,
        photos: BTreeSet::new(),
        signatures: BTreeSet::new(),
    };
    for ((entity, _), state) in storage.entity_states().expect("states") {
        if entity != "visit" {
            continue;
        }
        named.visits += 1;
        let photos = state.winners["photos"].as_array().expect("photos");
        named.with_two_photos += usize::from(photos.len() == 2);
        for p in photos {
            named.photos.insert(p.as_str().expect("a hash").to_owned());
        }
        if let Some(s) = state.winners.get("signature").and_then(|s| s.as_str()) {
            named.signatures.insert(s.to_owned());
        }
    }
    named
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_photo_and_signature_of_the_demo_visits_is_a_stored_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.sqlite");
    // On an async runtime's thread, as the app's tests call it.
    seed(&db, 300).expect("demo");
    let named = named_images(&db);
    assert!(named.visits > 1_000, "{} visits", named.visits);
    assert!(named.with_two_photos > 0, "some visits have two photos");
    assert!(named.photos.len() >= 4, "{:?}", named.photos);
    assert!(!named.signatures.is_empty());
    assert!(named.photos.is_disjoint(&named.signatures));

    // The photo store `serve --db` opens without `--photos`, and what `GET /v1/photos/{sha}` sends.
    let photo_dir = default_photo_dir(&db);
    let store = Arc::new(DiskBlobStore::open(photo_dir.join("blobs")).expect("blobs"));
    let service = UploadService::new(
        store.clone(),
        photo_dir.join("staging"),
        UploadConfig::default(),
    )
    .expect("service");
    for (names, format) in [
        (&named.photos, PhotoFormat::Jpeg),
        (&named.signatures, PhotoFormat::Png),
    ] {
        for name in names {
            let sha = Sha256Hex::parse(name).expect("a SHA-256");
            let (bytes, served) = service
                .get(&sha)
                .await
                .expect("read")
                .unwrap_or_else(|| panic!("{name} is not in the photo store"));
            assert_eq!(served, format, "{name}");
            assert_eq!(Sha256Hex::of(&bytes), sha, "stored under its hash");
            let image = check_image(&bytes, &ImageLimits::default()).expect("decodes");
            assert!(image.width >= 320 && image.height >= 120, "{image:?}");
        }
    }
    // Nothing else was put there.
    let stored: BTreeSet<String> = store
        .list()
        .expect("list")
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let all: BTreeSet<String> = named.photos.union(&named.signatures).cloned().collect();
    assert_eq!(stored, all);
}

#[test]
fn the_demo_images_go_to_the_photo_store_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.sqlite");
    let store = DiskBlobStore::open(dir.path().join("elsewhere")).expect("blobs");
    let given: Arc<dyn BlobStore> = Arc::new(store.clone());
    seed_with_photos(&db, 20, move || Ok(given)).expect("demo");
    let named = named_images(&db);
    assert!(named.visits > 0 && !named.photos.is_empty());
    for name in named.photos.iter().chain(&named.signatures) {
        let sha = Sha256Hex::parse(name).expect("a SHA-256");
        assert!(store.path_of(&sha).is_file(), "{name} stored");
    }
    assert!(
        !default_photo_dir(&db).exists(),
        "nothing beside the database"
    );
    // A database already holding the demo is refused before the photo store is opened.
    let again = seed_with_photos(&db, 20, || panic!("the photo store is not opened"))
        .expect_err("not twice");
    assert!(
        again.to_string().contains("already holds operations"),
        "{again}"
    );
}
