//! Large batches are checked on several threads ahead of the writer; the answers and the state
//! must be exactly those of checking one operation after another.

mod common;

use bangfu_core::sync::op::Operation;
use bangfu_core::sync::wire::PushResponse;
use bangfu_server::{Actor, PullQuery, SqliteStorage, SyncStorage};
use common::*;
use serde_json::json;

/// A batch that depends on itself: records created and then referred to or edited within it, bad
/// operations of every kind among good ones.
fn tangled_batch(dev: &mut HandDevice, stranger: &mut HandDevice) -> Vec<Operation> {
    let mut ops = county_ops(dev, 40);
    let mut x: u64 = 12345;
    let mut rand = move |n: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % n
    };
    let mut next_household = 40;
    for n in 0..1500_u128 {
        let op = match rand(12) {
            // A new household, its pairing, and at once a visit to it.
            0 => {
                let h = next_household;
                next_household += 1;
                ops.push(dev.op(
                    "household",
                    id(HOUSEHOLD_BASE + h),
                    true,
                    household(h),
                    &household_scope(h),
                ));
                dev.op(
                    "pairing",
                    id(PAIRING_BASE + h),
                    true,
                    json!({"household_id": id(HOUSEHOLD_BASE + h), "cadre_id": id(CADRE_ID), "start": "2024-01-01"}),
                    &household_scope(h),
                )
            }
            // An edit of a household (perhaps created earlier in this batch).
            1 => {
                let h = u128::from(rand(next_household as u64));
                dev.op(
                    "household",
                    id(HOUSEHOLD_BASE + h),
                    false,
                    json!({"head_name": format!("改{n}")}),
                    &household_scope(h),
                )
            }
            // A visit by nobody.
            2 => {
                let mut op = visit_op(dev, n, 40);
                op.fields.insert("visitor_id".into(), json!(id(999_999)));
                op
            }
            // A visit to a household that may not exist yet.
            3 => {
                let h = u128::from(rand(next_household as u64 + 5));
                dev.op(
                    "visit",
                    id(VISIT_BASE + 1_000_000 + n),
                    true,
                    visit(h),
                    &household_scope(h),
                )
            }
            // An edit of a visit (append-only), perhaps one created in this batch.
            4 => dev.op(
                "visit",
                id(VISIT_BASE + u128::from(rand(n as u64 + 1))),
                false,
                json!({"problems": "x"}),
                VILLAGE,
            ),
            // Someone else's operation.
            5 => {
                let mut op = visit_op(stranger, n, 40);
                dev.seq += 1;
                op.origin_seq = dev.seq;
                op
            }
            // An op_id already used.
            6 if ops.len() > 10 => {
                let mut op = visit_op(dev, n, 40);
                op.op_id = ops[ops.len() - 3].op_id;
                op
            }
            // A correction naming an earlier visit of this batch.
            7 => {
                let mut op = visit_op(dev, n, 40);
                op.fields.insert(
                    "corrects".into(),
                    json!(id(VISIT_BASE + u128::from(rand(n as u64 + 1)))),
                );
                op.fields
                    .insert("correction_reason".into(), json!("走访日期填错了"));
                op
            }
            _ => visit_op(dev, n, next_household),
        };
        ops.push(op);
    }
    ops
}

/// Equal answers; on a difference, names the first differing run (not all of them).
fn same(a: &PushResponse, b: &PushResponse, what: &str) {
    if let Some(i) =
        (0..a.results.len().max(b.results.len())).find(|&i| a.results.get(i) != b.results.get(i))
    {
        panic!(
            "{what}: run {i} differs: {:?} vs {:?}",
            a.results.get(i),
            b.results.get(i)
        );
    }
    assert_eq!(
        (a.device_seq, a.server_hlc),
        (b.device_seq, b.server_hlc),
        "{what}"
    );
}

