//! The new-visit flow: a draft saved at every step (so a killed app loses nothing), photos and
//! the household's drawn signature kept as files by SHA-256, and finishing: the four checks
//! validated (each answered; a risk needs a note — the core's `risk_needs_note`), the visit
//! recorded through the store with its sync operation, its photos queued for upload.
//!
//! The visit's id is the draft's id: finishing twice (the app killed after the visit was
//! recorded but before the draft was removed) records one visit, never two.

use std::collections::BTreeSet;

use bangfu_core::{Check, Checks, Record, Tidiness, Visit};
use bangfu_store::StoreError;
use bangfu_store::local::PhotoKind;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::clock::epoch_ms;
use crate::error::{AppError, FieldError, Result, invalid};
use crate::photo::KeptPhoto;
use crate::scope::{Areas, scope_path};
use bangfu_core::{CheckItem, CheckStatus, GeoPoint};

pub use crate::photo::{MAX_PHOTO_BYTES, PHOTO_DIR};

/// Photos one visit may carry.
pub const MAX_PHOTOS: usize = 20;
/// Largest signature image.
pub const MAX_SIGNATURE_BYTES: usize = 2 * 1024 * 1024;
/// Longest free text of a draft field.
pub const MAX_TEXT_CHARS: usize = 2000;

/// One of the four checks, as the form holds it: not answered yet, or ok / risk with a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DraftCheck {
    pub status: Option<CheckStatus>,
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DraftChecks {
    pub education: DraftCheck,
    pub medical: DraftCheck,
    pub housing: DraftCheck,
    pub water: DraftCheck,
}

/// 五净一规范: each true when met.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DraftTidiness {
    pub yard: bool,
    pub rooms: bool,
    pub kitchen: bool,
    pub toilet: bool,
    pub person: bool,
    pub arrangement: bool,
}

/// A photo or signature file kept on the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PhotoRef {
    /// Lowercase hex SHA-256 of the bytes (the name records use).
    pub sha256: String,
    pub bytes: u32,
}

/// A visit being recorded (or, with `corrects`, a correction of a saved visit). `draft_save`
/// stores everything but `photos`, `signature`, `started_at` and `corrects`, which only
/// `add_photo`/`remove_photo`, `set_signature`, `draft_new` and `correction_open` change; a
/// correction's `started_at` (the visited time) is the user's to change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct VisitDraft {
    /// Also the id of the visit it becomes.
    pub id: Uuid,
    pub household_id: Uuid,
    /// When the visit began (RFC 3339, the phone's offset).
    pub started_at: String,
    /// When the draft was last saved.
    pub updated_at: String,
    /// The step of the flow the user is on (the UI's own numbering).
    pub step: u32,
    /// Who of the household was present.
    pub present: Vec<String>,
    pub checks: DraftChecks,
    /// Policies explained (D1).
    pub policy_talk: Vec<String>,
    /// The 五净一规范 check (D6), when done.
    pub tidiness: Option<DraftTidiness>,
    pub problems: String,
    pub measures: String,
    pub photos: Vec<PhotoRef>,
    pub signature: Option<PhotoRef>,
    pub place: Option<GeoPoint>,
    /// Correction mode: the visit this draft corrects (see [`crate::correction`]); set only by
    /// `correction_open`, never by `draft_save`.
    #[serde(default)]
    pub corrects: Option<Uuid>,
    /// Correction mode: why the visit is corrected (更正原因), required to finish.
    #[serde(default)]
    pub correction_reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DraftNewRequest {
    pub household_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DraftQuery {
    pub household_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DraftRef {
    pub draft_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PhotoRemoveRequest {
    pub draft_id: Uuid,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PhotoQuery {
    pub sha256: String,
}

/// A visit recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VisitFinished {
    pub visit_id: Uuid,
    pub household_id: Uuid,
    /// Checks found at risk: each raised an alert to the village and township (sent with the
    /// next sync).
    pub risk_items: Vec<CheckItem>,
    /// Photos and signature waiting for upload.
    pub photos_queued: u32,
}

fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A])
}

fn check_text(fields: &mut Vec<FieldError>, field: &str, text: &str, label: &str) {
    if text.chars().count() > MAX_TEXT_CHARS {
        fields.push(FieldError {
            field: field.to_owned(),
            code: "too_long".to_owned(),
            message: format!("{label}太长（最多 {MAX_TEXT_CHARS} 字）。请精简后再保存。"),
        });
    }
}

