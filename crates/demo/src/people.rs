//! Assisting units with their posts and cadres, the resident teams of the villages, township
//! stations and the county office; which cadre is paired with which household; and the cadres who
//! leave during the year (R5), with or without a successor in their post.

use bangfu_core::{PairingEndReason, Person, Post, Role, RoleGrant, Unit};
use chrono::NaiveDate;
use rand::Rng;
use uuid::Uuid;

use crate::names::{full_name, leader_titles, staff_birth_year, unit_names};
use crate::util::{add_days, chance, day_in, id_on, phone, pick, shuffle, ymd};
use crate::world::{Cadre, Category, Gen, Leave, Term, UnitInfo, World};

/// Households per assisting unit, on average.
const HOUSEHOLDS_PER_UNIT: f64 = 170.0;
/// Households per cadre, on average (each has 4–8).
const HOUSEHOLDS_PER_CADRE: f64 = 6.2;

fn grant(role: Role, area_id: Option<Uuid>, from: NaiveDate) -> RoleGrant {
    RoleGrant {
        role,
        area_id,
        from,
        to: None,
    }
}

/// Adds a person and returns its index in `ds.people`.
fn add_person(
    g: &mut Gen,
    unit: Option<Uuid>,
    post: Option<Uuid>,
    roles: Vec<RoleGrant>,
    from: NaiveDate,
) -> usize {
    let male = chance(&mut g.rng, 0.65);
    let birth = staff_birth_year(&mut g.rng, g.year);
    let name = full_name(&mut g.rng, male, birth);
    let id = id_on(&mut g.rng, from);
    let phone = Some(phone(&mut g.rng));
    g.ds.people.push(Person {
        id,
        name,
        phone,
        unit_id: unit,
        post_id: post,
        left_on: None,
        roles,
    });
    g.ds.people.len() - 1
}

fn add_post(g: &mut Gen, unit_id: Uuid, title: &str) -> Uuid {
    let id = id_on(&mut g.rng, g.era_start);
    g.ds.posts.push(Post {
        id,
        unit_id,
        title: title.to_owned(),
    });
    id
}

/// A cadre's post and where its person record is, while people are being built.
struct Staff {
    person: usize,
    post: Uuid,
    /// Holds the unit's staff post, which several cadres share.
    shared_post: bool,
    admin: bool,
}

/// Builds units, posts and people, pairs households with cadres and plans the departures.
pub(crate) fn build(g: &mut Gen, world: &mut World) {
    let n_households = world.plans.len();
    let n_units = ((n_households as f64 / HOUSEHOLDS_PER_UNIT).round() as usize)
        .clamp(1, world.villages.len());
    let mut order: Vec<usize> = (0..world.villages.len()).collect();
    shuffle(&mut g.rng, &mut order);
    for (j, &v) in order.iter().enumerate() {
        world.villages[v].unit = j % n_units;
    }

    let mut staff: Vec<Staff> = Vec::new();
    for (u, name) in unit_names(n_units).into_iter().enumerate() {
        let unit_id = id_on(&mut g.rng, g.era_start);
        g.ds.units.push(Unit {
            id: unit_id,
            name: name.clone(),
        });
        let villages: Vec<usize> = (0..world.villages.len())
            .filter(|&v| world.villages[v].unit == u)
            .collect();
        let mut households: Vec<usize> = villages
            .iter()
            .flat_map(|&v| world.villages[v].households.iter().copied())
            .filter(|&h| world.plans[h].category.paired_with_unit())
            .collect();
        shuffle(&mut g.rng, &mut households);
        let start = day_in(
            &mut g.rng,
            add_days(g.era_start, 45),
            add_days(g.era_start, 110),
        );
        let cadres = add_cadres(
            g,
            world,
            &mut staff,
            u,
            unit_id,
            &name,
            households.len(),
            start,
        );
        pair_with_cadres(g, world, &cadres, &households);
        world.units.push(UnitInfo {
            id: unit_id,
            villages: villages.clone(),
            cadres,
        });
        add_resident_teams(g, world, unit_id, &villages);
    }

    plan_departures(g, world, &staff);
    pair_new_households(g, world);
    rotate_one_first_secretary(g, world);

    for (i, t) in world.townships.iter().enumerate() {
        for _ in 0..if i == 0 { 2 } else { 1 } {
            let roles = vec![grant(Role::TownshipStation, Some(t.id), g.era_start)];
            add_person(g, None, None, roles, g.era_start);
        }
    }
    for _ in 0..3 {
        let roles = vec![grant(Role::CountyOffice, Some(world.county), g.era_start)];
        add_person(g, None, None, roles, g.era_start);
    }
}

