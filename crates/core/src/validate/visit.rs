//! Checks of visits, contacts and contact-sign replacements.

use chrono::{DateTime, FixedOffset};

use super::codes as c;
use super::lookup::Lookup;
use super::sink::{Ctx, Path, Sink};
use crate::model::visit::{CheckItem, CheckStatus, Contact, SignReplacement, Visit};

/// The field of a check's note, and how messages name the item.
fn check_note(item: CheckItem) -> (&'static str, &'static str, &'static str) {
    match item {
        CheckItem::Education => ("checks.education.note", "compulsory education", "义务教育"),
        CheckItem::Medical => ("checks.medical.note", "basic medical care", "基本医疗"),
        CheckItem::Housing => ("checks.housing.note", "housing safety", "住房安全"),
        CheckItem::Water => ("checks.water.note", "drinking water safety", "饮水安全"),
    }
}

/// The local day of an instant lies in 2000–2100.
fn instant(ctx: &mut Ctx<'_>, path: Path, at: DateTime<FixedOffset>, label: (&str, &str)) {
    let (en, zh) = label;
    let day = at.date_naive();
    if day < super::sink::first_day() || day > super::sink::last_day() {
        ctx.err(
            path,
            c::DATE_OUT_OF_RANGE,
            format!(
                "The {en} is before 2000 or after 2100: the phone's clock was probably wrong. \
                 Correct the date and time."
            ),
            format!("{zh}早于2000年或晚于2100年，可能是手机时间设置有误。请更正日期和时间。"),
        );
    }
}

pub(super) fn visit<L: Lookup + ?Sized>(v: &Visit, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("visit", v.id);
    ctx.household(refs, Path::Field("household_id"), v.household_id);
    instant(
        &mut ctx,
        Path::Field("visited_at"),
        v.visited_at,
        ("visit time", "走访时间"),
    );
    let day = v.day();
    match refs.person(v.visitor_id) {
        None => ctx.err(
            Path::Field("visitor_id"),
            c::VISITOR_NOT_CADRE,
            "The visitor is not in the list of people. Choose the cadre, first secretary or team \
             member who made the visit.",
            "走访人不在人员名单中。请选择实际入户走访的帮扶干部、第一书记或驻村工作队员。",
        ),
        Some(p)
            if !p
                .roles
                .iter()
                .any(|g| g.role.visits_households() && g.holds_on(day)) =>
        {
            ctx.err(
                Path::Field("visitor_id"),
                c::VISITOR_NOT_CADRE,
                "On the visit day the visitor was not a cadre, first secretary or team member, \
                 who alone record home visits. Check the visitor and the date, or first record \
                 the visitor's role.",
                "走访当天该人员不是帮扶干部、第一书记或驻村工作队员，不能登记入户走访。请核对走访人和走访日期，或先登记其相应身份。",
            );
        }
        Some(_) => {}
    }
    for item in CheckItem::ALL {
        let check = v.checks.get(item);
        let blank = check.note.as_deref().is_none_or(|n| n.trim().is_empty());
        if check.status == CheckStatus::Risk && blank {
            let (field, en, zh) = check_note(item);
            ctx.err(
                Path::Field(field),
                c::RISK_NEEDS_NOTE,
                format!(
                    "The {en} check is marked at risk without a note. Say what was found, so that the \
                     township and village can act on it."
                ),
                format!("{zh}标记为“有风险”，但未填写情况说明。请写明发现的问题，以便乡村及时处置。"),
            );
        }
    }
    if let Some(place) = v.place {
        let ok = place.lat.is_finite()
            && place.lon.is_finite()
            && (-90.0..=90.0).contains(&place.lat)
            && (-180.0..=180.0).contains(&place.lon);
        if !ok {
            ctx.err(
                Path::Field("place"),
                c::PLACE_INVALID,
                "The recorded place is not on the globe (latitude −90 to 90, longitude −180 to \
                 180). Record the place again, or leave it out.",
                "定位坐标无效（纬度应在−90至90之间，经度在−180至180之间）。请重新定位，或不填位置。",
            );
        }
    }
    for (i, photo) in v.photos.iter().enumerate() {
        ctx.hash(Path::Item("photos", i), photo, ("photo", "照片"));
    }
    if let Some(signature) = &v.signature {
        ctx.hash(
            Path::Field("signature"),
            signature,
            ("signature", "户主签名"),
        );
    }
    ctx.corrects(refs, v.corrects);
    correction_reason(
        &mut ctx,
        v.corrects.is_some(),
        v.correction_reason.as_deref(),
    );
}

