//! The device row: its id, the push acknowledgements (rejections kept), the cursor and the clock.

mod common;
mod sync_common;

use bangfu_core::Record;
use bangfu_core::sync::wire::{OpResult, OpStatus, PushResponse, Reason};
use bangfu_core::sync::{DeviceStore, Hlc};
use bangfu_store::Store;
use common::{ids, new_visit};
use sync_common::*;

fn visit(s: &mut Store, n: u128, ms: u64) -> bangfu_core::sync::Operation {
    let v = new_visit(
        n,
        ids::lifted(),
        ids::cadre_a(),
        "2024-07-01T09:00:00+08:00",
    );
    change(s, &Record::Visit(v), ms)
        .expect("saved")
        .expect("op")
}

fn run(first: u64, last: u64, status: OpStatus, reason: Option<&str>) -> OpResult {
    OpResult {
        first_seq: first,
        last_seq: last,
        status,
        reason: reason.map(|code| Reason {
            code: code.to_owned(),
            message: format!("field `visitor_id`: {code}"),
        }),
    }
}

#[test]
fn acknowledge_moves_forward_and_keeps_rejected_operations() {
    let mut s = store(1);
    let base = record_complete_dataset(&mut s, T0);
    let n = base.len() as u64;
    let v1 = visit(&mut s, 9401, T0 + 1);
    let v2 = visit(&mut s, 9402, T0 + 2);
    let v3 = visit(&mut s, 9403, T0 + 3);
    assert_eq!(s.pending_count().expect("pending"), n + 3);
    let response = PushResponse {
        results: vec![
            run(1, n + 1, OpStatus::Accepted, None),
            run(n + 2, n + 2, OpStatus::Rejected, Some("out_of_scope")),
            run(n + 3, n + 3, OpStatus::Duplicate, None),
        ],
        device_seq: n + 3,
        server_hlc: Hlc::new(T0 + 10, 0),
        epoch: None,
    };
    s.acknowledge(&response).expect("ack");
    assert_eq!(s.acked_seq().expect("acked"), n + 3);
    assert_eq!(s.pending_count().expect("pending"), 0);
    assert!(s.pending_ops(n + 3, 10).expect("none").is_empty());
    let rejected = s.rejected_ops().expect("rejected");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].op, v2);
    assert_eq!(rejected[0].reason.code, "out_of_scope");
    // The refused operation is kept, and so is what it did on this device.
    assert_eq!(
        s.pending_ops(n + 1, 1).expect("still there"),
        vec![v2.clone()]
    );
    assert!(s.get_visit(v2.entity_id).expect("r").is_some());
    assert!(s.get_visit(v1.entity_id).expect("r").is_some());
    assert!(s.get_visit(v3.entity_id).expect("r").is_some());

    // An older answer (a retry's) never moves acked_seq back.
    let old = PushResponse {
        results: vec![run(1, 2, OpStatus::Duplicate, None)],
        device_seq: 2,
        server_hlc: Hlc::new(T0, 0),
        epoch: None,
    };
    s.acknowledge(&old).expect("ack");
    assert_eq!(s.acked_seq().expect("acked"), n + 3);
    assert_eq!(s.rejected_ops().expect("rejected").len(), 1);
    // The next operation continues the sequence and is pending.
    let v4 = visit(&mut s, 9404, T0 + 4);
    assert_eq!(v4.origin_seq, n + 4);
    assert_eq!(s.pending_count().expect("pending"), 1);
    assert_eq!(s.unsynced_count_for_household(ids::lifted()).expect("h"), 1);
}

#[test]
fn a_rejection_is_cleared_when_a_later_answer_accepts_the_operation() {
    let mut s = store(1);
    let base = record_complete_dataset(&mut s, T0);
    let n = base.len() as u64;
    let v1 = visit(&mut s, 9501, T0 + 1);
    let rejected = PushResponse {
        results: vec![
            run(1, n, OpStatus::Accepted, None),
            run(n + 1, n + 1, OpStatus::Rejected, Some("unknown_household")),
        ],
        device_seq: n + 1,
        server_hlc: Hlc::new(T0 + 10, 0),
        epoch: None,
    };
    s.acknowledge(&rejected).expect("ack");
    assert_eq!(s.rejected_ops().expect("rejected").len(), 1);
    // A server restored from backup processes it again and this time accepts it.
    let accepted = PushResponse {
        results: vec![run(n + 1, n + 1, OpStatus::Accepted, None)],
        device_seq: n + 1,
        server_hlc: Hlc::new(T0 + 20, 0),
        epoch: None,
    };
    s.acknowledge(&accepted).expect("ack");
    assert!(s.rejected_ops().expect("rejected").is_empty());
    assert!(s.get_visit(v1.entity_id).expect("r").is_some());
}

