//! In-person visits, contacts and contact-sign replacements. All append-only: a correction is a
//! new record that names the record it corrects.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The four items a visit checks (D2): 义务教育, 基本医疗, 住房安全, 饮水安全.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CheckItem {
    Education,
    Medical,
    Housing,
    Water,
}

impl CheckItem {
    pub const ALL: [CheckItem; 4] = [
        CheckItem::Education,
        CheckItem::Medical,
        CheckItem::Housing,
        CheckItem::Water,
    ];
}

/// 有保障 / 有风险.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CheckStatus {
    Ok,
    Risk,
}

/// One item's result; a risk needs a note saying what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub status: CheckStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The four checks of a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checks {
    pub education: Check,
    pub medical: Check,
    pub housing: Check,
    pub water: Check,
}

impl Checks {
    pub fn get(&self, item: CheckItem) -> &Check {
        match item {
            CheckItem::Education => &self.education,
            CheckItem::Medical => &self.medical,
            CheckItem::Housing => &self.housing,
            CheckItem::Water => &self.water,
        }
    }
}

/// D6 五净一规范: each true when the household meets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tidiness {
    /// 院内净
    pub yard: bool,
    /// 室内净
    pub rooms: bool,
    /// 厨房净
    pub kitchen: bool,
    /// 厕所净
    pub toilet: bool,
    /// 个人卫生净
    pub person: bool,
    /// 摆放规范
    pub arrangement: bool,
}

/// A place as the phone recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// 上门走访: an in-person home visit (the only thing that satisfies a visit obligation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: Uuid,
    pub household_id: Uuid,
    /// The cadre, first secretary or team member who visited.
    pub visitor_id: Uuid,
    /// When the visit happened, by the phone's clock, with the phone's UTC offset.
    pub visited_at: DateTime<FixedOffset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<GeoPoint>,
    /// Who of the household was present (names as said).
    #[serde(default)]
    pub present: Vec<String>,
    pub checks: Checks,
    /// D1: policies explained (政策宣传 / 感恩教育).
    #[serde(default)]
    pub policy_talk: Vec<String>,
    /// D6: the 五净一规范 check, when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tidiness: Option<Tidiness>,
    #[serde(default)]
    pub problems: String,
    #[serde(default)]
    pub measures: String,
    /// SHA-256 (lowercase hex) of each photo.
    #[serde(default)]
    pub photos: Vec<String>,
    /// SHA-256 of the household's drawn signature image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The visit this record corrects (append-only correction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<Uuid>,
    /// Why the visit it corrects was wrong (更正原因): given exactly when `corrects` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction_reason: Option<String>,
}

impl Visit {
    /// The local calendar day of the visit (in the phone's own offset).
    pub fn day(&self) -> NaiveDate {
        self.visited_at.date_naive()
    }
}

/// 电话、网络、社交媒体联系.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ContactChannel {
    Phone,
    Network,
    SocialMedia,
}

/// A contact: recorded, never counts as a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    pub household_id: Uuid,
    pub person_id: Uuid,
    pub at: DateTime<FixedOffset>,
    pub channel: ContactChannel,
    #[serde(default)]
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<Uuid>,
}

/// R7: the contact sign (联系牌) on the house replaced after a pairing change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignReplacement {
    pub id: Uuid,
    pub household_id: Uuid,
    /// The pairing whose start made the replacement necessary.
    pub pairing_id: Uuid,
    pub replaced_on: NaiveDate,
    pub recorded_by: Uuid,
}
