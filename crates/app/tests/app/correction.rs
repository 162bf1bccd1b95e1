//! Correcting a saved visit (W2): opened pre-filled from the visit in force, a reason required,
//! finished as a new visit that supersedes the original; the timeline shows both; the rules
//! count the one in force; every refusal names its field and saves nothing.

use bangfu_app::correction::CorrectionOpenRequest;
use bangfu_app::household::{HouseholdPageQuery, TimelineEntry, VisitEntry};
use bangfu_app::tasks::TasksQuery;
use bangfu_app::visit::{DraftNewRequest, DraftRef, VisitDraft};
use bangfu_app::{AppError, Clock};
use bangfu_core::rules;
use bangfu_core::{CheckStatus, Role};
use chrono::{Duration, FixedOffset, TimeZone};
use uuid::Uuid;

use crate::common::{self, Fixture, Who};

/// Records a visit of `hid` with all four checks ok, a problem noted, a photo and a signature.
fn record_visit(f: &mut Fixture, hid: Uuid) -> Uuid {
    let mut d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    for c in [
        &mut d.checks.education,
        &mut d.checks.medical,
        &mut d.checks.housing,
        &mut d.checks.water,
    ] {
        c.status = Some(CheckStatus::Ok);
    }
    d.present = vec!["户主".into()];
    d.problems = "屋面漏雨".into();
    d.measures = "联系镇住房安全保障专班".into();
    let d = f.app.draft_save(d).expect("save");
    f.app.add_photo(d.id, &common::jpeg(7)).expect("photo");
    f.app
        .set_signature(d.id, &common::png(8))
        .expect("signature");
    f.app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish")
        .visit_id
}

fn visits_in_timeline(f: &Fixture, hid: Uuid) -> Vec<VisitEntry> {
    f.app
        .household_page(HouseholdPageQuery { household_id: hid })
        .expect("page")
        .timeline
        .into_iter()
        .filter_map(|e| match e {
            TimelineEntry::Visit(v) => Some(v),
            _ => None,
        })
        .collect()
}

fn entry(entries: &[VisitEntry], id: Uuid) -> &VisitEntry {
    entries
        .iter()
        .find(|e| e.id == id)
        .expect("in the timeline")
}

/// The one field error of a refusal: (field, code, message).
fn refusal(e: AppError) -> (String, String, String) {
    assert_eq!(e.code(), "invalid", "{e:?}");
    let body = e.body();
    assert_eq!(body.fields.len(), 1, "{:?}", body.fields);
    let f = &body.fields[0];
    (f.field.clone(), f.code.clone(), f.message.clone())
}

fn open(f: &mut Fixture, visit_id: Uuid) -> Result<VisitDraft, AppError> {
    f.app.correction_open(CorrectionOpenRequest { visit_id })
}

