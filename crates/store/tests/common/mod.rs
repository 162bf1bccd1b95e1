//! Test fixtures of the store: a small dataset with every entity (and every optional field both
//! set and unset somewhere), and a generator of county-sized datasets for timing.
//! Shared by the integration tests and (through `#[path]`) the crate's own unit tests.
#![allow(dead_code)]

use bangfu_core::{
    Area, AreaLevel, Check, CheckStatus, Checks, ClassPeriod, ConsumptionPurchase, Contact,
    ContactChannel, Dataset, Evaluation, EvaluationOutcome, GeoPoint, Household, HouseholdClass,
    IncomeCategory, IncomeItem, IncomeRecord, LabourAbility, LedgerSubmission, Measure,
    MeasureKind, MeasureStatus, MedicalInsurance, Member, MonitoredKind, MonitoringLine, Pairing,
    PairingEndReason, Person, Plan, Post, PurchaseEvent, PurchaseEventKind, Quarter, Risk, Role,
    RoleGrant, SchoolStage, Settings, SignReplacement, Tidiness, Unit, Visit,
};
use chrono::{DateTime, FixedOffset, NaiveDate};
use uuid::Uuid;

pub fn d(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

/// `s` as an RFC 3339 instant.
pub fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("test instant")
}

pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

/// A valid 18-character ID number (GB 11643 checksum) from 17 digits.
pub fn id_number(first17: &str) -> String {
    let mut digits = [0u8; 17];
    digits.copy_from_slice(first17.as_bytes());
    let check = bangfu_core::idnumber::check_char(&digits);
    format!("{first17}{}", char::from(check))
}

fn ok() -> Check {
    Check {
        status: CheckStatus::Ok,
        note: None,
    }
}

pub fn all_ok() -> Checks {
    Checks {
        education: ok(),
        medical: ok(),
        housing: ok(),
        water: ok(),
    }
}

/// Ids of the complete dataset's records that tests refer to.
pub mod ids {
    use super::id;
    use uuid::Uuid;
    pub fn county() -> Uuid {
        id(1)
    }
    pub fn township() -> Uuid {
        id(2)
    }
    pub fn village() -> Uuid {
        id(3)
    }
    pub fn first_secretary() -> Uuid {
        id(20)
    }
    pub fn cadre_a() -> Uuid {
        id(21)
    }
    pub fn cadre_b() -> Uuid {
        id(22)
    }
    pub fn lifted() -> Uuid {
        id(30)
    }
    pub fn monitored() -> Uuid {
        id(31)
    }
    pub fn eliminated() -> Uuid {
        id(32)
    }
    pub fn pairing_lifted() -> Uuid {
        id(50)
    }
    pub fn pairing_ended() -> Uuid {
        id(51)
    }
    pub fn pairing_successor() -> Uuid {
        id(52)
    }
    pub fn visit_full() -> Uuid {
        id(60)
    }
}

