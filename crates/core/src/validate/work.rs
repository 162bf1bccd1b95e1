//! Checks of income records, evaluations, measures, plans, consumption assistance and ledgers.

use super::codes as c;
use super::household::risks;
use super::lookup::Lookup;
use super::sink::{Path, Sink};
use crate::model::income::{IncomeCategory, IncomeRecord};
use crate::model::work::{
    ConsumptionPurchase, Evaluation, EvaluationOutcome, LedgerSubmission, Measure, Plan,
    PurchaseEvent,
};

/// More people than this in one household cannot be right.
const MAX_HOUSEHOLD_SIZE: u32 = 50;

fn category_label(category: IncomeCategory) -> (&'static str, &'static str) {
    match category {
        IncomeCategory::Wage => ("wage income", "工资性收入"),
        IncomeCategory::Business => ("business income", "生产经营性收入"),
        IncomeCategory::Transfer => ("transfer income", "转移性收入"),
        IncomeCategory::Property => ("property income", "财产性收入"),
    }
}

pub(super) fn income_record<L: Lookup + ?Sized>(r: &IncomeRecord, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("income_record", r.id);
    ctx.household(refs, Path::Field("household_id"), r.household_id);
    ctx.person(refs, Path::Field("collector_id"), r.collector_id);
    ctx.date(
        Path::Field("collected_on"),
        r.collected_on,
        ("collection day", "采集日期"),
    );
    if ctx.period(Path::Field("period"), r.period) && r.collected_on < r.period.first_day() {
        ctx.err(
            Path::Field("collected_on"),
            c::COLLECTED_BEFORE_PERIOD,
            "The income was collected before its quarter began. Correct the collection day or \
             the quarter (a quarter's income is collected from the 25th of its last month).",
            "采集日期早于所属季度的开始，不可能成立。请更正采集日期或所属季度（季度收入自该季度最后一个月25日起采集）。",
        );
    }
    if r.household_size == 0 {
        ctx.err(
            Path::Field("household_size"),
            c::HOUSEHOLD_SIZE_ZERO,
            "The household size is 0, so per-capita income cannot be computed. Enter the number \
             of people counted in the household (at least 1).",
            "家庭人口数为0，无法计算人均纯收入。请填写计入家庭的人口数（至少1人）。",
        );
    } else if r.household_size > MAX_HOUSEHOLD_SIZE {
        ctx.err(
            Path::Field("household_size"),
            c::HOUSEHOLD_SIZE_IMPLAUSIBLE,
            format!(
                "The household size is more than {MAX_HOUSEHOLD_SIZE} people, which cannot be \
                 right. Enter the number of people counted in the household."
            ),
            format!(
                "家庭人口数超过{MAX_HOUSEHOLD_SIZE}人，不可能成立。请核对并填写计入家庭的人口数。"
            ),
        );
    }
    for (i, item) in r.items.iter().enumerate() {
        ctx.money(
            Path::ItemField("items", i, "amount_fen"),
            item.amount_fen,
            category_label(item.category),
        );
    }
    ctx.money(
        Path::Field("business_cost_fen"),
        r.business_cost_fen,
        ("business cost", "生产经营性支出"),
    );
    ctx.money(
        Path::Field("insurance_payout_fen"),
        r.insurance_payout_fen,
        ("insurance payout", "理赔收入"),
    );
    ctx.money(
        Path::Field("out_of_pocket_fen"),
        r.out_of_pocket_fen,
        ("out-of-pocket medical cost", "合规自付支出"),
    );
    ctx.money(
        Path::Field("rigid_expense_fen"),
        r.rigid_expense_fen,
        ("rigid expense", "刚性支出"),
    );
    ctx.corrects(refs, r.corrects);
}

