//! Storage-level tests of the push and pull semantics (SQLite backend).

mod common;

use bangfu_core::sync::hlc::Hlc;
use bangfu_core::sync::wire::{OpResult, OpStatus, PushResponse};
use bangfu_server::{Actor, PullQuery, SqliteStorage, SyncStorage};
use common::*;
use serde_json::json;

fn runs(resp: &PushResponse) -> Vec<(u64, u64, OpStatus, Option<String>)> {
    resp.results
        .iter()
        .map(|r: &OpResult| {
            (
                r.first_seq,
                r.last_seq,
                r.status,
                r.reason.as_ref().map(|x| x.code.clone()),
            )
        })
        .collect()
}

fn seeded(households: u128) -> (SqliteStorage, HandDevice) {
    let store = SqliteStorage::open_in_memory().expect("open");
    let mut dev = HandDevice::new(1);
    let ops = county_ops(&mut dev, households);
    let n = ops.len() as u64;
    let resp = store
        .push(dev.push(ops), &Actor::local(T0_MS))
        .expect("push");
    assert_eq!(runs(&resp), vec![(1, n, OpStatus::Accepted, None)]);
    assert_eq!(resp.device_seq, n);
    (store, dev)
}

#[test]
fn the_same_batch_twice_is_all_duplicates_and_changes_nothing() {
    let (store, mut dev) = seeded(2);
    let start = dev.seq;
    let ops = (0..5).map(|n| visit_op(&mut dev, n, 2)).collect();
    let batch = dev.push(ops);
    let first = store
        .push(batch.clone(), &Actor::local(T0_MS))
        .expect("push");
    assert_eq!(
        runs(&first),
        vec![(start + 1, start + 5, OpStatus::Accepted, None)]
    );
    let before = store.entity_states().expect("states");
    let feed = store
        .pull(&PullQuery::new(0, 1000, T0_MS))
        .expect("pull")
        .entries
        .len();
    let again = store.push(batch, &Actor::local(T0_MS)).expect("push");
    assert_eq!(
        runs(&again),
        vec![(start + 1, start + 5, OpStatus::Duplicate, None)]
    );
    assert_eq!(again.device_seq, start + 5);
    assert_eq!(store.entity_states().expect("states"), before);
    assert_eq!(
        store
            .pull(&PullQuery::new(0, 1000, T0_MS))
            .expect("pull")
            .entries
            .len(),
        feed
    );
}

#[test]
fn a_gap_is_not_processed_and_the_device_resends_from_device_seq() {
    let (store, mut dev) = seeded(1);
    let start = dev.seq;
    let a = visit_op(&mut dev, 1, 1);
    let _lost = visit_op(&mut dev, 2, 1);
    let c = visit_op(&mut dev, 3, 1);
    let d = visit_op(&mut dev, 4, 1);
    let resp = store
        .push(
            dev.push(vec![a, c.clone(), d.clone()]),
            &Actor::local(T0_MS),
        )
        .expect("push");
    assert_eq!(
        runs(&resp),
        vec![
            (start + 1, start + 1, OpStatus::Accepted, None),
            (
                start + 3,
                start + 3,
                OpStatus::Rejected,
                Some("seq_gap".into())
            ),
            (
                start + 4,
                start + 4,
                OpStatus::Rejected,
                Some("seq_gap".into())
            ),
        ]
    );
    assert_eq!(resp.device_seq, start + 1);
    assert_eq!(store.device_seq(dev.id).expect("seq"), start + 1);
    // Gap ops are not kept as refused: the device still has them and resends them.
    assert!(store.rejected(Some(dev.id)).expect("rejected").is_empty());
    let mut dev2 = dev.clone();
    dev2.seq = start + 1;
    let b = visit_op(&mut dev2, 2, 1);
    let resp = store
        .push(dev.push(vec![b, c, d]), &Actor::local(T0_MS))
        .expect("push");
    assert_eq!(
        runs(&resp),
        vec![(start + 2, start + 4, OpStatus::Accepted, None)]
    );
}

