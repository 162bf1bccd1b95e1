//! 收入采集 (D3): the quarterly income form (the four categories with their usual items, the
//! year's monitoring line, the window open/overdue), a live preview (net and per-capita net
//! income from the core's income maths; warnings from the rules engine's D3 alerts, run on this
//! household with the new record as if saved), and saving through the store.
//!
//! Records are append-only: changing an already collected quarter saves a new record that
//! `corrects` the earlier one.

use std::str::FromStr;

use bangfu_core::income::IncomeTotals;
use bangfu_core::rules::{self, AlertDetail, RuleId};
use bangfu_core::validate::validate_record;
use bangfu_core::{Dataset, IncomeItem, IncomeRecord, Quarter, Record};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::clock::epoch_ms;
use crate::error::{AppError, FieldError, Result, invalid};
use crate::scope::{Areas, Scope, scope_path};
use bangfu_core::IncomeCategory;

/// The usual items of each category, offered as the form's lines (a household may add others).
pub const ITEMS: [(IncomeCategory, &[&str]); 4] = [
    (
        IncomeCategory::Wage,
        &["外出务工收入", "本地务工收入", "公益性岗位工资", "零工收入"],
    ),
    (
        IncomeCategory::Business,
        &["种植业收入", "养殖业收入", "林业收入", "个体经营收入"],
    ),
    (
        IncomeCategory::Transfer,
        &[
            "低保金",
            "特困供养金",
            "养老金",
            "生态补偿金",
            "政策性补贴",
            "赡养费及亲友资助",
        ],
    ),
    (
        IncomeCategory::Property,
        &[
            "存款利息",
            "租金（含土地流转）",
            "分红（含集体资产、光伏收益）",
        ],
    ),
];

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct IncomeFormQuery {
    pub household_id: Uuid,
    /// `2025-Q4`; when absent, the quarter being collected now (or the last one).
    pub quarter: Option<String>,
}

/// Where the quarter's collection window stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    /// Before the 25th of the quarter's last month.
    Upcoming,
    /// Inside the window (25th – 5th of the next month).
    Open,
    /// After the window and not collected.
    Overdue,
    /// Collected already (a new record would correct it).
    Collected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IncomeItemInput {
    pub category: IncomeCategory,
    pub label: String,
    pub amount_fen: i64,
}

/// What the form sends (preview and save).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IncomeInput {
    pub household_id: Uuid,
    /// `2025-Q4`.
    pub quarter: String,
    pub household_size: u32,
    pub items: Vec<IncomeItemInput>,
    pub business_cost_fen: i64,
    pub insurance_payout_fen: i64,
    pub out_of_pocket_fen: i64,
    pub rigid_expense_fen: i64,
    /// The record this one corrects (changing a collected quarter).
    pub corrects: Option<Uuid>,
}

