//! Income maths (D3): net income and per-capita net income from an [`IncomeRecord`].

use crate::model::income::{Fen, IncomeCategory, IncomeRecord};

/// Totals of one income record, all in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct IncomeTotals {
    pub wage_fen: Fen,
    pub business_fen: Fen,
    pub transfer_fen: Fen,
    pub property_fen: Fen,
    /// 家庭纯收入 = wage + business + transfer + property − business_cost.
    pub net_fen: Fen,
    /// 人均纯收入 = net ÷ household size, rounded toward zero (to the fen).
    pub net_per_capita_fen: Fen,
}

impl IncomeTotals {
    /// Computes the totals. A household size of 0 (refused by validation) yields a per-capita of 0
    /// rather than a division by zero.
    pub fn of(record: &IncomeRecord) -> IncomeTotals {
        let mut t = IncomeTotals::default();
        for item in &record.items {
            let slot = match item.category {
                IncomeCategory::Wage => &mut t.wage_fen,
                IncomeCategory::Business => &mut t.business_fen,
                IncomeCategory::Transfer => &mut t.transfer_fen,
                IncomeCategory::Property => &mut t.property_fen,
            };
            *slot = slot.saturating_add(item.amount_fen);
        }
        t.net_fen = t
            .wage_fen
            .saturating_add(t.business_fen)
            .saturating_add(t.transfer_fen)
            .saturating_add(t.property_fen)
            .saturating_sub(record.business_cost_fen);
        t.net_per_capita_fen = match record.household_size {
            0 => 0,
            n => t.net_fen / i64::from(n),
        };
        t
    }
}

/// Converts whole yuan to fen.
pub fn yuan_to_fen(yuan: i64) -> Fen {
    yuan.saturating_mul(100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Quarter;
    use crate::model::income::IncomeItem;
    use uuid::Uuid;

    fn record(items: &[(IncomeCategory, Fen)], cost: Fen, size: u32) -> IncomeRecord {
        IncomeRecord {
            id: Uuid::nil(),
            household_id: Uuid::nil(),
            period: Quarter { year: 2024, q: 1 },
            collected_on: "2024-03-26".parse().expect("date"),
            collector_id: Uuid::nil(),
            household_size: size,
            items: items
                .iter()
                .map(|&(category, amount_fen)| IncomeItem {
                    category,
                    label: String::new(),
                    amount_fen,
                })
                .collect(),
            business_cost_fen: cost,
            insurance_payout_fen: 0,
            out_of_pocket_fen: 0,
            rigid_expense_fen: 0,
            corrects: None,
        }
    }

    #[test]
    fn d3_net_and_per_capita_income_from_four_categories() {
        use IncomeCategory::*;
        let r = record(
            &[
                (Wage, 1_200_000),
                (Wage, 300_000),
                (Business, 500_000),
                (Transfer, 150_000),
                (Property, 50_000),
            ],
            200_000,
            4,
        );
        let t = IncomeTotals::of(&r);
        assert_eq!(t.wage_fen, 1_500_000);
        assert_eq!(t.net_fen, 2_000_000);
        assert_eq!(t.net_per_capita_fen, 500_000);
    }

    #[test]
    fn d3_per_capita_rounds_toward_zero_and_survives_zero_size() {
        let r = record(&[(IncomeCategory::Wage, 1_000)], 0, 3);
        assert_eq!(IncomeTotals::of(&r).net_per_capita_fen, 333);
        let r0 = record(&[(IncomeCategory::Wage, 1_000)], 0, 0);
        assert_eq!(IncomeTotals::of(&r0).net_per_capita_fen, 0);
    }
}
