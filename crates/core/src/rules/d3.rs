//! D3: income collected each quarter in the window (25th of the last month – 5th of the next); alerts on low income, sharp drops and rigid-expense jumps.

use chrono::NaiveDate;

use crate::rules::{Alert, Index, Obligation};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let _ = (index, as_of, out);
}

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    let _ = (index, as_of, out);
}
