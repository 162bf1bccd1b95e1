//! R7: after a pairing change the contact sign is replaced within 7 working days.

use chrono::NaiveDate;

use crate::rules::{Index, Obligation};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let _ = (index, as_of, out);
}
