//! 我的帮扶户: the households in scope, a page at a time, searchable; each with its class,
//! risks, last visit, next due date (from the rules engine, on the page's households only), a
//! "not yet synced" count and whether a visit draft is open.
//!
//! Never loads the county for one screen: one SQL query picks the page's ids (LIMIT/OFFSET over
//! an indexed join), one counts, then only the page's households are read.

use std::collections::{BTreeSet, HashMap};

use bangfu_core::rules::{self, Owner, Status};
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::error::Result;
use crate::scope::{Areas, rules_dataset};
use bangfu_core::{HouseholdClass, MonitoredKind, Risk};

/// Largest page the list serves.
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct HouseholdQuery {
    /// Matches the head's name, a member's name, the village, group or address.
    pub search: Option<String>,
    /// From 0.
    pub page: u32,
    /// 1–100 (20 when 0).
    pub page_size: u32,
}

/// One line of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HouseholdRow {
    pub id: Uuid,
    pub head_name: String,
    pub village_name: String,
    pub group: Option<String>,
    /// The class today (R1).
    pub class: Option<HouseholdClass>,
    pub kind: Option<MonitoredKind>,
    pub risks: Vec<Risk>,
    pub last_visit_on: Option<chrono::NaiveDate>,
    /// The earliest due date of what is still owed for the household (the person's own
    /// obligations first), and whether it is already past.
    pub next_due_on: Option<chrono::NaiveDate>,
    pub next_due_overdue: bool,
    /// Local changes not yet accepted by the server.
    pub unsynced: u32,
    /// A visit draft is open for the household.
    pub has_draft: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HouseholdList {
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
    pub items: Vec<HouseholdRow>,
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

impl App {
    /// 我的帮扶户.
    pub fn my_households(&self, q: HouseholdQuery) -> Result<HouseholdList> {
        let scope = self.scope()?;
        let page_size = match q.page_size {
            0 => 20,
            n => n.min(MAX_PAGE_SIZE),
        };
        let (cond, mut params) = scope.sql_condition();
        let mut filter = cond;
        if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let search: String = search.chars().take(50).collect();
            filter.push_str(
                " AND (h.head_name LIKE ?s ESCAPE '\\' OR v.name LIKE ?s ESCAPE '\\' \
                 OR IFNULL(h.village_group, '') LIKE ?s ESCAPE '\\' \
                 OR IFNULL(h.address, '') LIKE ?s ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM members m WHERE m.household_id = h.id \
                            AND m.name LIKE ?s ESCAPE '\\'))",
            );
            // Positional `?` above; `?s` is replaced by numbered parameters below.
            let n = params.len() + 1;
            filter = filter.replace("?s", &format!("?{n}"));
            params.push(Value::Text(like_pattern(&search)));
        }
        let from = format!(
            "FROM households h JOIN areas v ON v.id = h.village_id WHERE {}",
            number_params(&filter)
        );
        let conn = self.store.connection();
        let total: i64 = conn
            .prepare_cached(&format!("SELECT count(*) {from}"))?
            .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
        let limit_at = params.len() + 1;
        let page_sql = format!(
            "SELECT h.id {from} ORDER BY v.name, IFNULL(h.village_group, ''), h.head_name, h.id \
             LIMIT ?{limit_at} OFFSET ?{}",
            limit_at + 1
        );
        params.push(Value::Integer(i64::from(page_size)));
        params.push(Value::Integer(i64::from(q.page) * i64::from(page_size)));
        let mut ids = Vec::new();
        {
            let mut st = conn.prepare_cached(&page_sql)?;
            let rows = st.query_map(rusqlite::params_from_iter(params.iter()), |r| {
                r.get::<_, Vec<u8>>(0)
            })?;
            for r in rows {
                if let Ok(id) = Uuid::from_slice(&r?) {
                    ids.push(id);
                }
            }
        }
        let items = self.household_rows(&scope, &ids)?;
        Ok(HouseholdList {
            total: u32::try_from(total).unwrap_or(u32::MAX),
            page: q.page,
            page_size,
            items,
        })
    }

    /// The rows of the given households, in the given order.
    fn household_rows(
        &self,
        scope: &crate::scope::Scope,
        ids: &[Uuid],
    ) -> Result<Vec<HouseholdRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut areas = Areas::default();
        let ds = rules_dataset(&self.store, &mut areas, &scope.me, ids)?;
        let index = rules::Index::new(&ds);
        // The next due date: the earliest obligation still owed, the person's own first.
        let mut next: HashMap<Uuid, (bool, chrono::NaiveDate, bool)> = HashMap::new();
        for o in rules::obligations_with(&index, scope.today) {
            let (Some(h), true) = (o.household_id, o.status != Status::Done) else {
                continue;
            };
            let mine = o.owner == Owner::Person(scope.me.id);
            let candidate = (!mine, o.due_on, o.status == Status::Overdue);
            next.entry(h)
                .and_modify(|c| {
                    if (candidate.0, candidate.1) < (c.0, c.1) {
                        *c = candidate;
                    }
                })
                .or_insert(candidate);
        }
        let unsynced = self.store.unsynced_by_household()?;
        let drafts: BTreeSet<Uuid> = self.draft_households()?;
        let conn = self.store.connection();
        let mut last_visit =
            conn.prepare_cached("SELECT max(visited_day) FROM visits WHERE household_id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let Some(h) = ds.households.iter().find(|h| h.id == id) else {
                continue;
            };
            let class = h.class_on(scope.today);
            let last: Option<String> = last_visit.query_row([id.as_bytes()], |r| r.get(0))?;
            let due = next.get(&id);
            out.push(HouseholdRow {
                id,
                head_name: h.head_name.clone(),
                village_name: areas.name(&self.store, h.village_id)?,
                group: h.group.clone(),
                class: class.map(|c| c.class),
                kind: class.and_then(|c| c.kind),
                risks: h.risks.to_vec(),
                last_visit_on: last.and_then(|d| d.parse().ok()),
                next_due_on: due.map(|d| d.1),
                next_due_overdue: due.is_some_and(|d| d.2),
                unsynced: unsynced
                    .get(&id)
                    .map_or(0, |&n| u32::try_from(n).unwrap_or(u32::MAX)),
                has_draft: drafts.contains(&id),
            });
        }
        Ok(out)
    }
}

/// Turns the plain `?` of a condition into `?1, ?2, …` (numbered parameters mix with them badly),
/// leaving numbered ones alone.
fn number_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut chars = sql.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            in_string = !in_string;
        }
        if c == '?' && !in_string && !chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            n += 1;
            out.push_str(&format!("?{n}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_literal_in_like() {
        assert_eq!(like_pattern("李"), "%李%");
        assert_eq!(like_pattern("100%_a\\"), "%100\\%\\_a\\\\%");
    }

    #[test]
    fn positional_parameters_are_numbered_outside_strings() {
        assert_eq!(
            number_params("a = ? AND b IN (X'3F') AND c = ?3 AND d = ? AND e = '?'"),
            "a = ?1 AND b IN (X'3F') AND c = ?3 AND d = ?2 AND e = '?'"
        );
    }
}
