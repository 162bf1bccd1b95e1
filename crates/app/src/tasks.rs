//! 我的任务: the rules engine's obligations and alerts for this person, overdue first, each
//! saying in words what to do and by when.
//!
//! Whose: a cadre sees what she owes (the engine's `owner`); a first secretary or team member
//! also sees everything owed for the households of their villages (with who owes it). The rules
//! run on the slice of the store these households need ([`crate::scope::rules_dataset`]), not on
//! the county.

use std::collections::{BTreeSet, HashMap};

use bangfu_core::rules::{self, Alert, AlertDetail, Obligation, Owner, Period, RuleId, Status};
use bangfu_core::{Dataset, Quarter, Role};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::error::Result;
use crate::scope::{Areas, Scope, rules_dataset};
use bangfu_core::CheckItem;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct TasksQuery {
    /// The day to look from; today when absent.
    pub as_of: Option<NaiveDate>,
}

/// What kind of work a task is (the screen that does it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// R2, R3, R4: an in-person visit.
    Visit,
    /// D3: the quarter's income.
    Income,
    /// D5: the quarter's effectiveness evaluation.
    Evaluation,
    /// R6: arrange a cadre for a new monitored household.
    ArrangePairing,
    /// R7: replace the contact sign.
    ReplaceSign,
    /// W4: the unit's quarterly ledger.
    Ledger,
}

impl TaskKind {
    /// Every kind, each of which the app opens a screen for (W4's ledger is done by the unit in
    /// the console: the app shows it as information).
    pub const ALL: [TaskKind; 6] = [
        TaskKind::Visit,
        TaskKind::Income,
        TaskKind::Evaluation,
        TaskKind::ArrangePairing,
        TaskKind::ReplaceSign,
        TaskKind::Ledger,
    ];

