//! Each household in one pass: its class history and risks, members, pairings with contact signs,
//! then its visits, contacts, income, evaluations, plan and measures.

use bangfu_core::{
    Assistance, ClassPeriod, Household, HouseholdClass, MonitoredKind, Pairing, PairingEndReason,
    Risk, SignReplacement, WorkingDays,
};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::members::{Roster, roster};
use crate::util::{DemoRng, add_days, chance, day_in, id_on, phone, round6, ymd};
use crate::world::{Category, Gen, HouseholdPlan, Village, World};
use crate::{income, visits, work};

/// A stretch of the household's pairing with one cadre (`end` inclusive).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    /// Index into [`World::cadres`].
    pub cadre: usize,
    pub person: Uuid,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

/// Everything known about one household while its records are written.
#[derive(Debug)]
pub(crate) struct Hh<'w> {
    pub id: Uuid,
    pub plan: &'w HouseholdPlan,
    pub village: &'w Village,
    pub household: Household,
    pub roster: Roster,
    pub segments: Vec<Segment>,
    /// The day it became monitored (or was first monitored), if ever.
    pub monitored_from: Option<NaiveDate>,
    pub eliminated_on: Option<NaiveDate>,
    /// The risks it was monitored for (kept for the plan after elimination).
    pub risks: Vec<Risk>,
    /// Offset of the house from the village centre (degrees).
    pub offset: (f64, f64),
    /// Whether to keep contacts to a few a year (large demos).
    pub sparse: bool,
}

impl Hh<'_> {
    pub(crate) fn segment_on(&self, day: NaiveDate) -> Option<&Segment> {
        self.segments
            .iter()
            .rev()
            .find(|s| s.start <= day && s.end.is_none_or(|e| day <= e))
    }

    /// The paired cadre on `day`, else whoever of the resident team is there.
    pub(crate) fn cadre_or_resident_on(&self, day: NaiveDate) -> Option<Uuid> {
        self.segment_on(day)
            .map(|s| s.person)
            .or_else(|| self.village.resident_on(day))
    }

    pub(crate) fn assistance_on(&self, day: NaiveDate) -> Option<Assistance> {
        self.household.assistance_on(day)
    }

    pub(crate) fn monitored_on(&self, day: NaiveDate) -> bool {
        self.assistance_on(day) == Some(Assistance::Monitored)
    }
}

/// Generates every household's records; returns the household ids in plan order.
pub(crate) fn generate_all(g: &mut Gen, world: &World) -> Vec<Uuid> {
    let sparse = world.plans.len() > 5_000;
    let mut ids = Vec::with_capacity(world.plans.len());
    for plan in &world.plans {
        let mut rng = DemoRng::seed_from_u64(g.rng.random());
        let hh = household(g, world, plan, &mut rng, sparse);
        ids.push(hh.id);
        visits::generate(g, world, &hh, &mut rng);
        income::generate(g, &hh, &mut rng);
        work::household_measures(g, &hh, &mut rng);
        g.ds.households.push(hh.household.clone());
        g.ds.members.extend(hh.roster.members);
    }
    ids
}

/// Day the household became monitored and day its risk was eliminated, by category.
fn key_dates(
    g: &Gen,
    rng: &mut DemoRng,
    category: Category,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let y = g.year;
    let old_lo = add_days(g.era_start, 150);
    let mid_month = |rng: &mut DemoRng| ymd(y, rng.random_range(2..=11), rng.random_range(8..=22));
    match category {
        Category::Lifted => (None, None),
        Category::MonitoredOld(_) => (Some(day_in(rng, old_lo, ymd(y - 1, 12, 1))), None),
        // (Before "today" when the demo ends early in the year.)
        Category::MonitoredNew { .. } => (Some(mid_month(rng).min(add_days(g.as_of, -10))), None),
        Category::Unpaired(_) => {
            let back = if chance(rng, 0.5) { 25 } else { 7 };
            (Some(add_days(g.as_of, -back)), None)
        }
        Category::Eliminated(_) => {
            let from = day_in(rng, old_lo, ymd(y - 1, 3, 1));
            let eliminated = if chance(rng, 0.5) {
                day_in(
                    rng,
                    add_days(from, 200).max(ymd(y - 1, 7, 1)),
                    ymd(y - 1, 12, 15),
                )
            } else {
                day_in(rng, ymd(y, 7, 15), ymd(y, 9, 20))
            };
            (Some(from), Some(eliminated))
        }
    }
}

