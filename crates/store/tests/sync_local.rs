//! Local changes become operations: one transaction for the change and its operation, gap-free
//! sequence numbers, `base` naming what was replaced, nothing written for a refused record.

mod common;
mod sync_common;

use bangfu_core::Record;
use bangfu_core::sync::DeviceStore;
use bangfu_core::sync::outgoing::OutgoingOp;
use common::{id, ids, new_visit};
use serde_json::json;
use sync_common::*;

fn household(s: &bangfu_store::Store, id: uuid::Uuid) -> bangfu_core::Household {
    s.get_household(id).expect("read").expect("household")
}

#[test]
fn creations_get_gap_free_seqs_all_fields_and_no_base() {
    let mut s = store(1);
    let ops = record_complete_dataset(&mut s, T0);
    let seqs: Vec<u64> = ops.iter().map(|o| o.origin_seq).collect();
    assert_eq!(seqs, (1..=ops.len() as u64).collect::<Vec<_>>());
    for w in ops.windows(2) {
        assert!(w[0].hlc < w[1].hlc, "HLCs increase");
    }
    for op in &ops {
        assert!(op.create && op.base.is_empty());
        assert_eq!(op.origin_device, device(1));
        let rec = s.get_record(&op.entity, op.entity_id).expect("read");
        let rec = rec.expect("materialized");
        assert_eq!(op.fields, bangfu_core::sync::Operation::fields_of(&rec));
    }
    assert_eq!(s.pending_count().expect("count"), ops.len() as u64);
    assert_eq!(s.pending_ops(0, 1000).expect("pending"), ops);
    assert_eq!(s.pending_ops(3, 2).expect("page"), ops[3..5].to_vec());
    // As pushed: each stored JSON as it is, with its id, seq and entity.
    let out = s.pending_push(3, 2).expect("push page");
    let want: Vec<_> = ops[3..5].iter().map(OutgoingOp::from_op).collect();
    assert_eq!(out, want);
}

#[test]
fn a_stored_operation_that_cannot_be_pushed_is_reported_and_left_as_it_was() {
    let mut s = store(1);
    let ops = record_complete_dataset(&mut s, T0);
    let conn = s.connection();
    let seq2 = |body: &str| {
        conn.execute(
            "UPDATE ops SET body = ?1 WHERE origin_seq = 2 AND local = 1",
            [body],
        )
        .expect("tamper")
    };
    let good = serde_json::to_string(&ops[1]).expect("json");
    for (bad, what) in [
        (good[..good.len() / 2].to_owned(), "cut"),
        (
            good.replace("\"origin_seq\":2", "\"origin_seq\":3"),
            "another seq",
        ),
    ] {
        seq2(&bad);
        let err = s.pending_push(0, 10).expect_err(what);
        assert_eq!(err.code(), "corrupt_record", "{what}: {err}");
        assert!(err.to_string().contains("operation"), "{what}: {err}");
        // Operations before it still go; nothing was changed by asking.
        assert_eq!(s.pending_push(0, 1).expect("before").len(), 1);
        assert_eq!(s.pending_count().expect("count"), ops.len() as u64);
    }
    seq2(&good);
    assert_eq!(
        s.pending_push(0, 10).expect("repaired").len(),
        10.min(ops.len())
    );
}

#[test]
fn an_edit_carries_only_the_changed_fields_with_their_base() {
    let mut s = store(1);
    let ops = record_complete_dataset(&mut s, T0);
    let created = ops
        .iter()
        .find(|o| o.entity_id == ids::lifted())
        .expect("household op");
    let mut h = household(&s, ids::lifted());
    h.head_name = "赵大新".into();
    h.phone = None; // an option cleared: written as null
    let op = change(&mut s, &Record::Household(h.clone()), T0 + 3_600_000)
        .expect("saved")
        .expect("an op");
    assert!(!op.create);
    assert_eq!(op.origin_seq, ops.len() as u64 + 1);
    assert_eq!(
        op.fields,
        [
            ("head_name".to_owned(), json!("赵大新")),
            ("phone".to_owned(), json!(null))
        ]
        .into()
    );
    assert_eq!(
        op.base,
        [
            ("head_name".to_owned(), vec![created.op_id]),
            ("phone".to_owned(), vec![created.op_id])
        ]
        .into()
    );
    assert_eq!(household(&s, ids::lifted()), h);
    let state = s
        .entity_state("household", ids::lifted())
        .expect("state")
        .expect("some");
    assert_eq!(state.winners()["head_name"], json!("赵大新"));
    assert_eq!(
        s.history("household", ids::lifted())
            .expect("history")
            .len(),
        2
    );

    // A second edit names the first edit's op.
    h.head_name = "赵大三".into();
    let op2 = change(&mut s, &Record::Household(h.clone()), T0 + 3_700_000)
        .expect("saved")
        .expect("an op");
    assert_eq!(op2.base["head_name"], vec![op.op_id]);
    assert_eq!(op2.fields.len(), 1);

    // Saving what is shown changes nothing and uses no sequence number.
    let before = s.pending_count().expect("count");
    assert_eq!(
        change(&mut s, &Record::Household(h), T0 + 3_800_000).expect("ok"),
        None
    );
    assert_eq!(s.pending_count().expect("count"), before);
}

