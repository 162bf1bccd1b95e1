//! The demo dataset: valid, deterministic, of the expected shape, with its lapses planted.

use std::collections::{HashMap, HashSet};

use bangfu_core::rules::{AlertDetail, RuleId, Status, alerts, obligations};
use bangfu_core::validate::validate_dataset;
use bangfu_core::{Assistance, CheckStatus, Dataset, HouseholdClass, Role, idnumber};
use bangfu_demo::{DemoConfig, demo_as_of, generate};
use chrono::Datelike;

fn config(households: usize, seed: u64) -> DemoConfig {
    DemoConfig {
        households,
        seed,
        year: 2025,
        today: None,
    }
}

fn json(ds: &Dataset) -> String {
    serde_json::to_string(ds).expect("serialise")
}

#[test]
fn demo_of_300_households_passes_validation() {
    let ds = generate(&config(300, 7));
    if let Err(errors) = validate_dataset(&ds) {
        let shown: Vec<String> = errors.iter().take(20).map(|e| e.to_string()).collect();
        panic!(
            "{} validation errors, first:\n{}",
            errors.len(),
            shown.join("\n")
        );
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_data() {
    let a = generate(&config(300, 42));
    let b = generate(&config(300, 42));
    let c = generate(&config(300, 43));
    assert_eq!(json(&a), json(&b));
    assert_ne!(json(&a), json(&c));
}

#[test]
fn counts_scale_with_households() {
    for n in [300, 2_000] {
        let ds = generate(&config(n, 1));
        let as_of = demo_as_of(&config(n, 1));
        assert_eq!(ds.households.len(), n);
        let cadres = ds
            .people
            .iter()
            .filter(|p| p.roles.iter().any(|g| g.role == Role::Cadre))
            .count();
        let (lo, hi) = (n / 8, n / 5);
        assert!((lo..=hi).contains(&cadres), "{n}: {cadres} cadres");
        let monitored = ds
            .households
            .iter()
            .filter(|h| h.assistance_on(as_of) == Some(Assistance::Monitored))
            .count();
        assert!(
            (n * 7 / 100..=n * 13 / 100).contains(&monitored),
            "{n}: {monitored} monitored"
        );
        let villages = ds.areas.iter().filter(|a| a.code.len() == 12).count();
        assert_eq!(villages, n.div_ceil(120));
        assert_eq!(ds.areas.iter().filter(|a| a.code.len() == 9).count(), 16);
        assert!(!ds.units.is_empty() && ds.units.len() <= villages);
        assert_eq!(ds.monitoring_lines.len(), 3);
    }
}

#[test]
fn members_have_valid_unique_id_numbers_and_households_1_to_6() {
    let ds = generate(&config(300, 3));
    let mut seen = HashSet::new();
    for m in &ds.members {
        assert!(idnumber::check(&m.id_number).is_ok(), "invalid ID number");
        assert!(seen.insert(m.id_number.clone()), "repeated ID number");
    }
    let mut sizes: HashMap<_, usize> = HashMap::new();
    for m in &ds.members {
        *sizes.entry(m.household_id).or_default() += 1;
    }
    assert!(
        ds.households
            .iter()
            .all(|h| (1..=6).contains(&sizes[&h.id]))
    );
}

#[test]
fn pairings_never_overlap_and_cadres_hold_the_role() {
    let ds = generate(&config(600, 5));
    let people: HashMap<_, _> = ds.people.iter().map(|p| (p.id, p)).collect();
    let mut by_household: HashMap<_, Vec<_>> = HashMap::new();
    for p in &ds.pairings {
        let cadre = people[&p.cadre_id];
        assert!(cadre.has_role_on(Role::Cadre, p.start));
        assert_eq!(p.end.is_some(), p.end_reason.is_some());
        by_household.entry(p.household_id).or_default().push(p);
    }
    for ps in by_household.values_mut() {
        ps.sort_by_key(|p| p.start);
        for w in ps.windows(2) {
            assert!(w[0].end.is_some_and(|e| e < w[1].start));
        }
    }
    for v in &ds.visits {
        let visitor = people[&v.visitor_id];
        let day = v.day();
        assert!(
            visitor
                .roles
                .iter()
                .any(|g| g.role.visits_households() && g.holds_on(day)),
            "visitor without a visiting role on {day}"
        );
    }
}

#[test]
fn the_planted_lapses_are_there() {
    let cfg = config(300, 11);
    let ds = generate(&cfg);
    let as_of = demo_as_of(&cfg);
    let people: HashMap<_, _> = ds.people.iter().map(|p| (p.id, p)).collect();
    let next_day = |d: chrono::NaiveDate| d.succ_opt().expect("date");

    // R5: successions the next day, after a gap, and none yet (a colleague holds the post).
    let ended: Vec<_> = ds.pairings.iter().filter(|p| p.end.is_some()).collect();
    let successor_start = |p: &bangfu_core::Pairing| {
        ds.pairings
            .iter()
            .find(|q| q.household_id == p.household_id && Some(q.cadre_id) == p.successor_id)
            .map(|q| q.start)
    };
    assert!(
        ended
            .iter()
            .any(|p| successor_start(p) == p.end.map(next_day))
    );
    assert!(
        ended
            .iter()
            .any(|p| successor_start(p).is_some_and(|s| Some(s) > p.end.map(next_day)))
    );
    let open = ended
        .iter()
        .find(|p| {
            p.successor_id.is_none()
                && p.end_reason
                    .is_some_and(|r| r != bangfu_core::PairingEndReason::HouseholdNotAssisted)
        })
        .expect("a departure without successor");
    let leaver = people[&open.cadre_id];
    assert!(ds.people.iter().any(|p| p.id != leaver.id
        && p.unit_id == leaver.unit_id
        && p.post_id == leaver.post_id
        && p.serving_on(as_of)
        && p.has_role_on(Role::Cadre, as_of)));

    // R6: a monitored household without any pairing.
    let paired: HashSet<_> = ds.pairings.iter().map(|p| p.household_id).collect();
    assert!(ds.households.iter().any(|h| {
        !paired.contains(&h.id)
            && h.class_on(as_of)
                .is_some_and(|c| c.class == HouseholdClass::Monitored)
    }));

    // W2 and corrections: a visit dated 2036, corrected visits and income records.
    assert!(ds.visits.iter().any(|v| v.day().year() == 2036));
    assert!(ds.visits.iter().filter(|v| v.corrects.is_some()).count() >= 2);
    assert!(ds.income_records.iter().any(|r| r.corrects.is_some()));

    // D2: visits with risks, each with a note.
    let risky: Vec<_> = ds
        .visits
        .iter()
        .flat_map(|v| {
            [
                &v.checks.education,
                &v.checks.medical,
                &v.checks.housing,
                &v.checks.water,
            ]
        })
        .filter(|c| c.status == CheckStatus::Risk)
        .collect();
    assert!(!risky.is_empty() && risky.iter().all(|c| c.note.is_some()));

    // D4: a unit without a purchase event only where there are three units or more.
    assert!(!ds.purchase_events.is_empty());
}

#[test]
fn rules_find_the_planted_lapses() {
    let cfg = config(300, 11);
    let ds = generate(&cfg);
    let as_of = demo_as_of(&cfg);
    let obs = obligations(&ds, as_of);
    let visit_rules = [RuleId::R2, RuleId::R3, RuleId::R4];
    assert!(
        obs.iter()
            .any(|o| visit_rules.contains(&o.rule) && o.status == Status::Overdue),
        "overdue visits"
    );
    assert!(
        obs.iter().any(|o| o.status == Status::Done),
        "done obligations"
    );
    assert!(
        obs.iter().any(|o| o.status == Status::Open),
        "open obligations"
    );

    let al = alerts(&ds, as_of);
    assert!(
        al.iter().any(|a| a.open
            && matches!(
                a.detail,
                AlertDetail::PairingGap {
                    to: None,
                    proposed_successor_id: Some(_),
                    ..
                }
            )),
        "an open R5 gap with a proposed successor"
    );
    assert!(
        al.iter()
            .any(|a| a.open && matches!(a.detail, AlertDetail::RiskFound { .. })),
        "an open D2 risk"
    );
    assert!(
        al.iter()
            .any(|a| a.rule == RuleId::R6 && matches!(a.detail, AlertDetail::NoCadre { .. })),
        "an R6 household without a cadre"
    );
    assert!(al.iter().any(|a| a.rule == RuleId::D3), "a D3 alert");
    assert!(
        al.iter()
            .any(|a| matches!(a.detail, AlertDetail::ImplausibleVisitDate { .. })),
        "a W2 alert"
    );
}

#[test]
fn tiny_demos_and_other_years_are_valid_too() {
    for (households, year) in [(0, 2025), (1, 2025), (7, 2025), (50, 2022), (400, 2026)] {
        let cfg = DemoConfig {
            households,
            seed: 9,
            year,
            today: None,
        };
        let ds = generate(&cfg);
        assert_eq!(ds.households.len(), households);
        assert_eq!(ds.settings.tracking_start.year(), year);
        if let Err(errors) = validate_dataset(&ds) {
            panic!("{households}/{year}: {}", errors[0]);
        }
    }
}

/// Every dated field record of `ds` on or before `day`, but the planted visit of a phone with a
/// wrong clock: the records after `day`.
fn records_after(ds: &Dataset, day: chrono::NaiveDate) -> Vec<String> {
    let mut late = Vec::new();
    for v in &ds.visits {
        if v.day() > day && v.day().year() != 2036 {
            late.push(format!("visit {}", v.day()));
        }
    }
    for c in &ds.contacts {
        if c.at.date_naive() > day {
            late.push(format!("contact {}", c.at));
        }
    }
    for r in &ds.income_records {
        if r.collected_on > day {
            late.push(format!("income {}", r.collected_on));
        }
    }
    for e in &ds.evaluations {
        if e.evaluated_on > day {
            late.push(format!("evaluation {}", e.evaluated_on));
        }
    }
    for p in &ds.pairings {
        if p.start > day || p.end.is_some_and(|e| e > day) {
            late.push(format!("pairing {} – {:?}", p.start, p.end));
        }
    }
    late
}

#[test]
fn a_demo_ending_on_any_day_is_valid_and_holds_nothing_after_that_day() {
    for today in [
        "2026-01-10",
        "2026-03-15",
        "2026-07-01",
        "2026-12-07",
        "2025-12-31",
    ] {
        let today: chrono::NaiveDate = today.parse().expect("a day");
        let cfg = DemoConfig::ending_on(today, 300);
        assert_eq!(demo_as_of(&cfg), today);
        let ds = generate(&cfg);
        assert_eq!(ds.settings.tracking_start.year(), today.year());
        if let Err(errors) = validate_dataset(&ds) {
            panic!("{today}: {}", errors[0]);
        }
        let late = records_after(&ds, today);
        assert!(late.is_empty(), "{today}: {late:?}");
    }
}

#[test]
fn a_demo_ending_today_shows_most_work_done_and_a_few_lapses() {
    // What `bangfu-server demo` made on 2026-12-07 shows the app that day.
    let today: chrono::NaiveDate = "2026-12-07".parse().expect("a day");
    let ds = generate(&DemoConfig::ending_on(today, 300));
    let obs = obligations(&ds, today);
    let due: Vec<_> = obs.iter().filter(|o| o.due_on <= today).collect();
    let overdue = due.iter().filter(|o| o.status == Status::Overdue).count();
    let done = due.iter().filter(|o| o.status == Status::Done).count();
    assert!(overdue > 0, "a few lapses are planted");
    assert!(
        done >= 3 * overdue,
        "most work due by today is done: {done} done, {overdue} overdue of {}",
        due.len()
    );
    // A typical cadre has a lapse or two, not a year of them.
    let mut per_cadre: HashMap<uuid::Uuid, usize> = HashMap::new();
    for p in ds.pairings.iter().filter(|p| p.active_on(today)) {
        per_cadre.entry(p.cadre_id).or_default();
    }
    for o in due.iter().filter(|o| o.status == Status::Overdue) {
        if let bangfu_core::rules::Owner::Person(p) = o.owner
            && let Some(n) = per_cadre.get_mut(&p)
        {
            *n += 1;
        }
    }
    let mut counts: Vec<usize> = per_cadre.into_values().collect();
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    assert!(
        median <= 2,
        "a typical cadre has {median} overdue tasks: {counts:?}"
    );
    // Nothing the app shows as overdue is older than the demo's year.
    let oldest = due
        .iter()
        .filter(|o| o.status == Status::Overdue)
        .map(|o| o.due_on)
        .min()
        .expect("an overdue obligation");
    assert!(oldest.year() >= today.year() - 1, "overdue since {oldest}");
}
