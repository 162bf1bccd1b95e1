//! Lookups the rules need, built once per dataset in linear time.
//!
//! Corrections: visits, contacts, income records and evaluations are append-only; a record whose
//! `corrects` names another supersedes it. The index holds only the records in force (those no
//! other record corrects: [`super::in_force`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::calendar::Quarter;
use crate::model::area::{Area, AreaLevel, Person, Role};
use crate::model::dataset::Dataset;
use crate::model::household::{Household, Pairing};
use crate::model::income::IncomeRecord;
use crate::model::visit::{SignReplacement, Visit};
use crate::model::work::{Evaluation, LedgerSubmission};
use crate::rules::corrections::in_force;

/// Read-only lookups over a [`Dataset`].
#[derive(Debug)]
pub struct Index<'a> {
    pub dataset: &'a Dataset,
    pub areas: HashMap<Uuid, &'a Area>,
    pub people: HashMap<Uuid, &'a Person>,
    pub households: HashMap<Uuid, &'a Household>,
    /// Pairings of each household, ascending by start.
    pub pairings_by_household: HashMap<Uuid, Vec<&'a Pairing>>,
    /// Visits in force of each household, ascending by visit time.
    pub visits_by_household: HashMap<Uuid, Vec<&'a Visit>>,
    /// Income records in force of each household, ascending by period then collection day.
    pub income_by_household: HashMap<Uuid, Vec<&'a IncomeRecord>>,
    /// Evaluations in force of each household, ascending by period then day.
    pub evaluations_by_household: HashMap<Uuid, Vec<&'a Evaluation>>,
    /// Sign replacements by the pairing they follow, ascending by day.
    pub signs_by_pairing: HashMap<Uuid, Vec<&'a SignReplacement>>,
    /// Ledger submissions by (unit, quarter), ascending by day.
    pub ledgers: HashMap<(Uuid, Quarter), Vec<&'a LedgerSubmission>>,
    /// People holding a first-secretary grant for each village (any dates).
    pub first_secretaries_by_village: HashMap<Uuid, Vec<&'a Person>>,
}

impl<'a> Index<'a> {
    pub fn new(dataset: &'a Dataset) -> Self {
        let areas = dataset.areas.iter().map(|a| (a.id, a)).collect();
        let people: HashMap<Uuid, &Person> = dataset.people.iter().map(|p| (p.id, p)).collect();
        let households = dataset.households.iter().map(|h| (h.id, h)).collect();

        let mut pairings_by_household: HashMap<Uuid, Vec<&Pairing>> = HashMap::new();
        for p in &dataset.pairings {
            pairings_by_household
                .entry(p.household_id)
                .or_default()
                .push(p);
        }
        for v in pairings_by_household.values_mut() {
            v.sort_by_key(|p| (p.start, p.id));
        }

        let mut visits_by_household: HashMap<Uuid, Vec<&Visit>> = HashMap::new();
        for v in in_force(&dataset.visits) {
            visits_by_household
                .entry(v.household_id)
                .or_default()
                .push(v);
        }
        for v in visits_by_household.values_mut() {
            v.sort_by_key(|v| (v.visited_at, v.id));
        }

        let mut income_by_household: HashMap<Uuid, Vec<&IncomeRecord>> = HashMap::new();
        for r in in_force(&dataset.income_records) {
            income_by_household
                .entry(r.household_id)
                .or_default()
                .push(r);
        }
        for v in income_by_household.values_mut() {
            v.sort_by_key(|r| (r.period, r.collected_on, r.id));
        }

        let mut evaluations_by_household: HashMap<Uuid, Vec<&Evaluation>> = HashMap::new();
        for e in in_force(&dataset.evaluations) {
            evaluations_by_household
                .entry(e.household_id)
                .or_default()
                .push(e);
        }
        for v in evaluations_by_household.values_mut() {
            v.sort_by_key(|e| (e.period, e.evaluated_on, e.id));
        }

        let mut signs_by_pairing: HashMap<Uuid, Vec<&SignReplacement>> = HashMap::new();
        for s in &dataset.sign_replacements {
            signs_by_pairing.entry(s.pairing_id).or_default().push(s);
        }
        for v in signs_by_pairing.values_mut() {
            v.sort_by_key(|s| (s.replaced_on, s.id));
        }

        let mut ledgers: HashMap<(Uuid, Quarter), Vec<&LedgerSubmission>> = HashMap::new();
        for l in &dataset.ledger_submissions {
            ledgers.entry((l.unit_id, l.period)).or_default().push(l);
        }
        for v in ledgers.values_mut() {
            v.sort_by_key(|l| (l.submitted_on, l.id));
        }

        let mut first_secretaries_by_village: HashMap<Uuid, Vec<&Person>> = HashMap::new();
        for p in &dataset.people {
            let mut villages: Vec<Uuid> = p
                .roles
                .iter()
                .filter(|g| g.role == Role::FirstSecretary)
                .filter_map(|g| g.area_id)
                .collect();
            villages.sort();
            villages.dedup();
            for v in villages {
                first_secretaries_by_village.entry(v).or_default().push(p);
            }
        }

        Index {
            dataset,
            areas,
            people,
            households,
            pairings_by_household,
            visits_by_household,
            income_by_household,
            evaluations_by_household,
            signs_by_pairing,
            ledgers,
            first_secretaries_by_village,
        }
    }

    /// The pairing of `household_id` active on `day`, if any (the latest-started one if several).
    pub fn pairing_on(&self, household_id: Uuid, day: NaiveDate) -> Option<&'a Pairing> {
        self.pairings_by_household
            .get(&household_id)?
            .iter()
            .rev()
            .find(|p| p.active_on(day))
            .copied()
    }

    /// The first secretary of `village_id` on `day`, if the village has one.
    pub fn first_secretary_on(&self, village_id: Uuid, day: NaiveDate) -> Option<&'a Person> {
        self.first_secretaries_by_village
            .get(&village_id)?
            .iter()
            .find(|p| p.has_role_in_on(Role::FirstSecretary, village_id, day))
            .copied()
    }

    /// The township that contains `area_id` (itself if it is one).
    pub fn township_of(&self, area_id: Uuid) -> Option<Uuid> {
        let mut cur = self.areas.get(&area_id).copied();
        while let Some(a) = cur {
            if a.level == AreaLevel::Township {
                return Some(a.id);
            }
            cur = a.parent_id.and_then(|p| self.areas.get(&p).copied());
        }
        None
    }

    /// The division codes from `area_id` up to the county, most specific first.
    pub fn codes_upward(&self, area_id: Uuid) -> Vec<&'a str> {
        let mut codes = Vec::new();
        let mut cur = self.areas.get(&area_id).copied();
        while let Some(a) = cur {
            codes.push(a.code.as_str());
            cur = a.parent_id.and_then(|p| self.areas.get(&p).copied());
        }
        codes
    }

    /// The monitoring line (fen per person per year) for a household's village in `year`: the most
    /// specific region first (village … county), then the province, then the national floor `CN`.
    pub fn monitoring_line_fen(&self, village_id: Uuid, year: i32) -> Option<i64> {
        let lines = &self.dataset.monitoring_lines;
        let mut regions = self.codes_upward(village_id);
        regions.push(self.dataset.settings.province_code.as_str());
        regions.push("CN");
        regions.into_iter().find_map(|code| {
            lines
                .iter()
                .find(|l| l.year == year && l.region_code == code)
                .map(|l| l.yuan_per_person.saturating_mul(100))
        })
    }
}
