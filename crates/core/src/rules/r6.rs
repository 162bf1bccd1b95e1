//! R6: a new 监测对象 gets a paired cadre, arranged by the first secretary.

use chrono::NaiveDate;

use crate::rules::{Alert, Index, Obligation};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let _ = (index, as_of, out);
}

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    let _ = (index, as_of, out);
}