pub(super) fn evaluation<L: Lookup + ?Sized>(e: &Evaluation, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("evaluation", e.id);
    ctx.household(refs, Path::Field("household_id"), e.household_id);
    ctx.person(refs, Path::Field("evaluator_id"), e.evaluator_id);
    ctx.date(
        Path::Field("evaluated_on"),
        e.evaluated_on,
        ("evaluation day", "评估日期"),
    );
    if ctx.period(Path::Field("period"), e.period) && e.evaluated_on < e.period.first_day() {
        ctx.err(
            Path::Field("evaluated_on"),
            c::EVALUATED_BEFORE_PERIOD,
            "The evaluation is dated before the quarter it evaluates began. Correct the day or \
             the quarter.",
            "评估日期早于所评估季度的开始，不可能成立。请更正评估日期或所属季度。",
        );
    }
    let all_hold = e.income_above_line && e.guarantees_consolidated && e.risk_eliminated;
    if e.outcome == EvaluationOutcome::ProposeElimination && !all_hold {
        ctx.err(
            Path::Field("outcome"),
            c::OUTCOME_CONTRADICTS_FINDINGS,
            "Risk elimination is proposed only when income is stably above the line, the \
             guarantees and water are consolidated and the risk is stably eliminated. Correct \
             the findings or choose another outcome.",
            "只有收入稳定超过监测范围、“三保障”和饮水安全持续巩固、风险稳定消除三项均满足时，才能提出风险消除。请更正评估结论或选择其他处理意见。",
        );
    }
    ctx.corrects(refs, e.corrects);
}

pub(super) fn measure<L: Lookup + ?Sized>(m: &Measure, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("measure", m.id);
    ctx.household(refs, Path::Field("household_id"), m.household_id);
    ctx.person(refs, Path::Field("recorded_by"), m.recorded_by);
    ctx.date(
        Path::Field("started_on"),
        m.started_on,
        ("measure's first day", "措施开始日期"),
    );
    if let Some(plan_id) = m.plan_id
        && !refs.exists("plan", plan_id)
    {
        ctx.unknown(
            Path::Field("plan_id"),
            c::UNKNOWN_PLAN,
            ("assistance plan", "帮扶计划"),
        );
    }
}

pub(super) fn plan<L: Lookup + ?Sized>(p: &Plan, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("plan", p.id);
    ctx.household(refs, Path::Field("household_id"), p.household_id);
    ctx.person(refs, Path::Field("recorded_by"), p.recorded_by);
    ctx.date(
        Path::Field("created_on"),
        p.created_on,
        ("plan day", "计划制定日期"),
    );
    if p.risks.is_empty() {
        ctx.err(
            Path::Field("risks"),
            c::PLAN_WITHOUT_RISKS,
            "A plan addresses the household's risks, and none is chosen. Choose the risk types \
             the plan addresses.",
            "帮扶计划须针对该户的风险类型（缺什么补什么），但未选择风险类型。请选择计划所针对的风险类型。",
        );
    }
    risks(&mut ctx, "risks", &p.risks);
}

pub(super) fn consumption_purchase<L: Lookup + ?Sized>(
    p: &ConsumptionPurchase,
    refs: &L,
    sink: &mut Sink,
) {
    let mut ctx = sink.ctx("consumption_purchase", p.id);
    ctx.unit(refs, Path::Field("unit_id"), p.unit_id);
    if let Some(household_id) = p.household_id {
        ctx.household(refs, Path::Field("household_id"), household_id);
    }
    ctx.date(
        Path::Field("purchased_on"),
        p.purchased_on,
        ("purchase day", "采购日期"),
    );
    ctx.money(
        Path::Field("amount_fen"),
        p.amount_fen,
        ("purchase amount", "采购金额"),
    );
}

pub(super) fn purchase_event<L: Lookup + ?Sized>(e: &PurchaseEvent, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("purchase_event", e.id);
    ctx.unit(refs, Path::Field("unit_id"), e.unit_id);
    ctx.date(Path::Field("held_on"), e.held_on, ("event day", "活动日期"));
    ctx.required(Path::Field("title"), &e.title, ("event title", "活动名称"));
}

pub(super) fn ledger_submission<L: Lookup + ?Sized>(
    l: &LedgerSubmission,
    refs: &L,
    sink: &mut Sink,
) {
    let mut ctx = sink.ctx("ledger_submission", l.id);
    ctx.unit(refs, Path::Field("unit_id"), l.unit_id);
    ctx.date(
        Path::Field("submitted_on"),
        l.submitted_on,
        ("submission day", "报送日期"),
    );
    if ctx.period(Path::Field("period"), l.period) && l.submitted_on < l.period.first_day() {
        ctx.err(
            Path::Field("submitted_on"),
            c::SUBMITTED_BEFORE_PERIOD,
            "The ledger is dated before its quarter began. Correct the day or the quarter.",
            "台账报送日期早于所属季度的开始，不可能成立。请更正报送日期或所属季度。",
        );
    }
}
