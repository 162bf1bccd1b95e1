//! The dataset: the interchange format of the whole system (see `docs/dataset.md`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::area::{Area, Person, Post, Unit};
use crate::model::household::{Household, Member, Pairing};
use crate::model::income::{IncomeRecord, MonitoringLine};
use crate::model::visit::{Contact, SignReplacement, Visit};
use crate::model::work::{
    ConsumptionPurchase, Evaluation, LedgerSubmission, Measure, Plan, PurchaseEvent,
};

/// The value of [`Dataset::format`].
pub const DATASET_FORMAT: &str = "bangfu-dataset";
/// The version of the dataset JSON this build reads and writes.
pub const DATASET_VERSION: u32 = 1;

/// Thresholds of the rules engine that a county sets (never constants in code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The first day the county keeps its records in bangfu: no obligation is owed for a period
    /// that ended before it.
    pub tracking_start: NaiveDate,
    /// D3: a quarter's net income this many percent below the previous quarter's (or the same
    /// quarter a year earlier) raises an alert.
    pub income_drop_percent: u32,
    /// D3: a quarter's rigid expense this many percent above the previous quarter's raises an alert …
    pub rigid_expense_jump_percent: u32,
    /// … provided the rise is at least this much (small sums are noise).
    pub rigid_expense_jump_min_fen: i64,
    /// R6: working days the first secretary has to arrange a pairing for a new monitored household.
    pub r6_pairing_due_working_days: u32,
    /// Division code of the province, used to find the monitoring line (`360000` for Jiangxi).
    pub province_code: String,
}

impl Settings {
    /// Defaults for a county starting to track on `tracking_start`.
    pub fn with_tracking_start(tracking_start: NaiveDate) -> Self {
        Settings {
            tracking_start,
            income_drop_percent: 30,
            rigid_expense_jump_percent: 50,
            rigid_expense_jump_min_fen: 500_000,
            r6_pairing_due_working_days: 10,
            province_code: "360000".to_owned(),
        }
    }
}

/// Everything the rules engine looks at, for one county (or part of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Always [`DATASET_FORMAT`].
    pub format: String,
    /// [`DATASET_VERSION`] of the build that wrote it.
    pub version: u32,
    pub settings: Settings,
    pub areas: Vec<Area>,
    pub units: Vec<Unit>,
    pub posts: Vec<Post>,
    pub people: Vec<Person>,
    pub households: Vec<Household>,
    pub members: Vec<Member>,
    pub pairings: Vec<Pairing>,
    pub visits: Vec<Visit>,
    pub contacts: Vec<Contact>,
    pub income_records: Vec<IncomeRecord>,
    pub evaluations: Vec<Evaluation>,
    pub measures: Vec<Measure>,
    pub plans: Vec<Plan>,
    pub consumption_purchases: Vec<ConsumptionPurchase>,
    pub purchase_events: Vec<PurchaseEvent>,
    pub sign_replacements: Vec<SignReplacement>,
    pub ledger_submissions: Vec<LedgerSubmission>,
    pub monitoring_lines: Vec<MonitoringLine>,
}

impl Dataset {
    /// An empty dataset with default settings.
    pub fn empty(settings: Settings) -> Self {
        Dataset {
            format: DATASET_FORMAT.to_owned(),
            version: DATASET_VERSION,
            settings,
            areas: Vec::new(),
            units: Vec::new(),
            posts: Vec::new(),
            people: Vec::new(),
            households: Vec::new(),
            members: Vec::new(),
            pairings: Vec::new(),
            visits: Vec::new(),
            contacts: Vec::new(),
            income_records: Vec::new(),
            evaluations: Vec::new(),
            measures: Vec::new(),
            plans: Vec::new(),
            consumption_purchases: Vec::new(),
            purchase_events: Vec::new(),
            sign_replacements: Vec::new(),
            ledger_submissions: Vec::new(),
            monitoring_lines: Vec::new(),
        }
    }
}
