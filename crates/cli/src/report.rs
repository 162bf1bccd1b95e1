//! Readable tables of obligations and alerts, with a summary per rule and status.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, bail};
use bangfu_core::rules::{Alert, AlertDetail, Obligation, Owner, Status};
use bangfu_core::{Dataset, Quarter, WorkingDays};
use chrono::NaiveDate;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use uuid::Uuid;

/// Most rows a table prints; the summary always counts everything.
const MAX_ROWS: usize = 200;

pub fn parse_status(s: &str) -> Result<Status> {
    Ok(match s {
        "upcoming" => Status::Upcoming,
        "open" => Status::Open,
        "done" => Status::Done,
        "overdue" => Status::Overdue,
        other => bail!("unknown status `{other}`: use upcoming, open, done or overdue"),
    })
}

struct Names<'a> {
    people: HashMap<Uuid, &'a str>,
    units: HashMap<Uuid, &'a str>,
    areas: HashMap<Uuid, &'a str>,
    households: HashMap<Uuid, (&'a str, Uuid)>,
}

impl<'a> Names<'a> {
    fn new(ds: &'a Dataset) -> Self {
        Names {
            people: ds.people.iter().map(|p| (p.id, p.name.as_str())).collect(),
            units: ds.units.iter().map(|u| (u.id, u.name.as_str())).collect(),
            areas: ds.areas.iter().map(|a| (a.id, a.name.as_str())).collect(),
            households: ds
                .households
                .iter()
                .map(|h| (h.id, (h.head_name.as_str(), h.village_id)))
                .collect(),
        }
    }

    fn owner(&self, owner: &Owner) -> String {
        match owner {
            Owner::Person(id) => self.people.get(id).copied().unwrap_or("?").to_owned(),
            Owner::Unit(id) => format!("单位:{}", self.units.get(id).copied().unwrap_or("?")),
            Owner::Nobody => "（无人，报乡镇）".to_owned(),
        }
    }

    fn household(&self, id: Option<Uuid>) -> String {
        let Some(id) = id else { return String::new() };
        match self.households.get(&id) {
            Some((head, village)) => format!(
                "{head}户 ({})",
                self.areas.get(village).copied().unwrap_or("?")
            ),
            None => id.to_string(),
        }
    }
}

fn status_zh(s: Status) -> &'static str {
    match s {
        Status::Upcoming => "未开始",
        Status::Open => "进行中",
        Status::Done => "已完成",
        Status::Overdue => "已逾期",
    }
}

fn calendar_note(on: NaiveDate) {
    if !WorkingDays::is_covered(on) {
        println!(
            "注意：{on} 不在节假日数据范围内，工作日按周一至周五计算 (no holiday data for this date: working days are Monday–Friday)"
        );
    }
}

pub fn print_obligations(ds: &Dataset, obligations: &[Obligation], on: NaiveDate) {
    let names = Names::new(ds);
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header([
        "规则",
        "状态",
        "期间",
        "开始",
        "截止",
        "责任人",
        "对象",
        "完成记录",
    ]);
    // Overdue first, then open, upcoming, done; each by due date.
    let mut sorted: Vec<&Obligation> = obligations.iter().collect();
    sorted.sort_by_key(|o| {
        let rank = match o.status {
            Status::Overdue => 0,
            Status::Open => 1,
            Status::Upcoming => 2,
            Status::Done => 3,
        };
        (rank, o.due_on)
    });
    for o in sorted.iter().take(MAX_ROWS) {
        let period = serde_json::to_value(o.period)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let target = match (o.household_id, o.unit_id) {
            (Some(h), _) => names.household(Some(h)),
            (None, Some(u)) => names.units.get(&u).copied().unwrap_or("?").to_owned(),
            (None, None) => String::new(),
        };
        let done = match (o.satisfied_on, o.late) {
            (Some(d), true) => format!("{d}（迟）"),
            (Some(d), false) => d.to_string(),
            (None, _) => String::new(),
        };
        table.add_row([
            format!("{:?}", o.rule),
            status_zh(o.status).to_owned(),
            period,
            o.opens_on.to_string(),
            o.due_on.to_string(),
            names.owner(&o.owner),
            target,
            done,
        ]);
    }
    println!("{table}");
    if obligations.len() > MAX_ROWS {
        println!(
            "… {} more: use --status overdue or --json",
            obligations.len() - MAX_ROWS
        );
    }
    let mut summary: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for o in obligations {
        let row = summary.entry(format!("{:?}", o.rule)).or_default();
        row[o.status as usize] += 1;
    }
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(["规则", "未开始", "进行中", "已完成", "已逾期"]);
    for (rule, counts) in summary {
        t.add_row([
            rule,
            counts[0].to_string(),
            counts[1].to_string(),
            counts[2].to_string(),
            counts[3].to_string(),
        ]);
    }
    println!("截至 {on} 的任务汇总 (obligations on {on}):\n{t}");
    calendar_note(on);
}