#[test]
fn a_correction_supersedes_the_original_and_the_timeline_shows_both() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let original = record_visit(&mut f, hid);
    let stored = f.app.store().get_visit(original).expect("get").expect("o");
    f.clock.advance(Duration::hours(2));
    let pending_before = f.app.store().unsynced_count().expect("count");

    // Pre-filled from the visit in force.
    let mut d = open(&mut f, original).expect("open");
    assert_ne!(d.id, original);
    assert_eq!(d.corrects, Some(original));
    assert_eq!(d.household_id, hid);
    assert_eq!(d.started_at, stored.visited_at.to_rfc3339());
    assert_eq!(d.problems, "屋面漏雨");
    assert_eq!(d.measures, stored.measures);
    assert_eq!(d.present, stored.present);
    assert_eq!(d.checks.water.status, Some(CheckStatus::Ok));
    assert_eq!(d.photos.len(), 1);
    assert_eq!(d.photos[0].sha256, stored.photos[0]);
    assert!(d.photos[0].bytes > 0, "the photo is on this phone");
    assert_eq!(
        d.signature.as_ref().map(|s| s.sha256.clone()),
        stored.signature
    );
    assert!(d.correction_reason.is_empty());
    // Opening it again gives the same draft back.
    assert_eq!(open(&mut f, original).expect("again").id, d.id);

    // Change what was wrong, give the reason; `corrects` cannot be changed by a save.
    d.problems = "屋面漏雨，东墙开裂".into();
    d.checks.housing.status = Some(CheckStatus::Risk);
    d.checks.housing.note = "东墙开裂".into();
    d.correction_reason = "漏记了东墙开裂".into();
    d.corrects = Some(Uuid::nil());
    let d = f.app.draft_save(d).expect("save");
    assert_eq!(d.corrects, Some(original));
    let done = f
        .app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish");
    assert_eq!(done.visit_id, d.id);

    let fixed = f.app.store().get_visit(d.id).expect("get").expect("fixed");
    assert_eq!(fixed.corrects, Some(original));
    assert_eq!(fixed.correction_reason.as_deref(), Some("漏记了东墙开裂"));
    assert_eq!(fixed.visitor_id, f.me);
    assert_eq!(fixed.visited_at, stored.visited_at);
    assert_eq!(fixed.problems, "屋面漏雨，东墙开裂");
    assert_eq!(fixed.photos, stored.photos);
    assert_eq!(fixed.signature, stored.signature);
    // Append-only: the original is still there, unchanged; one operation to sync.
    assert_eq!(
        f.app.store().get_visit(original).expect("get"),
        Some(stored.clone())
    );
    assert_eq!(
        f.app.store().unsynced_count().expect("count"),
        pending_before + 1
    );

    // The timeline shows both: the original corrected (by whom, when, why), the correction.
    let entries = visits_in_timeline(&f, hid);
    let o = entry(&entries, original);
    assert!(o.corrected);
    assert!(!o.can_correct);
    let by = o.corrected_by.as_ref().expect("corrected by");
    assert_eq!(by.id, d.id);
    assert_eq!(by.reason, "漏记了东墙开裂");
    let me = &f
        .ds()
        .people
        .iter()
        .find(|p| p.id == f.me)
        .expect("me")
        .name;
    assert_eq!(&by.by_name, me);
    // When it was begun (its UUIDv7 id: the phone's real time), in the correction's offset.
    let at =
        chrono::DateTime::parse_from_rfc3339(by.at.as_deref().expect("when")).expect("an instant");
    assert_eq!(at.offset(), fixed.visited_at.offset());
    let c = entry(&entries, d.id);
    assert!(!c.corrected);
    assert!(c.can_correct);
    assert_eq!(c.corrects, Some(original));
    assert_eq!(c.correction_reason.as_deref(), Some("漏记了东墙开裂"));
    assert_eq!(c.risks.len(), 1, "the corrected checks are shown");
    // The draft is gone; the household page offers no open draft.
    assert!(
        f.app
            .household_page(HouseholdPageQuery { household_id: hid })
            .expect("page")
            .draft_id
            .is_none()
    );
}

#[test]
fn a_correction_of_a_correction_corrects_the_record_in_force() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let original = record_visit(&mut f, hid);
    let mut d = open(&mut f, original).expect("open");
    d.correction_reason = "在场人员记错了".into();
    d.present = vec!["户主".into(), "配偶".into()];
    let d = f.app.draft_save(d).expect("save");
    let first = f
        .app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish")
        .visit_id;

    // The original is superseded: refused, saying to open the one in force.
    let pending = f.app.store().unsynced_count().expect("count");
    let (field, code, message) = refusal(open(&mut f, original).expect_err("superseded"));
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("corrects", "visit_superseded")
    );
    assert!(message.contains("最新的更正记录"), "{message}");
    assert!(
        f.app
            .household_page(HouseholdPageQuery { household_id: hid })
            .expect("page")
            .draft_id
            .is_none(),
        "no draft was made"
    );

    // The correction in force is corrected in turn; the chain keeps its last.
    let mut d = open(&mut f, first).expect("open the correction");
    assert_eq!(d.corrects, Some(first));
    assert_eq!(d.present, vec!["户主".to_owned(), "配偶".to_owned()]);
    d.correction_reason = "配偶当天不在家".into();
    d.present = vec!["户主".into()];
    let d = f.app.draft_save(d).expect("save");
    let second = f
        .app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish")
        .visit_id;
    assert_eq!(f.app.store().unsynced_count().expect("count"), pending + 1);
    let visits = f.app.store().visits_of_household(hid).expect("visits");
    let in_force: Vec<Uuid> = rules::in_force(&visits)
        .filter(|v| [original, first, second].contains(&v.id))
        .map(|v| v.id)
        .collect();
    assert_eq!(in_force, [second]);
    let entries = visits_in_timeline(&f, hid);
    assert!(entry(&entries, original).corrected);
    assert_eq!(
        entry(&entries, first).corrected_by.as_ref().map(|c| c.id),
        Some(second)
    );
    assert!(!entry(&entries, second).corrected);
}