/// The cadres of one unit, in posts from the head down; returns their indices in `world.cadres`.
#[allow(clippy::too_many_arguments)]
fn add_cadres(
    g: &mut Gen,
    world: &mut World,
    staff: &mut Vec<Staff>,
    unit: usize,
    unit_id: Uuid,
    unit_name: &str,
    households: usize,
    start: NaiveDate,
) -> Vec<usize> {
    let mut k = ((households as f64 / HOUSEHOLDS_PER_CADRE).round() as usize).max(1);
    while k * 8 < households {
        k += 1;
    }
    while k > 1 && k * 4 > households {
        k -= 1;
    }
    let (head, deputy, sections) = leader_titles(unit_name);
    let mut titles: Vec<String> = vec![head.to_owned()];
    if k >= 4 {
        titles.extend([deputy.to_owned(), deputy.to_owned()]);
    }
    if k >= 5 {
        titles.push("办公室主任".to_owned());
    }
    for s in 0..(k.saturating_sub(8) / 5).min(8) {
        titles.push(sections.head_title(s));
    }
    let staff_title = sections.staff_title();
    let mut posts: Vec<(String, Uuid)> = Vec::new();
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        let title = titles
            .get(i)
            .cloned()
            .unwrap_or_else(|| staff_title.to_owned());
        let post = match posts.iter().find(|(t, _)| *t == title) {
            Some(&(_, id)) => id,
            None => {
                let id = add_post(g, unit_id, &title);
                posts.push((title.clone(), id));
                id
            }
        };
        let admin = title == "办公室主任" || (k < 5 && i == 0);
        let mut roles = vec![grant(Role::Cadre, None, start)];
        if admin {
            roles.push(grant(Role::UnitAdmin, None, g.era_start));
        }
        let person = add_person(g, Some(unit_id), Some(post), roles, start);
        staff.push(Staff {
            person,
            post,
            shared_post: title == staff_title,
            admin,
        });
        let lax = chance(&mut g.rng, 0.08);
        world.cadres.push(Cadre {
            id: g.ds.people[person].id,
            unit,
            start,
            lax,
            leave: None,
        });
        out.push(world.cadres.len() - 1);
    }
    out
}

/// Pairs the unit's households with its cadres, 4–8 each.
fn pair_with_cadres(g: &mut Gen, world: &mut World, cadres: &[usize], households: &[usize]) {
    let k = cadres.len();
    let base = (households.len() / k).min(4);
    let mut sizes = vec![base; k];
    let mut left = households.len() - base * k;
    while left > 0 {
        let c = g.rng.random_range(0..k);
        if sizes[c] < 8 || sizes.iter().all(|&s| s >= 8) {
            sizes[c] += 1;
            left -= 1;
        }
    }
    let mut it = households.iter();
    for (c, &size) in cadres.iter().zip(&sizes) {
        for &h in it.by_ref().take(size) {
            world.plans[h].cadre = Some(*c);
        }
    }
}

