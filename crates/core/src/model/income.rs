//! Quarterly income records (D3) and the monitoring line.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::Quarter;

/// Money in fen (1/100 yuan). Never a float.
pub type Fen = i64;

/// The four income categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum IncomeCategory {
    /// 工资性收入
    Wage,
    /// 生产经营性收入
    Business,
    /// 转移性收入
    Transfer,
    /// 财产性收入
    Property,
}

/// One line of income, e.g. `wage / 外出务工 / 1,800,000 fen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeItem {
    pub category: IncomeCategory,
    pub label: String,
    pub amount_fen: Fen,
}

/// 收入采集: what the household earned in one quarter (the quarter's own income, not a running total).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeRecord {
    pub id: Uuid,
    pub household_id: Uuid,
    /// The quarter the income belongs to (the Q4 window runs into the next year).
    pub period: Quarter,
    pub collected_on: NaiveDate,
    pub collector_id: Uuid,
    /// People counted in the household for per-capita income (≥ 1).
    pub household_size: u32,
    pub items: Vec<IncomeItem>,
    /// 生产经营性支出, subtracted from income.
    #[serde(default)]
    pub business_cost_fen: Fen,
    /// 理赔收入, recorded separately.
    #[serde(default)]
    pub insurance_payout_fen: Fen,
    /// 合规自付支出, recorded separately.
    #[serde(default)]
    pub out_of_pocket_fen: Fen,
    /// 刚性支出 of the quarter (medical, education, disaster).
    #[serde(default)]
    pub rigid_expense_fen: Fen,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<Uuid>,
}

/// 监测范围: per-capita net income line of a year and region, yuan per person per year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoringLine {
    pub year: i32,
    /// Division code of the region it applies to (`360000` for Jiangxi, `360722` for Xinfeng),
    /// or `CN` for the national floor.
    pub region_code: String,
    pub yuan_per_person: i64,
    /// The document that set it.
    pub source: String,
}