#[test]
fn w2_a_corrected_implausible_date_no_longer_raises_the_alert() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let today = f.clock.now();
    // The phone's clock ran a month ahead when the visit was recorded.
    f.clock.set(today + Duration::days(30));
    let wrong = record_visit(&mut f, hid);
    f.clock.set(today);
    let w2 = |f: &Fixture| {
        f.app
            .my_tasks(TasksQuery::default())
            .expect("tasks")
            .alerts
            .into_iter()
            .filter(|a| a.kind == "implausible_visit_date" && a.visit_id == Some(wrong))
            .collect::<Vec<_>>()
    };
    let alerts = w2(&f);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].household_id, hid);
    assert!(alerts[0].what_to_do.contains("更正"));

    // Opened from the alert: the wrong time is pre-filled; left as it is, it is refused.
    let mut d = open(&mut f, wrong).expect("open");
    d.correction_reason = "手机时间设置有误，走访日期记错了".into();
    let d = f.app.draft_save(d).expect("save");
    let e = f
        .app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect_err("still in the future");
    let (field, code, message) = refusal(e);
    assert_eq!((field.as_str(), code.as_str()), ("visited_at", "in_future"));
    assert!(message.contains("请改为"), "{message}");
    assert!(f.app.store().get_visit(d.id).expect("get").is_none());
    assert_eq!(w2(&f).len(), 1);

    // The right time: the correction is in force, the alert is gone, and it counts as a visit.
    let mut d = d;
    let tz = FixedOffset::east_opt(8 * 3600).expect("tz");
    let right = tz
        .from_local_datetime(
            &(today.date_naive() - Duration::days(1))
                .and_hms_opt(10, 0, 0)
                .expect("t"),
        )
        .single()
        .expect("time");
    d.started_at = right.to_rfc3339();
    let d = f.app.draft_save(d).expect("save");
    assert_eq!(d.started_at, right.to_rfc3339());
    f.app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish");
    assert!(w2(&f).is_empty(), "the corrected date raises no W2 alert");
    let fixed = f.app.store().get_visit(d.id).expect("get").expect("fixed");
    assert_eq!(fixed.visited_at, right);
    assert_eq!(fixed.corrects, Some(wrong));
}