#[test]
fn a_reused_seq_is_refused_and_the_operation_kept() {
    let (store, mut dev) = seeded(1);
    let a = visit_op(&mut dev, 1, 1);
    store
        .push(dev.push(vec![a.clone()]), &Actor::local(T0_MS))
        .expect("push");
    let mut other = a.clone();
    other.op_id = id(0xfeed);
    other.entity_id = id(0xbeef);
    let resp = store
        .push(dev.push(vec![other.clone()]), &Actor::local(T0_MS))
        .expect("push");
    assert_eq!(
        runs(&resp),
        vec![(
            a.origin_seq,
            a.origin_seq,
            OpStatus::Rejected,
            Some("seq_reused".into())
        )]
    );
    let kept = store.rejected(Some(dev.id)).expect("rejected");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].op_id, other.op_id);
    assert_eq!(kept[0].code, "seq_reused");
    assert!(
        !store
            .entity_states()
            .expect("states")
            .contains_key(&("visit".to_owned(), id(0xbeef)))
    );
}

#[test]
fn one_bad_op_among_good_ones_is_refused_alone() {
    let (store, mut dev) = seeded(2);
    let start = dev.seq;
    let good1 = visit_op(&mut dev, 1, 2);
    let mut bad = visit_op(&mut dev, 2, 2);
    bad.fields.insert("visitor_id".into(), json!(id(4242))); // nobody
    let good2 = visit_op(&mut dev, 3, 2);
    let resp = store
        .push(
            dev.push(vec![good1.clone(), bad.clone(), good2.clone()]),
            &Actor::local(T0_MS),
        )
        .expect("push");
    assert_eq!(
        runs(&resp),
        vec![
            (start + 1, start + 1, OpStatus::Accepted, None),
            (
                start + 2,
                start + 2,
                OpStatus::Rejected,
                Some("visitor_not_cadre".into())
            ),
            (start + 3, start + 3, OpStatus::Accepted, None),
        ]
    );
    assert_eq!(resp.device_seq, start + 3);
    let states = store.entity_states().expect("states");
    assert!(states.contains_key(&("visit".to_owned(), good1.entity_id)));
    assert!(states.contains_key(&("visit".to_owned(), good2.entity_id)));
    assert!(!states.contains_key(&("visit".to_owned(), bad.entity_id)));
    let kept = store.rejected(None).expect("rejected");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].op_id, bad.op_id);
    // A retry of the refused operation gets the same refusal, not a silent "duplicate".
    let again = store
        .push(dev.push(vec![bad]), &Actor::local(T0_MS))
        .expect("push");
    assert_eq!(
        runs(&again),
        vec![(
            start + 2,
            start + 2,
            OpStatus::Rejected,
            Some("visitor_not_cadre".into())
        )]
    );
}

#[test]
fn seq_zero_is_refused_and_kept() {
    let (store, mut dev) = seeded(1);
    let mut v = visit_op(&mut dev, 1, 1);
    v.origin_seq = 0;
    let resp = store
        .push(dev.push(vec![v.clone()]), &Actor::local(T0_MS))
        .expect("push");
    assert_eq!(
        runs(&resp),
        vec![(0, 0, OpStatus::Rejected, Some("bad_seq".into()))]
    );
    assert_eq!(resp.device_seq, dev.seq - 1);
    assert_eq!(store.rejected(None).expect("rejected")[0].op_id, v.op_id);
}

#[test]
fn append_only_records_cannot_be_edited() {
    let (store, mut dev) = seeded(1);
    let v = visit_op(&mut dev, 1, 1);
    store
        .push(dev.push(vec![v.clone()]), &Actor::local(T0_MS))
        .expect("push");
    let edit = dev.op(
        "visit",
        v.entity_id,
        false,
        json!({"problems": "改了"}),
        &household_scope(0),
    );
    let recreate = dev.op("visit", v.entity_id, true, visit(0), &household_scope(0));
    let resp = store
        .push(dev.push(vec![edit, recreate]), &Actor::local(T0_MS))
        .expect("push");
    assert!(resp.results.iter().all(|r| r.status == OpStatus::Rejected
        && r.reason.as_ref().map(|x| x.code.as_str()) == Some("append_only")));
    let states = store.entity_states().expect("states");
    let snap = &states[&("visit".to_owned(), v.entity_id)];
    assert_eq!(snap.winners.get("problems"), v.fields.get("problems"));
}

