//! 帮扶成效评估 (D5): the quarterly effectiveness evaluation of a monitored household.
//!
//! The form is pre-filled from the household's own records: the last four quarters' income
//! against the year's monitoring line (the D3 rule's annualised per-capita net income,
//! [`rules::annualised_per_capita_fen`], never computed another way), the four checks of the
//! latest visit in force, the household's risks with the measures of its plan, and a suggested
//! answer to each of the notice's three criteria with the evidence in words. The cadre confirms
//! or corrects each criterion and picks the outcome; saving records a
//! [`bangfu_core::Evaluation`] through the store (it syncs like a contact), and the quarter's D5
//! task is done.
//!
//! Evaluations are append-only: a second evaluation of the same quarter is saved as a correction
//! (`corrects` names the one in force). Proposing risk elimination is only the first step of the
//! procedure (village review, public notice, township check and the county's decision follow,
//! by those roles): the household's class does not change here.

use std::collections::HashMap;
use std::str::FromStr;

use bangfu_core::income::IncomeTotals;
use bangfu_core::rules::{self, AlertDetail, Obligation, Period, RuleId, Status};
use bangfu_core::validate::validate_record;
use bangfu_core::{
    Assistance, CheckItem, CheckStatus, Evaluation, EvaluationOutcome, HouseholdClass, Measure,
    MeasureKind, MeasureStatus, MonitoredKind, Quarter, Record, Risk,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::clock::epoch_ms;
use crate::error::{AppError, FieldError, Result, invalid};
use crate::scope::{Areas, Scope, rules_dataset, scope_path};
use crate::tasks::words;

mod suggest;
use suggest::{guarantees_criterion, income_criterion, risk_criterion};

/// Longest note of an evaluation.
pub const MAX_NOTE_CHARS: usize = 500;

/// Which evaluation form to open.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EvaluationFormQuery {
    pub household_id: Uuid,
    /// `2025-Q4`; when absent, the oldest quarter still owed (else the latest evaluated).
    pub quarter: Option<String>,
}

/// Where the quarter's D5 obligation stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationState {
    /// Before the quarter's income window opens: not yet to be evaluated.
    Upcoming,
    /// Open and in time.
    Open,
    /// Past its due day and not evaluated.
    Overdue,
    /// Evaluated already (saving again records a correction).
    Done,
}

/// One of the notice's three criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// 收入稳定超过监测范围.
    IncomeAboveLine,
    /// “三保障”及饮水安全持续巩固.
    GuaranteesConsolidated,
    /// 返贫致贫风险稳定消除.
    RiskEliminated,
}

/// A quarter's income as the evaluation shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct QuarterIncome {
    /// `2025-Q3`.
    pub quarter: String,
    /// The record in force (the latest collected of the quarter), if collected.
    pub collected_on: Option<NaiveDate>,
    pub net_fen: Option<i64>,
    /// 人均纯收入 of the quarter (not annualised).
    pub net_per_capita_fen: Option<i64>,
    pub household_size: Option<u32>,
}

/// The income evidence: the four quarters ending with the evaluated one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IncomeEvidence {
    /// Oldest first.
    pub quarters: Vec<QuarterIncome>,
    /// D3's per-capita net income annualised over the quarters collected (`None`: none).
    pub annualised_per_capita_fen: Option<i64>,
    /// How many of the four quarters were collected.
    pub quarters_counted: u32,
    /// The monitoring line of the evaluated quarter's year, yuan per person per year.
    pub line_yuan: Option<i64>,
    pub line_year: i32,
}

/// One of the four checks of the latest visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CheckEvidence {
    pub item: CheckItem,
    pub status: CheckStatus,
    pub note: String,
}

/// The latest visit in force and its four checks (三保障 and drinking water).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ChecksEvidence {
    pub visit_id: Uuid,
    pub visited_on: NaiveDate,
    pub visitor_name: String,
    pub checks: Vec<CheckEvidence>,
}

/// A measure as the evaluation lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MeasureRow {
    pub id: Uuid,
    pub kind: MeasureKind,
    pub status: MeasureStatus,
    pub started_on: NaiveDate,
    pub description: String,
}

/// A risk of the household with the measures of its plan that address it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RiskMeasures {
    pub risk: Risk,
    pub measures: Vec<MeasureRow>,
}

