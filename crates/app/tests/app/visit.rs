//! The visit flow: drafts survive a killed app, the four checks are validated, the visit is
//! recorded with its sync operation, photos are queued.

use bangfu_app::household::{HouseholdPageQuery, TimelineEntry};
use bangfu_app::tasks::TasksQuery;
use bangfu_app::visit::{
    DraftNewRequest, DraftQuery, DraftRef, PhotoQuery, PhotoRemoveRequest, VisitDraft,
};
use bangfu_core::{CheckItem, CheckStatus};

use crate::common::{self, Who};

fn answer_all_ok(d: &mut VisitDraft) {
    for c in [
        &mut d.checks.education,
        &mut d.checks.medical,
        &mut d.checks.housing,
        &mut d.checks.water,
    ] {
        c.status = Some(CheckStatus::Ok);
    }
}

#[test]
fn a_draft_is_on_disk_before_each_save_returns() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let mut d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    // Asking again gives the same draft (one per household).
    assert_eq!(
        f.app
            .draft_new(DraftNewRequest { household_id: hid })
            .expect("again")
            .id,
        d.id
    );
    d.step = 2;
    d.present = vec!["户主".into(), "配偶".into()];
    d.checks.water.status = Some(CheckStatus::Risk);
    d.checks.water.note = "水管冻裂，停水三天".into();
    d.problems = "冬季取水难".into();
    let saved = f.app.draft_save(d.clone()).expect("save");
    let with_photo = f.app.add_photo(d.id, &common::jpeg(1)).expect("photo");
    assert_eq!(with_photo.photos.len(), 1);
    let sig = f
        .app
        .set_signature(d.id, &common::png(2))
        .expect("signature");
    assert!(sig.signature.is_some());

    // Killed: reopen from the same directory; everything is there.
    f.reopen();
    let back = f
        .app
        .draft_get(DraftQuery { household_id: hid })
        .expect("get")
        .expect("the draft survived");
    assert_eq!(back.step, 2);
    assert_eq!(back.present, saved.present);
    assert_eq!(back.checks, saved.checks);
    assert_eq!(back.problems, "冬季取水难");
    assert_eq!(back.photos, with_photo.photos);
    assert_eq!(back.signature, sig.signature);
    let bytes = f
        .app
        .photo_bytes(PhotoQuery {
            sha256: back.photos[0].sha256.clone(),
        })
        .expect("photo bytes");
    // Intake's JPEG (shrunk, watermarked, without EXIF), named by its hash.
    assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert_ne!(bytes, common::jpeg(1));
    assert_eq!(common::sha256(&bytes), back.photos[0].sha256);
    assert_eq!(back.photos[0].bytes as usize, bytes.len());
    // The list shows the open draft.
    let list = f.app.my_households(Default::default()).expect("list");
    assert!(list.items.iter().any(|r| r.id == hid && r.has_draft));
    // A stale form (without the photo) does not drop the photo.
    let mut stale = d.clone();
    stale.photos.clear();
    let kept = f.app.draft_save(stale).expect("save stale");
    assert_eq!(kept.photos.len(), 1);
}

#[test]
fn finishing_validates_the_four_checks_and_saves_nothing_half() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let pending_before = f.app.store().unsynced_count().expect("count");
    let mut d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");

    // Nothing answered: one error per check.
    let e = f
        .app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect_err("refused");
    assert_eq!(e.code(), "invalid");
    let fields: Vec<String> = e.body().fields.iter().map(|f| f.field.clone()).collect();
    assert_eq!(
        fields,
        [
            "checks.education.status",
            "checks.medical.status",
            "checks.housing.status",
            "checks.water.status"
        ]
    );
    assert!(
        e.body()
            .fields
            .iter()
            .all(|f| f.code == "check_unanswered" && f.message.contains("请选择"))
    );

    // A risk without a note: the core refuses it, naming the field.
    answer_all_ok(&mut d);
    d.checks.housing.status = Some(CheckStatus::Risk);
    d.checks.housing.note = "  ".into();
    let d = f.app.draft_save(d).expect("save");
    let e = f
        .app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect_err("refused");
    let body = e.body();
    assert_eq!(body.fields.len(), 1);
    assert_eq!(body.fields[0].field, "checks.housing.note");
    assert_eq!(body.fields[0].code, "risk_needs_note");
    assert!(body.fields[0].message.contains("住房安全"));
    // Nothing was recorded, the draft is still there.
    assert!(f.app.store().get_visit(d.id).expect("get").is_none());
    assert_eq!(
        f.app.store().unsynced_count().expect("count"),
        pending_before
    );
    assert!(
        f.app
            .draft_get(DraftQuery { household_id: hid })
            .expect("get")
            .is_some()
    );

    // Too long a text is refused before it is stored.
    let mut long = d.clone();
    long.problems = "很".repeat(2001);
    assert_eq!(
        f.app.draft_save(long).expect_err("refused").body().fields[0].code,
        "too_long"
    );
    // Not an image.
    let e = f
        .app
        .add_photo(d.id, b"%PDF-1.4 not a photo")
        .expect_err("refused");
    assert_eq!(e.body().fields[0].code, "photo_not_image");
}

