//! R2/R3: the paired cadre visits each paired 监测对象 / 脱贫户 at least once per quarter.
//!
//! One obligation per (household, quarter) for every household whose assistance on the quarter's
//! last day is `Monitored` (R2) or `Lifted` (R3). The cadre paired on the quarter's last day owes
//! it; during a gap (断档) the unit of the last cadre who was paired owes it (see `docs/rules.md`).
//! Any plausible in-person visit of the quarter by a cadre paired with the household on the visit
//! day satisfies it, even one by the previous cadre.

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use crate::model::household::{Assistance, Pairing};
use crate::model::visit::Visit;
use crate::rules::{Index, Obligation, Owner, Period, RuleId, visit_day_is_plausible};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let quarters = crate::rules::quarters(index, as_of);
    if quarters.is_empty() {
        return;
    }
    let tracking_start = index.dataset.settings.tracking_start;
    for household in &index.dataset.households {
        let pairings = pairings_of(index, household.id);
        let visits = visits_of(index, household.id);
        for &quarter in &quarters {
            let (first, last) = (quarter.first_day(), quarter.last_day());
            let rule = match household.assistance_on(last) {
                Some(Assistance::Monitored) => RuleId::R2,
                Some(Assistance::Lifted) => RuleId::R3,
                None => continue,
            };
            let (owner, unit_id) = household_owner(index, pairings, last);
            let satisfying = visits_between(visits, first, last)
                .filter(|v| visit_day_is_plausible(v.day(), as_of))
                .filter(|v| {
                    let day = v.day();
                    pairings
                        .iter()
                        .any(|p| p.cadre_id == v.visitor_id && p.active_on(day))
                })
                .min_by_key(|v| (v.day(), v.visited_at));
            let opens_on = first.max(tracking_start);
            let satisfied_on = satisfying.map(Visit::day);
            let (status, late) = Obligation::status_of(opens_on, last, satisfied_on, as_of);
            out.push(Obligation {
                rule,
                owner,
                household_id: Some(household.id),
                unit_id,
                period: Period::Quarter(quarter),
                opens_on,
                due_on: last,
                status,
                satisfied_by: satisfying.map(|v| v.id),
                satisfied_on,
                late,
            });
        }
    }
}

/// The pairings of a household, ascending by start (empty if it never had one).
pub(super) fn pairings_of<'i, 'a>(index: &'i Index<'a>, household_id: Uuid) -> &'i [&'a Pairing] {
    index
        .pairings_by_household
        .get(&household_id)
        .map_or(&[], Vec::as_slice)
}

/// The visits in force of a household, ascending by visit time (empty if none).
pub(super) fn visits_of<'i, 'a>(index: &'i Index<'a>, household_id: Uuid) -> &'i [&'a Visit] {
    index
        .visits_by_household
        .get(&household_id)
        .map_or(&[], Vec::as_slice)
}

/// Who owes a household's R2/R3/D5 obligation for a period ending on `last`: the cadre paired on
/// that day; else the unit of the last cadre who was paired before it (a gap, 断档), also returned
/// as the obligation's `unit_id`; else nobody.
pub(super) fn household_owner(
    index: &Index<'_>,
    pairings: &[&Pairing],
    last: NaiveDate,
) -> (Owner, Option<Uuid>) {
    if let Some(p) = pairings.iter().rev().find(|p| p.active_on(last)) {
        return (Owner::Person(p.cadre_id), None);
    }
    // No pairing is active on `last`, so every pairing that started by then has ended before it:
    // the last cadre paired is the one whose pairing ended latest.
    let previous = pairings
        .iter()
        .filter(|p| p.start <= last)
        .max_by_key(|p| (p.end, p.start));
    let unit = previous
        .and_then(|p| index.people.get(&p.cadre_id))
        .and_then(|person| person.unit_id);
    match unit {
        Some(unit) => (Owner::Unit(unit), Some(unit)),
        None => (Owner::Nobody, None),
    }
}

