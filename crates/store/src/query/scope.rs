//! Which households a person sees, as the store selects them.

use chrono::NaiveDate;
use uuid::Uuid;

use super::Bound;
use crate::Store;
use crate::codec::date_text;
use crate::error::StoreError;
use crate::sync::uuid_of;

/// The households a person sees on a day: those paired with the person that day, every household
/// of `villages`, those paired that day with a cadre of `unit`, or all of them (`all`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdScope {
    /// The person (as a cadre: the households paired with them on `day`).
    pub person: Uuid,
    pub day: NaiveDate,
    /// Villages seen whole.
    pub villages: Vec<Uuid>,
    /// The unit whose cadres' households (paired on `day`) are seen.
    pub unit: Option<Uuid>,
    /// Every household.
    pub all: bool,
}

impl HouseholdScope {
    /// A condition on `h` (the households table) selecting the households in scope, its values
    /// bound into `bound`.
    pub(super) fn condition(&self, bound: &mut Bound) -> String {
        if self.all {
            return "1".to_owned();
        }
        let day = bound.bind(date_text(self.day));
        let person = bound.bind(self.person.as_bytes().to_vec());
        let mut parts = vec![format!(
            "h.id IN (SELECT household_id FROM pairings WHERE cadre_id = {person} \
             AND start_day <= {day} AND (end_day IS NULL OR end_day >= {day}))"
        )];
        if !self.villages.is_empty() {
            let list: Vec<String> = self
                .villages
                .iter()
                .map(|v| bound.bind(v.as_bytes().to_vec()))
                .collect();
            parts.push(format!("h.village_id IN ({})", list.join(", ")));
        }
        if let Some(unit) = self.unit {
            let unit = bound.bind(unit.as_bytes().to_vec());
            parts.push(format!(
                "h.id IN (SELECT p.household_id FROM pairings p JOIN people c ON c.id = p.cadre_id \
                 WHERE c.unit_id = {unit} AND p.start_day <= {day} \
                 AND (p.end_day IS NULL OR p.end_day >= {day}))"
            ));
        }
        format!("({})", parts.join(" OR "))
    }
}

impl Store {
    /// Whether `household_id` is stored and in `scope`.
    pub fn household_in_scope(
        &self,
        scope: &HouseholdScope,
        household_id: Uuid,
    ) -> Result<bool, StoreError> {
        let mut bound = Bound::default();
        let id = bound.bind(household_id.as_bytes().to_vec());
        let cond = scope.condition(&mut bound);
        let sql = format!("SELECT 1 FROM households h WHERE h.id = {id} AND {cond}");
        Ok(self.conn.prepare_cached(&sql)?.exists(bound.params())?)
    }

    /// The villages under a township, in insertion order.
    pub fn villages_of_township(&self, township_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        self.ids(
            "SELECT id FROM areas WHERE parent_id = ?1 AND level = 'village' ORDER BY rowid",
            township_id,
            "area",
            "id",
        )
    }

    /// The people ever granted first secretary or team member of a village (any dates).
    pub fn village_staff(&self, village_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        self.ids(
            "SELECT DISTINCT person_id FROM role_grants WHERE area_id = ?1
             AND role IN ('first_secretary', 'team_member')",
            village_id,
            "role_grant",
            "person_id",
        )
    }

    /// The ids `sql` selects (one BLOB column) for the one parameter `id`.
    pub(super) fn ids(
        &self,
        sql: &str,
        id: Uuid,
        entity: &'static str,
        field: &'static str,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut st = self.conn.prepare_cached(sql)?;
        let mut rows = st.query([id.as_bytes()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(uuid_of(&r.get::<_, Vec<u8>>(0)?, entity, field)?);
        }
        Ok(out)
    }
}
