//! Household members: composition, ages, valid resident ID numbers, labour, school and insurance.

use std::collections::HashSet;

use bangfu_core::idnumber::check_char;
use bangfu_core::{LabourAbility, MedicalInsurance, Member, SchoolStage};
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use uuid::Uuid;

use crate::names::{OTHER_COUNTY_CODES, given_name, surname};
use crate::util::{DemoRng, add_days, chance, id_on, pick};

/// One member as drafted before the record is written.
struct Draft {
    relation: &'static str,
    male: bool,
    age: i32,
    /// Shares the head's surname (children, grandchildren).
    head_surname: bool,
}

fn draft(relation: &'static str, male: bool, age: i32, head_surname: bool) -> Draft {
    Draft {
        relation,
        male,
        age: age.max(0),
        head_surname,
    }
}

/// Who lives in the household: single elders, elderly couples, young families, three generations.
fn composition(rng: &mut DemoRng) -> Vec<Draft> {
    let head_male = chance(rng, 0.85);
    let roll = rng.random_range(0..100);
    let mut out = Vec::new();
    let child = |rng: &mut DemoRng, parent_age: i32, grand: bool| {
        let male = chance(rng, 0.52);
        let age = parent_age - rng.random_range(22..=34);
        let relation = match (grand, male) {
            (false, true) => "之子",
            (false, false) => "之女",
            (true, true) => "之孙子",
            (true, false) => "之孙女",
        };
        draft(relation, male, age, true)
    };
    if roll < 12 {
        out.push(draft("户主", head_male, rng.random_range(65..=88), true));
    } else if roll < 30 {
        let age = rng.random_range(60..=84);
        out.push(draft("户主", true, age, true));
        out.push(draft("配偶", false, age - rng.random_range(-2..=5), false));
    } else if roll < 65 {
        let age = rng.random_range(30..=55);
        out.push(draft("户主", head_male, age, true));
        if chance(rng, 0.85) {
            out.push(draft(
                "配偶",
                !head_male,
                age + rng.random_range(-4..=4),
                false,
            ));
        }
        for _ in 0..rng.random_range(1..=3) {
            out.push(child(rng, age, false));
        }
    } else if roll < 95 {
        let age = rng.random_range(55..=75);
        out.push(draft("户主", true, age, true));
        if chance(rng, 0.7) {
            out.push(draft("配偶", false, age - rng.random_range(-2..=5), false));
        }
        let son_age = age - rng.random_range(24..=32);
        out.push(draft("之子", true, son_age, true));
        out.push(draft(
            "之儿媳",
            false,
            son_age - rng.random_range(-2..=5),
            false,
        ));
        for _ in 0..rng.random_range(0..=2) {
            out.push(child(rng, son_age, true));
        }
    } else {
        out.push(draft("户主", head_male, rng.random_range(25..=60), true));
    }
    out.retain(|d| d.age >= 0);
    out.truncate(6);
    out
}

fn school_stage(rng: &mut DemoRng, age: i32) -> SchoolStage {
    match age {
        0..=2 => SchoolStage::NotInSchool,
        3..=5 => SchoolStage::Preschool,
        6..=11 => SchoolStage::Primary,
        12..=14 => SchoolStage::JuniorSecondary,
        15 if chance(rng, 0.5) => SchoolStage::JuniorSecondary,
        15 | 16 => {
            if chance(rng, 0.7) {
                SchoolStage::SeniorSecondary
            } else {
                SchoolStage::Vocational
            }
        }
        17 | 18 => match rng.random_range(0..100) {
            0..65 => SchoolStage::SeniorSecondary,
            65..90 => SchoolStage::Vocational,
            _ => SchoolStage::NotInSchool,
        },
        19..=22 if chance(rng, 0.4) => SchoolStage::Higher,
        _ => SchoolStage::NotInSchool,
    }
}