/// First secretary and 1–2 team members for each village, from the unit that assists it.
fn add_resident_teams(g: &mut Gen, world: &mut World, unit_id: Uuid, villages: &[usize]) {
    let fs_post = add_post(g, unit_id, "驻村第一书记");
    let team_post = add_post(g, unit_id, "驻村工作队员");
    for &v in villages {
        let village_id = world.villages[v].id;
        let from = day_in(
            &mut g.rng,
            add_days(g.era_start, 30),
            add_days(g.year_start, -200),
        );
        let roles = vec![grant(Role::FirstSecretary, Some(village_id), from)];
        let p = add_person(g, Some(unit_id), Some(fs_post), roles, from);
        let person = g.ds.people[p].id;
        let village = &mut world.villages[v];
        village.first_secretaries.push(Term {
            person,
            from,
            to: None,
        });
        village.fs_monthly = *pick(&mut g.rng, &[0.97, 0.93, 0.85, 0.8, 0.6]);
        village.fs_quarterly = *pick(&mut g.rng, &[0.85, 0.7, 0.6, 0.5, 0.3]);
        for _ in 0..g.rng.random_range(1..=2) {
            let roles = vec![grant(Role::TeamMember, Some(village_id), from)];
            let p = add_person(g, Some(unit_id), Some(team_post), roles, from);
            let id = g.ds.people[p].id;
            world.villages[v].team.push(id);
        }
    }
}

/// Ends `staff`'s person in post on `on` (left_on and the cadre grant).
fn leave_post(g: &mut Gen, person: usize, on: NaiveDate) {
    let p = &mut g.ds.people[person];
    p.left_on = Some(on);
    for r in &mut p.roles {
        if r.to.is_none() {
            r.to = Some(on);
        }
    }
}

/// Cadres who leave during the year: most are succeeded the next day, a few after a gap (断档),
/// and one or two have no successor yet on "today" while a colleague in the same post could take
/// over (R5 proposes that colleague).
fn plan_departures(g: &mut Gen, world: &mut World, staff: &[Staff]) {
    let with_households: Vec<bool> = {
        let mut v = vec![false; world.cadres.len()];
        for c in world.plans.iter().filter_map(|p| p.cadre) {
            v[c] = true;
        }
        v
    };
    let mut candidates: Vec<usize> = (0..staff.len())
        .filter(|&c| with_households[c] && !staff[c].admin)
        .collect();
    shuffle(&mut g.rng, &mut candidates);
    let total = staff.len();
    let n_open = if world.plans.len() >= 10_000 { 2 } else { 1 };
    let n_gap = ((total as f64 * 0.003).round() as usize).max(1);
    let n_smooth = ((total as f64 * 0.008).round() as usize).max(1);

    // No successor yet: a cadre in a shared post whose unit keeps another cadre in that post.
    let mut chosen: Vec<usize> = Vec::new();
    for &c in &candidates {
        if chosen.len() == n_open {
            break;
        }
        let unit = world.cadres[c].unit;
        let colleagues = world.units[unit]
            .cadres
            .iter()
            .filter(|&&o| o != c && staff[o].post == staff[c].post)
            .count();
        let unit_taken = chosen.iter().any(|&o| world.cadres[o].unit == unit);
        if staff[c].shared_post && colleagues >= 1 && !unit_taken {
            chosen.push(c);
        }
    }
    let as_of = g.as_of;
    for &c in &chosen {
        let on = day_in(&mut g.rng, add_days(as_of, -40), add_days(as_of, -12));
        let reason = *pick(
            &mut g.rng,
            &[
                PairingEndReason::DepartmentChange,
                PairingEndReason::Resignation,
            ],
        );
        world.cadres[c].leave = Some(Leave {
            on,
            reason,
            successor: None,
        });
        leave_post(g, staff[c].person, on);
    }

    let rest: Vec<usize> = candidates
        .into_iter()
        .filter(|c| !chosen.contains(c))
        .take(n_gap + n_smooth)
        .collect();
    for (i, &c) in rest.iter().enumerate() {
        let gap = i < n_gap;
        let (on, next) = if gap {
            let on = day_in(
                &mut g.rng,
                ymd(g.year, 3, 1).min(add_days(as_of, -60)),
                ymd(g.year, 10, 15).min(add_days(as_of, -50)),
            );
            let days = g.rng.random_range(5..=45);
            (on, add_days(on, days).min(add_days(as_of, -5)))
        } else {
            let on = day_in(
                &mut g.rng,
                ymd(g.year, 2, 1).min(add_days(as_of, -30)),
                ymd(g.year, 11, 20).min(add_days(as_of, -10)),
            );
            (on, add_days(on, 1))
        };
        let reasons: &[PairingEndReason] = if gap {
            &[
                PairingEndReason::Resignation,
                PairingEndReason::Health,
                PairingEndReason::DepartmentChange,
            ]
        } else {
            &[
                PairingEndReason::DepartmentChange,
                PairingEndReason::DepartmentChange,
                PairingEndReason::DepartmentChange,
                PairingEndReason::Retirement,
                PairingEndReason::Retirement,
                PairingEndReason::Resignation,
                PairingEndReason::Health,
            ]
        };
        let reason = *pick(&mut g.rng, reasons);
        let unit = world.cadres[c].unit;
        let unit_id = world.units[unit].id;
        let roles = vec![grant(Role::Cadre, None, next)];
        let p = add_person(g, Some(unit_id), Some(staff[c].post), roles, next);
        world.cadres.push(Cadre {
            id: g.ds.people[p].id,
            unit,
            start: next,
            lax: false,
            leave: None,
        });
        let successor = world.cadres.len() - 1;
        world.units[unit].cadres.push(successor);
        world.cadres[c].leave = Some(Leave {
            on,
            reason,
            successor: Some((successor, next)),
        });
        leave_post(g, staff[c].person, on);
    }
}

