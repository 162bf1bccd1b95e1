//! Which assisting units (帮扶单位) work in a village: the model ties units to villages only
//! through people, so a unit assists a village on a day when one of its cadres is paired that
//! day with a household of the village, or when the village's first secretary or a team member
//! serving that day belongs to it (驻村工作队 are sent by the assisting units). R6: the first
//! secretary arranges a cadre from these units.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::Store;
use crate::codec::date_text;
use crate::error::StoreError;
use crate::sync::uuid_of;

impl Store {
    /// The units assisting `village_id` on `day` (see the module's words), by id.
    pub fn assisting_units_of_village(
        &self,
        village_id: Uuid,
        day: NaiveDate,
    ) -> Result<Vec<Uuid>, StoreError> {
        let sql = "SELECT unit_id FROM people c JOIN pairings p ON p.cadre_id = c.id \
                   JOIN households h ON h.id = p.household_id \
                   WHERE h.village_id = ?1 AND p.start_day <= ?2 \
                   AND (p.end_day IS NULL OR p.end_day >= ?2) AND c.unit_id IS NOT NULL \
                   UNION \
                   SELECT s.unit_id FROM role_grants g JOIN people s ON s.id = g.person_id \
                   WHERE g.area_id = ?1 AND g.role IN ('first_secretary', 'team_member') \
                   AND g.from_day <= ?2 AND (g.to_day IS NULL OR g.to_day >= ?2) \
                   AND s.unit_id IS NOT NULL \
                   ORDER BY 1";
        let mut st = self.conn.prepare_cached(sql)?;
        let mut rows = st.query(rusqlite::params![village_id.as_bytes(), date_text(day)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(uuid_of(&r.get::<_, Vec<u8>>(0)?, "person", "unit_id")?);
        }
        Ok(out)
    }
}
