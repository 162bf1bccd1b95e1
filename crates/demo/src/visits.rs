//! A year of home visits and contacts for one household: the paired cadre each quarter, the
//! first secretary monthly (monitored) or quarterly (lifted); hazards found and followed up (D2);
//! a phone with a wrong clock and corrected records.

use bangfu_core::{
    Assistance, Check, CheckItem, CheckStatus, Checks, Contact, ContactChannel, GeoPoint, Month,
    Quarter, Tidiness, Visit,
};
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use uuid::Uuid;

use crate::households::{Hh, Segment};
use crate::images::{pick_photos, pick_signature};
use crate::texts::{
    CONTACT_NOTES, POLICIES, RISK_REPORTED, ROUTINE_MEASURES, ROUTINE_PROBLEMS, resolved,
    risk_notes,
};
use crate::util::{
    DemoRng, add_days, chance, day_in, id_at, pick, pick_some, round6, working_time, ymd,
};
use crate::world::{Gen, Quirk, World};

/// The year a phone with a wrong clock put on a visit.
const WRONG_CLOCK_YEAR: i32 = 2036;

const OK: Check = Check {
    status: CheckStatus::Ok,
    note: None,
};

/// A plain visit by `visitor` on `day`: everything found in order.
fn visit(rng: &mut DemoRng, hh: &Hh<'_>, visitor: Uuid, day: NaiveDate) -> Visit {
    let at = working_time(rng, day);
    let id = id_at(rng, at);
    let place = chance(rng, 0.95).then(|| {
        let (lat, lon) = hh.village.center;
        GeoPoint {
            lat: round6(lat + hh.offset.0 + rng.random_range(-0.0003..0.0003)),
            lon: round6(lon + hh.offset.1 + rng.random_range(-0.0003..0.0003)),
        }
    });
    let names: Vec<String> = hh.roster.members.iter().map(|m| m.name.clone()).collect();
    let mut present = Vec::new();
    if let Some(head) = names.first()
        && (chance(rng, 0.9) || names.len() == 1)
    {
        present.push(head.clone());
    }
    if names.len() > 1 && (present.is_empty() || chance(rng, 0.4)) {
        present.push(names[rng.random_range(1..names.len())].clone());
    }
    let n_policies = rng.random_range(1..=3);
    let policy_talk = pick_some(rng, &POLICIES, n_policies)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let tidiness = chance(rng, 0.75).then(|| Tidiness {
        yard: chance(rng, 0.9),
        rooms: chance(rng, 0.95),
        kitchen: chance(rng, 0.93),
        toilet: chance(rng, 0.9),
        person: chance(rng, 0.97),
        arrangement: chance(rng, 0.88),
    });
    let routine = chance(rng, 0.3);
    let problems = if routine {
        (*pick(rng, &ROUTINE_PROBLEMS)).to_owned()
    } else {
        String::new()
    };
    let measures = if routine || chance(rng, 0.5) {
        (*pick(rng, &ROUTINE_MEASURES)).to_owned()
    } else {
        String::new()
    };
    // Photos and signatures of the demo's own set (`images`), which a demo server holds.
    let n_photos = rng.random_range(1..=2);
    let photos = pick_photos(rng, n_photos);
    let signature = chance(rng, 0.93).then(|| pick_signature(rng));
    Visit {
        id,
        household_id: hh.id,
        visitor_id: visitor,
        visited_at: at,
        place,
        present,
        checks: Checks {
            education: OK,
            medical: OK,
            housing: OK,
            water: OK,
        },
        policy_talk,
        tidiness,
        problems,
        measures,
        photos,
        signature,
        corrects: None,
        correction_reason: None,
    }
}

fn check_mut(checks: &mut Checks, item: CheckItem) -> &mut Check {
    match item {
        CheckItem::Education => &mut checks.education,
        CheckItem::Medical => &mut checks.medical,
        CheckItem::Housing => &mut checks.housing,
        CheckItem::Water => &mut checks.water,
    }
}

fn mark_risk(v: &mut Visit, item: CheckItem, note: &str) {
    *check_mut(&mut v.checks, item) = Check {
        status: CheckStatus::Risk,
        note: Some(note.to_owned()),
    };
    v.problems = note.to_owned();
    v.measures = RISK_REPORTED.to_owned();
}

