//! The end-of-test checks: every replica shows the same state, nothing was lost, nothing was stored
//! twice.

use std::collections::{BTreeMap, HashMap, HashSet};

use bangfu_core::Dataset;
use bangfu_core::sync::wire::FeedEntry;
use bangfu_core::sync::{DeviceStore, EntityState, Operation};
use bangfu_server::{EntityKey, EntitySnapshot, PullQuery, SyncStorage};
use bangfu_store::Store;

use crate::fixtures::Phone;

/// What every replica must agree on for one record, from a device's merge state.
pub fn snapshot_of(state: &EntityState) -> EntitySnapshot {
    EntitySnapshot {
        winners: state.winners(),
        conflicts: state
            .conflicts()
            .map(|(f, heads)| (f.to_owned(), heads.to_vec()))
            .collect(),
    }
}

/// Every record's snapshot on a device.
pub fn device_snapshots(store: &Store) -> BTreeMap<EntityKey, EntitySnapshot> {
    store
        .entity_states()
        .expect("entity states")
        .iter()
        .map(|(k, s)| (k.clone(), snapshot_of(s)))
        .collect()
}

/// A conflict as `(entity, id, field, heads' op ids)`, comparable across tiers.
pub type ConflictKey = (String, uuid::Uuid, String, Vec<uuid::Uuid>);

/// The server's conflicts, sorted.
pub fn server_conflicts(storage: &dyn SyncStorage) -> Vec<ConflictKey> {
    let mut out: Vec<ConflictKey> = storage
        .conflicts()
        .expect("server conflicts")
        .into_iter()
        .map(|c| {
            let mut heads: Vec<_> = c.heads.iter().map(|h| h.op_id).collect();
            heads.sort();
            (c.entity, c.entity_id, c.field, heads)
        })
        .collect();
    out.sort();
    out
}

/// A device's conflicts, sorted.
pub fn device_conflicts(store: &Store) -> Vec<ConflictKey> {
    let mut out: Vec<ConflictKey> = store
        .conflicts()
        .expect("device conflicts")
        .into_iter()
        .map(|c| {
            let mut heads: Vec<_> = c.heads.iter().map(|h| h.op_id).collect();
            heads.sort();
            (c.entity, c.entity_id, c.field, heads)
        })
        .collect();
    out.sort();
    out
}

/// The whole feed of a storage.
pub fn server_feed(storage: &dyn SyncStorage, now_ms: u64) -> Vec<FeedEntry> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = storage
            .pull(&PullQuery::new(after, 10_000, now_ms))
            .expect("pull the feed");
        out.extend(page.entries);
        assert!(page.cursor >= after, "the feed cursor went back");
        after = page.cursor;
        if !page.has_more {
            return out;
        }
    }
}

/// Every operation made (`made`) is in the feed exactly once, in its made form, and the feed
/// holds nothing else; positions are unique and ascending. Returns the feed's last position.
pub fn assert_feed_exactly_once(feed: &[FeedEntry], made: &[&Operation]) -> u64 {
    let mut count: HashMap<uuid::Uuid, usize> = HashMap::new();
    for e in feed {
        *count.entry(e.op.op_id).or_default() += 1;
    }
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "operations in the feed more than once: {twice:?}"
    );
    let by_id: HashMap<uuid::Uuid, &Operation> = feed.iter().map(|e| (e.op.op_id, &e.op)).collect();
    let mut lost = Vec::new();
    for op in made {
        match by_id.get(&op.op_id) {
            None => lost.push((op.origin_device, op.origin_seq, op.entity.clone())),
            Some(stored) => assert_eq!(*stored, *op, "operation {} changed on its way", op.op_id),
        }
    }
    assert!(lost.is_empty(), "{} operations lost: {lost:?}", lost.len());
    let made_ids: HashSet<_> = made.iter().map(|o| o.op_id).collect();
    let extra: Vec<_> = feed
        .iter()
        .filter(|e| !made_ids.contains(&e.op.op_id))
        .map(|e| e.op.op_id)
        .collect();
    assert!(extra.is_empty(), "operations nobody made: {extra:?}");
    let mut prev = 0;
    for e in feed {
        assert!(
            e.server_seq > prev,
            "feed positions not ascending at {}",
            e.server_seq
        );
        prev = e.server_seq;
    }
    prev
}

