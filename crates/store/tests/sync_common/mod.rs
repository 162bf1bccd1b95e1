//! Helpers of the sync tests: stores with fixed device ids, records from the complete dataset
//! turned into operations, feeds, and a dataset normalised for comparison.
#![allow(dead_code)]

use bangfu_core::sync::Operation;
use bangfu_core::sync::import::records_in_order;
use bangfu_core::sync::wire::FeedEntry;
use bangfu_core::{Dataset, Record, Settings};
use bangfu_store::{Store, StoreError};
use chrono::{DateTime, FixedOffset};
use uuid::Uuid;

use crate::common::{self, d};

/// 2024-05-01T00:00:00Z in ms.
pub const T0: u64 = 1_714_521_600_000;

pub fn device(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_00de_0000_0000 | n)
}

pub fn author() -> Uuid {
    common::ids::first_secretary()
}

/// An empty store (settings only, so that `load_dataset` works) with device id `device(n)`.
pub fn store(n: u128) -> Store {
    let mut s = Store::open_in_memory().expect("open");
    s.save_dataset(&Dataset::empty(Settings::with_tracking_start(d(
        "2024-01-01",
    ))))
    .expect("settings");
    s.init_device(device(n)).expect("device id");
    s
}

/// A household id a record belongs to, if any.
pub fn household_of(r: &Record) -> Option<Uuid> {
    Operation::fields_of(r)
        .get("household_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .or_else(|| matches!(r, Record::Household(_)).then(|| r.id()))
}

/// The scope path of a record: county/township/village[/h:household].
pub fn scope_of(r: &Record) -> String {
    match household_of(r) {
        Some(h) => format!("360722/360722100/360722100201/h:{h}"),
        None => "360722".to_owned(),
    }
}

pub fn recorded_at(ms: u64) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("offset");
    DateTime::from_timestamp_millis(ms as i64)
        .expect("instant")
        .with_timezone(&tz)
}

/// Records a change at wall time `ms`.
pub fn change(s: &mut Store, r: &Record, ms: u64) -> Result<Option<Operation>, StoreError> {
    s.record_change(r, author(), &scope_of(r), ms, recorded_at(ms))
}

/// Records every record of the complete dataset (referenced records first), returns the ops.
pub fn record_complete_dataset(s: &mut Store, start_ms: u64) -> Vec<Operation> {
    let mut pending = records_in_order(&common::complete_dataset());
    let mut out = Vec::new();
    let mut ms = start_ms;
    while !pending.is_empty() {
        let before = pending.len();
        let mut later = Vec::new();
        for r in pending {
            ms += 1_000;
            match change(s, &r, ms) {
                Ok(Some(op)) => out.push(op),
                Ok(None) => panic!("nothing to record for {} {}", r.entity(), r.id()),
                Err(StoreError::Invalid(_)) => later.push(r),
                Err(e) => panic!("{} {}: {e}", r.entity(), r.id()),
            }
        }
        assert!(
            later.len() < before,
            "records that never validate: {later:?}"
        );
        pending = later;
    }
    out
}

/// A feed of `ops` with server positions from `first_seq`.
pub fn feed(ops: &[Operation], first_seq: u64) -> Vec<FeedEntry> {
    ops.iter()
        .enumerate()
        .map(|(i, op)| FeedEntry::new(first_seq + i as u64, op.clone()))
        .collect()
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

/// The typed content of a store, normalised.
pub fn content(s: &Store) -> Dataset {
    normalised(s.load_dataset().expect("load"))
}

/// Rows of a table (through the read-only connection).
pub fn count(s: &Store, table: &str) -> i64 {
    s.connection()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

/// A visit operation that carries the id of household `ids::lifted()` (another device's, or a
/// server's before it refused such ids).
pub fn visit_with_the_households_id(ops: &[Operation]) -> (Operation, bangfu_core::Visit) {
    let mut visit = common::new_visit(
        0,
        common::ids::monitored(),
        common::ids::cadre_a(),
        "2024-07-08T09:00:00+08:00",
    );
    visit.id = common::ids::lifted();
    let mut op = ops
        .iter()
        .find(|o| o.entity == "visit" && o.create)
        .expect("a visit creation")
        .clone();
    op.op_id = common::id(0xfa);
    op.origin_device = device(9);
    op.origin_seq = 1;
    op.entity_id = visit.id;
    op.fields = Operation::fields_of(&Record::Visit(visit.clone()));
    op.scope_path = scope_of(&Record::Visit(visit.clone()));
    (op, visit)
}
