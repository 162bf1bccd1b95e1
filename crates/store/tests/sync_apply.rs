//! Pulled operations: idempotent, order-independent, conflicts kept on every replica, records
//! whose references this device does not hold kept unmaterialized until they arrive.

mod common;
mod sync_common;

use bangfu_core::Record;
use bangfu_core::sync::wire::FeedEntry;
use bangfu_core::sync::{DeviceStore, Operation};
use bangfu_store::Store;
use common::{id, ids, new_visit};
use serde_json::json;
use sync_common::*;

/// A deterministic shuffle (xorshift).
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut v = items.to_vec();
    let mut x = seed.max(1);
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

/// Applies `entries` in pages of `page`, the cursor moving to each page's last position.
fn pull(s: &mut Store, entries: &[FeedEntry], page: usize) {
    for chunk in entries.chunks(page.max(1)) {
        let cursor = chunk.iter().map(|e| e.server_seq).max().unwrap_or(0);
        s.apply_pulled(chunk, cursor).expect("apply");
    }
}

fn a_with_dataset() -> (Store, Vec<Operation>) {
    let mut a = store(1);
    let ops = record_complete_dataset(&mut a, T0);
    (a, ops)
}

#[test]
fn applying_the_same_entries_twice_changes_nothing() {
    let (a, ops) = a_with_dataset();
    let mut b = store(2);
    let entries = feed(&ops, 1);
    b.apply_pulled(&entries, ops.len() as u64).expect("first");
    let (states, typed, rows) = (
        b.entity_states().expect("states"),
        content(&b),
        count(&b, "ops"),
    );
    b.apply_pulled(&entries, ops.len() as u64).expect("again");
    pull(&mut b, &entries, 3);
    assert_eq!(b.entity_states().expect("states"), states);
    assert_eq!(content(&b), typed);
    assert_eq!(count(&b, "ops"), rows);
    assert_eq!(rows, ops.len() as i64);
    assert_eq!(count(&b, "entity_states"), count(&a, "entity_states"));
    assert_eq!(states, a.entity_states().expect("states of a"));
    assert_eq!(typed, content(&a));
    assert_eq!(b.cursor().expect("cursor"), ops.len() as u64);
    assert!(b.unmaterialized().expect("list").is_empty());
    // Pulled operations are not this device's to push.
    assert_eq!(b.pending_count().expect("pending"), 0);
    assert!(b.pending_ops(0, 100).expect("pending").is_empty());
}

