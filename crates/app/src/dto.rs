//! Enums of the domain as the UI sees them. `bangfu-core`'s types do not derive `ts_rs::TS`, so
//! each is mirrored here with the same snake_case JSON names and converted by an exhaustive
//! `match` both ways (a variant added to the core fails to compile here until it is added too).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Defines a UI enum mirroring a core enum, with conversions both ways.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident <=> $core:path { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl From<$core> for $name {
            fn from(v: $core) -> Self {
                use $core as C;
                match v {
                    $(C::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $core {
            fn from(v: $name) -> Self {
                use $core as C;
                match v {
                    $($name::$variant => C::$variant),+
                }
            }
        }
    };
}

mirror_enum!(
    /// R1: 脱贫户 / 监测对象 / 风险消除 / 不再帮扶.
    HouseholdClass <=> bangfu_core::HouseholdClass {
        Lifted,
        Monitored,
        RiskEliminated,
        NotAssisted,
    }
);

mirror_enum!(
    /// 脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户.
    MonitoredKind <=> bangfu_core::MonitoredKind {
        UnstableLifted,
        Marginal,
        SuddenHardship,
    }
);

mirror_enum!(
    /// 风险类型.
    Risk <=> bangfu_core::Risk {
        Illness,
        Disability,
        Schooling,
        Disaster,
        Accident,
        BusinessFailure,
        UnstableEmployment,
        LackOfLabour,
        Housing,
        DrinkingWater,
        Other,
    }
);

mirror_enum!(
    /// 劳动能力.
    LabourAbility <=> bangfu_core::LabourAbility { Able, Weak, None }
);

mirror_enum!(
    /// 在校生状况.
    SchoolStage <=> bangfu_core::SchoolStage {
        NotInSchool,
        Preschool,
        Primary,
        JuniorSecondary,
        SeniorSecondary,
        Vocational,
        Higher,
        Dropout,
    }
);

mirror_enum!(
    /// 医疗保险.
    MedicalInsurance <=> bangfu_core::MedicalInsurance { Resident, Employee, None }
);

mirror_enum!(
    /// Why a pairing ended.
    PairingEndReason <=> bangfu_core::PairingEndReason {
        DepartmentChange,
        Resignation,
        Health,
        Retirement,
        HouseholdNotAssisted,
        Other,
    }
);

mirror_enum!(
    /// The four checks of a visit: 义务教育, 基本医疗, 住房安全, 饮水安全.
    CheckItem <=> bangfu_core::CheckItem { Education, Medical, Housing, Water }
);

mirror_enum!(
    /// 有保障 / 有风险.
    CheckStatus <=> bangfu_core::CheckStatus { Ok, Risk }
);

mirror_enum!(
    /// 电话 / 网络 / 社交媒体.
    ContactChannel <=> bangfu_core::ContactChannel { Phone, Network, SocialMedia }
);

mirror_enum!(
    /// The four income categories.
    IncomeCategory <=> bangfu_core::IncomeCategory { Wage, Business, Transfer, Property }
);

mirror_enum!(
    /// 帮扶措施 types.
    MeasureKind <=> bangfu_core::MeasureKind {
        Industry,
        Employment,
        PublicWelfarePost,
        Microcredit,
        Education,
        CompulsoryEducation,
        Health,
        HousingSafety,
        WaterSafety,
        Relocation,
        SocialSecurity,
        Social,
        LivingConditions,
        Infrastructure,
        Consumption,
        SkillsTraining,
    }
);

mirror_enum!(
    /// A measure's state.
    MeasureStatus <=> bangfu_core::MeasureStatus { Planned, InProgress, Done, Cancelled }
);

mirror_enum!(
    /// Outcome of a quarterly evaluation (D5).
    EvaluationOutcome <=> bangfu_core::EvaluationOutcome {
        Continue,
        Strengthen,
        AdjustPlan,
        ProposeElimination,
    }
);

mirror_enum!(
    /// What a person may do in the programme.
    Role <=> bangfu_core::Role {
        Cadre,
        FirstSecretary,
        TeamMember,
        TownshipStation,
        UnitAdmin,
        CountyOffice,
    }
);

/// A place as the phone recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl From<GeoPoint> for bangfu_core::GeoPoint {
    fn from(p: GeoPoint) -> Self {
        bangfu_core::GeoPoint {
            lat: p.lat,
            lon: p.lon,
        }
    }
}