fn kind_of(category: Category) -> Option<MonitoredKind> {
    match category {
        Category::Lifted => None,
        Category::MonitoredOld(k) | Category::Unpaired(k) | Category::Eliminated(k) => Some(k),
        Category::MonitoredNew { kind, .. } => Some(kind),
    }
}

fn class_history(
    g: &Gen,
    category: Category,
    monitored: Option<NaiveDate>,
    eliminated: Option<NaiveDate>,
) -> Vec<ClassPeriod> {
    let mut out = Vec::new();
    if category.was_lifted() {
        out.push(ClassPeriod {
            from: g.era_start,
            class: HouseholdClass::Lifted,
            kind: None,
        });
    }
    let kind = kind_of(category);
    if let Some(from) = monitored {
        out.push(ClassPeriod {
            from,
            class: HouseholdClass::Monitored,
            kind,
        });
    }
    if let Some(from) = eliminated {
        out.push(ClassPeriod {
            from,
            class: HouseholdClass::RiskEliminated,
            kind,
        });
    }
    out
}

/// 1–5 risks fitting the kind of monitored household (most have one or two).
fn risks(rng: &mut DemoRng, kind: MonitoredKind, roster: &Roster) -> Vec<Risk> {
    use Risk::*;
    let weights: &[(Risk, u32)] = match kind {
        MonitoredKind::UnstableLifted => &[
            (Illness, 40),
            (LackOfLabour, 20),
            (UnstableEmployment, 15),
            (Disability, 10),
            (Schooling, 8),
            (Housing, 3),
            (Other, 4),
        ],
        MonitoredKind::Marginal => &[
            (Illness, 35),
            (Schooling, 20),
            (LackOfLabour, 20),
            (UnstableEmployment, 15),
            (Disability, 5),
            (DrinkingWater, 2),
            (Other, 3),
        ],
        MonitoredKind::SuddenHardship => &[
            (Illness, 35),
            (Accident, 25),
            (Disaster, 20),
            (BusinessFailure, 15),
            (Housing, 5),
        ],
    };
    let mut pool: Vec<(Risk, u32)> = weights
        .iter()
        .copied()
        .filter(|&(r, _)| r != Schooling || roster.in_school())
        .filter(|&(r, _)| r != UnstableEmployment || roster.able() > 0)
        .collect();
    let n = match rng.random_range(0..100) {
        0..55 => 1,
        55..85 => 2,
        85..95 => 3,
        95..99 => 4,
        _ => 5,
    };
    let mut out = Vec::new();
    while out.len() < n && !pool.is_empty() {
        let total: u32 = pool.iter().map(|&(_, w)| w).sum();
        let mut roll = rng.random_range(0..total);
        let i = pool
            .iter()
            .position(|&(_, w)| {
                if roll < w {
                    true
                } else {
                    roll -= w;
                    false
                }
            })
            .unwrap_or(0);
        out.push(pool.remove(i).0);
    }
    out.sort();
    out
}

/// The household, its members, pairings and contact signs.
fn household<'w>(
    g: &mut Gen,
    world: &'w World,
    plan: &'w HouseholdPlan,
    rng: &mut DemoRng,
    sparse: bool,
) -> Hh<'w> {
    let village = &world.villages[plan.village];
    let (monitored_from, eliminated_on) = key_dates(g, rng, plan.category);
    let history = class_history(g, plan.category, monitored_from, eliminated_on);
    let created = history.first().map_or(g.era_start, |c| c.from);
    let id = id_on(rng, created);
    let roster = roster(rng, &mut g.id_numbers, id, created, g.as_of, plan.uninsured);
    let risks = kind_of(plan.category).map_or_else(Vec::new, |k| risks(rng, k, &roster));
    let group = format!("{}组", rng.random_range(1..=village.groups));
    let township = world.townships[village.township].name;
    let household = Household {
        id,
        village_id: village.id,
        address: Some(format!("信丰县{township}{}{group}", village.name)),
        group: Some(group),
        head_name: roster
            .members
            .first()
            .map_or_else(String::new, |m| m.name.clone()),
        phone: chance(rng, 0.85).then(|| phone(rng)),
        class_history: history,
        risks: if eliminated_on.is_none() {
            risks.clone()
        } else {
            Vec::new()
        },
    };
    let offset = (rng.random_range(-0.01..0.01), rng.random_range(-0.01..0.01));
    let mut hh = Hh {
        id,
        plan,
        village,
        household,
        roster,
        segments: Vec::new(),
        monitored_from,
        eliminated_on,
        risks,
        offset: (round6(offset.0), round6(offset.1)),
        sparse,
    };
    pairings(g, world, &mut hh, rng);
    hh
}

