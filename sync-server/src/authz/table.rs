//! Which roles may write which entity kinds and fields: the one table the server consults for
//! every pushed operation (issue 11, item 3). Where a record lies is a separate question (the
//! scope, [`super::authorize`]); this table says what kind of change a role may make at all.
//!
//! From the county's notice and the national procedure (`spec/rules.md`,
//! `spec/monitoring-procedures.md`):
//! - areas, units, posts and people (with their role grants) are the county office's lists;
//! - a household is created (识别纳入) and its class changed (R1: only at the county's decision)
//!   or moved to another village (合村并组) by the county office; its other facts (group, head,
//!   address, phone, risks) and its members by those who visit and supervise it;
//! - pairings are arranged and ended by the unit (R5: successor by post), the first secretary and
//!   team (R6: a newly monitored household), the township station and the county office — never
//!   by the cadre they grant access to;
//! - visits, contacts, income records, evaluations and contact-sign replacements are field
//!   records: authored by the pushing account's own person, whatever the role (an account
//!   without a person cannot author them); whether that person may visit households is the
//!   validators' question (her role grants: cadre, first secretary, team member);
//! - measures and plans by the field roles and their supervisors; consumption purchases also by
//!   units; purchase events and ledger submissions by units, townships and the county.

use crate::auth::Role;

use Role::{Cadre, CountyOffice, FirstSecretary, TeamMember, TownshipStation, UnitAdmin};

/// The roles that visit households.
pub const FIELD: &[Role] = &[Cadre, FirstSecretary, TeamMember];
/// Every role: field records are limited by the account's person, not its role.
const ANY: &[Role] = &[
    Cadre,
    FirstSecretary,
    TeamMember,
    TownshipStation,
    UnitAdmin,
    CountyOffice,
];
const COUNTY: &[Role] = &[CountyOffice];
const CARE: &[Role] = &[
    Cadre,
    FirstSecretary,
    TeamMember,
    TownshipStation,
    CountyOffice,
];
const PAIRING: &[Role] = &[
    FirstSecretary,
    TeamMember,
    TownshipStation,
    UnitAdmin,
    CountyOffice,
];
const PURCHASE: &[Role] = &[
    Cadre,
    FirstSecretary,
    TeamMember,
    TownshipStation,
    UnitAdmin,
    CountyOffice,
];
const PAPERWORK: &[Role] = &[TownshipStation, UnitAdmin, CountyOffice];
const NOBODY: &[Role] = &[];

/// Who may write one entity kind.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub entity: &'static str,
    /// Roles that may create a record of this kind.
    pub create: &'static [Role],
    /// Roles that may change an existing one (append-only kinds: nobody).
    pub edit: &'static [Role],
    /// Fields that only these roles may set, on creation or edit.
    pub restricted: &'static [(&'static str, &'static [Role])],
    /// A field record: authored by the pushing account's own person (an account without one
    /// cannot write it).
    pub field_record: bool,
}

/// One row per entity of [`bangfu_core::sync::op::ENTITIES`].
pub const TABLE: &[Rule] = &[
    rule("area", COUNTY, COUNTY),
    rule("unit", COUNTY, COUNTY),
    rule("post", COUNTY, COUNTY),
    rule("person", COUNTY, COUNTY),
    Rule {
        entity: "household",
        create: COUNTY,
        edit: CARE,
        restricted: &[("class_history", COUNTY), ("village_id", COUNTY)],
        field_record: false,
    },
    rule("member", CARE, CARE),
    rule("pairing", PAIRING, PAIRING),
    field("visit", NOBODY),
    field("contact", NOBODY),
    field("income_record", NOBODY),
    field("evaluation", NOBODY),
    field("sign_replacement", FIELD),
    rule("measure", CARE, CARE),
    rule("plan", CARE, CARE),
    rule("consumption_purchase", PURCHASE, PURCHASE),
    rule("purchase_event", PAPERWORK, PAPERWORK),
    rule("ledger_submission", PAPERWORK, PAPERWORK),
];

