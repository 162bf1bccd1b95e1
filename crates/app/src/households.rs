//! 我的帮扶户: the households in scope, a page at a time, searchable; each with its class,
//! risks, last visit, next due date (from the rules engine, on the page's households only), a
//! "not yet synced" count and whether a visit draft is open.
//!
//! Never loads the county for one screen: one SQL query picks the page's ids (LIMIT/OFFSET over
//! an indexed join), one counts, then only the page's households are read.

use std::collections::{BTreeSet, HashMap};

use bangfu_core::rules::{self, Owner, Status};
use bangfu_store::HouseholdListQuery;
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

/// What is owed next for a household: the person's own obligations before anyone else's, then
/// the earliest due date.
#[derive(Debug, Clone, Copy)]
struct NextDue {
    /// Owed by someone other than the signed-in person.
    someone_elses: bool,
    due_on: chrono::NaiveDate,
    overdue: bool,
}

impl NextDue {
    fn comes_before(&self, other: &NextDue) -> bool {
        (self.someone_elses, self.due_on) < (other.someone_elses, other.due_on)
    }
}

impl App {
    /// 我的帮扶户.
    pub fn my_households(&self, q: HouseholdQuery) -> Result<HouseholdList> {
        let scope = self.scope()?;
        let page_size = match q.page_size {
            0 => 20,
            n => n.min(MAX_PAGE_SIZE),
        };
        let page = self.store.household_page(&HouseholdListQuery {
            scope: &scope.households(),
            search: q.search.as_deref(),
            limit: page_size,
            offset: u64::from(q.page) * u64::from(page_size),
        })?;
        let items = self.household_rows(&scope, &page.ids)?;
        Ok(HouseholdList {
            total: u32::try_from(page.total).unwrap_or(u32::MAX),
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
        let mut next: HashMap<Uuid, NextDue> = HashMap::new();
        for o in rules::obligations_with(&index, scope.today) {
            let (Some(h), true) = (o.household_id, o.status != Status::Done) else {
                continue;
            };
            let candidate = NextDue {
                someone_elses: o.owner != Owner::Person(scope.me.id),
                due_on: o.due_on,
                overdue: o.status == Status::Overdue,
            };
            next.entry(h)
                .and_modify(|c| {
                    if candidate.comes_before(c) {
                        *c = candidate;
                    }
                })
                .or_insert(candidate);
        }
        let unsynced = self.store.unsynced_by_household()?;
        let drafts: BTreeSet<Uuid> = self.draft_households()?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let Some(h) = ds.households.iter().find(|h| h.id == id) else {
                continue;
            };
            let class = h.class_on(scope.today);
            let due = next.get(&id);
            out.push(HouseholdRow {
                id,
                head_name: h.head_name.clone(),
                village_name: areas.name(&self.store, h.village_id)?,
                group: h.group.clone(),
                class: class.map(|c| c.class),
                kind: class.and_then(|c| c.kind),
                risks: h.risks.to_vec(),
                last_visit_on: self.store.last_visit_day(id)?,
                next_due_on: due.map(|d| d.due_on),
                next_due_overdue: due.is_some_and(|d| d.overdue),
                unsynced: unsynced
                    .get(&id)
                    .map_or(0, |&n| u32::try_from(n).unwrap_or(u32::MAX)),
                has_draft: drafts.contains(&id),
            });
        }
        Ok(out)
    }
}
