//! Checks of areas, units, posts and people.

use uuid::Uuid;

use super::codes as c;
use super::lookup::Lookup;
use super::sink::{Ctx, Label, Path, Sink};
use crate::model::area::{Area, AreaLevel, Person, Post, Role, Unit};

/// How messages name a level.
pub(super) fn level_label(level: AreaLevel) -> Label {
    match level {
        AreaLevel::County => ("county", "县"),
        AreaLevel::Township => ("township", "乡(镇)"),
        AreaLevel::Village => ("village", "村"),
        AreaLevel::Group => ("village group", "组"),
    }
}

/// The area `id` exists and is of `level`.
pub(super) fn area_of_level<L: Lookup + ?Sized>(
    ctx: &mut Ctx<'_>,
    refs: &L,
    path: Path,
    id: Uuid,
    level: AreaLevel,
) {
    let (en, zh) = level_label(level);
    match refs.area(id) {
        None => ctx.unknown(path, c::UNKNOWN_AREA, (en, zh)),
        Some(area) if area.level != level => {
            let (got_en, got_zh) = level_label(area.level);
            ctx.err(
                path,
                c::WRONG_AREA_LEVEL,
                format!("A {en} is needed here, but the area chosen is a {got_en}. Choose a {en}."),
                format!("此处应选择{zh}，但所选区域是{got_zh}。请重新选择{zh}。"),
            );
        }
        Some(_) => {}
    }
}

/// The digits a division code of `level` has, if it has a fixed length.
fn code_len(level: AreaLevel) -> Option<usize> {
    match level {
        AreaLevel::County => Some(6),
        AreaLevel::Township => Some(9),
        AreaLevel::Village => Some(12),
        AreaLevel::Group => None,
    }
}

fn is_code(code: &str, level: AreaLevel) -> bool {
    code_len(level).is_none_or(|n| code.len() == n) && code.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn area<L: Lookup + ?Sized>(a: &Area, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("area", a.id);
    ctx.required(Path::Field("name"), &a.name, ("area name", "区域名称"));
    ctx.required(Path::Field("code"), &a.code, ("division code", "区划代码"));
    if let Some(n) = code_len(a.level)
        && !a.code.is_empty()
        && !is_code(&a.code, a.level)
    {
        let (en, zh) = level_label(a.level);
        ctx.err(
            Path::Field("code"),
            c::AREA_CODE_INVALID,
            format!("The division code of a {en} has {n} digits. Correct the code."),
            format!("{zh}的区划代码应为{n}位数字。请更正区划代码。"),
        );
    }
    match (a.level.parent_level(), a.parent_id) {
        (None, None) => {}
        (None, Some(_)) => ctx.err(
            Path::Field("parent_id"),
            c::COUNTY_HAS_PARENT,
            "A county is the top area and has no parent. Remove the parent.",
            "县是最高一级区域，不能有上级区域。请删除上级区域。",
        ),
        (Some(level), None) => {
            let (en, zh) = level_label(level);
            ctx.err(
                Path::Field("parent_id"),
                c::MISSING_PARENT,
                format!("The area has no parent. Choose the {en} it belongs to."),
                format!("该区域缺少上级区域。请选择其所属的{zh}。"),
            );
        }
        (Some(level), Some(parent_id)) => {
            area_of_level(&mut ctx, refs, Path::Field("parent_id"), parent_id, level);
            if let Some(parent) = refs.area(parent_id)
                && parent.level == level
                && code_len(a.level).is_some()
                && is_code(&a.code, a.level)
                && is_code(&parent.code, parent.level)
                && !a.code.starts_with(parent.code.as_str())
            {
                ctx.err(
                    Path::Field("code"),
                    c::AREA_CODE_MISMATCH,
                    "The division code does not begin with its parent area's code. Correct the \
                     code or the parent.",
                    "区划代码与上级区域的区划代码不一致（应以上级代码开头）。请更正区划代码或上级区域。",
                );
            }
        }
    }
}

pub(super) fn unit(u: &Unit, sink: &mut Sink) {
    sink.ctx("unit", u.id)
        .required(Path::Field("name"), &u.name, ("unit name", "单位名称"));
}

pub(super) fn post<L: Lookup + ?Sized>(p: &Post, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("post", p.id);
    ctx.required(Path::Field("title"), &p.title, ("post title", "职务名称"));
    ctx.unit(refs, Path::Field("unit_id"), p.unit_id);
}

/// The level of the area a role is granted for; `None` for roles held through a unit.
fn grant_level(role: Role) -> Option<AreaLevel> {
    match role {
        Role::FirstSecretary | Role::TeamMember => Some(AreaLevel::Village),
        Role::TownshipStation => Some(AreaLevel::Township),
        Role::CountyOffice => Some(AreaLevel::County),
        Role::Cadre | Role::UnitAdmin => None,
    }
}

pub(super) fn person<L: Lookup + ?Sized>(p: &Person, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("person", p.id);
    ctx.required(Path::Field("name"), &p.name, ("name", "姓名"));
    ctx.phone(Path::Field("phone"), p.phone.as_deref());
    if let Some(unit_id) = p.unit_id {
        ctx.unit(refs, Path::Field("unit_id"), unit_id);
    }
    if let Some(post_id) = p.post_id {
        match refs.post(post_id) {
            None => ctx.unknown(Path::Field("post_id"), c::UNKNOWN_POST, ("post", "职务")),
            Some(post) if Some(post.unit_id) != p.unit_id => ctx.err(
                Path::Field("post_id"),
                c::POST_NOT_IN_UNIT,
                "The post belongs to another unit than the person's. Choose a post of the \
                 person's unit, or correct the unit.",
                "所选职务不属于该人员所在单位。请选择本单位的职务，或更正所在单位。",
            ),
            Some(_) => {}
        }
    }
    if let Some(left) = p.left_on {
        ctx.date(Path::Field("left_on"), left, ("leaving day", "离岗日期"));
    }
    let mut unit_reported = false;
    for (i, g) in p.roles.iter().enumerate() {
        ctx.date(
            Path::ItemField("roles", i, "from"),
            g.from,
            ("role's first day", "身份起始日期"),
        );
        if let Some(to) = g.to {
            ctx.date(
                Path::ItemField("roles", i, "to"),
                to,
                ("role's last day", "身份终止日期"),
            );
        }
        ctx.end_not_before(
            Path::ItemField("roles", i, "to"),
            g.from,
            g.to,
            ("role", "该身份"),
        );
        let path = Path::ItemField("roles", i, "area_id");
        match (grant_level(g.role), g.area_id) {
            (Some(level), Some(area_id)) => area_of_level(&mut ctx, refs, path, area_id, level),
            (Some(level), None) => {
                let (en, zh) = level_label(level);
                ctx.err(
                    path,
                    c::MISSING_AREA,
                    format!("This role is held for a {en}, and none is given. Choose the {en}."),
                    format!("该身份须指定所负责的{zh}。请选择{zh}。"),
                );
            }
            (None, area_id) => {
                if let Some(area_id) = area_id
                    && refs.area(area_id).is_none()
                {
                    ctx.unknown(path, c::UNKNOWN_AREA, ("area", "区域"));
                }
                if p.unit_id.is_none() && !unit_reported {
                    unit_reported = true;
                    ctx.err(
                        Path::Field("unit_id"),
                        c::MISSING_UNIT,
                        "A cadre or unit administrator belongs to an assisting unit, and none is \
                         given. Choose the unit.",
                        "帮扶干部和单位管理员须属于某个帮扶单位。请选择所在单位。",
                    );
                }
            }
        }
    }
}
