//! D5: an effectiveness evaluation per monitored household per quarter.
//!
//! One obligation per (household, quarter) for households monitored on the quarter's last day. It
//! opens with the quarter's income window and is due at the end of the first month after the
//! quarter (Apr 30, Jul 31, Oct 31, Jan 31), so it can use that quarter's income. The owner is the
//! same as R2's. The first evaluation in force for the household and quarter, dated on or before
//! `as_of`, satisfies it.

use chrono::NaiveDate;

use crate::calendar::{Month, Quarter};
use crate::model::household::Assistance;
use crate::model::work::Evaluation;
use crate::rules::r2_r3::{household_owner, pairings_of};
use crate::rules::{Index, Obligation, Period, RuleId};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let quarters = crate::rules::quarters(index, as_of);
    if quarters.is_empty() {
        return;
    }
    for household in &index.dataset.households {
        let evaluations: &[&Evaluation] = index
            .evaluations_by_household
            .get(&household.id)
            .map_or(&[], Vec::as_slice);
        let pairings = pairings_of(index, household.id);
        for &quarter in &quarters {
            let last = quarter.last_day();
            if household.assistance_on(last) != Some(Assistance::Monitored) {
                continue;
            }
            let (owner, unit_id) = household_owner(index, pairings, last);
            let opens_on = quarter.income_window().0;
            let due_on = due_on(quarter);
            let evaluation = first_evaluation(evaluations, quarter, as_of);
            let satisfied_on = evaluation.map(|e| e.evaluated_on);
            let (status, late) = Obligation::status_of(opens_on, due_on, satisfied_on, as_of);
            out.push(Obligation {
                rule: RuleId::D5,
                owner,
                household_id: Some(household.id),
                unit_id,
                period: Period::Quarter(quarter),
                opens_on,
                due_on,
                status,
                satisfied_by: evaluation.map(|e| e.id),
                satisfied_on,
                late,
            });
        }
    }
}

/// The last day of the first month after `quarter`.
fn due_on(quarter: Quarter) -> NaiveDate {
    Month::of(quarter.next().first_day()).last_day()
}

