//! bangfu-demo: a deterministic, realistic demo dataset of Xinfeng County (信丰县) — areas, units,
//! cadres, households with members, pairings and a year of records — with the lapses a real
//! county has planted in it, so that every rule of `spec/rules.md` has something to show.
//!
//! Everything is invented (names, ID numbers, phones, amounts); only the county, its 16
//! townships and their division codes are real. The same [`DemoConfig`] always gives the same
//! dataset, byte for byte: one seeded ChaCha8 stream drives everything, and ids are UUIDv7 whose
//! timestamp is the record's own date and whose random bits come from that stream.
//!
//! **Photos and signatures** of the visits are real images: each visit names one or two of the
//! few demo photos and, if signed, one of the demo signatures of [`images`] by their SHA-256.
//! [`demo_images`] gives their bytes, for a server to hold (`bangfu-server demo` stores them).
//!
//! **"Today" of the demo** ([`demo_as_of`]) is December 20 of the demo year. Then Q1–Q3 are
//! history (done, late or overdue), the Q4 visits and December's first-secretary visits are still
//! open, the Q4 income window (Dec 25 – Jan 5) has not opened yet, and the Q4 ledgers (due Dec 31)
//! are open, mostly not yet handed in. A demo for trying the app ends on the day it is made
//! instead ([`DemoConfig::ending_on`]): nothing is dated after that day (but the planted visit
//! of a phone with a wrong clock), and what the year plants after it is left out.
//!
//! **Planted lapses:**
//! - cadres who left during the year (R5): most succeeded the next day by a person put into the
//!   same post; some after a gap of 5–45 days (断档); one (two from 10,000 households) with no
//!   successor yet, while a colleague holds the same post, so R5 proposes that colleague;
//! - lax cadres (8%) who miss about half their quarterly visits (R2/R3); first secretaries who make
//!   60–97% of their monthly and 30–85% of their quarterly visits (R4); one village without a
//!   first secretary from Jun 21 to Jul 5 (rotation);
//! - households that became monitored mid-month this year: those not lifted before wait days or
//!   weeks for a cadre (R6), and one or two have none yet;
//! - contact signs replaced late or not at all (R7);
//! - hazards found on visits (D2), mostly fixed by a later visit, some still open; members found
//!   uninsured in the autumn (open medical risks);
//! - income collected late or not at all (D3), sharp income drops, rigid-expense jumps and
//!   incomes below the monitoring line in the latest quarter; late and missing evaluations (D5);
//! - units without a purchase event (D4), late and missing ledgers (W4);
//! - a visit dated 2036 by a phone with a wrong clock, another one corrected by a new record, a
//!   corrected visit and a corrected income record (W2, corrections).

mod areas;
mod households;
pub mod images;
mod income;
mod members;
mod names;
mod people;
mod plan;
mod texts;
mod util;
mod visits;
mod work;
mod world;

use bangfu_core::{Dataset, MonitoringLine};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

pub use crate::images::{DemoImage, DemoImageKind, demo_images};
use crate::world::{Gen, HouseholdPlan, IncomeStory, Quirk, World};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoConfig {
    /// Number of households (Xinfeng has about 25,000 lifted and monitored households).
    pub households: usize,
    /// Seed of the random stream: the same seed gives the same dataset.
    pub seed: u64,
    /// The demo year: tracking starts on its Jan 1 and "today" is its Dec 20 (unless `today`
    /// says otherwise). 2022–2026 are covered by the holiday calendar.
    pub year: i32,
    /// The demo's last day, when it is not December 20 of `year`: a demo made for trying the app
    /// ends on the day it is made ([`DemoConfig::ending_on`]), so that the app, whose clock says
    /// the same day, shows a realistic present (most work done, a few lapses). Its year is the
    /// demo year (it wins over a `year` that disagrees).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub today: Option<NaiveDate>,
}

impl DemoConfig {
    /// A demo of `households` households (default seed) whose year ends on `today`: its records
    /// run from January 1 of that year (income from the year before) up to `today`.
    pub fn ending_on(today: NaiveDate, households: usize) -> DemoConfig {
        DemoConfig {
            households,
            year: today.year(),
            today: Some(today),
            ..DemoConfig::default()
        }
    }
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            households: 300,
            seed: 2023,
            year: 2025,
            today: None,
        }
    }
}

/// The demo's "today": [`DemoConfig::today`], or else December 20 of the demo year.
pub fn demo_as_of(config: &DemoConfig) -> NaiveDate {
    config
        .today
        .unwrap_or_else(|| util::ymd(config.year, 12, 20))
}

/// The demo monitoring line (yuan per person and year) for `year`, in a demo of `demo_year`.
pub(crate) fn line_yuan(demo_year: i32, year: i32) -> i64 {
    7_500 + 300 * i64::from(year - demo_year)
}

/// Generates the demo dataset.
pub fn generate(config: &DemoConfig) -> Dataset {
    let mut g = Gen::new(config);
    let n = config.households;
    let (county, townships, mut villages) = areas::build(&mut g, n);
    let categories = plan::categories(&mut g, n);
    let village_of = areas::distribute(&mut g, &mut villages, n);
    let plans = categories
        .into_iter()
        .zip(village_of)
        .map(|(category, village)| HouseholdPlan {
            village,
            category,
            cadre: None,
            story: IncomeStory::Normal,
            uninsured: false,
            quirk: Quirk::None,
        })
        .collect();
    let mut world = World {
        county,
        townships,
        villages,
        units: Vec::new(),
        cadres: Vec::new(),
        plans,
    };
    people::build(&mut g, &mut world);
    plan::flags(&mut g, &mut world);
    let household_ids = households::generate_all(&mut g, &world);
    work::unit_records(&mut g, &world, &household_ids);
    let demo_year = g.year;
    for year in demo_year - 1..=demo_year + 1 {
        g.ds.monitoring_lines.push(MonitoringLine {
            year,
            region_code: "360000".to_owned(),
            yuan_per_person: line_yuan(demo_year, year),
            source: "演示数据：江西省防止返贫监测范围（示例）".to_owned(),
        });
    }
    g.ds
}