#[test]
fn edits_merge_per_field_and_concurrent_ones_are_kept_as_conflicts() {
    let (store, mut a) = seeded(1);
    let h = id(HOUSEHOLD_BASE);
    let scope = household_scope(0);
    let mut b = HandDevice::new(2);
    let ea = a.op("household", h, false, json!({"head_name": "甲"}), &scope);
    let eb = b.op(
        "household",
        h,
        false,
        json!({"head_name": "乙", "phone": "13800138000"}),
        &scope,
    );
    store
        .push(a.push(vec![ea]), &Actor::local(T0_MS))
        .expect("push");
    store
        .push(b.push(vec![eb]), &Actor::local(T0_MS))
        .expect("push");
    let conflicts = store.conflicts().expect("conflicts");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, "head_name");
    let values: Vec<_> = conflicts[0].heads.iter().map(|h| h.value.clone()).collect();
    assert!(
        values.contains(&json!("甲"))
            && values.contains(&json!("乙"))
            && values.contains(&json!("户主0"))
    );
    let snap = &store.entity_states().expect("states")[&("household".to_owned(), h)];
    assert_eq!(snap.winners["phone"], json!("13800138000"));
    assert!(snap.conflicts.contains_key("head_name"));
}

#[test]
fn an_edit_of_an_unknown_record_and_an_unknown_entity_are_refused() {
    let (store, mut dev) = seeded(1);
    let unknown = dev.op(
        "household",
        id(777),
        false,
        json!({"head_name": "x"}),
        VILLAGE,
    );
    let spaceship = dev.op("spaceship", id(778), true, json!({"name": "x"}), VILLAGE);
    let resp = store
        .push(dev.push(vec![unknown, spaceship]), &Actor::local(T0_MS))
        .expect("push");
    let codes: Vec<_> = resp
        .results
        .iter()
        .map(|r| r.reason.clone().map(|x| x.code))
        .collect();
    assert_eq!(
        codes,
        vec![Some("unknown_record".into()), Some("unknown_entity".into())]
    );
}

#[test]
fn wrong_device_and_reused_op_id_are_refused() {
    let (store, mut dev) = seeded(1);
    let mut stranger = HandDevice::new(9);
    let start = dev.seq;
    let mut theirs = visit_op(&mut stranger, 1, 1);
    theirs.origin_seq = start + 1;
    let mut copy = visit_op(&mut dev, 2, 1);
    copy.origin_seq = start + 2;
    dev.seq = start + 2;
    let first = visit_op(&mut dev, 3, 1);
    let mut reused = visit_op(&mut dev, 4, 1);
    reused.op_id = first.op_id;
    let resp = store
        .push(
            dev.push(vec![theirs, copy, first, reused]),
            &Actor::local(T0_MS),
        )
        .expect("push");
    let codes: Vec<_> = resp
        .results
        .iter()
        .map(|r| (r.status, r.reason.clone().map(|x| x.code)))
        .collect();
    assert_eq!(
        codes,
        vec![
            (OpStatus::Rejected, Some("wrong_device".into())),
            (OpStatus::Accepted, None),
            (OpStatus::Rejected, Some("op_id_reused".into())),
        ]
    );
    assert_eq!(resp.device_seq, start + 4);
}

