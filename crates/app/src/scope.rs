//! Which households the signed-in person sees, and the slice of the store the rules engine needs
//! for some households (never the whole county for one screen).
//!
//! Scope, from the person's role grants holding today (the records decide, not the account):
//! - every household paired with the person today (a cadre's own households);
//! - 第一书记 / 驻村工作队员: every household of their villages;
//! - 乡镇工作站: every household of their townships; 县办: every household;
//! - 单位管理员: every household paired today with a cadre of their unit.
//!
//! The server sends a device only its read scope; this is what the screens show of it.

use std::collections::{BTreeSet, HashMap};

use bangfu_core::{Area, AreaLevel, Dataset, Person, Role};
use bangfu_store::{HouseholdScope, Store};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, Result};

/// The signed-in person and what they see.
#[derive(Debug, Clone)]
pub struct Scope {
    pub me: Person,
    pub today: NaiveDate,
    /// Villages seen whole (first secretary, team member, township station).
    pub villages: Vec<Uuid>,
    /// Villages where the person is first secretary today.
    pub fs_villages: Vec<Uuid>,
    /// Everything (county office).
    pub all: bool,
    /// The unit whose cadres' households are seen (unit admin).
    pub unit: Option<Uuid>,
}

impl Scope {
    /// Whether the person sees more than their own paired households.
    pub fn is_wide(&self) -> bool {
        self.all || !self.villages.is_empty() || self.unit.is_some()
    }

    /// The households in scope, as the store selects them.
    pub(crate) fn households(&self) -> HouseholdScope {
        HouseholdScope {
            person: self.me.id,
            day: self.today,
            villages: self.villages.clone(),
            unit: self.unit,
            all: self.all,
        }
    }
}

impl App {
    /// The signed-in, unlocked person and what they see. [`AppError::NoData`] until the person's
    /// record has reached this device.
    pub fn scope(&self) -> Result<Scope> {
        let account = self.require_unlocked()?;
        let person_id: Uuid = account
            .person_id
            .as_deref()
            .and_then(|p| p.parse().ok())
            .ok_or(AppError::NoData)?;
        if self.store.settings()?.is_none() {
            return Err(AppError::NoData);
        }
        let me = self.store.get_person(person_id)?.ok_or(AppError::NoData)?;
        let today = self.today();
        let mut villages = BTreeSet::new();
        let mut fs_villages = BTreeSet::new();
        let mut all = false;
        let mut unit = None;
        for g in me.roles.iter().filter(|g| g.holds_on(today)) {
            match (g.role, g.area_id) {
                (Role::FirstSecretary, Some(v)) => {
                    villages.insert(v);
                    fs_villages.insert(v);
                }
                (Role::TeamMember, Some(v)) => {
                    villages.insert(v);
                }
                (Role::TownshipStation, Some(t)) => {
                    villages.extend(self.store.villages_of_township(t)?);
                }
                (Role::CountyOffice, _) => all = true,
                (Role::UnitAdmin, _) => unit = me.unit_id,
                _ => {}
            }
        }
        Ok(Scope {
            me,
            today,
            villages: villages.into_iter().collect(),
            fs_villages: fs_villages.into_iter().collect(),
            all,
            unit,
        })
    }

    /// Whether `household_id` is in the person's scope.
    pub(crate) fn in_scope(&self, scope: &Scope, household_id: Uuid) -> Result<bool> {
        Ok(self
            .store
            .household_in_scope(&scope.households(), household_id)?)
    }

    /// The household, refusing one outside the person's scope.
    pub(crate) fn household_in_scope(
        &self,
        scope: &Scope,
        household_id: Uuid,
    ) -> Result<bangfu_core::Household> {
        let h = self
            .store
            .get_household(household_id)?
            .ok_or(AppError::NotFound("household"))?;
        if !self.in_scope(scope, household_id)? {
            return Err(AppError::NotInScope);
        }
        Ok(h)
    }
}

/// Areas by id, loaded on demand and cached (villages, their townships and the county).
#[derive(Debug, Default)]
pub(crate) struct Areas {
    by_id: HashMap<Uuid, Option<Area>>,
}