#[test]
fn corrections_are_refused_in_words_and_save_nothing() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let original = record_visit(&mut f, hid);
    let pending = f.app.store().unsynced_count().expect("count");

    // An unknown visit.
    let e = open(&mut f, Uuid::now_v7()).expect_err("unknown");
    assert_eq!(e.code(), "not_found");

    // An empty reason, an unanswered check and a risk without a note: each at its field.
    let mut d = open(&mut f, original).expect("open");
    d.correction_reason = "   ".into();
    d.checks.medical.status = None;
    d.checks.water.status = Some(CheckStatus::Risk);
    d.checks.water.note = String::new();
    let d = f.app.draft_save(d).expect("save");
    let e = f
        .app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect_err("refused");
    let fields: Vec<(String, String)> = e
        .body()
        .fields
        .iter()
        .map(|x| (x.field.clone(), x.code.clone()))
        .collect();
    assert_eq!(
        fields,
        [
            (
                "correction_reason".to_owned(),
                "correction_reason_required".to_owned()
            ),
            (
                "checks.medical.status".to_owned(),
                "check_unanswered".to_owned()
            ),
        ]
    );
    assert!(e.body().fields[0].message.contains("请填写更正原因"));
    let mut d = d;
    d.correction_reason = "漏记了饮水问题".into();
    d.checks.medical.status = Some(CheckStatus::Ok);
    let d = f.app.draft_save(d).expect("save");
    let (field, code, _) = refusal(
        f.app
            .draft_finish(DraftRef { draft_id: d.id })
            .expect_err("a risk needs a note"),
    );
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("checks.water.note", "risk_needs_note")
    );

    // A reason too long and an unreadable time: refused at save, the stored draft unchanged.
    let mut long = d.clone();
    long.correction_reason = "错".repeat(501);
    let (field, code, _) = refusal(f.app.draft_save(long).expect_err("too long"));
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("correction_reason", "too_long")
    );
    let mut bad = d.clone();
    bad.started_at = "昨天上午".into();
    let (field, code, _) = refusal(f.app.draft_save(bad).expect_err("bad time"));
    assert_eq!((field.as_str(), code.as_str()), ("visited_at", "bad_time"));
    assert_eq!(open(&mut f, original).expect("same draft"), d);

    // Another open draft of the household: the correction waits for it.
    f.app
        .draft_discard(DraftRef { draft_id: d.id })
        .expect("discard");
    let other = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    let (field, code, message) = refusal(open(&mut f, original).expect_err("draft open"));
    assert_eq!((field.as_str(), code.as_str()), ("corrects", "draft_open"));
    assert!(message.contains("完成或放弃"), "{message}");
    f.app
        .draft_discard(DraftRef { draft_id: other.id })
        .expect("discard");

    // Nothing of all this was recorded.
    assert_eq!(f.app.store().unsynced_count().expect("count"), pending);
    let visits = f.app.store().visits_of_household(hid).expect("visits");
    assert!(visits.iter().all(|v| v.corrects != Some(original)));
    // The photo and signature of the original survive the discarded corrections.
    let stored = f.app.store().get_visit(original).expect("get").expect("o");
    for sha in stored.photos.iter().chain(stored.signature.as_ref()) {
        assert!(
            f.app
                .photo_bytes(bangfu_app::visit::PhotoQuery {
                    sha256: sha.clone()
                })
                .is_ok()
        );
    }
}

#[test]
fn only_the_visitor_corrects_a_visit() {
    // A first secretary sees her village's households, and the visits their cadres made.
    let mut f = common::fixture(Who::FirstSecretary);
    let ds = f.ds();
    let me = f.me;
    let villages: Vec<Uuid> = ds
        .people
        .iter()
        .find(|p| p.id == me)
        .expect("me")
        .roles
        .iter()
        .filter(|g| g.role == Role::FirstSecretary && g.holds_on(common::as_of()))
        .filter_map(|g| g.area_id)
        .collect();
    let corrected = rules::corrected(&ds.visits);
    let theirs = ds
        .visits
        .iter()
        .find(|v| {
            v.visitor_id != me
                && !corrected.contains(&v.id)
                && ds
                    .households
                    .iter()
                    .any(|h| h.id == v.household_id && villages.contains(&h.village_id))
        })
        .expect("a cadre's visit in her village");
    let pending = f.app.store().unsynced_count().expect("count");
    let (field, code, message) = refusal(open(&mut f, theirs.id).expect_err("not hers"));
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("corrects", "not_your_visit")
    );
    assert!(message.contains("走访人本人"), "{message}");
    // Not listed as correctable on the household page either.
    let entries = visits_in_timeline(&f, theirs.household_id);
    assert!(!entry(&entries, theirs.id).can_correct);
    assert!(
        f.app
            .household_page(HouseholdPageQuery {
                household_id: theirs.household_id
            })
            .expect("page")
            .draft_id
            .is_none()
    );
    assert_eq!(f.app.store().unsynced_count().expect("count"), pending);
}
