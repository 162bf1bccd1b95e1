//! bangfu's domain core: the model of paired assistance (结对帮扶), its validation, the working-day
//! calendar and the rules engine of `spec/rules.md`.
//!
//! Architecture invariant: this crate does no I/O — no files, no network, no clock. Every date,
//! instant and id it needs is passed in, so it cannot fail on I/O.

pub mod calendar;
pub mod idnumber;
pub mod income;
pub mod model;
pub mod rules;
pub mod sync;
pub mod validate;

pub use calendar::{Month, Quarter, WorkingDays};
pub use model::area::{Area, AreaLevel, Person, Post, Role, RoleGrant, Unit};
pub use model::dataset::{DATASET_FORMAT, DATASET_VERSION, Dataset, Settings};
pub use model::household::{
    Assistance, ClassPeriod, Household, HouseholdClass, LabourAbility, MedicalInsurance, Member,
    MonitoredKind, Pairing, PairingEndReason, Risk, SchoolStage,
};
pub use model::income::{Fen, IncomeCategory, IncomeItem, IncomeRecord, MonitoringLine};
pub use model::json::{DatasetJsonError, dataset_from_json, dataset_to_json};
pub use model::record::Record;
pub use model::visit::{
    Check, CheckItem, CheckStatus, Checks, Contact, ContactChannel, GeoPoint, SignReplacement,
    Tidiness, Visit,
};
pub use model::work::{
    ConsumptionPurchase, Evaluation, EvaluationOutcome, LedgerSubmission, Measure, MeasureKind,
    MeasureStatus, Plan, PurchaseEvent, PurchaseEventKind,
};