fn labour(rng: &mut DemoRng, age: i32, stage: SchoolStage) -> LabourAbility {
    let in_school = !matches!(stage, SchoolStage::NotInSchool);
    if age < 16 || in_school {
        return LabourAbility::None;
    }
    let roll = rng.random_range(0..100);
    match age {
        16..=59 => match roll {
            0..85 => LabourAbility::Able,
            85..95 => LabourAbility::Weak,
            _ => LabourAbility::None,
        },
        60..=69 => match roll {
            0..30 => LabourAbility::Able,
            30..85 => LabourAbility::Weak,
            _ => LabourAbility::None,
        },
        _ => {
            if roll < 40 {
                LabourAbility::Weak
            } else {
                LabourAbility::None
            }
        }
    }
}

/// A valid, unused 18-character ID number for someone born on `birth`.
fn id_number(
    rng: &mut DemoRng,
    taken: &mut HashSet<[u8; 17]>,
    birth: NaiveDate,
    male: bool,
    local: bool,
) -> String {
    let region = if local {
        "360722"
    } else {
        pick(rng, &OTHER_COUNTY_CODES)
    };
    let date = format!("{:04}{:02}{:02}", birth.year(), birth.month(), birth.day());
    let mut first17 = [b'0'; 17];
    for _ in 0..1000 {
        // The 17th digit is odd for men and even for women.
        let sex = rng.random_range(0..5u32) * 2 + u32::from(male);
        let order = rng.random_range(0..100u32) * 10 + sex;
        let digits = format!("{region}{date}{order:03}");
        first17.copy_from_slice(&digits.as_bytes()[..17]);
        if taken.insert(first17) {
            break;
        }
    }
    let mut s = String::from_utf8_lossy(&first17).into_owned();
    s.push(char::from(check_char(&first17)));
    s
}

/// What the rest of the household's records need to know about its members.
#[derive(Debug)]
pub(crate) struct Roster {
    pub members: Vec<Member>,
    pub ages: Vec<i32>,
}

impl Roster {
    pub(crate) fn able(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.labour == LabourAbility::Able)
            .count()
    }

    pub(crate) fn elders(&self) -> usize {
        self.ages.iter().filter(|&&a| a >= 60).count()
    }

    pub(crate) fn in_school(&self) -> bool {
        self.members.iter().any(|m| {
            !matches!(
                m.school_stage,
                SchoolStage::NotInSchool | SchoolStage::Preschool
            )
        })
    }
}

/// The members of a household on `as_of`, one of them uninsured if asked.
pub(crate) fn roster(
    rng: &mut DemoRng,
    taken: &mut HashSet<[u8; 17]>,
    household_id: Uuid,
    created: NaiveDate,
    as_of: NaiveDate,
    uninsured: bool,
) -> Roster {
    let drafts = composition(rng);
    let family = surname(rng);
    let mut members = Vec::with_capacity(drafts.len());
    let mut ages = Vec::with_capacity(drafts.len());
    for d in &drafts {
        let days_since_birthday = rng.random_range(0..365);
        let birth = add_days(
            as_of.with_year(as_of.year() - d.age).unwrap_or(as_of),
            -days_since_birthday,
        );
        let name = if d.head_surname {
            format!("{family}{}", given_name(rng, d.male, birth.year()))
        } else {
            format!("{}{}", surname(rng), given_name(rng, d.male, birth.year()))
        };
        let local = chance(rng, if d.head_surname { 0.95 } else { 0.75 });
        let id_number = id_number(rng, taken, birth, d.male, local);
        let stage = school_stage(rng, d.age);
        let labour = labour(rng, d.age, stage);
        let employee = labour == LabourAbility::Able && (22..=55).contains(&d.age);
        let medical_insurance = if employee && chance(rng, 0.04) {
            MedicalInsurance::Employee
        } else {
            MedicalInsurance::Resident
        };
        members.push(Member {
            id: id_on(rng, created),
            household_id,
            name,
            relation: d.relation.to_owned(),
            id_number,
            labour,
            school_stage: stage,
            medical_insurance,
        });
        ages.push(d.age);
    }
    if uninsured {
        // An adult working away who let the insurance lapse, else the head.
        let i = (0..members.len())
            .rev()
            .find(|&i| ages[i] >= 18 && members[i].labour == LabourAbility::Able)
            .unwrap_or(0);
        if let Some(m) = members.get_mut(i) {
            m.medical_insurance = MedicalInsurance::None;
        }
    }
    Roster { members, ages }
}