/// The household's pairings: the first cadre, then successors as cadres leave (R5); an eliminated
/// ordinary household's pairing ends the day before it stops being assisted.
fn pairings(g: &mut Gen, world: &World, hh: &mut Hh<'_>, rng: &mut DemoRng) {
    let Some(first) = hh.plan.cadre else {
        return;
    };
    let cadre_start = world.cadres[first].start;
    let (start, arranged) = match (hh.plan.category.was_lifted(), hh.monitored_from) {
        (false, Some(from)) if from >= g.year_start => {
            let delay = if chance(rng, 0.6) {
                rng.random_range(2..=12)
            } else {
                rng.random_range(15..=40)
            };
            (add_days(from, delay).min(add_days(g.as_of, -3)), true)
        }
        (false, Some(from)) => (
            add_days(from, rng.random_range(3..=10)).max(cadre_start),
            true,
        ),
        _ => (cadre_start, false),
    };
    let not_assisted_from = match hh.plan.category {
        Category::Eliminated(MonitoredKind::Marginal) => hh.eliminated_on,
        _ => None,
    };

    // (segment, end reason, successor person)
    let mut chain: Vec<(Segment, Option<PairingEndReason>, Option<Uuid>)> = Vec::new();
    let (mut cadre, mut from) = (first, start);
    loop {
        let person = world.cadres[cadre].id;
        match world.cadres[cadre].leave.filter(|l| l.on >= from) {
            Some(leave) => {
                let next = leave.successor;
                let seg = Segment {
                    cadre,
                    person,
                    start: from,
                    end: Some(leave.on),
                };
                chain.push((
                    seg,
                    Some(leave.reason),
                    next.map(|(c, _)| world.cadres[c].id),
                ));
                match next {
                    Some((c, day)) => (cadre, from) = (c, day),
                    None => break,
                }
            }
            None => {
                let seg = Segment {
                    cadre,
                    person,
                    start: from,
                    end: None,
                };
                chain.push((seg, None, None));
                break;
            }
        }
    }
    if let Some(stop) = not_assisted_from {
        let last_day = add_days(stop, -1);
        chain.retain(|(s, _, _)| s.start <= last_day);
        if let Some((seg, reason, successor)) = chain.last_mut() {
            if seg.end.is_none_or(|e| e >= last_day) {
                seg.end = Some(last_day);
                *reason = Some(PairingEndReason::HouseholdNotAssisted);
            }
            *successor = None;
        }
    }

    for (i, (seg, reason, successor)) in chain.into_iter().enumerate() {
        let id = id_on(rng, seg.start);
        let arranged_by = if i == 0 && arranged {
            hh.village.resident_on(seg.start)
        } else {
            None
        };
        g.ds.pairings.push(Pairing {
            id,
            household_id: hh.id,
            cadre_id: seg.person,
            start: seg.start,
            end: seg.end,
            end_reason: reason,
            successor_id: successor,
            arranged_by,
        });
        sign_replacement(g, rng, hh.id, id, seg);
        hh.segments.push(seg);
    }
}

/// R7: the contact sign is replaced within 7 working days of a pairing start, mostly; some late,
/// a few never (this year).
fn sign_replacement(g: &mut Gen, rng: &mut DemoRng, household: Uuid, pairing: Uuid, seg: Segment) {
    let this_year = seg.start >= g.year_start;
    let roll = rng.random_range(0..100);
    let working_days = match roll {
        0..85 => rng.random_range(1..=7),
        85..95 => rng.random_range(8..=20),
        _ if this_year => return,
        _ => rng.random_range(1..=7),
    };
    let day = WorkingDays::add(seg.start, working_days);
    if day > g.as_of || seg.end.is_some_and(|e| day > e) {
        return;
    }
    g.ds.sign_replacements.push(SignReplacement {
        id: id_on(rng, day),
        household_id: household,
        pairing_id: pairing,
        replaced_on: day,
        recorded_by: seg.person,
    });
}
