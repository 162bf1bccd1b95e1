//! How the checks find the records a record refers to: through any [`Refs`] (one record at a time,
//! owned copies) or through a [`DatasetRefs`] (a whole dataset, borrowed, no copies).

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::Refs;
use crate::model::area::{Area, Person, Post, Unit};
use crate::model::dataset::Dataset;
use crate::model::household::{Household, Pairing};

/// What the checks ask of the records around the one they check.
pub(super) trait Lookup {
    fn area(&self, id: Uuid) -> Option<Cow<'_, Area>>;
    fn unit_exists(&self, id: Uuid) -> bool;
    fn post(&self, id: Uuid) -> Option<Cow<'_, Post>>;
    fn person(&self, id: Uuid) -> Option<Cow<'_, Person>>;
    fn household_exists(&self, id: Uuid) -> bool;
    fn pairing(&self, id: Uuid) -> Option<Cow<'_, Pairing>>;
    /// Whether a record of `entity` (named as by [`Record::entity`](crate::Record::entity)) with
    /// `id` exists.
    fn exists(&self, entity: &'static str, id: Uuid) -> bool;
}

/// A [`Lookup`] through any [`Refs`].
pub(super) struct ViaRefs<'a>(pub &'a dyn Refs);

impl Lookup for ViaRefs<'_> {
    fn area(&self, id: Uuid) -> Option<Cow<'_, Area>> {
        self.0.area(id).map(Cow::Owned)
    }
    fn unit_exists(&self, id: Uuid) -> bool {
        self.0.unit(id).is_some()
    }
    fn post(&self, id: Uuid) -> Option<Cow<'_, Post>> {
        self.0.post(id).map(Cow::Owned)
    }
    fn person(&self, id: Uuid) -> Option<Cow<'_, Person>> {
        self.0.person(id).map(Cow::Owned)
    }
    fn household_exists(&self, id: Uuid) -> bool {
        self.0.household(id).is_some()
    }
    fn pairing(&self, id: Uuid) -> Option<Cow<'_, Pairing>> {
        self.0.pairing(id).map(Cow::Owned)
    }
    fn exists(&self, entity: &'static str, id: Uuid) -> bool {
        self.0.exists(entity, id)
    }
}

/// Lookups by id over a [`Dataset`], built once in linear time. Implements [`Refs`], so a single
/// record can be validated against a dataset with
/// [`validate_record`](super::validate_record)`(&record, &DatasetRefs::new(&dataset))`.
///
/// Where an id occurs twice in one entity, the first record wins (the second is reported as a
/// `duplicate_id` by [`validate_dataset`](super::validate_dataset)).
#[derive(Debug)]
pub struct DatasetRefs<'a> {
    areas: HashMap<Uuid, &'a Area>,
    units: HashMap<Uuid, &'a Unit>,
    posts: HashMap<Uuid, &'a Post>,
    people: HashMap<Uuid, &'a Person>,
    households: HashMap<Uuid, &'a Household>,
    pairings: HashMap<Uuid, &'a Pairing>,
    members: HashSet<Uuid>,
    visits: HashSet<Uuid>,
    contacts: HashSet<Uuid>,
    income_records: HashSet<Uuid>,
    evaluations: HashSet<Uuid>,
    measures: HashSet<Uuid>,
    plans: HashSet<Uuid>,
    consumption_purchases: HashSet<Uuid>,
    purchase_events: HashSet<Uuid>,
    sign_replacements: HashSet<Uuid>,
    ledger_submissions: HashSet<Uuid>,
    /// Second and later occurrences of an id within an entity, in dataset order.
    duplicates: Vec<(&'static str, Uuid)>,
}

fn by_id<'a, T>(
    items: &'a [T],
    entity: &'static str,
    id: impl Fn(&T) -> Uuid,
    duplicates: &mut Vec<(&'static str, Uuid)>,
) -> HashMap<Uuid, &'a T> {
    let mut map = HashMap::with_capacity(items.len());
    for item in items {
        match map.entry(id(item)) {
            Entry::Occupied(e) => duplicates.push((entity, *e.key())),
            Entry::Vacant(e) => {
                e.insert(item);
            }
        }
    }
    map
}

