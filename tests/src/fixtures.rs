//! A small fake county and the phones that record in it: every phone is a real
//! [`bangfu_store::Store`] that records through [`Store::record_change`] and keeps the operations
//! it made, so that tests can check later that none was lost.
//!
//! All names, numbers and places are made up.

use bangfu_core::sync::Operation;
use bangfu_core::{
    Area, AreaLevel, Check, CheckStatus, Checks, ClassPeriod, Dataset, Household, HouseholdClass,
    IncomeCategory, IncomeItem, IncomeRecord, Person, Post, Quarter, Record, Risk, Role, RoleGrant,
    Settings, Unit, Visit,
};
use bangfu_store::Store;
use chrono::NaiveDate;
use uuid::Uuid;

/// 2025-06-02T00:00:00Z: the simulated "now" where the in-process tests start.
pub const T0_MS: u64 = 1_748_822_400_000;
/// Ten years of milliseconds (365.25-day years).
pub const TEN_YEARS_MS: u64 = 10 * 36_525 * 24 * 3600 * 1000 / 100;

pub const COUNTY_CODE: &str = "990101";
pub const COUNTY: &str = "990101";
pub const TOWNSHIP: &str = "990101/990101100";
pub const VILLAGE: &str = "990101/990101100/990101100201";

pub const COUNTY_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
pub const TOWNSHIP_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
pub const VILLAGE_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0003);
pub const UNIT_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0010);
pub const POST_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0011);

/// The cadre who records on phone `n`.
pub fn cadre_id(n: usize) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_00ca_0000_0000 | n as u128)
}

/// The device id of phone `n`.
pub fn device_id(n: usize) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_00de_0000_0000 | n as u128)
}

/// Seed household `i` (created by phone 0 before anything else).
pub fn seed_household_id(i: usize) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_00f0_0000_0000 | i as u128)
}

/// The scope path of a household's records.
pub fn household_scope(h: Uuid) -> String {
    format!("{VILLAGE}/h:{h}")
}

/// `ms` since the epoch as a China Standard Time timestamp.
pub use bangfu_testkit::at_ms;

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

/// The records every test starts from: county, township, village, a unit with a post, one cadre
/// per phone, and `households` households; each with its scope path, in dependency order.
pub fn seed_records(phones: usize, households: usize) -> Vec<(Record, String)> {
    let mut out = vec![
        (
            Record::Area(Area {
                id: COUNTY_ID,
                code: COUNTY_CODE.to_owned(),
                name: "样例县".to_owned(),
                level: AreaLevel::County,
                parent_id: None,
            }),
            COUNTY.to_owned(),
        ),
        (
            Record::Area(Area {
                id: TOWNSHIP_ID,
                code: "990101100".to_owned(),
                name: "样例镇".to_owned(),
                level: AreaLevel::Township,
                parent_id: Some(COUNTY_ID),
            }),
            TOWNSHIP.to_owned(),
        ),
        (
            Record::Area(Area {
                id: VILLAGE_ID,
                code: "990101100201".to_owned(),
                name: "样例村".to_owned(),
                level: AreaLevel::Village,
                parent_id: Some(TOWNSHIP_ID),
            }),
            VILLAGE.to_owned(),
        ),
        (
            Record::Unit(Unit {
                id: UNIT_ID,
                name: "测试帮扶单位".to_owned(),
            }),
            COUNTY.to_owned(),
        ),
        (
            Record::Post(Post {
                id: POST_ID,
                unit_id: UNIT_ID,
                title: "科员".to_owned(),
            }),
            COUNTY.to_owned(),
        ),
    ];
    for n in 0..phones {
        out.push((
            Record::Person(Person {
                id: cadre_id(n),
                name: format!("测试干部{n}"),
                phone: Some(format!("1380000{:04}", 100 + n)),
                unit_id: Some(UNIT_ID),
                post_id: Some(POST_ID),
                left_on: None,
                roles: vec![RoleGrant {
                    role: Role::Cadre,
                    area_id: None,
                    from: day("2000-01-01"),
                    to: None,
                }],
            }),
            COUNTY.to_owned(),
        ));
    }
    for i in 0..households {
        let h = household(seed_household_id(i), &format!("样例户主{i}"));
        out.push((Record::Household(h), household_scope(seed_household_id(i))));
    }
    out
}

