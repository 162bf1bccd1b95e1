//! The suggested answers to the notice's three criteria, with their evidence in words.

use bangfu_core::rules::AlertDetail;
use bangfu_core::{CheckStatus, MeasureKind, MeasureStatus, Quarter, Risk};
use chrono::NaiveDate;

use super::{
    ChecksEvidence, Criterion, CriterionSuggestion, IncomeEvidence, MeasureRow, RiskMeasures,
};
use crate::tasks::words;

/// 收入稳定超过监测范围: D3's annualised per-capita net income at or above the year's line, from
/// at least two of the four quarters (income stable for half a year, as the elimination
/// procedure asks in principle).
pub(super) fn income_criterion(income: &IncomeEvidence, quarter: Quarter) -> CriterionSuggestion {
    let first = quarter.prev().prev().prev();
    let span = format!("{}至{}", words::quarter(first), words::quarter(quarter));
    let (suggested, evidence) = match (income.annualised_per_capita_fen, income.line_yuan) {
        (None, _) => (
            false,
            format!("近四个季度（{span}）没有收入记录，无法判断。请先采集收入。"),
        ),
        (Some(_), None) => (
            false,
            format!(
                "本地区没有{}年的监测范围，无法比较。请联系乡镇核实当年监测范围。",
                income.line_year
            ),
        ),
        (Some(pc), Some(line_yuan)) => {
            let line_fen = line_yuan.saturating_mul(100);
            let figure = format!(
                "近四个季度（{span}）采集了 {} 个季度，人均纯收入按年折算 {}，",
                income.quarters_counted,
                words::yuan(pc)
            );
            if pc < line_fen {
                (
                    false,
                    format!(
                        "{figure}低于{}年监测范围 {}。",
                        income.line_year,
                        words::yuan(line_fen)
                    ),
                )
            } else if income.quarters_counted < 2 {
                (
                    false,
                    format!(
                        "{figure}高于{}年监测范围 {}，但只有 1 个季度的记录，不足半年，还不能说收入稳定。",
                        income.line_year,
                        words::yuan(line_fen)
                    ),
                )
            } else {
                (
                    true,
                    format!(
                        "{figure}不低于{}年监测范围 {}。",
                        income.line_year,
                        words::yuan(line_fen)
                    ),
                )
            }
        }
    };
    CriterionSuggestion {
        criterion: Criterion::IncomeAboveLine,
        suggested,
        evidence,
    }
}

/// “三保障”及饮水安全持续巩固: the latest visit in force, made in or after the evaluated quarter,
/// found all four items guaranteed.
pub(super) fn guarantees_criterion(
    checks: Option<&ChecksEvidence>,
    quarter: Quarter,
    today: NaiveDate,
) -> CriterionSuggestion {
    let (suggested, evidence) = match checks {
        None => (
            false,
            "还没有上门走访记录，无法判断。请先上门核查“三保障”和饮水安全。".to_owned(),
        ),
        Some(c) => {
            let at_risk: Vec<&str> = c
                .checks
                .iter()
                .filter(|x| x.status == CheckStatus::Risk)
                .map(|x| words::check_item(x.item))
                .collect();
            let when = format!(
                "最近一次走访（{}，{}）",
                words::day(c.visited_on, today),
                c.visitor_name
            );
            if !at_risk.is_empty() {
                (false, format!("{when}发现{}有风险。", at_risk.join("、")))
            } else if c.visited_on < quarter.first_day() {
                (
                    false,
                    format!(
                        "{when}四项均有保障，但这次走访在{}之前。请上门核实后再确认。",
                        words::quarter(quarter)
                    ),
                )
            } else {
                (
                    true,
                    format!("{when}义务教育、基本医疗、住房安全和饮水安全均有保障。"),
                )
            }
        }
    };
    CriterionSuggestion {
        criterion: Criterion::GuaranteesConsolidated,
        suggested,
        evidence,
    }
}