#[test]
fn a_finished_visit_is_recorded_synced_and_raises_the_risk_alert() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let pending_before = f.app.store().unsynced_count().expect("count");
    let mut d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    answer_all_ok(&mut d);
    d.checks.water.status = Some(CheckStatus::Risk);
    d.checks.water.note = "水井干涸".into();
    d.policy_talk = vec!["防返贫监测政策".into()];
    d.tidiness = Some(bangfu_app::visit::DraftTidiness {
        yard: true,
        rooms: true,
        kitchen: true,
        toilet: false,
        person: true,
        arrangement: true,
    });
    let d = f.app.draft_save(d).expect("save");
    f.app.add_photo(d.id, &common::jpeg(3)).expect("photo");
    f.app.add_photo(d.id, &common::jpeg(4)).expect("photo 2");
    let d = f
        .app
        .remove_photo(PhotoRemoveRequest {
            draft_id: d.id,
            sha256: f
                .app
                .draft_get(DraftQuery { household_id: hid })
                .expect("g")
                .expect("d")
                .photos[1]
                .sha256
                .clone(),
        })
        .expect("remove");
    assert_eq!(d.photos.len(), 1);
    let kept_photo = d.photos[0].sha256.clone();
    let signature = f
        .app
        .set_signature(d.id, &common::png(5))
        .expect("signature")
        .signature
        .expect("signed")
        .sha256;

    let done = f
        .app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish");
    assert_eq!(done.visit_id, d.id);
    assert_eq!(done.risk_items, vec![CheckItem::Water]);
    assert_eq!(done.photos_queued, 2);
    // Recorded through the store with its operation.
    let v = f.app.store().get_visit(d.id).expect("get").expect("visit");
    assert_eq!(v.visitor_id, f.me);
    assert_eq!(v.photos, vec![kept_photo.clone()]);
    assert_eq!(v.signature.as_ref(), Some(&signature));
    // The household's timeline names the photo and the signature by their hashes (the UI
    // shows them through `photo_bytes`), never the removed photo.
    let page = f
        .app
        .household_page(HouseholdPageQuery { household_id: hid })
        .expect("page");
    let entry = page
        .timeline
        .iter()
        .find_map(|e| match e {
            TimelineEntry::Visit(v) if v.id == d.id => Some(v),
            _ => None,
        })
        .expect("the visit in the timeline");
    assert_eq!(entry.photos, vec![kept_photo.clone()]);
    assert_eq!(entry.signature.as_ref(), Some(&signature));
    for sha in entry.photos.iter().chain(&entry.signature) {
        let bytes = f
            .app
            .photo_bytes(PhotoQuery {
                sha256: sha.clone(),
            })
            .expect("the timeline's photo is on this phone");
        assert_eq!(&common::sha256(&bytes), sha);
    }
    assert_eq!(
        f.app.store().unsynced_count().expect("count"),
        pending_before + 1
    );
    assert_eq!(
        f.app
            .store()
            .unsynced_count_for_household(hid)
            .expect("count"),
        1
    );
    // The draft is gone; the list shows the "not yet synced" badge.
    assert!(
        f.app
            .draft_get(DraftQuery { household_id: hid })
            .expect("get")
            .is_none()
    );
    let row = f
        .app
        .my_households(Default::default())
        .expect("list")
        .items
        .into_iter()
        .find(|r| r.id == hid)
        .expect("row");
    assert_eq!((row.unsynced, row.has_draft), (1, false));
    assert_eq!(row.last_visit_on, Some(common::as_of()));
    // The risk raised a D2 alert.
    let tasks = f.app.my_tasks(TasksQuery::default()).expect("tasks");
    assert!(tasks.alerts.iter().any(|a| a.household_id == hid
        && a.kind == "risk_found"
        && a.item == Some(CheckItem::Water)));
    // Photos wait for upload (signature included).
    let status = f.app.sync_status().expect("status");
    assert_eq!(status.photos_waiting, 2);
    assert_eq!(f.app.photos_to_upload().expect("uploads").len(), 2);
    // The removed photo's file is gone; the kept ones remain.
    let files = std::fs::read_dir(f.dir.path().join("photos"))
        .expect("dir")
        .count();
    assert_eq!(files, 2);
}

