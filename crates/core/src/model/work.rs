//! Measures and plans (D4), evaluations (D5), consumption assistance (D4) and ledger submissions (W4).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::Quarter;
use crate::model::household::Risk;
use crate::model::income::Fen;

/// 帮扶措施 types as in the national system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MeasureKind {
    /// 产业帮扶
    Industry,
    /// 就业帮扶
    Employment,
    /// 公益岗位帮扶
    PublicWelfarePost,
    /// 金融帮扶 (小额信贷)
    Microcredit,
    /// 教育帮扶
    Education,
    /// 义务教育保障
    CompulsoryEducation,
    /// 健康帮扶
    Health,
    /// 住房安全保障
    HousingSafety,
    /// 饮水安全保障
    WaterSafety,
    /// 搬迁
    Relocation,
    /// 综合保障 (低保/特困/救助)
    SocialSecurity,
    /// 社会帮扶
    Social,
    /// 生产生活条件改善
    LivingConditions,
    /// 基础设施建设
    Infrastructure,
    /// 消费帮扶
    Consumption,
    /// 技能培训
    SkillsTraining,
}

/// A measure's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MeasureStatus {
    Planned,
    InProgress,
    Done,
    Cancelled,
}

/// A measure for one household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    pub id: Uuid,
    pub household_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<Uuid>,
    pub kind: MeasureKind,
    pub started_on: NaiveDate,
    pub status: MeasureStatus,
    #[serde(default)]
    pub description: String,
    pub recorded_by: Uuid,
}

/// 帮扶计划 of a monitored household: the risks it addresses (缺什么补什么).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: Uuid,
    pub household_id: Uuid,
    pub created_on: NaiveDate,
    pub risks: Vec<Risk>,
    #[serde(default)]
    pub note: String,
    pub recorded_by: Uuid,
}

/// Outcome of a quarterly effectiveness evaluation (D5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EvaluationOutcome {
    /// 持续帮扶
    Continue,
    /// 加大帮扶力度
    Strengthen,
    /// 调整帮扶计划
    AdjustPlan,
    /// 按程序消除风险
    ProposeElimination,
}

/// 帮扶成效评估 of one monitored household for one quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub id: Uuid,
    pub household_id: Uuid,
    pub period: Quarter,
    pub evaluated_on: NaiveDate,
    pub evaluator_id: Uuid,
    /// 收入是否稳定超过当年监测范围.
    pub income_above_line: bool,
    /// "三保障"及安全饮水是否持续巩固.
    pub guarantees_consolidated: bool,
    /// 返贫致贫风险是否稳定消除.
    pub risk_eliminated: bool,
    pub outcome: EvaluationOutcome,
    #[serde(default)]
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<Uuid>,
}

/// 消费帮扶: a unit's purchase of assisted households' products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumptionPurchase {
    pub id: Uuid,
    pub unit_id: Uuid,
    pub purchased_on: NaiveDate,
    pub description: String,
    pub amount_fen: Fen,
    /// The household whose products were bought, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseEventKind {
    /// 采购活动
    Purchase,
    /// 对接活动
    Matching,
}

/// An organised purchase or matching event (at least one a year per unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseEvent {
    pub id: Uuid,
    pub unit_id: Uuid,
    pub held_on: NaiveDate,
    pub kind: PurchaseEventKind,
    pub title: String,
}

/// W4: a unit's quarterly ledger package (summary, photos, register) handed to the township station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerSubmission {
    pub id: Uuid,
    pub unit_id: Uuid,
    pub period: Quarter,
    pub submitted_on: NaiveDate,
}
