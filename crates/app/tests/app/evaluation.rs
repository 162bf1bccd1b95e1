//! 帮扶成效评估 (D5): the pre-filled form, saving, corrections, and every refusal (nothing saved).

use bangfu_app::evaluation::{Criterion, EvaluationFormQuery, EvaluationInput, EvaluationState};
use bangfu_app::household::{HouseholdPageQuery, TimelineEntry};
use bangfu_app::tasks::{TaskKind, TasksQuery};
use bangfu_core::income::IncomeTotals;
use bangfu_core::rules;
use bangfu_core::{Assistance, EvaluationOutcome, HouseholdClass, Quarter};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::common::{self, Fixture, Who, d};

/// 2026-01-10: the 2025-Q4 evaluation is open (from Dec 25 to Jan 31) and the demo, whose records
/// stop on 2025-12-20, has none.
fn today() -> NaiveDate {
    d("2026-01-10")
}

fn q4() -> Quarter {
    Quarter { year: 2025, q: 4 }
}

/// The cadre, and a household paired with her and monitored at the end of 2025.
fn cadre_with(assistance: Assistance) -> (Fixture, Uuid) {
    let f = common::fixture_on(Who::Cadre, today());
    let end = d("2025-12-31");
    let ds = f.ds();
    let hid = ds
        .pairings
        .iter()
        .filter(|p| p.cadre_id == f.me && p.active_on(end))
        .map(|p| p.household_id)
        .find(|h| {
            ds.households
                .iter()
                .any(|x| x.id == *h && x.assistance_on(end) == Some(assistance))
        })
        .expect("a household of the cadre");
    (f, hid)
}

fn input(hid: Uuid, quarter: &str, all: bool, outcome: EvaluationOutcome) -> EvaluationInput {
    EvaluationInput {
        household_id: hid,
        quarter: quarter.into(),
        income_above_line: all,
        guarantees_consolidated: all,
        risk_eliminated: all,
        outcome,
        note: "收入稳定，继续帮扶".into(),
    }
}

fn d5_task_listed(f: &Fixture, hid: Uuid, period: &str) -> bool {
    f.app
        .my_tasks(TasksQuery::default())
        .expect("tasks")
        .tasks
        .iter()
        .any(|t| {
            t.kind == TaskKind::Evaluation
                && t.rule == "D5"
                && t.household_id == Some(hid)
                && t.period == period
        })
}

fn evaluations(f: &Fixture, hid: Uuid) -> usize {
    f.app
        .store()
        .evaluations_of_household(hid)
        .expect("evaluations")
        .len()
}

fn unsynced(f: &Fixture, hid: Uuid) -> u64 {
    f.app
        .store()
        .unsynced_count_for_household(hid)
        .expect("count")
}

