//! R4: the first secretary visits every 监测对象 of the village monthly and every 脱贫户 quarterly.

use chrono::NaiveDate;

use crate::rules::{Index, Obligation};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let _ = (index, as_of, out);
}