/// A criterion with the suggested answer and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CriterionSuggestion {
    pub criterion: Criterion,
    pub suggested: bool,
    /// The evidence, in words.
    pub evidence: String,
}

/// An evaluation already recorded, as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct EvaluationRecordView {
    pub id: Uuid,
    pub evaluated_on: NaiveDate,
    pub evaluator_name: String,
    pub income_above_line: bool,
    pub guarantees_consolidated: bool,
    pub risk_eliminated: bool,
    pub outcome: EvaluationOutcome,
    pub note: String,
}

/// The evaluation form of a household and quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct EvaluationForm {
    pub household_id: Uuid,
    pub head_name: String,
    pub class: Option<HouseholdClass>,
    pub kind: Option<MonitoredKind>,
    /// `2025-Q4`.
    pub quarter: String,
    pub opens_on: NaiveDate,
    pub due_on: NaiveDate,
    pub state: EvaluationState,
    pub income: IncomeEvidence,
    /// `None`: never visited (in force, by today).
    pub checks: Option<ChecksEvidence>,
    /// The household's risks, each with the measures of its plan that address it.
    pub risks: Vec<RiskMeasures>,
    /// The household's other measures (no plan, or a plan not naming any of today's risks).
    pub other_measures: Vec<MeasureRow>,
    /// The three criteria, in the notice's order, each with a suggestion.
    pub criteria: Vec<CriterionSuggestion>,
    pub suggested_outcome: EvaluationOutcome,
    /// The evaluation in force for the quarter, if any (saving again corrects it).
    pub existing: Option<EvaluationRecordView>,
    pub max_note_chars: u32,
}

/// What the form sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EvaluationInput {
    pub household_id: Uuid,
    /// `2025-Q4`.
    pub quarter: String,
    pub income_above_line: bool,
    pub guarantees_consolidated: bool,
    pub risk_eliminated: bool,
    pub outcome: EvaluationOutcome,
    pub note: String,
}

/// A saved evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct EvaluationSaved {
    pub id: Uuid,
    pub quarter: String,
    /// The evaluation this one corrects (the quarter was evaluated already).
    pub corrects: Option<Uuid>,
}

/// `2025-Q4` as a quarter, refused at the `quarter` field.
pub(crate) fn parse_quarter(text: &str) -> Result<Quarter> {
    Quarter::from_str(text.trim()).map_err(|_| {
        invalid(
            "quarter",
            "bad_quarter",
            "所属季度无法识别。请重新选择季度（如 2025年第四季度）。",
        )
    })
}

/// What the form and the save share: the household, its rules slice and D5 obligations.
struct Evidence {
    household: bangfu_core::Household,
    ds: bangfu_core::Dataset,
    /// The household's D5 obligations today, by quarter.
    d5: Vec<(Quarter, Obligation)>,
}

impl Evidence {
    fn obligation(&self, quarter: Quarter) -> Option<&Obligation> {
        self.d5.iter().find(|(q, _)| *q == quarter).map(|(_, o)| o)
    }

    /// The quarter the form opens when none is asked: the oldest still owed, else the latest
    /// evaluated, else the next to come.
    fn default_quarter(&self) -> Option<Quarter> {
        let owed = |o: &Obligation| matches!(o.status, Status::Overdue | Status::Open);
        self.d5
            .iter()
            .find(|(_, o)| owed(o))
            .or_else(|| self.d5.iter().rev().find(|(_, o)| o.status == Status::Done))
            .or_else(|| self.d5.first())
            .map(|(q, _)| *q)
    }

    /// Refuses a household or quarter that owes no D5 evaluation, or one not yet open.
    fn check_quarter(&self, quarter: Quarter, today: NaiveDate) -> Result<&Obligation> {
        match self.obligation(quarter) {
            Some(o) if o.status == Status::Upcoming => Err(invalid(
                "quarter",
                "quarter_not_open",
                &format!(
                    "{}的帮扶成效评估从{}开始（收入采集期开始后）。请到时再评估，或选择已到期的季度。",
                    words::quarter(quarter),
                    words::day(o.opens_on, today)
                ),
            )),
            Some(o) => Ok(o),
            None if self.household.assistance_on(quarter.last_day())
                != Some(Assistance::Monitored) =>
            {
                Err(not_monitored(quarter))
            }
            None => Err(invalid(
                "quarter",
                "quarter_not_due",
                &format!(
                    "{}不需要帮扶成效评估（不在统计期内，或季度还没到）。请选择已到期的季度。",
                    words::quarter(quarter)
                ),
            )),
        }
    }
}

