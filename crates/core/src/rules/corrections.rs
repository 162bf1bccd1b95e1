//! Corrections of append-only records. Visits, contacts, income records and evaluations are never
//! edited: a correction is a new record whose `corrects` names the one it replaces, and from then
//! on only the new one counts. The records that count are the records *in force*: those that no
//! other record of the same list corrects.

use std::collections::HashSet;

use uuid::Uuid;

use crate::model::income::IncomeRecord;
use crate::model::visit::{Contact, Visit};
use crate::model::work::Evaluation;

/// An append-only record that may correct another of its kind.
pub trait Correctable {
    /// The record's id.
    fn record_id(&self) -> Uuid;
    /// The id of the record this one corrects, if it is a correction.
    fn corrected_id(&self) -> Option<Uuid>;
}

impl Correctable for Visit {
    fn record_id(&self) -> Uuid {
        self.id
    }
    fn corrected_id(&self) -> Option<Uuid> {
        self.corrects
    }
}

impl Correctable for Contact {
    fn record_id(&self) -> Uuid {
        self.id
    }
    fn corrected_id(&self) -> Option<Uuid> {
        self.corrects
    }
}

impl Correctable for IncomeRecord {
    fn record_id(&self) -> Uuid {
        self.id
    }
    fn corrected_id(&self) -> Option<Uuid> {
        self.corrects
    }
}

impl Correctable for Evaluation {
    fn record_id(&self) -> Uuid {
        self.id
    }
    fn corrected_id(&self) -> Option<Uuid> {
        self.corrects
    }
}

/// The ids of the records of `items` that another record of `items` corrects: they no longer
/// count.
pub fn corrected<T: Correctable>(items: &[T]) -> HashSet<Uuid> {
    items.iter().filter_map(Correctable::corrected_id).collect()
}

/// The records of `items` in force (those no other record of `items` corrects), in their order.
pub fn in_force<T: Correctable>(items: &[T]) -> impl Iterator<Item = &T> {
    let corrected = corrected(items);
    items
        .iter()
        .filter(move |r| !corrected.contains(&r.record_id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct R(u128, Option<u128>);

    impl Correctable for R {
        fn record_id(&self) -> Uuid {
            Uuid::from_u128(self.0)
        }
        fn corrected_id(&self) -> Option<Uuid> {
            self.1.map(Uuid::from_u128)
        }
    }

    #[test]
    fn a_corrected_record_is_no_longer_in_force_and_a_chain_keeps_its_last() {
        let items = [R(1, None), R(2, Some(1)), R(3, Some(2)), R(4, None)];
        let ids: Vec<u128> = in_force(&items).map(|r| r.0).collect();
        assert_eq!(ids, [3, 4]);
        assert_eq!(
            corrected(&items),
            HashSet::from([Uuid::from_u128(1), Uuid::from_u128(2)])
        );
    }
}
