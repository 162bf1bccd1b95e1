//! Checks of households, members and pairings.

use chrono::NaiveDate;

use super::codes as c;
use super::lookup::Lookup;
use super::org::area_of_level;
use super::sink::{Ctx, Path, Sink};
use crate::idnumber::{self, IdNumberError};
use crate::model::area::{AreaLevel, Role};
use crate::model::household::{Household, HouseholdClass, MAX_RISKS, Member, Pairing, Risk};

/// At most [`MAX_RISKS`] risks, none twice. `list` names the field (`risks`).
pub(super) fn risks(ctx: &mut Ctx<'_>, list: &'static str, risks: &[Risk]) {
    if risks.len() > MAX_RISKS {
        ctx.err(
            Path::Field(list),
            c::TOO_MANY_RISKS,
            format!(
                "At most {MAX_RISKS} risk types may be recorded. Keep the {MAX_RISKS} that matter most."
            ),
            format!("风险类型最多{MAX_RISKS}项。请保留最主要的{MAX_RISKS}项。"),
        );
    }
    for (i, risk) in risks.iter().enumerate() {
        if risks[..i].contains(risk) {
            ctx.err(
                Path::Item(list, i),
                c::DUPLICATE_RISK,
                "The same risk type is listed twice. Remove the repeat.",
                "同一风险类型重复填写。请删除重复项。",
            );
        }
    }
}

pub(super) fn household<L: Lookup + ?Sized>(h: &Household, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("household", h.id);
    area_of_level(
        &mut ctx,
        refs,
        Path::Field("village_id"),
        h.village_id,
        AreaLevel::Village,
    );
    ctx.required(
        Path::Field("head_name"),
        &h.head_name,
        ("head of household's name", "户主姓名"),
    );
    ctx.phone(Path::Field("phone"), h.phone.as_deref());
    if h.class_history.is_empty() {
        ctx.err(
            Path::Field("class_history"),
            c::CLASS_HISTORY_EMPTY,
            "The household has no class (lifted, monitored …). Add its class and the day it \
             took effect.",
            "该户没有户类别（脱贫户、监测对象等）。请填写户类别及其生效日期。",
        );
    }
    let mut prev: Option<NaiveDate> = None;
    for (i, p) in h.class_history.iter().enumerate() {
        ctx.date(
            Path::ItemField("class_history", i, "from"),
            p.from,
            ("class's first day", "户类别生效日期"),
        );
        if prev.is_some_and(|prev| p.from <= prev) {
            ctx.err(
                Path::ItemField("class_history", i, "from"),
                c::CLASS_HISTORY_ORDER,
                "Class changes must be in date order, one per day at most: this one is not later \
                 than the one before. Correct its date.",
                "户类别变更须按日期先后排列，且同一天只能有一次：此项不晚于前一项。请更正其生效日期。",
            );
        }
        prev = Some(p.from);
        let needs_kind = matches!(
            p.class,
            HouseholdClass::Monitored | HouseholdClass::RiskEliminated
        );
        match (needs_kind, p.kind) {
            (true, None) => ctx.err(
                Path::ItemField("class_history", i, "kind"),
                c::KIND_REQUIRED,
                "A monitored or risk-eliminated household needs its kind (unstable lifted, \
                 marginal or sudden hardship). Choose the kind.",
                "监测对象和风险消除户须注明监测类型（脱贫不稳定户、边缘易致贫户或突发严重困难户）。请选择监测类型。",
            ),
            (false, Some(_)) => ctx.err(
                Path::ItemField("class_history", i, "kind"),
                c::KIND_NOT_ALLOWED,
                "Only monitored and risk-eliminated households have a kind. Remove the kind.",
                "只有监测对象和风险消除户才有监测类型。请删除监测类型。",
            ),
            _ => {}
        }
    }
    risks(&mut ctx, "risks", &h.risks);
}

pub(super) fn member<L: Lookup + ?Sized>(m: &Member, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("member", m.id);
    ctx.household(refs, Path::Field("household_id"), m.household_id);
    ctx.required(Path::Field("name"), &m.name, ("name", "姓名"));
    ctx.required(
        Path::Field("relation"),
        &m.relation,
        ("relation to the head", "与户主关系"),
    );
    id_number(&mut ctx, &m.id_number);
}