/// A day in `lo..=hi` on which the household was paired, and that pairing.
fn paired_day<'a>(
    rng: &mut DemoRng,
    hh: &'a Hh<'_>,
    lo: NaiveDate,
    hi: NaiveDate,
) -> Option<(NaiveDate, &'a Segment)> {
    let day = day_in(rng, lo, hi);
    if let Some(seg) = hh.segment_on(day) {
        return Some((day, seg));
    }
    let overlapping: Vec<&Segment> = hh
        .segments
        .iter()
        .filter(|s| s.start <= hi && s.end.is_none_or(|e| e >= lo))
        .collect();
    let seg = *overlapping.get(rng.random_range(0..overlapping.len().max(1)))?;
    let from = seg.start.max(lo);
    let to = seg.end.map_or(hi, |e| e.min(hi));
    Some((day_in(rng, from, to), seg))
}

/// The household's visits and contacts of the demo year, up to "today".
pub(crate) fn generate(g: &mut Gen, world: &World, hh: &Hh<'_>, rng: &mut DemoRng) {
    let as_of = g.as_of;
    let first_day = hh
        .monitored_from
        .filter(|&d| d >= g.year_start && !hh.plan.category.was_lifted())
        .unwrap_or(g.year_start);
    let flagged = hh.plan.uninsured || hh.plan.quirk != Quirk::None;
    let mut visits: Vec<Visit> = Vec::new();

    // Becoming monitored this year starts with a home check by the resident team.
    if let Some(from) = hh.monitored_from.filter(|&d| d >= g.year_start)
        && let Some(who) = hh.village.resident_on(from)
    {
        visits.push(visit(rng, hh, who, from));
    }

    let mut q = Quarter::of(g.year_start);
    while q <= Quarter::of(as_of) {
        let (lo, hi) = (q.first_day().max(first_day), q.last_day());
        let assistance = hh.assistance_on(hi.min(as_of));
        if lo <= hi && assistance.is_some() {
            cadre_visits(g, world, hh, rng, q, (lo, hi), flagged, &mut visits);
            if assistance == Some(Assistance::Lifted) && chance(rng, hh.village.fs_quarterly) {
                let day = day_in(rng, lo, hi);
                if day <= as_of
                    && let Some(fs) = hh.village.first_secretary_on(day)
                {
                    visits.push(visit(rng, hh, fs, day));
                }
            }
            contacts(g, hh, rng, (lo, hi.min(as_of)));
        }
        q = q.next();
    }

    let mut m = Month::of(g.year_start);
    while m <= Month::of(as_of) {
        let (lo, hi) = (m.first_day().max(first_day), m.last_day());
        if lo <= hi && hh.monitored_on(hi.min(as_of)) && chance(rng, hh.village.fs_monthly) {
            let day = day_in(rng, lo, hi);
            if day <= as_of
                && let Some(fs) = hh.village.first_secretary_on(day)
            {
                visits.push(visit(rng, hh, fs, day));
            }
        }
        m = m.next();
    }

    visits.sort_by_key(|v| (v.visited_at, v.id));
    follow_hazards(g, hh, rng, &mut visits);
    quirks(hh, rng, &mut visits);
    g.ds.visits.extend(visits);
}

/// The paired cadre's visit of quarter `q` (lax cadres miss many), sometimes two for a monitored
/// household. A household with something planted always gets a recent visit.
#[allow(clippy::too_many_arguments)]
fn cadre_visits(
    g: &Gen,
    world: &World,
    hh: &Hh<'_>,
    rng: &mut DemoRng,
    q: Quarter,
    (lo, hi): (NaiveDate, NaiveDate),
    flagged: bool,
    visits: &mut Vec<Visit>,
) {
    let as_of = g.as_of;
    let forced = flagged && q == Quarter::of(as_of);
    let range = if forced {
        (lo.max(add_days(as_of, -45)), add_days(as_of, -3))
    } else {
        (lo, hi)
    };
    let Some((day, seg)) = paired_day(rng, hh, range.0, range.1) else {
        return;
    };
    let miss = if world.cadres[seg.cadre].lax {
        0.45
    } else {
        0.015
    };
    if day <= as_of && (forced || !chance(rng, miss)) {
        visits.push(visit(rng, hh, seg.person, day));
    }
    if hh.monitored_on(day)
        && chance(rng, 0.25)
        && let Some((day2, seg2)) = paired_day(rng, hh, lo, hi)
        && day2 <= as_of
    {
        visits.push(visit(rng, hh, seg2.person, day2));
    }
}

