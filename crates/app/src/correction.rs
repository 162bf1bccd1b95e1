//! 更正走访: correcting a saved visit (W2 tells the user to). A visit is never edited: the user
//! opens the visit in force for correction, which gives a visit draft (the same draft, steps,
//! photos and signature as a new visit — [`crate::visit`]) pre-filled from it and marked with
//! what it corrects; she changes what was wrong, including the visited time, gives a reason
//! (更正原因), and finishing records a new visit with `corrects` and `correction_reason`, which
//! supersedes the original (append-only; the rules count only the record in force).
//!
//! Refused, with words that say what to do, and nothing saved: a visit someone else made (only
//! its own visitor corrects it; the server refuses it too), a visit already corrected (open the
//! correction in force instead), a household with another open draft, an empty or too long
//! reason, a visited time in the future or unreadable, and every refusal of a new visit.

use bangfu_core::rules;
use bangfu_core::validate::MAX_CORRECTION_REASON_CHARS;
use bangfu_core::{CheckItem, Visit};
use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, FieldError, Result, invalid};
use crate::scope::Scope;
use crate::visit::{DraftCheck, DraftChecks, DraftTidiness, PhotoRef, VisitDraft};

/// Which visit to correct.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CorrectionOpenRequest {
    pub visit_id: Uuid,
}

