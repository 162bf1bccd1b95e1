//! Test fixtures for the rules: a tiny county built in a few lines. Test-only.

use chrono::{DateTime, FixedOffset, NaiveDate};
use uuid::Uuid;

use crate::calendar::Quarter;
use crate::model::area::{Area, AreaLevel, Person, Post, Role, RoleGrant, Unit};
use crate::model::dataset::{Dataset, Settings};
use crate::model::household::{ClassPeriod, Household, HouseholdClass, MonitoredKind, Pairing};
use crate::model::income::{IncomeCategory, IncomeItem, IncomeRecord, MonitoringLine};
use crate::model::visit::{Check, CheckStatus, Checks, Visit};

/// Parses `YYYY-MM-DD`; panics on a typo in a test.
pub fn d(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

/// Noon at UTC+8 on `day`.
pub fn noon(day: NaiveDate) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("offset");
    day.and_hms_opt(12, 0, 0)
        .expect("time")
        .and_local_timezone(tz)
        .single()
        .expect("unambiguous")
}

/// A county with one township and one village, one unit with one post, a first secretary of the
/// village and the ids of everything, ready for households and records.
pub struct Fixture {
    pub ds: Dataset,
    next: u128,
    pub county: Uuid,
    pub township: Uuid,
    pub village: Uuid,
    pub unit: Uuid,
    pub post: Uuid,
    pub first_secretary: Uuid,
}

impl Fixture {
    /// Tracking starts on 2024-01-01.
    pub fn new() -> Self {
        let mut f = Fixture {
            ds: Dataset::empty(Settings::with_tracking_start(d("2024-01-01"))),
            next: 1,
            county: Uuid::nil(),
            township: Uuid::nil(),
            village: Uuid::nil(),
            unit: Uuid::nil(),
            post: Uuid::nil(),
            first_secretary: Uuid::nil(),
        };
        f.county = f.area("360722", "信丰县", AreaLevel::County, None);
        f.township = f.area("360722100", "嘉定镇", AreaLevel::Township, Some(f.county));
        f.village = f.area(
            "360722100201",
            "龙舌村",
            AreaLevel::Village,
            Some(f.township),
        );
        f.unit = f.id();
        f.ds.units.push(Unit {
            id: f.unit,
            name: "县财政局".into(),
        });
        f.post = f.id();
        f.ds.posts.push(Post {
            id: f.post,
            unit_id: f.unit,
            title: "科员".into(),
        });
        let fs = f.person(
            "第一书记",
            Role::FirstSecretary,
            Some(f.village),
            d("2020-01-01"),
        );
        f.first_secretary = fs;
        f.ds.monitoring_lines.push(MonitoringLine {
            year: 2024,
            region_code: "360000".into(),
            yuan_per_person: 7_000,
            source: "test".into(),
        });
        f
    }

    /// A fresh, deterministic id.
    pub fn id(&mut self) -> Uuid {
        self.next += 1;
        Uuid::from_u128(self.next)
    }

    pub fn area(&mut self, code: &str, name: &str, level: AreaLevel, parent: Option<Uuid>) -> Uuid {
        let id = self.id();
        self.ds.areas.push(Area {
            id,
            code: code.into(),
            name: name.into(),
            level,
            parent_id: parent,
        });
        id
    }

    /// A person of the fixture's unit and post holding `role` from `from`.
    pub fn person(&mut self, name: &str, role: Role, area: Option<Uuid>, from: NaiveDate) -> Uuid {
        let id = self.id();
        self.ds.people.push(Person {
            id,
            name: name.into(),
            phone: None,
            unit_id: Some(self.unit),
            post_id: Some(self.post),
            left_on: None,
            roles: vec![RoleGrant {
                role,
                area_id: area,
                from,
                to: None,
            }],
        });
        id
    }

    /// A cadre of the fixture's unit and post, serving since 2020.
    pub fn cadre(&mut self, name: &str) -> Uuid {
        self.person(name, Role::Cadre, None, d("2020-01-01"))
    }

    /// A household of the village with one class period from `from`.
    pub fn household(
        &mut self,
        class: HouseholdClass,
        kind: Option<MonitoredKind>,
        from: NaiveDate,
    ) -> Uuid {
        let id = self.id();
        self.ds.households.push(Household {
            id,
            village_id: self.village,
            group: None,
            head_name: "户主".into(),
            address: None,
            phone: None,
            class_history: vec![ClassPeriod { from, class, kind }],
            risks: Vec::new(),
        });
        id
    }

    /// A 脱贫户 since 2021.
    pub fn lifted(&mut self) -> Uuid {
        self.household(HouseholdClass::Lifted, None, d("2021-01-01"))
    }

    /// A 监测对象 (边缘易致贫户) since 2021.
    pub fn monitored(&mut self) -> Uuid {
        self.household(
            HouseholdClass::Monitored,
            Some(MonitoredKind::Marginal),
            d("2021-01-01"),
        )
    }

    /// Appends a class period to a household's history.
    pub fn reclass(
        &mut self,
        household: Uuid,
        from: NaiveDate,
        class: HouseholdClass,
        kind: Option<MonitoredKind>,
    ) {
        if let Some(h) = self.ds.households.iter_mut().find(|h| h.id == household) {
            h.class_history.push(ClassPeriod { from, class, kind });
        }
    }

    pub fn pair(
        &mut self,
        household: Uuid,
        cadre: Uuid,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) -> Uuid {
        let id = self.id();
        self.ds.pairings.push(Pairing {
            id,
            household_id: household,
            cadre_id: cadre,
            start,
            end,
            end_reason: None,
            successor_id: None,
            arranged_by: None,
        });
        id
    }

    /// An in-person visit at noon on `day` with all four checks ok.
    pub fn visit(&mut self, household: Uuid, visitor: Uuid, day: NaiveDate) -> Uuid {
        let id = self.id();
        let ok = || Check {
            status: CheckStatus::Ok,
            note: None,
        };
        self.ds.visits.push(Visit {
            id,
            household_id: household,
            visitor_id: visitor,
            visited_at: noon(day),
            place: None,
            present: vec!["户主".into()],
            checks: Checks {
                education: ok(),
                medical: ok(),
                housing: ok(),
                water: ok(),
            },
            policy_talk: Vec::new(),
            tidiness: None,
            problems: String::new(),
            measures: String::new(),
            photos: Vec::new(),
            signature: None,
            corrects: None,
            correction_reason: None,
        });
        id
    }

    /// The last visit added, to adjust its checks.
    pub fn last_visit(&mut self) -> &mut Visit {
        self.ds.visits.last_mut().expect("a visit was added")
    }

    /// An income record for `period` with one wage item of `net_fen` and `size` people.
    pub fn income(
        &mut self,
        household: Uuid,
        collector: Uuid,
        period: Quarter,
        collected_on: NaiveDate,
        net_fen: i64,
        size: u32,
    ) -> Uuid {
        let id = self.id();
        self.ds.income_records.push(IncomeRecord {
            id,
            household_id: household,
            period,
            collected_on,
            collector_id: collector,
            household_size: size,
            items: vec![IncomeItem {
                category: IncomeCategory::Wage,
                label: "务工".into(),
                amount_fen: net_fen,
            }],
            business_cost_fen: 0,
            insurance_payout_fen: 0,
            out_of_pocket_fen: 0,
            rigid_expense_fen: 0,
            corrects: None,
        });
        id
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}