/// GB 11643. The number itself never appears in a message.
fn id_number(ctx: &mut Ctx<'_>, id: &str) {
    const REENTER_EN: &str =
        "Check it against the ID card or household register and enter it again.";
    const REENTER_ZH: &str = "请对照身份证或户口簿核对后重新录入。";
    let path = Path::Field("id_number");
    let birth_err = |ctx: &mut Ctx<'_>| {
        ctx.err(
            path,
            c::ID_NUMBER_BIRTH_DATE,
            format!("Characters 7–14 of the ID number are not a possible birth date. {REENTER_EN}"),
            format!("身份证号第7–14位的出生日期不存在或不可能。{REENTER_ZH}"),
        );
    };
    match idnumber::check(id) {
        Ok(birth) => {
            let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
            if birth < earliest || birth > super::sink::last_day() {
                birth_err(ctx);
            }
        }
        Err(IdNumberError::Length) => ctx.err(
            path,
            c::ID_NUMBER_LENGTH,
            format!("An ID number has 18 characters. {REENTER_EN}"),
            format!("身份证号应为18位。{REENTER_ZH}"),
        ),
        Err(IdNumberError::Characters) => ctx.err(
            path,
            c::ID_NUMBER_CHARACTERS,
            format!(
                "The first 17 characters of an ID number are digits, the last a digit or X. \
                 {REENTER_EN}"
            ),
            format!("身份证号前17位应为数字，最后一位为数字或X。{REENTER_ZH}"),
        ),
        Err(IdNumberError::BirthDate) => birth_err(ctx),
        Err(IdNumberError::Checksum) => ctx.err(
            path,
            c::ID_NUMBER_CHECKSUM,
            format!(
                "The check character (the 18th) does not match the first 17: a digit was \
                 mistyped. {REENTER_EN}"
            ),
            format!("身份证号第18位校验码与前17位不符，可能有数字输错。{REENTER_ZH}"),
        ),
    }
}

pub(super) fn pairing<L: Lookup + ?Sized>(p: &Pairing, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("pairing", p.id);
    ctx.household(refs, Path::Field("household_id"), p.household_id);
    ctx.date(
        Path::Field("start"),
        p.start,
        ("pairing's first day", "结对开始日期"),
    );
    if let Some(end) = p.end {
        ctx.date(
            Path::Field("end"),
            end,
            ("pairing's last day", "结对结束日期"),
        );
    }
    ctx.end_not_before(Path::Field("end"), p.start, p.end, ("pairing", "结对"));
    match refs.person(p.cadre_id) {
        None => ctx.err(
            Path::Field("cadre_id"),
            c::UNKNOWN_CADRE,
            "The paired cadre is not in the list of people. Choose an existing cadre, or add \
             the cadre first.",
            "所选帮扶干部不在人员名单中。请选择已有的帮扶干部，或先录入该干部。",
        ),
        Some(cadre) if !cadre.has_role_on(Role::Cadre, p.start) => ctx.err(
            Path::Field("cadre_id"),
            c::NOT_A_CADRE,
            "The person paired is not a cadre on the pairing's first day. Pair a cadre, or \
             first record the person's cadre role from that day.",
            "所选人员在结对开始当天不是帮扶干部。请选择帮扶干部，或先登记其自该日起的帮扶干部身份。",
        ),
        Some(_) => {}
    }
    if p.end.is_none() && p.end_reason.is_some() {
        ctx.err(
            Path::Field("end_reason"),
            c::END_REASON_WITHOUT_END,
            "The pairing has a reason for ending but no last day. Enter its last day, or remove \
             the reason.",
            "该结对填写了结束原因，但没有结束日期。请填写结束日期，或删除结束原因。",
        );
    }
    if let Some(successor) = p.successor_id {
        ctx.person(refs, Path::Field("successor_id"), successor);
    }
    if let Some(arranged_by) = p.arranged_by {
        ctx.person(refs, Path::Field("arranged_by"), arranged_by);
    }
}
