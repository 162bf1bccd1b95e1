//! The database's epoch (issue 11, item 10): made with the database (and for one from before
//! epochs, on upgrade), kept across restarts, carried by every push and pull answer and by
//! `GET /v1/version`; `bangfu-server backup` copies a serving database consistently (the binary,
//! with a push's write transaction open meanwhile) and `restore` refuses a served database and
//! gives the copy a new epoch.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bangfu_core::sync::wire::{Capabilities, OpStatus, PullResponse};
use bangfu_server::sqlite::schema::MIGRATIONS;
use bangfu_server::{Actor, PullQuery, SqliteStorage, SyncStorage};
use common::binary::{Server, push_body, start_server};
use common::*;
use rusqlite::Connection;
use uuid::Uuid;

#[test]
fn every_answer_carries_the_database_epoch_which_outlives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    let mut dev = HandDevice::new(1);
    let epoch = {
        let store = SqliteStorage::open(&db).expect("open");
        let epoch = store.epoch().expect("epoch");
        assert_eq!(epoch.get_version_num(), 4, "a random (v4) id");
        let ops = county_ops(&mut dev, 3);
        let resp = store
            .push(dev.push(ops), &Actor::local(T0_MS))
            .expect("push");
        assert_eq!(resp.epoch, Some(epoch));
        let page = store.pull(&PullQuery::new(0, 5, T0_MS)).expect("pull");
        assert_eq!(page.epoch, Some(epoch));
        // The spliced feed JSON is byte for byte what serde writes for the same answer.
        for (after, limit) in [(0, 5), (2, 1000), (1000, 10)] {
            let json = store
                .pull_json(&PullQuery::new(after, limit, T0_MS))
                .expect("pull");
            let parsed: PullResponse = serde_json::from_slice(&json).expect("json");
            assert_eq!(parsed.epoch, Some(epoch));
            assert_eq!(
                String::from_utf8(serde_json::to_vec(&parsed).expect("json")).expect("utf8"),
                String::from_utf8(json).expect("utf8")
            );
        }
        epoch
    };
    let store = SqliteStorage::open(&db).expect("reopen");
    assert_eq!(store.epoch().expect("epoch"), epoch, "a restart keeps it");
    let other = SqliteStorage::open(dir.path().join("other.db")).expect("open");
    assert_ne!(
        other.epoch().expect("epoch"),
        epoch,
        "each database has its own"
    );
}

/// The migration that made the epoch.
fn epoch_migration() -> usize {
    MIGRATIONS
        .iter()
        .position(|m| m.sql.contains("CREATE TABLE server_epoch"))
        .expect("a migration makes the epoch")
}

#[test]
fn a_database_from_before_epochs_gets_one_on_upgrade() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("old.db");
    {
        let conn = Connection::open(&db).expect("open");
        // As the runner before `schema_migrations` left it: counted in user_version only.
        for m in MIGRATIONS.iter().take(epoch_migration()) {
            conn.execute_batch(m.sql).expect("old migration");
            conn.pragma_update(None, "user_version", m.version)
                .expect("version");
        }
    }
    let store = SqliteStorage::open(&db).expect("upgrade");
    let epoch = store.epoch().expect("epoch");
    assert_eq!(epoch.get_version_num(), 4);
    assert_eq!(
        store.health().expect("health").schema_version as usize,
        MIGRATIONS.len()
    );
}

fn start(db: &std::path::Path) -> (Server, String) {
    let (server, addr) = start_server(db, &[]);
    (server, format!("http://{addr}"))
}

/// Runs `bangfu-server ARGS`; its exit status and output. A command that has not finished after
/// two minutes (a backup waiting for the writer, say) fails the test instead of hanging it.
fn run(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bangfu-server"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bangfu-server");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "bangfu-server {args:?} hangs");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