#[test]
fn d5_form_is_prefilled_from_the_households_income_checks_and_risks() {
    let (f, hid) = cadre_with(Assistance::Monitored);
    let form = f
        .app
        .evaluation_form(EvaluationFormQuery {
            household_id: hid,
            quarter: None,
        })
        .expect("form");
    // Nothing older is owed by this household, or the form opens the oldest owed quarter.
    let q: Quarter = form.quarter.parse().expect("quarter");
    assert!(q <= q4());
    let form = f
        .app
        .evaluation_form(EvaluationFormQuery {
            household_id: hid,
            quarter: Some("2025-Q4".into()),
        })
        .expect("form");
    assert_eq!(form.quarter, "2025-Q4");
    assert_eq!(form.state, EvaluationState::Open);
    assert_eq!(
        (form.opens_on, form.due_on),
        (d("2025-12-25"), d("2026-01-31"))
    );
    assert!(form.existing.is_none());
    assert_eq!(form.class, Some(HouseholdClass::Monitored));

    // Income: the four quarters of 2025, and D3's annualised per-capita net income, computed
    // here by hand from the demo's records in force.
    let ds = f.ds();
    let quarters: Vec<&str> = form
        .income
        .quarters
        .iter()
        .map(|x| x.quarter.as_str())
        .collect();
    assert_eq!(quarters, ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]);
    let records: Vec<&bangfu_core::IncomeRecord> = rules::in_force(&ds.income_records)
        .filter(|r| r.household_id == hid && r.period.year == 2025)
        .collect();
    let mut latest: Vec<(Quarter, &bangfu_core::IncomeRecord)> = Vec::new();
    for r in &records {
        match latest.iter_mut().find(|(q, _)| *q == r.period) {
            Some(slot) if slot.1.collected_on <= r.collected_on => slot.1 = r,
            Some(_) => {}
            None => latest.push((r.period, r)),
        }
    }
    latest.sort_by_key(|(q, _)| *q);
    for (q, r) in &latest {
        let row = form
            .income
            .quarters
            .iter()
            .find(|x| x.quarter == q.to_string())
            .expect("row");
        assert_eq!(row.net_fen, Some(IncomeTotals::of(r).net_fen));
        assert_eq!(row.collected_on, Some(r.collected_on));
    }
    assert_eq!(form.income.quarters_counted as usize, latest.len());
    if let Some((_, last)) = latest.last() {
        let sum: i128 = latest
            .iter()
            .map(|(_, r)| i128::from(IncomeTotals::of(r).net_fen))
            .sum();
        let expected = sum * 4 / (latest.len() as i128 * i128::from(last.household_size));
        assert_eq!(
            form.income.annualised_per_capita_fen.map(i128::from),
            Some(expected)
        );
    }
    let line = form.income.line_yuan.expect("the demo has a 2025 line");
    let income = &form.criteria[0];
    assert_eq!(income.criterion, Criterion::IncomeAboveLine);
    assert_eq!(
        income.suggested,
        form.income
            .annualised_per_capita_fen
            .is_some_and(|pc| pc >= line * 100)
            && form.income.quarters_counted >= 2
    );
    assert!(income.evidence.contains("监测范围") || income.evidence.contains("收入"));

    // Checks: the latest visit in force.
    let visits: Vec<&bangfu_core::Visit> = rules::in_force(&ds.visits)
        .filter(|v| v.household_id == hid)
        .collect();
    let last_visit = visits.iter().max_by_key(|v| v.visited_at).expect("visited");
    let checks = form.checks.as_ref().expect("checks");
    assert_eq!(checks.visit_id, last_visit.id);
    assert_eq!(checks.checks.len(), 4);
    let criteria: Vec<Criterion> = form.criteria.iter().map(|c| c.criterion).collect();
    assert_eq!(
        criteria,
        [
            Criterion::IncomeAboveLine,
            Criterion::GuaranteesConsolidated,
            Criterion::RiskEliminated
        ]
    );
    assert!(form.criteria.iter().all(|c| !c.evidence.is_empty()));

    // Risks: the household's own, each with measures of its plan; every measure is listed once.
    let h = ds
        .households
        .iter()
        .find(|h| h.id == hid)
        .expect("household");
    let risks: Vec<_> = form.risks.iter().map(|r| r.risk).collect();
    assert_eq!(risks, h.risks);
    let measures = ds.measures.iter().filter(|m| m.household_id == hid).count();
    let mut listed: Vec<Uuid> = form
        .risks
        .iter()
        .flat_map(|r| r.measures.iter().map(|m| m.id))
        .chain(form.other_measures.iter().map(|m| m.id))
        .collect();
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), measures);
    // All three suggested: propose elimination; income not: adjust the plan.
    let all = form.criteria.iter().all(|c| c.suggested);
    assert_eq!(
        form.suggested_outcome == EvaluationOutcome::ProposeElimination,
        all
    );
    let below = form
        .income
        .annualised_per_capita_fen
        .is_some_and(|pc| pc < line * 100);
    assert_eq!(
        form.suggested_outcome == EvaluationOutcome::AdjustPlan,
        below,
        "the plan is adjusted when income is below the line"
    );
}