#[test]
fn pull_by_cursor_and_by_scope() {
    let (store, mut dev) = seeded(4);
    let seeded_ops = dev.seq;
    let visits: Vec<_> = (0..10).map(|n| visit_op(&mut dev, n, 4)).collect();
    store
        .push(dev.push(visits), &Actor::local(T0_MS))
        .expect("push");
    let total = dev.seq;
    // All of it, in pages of 7.
    let mut cursor = 0;
    let mut seen = Vec::new();
    loop {
        let page = store.pull(&PullQuery::new(cursor, 7, T0_MS)).expect("pull");
        assert!(page.entries.len() <= 7);
        seen.extend(page.entries.iter().map(|e| e.server_seq));
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(seen, (1..=total).collect::<Vec<_>>());
    assert_eq!(cursor, total);
    // Only village 1 (households 0 and 2): their creations, pairings and visits.
    let page = store
        .pull(&PullQuery::new(0, 1000, T0_MS).within(VILLAGE))
        .expect("pull");
    assert!(!page.has_more);
    assert_eq!(
        page.cursor, total,
        "the cursor moves past what was filtered out"
    );
    assert!(
        page.entries
            .iter()
            .all(|e| e.op.scope_path.starts_with(VILLAGE))
    );
    let visits_here = page
        .entries
        .iter()
        .filter(|e| e.op.entity == "visit")
        .count();
    assert_eq!(visits_here, 5);
    // A prefix is matched by whole path segments: `…201` does not match `…2010`.
    let none = store
        .pull(&PullQuery::new(0, 1000, T0_MS).within("360722/36072210"))
        .expect("pull");
    assert!(none.entries.is_empty());
    // Paging a filtered feed.
    let first = store
        .pull(&PullQuery::new(0, 3, T0_MS).within(VILLAGE))
        .expect("pull");
    assert!(first.has_more);
    assert_eq!(first.entries.len(), 3);
    assert_eq!(first.cursor, first.entries[2].server_seq);
    assert!(seeded_ops > 3);
    // The spliced JSON is the JSON of the response.
    let json = store
        .pull_json(&PullQuery::new(2, 5, T0_MS + 9).within(TOWNSHIP))
        .expect("pull");
    let parsed: bangfu_core::sync::wire::PullResponse =
        serde_json::from_slice(&json).expect("json");
    let direct = store
        .pull(&PullQuery::new(2, 5, T0_MS + 9).within(TOWNSHIP))
        .expect("pull");
    assert_eq!(parsed.entries, direct.entries);
    assert_eq!(
        (parsed.cursor, parsed.has_more),
        (direct.cursor, direct.has_more)
    );
    let mut again = parsed.clone();
    again.server_hlc = direct.server_hlc;
    assert_eq!(serde_json::to_vec(&again).expect("json").len(), json.len());
    // A cursor beyond the end.
    let past = store
        .pull(&PullQuery::new(u64::MAX, 10, T0_MS))
        .expect("pull");
    assert!(past.entries.is_empty() && !past.has_more && past.cursor == u64::MAX);
}

#[test]
fn pull_without_the_asking_devices_own_operations() {
    // Device 1 seeds and records visits; device 2 records visits in between.
    let (store, mut one) = seeded(4);
    let mut two = HandDevice::new(2);
    let a: Vec<_> = (0..5).map(|n| visit_op(&mut one, n, 4)).collect();
    store.push(one.push(a), &Actor::local(T0_MS)).expect("push");
    let b: Vec<_> = (5..8).map(|n| visit_op(&mut two, n, 4)).collect();
    store.push(two.push(b), &Actor::local(T0_MS)).expect("push");
    let c: Vec<_> = (8..12).map(|n| visit_op(&mut one, n, 4)).collect();
    store.push(one.push(c), &Actor::local(T0_MS)).expect("push");
    let total = one.seq + two.seq;
    let all = store.pull(&PullQuery::new(0, 1000, T0_MS)).expect("pull");
    assert_eq!(all.entries.len() as u64, total);
    // Device 1 gets only device 2's operations; the cursor still reaches the end.
    let page = store
        .pull(&PullQuery::new(0, 1000, T0_MS).excluding(one.id, u64::MAX))
        .expect("pull");
    assert_eq!(
        page.entries
            .iter()
            .map(|e| e.server_seq)
            .collect::<Vec<_>>(),
        all.entries
            .iter()
            .filter(|e| e.op.origin_device == two.id)
            .map(|e| e.server_seq)
            .collect::<Vec<_>>()
    );
    assert!(!page.has_more);
    assert_eq!(page.cursor, total, "skipped operations count as looked at");
    // Device 2 gets everything else, paged: cursors advance past skipped ones, nothing repeats.
    let mut cursor = 0;
    let mut seen = Vec::new();
    loop {
        let page = store
            .pull(&PullQuery::new(cursor, 4, T0_MS).excluding(two.id, u64::MAX))
            .expect("pull");
        assert!(page.entries.len() <= 4);
        assert!(page.cursor >= cursor);
        seen.extend(page.entries.iter().map(|e| e.server_seq));
        if let Some(last) = page.entries.last() {
            assert!(page.cursor >= last.server_seq);
        }
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(cursor, total);
    assert_eq!(
        seen,
        all.entries
            .iter()
            .filter(|e| e.op.origin_device != two.id)
            .map(|e| e.server_seq)
            .collect::<Vec<_>>()
    );
    // With a scope as well, and as spliced JSON.
    let json = store
        .pull_json(
            &PullQuery::new(0, 1000, T0_MS)
                .within(VILLAGE)
                .excluding(one.id, u64::MAX),
        )
        .expect("pull");
    let scoped: bangfu_core::sync::wire::PullResponse =
        serde_json::from_slice(&json).expect("json");
    assert!(!scoped.entries.is_empty());
    assert!(
        scoped
            .entries
            .iter()
            .all(|e| { e.op.origin_device == two.id && e.op.scope_path.starts_with(VILLAGE) })
    );
    assert_eq!(scoped.cursor, total);
    // Only up to `through`: device 1's operations after its 10th still come (a device restored
    // from a backup that holds only its first 10 gets the rest back).
    let partial = store
        .pull(&PullQuery::new(0, 1000, T0_MS).excluding(one.id, 10))
        .expect("pull");
    assert_eq!(
        partial
            .entries
            .iter()
            .map(|e| e.server_seq)
            .collect::<Vec<_>>(),
        all.entries
            .iter()
            .filter(|e| e.op.origin_device != one.id || e.op.origin_seq > 10)
            .map(|e| e.server_seq)
            .collect::<Vec<_>>()
    );
    assert_eq!(partial.cursor, total);
    // A device that never pushed excludes nothing.
    let stranger = store
        .pull(&PullQuery::new(0, 1000, T0_MS).excluding(HandDevice::new(9).id, u64::MAX))
        .expect("pull");
    assert_eq!(stranger.entries, all.entries);
}

#[test]
fn a_devices_own_run_is_skipped_whole_but_never_past_another_devices_operation() {
    // Device 1 seeds (a run of its own at the start of the feed), then pushes five visits of
    // which the third is refused (a hole in its seqs); device 2's visit comes next in the feed,
    // then device 1's next 50 visits: from device 1's seqs alone each of those sits exactly as
    // many places after its first operation as in a run without a hole.
    let (store, mut one) = seeded(3);
    let mut two = HandDevice::new(2);
    let mut batch: Vec<_> = (0..5).map(|n| visit_op(&mut one, n, 3)).collect();
    batch[2].fields.insert("visitor_id".into(), json!(id(4242))); // nobody: refused
    let resp = store
        .push(one.push(batch), &Actor::local(T0_MS))
        .expect("push");
    assert_eq!(
        runs(&resp)
            .iter()
            .filter(|r| r.2 == OpStatus::Rejected)
            .count(),
        1
    );
    let theirs = visit_op(&mut two, 5, 3);
    store
        .push(two.push(vec![theirs]), &Actor::local(T0_MS))
        .expect("push");
    let next: Vec<_> = (6..56).map(|n| visit_op(&mut one, n, 3)).collect();
    store
        .push(one.push(next), &Actor::local(T0_MS))
        .expect("push");
    let all = store.pull(&PullQuery::new(0, 1000, T0_MS)).expect("pull");
    let theirs: Vec<u64> = all
        .entries
        .iter()
        .filter(|e| e.op.origin_device == two.id)
        .map(|e| e.server_seq)
        .collect();
    assert_eq!(theirs.len(), 1);
    let end = all.entries.last().expect("ops").server_seq;
    for through in [u64::MAX, one.seq, one.seq - 1, 3] {
        let page = store
            .pull(&PullQuery::new(0, 1000, T0_MS).excluding(one.id, through))
            .expect("pull");
        let want: Vec<u64> = all
            .entries
            .iter()
            .filter(|e| e.op.origin_device != one.id || e.op.origin_seq > through)
            .map(|e| e.server_seq)
            .collect();
        let got: Vec<u64> = page.entries.iter().map(|e| e.server_seq).collect();
        assert_eq!(got, want, "through {through}");
        assert_eq!(page.cursor, end, "through {through}");
        // The same from every cursor, a page of one at a time.
        let mut cursor = 0;
        let mut seen = Vec::new();
        loop {
            let page = store
                .pull(&PullQuery::new(cursor, 1, T0_MS).excluding(one.id, through))
                .expect("pull");
            seen.extend(page.entries.iter().map(|e| e.server_seq));
            cursor = page.cursor;
            if !page.has_more {
                break;
            }
        }
        assert_eq!(seen, want, "through {through}, paged");
        assert_eq!(cursor, end);
    }
}

#[test]
fn an_op_from_the_future_is_accepted_flagged_and_not_absorbed() {
    let (store, mut dev) = seeded(1);
    let now = T0_MS + 10_000;
    let ten_years = 10 * 365 * 24 * 3600 * 1000_u64;
    let mut v = visit_op(&mut dev, 1, 1);
    v.hlc = Hlc::new(now + ten_years, 0);
    let resp = store
        .push(dev.push(vec![v.clone()]), &Actor::local(now))
        .expect("push");
    assert_eq!(resp.results[0].status, OpStatus::Accepted);
    assert!(
        resp.server_hlc.wall_ms() < now + 1000,
        "the server clock did not jump"
    );
    assert!(
        store
            .entity_states()
            .expect("states")
            .contains_key(&("visit".to_owned(), v.entity_id))
    );
    // Within 24 h ahead: absorbed.
    let mut w = visit_op(&mut dev, 2, 1);
    w.hlc = Hlc::new(now + 3_600_000, 0);
    let resp = store
        .push(dev.push(vec![w.clone()]), &Actor::local(now))
        .expect("push");
    assert!(resp.server_hlc > w.hlc);
    let pulled = store.pull(&PullQuery::new(0, 10_000, now)).expect("pull");
    assert!(pulled.entries.iter().any(|e| e.op.op_id == v.op_id));
    // The flag travels with the operation (item 16): only the far-future one carries it, and the
    // spliced JSON says the same as the parsed page.
    let flagged: Vec<bool> = pulled
        .entries
        .iter()
        .filter(|e| e.op.op_id == v.op_id || e.op.op_id == w.op_id)
        .map(|e| e.future)
        .collect();
    assert_eq!(flagged, [true, false]);
    let json = store
        .pull_json(&PullQuery::new(0, 10_000, now))
        .expect("pull");
    let parsed: bangfu_core::sync::wire::PullResponse =
        serde_json::from_slice(&json).expect("json");
    assert_eq!(parsed.entries, pulled.entries);
    // The county office lists it with the device whose clock is wrong.
    let listed = store.future_ops(10).expect("future");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].entity_id, listed[0].device),
        (v.entity_id, dev.id)
    );
    assert_eq!(listed[0].stamped_ms, now + ten_years);
}

