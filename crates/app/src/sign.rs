//! 更换联系牌 (R7): after a pairing change the contact sign on the house names the new cadre;
//! recording its replacement satisfies the R7 task of that pairing. The form lists the
//! household's pairings still waiting for a new sign; saving records a
//! [`bangfu_core::SignReplacement`] that syncs like any field record.
//!
//! Refused at their field, nothing saved: a household outside the person's scope
//! (`household_id`), a pairing of another household or unknown (`pairing_id`), a day in the
//! future, before the pairing began or after it ended (`replaced_on`).
//!
//! Not done yet: a photo of the new sign (the record has no photo field).

use bangfu_core::{Pairing, Record, SignReplacement, WorkingDays};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::clock::epoch_ms;
use crate::error::{AppError, FieldError, Result};
use crate::scope::{Areas, Scope, scope_path};

/// Working days after a pairing's start by which its sign is due (R7).
pub const SIGN_DUE_WORKING_DAYS: u32 = 7;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SignFormQuery {
    pub household_id: Uuid,
}

/// A pairing of the household whose contact sign has not been recorded as replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SignPairing {
    pub pairing_id: Uuid,
    pub cadre_name: String,
    pub start: NaiveDate,
    /// 7 working days after `start` (statutory holidays and 调休 respected).
    pub due_on: NaiveDate,
    /// Today is after `due_on`.
    pub overdue: bool,
}

/// The contact-sign form of one household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SignForm {
    pub household_id: Uuid,
    pub head_name: String,
    pub today: NaiveDate,
    /// Pairings active today with no sign recorded, newest first (the first is the one to pick).
    pub pairings: Vec<SignPairing>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SignInput {
    pub household_id: Uuid,
    pub pairing_id: Uuid,
    /// The day the new sign went up; today when absent.
    pub replaced_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SignSaved {
    pub id: Uuid,
    pub replaced_on: NaiveDate,
}

fn field(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

impl App {
    /// The household's pairings that need a new contact sign.
    pub fn sign_form(&self, q: SignFormQuery) -> Result<SignForm> {
        let scope = self.scope()?;
        let household = self.household_in_scope(&scope, q.household_id)?;
        let today = scope.today;
        let mut pairings = Vec::new();
        for p in self.store.pairings_of_household(household.id)? {
            if !p.active_on(today) || !self.store.sign_replacements_of_pairing(p.id)?.is_empty() {
                continue;
            }
            let due_on = WorkingDays::add(p.start, SIGN_DUE_WORKING_DAYS);
            pairings.push(SignPairing {
                pairing_id: p.id,
                cadre_name: self
                    .store
                    .get_person(p.cadre_id)?
                    .map(|c| c.name)
                    .unwrap_or_default(),
                start: p.start,
                due_on,
                overdue: today > due_on,
            });
        }
        pairings.sort_by(|a, b| b.start.cmp(&a.start).then(a.pairing_id.cmp(&b.pairing_id)));
        Ok(SignForm {
            household_id: household.id,
            head_name: household.head_name,
            today,
            pairings,
        })
    }

    /// Records that the household's contact sign was replaced for a pairing (R7).
    pub fn sign_record(&mut self, input: SignInput) -> Result<SignSaved> {
        let scope = self.scope()?;
        let household = self.sign_household(&scope, input.household_id)?;
        let today = scope.today;
        let replaced_on = input.replaced_on.unwrap_or(today);
        let mut fields = Vec::new();
        let pairing: Option<Pairing> = self.store.get_pairing(input.pairing_id)?;
        match &pairing {
            None => fields.push(field(
                "pairing_id",
                "unknown_pairing",
                "找不到所选结对关系，可能还没有同步到本机。请先同步，再选择本户的结对关系。",
            )),
            Some(p) if p.household_id != household.id => fields.push(field(
                "pairing_id",
                "pairing_household_mismatch",
                "所选结对关系属于其他农户。请选择本户的结对关系。",
            )),
            Some(_) => {}
        }
        if replaced_on > today {
            fields.push(field(
                "replaced_on",
                "in_future",
                "更换日期晚于今天。请选择联系牌实际更换的日期（不能晚于今天）。",
            ));
        } else if let Some(p) = pairing.as_ref().filter(|p| p.household_id == household.id) {
            if replaced_on < p.start {
                fields.push(field(
                    "replaced_on",
                    "replaced_before_pairing",
                    &format!(
                        "更换日期早于结对开始日期（{}）。请选择结对开始当天或之后的日期。",
                        p.start
                    ),
                ));
            } else if p.end.is_some_and(|end| replaced_on > end) {
                fields.push(field(
                    "replaced_on",
                    "replaced_after_pairing",
                    "更换日期晚于该结对的结束日期。请选择结对期间的日期，或选择现在的结对关系。",
                ));
            }
        }
        if !fields.is_empty() {
            return Err(AppError::Invalid(fields));
        }
        let sign = SignReplacement {
            id: Uuid::now_v7(),
            household_id: household.id,
            pairing_id: input.pairing_id,
            replaced_on,
            recorded_by: scope.me.id,
        };
        let mut areas = Areas::default();
        let path = scope_path(&self.store, &mut areas, &household)?;
        let now = self.now();
        self.store.record_change(
            &Record::SignReplacement(sign.clone()),
            scope.me.id,
            &path,
            epoch_ms(now),
            now,
        )?;
        Ok(SignSaved {
            id: sign.id,
            replaced_on,
        })
    }

    /// The household of a sign, refused at the form's `household_id` when it is unknown or
    /// outside the person's scope.
    fn sign_household(&self, scope: &Scope, id: Uuid) -> Result<bangfu_core::Household> {
        match self.household_in_scope(scope, id) {
            Ok(h) => Ok(h),
            Err(AppError::NotInScope | AppError::NotFound(_)) => {
                Err(AppError::Invalid(vec![field(
                    "household_id",
                    "not_in_scope",
                    "这户不在您的帮扶范围内，不能为其记录联系牌更换。请从“我的帮扶户”中选择农户。",
                )]))
            }
            Err(e) => Err(e),
        }
    }
}