fn check_label(item: CheckItem) -> &'static str {
    crate::tasks::words::check_item(item)
}

impl DraftCheck {
    fn to_check(&self) -> Option<Check> {
        let note = self.note.trim();
        Some(Check {
            status: self.status?,
            note: (!note.is_empty()).then(|| note.to_owned()),
        })
    }
}

impl DraftChecks {
    fn get(&self, item: CheckItem) -> &DraftCheck {
        match item {
            CheckItem::Education => &self.education,
            CheckItem::Medical => &self.medical,
            CheckItem::Housing => &self.housing,
            CheckItem::Water => &self.water,
        }
    }
}

const ITEMS: [(CheckItem, &str); 4] = [
    (CheckItem::Education, "education"),
    (CheckItem::Medical, "medical"),
    (CheckItem::Housing, "housing"),
    (CheckItem::Water, "water"),
];

/// What the user typed that is too long or too many (before anything is stored).
fn check_draft_input(d: &VisitDraft) -> Result<()> {
    let mut fields = Vec::new();
    for (item, key) in ITEMS {
        check_text(
            &mut fields,
            &format!("checks.{key}.note"),
            &d.checks.get(item).note,
            &format!("{}情况说明", check_label(item)),
        );
    }
    check_text(&mut fields, "problems", &d.problems, "存在问题");
    check_text(&mut fields, "measures", &d.measures, "帮扶措施");
    crate::correction::check_reason_length(&mut fields, d);
    if d.present.len() > 30 || d.present.iter().any(|p| p.chars().count() > 50) {
        fields.push(FieldError {
            field: "present".into(),
            code: "too_long".into(),
            message: "在场人员名单太长。请只填写在场的家庭成员姓名。".into(),
        });
    }
    if d.policy_talk.len() > 50 || d.policy_talk.iter().any(|p| p.chars().count() > 200) {
        fields.push(FieldError {
            field: "policy_talk".into(),
            code: "too_long".into(),
            message: "宣讲政策的条目太多或太长。请精简后再保存。".into(),
        });
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(fields))
    }
}

/// A stored draft's body, read back.
fn parse_draft(body: Option<String>) -> Result<Option<VisitDraft>> {
    body.map(|b| serde_json::from_str(&b).map_err(AppError::from))
        .transpose()
}

impl From<KeptPhoto> for PhotoRef {
    fn from(k: KeptPhoto) -> PhotoRef {
        PhotoRef {
            sha256: k.sha256,
            bytes: k.bytes,
        }
    }
}

impl App {
    fn load_draft(&self, id: Uuid) -> Result<Option<VisitDraft>> {
        parse_draft(self.local.draft(id)?)
    }

    pub(crate) fn draft_for_household(&self, household_id: Uuid) -> Result<Option<VisitDraft>> {
        parse_draft(self.local.draft_of_household(household_id)?)
    }

    pub(crate) fn draft_households(&self) -> Result<BTreeSet<Uuid>> {
        Ok(self.local.draft_households()?)
    }

    /// Writes a draft (one statement: it is there, whole, when this returns).
    pub(crate) fn put_draft(&self, d: &mut VisitDraft) -> Result<()> {
        let now = self.now();
        d.updated_at = now.to_rfc3339();
        let body = serde_json::to_string(d)?;
        self.local
            .put_draft(d.id, d.household_id, epoch_ms(now), &body)?;
        Ok(())
    }

    /// The draft, refusing one whose household left the person's scope.
    fn draft_in_scope(&self, id: Uuid) -> Result<VisitDraft> {
        let d = self.load_draft(id)?.ok_or(AppError::NotFound("draft"))?;
        let scope = self.scope()?;
        self.household_in_scope(&scope, d.household_id)?;
        Ok(d)
    }