/// A lifted household in the village.
pub fn household(id: Uuid, head_name: &str) -> Household {
    Household {
        id,
        village_id: VILLAGE_ID,
        group: None,
        head_name: head_name.to_owned(),
        address: None,
        phone: None,
        class_history: vec![ClassPeriod {
            from: day("2024-01-01"),
            class: HouseholdClass::Lifted,
            kind: None,
        }],
        risks: Vec::new(),
    }
}

/// A home visit by `visitor` to household `h` at `visited_at_ms`.
pub fn visit(id: Uuid, h: Uuid, visitor: Uuid, visited_at_ms: u64) -> Visit {
    let ok = Check {
        status: CheckStatus::Ok,
        note: None,
    };
    Visit {
        id,
        household_id: h,
        visitor_id: visitor,
        visited_at: at_ms(visited_at_ms),
        place: None,
        present: vec!["户主".to_owned()],
        checks: Checks {
            education: ok.clone(),
            medical: ok.clone(),
            housing: Check {
                status: CheckStatus::Risk,
                note: Some("屋顶漏雨（测试）".to_owned()),
            },
            water: ok,
        },
        policy_talk: vec!["防返贫监测".to_owned()],
        tidiness: None,
        problems: "测试问题".to_owned(),
        measures: "测试措施".to_owned(),
        photos: Vec::new(),
        signature: None,
        corrects: None,
        correction_reason: None,
    }
}

/// A quarter's income of household `h`, collected by `collector` (quarter 1–4 of 2025).
pub fn income_record(
    id: Uuid,
    h: Uuid,
    collector: Uuid,
    quarter: u8,
    wage_fen: i64,
) -> IncomeRecord {
    IncomeRecord {
        id,
        household_id: h,
        period: Quarter {
            year: 2025,
            q: quarter.clamp(1, 4),
        },
        collected_on: day("2025-12-26"),
        collector_id: collector,
        household_size: 3,
        items: vec![IncomeItem {
            category: IncomeCategory::Wage,
            label: "外出务工".to_owned(),
            amount_fen: wage_fen,
        }],
        business_cost_fen: 0,
        insurance_payout_fen: 0,
        out_of_pocket_fen: 0,
        rigid_expense_fen: 0,
        corrects: None,
    }
}

/// A household field the tests edit, with a small pool of values so that phones often write the
/// same field at once (and sometimes the same value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HouseholdField {
    Phone,
    Address,
    HeadName,
    Risks,
    Group,
}

impl HouseholdField {
    pub const ALL: [HouseholdField; 5] = [
        HouseholdField::Phone,
        HouseholdField::Address,
        HouseholdField::HeadName,
        HouseholdField::Risks,
        HouseholdField::Group,
    ];

    /// Sets this field of `h` to value number `pick` of its pool.
    pub fn set(self, h: &mut Household, pick: u8) {
        let i = usize::from(pick);
        match self {
            HouseholdField::Phone => {
                const V: [Option<&str>; 5] = [
                    Some("13800000001"),
                    Some("13800000002"),
                    Some("0797-0000003"),
                    Some("+86 138 0000 0004"),
                    None,
                ];
                h.phone = V[i % V.len()].map(str::to_owned);
            }
            HouseholdField::Address => {
                const V: [Option<&str>; 4] = [
                    Some("样例村一组1号"),
                    Some("样例村二组8号"),
                    Some("镇上安置点3栋"),
                    None,
                ];
                h.address = V[i % V.len()].map(str::to_owned);
            }
            HouseholdField::HeadName => {
                const V: [&str; 3] = ["户主甲", "户主乙", "户主丙"];
                h.head_name = V[i % V.len()].to_owned();
            }
            HouseholdField::Risks => {
                let v: [&[Risk]; 4] = [
                    &[],
                    &[Risk::Illness],
                    &[Risk::Illness, Risk::Disability],
                    &[Risk::Schooling, Risk::Housing, Risk::Other],
                ];
                h.risks = v[i % v.len()].to_vec();
            }
            HouseholdField::Group => {
                const V: [Option<&str>; 3] = [Some("一组"), Some("二组"), None];
                h.group = V[i % V.len()].map(str::to_owned);
            }
        }
    }
}

