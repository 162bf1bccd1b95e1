//! The queries the field app's screens ask of the store, typed: which households a person sees
//! ([`HouseholdScope`]), a page of the household list, the few lookups the household page and
//! the rules engine's slice of the store need. Every value is a bound parameter; no SQL leaves
//! this crate.
//!
//! - [`scope`]: [`HouseholdScope`] and whether a household is in it; the villages of a township;
//!   the people working in a village.
//! - [`households`]: the household list, a page at a time, searchable; a household's last visit.
//! - [`records`]: a household's measures; the monitoring lines.
//! - [`units`]: the assisting units of a village (R6: whom the first secretary may pair).

pub mod households;
pub mod records;
pub mod scope;
pub mod units;

pub use households::{HouseholdIdPage, HouseholdListQuery};
pub use scope::HouseholdScope;

use rusqlite::types::Value;

/// SQL text with its numbered parameters, bound as they are written in.
#[derive(Debug, Default)]
struct Bound {
    params: Vec<Value>,
}

impl Bound {
    /// Adds a parameter and returns its placeholder (`?1`, `?2`, …) to write into the SQL.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.params.push(value.into());
        format!("?{}", self.params.len())
    }

    fn params(&self) -> rusqlite::ParamsFromIter<std::slice::Iter<'_, Value>> {
        rusqlite::params_from_iter(self.params.iter())
    }
}