/// A correction says why (a non-blank reason of at most
/// [`MAX_CORRECTION_REASON_CHARS`](super::MAX_CORRECTION_REASON_CHARS) characters); a record that
/// corrects nothing carries no reason.
fn correction_reason(ctx: &mut Ctx<'_>, corrects: bool, reason: Option<&str>) {
    let path = Path::Field("correction_reason");
    match (corrects, reason) {
        (true, r) if r.is_none_or(|r| r.trim().is_empty()) => ctx.err(
            path,
            c::CORRECTION_REASON_REQUIRED,
            "A correction must say why the record it corrects was wrong. Fill in the reason.",
            "更正记录必须写明更正原因。请说明原记录哪里有误。",
        ),
        (true, Some(r)) if r.chars().count() > super::MAX_CORRECTION_REASON_CHARS => ctx.err(
            path,
            c::CORRECTION_REASON_TOO_LONG,
            format!(
                "The reason for the correction is longer than {} characters. Shorten it.",
                super::MAX_CORRECTION_REASON_CHARS
            ),
            format!(
                "更正原因太长（最多 {} 字）。请精简后再保存。",
                super::MAX_CORRECTION_REASON_CHARS
            ),
        ),
        (false, Some(_)) => ctx.err(
            path,
            c::CORRECTION_REASON_WITHOUT_CORRECTS,
            "A reason for a correction is given, but the record corrects nothing. Leave the \
             reason out, or name the record it corrects.",
            "该记录没有更正任何原记录，却填写了更正原因。请去掉更正原因，或指明被更正的原记录。",
        ),
        _ => {}
    }
}

pub(super) fn contact<L: Lookup + ?Sized>(k: &Contact, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("contact", k.id);
    ctx.household(refs, Path::Field("household_id"), k.household_id);
    ctx.person(refs, Path::Field("person_id"), k.person_id);
    instant(
        &mut ctx,
        Path::Field("at"),
        k.at,
        ("contact time", "联系时间"),
    );
    ctx.corrects(refs, k.corrects);
}

pub(super) fn sign_replacement<L: Lookup + ?Sized>(s: &SignReplacement, refs: &L, sink: &mut Sink) {
    let mut ctx = sink.ctx("sign_replacement", s.id);
    ctx.household(refs, Path::Field("household_id"), s.household_id);
    ctx.person(refs, Path::Field("recorded_by"), s.recorded_by);
    ctx.date(
        Path::Field("replaced_on"),
        s.replaced_on,
        ("replacement day", "更换日期"),
    );
    match refs.pairing(s.pairing_id) {
        None => ctx.unknown(
            Path::Field("pairing_id"),
            c::UNKNOWN_PAIRING,
            ("pairing", "结对关系"),
        ),
        Some(p) => {
            if p.household_id != s.household_id {
                ctx.err(
                    Path::Field("pairing_id"),
                    c::PAIRING_HOUSEHOLD_MISMATCH,
                    "The pairing is of another household. Choose this household's pairing.",
                    "所选结对关系属于其他农户。请选择本户的结对关系。",
                );
            }
            if s.replaced_on < p.start {
                ctx.err(
                    Path::Field("replaced_on"),
                    c::REPLACED_BEFORE_PAIRING,
                    "The sign was replaced before the pairing it names began. Correct the day or \
                     the pairing.",
                    "联系牌更换日期早于对应结对的开始日期。请更正更换日期或所选结对关系。",
                );
            }
        }
    }
}