    /// The household's open draft, or a new one starting now.
    pub fn draft_new(&mut self, req: DraftNewRequest) -> Result<VisitDraft> {
        let scope = self.scope()?;
        self.household_in_scope(&scope, req.household_id)?;
        if let Some(d) = self.draft_for_household(req.household_id)? {
            return Ok(d);
        }
        let now = self.now().to_rfc3339();
        let mut d = VisitDraft {
            id: Uuid::now_v7(),
            household_id: req.household_id,
            started_at: now.clone(),
            updated_at: now,
            step: 0,
            present: Vec::new(),
            checks: DraftChecks::default(),
            policy_talk: Vec::new(),
            tidiness: None,
            problems: String::new(),
            measures: String::new(),
            photos: Vec::new(),
            signature: None,
            place: None,
            corrects: None,
            correction_reason: String::new(),
        };
        self.put_draft(&mut d)?;
        Ok(d)
    }

    /// The household's open draft, if any.
    pub fn draft_get(&self, q: DraftQuery) -> Result<Option<VisitDraft>> {
        let scope = self.scope()?;
        self.household_in_scope(&scope, q.household_id)?;
        self.draft_for_household(q.household_id)
    }

    /// Saves the form's fields (every step change calls this): written before it returns. A
    /// correction's draft also saves its visited time (`started_at`) and its reason; what it
    /// corrects never changes.
    pub fn draft_save(&mut self, draft: VisitDraft) -> Result<VisitDraft> {
        let stored = self.draft_in_scope(draft.id)?;
        check_draft_input(&draft)?;
        let started_at = match stored.corrects {
            Some(_) => crate::correction::visited_time(&draft.started_at)?,
            None => stored.started_at,
        };
        let correction_reason = match stored.corrects {
            Some(_) => draft.correction_reason,
            None => String::new(),
        };
        let mut d = VisitDraft {
            household_id: stored.household_id,
            started_at,
            photos: stored.photos,
            signature: stored.signature,
            corrects: stored.corrects,
            correction_reason,
            ..draft
        };
        self.put_draft(&mut d)?;
        Ok(d)
    }

    /// Throws a draft away (its photos stay until no draft or visit names them).
    pub fn draft_discard(&mut self, r: DraftRef) -> Result<()> {
        let d = self.draft_in_scope(r.draft_id)?;
        self.local.delete_draft(d.id)?;
        for p in d.photos.iter().chain(d.signature.as_ref()) {
            self.forget_photo_if_unused(&p.sha256)?;
        }
        Ok(())
    }

    /// Runs the photo through intake (see [`crate::photo`]: shrunk, upright, EXIF dropped,
    /// watermarked), keeps the JPEG under `photos/<sha256>` and adds it to the draft.
    pub fn add_photo(&mut self, draft_id: Uuid, bytes: &[u8]) -> Result<VisitDraft> {
        let mut d = self.draft_in_scope(draft_id)?;
        if d.photos.len() >= MAX_PHOTOS {
            return Err(invalid(
                "photos",
                "too_many_photos",
                &format!("一次走访最多 {MAX_PHOTOS} 张照片。请先删掉不需要的照片。"),
            ));
        }
        let scope = self.scope()?;
        let household = self.household_in_scope(&scope, d.household_id)?;
        let jpeg = crate::photo::prepare(bytes, self.now(), &household.head_name, &scope.me.name)?;
        let r: PhotoRef = self.keep_photo(&jpeg, PhotoKind::Photo)?.into();
        if !d.photos.iter().any(|p| p.sha256 == r.sha256) {
            d.photos.push(r);
        }
        self.put_draft(&mut d)?;
        Ok(d)
    }

    /// Removes a photo from the draft.
    pub fn remove_photo(&mut self, req: PhotoRemoveRequest) -> Result<VisitDraft> {
        let mut d = self.draft_in_scope(req.draft_id)?;
        d.photos.retain(|p| p.sha256 != req.sha256);
        self.put_draft(&mut d)?;
        self.forget_photo_if_unused(&req.sha256)?;
        Ok(d)
    }

    /// Keeps the household's drawn signature (a PNG) and sets it on the draft.
    pub fn set_signature(&mut self, draft_id: Uuid, png: &[u8]) -> Result<VisitDraft> {
        let mut d = self.draft_in_scope(draft_id)?;
        if png.len() > MAX_SIGNATURE_BYTES || !is_png(png) {
            return Err(invalid(
                "signature",
                "signature_not_png",
                "签名图片无效。请让户主在屏幕上重新签名。",
            ));
        }
        let r: PhotoRef = self.keep_photo(png, PhotoKind::Signature)?.into();
        let old = d.signature.replace(r);
        self.put_draft(&mut d)?;
        if let Some(old) =
            old.filter(|o| Some(&o.sha256) != d.signature.as_ref().map(|s| &s.sha256))
        {
            self.forget_photo_if_unused(&old.sha256)?;
        }
        Ok(d)
    }

