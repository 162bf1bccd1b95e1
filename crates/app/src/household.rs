//! The household page: profile with its class history (R1) and risks, members with masked ID
//! numbers (the full number never leaves this crate), pairing history, what is still owed, and
//! one timeline of visits, contacts, income, measures, evaluations and contact-sign replacements
//! (R7), newest first.

use bangfu_core::idnumber;
use bangfu_core::income::IncomeTotals;
use bangfu_core::rules::{self, Status};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::error::Result;
use crate::scope::{Areas, rules_dataset};
use crate::tasks::{Names, Task, TaskStatus};
use bangfu_core::{
    CheckItem, CheckStatus, ContactChannel, EvaluationOutcome, HouseholdClass, LabourAbility,
    MeasureKind, MeasureStatus, MedicalInsurance, MonitoredKind, PairingEndReason, Risk,
    SchoolStage,
};

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct HouseholdPageQuery {
    pub household_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ClassEntry {
    pub from: NaiveDate,
    pub class: HouseholdClass,
    pub kind: Option<MonitoredKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HouseholdProfile {
    pub id: Uuid,
    pub head_name: String,
    pub village_name: String,
    pub township_name: String,
    pub group: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// The class today.
    pub class: Option<HouseholdClass>,
    pub kind: Option<MonitoredKind>,
    /// Dated, oldest first (R1: never overwritten).
    pub class_history: Vec<ClassEntry>,
    pub risks: Vec<Risk>,
}

/// A member, with the ID number masked (first 6 and last 4 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MemberRow {
    pub id: Uuid,
    pub name: String,
    pub relation: String,
    pub id_number_masked: String,
    pub labour: LabourAbility,
    pub school_stage: SchoolStage,
    pub medical_insurance: MedicalInsurance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PairingRow {
    pub id: Uuid,
    pub cadre_name: String,
    pub unit_name: String,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub end_reason: Option<PairingEndReason>,
    /// Active today.
    pub active: bool,
}

/// A check found at risk, with what was noted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RiskNote {
    pub item: CheckItem,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VisitEntry {
    pub id: Uuid,
    pub day: NaiveDate,
    /// RFC 3339 with the phone's offset.
    pub at: String,
    pub visitor_name: String,
    pub risks: Vec<RiskNote>,
    pub policy_talk: Vec<String>,
    /// The 五净一规范 check: all six met (`None`: not checked).
    pub tidy: Option<bool>,
    pub problems: String,
    pub measures: String,
    /// SHA-256 (lowercase hex) of each photo, in the order taken: the UI asks `photo_bytes`
    /// for each (from this phone, else fetched from the server and kept).
    pub photos: Vec<String>,
    /// SHA-256 of the household's drawn signature image (`None`: not signed).
    pub signature: Option<String>,
    /// A later record corrects this one (it no longer counts).
    pub corrected: bool,
    /// Who corrected it, when and why (`corrected` visits).
    pub corrected_by: Option<Box<CorrectionNote>>,
    /// The visit this record corrects, if it is a correction.
    pub corrects: Option<Uuid>,
    /// Why (a correction's 更正原因).
    pub correction_reason: Option<String>,
    /// The signed-in person may correct it: her own visit, in force (更正).
    pub can_correct: bool,
}

/// The correction that superseded a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CorrectionNote {
    /// The correcting record.
    pub id: Uuid,
    pub by_name: String,
    /// When the correction was begun on the phone (RFC 3339; from its UUIDv7 id, `None` when the
    /// id carries no time).
    pub at: Option<String>,
    pub reason: String,
}

/// When a record with a UUIDv7 id was made, in `offset`.
fn made_at(id: Uuid, offset: FixedOffset) -> Option<String> {
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    let at = DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)?;
    Some(at.with_timezone(&offset).to_rfc3339())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ContactEntry {
    pub id: Uuid,
    pub day: NaiveDate,
    pub at: String,
    pub channel: ContactChannel,
    pub person_name: String,
    pub note: String,
    pub corrected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IncomeEntry {
    pub id: Uuid,
    /// The collection day.
    pub day: NaiveDate,
    /// `2025-Q3`.
    pub period: String,
    pub net_fen: i64,
    pub net_per_capita_fen: i64,
    pub household_size: u32,
    pub collector_name: String,
    pub corrected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MeasureEntry {
    pub id: Uuid,
    /// The day it started.
    pub day: NaiveDate,
    pub kind: MeasureKind,
    pub status: MeasureStatus,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct EvaluationEntry {
    pub id: Uuid,
    pub day: NaiveDate,
    pub period: String,
    pub outcome: EvaluationOutcome,
    pub income_above_line: bool,
    pub guarantees_consolidated: bool,
    pub risk_eliminated: bool,
    pub note: String,
    pub corrected: bool,
}

/// R7: the contact sign replaced for a pairing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SignEntry {
    pub id: Uuid,
    /// The day the new sign went up.
    pub day: NaiveDate,
    /// The cadre of the pairing the sign names.
    pub cadre_name: String,
    pub recorded_by_name: String,
}

/// One entry of the household's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineEntry {
    Visit(VisitEntry),
    Contact(ContactEntry),
    Income(IncomeEntry),
    Measure(MeasureEntry),
    Evaluation(EvaluationEntry),
    Sign(SignEntry),
}

impl TimelineEntry {
    fn day(&self) -> NaiveDate {
        match self {
            TimelineEntry::Visit(e) => e.day,
            TimelineEntry::Contact(e) => e.day,
            TimelineEntry::Income(e) => e.day,
            TimelineEntry::Measure(e) => e.day,
            TimelineEntry::Evaluation(e) => e.day,
            TimelineEntry::Sign(e) => e.day,
        }
    }

    /// Within a day: the instant where there is one, else the end of the day.
    fn at(&self) -> String {
        match self {
            TimelineEntry::Visit(e) => e.at.clone(),
            TimelineEntry::Contact(e) => e.at.clone(),
            _ => "~".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HouseholdDetail {
    pub profile: HouseholdProfile,
    pub members: Vec<MemberRow>,
    /// Oldest first.
    pub pairings: Vec<PairingRow>,
    /// What is still owed for the household (anyone's), overdue first.
    pub open_tasks: Vec<Task>,
    /// Newest first.
    pub timeline: Vec<TimelineEntry>,
    pub unsynced: u32,
    /// The open visit draft, if any.
    pub draft_id: Option<Uuid>,
}

impl App {
    /// The household page.
    pub fn household_page(&self, q: HouseholdPageQuery) -> Result<HouseholdDetail> {
        let scope = self.scope()?;
        let h = self.household_in_scope(&scope, q.household_id)?;
        let today = scope.today;
        let store = &self.store;
        let mut areas = Areas::default();
        let ds = rules_dataset(store, &mut areas, &scope.me, &[h.id])?;
        let names = Names::new(&ds, &mut areas, store)?;
        let person_name = |id: Uuid| -> Result<String> {
            if let Some(p) = ds.people.iter().find(|p| p.id == id) {
                return Ok(p.name.clone());
            }
            Ok(store.get_person(id)?.map(|p| p.name).unwrap_or_default())
        };

        let class = h.class_on(today);
        let profile = HouseholdProfile {
            id: h.id,
            head_name: h.head_name.clone(),
            village_name: areas.name(store, h.village_id)?,
            township_name: areas.township_name(store, h.village_id)?,
            group: h.group.clone(),
            address: h.address.clone(),
            phone: h.phone.clone(),
            class: class.map(|c| c.class),
            kind: class.and_then(|c| c.kind),
            class_history: h
                .class_history
                .iter()
                .map(|c| ClassEntry {
                    from: c.from,
                    class: c.class,
                    kind: c.kind,
                })
                .collect(),
            risks: h.risks.to_vec(),
        };

        let members = store
            .members_of_household(h.id)?
            .into_iter()
            .map(|m| MemberRow {
                id: m.id,
                name: m.name,
                relation: m.relation,
                id_number_masked: idnumber::mask(&m.id_number),
                labour: m.labour,
                school_stage: m.school_stage,
                medical_insurance: m.medical_insurance,
            })
            .collect();

        let mut pairings = Vec::new();
        let mut sorted = ds.pairings.clone();
        sorted.sort_by_key(|p| (p.start, p.id));
        for p in sorted {
            let cadre = ds.people.iter().find(|x| x.id == p.cadre_id);
            let unit_name = cadre
                .and_then(|c| c.unit_id)
                .and_then(|u| ds.units.iter().find(|x| x.id == u))
                .map(|u| u.name.clone())
                .unwrap_or_default();
            pairings.push(PairingRow {
                id: p.id,
                cadre_name: person_name(p.cadre_id)?,
                unit_name,
                start: p.start,
                end: p.end,
                end_reason: p.end_reason,
                active: p.active_on(today),
            });
        }

        let index = rules::Index::new(&ds);
        let mut open_tasks: Vec<Task> = rules::obligations_with(&index, today)
            .iter()
            .filter(|o| o.household_id == Some(h.id) && o.status != Status::Done)
            .map(|o| crate::tasks::task(o, today, scope.me.id, &ds, &names))
            .collect();
        open_tasks.sort_by_key(|t| {
            (
                match t.status {
                    TaskStatus::Overdue => 0,
                    TaskStatus::Open => 1,
                    TaskStatus::Upcoming => 2,
                },
                t.due_on,
            )
        });

        let mut timeline = Vec::new();
        let visits = &ds.visits;
        let corrected = rules::corrected(visits);
        for v in visits {
            let corrected_by = match visits.iter().find(|c| c.corrects == Some(v.id)) {
                Some(c) => Some(Box::new(CorrectionNote {
                    id: c.id,
                    by_name: person_name(c.visitor_id)?,
                    at: made_at(c.id, *c.visited_at.offset()),
                    reason: c.correction_reason.clone().unwrap_or_default(),
                })),
                None => None,
            };
            let risks = CheckItem::ALL
                .iter()
                .filter_map(|&item| {
                    let c = v.checks.get(item);
                    (c.status == CheckStatus::Risk).then(|| RiskNote {
                        item,
                        note: c.note.clone().unwrap_or_default(),
                    })
                })
                .collect();
            timeline.push(TimelineEntry::Visit(VisitEntry {
                id: v.id,
                day: v.day(),
                at: v.visited_at.to_rfc3339(),
                visitor_name: person_name(v.visitor_id)?,
                risks,
                policy_talk: v.policy_talk.clone(),
                tidy: v.tidiness.map(|t| {
                    t.yard && t.rooms && t.kitchen && t.toilet && t.person && t.arrangement
                }),
                problems: v.problems.clone(),
                measures: v.measures.clone(),
                photos: v.photos.clone(),
                signature: v.signature.clone(),
                corrected: corrected.contains(&v.id),
                corrected_by,
                corrects: v.corrects,
                correction_reason: v.correction_reason.clone(),
                can_correct: v.visitor_id == scope.me.id && !corrected.contains(&v.id),
            }));
        }
        let contacts = store.contacts_of_household(h.id)?;
        let corrected = rules::corrected(&contacts);
        for c in &contacts {
            timeline.push(TimelineEntry::Contact(ContactEntry {
                id: c.id,
                day: c.at.date_naive(),
                at: c.at.to_rfc3339(),
                channel: c.channel,
                person_name: person_name(c.person_id)?,
                note: c.note.clone(),
                corrected: corrected.contains(&c.id),
            }));
        }
        let corrected = rules::corrected(&ds.income_records);
        for r in &ds.income_records {
            let t = IncomeTotals::of(r);
            timeline.push(TimelineEntry::Income(IncomeEntry {
                id: r.id,
                day: r.collected_on,
                period: r.period.to_string(),
                net_fen: t.net_fen,
                net_per_capita_fen: t.net_per_capita_fen,
                household_size: r.household_size,
                collector_name: person_name(r.collector_id)?,
                corrected: corrected.contains(&r.id),
            }));
        }
        for m in store.measures_of_household(h.id)? {
            timeline.push(TimelineEntry::Measure(MeasureEntry {
                id: m.id,
                day: m.started_on,
                kind: m.kind,
                status: m.status,
                description: m.description,
            }));
        }
        let corrected = rules::corrected(&ds.evaluations);
        for e in &ds.evaluations {
            timeline.push(TimelineEntry::Evaluation(EvaluationEntry {
                id: e.id,
                day: e.evaluated_on,
                period: e.period.to_string(),
                outcome: e.outcome,
                income_above_line: e.income_above_line,
                guarantees_consolidated: e.guarantees_consolidated,
                risk_eliminated: e.risk_eliminated,
                note: e.note.clone(),
                corrected: corrected.contains(&e.id),
            }));
        }
        for r in &ds.sign_replacements {
            let cadre = ds
                .pairings
                .iter()
                .find(|p| p.id == r.pairing_id)
                .map(|p| p.cadre_id);
            timeline.push(TimelineEntry::Sign(SignEntry {
                id: r.id,
                day: r.replaced_on,
                cadre_name: match cadre {
                    Some(c) => person_name(c)?,
                    None => String::new(),
                },
                recorded_by_name: person_name(r.recorded_by)?,
            }));
        }
        timeline.sort_by_key(|e| std::cmp::Reverse((e.day(), e.at())));

        Ok(HouseholdDetail {
            profile,
            members,
            pairings,
            open_tasks,
            timeline,
            unsynced: u32::try_from(self.store.unsynced_count_for_household(h.id)?)
                .unwrap_or(u32::MAX),
            draft_id: self.draft_for_household(h.id)?.map(|d| d.id),
        })
    }
}
