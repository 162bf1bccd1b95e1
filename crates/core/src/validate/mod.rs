//! Validation of records and whole datasets.
//!
//! [`validate_record`] checks one record (its own fields, then its references through [`Refs`]);
//! [`validate_dataset`] checks a whole dataset in linear time: its header and settings, unique ids,
//! then every record through the very same per-entity checks, with borrowed lookups
//! ([`DatasetRefs`]) instead of copies.
//!
//! Every [`ValidationError`] names the entity, the record, the field and a stable
//! [`code`](codes), with an English and a Simplified Chinese message saying what is wrong and what
//! to do. Messages never contain the checked value: no names, ID numbers, phone numbers or sums.
//!
//! Code map: `sink` (collecting errors, shared field checks), `lookup` (references), `org` (areas,
//! units, posts, people), `household` (households, members, pairings), `visit` (visits, contacts,
//! signs), `work` (income, evaluations, measures, plans, purchases, ledgers), `dataset` (header,
//! settings, monitoring lines, uniqueness).

use serde::Serialize;
use uuid::Uuid;

use crate::model::area::{Area, Person, Post, Unit};
use crate::model::dataset::Dataset;
use crate::model::household::{Household, Pairing};
use crate::model::record::Record;

pub mod codes;
mod dataset;
mod household;
mod lookup;
mod org;
mod sink;
mod visit;
mod work;

#[cfg(test)]
mod tests;

pub use lookup::DatasetRefs;
pub use sink::MAX_ERRORS;

/// Longest reason of a correction (`Visit::correction_reason`), in characters.
pub const MAX_CORRECTION_REASON_CHARS: usize = 500;

use lookup::{Lookup, ViaRefs};
use sink::Sink;

/// One thing wrong with one field of one record. The messages never contain personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{entity} {record_id}: field `{field}`: {message}")]
pub struct ValidationError {
    /// Entity name (`visit`, `household`, …); `dataset` for the header and settings,
    /// `monitoring_line` for a monitoring line (which has no id: `record_id` is nil and `field`
    /// says which line, `monitoring_lines[3].year`).
    pub entity: &'static str,
    /// The record's id.
    pub record_id: Uuid,
    /// The field, with a path inside the record where needed (`members[2].id_number`).
    pub field: String,
    /// Stable code for programs and the UI (`id_number_checksum`, `unknown_household`, …), one of
    /// [`codes`].
    pub code: &'static str,
    /// English, for logs and the command line.
    pub message: String,
    /// Simplified Chinese, for the UI: what is wrong and what to do.
    pub message_zh: String,
}

/// The records another record refers to, as the validator needs them. Implemented by
/// [`DatasetRefs`] for a whole dataset and by the store for one record at a time.
pub trait Refs {
    fn area(&self, id: Uuid) -> Option<Area>;
    fn unit(&self, id: Uuid) -> Option<Unit>;
    fn post(&self, id: Uuid) -> Option<Post>;
    fn person(&self, id: Uuid) -> Option<Person>;
    fn household(&self, id: Uuid) -> Option<Household>;
    fn pairing(&self, id: Uuid) -> Option<Pairing>;
    /// Whether a record of `entity` with `id` exists (for `corrects`, `plan_id`, …).
    fn exists(&self, entity: &'static str, id: Uuid) -> bool;
}

/// Checks one record: its own fields, then its references through `refs`.
pub fn validate_record(record: &Record, refs: &dyn Refs) -> Result<(), Vec<ValidationError>> {
    let mut sink = Sink::default();
    check_record(record, &ViaRefs(refs), &mut sink);
    sink.finish()
}

/// Checks every record of a dataset (and the dataset's header and settings). Returns every error
/// found, at most [`MAX_ERRORS`] of them (then a last `too_many_errors` entry).
pub fn validate_dataset(dataset: &Dataset) -> Result<(), Vec<ValidationError>> {
    let mut sink = Sink::default();
    dataset::check(dataset, &mut sink);
    sink.finish()
}

fn check_record<L: Lookup + ?Sized>(record: &Record, refs: &L, sink: &mut Sink) {
    match record {
        Record::Area(r) => org::area(r, refs, sink),
        Record::Unit(r) => org::unit(r, sink),
        Record::Post(r) => org::post(r, refs, sink),
        Record::Person(r) => org::person(r, refs, sink),
        Record::Household(r) => household::household(r, refs, sink),
        Record::Member(r) => household::member(r, refs, sink),
        Record::Pairing(r) => household::pairing(r, refs, sink),
        Record::Visit(r) => visit::visit(r, refs, sink),
        Record::Contact(r) => visit::contact(r, refs, sink),
        Record::SignReplacement(r) => visit::sign_replacement(r, refs, sink),
        Record::IncomeRecord(r) => work::income_record(r, refs, sink),
        Record::Evaluation(r) => work::evaluation(r, refs, sink),
        Record::Measure(r) => work::measure(r, refs, sink),
        Record::Plan(r) => work::plan(r, refs, sink),
        Record::ConsumptionPurchase(r) => work::consumption_purchase(r, refs, sink),
        Record::PurchaseEvent(r) => work::purchase_event(r, refs, sink),
        Record::LedgerSubmission(r) => work::ledger_submission(r, refs, sink),
    }
}