fn not_monitored(quarter: Quarter) -> AppError {
    invalid(
        "household_id",
        "not_monitored",
        &format!(
            "这户在{}末不是监测对象，不需要帮扶成效评估（评估只针对监测对象）。请选择监测对象户。",
            words::quarter(quarter)
        ),
    )
}

impl App {
    fn evaluation_evidence(&self, scope: &Scope, household_id: Uuid) -> Result<Evidence> {
        let household = self.household_in_scope(scope, household_id)?;
        let mut areas = Areas::default();
        let ds = rules_dataset(&self.store, &mut areas, &scope.me, &[household.id])?;
        let index = rules::Index::new(&ds);
        let mut d5: Vec<(Quarter, Obligation)> = rules::obligations_with(&index, scope.today)
            .into_iter()
            .filter(|o| o.rule == RuleId::D5 && o.household_id == Some(household.id))
            .filter_map(|o| match o.period {
                Period::Quarter(q) => Some((q, o)),
                _ => None,
            })
            .collect();
        d5.sort_by_key(|(q, _)| *q);
        Ok(Evidence { household, ds, d5 })
    }

    /// The evaluation form of a household and quarter, pre-filled from its records.
    pub fn evaluation_form(&self, q: EvaluationFormQuery) -> Result<EvaluationForm> {
        let scope = self.scope()?;
        let today = scope.today;
        let ev = self.evaluation_evidence(&scope, q.household_id)?;
        let quarter = match q.quarter.as_deref() {
            Some(text) => parse_quarter(text)?,
            None => ev
                .default_quarter()
                .ok_or_else(|| not_monitored(Quarter::of(today)))?,
        };
        let obligation = match ev.check_quarter(quarter, today) {
            Ok(o) => o.clone(),
            // The form of a quarter not yet open is shown (read-only in the UI); saving refuses.
            Err(e) => match ev.obligation(quarter) {
                Some(o) => o.clone(),
                None => return Err(e),
            },
        };
        let h = &ev.household;
        let index = rules::Index::new(&ev.ds);
        let person_name = |id: Uuid| -> Result<String> {
            if let Some(p) = index.people.get(&id) {
                return Ok(p.name.clone());
            }
            Ok(self
                .store
                .get_person(id)?
                .map(|p| p.name)
                .unwrap_or_default())
        };

        // Income: the four quarters ending with the evaluated one, D3's annualised figure.
        let records = index
            .income_by_household
            .get(&h.id)
            .map_or(&[][..], Vec::as_slice);
        let by_quarter = rules::records_by_quarter(records, today);
        let mut window: Vec<Quarter> = Vec::with_capacity(4);
        let mut qq = quarter;
        for _ in 0..4 {
            window.push(qq);
            qq = qq.prev();
        }
        window.reverse();
        let found: HashMap<Quarter, &bangfu_core::IncomeRecord> = by_quarter
            .iter()
            .filter(|(q, _)| window.contains(q))
            .map(|(q, r)| (*q, *r))
            .collect();
        let quarters: Vec<QuarterIncome> = window
            .iter()
            .map(|q| {
                let r = found.get(q);
                let t = r.map(|r| IncomeTotals::of(r));
                QuarterIncome {
                    quarter: q.to_string(),
                    collected_on: r.map(|r| r.collected_on),
                    net_fen: t.map(|t| t.net_fen),
                    net_per_capita_fen: t.map(|t| t.net_per_capita_fen),
                    household_size: r.map(|r| r.household_size),
                }
            })
            .collect();
        // The household size of the latest collected quarter of the four, as D3 takes it.
        let size = window
            .iter()
            .rev()
            .find_map(|q| found.get(q))
            .map(|r| r.household_size);
        let annualised =
            size.and_then(|s| rules::annualised_per_capita_fen(&by_quarter, quarter, s));
        let line_fen = index.monitoring_line_fen(h.village_id, quarter.year);
        let income = IncomeEvidence {
            quarters,
            annualised_per_capita_fen: annualised.map(|a| a.0),
            quarters_counted: annualised.map_or(0, |a| a.1),
            line_yuan: line_fen.map(|f| f / 100),
            line_year: quarter.year,
        };

        // The latest visit in force, by today.
        let latest = index
            .visits_by_household
            .get(&h.id)
            .and_then(|v| {
                v.iter()
                    .rev()
                    .find(|v| rules::visit_day_is_plausible(v.day(), today))
            })
            .copied();
        let checks = match latest {
            Some(v) => Some(ChecksEvidence {
                visit_id: v.id,
                visited_on: v.day(),
                visitor_name: person_name(v.visitor_id)?,
                checks: CheckItem::ALL
                    .iter()
                    .map(|&item| {
                        let c = v.checks.get(item);
                        CheckEvidence {
                            item,
                            status: c.status,
                            note: c.note.clone().unwrap_or_default(),
                        }
                    })
                    .collect(),
            }),
            None => None,
        };

        // Risks and the measures of the plans that name them.
        let measures = self.store.measures_of_household(h.id)?;
        let mut plan_risks: HashMap<Uuid, Vec<Risk>> = HashMap::new();
        for m in &measures {
            if let Some(pid) = m.plan_id
                && !plan_risks.contains_key(&pid)
            {
                let risks = self
                    .store
                    .get_plan(pid)?
                    .map(|p| p.risks)
                    .unwrap_or_default();
                plan_risks.insert(pid, risks);
            }
        }
        let addresses = |m: &Measure, r: Risk| {
            m.plan_id
                .and_then(|p| plan_risks.get(&p))
                .is_some_and(|rs| rs.contains(&r))
        };
        let risks: Vec<RiskMeasures> = h
            .risks
            .iter()
            .map(|&r| RiskMeasures {
                risk: r,
                measures: measures
                    .iter()
                    .filter(|m| addresses(m, r))
                    .map(measure_row)
                    .collect(),
            })
            .collect();
        let other_measures: Vec<MeasureRow> = measures
            .iter()
            .filter(|m| !h.risks.iter().any(|&r| addresses(m, r)))
            .map(measure_row)
            .collect();

        // Open alerts of the household (D2 risks found, D3 income) weigh on the risk criterion.
        let open_alerts: Vec<AlertDetail> = rules::alerts_with(&index, today)
            .into_iter()
            .filter(|a| a.household_id == h.id && a.open)
            .filter(|a| matches!(a.rule, RuleId::D2 | RuleId::D3))
            .map(|a| a.detail)
            .collect();

        let income_c = income_criterion(&income, quarter);
        let guarantees_c = guarantees_criterion(checks.as_ref(), quarter, today);
        let risk_c = risk_criterion(&risks, &open_alerts, h.risks.is_empty());
        // Income below the line: adjust the plan (the notice); a guarantee at risk: strengthen.
        let below_line = matches!(
            (income.annualised_per_capita_fen, line_fen),
            (Some(pc), Some(line)) if pc < line
        );
        let suggested_outcome = if income_c.suggested && guarantees_c.suggested && risk_c.suggested
        {
            EvaluationOutcome::ProposeElimination
        } else if below_line {
            EvaluationOutcome::AdjustPlan
        } else if !guarantees_c.suggested {
            EvaluationOutcome::Strengthen
        } else {
            EvaluationOutcome::Continue
        };

        let existing = match in_force_of(&index, h.id, quarter) {
            Some(e) => Some(EvaluationRecordView {
                id: e.id,
                evaluated_on: e.evaluated_on,
                evaluator_name: person_name(e.evaluator_id)?,
                income_above_line: e.income_above_line,
                guarantees_consolidated: e.guarantees_consolidated,
                risk_eliminated: e.risk_eliminated,
                outcome: e.outcome,
                note: e.note.clone(),
            }),
            None => None,
        };
        let state = match obligation.status {
            Status::Upcoming => EvaluationState::Upcoming,
            Status::Overdue => EvaluationState::Overdue,
            Status::Done => EvaluationState::Done,
            _ => EvaluationState::Open,
        };
        let class = h.class_on(today);
        Ok(EvaluationForm {
            household_id: h.id,
            head_name: h.head_name.clone(),
            class: class.map(|c| c.class),
            kind: class.and_then(|c| c.kind),
            quarter: quarter.to_string(),
            opens_on: obligation.opens_on,
            due_on: obligation.due_on,
            state: if existing.is_some() {
                EvaluationState::Done
            } else {
                state
            },
            income,
            checks,
            risks,
            other_measures,
            criteria: vec![income_c, guarantees_c, risk_c],
            suggested_outcome,
            existing,
            max_note_chars: MAX_NOTE_CHARS as u32,
        })
    }

