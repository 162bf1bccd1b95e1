//! D2: a risk found on any of the four checks raises an alert until a later visit finds it resolved.
//!
//! Every plausible in-person visit (dated on or before `as_of`, see [`visit_day_is_plausible`])
//! whose check of an item (义务教育, 基本医疗, 住房安全, 饮水安全) is `risk` raises an alert on the
//! visit's day, addressed to the household's village and township. It is resolved by the first
//! later plausible visit of the same household (in visit-time order) that finds the same item ok.
//! A household visited again and found at risk again gets another alert; both are resolved by the
//! same later ok visit.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::model::visit::{CheckItem, CheckStatus};
use crate::rules::{Alert, AlertDetail, Index, RuleId, visit_day_is_plausible};

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    for household in &index.dataset.households {
        let Some(visits) = index.visits_by_household.get(&household.id) else {
            continue;
        };
        let mut township = None;
        let first_of_household = out.len();
        // Walk backwards so that the first later ok visit of each item is known in one pass; the
        // household's alerts are then put back in visit order.
        let mut next_ok: [Option<Uuid>; CheckItem::ALL.len()] = [None; CheckItem::ALL.len()];
        for visit in visits.iter().rev() {
            let day = visit.day();
            if !visit_day_is_plausible(day, as_of) {
                continue;
            }
            for (slot, &item) in CheckItem::ALL.iter().enumerate().rev() {
                match visit.checks.get(item).status {
                    CheckStatus::Ok => next_ok[slot] = Some(visit.id),
                    CheckStatus::Risk => {
                        let township_id = *township
                            .get_or_insert_with(|| index.township_of(household.village_id));
                        let resolved_by = next_ok[slot];
                        out.push(Alert {
                            rule: RuleId::D2,
                            household_id: household.id,
                            village_id: household.village_id,
                            township_id,
                            raised_on: day,
                            open: resolved_by.is_none(),
                            detail: AlertDetail::RiskFound {
                                item,
                                visit_id: visit.id,
                                resolved_by,
                            },
                        });
                    }
                }
            }
        }
        out[first_of_household..].reverse();
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use crate::model::visit::{CheckItem, CheckStatus};
    use crate::rules::testkit::{Fixture, d};
    use crate::rules::{Alert, AlertDetail, RuleId};

    fn d2(f: &Fixture, as_of: &str) -> Vec<Alert> {
        crate::rules::alerts(&f.ds, d(as_of))
            .into_iter()
            .filter(|a| a.rule == RuleId::D2)
            .collect()
    }

    fn risk_visit(
        f: &mut Fixture,
        hh: Uuid,
        visitor: Uuid,
        day: &str,
        items: &[CheckItem],
    ) -> Uuid {
        let id = f.visit(hh, visitor, d(day));
        let v = f.last_visit();
        for item in items {
            let check = match item {
                CheckItem::Education => &mut v.checks.education,
                CheckItem::Medical => &mut v.checks.medical,
                CheckItem::Housing => &mut v.checks.housing,
                CheckItem::Water => &mut v.checks.water,
            };
            check.status = CheckStatus::Risk;
            check.note = Some("发现问题".into());
        }
        id
    }

    fn detail(a: &Alert) -> (CheckItem, Uuid, Option<Uuid>) {
        match &a.detail {
            AlertDetail::RiskFound {
                item,
                visit_id,
                resolved_by,
            } => (*item, *visit_id, *resolved_by),
            other => panic!("not a risk: {other:?}"),
        }
    }

    #[test]
    fn d2_risk_stays_open_until_a_later_visit_finds_it_ok() {
        let mut f = Fixture::new();
        let cadre = f.cadre("甲");
        let hh = f.monitored();
        let found = risk_visit(&mut f, hh, cadre, "2024-04-10", &[CheckItem::Housing]);

        let alerts = d2(&f, "2024-04-10");
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = &alerts[0];
        assert_eq!(a.raised_on, d("2024-04-10"));
        assert!(a.open);
        assert_eq!(a.village_id, f.village);
        assert_eq!(a.township_id, Some(f.township));
        assert_eq!(detail(a), (CheckItem::Housing, found, None));

        // A later visit that still finds housing at risk: a second alert, both open.
        let again = risk_visit(&mut f, hh, cadre, "2024-05-10", &[CheckItem::Housing]);
        let alerts = d2(&f, "2024-05-31");
        assert_eq!(alerts.len(), 2);
        assert!(alerts.iter().all(|a| a.open));
        assert_eq!(detail(&alerts[1]), (CheckItem::Housing, again, None));

        // A visit that finds housing ok resolves both; until it happens (as_of before it) they stay open.
        let ok = f.visit(hh, cadre, d("2024-06-03"));
        assert!(d2(&f, "2024-06-02").iter().all(|a| a.open));
        let alerts = d2(&f, "2024-06-03");
        assert_eq!(alerts.len(), 2);
        for a in &alerts {
            assert!(!a.open);
            assert_eq!(detail(a).2, Some(ok));
        }
    }

    #[test]
    fn d2_each_item_is_resolved_by_its_own_ok_check() {
        let mut f = Fixture::new();
        let cadre = f.cadre("甲");
        let hh = f.lifted();
        risk_visit(
            &mut f,
            hh,
            cadre,
            "2024-04-10",
            &[CheckItem::Education, CheckItem::Water],
        );
        // Water ok again, education still at risk.
        let later = risk_visit(&mut f, hh, cadre, "2024-04-20", &[CheckItem::Education]);
        let alerts = d2(&f, "2024-04-30");
        let summary: Vec<_> = alerts
            .iter()
            .map(|a| (a.raised_on, detail(a).0, a.open))
            .collect();
        assert_eq!(
            summary,
            vec![
                (d("2024-04-10"), CheckItem::Education, true),
                (d("2024-04-10"), CheckItem::Water, false),
                (d("2024-04-20"), CheckItem::Education, true),
            ]
        );
        assert_eq!(detail(&alerts[1]).2, Some(later));
    }

    #[test]
    fn d2_future_dated_visits_neither_raise_nor_resolve() {
        let mut f = Fixture::new();
        let cadre = f.cadre("甲");
        let hh = f.monitored();
        risk_visit(&mut f, hh, cadre, "2024-04-10", &[CheckItem::Medical]);
        // Phone clock ahead: an ok visit and a risk visit dated after as_of.
        f.visit(hh, cadre, d("2024-09-01"));
        risk_visit(&mut f, hh, cadre, "2024-09-02", &[CheckItem::Water]);
        let alerts = d2(&f, "2024-05-01");
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].open);
        assert_eq!(detail(&alerts[0]).0, CheckItem::Medical);
    }

    #[test]
    fn d2_corrected_visit_no_longer_raises() {
        let mut f = Fixture::new();
        let cadre = f.cadre("甲");
        let hh = f.monitored();
        let wrong = risk_visit(&mut f, hh, cadre, "2024-04-10", &[CheckItem::Medical]);
        f.visit(hh, cadre, d("2024-04-10"));
        f.last_visit().corrects = Some(wrong);
        assert!(d2(&f, "2024-05-01").is_empty());
    }
}
