//! R5: no assisted household is ever without a cadre (断档); successors by post (按照职务接替).
//!
//! A gap is a maximal run of days, from the later of the household's first assisted day and
//! `tracking_start` up to `as_of`, on which the household is assisted (脱贫户 or 监测对象, see
//! [`ClassPeriod::assistance`]) and no pairing is active. Gaps are computed by interval arithmetic
//! over the class history and the pairings (both tiny per household), never day by day.
//!
//! The span helpers here are also used by R6 (`r6.rs`), which needs the same "monitored and not
//! paired" stretches.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::model::area::{Person, Role};
use crate::model::household::{ClassPeriod, Household, Pairing};
use crate::rules::r2_r3::pairings_of;
use crate::rules::{Alert, AlertDetail, Index, RuleId};

/// An inclusive run of days `(first, last)`; `last == NaiveDate::MAX` means it goes on.
pub(super) type Span = (NaiveDate, NaiveDate);

/// The day before `day` (never called with `NaiveDate::MIN` in practice).
fn prev_day(day: NaiveDate) -> NaiveDate {
    day.pred_opt().unwrap_or(NaiveDate::MIN)
}

/// Appends `span` to spans sorted by first day, merging it with the last one when they overlap or
/// touch.
fn push_merged(spans: &mut Vec<Span>, span: Span) {
    if let Some(last) = spans.last_mut()
        && last.1.succ_opt().is_none_or(|after| span.0 <= after)
    {
        last.1 = last.1.max(span.1);
        return;
    }
    spans.push(span);
}

/// The merged spans of days on which the household's class entry satisfies `keep`. An entry holds
/// from its `from` until the day before the next entry's `from`; the last one goes on.
pub(super) fn class_spans(household: &Household, keep: impl Fn(&ClassPeriod) -> bool) -> Vec<Span> {
    let mut history: Vec<&ClassPeriod> = household.class_history.iter().collect();
    // Stable: of two entries with the same `from`, the later one in the list wins (as in
    // `Household::class_on`).
    history.sort_by_key(|p| p.from);
    let mut out = Vec::new();
    for (i, period) in history.iter().enumerate() {
        let last = match history.get(i + 1) {
            Some(next) if next.from <= period.from => continue,
            Some(next) => prev_day(next.from),
            None => NaiveDate::MAX,
        };
        if keep(period) {
            push_merged(&mut out, (period.from, last));
        }
    }
    out
}

/// The merged spans of days on which at least one of `pairings` (ascending by start) is active.
pub(super) fn paired_spans(pairings: &[&Pairing]) -> Vec<Span> {
    let mut out = Vec::new();
    for p in pairings {
        let last = p.end.unwrap_or(NaiveDate::MAX);
        if last >= p.start {
            push_merged(&mut out, (p.start, last));
        }
    }
    out
}

/// The parts of `spans` not in `covered` (both sorted, disjoint and merged).
pub(super) fn uncovered(spans: &[Span], covered: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    for &(first, last) in spans {
        // The first day of `first..=last` not yet known to be covered; `None` once past `last`.
        let mut cur = Some(first);
        let from = covered.partition_point(|c| c.1 < first);
        for &(c_first, c_last) in &covered[from..] {
            let Some(day) = cur else { break };
            if c_first > last {
                break;
            }
            if c_first > day {
                out.push((day, prev_day(c_first)));
            }
            cur = c_last
                .succ_opt()
                .map(|after| after.max(day))
                .filter(|&after| after <= last);
        }
        if let Some(day) = cur {
            out.push((day, last));
        }
    }
    out
}

/// People who could take over a post on `as_of`: serving and holding the cadre role, by
/// (unit, post), in dataset order. Built once per run.
struct SuccessorsByPost<'a> {
    by_post: HashMap<(Uuid, Uuid), Vec<&'a Person>>,
}

