//! D3: income collected each quarter in the window (25th of the last month – 5th of the next); alerts on low income, sharp drops and rigid-expense jumps.
//!
//! Obligations: one per household monitored on a quarter's last day, for every quarter from the
//! one containing `tracking_start` through the one containing `as_of` (so on 2025-01-03 the 2024-Q4
//! task, whose window runs Dec 25 – Jan 5, is open and 2025-Q1's is upcoming). It opens and is due
//! with the income window; the first income record in force for that household and quarter,
//! collected on or before `as_of`, satisfies it (late if collected after the window; an early
//! collection counts and is not late). The owner is the cadre paired on the quarter's last day,
//! else the unit of the last cadre paired (a gap), else nobody — as for R2.
//!
//! Alerts: only the latest quarter of each household with a record collected by `as_of` (see
//! `docs/rules.md`, "D3 alerts").

use chrono::NaiveDate;

use crate::calendar::Quarter;
use crate::income::IncomeTotals;
use crate::model::household::{Assistance, Household};
use crate::model::income::{Fen, IncomeRecord};
use crate::rules::r2_r3::household_owner;
use crate::rules::{Alert, AlertDetail, Index, Obligation, Period, RuleId};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let quarters = crate::rules::quarters(index, as_of);
    if quarters.is_empty() {
        return;
    }
    for household in &index.dataset.households {
        let pairings = index
            .pairings_by_household
            .get(&household.id)
            .map_or(&[][..], Vec::as_slice);
        let records = index
            .income_by_household
            .get(&household.id)
            .map_or(&[][..], Vec::as_slice);
        for &quarter in &quarters {
            let last = quarter.last_day();
            if household.assistance_on(last) != Some(Assistance::Monitored) {
                continue;
            }
            let (opens_on, due_on) = quarter.income_window();
            // Records are sorted by (period, collected_on): the first of the quarter seen by
            // `as_of` is the earliest collection.
            let satisfying = records
                .iter()
                .find(|r| r.period == quarter && r.collected_on <= as_of);
            let satisfied_on = satisfying.map(|r| r.collected_on);
            let (status, late) = Obligation::status_of(opens_on, due_on, satisfied_on, as_of);
            let (owner, unit_id) = household_owner(index, pairings, last);
            out.push(Obligation {
                rule: RuleId::D3,
                owner,
                household_id: Some(household.id),
                unit_id,
                period: Period::Quarter(quarter),
                opens_on,
                due_on,
                status,
                satisfied_by: satisfying.map(|r| r.id),
                satisfied_on,
                late,
            });
        }
    }
}

/// How much `now` fell below `before`, in whole percent rounded up, if it fell by more than
/// `threshold` percent (compared exactly, not on the rounded figure). `None` when `before` is not
/// positive: a drop from nothing has no percentage.
fn drop_over(before: i64, now: i64, threshold: u32) -> Option<u32> {
    if before <= 0 {
        return None;
    }
    let (before, now) = (i128::from(before), i128::from(now));
    let drop = before - now;
    if drop * 100 <= i128::from(threshold) * before {
        return None;
    }
    let percent = (drop * 100 + before - 1) / before;
    Some(u32::try_from(percent).unwrap_or(u32::MAX))
}

/// The household's records collected by `as_of`, one per quarter (the latest collected of a
/// quarter if several are in force), ascending by quarter. `records` are the household's records
/// in force sorted by period then collection day, as [`Index::income_by_household`] holds them.
pub fn records_by_quarter<'a>(
    records: &[&'a IncomeRecord],
    as_of: NaiveDate,
) -> Vec<(Quarter, &'a IncomeRecord)> {
    let mut out: Vec<(Quarter, &IncomeRecord)> = Vec::new();
    for &r in records.iter().filter(|r| r.collected_on <= as_of) {
        match out.last_mut() {
            Some(last) if last.0 == r.period => last.1 = r,
            _ => out.push((r.period, r)),
        }
    }
    out
}

