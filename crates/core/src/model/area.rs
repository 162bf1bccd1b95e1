//! Administrative areas, assisting units, posts and people with their roles.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Administrative level of an [`Area`] (县 / 乡(镇) / 村 / 组).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    County,
    Township,
    Village,
    Group,
}

impl AreaLevel {
    /// The level an area's parent must have; `None` for a county (the root).
    pub fn parent_level(self) -> Option<AreaLevel> {
        match self {
            AreaLevel::County => None,
            AreaLevel::Township => Some(AreaLevel::County),
            AreaLevel::Village => Some(AreaLevel::Township),
            AreaLevel::Group => Some(AreaLevel::Village),
        }
    }
}

/// A county, township, village or village group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub id: Uuid,
    /// Administrative division code (e.g. `360722` for Xinfeng County; 9 or 12 digits below it).
    pub code: String,
    pub name: String,
    pub level: AreaLevel,
    /// The enclosing area; `None` only for the county.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Uuid>,
}

/// 帮扶单位: a county department or body whose cadres assist households.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: Uuid,
    pub name: String,
}

/// 职务: a post within a unit. Successors are chosen by post (R5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: Uuid,
    pub unit_id: Uuid,
    pub title: String,
}

/// What a person may do in the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    /// 帮扶干部: paired with households.
    Cadre,
    /// 第一书记 / 工作队长 of a village.
    FirstSecretary,
    /// 驻村工作队员 of a village.
    TeamMember,
    /// 乡(镇)乡村振兴工作站 staff of a township.
    TownshipStation,
    /// Administrator of an assisting unit.
    UnitAdmin,
    /// 县巩固衔接领导小组办公室 staff.
    CountyOffice,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Cadre,
        Role::FirstSecretary,
        Role::TeamMember,
        Role::TownshipStation,
        Role::UnitAdmin,
        Role::CountyOffice,
    ];

    /// The role's name in JSON and in the servers' and devices' tables (`first_secretary`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cadre => "cadre",
            Role::FirstSecretary => "first_secretary",
            Role::TeamMember => "team_member",
            Role::TownshipStation => "township_station",
            Role::UnitAdmin => "unit_admin",
            Role::CountyOffice => "county_office",
        }
    }

    /// The role named `s` ([`Role::as_str`]), if any.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles that do home visits (a visit by anyone else is refused).
    pub fn visits_households(self) -> bool {
        matches!(self, Role::Cadre | Role::FirstSecretary | Role::TeamMember)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dated grant of a role. `area_id` is the village (first secretary, team member), the township
/// (township station) or the county (county office); cadres and unit admins act through their unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_id: Option<Uuid>,
    pub from: NaiveDate,
    /// Last day the grant holds (inclusive); `None` while it still holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
}

impl RoleGrant {
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.to.is_none_or(|to| day <= to)
    }
}

/// A person: cadre, first secretary, station or office staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<Uuid>,
    /// Last day in the unit and post (resignation, transfer …); `None` while serving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_on: Option<NaiveDate>,
    pub roles: Vec<RoleGrant>,
}

impl Person {
    /// Whether the person holds `role` on `day` (for any area).
    pub fn has_role_on(&self, role: Role, day: NaiveDate) -> bool {
        self.roles.iter().any(|g| g.role == role && g.holds_on(day))
    }

    /// Whether the person holds `role` for `area_id` on `day`.
    pub fn has_role_in_on(&self, role: Role, area_id: Uuid, day: NaiveDate) -> bool {
        self.roles
            .iter()
            .any(|g| g.role == role && g.area_id == Some(area_id) && g.holds_on(day))
    }

    /// Whether the person is still in their unit and post on `day`.
    pub fn serving_on(&self, day: NaiveDate) -> bool {
        self.left_on.is_none_or(|left| day <= left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_the_json_names() {
        for role in Role::ALL {
            let json = serde_json::to_value(role).expect("serialize");
            assert_eq!(json, serde_json::Value::from(role.as_str()));
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(role.to_string(), role.as_str());
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