#[test]
fn d5_saving_an_evaluation_records_it_for_sync_and_the_task_is_done() {
    let (mut f, hid) = cadre_with(Assistance::Monitored);
    assert!(
        d5_task_listed(&f, hid, "2025-Q4"),
        "the 2025-Q4 evaluation is owed"
    );
    assert_eq!(unsynced(&f, hid), 0);
    let saved = f
        .app
        .evaluation_save(input(hid, "2025-Q4", false, EvaluationOutcome::AdjustPlan))
        .expect("saved");
    assert_eq!(saved.corrects, None);
    let e = f
        .app
        .store()
        .get_evaluation(saved.id)
        .expect("get")
        .expect("stored");
    assert_eq!(
        (e.household_id, e.period, e.evaluated_on, e.evaluator_id),
        (hid, q4(), today(), f.me)
    );
    assert_eq!(e.outcome, EvaluationOutcome::AdjustPlan);
    assert_eq!(e.note, "收入稳定，继续帮扶");
    assert_eq!(unsynced(&f, hid), 1, "it waits to sync like a contact");
    assert!(!d5_task_listed(&f, hid, "2025-Q4"), "the D5 task is done");
    let page = f
        .app
        .household_page(HouseholdPageQuery { household_id: hid })
        .expect("page");
    assert!(
        page.timeline
            .iter()
            .any(|x| matches!(x, TimelineEntry::Evaluation(v) if v.id == saved.id && !v.corrected))
    );
    let form = f
        .app
        .evaluation_form(EvaluationFormQuery {
            household_id: hid,
            quarter: Some("2025-Q4".into()),
        })
        .expect("form");
    assert_eq!(form.state, EvaluationState::Done);
    assert_eq!(form.existing.as_ref().map(|x| x.id), Some(saved.id));
}

#[test]
fn d5_a_second_evaluation_of_the_quarter_corrects_the_one_in_force() {
    let (mut f, hid) = cadre_with(Assistance::Monitored);
    let first = f
        .app
        .evaluation_save(input(hid, "2025-Q4", false, EvaluationOutcome::Continue))
        .expect("first");
    f.clock.advance(chrono::Duration::days(1));
    let mut again = input(hid, "2025-Q4", false, EvaluationOutcome::Strengthen);
    again.note = "更正：住房安全仍有隐患，加大帮扶力度".into();
    let second = f.app.evaluation_save(again).expect("second");
    assert_eq!(second.corrects, Some(first.id));
    // Both are kept (append-only); the correction is the one in force.
    assert!(
        f.app
            .store()
            .get_evaluation(first.id)
            .expect("get")
            .is_some()
    );
    let form = f
        .app
        .evaluation_form(EvaluationFormQuery {
            household_id: hid,
            quarter: Some("2025-Q4".into()),
        })
        .expect("form");
    let existing = form.existing.expect("existing");
    assert_eq!(existing.id, second.id);
    assert_eq!(existing.outcome, EvaluationOutcome::Strengthen);
    let page = f
        .app
        .household_page(HouseholdPageQuery { household_id: hid })
        .expect("page");
    assert!(
        page.timeline
            .iter()
            .any(|x| matches!(x, TimelineEntry::Evaluation(v) if v.id == first.id && v.corrected))
    );
    assert!(!d5_task_listed(&f, hid, "2025-Q4"));
    assert_eq!(unsynced(&f, hid), 2);
}

#[test]
fn d5_proposing_elimination_needs_all_three_criteria_and_never_changes_the_class() {
    let (mut f, hid) = cadre_with(Assistance::Monitored);
    let before = f
        .app
        .store()
        .get_household(hid)
        .expect("get")
        .expect("household");
    let n = evaluations(&f, hid);
    let mut two = input(hid, "2025-Q4", true, EvaluationOutcome::ProposeElimination);
    two.risk_eliminated = false;
    let e = f.app.evaluation_save(two).expect_err("refused");
    assert_eq!(e.code(), "invalid");
    let fields = e.body().fields;
    assert_eq!(fields.len(), 1, "{fields:?}");
    assert_eq!(fields[0].field, "outcome");
    assert_eq!(fields[0].code, "outcome_contradicts_findings");
    assert!(
        fields[0].message.contains("风险稳定消除"),
        "{}",
        fields[0].message
    );
    assert!(fields[0].message.contains("请"), "says what to do");
    assert_eq!(evaluations(&f, hid), n, "nothing saved");
    assert_eq!(unsynced(&f, hid), 0);
    assert!(d5_task_listed(&f, hid, "2025-Q4"));

    // All three confirmed: the proposal is recorded; the class stays until the county decides.
    let saved = f
        .app
        .evaluation_save(input(
            hid,
            "2025-Q4",
            true,
            EvaluationOutcome::ProposeElimination,
        ))
        .expect("proposal");
    let e = f
        .app
        .store()
        .get_evaluation(saved.id)
        .expect("get")
        .expect("stored");
    assert_eq!(e.outcome, EvaluationOutcome::ProposeElimination);
    let after = f
        .app
        .store()
        .get_household(hid)
        .expect("get")
        .expect("household");
    assert_eq!(after.class_history, before.class_history);
    assert_eq!(after, before);
    let page = f
        .app
        .household_page(HouseholdPageQuery { household_id: hid })
        .expect("page");
    assert_eq!(page.profile.class, Some(HouseholdClass::Monitored));
    assert!(!d5_task_listed(&f, hid, "2025-Q4"));
}