fn yuan(fen: i64) -> String {
    format!("{:.2}元", fen as f64 / 100.0)
}

fn describe(detail: &AlertDetail, names: &Names<'_>) -> String {
    match detail {
        AlertDetail::RiskFound {
            item, resolved_by, ..
        } => format!(
            "走访发现风险：{}{}",
            match item {
                bangfu_core::CheckItem::Education => "义务教育",
                bangfu_core::CheckItem::Medical => "基本医疗",
                bangfu_core::CheckItem::Housing => "住房安全",
                bangfu_core::CheckItem::Water => "饮水安全",
            },
            if resolved_by.is_some() {
                "（已消除）"
            } else {
                ""
            }
        ),
        AlertDetail::IncomeBelowLine {
            period,
            per_capita_fen,
            line_fen,
            ..
        } => format!(
            "{period} 人均纯收入 {} 低于监测范围 {}",
            yuan(*per_capita_fen),
            yuan(*line_fen)
        ),
        AlertDetail::IncomeDropQuarter {
            period,
            drop_percent,
            ..
        } => format!("{period} 纯收入较上季度下降 {drop_percent}%"),
        AlertDetail::IncomeDropYear {
            period,
            drop_percent,
            ..
        } => format!(
            "{period} 纯收入较 {} 下降 {drop_percent}%",
            Quarter::year_before(*period)
        ),
        AlertDetail::RigidExpenseJump {
            period,
            rigid_expense_fen,
            previous_rigid_expense_fen,
            ..
        } => format!(
            "{period} 刚性支出骤增：{} → {}",
            yuan(*previous_rigid_expense_fen),
            yuan(*rigid_expense_fen)
        ),
        AlertDetail::PairingGap {
            from,
            to,
            days,
            proposed_successor_id,
            ..
        } => {
            let until = to
                .map(|t| t.to_string())
                .unwrap_or_else(|| "至今".to_owned());
            let proposal = proposed_successor_id
                .map(|p| format!("；建议接替人：{}", names.owner(&Owner::Person(p))))
                .unwrap_or_default();
            format!("结对断档 {from} – {until}，共 {days} 天{proposal}")
        }
        AlertDetail::NoCadre { since, .. } => format!("监测对象自 {since} 起无结对干部"),
        AlertDetail::ImplausibleVisitDate { visited_on, .. } => {
            format!("走访日期 {visited_on} 不可能，请更正")
        }
    }
}

pub fn print_alerts(ds: &Dataset, alerts: &[Alert], on: NaiveDate) {
    let names = Names::new(ds);
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["规则", "状态", "日期", "对象", "情况"]);
    let mut sorted: Vec<&Alert> = alerts.iter().collect();
    sorted.sort_by_key(|a| (!a.open, a.raised_on));
    for a in sorted.iter().take(MAX_ROWS) {
        table.add_row([
            format!("{:?}", a.rule),
            if a.open { "待处理" } else { "已处理" }.to_owned(),
            a.raised_on.to_string(),
            names.household(Some(a.household_id)),
            describe(&a.detail, &names),
        ]);
    }
    println!("{table}");
    if alerts.len() > MAX_ROWS {
        println!("… {} more: use --json", alerts.len() - MAX_ROWS);
    }
    let mut summary: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for a in alerts {
        let e = summary.entry(format!("{:?}", a.rule)).or_default();
        if a.open {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let parts: Vec<String> = summary
        .iter()
        .map(|(r, (open, closed))| format!("{r}: 待处理 {open} / 已处理 {closed}"))
        .collect();
    println!("截至 {on} 的预警 (alerts on {on}): {}", parts.join("; "));
    calendar_note(on);
}