/// The visits (sorted by instant) whose local day is within `first..=last`, in instant order.
///
/// The list is sorted by instant, not by local day, and a visit's local day can differ from its
/// UTC day by one either way; so the slice is cut by UTC day widened by one day on both sides
/// (binary search) and then filtered by local day.
pub(super) fn visits_between<'v, 'a>(
    visits: &'v [&'a Visit],
    first: NaiveDate,
    last: NaiveDate,
) -> impl Iterator<Item = &'a Visit> + 'v {
    let lo_day = first.checked_sub_days(Days::new(1)).unwrap_or(first);
    let hi_day = last.checked_add_days(Days::new(1)).unwrap_or(last);
    let utc_day = |v: &Visit| v.visited_at.naive_utc().date();
    let lo = visits.partition_point(|v| utc_day(v) < lo_day);
    let hi = visits.partition_point(|v| utc_day(v) <= hi_day);
    visits[lo..hi.max(lo)]
        .iter()
        .copied()
        .filter(move |v| (first..=last).contains(&v.day()))
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;

    use crate::model::household::HouseholdClass;
    use crate::model::household::MonitoredKind;
    use crate::rules::testkit::{Fixture, d};
    use crate::rules::{Obligation, Owner, Period, RuleId, Status};
    use crate::{Contact, ContactChannel, Quarter};

    fn q(year: i32, q: u8) -> Period {
        Period::Quarter(Quarter { year, q })
    }

    fn find(f: &Fixture, as_of: &str, rule: RuleId, hh: uuid::Uuid, period: Period) -> Obligation {
        crate::rules::obligations(&f.ds, d(as_of))
            .into_iter()
            .find(|o| o.rule == rule && o.household_id == Some(hh) && o.period == period)
            .expect("obligation present")
    }

    fn count(f: &Fixture, as_of: &str, rule: RuleId, hh: uuid::Uuid) -> usize {
        crate::rules::obligations(&f.ds, d(as_of))
            .into_iter()
            .filter(|o| o.rule == rule && o.household_id == Some(hh))
            .count()
    }

    #[test]
    fn r2_cadre_visits_monitoring_household_each_quarter() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-06-01"), None);
        let v = f.visit(h, c, d("2024-03-31"));

        let o = find(&f, "2024-05-10", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.owner, Owner::Person(c));
        assert_eq!(o.unit_id, None);
        assert_eq!(o.opens_on, d("2024-01-01"));
        assert_eq!(o.due_on, d("2024-03-31"));
        assert_eq!(o.status, Status::Done);
        assert!(!o.late);
        assert_eq!(o.satisfied_by, Some(v));
        assert_eq!(o.satisfied_on, Some(d("2024-03-31")));
        // The Mar 31 visit does not count for Q2: Q2 is open on May 10.
        let o2 = find(&f, "2024-05-10", RuleId::R2, h, q(2024, 2));
        assert_eq!(o2.status, Status::Open);
        assert_eq!(o2.satisfied_by, None);
        assert_eq!(o2.due_on, d("2024-06-30"));
        // Only quarters from tracking start through as_of; no R3 for a monitored household.
        assert_eq!(count(&f, "2024-05-10", RuleId::R2, h), 2);
        assert_eq!(count(&f, "2024-05-10", RuleId::R3, h), 0);
    }

    #[test]
    fn r2_visit_on_april_first_does_not_count_for_q1() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-06-01"), None);
        let v = f.visit(h, c, d("2024-04-01"));

        let o = find(&f, "2024-04-02", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.status, Status::Overdue);
        assert_eq!(o.satisfied_by, None);
        let o2 = find(&f, "2024-04-02", RuleId::R2, h, q(2024, 2));
        assert_eq!(o2.status, Status::Done);
        assert_eq!(o2.satisfied_by, Some(v));
        // On Mar 31 itself the Q1 obligation is still open (due_on is inclusive).
        let o = find(&f, "2024-03-31", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.status, Status::Open);
    }

    #[test]
    fn r2_local_day_decides_the_quarter_not_utc() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-06-01"), None);
        // 2024-04-01 01:00 at UTC+8 is still 2024-03-31 in UTC: it is an April (Q2) visit.
        let v = f.visit(h, c, d("2024-04-01"));
        let tz = FixedOffset::east_opt(8 * 3600).expect("offset");
        f.last_visit().visited_at = d("2024-04-01")
            .and_hms_opt(1, 0, 0)
            .expect("time")
            .and_local_timezone(tz)
            .single()
            .expect("unambiguous");
        let o = find(&f, "2024-06-01", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.status, Status::Overdue);
        let o = find(&f, "2024-06-01", RuleId::R2, h, q(2024, 2));
        assert_eq!(o.satisfied_by, Some(v));
    }

    #[test]
    fn r3_cadre_visits_lifted_household_each_quarter() {
        let mut f = Fixture::new();
        let c = f.cadre("李四");
        let h = f.lifted();
        f.pair(h, c, d("2022-01-01"), None);
        f.visit(h, c, d("2024-02-10"));
        f.visit(h, c, d("2024-01-15"));

        let o = find(&f, "2024-07-01", RuleId::R3, h, q(2024, 1));
        assert_eq!(o.status, Status::Done);
        // The earliest visit of the quarter satisfies it.
        assert_eq!(o.satisfied_on, Some(d("2024-01-15")));
        let o = find(&f, "2024-07-01", RuleId::R3, h, q(2024, 2));
        assert_eq!(o.status, Status::Overdue);
        assert!(!o.late);
        let o = find(&f, "2024-07-01", RuleId::R3, h, q(2024, 3));
        assert_eq!(o.status, Status::Open);
        assert_eq!(count(&f, "2024-07-01", RuleId::R2, h), 0);
    }

    #[test]
    fn r2_pairing_change_mid_quarter_previous_cadre_visit_counts_new_cadre_owes() {
        let mut f = Fixture::new();
        let old = f.cadre("旧干部");
        let new = f.cadre("新干部");
        let h = f.monitored();
        f.pair(h, old, d("2023-01-01"), Some(d("2024-02-15")));
        f.pair(h, new, d("2024-02-16"), None);
        let v = f.visit(h, old, d("2024-02-01"));

        let o = find(&f, "2024-04-10", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.owner, Owner::Person(new));
        assert_eq!(o.status, Status::Done);
        assert_eq!(o.satisfied_by, Some(v));
    }

    #[test]
    fn r2_visit_by_cadre_after_his_pairing_ended_does_not_count() {
        let mut f = Fixture::new();
        let old = f.cadre("旧干部");
        let new = f.cadre("新干部");
        let h = f.monitored();
        f.pair(h, old, d("2023-01-01"), Some(d("2024-02-15")));
        f.pair(h, new, d("2024-02-16"), None);
        f.visit(h, old, d("2024-03-01"));
        // A cadre never paired with the household does not count either.
        let stranger = f.cadre("路人");
        f.visit(h, stranger, d("2024-03-02"));

        let o = find(&f, "2024-04-10", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.owner, Owner::Person(new));
        assert_eq!(o.status, Status::Overdue);
        assert_eq!(o.satisfied_by, None);
    }

    #[test]
    fn r2_gap_on_quarter_end_is_owed_by_the_unit_of_the_last_cadre() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), Some(d("2024-03-20")));

        let o = find(&f, "2024-04-10", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.owner, Owner::Unit(f.unit));
        assert_eq!(o.unit_id, Some(f.unit));
        assert_eq!(o.status, Status::Overdue);
        // The gap goes on through Q2: still the unit of the last cadre who was paired.
        let o = find(&f, "2024-06-30", RuleId::R2, h, q(2024, 2));
        assert_eq!(o.owner, Owner::Unit(f.unit));
        assert_eq!(o.status, Status::Open);
    }

    #[test]
    fn r2_household_never_paired_is_owed_by_nobody() {
        let mut f = Fixture::new();
        let h = f.monitored();
        let o = find(&f, "2024-02-10", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.owner, Owner::Nobody);
        assert_eq!(o.unit_id, None);
        assert_eq!(o.status, Status::Open);
    }

    #[test]
    fn r2_contact_never_satisfies_a_visit() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), None);
        let id = f.id();
        f.ds.contacts.push(Contact {
            id,
            household_id: h,
            person_id: c,
            at: crate::rules::testkit::noon(d("2024-02-01")),
            channel: ContactChannel::Phone,
            note: "电话联系".into(),
            corrects: None,
        });
        let o = find(&f, "2024-04-10", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.status, Status::Overdue);
        assert_eq!(o.satisfied_by, None);
    }

    #[test]
    fn r2_visit_with_future_date_does_not_count() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), None);
        // The phone's clock ran ahead: on Feb 10 it recorded a visit on Mar 20.
        f.visit(h, c, d("2024-03-20"));
        let o = find(&f, "2024-02-10", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.status, Status::Open);
        assert_eq!(o.satisfied_by, None);
        // Once the day has come, the visit counts.
        let o = find(&f, "2024-03-25", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.status, Status::Done);
    }

    #[test]
    fn r2_corrected_visit_is_replaced_by_its_correction() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), None);
        let wrong = f.visit(h, c, d("2024-03-30"));
        let right = f.visit(h, c, d("2024-04-02"));
        f.last_visit().corrects = Some(wrong);
        let o = find(&f, "2024-04-10", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.status, Status::Overdue);
        let o = find(&f, "2024-04-10", RuleId::R2, h, q(2024, 2));
        assert_eq!(o.satisfied_by, Some(right));
    }

    #[test]
    fn r2_household_monitored_mid_quarter_owes_by_class_on_last_day() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.lifted();
        f.pair(h, c, d("2023-01-01"), None);
        // The home check of the identification procedure, then monitored from Feb 20.
        let v = f.visit(h, c, d("2024-02-10"));
        f.reclass(
            h,
            d("2024-02-20"),
            HouseholdClass::Monitored,
            Some(MonitoredKind::SuddenHardship),
        );
        let o = find(&f, "2024-04-10", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.satisfied_by, Some(v));
        assert_eq!(count(&f, "2024-04-10", RuleId::R3, h), 0);
    }

    #[test]
    fn r3_risk_eliminated_unstable_lifted_is_lifted_and_marginal_is_not_assisted() {
        let mut f = Fixture::new();
        let a = f.household(
            HouseholdClass::Monitored,
            Some(MonitoredKind::UnstableLifted),
            d("2022-01-01"),
        );
        f.reclass(
            a,
            d("2024-03-01"),
            HouseholdClass::RiskEliminated,
            Some(MonitoredKind::UnstableLifted),
        );
        let b = f.monitored();
        f.reclass(
            b,
            d("2024-03-01"),
            HouseholdClass::RiskEliminated,
            Some(MonitoredKind::Marginal),
        );
        assert_eq!(count(&f, "2024-04-10", RuleId::R3, a), 2);
        assert_eq!(count(&f, "2024-04-10", RuleId::R2, a), 0);
        assert_eq!(count(&f, "2024-04-10", RuleId::R2, b), 0);
        assert_eq!(count(&f, "2024-04-10", RuleId::R3, b), 0);
    }

    #[test]
    fn r2_tracking_start_mid_quarter_opens_then_and_earlier_quarters_owe_nothing() {
        let mut f = Fixture::new();
        f.ds.settings.tracking_start = d("2024-02-15");
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), None);
        let o = find(&f, "2024-02-20", RuleId::R2, h, q(2024, 1));
        assert_eq!(o.opens_on, d("2024-02-15"));
        assert_eq!(o.status, Status::Open);
        assert_eq!(count(&f, "2024-02-20", RuleId::R2, h), 1);
        assert_eq!(count(&f, "2024-02-10", RuleId::R2, h), 0);
    }
}