#[test]
fn a_refused_record_makes_no_operation_and_no_change() {
    let mut s = store(1);
    let ops = record_complete_dataset(&mut s, T0);
    let before = content(&s);
    let states = s.entity_states().expect("states");
    let bad = new_visit(9001, id(8888), ids::cadre_a(), "2024-07-01T09:00:00+08:00");
    let err = change(&mut s, &Record::Visit(bad.clone()), T0 + 1).expect_err("refused");
    assert_eq!(err.code(), "invalid");
    // A visit with an unknown visitor: refused the same way save_record refuses it.
    let mut bad2 = new_visit(9002, ids::lifted(), id(7777), "2024-07-01T09:00:00+08:00");
    bad2.problems = "x".into();
    assert!(s.save_record(&Record::Visit(bad2.clone())).is_err());
    assert!(change(&mut s, &Record::Visit(bad2), T0 + 2).is_err());

    assert_eq!(content(&s), before);
    assert_eq!(s.entity_states().expect("states"), states);
    assert_eq!(s.pending_count().expect("count"), ops.len() as u64);
    assert_eq!(count(&s, "ops"), ops.len() as i64);
    // The next change takes the next number: no gap.
    let good = new_visit(
        9003,
        ids::lifted(),
        ids::cadre_a(),
        "2024-07-01T09:00:00+08:00",
    );
    let op = change(&mut s, &Record::Visit(good), T0 + 3)
        .expect("saved")
        .expect("op");
    assert_eq!(op.origin_seq, ops.len() as u64 + 1);
}

