//! R2/R3: the paired cadre visits each paired 监测对象 / 脱贫户 at least once per quarter.

use chrono::NaiveDate;

use crate::rules::{Index, Obligation};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let _ = (index, as_of, out);
}
