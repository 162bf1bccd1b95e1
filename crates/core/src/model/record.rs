//! [`Record`]: any one record of a dataset, for saving, validating or syncing one at a time.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::area::{Area, Person, Post, Unit};
use crate::model::household::{Household, Member, Pairing};
use crate::model::income::IncomeRecord;
use crate::model::visit::{Contact, SignReplacement, Visit};
use crate::model::work::{
    ConsumptionPurchase, Evaluation, LedgerSubmission, Measure, Plan, PurchaseEvent,
};

/// One record of any entity. JSON: `{"entity": "visit", "record": {…}}`.
// Records are handled one at a time (never in large arrays), so the size difference between a visit
// and a unit costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entity", content = "record", rename_all = "snake_case")]
pub enum Record {
    Area(Area),
    Unit(Unit),
    Post(Post),
    Person(Person),
    Household(Household),
    Member(Member),
    Pairing(Pairing),
    Visit(Visit),
    Contact(Contact),
    IncomeRecord(IncomeRecord),
    Evaluation(Evaluation),
    Measure(Measure),
    Plan(Plan),
    ConsumptionPurchase(ConsumptionPurchase),
    PurchaseEvent(PurchaseEvent),
    SignReplacement(SignReplacement),
    LedgerSubmission(LedgerSubmission),
}

impl Record {
    /// The entity name as used in JSON, SQL table names (plural `s`) and error messages.
    pub fn entity(&self) -> &'static str {
        match self {
            Record::Area(_) => "area",
            Record::Unit(_) => "unit",
            Record::Post(_) => "post",
            Record::Person(_) => "person",
            Record::Household(_) => "household",
            Record::Member(_) => "member",
            Record::Pairing(_) => "pairing",
            Record::Visit(_) => "visit",
            Record::Contact(_) => "contact",
            Record::IncomeRecord(_) => "income_record",
            Record::Evaluation(_) => "evaluation",
            Record::Measure(_) => "measure",
            Record::Plan(_) => "plan",
            Record::ConsumptionPurchase(_) => "consumption_purchase",
            Record::PurchaseEvent(_) => "purchase_event",
            Record::SignReplacement(_) => "sign_replacement",
            Record::LedgerSubmission(_) => "ledger_submission",
        }
    }

    /// The record's id.
    pub fn id(&self) -> Uuid {
        match self {
            Record::Area(r) => r.id,
            Record::Unit(r) => r.id,
            Record::Post(r) => r.id,
            Record::Person(r) => r.id,
            Record::Household(r) => r.id,
            Record::Member(r) => r.id,
            Record::Pairing(r) => r.id,
            Record::Visit(r) => r.id,
            Record::Contact(r) => r.id,
            Record::IncomeRecord(r) => r.id,
            Record::Evaluation(r) => r.id,
            Record::Measure(r) => r.id,
            Record::Plan(r) => r.id,
            Record::ConsumptionPurchase(r) => r.id,
            Record::PurchaseEvent(r) => r.id,
            Record::SignReplacement(r) => r.id,
            Record::LedgerSubmission(r) => r.id,
        }
    }

    /// Whether the entity is append-only (a correction is a new record, never an edit in place).
    pub fn is_append_only(&self) -> bool {
        matches!(
            self,
            Record::Visit(_) | Record::Contact(_) | Record::IncomeRecord(_) | Record::Evaluation(_)
        )
    }
}