/// Every value a phone ever wrote is kept in `store`'s history of its record (the op log), whether
/// it is the value shown, one of a conflict's values, or overwritten.
pub fn assert_every_value_kept(store: &Store, made: &[&Operation]) {
    let mut by_entity: BTreeMap<(&str, uuid::Uuid), Vec<&Operation>> = BTreeMap::new();
    for op in made {
        by_entity
            .entry((op.entity.as_str(), op.entity_id))
            .or_default()
            .push(op);
    }
    let states = store.entity_states().expect("entity states");
    let state_of: HashMap<(&str, uuid::Uuid), &EntityState> = states
        .iter()
        .map(|((entity, id), s)| ((entity.as_str(), *id), s))
        .collect();
    for ((entity, id), ops) in by_entity {
        let history = store.history(entity, id).expect("history");
        let held: HashMap<uuid::Uuid, &Operation> = history.iter().map(|o| (o.op_id, o)).collect();
        let state = state_of
            .get(&(entity, id))
            .unwrap_or_else(|| panic!("record {id} has no merge state"));
        for op in ops {
            let kept = held.get(&op.op_id).unwrap_or_else(|| {
                panic!(
                    "operation {} of {} {id} not in the history",
                    op.op_id, op.entity
                )
            });
            for (field, value) in &op.fields {
                assert_eq!(
                    kept.fields.get(field),
                    Some(value),
                    "value of {} {id}.{field} changed in the history",
                    op.entity
                );
                // Shown (as the winner or one of a conflict's values) or replaced by a write that
                // named it: never silently dropped.
                let f = state.fields.get(field).unwrap_or_else(|| {
                    panic!("{} {id} has no merge state for field {field}", op.entity)
                });
                let head = f.heads.iter().any(|h| h.op_id == op.op_id);
                let superseded = f.superseded.binary_search(&op.op_id).is_ok();
                assert!(
                    head || superseded,
                    "value of {} {id}.{field} by {} is neither shown nor replaced",
                    op.entity,
                    op.op_id
                );
            }
        }
    }
}

/// Every list of a dataset sorted by id (load order is insertion order, which differs between
/// replicas that received operations in different orders).
pub fn normalised(mut ds: Dataset) -> Dataset {
    ds.areas.sort_by_key(|r| r.id);
    ds.units.sort_by_key(|r| r.id);
    ds.posts.sort_by_key(|r| r.id);
    ds.people.sort_by_key(|r| r.id);
    ds.households.sort_by_key(|r| r.id);
    ds.members.sort_by_key(|r| r.id);
    ds.pairings.sort_by_key(|r| r.id);
    ds.visits.sort_by_key(|r| r.id);
    ds.contacts.sort_by_key(|r| r.id);
    ds.income_records.sort_by_key(|r| r.id);
    ds.evaluations.sort_by_key(|r| r.id);
    ds.measures.sort_by_key(|r| r.id);
    ds.plans.sort_by_key(|r| r.id);
    ds.consumption_purchases.sort_by_key(|r| r.id);
    ds.purchase_events.sort_by_key(|r| r.id);
    ds.sign_replacements.sort_by_key(|r| r.id);
    ds.ledger_submissions.sort_by_key(|r| r.id);
    ds
}

/// The full convergence check of phones against the server's storage: the feed holds every
/// operation any phone made exactly once (and nothing else), nothing was refused, every phone has
/// pushed and pulled everything, and every phone shows exactly the server's merged state (winners
/// and conflicts), the same merge states (superseded sets included) and the same typed records as
/// the others, with every value ever written kept. Returns the number of fields in conflict.
pub fn assert_converged(phones: &[Phone], storage: &dyn SyncStorage, now_ms: u64) -> usize {
    let made: Vec<&Operation> = phones.iter().flat_map(|p| p.made.iter()).collect();
    let feed = server_feed(storage, now_ms);
    let end = assert_feed_exactly_once(&feed, &made);
    let refused = storage.rejected(None).expect("rejected");
    assert!(
        refused.is_empty(),
        "the server refused operations: {:?}",
        refused
            .iter()
            .map(|r| (&r.code, &r.message))
            .collect::<Vec<_>>()
    );
    for p in phones {
        assert_eq!(
            storage.device_seq(p.store.device_id()).expect("device seq"),
            p.made.len() as u64,
            "server's device_seq of phone {}",
            p.n
        );
    }
    let server_states = storage.entity_states().expect("server states");
    let server_conflicts = server_conflicts(storage);
    let first_states = phones[0].store.entity_states().expect("states");
    let first_content = normalised(phones[0].store.load_dataset().expect("dataset"));
    for p in phones {
        let s = &p.store;
        assert_eq!(
            s.pending_count().expect("pending"),
            0,
            "phone {} has unsynced operations",
            p.n
        );
        assert_eq!(
            DeviceStore::cursor(s).expect("cursor"),
            end,
            "phone {} did not pull everything",
            p.n
        );
        assert!(
            s.rejected_ops().expect("rejected").is_empty(),
            "phone {}: refused operations",
            p.n
        );
        assert!(
            s.unmaterialized().expect("unmaterialized").is_empty(),
            "phone {}: records not written to its tables",
            p.n
        );
        let snaps = device_snapshots(s);
        if snaps != server_states {
            let diff: Vec<_> = snaps
                .keys()
                .chain(server_states.keys())
                .filter(|k| snaps.get(*k) != server_states.get(*k))
                .take(5)
                .map(|k| (k, snaps.get(k), server_states.get(k)))
                .collect();
            panic!("phone {} differs from the server: {diff:#?}", p.n);
        }
        assert_eq!(
            device_conflicts(s),
            server_conflicts,
            "phone {}: conflicts",
            p.n
        );
        assert!(
            s.entity_states().expect("states") == first_states,
            "phone {} and phone {}: merge states differ",
            p.n,
            phones[0].n
        );
        assert!(
            normalised(s.load_dataset().expect("dataset")) == first_content,
            "phone {} and phone {}: typed records differ",
            p.n,
            phones[0].n
        );
        assert_every_value_kept(s, &made);
    }
    server_conflicts.len()
}