/// Phone, network and social-media contacts by the paired cadre in `lo..=hi`.
fn contacts(g: &mut Gen, hh: &Hh<'_>, rng: &mut DemoRng, (lo, hi): (NaiveDate, NaiveDate)) {
    let monitored = hh.monitored_on(hi);
    let n = match (monitored, hh.sparse) {
        (true, false) => rng.random_range(1..=3),
        (true, true) => rng.random_range(0..=2),
        (false, false) => usize::from(chance(rng, 0.6)),
        (false, true) => usize::from(chance(rng, 0.3)),
    };
    for _ in 0..n {
        let day = day_in(rng, lo, hi);
        let Some(seg) = hh.segment_on(day) else {
            continue;
        };
        let at = working_time(rng, day);
        let channel = match rng.random_range(0..10) {
            0..6 => ContactChannel::Phone,
            6..9 => ContactChannel::SocialMedia,
            _ => ContactChannel::Network,
        };
        g.ds.contacts.push(Contact {
            id: id_at(rng, at),
            household_id: hh.id,
            person_id: seg.person,
            at,
            channel,
            note: (*pick(rng, &CONTACT_NOTES)).to_owned(),
            corrects: None,
        });
    }
}

/// D2: about 2% of visits find a hazard on one item. The visitor comes back within weeks to
/// follow it up, and a later visit usually finds it fixed. A member found uninsured (in the
/// autumn's premium collection) is an open medical risk.
fn follow_hazards(g: &Gen, hh: &Hh<'_>, rng: &mut DemoRng, visits: &mut Vec<Visit>) {
    let mut open: Option<(CheckItem, &'static str)> = None;
    let autumn = ymd(g.year, 10, 1);
    let mut i = 0;
    while i < visits.len() {
        let v = &mut visits[i];
        let mut follow_up = None;
        match open {
            Some((item, note)) => {
                if chance(rng, 0.75) {
                    v.measures = resolved(item).to_owned();
                    open = None;
                } else {
                    mark_risk(v, item, note);
                }
            }
            None if chance(rng, 0.02) => {
                let item = match rng.random_range(0..20) {
                    0..8 => CheckItem::Housing,
                    8..13 => CheckItem::Water,
                    13..18 => CheckItem::Medical,
                    _ => CheckItem::Education,
                };
                let note = *pick(rng, risk_notes(item));
                mark_risk(v, item, note);
                open = Some((item, note));
                follow_up = Some(add_days(v.day(), rng.random_range(7..=30)));
            }
            None => {}
        }
        if hh.plan.uninsured && v.day() >= autumn {
            let note = format!("家庭成员1人未参加{}年度城乡居民医保", g.year + 1);
            mark_risk(v, CheckItem::Medical, &note);
        }
        if let Some(day) = follow_up.filter(|&d| d <= g.as_of)
            && let Some(who) = hh.cadre_or_resident_on(day)
        {
            let f = visit(rng, hh, who, day);
            let at = visits
                .iter()
                .position(|w| (w.visited_at, w.id) > (f.visited_at, f.id))
                .unwrap_or(visits.len())
                .max(i + 1);
            visits.insert(at, f);
        }
        i += 1;
    }
}

/// The latest visit by the paired cadre (not by the resident team).
fn latest_cadre_visit(hh: &Hh<'_>, visits: &[Visit]) -> Option<usize> {
    visits
        .iter()
        .rposition(|v| hh.segments.iter().any(|s| s.person == v.visitor_id))
}

/// Planted record quirks: a visit dated 2036 by a phone with a wrong clock (corrected by a new
/// record or not), and a visit corrected afterwards.
fn quirks(hh: &Hh<'_>, rng: &mut DemoRng, visits: &mut Vec<Visit>) {
    match hh.plan.quirk {
        Quirk::WrongClock { corrected } => {
            let Some(i) = latest_cadre_visit(hh, visits) else {
                return;
            };
            let right = visits[i].clone();
            let Some(wrong_at) = right.visited_at.with_year(WRONG_CLOCK_YEAR) else {
                return;
            };
            let wrong_id = id_at(rng, wrong_at);
            visits[i].visited_at = wrong_at;
            visits[i].id = wrong_id;
            if corrected {
                let fixed = Visit {
                    id: id_at(rng, right.visited_at),
                    corrects: Some(wrong_id),
                    correction_reason: Some("手机时间设置有误，走访日期记错了".to_owned()),
                    ..right
                };
                visits.push(fixed);
            }
        }
        Quirk::CorrectedVisit => {
            let Some(i) = latest_cadre_visit(hh, visits) else {
                return;
            };
            let mut fixed = visits[i].clone();
            fixed.id = id_at(rng, fixed.visited_at);
            fixed.corrects = Some(visits[i].id);
            fixed.correction_reason = Some("漏记了在场人员".to_owned());
            if let Some(m) = hh.roster.members.last()
                && !fixed.present.contains(&m.name)
            {
                fixed.present.push(m.name.clone());
            }
            fixed.problems = if fixed.problems.is_empty() {
                "（更正：补录在场人员）".to_owned()
            } else {
                format!("{}（更正：补录在场人员）", fixed.problems)
            };
            visits.push(fixed);
        }
        Quirk::None | Quirk::CorrectedIncome => {}
    }
}
