//! The `bangfu-server` binary: prints where it listens, survives `kill -9` with every answered
//! push intact, and stops cleanly on SIGTERM.

mod common;

use std::process::Command;

use bangfu_core::sync::wire::OpStatus;
use bangfu_server::{Actor, SqliteStorage, SyncStorage};
use common::binary::{Server, push_body, start_server};
use common::*;

fn start(db: &std::path::Path) -> (Server, String) {
    let (server, addr) = start_server(db, &[]);
    (server, format!("http://{addr}"))
}

#[tokio::test]
async fn an_answered_push_survives_kill_9_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    let mut dev = HandDevice::new(1);
    let token = {
        // The county's lists as a trusted import, then a cadre's device.
        let storage = SqliteStorage::open(&db).expect("open");
        let mut office = HandDevice::new(2);
        let seed = county_ops(&mut office, 20);
        storage
            .push(office.push(seed), &Actor::local(bangfu_server::now_ms()))
            .expect("seed");
        sign_in_cadre(&storage, &mut dev)
    };
    let (mut child, base) = start(&db);
    let ops: Vec<_> = (0..600).map(|n| visit_op(&mut dev, n, 20)).collect();
    let body = serde_json::to_vec(&dev.push(ops)).expect("json");
    let resp = push_body(&base, &token, body).await;
    assert_eq!(resp.results.len(), 1);
    assert_eq!(resp.results[0].status, OpStatus::Accepted);
    child.0.kill().expect("kill -9");
    child.0.wait().expect("wait");

    {
        let store = SqliteStorage::open(&db).expect("reopen");
        assert_eq!(store.device_seq(dev.id).expect("seq"), dev.seq);
        assert_eq!(store.entity_states().expect("states").len(), 6 + 40 + 600);
    }

    let (mut child, base) = start(&db);
    let resp = push_body(
        &base,
        &token,
        serde_json::to_vec(&dev.push(vec![])).expect("json"),
    )
    .await;
    assert_eq!(resp.device_seq, dev.seq);
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = child.0.wait().expect("wait");
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}