impl<'a> SuccessorsByPost<'a> {
    fn new(index: &Index<'a>, as_of: NaiveDate) -> Self {
        let mut by_post: HashMap<(Uuid, Uuid), Vec<&'a Person>> = HashMap::new();
        for person in &index.dataset.people {
            if let (Some(unit), Some(post)) = (person.unit_id, person.post_id)
                && person.serving_on(as_of)
                && person.has_role_on(Role::Cadre, as_of)
            {
                by_post.entry((unit, post)).or_default().push(person);
            }
        }
        SuccessorsByPost { by_post }
    }

    /// Whoever else serves in the leaving cadre's unit and post.
    fn for_cadre(&self, index: &Index<'a>, cadre_id: Uuid) -> Option<Uuid> {
        let cadre = index.people.get(&cadre_id)?;
        let key = (cadre.unit_id?, cadre.post_id?);
        self.by_post
            .get(&key)?
            .iter()
            .find(|p| p.id != cadre_id)
            .map(|p| p.id)
    }
}

pub(crate) fn alerts(index: &Index<'_>, as_of: NaiveDate, out: &mut Vec<Alert>) {
    let tracking_start = index.dataset.settings.tracking_start;
    if as_of < tracking_start {
        return;
    }
    let successors = SuccessorsByPost::new(index, as_of);
    for household in &index.dataset.households {
        let assisted = class_spans(household, |p| p.assistance().is_some());
        if assisted.is_empty() {
            continue;
        }
        let pairings = pairings_of(index, household.id);
        let covered = paired_spans(pairings);
        for (gap_first, gap_last) in uncovered(&assisted, &covered) {
            let from = gap_first.max(tracking_start);
            let to = gap_last.min(as_of);
            if from > to {
                continue;
            }
            let open = to == as_of;
            // No pairing is active in the gap: the one before it is the one that ended latest
            // before the gap's first day.
            let previous = pairings
                .iter()
                .filter(|p| p.end.is_some_and(|end| end < gap_first))
                .max_by_key(|p| (p.end, p.start));
            // Only a gap still going on needs someone to take over.
            let proposed = previous.filter(|_| open).and_then(|p| {
                p.successor_id
                    .or_else(|| successors.for_cadre(index, p.cadre_id))
            });
            out.push(Alert {
                rule: RuleId::R5,
                household_id: household.id,
                village_id: household.village_id,
                township_id: index.township_of(household.village_id),
                raised_on: from,
                open,
                detail: AlertDetail::PairingGap {
                    from,
                    to: (!open).then_some(to),
                    days: (to - from).num_days() + 1,
                    previous_pairing_id: previous.map(|p| p.id),
                    proposed_successor_id: proposed,
                },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::{Span, uncovered};
    use crate::model::household::{HouseholdClass, MonitoredKind};
    use crate::rules::testkit::{Fixture, d};
    use crate::rules::{Alert, AlertDetail, RuleId};

    fn gaps(f: &Fixture, as_of: &str, household: Uuid) -> Vec<Alert> {
        crate::rules::alerts(&f.ds, d(as_of))
            .into_iter()
            .filter(|a| a.rule == RuleId::R5 && a.household_id == household)
            .collect()
    }

    fn gap_detail(a: &Alert) -> (chrono::NaiveDate, Option<chrono::NaiveDate>, i64) {
        match &a.detail {
            AlertDetail::PairingGap { from, to, days, .. } => (*from, *to, *days),
            other => panic!("not a gap: {other:?}"),
        }
    }

    fn proposed(a: &Alert) -> Option<Uuid> {
        match &a.detail {
            AlertDetail::PairingGap {
                proposed_successor_id,
                ..
            } => *proposed_successor_id,
            other => panic!("not a gap: {other:?}"),
        }
    }

    fn previous(a: &Alert) -> Option<Uuid> {
        match &a.detail {
            AlertDetail::PairingGap {
                previous_pairing_id,
                ..
            } => *previous_pairing_id,
            other => panic!("not a gap: {other:?}"),
        }
    }

    #[test]
    fn r5_one_day_gap_between_pairings() {
        let mut f = Fixture::new();
        let a = f.cadre("甲");
        let b = f.cadre("乙");
        let hh = f.lifted();
        let first = f.pair(hh, a, d("2024-01-01"), Some(d("2024-03-31")));
        f.pair(hh, b, d("2024-04-02"), None);
        let found = gaps(&f, "2024-06-30", hh);
        assert_eq!(found.len(), 1, "{found:?}");
        let gap = &found[0];
        assert_eq!(gap_detail(gap), (d("2024-04-01"), Some(d("2024-04-01")), 1));
        assert!(!gap.open);
        assert_eq!(gap.raised_on, d("2024-04-01"));
        assert_eq!(previous(gap), Some(first));
        assert_eq!(proposed(gap), None, "a closed gap proposes nobody");
        assert_eq!(gap.village_id, f.village);
        assert_eq!(gap.township_id, Some(f.township));
    }

    #[test]
    fn r5_successor_starting_next_day_leaves_no_gap() {
        let mut f = Fixture::new();
        let a = f.cadre("甲");
        let b = f.cadre("乙");
        let hh = f.monitored();
        f.pair(hh, a, d("2023-06-01"), Some(d("2024-03-31")));
        f.pair(hh, b, d("2024-04-01"), None);
        assert!(gaps(&f, "2024-12-31", hh).is_empty());
    }

    #[test]
    fn r5_ongoing_gap_proposes_successor_by_post() {
        let mut f = Fixture::new();
        let leaving = f.cadre("甲");
        if let Some(p) = f.ds.people.iter_mut().find(|p| p.id == leaving) {
            p.left_on = Some(d("2024-03-31"));
        }
        // Same unit and post, but not a cadre (the fixture's first secretary) or not serving:
        // never proposed. Another post of the unit: never proposed.
        let gone = f.cadre("丙");
        if let Some(p) = f.ds.people.iter_mut().find(|p| p.id == gone) {
            p.left_on = Some(d("2024-04-05"));
        }
        let other_post = f.cadre("丁");
        let post2 = f.id();
        if let Some(p) = f.ds.people.iter_mut().find(|p| p.id == other_post) {
            p.post_id = Some(post2);
        }
        let heir = f.cadre("乙");
        let hh = f.monitored();
        let pairing = f.pair(hh, leaving, d("2023-01-01"), Some(d("2024-03-31")));
        let found = gaps(&f, "2024-04-10", hh);
        assert_eq!(found.len(), 1, "{found:?}");
        let gap = &found[0];
        assert!(gap.open);
        assert_eq!(gap_detail(gap), (d("2024-04-01"), None, 10));
        assert_eq!(previous(gap), Some(pairing));
        assert_eq!(proposed(gap), Some(heir));
    }

    #[test]
    fn r5_successor_named_on_the_pairing_is_proposed() {
        let mut f = Fixture::new();
        let leaving = f.cadre("甲");
        let _same_post = f.cadre("乙");
        let named = f.cadre("丙");
        let hh = f.lifted();
        let pairing = f.pair(hh, leaving, d("2023-01-01"), Some(d("2024-03-31")));
        if let Some(p) = f.ds.pairings.iter_mut().find(|p| p.id == pairing) {
            p.successor_id = Some(named);
        }
        let found = gaps(&f, "2024-04-01", hh);
        assert_eq!(found.len(), 1);
        assert_eq!(gap_detail(&found[0]), (d("2024-04-01"), None, 1));
        assert_eq!(proposed(&found[0]), Some(named));
    }

    #[test]
    fn r5_gap_counts_from_tracking_start_and_only_assisted_days() {
        let mut f = Fixture::new();
        let a = f.cadre("甲");
        // Never paired, assisted since 2021: the gap starts at tracking start (2024-01-01).
        let never = f.lifted();
        let found = gaps(&f, "2024-01-31", never);
        assert_eq!(found.len(), 1);
        assert_eq!(gap_detail(&found[0]), (d("2024-01-01"), None, 31));
        assert_eq!(previous(&found[0]), None);
        assert_eq!(proposed(&found[0]), None);

        // An ordinary household monitored from 2024-05-10, risk eliminated from 2024-06-01 (no
        // longer assisted), paired from 2024-05-20: the gap is May 10–19 only.
        let hh = f.household(HouseholdClass::NotAssisted, None, d("2020-01-01"));
        f.reclass(
            hh,
            d("2024-05-10"),
            HouseholdClass::Monitored,
            Some(MonitoredKind::Marginal),
        );
        f.reclass(
            hh,
            d("2024-06-01"),
            HouseholdClass::RiskEliminated,
            Some(MonitoredKind::Marginal),
        );
        f.pair(hh, a, d("2024-05-20"), Some(d("2024-05-25")));
        let found = gaps(&f, "2024-12-31", hh);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            gap_detail(&found[0]),
            (d("2024-05-10"), Some(d("2024-05-19")), 10)
        );
        // May 26–31: still monitored, pairing ended; closed when assistance ended.
        assert_eq!(
            gap_detail(&found[1]),
            (d("2024-05-26"), Some(d("2024-05-31")), 6)
        );
        assert!(!found[1].open);
    }

    #[test]
    fn r5_lifted_then_monitored_is_one_assisted_stretch() {
        let mut f = Fixture::new();
        let hh = f.lifted();
        f.reclass(
            hh,
            d("2024-02-01"),
            HouseholdClass::Monitored,
            Some(MonitoredKind::SuddenHardship),
        );
        let found = gaps(&f, "2024-02-10", hh);
        assert_eq!(found.len(), 1);
        assert_eq!(gap_detail(&found[0]), (d("2024-01-01"), None, 41));
    }

    #[test]
    fn r5_nothing_before_tracking_start() {
        let mut f = Fixture::new();
        let hh = f.lifted();
        assert!(gaps(&f, "2023-12-31", hh).is_empty());
    }

    #[test]
    fn r5_overlapping_pairings_and_future_pairing() {
        let mut f = Fixture::new();
        let a = f.cadre("甲");
        let b = f.cadre("乙");
        let hh = f.lifted();
        f.pair(hh, a, d("2023-01-01"), Some(d("2024-05-31")));
        f.pair(hh, b, d("2024-03-01"), Some(d("2024-04-30")));
        f.pair(hh, b, d("2024-07-01"), None);
        let found = gaps(&f, "2024-06-15", hh);
        assert_eq!(found.len(), 1);
        assert_eq!(gap_detail(&found[0]), (d("2024-06-01"), None, 15));
        assert!(found[0].open);
        let found = gaps(&f, "2024-07-15", hh);
        assert_eq!(
            gap_detail(&found[0]),
            (d("2024-06-01"), Some(d("2024-06-30")), 30)
        );
    }

    #[test]
    fn r5_uncovered_span_arithmetic() {
        let max = chrono::NaiveDate::MAX;
        let s = |a: &str, b: &str| -> Span { (d(a), d(b)) };
        let spans = [s("2024-01-01", "2024-01-31"), (d("2024-03-01"), max)];
        let covered = [
            s("2023-12-01", "2024-01-05"),
            s("2024-01-10", "2024-01-10"),
            s("2024-01-31", "2024-03-05"),
            (d("2024-04-01"), max),
        ];
        assert_eq!(
            uncovered(&spans, &covered),
            vec![
                s("2024-01-06", "2024-01-09"),
                s("2024-01-11", "2024-01-30"),
                s("2024-03-06", "2024-03-31"),
            ]
        );
        assert_eq!(uncovered(&spans, &[]), spans.to_vec());
    }
}
