//! The household list: the ids of one page of the households in a scope (searchable), the count
//! for paging, and a household's last visit. The page is picked by one indexed query with
//! LIMIT/OFFSET; only its households are then read.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Bound, HouseholdScope};
use crate::Store;
use crate::codec::parse_date;
use crate::error::StoreError;
use crate::sync::uuid_of;

/// Longest search text used (characters; the rest is ignored).
pub const MAX_SEARCH_CHARS: usize = 50;

/// A page of the households in a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdListQuery<'a> {
    pub scope: &'a HouseholdScope,
    /// Matches the head's name, a member's name, the village, group or address (as a plain
    /// substring: `%` and `_` are not wildcards). Blank: everything.
    pub search: Option<&'a str>,
    pub limit: u32,
    pub offset: u64,
}

/// The ids of a page, ordered by village name, group, head's name and id, and how many
/// households match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdIdPage {
    pub total: u64,
    pub ids: Vec<Uuid>,
}

/// `text` with LIKE's wildcards escaped (by `\`), wrapped in `%…%`.
fn like_pattern(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

impl Store {
    /// One page of the households of `q.scope`, searched.
    pub fn household_page(
        &self,
        q: &HouseholdListQuery<'_>,
    ) -> Result<HouseholdIdPage, StoreError> {
        let mut bound = Bound::default();
        let mut filter = q.scope.condition(&mut bound);
        if let Some(search) = q.search.map(str::trim).filter(|s| !s.is_empty()) {
            let search: String = search.chars().take(MAX_SEARCH_CHARS).collect();
            let s = bound.bind(like_pattern(&search));
            filter.push_str(&format!(
                " AND (h.head_name LIKE {s} ESCAPE '\\' OR v.name LIKE {s} ESCAPE '\\' \
                 OR IFNULL(h.village_group, '') LIKE {s} ESCAPE '\\' \
                 OR IFNULL(h.address, '') LIKE {s} ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM members m WHERE m.household_id = h.id \
                            AND m.name LIKE {s} ESCAPE '\\'))"
            ));
        }
        let from = format!("FROM households h JOIN areas v ON v.id = h.village_id WHERE {filter}");
        let total: i64 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) {from}"))?
            .query_row(bound.params(), |r| r.get(0))?;
        let limit = bound.bind(i64::from(q.limit));
        let offset = bound.bind(i64::try_from(q.offset).unwrap_or(i64::MAX));
        let page_sql = format!(
            "SELECT h.id {from} ORDER BY v.name, IFNULL(h.village_group, ''), h.head_name, h.id \
             LIMIT {limit} OFFSET {offset}"
        );
        let mut st = self.conn.prepare_cached(&page_sql)?;
        let mut rows = st.query(bound.params())?;
        let mut ids = Vec::new();
        while let Some(r) = rows.next()? {
            ids.push(uuid_of(&r.get::<_, Vec<u8>>(0)?, "household", "id")?);
        }
        Ok(HouseholdIdPage {
            total: u64::try_from(total).unwrap_or(0),
            ids,
        })
    }

    /// The local day of the household's latest visit (corrections included), if any.
    pub fn last_visit_day(&self, household_id: Uuid) -> Result<Option<NaiveDate>, StoreError> {
        let day: Option<String> = self
            .conn
            .prepare_cached("SELECT max(visited_day) FROM visits WHERE household_id = ?1")?
            .query_row([household_id.as_bytes()], |r| r.get(0))?;
        Ok(day.as_deref().and_then(parse_date))
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn search_text_is_literal_in_like() {
        assert_eq!(like_pattern("李"), "%李%");
        assert_eq!(like_pattern("100%_a\\"), "%100\\%\\_a\\\\%");
    }
}