#[test]
fn finishing_again_after_a_kill_records_one_visit() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let mut d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    answer_all_ok(&mut d);
    let d = f.app.draft_save(d).expect("save");
    let body: String = {
        let conn = rusqlite::Connection::open(f.dir.path().join("app.sqlite")).expect("db");
        conn.query_row(
            "SELECT body FROM drafts WHERE id = ?1",
            [d.id.to_string()],
            |r| r.get(0),
        )
        .expect("row")
    };
    f.app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish");
    let pending = f.app.store().unsynced_count().expect("count");
    // As if the app died after recording the visit but before removing the draft.
    {
        let conn = rusqlite::Connection::open(f.dir.path().join("app.sqlite")).expect("db");
        conn.execute(
            "INSERT INTO drafts (id, household_id, updated_at_ms, body) VALUES (?1, ?2, 0, ?3)",
            rusqlite::params![d.id.to_string(), hid.to_string(), body],
        )
        .expect("put back");
    }
    f.reopen();
    f.app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish again");
    assert_eq!(f.app.store().unsynced_count().expect("count"), pending);
    assert!(
        f.app
            .draft_get(DraftQuery { household_id: hid })
            .expect("get")
            .is_none()
    );
}

#[test]
fn a_full_disk_is_reported_plainly_and_loses_nothing() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let mut d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    answer_all_ok(&mut d);
    let d = f.app.draft_save(d).expect("save");
    // Fill the store's "disk": it may not grow by a single page.
    // Large enough notes that the visit needs new pages.
    let mut big = d.clone();
    big.problems = "很".repeat(1900);
    big.measures = "很".repeat(1900);
    let big = f.app.draft_save(big).expect("save");
    {
        let conn = f.app.store().connection();
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .expect("pages");
        conn.pragma_update(None, "max_page_count", pages)
            .expect("limit");
    }
    let e = f
        .app
        .draft_finish(DraftRef { draft_id: big.id })
        .expect_err("refused");
    assert_eq!(e.code(), "disk_full");
    assert!(e.message_zh().contains("存储空间已满"));
    assert!(f.app.store().get_visit(d.id).expect("get").is_none());
    // The draft is intact; with space again the visit is recorded.
    assert!(
        f.app
            .draft_get(DraftQuery { household_id: hid })
            .expect("get")
            .is_some()
    );
    f.app
        .store()
        .connection()
        .pragma_update(None, "max_page_count", 1_073_741_823i64)
        .expect("unlimit");
    f.app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish");
}

#[test]
fn drafts_of_households_out_of_scope_are_refused() {
    let mut f = common::fixture(Who::Cadre);
    let other = common::foreign_household(f.ds(), f.me);
    let e = f
        .app
        .draft_new(DraftNewRequest {
            household_id: other,
        })
        .expect_err("refused");
    assert_eq!(e.code(), "not_in_scope");
    let e = f
        .app
        .draft_finish(DraftRef {
            draft_id: uuid::Uuid::now_v7(),
        })
        .expect_err("refused");
    assert_eq!(e.code(), "not_found");
}

