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

use bangfu_core::{Area, AreaLevel, Dataset, MonitoringLine, Person, Role};
use bangfu_store::Store;
use chrono::NaiveDate;
use rusqlite::types::Value;
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

    /// A SQL condition on `h` (the households table) selecting the households in scope, with its
    /// parameters. Ids are written as blob literals (they come from the store, never from input).
    pub(crate) fn sql_condition(&self) -> (String, Vec<Value>) {
        if self.all {
            return ("1".into(), Vec::new());
        }
        let day = self.today.format("%Y-%m-%d").to_string();
        let mut parts = vec![
            "h.id IN (SELECT household_id FROM pairings WHERE cadre_id = ? AND start_day <= ? \
             AND (end_day IS NULL OR end_day >= ?))"
                .to_owned(),
        ];
        let mut params = vec![
            Value::Blob(self.me.id.as_bytes().to_vec()),
            Value::Text(day.clone()),
            Value::Text(day.clone()),
        ];
        if !self.villages.is_empty() {
            let list: Vec<String> = self
                .villages
                .iter()
                .map(|v| format!("X'{}'", crate::hex(v.as_bytes())))
                .collect();
            parts.push(format!("h.village_id IN ({})", list.join(", ")));
        }
        if let Some(unit) = self.unit {
            parts.push(
                "h.id IN (SELECT p.household_id FROM pairings p JOIN people c ON c.id = p.cadre_id \
                 WHERE c.unit_id = ? AND p.start_day <= ? AND (p.end_day IS NULL OR p.end_day >= ?))"
                    .to_owned(),
            );
            params.push(Value::Blob(unit.as_bytes().to_vec()));
            params.push(Value::Text(day.clone()));
            params.push(Value::Text(day));
        }
        (format!("({})", parts.join(" OR ")), params)
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
                    villages.extend(villages_of_township(&self.store, t)?);
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
        let (cond, mut params) = scope.sql_condition();
        params.insert(0, Value::Blob(household_id.as_bytes().to_vec()));
        let sql = format!("SELECT 1 FROM households h WHERE h.id = ? AND {cond}");
        let mut st = self.store.connection().prepare_cached(&sql)?;
        Ok(st.exists(rusqlite::params_from_iter(params))?)
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

fn villages_of_township(store: &Store, township: Uuid) -> Result<Vec<Uuid>> {
    let mut st = store
        .connection()
        .prepare_cached("SELECT id FROM areas WHERE parent_id = ?1 AND level = 'village'")?;
    let rows = st.query_map([township.as_bytes()], |r| r.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for r in rows {
        if let Ok(id) = Uuid::from_slice(&r?) {
            out.push(id);
        }
    }
    Ok(out)
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

/// Every monitoring line (a short table).
pub(crate) fn monitoring_lines(store: &Store) -> Result<Vec<MonitoringLine>> {
    let mut st = store.connection().prepare_cached(
        "SELECT year, region_code, yuan_per_person, source FROM monitoring_lines ORDER BY rowid",
    )?;
    let rows = st.query_map([], |r| {
        Ok(MonitoringLine {
            year: r.get(0)?,
            region_code: r.get(1)?,
            yuan_per_person: r.get(2)?,
            source: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
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
        let mut st = store.connection().prepare_cached(
            "SELECT DISTINCT person_id FROM role_grants WHERE area_id = ?1
             AND role IN ('first_secretary', 'team_member')",
        )?;
        let rows = st.query_map([v.as_bytes()], |r| r.get::<_, Vec<u8>>(0))?;
        for r in rows {
            if let Ok(id) = Uuid::from_slice(&r?) {
                people.insert(id);
            }
        }
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
    ds.monitoring_lines = monitoring_lines(store)?;
    Ok(ds)
}