impl Areas {
    pub fn get(&mut self, store: &Store, id: Uuid) -> Result<Option<&Area>> {
        let slot = match self.by_id.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(store.get_area(id)?),
        };
        Ok(slot.as_ref())
    }

    /// The area and its ancestors, nearest first.
    pub fn chain(&mut self, store: &Store, id: Uuid) -> Result<Vec<Area>> {
        let mut out = Vec::new();
        let mut next = Some(id);
        while let Some(id) = next {
            if out.len() > 8 {
                break; // a cycle in corrupt data: the scope path is then incomplete, not endless
            }
            match self.get(store, id)? {
                Some(a) => {
                    next = a.parent_id;
                    out.push(a.clone());
                }
                None => break,
            }
        }
        Ok(out)
    }

    pub fn name(&mut self, store: &Store, id: Uuid) -> Result<String> {
        Ok(self
            .get(store, id)?
            .map(|a| a.name.clone())
            .unwrap_or_default())
    }

    /// The township above a village, by name.
    pub fn township_name(&mut self, store: &Store, village: Uuid) -> Result<String> {
        Ok(self
            .chain(store, village)?
            .into_iter()
            .find(|a| a.level == AreaLevel::Township)
            .map(|a| a.name)
            .unwrap_or_default())
    }
}

/// The scope path of a household's records: `county/township/village/h:<id>` by area codes.
pub(crate) fn scope_path(
    store: &Store,
    areas: &mut Areas,
    household: &bangfu_core::Household,
) -> Result<String> {
    let chain = areas.chain(store, household.village_id)?;
    let mut codes: Vec<&str> = chain.iter().rev().map(|a| a.code.as_str()).collect();
    if codes.is_empty() {
        return Err(AppError::NotFound("village"));
    }
    let h = format!("h:{}", household.id);
    codes.push(&h);
    Ok(codes.join("/"))
}

/// The slice of the store the rules engine needs for `households`: the households with their
/// pairings, visits, income records, evaluations and sign replacements; the people those name
/// (cadres, successors, the villages' first secretaries, the cadres' unit colleagues for R5's
/// proposed successor) with their units and posts; the areas above the villages; settings and
/// monitoring lines. Contacts, members, measures and plans are not needed by the rules.
pub(crate) fn rules_dataset(
    store: &Store,
    areas: &mut Areas,
    me: &Person,
    households: &[Uuid],
) -> Result<Dataset> {
    let settings = store.settings()?.ok_or(AppError::NoData)?;
    let mut ds = Dataset::empty(settings);
    let mut people: BTreeSet<Uuid> = BTreeSet::from([me.id]);
    let mut villages = BTreeSet::new();
    let mut ended_cadres = BTreeSet::new();
    for &id in households {
        let Some(h) = store.get_household(id)? else {
            continue;
        };
        villages.insert(h.village_id);
        for p in store.pairings_of_household(id)? {
            people.insert(p.cadre_id);
            people.extend(p.successor_id);
            people.extend(p.arranged_by);
            if p.end.is_some() {
                ended_cadres.insert(p.cadre_id);
            }
            ds.sign_replacements
                .extend(store.sign_replacements_of_pairing(p.id)?);
            ds.pairings.push(p);
        }
        ds.visits.extend(store.visits_of_household(id)?);
        ds.income_records
            .extend(store.income_records_of_household(id)?);
        ds.evaluations.extend(store.evaluations_of_household(id)?);
        ds.households.push(h);
    }
    for &v in &villages {
        for a in areas.chain(store, v)? {
            if !ds.areas.iter().any(|x| x.id == a.id) {
                ds.areas.push(a);
            }
        }
        people.extend(store.village_staff(v)?);
    }
    // Ancestors first, so that a parent precedes its children as in a county's dataset.
    ds.areas.sort_by_key(|a| match a.level {
        AreaLevel::County => 0,
        AreaLevel::Township => 1,
        AreaLevel::Village => 2,
        AreaLevel::Group => 3,
    });
    let mut units = BTreeSet::new();
    let mut posts = BTreeSet::new();
    let mut loaded: HashMap<Uuid, Person> = HashMap::new();
    for id in people {
        if let Some(p) = store.get_person(id)? {
            units.extend(p.unit_id);
            posts.extend(p.post_id);
            loaded.insert(id, p);
        }
    }
    // R5 proposes whoever now holds the leaving cadre's post: their unit colleagues.
    let mut colleague_units = BTreeSet::new();
    for id in &ended_cadres {
        if let Some(u) = loaded.get(id).and_then(|p| p.unit_id) {
            colleague_units.insert(u);
        }
    }
    for u in colleague_units {
        for p in store.people_of_unit(u)? {
            posts.extend(p.post_id);
            loaded.entry(p.id).or_insert(p);
        }
    }
    for u in units {
        ds.units.extend(store.get_unit(u)?);
    }
    for p in posts {
        ds.posts.extend(store.get_post(p)?);
    }
    let mut people: Vec<Person> = loaded.into_values().collect();
    people.sort_by_key(|p| p.id);
    ds.people = people;
    ds.monitoring_lines = store.monitoring_lines()?;
    Ok(ds)
}