    /// Records the evaluation (a correction of the one in force when the quarter was evaluated
    /// already). Refused whole, at its fields, when anything is wrong: nothing is saved.
    pub fn evaluation_save(&mut self, input: EvaluationInput) -> Result<EvaluationSaved> {
        let scope = self.scope()?;
        let today = scope.today;
        let ev = self.evaluation_evidence(&scope, input.household_id)?;
        let quarter = parse_quarter(&input.quarter)?;
        ev.check_quarter(quarter, today)?;
        let index = rules::Index::new(&ev.ds);
        let corrects = in_force_of(&index, ev.household.id, quarter).map(|e| e.id);

        let mut fields: Vec<FieldError> = Vec::new();
        if input.outcome == EvaluationOutcome::ProposeElimination {
            let missing: Vec<&str> = [
                (input.income_above_line, "收入稳定超过监测范围"),
                (input.guarantees_consolidated, "“三保障”及饮水安全持续巩固"),
                (input.risk_eliminated, "风险稳定消除"),
            ]
            .iter()
            .filter(|(held, _)| !held)
            .map(|(_, name)| *name)
            .collect();
            if !missing.is_empty() {
                fields.push(FieldError {
                    field: "outcome".into(),
                    code: bangfu_core::validate::codes::OUTCOME_CONTRADICTS_FINDINGS.into(),
                    message: format!(
                        "提出风险消除须三项评估结论都为“是”，尚未确认：{}。请核实后确认，或选择其他处理意见（如持续帮扶、调整帮扶计划）。",
                        missing.join("、")
                    ),
                });
            }
        }
        let note = input.note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            fields.push(FieldError {
                field: "note".into(),
                code: "too_long".into(),
                message: format!("评估说明太长（最多 {MAX_NOTE_CHARS} 字）。请精简后再保存。"),
            });
        }
        let evaluation = Evaluation {
            id: Uuid::now_v7(),
            household_id: ev.household.id,
            period: quarter,
            evaluated_on: today,
            evaluator_id: scope.me.id,
            income_above_line: input.income_above_line,
            guarantees_consolidated: input.guarantees_consolidated,
            risk_eliminated: input.risk_eliminated,
            outcome: input.outcome,
            note: note.to_owned(),
            corrects,
        };
        let record = Record::Evaluation(evaluation.clone());
        let refs = self.store.refs();
        if let Err(found) = validate_record(&record, &refs) {
            for e in found.iter() {
                let fe = FieldError::from(e);
                if !fields
                    .iter()
                    .any(|f| f.field == fe.field && f.code == fe.code)
                {
                    fields.push(fe);
                }
            }
        }
        refs.into_result()?;
        if !fields.is_empty() {
            return Err(AppError::Invalid(fields));
        }
        let mut areas = Areas::default();
        let path = scope_path(&self.store, &mut areas, &ev.household)?;
        let now = self.now();
        self.store
            .record_change(&record, scope.me.id, &path, epoch_ms(now), now)?;
        Ok(EvaluationSaved {
            id: evaluation.id,
            quarter: quarter.to_string(),
            corrects,
        })
    }
}

/// The evaluation in force for the household's quarter (the latest, if several are).
fn in_force_of<'a>(
    index: &rules::Index<'a>,
    household_id: Uuid,
    quarter: Quarter,
) -> Option<&'a Evaluation> {
    index
        .evaluations_by_household
        .get(&household_id)
        .and_then(|list| list.iter().rev().find(|e| e.period == quarter))
        .copied()
}

fn measure_row(m: &Measure) -> MeasureRow {
    MeasureRow {
        id: m.id,
        kind: m.kind,
        status: m.status,
        started_on: m.started_on,
        description: m.description.clone(),
    }
}
