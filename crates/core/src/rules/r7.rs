//! R7: after a pairing change the contact sign is replaced within 7 working days.
//!
//! Every pairing start (the first one included) from `tracking_start` through `as_of` is a change:
//! the new cadre owes the replacement of the contact sign (联系牌), due 7 working days after the
//! start day by the holiday calendar (statutory holidays off, 调休 make-up days on). The first sign
//! replacement recorded for the pairing, dated on or before `as_of`, satisfies it.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::calendar::WorkingDays;
use crate::rules::{Index, Obligation, Owner, Period, RuleId};

/// Working days the new cadre has to replace the sign.
const SIGN_DUE_WORKING_DAYS: u32 = 7;

pub(crate) fn obligations(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Obligation>) {
    let tracking_start = index.dataset.settings.tracking_start;
    // Pairings are often entered in batches with the same start day.
    let mut due_by_start: HashMap<NaiveDate, NaiveDate> = HashMap::new();
    for pairing in &index.dataset.pairings {
        let start = pairing.start;
        if start > as_of || start < tracking_start {
            continue;
        }
        let due_on = *due_by_start
            .entry(start)
            .or_insert_with(|| WorkingDays::add(start, SIGN_DUE_WORKING_DAYS));
        let sign = index
            .signs_by_pairing
            .get(&pairing.id)
            .and_then(|signs| signs.first())
            .filter(|s| s.replaced_on <= as_of);
        let satisfied_on = sign.map(|s| s.replaced_on);
        let (status, late) = Obligation::status_of(start, due_on, satisfied_on, as_of);
        out.push(Obligation {
            rule: RuleId::R7,
            owner: Owner::Person(pairing.cadre_id),
            household_id: Some(pairing.household_id),
            unit_id: None,
            period: Period::Day(start),
            opens_on: start,
            due_on,
            status,
            satisfied_by: sign.map(|s| s.id),
            satisfied_on,
            late,
        });
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use crate::calendar::WorkingDays;
    use crate::model::visit::SignReplacement;
    use crate::rules::testkit::{Fixture, d};
    use crate::rules::{Obligation, Owner, Period, RuleId, Status};

    fn sign(f: &mut Fixture, household: Uuid, pairing: Uuid, on: &str) -> Uuid {
        let id = f.id();
        let by = f.first_secretary;
        f.ds.sign_replacements.push(SignReplacement {
            id,
            household_id: household,
            pairing_id: pairing,
            replaced_on: d(on),
            recorded_by: by,
        });
        id
    }

    fn r7(f: &Fixture, as_of: &str) -> Vec<Obligation> {
        crate::rules::obligations(&f.ds, d(as_of))
            .into_iter()
            .filter(|o| o.rule == RuleId::R7)
            .collect()
    }

    fn one(f: &Fixture, as_of: &str) -> Obligation {
        let mut all = r7(f, as_of);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn r7_national_day_2024_with_make_up_working_days() {
        // 2024 National Day: Oct 1–7 off; Sun Sep 29 and Sat Oct 12 were 调休 working days.
        assert!(WorkingDays::is_working_day(d("2024-09-29")));
        assert!(!WorkingDays::is_working_day(d("2024-09-28")));
        for day in 1..=7 {
            let day = d(&format!("2024-10-{day:02}"));
            assert!(!WorkingDays::is_working_day(day), "{day}");
        }
        assert!(WorkingDays::is_working_day(d("2024-10-12")));
        // So after Fri Sep 27: Sep 29, 30, Oct 8, 9, 10, 11, 12 → due Sat 2024-10-12.
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        let p = f.pair(h, c, d("2024-09-27"), None);
        let o = one(&f, "2024-10-10");
        assert_eq!(o.period, Period::Day(d("2024-09-27")));
        assert_eq!(o.opens_on, d("2024-09-27"));
        assert_eq!(o.due_on, d("2024-10-12"));
        assert_eq!(o.owner, Owner::Person(c));
        assert_eq!(o.household_id, Some(h));
        assert_eq!(o.status, Status::Open);
        // Done on the make-up Saturday itself: on time.
        let s = sign(&mut f, h, p, "2024-10-12");
        let o = one(&f, "2024-10-20");
        assert_eq!(o.status, Status::Done);
        assert!(!o.late);
        assert_eq!(o.satisfied_by, Some(s));
        assert_eq!(o.satisfied_on, Some(d("2024-10-12")));
    }

    #[test]
    fn r7_spring_festival_2024_with_make_up_working_days() {
        // 2024 Spring Festival: Feb 10–17 off; Sun Feb 4 and Sun Feb 18 were working days.
        assert!(WorkingDays::is_working_day(d("2024-02-04")));
        assert!(WorkingDays::is_working_day(d("2024-02-09")));
        for day in 10..=17 {
            let day = d(&format!("2024-02-{day:02}"));
            assert!(!WorkingDays::is_working_day(day), "{day}");
        }
        assert!(WorkingDays::is_working_day(d("2024-02-18")));
        // After Mon Feb 5: Feb 6, 7, 8, 9, 18, 19, 20 → due 2024-02-20.
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.lifted();
        let p = f.pair(h, c, d("2024-02-05"), None);
        let o = one(&f, "2024-02-20");
        assert_eq!(o.due_on, d("2024-02-20"));
        assert_eq!(o.status, Status::Open);
        let o = one(&f, "2024-02-21");
        assert_eq!(o.status, Status::Overdue);
        // Done late, on Feb 21.
        let s = sign(&mut f, h, p, "2024-02-21");
        let o = one(&f, "2024-02-21");
        assert_eq!(o.status, Status::Done);
        assert!(o.late);
        assert_eq!(o.satisfied_by, Some(s));
        // … and after Thu Feb 1 the make-up Sunday Feb 4 counts: Feb 2, 4, 5, 6, 7, 8, 9.
        f.pair(h, c, d("2024-02-01"), Some(d("2024-02-04")));
        let o = r7(&f, "2024-03-01")
            .into_iter()
            .find(|o| o.period == Period::Day(d("2024-02-01")))
            .expect("second pairing");
        assert_eq!(o.due_on, d("2024-02-09"));
        assert_eq!(o.status, Status::Overdue);
    }

    #[test]
    fn r7_every_pairing_change_owes_the_new_cadre_a_sign() {
        let mut f = Fixture::new();
        let old = f.cadre("旧干部");
        let new = f.cadre("新干部");
        let h = f.monitored();
        // Started before tracking: owes nothing.
        let p1 = f.pair(h, old, d("2023-05-01"), Some(d("2024-03-14")));
        let p2 = f.pair(h, new, d("2024-03-15"), None);
        // A sign recorded for the old pairing does not satisfy the new one.
        sign(&mut f, h, p1, "2024-03-16");
        let all = r7(&f, "2024-04-30");
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].owner, Owner::Person(new));
        assert_eq!(all[0].status, Status::Overdue);
        // 7 working days after Fri Mar 15 2024: Mar 18–22, 25, 26.
        assert_eq!(all[0].due_on, d("2024-03-26"));
        let s = sign(&mut f, h, p2, "2024-03-20");
        let o = one(&f, "2024-04-30");
        assert_eq!(o.satisfied_by, Some(s));
        assert!(!o.late);
    }

    #[test]
    fn r7_future_pairing_and_future_sign_do_not_count() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        let p = f.pair(h, c, d("2024-06-03"), None);
        sign(&mut f, h, p, "2024-06-05");
        assert!(r7(&f, "2024-06-02").is_empty());
        let o = one(&f, "2024-06-04");
        assert_eq!(o.status, Status::Open);
        assert_eq!(o.satisfied_by, None);
        assert_eq!(o.satisfied_on, None);
        let o = one(&f, "2024-06-05");
        assert_eq!(o.status, Status::Done);
    }

    #[test]
    fn r7_first_of_several_signs_satisfies() {
        let mut f = Fixture::new();
        let c = f.cadre("张三");
        let h = f.monitored();
        let p = f.pair(h, c, d("2024-06-03"), None);
        sign(&mut f, h, p, "2024-06-20");
        let first = sign(&mut f, h, p, "2024-06-06");
        let o = one(&f, "2024-07-01");
        assert_eq!(o.satisfied_by, Some(first));
        assert!(!o.late);
    }
}