fn field(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// A too long reason, refused at its field when the draft is saved.
pub(crate) fn check_reason_length(fields: &mut Vec<FieldError>, d: &VisitDraft) {
    if d.correction_reason.chars().count() > MAX_CORRECTION_REASON_CHARS {
        fields.push(field(
            "correction_reason",
            "too_long",
            &format!("更正原因太长（最多 {MAX_CORRECTION_REASON_CHARS} 字）。请精简后再保存。"),
        ));
    }
}

/// A correction's visited time as the form gives it (RFC 3339), refused at its field when it
/// cannot be read.
pub(crate) fn visited_time(text: &str) -> Result<String> {
    DateTime::<FixedOffset>::parse_from_rfc3339(text.trim())
        .map(|t| t.to_rfc3339())
        .map_err(|_| {
            invalid(
                "visited_at",
                "bad_time",
                "走访时间无法识别。请重新选择走访的日期和时间。",
            )
        })
}

fn draft_check(c: &bangfu_core::Check) -> DraftCheck {
    DraftCheck {
        status: Some(c.status),
        note: c.note.clone().unwrap_or_default(),
    }
}

impl App {
    /// The visit `id` and whether it is in force among its household's visits, ignoring the
    /// record `except` (a correction being finished again after a killed app).
    fn visit_and_force(&self, id: Uuid, except: Option<Uuid>) -> Result<(Visit, bool)> {
        let visit = self
            .store
            .get_visit(id)?
            .ok_or(AppError::NotFound("visit"))?;
        let visits: Vec<Visit> = self
            .store
            .visits_of_household(visit.household_id)?
            .into_iter()
            .filter(|v| Some(v.id) != except)
            .collect();
        let in_force = !rules::corrected(&visits).contains(&id);
        Ok((visit, in_force))
    }

    /// Why `visit` may not be corrected by the signed-in person (nothing: she may).
    fn may_correct(scope: &Scope, visit: &Visit, in_force: bool) -> Option<FieldError> {
        if visit.visitor_id != scope.me.id {
            return Some(field(
                "corrects",
                "not_your_visit",
                "只有走访人本人才能更正这次走访。如记录有误，请联系当时的走访人在其手机上更正。",
            ));
        }
        if !in_force {
            return Some(field(
                "corrects",
                "visit_superseded",
                "这次走访已经更正过，原记录不再有效。请在走访记录中打开最新的更正记录，再点“更正”。",
            ));
        }
        None
    }

    /// Opens the visit `visit_id` for correction: a visit draft pre-filled from it (checks,
    /// present, policy talk, tidiness, problems, measures, photos, signature, place, visited
    /// time), marked with what it corrects. The household's open correction of the same visit is
    /// given back as it is.
    pub fn correction_open(&mut self, req: CorrectionOpenRequest) -> Result<VisitDraft> {
        let scope = self.scope()?;
        let (visit, in_force) = self.visit_and_force(req.visit_id, None)?;
        self.household_in_scope(&scope, visit.household_id)?;
        if let Some(refusal) = Self::may_correct(&scope, &visit, in_force) {
            return Err(AppError::Invalid(vec![refusal]));
        }
        if let Some(open) = self.draft_for_household(visit.household_id)? {
            if open.corrects == Some(visit.id) {
                return Ok(open);
            }
            return Err(AppError::Invalid(vec![field(
                "corrects",
                "draft_open",
                "该户还有一份未完成的走访（或更正）。请先在该户页面完成或放弃它，再更正这次走访。",
            )]));
        }
        let photo = |sha: &String| PhotoRef {
            sha256: sha.clone(),
            bytes: self.kept_photo_bytes(sha),
        };
        let now = self.now().to_rfc3339();
        let checks = &visit.checks;
        let draft = VisitDraft {
            id: Uuid::now_v7(),
            household_id: visit.household_id,
            started_at: visit.visited_at.to_rfc3339(),
            updated_at: now,
            step: 0,
            present: visit.present.clone(),
            checks: DraftChecks {
                education: draft_check(checks.get(CheckItem::Education)),
                medical: draft_check(checks.get(CheckItem::Medical)),
                housing: draft_check(checks.get(CheckItem::Housing)),
                water: draft_check(checks.get(CheckItem::Water)),
            },
            policy_talk: visit.policy_talk.clone(),
            tidiness: visit.tidiness.map(|t| DraftTidiness {
                yard: t.yard,
                rooms: t.rooms,
                kitchen: t.kitchen,
                toilet: t.toilet,
                person: t.person,
                arrangement: t.arrangement,
            }),
            problems: visit.problems.clone(),
            measures: visit.measures.clone(),
            photos: visit.photos.iter().map(photo).collect(),
            signature: visit.signature.as_ref().map(photo),
            place: visit.place,
            corrects: Some(visit.id),
            correction_reason: String::new(),
        };
        let mut draft = draft;
        self.put_draft(&mut draft)?;
        Ok(draft)
    }

    /// What refuses finishing the draft `d` as a correction (nothing for a new visit's draft):
    /// the original no longer correctable by this person, an empty reason, a visited time that
    /// cannot be read or lies in the future.
    pub(crate) fn correction_refusals(
        &self,
        scope: &Scope,
        d: &VisitDraft,
    ) -> Result<Vec<FieldError>> {
        let Some(original) = d.corrects else {
            return Ok(Vec::new());
        };
        let mut fields = Vec::new();
        let (visit, in_force) = self.visit_and_force(original, Some(d.id))?;
        if let Some(refusal) = Self::may_correct(scope, &visit, in_force) {
            fields.push(refusal);
        }
        if visit.household_id != d.household_id {
            return Err(AppError::Internal("correction of another household".into()));
        }
        match DateTime::<FixedOffset>::parse_from_rfc3339(&d.started_at) {
            Ok(at) if at > self.now() + Duration::minutes(5) => fields.push(field(
                "visited_at",
                "in_future",
                "走访时间晚于现在。请改为实际入户走访的日期和时间。",
            )),
            Ok(_) => {}
            Err(_) => fields.push(field(
                "visited_at",
                "bad_time",
                "走访时间无法识别。请重新选择走访的日期和时间。",
            )),
        }
        if d.correction_reason.trim().is_empty() {
            fields.push(field(
                "correction_reason",
                "correction_reason_required",
                "请填写更正原因：说明原记录哪里有误（例如“走访日期记错了”）。",
            ));
        }
        Ok(fields)
    }
}
