//! Checks of a whole dataset: its header and settings, the monitoring lines, ids and ID numbers
//! that must be unique, then every record through the same checks as [`validate_record`].
//!
//! [`validate_record`]: super::validate_record

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::codes as c;
use super::lookup::DatasetRefs;
use super::sink::{Path, Sink};
use super::{household, org, visit, work};
use crate::model::dataset::{DATASET_FORMAT, DATASET_VERSION, Dataset, Settings};
use crate::model::household::Member;
use crate::model::income::MonitoringLine;

/// A monitoring line above this (yuan per person per year) cannot be right.
const MAX_LINE_YUAN: i64 = 1_000_000;

pub(super) fn check(ds: &Dataset, sink: &mut Sink) {
    header(ds, sink);
    settings(&ds.settings, sink);
    monitoring_lines(&ds.monitoring_lines, sink);

    let refs = DatasetRefs::new(ds);
    for &(entity, id) in refs.duplicates() {
        sink.ctx(entity, id).err(
            Path::Field("id"),
            c::DUPLICATE_ID,
            format!(
                "Another {entity} has the same id. Keep one of them: an id names one record only."
            ),
            "存在另一条同类记录使用相同的编号（id）。请只保留其中一条：每个编号只能对应一条记录。",
        );
    }
    id_numbers(&ds.members, sink);

    each(&ds.areas, sink, |r, s| org::area(r, &refs, s));
    each(&ds.units, sink, org::unit);
    each(&ds.posts, sink, |r, s| org::post(r, &refs, s));
    each(&ds.people, sink, |r, s| org::person(r, &refs, s));
    each(&ds.households, sink, |r, s| {
        household::household(r, &refs, s)
    });
    each(&ds.members, sink, |r, s| household::member(r, &refs, s));
    each(&ds.pairings, sink, |r, s| household::pairing(r, &refs, s));
    each(&ds.visits, sink, |r, s| visit::visit(r, &refs, s));
    each(&ds.contacts, sink, |r, s| visit::contact(r, &refs, s));
    each(&ds.sign_replacements, sink, |r, s| {
        visit::sign_replacement(r, &refs, s)
    });
    each(&ds.income_records, sink, |r, s| {
        work::income_record(r, &refs, s)
    });
    each(&ds.evaluations, sink, |r, s| work::evaluation(r, &refs, s));
    each(&ds.measures, sink, |r, s| work::measure(r, &refs, s));
    each(&ds.plans, sink, |r, s| work::plan(r, &refs, s));
    each(&ds.consumption_purchases, sink, |r, s| {
        work::consumption_purchase(r, &refs, s)
    });
    each(&ds.purchase_events, sink, |r, s| {
        work::purchase_event(r, &refs, s)
    });
    each(&ds.ledger_submissions, sink, |r, s| {
        work::ledger_submission(r, &refs, s)
    });
}

/// Runs `check` on each item until the error list is full.
fn each<T>(items: &[T], sink: &mut Sink, mut check: impl FnMut(&T, &mut Sink)) {
    for item in items {
        if sink.is_full() {
            sink.truncate();
            return;
        }
        check(item, sink);
    }
}

fn header(ds: &Dataset, sink: &mut Sink) {
    let mut ctx = sink.ctx("dataset", Uuid::nil());
    if ds.format != DATASET_FORMAT {
        ctx.err(
            Path::Field("format"),
            c::DATASET_FORMAT,
            format!(
                "This is not a bangfu dataset (its format is not `{DATASET_FORMAT}`). Choose a \
                 file exported by bangfu."
            ),
            "该文件不是bangfu数据包。请选择由bangfu导出的数据文件。",
        );
    }
    if ds.version > DATASET_VERSION {
        let v = ds.version;
        ctx.err(
            Path::Field("version"),
            c::DATASET_VERSION_NEWER,
            format!(
                "The dataset was written by a newer bangfu (dataset version {v}; this build reads \
                 version {DATASET_VERSION}). Upgrade bangfu, then open it again."
            ),
            format!(
                "该数据包由更新版本的bangfu生成（数据版本{v}，当前程序支持版本{DATASET_VERSION}）。请先升级bangfu，再重新打开。"
            ),
        );
    } else if ds.version == 0 {
        ctx.err(
            Path::Field("version"),
            c::DATASET_VERSION_UNKNOWN,
            "The dataset has no valid version (0). Export it again with bangfu.",
            "该数据包的版本号无效（0）。请用bangfu重新导出。",
        );
    }
}