/// D3's per-capita net income of a household, annualised: the net income of those of the four
/// quarters ending with `quarter` that have a record in `by_quarter` (see [`records_by_quarter`]),
/// scaled to a year (× 4 ÷ the number of quarters counted) and divided by `household_size`.
/// Returns the figure in fen and the number of quarters counted; `None` when none of the four
/// quarters has a record or `household_size` is 0. The below-the-line alert and the D5 evaluation
/// both use this one computation.
pub fn annualised_per_capita_fen(
    by_quarter: &[(Quarter, &IncomeRecord)],
    quarter: Quarter,
    household_size: u32,
) -> Option<(Fen, u32)> {
    if household_size == 0 {
        return None;
    }
    let mut sum = 0i128;
    let mut n = 0i128;
    let mut q = quarter;
    for _ in 0..4 {
        if let Ok(i) = by_quarter.binary_search_by_key(&q, |e| e.0) {
            sum += i128::from(IncomeTotals::of(by_quarter[i].1).net_fen);
            n += 1;
        }
        q = q.prev();
    }
    if n == 0 {
        return None;
    }
    let per_capita = sum * 4 / (n * i128::from(household_size));
    let per_capita =
        i64::try_from(per_capita).unwrap_or(if per_capita < 0 { i64::MIN } else { i64::MAX });
    Some((per_capita, u32::try_from(n).unwrap_or(4)))
}

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    let settings = &index.dataset.settings;
    for household in &index.dataset.households {
        let Some(records) = index.income_by_household.get(&household.id) else {
            continue;
        };
        let by_quarter = records_by_quarter(records, as_of);
        let Some(&(quarter, record)) = by_quarter.last() else {
            continue;
        };
        let find = |q: Quarter| {
            by_quarter
                .binary_search_by_key(&q, |e| e.0)
                .ok()
                .map(|i| by_quarter[i].1)
        };
        let net = IncomeTotals::of(record).net_fen;
        let mut raise = |detail: AlertDetail| {
            out.push(alert(index, household, record.collected_on, detail));
        };

        // Annualised per-capita net income against the line of the quarter's year.
        if let Some(line_fen) = index.monitoring_line_fen(household.village_id, quarter.year)
            && let Some((per_capita, _)) =
                annualised_per_capita_fen(&by_quarter, quarter, record.household_size)
            && per_capita < line_fen
        {
            raise(AlertDetail::IncomeBelowLine {
                period: quarter,
                income_record_id: record.id,
                per_capita_fen: per_capita,
                line_fen,
            });
        }

        let previous = find(quarter.prev());
        if let Some(prev) = previous {
            let previous_net_fen = IncomeTotals::of(prev).net_fen;
            if let Some(drop_percent) =
                drop_over(previous_net_fen, net, settings.income_drop_percent)
            {
                raise(AlertDetail::IncomeDropQuarter {
                    period: quarter,
                    income_record_id: record.id,
                    net_fen: net,
                    previous_net_fen,
                    drop_percent,
                });
            }
        }
        if let Some(year_before) = find(quarter.year_before()) {
            let previous_net_fen = IncomeTotals::of(year_before).net_fen;
            if let Some(drop_percent) =
                drop_over(previous_net_fen, net, settings.income_drop_percent)
            {
                raise(AlertDetail::IncomeDropYear {
                    period: quarter,
                    income_record_id: record.id,
                    net_fen: net,
                    previous_net_fen,
                    drop_percent,
                });
            }
        }
        if let Some(prev) = previous {
            let (before, now) = (
                i128::from(prev.rigid_expense_fen),
                i128::from(record.rigid_expense_fen),
            );
            let rise = now - before;
            if rise >= i128::from(settings.rigid_expense_jump_min_fen)
                && rise * 100 > i128::from(settings.rigid_expense_jump_percent) * before
            {
                raise(AlertDetail::RigidExpenseJump {
                    period: quarter,
                    income_record_id: record.id,
                    rigid_expense_fen: record.rigid_expense_fen,
                    previous_rigid_expense_fen: prev.rigid_expense_fen,
                });
            }
        }
    }
}

