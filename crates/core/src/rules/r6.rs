//! R6: a new 监测对象 gets a paired cadre, arranged by the first secretary.
//!
//! A stretch is a maximal run of days on which a household is monitored and no pairing is active;
//! it starts on the later of the day the household became monitored and the day after its pairing
//! ended. Each stretch starting from `tracking_start` on owes the village's first secretary (on the
//! stretch's first day) a pairing within `settings.r6_pairing_due_working_days` working days; a
//! pairing starting on or after the stretch's first day satisfies it. Every household monitored
//! and unpaired on `as_of` raises a `no_cadre` alert.

use chrono::NaiveDate;

use crate::calendar::WorkingDays;
use crate::model::household::{Assistance, Household};
use crate::rules::r2_r3::pairings_of;
use crate::rules::r5::{Span, class_spans, paired_spans, uncovered};
use crate::rules::{Alert, AlertDetail, Index, Obligation, Owner, Period, RuleId};

/// The stretches on which `household` is monitored with no active pairing.
fn stretches(index: &Index<'_>, household: &Household) -> Vec<Span> {
    let monitored = class_spans(household, |p| p.assistance() == Some(Assistance::Monitored));
    if monitored.is_empty() {
        return monitored;
    }
    uncovered(&monitored, &paired_spans(pairings_of(index, household.id)))
}

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let settings = &index.dataset.settings;
    let tracking_start = settings.tracking_start;
    if as_of < tracking_start {
        return;
    }
    for household in &index.dataset.households {
        let pairings = pairings_of(index, household.id);
        for (start, _) in stretches(index, household) {
            if start < tracking_start || start > as_of {
                continue;
            }
            let due_on = WorkingDays::add(start, settings.r6_pairing_due_working_days);
            // No pairing is active in the stretch, so the first one starting on or after its
            // first day is the one that ended it (or, if the household stopped being monitored
            // first, the next pairing it got).
            let satisfying = pairings
                .iter()
                .filter(|p| p.start >= start && p.start <= as_of)
                .min_by_key(|p| (p.start, p.id));
            let satisfied_on = satisfying.map(|p| p.start);
            let (status, late) = Obligation::status_of(start, due_on, satisfied_on, as_of);
            let owner = index
                .first_secretary_on(household.village_id, start)
                .map_or(Owner::Nobody, |p| Owner::Person(p.id));
            out.push(Obligation {
                rule: RuleId::R6,
                owner,
                household_id: Some(household.id),
                unit_id: None,
                period: Period::Day(start),
                opens_on: start,
                due_on,
                status,
                satisfied_by: satisfying.map(|p| p.id),
                satisfied_on,
                late,
            });
        }
    }
}

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    for household in &index.dataset.households {
        if household.assistance_on(as_of) != Some(Assistance::Monitored)
            || index.pairing_on(household.id, as_of).is_some()
        {
            continue;
        }
        let Some((since, _)) = stretches(index, household)
            .into_iter()
            .find(|&(first, last)| first <= as_of && as_of <= last)
        else {
            continue;
        };
        out.push(Alert {
            rule: RuleId::R6,
            household_id: household.id,
            village_id: household.village_id,
            township_id: index.township_of(household.village_id),
            raised_on: since,
            open: true,
            detail: AlertDetail::NoCadre {
                since,
                risks: household.risks.clone(),
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use crate::model::household::{HouseholdClass, MonitoredKind, Risk};
    use crate::rules::testkit::{Fixture, d};
    use crate::rules::{Alert, AlertDetail, Obligation, Owner, Period, RuleId, Status};

    fn r6(f: &Fixture, as_of: &str, household: Uuid) -> Vec<Obligation> {
        crate::rules::obligations(&f.ds, d(as_of))
            .into_iter()
            .filter(|o| o.rule == RuleId::R6 && o.household_id == Some(household))
            .collect()
    }

    fn r6_alerts(f: &Fixture, as_of: &str, household: Uuid) -> Vec<Alert> {
        crate::rules::alerts(&f.ds, d(as_of))
            .into_iter()
            .filter(|a| a.rule == RuleId::R6 && a.household_id == household)
            .collect()
    }

    /// A 脱贫户 since 2021 that becomes a 突发严重困难户 on `day`.
    fn becomes_monitored(f: &mut Fixture, day: &str) -> Uuid {
        let hh = f.lifted();
        f.reclass(
            hh,
            d(day),
            HouseholdClass::Monitored,
            Some(MonitoredKind::SuddenHardship),
        );
        hh
    }

    #[test]
    fn r6_due_in_working_days_across_national_day() {
        let mut f = Fixture::new();
        // Friday 2024-09-27. 10 working days: Sep 29 (Sun, 调休), Sep 30, [Oct 1–7 off], Oct 8,
        // 9, 10, 11, 12 (Sat, 调休), 14, 15, 16.
        let hh = becomes_monitored(&mut f, "2024-09-27");
        let found = r6(&f, "2024-09-27", hh);
        assert_eq!(found.len(), 1, "{found:?}");
        let o = &found[0];
        assert_eq!(o.period, Period::Day(d("2024-09-27")));
        assert_eq!(o.opens_on, d("2024-09-27"));
        assert_eq!(o.due_on, d("2024-10-16"));
        assert_eq!(o.owner, Owner::Person(f.first_secretary));
        assert_eq!(o.status, Status::Open);
        assert_eq!(r6(&f, "2024-10-16", hh)[0].status, Status::Open);
        assert_eq!(r6(&f, "2024-10-17", hh)[0].status, Status::Overdue);

        let cadre = f.cadre("甲");
        let pairing = f.pair(hh, cadre, d("2024-10-20"), None);
        let o = &r6(&f, "2024-10-31", hh)[0];
        assert_eq!(o.status, Status::Done);
        assert!(o.late);
        assert_eq!(o.satisfied_by, Some(pairing));
        assert_eq!(o.satisfied_on, Some(d("2024-10-20")));
        // Not yet known on 2024-10-19.
        let o = &r6(&f, "2024-10-19", hh)[0];
        assert_eq!((o.status, o.satisfied_by), (Status::Overdue, None));
    }

    #[test]
    fn r6_pairing_in_time_is_done_not_late() {
        let mut f = Fixture::new();
        let hh = becomes_monitored(&mut f, "2024-03-04");
        let cadre = f.cadre("甲");
        let pairing = f.pair(hh, cadre, d("2024-03-08"), None);
        let found = r6(&f, "2024-06-30", hh);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status, Status::Done);
        assert!(!found[0].late);
        assert_eq!(found[0].satisfied_by, Some(pairing));
        assert!(r6_alerts(&f, "2024-06-30", hh).is_empty());
    }

    #[test]
    fn r6_monitored_household_losing_its_cadre_opens_a_stretch() {
        let mut f = Fixture::new();
        let hh = f.monitored();
        let cadre = f.cadre("甲");
        f.pair(hh, cadre, d("2022-01-01"), Some(d("2024-05-15")));
        if let Some(h) = f.ds.households.iter_mut().find(|h| h.id == hh) {
            h.risks = vec![Risk::Illness, Risk::Disaster];
        }
        let found = r6(&f, "2024-05-20", hh);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].period, Period::Day(d("2024-05-16")));
        let alerts = r6_alerts(&f, "2024-05-20", hh);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].raised_on, d("2024-05-16"));
        assert!(alerts[0].open);
        assert_eq!(alerts[0].village_id, f.village);
        assert_eq!(alerts[0].township_id, Some(f.township));
        assert_eq!(
            alerts[0].detail,
            AlertDetail::NoCadre {
                since: d("2024-05-16"),
                risks: vec![Risk::Illness, Risk::Disaster],
            }
        );
    }

    #[test]
    fn r6_stretch_before_tracking_start_owes_nothing_but_alerts() {
        let mut f = Fixture::new();
        let hh = f.monitored(); // since 2021, never paired
        assert!(r6(&f, "2024-02-01", hh).is_empty());
        let alerts = r6_alerts(&f, "2024-02-01", hh);
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].detail,
            AlertDetail::NoCadre {
                since: d("2021-01-01"),
                risks: Vec::new(),
            }
        );
    }

    #[test]
    fn r6_lifted_or_paired_households_owe_nothing() {
        let mut f = Fixture::new();
        let lifted = f.lifted();
        let paired = f.monitored();
        let cadre = f.cadre("甲");
        f.pair(paired, cadre, d("2021-01-01"), None);
        for hh in [lifted, paired] {
            assert!(r6(&f, "2024-12-31", hh).is_empty());
            assert!(r6_alerts(&f, "2024-12-31", hh).is_empty());
        }
    }

    #[test]
    fn r6_village_without_first_secretary_is_owed_by_nobody() {
        let mut f = Fixture::new();
        if let Some(p) = f.ds.people.iter_mut().find(|p| p.id == f.first_secretary) {
            p.roles[0].to = Some(d("2024-01-31"));
        }
        let hh = becomes_monitored(&mut f, "2024-02-05");
        assert_eq!(r6(&f, "2024-02-05", hh)[0].owner, Owner::Nobody);
    }
}
