//! Lists of records the household page and the rules engine's slice need.

use bangfu_core::{Measure, MonitoringLine};
use uuid::Uuid;

use crate::error::StoreError;
use crate::{Store, read};

impl Store {
    /// The measures of a household, by the day they started, then insertion order.
    pub fn measures_of_household(&self, household_id: Uuid) -> Result<Vec<Measure>, StoreError> {
        read::measures_of_household(&self.conn, household_id)
    }

    /// Every monitoring line, in insertion order (a short table).
    pub fn monitoring_lines(&self) -> Result<Vec<MonitoringLine>, StoreError> {
        read::monitoring_lines(&self.conn)
    }
}