fn alert(
    index: &Index<'_>,
    household: &Household,
    raised_on: NaiveDate,
    detail: AlertDetail,
) -> Alert {
    Alert {
        rule: RuleId::D3,
        household_id: household.id,
        village_id: household.village_id,
        township_id: index.township_of(household.village_id),
        raised_on,
        open: true,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::{annualised_per_capita_fen, drop_over, records_by_quarter};
    use crate::calendar::Quarter;
    use crate::model::household::{HouseholdClass, MonitoredKind};
    use crate::model::income::MonitoringLine;
    use crate::rules::testkit::{Fixture, d};
    use crate::rules::{Alert, AlertDetail, Obligation, Owner, Period, RuleId, Status};

    fn q(year: i32, q: u8) -> Quarter {
        Quarter { year, q }
    }

    fn d3(f: &Fixture, as_of: &str, hh: Uuid, quarter: Quarter) -> Option<Obligation> {
        crate::rules::obligations(&f.ds, d(as_of))
            .into_iter()
            .find(|o| {
                o.rule == RuleId::D3
                    && o.household_id == Some(hh)
                    && o.period == Period::Quarter(quarter)
            })
    }

    fn status(f: &Fixture, as_of: &str, hh: Uuid, quarter: Quarter) -> (Status, bool) {
        let o = d3(f, as_of, hh, quarter).expect("obligation");
        (o.status, o.late)
    }

    fn d3_alerts(f: &Fixture, as_of: &str, hh: Uuid) -> Vec<Alert> {
        crate::rules::alerts(&f.ds, d(as_of))
            .into_iter()
            .filter(|a| a.rule == RuleId::D3 && a.household_id == hh)
            .collect()
    }

    /// A monitored household paired with a cadre since 2022.
    fn paired_monitored(f: &mut Fixture) -> (Uuid, Uuid) {
        let cadre = f.cadre("甲");
        let hh = f.monitored();
        f.pair(hh, cadre, d("2022-01-01"), None);
        (hh, cadre)
    }

    #[test]
    fn d3_q4_window_runs_from_dec_25_to_jan_5() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        let q4 = q(2024, 4);
        let o = d3(&f, "2024-12-24", hh, q4).expect("obligation");
        assert_eq!((o.opens_on, o.due_on), (d("2024-12-25"), d("2025-01-05")));
        assert_eq!(o.owner, Owner::Person(cadre));
        assert_eq!(o.status, Status::Upcoming);
        assert_eq!(status(&f, "2024-12-25", hh, q4), (Status::Open, false));
        assert_eq!(status(&f, "2025-01-03", hh, q4), (Status::Open, false));
        assert_eq!(status(&f, "2025-01-05", hh, q4), (Status::Open, false));
        assert_eq!(status(&f, "2025-01-06", hh, q4), (Status::Overdue, false));
        // On 2025-01-03 the next quarter's task exists and is upcoming.
        assert_eq!(
            status(&f, "2025-01-03", hh, q(2025, 1)),
            (Status::Upcoming, false)
        );
    }

    #[test]
    fn d3_record_collected_in_january_satisfies_q4_not_q1() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        let rec = f.income(hh, cadre, q(2024, 4), d("2025-01-03"), 2_000_000, 3);
        let o = d3(&f, "2025-01-03", hh, q(2024, 4)).expect("obligation");
        assert_eq!(o.status, Status::Done);
        assert!(!o.late);
        assert_eq!(o.satisfied_by, Some(rec));
        assert_eq!(o.satisfied_on, Some(d("2025-01-03")));
        let next = d3(&f, "2025-01-03", hh, q(2025, 1)).expect("obligation");
        assert_eq!((next.status, next.satisfied_by), (Status::Upcoming, None));
        // Not yet collected on 2025-01-02.
        assert_eq!(
            status(&f, "2025-01-02", hh, q(2024, 4)),
            (Status::Open, false)
        );
    }

    #[test]
    fn d3_record_after_the_window_is_done_late() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        f.income(hh, cadre, q(2024, 2), d("2024-07-06"), 2_000_000, 3);
        assert_eq!(
            status(&f, "2024-07-05", hh, q(2024, 2)),
            (Status::Open, false)
        );
        assert_eq!(
            status(&f, "2024-07-06", hh, q(2024, 2)),
            (Status::Done, true)
        );
    }

    #[test]
    fn d3_early_record_counts_and_is_not_late() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        f.income(hh, cadre, q(2024, 3), d("2024-09-20"), 2_000_000, 3);
        assert_eq!(
            status(&f, "2024-09-21", hh, q(2024, 3)),
            (Status::Done, false)
        );
    }

    #[test]
    fn d3_leap_year_q1_window_march_25_to_april_5() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        let q1 = q(2024, 1);
        let o = d3(&f, "2024-02-29", hh, q1).expect("obligation");
        assert_eq!((o.opens_on, o.due_on), (d("2024-03-25"), d("2024-04-05")));
        assert_eq!(o.status, Status::Upcoming);
        assert_eq!(status(&f, "2024-03-24", hh, q1), (Status::Upcoming, false));
        assert_eq!(status(&f, "2024-03-25", hh, q1), (Status::Open, false));
        assert_eq!(status(&f, "2024-04-05", hh, q1), (Status::Open, false));
        assert_eq!(status(&f, "2024-04-06", hh, q1), (Status::Overdue, false));
        f.income(hh, cadre, q1, d("2024-04-05"), 2_000_000, 3);
        assert_eq!(status(&f, "2024-04-06", hh, q1), (Status::Done, false));
    }

    #[test]
    fn d3_only_households_monitored_on_the_quarters_last_day() {
        let mut f = Fixture::new();
        let lifted = f.lifted();
        let becomes = f.lifted();
        f.reclass(
            becomes,
            d("2024-06-30"),
            HouseholdClass::Monitored,
            Some(MonitoredKind::SuddenHardship),
        );
        assert!(d3(&f, "2024-12-31", lifted, q(2024, 2)).is_none());
        assert!(d3(&f, "2024-12-31", becomes, q(2024, 1)).is_none());
        let o = d3(&f, "2024-12-31", becomes, q(2024, 2)).expect("monitored on Jun 30");
        // Never paired: nobody can be named.
        assert_eq!(o.owner, Owner::Nobody);
        // Nothing before the quarter containing tracking start (2024-01-01).
        let m = f.monitored();
        assert!(d3(&f, "2024-12-31", m, q(2023, 4)).is_none());
        assert!(d3(&f, "2024-12-31", m, q(2024, 1)).is_some());
    }

    #[test]
    fn d3_gap_on_the_quarters_last_day_is_owed_by_the_unit() {
        let mut f = Fixture::new();
        let cadre = f.cadre("甲");
        let hh = f.monitored();
        f.pair(hh, cadre, d("2022-01-01"), Some(d("2024-06-15")));
        let o = d3(&f, "2024-06-30", hh, q(2024, 2)).expect("obligation");
        assert_eq!(o.owner, Owner::Unit(f.unit));
        assert_eq!(o.unit_id, Some(f.unit));
    }

    #[test]
    fn d3_income_below_line_annualised_per_capita() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        // Line 2024 (Jiangxi) 7,000 yuan. One quarter of 4,000 yuan for 3 people: annualised
        // 16,000 / 3 = 5,333.33 yuan per person.
        let rec = f.income(hh, cadre, q(2024, 1), d("2024-03-28"), 400_000, 3);
        let alerts = d3_alerts(&f, "2024-04-01", hh);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].raised_on, d("2024-03-28"));
        assert!(alerts[0].open);
        assert_eq!(alerts[0].village_id, f.village);
        assert_eq!(alerts[0].township_id, Some(f.township));
        assert_eq!(
            alerts[0].detail,
            AlertDetail::IncomeBelowLine {
                period: q(2024, 1),
                income_record_id: rec,
                per_capita_fen: 533_333,
                line_fen: 700_000,
            }
        );
        // Exactly on the line is not below it: 5,250 yuan a quarter for 3 people = 7,000 a year.
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        f.income(hh, cadre, q(2024, 1), d("2024-03-28"), 525_000, 3);
        assert!(d3_alerts(&f, "2024-04-01", hh).is_empty());
    }

    #[test]
    fn d3_annualised_from_the_last_four_quarters_and_more_specific_line() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        f.ds.monitoring_lines.push(MonitoringLine {
            year: 2024,
            region_code: "360722".into(),
            yuan_per_person: 9_000,
            source: "test".into(),
        });
        // 2023-Q3 … 2024-Q2, one person: 3,000 + 2,000 + 2,000 + 2,200 = 9,200 yuan ≥ 9,000.
        // 2023-Q2 (outside the four quarters) is ignored.
        f.income(hh, cadre, q(2023, 2), d("2023-06-28"), 10, 1);
        f.income(hh, cadre, q(2023, 3), d("2023-09-28"), 300_000, 1);
        f.income(hh, cadre, q(2023, 4), d("2023-12-28"), 200_000, 1);
        f.income(hh, cadre, q(2024, 1), d("2024-03-28"), 200_000, 1);
        f.income(hh, cadre, q(2024, 2), d("2024-06-28"), 220_000, 1);
        assert!(d3_alerts(&f, "2024-07-01", hh).is_empty());
        // Without 2023-Q3, three quarters: 6,200 × 4/3 = 8,266.66 yuan < 9,000.
        f.ds.income_records.retain(|r| r.period != q(2023, 3));
        let alerts = d3_alerts(&f, "2024-07-01", hh);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert!(matches!(
            alerts[0].detail,
            AlertDetail::IncomeBelowLine {
                per_capita_fen: 826_666,
                line_fen: 900_000,
                ..
            }
        ));
    }

    #[test]
    fn d3_annualised_per_capita_counts_the_quarters_present_in_the_four() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        f.income(hh, cadre, q(2023, 2), d("2023-06-28"), 999_999, 1);
        f.income(hh, cadre, q(2023, 4), d("2023-12-28"), 300_000, 2);
        f.income(hh, cadre, q(2024, 2), d("2024-06-28"), 500_000, 2);
        // A later collection of the same quarter replaces the earlier one.
        f.income(hh, cadre, q(2024, 2), d("2024-07-02"), 600_000, 2);
        let index = crate::rules::Index::new(&f.ds);
        let records = index.income_by_household.get(&hh).expect("records");
        let by_quarter = records_by_quarter(records, d("2024-07-10"));
        // 2023-Q3 … 2024-Q2: 2023-Q4 and 2024-Q2 are present (2023-Q2 is outside the four):
        // (3,000 + 6,000) × 4 / 2 quarters / 3 people = 6,000 yuan.
        assert_eq!(
            annualised_per_capita_fen(&by_quarter, q(2024, 2), 3),
            Some((600_000, 2))
        );
        assert_eq!(annualised_per_capita_fen(&by_quarter, q(2024, 2), 0), None);
        assert_eq!(annualised_per_capita_fen(&by_quarter, q(2025, 4), 3), None);
        // Before the correction day, the first collection counts.
        let by_quarter = records_by_quarter(records, d("2024-07-01"));
        assert_eq!(
            annualised_per_capita_fen(&by_quarter, q(2024, 2), 2),
            Some((800_000, 2))
        );
    }

    #[test]
    fn d3_no_line_for_the_year_no_below_line_alert() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        f.income(hh, cadre, q(2025, 1), d("2025-03-28"), 100, 3);
        assert!(d3_alerts(&f, "2025-04-01", hh).is_empty());
    }

    fn drops(alerts: &[Alert]) -> Vec<(&'static str, u32)> {
        alerts
            .iter()
            .filter_map(|a| match a.detail {
                AlertDetail::IncomeDropQuarter { drop_percent, .. } => {
                    Some(("quarter", drop_percent))
                }
                AlertDetail::IncomeDropYear { drop_percent, .. } => Some(("year", drop_percent)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn d3_drop_of_exactly_30_percent_raises_nothing_just_over_does() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        // Well above the line, so only drops are in question.
        f.income(hh, cadre, q(2024, 1), d("2024-03-28"), 10_000_000, 1);
        f.income(hh, cadre, q(2024, 2), d("2024-06-28"), 7_000_000, 1);
        assert!(d3_alerts(&f, "2024-07-01", hh).is_empty());
        if let Some(r) = f.ds.income_records.last_mut() {
            r.items[0].amount_fen = 6_999_999;
        }
        let alerts = d3_alerts(&f, "2024-07-01", hh);
        assert_eq!(drops(&alerts), vec![("quarter", 31)]);
        assert!(matches!(
            alerts[0].detail,
            AlertDetail::IncomeDropQuarter {
                net_fen: 6_999_999,
                previous_net_fen: 10_000_000,
                ..
            }
        ));
        assert_eq!(alerts[0].raised_on, d("2024-06-28"));
        assert_eq!(drop_over(10_000_000, 7_000_000, 30), None);
        assert_eq!(drop_over(10_000_000, 6_999_999, 30), Some(31));
        assert_eq!(drop_over(100, 50, 30), Some(50));
        assert_eq!(drop_over(100, -50, 30), Some(150));
        assert_eq!(drop_over(0, -50, 30), None);
    }

    #[test]
    fn d3_drop_against_the_same_quarter_a_year_earlier() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        f.income(hh, cadre, q(2023, 2), d("2023-06-28"), 10_000_000, 1);
        f.income(hh, cadre, q(2024, 1), d("2024-03-28"), 5_000_000, 1);
        f.income(hh, cadre, q(2024, 2), d("2024-06-28"), 5_000_000, 1);
        let alerts = d3_alerts(&f, "2024-07-01", hh);
        assert_eq!(drops(&alerts), vec![("year", 50)]);
    }

    #[test]
    fn d3_only_the_latest_quarter_is_alerted() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        f.income(hh, cadre, q(2024, 1), d("2024-03-28"), 10_000_000, 1);
        f.income(hh, cadre, q(2024, 2), d("2024-06-28"), 1_000_000, 1);
        f.income(hh, cadre, q(2024, 3), d("2024-09-28"), 1_000_000, 1);
        // On 2024-07-01 the Q2 drop is the latest; once Q3 is collected it is history.
        assert_eq!(
            drops(&d3_alerts(&f, "2024-07-01", hh)),
            vec![("quarter", 90)]
        );
        assert!(drops(&d3_alerts(&f, "2024-10-01", hh)).is_empty());
    }

    fn rigid(f: &mut Fixture, record: Uuid, fen: i64) {
        if let Some(r) = f.ds.income_records.iter_mut().find(|r| r.id == record) {
            r.rigid_expense_fen = fen;
        }
    }

    #[test]
    fn d3_rigid_expense_jump_needs_percent_and_minimum() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        let q1 = f.income(hh, cadre, q(2024, 1), d("2024-03-28"), 10_000_000, 1);
        let q2 = f.income(hh, cadre, q(2024, 2), d("2024-06-28"), 10_000_000, 1);
        // +200% but only 4,000 yuan (< 5,000 minimum): noise.
        rigid(&mut f, q1, 200_000);
        rigid(&mut f, q2, 600_000);
        assert!(d3_alerts(&f, "2024-07-01", hh).is_empty());
        // +5,000 yuan exactly, +250%: alert.
        rigid(&mut f, q2, 700_000);
        let alerts = d3_alerts(&f, "2024-07-01", hh);
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].detail,
            AlertDetail::RigidExpenseJump {
                period: q(2024, 2),
                income_record_id: q2,
                rigid_expense_fen: 700_000,
                previous_rigid_expense_fen: 200_000,
            }
        );
        // +10,000 yuan but only +50% (not more than 50%): no alert.
        rigid(&mut f, q1, 2_000_000);
        rigid(&mut f, q2, 3_000_000);
        assert!(d3_alerts(&f, "2024-07-01", hh).is_empty());
    }

    #[test]
    fn d3_records_collected_after_as_of_are_not_seen() {
        let mut f = Fixture::new();
        let (hh, cadre) = paired_monitored(&mut f);
        f.income(hh, cadre, q(2024, 1), d("2024-03-28"), 10_000_000, 1);
        f.income(hh, cadre, q(2024, 2), d("2024-07-02"), 1_000_000, 1);
        assert!(d3_alerts(&f, "2024-07-01", hh).is_empty());
        assert_eq!(
            status(&f, "2024-07-01", hh, q(2024, 2)),
            (Status::Open, false)
        );
        assert_eq!(
            drops(&d3_alerts(&f, "2024-07-02", hh)),
            vec![("quarter", 90)]
        );
    }
}
