//! D4 plans and measures of households; consumption assistance and purchase events (D4) and
//! quarterly ledgers (W4) of units.

use bangfu_core::{
    ConsumptionPurchase, LedgerSubmission, Measure, MeasureKind, MeasureStatus, Plan,
    PurchaseEvent, PurchaseEventKind, Quarter,
};
use rand::Rng;
use uuid::Uuid;

use crate::households::Hh;
use crate::texts::{EVENTS, LIFTED_MEASURES, PURCHASES, measure_for, measure_text};
use crate::util::{DemoRng, add_days, chance, day_in, id_on, pick, shuffle, whole_yuan, ymd};
use crate::world::{Category, Gen, World};

/// A monitored household's plan with a measure for each risk (缺什么补什么); a lifted household
/// sometimes gets a measure too.
pub(crate) fn household_measures(g: &mut Gen, hh: &Hh<'_>, rng: &mut DemoRng) {
    let as_of = g.as_of;
    let Some(from) = hh.monitored_from else {
        if chance(rng, 0.25) {
            let day = day_in(rng, g.year_start, as_of);
            if let Some(seg) = hh.segment_on(day) {
                let kind = *pick(rng, &LIFTED_MEASURES);
                let status = if chance(rng, 0.5) {
                    MeasureStatus::Done
                } else {
                    MeasureStatus::InProgress
                };
                let recorded_by = seg.person;
                push_measure(g, rng, hh, None, kind, day, status, recorded_by);
            }
        }
        return;
    };
    if matches!(hh.plan.category, Category::Unpaired(_)) || hh.risks.is_empty() {
        return;
    }
    let created = add_days(from, rng.random_range(5..=20)).min(as_of);
    let Some(recorded_by) = hh.cadre_or_resident_on(created) else {
        return;
    };
    let plan_id = id_on(rng, created);
    g.ds.plans.push(Plan {
        id: plan_id,
        household_id: hh.id,
        created_on: created,
        risks: hh.risks.clone(),
        note: "根据风险类别、发展需求和劳动力情况制定帮扶计划".to_owned(),
        recorded_by,
    });
    let mut kinds: Vec<MeasureKind> = Vec::new();
    for &r in &hh.risks {
        let k = measure_for(r);
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    // A household able to work is not left with only 综合保障.
    if hh.roster.able() > 0
        && kinds
            .iter()
            .all(|k| matches!(k, MeasureKind::SocialSecurity | MeasureKind::Health))
    {
        kinds.push(if chance(rng, 0.5) {
            MeasureKind::Employment
        } else {
            MeasureKind::Industry
        });
    }
    for kind in kinds {
        let day = add_days(created, rng.random_range(0..=30)).min(as_of);
        let status = if hh.eliminated_on.is_some() {
            MeasureStatus::Done
        } else if day < g.year_start {
            *pick(rng, &[MeasureStatus::Done, MeasureStatus::InProgress])
        } else {
            *pick(
                rng,
                &[
                    MeasureStatus::InProgress,
                    MeasureStatus::InProgress,
                    MeasureStatus::Planned,
                    MeasureStatus::Done,
                ],
            )
        };
        let by = hh.cadre_or_resident_on(day).unwrap_or(recorded_by);
        push_measure(g, rng, hh, Some(plan_id), kind, day, status, by);
    }
}

#[allow(clippy::too_many_arguments)]
fn push_measure(
    g: &mut Gen,
    rng: &mut DemoRng,
    hh: &Hh<'_>,
    plan_id: Option<Uuid>,
    kind: MeasureKind,
    day: chrono::NaiveDate,
    status: MeasureStatus,
    recorded_by: Uuid,
) {
    g.ds.measures.push(Measure {
        id: id_on(rng, day),
        household_id: hh.id,
        plan_id,
        kind,
        started_on: day,
        status,
        description: measure_text(kind).to_owned(),
        recorded_by,
    });
}

/// Consumption purchases, purchase events (a few units hold none) and quarterly ledgers (most on
/// time, some late, a few missing; this quarter's mostly not yet handed in).
pub(crate) fn unit_records(g: &mut Gen, world: &World, household_ids: &[Uuid]) {
    let as_of = g.as_of;
    let n_units = world.units.len();
    let mut order: Vec<usize> = (0..n_units).collect();
    shuffle(&mut g.rng, &mut order);
    let without_event = if n_units >= 3 {
        ((n_units as f64 * 0.05).round() as usize).max(1)
    } else {
        0
    };
    let no_event: Vec<usize> = order.into_iter().take(without_event).collect();

    for (u, unit) in world.units.iter().enumerate() {
        let households: Vec<Uuid> = unit
            .villages
            .iter()
            .flat_map(|&v| world.villages[v].households.iter())
            .filter_map(|&h| household_ids.get(h).copied())
            .collect();
        let rng = &mut g.rng;
        for _ in 0..rng.random_range(2..=6) {
            let day = day_in(rng, g.year_start, as_of);
            let household_id = if !households.is_empty() && chance(rng, 0.4) {
                Some(*pick(rng, &households))
            } else {
                None
            };
            let amount_fen = whole_yuan(rng.random_range(3_000.0..60_000.0) * 100.0);
            g.ds.consumption_purchases.push(ConsumptionPurchase {
                id: id_on(rng, day),
                unit_id: unit.id,
                purchased_on: day,
                description: (*pick(rng, &PURCHASES)).to_owned(),
                amount_fen,
                household_id,
            });
        }
        if !no_event.contains(&u) {
            for _ in 0..rng.random_range(1..=2) {
                let day = day_in(rng, ymd(g.year, 3, 1), as_of);
                let kind = if chance(rng, 0.6) {
                    PurchaseEventKind::Purchase
                } else {
                    PurchaseEventKind::Matching
                };
                g.ds.purchase_events.push(PurchaseEvent {
                    id: id_on(rng, day),
                    unit_id: unit.id,
                    held_on: day,
                    kind,
                    title: (*pick(rng, &EVENTS)).to_owned(),
                });
            }
        }
        let mut q = Quarter::of(g.year_start);
        while q <= Quarter::of(as_of) {
            let due = q.last_day();
            let opens = add_days(due, -30).max(q.first_day());
            let roll = rng.random_range(0..100);
            let day = if due < as_of {
                match roll {
                    0..85 => Some(day_in(rng, add_days(due, -12), due)),
                    85..93 => Some(add_days(due, rng.random_range(3..=30))),
                    _ => None,
                }
            } else {
                (roll < 25).then(|| day_in(rng, opens, as_of))
            };
            if let Some(day) = day.filter(|&d| d <= as_of) {
                g.ds.ledger_submissions.push(LedgerSubmission {
                    id: id_on(rng, day),
                    unit_id: unit.id,
                    period: q,
                    submitted_on: day,
                });
            }
            q = q.next();
        }
    }
}