/// The earliest evaluation of `quarter` (the list is sorted by period, then day) dated by `as_of`.
fn first_evaluation<'a>(
    evaluations: &[&'a Evaluation],
    quarter: Quarter,
    as_of: NaiveDate,
) -> Option<&'a Evaluation> {
    let at = evaluations.partition_point(|e| e.period < quarter);
    evaluations
        .get(at)
        .copied()
        .filter(|e| e.period == quarter && e.evaluated_on <= as_of)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use crate::calendar::Quarter;
    use crate::model::household::{HouseholdClass, MonitoredKind};
    use crate::model::work::{Evaluation, EvaluationOutcome};
    use crate::rules::testkit::{Fixture, d};
    use crate::rules::{Obligation, Owner, Period, RuleId, Status};

    fn q(year: i32, q: u8) -> Quarter {
        Quarter { year, q }
    }

    fn evaluate(f: &mut Fixture, household: Uuid, period: Quarter, on: &str) -> Uuid {
        let id = f.id();
        let by = f.first_secretary;
        f.ds.evaluations.push(Evaluation {
            id,
            household_id: household,
            period,
            evaluated_on: d(on),
            evaluator_id: by,
            income_above_line: true,
            guarantees_consolidated: true,
            risk_eliminated: false,
            outcome: EvaluationOutcome::Continue,
            note: String::new(),
            corrects: None,
        });
        id
    }

    fn d5(f: &Fixture, as_of: &str, hh: Uuid) -> Vec<Obligation> {
        crate::rules::obligations(&f.ds, d(as_of))
            .into_iter()
            .filter(|o| o.rule == RuleId::D5 && o.household_id == Some(hh))
            .collect()
    }

    fn find(f: &Fixture, as_of: &str, hh: Uuid, period: Quarter) -> Obligation {
        d5(f, as_of, hh)
            .into_iter()
            .find(|o| o.period == Period::Quarter(period))
            .expect("obligation present")
    }

    #[test]
    fn d5_due_dates_of_each_quarter_and_q4_across_the_new_year() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), None);
        let all = d5(&f, "2025-01-10", h);
        let dates: Vec<(Period, _, _)> = all
            .iter()
            .map(|o| (o.period, o.opens_on, o.due_on))
            .collect();
        assert_eq!(
            dates,
            vec![
                (
                    Period::Quarter(q(2024, 1)),
                    d("2024-03-25"),
                    d("2024-04-30")
                ),
                (
                    Period::Quarter(q(2024, 2)),
                    d("2024-06-25"),
                    d("2024-07-31")
                ),
                (
                    Period::Quarter(q(2024, 3)),
                    d("2024-09-25"),
                    d("2024-10-31")
                ),
                (
                    Period::Quarter(q(2024, 4)),
                    d("2024-12-25"),
                    d("2025-01-31")
                ),
                (
                    Period::Quarter(q(2025, 1)),
                    d("2025-03-25"),
                    d("2025-04-30")
                ),
            ]
        );
        let st: Vec<Status> = all.iter().map(|o| o.status).collect();
        assert_eq!(
            st,
            vec![
                Status::Overdue,
                Status::Overdue,
                Status::Overdue,
                Status::Open,
                Status::Upcoming
            ]
        );
        assert!(all.iter().all(|o| o.owner == Owner::Person(c)));
        // Jan 31 is still in time; Feb 1 is not.
        assert_eq!(find(&f, "2025-01-31", h, q(2024, 4)).status, Status::Open);
        assert_eq!(
            find(&f, "2025-02-01", h, q(2024, 4)).status,
            Status::Overdue
        );
    }

    #[test]
    fn d5_evaluation_of_the_quarter_satisfies_on_time_or_late() {
        let mut f = Fixture::new();
        let h = f.monitored();
        let e4 = evaluate(&mut f, h, q(2024, 4), "2025-01-31");
        let e1 = evaluate(&mut f, h, q(2024, 1), "2024-05-06");
        let o = find(&f, "2025-02-10", h, q(2024, 4));
        assert_eq!(
            (o.status, o.late, o.satisfied_by),
            (Status::Done, false, Some(e4))
        );
        let o = find(&f, "2025-02-10", h, q(2024, 1));
        assert_eq!(
            (o.status, o.late, o.satisfied_by),
            (Status::Done, true, Some(e1))
        );
        assert_eq!(o.satisfied_on, Some(d("2024-05-06")));
        // Evaluations of other quarters do not count for Q2.
        let o = find(&f, "2025-02-10", h, q(2024, 2));
        assert_eq!((o.status, o.satisfied_by), (Status::Overdue, None));
        // Before it was made, the Q4 evaluation does not count.
        let o = find(&f, "2025-01-20", h, q(2024, 4));
        assert_eq!((o.status, o.satisfied_by), (Status::Open, None));
        // An early evaluation (before the window) still counts, not late.
        let e2 = evaluate(&mut f, h, q(2024, 2), "2024-06-20");
        let o = find(&f, "2024-06-21", h, q(2024, 2));
        assert_eq!(
            (o.status, o.late, o.satisfied_by),
            (Status::Done, false, Some(e2))
        );
    }

    #[test]
    fn d5_corrected_evaluation_is_replaced_by_its_correction() {
        let mut f = Fixture::new();
        let h = f.monitored();
        let wrong = evaluate(&mut f, h, q(2024, 1), "2024-04-10");
        let right = evaluate(&mut f, h, q(2024, 1), "2024-04-12");
        if let Some(e) = f.ds.evaluations.iter_mut().find(|e| e.id == right) {
            e.corrects = Some(wrong);
        }
        let o = find(&f, "2024-05-01", h, q(2024, 1));
        assert_eq!(o.satisfied_by, Some(right));
    }

    #[test]
    fn d5_only_for_households_monitored_on_the_quarter_last_day() {
        let mut f = Fixture::new();
        let lifted = f.lifted();
        assert!(d5(&f, "2024-12-31", lifted).is_empty());
        // Monitored from mid-February: owes Q1 onwards.
        let h = f.lifted();
        f.reclass(
            h,
            d("2024-02-14"),
            HouseholdClass::Monitored,
            Some(MonitoredKind::Marginal),
        );
        let all = d5(&f, "2024-04-01", h);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].period, Period::Quarter(q(2024, 1)));
        assert_eq!(all[0].status, Status::Open);
        assert_eq!(all[1].status, Status::Upcoming);
        // Risk eliminated in May: no Q2 evaluation.
        f.reclass(
            h,
            d("2024-05-20"),
            HouseholdClass::RiskEliminated,
            Some(MonitoredKind::Marginal),
        );
        let all = d5(&f, "2024-07-10", h);
        assert_eq!(all.len(), 1, "{all:?}");
    }

    #[test]
    fn d5_gap_on_quarter_end_is_owed_by_the_unit_of_the_last_cadre() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), Some(d("2024-06-29")));
        let o = find(&f, "2024-07-10", h, q(2024, 2));
        assert_eq!(o.owner, Owner::Unit(f.unit));
        assert_eq!(o.unit_id, Some(f.unit));
        let o = find(&f, "2024-07-10", h, q(2024, 1));
        assert_eq!(o.owner, Owner::Person(c));
    }
}