/// One phone: a real store, the cadre who uses it, how wrong its clock is, and every operation it
/// made.
#[derive(Debug)]
pub struct Phone {
    pub n: usize,
    pub store: Store,
    pub author: Uuid,
    /// Added to the true time to get this phone's wall clock.
    pub skew_ms: i64,
    /// Every operation this phone made, in order.
    pub made: Vec<Operation>,
    /// The device token for the real server (see `ServerProcess::enrol`).
    pub token: Option<bangfu_sync_client::DeviceToken>,
}

impl Phone {
    /// Phone `n` with an in-memory store (settings only) and device id [`device_id`]`(n)`.
    pub fn new(n: usize, skew_ms: i64) -> Phone {
        let store = Store::open_in_memory().expect("open an in-memory store");
        Phone::with_store(n, store, skew_ms)
    }

    /// Phone `n` on `store` (fresh).
    pub fn with_store(n: usize, mut store: Store, skew_ms: i64) -> Phone {
        store
            .save_dataset(&Dataset::empty(Settings::with_tracking_start(day(
                "2024-01-01",
            ))))
            .expect("settings");
        store.init_device(device_id(n)).expect("device id");
        Phone {
            n,
            store,
            author: cadre_id(n),
            skew_ms,
            made: Vec::new(),
            token: None,
        }
    }

    /// This phone's wall clock when the true time is `true_ms`.
    pub fn wall_ms(&self, true_ms: u64) -> u64 {
        true_ms.saturating_add_signed(self.skew_ms)
    }

    /// Records a change at true time `true_ms` (stamped with this phone's wall clock); panics if the
    /// store refuses it. Returns the operation, `None` if nothing changed.
    pub fn record(&mut self, record: &Record, scope: &str, true_ms: u64) -> Option<Operation> {
        let wall = self.wall_ms(true_ms);
        let op = self
            .store
            .record_change(record, self.author, scope, wall, at_ms(wall))
            .unwrap_or_else(|e| panic!("phone {} cannot record {}: {e}", self.n, record.entity()));
        if let Some(op) = &op {
            self.made.push(op.clone());
        }
        op
    }

    /// Settles a conflict (or sets a field) through [`Store::resolve_conflict`] at true time
    /// `true_ms`; panics if the store refuses it.
    pub fn resolve(
        &mut self,
        entity: &str,
        entity_id: Uuid,
        field: &str,
        value: serde_json::Value,
        true_ms: u64,
    ) -> Operation {
        let wall = self.wall_ms(true_ms);
        let op = self
            .store
            .resolve_conflict(
                entity,
                entity_id,
                field,
                value,
                self.author,
                wall,
                at_ms(wall),
            )
            .unwrap_or_else(|e| panic!("phone {} cannot settle {entity_id}.{field}: {e}", self.n));
        self.made.push(op.clone());
        op
    }

    /// Records the seed ([`seed_records`]).
    pub fn record_seed(&mut self, phones: usize, households: usize, true_ms: u64) {
        for (i, (r, scope)) in seed_records(phones, households).iter().enumerate() {
            self.record(r, scope, true_ms + i as u64);
        }
    }

    /// Sets one field of household `h` as shown on this phone; `None` if the phone does not hold
    /// the household or the value is already shown.
    pub fn edit_household(
        &mut self,
        h: Uuid,
        field: HouseholdField,
        pick: u8,
        true_ms: u64,
    ) -> Option<Operation> {
        let mut household = self.store.get_household(h).expect("read household")?;
        field.set(&mut household, pick);
        self.record(&Record::Household(household), &household_scope(h), true_ms)
    }
}