    /// A kept photo's bytes (thumbnails of a reopened draft).
    pub fn photo_bytes(&self, q: PhotoQuery) -> Result<Vec<u8>> {
        self.require_unlocked()?;
        self.read_photo(&q.sha256)
    }

    /// Records the visit (validated by the core; a risk needs a note), queues its photos and
    /// removes the draft. Order matters for a power cut: the store commits the visit durably
    /// (`synchronous = FULL`: on disk when `record_change` returns), and only then does the
    /// draft's delete commit in `app.sqlite`; a cut in between leaves both, and finishing again
    /// records nothing twice.
    pub fn draft_finish(&mut self, r: DraftRef) -> Result<VisitFinished> {
        let d = self.draft_in_scope(r.draft_id)?;
        let scope = self.scope()?;
        let household = self.household_in_scope(&scope, d.household_id)?;
        check_draft_input(&d)?;
        let mut fields = self.correction_refusals(&scope, &d)?;
        for (item, key) in ITEMS {
            if d.checks.get(item).status.is_none() {
                let label = check_label(item);
                fields.push(FieldError {
                    field: format!("checks.{key}.status"),
                    code: "check_unanswered".into(),
                    message: format!("{label}还没有核查。请选择“有保障”或“有风险”。"),
                });
            }
        }
        if !fields.is_empty() {
            return Err(AppError::Invalid(fields));
        }
        let check = |item: CheckItem| -> Result<Check> {
            d.checks
                .get(item)
                .to_check()
                .ok_or_else(|| AppError::Internal("unanswered check".into()))
        };
        let visited_at = DateTime::<FixedOffset>::parse_from_rfc3339(&d.started_at)
            .map_err(|_| AppError::Internal("draft start time".into()))?;
        let visit = Visit {
            id: d.id,
            household_id: d.household_id,
            visitor_id: scope.me.id,
            visited_at,
            place: d.place,
            present: d
                .present
                .iter()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
            checks: Checks {
                education: check(CheckItem::Education)?,
                medical: check(CheckItem::Medical)?,
                housing: check(CheckItem::Housing)?,
                water: check(CheckItem::Water)?,
            },
            policy_talk: d
                .policy_talk
                .iter()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
            tidiness: d.tidiness.map(|t| Tidiness {
                yard: t.yard,
                rooms: t.rooms,
                kitchen: t.kitchen,
                toilet: t.toilet,
                person: t.person,
                arrangement: t.arrangement,
            }),
            problems: d.problems.trim().to_owned(),
            measures: d.measures.trim().to_owned(),
            photos: d.photos.iter().map(|p| p.sha256.clone()).collect(),
            signature: d.signature.as_ref().map(|s| s.sha256.clone()),
            corrects: d.corrects,
            correction_reason: d.corrects.map(|_| d.correction_reason.trim().to_owned()),
        };
        let mut areas = Areas::default();
        let path = scope_path(&self.store, &mut areas, &household)?;
        let now = self.now();
        match self.store.record_change(
            &Record::Visit(visit.clone()),
            scope.me.id,
            &path,
            epoch_ms(now),
            now,
        ) {
            Ok(_) => {}
            // Recorded before the app was killed, draft not yet removed: finish the cleanup.
            Err(StoreError::AppendOnly { .. })
                if self.store.get_visit(visit.id)?.is_some_and(|v| v == visit) => {}
            Err(e) => return Err(e.into()),
        }
        let queued: Vec<&str> = visit
            .photos
            .iter()
            .chain(visit.signature.as_ref())
            .map(String::as_str)
            .collect();
        self.local.finish_draft(d.id, visit.id, &queued)?;
        Ok(VisitFinished {
            visit_id: visit.id,
            household_id: visit.household_id,
            risk_items: ITEMS
                .iter()
                .filter(|(item, _)| d.checks.get(*item).status == Some(CheckStatus::Risk))
                .map(|(item, _)| *item)
                .collect(),
            photos_queued: u32::try_from(queued.len()).unwrap_or(u32::MAX),
        })
    }
}
