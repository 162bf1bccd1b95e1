//! 村情: a first secretary's (or team member's) villages at a glance — each village's cadres
//! with what each owes this quarter — so that she can see who is behind and tap through to that
//! cadre's owed work (the task list filtered by cadre).
//!
//! The counts come from the same rules run as 我的任务 ([`crate::tasks`]) over the village's
//! households, so the two screens never disagree.

use std::collections::{BTreeMap, BTreeSet};

use bangfu_core::rules::{self, Owner, Status};
use bangfu_core::{Assistance, Dataset, Quarter};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::error::Result;
use crate::scope::{Areas, rules_dataset};
use crate::tasks::{team_villages, words};

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct VillageQuery {
    /// The day to look from; today when absent.
    pub as_of: Option<NaiveDate>,
}

/// One person who owes work in the village: a cadre paired with its households (or one whose
/// pairing ended with work still overdue), or the first secretary herself (her own visits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CadreLoad {
    pub person_id: Uuid,
    pub name: String,
    /// The cadre's unit (empty when unknown).
    pub unit_name: String,
    /// Households of the village paired with this person today.
    pub households: u32,
    /// Due this quarter and not done yet, not overdue.
    pub owed: u32,
    /// Overdue now (from this quarter or earlier).
    pub overdue: u32,
    /// Due this quarter and done.
    pub done: u32,
    /// The signed-in person.
    pub me: bool,
}

/// One village of the signed-in first secretary or team member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VillageSummary {
    pub village_id: Uuid,
    pub village_name: String,
    pub township_name: String,
    pub households: u32,
    /// Monitored households (监测对象) today.
    pub monitored: u32,
    /// Households without an active pairing today.
    pub without_cadre: u32,
    /// Most overdue first, then by name.
    pub cadres: Vec<CadreLoad>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VillageOverview {
    pub as_of: NaiveDate,
    /// `2026年第四季度`.
    pub quarter: String,
    /// Empty when the person is no first secretary or team member on `as_of`.
    pub villages: Vec<VillageSummary>,
}

impl App {
    /// 村情: the villages where the signed-in person is first secretary or team member.
    pub fn village_overview(&self, q: VillageQuery) -> Result<VillageOverview> {
        let scope = self.scope()?;
        let as_of = q.as_of.unwrap_or(scope.today);
        let quarter = Quarter::of(as_of);
        let mut areas = Areas::default();
        let mut villages = Vec::new();
        for village in team_villages(&scope, as_of) {
            let n = self.store.count_households_in_village(village)?;
            let households: Vec<Uuid> = self
                .store
                .households_in_village(village, u32::try_from(n).unwrap_or(u32::MAX), 0)?
                .into_iter()
                .map(|h| h.id)
                .collect();
            let ds = rules_dataset(&self.store, &mut areas, &scope.me, &households)?;
            villages.push(VillageSummary {
                village_id: village,
                village_name: areas.name(&self.store, village)?,
                township_name: areas.township_name(&self.store, village)?,
                households: count(ds.households.len()),
                monitored: count(
                    ds.households
                        .iter()
                        .filter(|h| h.assistance_on(as_of) == Some(Assistance::Monitored))
                        .count(),
                ),
                without_cadre: count(
                    ds.households
                        .iter()
                        .filter(|h| {
                            !ds.pairings
                                .iter()
                                .any(|p| p.household_id == h.id && p.active_on(as_of))
                        })
                        .count(),
                ),
                cadres: loads(&ds, as_of, quarter, scope.me.id),
            });
        }
        Ok(VillageOverview {
            as_of,
            quarter: words::quarter(quarter),
            villages,
        })
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Each person's load in a village's rules dataset `ds`.
fn loads(ds: &Dataset, as_of: NaiveDate, quarter: Quarter, me: Uuid) -> Vec<CadreLoad> {
    let (q_start, q_end) = (quarter.first_day(), quarter.last_day());
    let mut by_person: BTreeMap<Uuid, CadreLoad> = BTreeMap::new();
    let paired: BTreeSet<(Uuid, Uuid)> = ds
        .pairings
        .iter()
        .filter(|p| p.active_on(as_of))
        .map(|p| (p.cadre_id, p.household_id))
        .collect();
    for (cadre, _) in &paired {
        row(&mut by_person, ds, me, *cadre).households += 1;
    }
    let index = rules::Index::new(ds);
    for o in rules::obligations_with(&index, as_of) {
        let Owner::Person(p) = o.owner else { continue };
        let this_quarter = q_start <= o.due_on && o.due_on <= q_end;
        match o.status {
            Status::Overdue => row(&mut by_person, ds, me, p).overdue += 1,
            Status::Done if this_quarter => row(&mut by_person, ds, me, p).done += 1,
            Status::Done => {}
            _ if this_quarter => row(&mut by_person, ds, me, p).owed += 1,
            _ => {}
        }
    }
    let mut out: Vec<CadreLoad> = by_person.into_values().collect();
    out.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.name.cmp(&b.name)));
    out
}

/// The row of person `id`, made on first use.
fn row<'m>(
    rows: &'m mut BTreeMap<Uuid, CadreLoad>,
    ds: &Dataset,
    me: Uuid,
    id: Uuid,
) -> &'m mut CadreLoad {
    rows.entry(id).or_insert_with(|| {
        let person = ds.people.iter().find(|p| p.id == id);
        CadreLoad {
            person_id: id,
            name: person.map(|p| p.name.clone()).unwrap_or_default(),
            unit_name: person
                .and_then(|p| p.unit_id)
                .and_then(|u| ds.units.iter().find(|x| x.id == u))
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            households: 0,
            owed: 0,
            overdue: 0,
            done: 0,
            me: id == me,
        }
    })
}
