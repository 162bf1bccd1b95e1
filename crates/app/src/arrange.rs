//! 安排结对帮扶干部 (R6): the first secretary or a team member of a village picks a cadre from the
//! units assisting the village for a household without an active pairing (a new 监测对象); a
//! [`bangfu_core::Pairing`] with `arranged_by` = the person results. Its start opens the new
//! cadre's R7 task (a new contact sign within 7 working days) and closes the household's R6 task
//! and `no_cadre` alert.
//!
//! Units assisting a village: see `bangfu_store::query::units` (units of the cadres paired in the
//! village today, and of its first secretary and team). The count of households next to each
//! cadre is what this device holds: the cadre's active pairings in the person's villages.
//!
//! Refused, nothing saved: a person who is not first secretary or team member of the household's
//! village today, or a household outside the scope (`household_id`); a household with an active
//! pairing today or later (`household_id`); a household not assisted on that day
//! (`household_id`); a person who is not a serving cadre of an assisting unit (`cadre_id`); a
//! start more than [`MAX_START_AHEAD_DAYS`] days ahead or [`MAX_START_BACK_DAYS`] days back, or
//! not after the household's last pairing ended (`start`).

use bangfu_core::{Household, Pairing, Record, Role, WorkingDays};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::clock::epoch_ms;
use crate::error::{AppError, FieldError, Result};
use crate::scope::{Areas, Scope, scope_path};
use crate::sign::SIGN_DUE_WORKING_DAYS;

/// How many days ahead a pairing may be arranged to start.
pub const MAX_START_AHEAD_DAYS: i64 = 30;
/// How many days back a pairing may be entered (agreed last week, entered now); earlier starts
/// would rewrite how long the household waited for its cadre (R6, counted by supervisors).
pub const MAX_START_BACK_DAYS: i64 = 7;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PairingCandidatesQuery {
    pub household_id: Uuid,
}

/// A cadre who may be paired with the household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CadreCandidate {
    pub person_id: Uuid,
    pub name: String,
    pub unit_name: String,
    /// The cadre's post in the unit (职务), if recorded.
    pub post_title: Option<String>,
    /// Households the cadre is paired with today (as this device knows them).
    pub households: u32,
}