    /// The kind of an obligation of `rule`; `None` for the rules that raise alerts only. No
    /// wildcard: a new rule must be given its screen here before it compiles.
    pub fn of(rule: RuleId) -> Option<TaskKind> {
        match rule {
            RuleId::R2 | RuleId::R3 | RuleId::R4 => Some(TaskKind::Visit),
            RuleId::D3 => Some(TaskKind::Income),
            RuleId::D5 => Some(TaskKind::Evaluation),
            RuleId::R6 => Some(TaskKind::ArrangePairing),
            RuleId::R7 => Some(TaskKind::ReplaceSign),
            RuleId::W4 => Some(TaskKind::Ledger),
            RuleId::R5 | RuleId::D2 | RuleId::W2 => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Overdue,
    Open,
    Upcoming,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Task {
    /// Stable within a list: `rule:household:period`.
    pub key: String,
    /// The rule of `spec/rules.md` (`R2`, `D3`, …).
    pub rule: String,
    pub kind: TaskKind,
    pub status: TaskStatus,
    pub household_id: Option<Uuid>,
    pub household_name: Option<String>,
    pub village_name: Option<String>,
    /// `2025-Q4`, `2025-12` or a day.
    pub period: String,
    pub opens_on: NaiveDate,
    pub due_on: NaiveDate,
    /// Days from `as_of` to `due_on` (negative when overdue).
    pub days_left: i32,
    /// What to do, in words.
    pub what: String,
    /// By when, in words.
    pub by_when: String,
    /// Who owes it, when it is not the signed-in person.
    pub owner_name: Option<String>,
    /// The person who owes it (none when a unit or nobody does): the task list's filter by cadre.
    pub owner_id: Option<Uuid>,
    /// The signed-in person owes it.
    pub mine: bool,
}

/// Something found that needs action (D2, D3, R5, R6, W2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AlertItem {
    pub key: String,
    pub rule: String,
    /// `risk_found`, `income_below_line`, `income_drop_quarter`, `income_drop_year`,
    /// `rigid_expense_jump`, `pairing_gap`, `no_cadre`, `implausible_visit_date`.
    pub kind: String,
    /// For `risk_found`: which of the four checks.
    pub item: Option<CheckItem>,
    pub household_id: Uuid,
    pub household_name: String,
    pub village_name: String,
    pub raised_on: NaiveDate,
    pub what: String,
    pub what_to_do: String,
    /// For `implausible_visit_date`: the visit to correct (`correction_open`).
    pub visit_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TaskList {
    pub as_of: NaiveDate,
    /// Overdue first, then open, then upcoming; each by due date.
    pub tasks: Vec<Task>,
    /// Newest first.
    pub alerts: Vec<AlertItem>,
    pub overdue: u32,
    pub open: u32,
    pub upcoming: u32,
    /// The holiday calendar does not cover `as_of`: working days are counted Monday–Friday.
    pub calendar_uncovered: bool,
}

impl App {
    /// 我的任务.
    pub fn my_tasks(&self, q: TasksQuery) -> Result<TaskList> {
        let scope = self.scope()?;
        let as_of = q.as_of.unwrap_or(scope.today);
        let team_villages = team_villages(&scope, as_of);
        let households = self.task_households(&scope, &team_villages)?;
        let mut areas = Areas::default();
        let ds = rules_dataset(&self.store, &mut areas, &scope.me, &households)?;
        let index = rules::Index::new(&ds);
        let obligations = rules::obligations_with(&index, as_of);
        let alerts = rules::alerts_with(&index, as_of);
        let names = Names::new(&ds, &mut areas, &self.store)?;
        let village_of: HashMap<Uuid, Uuid> =
            ds.households.iter().map(|h| (h.id, h.village_id)).collect();
        let seen = |o: &Obligation| {
            o.owner == Owner::Person(scope.me.id)
                || o.household_id
                    .and_then(|h| village_of.get(&h))
                    .is_some_and(|v| team_villages.contains(v))
        };
        let mut tasks: Vec<Task> = obligations
            .iter()
            .filter(|o| o.status != Status::Done && seen(o))
            .map(|o| task(o, as_of, scope.me.id, &ds, &names))
            .collect();
        tasks.sort_by_key(|t| (rank(t.status), t.due_on, t.key.clone()));
        let mut alert_items: Vec<AlertItem> = alerts
            .iter()
            .filter(|a| a.open)
            .map(|a| alert_item(a, &names))
            .collect();
        alert_items.sort_by(|a, b| b.raised_on.cmp(&a.raised_on).then(a.key.cmp(&b.key)));
        let count = |s: TaskStatus| tasks.iter().filter(|t| t.status == s).count() as u32;
        Ok(TaskList {
            as_of,
            overdue: count(TaskStatus::Overdue),
            open: count(TaskStatus::Open),
            upcoming: count(TaskStatus::Upcoming),
            tasks,
            alerts: alert_items,
            calendar_uncovered: !bangfu_core::WorkingDays::is_covered(as_of),
        })
    }

    /// The households whose obligations a person's task list looks at: every household the
    /// person was ever paired with (a past quarter's visit may still be owed), and the households
    /// of the villages where they are first secretary or team member.
    fn task_households(&self, scope: &Scope, team_villages: &BTreeSet<Uuid>) -> Result<Vec<Uuid>> {
        let mut out: BTreeSet<Uuid> = self
            .store
            .pairings_of_cadre(scope.me.id)?
            .into_iter()
            .map(|p| p.household_id)
            .collect();
        for &v in team_villages {
            let n = self.store.count_households_in_village(v)?;
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            out.extend(
                self.store
                    .households_in_village(v, n, 0)?
                    .into_iter()
                    .map(|h| h.id),
            );
        }
        Ok(out.into_iter().collect())
    }
}

/// Villages where the person is first secretary or team member on `day`.
pub(crate) fn team_villages(scope: &Scope, day: NaiveDate) -> BTreeSet<Uuid> {
    scope
        .me
        .roles
        .iter()
        .filter(|g| matches!(g.role, Role::FirstSecretary | Role::TeamMember) && g.holds_on(day))
        .filter_map(|g| g.area_id)
        .collect()
}

fn rank(s: TaskStatus) -> u8 {
    match s {
        TaskStatus::Overdue => 0,
        TaskStatus::Open => 1,
        TaskStatus::Upcoming => 2,
    }
}

/// Names of the households, villages, people and units of a rules dataset.
pub(crate) struct Names {
    households: HashMap<Uuid, (String, Uuid)>,
    villages: HashMap<Uuid, String>,
    people: HashMap<Uuid, String>,
    units: HashMap<Uuid, String>,
}

impl Names {
    pub(crate) fn new(
        ds: &Dataset,
        areas: &mut Areas,
        store: &bangfu_store::Store,
    ) -> Result<Self> {
        let mut villages = HashMap::new();
        for h in &ds.households {
            if let std::collections::hash_map::Entry::Vacant(e) = villages.entry(h.village_id) {
                e.insert(areas.name(store, h.village_id)?);
            }
        }
        Ok(Names {
            households: ds
                .households
                .iter()
                .map(|h| (h.id, (h.head_name.clone(), h.village_id)))
                .collect(),
            villages,
            people: ds.people.iter().map(|p| (p.id, p.name.clone())).collect(),
            units: ds.units.iter().map(|u| (u.id, u.name.clone())).collect(),
        })
    }

    fn household(&self, id: Uuid) -> (String, String) {
        match self.households.get(&id) {
            Some((head, village)) => (
                head.clone(),
                self.villages.get(village).cloned().unwrap_or_default(),
            ),
            None => (String::new(), String::new()),
        }
    }

    fn owner(&self, owner: &Owner) -> String {
        match owner {
            Owner::Person(id) => self.people.get(id).cloned().unwrap_or_default(),
            Owner::Unit(id) => format!(
                "{}（帮扶干部空缺）",
                self.units.get(id).cloned().unwrap_or_default()
            ),
            Owner::Nobody => "无人负责（请乡镇安排）".to_owned(),
        }
    }
}

fn rule_name(r: RuleId) -> String {
    format!("{r:?}")
}

fn period_text(p: &Period) -> String {
    match p {
        Period::Quarter(q) => q.to_string(),
        Period::Month(m) => m.to_string(),
        Period::Day(d) => d.to_string(),
    }
}

pub(crate) fn task(
    o: &Obligation,
    as_of: NaiveDate,
    me: Uuid,
    ds: &Dataset,
    names: &Names,
) -> Task {
    let (name, village) = o
        .household_id
        .map(|h| names.household(h))
        .unwrap_or_default();
    // Obligations come from R2–R4, R6, R7, D3, D5 and W4 only (the test `every_obligation_
    // has_a_task_kind` enumerates them); the alert-only rules never reach here.
    let kind = TaskKind::of(o.rule).unwrap_or(TaskKind::Ledger);
    let status = match o.status {
        Status::Overdue => TaskStatus::Overdue,
        Status::Upcoming => TaskStatus::Upcoming,
        _ => TaskStatus::Open,
    };
    let unit = o
        .unit_id
        .and_then(|u| ds.units.iter().find(|x| x.id == u))
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let mine = o.owner == Owner::Person(me);
    let days_left = i32::try_from((o.due_on - as_of).num_days()).unwrap_or(0);
    Task {
        key: format!(
            "{}:{}:{}",
            rule_name(o.rule),
            o.household_id
                .or(o.unit_id)
                .map(|id| id.to_string())
                .unwrap_or_default(),
            period_text(&o.period)
        ),
        rule: rule_name(o.rule),
        kind,
        status,
        household_id: o.household_id,
        household_name: o.household_id.map(|_| name.clone()),
        village_name: o.household_id.map(|_| village),
        period: period_text(&o.period),
        opens_on: o.opens_on,
        due_on: o.due_on,
        days_left,
        what: words::what(o, &name, &unit, as_of),
        by_when: words::by_when(status, o.opens_on, o.due_on, as_of),
        owner_name: (!mine).then(|| names.owner(&o.owner)),
        owner_id: match o.owner {
            Owner::Person(p) => Some(p),
            _ => None,
        },
        mine,
    }
}

fn alert_item(a: &Alert, names: &Names) -> AlertItem {
    let (name, village) = names.household(a.household_id);
    let (kind, item) = match &a.detail {
        AlertDetail::RiskFound { item, .. } => ("risk_found", Some(*item)),
        AlertDetail::IncomeBelowLine { .. } => ("income_below_line", None),
        AlertDetail::IncomeDropQuarter { .. } => ("income_drop_quarter", None),
        AlertDetail::IncomeDropYear { .. } => ("income_drop_year", None),
        AlertDetail::RigidExpenseJump { .. } => ("rigid_expense_jump", None),
        AlertDetail::PairingGap { .. } => ("pairing_gap", None),
        AlertDetail::NoCadre { .. } => ("no_cadre", None),
        AlertDetail::ImplausibleVisitDate { .. } => ("implausible_visit_date", None),
    };
    let (what, what_to_do) = words::alert(&a.detail, |p| names.owner(&Owner::Person(p)));
    AlertItem {
        key: format!(
            "{}:{}:{}:{}",
            rule_name(a.rule),
            kind,
            a.household_id,
            a.raised_on
        ) + &item.map(|i| format!(":{i:?}")).unwrap_or_default(),
        rule: rule_name(a.rule),
        kind: kind.to_owned(),
        item,
        household_id: a.household_id,
        household_name: name,
        village_name: village,
        raised_on: a.raised_on,
        what,
        what_to_do,
        visit_id: match &a.detail {
            AlertDetail::ImplausibleVisitDate { visit_id, .. } => Some(*visit_id),
            _ => None,
        },
    }
}

/// The words of tasks and alerts (Simplified Chinese, the glossary's terms).
pub(crate) mod words {
    use super::*;

    /// `12月31日`, or `2026年1月5日` in another year than `as_of`'s.
    pub fn day(d: NaiveDate, as_of: NaiveDate) -> String {
        if d.year() == as_of.year() {
            format!("{}月{}日", d.month(), d.day())
        } else {
            format!("{}年{}月{}日", d.year(), d.month(), d.day())
        }
    }

    pub fn quarter(q: Quarter) -> String {
        let n = ["一", "二", "三", "四"]
            .get(usize::from(q.q.saturating_sub(1)))
            .copied()
            .unwrap_or("");
        format!("{}年第{n}季度", q.year)
    }

    fn period(p: &Period) -> String {
        match p {
            Period::Quarter(q) => quarter(*q),
            Period::Month(m) => format!("{}年{}月", m.year, m.month),
            Period::Day(d) => d.to_string(),
        }
    }

    pub fn check_item(i: CheckItem) -> &'static str {
        match i {
            CheckItem::Education => "义务教育",
            CheckItem::Medical => "基本医疗",
            CheckItem::Housing => "住房安全",
            CheckItem::Water => "饮水安全",
        }
    }

    pub fn yuan(fen: i64) -> String {
        let sign = if fen < 0 { "-" } else { "" };
        let fen = fen.unsigned_abs();
        if fen.is_multiple_of(100) {
            format!("{sign}{} 元", fen / 100)
        } else {
            format!("{sign}{}.{:02} 元", fen / 100, fen % 100)
        }
    }

    pub fn what(o: &Obligation, name: &str, unit: &str, as_of: NaiveDate) -> String {
        let p = period(&o.period);
        match o.rule {
            RuleId::R2 => format!("上门走访监测对象{name}户，核查“两不愁三保障”和饮水安全（{p}）"),
            RuleId::R3 => format!("上门走访脱贫户{name}户，核查“两不愁三保障”和饮水安全（{p}）"),
            RuleId::R4 => format!("第一书记上门走访{name}户（{p}）"),
            RuleId::R6 => format!("为新纳入的监测对象{name}户安排结对帮扶干部"),
            RuleId::R7 => format!("更换{name}户门口的联系牌（结对变更后 7 个工作日内）"),
            RuleId::D3 => format!(
                "采集{name}户{p}收入（采集期 {}至{}）",
                day(o.opens_on, as_of),
                day(o.due_on, as_of)
            ),
            RuleId::D5 => format!("完成{name}户{p}帮扶成效评估"),
            RuleId::W4 => format!("{unit}报送{p}帮扶台账"),
            other => format!("{other:?}"),
        }
    }

    pub fn by_when(
        status: TaskStatus,
        opens: NaiveDate,
        due: NaiveDate,
        as_of: NaiveDate,
    ) -> String {
        let left = (due - as_of).num_days();
        match status {
            TaskStatus::Overdue => format!("已逾期 {} 天（应于{}前完成）", -left, day(due, as_of)),
            TaskStatus::Open if left == 0 => "今天截止".to_owned(),
            TaskStatus::Open => format!("{}前完成（还剩 {left} 天）", day(due, as_of)),
            TaskStatus::Upcoming => {
                format!("{}开始，{}前完成", day(opens, as_of), day(due, as_of))
            }
        }
    }

    /// What an alert says and what to do about it.
    pub fn alert(d: &AlertDetail, person: impl Fn(Uuid) -> String) -> (String, String) {
        match d {
            AlertDetail::RiskFound { item, .. } => (
                format!("走访发现{}有风险", check_item(*item)),
                "已报告村和乡镇。请跟进帮助消除风险；下次走访时核实该项是否已有保障。".to_owned(),
            ),
            AlertDetail::IncomeBelowLine {
                period,
                per_capita_fen,
                line_fen,
                ..
            } => (
                format!(
                    "{}人均纯收入（按年折算）{}，低于监测范围 {}",
                    quarter(*period),
                    yuan(*per_capita_fen),
                    yuan(*line_fen)
                ),
                "请核实收入，按“缺什么补什么”调整帮扶措施，并报告村和乡镇。".to_owned(),
            ),
            AlertDetail::IncomeDropQuarter {
                period,
                drop_percent,
                ..
            } => (
                format!("{}纯收入比上季度下降 {drop_percent}%", quarter(*period)),
                "请核实下降原因（疾病、灾害、务工中断等），及时报告村和乡镇。".to_owned(),
            ),
            AlertDetail::IncomeDropYear {
                period,
                drop_percent,
                ..
            } => (
                format!("{}纯收入比上年同期下降 {drop_percent}%", quarter(*period)),
                "请核实下降原因（疾病、灾害、务工中断等），及时报告村和乡镇。".to_owned(),
            ),
            AlertDetail::RigidExpenseJump {
                period,
                rigid_expense_fen,
                previous_rigid_expense_fen,
                ..
            } => (
                format!(
                    "{}刚性支出骤增：{} → {}",
                    quarter(*period),
                    yuan(*previous_rigid_expense_fen),
                    yuan(*rigid_expense_fen)
                ),
                "请核实支出原因（看病、上学、受灾），报告村和乡镇，研究是否纳入监测或加大帮扶。"
                    .to_owned(),
            ),
            AlertDetail::PairingGap {
                from,
                to,
                days,
                proposed_successor_id,
                ..
            } => {
                let until = to.map(|t| t.to_string()).unwrap_or_else(|| "今".to_owned());
                let what = format!("结对断档：{from} 至{until}无帮扶干部（{days} 天）");
                let todo = match proposed_successor_id {
                    Some(p) => format!(
                        "请帮扶单位按职务接替，尽快安排新的帮扶干部（建议：{}）。",
                        person(*p)
                    ),
                    None => "请帮扶单位按职务接替，尽快安排新的帮扶干部。".to_owned(),
                };
                (what, todo)
            }
            AlertDetail::NoCadre { since, .. } => (
                format!("监测对象自 {since} 起没有结对帮扶干部"),
                "请第一书记或驻村工作队员按程序尽快安排结对帮扶干部。".to_owned(),
            ),
            AlertDetail::ImplausibleVisitDate { visited_on, .. } => (
                format!("走访日期 {visited_on} 不可能（手机时间可能有误）"),
                "请点此打开这次走访并“更正”，改正走访日期并写明更正原因。".to_owned(),
            ),
        }
    }
}
