//! What the rules engine returns. Serialised as the JSON of `bangfu obligations --json` and
//! `bangfu alerts --json` (documented in `docs/rules.md`).

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::calendar::{Month, Quarter};
use crate::model::household::Risk;
use crate::model::visit::CheckItem;

/// A rule ID of `spec/rules.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RuleId {
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    D2,
    D3,
    D5,
    W2,
    W4,
}

/// Who owes an obligation: a person, or a unit (when its cadre left and nobody took over yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Owner {
    Person(Uuid),
    Unit(Uuid),
    /// Nobody can be named (e.g. a village without a first secretary): reported to the township.
    Nobody,
}

/// The period an obligation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Period {
    /// Written `2024-Q1`.
    #[serde(serialize_with = "ser_display")]
    Quarter(Quarter),
    /// Written `2024-03`.
    #[serde(serialize_with = "ser_display")]
    Month(Month),
    /// A one-off task (R6, R7): written as the day that started it.
    Day(NaiveDate),
}

fn ser_display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not open yet (e.g. the income window has not begun).
    Upcoming,
    /// Can be done now; not yet due.
    Open,
    /// Satisfied (see `satisfied_by`; `late` if after the due date).
    Done,
    /// Past due and not satisfied.
    Overdue,
}

/// One thing someone owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub rule: RuleId,
    pub owner: Owner,
    /// The household concerned (absent for a unit's W4 ledger).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household_id: Option<Uuid>,
    /// The unit concerned (W4, or the owner unit of a household during a gap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<Uuid>,
    pub period: Period,
    pub opens_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: Status,
    /// The record that satisfied it (visit, income record, evaluation, pairing, sign replacement,
    /// ledger submission).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfied_by: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfied_on: Option<NaiveDate>,
    /// Done, but after `due_on`.
    pub late: bool,
}

impl Obligation {
    /// Status from the dates: `satisfied_on` (if any), `opens_on`, `due_on` and `as_of`.
    pub fn status_of(
        opens_on: NaiveDate,
        due_on: NaiveDate,
        satisfied_on: Option<NaiveDate>,
        as_of: NaiveDate,
    ) -> (Status, bool) {
        match satisfied_on {
            Some(day) if day <= as_of => (Status::Done, day > due_on),
            _ if as_of > due_on => (Status::Overdue, false),
            _ if as_of < opens_on => (Status::Upcoming, false),
            _ => (Status::Open, false),
        }
    }
}

/// What an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertDetail {
    /// D2: a visit found a risk on one of the four items; open until a later visit finds it ok.
    RiskFound {
        item: CheckItem,
        visit_id: Uuid,
        /// The visit that found the item ok again, if any (then the alert is resolved).
        #[serde(skip_serializing_if = "Option::is_none")]
        resolved_by: Option<Uuid>,
    },
    /// D3: per-capita net income (annualised) below the year's monitoring line.
    IncomeBelowLine {
        period: Quarter,
        income_record_id: Uuid,
        per_capita_fen: i64,
        line_fen: i64,
    },
    /// D3: the quarter's net income fell by more than the set share against the previous quarter.
    IncomeDropQuarter {
        period: Quarter,
        income_record_id: Uuid,
        net_fen: i64,
        previous_net_fen: i64,
        drop_percent: u32,
    },
    /// D3: against the same quarter a year earlier.
    IncomeDropYear {
        period: Quarter,
        income_record_id: Uuid,
        net_fen: i64,
        previous_net_fen: i64,
        drop_percent: u32,
    },
    /// D3: rigid expense jumped against the previous quarter.
    RigidExpenseJump {
        period: Quarter,
        income_record_id: Uuid,
        rigid_expense_fen: i64,
        previous_rigid_expense_fen: i64,
    },
    /// R5: days on which an assisted household had no active pairing (断档).
    PairingGap {
        from: NaiveDate,
        /// Last day of the gap; `None` while it goes on.
        #[serde(skip_serializing_if = "Option::is_none")]
        to: Option<NaiveDate>,
        days: i64,
        /// The pairing that ended before the gap, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_pairing_id: Option<Uuid>,
        /// Who now holds the leaving cadre's post in the same unit (按照职务接替).
        #[serde(skip_serializing_if = "Option::is_none")]
        proposed_successor_id: Option<Uuid>,
    },
    /// R6: a monitored household without a paired cadre.
    NoCadre { since: NaiveDate, risks: Vec<Risk> },
    /// W2: a visit whose date cannot be right (see `docs/rules.md`); it counts for nothing until
    /// corrected.
    ImplausibleVisitDate {
        visit_id: Uuid,
        visited_on: NaiveDate,
    },
}

/// Something a supervisor must look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub rule: RuleId,
    pub household_id: Uuid,
    /// Addressed to the village and its township.
    pub village_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub township_id: Option<Uuid>,
    /// The day the alert was raised.
    pub raised_on: NaiveDate,
    /// Still needs action on `as_of`.
    pub open: bool,
    #[serde(flatten)]
    pub detail: AlertDetail,
}
