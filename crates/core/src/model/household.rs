//! Households, their dated class history, risks and members; pairings with cadres.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// R1: how a household is assisted on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum HouseholdClass {
    /// 脱贫户.
    Lifted,
    /// 监测对象 ("三类"), with its [`MonitoredKind`].
    Monitored,
    /// 风险消除: a monitored household whose risk was removed by procedure. Its kind is kept.
    RiskEliminated,
    /// No longer assisted (e.g. the household moved away, or an eliminated ordinary household).
    NotAssisted,
}

/// The three kinds of 监测对象.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MonitoredKind {
    /// 脱贫不稳定户.
    UnstableLifted,
    /// 边缘易致贫户.
    Marginal,
    /// 突发严重困难户.
    SuddenHardship,
}

/// One dated entry of a household's class history: the class holds from `from` until the next entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassPeriod {
    pub from: NaiveDate,
    pub class: HouseholdClass,
    /// Required for `monitored` and `risk_eliminated`, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MonitoredKind>,
}

/// What the rules engine treats a household as on a day (R1 → R2/R3/R4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assistance {
    /// Visited monthly by the first secretary, quarterly by the cadre; income collected (D3).
    Monitored,
    /// Visited quarterly by the cadre and by the first secretary.
    Lifted,
}

impl ClassPeriod {
    /// The assistance this class entails. A risk-eliminated household that had been lifted
    /// (脱贫不稳定户) goes back to being a 脱贫户; an eliminated ordinary household is no longer assisted.
    pub fn assistance(&self) -> Option<Assistance> {
        match (self.class, self.kind) {
            (HouseholdClass::Monitored, _) => Some(Assistance::Monitored),
            (HouseholdClass::Lifted, _) => Some(Assistance::Lifted),
            (HouseholdClass::RiskEliminated, Some(MonitoredKind::UnstableLifted)) => {
                Some(Assistance::Lifted)
            }
            _ => None,
        }
    }
}

/// 风险类型 (up to five per household).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Risk {
    /// 因病
    Illness,
    /// 因残
    Disability,
    /// 因学
    Schooling,
    /// 因灾
    Disaster,
    /// 因意外事故
    Accident,
    /// 因产业失败
    BusinessFailure,
    /// 因务工就业不稳
    UnstableEmployment,
    /// 缺劳动力
    LackOfLabour,
    /// 因安全住房
    Housing,
    /// 因安全饮水
    DrinkingWater,
    /// 其他
    Other,
}

/// Most risks a household may carry.
pub const MAX_RISKS: usize = 5;

/// 户.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub id: Uuid,
    /// The village (an [`Area`](crate::Area) of level `village`).
    pub village_id: Uuid,
    /// 组 (village group), free text as written in the household register.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// 户主 name.
    pub head_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// R1: dated, ascending by `from`, never overwritten.
    pub class_history: Vec<ClassPeriod>,
    /// Current risks, at most [`MAX_RISKS`].
    #[serde(default)]
    pub risks: Vec<Risk>,
}

impl Household {
    /// The class entry in force on `day`, if the household had one yet.
    pub fn class_on(&self, day: NaiveDate) -> Option<&ClassPeriod> {
        self.class_history.iter().rev().find(|p| p.from <= day)
    }

    /// The assistance in force on `day`.
    pub fn assistance_on(&self, day: NaiveDate) -> Option<Assistance> {
        self.class_on(day).and_then(ClassPeriod::assistance)
    }
}

/// 劳动能力.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LabourAbility {
    /// 有劳动力 (普通劳动力 / 技能劳动力).
    Able,
    /// 弱劳动力或半劳动力.
    Weak,
    /// 无劳动力 (incl. children and students).
    None,
}

/// 在校生状况.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SchoolStage {
    /// Not of school age or finished schooling.
    NotInSchool,
    Preschool,
    /// 小学.
    Primary,
    /// 初中.
    JuniorSecondary,
    /// 高中.
    SeniorSecondary,
    /// 中职 / 技工.
    Vocational,
    /// 大专及以上.
    Higher,
    /// 失学辍学: a child of compulsory-school age out of school.
    Dropout,
}

/// 医疗保险.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MedicalInsurance {
    /// 城乡居民基本医疗保险.
    Resident,
    /// 职工基本医疗保险.
    Employee,
    /// 未参保.
    None,
}

/// 家庭成员.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: Uuid,
    pub household_id: Uuid,
    pub name: String,
    /// 与户主关系 (户主, 配偶, 之子 …) as written in the household register.
    pub relation: String,
    /// 18-character resident ID number (GB 11643). Personal data: mask on screen, never log.
    pub id_number: String,
    pub labour: LabourAbility,
    pub school_stage: SchoolStage,
    pub medical_insurance: MedicalInsurance,
}

/// Why a pairing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PairingEndReason {
    /// 工作部门变动.
    DepartmentChange,
    /// 辞职.
    Resignation,
    /// 健康.
    Health,
    /// 退休.
    Retirement,
    /// The household is no longer assisted.
    HouseholdNotAssisted,
    Other,
}

/// 结对: a cadre paired with a household from `start` to `end` (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pairing {
    pub id: Uuid,
    pub household_id: Uuid,
    pub cadre_id: Uuid,
    pub start: NaiveDate,
    /// Last day of the pairing (inclusive); `None` while active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<PairingEndReason>,
    /// The cadre appointed to take over (R5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor_id: Option<Uuid>,
    /// Who arranged the pairing (first secretary / team member for a new monitored household, R6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arranged_by: Option<Uuid>,
}

impl Pairing {
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|end| day <= end)
    }
}