/// Households that became monitored this year without having been lifted get a cadre who stays.
fn pair_new_households(g: &mut Gen, world: &mut World) {
    for h in 0..world.plans.len() {
        if !matches!(
            world.plans[h].category,
            Category::MonitoredNew {
                from_lifted: false,
                ..
            }
        ) {
            continue;
        }
        let unit = world.villages[world.plans[h].village].unit;
        let steady: Vec<usize> = world.units[unit]
            .cadres
            .iter()
            .copied()
            .filter(|&c| world.cadres[c].leave.is_none() && world.cadres[c].start < g.year_start)
            .collect();
        if !steady.is_empty() {
            world.plans[h].cadre = Some(*pick(&mut g.rng, &steady));
        }
    }
}

/// One village changes first secretary in mid-year, with two weeks in between without one.
fn rotate_one_first_secretary(g: &mut Gen, world: &mut World) {
    if world.villages.len() < 2 {
        return;
    }
    let v = g.rng.random_range(0..world.villages.len());
    let (old_to, new_from) = (ymd(g.year, 6, 20), ymd(g.year, 7, 6));
    if new_from > g.as_of {
        // A demo ending before the rotation: it has not happened yet.
        return;
    }
    let Some(old) = world.villages[v].first_secretaries.first().copied() else {
        return;
    };
    if let Some(p) = g.ds.people.iter().position(|p| p.id == old.person) {
        leave_post(g, p, old_to);
    }
    let village_id = world.villages[v].id;
    let unit_id = world.units[world.villages[v].unit].id;
    let post =
        g.ds.posts
            .iter()
            .find(|p| p.unit_id == unit_id && p.title == "驻村第一书记")
            .map(|p| p.id);
    let roles = vec![grant(Role::FirstSecretary, Some(village_id), new_from)];
    let p = add_person(g, Some(unit_id), post, roles, new_from);
    let person = g.ds.people[p].id;
    let terms = &mut world.villages[v].first_secretaries;
    if let Some(first) = terms.first_mut() {
        first.to = Some(old_to);
    }
    terms.push(Term {
        person,
        from: new_from,
        to: None,
    });
}