#[test]
fn a_discarded_draft_takes_its_unused_photos_with_it() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    f.app.add_photo(d.id, &common::jpeg(9)).expect("photo");
    f.app
        .set_signature(d.id, &common::png(9))
        .expect("signature");
    assert_eq!(
        std::fs::read_dir(f.dir.path().join("photos"))
            .expect("dir")
            .count(),
        2
    );
    f.app
        .draft_discard(DraftRef { draft_id: d.id })
        .expect("discard");
    assert!(
        f.app
            .draft_get(DraftQuery { household_id: hid })
            .expect("get")
            .is_none()
    );
    assert_eq!(
        std::fs::read_dir(f.dir.path().join("photos"))
            .expect("dir")
            .count(),
        0
    );
    // A new draft starts afresh.
    let again = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    assert_ne!(again.id, d.id);
    assert!(again.photos.is_empty());
}

#[test]
fn uploaded_photos_stop_waiting() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let mut d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    answer_all_ok(&mut d);
    let d = f.app.draft_save(d).expect("save");
    f.app.add_photo(d.id, &common::jpeg(11)).expect("photo");
    // Photos of an unfinished draft do not wait for upload.
    assert!(f.app.photos_to_upload().expect("uploads").is_empty());
    f.app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish");
    let waiting = f.app.photos_to_upload().expect("uploads");
    assert_eq!(waiting.len(), 1);
    let kept = std::fs::read(&waiting[0].path).expect("file");
    assert_eq!(common::sha256(&kept), waiting[0].sha256);
    assert_eq!(kept.len() as u64, waiting[0].bytes);
    assert_eq!(waiting[0].kind, "photo");
    f.app.mark_photo_uploaded(&waiting[0].sha256).expect("mark");
    assert!(f.app.photos_to_upload().expect("uploads").is_empty());
    assert_eq!(f.app.sync_status().expect("status").photos_waiting, 0);
}

#[test]
fn a_photo_is_shrunk_watermarked_and_stripped_of_exif() {
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    // A 2400×1800 camera photo: kept with a long edge of 1600.
    let img = image::RgbImage::from_fn(2400, 1800, |x, y| {
        image::Rgb([(x / 10) as u8, (y / 8) as u8, 90])
    });
    let mut big = std::io::Cursor::new(Vec::new());
    img.write_to(&mut big, image::ImageFormat::Jpeg)
        .expect("encode");
    let d = f.app.add_photo(d.id, big.get_ref()).expect("photo");
    let kept = f
        .app
        .photo_bytes(PhotoQuery {
            sha256: d.photos[0].sha256.clone(),
        })
        .expect("bytes");
    let stored = image::load_from_memory(&kept).expect("a JPEG").to_rgb8();
    assert_eq!(stored.dimensions(), (1600, 1200));
    // The watermark's band darkens the bottom-left corner (blue 90 → about 40); the bottom
    // right is the photo's own.
    let dark = |xs: std::ops::Range<u32>| {
        xs.flat_map(|x| (1000..1180).map(move |y| (x, y)))
            .filter(|&(x, y)| stored.get_pixel(x, y)[2] < 60)
            .count()
    };
    assert!(dark(30..300) > 5_000, "{}", dark(30..300));
    assert_eq!(dark(1300..1600), 0);
    // HEIC (an iPhone's default) is refused with what to do.
    let mut heic = vec![0, 0, 0, 0x18];
    heic.extend_from_slice(b"ftypheic");
    heic.extend(std::iter::repeat_n(0u8, 64));
    let e = f.app.add_photo(d.id, &heic).expect_err("refused");
    assert_eq!(e.body().fields[0].code, "photo_unsupported_format");
}

#[test]
fn a_finished_visit_is_committed_to_survive_a_power_cut_before_its_draft_goes() {
    // The draft lives in app.sqlite (FULL), the visit in the store: the visit's commit must be
    // on disk when `draft_finish` deletes the draft, or a power cut loses both.
    let mut f = common::fixture(Who::Cadre);
    let hid = common::paired_household(f.ds(), f.me);
    let mut d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("new");
    answer_all_ok(&mut d);
    let d = f.app.draft_save(d).expect("save");
    common::watch_synchronous(&f.app);
    f.app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finished");
    assert_eq!(
        common::synchronous_levels(&f.app),
        [("visit".to_owned(), 2)],
        "the visit committed at synchronous = FULL"
    );
    assert_eq!(
        f.app
            .draft_get(DraftQuery { household_id: hid })
            .expect("draft"),
        None
    );
}
