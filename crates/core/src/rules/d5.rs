//! D5: an effectiveness evaluation per monitored household per quarter.

use chrono::NaiveDate;

use crate::rules::{Index, Obligation};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let _ = (index, as_of, out);
}