fn settings(s: &Settings, sink: &mut Sink) {
    let mut ctx = sink.ctx("dataset", Uuid::nil());
    ctx.date(
        Path::Field("settings.tracking_start"),
        s.tracking_start,
        ("tracking start day", "启用日期"),
    );
    let mut range = |field: &'static str, value: u32, lo: u32, hi: u32, zh: &str| {
        if !(lo..=hi).contains(&value) {
            ctx.err(
                Path::Field(field),
                c::SETTING_OUT_OF_RANGE,
                format!("The setting must lie between {lo} and {hi}. Correct it."),
                format!("“{zh}”应在{lo}至{hi}之间。请更正该设置。"),
            );
        }
    };
    range(
        "settings.income_drop_percent",
        s.income_drop_percent,
        1,
        100,
        "收入骤减预警比例（%）",
    );
    range(
        "settings.rigid_expense_jump_percent",
        s.rigid_expense_jump_percent,
        1,
        1000,
        "刚性支出骤增预警比例（%）",
    );
    range(
        "settings.r6_pairing_due_working_days",
        s.r6_pairing_due_working_days,
        1,
        60,
        "新增监测对象落实结对时限（工作日）",
    );
    ctx.money(
        Path::Field("settings.rigid_expense_jump_min_fen"),
        s.rigid_expense_jump_min_fen,
        (
            "smallest rigid-expense rise alerted",
            "刚性支出骤增预警最低金额",
        ),
    );
    let p = &s.province_code;
    if !(p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()) && p.ends_with("0000")) {
        ctx.err(
            Path::Field("settings.province_code"),
            c::REGION_CODE_INVALID,
            "The province code is 6 digits ending in 0000 (360000 for Jiangxi). Correct it.",
            "省级区划代码应为以0000结尾的6位数字（江西省为360000）。请更正。",
        );
    }
}

fn is_region_code(code: &str) -> bool {
    code == "CN" || (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
}

fn monitoring_lines(lines: &[MonitoringLine], sink: &mut Sink) {
    let mut seen: HashSet<(i32, &str)> = HashSet::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let mut ctx = sink.ctx("monitoring_line", Uuid::nil());
        let at = |f| Path::ItemField("monitoring_lines", i, f);
        if !(2000..=2100).contains(&l.year) {
            ctx.err(
                at("year"),
                c::DATE_OUT_OF_RANGE,
                "The monitoring line's year is before 2000 or after 2100. Correct the year.",
                "监测范围的年份早于2000年或晚于2100年。请更正年份。",
            );
        }
        if !is_region_code(&l.region_code) {
            ctx.err(
                at("region_code"),
                c::REGION_CODE_INVALID,
                "The region is a 6-digit division code, or CN for the national floor. Correct it.",
                "适用地区应为6位行政区划代码，全国标准填CN。请更正。",
            );
        }
        if l.yuan_per_person <= 0 {
            ctx.err(
                at("yuan_per_person"),
                c::MONITORING_LINE_NOT_POSITIVE,
                "The monitoring line must be more than 0 yuan per person per year. Enter the \
                 line of the document that set it.",
                "监测范围（元/人·年）必须大于0。请按文件规定的标准填写。",
            );
        } else if l.yuan_per_person > MAX_LINE_YUAN {
            ctx.err(
                at("yuan_per_person"),
                c::MONEY_TOO_LARGE,
                "The monitoring line is more than 1,000,000 yuan per person per year, which \
                 cannot be right. Check that it is in yuan, not fen.",
                "监测范围超过100万元/人·年，不可能成立。请核对单位（元，而非分）。",
            );
        }
        ctx.required(at("source"), &l.source, ("source document", "依据文件"));
        if !seen.insert((l.year, l.region_code.as_str())) {
            ctx.err(
                Path::Item("monitoring_lines", i),
                c::DUPLICATE_MONITORING_LINE,
                "The same year and region has another monitoring line. Keep only the one in force.",
                "同一年份、同一地区已有另一条监测范围。请只保留现行有效的一条。",
            );
        }
    }
}

/// The same person must not be a member twice (重复识别). The number never enters a message.
fn id_numbers(members: &[Member], sink: &mut Sink) {
    let mut seen: HashMap<Cow<'_, str>, Uuid> = HashMap::with_capacity(members.len());
    for m in members {
        if m.id_number.len() != 18 {
            continue; // reported by the member check
        }
        let key = if m.id_number.ends_with('x') {
            Cow::Owned(m.id_number.to_ascii_uppercase())
        } else {
            Cow::Borrowed(m.id_number.as_str())
        };
        match seen.get(&key) {
            Some(&first) if first != m.id => sink.ctx("member", m.id).err(
                Path::Field("id_number"),
                c::DUPLICATE_ID_NUMBER,
                format!(
                    "Member {first} has the same ID number: one person is registered twice. \
                     Check both and remove the wrong one."
                ),
                format!("该身份证号已登记在另一成员记录（{first}）中，同一人被重复登记。请核对两条记录并删除错误的一条。"),
            ),
            Some(_) => {}
            None => {
                seen.insert(key, m.id);
            }
        }
    }
}