fn id_set<T>(
    items: &[T],
    entity: &'static str,
    id: impl Fn(&T) -> Uuid,
    duplicates: &mut Vec<(&'static str, Uuid)>,
) -> HashSet<Uuid> {
    let mut set = HashSet::with_capacity(items.len());
    for item in items {
        let key = id(item);
        if !set.insert(key) {
            duplicates.push((entity, key));
        }
    }
    set
}

impl<'a> DatasetRefs<'a> {
    pub fn new(ds: &'a Dataset) -> Self {
        let mut d = Vec::new();
        DatasetRefs {
            areas: by_id(&ds.areas, "area", |r| r.id, &mut d),
            units: by_id(&ds.units, "unit", |r| r.id, &mut d),
            posts: by_id(&ds.posts, "post", |r| r.id, &mut d),
            people: by_id(&ds.people, "person", |r| r.id, &mut d),
            households: by_id(&ds.households, "household", |r| r.id, &mut d),
            members: id_set(&ds.members, "member", |r| r.id, &mut d),
            pairings: by_id(&ds.pairings, "pairing", |r| r.id, &mut d),
            visits: id_set(&ds.visits, "visit", |r| r.id, &mut d),
            contacts: id_set(&ds.contacts, "contact", |r| r.id, &mut d),
            income_records: id_set(&ds.income_records, "income_record", |r| r.id, &mut d),
            evaluations: id_set(&ds.evaluations, "evaluation", |r| r.id, &mut d),
            measures: id_set(&ds.measures, "measure", |r| r.id, &mut d),
            plans: id_set(&ds.plans, "plan", |r| r.id, &mut d),
            consumption_purchases: id_set(
                &ds.consumption_purchases,
                "consumption_purchase",
                |r| r.id,
                &mut d,
            ),
            purchase_events: id_set(&ds.purchase_events, "purchase_event", |r| r.id, &mut d),
            sign_replacements: id_set(&ds.sign_replacements, "sign_replacement", |r| r.id, &mut d),
            ledger_submissions: id_set(
                &ds.ledger_submissions,
                "ledger_submission",
                |r| r.id,
                &mut d,
            ),
            duplicates: d,
        }
    }

    /// Ids that occur more than once within one entity (each repeat once), in dataset order.
    pub(super) fn duplicates(&self) -> &[(&'static str, Uuid)] {
        &self.duplicates
    }

    fn contains(&self, entity: &str, id: Uuid) -> bool {
        match entity {
            "area" => self.areas.contains_key(&id),
            "unit" => self.units.contains_key(&id),
            "post" => self.posts.contains_key(&id),
            "person" => self.people.contains_key(&id),
            "household" => self.households.contains_key(&id),
            "member" => self.members.contains(&id),
            "pairing" => self.pairings.contains_key(&id),
            "visit" => self.visits.contains(&id),
            "contact" => self.contacts.contains(&id),
            "income_record" => self.income_records.contains(&id),
            "evaluation" => self.evaluations.contains(&id),
            "measure" => self.measures.contains(&id),
            "plan" => self.plans.contains(&id),
            "consumption_purchase" => self.consumption_purchases.contains(&id),
            "purchase_event" => self.purchase_events.contains(&id),
            "sign_replacement" => self.sign_replacements.contains(&id),
            "ledger_submission" => self.ledger_submissions.contains(&id),
            _ => false,
        }
    }
}

impl Refs for DatasetRefs<'_> {
    fn area(&self, id: Uuid) -> Option<Area> {
        self.areas.get(&id).map(|&r| r.clone())
    }
    fn unit(&self, id: Uuid) -> Option<Unit> {
        self.units.get(&id).map(|&r| r.clone())
    }
    fn post(&self, id: Uuid) -> Option<Post> {
        self.posts.get(&id).map(|&r| r.clone())
    }
    fn person(&self, id: Uuid) -> Option<Person> {
        self.people.get(&id).map(|&r| r.clone())
    }
    fn household(&self, id: Uuid) -> Option<Household> {
        self.households.get(&id).map(|&r| r.clone())
    }
    fn pairing(&self, id: Uuid) -> Option<Pairing> {
        self.pairings.get(&id).map(|&r| r.clone())
    }
    fn exists(&self, entity: &'static str, id: Uuid) -> bool {
        self.contains(entity, id)
    }
}

impl Lookup for DatasetRefs<'_> {
    fn area(&self, id: Uuid) -> Option<Cow<'_, Area>> {
        self.areas.get(&id).map(|&r| Cow::Borrowed(r))
    }
    fn unit_exists(&self, id: Uuid) -> bool {
        self.units.contains_key(&id)
    }
    fn post(&self, id: Uuid) -> Option<Cow<'_, Post>> {
        self.posts.get(&id).map(|&r| Cow::Borrowed(r))
    }
    fn person(&self, id: Uuid) -> Option<Cow<'_, Person>> {
        self.people.get(&id).map(|&r| Cow::Borrowed(r))
    }
    fn household_exists(&self, id: Uuid) -> bool {
        self.households.contains_key(&id)
    }
    fn pairing(&self, id: Uuid) -> Option<Cow<'_, Pairing>> {
        self.pairings.get(&id).map(|&r| Cow::Borrowed(r))
    }
    fn exists(&self, entity: &'static str, id: Uuid) -> bool {
        self.contains(entity, id)
    }
}