/// The arranging form of one household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PairingCandidates {
    pub household_id: Uuid,
    pub head_name: String,
    pub village_name: String,
    pub today: NaiveDate,
    /// The earliest start day accepted.
    pub earliest_start: NaiveDate,
    /// The latest start day accepted.
    pub latest_start: NaiveDate,
    /// By unit name, then fewest households first, then name.
    pub cadres: Vec<CadreCandidate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ArrangeInput {
    pub household_id: Uuid,
    pub cadre_id: Uuid,
    /// The pairing's first day; today when absent.
    pub start: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PairingArranged {
    pub pairing_id: Uuid,
    pub start: NaiveDate,
    pub cadre_name: String,
    /// When the new contact sign is due (R7: 7 working days after `start`).
    pub sign_due_on: NaiveDate,
}

fn field(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

fn refuse(f: &str, code: &str, message: &str) -> AppError {
    AppError::Invalid(vec![field(f, code, message)])
}

impl App {
    /// The cadres of the units assisting the household's village, for the first secretary.
    pub fn pairing_candidates(&self, q: PairingCandidatesQuery) -> Result<PairingCandidates> {
        let scope = self.scope()?;
        let household = self.arranging_household(&scope, q.household_id)?;
        let today = scope.today;
        if let Some(p) = self.active_pairing_from(&household, today)? {
            return Err(already_paired(&p));
        }
        let mut cadres = Vec::new();
        for unit_id in self
            .store
            .assisting_units_of_village(household.village_id, today)?
        {
            let unit_name = self
                .store
                .get_unit(unit_id)?
                .map(|u| u.name)
                .unwrap_or_default();
            for p in self.store.people_of_unit(unit_id)? {
                if !p.has_role_on(Role::Cadre, today) || !p.serving_on(today) {
                    continue;
                }
                let post_title = match p.post_id {
                    Some(post) => self.store.get_post(post)?.map(|x| x.title),
                    None => None,
                };
                let households = self.store.active_pairings_of_cadre(p.id, today)?.len();
                cadres.push(CadreCandidate {
                    person_id: p.id,
                    name: p.name,
                    unit_name: unit_name.clone(),
                    post_title,
                    households: u32::try_from(households).unwrap_or(u32::MAX),
                });
            }
        }
        cadres.sort_by(|a, b| {
            (&a.unit_name, a.households, &a.name, a.person_id).cmp(&(
                &b.unit_name,
                b.households,
                &b.name,
                b.person_id,
            ))
        });
        let mut areas = Areas::default();
        Ok(PairingCandidates {
            household_id: household.id,
            village_name: areas.name(&self.store, household.village_id)?,
            head_name: household.head_name,
            today,
            earliest_start: today - Duration::days(MAX_START_BACK_DAYS),
            latest_start: today + Duration::days(MAX_START_AHEAD_DAYS),
            cadres,
        })
    }

    /// Pairs the household with a cadre of an assisting unit, arranged by the signed-in person.
    pub fn arrange_pairing(&mut self, input: ArrangeInput) -> Result<PairingArranged> {
        let scope = self.scope()?;
        let household = self.arranging_household(&scope, input.household_id)?;
        let today = scope.today;
        let start = input.start.unwrap_or(today);
        let mut fields = Vec::new();
        if start > today + Duration::days(MAX_START_AHEAD_DAYS) {
            fields.push(field(
                "start",
                "too_far_ahead",
                &format!("结对开始日期太远。请选择今天到 {MAX_START_AHEAD_DAYS} 天以内的日期。"),
            ));
        }
        if start < today - Duration::days(MAX_START_BACK_DAYS) {
            fields.push(field(
                "start",
                "too_far_back",
                &format!(
                    "结对开始日期太早。请选择最近 {MAX_START_BACK_DAYS} 天内到今后 {MAX_START_AHEAD_DAYS} 天内的日期。"
                ),
            ));
        }
        let pairings = self.store.pairings_of_household(household.id)?;
        if let Some(p) = pairings
            .iter()
            .find(|p| p.end.is_none_or(|end| end >= today))
        {
            fields.push(field(
                "household_id",
                "already_paired",
                &already_paired_words(p),
            ));
        } else if let Some(last_end) = pairings.iter().filter_map(|p| p.end).max()
            && start <= last_end
        {
            fields.push(field(
                "start",
                "overlaps_pairing",
                &format!("这户上一个结对到 {last_end} 才结束。请选择 {last_end} 之后的日期。"),
            ));
        }
        if household.assistance_on(start).is_none() {
            fields.push(field(
                "household_id",
                "not_assisted",
                "这户在结对开始日期不是帮扶对象（脱贫户或监测对象），不能安排结对。请核对开始日期。",
            ));
        }
        let units = self
            .store
            .assisting_units_of_village(household.village_id, today)?;
        let cadre = self.store.get_person(input.cadre_id)?;
        let cadre_name = cadre.as_ref().map(|c| c.name.clone()).unwrap_or_default();
        match &cadre {
            Some(c)
                if c.unit_id.is_some_and(|u| units.contains(&u))
                    && c.has_role_on(Role::Cadre, start)
                    && c.has_role_on(Role::Cadre, today)
                    && c.serving_on(start.max(today)) => {}
            Some(c) if c.unit_id.is_some_and(|u| units.contains(&u)) => fields.push(field(
                "cadre_id",
                "not_a_serving_cadre",
                "所选人员在结对开始日期不是在岗的帮扶干部。请选择其他帮扶干部。",
            )),
            _ => fields.push(field(
                "cadre_id",
                "not_assisting_unit",
                "所选人员不是本村帮扶单位的帮扶干部。请从列表中选择本村帮扶单位的干部。",
            )),
        }
        if !fields.is_empty() {
            return Err(AppError::Invalid(fields));
        }
        let pairing = Pairing {
            id: Uuid::now_v7(),
            household_id: household.id,
            cadre_id: input.cadre_id,
            start,
            end: None,
            end_reason: None,
            successor_id: None,
            arranged_by: Some(scope.me.id),
        };
        let mut areas = Areas::default();
        let path = scope_path(&self.store, &mut areas, &household)?;
        let now = self.now();
        self.store.record_change(
            &Record::Pairing(pairing.clone()),
            scope.me.id,
            &path,
            epoch_ms(now),
            now,
        )?;
        Ok(PairingArranged {
            pairing_id: pairing.id,
            start,
            cadre_name,
            sign_due_on: WorkingDays::add(start, SIGN_DUE_WORKING_DAYS),
        })
    }

    /// The household, refused at `household_id` unless the person is first secretary or team
    /// member of its village today (a cadre cannot arrange a pairing) and it is in scope.
    fn arranging_household(&self, scope: &Scope, id: Uuid) -> Result<Household> {
        let household = match self.household_in_scope(scope, id) {
            Ok(h) => Some(h),
            Err(AppError::NotInScope | AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let Some(household) = household else {
            return Err(refuse(
                "household_id",
                "not_in_scope",
                "这户不在您负责的村，不能为其安排结对。请选择本村的农户。",
            ));
        };
        let day = scope.today;
        let staff = scope
            .me
            .has_role_in_on(Role::FirstSecretary, household.village_id, day)
            || scope
                .me
                .has_role_in_on(Role::TeamMember, household.village_id, day);
        if !staff {
            return Err(refuse(
                "household_id",
                "not_village_staff",
                "只有本村第一书记或驻村工作队员可以安排结对帮扶干部。请联系本村第一书记安排。",
            ));
        }
        Ok(household)
    }

    /// A pairing of the household active on `day` or starting later.
    fn active_pairing_from(
        &self,
        household: &Household,
        day: NaiveDate,
    ) -> Result<Option<Pairing>> {
        Ok(self
            .store
            .pairings_of_household(household.id)?
            .into_iter()
            .find(|p| p.end.is_none_or(|end| end >= day)))
    }
}

fn already_paired_words(p: &Pairing) -> String {
    format!(
        "这户已有结对帮扶干部（自 {} 起），不能再安排。如需更换，请由帮扶单位按职务接替。",
        p.start
    )
}

fn already_paired(p: &Pairing) -> AppError {
    refuse("household_id", "already_paired", &already_paired_words(p))
}