#[test]
fn the_future_flag_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("server.db");
    let store = SqliteStorage::open(&path).expect("open");
    let mut dev = HandDevice::new(1);
    let ops = county_ops(&mut dev, 1);
    store
        .push(dev.push(ops), &Actor::local(T0_MS))
        .expect("push");
    let mut v = visit_op(&mut dev, 1, 1);
    v.hlc = Hlc::new(T0_MS + 2 * 24 * 3600 * 1000, 0);
    store
        .push(dev.push(vec![v.clone()]), &Actor::local(T0_MS))
        .expect("push");
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("open");
    let flagged: i64 = conn
        .query_row("SELECT count(*) FROM ops WHERE future = 1", [], |r| {
            r.get(0)
        })
        .expect("query");
    assert_eq!(flagged, 1);
}

#[test]
fn reopening_the_file_keeps_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("server.db");
    let mut dev = HandDevice::new(1);
    let (states, feed, hlc) = {
        let store = SqliteStorage::open(&path).expect("open");
        let ops = county_ops(&mut dev, 3);
        store
            .push(dev.push(ops), &Actor::local(T0_MS))
            .expect("push");
        let visits = (0..20).map(|n| visit_op(&mut dev, n, 3)).collect();
        let resp = store
            .push(dev.push(visits), &Actor::local(T0_MS + 5))
            .expect("push");
        (
            store.entity_states().expect("states"),
            store
                .pull(&PullQuery::new(0, 1000, T0_MS))
                .expect("pull")
                .entries,
            resp.server_hlc,
        )
    };
    let store = SqliteStorage::open(&path).expect("reopen");
    assert_eq!(store.entity_states().expect("states"), states);
    assert_eq!(
        store
            .pull(&PullQuery::new(0, 1000, T0_MS))
            .expect("pull")
            .entries,
        feed
    );
    assert_eq!(store.device_seq(dev.id).expect("seq"), dev.seq);
    // The clock resumes where it was, even if the machine's clock went back.
    let resp = store
        .push(dev.push(vec![]), &Actor::local(T0_MS - 60_000))
        .expect("push");
    assert!(resp.server_hlc > hlc);
    assert_eq!(store.health().expect("health").last_server_seq, dev.seq);
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("server.db");
    drop(SqliteStorage::open(&path).expect("open"));
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.pragma_update(None, "user_version", 99)
        .expect("pragma");
    drop(conn);
    let err = SqliteStorage::open(&path).expect_err("refused");
    assert!(err.to_string().contains("newer"), "{err}");
}