#[test]
fn own_operations_sent_back_are_not_stored_twice_but_get_their_server_seq() {
    let (mut a, ops) = a_with_dataset();
    let before = a.entity_states().expect("states");
    a.apply_pulled(&feed(&ops, 100), 100 + ops.len() as u64)
        .expect("echo");
    assert_eq!(count(&a, "ops"), ops.len() as i64);
    let with_seq: i64 = a
        .connection()
        .query_row(
            "SELECT count(*) FROM ops WHERE server_seq IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(with_seq, ops.len() as i64);
    assert_eq!(a.entity_states().expect("states"), before);
    assert_eq!(a.pending_count().expect("pending"), ops.len() as u64);
}

/// Edits on two devices that share the complete dataset: different fields and records.
fn edit_both(a: &mut Store, b: &mut Store) {
    let mut h = a.get_household(ids::lifted()).expect("r").expect("h");
    h.head_name = "赵大（改）".into();
    change(a, &Record::Household(h), T0 + 10_000_000).expect("a1");
    let v = new_visit(
        9301,
        ids::lifted(),
        ids::cadre_a(),
        "2024-07-05T09:00:00+08:00",
    );
    change(a, &Record::Visit(v), T0 + 10_000_100).expect("a2");

    let mut h = b.get_household(ids::lifted()).expect("r").expect("h");
    h.address = Some("龙舌村上组 9 号".into());
    change(b, &Record::Household(h), T0 + 10_000_050).expect("b1");
    let mut h = b.get_household(ids::monitored()).expect("r").expect("h");
    h.head_name = "钱二（改）".into();
    change(b, &Record::Household(h), T0 + 10_000_060).expect("b2");
    let v = new_visit(
        9302,
        ids::lifted(),
        ids::cadre_a(),
        "2024-07-06T09:00:00+08:00",
    );
    change(b, &Record::Visit(v), T0 + 10_000_070).expect("b3");
}

#[test]
fn two_devices_exchanging_operations_in_different_orders_end_equal() {
    let (mut a, base) = a_with_dataset();
    let mut b = store(2);
    pull(&mut b, &feed(&base, 1), 10);
    edit_both(&mut a, &mut b);
    let a_ops = a.pending_ops(base.len() as u64, 1000).expect("a ops");
    let b_ops = b.pending_ops(0, 1000).expect("b ops");
    assert_eq!((a_ops.len(), b_ops.len()), (2, 3));

    // B's to A: reversed, each twice, one by one.
    let mut to_a: Vec<Operation> = b_ops.iter().rev().cloned().collect();
    to_a.extend(b_ops.iter().cloned());
    pull(&mut a, &feed(&to_a, 1000), 1);
    // A's (and some old ones again) to B: shuffled, in one page.
    let mut to_b = a_ops.clone();
    to_b.extend(base[..5].iter().cloned());
    to_b.extend(a_ops.iter().cloned());
    pull(&mut b, &feed(&shuffled(&to_b, 7), 2000), 100);

    assert_eq!(a.entity_states().expect("a"), b.entity_states().expect("b"));
    assert_eq!(content(&a), content(&b));
    assert_eq!(count(&a, "ops"), count(&b, "ops"));
    assert!(a.conflicts().expect("a").is_empty());
    let h = b.get_household(ids::lifted()).expect("r").expect("h");
    assert_eq!(
        (h.head_name.as_str(), h.address.as_deref()),
        ("赵大（改）", Some("龙舌村上组 9 号")),
        "edits of different fields both kept"
    );
}

#[test]
fn any_order_and_page_size_gives_the_same_replica() {
    let (mut a, base) = a_with_dataset();
    let mut b = store(2);
    pull(&mut b, &feed(&base, 1), 50);
    edit_both(&mut a, &mut b);
    // Everything both made, applied to fresh devices in many orders (children before parents,
    // edits before creations), with duplicates, in pages of various sizes.
    let mut all = a.pending_ops(0, 1000).expect("a");
    all.extend(b.pending_ops(0, 1000).expect("b"));
    let mut b_all = b.pending_ops(0, 1000).expect("b");
    b_all.extend(a.pending_ops(base.len() as u64, 1000).expect("a"));
    pull(&mut a, &feed(&b_all, 1), 1000);
    let expected_states = a.entity_states().expect("states");
    let expected = content(&a);
    for (seed, page) in [(1_u64, 1_usize), (2, 3), (3, 7), (4, 1000), (5, 2)] {
        let mut c = store(10 + u128::from(seed));
        let mut order = shuffled(&all, seed);
        order.extend(shuffled(&all[..10], seed + 100));
        pull(&mut c, &feed(&order, 1), page);
        assert_eq!(
            c.entity_states().expect("states"),
            expected_states,
            "seed {seed}"
        );
        assert!(c.unmaterialized().expect("list").is_empty(), "seed {seed}");
        assert_eq!(content(&c), expected, "seed {seed}, page {page}");
    }
}

#[test]
fn concurrent_edits_of_one_field_are_a_conflict_on_both_devices_until_settled() {
    let (mut a, base) = a_with_dataset();
    let mut b = store(2);
    pull(&mut b, &feed(&base, 1), 100);
    let mut h = a.get_household(ids::lifted()).expect("r").expect("h");
    h.head_name = "赵甲".into();
    let op_a = change(&mut a, &Record::Household(h.clone()), T0 + 20_000_000)
        .expect("a")
        .expect("op");
    h.head_name = "赵乙".into();
    let op_b = change(&mut b, &Record::Household(h), T0 + 20_000_500)
        .expect("b")
        .expect("op");
    a.apply_pulled(&feed(std::slice::from_ref(&op_b), 500), 500)
        .expect("to a");
    b.apply_pulled(&feed(std::slice::from_ref(&op_a), 501), 501)
        .expect("to b");

    for s in [&a, &b] {
        let conflicts = s.conflicts().expect("conflicts");
        assert_eq!(conflicts.len(), 1);
        let c = &conflicts[0];
        assert_eq!(
            (c.entity.as_str(), c.entity_id, c.field.as_str()),
            ("household", ids::lifted(), "head_name")
        );
        let values: Vec<_> = c.heads.iter().map(|h| h.value.clone()).collect();
        assert_eq!(values, vec![json!("赵甲"), json!("赵乙")], "both kept");
        assert_eq!(c.heads[1].device, device(2));
        assert_eq!(c.heads[0].author, author());
        // The shown value is the highest (hlc, device): B's, later.
        let shown = s.get_household(ids::lifted()).expect("r").expect("h");
        assert_eq!(shown.head_name, "赵乙");
    }
    assert_eq!(a.entity_states().expect("a"), b.entity_states().expect("b"));
    assert_eq!(content(&a), content(&b));

    // A supervisor on A settles it with A's value (the one not shown).
    let settle = a
        .resolve_conflict(
            "household",
            ids::lifted(),
            "head_name",
            json!("赵甲"),
            author(),
            T0 + 20_001_000,
            recorded_at(T0 + 20_001_000),
        )
        .expect("settled");
    assert_eq!(settle.base["head_name"].len(), 2);
    b.apply_pulled(&feed(&[settle], 502), 502).expect("to b");
    for s in [&a, &b] {
        assert!(s.conflicts().expect("none").is_empty());
        let shown = s.get_household(ids::lifted()).expect("r").expect("h");
        assert_eq!(shown.head_name, "赵甲");
        // Overwritten values stay in history.
        let history = s.history("household", ids::lifted()).expect("history");
        let names: Vec<_> = history
            .iter()
            .filter_map(|o| o.fields.get("head_name").cloned())
            .collect();
        assert_eq!(names.len(), 4);
    }
    assert_eq!(a.entity_states().expect("a"), b.entity_states().expect("b"));
}

#[test]
fn records_referring_to_what_the_device_does_not_hold_wait_for_it() {
    let (a, ops) = a_with_dataset();
    let mut c = store(3);
    let (household_op, rest): (Vec<Operation>, Vec<Operation>) = ops
        .iter()
        .cloned()
        .partition(|o| o.entity_id == ids::lifted());
    pull(&mut c, &feed(&rest, 1), 1000);
    let waiting = c.unmaterialized().expect("list");
    assert!(!waiting.is_empty());
    for (entity, rid) in &waiting {
        assert!(!c.exists(entity, *rid).expect("exists"), "{entity} {rid}");
        assert!(c.entity_state(entity, *rid).expect("state").is_some());
    }
    assert!(waiting.contains(&("pairing".to_owned(), ids::pairing_lifted())));
    assert_eq!(count(&c, "ops"), rest.len() as i64, "every op kept");
    assert_eq!(c.cursor().expect("cursor"), rest.len() as u64);

    // The household arrives: everything that waited for it is written.
    pull(&mut c, &feed(&household_op, 10_000), 10);
    assert!(c.unmaterialized().expect("list").is_empty());
    assert_eq!(content(&c), content(&a));
    assert_eq!(c.entity_states().expect("c"), a.entity_states().expect("a"));
}

#[test]
fn an_update_to_a_missing_reference_keeps_the_previous_version_until_it_arrives() {
    let (mut a, base) = a_with_dataset();
    let mut c = store(3);
    pull(&mut c, &feed(&base, 1), 1000);
    // A: a new cadre, then a pairing naming her as successor.
    let mut p = a.get_person(ids::cadre_a()).expect("r").expect("p");
    p.id = id(777);
    p.name = "新干部".into();
    let new_person = change(&mut a, &Record::Person(p), T0 + 30_000_000)
        .expect("p")
        .expect("op");
    let mut pairing = a
        .get_pairing(ids::pairing_lifted())
        .expect("r")
        .expect("pairing");
    let before = pairing.clone();
    pairing.successor_id = Some(id(777));
    let edit = change(&mut a, &Record::Pairing(pairing.clone()), T0 + 30_000_100)
        .expect("e")
        .expect("op");

    // C gets the edit first (the cadre is outside its scope for now).
    c.apply_pulled(&feed(std::slice::from_ref(&edit), 100), 100)
        .expect("apply");
    assert_eq!(
        c.get_pairing(ids::pairing_lifted()).expect("r"),
        Some(before),
        "the previous version stays shown"
    );
    assert_eq!(
        c.unmaterialized().expect("list"),
        vec![("pairing".to_owned(), ids::pairing_lifted())]
    );
    c.apply_pulled(&feed(std::slice::from_ref(&new_person), 101), 101)
        .expect("apply");
    assert_eq!(
        c.get_pairing(ids::pairing_lifted()).expect("r"),
        Some(pairing)
    );
    assert!(c.unmaterialized().expect("list").is_empty());
    assert_eq!(c.entity_states().expect("c"), a.entity_states().expect("a"));
    assert_eq!(content(&c), content(&a));
}

#[test]
fn an_edit_before_its_creation_waits_for_it() {
    let (mut a, base) = a_with_dataset();
    let mut h = a.get_household(ids::eliminated()).expect("r").expect("h");
    h.head_name = "孙三（改）".into();
    let edit = change(&mut a, &Record::Household(h.clone()), T0 + 40_000_000)
        .expect("e")
        .expect("op");
    let mut c = store(3);
    let (creation, rest): (Vec<Operation>, Vec<Operation>) = base
        .iter()
        .cloned()
        .partition(|o| o.entity_id == ids::eliminated());
    pull(&mut c, &feed(&rest, 1), 1000);
    c.apply_pulled(&feed(std::slice::from_ref(&edit), 1000), 1000)
        .expect("edit");
    assert!(c.get_household(ids::eliminated()).expect("r").is_none());
    pull(&mut c, &feed(&creation, 2000), 10);
    assert_eq!(c.get_household(ids::eliminated()).expect("r"), Some(h));
    assert_eq!(c.entity_states().expect("c"), a.entity_states().expect("a"));
    assert_eq!(content(&c), content(&a));
}

#[test]
fn a_pulled_record_over_an_imported_one_replaces_it() {
    // A device that imported the dataset (no operations), then pulls the same records as
    // operations: the typed rows are replaced in place, nothing fails.
    let (a, ops) = a_with_dataset();
    let mut c = Store::open_in_memory().expect("open");
    c.save_dataset(&common::complete_dataset()).expect("import");
    c.apply_pulled(&feed(&ops, 1), ops.len() as u64)
        .expect("apply");
    assert!(c.unmaterialized().expect("list").is_empty());
    let mut got = content(&c);
    got.monitoring_lines.clear();
    let mut want = content(&a);
    want.settings = got.settings.clone();
    assert_eq!(got, want);
}

#[test]
fn a_local_edit_of_a_waiting_record_changes_only_what_the_user_changed() {
    let (mut a, base) = a_with_dataset();
    let mut c = store(3);
    pull(&mut c, &feed(&base, 1), 1000);
    let mut p = a.get_person(ids::cadre_a()).expect("r").expect("p");
    p.id = id(778);
    let new_person = change(&mut a, &Record::Person(p), T0 + 50_000_000)
        .expect("p")
        .expect("op");
    let mut pairing = a
        .get_pairing(ids::pairing_lifted())
        .expect("r")
        .expect("pairing");
    pairing.successor_id = Some(id(778));
    let edit = change(&mut a, &Record::Pairing(pairing), T0 + 50_000_100)
        .expect("e")
        .expect("op");
    c.apply_pulled(&feed(std::slice::from_ref(&edit), 100), 100)
        .expect("apply");
    // On C the pairing shows its old version; the user changes its start.
    let mut shown = c
        .get_pairing(ids::pairing_lifted())
        .expect("r")
        .expect("pairing");
    assert_eq!(shown.successor_id, None);
    shown.start = common::d("2020-06-01");
    let op = change(&mut c, &Record::Pairing(shown.clone()), T0 + 50_000_200)
        .expect("saved")
        .expect("op");
    assert_eq!(
        op.fields.keys().collect::<Vec<_>>(),
        vec!["start"],
        "the successor the user never saw is not undone"
    );
    assert_eq!(
        c.get_pairing(ids::pairing_lifted()).expect("r"),
        Some(shown.clone()),
        "the user sees what she saved"
    );
    assert_eq!(c.unmaterialized().expect("list").len(), 1);
    // The cadre arrives: the pairing shows both changes, on both devices.
    c.apply_pulled(&feed(std::slice::from_ref(&new_person), 101), 101)
        .expect("apply");
    a.apply_pulled(&feed(std::slice::from_ref(&op), 102), 102)
        .expect("apply");
    let got = c
        .get_pairing(ids::pairing_lifted())
        .expect("r")
        .expect("pairing");
    assert_eq!((got.start, got.successor_id), (shown.start, Some(id(778))));
    assert!(c.unmaterialized().expect("list").is_empty());
    assert_eq!(c.entity_states().expect("c"), a.entity_states().expect("a"));
    assert_eq!(content(&c), content(&a));
}

#[test]
fn settling_refuses_unknown_fields_and_append_only_records() {
    let (mut a, _) = a_with_dataset();
    let now = T0 + 60_000_000;
    let err = a
        .resolve_conflict(
            "household",
            ids::lifted(),
            "colour",
            json!("red"),
            author(),
            now,
            recorded_at(now),
        )
        .expect_err("no such field");
    assert_eq!(err.code(), "invalid");
    let err = a
        .resolve_conflict(
            "household",
            ids::lifted(),
            "id",
            json!(id(5)),
            author(),
            now,
            recorded_at(now),
        )
        .expect_err("the id is not a field");
    assert_eq!(err.code(), "invalid");
    let err = a
        .resolve_conflict(
            "visit",
            ids::visit_full(),
            "problems",
            json!("x"),
            author(),
            now,
            recorded_at(now),
        )
        .expect_err("append-only");
    assert_eq!(err.code(), "append_only");
    let err = a
        .resolve_conflict(
            "household",
            ids::lifted(),
            "head_name",
            json!(12),
            author(),
            now,
            recorded_at(now),
        )
        .expect_err("wrong type");
    assert_eq!(err.code(), "invalid");
    assert!(!err.message_zh().contains("12"));
    let n = a.pending_count().expect("pending");
    // A plain value set through it is an ordinary change.
    let op = a
        .resolve_conflict(
            "household",
            ids::lifted(),
            "head_name",
            json!("赵新"),
            author(),
            now,
            recorded_at(now),
        )
        .expect("set");
    assert_eq!(op.origin_seq, n + 1);
    assert_eq!(
        a.get_household(ids::lifted())
            .expect("r")
            .expect("h")
            .head_name,
        "赵新"
    );
}

#[test]
fn a_failure_in_the_middle_of_a_page_leaves_nothing_of_it() {
    let (_, ops) = a_with_dataset();
    let mut b = store(2);
    pull(&mut b, &feed(&ops[..5], 1), 100);
    let (states, typed, cursor) = (
        b.entity_states().expect("states"),
        content(&b),
        b.cursor().expect("cursor"),
    );
    b.connection()
        .execute_batch(&format!(
            "CREATE TEMP TRIGGER fail_op BEFORE INSERT ON ops WHEN NEW.origin_seq = {}
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
            ops[10].origin_seq
        ))
        .expect("trigger");
    let rest = feed(&ops[5..], 6);
    assert!(b.apply_pulled(&rest, 1_000).is_err());
    assert_eq!(b.entity_states().expect("states"), states);
    assert_eq!(content(&b), typed);
    assert_eq!(b.cursor().expect("cursor"), cursor);
    assert_eq!(count(&b, "ops"), 5);
    b.connection()
        .execute_batch("DROP TRIGGER fail_op")
        .expect("drop");
    b.apply_pulled(&rest, 1_000).expect("retried");
    assert_eq!(count(&b, "ops"), ops.len() as i64);
    assert!(b.unmaterialized().expect("list").is_empty());
}

#[test]
fn an_operation_this_build_cannot_show_is_kept_without_failing_the_pull() {
    let (_, ops) = a_with_dataset();
    let mut b = store(2);
    let mut future = ops[0].clone();
    future.op_id = id(0xf0);
    future.entity = "spaceship".into();
    future.entity_id = id(0xf1);
    future.origin_seq = 10_000;
    let mut broken = ops[0].clone(); // an area edit that arrives without its creation
    broken.op_id = id(0xf2);
    broken.entity_id = id(0xf3);
    broken.origin_seq = 10_001;
    broken.create = false;
    broken.fields = [("name".to_owned(), json!("无名"))].into();
    let mut entries = feed(&ops, 1);
    entries.extend(feed(&[future.clone(), broken.clone()], 1000));
    b.apply_pulled(&entries, 2000).expect("apply");
    assert_eq!(
        b.unmaterialized().expect("list"),
        vec![
            ("area".to_owned(), id(0xf3)),
            ("spaceship".to_owned(), id(0xf1))
        ]
    );
    assert_eq!(
        b.history("spaceship", id(0xf1)).expect("kept"),
        vec![future]
    );
    assert_eq!(b.history("area", id(0xf3)).expect("kept"), vec![broken]);
    assert_eq!(b.cursor().expect("cursor"), 2000);
}

#[test]
fn two_operations_claiming_one_place_of_a_device_are_refused_clearly() {
    let (_, ops) = a_with_dataset();
    let mut b = store(2);
    b.apply_pulled(&feed(&ops[..3], 1), 3).expect("apply");
    let mut other = ops[1].clone();
    other.op_id = id(0xf9);
    let err = b.apply_pulled(&feed(&[other], 4), 4).expect_err("refused");
    assert_eq!(err.code(), "seq_reused");
    assert_eq!(b.cursor().expect("cursor"), 3);
}

#[test]
fn a_pulled_operation_is_stored_as_received_and_merges_as_parsed() {
    let (a, ops) = a_with_dataset();
    let mut b = store(2);
    let mut entries = feed(&ops, 1);
    // The server's JSON of one operation, with a field a newer server might add.
    let mut json = serde_json::to_value(&entries[0].op).expect("json");
    json["added_by_a_newer_server"] = json!(true);
    let received = serde_json::to_string(&json).expect("text");
    entries[0].op_json = Some(received.clone());
    b.apply_pulled(&entries, ops.len() as u64).expect("apply");
    let body: String = b
        .connection()
        .query_row(
            "SELECT body FROM ops WHERE op_id = ?1",
            [entries[0].op.op_id.as_bytes()],
            |r| r.get(0),
        )
        .expect("stored");
    assert_eq!(body, received, "kept byte for byte");
    // It still reads back as the operation, and the replicas agree.
    assert_eq!(b.entity_states().expect("b"), a.entity_states().expect("a"));
    assert_eq!(content(&b), content(&a));
}

#[test]
fn pulled_pages_are_copied_into_the_database_file_in_the_background() {
    let (_a, ops) = a_with_dataset();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.db");
    let mut b = Store::open(&path).expect("open");
    b.save_dataset(&bangfu_core::Dataset::empty(
        bangfu_core::Settings::with_tracking_start(common::d("2024-01-01")),
    ))
    .expect("settings");
    b.init_device(device(2)).expect("device");
    b.apply_pulled(&feed(&ops, 1), ops.len() as u64)
        .expect("apply");
    // The database file alone (WAL ignored: `immutable`) gets the operations without any
    // further commit, far below SQLite's own checkpoint threshold.
    let uri = format!("file:{}?immutable=1", path.display());
    let in_file = || -> i64 {
        let c = rusqlite::Connection::open_with_flags(
            &uri,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .expect("read the file");
        c.query_row("SELECT count(*) FROM ops", [], |r| r.get(0))
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while in_file() < ops.len() as i64 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(in_file(), ops.len() as i64);
    assert_eq!(count(&b, "ops"), ops.len() as i64);
}

#[test]
fn a_file_stores_own_wal_checkpoint_is_only_a_fallback_and_its_wal_is_cut_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path().join("device.db")).expect("open");
    let pragma = |name: &str| -> i64 {
        s.connection()
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .expect(name)
    };
    // SQLite's own checkpoint only as a far fallback (it would run on the syncing thread) …
    assert_eq!(
        pragma("wal_autocheckpoint"),
        i64::from(bangfu_store::checkpoint::FALLBACK_PAGES)
    );
    // … and no WAL file kept at the size of the largest sync.
    assert_eq!(
        pragma("journal_size_limit"),
        bangfu_store::checkpoint::WAL_SIZE_LIMIT
    );
}

#[test]
fn entries_as_a_device_receives_them_apply_like_plain_ones() {
    let (a, ops) = a_with_dataset();
    let received: Vec<FeedEntry> = feed(&ops, 1)
        .iter()
        .map(|e| {
            let json = serde_json::to_string(&e.op).expect("json");
            FeedEntry::received(e.server_seq, &json).expect("parse")
        })
        .collect();
    assert!(
        received.iter().any(|e| e.record.is_some()),
        "creations come with their records prepared"
    );
    let mut b = store(2);
    b.apply_pulled(&received, ops.len() as u64).expect("apply");
    assert_eq!(content(&b), content(&a));
    assert_eq!(b.entity_states().expect("b"), a.entity_states().expect("a"));
    // A prepared record that does not belong to its operation is not used.
    let mut wrong = feed(&ops, 1);
    let donor = received
        .iter()
        .find_map(|e| e.record.clone())
        .expect("a record");
    for e in &mut wrong {
        if e.op.create && e.op.entity_id != donor.id() {
            e.record = Some(donor.clone());
        }
    }
    let mut c = store(3);
    c.apply_pulled(&wrong, ops.len() as u64).expect("apply");
    assert_eq!(content(&c), content(&a));
}

#[test]
fn an_operation_the_server_flagged_as_far_future_does_not_move_the_device_clock() {
    let (_, ops) = a_with_dataset();
    let mut b = store(2);
    let ten_years = 10 * 365 * 24 * 3600 * 1000_u64;
    let mut far = ops.clone();
    let last = far.last_mut().expect("an operation");
    last.hlc = bangfu_core::sync::Hlc::new(last.hlc.wall_ms() + ten_years, 0);
    let far_hlc = last.hlc;
    let mut entries = feed(&far, 1);
    if let Some(e) = entries.last_mut() {
        e.future = true;
    }
    b.apply_pulled(&entries, far.len() as u64).expect("apply");
    assert!(
        b.hlc_last().expect("clock") < far_hlc,
        "a flagged operation is kept but not followed"
    );
    assert_eq!(count(&b, "ops"), far.len() as i64, "and stored");
    // Unflagged, the same stamp would be followed (what one wrong phone did to every device).
    let mut c = store(3);
    c.apply_pulled(&feed(&far, 1), far.len() as u64)
        .expect("apply");
    assert!(c.hlc_last().expect("clock") >= far_hlc);
}

#[test]
fn a_visit_with_a_households_id_is_kept_apart_from_the_household() {
    let (a, ops) = a_with_dataset();
    let household = a
        .get_household(ids::lifted())
        .expect("read")
        .expect("household");
    let (visit_op, visit) = visit_with_the_households_id(&ops);
    // Either order: the household first (as pulled), or the visit first.
    let mut after = feed(&ops, 1);
    after.extend(feed(std::slice::from_ref(&visit_op), 1_000));
    let mut before = feed(std::slice::from_ref(&visit_op), 1);
    before.extend(feed(&ops, 2));
    for (n, entries) in [(2, after), (3, before)] {
        let mut b = store(n);
        pull(&mut b, &entries, 7);
        assert_eq!(
            b.get_household(ids::lifted()).expect("read"),
            Some(household.clone()),
            "the household is intact"
        );
        assert_eq!(
            b.get_visit(ids::lifted()).expect("read"),
            Some(visit.clone()),
            "the visit is recorded under its own kind"
        );
        let states = b.entity_states().expect("states");
        let of = |kind: &str| {
            states
                .get(&(kind.to_owned(), ids::lifted()))
                .cloned()
                .unwrap_or_else(|| panic!("no {kind} state"))
        };
        assert_eq!(
            of("household"),
            a.entity_states().expect("a")[&("household".to_owned(), ids::lifted())],
            "the household's merge state has only its own operations"
        );
        assert_ne!(of("household"), of("visit"));
        assert_eq!(
            b.entity_state("visit", ids::lifted()).expect("state"),
            Some(of("visit"))
        );
        assert_eq!(
            b.history("visit", ids::lifted()).expect("history"),
            vec![visit_op.clone()]
        );
        assert!(b.unmaterialized().expect("list").is_empty());
    }
}