/// A small dataset with every entity at least once.
pub fn complete_dataset() -> Dataset {
    let mut ds = Dataset::empty(Settings::with_tracking_start(d("2024-01-01")));
    ds.settings.income_drop_percent = 25;
    let area = |n, code: &str, name: &str, level, parent| Area {
        id: id(n),
        code: code.into(),
        name: name.into(),
        level,
        parent_id: parent,
    };
    ds.areas = vec![
        area(1, "360722", "信丰县", AreaLevel::County, None),
        area(2, "360722100", "嘉定镇", AreaLevel::Township, Some(id(1))),
        area(3, "360722100201", "龙舌村", AreaLevel::Village, Some(id(2))),
        area(4, "360722100201001", "上组", AreaLevel::Group, Some(id(3))),
    ];
    ds.units = vec![
        Unit {
            id: id(10),
            name: "县财政局".into(),
        },
        Unit {
            id: id(11),
            name: "县农业农村局".into(),
        },
    ];
    ds.posts = vec![
        Post {
            id: id(12),
            unit_id: id(10),
            title: "科员".into(),
        },
        Post {
            id: id(13),
            unit_id: id(11),
            title: "副局长".into(),
        },
    ];
    let grant = |role, area_id, from: &str, to: Option<&str>| RoleGrant {
        role,
        area_id,
        from: d(from),
        to: to.map(d),
    };
    ds.people = vec![
        Person {
            id: id(20),
            name: "李书记".into(),
            phone: Some("13800000001".into()),
            unit_id: Some(id(11)),
            post_id: Some(id(13)),
            left_on: None,
            roles: vec![
                grant(
                    Role::TeamMember,
                    Some(id(3)),
                    "2021-01-01",
                    Some("2021-12-31"),
                ),
                grant(Role::FirstSecretary, Some(id(3)), "2022-01-01", None),
            ],
        },
        Person {
            id: id(21),
            name: "王干部".into(),
            phone: Some("13800000002".into()),
            unit_id: Some(id(10)),
            post_id: Some(id(12)),
            left_on: None,
            roles: vec![grant(Role::Cadre, None, "2020-01-01", None)],
        },
        Person {
            id: id(22),
            name: "张干部".into(),
            phone: None,
            unit_id: Some(id(10)),
            post_id: Some(id(12)),
            left_on: Some(d("2024-05-31")),
            roles: vec![grant(Role::Cadre, None, "2020-01-01", Some("2024-05-31"))],
        },
        Person {
            id: id(23),
            name: "站长".into(),
            phone: None,
            unit_id: None,
            post_id: None,
            left_on: None,
            roles: vec![grant(
                Role::TownshipStation,
                Some(id(2)),
                "2020-01-01",
                None,
            )],
        },
        Person {
            id: id(24),
            name: "县办".into(),
            phone: None,
            unit_id: Some(id(11)),
            post_id: None,
            left_on: None,
            roles: vec![
                grant(Role::CountyOffice, Some(id(1)), "2020-01-01", None),
                grant(Role::UnitAdmin, None, "2020-01-01", None),
            ],
        },
    ];
    let period = |from: &str, class, kind| ClassPeriod {
        from: d(from),
        class,
        kind,
    };
    ds.households = vec![
        Household {
            id: id(30),
            village_id: id(3),
            group: Some("上组".into()),
            head_name: "赵大".into(),
            address: Some("龙舌村上组 8 号".into()),
            phone: Some("13900000001".into()),
            class_history: vec![period("2016-01-01", HouseholdClass::Lifted, None)],
            risks: Vec::new(),
        },
        Household {
            id: id(31),
            village_id: id(3),
            group: None,
            head_name: "钱二".into(),
            address: None,
            phone: None,
            class_history: vec![
                period("2016-01-01", HouseholdClass::Lifted, None),
                period(
                    "2023-06-01",
                    HouseholdClass::Monitored,
                    Some(MonitoredKind::UnstableLifted),
                ),
            ],
            risks: vec![Risk::Illness, Risk::Schooling],
        },
        Household {
            id: id(32),
            village_id: id(3),
            group: None,
            head_name: "孙三".into(),
            address: None,
            phone: None,
            class_history: vec![
                period(
                    "2022-03-01",
                    HouseholdClass::Monitored,
                    Some(MonitoredKind::SuddenHardship),
                ),
                period(
                    "2024-03-01",
                    HouseholdClass::RiskEliminated,
                    Some(MonitoredKind::SuddenHardship),
                ),
            ],
            risks: vec![Risk::Disaster],
        },
    ];
    ds.members = vec![
        Member {
            id: id(40),
            household_id: id(30),
            name: "赵大".into(),
            relation: "户主".into(),
            id_number: id_number("36072219650312001"),
            labour: LabourAbility::Able,
            school_stage: SchoolStage::NotInSchool,
            medical_insurance: MedicalInsurance::Resident,
        },
        Member {
            id: id(41),
            household_id: id(31),
            name: "钱小妹".into(),
            relation: "之女".into(),
            id_number: id_number("36072220120808002"),
            labour: LabourAbility::None,
            school_stage: SchoolStage::Primary,
            medical_insurance: MedicalInsurance::Resident,
        },
    ];
    ds.pairings = vec![
        Pairing {
            id: id(50),
            household_id: id(30),
            cadre_id: id(21),
            start: d("2021-01-01"),
            end: None,
            end_reason: None,
            successor_id: None,
            arranged_by: None,
        },
        Pairing {
            id: id(51),
            household_id: id(31),
            cadre_id: id(22),
            start: d("2021-01-01"),
            end: Some(d("2024-05-31")),
            end_reason: Some(PairingEndReason::Resignation),
            successor_id: Some(id(21)),
            arranged_by: None,
        },
        Pairing {
            id: id(52),
            household_id: id(31),
            cadre_id: id(21),
            start: d("2024-06-01"),
            end: None,
            end_reason: None,
            successor_id: None,
            arranged_by: Some(id(20)),
        },
    ];
    ds.visits = vec![
        Visit {
            id: id(60),
            household_id: id(31),
            visitor_id: id(21),
            visited_at: at("2024-06-12T10:30:00+08:00"),
            place: Some(GeoPoint {
                lat: 25.386_7,
                lon: 114.922_3,
            }),
            present: vec!["钱二".into(), "钱小妹".into()],
            checks: Checks {
                medical: Check {
                    status: CheckStatus::Risk,
                    note: Some("慢病卡未办".into()),
                },
                ..all_ok()
            },
            policy_talk: vec!["医保政策".into(), "感恩教育, \"双引号\"".into()],
            tidiness: Some(Tidiness {
                yard: true,
                rooms: true,
                kitchen: false,
                toilet: true,
                person: true,
                arrangement: false,
            }),
            problems: "慢病卡未办理".into(),
            measures: "联系乡卫生院办理".into(),
            photos: vec!["a".repeat(64), "b".repeat(64)],
            signature: Some("c".repeat(64)),
            corrects: None,
            correction_reason: None,
        },
        Visit {
            id: id(61),
            household_id: id(30),
            visitor_id: id(20),
            visited_at: at("2024-04-02T08:00:00+08:00"),
            place: None,
            present: Vec::new(),
            checks: all_ok(),
            policy_talk: Vec::new(),
            tidiness: None,
            problems: String::new(),
            measures: String::new(),
            photos: Vec::new(),
            signature: None,
            corrects: None,
            correction_reason: None,
        },
        Visit {
            id: id(62),
            household_id: id(31),
            visitor_id: id(21),
            // A correction recorded on a phone whose clock ran in another offset, to the nanosecond.
            visited_at: at("2024-06-12T02:30:00.123456789+00:00"),
            place: None,
            present: vec!["钱二".into()],
            checks: Checks {
                medical: Check {
                    status: CheckStatus::Risk,
                    note: Some("慢病卡未办，已申请".into()),
                },
                ..all_ok()
            },
            policy_talk: Vec::new(),
            tidiness: None,
            problems: "慢病卡未办理".into(),
            measures: String::new(),
            photos: Vec::new(),
            correction_reason: Some("补录慢病卡未办理".into()),
            signature: None,
            corrects: Some(id(60)),
        },
    ];
    ds.contacts = vec![
        Contact {
            id: id(70),
            household_id: id(30),
            person_id: id(21),
            at: at("2024-05-01T19:00:00+08:00"),
            channel: ContactChannel::Phone,
            note: "询问近况".into(),
            corrects: None,
        },
        Contact {
            id: id(71),
            household_id: id(30),
            person_id: id(21),
            at: at("2024-05-01T19:05:00+08:00"),
            channel: ContactChannel::SocialMedia,
            note: String::new(),
            corrects: Some(id(70)),
        },
    ];
    let item = |category, label: &str, amount_fen| IncomeItem {
        category,
        label: label.into(),
        amount_fen,
    };
    ds.income_records = vec![
        IncomeRecord {
            id: id(80),
            household_id: id(31),
            period: Quarter::new(2024, 2).expect("quarter"),
            collected_on: d("2024-06-27"),
            collector_id: id(21),
            household_size: 3,
            items: vec![
                item(IncomeCategory::Wage, "外出务工", 1_800_000),
                item(IncomeCategory::Transfer, "低保", 120_000),
                item(IncomeCategory::Property, "光伏分红", 0),
            ],
            business_cost_fen: 10_000,
            insurance_payout_fen: 0,
            out_of_pocket_fen: 35_000,
            rigid_expense_fen: 200_000,
            corrects: None,
        },
        IncomeRecord {
            id: id(81),
            household_id: id(31),
            period: Quarter::new(2024, 2).expect("quarter"),
            collected_on: d("2024-07-03"),
            collector_id: id(21),
            household_size: 3,
            items: vec![item(IncomeCategory::Business, "养鸡", 300_000)],
            business_cost_fen: 0,
            insurance_payout_fen: 50_000,
            out_of_pocket_fen: 0,
            rigid_expense_fen: 0,
            corrects: Some(id(80)),
        },
    ];
    ds.evaluations = vec![
        Evaluation {
            id: id(90),
            household_id: id(31),
            period: Quarter::new(2024, 2).expect("quarter"),
            evaluated_on: d("2024-06-28"),
            evaluator_id: id(20),
            income_above_line: true,
            guarantees_consolidated: false,
            risk_eliminated: false,
            outcome: EvaluationOutcome::Strengthen,
            note: "医疗保障待巩固".into(),
            corrects: None,
        },
        Evaluation {
            id: id(91),
            household_id: id(31),
            period: Quarter::new(2024, 2).expect("quarter"),
            evaluated_on: d("2024-06-29"),
            evaluator_id: id(20),
            income_above_line: true,
            guarantees_consolidated: true,
            risk_eliminated: false,
            outcome: EvaluationOutcome::Continue,
            note: String::new(),
            corrects: Some(id(90)),
        },
    ];
    ds.plans = vec![Plan {
        id: id(100),
        household_id: id(31),
        created_on: d("2023-06-10"),
        risks: vec![Risk::Illness, Risk::Schooling],
        note: "缺什么补什么".into(),
        recorded_by: id(20),
    }];
    ds.measures = vec![
        Measure {
            id: id(110),
            household_id: id(31),
            plan_id: Some(id(100)),
            kind: MeasureKind::Health,
            started_on: d("2023-06-15"),
            status: MeasureStatus::InProgress,
            description: "家庭医生签约".into(),
            recorded_by: id(21),
        },
        Measure {
            id: id(111),
            household_id: id(30),
            plan_id: None,
            kind: MeasureKind::PublicWelfarePost,
            started_on: d("2022-01-01"),
            status: MeasureStatus::Done,
            description: String::new(),
            recorded_by: id(21),
        },
    ];
    ds.consumption_purchases = vec![
        ConsumptionPurchase {
            id: id(120),
            unit_id: id(10),
            purchased_on: d("2024-02-01"),
            description: "食堂采购脐橙".into(),
            amount_fen: 1_250_000,
            household_id: Some(id(30)),
        },
        ConsumptionPurchase {
            id: id(121),
            unit_id: id(11),
            purchased_on: d("2024-09-10"),
            description: "工会福利".into(),
            amount_fen: 800_000,
            household_id: None,
        },
    ];
    ds.purchase_events = vec![PurchaseEvent {
        id: id(130),
        unit_id: id(10),
        held_on: d("2024-10-15"),
        kind: PurchaseEventKind::Matching,
        title: "产销对接会".into(),
    }];
    ds.sign_replacements = vec![SignReplacement {
        id: id(140),
        household_id: id(31),
        pairing_id: id(52),
        replaced_on: d("2024-06-05"),
        recorded_by: id(21),
    }];
    ds.ledger_submissions = vec![LedgerSubmission {
        id: id(150),
        unit_id: id(10),
        period: Quarter::new(2024, 2).expect("quarter"),
        submitted_on: d("2024-07-08"),
    }];
    ds.monitoring_lines = vec![
        MonitoringLine {
            year: 2024,
            region_code: "360000".into(),
            yuan_per_person: 7_300,
            source: "赣乡振发〔2024〕1号".into(),
        },
        MonitoringLine {
            year: 2024,
            region_code: "CN".into(),
            yuan_per_person: 6_000,
            source: "national floor".into(),
        },
    ];
    ds
}