fn compare(a: &dyn SyncStorage, b: &dyn SyncStorage) {
    assert_eq!(
        a.entity_states().expect("states"),
        b.entity_states().expect("states")
    );
    let strip = |v: Vec<bangfu_server::RejectedOp>| {
        v.into_iter()
            .map(|r| (r.seq, r.op_id, r.code, r.message))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(a.rejected(None).expect("rejected")),
        strip(b.rejected(None).expect("rejected"))
    );
    assert_eq!(
        a.conflicts().expect("conflicts"),
        b.conflicts().expect("conflicts")
    );
    let feed = |s: &dyn SyncStorage| {
        s.pull(&PullQuery::new(0, 10_000, T0_MS))
            .expect("pull")
            .entries
    };
    assert_eq!(feed(a), feed(b));
}

#[test]
fn parallel_checks_answer_exactly_like_sequential_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let parallel = SqliteStorage::open(dir.path().join("p.db"))
        .expect("open")
        .with_check_workers(3);
    let sequential = SqliteStorage::open(dir.path().join("s.db"))
        .expect("open")
        .with_check_workers(0);
    let memory = SqliteStorage::open_in_memory().expect("open");
    let mut dev = HandDevice::new(1);
    let mut stranger = HandDevice::new(2);
    let ops = tangled_batch(&mut dev, &mut stranger);
    assert!(ops.len() > 1500);
    let req = dev.push(ops.clone());
    let p = parallel
        .push(req.clone(), &Actor::local(T0_MS))
        .expect("push");
    let s = sequential
        .push(req.clone(), &Actor::local(T0_MS))
        .expect("push");
    let m = memory.push(req, &Actor::local(T0_MS)).expect("push");
    same(&p, &s, "parallel vs sequential");
    same(&p, &m, "parallel vs in memory");
    let rejected = p.results.iter().filter(|r| r.reason.is_some()).count();
    let accepted = p.results.iter().filter(|r| r.reason.is_none()).count();
    assert!(
        rejected > 300 && accepted > 100,
        "a real mix: {rejected} rejected, {accepted} runs accepted"
    );
    compare(&parallel, &sequential);
    compare(&parallel, &memory);

    // A retry of half of it plus more: duplicates, repeated refusals and new operations.
    let mut more = ops[ops.len() / 2..].to_vec();
    more.extend((0..400).map(|n| visit_op(&mut dev, 50_000 + n, 40)));
    let req = dev.push(more);
    let p = parallel
        .push(req.clone(), &Actor::local(T0_MS + 1))
        .expect("push");
    let s = sequential
        .push(req.clone(), &Actor::local(T0_MS + 1))
        .expect("push");
    let m = memory.push(req, &Actor::local(T0_MS + 1)).expect("push");
    same(&p, &s, "retry: parallel vs sequential");
    same(&p, &m, "retry: parallel vs in memory");
    compare(&parallel, &sequential);
    compare(&parallel, &memory);
}

#[test]
fn an_edit_is_seen_by_the_checks_of_later_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let parallel = SqliteStorage::open(dir.path().join("p.db"))
        .expect("open")
        .with_check_workers(2);
    let memory = SqliteStorage::open_in_memory().expect("open");
    let mut dev = HandDevice::new(1);
    let mut first = county_ops(&mut dev, 10);
    first.extend((0..300).map(|n| visit_op(&mut dev, n, 10)));
    // The cadre turns out to have become one only in 2025: visits of 2024 are no longer hers.
    let mut second = vec![dev.op(
        "person",
        id(CADRE_ID),
        false,
        json!({"roles": [{"role": "cadre", "from": "2025-01-01"}]}),
        COUNTY,
    )];
    second.extend((300..600).map(|n| visit_op(&mut dev, n, 10)));
    let third: Vec<_> = (600..900).map(|n| visit_op(&mut dev, n, 10)).collect();
    for (i, ops) in [first, second, third].into_iter().enumerate() {
        let req = dev.push(ops);
        let p = parallel
            .push(req.clone(), &Actor::local(T0_MS))
            .expect("push");
        let m = memory.push(req, &Actor::local(T0_MS)).expect("push");
        same(&p, &m, &format!("batch {i}"));
        let refused = p.results.iter().filter(|r| r.reason.is_some()).count();
        assert_eq!(refused, if i == 0 { 0 } else { 300 }, "batch {i}");
    }
    compare(&parallel, &memory);
}