#[test]
fn a_partial_answer_leaves_the_rest_pending() {
    let mut s = store(1);
    let ops = record_complete_dataset(&mut s, T0);
    let response = PushResponse {
        results: vec![run(1, 5, OpStatus::Accepted, None)],
        device_seq: 5,
        server_hlc: Hlc::new(T0, 0),
        epoch: None,
    };
    s.acknowledge(&response).expect("ack");
    assert_eq!(s.pending_count().expect("pending"), ops.len() as u64 - 5);
    assert_eq!(s.pending_ops(5, 1).expect("next")[0], ops[5]);
}

#[test]
fn the_clock_absorbs_the_server_clock_and_pulled_operations() {
    let ten_years_ms = 10 * 365 * 24 * 3600 * 1000_u64;
    let phone_now = T0 - ten_years_ms; // a phone whose clock is 10 years behind
    let mut s = store(1);
    let ops = record_complete_dataset(&mut s, phone_now);
    assert!(ops.last().expect("op").hlc < Hlc::new(T0, 0));
    let server = Hlc::new(T0 + 5_000, 7);
    s.observe_server_clock(server).expect("observe");
    assert_eq!(s.hlc_last().expect("clock"), server);
    let op = visit(&mut s, 9501, phone_now + 600_000);
    assert!(op.hlc > server, "{} > {}", op.hlc, server);
    // An older server clock changes nothing.
    s.observe_server_clock(Hlc::new(T0, 0)).expect("observe");
    assert!(s.hlc_last().expect("clock") >= op.hlc);

    // Pulled operations' timestamps are absorbed too.
    let mut other = store(2);
    let mut far = ops[0].clone();
    far.op_id = uuid::Uuid::from_u128(0xfa);
    far.origin_device = device(9);
    far.hlc = Hlc::new(T0 + 86_400_000, 0);
    other
        .apply_pulled(&feed(&[far.clone()], 1), 1)
        .expect("pull");
    assert_eq!(other.hlc_last().expect("clock"), far.hlc);
}

#[test]
fn the_device_id_is_made_once_kept_and_fixed_after_the_first_operation() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("device.db");
    let made = {
        let s = Store::open(&path).expect("open");
        let id = s.device_id();
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(DeviceStore::device_id(&s), id);
        id
    };
    let mut s = Store::open(&path).expect("reopen");
    assert_eq!(s.device_id(), made, "kept across reopening");
    s.init_device(device(5)).expect("no ops yet: may change");
    assert_eq!(s.device_id(), device(5));
    s.save_dataset(&common::complete_dataset()).expect("data");
    let mut h = s.get_household(ids::lifted()).expect("r").expect("h");
    h.head_name = "改".into();
    change(&mut s, &Record::Household(h), T0).expect("op");
    let err = s.init_device(device(6)).expect_err("refused");
    assert_eq!(err.code(), "device_in_use");
    s.init_device(device(5)).expect("same id is fine");
    drop(s);
    let s = Store::open(&path).expect("reopen");
    assert_eq!(s.device_id(), device(5));
    assert_eq!(
        s.pending_ops(0, 10).expect("ops")[0].origin_device,
        device(5)
    );
}

#[test]
fn the_cursor_moves_with_each_applied_page() {
    let mut a = store(1);
    let ops = record_complete_dataset(&mut a, T0);
    let mut b = store(2);
    assert_eq!(b.cursor().expect("cursor"), 0);
    b.apply_pulled(&feed(&ops[..4], 11), 20).expect("page");
    assert_eq!(b.cursor().expect("cursor"), 20);
    b.apply_pulled(&[], 25)
        .expect("an empty page still moves the cursor");
    assert_eq!(b.cursor().expect("cursor"), 25);
}

#[test]
fn a_database_of_the_first_schema_upgrades_with_its_data_and_gets_a_device() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v1.db");
    {
        let mut s = Store::open(&path).expect("open");
        s.save_dataset(&common::complete_dataset()).expect("data");
    }
    {
        // Back to what a phone in the field has: schema 0001 only, with its data.
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute_batch(
            "DROP TABLE rejected_ops; DROP TABLE entity_states; DROP TABLE ops;
             DROP TABLE device; ALTER TABLE visits DROP COLUMN correction_reason;
             DELETE FROM schema_migrations WHERE version >= 2;",
        )
        .expect("downgrade");
    }
    let mut s = Store::open(&path).expect("reopen");
    // Schema 0001 had no reasons of corrections (0005 adds them, empty).
    let mut expected = common::complete_dataset();
    for v in &mut expected.visits {
        v.correction_reason = None;
    }
    assert_eq!(s.load_dataset().expect("load"), expected);
    assert_eq!(s.device_id().get_version_num(), 7);
    let mut h = s.get_household(ids::lifted()).expect("r").expect("h");
    h.head_name = "改".into();
    let op = change(&mut s, &Record::Household(h), T0)
        .expect("op")
        .expect("some");
    assert!(
        op.create,
        "a record imported without operations is created for sync"
    );
    assert_eq!(op.origin_seq, 1);
}