/// 风险稳定消除: every risk of the household has a measure of its plan that is done, and no
/// alert of the household is open (a risk found on a visit, low or falling income, a jump in
/// rigid expenditure).
pub(super) fn risk_criterion(
    risks: &[RiskMeasures],
    open_alerts: &[AlertDetail],
    no_risks: bool,
) -> CriterionSuggestion {
    let mut problems: Vec<String> = Vec::new();
    let mut done: Vec<String> = Vec::new();
    for r in risks {
        let name = risk_zh(r.risk);
        let finished: Vec<&MeasureRow> = r
            .measures
            .iter()
            .filter(|m| m.status == MeasureStatus::Done)
            .collect();
        let ongoing: Vec<&MeasureRow> = r
            .measures
            .iter()
            .filter(|m| matches!(m.status, MeasureStatus::Planned | MeasureStatus::InProgress))
            .collect();
        let kinds = |list: &[&MeasureRow]| {
            let mut names: Vec<&str> = list.iter().map(|m| measure_kind_zh(m.kind)).collect();
            names.dedup();
            names.join("、")
        };
        if !finished.is_empty() {
            done.push(format!("{name}（{}已完成）", kinds(&finished)));
        } else if !ongoing.is_empty() {
            let started = ongoing
                .iter()
                .any(|m| m.status == MeasureStatus::InProgress);
            problems.push(format!(
                "{name}的措施（{}）还在{}",
                kinds(&ongoing),
                if started { "实施中" } else { "计划中" }
            ));
        } else {
            problems.push(format!("{name}没有针对的帮扶措施"));
        }
    }
    for a in open_alerts {
        let text = match a {
            AlertDetail::RiskFound { item, .. } => {
                format!("走访发现的{}风险尚未消除", words::check_item(*item))
            }
            AlertDetail::IncomeBelowLine { .. } => "收入低于监测范围的预警未解除".to_owned(),
            AlertDetail::IncomeDropQuarter { .. } | AlertDetail::IncomeDropYear { .. } => {
                "有收入大幅下降的预警".to_owned()
            }
            AlertDetail::RigidExpenseJump { .. } => "有刚性支出骤增的预警".to_owned(),
            _ => continue,
        };
        if !problems.contains(&text) {
            problems.push(text);
        }
    }
    let (suggested, evidence) = if !problems.is_empty() {
        (false, format!("{}。", problems.join("；")))
    } else if no_risks {
        (
            true,
            "没有登记的风险类型，也没有未解除的预警。请核实返贫致贫风险确已消除。".to_owned(),
        )
    } else {
        (
            true,
            format!(
                "各项风险都有已完成的措施：{}；没有未解除的预警。",
                done.join("、")
            ),
        )
    };
    CriterionSuggestion {
        criterion: Criterion::RiskEliminated,
        suggested,
        evidence,
    }
}

/// 风险类型 in the glossary's words.
fn risk_zh(r: Risk) -> &'static str {
    match r {
        Risk::Illness => "因病",
        Risk::Disability => "因残",
        Risk::Schooling => "因学",
        Risk::Disaster => "因灾",
        Risk::Accident => "因意外事故",
        Risk::BusinessFailure => "因产业失败",
        Risk::UnstableEmployment => "因务工就业不稳",
        Risk::LackOfLabour => "缺劳动力",
        Risk::Housing => "因安全住房",
        Risk::DrinkingWater => "因安全饮水",
        Risk::Other => "其他风险",
    }
}

/// 帮扶措施 types in the glossary's words.
fn measure_kind_zh(k: MeasureKind) -> &'static str {
    match k {
        MeasureKind::Industry => "产业帮扶",
        MeasureKind::Employment => "就业帮扶",
        MeasureKind::PublicWelfarePost => "公益岗位帮扶",
        MeasureKind::Microcredit => "金融帮扶",
        MeasureKind::Education => "教育帮扶",
        MeasureKind::CompulsoryEducation => "义务教育保障",
        MeasureKind::Health => "健康帮扶",
        MeasureKind::HousingSafety => "住房安全保障",
        MeasureKind::WaterSafety => "饮水安全保障",
        MeasureKind::Relocation => "搬迁",
        MeasureKind::SocialSecurity => "综合保障",
        MeasureKind::Social => "社会帮扶",
        MeasureKind::LivingConditions => "生产生活条件改善",
        MeasureKind::Infrastructure => "基础设施建设",
        MeasureKind::Consumption => "消费帮扶",
        MeasureKind::SkillsTraining => "技能培训",
    }
}