/// A saved record as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IncomeRecordView {
    pub id: Uuid,
    pub quarter: String,
    pub collected_on: NaiveDate,
    pub household_size: u32,
    pub items: Vec<IncomeItemInput>,
    pub business_cost_fen: i64,
    pub insurance_payout_fen: i64,
    pub out_of_pocket_fen: i64,
    pub rigid_expense_fen: i64,
    pub net_fen: i64,
    pub net_per_capita_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IncomeCategoryForm {
    pub category: IncomeCategory,
    /// The usual items' labels.
    pub items: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IncomeForm {
    pub household_id: Uuid,
    pub head_name: String,
    pub quarter: String,
    pub window_opens: NaiveDate,
    pub window_closes: NaiveDate,
    pub window_state: WindowState,
    /// The record in force for this quarter, if collected.
    pub collected: Option<IncomeRecordView>,
    /// The previous quarter's record in force, for comparison.
    pub previous: Option<IncomeRecordView>,
    /// People counted: the last record's, else the members on record.
    pub household_size: u32,
    /// The year's monitoring line for the household's region, yuan per person per year.
    pub line_yuan: Option<i64>,
    pub categories: Vec<IncomeCategoryForm>,
}

/// A warning of the preview (from the rules engine's D3 alerts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IncomeWarning {
    /// `income_below_line`, `income_drop_quarter`, `income_drop_year`, `rigid_expense_jump`.
    pub code: String,
    pub message: String,
    pub what_to_do: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IncomePreview {
    pub wage_fen: i64,
    pub business_fen: i64,
    pub transfer_fen: i64,
    pub property_fen: i64,
    /// 家庭纯收入 of the quarter.
    pub net_fen: i64,
    /// 人均纯收入 of the quarter.
    pub net_per_capita_fen: i64,
    pub line_yuan: Option<i64>,
    pub warnings: Vec<IncomeWarning>,
    /// What is wrong with the input (nothing is saved while there is any).
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IncomeSaved {
    pub id: Uuid,
    pub preview: IncomePreview,
}

/// The quarter being collected on `day`: the previous quarter until its window closes (the 5th),
/// then the current one.
pub fn collection_quarter(day: NaiveDate) -> Quarter {
    let q = Quarter::of(day);
    let prev = q.prev();
    if day <= prev.income_window().1 {
        prev
    } else {
        q
    }
}

fn parse_quarter(text: &str) -> Result<Quarter> {
    Quarter::from_str(text.trim()).map_err(|_| {
        invalid(
            "quarter",
            "bad_quarter",
            "所属季度无法识别。请重新选择季度（如 2025年第四季度）。",
        )
    })
}

fn view(r: &IncomeRecord) -> IncomeRecordView {
    let t = IncomeTotals::of(r);
    IncomeRecordView {
        id: r.id,
        quarter: r.period.to_string(),
        collected_on: r.collected_on,
        household_size: r.household_size,
        items: r
            .items
            .iter()
            .map(|i| IncomeItemInput {
                category: i.category,
                label: i.label.clone(),
                amount_fen: i.amount_fen,
            })
            .collect(),
        business_cost_fen: r.business_cost_fen,
        insurance_payout_fen: r.insurance_payout_fen,
        out_of_pocket_fen: r.out_of_pocket_fen,
        rigid_expense_fen: r.rigid_expense_fen,
        net_fen: t.net_fen,
        net_per_capita_fen: t.net_per_capita_fen,
    }
}

impl App {
    /// A small dataset for D3 on one household: settings, its areas, its income records (plus
    /// `extra`), the monitoring lines.
    fn d3_dataset(
        &self,
        household: &bangfu_core::Household,
        extra: Option<&IncomeRecord>,
    ) -> Result<Dataset> {
        let settings = self.store.settings()?.ok_or(AppError::NoData)?;
        let mut ds = Dataset::empty(settings);
        let mut areas = Areas::default();
        let mut chain = areas.chain(&self.store, household.village_id)?;
        chain.reverse();
        ds.areas = chain;
        ds.households.push(household.clone());
        ds.income_records = self.store.income_records_of_household(household.id)?;
        ds.income_records.extend(extra.cloned());
        ds.monitoring_lines = self.store.monitoring_lines()?;
        Ok(ds)
    }

    /// The income form of a household and quarter.
    pub fn income_form(&self, q: IncomeFormQuery) -> Result<IncomeForm> {
        let scope = self.scope()?;
        let h = self.household_in_scope(&scope, q.household_id)?;
        let today = scope.today;
        let quarter = match q.quarter.as_deref() {
            Some(text) => parse_quarter(text)?,
            None => collection_quarter(today),
        };
        let (opens, closes) = quarter.income_window();
        let all = self.store.income_records_of_household(h.id)?;
        let records: Vec<&IncomeRecord> = rules::in_force(&all).collect();
        let collected = records.iter().rev().find(|r| r.period == quarter).copied();
        let previous = records
            .iter()
            .rev()
            .find(|r| r.period == quarter.prev())
            .copied();
        let window_state = if collected.is_some() {
            WindowState::Collected
        } else if today < opens {
            WindowState::Upcoming
        } else if today <= closes {
            WindowState::Open
        } else {
            WindowState::Overdue
        };
        let household_size = match records.last() {
            Some(r) => r.household_size,
            None => u32::try_from(self.store.members_of_household(h.id)?.len())
                .unwrap_or(1)
                .max(1),
        };
        let ds = self.d3_dataset(&h, None)?;
        let line_yuan = rules::Index::new(&ds)
            .monitoring_line_fen(h.village_id, quarter.year)
            .map(|fen| fen / 100);
        Ok(IncomeForm {
            household_id: h.id,
            head_name: h.head_name.clone(),
            quarter: quarter.to_string(),
            window_opens: opens,
            window_closes: closes,
            window_state,
            collected: collected.map(view),
            previous: previous.map(view),
            household_size,
            line_yuan,
            categories: ITEMS
                .iter()
                .map(|(category, items)| IncomeCategoryForm {
                    category: *category,
                    items: items.iter().map(|s| (*s).to_owned()).collect(),
                })
                .collect(),
        })
    }

    /// The record the input describes, collected today by the signed-in person.
    fn income_record(&self, scope: &Scope, input: &IncomeInput) -> Result<IncomeRecord> {
        let period = parse_quarter(&input.quarter)?;
        Ok(IncomeRecord {
            id: Uuid::now_v7(),
            household_id: input.household_id,
            period,
            collected_on: scope.today,
            collector_id: scope.me.id,
            household_size: input.household_size,
            items: input
                .items
                .iter()
                .map(|i| IncomeItem {
                    category: i.category,
                    label: i.label.trim().to_owned(),
                    amount_fen: i.amount_fen,
                })
                .collect(),
            business_cost_fen: input.business_cost_fen,
            insurance_payout_fen: input.insurance_payout_fen,
            out_of_pocket_fen: input.out_of_pocket_fen,
            rigid_expense_fen: input.rigid_expense_fen,
            corrects: input.corrects,
        })
    }

    fn preview_of(
        &self,
        scope: &Scope,
        input: &IncomeInput,
    ) -> Result<(IncomeRecord, IncomePreview)> {
        let h = self.household_in_scope(scope, input.household_id)?;
        let record = self.income_record(scope, input)?;
        let mut errors: Vec<FieldError> = Vec::new();
        for (i, item) in input.items.iter().enumerate() {
            if item.label.trim().is_empty() && item.amount_fen != 0 {
                errors.push(FieldError {
                    field: format!("items[{i}].label"),
                    code: "required".into(),
                    message: "这一项收入没有名称。请填写收入项目（如“外出务工收入”）。".into(),
                });
            }
        }
        let refs = self.store.refs();
        if let Err(found) = validate_record(&Record::IncomeRecord(record.clone()), &refs) {
            errors.extend(found.iter().map(FieldError::from));
        }
        refs.into_result()?;
        let t = IncomeTotals::of(&record);
        let ds = self.d3_dataset(&h, errors.is_empty().then_some(&record))?;
        let index = rules::Index::new(&ds);
        let line_yuan = index
            .monitoring_line_fen(h.village_id, record.period.year)
            .map(|fen| fen / 100);
        let mut warnings = Vec::new();
        if errors.is_empty() {
            for a in rules::alerts_with(&index, scope.today) {
                let relevant = a.rule == RuleId::D3
                    && a.household_id == h.id
                    && match &a.detail {
                        AlertDetail::IncomeBelowLine {
                            income_record_id, ..
                        }
                        | AlertDetail::IncomeDropQuarter {
                            income_record_id, ..
                        }
                        | AlertDetail::IncomeDropYear {
                            income_record_id, ..
                        }
                        | AlertDetail::RigidExpenseJump {
                            income_record_id, ..
                        } => *income_record_id == record.id,
                        _ => false,
                    };
                if !relevant {
                    continue;
                }
                let code = match a.detail {
                    AlertDetail::IncomeBelowLine { .. } => "income_below_line",
                    AlertDetail::IncomeDropQuarter { .. } => "income_drop_quarter",
                    AlertDetail::IncomeDropYear { .. } => "income_drop_year",
                    _ => "rigid_expense_jump",
                };
                let (message, what_to_do) =
                    crate::tasks::words::alert(&a.detail, |_| String::new());
                warnings.push(IncomeWarning {
                    code: code.into(),
                    message,
                    what_to_do,
                });
            }
        }
        let preview = IncomePreview {
            wage_fen: t.wage_fen,
            business_fen: t.business_fen,
            transfer_fen: t.transfer_fen,
            property_fen: t.property_fen,
            net_fen: t.net_fen,
            net_per_capita_fen: t.net_per_capita_fen,
            line_yuan,
            warnings,
            errors,
        };
        Ok((record, preview))
    }

    /// Live totals and warnings while the form is filled in (nothing is saved).
    pub fn income_preview(&self, input: IncomeInput) -> Result<IncomePreview> {
        let scope = self.scope()?;
        Ok(self.preview_of(&scope, &input)?.1)
    }

    /// Saves the quarter's income (refused whole, with every wrong field, if anything is wrong).
    pub fn income_save(&mut self, input: IncomeInput) -> Result<IncomeSaved> {
        let scope = self.scope()?;
        let (mut record, preview) = self.preview_of(&scope, &input)?;
        if !preview.errors.is_empty() {
            return Err(AppError::Invalid(preview.errors));
        }
        // Lines left at 0 say nothing: they are not kept.
        record.items.retain(|i| i.amount_fen != 0);
        let h = self.household_in_scope(&scope, input.household_id)?;
        let mut areas = Areas::default();
        let path = scope_path(&self.store, &mut areas, &h)?;
        let now = self.now();
        self.store.record_change(
            &Record::IncomeRecord(record.clone()),
            scope.me.id,
            &path,
            epoch_ms(now),
            now,
        )?;
        Ok(IncomeSaved {
            id: record.id,
            preview,
        })
    }
}
