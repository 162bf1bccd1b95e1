//! A whole dataset as creating operations of one device: how a county's lists (or the demo
//! county) enter a sync server. Pure: ids and times are passed in.
//!
//! Every record gets its `scope_path` ([`ScopePaths::of`]): an area its own codes path
//! (`county/township/village`), everything of one household the village path plus
//! `/h:<household id>`, everything else (units, posts, people, purchase events, ledger
//! submissions) the county path. The operations come in dependency order, so that a server
//! checking each against what is stored before it accepts them all in one pass.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use uuid::Uuid;

use super::Hlc;
use super::op::{OP_SCHEMA_VERSION, Operation};
use crate::{Dataset, Record};

/// Scope paths of a dataset's records.
#[derive(Debug, Default)]
pub struct ScopePaths {
    /// Area id → its codes path.
    areas: HashMap<Uuid, String>,
    /// Household id → its path (`…/h:<id>`).
    households: HashMap<Uuid, String>,
    /// Pairing id → household id.
    pairings: HashMap<Uuid, Uuid>,
    county: String,
}

impl ScopePaths {
    /// Indexes `ds`. Areas whose parent is missing are rooted where they are.
    pub fn new(ds: &Dataset) -> ScopePaths {
        let by_id: HashMap<Uuid, &crate::Area> = ds.areas.iter().map(|a| (a.id, a)).collect();
        let mut areas = HashMap::new();
        for a in &ds.areas {
            let mut codes = vec![a.code.as_str()];
            let mut parent = a.parent_id;
            // Bounded: a cycle in bad data must not loop forever.
            for _ in 0..8 {
                let Some(p) = parent.and_then(|p| by_id.get(&p)) else {
                    break;
                };
                codes.push(p.code.as_str());
                parent = p.parent_id;
            }
            codes.reverse();
            areas.insert(a.id, codes.join("/"));
        }
        let county = ds
            .areas
            .iter()
            .find(|a| a.parent_id.is_none())
            .map(|a| a.code.clone())
            .unwrap_or_default();
        let households = ds
            .households
            .iter()
            .map(|h| {
                let village = areas
                    .get(&h.village_id)
                    .cloned()
                    .unwrap_or_else(|| county.clone());
                (h.id, format!("{village}/h:{}", h.id))
            })
            .collect();
        let pairings = ds.pairings.iter().map(|p| (p.id, p.household_id)).collect();
        ScopePaths {
            areas,
            households,
            pairings,
            county,
        }
    }

    fn household(&self, h: Uuid) -> String {
        self.households
            .get(&h)
            .cloned()
            .unwrap_or_else(|| format!("{}/h:{h}", self.county))
    }

    /// The scope path of `record`.
    pub fn of(&self, record: &Record) -> String {
        match record {
            Record::Area(a) => self
                .areas
                .get(&a.id)
                .cloned()
                .unwrap_or_else(|| a.code.clone()),
            Record::Household(h) => self.household(h.id),
            Record::Member(r) => self.household(r.household_id),
            Record::Pairing(r) => self.household(r.household_id),
            Record::Visit(r) => self.household(r.household_id),
            Record::Contact(r) => self.household(r.household_id),
            Record::IncomeRecord(r) => self.household(r.household_id),
            Record::Evaluation(r) => self.household(r.household_id),
            Record::Measure(r) => self.household(r.household_id),
            Record::Plan(r) => self.household(r.household_id),
            Record::SignReplacement(r) => {
                let h = self
                    .pairings
                    .get(&r.pairing_id)
                    .copied()
                    .unwrap_or(r.household_id);
                self.household(h)
            }
            Record::ConsumptionPurchase(r) => match r.household_id {
                Some(h) => self.household(h),
                None => self.county.clone(),
            },
            Record::Unit(_)
            | Record::Post(_)
            | Record::Person(_)
            | Record::PurchaseEvent(_)
            | Record::LedgerSubmission(_) => self.county.clone(),
        }
    }
}

/// Every record of `ds` in dependency order (areas parents first; plans before the measures that
/// name them; purchase events before purchases).
pub fn records_in_order(ds: &Dataset) -> Vec<Record> {
    let mut areas = ds.areas.clone();
    // Parents first: by depth.
    let depth = |a: &crate::Area| {
        let mut d = 0;
        let mut p = a.parent_id;
        while let Some(id) = p {
            d += 1;
            p = ds
                .areas
                .iter()
                .find(|x| x.id == id)
                .and_then(|x| x.parent_id);
            if d > 8 {
                break;
            }
        }
        d
    };
    areas.sort_by_key(depth);
    let mut out: Vec<Record> = areas.into_iter().map(Record::Area).collect();
    out.extend(ds.units.iter().cloned().map(Record::Unit));
    out.extend(ds.posts.iter().cloned().map(Record::Post));
    out.extend(ds.people.iter().cloned().map(Record::Person));
    out.extend(ds.households.iter().cloned().map(Record::Household));
    out.extend(ds.members.iter().cloned().map(Record::Member));
    out.extend(ds.pairings.iter().cloned().map(Record::Pairing));
    out.extend(ds.visits.iter().cloned().map(Record::Visit));
    out.extend(ds.contacts.iter().cloned().map(Record::Contact));
    out.extend(ds.income_records.iter().cloned().map(Record::IncomeRecord));
    out.extend(ds.evaluations.iter().cloned().map(Record::Evaluation));
    out.extend(ds.plans.iter().cloned().map(Record::Plan));
    out.extend(ds.measures.iter().cloned().map(Record::Measure));
    out.extend(
        ds.purchase_events
            .iter()
            .cloned()
            .map(Record::PurchaseEvent),
    );
    out.extend(
        ds.consumption_purchases
            .iter()
            .cloned()
            .map(Record::ConsumptionPurchase),
    );
    out.extend(
        ds.sign_replacements
            .iter()
            .cloned()
            .map(Record::SignReplacement),
    );
    out.extend(
        ds.ledger_submissions
            .iter()
            .cloned()
            .map(Record::LedgerSubmission),
    );
    out
}

/// Who imports, and when.
#[derive(Debug, Clone, Copy)]
pub struct ImportStamp {
    pub device: Uuid,
    pub author: Uuid,
    /// The first `origin_seq` to use (1 for a fresh device).
    pub first_seq: u64,
    /// HLC wall time of the first operation; each next one is 1 ms later.
    pub wall_ms: u64,
    pub recorded_at: DateTime<FixedOffset>,
}

/// The creating operations of every record of `ds`, in dependency order. `new_id` gives each
/// operation its id (UUIDv7 in production).
pub fn dataset_operations(
    ds: &Dataset,
    stamp: ImportStamp,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Vec<Operation> {
    let paths = ScopePaths::new(ds);
    records_in_order(ds)
        .iter()
        .enumerate()
        .map(|(i, r)| Operation {
            op_id: new_id(),
            origin_device: stamp.device,
            origin_seq: stamp.first_seq + i as u64,
            hlc: Hlc::new(stamp.wall_ms + i as u64, 0),
            entity: r.entity().to_owned(),
            entity_id: r.id(),
            create: true,
            fields: Operation::fields_of(r),
            base: Default::default(),
            scope_path: paths.of(r),
            schema_version: OP_SCHEMA_VERSION,
            author: stamp.author,
            recorded_at: stamp.recorded_at,
        })
        .collect()
}
