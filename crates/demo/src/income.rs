//! D3 income records (last year and this year, each collected in its window, some late or missing)
//! and D5 quarterly evaluations of a monitored household.

use bangfu_core::income::IncomeTotals;
use bangfu_core::{
    CheckStatus, Evaluation, EvaluationOutcome, HouseholdClass, IncomeCategory, IncomeItem,
    IncomeRecord, Month, Quarter,
};
use chrono::NaiveDate;
use rand::Rng;

use crate::households::Hh;
use crate::texts::{
    BUSINESS, DIBAO, EVALUATION_ADJUST, EVALUATION_CONTINUE, EVALUATION_ELIMINATE,
    EVALUATION_STRENGTHEN, LAND, PENSION, SOLAR, SUBSIDY, SUPPORT, WAGE_AWAY, WAGE_LOCAL,
    WAGE_POST,
};
use crate::util::{DemoRng, add_days, chance, day_in, id_on, pick, whole_yuan};
use crate::world::{Category, Gen, IncomeStory, Quirk};

/// One income source with its yearly amount (yuan) at this year's level.
struct Source {
    category: IncomeCategory,
    label: &'static str,
    yuan: f64,
}

/// The household's income sources and the share of business income spent on production.
struct Profile {
    sources: Vec<Source>,
    cost_ratio: f64,
    /// Last year's income relative to this year's (growth).
    last_year: f64,
}

fn source(category: IncomeCategory, label: &'static str, yuan: f64) -> Source {
    Source {
        category,
        label,
        yuan,
    }
}

fn profile(hh: &Hh<'_>, rng: &mut DemoRng) -> Profile {
    use IncomeCategory::{Business, Property, Transfer, Wage};
    let n = hh.roster.members.len().max(1) as f64;
    let able = hh.roster.able();
    let target = match (hh.plan.story, hh.plan.category) {
        (IncomeStory::BelowLine, _) => rng.random_range(5_200.0..6_800.0),
        (_, Category::MonitoredOld(bangfu_core::MonitoredKind::SuddenHardship))
        | (
            _,
            Category::MonitoredNew {
                kind: bangfu_core::MonitoredKind::SuddenHardship,
                ..
            },
        ) => rng.random_range(9_000.0..22_000.0),
        _ => rng.random_range(8_800.0..15_000.0),
    };
    let total = target * n;
    let mut fixed = Vec::new();
    if hh.roster.elders() > 0 {
        fixed.push(source(
            Transfer,
            PENSION,
            2_200.0 * hh.roster.elders() as f64,
        ));
    }
    let dibao = able == 0 || chance(rng, 0.3);
    if dibao {
        let yuan = n.min(3.0) * rng.random_range(3_000.0..4_500.0);
        fixed.push(source(Transfer, DIBAO, yuan));
    }
    if chance(rng, 0.6) {
        fixed.push(source(Transfer, SUBSIDY, rng.random_range(150.0..400.0)));
    }
    if chance(rng, 0.5) {
        fixed.push(source(Property, SOLAR, rng.random_range(1_000.0..3_000.0)));
    }
    if chance(rng, 0.3) {
        fixed.push(source(Property, LAND, rng.random_range(600.0..2_400.0)));
    }
    let fixed_sum: f64 = fixed.iter().map(|s| s.yuan).sum();
    if fixed_sum > total * 0.9 {
        let k = total * 0.9 / fixed_sum;
        fixed.iter_mut().for_each(|s| s.yuan *= k);
    }
    let rest = total - fixed.iter().map(|s| s.yuan).sum::<f64>();
    let cost_ratio = rng.random_range(0.2..0.35);
    let mut sources = fixed;
    let business_net = if able > 0 {
        let post = if chance(rng, 0.15) {
            (rest * 0.3).min(6_000.0)
        } else {
            0.0
        };
        if post > 0.0 {
            sources.push(source(Wage, WAGE_POST, post));
        }
        let wage = rest * rng.random_range(0.6..0.85) - post;
        let label = if chance(rng, 0.6) {
            WAGE_AWAY
        } else {
            WAGE_LOCAL
        };
        sources.push(source(Wage, label, wage.max(0.0)));
        rest - wage.max(0.0) - post
    } else {
        sources.push(source(Transfer, SUPPORT, rest * 0.5));
        rest * 0.5
    };
    let label = *pick(rng, &BUSINESS);
    sources.push(source(Business, label, business_net / (1.0 - cost_ratio)));
    Profile {
        sources,
        cost_ratio,
        last_year: 1.0 / rng.random_range(1.04..1.12),
    }
}