#[test]
fn a_device_restored_from_an_old_backup_numbers_new_operations_after_what_the_server_has() {
    // The device made 20 operations; its database was restored to before them all.
    let mut before = store(1);
    let lost = record_complete_dataset(&mut before, T0);
    let mut restored = store(1);
    restored
        .apply_pulled(&feed(&lost, 1), lost.len() as u64)
        .expect("its own operations come back from the server");
    let op = visit(&mut restored, 9601, T0 + 100_000_000);
    assert_eq!(op.origin_seq, lost.len() as u64 + 1, "no number reused");
    assert_eq!(
        restored.own_ops_held_through().expect("held"),
        op.origin_seq
    );
    // They were pulled, not made here again: nothing to push but the new one.
    assert_eq!(
        restored.pending_ops(0, 1000).expect("ops"),
        vec![op.clone()]
    );
    // A server answer beyond what the device knows also moves the numbering on.
    let response = PushResponse {
        results: vec![run(op.origin_seq, op.origin_seq, OpStatus::Accepted, None)],
        device_seq: op.origin_seq + 5,
        server_hlc: Hlc::new(T0, 0),
        epoch: None,
    };
    restored.acknowledge(&response).expect("ack");
    let next = visit(&mut restored, 9602, T0 + 100_000_100);
    assert_eq!(next.origin_seq, op.origin_seq + 6);
    // A pull leaves out only what the device holds without a gap: 1..=op, not the 5 after it.
    assert_eq!(
        restored.own_ops_held_through().expect("held"),
        op.origin_seq
    );
}

#[test]
fn own_operations_held_without_a_gap() {
    let mut s = store(1);
    assert_eq!(s.own_ops_held_through().expect("held"), 0);
    let ops = record_complete_dataset(&mut s, T0);
    assert_eq!(s.own_ops_held_through().expect("held"), ops.len() as u64);
    // Asked again (counting only above what it found before) after one more.
    let more = visit(&mut s, 9700, T0 + 1_000);
    assert_eq!(s.own_ops_held_through().expect("held"), more.origin_seq);
    assert_eq!(s.own_ops_held_through().expect("held"), more.origin_seq);
    // Restored from a backup holding none of them: only what is pulled back counts.
    let mut restored = store(1);
    restored
        .apply_pulled(&feed(&ops[1..], 1), ops.len() as u64)
        .expect("all but the first come back");
    assert_eq!(restored.own_ops_held_through().expect("held"), 0);
    restored
        .apply_pulled(&feed(&ops[..1], 1), ops.len() as u64)
        .expect("then the first");
    assert_eq!(
        restored.own_ops_held_through().expect("held"),
        ops.len() as u64
    );
}

#[test]
fn a_restored_server_makes_own_operations_after_its_device_seq_unsynced_again() {
    let mut s = store(1);
    let base = record_complete_dataset(&mut s, T0);
    let n = base.len() as u64;
    let v1 = visit(&mut s, 9601, T0 + 1);
    let v2 = visit(&mut s, 9602, T0 + 2);
    let first = uuid::Uuid::from_u128(0xe1);
    assert_eq!(s.server_epoch().expect("epoch"), None);
    s.set_server_epoch(first).expect("first epoch");
    assert_eq!(s.server_epoch().expect("epoch"), Some(first));
    s.acknowledge(&PushResponse {
        results: vec![run(1, n + 2, OpStatus::Accepted, None)],
        device_seq: n + 2,
        server_hlc: Hlc::new(T0 + 10, 0),
        epoch: Some(first),
    })
    .expect("ack");
    s.apply_pulled(&[], 5_000).expect("cursor");
    assert_eq!(s.pending_count().expect("pending"), 0);

    // Restored from a backup that holds this device's operations up to n.
    let second = uuid::Uuid::from_u128(0xe2);
    s.rebase_on_restored_server(second, n).expect("rebase");
    assert_eq!(s.server_epoch().expect("epoch"), Some(second));
    assert_eq!(s.acked_seq().expect("acked"), n);
    assert_eq!(DeviceStore::cursor(&s).expect("cursor"), 0);
    assert_eq!(s.pending_count().expect("pending"), 2);
    assert_eq!(
        s.pending_ops(n, 10).expect("pending"),
        vec![v1.clone(), v2.clone()]
    );
    // New operations continue the device's numbering, after the ones sent again.
    let v3 = visit(&mut s, 9603, T0 + 3);
    assert_eq!(v3.origin_seq, n + 3);
    assert_eq!(s.pending_count().expect("pending"), 3);
}