#[test]
fn d5_refusals_name_their_field_in_words_and_save_nothing() {
    let (mut f, hid) = cadre_with(Assistance::Monitored);
    let n = evaluations(&f, hid);
    let field_of = |e: bangfu_app::AppError| {
        let b = e.body();
        assert_eq!(b.code.as_str(), "invalid", "{}", b.message);
        assert_eq!(b.fields.len(), 1, "{:?}", b.fields);
        (
            b.fields[0].field.clone(),
            b.fields[0].code.clone(),
            b.fields[0].message.clone(),
        )
    };

    // A note too long.
    let mut long = input(hid, "2025-Q4", false, EvaluationOutcome::Continue);
    long.note = "很".repeat(bangfu_app::evaluation::MAX_NOTE_CHARS + 1);
    let (field, code, message) = field_of(f.app.evaluation_save(long).expect_err("refused"));
    assert_eq!((field.as_str(), code.as_str()), ("note", "too_long"));
    assert!(message.contains("请精简"));

    // A quarter whose evaluation has not opened (2026-Q1 opens on Mar 25).
    let (field, code, message) = field_of(
        f.app
            .evaluation_save(input(hid, "2026-Q1", false, EvaluationOutcome::Continue))
            .expect_err("refused"),
    );
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("quarter", "quarter_not_open")
    );
    assert!(message.contains("3月25日"), "{message}");
    // ... whose form is shown, marked not yet open.
    let form = f
        .app
        .evaluation_form(EvaluationFormQuery {
            household_id: hid,
            quarter: Some("2026-Q1".into()),
        })
        .expect("form");
    assert_eq!(form.state, EvaluationState::Upcoming);

    // A quarter not yet begun, and one that is no quarter.
    let (field, code, _) = field_of(
        f.app
            .evaluation_save(input(hid, "2026-Q3", false, EvaluationOutcome::Continue))
            .expect_err("refused"),
    );
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("quarter", "quarter_not_due")
    );
    let (field, code, _) = field_of(
        f.app
            .evaluation_save(input(hid, "2025-Q5", false, EvaluationOutcome::Continue))
            .expect_err("refused"),
    );
    assert_eq!((field.as_str(), code.as_str()), ("quarter", "bad_quarter"));

    assert_eq!(evaluations(&f, hid), n, "nothing saved");
    assert_eq!(unsynced(&f, hid), 0);
    assert!(d5_task_listed(&f, hid, "2025-Q4"));
}

#[test]
fn d5_a_household_not_monitored_or_not_in_scope_is_refused() {
    let (mut f, lifted) = cadre_with(Assistance::Lifted);
    let n = evaluations(&f, lifted);
    let e = f
        .app
        .evaluation_save(input(lifted, "2025-Q4", false, EvaluationOutcome::Continue))
        .expect_err("refused");
    let b = e.body();
    assert_eq!(b.fields.len(), 1, "{:?}", b.fields);
    assert_eq!(b.fields[0].field, "household_id");
    assert_eq!(b.fields[0].code, "not_monitored");
    assert!(b.fields[0].message.contains("监测对象"));
    let e = f
        .app
        .evaluation_form(EvaluationFormQuery {
            household_id: lifted,
            quarter: Some("2025-Q4".into()),
        })
        .expect_err("no form");
    assert_eq!(e.body().fields[0].code, "not_monitored");
    assert_eq!(evaluations(&f, lifted), n);
    assert_eq!(unsynced(&f, lifted), 0);

    let foreign = common::foreign_household(f.ds(), f.me);
    let n = evaluations(&f, foreign);
    let e = f
        .app
        .evaluation_save(input(
            foreign,
            "2025-Q4",
            false,
            EvaluationOutcome::Continue,
        ))
        .expect_err("refused");
    assert_eq!(e.code(), "not_in_scope");
    let e = f
        .app
        .evaluation_form(EvaluationFormQuery {
            household_id: foreign,
            quarter: None,
        })
        .expect_err("no form");
    assert_eq!(e.code(), "not_in_scope");
    assert_eq!(evaluations(&f, foreign), n);
    assert_eq!(f.app.store().unsynced_count().expect("count"), 0);
}