const fn rule(entity: &'static str, create: &'static [Role], edit: &'static [Role]) -> Rule {
    Rule {
        entity,
        create,
        edit,
        restricted: &[],
        field_record: false,
    }
}

const fn field(entity: &'static str, edit: &'static [Role]) -> Rule {
    Rule {
        entity,
        create: ANY,
        edit,
        restricted: &[],
        field_record: true,
    }
}

/// The rule of `entity` (`None`: not an entity the server knows).
pub fn rule_of(entity: &str) -> Option<&'static Rule> {
    TABLE.iter().find(|r| r.entity == entity)
}

/// Fields that tie a record to its household or its place: set at creation, never changed by an
/// edit (a record is re-filed only by the county moving its household).
pub const FIXED_FIELDS: &[&str] = &["household_id", "pairing_id"];

/// Why a role may not make a change, in words for the person and a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// Whether `role` may make this change of `entity`: a creation, or an edit of `fields`.
pub fn allows<'f>(
    role: Role,
    entity: &str,
    create: bool,
    fields: impl IntoIterator<Item = &'f str>,
) -> Result<(), Refusal> {
    let Some(rule) = rule_of(entity) else {
        return Err(Refusal {
            code: "unknown_entity",
            message: format!("unknown entity `{entity}`"),
        });
    };
    let allowed = if create { rule.create } else { rule.edit };
    if !allowed.contains(&role) {
        let what = if create { "新建" } else { "修改" };
        return Err(Refusal {
            code: "forbidden_role",
            message: format!(
                "{}账号不能{what}{}记录（{entity}）；请由有权限的角色办理",
                role_zh(role),
                entity_zh(entity)
            ),
        });
    }
    for f in fields {
        if !create && FIXED_FIELDS.contains(&f) {
            return Err(Refusal {
                code: "forbidden_field",
                message: format!(
                    "{entity} 的 `{f}` 在新建后不能修改；如确属错误，请新建一条正确的记录"
                ),
            });
        }
        if let Some((_, roles)) = rule.restricted.iter().find(|(name, _)| *name == f)
            && !roles.contains(&role)
        {
            return Err(Refusal {
                code: "forbidden_field",
                message: format!(
                    "{}账号不能设置{}的 `{f}`（如类别变更、迁移到其他村须由县级办公室决定）",
                    role_zh(role),
                    entity_zh(entity)
                ),
            });
        }
    }
    Ok(())
}

/// The role's name in the glossary's terms.
pub fn role_zh(role: Role) -> &'static str {
    match role {
        Cadre => "帮扶干部",
        FirstSecretary => "驻村第一书记",
        TeamMember => "驻村工作队员",
        TownshipStation => "乡镇工作站",
        UnitAdmin => "帮扶单位管理员",
        CountyOffice => "县级办公室",
    }
}

/// The entity's name in the glossary's terms.
pub fn entity_zh(entity: &str) -> &'static str {
    match entity {
        "area" => "行政区划",
        "unit" => "帮扶单位",
        "post" => "职务",
        "person" => "人员",
        "household" => "户",
        "member" => "家庭成员",
        "pairing" => "结对",
        "visit" => "走访",
        "contact" => "联系",
        "income_record" => "收入",
        "evaluation" => "评估",
        "measure" => "帮扶措施",
        "plan" => "帮扶计划",
        "consumption_purchase" => "消费帮扶",
        "purchase_event" => "消费帮扶活动",
        "sign_replacement" => "联系牌更换",
        "ledger_submission" => "台账报送",
        _ => "未知",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_rule_per_entity() {
        for e in bangfu_core::sync::op::ENTITIES {
            assert_eq!(
                TABLE.iter().filter(|r| r.entity == e).count(),
                1,
                "entity {e}"
            );
        }
        assert_eq!(TABLE.len(), bangfu_core::sync::op::ENTITIES.len());
    }

    #[test]
    fn append_only_kinds_are_field_records_nobody_edits() {
        for e in ["visit", "contact", "income_record", "evaluation"] {
            let r = rule_of(e).expect("rule");
            assert!(r.field_record && r.edit.is_empty(), "{e}");
        }
    }
}