#[test]
fn a_failure_after_the_operation_was_made_rolls_back_both_and_gives_the_seq_back() {
    let mut s = store(1);
    let ops = record_complete_dataset(&mut s, T0);
    let n = ops.len() as u64;
    // Fail the typed write, after the sequence number, the operation and its merge state.
    s.connection()
        .execute_batch(
            "CREATE TEMP TRIGGER fail_visit BEFORE INSERT ON visits
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .expect("trigger");
    let v = new_visit(
        9101,
        ids::lifted(),
        ids::cadre_a(),
        "2024-07-02T09:00:00+08:00",
    );
    let hlc_before = s.hlc_last().expect("clock");
    assert!(change(&mut s, &Record::Visit(v.clone()), T0 + 10_000_000).is_err());
    assert_eq!(count(&s, "ops"), n as i64);
    assert_eq!(s.entity_state("visit", v.id).expect("state"), None);
    assert_eq!(s.get_visit(v.id).expect("read"), None);
    assert_eq!(s.hlc_last().expect("clock"), hlc_before);
    s.connection()
        .execute_batch("DROP TRIGGER fail_visit")
        .expect("drop");
    let op = change(&mut s, &Record::Visit(v), T0 + 10_000_001)
        .expect("saved")
        .expect("op");
    assert_eq!(op.origin_seq, n + 1, "gap-free after a failed change");
    let seqs: Vec<u64> = s
        .pending_ops(0, 10_000)
        .expect("ops")
        .iter()
        .map(|o| o.origin_seq)
        .collect();
    assert_eq!(seqs, (1..=n + 1).collect::<Vec<_>>());
}

#[test]
fn append_only_records_can_only_be_created() {
    let mut s = store(1);
    record_complete_dataset(&mut s, T0);
    let mut v = new_visit(
        9201,
        ids::lifted(),
        ids::cadre_a(),
        "2024-07-03T09:00:00+08:00",
    );
    change(&mut s, &Record::Visit(v.clone()), T0 + 1)
        .expect("saved")
        .expect("op");
    let n = s.pending_count().expect("count");
    for problems in ["", "改了"] {
        v.problems = problems.into();
        let err = change(&mut s, &Record::Visit(v.clone()), T0 + 2).expect_err("refused");
        assert_eq!(err.code(), "append_only");
    }
    assert_eq!(s.pending_count().expect("count"), n);
    // A visit imported without operations is append-only too.
    let mut imported = new_visit(
        9202,
        ids::lifted(),
        ids::cadre_a(),
        "2024-07-04T09:00:00+08:00",
    );
    s.save_record(&Record::Visit(imported.clone()))
        .expect("import");
    imported.problems = "改了".into();
    let err = change(&mut s, &Record::Visit(imported), T0 + 3).expect_err("refused");
    assert_eq!(err.code(), "append_only");
}

#[test]
fn an_id_of_another_entity_and_an_empty_scope_are_refused() {
    let mut s = store(1);
    record_complete_dataset(&mut s, T0);
    let mut h = household(&s, ids::lifted());
    let r = Record::Household(h.clone());
    let err = s
        .record_change(&r, author(), "", T0 + 1, recorded_at(T0 + 1))
        .expect_err("no scope");
    assert_eq!(err.code(), "no_scope");
    // A unit with a household's id.
    let unit = bangfu_core::Unit {
        id: h.id,
        name: "冒名".into(),
    };
    let err = change(&mut s, &Record::Unit(unit), T0 + 2).expect_err("mismatch");
    assert_eq!(err.code(), "entity_mismatch");
    h.head_name = "赵大".into();
    assert_eq!(
        change(&mut s, &Record::Household(h), T0 + 3).expect("ok"),
        None
    );
}

#[test]
fn unsynced_counts_per_household() {
    let mut s = store(1);
    let ops = record_complete_dataset(&mut s, T0);
    let per = s.unsynced_by_household().expect("per household");
    let expected = ops
        .iter()
        .filter(|o| o.scope_path.ends_with(&ids::lifted().to_string()))
        .count() as u64;
    assert!(expected > 0);
    assert_eq!(per[&ids::lifted()], expected);
    assert_eq!(
        s.unsynced_count_for_household(ids::lifted()).expect("one"),
        expected
    );
    assert_eq!(s.unsynced_count().expect("total"), ops.len() as u64);
}

/// Records the connection's `synchronous` level (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA) inside every
/// transaction that stores an operation, with whether it was a local one.
fn watch_synchronous(s: &bangfu_store::Store) {
    s.connection()
        .execute_batch(
            "CREATE TEMP TABLE sync_levels (local INTEGER, level INTEGER);
             CREATE TEMP TRIGGER sync_level AFTER INSERT ON ops BEGIN
                 INSERT INTO sync_levels SELECT NEW.local, synchronous FROM pragma_synchronous;
             END;",
        )
        .expect("trigger");
}

fn local_levels(s: &bangfu_store::Store) -> Vec<i64> {
    let mut st = s
        .connection()
        .prepare("SELECT level FROM sync_levels WHERE local = 1")
        .expect("select");
    st.query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("levels")
}

#[test]
fn every_local_change_commits_with_synchronous_full_even_after_a_pull() {
    // A change the user saw saved must survive a power cut, not only a killed app: in WAL mode
    // only FULL syncs the log at each commit (NORMAL may lose the last commits).
    let dir = tempfile::tempdir().expect("dir");
    let mut s = bangfu_store::Store::open(dir.path().join("device.db")).expect("open");
    s.save_dataset(&bangfu_core::Dataset::empty(
        bangfu_core::Settings::with_tracking_start(common::d("2024-01-01")),
    ))
    .expect("settings");
    s.init_device(device(1)).expect("device");
    watch_synchronous(&s);
    let ops = record_complete_dataset(&mut s, T0);
    // A pulled page between two changes (it may commit at a cheaper level: it is pulled again
    // if lost, the cursor moving in the same transaction).
    let mut other = store(2);
    let theirs = record_complete_dataset(&mut other, T0);
    s.apply_pulled(&feed(&theirs[..3], 1), 3).expect("pull");
    let v = new_visit(
        9401,
        ids::lifted(),
        ids::cadre_a(),
        "2024-07-03T09:00:00+08:00",
    );
    change(&mut s, &Record::Visit(v), T0 + 20_000_000).expect("visit");
    let settled = s
        .resolve_conflict(
            "household",
            ids::lifted(),
            "head_name",
            json!("赵大"),
            author(),
            T0 + 20_000_100,
            recorded_at(T0 + 20_000_100),
        )
        .expect("set");
    let levels = local_levels(&s);
    assert_eq!(levels.len(), ops.len() + 2, "{settled:?}");
    assert!(
        levels.iter().all(|&l| l >= 2),
        "every local change at FULL or EXTRA, got {levels:?}"
    );
}