/// A quarter's record from the profile, with ±7% noise.
fn quarter_record(p: &Profile, rng: &mut DemoRng, factor: f64) -> (Vec<IncomeItem>, i64) {
    let mut items = Vec::new();
    let mut business = 0;
    for s in &p.sources {
        let amount_fen = whole_yuan(s.yuan * 100.0 / 4.0 * factor * rng.random_range(0.93..1.07));
        if amount_fen > 0 {
            if s.category == IncomeCategory::Business {
                business += amount_fen;
            }
            items.push(IncomeItem {
                category: s.category,
                label: s.label.to_owned(),
                amount_fen,
            });
        }
    }
    (items, whole_yuan(business as f64 * p.cost_ratio))
}

/// Scales the quarter so its net income is `target` fen (a sharp drop: work lost, harvest failed).
fn drop_to(items: &mut [IncomeItem], cost: &mut i64, target: i64) {
    let variable = |c: IncomeCategory| matches!(c, IncomeCategory::Wage | IncomeCategory::Business);
    let var: i64 = items
        .iter()
        .filter(|i| variable(i.category))
        .map(|i| i.amount_fen)
        .sum::<i64>()
        - *cost;
    let fixed: i64 = items
        .iter()
        .filter(|i| !variable(i.category))
        .map(|i| i.amount_fen)
        .sum();
    let f = if var > 0 {
        ((target - fixed) as f64 / var as f64).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let g = if fixed > target && fixed > 0 {
        target.max(0) as f64 / fixed as f64
    } else {
        1.0
    };
    for i in items.iter_mut() {
        let k = if variable(i.category) { f } else { g };
        i.amount_fen = whole_yuan(i.amount_fen as f64 * k);
    }
    *cost = whole_yuan(*cost as f64 * f);
}

fn net(items: &[IncomeItem], cost: i64) -> i64 {
    items.iter().map(|i| i.amount_fen).sum::<i64>() - cost
}

/// The income records and evaluations of a household that has been monitored.
pub(crate) fn generate(g: &mut Gen, hh: &Hh<'_>, rng: &mut DemoRng) {
    if hh.monitored_from.is_none() {
        return;
    }
    let p = profile(hh, rng);
    let size = u32::try_from(hh.roster.members.len().max(1)).unwrap_or(1);
    let monitored_at = |q: Quarter| {
        hh.household
            .class_on(q.last_day())
            .is_some_and(|c| c.class == HouseholdClass::Monitored)
    };
    let quarters: Vec<Quarter> = {
        let mut out = Vec::new();
        let mut q = Quarter::new(g.year - 1, 1).unwrap_or(Quarter::of(g.year_start));
        while q.income_window().0 <= g.as_of {
            if monitored_at(q) {
                out.push(q);
            }
            q = q.next();
        }
        out
    };
    let last = quarters.last().copied();
    let second_last = quarters.len().checked_sub(2).map(|i| quarters[i]);
    let mut records: Vec<IncomeRecord> = Vec::new();
    for &q in &quarters {
        let this_year = q.year >= g.year;
        let factor = if this_year { 1.0 } else { p.last_year };
        let (mut items, mut cost) = quarter_record(&p, rng, factor);
        let storied = Some(q) == last && hh.plan.story != IncomeStory::Normal;
        let typo = hh.plan.quirk == Quirk::CorrectedIncome && q == Quarter { year: g.year, q: 2 };
        let (mut rigid, mut out_of_pocket, mut payout) = (0, 0, 0);
        if chance(rng, 0.4) {
            rigid = whole_yuan(rng.random_range(20_000.0..150_000.0));
            out_of_pocket = whole_yuan(rigid as f64 * rng.random_range(0.2..0.5));
        }
        if storied && hh.plan.story == IncomeStory::Jump {
            rigid = whole_yuan(rng.random_range(800_000.0..4_000_000.0));
            out_of_pocket = whole_yuan(rigid as f64 * rng.random_range(0.25..0.4));
            payout = whole_yuan(rigid as f64 * rng.random_range(0.4..0.6));
        }
        if storied
            && hh.plan.story == IncomeStory::Drop
            && let Some(prev) = records.last()
        {
            let prev_net = net(&prev.items, prev.business_cost_fen);
            let target = (prev_net as f64 * rng.random_range(0.45..0.62)) as i64;
            drop_to(&mut items, &mut cost, target);
        }

        let (open, close) = q.income_window();
        let roll = rng.random_range(0..100);
        // A drop is measured against the quarter before, so that one is always collected.
        let before_drop = hh.plan.story == IncomeStory::Drop && Some(q) == second_last;
        let day = if storied || typo || before_drop || roll < if this_year { 88 } else { 92 } {
            day_in(rng, open, close)
        } else if !this_year || roll < 94 {
            add_days(close, rng.random_range(2..=25))
        } else {
            continue;
        };
        let day = if open <= g.as_of && g.as_of <= close {
            day.min(g.as_of)
        } else {
            day
        };
        if day > g.as_of {
            continue;
        }
        let Some(collector) = hh.cadre_or_resident_on(day) else {
            continue;
        };
        let record = IncomeRecord {
            id: id_on(rng, day),
            household_id: hh.id,
            period: q,
            collected_on: day,
            collector_id: collector,
            household_size: size,
            items,
            business_cost_fen: cost,
            insurance_payout_fen: payout,
            out_of_pocket_fen: out_of_pocket,
            rigid_expense_fen: rigid,
            corrects: None,
        };
        if typo && let Some(first) = record.items.first() {
            let mut wrong = record.clone();
            wrong.items[0].amount_fen = first.amount_fen * 10;
            let fixed_on = add_days(day, rng.random_range(1..=5)).min(g.as_of);
            let fixed = IncomeRecord {
                id: id_on(rng, fixed_on),
                collected_on: fixed_on,
                corrects: Some(wrong.id),
                ..record
            };
            g.ds.income_records.push(wrong);
            records.push(fixed);
        } else {
            records.push(record);
        }
    }
    evaluations(g, hh, rng, &quarters, &records);
    g.ds.income_records.extend(records);
}

/// Per-capita net income (fen) annualised from the last four records up to `q` (D3's rule).
fn annual_per_capita(records: &[IncomeRecord], q: Quarter) -> Option<i64> {
    let upto: Vec<&IncomeRecord> = records.iter().filter(|r| r.period <= q).collect();
    let last4 = &upto[upto.len().saturating_sub(4)..];
    let latest = last4.last()?;
    let sum: i64 = last4.iter().map(|r| IncomeTotals::of(r).net_fen).sum();
    let annual = sum * 4 / i64::try_from(last4.len()).unwrap_or(1);
    Some(annual / i64::from(latest.household_size.max(1)))
}

/// D5: an evaluation per quarter of this year (most on time, a few late or missing).
fn evaluations(
    g: &mut Gen,
    hh: &Hh<'_>,
    rng: &mut DemoRng,
    quarters: &[Quarter],
    records: &[IncomeRecord],
) {
    let risky_quarters: Vec<Quarter> =
        g.ds.visits
            .iter()
            .rev()
            .take_while(|v| v.household_id == hh.id)
            .filter(|v| {
                [
                    &v.checks.education,
                    &v.checks.medical,
                    &v.checks.housing,
                    &v.checks.water,
                ]
                .iter()
                .any(|c| c.status == CheckStatus::Risk)
            })
            .map(|v| Quarter::of(v.day()))
            .collect();
    for &q in quarters.iter().filter(|q| q.year == g.year) {
        let (open, _) = q.income_window();
        let due = Month::of(q.next().first_day()).last_day();
        let collected = records
            .iter()
            .filter(|r| r.period == q)
            .map(|r| r.collected_on)
            .min();
        let from = collected.map_or(open, |c| c.max(open));
        let propose = hh
            .eliminated_on
            .filter(|&e| Quarter::of(e) == q.next())
            .map(|e| add_days(e, -3));
        let roll = rng.random_range(0..100);
        let day: NaiveDate = match propose {
            Some(before) => day_in(rng, open, before.min(due)),
            None if roll < 90 => day_in(rng, from, due.max(from)),
            None if roll < 94 => add_days(due, rng.random_range(1..=30)),
            None => continue,
        };
        if day > g.as_of {
            continue;
        }
        let Some(evaluator) = hh.cadre_or_resident_on(day) else {
            continue;
        };
        let line = crate::line_yuan(g.year, q.year) * 100;
        let above = annual_per_capita(records, q).is_some_and(|pc| pc >= line);
        let consolidated = !risky_quarters.contains(&q);
        let dropped = hh.plan.story == IncomeStory::Drop && Some(&q) == quarters.last();
        // Elimination is proposed only when the findings allow it (the validator insists).
        let propose = propose.filter(|_| above && consolidated);
        let (outcome, note) = if propose.is_some() {
            (EvaluationOutcome::ProposeElimination, EVALUATION_ELIMINATE)
        } else if dropped {
            (EvaluationOutcome::AdjustPlan, EVALUATION_ADJUST)
        } else if !above || !consolidated {
            (EvaluationOutcome::Strengthen, EVALUATION_STRENGTHEN)
        } else {
            (EvaluationOutcome::Continue, EVALUATION_CONTINUE)
        };
        g.ds.evaluations.push(Evaluation {
            id: id_on(rng, day),
            household_id: hh.id,
            period: q,
            evaluated_on: day,
            evaluator_id: evaluator,
            income_above_line: above,
            guarantees_consolidated: consolidated,
            risk_eliminated: propose.is_some(),
            outcome,
            note: note.to_owned(),
            corrects: None,
        });
    }
}