/// A new visit to `household` by `visitor`, not yet in any store.
pub fn new_visit(n: u128, household: Uuid, visitor: Uuid, when: &str) -> Visit {
    Visit {
        id: id(n),
        household_id: household,
        visitor_id: visitor,
        visited_at: at(when),
        place: None,
        present: vec!["户主".into()],
        checks: all_ok(),
        policy_talk: vec!["政策宣传".into()],
        tidiness: None,
        problems: String::new(),
        measures: String::new(),
        photos: vec!["d".repeat(64)],
        signature: Some("e".repeat(64)),
        corrects: None,
        correction_reason: None,
    }
}

/// The `n`th of a series of distinct valid ID numbers.
pub fn unique_id_number(n: usize) -> String {
    let born = d("1950-01-01") + chrono::Days::new((n / 1000) as u64);
    id_number(&format!("360722{}{:03}", born.format("%Y%m%d"), n % 1000))
}

/// A county-sized dataset: `households` households in villages of 250, 4 members each, one cadre
/// per 6 households, every household paired, `visits_per_household` visits each, and a quarter of
/// the households monitored with four income records.
pub fn county(households: usize, visits_per_household: usize) -> Dataset {
    let mut ds = Dataset::empty(Settings::with_tracking_start(d("2024-01-01")));
    let mut next: u128 = 1_000_000;
    let mut fresh = || {
        next += 1;
        id(next)
    };
    let county = fresh();
    ds.areas.push(Area {
        id: county,
        code: "360722".into(),
        name: "信丰县".into(),
        level: AreaLevel::County,
        parent_id: None,
    });
    let unit = fresh();
    ds.units.push(Unit {
        id: unit,
        name: "县财政局".into(),
    });
    let post = fresh();
    ds.posts.push(Post {
        id: post,
        unit_id: unit,
        title: "科员".into(),
    });
    let mut township = county;
    let mut village = county;
    let mut cadre = county;
    let tz = FixedOffset::east_opt(8 * 3600).expect("offset");
    for h in 0..households {
        if h % 5000 == 0 {
            township = fresh();
            ds.areas.push(Area {
                id: township,
                code: format!("360722{:03}", 100 + h / 5000),
                name: format!("第{}镇", h / 5000),
                level: AreaLevel::Township,
                parent_id: Some(county),
            });
        }
        if h % 250 == 0 {
            village = fresh();
            ds.areas.push(Area {
                id: village,
                code: format!("360722{:03}{:03}", 100 + h / 5000, 201 + (h % 5000) / 250),
                name: format!("第{}村", h / 250),
                level: AreaLevel::Village,
                parent_id: Some(township),
            });
        }
        if h % 6 == 0 {
            cadre = fresh();
            ds.people.push(Person {
                id: cadre,
                name: format!("干部{h}"),
                phone: Some("13800000000".into()),
                unit_id: Some(unit),
                post_id: Some(post),
                left_on: None,
                roles: vec![RoleGrant {
                    role: Role::Cadre,
                    area_id: None,
                    from: d("2020-01-01"),
                    to: None,
                }],
            });
        }
        let monitored = h % 4 == 0;
        let household = fresh();
        ds.households.push(Household {
            id: household,
            village_id: village,
            group: Some(format!("{}组", h % 7 + 1)),
            head_name: format!("户主{h}"),
            address: Some(format!("第{}村{}号", h / 250, h % 250)),
            phone: None,
            class_history: if monitored {
                vec![
                    ClassPeriod {
                        from: d("2016-01-01"),
                        class: HouseholdClass::Lifted,
                        kind: None,
                    },
                    ClassPeriod {
                        from: d("2023-03-01"),
                        class: HouseholdClass::Monitored,
                        kind: Some(MonitoredKind::UnstableLifted),
                    },
                ]
            } else {
                vec![ClassPeriod {
                    from: d("2016-01-01"),
                    class: HouseholdClass::Lifted,
                    kind: None,
                }]
            },
            risks: if monitored {
                vec![Risk::Illness]
            } else {
                Vec::new()
            },
        });
        for m in 0..4 {
            ds.members.push(Member {
                id: fresh(),
                household_id: household,
                name: format!("成员{m}"),
                relation: if m == 0 { "户主" } else { "之子" }.into(),
                id_number: unique_id_number(h * 4 + m),
                labour: LabourAbility::Able,
                school_stage: SchoolStage::NotInSchool,
                medical_insurance: MedicalInsurance::Resident,
            });
        }
        ds.pairings.push(Pairing {
            id: fresh(),
            household_id: household,
            cadre_id: cadre,
            start: d("2021-01-01"),
            end: None,
            end_reason: None,
            successor_id: None,
            arranged_by: None,
        });
        for v in 0..visits_per_household {
            let day = d("2024-01-05") + chrono::Days::new((v * 40 + h % 30) as u64);
            let visited_at = day
                .and_hms_opt(9 + (v % 8) as u32, 15, 0)
                .expect("time")
                .and_local_timezone(tz)
                .single()
                .expect("instant");
            let visit = fresh();
            ds.visits.push(Visit {
                id: visit,
                household_id: household,
                visitor_id: cadre,
                visited_at,
                place: Some(GeoPoint {
                    lat: 25.38,
                    lon: 114.92,
                }),
                present: vec![format!("户主{h}")],
                checks: all_ok(),
                policy_talk: vec!["医保政策".into()],
                tidiness: (v % 2 == 0).then_some(Tidiness {
                    yard: true,
                    rooms: true,
                    kitchen: true,
                    toilet: true,
                    person: true,
                    arrangement: true,
                }),
                problems: String::new(),
                measures: "继续帮扶".into(),
                photos: vec![format!("{:064x}", visit.as_u128())],
                signature: Some(format!("{:064x}", visit.as_u128() + 1)),
                corrects: None,
                correction_reason: None,
            });
        }
        if monitored {
            for q in 1..=4u8 {
                let period = Quarter::new(2024, q).expect("quarter");
                ds.income_records.push(IncomeRecord {
                    id: fresh(),
                    household_id: household,
                    period,
                    collected_on: period.income_window().0,
                    collector_id: cadre,
                    household_size: 4,
                    items: vec![
                        IncomeItem {
                            category: IncomeCategory::Wage,
                            label: "务工".into(),
                            amount_fen: 1_500_000,
                        },
                        IncomeItem {
                            category: IncomeCategory::Transfer,
                            label: "低保".into(),
                            amount_fen: 100_000,
                        },
                    ],
                    business_cost_fen: 0,
                    insurance_payout_fen: 0,
                    out_of_pocket_fen: 0,
                    rigid_expense_fen: 0,
                    corrects: None,
                });
            }
        }
    }
    ds
}
