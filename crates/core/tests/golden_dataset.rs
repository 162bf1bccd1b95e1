//! Freezes the dataset JSON (format `bangfu-dataset`, version 1): a dataset holding every entity
//! must serialise to exactly `tests/golden/dataset-v1.json`, and that file must parse back to the
//! same dataset and pass validation. Changing the format is a versioned act: bump
//! `DATASET_VERSION`, add a new golden file, and describe the change in `docs/dataset.md`.
//! Regenerate (only for a deliberate change) with `UPDATE_GOLDEN=1 cargo test -p bangfu-core --test golden_dataset`.

use bangfu_core::*;
use chrono::{FixedOffset, NaiveDate, TimeZone};
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

fn every_entity() -> Dataset {
    let mut ds = Dataset::empty(Settings::with_tracking_start(d("2025-01-01")));
    let (county, township, village) = (id(1), id(2), id(3));
    ds.areas = vec![
        Area {
            id: county,
            code: "360722".into(),
            name: "信丰县".into(),
            level: AreaLevel::County,
            parent_id: None,
        },
        Area {
            id: township,
            code: "360722100".into(),
            name: "嘉定镇".into(),
            level: AreaLevel::Township,
            parent_id: Some(county),
        },
        Area {
            id: village,
            code: "360722100201".into(),
            name: "龙舌村".into(),
            level: AreaLevel::Village,
            parent_id: Some(township),
        },
    ];
    let (unit, post) = (id(10), id(11));
    ds.units = vec![Unit {
        id: unit,
        name: "县财政局".into(),
    }];
    ds.posts = vec![Post {
        id: post,
        unit_id: unit,
        title: "科员".into(),
    }];
    let (cadre, fs) = (id(20), id(21));
    ds.people = vec![
        Person {
            id: cadre,
            name: "张伟".into(),
            phone: Some("13800000000".into()),
            unit_id: Some(unit),
            post_id: Some(post),
            left_on: None,
            roles: vec![RoleGrant {
                role: Role::Cadre,
                area_id: None,
                from: d("2021-01-01"),
                to: None,
            }],
        },
        Person {
            id: fs,
            name: "李娜".into(),
            phone: None,
            unit_id: Some(unit),
            post_id: None,
            left_on: None,
            roles: vec![RoleGrant {
                role: Role::FirstSecretary,
                area_id: Some(village),
                from: d("2024-06-01"),
                to: Some(d("2026-05-31")),
            }],
        },
    ];
    let hh = id(30);
    ds.households = vec![Household {
        id: hh,
        village_id: village,
        group: Some("3组".into()),
        head_name: "王建国".into(),
        address: Some("龙舌村3组12号".into()),
        phone: None,
        class_history: vec![
            ClassPeriod {
                from: d("2021-01-01"),
                class: HouseholdClass::Lifted,
                kind: None,
            },
            ClassPeriod {
                from: d("2025-03-14"),
                class: HouseholdClass::Monitored,
                kind: Some(MonitoredKind::UnstableLifted),
            },
        ],
        risks: vec![Risk::Illness, Risk::LackOfLabour],
    }];
    ds.members = vec![Member {
        id: id(31),
        household_id: hh,
        name: "王建国".into(),
        relation: "户主".into(),
        id_number: "11010519491231002X".into(),
        labour: LabourAbility::Weak,
        school_stage: SchoolStage::NotInSchool,
        medical_insurance: MedicalInsurance::Resident,
    }];
    ds.pairings = vec![Pairing {
        id: id(40),
        household_id: hh,
        cadre_id: cadre,
        start: d("2021-03-01"),
        end: None,
        end_reason: None,
        successor_id: None,
        arranged_by: Some(fs),
    }];
    let tz = FixedOffset::east_opt(8 * 3600).expect("tz");
    let ok = Check {
        status: CheckStatus::Ok,
        note: None,
    };
    ds.visits = vec![Visit {
        id: id(50),
        household_id: hh,
        visitor_id: cadre,
        visited_at: tz
            .with_ymd_and_hms(2025, 3, 20, 10, 30, 0)
            .single()
            .expect("time"),
        place: Some(GeoPoint {
            lat: 25.386,
            lon: 114.922,
        }),
        present: vec!["王建国".into()],
        checks: Checks {
            education: ok.clone(),
            medical: ok.clone(),
            housing: Check {
                status: CheckStatus::Risk,
                note: Some("房屋漏雨，屋面需修缮".into()),
            },
            water: ok,
        },
        policy_talk: vec!["医疗保障政策".into()],
        tidiness: Some(Tidiness {
            yard: true,
            rooms: true,
            kitchen: true,
            toilet: false,
            person: true,
            arrangement: true,
        }),
        problems: "屋面漏雨".into(),
        measures: "联系镇住房安全保障专班".into(),
        photos: vec!["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into()],
        signature: Some("60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752".into()),
        corrects: None,
        correction_reason: None,
    }];
    // A correction of that visit (its reason says what was wrong).
    let mut fixed = ds.visits[0].clone();
    fixed.id = id(56);
    fixed.problems = "屋面漏雨，东墙开裂".into();
    fixed.corrects = Some(id(50));
    fixed.correction_reason = Some("漏记了东墙开裂".into());
    ds.visits.push(fixed);
    ds.contacts = vec![Contact {
        id: id(51),
        household_id: hh,
        person_id: cadre,
        at: tz
            .with_ymd_and_hms(2025, 4, 2, 19, 5, 0)
            .single()
            .expect("time"),
        channel: ContactChannel::Phone,
        note: "询问病情".into(),
        corrects: None,
    }];
    ds.income_records = vec![IncomeRecord {
        id: id(60),
        household_id: hh,
        period: Quarter { year: 2025, q: 1 },
        collected_on: d("2025-03-28"),
        collector_id: cadre,
        household_size: 3,
        items: vec![
            IncomeItem {
                category: IncomeCategory::Wage,
                label: "外出务工".into(),
                amount_fen: 900_000,
            },
            IncomeItem {
                category: IncomeCategory::Transfer,
                label: "养老金".into(),
                amount_fen: 45_000,
            },
        ],
        business_cost_fen: 20_000,
        insurance_payout_fen: 120_000,
        out_of_pocket_fen: 80_000,
        rigid_expense_fen: 300_000,
        corrects: None,
    }];
    ds.evaluations = vec![Evaluation {
        id: id(61),
        household_id: hh,
        period: Quarter { year: 2025, q: 1 },
        evaluated_on: d("2025-04-20"),
        evaluator_id: cadre,
        income_above_line: true,
        guarantees_consolidated: false,
        risk_eliminated: false,
        outcome: EvaluationOutcome::AdjustPlan,
        note: "住房待修缮".into(),
        corrects: None,
    }];
    ds.plans = vec![Plan {
        id: id(70),
        household_id: hh,
        created_on: d("2025-03-20"),
        risks: vec![Risk::Illness],
        note: "缺什么补什么".into(),
        recorded_by: cadre,
    }];
    ds.measures = vec![Measure {
        id: id(71),
        household_id: hh,
        plan_id: Some(id(70)),
        kind: MeasureKind::Health,
        started_on: d("2025-03-21"),
        status: MeasureStatus::InProgress,
        description: "办理慢性病卡".into(),
        recorded_by: cadre,
    }];
    ds.consumption_purchases = vec![ConsumptionPurchase {
        id: id(80),
        unit_id: unit,
        purchased_on: d("2025-05-10"),
        description: "食堂采购脐橙".into(),
        amount_fen: 1_250_000,
        household_id: Some(hh),
    }];
    ds.purchase_events = vec![PurchaseEvent {
        id: id(81),
        unit_id: unit,
        held_on: d("2025-11-08"),
        kind: PurchaseEventKind::Matching,
        title: "帮扶产品产销对接会".into(),
    }];
    ds.sign_replacements = vec![SignReplacement {
        id: id(90),
        household_id: hh,
        pairing_id: id(40),
        replaced_on: d("2021-03-05"),
        recorded_by: cadre,
    }];
    ds.ledger_submissions = vec![LedgerSubmission {
        id: id(91),
        unit_id: unit,
        period: Quarter { year: 2025, q: 1 },
        submitted_on: d("2025-03-31"),
    }];
    ds.monitoring_lines = vec![MonitoringLine {
        year: 2025,
        region_code: "360000".into(),
        yuan_per_person: 7_500,
        source: "演示数据".into(),
    }];
    ds
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/dataset-v1.json");

#[test]
fn dataset_json_v1_is_frozen() {
    let ds = every_entity();
    let text = dataset_to_json(&ds) + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &text).expect("write golden");
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("golden file exists");
    assert_eq!(
        text, golden,
        "the dataset JSON changed: see the header of this test"
    );
    let parsed = dataset_from_json(&golden).expect("golden parses");
    assert_eq!(parsed, ds);
}

#[test]
fn golden_dataset_is_valid() {
    let ds = dataset_from_json(&std::fs::read_to_string(GOLDEN).expect("golden")).expect("parses");
    if let Err(errors) = bangfu_core::validate::validate_dataset(&ds) {
        panic!("golden dataset invalid: {errors:#?}");
    }
}

#[test]
fn record_json_is_tagged_by_entity() {
    let ds = every_entity();
    let r = Record::Unit(ds.units[0].clone());
    let v = serde_json::to_value(&r).expect("json");
    assert_eq!(v["entity"], "unit");
    assert_eq!(v["record"]["name"], "县财政局");
}
