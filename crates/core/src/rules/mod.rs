//! The rules engine: [`obligations`] and [`alerts`] of a dataset on a given day.
//!
//! Architecture invariant: each rule of `spec/rules.md` lives in exactly one module here, named by
//! its ID (`r2_r3`, `r4`, …), and its tests carry the ID in their names.

mod index;
pub use index::Index;

pub mod corrections;
pub use corrections::{Correctable, corrected, in_force};

mod d2;
mod d3;
mod d5;
mod r2_r3;
mod r4;
mod r5;
mod r6;
mod r7;
mod w2;
mod w4;

#[cfg(test)]
pub(crate) mod testkit;

pub use d3::{annualised_per_capita_fen, records_by_quarter};
pub use w2::visit_day_is_plausible;

pub mod types;
pub use types::*;

use chrono::NaiveDate;

use crate::calendar::{Month, Quarter};

use crate::model::dataset::Dataset;

/// Every obligation of R2, R3, R4, R6, R7, D3, D5 and W4 for the periods from
/// `settings.tracking_start` through the period containing `as_of`, sorted by due date.
pub fn obligations(dataset: &Dataset, as_of: NaiveDate) -> Vec<Obligation> {
    let index = Index::new(dataset);
    obligations_with(&index, as_of)
}

/// [`obligations`] on a prebuilt index (build it once, ask many days).
pub fn obligations_with(index: &Index<'_>, as_of: NaiveDate) -> Vec<Obligation> {
    let mut out = Vec::new();
    r2_r3::obligations(index, as_of, &mut out);
    r4::obligations(index, as_of, &mut out);
    r6::obligations(index, as_of, &mut out);
    r7::obligations(index, as_of, &mut out);
    d3::obligations(index, as_of, &mut out);
    d5::obligations(index, as_of, &mut out);
    w4::obligations(index, as_of, &mut out);
    out.sort_by(|a, b| {
        (a.due_on, a.rule, a.household_id, a.unit_id, a.period).cmp(&(
            b.due_on,
            b.rule,
            b.household_id,
            b.unit_id,
            b.period,
        ))
    });
    out
}

/// Every alert of D2, D3, R5, R6 and W2 (impossible dates) on `as_of`.
pub fn alerts(dataset: &Dataset, as_of: NaiveDate) -> Vec<Alert> {
    let index = Index::new(dataset);
    alerts_with(&index, as_of)
}

/// [`alerts`] on a prebuilt index.
pub fn alerts_with(index: &Index<'_>, as_of: NaiveDate) -> Vec<Alert> {
    let mut out = Vec::new();
    d2::alerts(index, as_of, &mut out);
    d3::alerts(index, as_of, &mut out);
    r5::alerts(index, as_of, &mut out);
    r6::alerts(index, as_of, &mut out);
    w2::alerts(index, as_of, &mut out);
    out.sort_by(|a, b| {
        (a.raised_on, a.rule, a.household_id).cmp(&(b.raised_on, b.rule, b.household_id))
    });
    out
}

/// The quarters from the one containing `settings.tracking_start` through the one containing
/// `as_of` (none if `as_of` is before tracking starts).
pub(crate) fn quarters(index: &Index<'_>, as_of: NaiveDate) -> Vec<Quarter> {
    let start = index.dataset.settings.tracking_start;
    let mut out = Vec::new();
    if as_of < start {
        return out;
    }
    let (mut q, last) = (Quarter::of(start), Quarter::of(as_of));
    while q <= last {
        out.push(q);
        q = q.next();
    }
    out
}

/// The months from the one containing `settings.tracking_start` through the one containing `as_of`.
pub(crate) fn months(index: &Index<'_>, as_of: NaiveDate) -> Vec<Month> {
    let start = index.dataset.settings.tracking_start;
    let mut out = Vec::new();
    if as_of < start {
        return out;
    }
    let (mut m, last) = (Month::of(start), Month::of(as_of));
    while m <= last {
        out.push(m);
        m = m.next();
    }
    out
}