async fn get_json<T: serde::de::DeserializeOwned>(url: String) -> T {
    let resp = reqwest::get(url).await.expect("get");
    assert_eq!(resp.status(), 200);
    serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_serving_database_mid_push_and_restore_gives_a_new_epoch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("county.db");
    let copy = dir.path().join("county-backup.db");
    let mut dev = HandDevice::new(1);
    let token = sign_in_admin(&SqliteStorage::open(&db).expect("open"), dev.id);
    let (mut server, base) = start(&db);
    let caps: Capabilities = get_json(format!("{base}/v1/version")).await;
    let epoch = caps.epoch.expect("the server announces its epoch");
    let ops = county_ops(&mut dev, 10);
    let resp = push_body(
        &base,
        &token,
        serde_json::to_vec(&dev.push(ops)).expect("json"),
    )
    .await;
    assert_eq!(resp.epoch, Some(epoch));
    assert_eq!(resp.results[0].status, OpStatus::Accepted);
    let committed = dev.seq;

    // A push is being written: its transaction holds the database's write lock, uncommitted.
    let writer = Connection::open(&db).expect("open");
    writer
        .execute_batch(
            "BEGIN IMMEDIATE;
             INSERT INTO audit_log (at_ms, actor, action, detail)
             VALUES (1, 'test', 'uncommitted', 'not in any backup');",
        )
        .expect("a write transaction");
    let backup_to = |to: &Path| {
        let (db, to) = (db.clone(), to.to_path_buf());
        move || {
            run(&[
                "backup".as_ref(),
                "--db".as_ref(),
                db.as_os_str(),
                "--out".as_ref(),
                to.as_os_str(),
            ])
        }
    };
    let (ok, out) = tokio::task::spawn_blocking(backup_to(&copy))
        .await
        .expect("backup");
    assert!(ok, "backup failed while a push holds the write lock: {out}");
    writer.execute_batch("COMMIT").expect("commit");

    // The copy is a consistent database of its own: it opens, passes the health check, holds
    // what was committed when it began and nothing uncommitted, and has the same epoch.
    {
        let backup = SqliteStorage::open(&copy).expect("the copy opens");
        let health = backup.health().expect("the copy is healthy");
        assert_eq!(health.schema_version as usize, MIGRATIONS.len());
        assert_eq!(backup.device_seq(dev.id).expect("seq"), committed);
        assert_eq!(backup.epoch().expect("epoch"), epoch);
        let conn = Connection::open(&copy).expect("open");
        let uncommitted: i64 = conn
            .query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'uncommitted'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(uncommitted, 0);
    }
    // A backup never overwrites a file.
    let (ok, out) = backup_to(&copy)();
    assert!(!ok && out.contains("already exists"), "{out}");

    // A backup taken while a real push is on its way holds all of it or none of it.
    let visits: Vec<_> = (0..300).map(|n| visit_op(&mut dev, n, 10)).collect();
    let body = serde_json::to_vec(&dev.push(visits)).expect("json");
    let second = dir.path().join("county-backup-2.db");
    let (resp, backed) = tokio::join!(
        push_body(&base, &token, body),
        tokio::task::spawn_blocking(backup_to(&second))
    );
    assert_eq!(resp.device_seq, dev.seq);
    let (ok, out) = backed.expect("backup");
    assert!(ok, "backup failed during a push: {out}");
    {
        let backup = SqliteStorage::open(&second).expect("the copy opens");
        backup.health().expect("the copy is healthy");
        let seq = backup.device_seq(dev.id).expect("seq");
        let visits = backup
            .entity_states()
            .expect("states")
            .keys()
            .filter(|(e, _)| e == "visit")
            .count();
        assert!(
            (seq, visits) == (committed, 0) || (seq, visits) == (dev.seq, 300),
            "half a push in the copy: device_seq {seq}, {visits} visits"
        );
    }

    // Restore is refused while the server serves the database…
    let restore = || {
        run(&[
            "restore".as_ref(),
            "--from".as_ref(),
            copy.as_os_str(),
            "--db".as_ref(),
            db.as_os_str(),
        ])
    };
    let (ok, out) = restore();
    assert!(!ok && out.contains("stop the server"), "{out}");
    assert_eq!(
        SqliteStorage::open(&db)
            .expect("open")
            .device_seq(dev.id)
            .expect("seq"),
        dev.seq,
        "a refused restore changes nothing"
    );
    // …and once it is stopped, puts the copy in place with a new epoch.
    server.0.kill().expect("stop");
    server.0.wait().expect("wait");
    let (ok, out) = restore();
    assert!(ok, "restore failed: {out}");
    let (_server, base) = start(&db);
    let caps: Capabilities = get_json(format!("{base}/v1/version")).await;
    let restored: Uuid = caps.epoch.expect("epoch");
    assert_ne!(restored, epoch, "a restored database has a new epoch");
    assert!(out.contains(&restored.to_string()), "{out}");
    let store = SqliteStorage::open(&db).expect("open");
    assert_eq!(store.device_seq(dev.id).expect("seq"), committed);
    // The database it replaced is kept beside it, whole.
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with("county.db.before-restore-")
                && !n.ends_with("-wal")
                && !n.ends_with("-shm")
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    let kept = SqliteStorage::open(dir.path().join(&aside[0])).expect("open");
    assert_eq!(kept.device_seq(dev.id).expect("seq"), dev.seq);
    assert_eq!(kept.epoch().expect("epoch"), epoch);
}
