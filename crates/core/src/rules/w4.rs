//! W4: units hand in quarterly ledgers by Mar 31, Jun 30, Sep 30 and Dec 31.
//!
//! One obligation per (unit, quarter) for every unit with at least one cadre paired with a
//! household on the quarter's last day. It opens on the first day of the quarter's last month and
//! is due on the quarter's last day; the unit owes it. The first ledger submission of the unit for
//! the quarter, dated on or before `as_of`, satisfies it.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::calendar::Month;
use crate::rules::{Index, Obligation, Owner, Period, RuleId};

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    for quarter in crate::rules::quarters(index, as_of) {
        let last = quarter.last_day();
        let opens_on = Month {
            year: quarter.year,
            month: quarter.q * 3,
        }
        .first_day();
        for unit in units_with_a_paired_cadre(index, last) {
            let ledger = index
                .ledgers
                .get(&(unit, quarter))
                .and_then(|ledgers| ledgers.first())
                .filter(|l| l.submitted_on <= as_of);
            let satisfied_on = ledger.map(|l| l.submitted_on);
            let (status, late) = Obligation::status_of(opens_on, last, satisfied_on, as_of);
            out.push(Obligation {
                rule: RuleId::W4,
                owner: Owner::Unit(unit),
                household_id: None,
                unit_id: Some(unit),
                period: Period::Quarter(quarter),
                opens_on,
                due_on: last,
                status,
                satisfied_by: ledger.map(|l| l.id),
                satisfied_on,
                late,
            });
        }
    }
}

/// The units (sorted) of the cadres of all pairings active on `day`: one pass over the pairings.
fn units_with_a_paired_cadre(index: &Index<'_>, day: NaiveDate) -> BTreeSet<Uuid> {
    index
        .dataset
        .pairings
        .iter()
        .filter(|p| p.active_on(day))
        .filter_map(|p| index.people.get(&p.cadre_id))
        .filter_map(|person| person.unit_id)
        .collect()
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use crate::calendar::Quarter;
    use crate::model::area::{Person, Role, RoleGrant, Unit};
    use crate::model::work::LedgerSubmission;
    use crate::rules::testkit::{Fixture, d};
    use crate::rules::{Obligation, Owner, Period, RuleId, Status};

    fn q(year: i32, q: u8) -> Quarter {
        Quarter { year, q }
    }

    fn ledger(f: &mut Fixture, unit: Uuid, period: Quarter, on: &str) -> Uuid {
        let id = f.id();
        f.ds.ledger_submissions.push(LedgerSubmission {
            id,
            unit_id: unit,
            period,
            submitted_on: d(on),
        });
        id
    }

    fn w4(f: &Fixture, as_of: &str) -> Vec<Obligation> {
        crate::rules::obligations(&f.ds, d(as_of))
            .into_iter()
            .filter(|o| o.rule == RuleId::W4)
            .collect()
    }

    fn find(f: &Fixture, as_of: &str, unit: Uuid, period: Quarter) -> Obligation {
        w4(f, as_of)
            .into_iter()
            .find(|o| o.unit_id == Some(unit) && o.period == Period::Quarter(period))
            .expect("obligation present")
    }

    /// A second unit with one cadre.
    fn other_unit_cadre(f: &mut Fixture) -> (Uuid, Uuid) {
        let unit = f.id();
        f.ds.units.push(Unit {
            id: unit,
            name: "县教育局".into(),
        });
        let cadre = f.id();
        f.ds.people.push(Person {
            id: cadre,
            name: "王五".into(),
            phone: None,
            unit_id: Some(unit),
            post_id: None,
            left_on: None,
            roles: vec![RoleGrant {
                role: Role::Cadre,
                area_id: None,
                from: d("2020-01-01"),
                to: None,
            }],
        });
        (unit, cadre)
    }

    #[test]
    fn w4_unit_ledger_each_quarter_q4_due_december_31() {
        let mut f = Fixture::new();
        let c1 = f.cadre("张三");
        let c2 = f.cadre("李四");
        let (h1, h2) = (f.monitored(), f.lifted());
        f.pair(h1, c1, d("2023-01-01"), None);
        f.pair(h2, c2, d("2023-01-01"), None);
        let all = w4(&f, "2024-12-31");
        // Two cadres of the same unit: one ledger per quarter.
        assert_eq!(all.len(), 4, "{all:?}");
        let o = &all[3];
        assert_eq!(o.period, Period::Quarter(q(2024, 4)));
        assert_eq!(o.owner, Owner::Unit(f.unit));
        assert_eq!(o.household_id, None);
        assert_eq!(o.opens_on, d("2024-12-01"));
        assert_eq!(o.due_on, d("2024-12-31"));
        assert_eq!(o.status, Status::Open);
        let dues: Vec<_> = all.iter().map(|o| o.due_on).collect();
        assert_eq!(
            dues,
            vec![
                d("2024-03-31"),
                d("2024-06-30"),
                d("2024-09-30"),
                d("2024-12-31")
            ]
        );
        assert!(all[..3].iter().all(|o| o.status == Status::Overdue));
        assert_eq!(
            find(&f, "2025-01-01", f.unit, q(2024, 4)).status,
            Status::Overdue
        );
    }

    #[test]
    fn w4_statuses_upcoming_open_done_late() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), None);
        // Before the quarter's last month: upcoming; from Jun 1: open.
        assert_eq!(
            find(&f, "2024-05-31", f.unit, q(2024, 2)).status,
            Status::Upcoming
        );
        assert_eq!(
            find(&f, "2024-06-01", f.unit, q(2024, 2)).status,
            Status::Open
        );
        let unit = f.unit;
        let on_time = ledger(&mut f, unit, q(2024, 2), "2024-06-30");
        let late = ledger(&mut f, unit, q(2024, 1), "2024-04-03");
        // A ledger of Q1 does not count for Q2 and a ledger not yet handed in does not count.
        let o = find(&f, "2024-06-29", f.unit, q(2024, 2));
        assert_eq!((o.status, o.satisfied_by), (Status::Open, None));
        let o = find(&f, "2024-07-01", f.unit, q(2024, 2));
        assert_eq!(
            (o.status, o.late, o.satisfied_by),
            (Status::Done, false, Some(on_time))
        );
        let o = find(&f, "2024-07-01", f.unit, q(2024, 1));
        assert_eq!(
            (o.status, o.late, o.satisfied_by),
            (Status::Done, true, Some(late))
        );
        assert_eq!(o.satisfied_on, Some(d("2024-04-03")));
    }

    #[test]
    fn w4_only_units_with_a_cadre_paired_on_the_quarter_last_day() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let (other, oc) = other_unit_cadre(&mut f);
        let h = f.monitored();
        // The fixture's unit is paired until Feb 10; the other unit takes over from Feb 11.
        f.pair(h, c, d("2023-01-01"), Some(d("2024-02-10")));
        f.pair(h, oc, d("2024-02-11"), None);
        // The fixture's unit had no cadre paired on Mar 31 or Jun 30: it owes nothing.
        let all = w4(&f, "2024-04-15");
        let owed: Vec<(Option<Uuid>, Period)> = all.iter().map(|o| (o.unit_id, o.period)).collect();
        assert_eq!(
            owed,
            vec![
                (Some(other), Period::Quarter(q(2024, 1))),
                (Some(other), Period::Quarter(q(2024, 2))),
            ]
        );
    }

    #[test]
    fn w4_nothing_before_tracking_starts() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        f.pair(h, c, d("2023-01-01"), None);
        assert!(w4(&f, "2023-12-31").is_empty());
    }
}
