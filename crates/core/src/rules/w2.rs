//! W2: every visit is recorded in the register — a visit whose date cannot be right is flagged.
//!
//! A visit in force whose day is after `as_of` (the phone's clock ran ahead) or before 2000 raises
//! an `implausible_visit_date` alert on `as_of`, the day it is noticed. It counts for no obligation
//! and stays flagged until a correcting record replaces it (then it is no longer in force).

use chrono::NaiveDate;

use crate::rules::{Alert, AlertDetail, Index, RuleId};

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    for household in &index.dataset.households {
        let Some(visits) = index.visits_by_household.get(&household.id) else {
            continue;
        };
        let mut township = None;
        for visit in visits {
            let day = visit.day();
            if visit_day_is_plausible(day, as_of) {
                continue;
            }
            let township_id =
                *township.get_or_insert_with(|| index.township_of(household.village_id));
            out.push(Alert {
                rule: RuleId::W2,
                household_id: household.id,
                village_id: household.village_id,
                township_id,
                raised_on: as_of,
                open: true,
                detail: AlertDetail::ImplausibleVisitDate {
                    visit_id: visit.id,
                    visited_on: day,
                },
            });
        }
    }
}

/// Whether a visit's phone-recorded day can be right on `as_of`: not in the future and not before
/// 2000. A visit that fails this satisfies no obligation until it is corrected (see docs/rules.md).
pub fn visit_day_is_plausible(day: NaiveDate, as_of: NaiveDate) -> bool {
    day <= as_of && day >= NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::visit_day_is_plausible;
    use crate::rules::testkit::{Fixture, d, noon};
    use crate::rules::{Alert, AlertDetail, RuleId};

    fn w2(f: &Fixture, as_of: &str) -> Vec<Alert> {
        crate::rules::alerts(&f.ds, d(as_of))
            .into_iter()
            .filter(|a| a.rule == RuleId::W2)
            .collect()
    }

    #[test]
    fn w2_future_dated_visit_is_flagged_on_as_of() {
        let mut f = Fixture::new();
        let cadre = f.cadre("甲");
        let hh = f.lifted();
        f.visit(hh, cadre, d("2024-05-10"));
        let future = f.visit(hh, cadre, d("2024-05-11"));
        let found = w2(&f, "2024-05-10");
        assert_eq!(found.len(), 1, "{found:?}");
        let a = &found[0];
        assert_eq!(a.household_id, hh);
        assert_eq!(a.village_id, f.village);
        assert_eq!(a.township_id, Some(f.township));
        assert_eq!(a.raised_on, d("2024-05-10"));
        assert!(a.open);
        assert_eq!(
            a.detail,
            AlertDetail::ImplausibleVisitDate {
                visit_id: future,
                visited_on: d("2024-05-11"),
            }
        );
        // Once the day has come, the date is plausible.
        assert!(w2(&f, "2024-05-11").is_empty());
    }

    #[test]
    fn w2_visit_before_2000_is_flagged() {
        let mut f = Fixture::new();
        let cadre = f.cadre("甲");
        let hh = f.lifted();
        let old = f.visit(hh, cadre, d("1999-12-31"));
        f.visit(hh, cadre, d("2000-01-01"));
        let found = w2(&f, "2024-05-10");
        assert_eq!(found.len(), 1);
        assert!(matches!(
            found[0].detail,
            AlertDetail::ImplausibleVisitDate { visit_id, .. } if visit_id == old
        ));
    }

    #[test]
    fn w2_corrected_visit_is_no_longer_flagged() {
        let mut f = Fixture::new();
        let cadre = f.cadre("甲");
        let hh = f.lifted();
        let wrong = f.visit(hh, cadre, d("2034-05-10"));
        assert_eq!(w2(&f, "2024-05-10").len(), 1);
        f.visit(hh, cadre, d("2024-05-09"));
        f.last_visit().corrects = Some(wrong);
        assert!(w2(&f, "2024-05-10").is_empty());
    }

    #[test]
    fn w2_local_day_decides_not_utc() {
        let mut f = Fixture::new();
        let cadre = f.cadre("甲");
        let hh = f.lifted();
        // 00:30 on May 11 at UTC+8 is still May 10 in UTC: the local day (May 11) is in the future.
        f.visit(hh, cadre, d("2024-05-11"));
        f.last_visit().visited_at = noon(d("2024-05-11")) - chrono::Duration::minutes(690);
        assert_eq!(w2(&f, "2024-05-10").len(), 1);
        assert!(visit_day_is_plausible(d("2024-05-10"), d("2024-05-10")));
    }
}
