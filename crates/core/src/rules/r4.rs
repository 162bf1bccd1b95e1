//! R4: the first secretary visits every 监测对象 of the village monthly and every 脱贫户 quarterly.
//!
//! One obligation per (household, month) for households monitored on the month's last day, and
//! per (household, quarter) for households lifted on the quarter's last day, owed by the village's
//! first secretary on the period's last day (or by nobody when the village has none), whoever is
//! paired with the household. A plausible in-person visit of the period by anyone holding the
//! village's first-secretary grant on the visit day satisfies it.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::model::area::Role;
use crate::model::household::{Assistance, Household};
use crate::model::visit::Visit;
use crate::rules::r2_r3::{visits_between, visits_of};
use crate::rules::{Index, Obligation, Owner, Period, RuleId, visit_day_is_plausible};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let months = crate::rules::months(index, as_of);
    let quarters = crate::rules::quarters(index, as_of);
    if months.is_empty() && quarters.is_empty() {
        return;
    }
    let tracking_start = index.dataset.settings.tracking_start;
    for household in &index.dataset.households {
        let visits = visits_of(index, household.id);
        let periods = months
            .iter()
            .map(|&m| {
                (
                    Period::Month(m),
                    m.first_day(),
                    m.last_day(),
                    Assistance::Monitored,
                )
            })
            .chain(quarters.iter().map(|&q| {
                (
                    Period::Quarter(q),
                    q.first_day(),
                    q.last_day(),
                    Assistance::Lifted,
                )
            }));
        for (period, first, last, owing) in periods {
            if household.assistance_on(last) != Some(owing) {
                continue;
            }
            let owner = index
                .first_secretary_on(household.village_id, last)
                .map_or(Owner::Nobody, |p| Owner::Person(p.id));
            let satisfying = first_secretary_visit(index, household, visits, first, last, as_of);
            let opens_on = first.max(tracking_start);
            let satisfied_on = satisfying.map(Visit::day);
            let (status, late) = Obligation::status_of(opens_on, last, satisfied_on, as_of);
            out.push(Obligation {
                rule: RuleId::R4,
                owner,
                household_id: Some(household.id),
                unit_id: None,
                period,
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

/// The earliest plausible visit of `household` within `first..=last` by someone holding the
/// first-secretary grant of the household's village on the visit day.
fn first_secretary_visit<'a>(
    index: &Index<'a>,
    household: &Household,
    visits: &[&'a Visit],
    first: NaiveDate,
    last: NaiveDate,
    as_of: NaiveDate,
) -> Option<&'a Visit> {
    let village: Uuid = household.village_id;
    visits_between(visits, first, last)
        .filter(|v| visit_day_is_plausible(v.day(), as_of))
        .filter(|v| {
            index
                .people
                .get(&v.visitor_id)
                .is_some_and(|p| p.has_role_in_on(Role::FirstSecretary, village, v.day()))
        })
        .min_by_key(|v| (v.day(), v.visited_at))
}

#[cfg(test)]
mod tests {
    use crate::calendar::{Month, Quarter};
    use crate::model::area::{AreaLevel, Role};
    use crate::model::household::{HouseholdClass, MonitoredKind};
    use crate::rules::testkit::{Fixture, d};
    use crate::rules::{Obligation, Owner, Period, RuleId, Status};

    fn m(year: i32, month: u8) -> Period {
        Period::Month(Month { year, month })
    }

    fn q(year: i32, q: u8) -> Period {
        Period::Quarter(Quarter { year, q })
    }

    fn r4(f: &Fixture, as_of: &str, hh: uuid::Uuid) -> Vec<Obligation> {
        crate::rules::obligations(&f.ds, d(as_of))
            .into_iter()
            .filter(|o| o.rule == RuleId::R4 && o.household_id == Some(hh))
            .collect()
    }

    fn find(f: &Fixture, as_of: &str, hh: uuid::Uuid, period: Period) -> Obligation {
        r4(f, as_of, hh)
            .into_iter()
            .find(|o| o.period == period)
            .expect("obligation present")
    }

    #[test]
    fn r4_first_secretary_visits_monitored_household_monthly_leap_february() {
        let mut f = Fixture::new();
        let fs = f.first_secretary;
        let h = f.monitored();
        let v = f.visit(h, fs, d("2024-02-29"));
        f.visit(h, fs, d("2024-03-01"));

        let all = r4(&f, "2024-03-05", h);
        assert_eq!(all.len(), 3, "{all:?}");
        let jan = find(&f, "2024-03-05", h, m(2024, 1));
        assert_eq!(jan.status, Status::Overdue);
        assert_eq!(jan.owner, Owner::Person(fs));
        let feb = find(&f, "2024-03-05", h, m(2024, 2));
        assert_eq!(feb.opens_on, d("2024-02-01"));
        assert_eq!(feb.due_on, d("2024-02-29"));
        assert_eq!(feb.status, Status::Done);
        assert!(!feb.late);
        assert_eq!(feb.satisfied_by, Some(v));
        // The Mar 1 visit counts for March, not February.
        let mar = find(&f, "2024-03-05", h, m(2024, 3));
        assert_eq!(mar.status, Status::Done);
        assert_eq!(mar.satisfied_on, Some(d("2024-03-01")));
        assert_eq!(mar.due_on, d("2024-03-31"));
    }

    #[test]
    fn r4_february_of_a_common_year_ends_on_the_28th() {
        let mut f = Fixture::new();
        f.ds.settings.tracking_start = d("2023-01-01");
        let h = f.monitored();
        let feb = find(&f, "2023-03-01", h, m(2023, 2));
        assert_eq!(feb.due_on, d("2023-02-28"));
        assert_eq!(feb.status, Status::Overdue);
        let feb = find(&f, "2023-02-28", h, m(2023, 2));
        assert_eq!(feb.status, Status::Open);
    }

    #[test]
    fn r4_first_secretary_visits_lifted_household_quarterly() {
        let mut f = Fixture::new();
        let fs = f.first_secretary;
        let h = f.lifted();
        let v = f.visit(h, fs, d("2024-03-31"));
        f.visit(h, fs, d("2024-04-01"));
        let all = r4(&f, "2024-07-02", h);
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all.iter().all(|o| matches!(o.period, Period::Quarter(_))));
        let q1 = find(&f, "2024-07-02", h, q(2024, 1));
        assert_eq!(q1.satisfied_by, Some(v));
        assert_eq!(q1.due_on, d("2024-03-31"));
        let q2 = find(&f, "2024-07-02", h, q(2024, 2));
        assert_eq!(q2.satisfied_on, Some(d("2024-04-01")));
        let q3 = find(&f, "2024-07-02", h, q(2024, 3));
        assert_eq!(q3.status, Status::Open);
    }

    #[test]
    fn r4_paired_cadre_visit_does_not_count_but_cadre_who_is_first_secretary_counts_for_both() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), None);
        f.visit(h, c, d("2024-01-10"));
        let jan = find(&f, "2024-02-05", h, m(2024, 1));
        assert_eq!(jan.status, Status::Overdue);

        // A second household paired with the first secretary himself.
        let fs = f.first_secretary;
        let h2 = f.monitored();
        f.pair(h2, fs, d("2023-01-01"), None);
        let v = f.visit(h2, fs, d("2024-01-10"));
        let jan = find(&f, "2024-02-05", h2, m(2024, 1));
        assert_eq!(jan.satisfied_by, Some(v));
        let r2 = crate::rules::obligations(&f.ds, d("2024-02-05"))
            .into_iter()
            .find(|o| o.rule == RuleId::R2 && o.household_id == Some(h2))
            .expect("R2 obligation");
        assert_eq!(r2.satisfied_by, Some(v));
    }

    #[test]
    fn r4_village_without_first_secretary_is_owed_by_nobody() {
        let mut f = Fixture::new();
        let other = f.area(
            "360722100202",
            "油山村",
            AreaLevel::Village,
            Some(f.township),
        );
        let h = f.monitored();
        if let Some(hh) = f.ds.households.iter_mut().find(|x| x.id == h) {
            hh.village_id = other;
        }
        // The first secretary of another village visiting does not count either.
        let fs = f.first_secretary;
        f.visit(h, fs, d("2024-01-10"));
        let jan = find(&f, "2024-02-05", h, m(2024, 1));
        assert_eq!(jan.owner, Owner::Nobody);
        assert_eq!(jan.status, Status::Overdue);
    }

    #[test]
    fn r4_first_secretary_changes_new_one_owes_and_old_grant_stops_counting() {
        let mut f = Fixture::new();
        let old = f.first_secretary;
        if let Some(p) = f.ds.people.iter_mut().find(|p| p.id == old) {
            p.roles[0].to = Some(d("2024-02-15"));
        }
        let new = f.person(
            "新书记",
            Role::FirstSecretary,
            Some(f.village),
            d("2024-02-16"),
        );
        let h = f.monitored();
        let v = f.visit(h, old, d("2024-02-10"));
        f.visit(h, old, d("2024-03-10"));
        let feb = find(&f, "2024-04-01", h, m(2024, 2));
        assert_eq!(feb.owner, Owner::Person(new));
        assert_eq!(feb.satisfied_by, Some(v));
        let mar = find(&f, "2024-04-01", h, m(2024, 3));
        assert_eq!(mar.status, Status::Overdue);
        let jan = find(&f, "2024-04-01", h, m(2024, 1));
        assert_eq!(jan.owner, Owner::Person(old));
    }

    #[test]
    fn r4_household_monitored_mid_month_owes_that_month() {
        let mut f = Fixture::new();
        let fs = f.first_secretary;
        let h = f.lifted();
        // The home check before becoming monitored on May 20 counts for May.
        let v = f.visit(h, fs, d("2024-05-10"));
        f.reclass(
            h,
            d("2024-05-20"),
            HouseholdClass::Monitored,
            Some(MonitoredKind::SuddenHardship),
        );
        let all = r4(&f, "2024-06-10", h);
        // Q1 as lifted, May and June monthly; no April (lifted then), no Q2 (monitored on Jun 30).
        let periods: Vec<Period> = all.iter().map(|o| o.period).collect();
        assert_eq!(periods, vec![q(2024, 1), m(2024, 5), m(2024, 6)]);
        let may = find(&f, "2024-06-10", h, m(2024, 5));
        assert_eq!(may.satisfied_by, Some(v));
        assert_eq!(may.status, Status::Done);
    }

    #[test]
    fn r4_visit_with_future_date_does_not_count() {
        let mut f = Fixture::new();
        let fs = f.first_secretary;
        let h = f.monitored();
        f.visit(h, fs, d("2024-01-30"));
        let jan = find(&f, "2024-01-20", h, m(2024, 1));
        assert_eq!(jan.status, Status::Open);
        assert_eq!(jan.satisfied_by, None);
    }
}
