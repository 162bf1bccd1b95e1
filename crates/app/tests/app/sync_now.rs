//! `sync_now` against the real server (in-process, on loopback) holding the demo county with its
//! demo accounts: a cadre records a visit with a photo and a housing risk and syncs; the first
//! secretary of the village syncs and sees the visit, the alert and the photo (fetched from the
//! server). And a sync without a server ends in a report that says what to do.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bangfu_app::App;
use bangfu_app::household::{HouseholdPageQuery, TimelineEntry};
use bangfu_app::households::HouseholdQuery;
use bangfu_app::session::EnrolRequest;
use bangfu_app::sync::{SyncPhase, SyncProgress};
use bangfu_app::sync_run::{Syncer, fetch_photo};
use bangfu_app::tasks::TasksQuery;
use bangfu_app::visit::{DraftNewRequest, DraftRef, PhotoQuery};
use bangfu_blobs::store::DiskBlobStore;
use bangfu_blobs::upload::{UploadConfig, UploadService};
use bangfu_core::{CheckItem, CheckStatus};
use bangfu_server::demo_seed::DEMO_PASSWORD;
use bangfu_server::{ServerConfig, SqliteStorage, router_with_photos};
use bangfu_sync_client::{RetryPolicy, SyncOptions};

use crate::common;

/// The demo county of 300 households served on a free loopback port.
async fn demo_server(dir: &std::path::Path) -> String {
    let db = dir.join("server.sqlite");
    bangfu_server::demo_seed::seed(&db, 300).expect("demo");
    let storage = SqliteStorage::open(&db).expect("storage");
    let config = ServerConfig {
        max_pull_limit: storage.max_pull_limit(),
        ..ServerConfig::default()
    };
    let blobs = Arc::new(DiskBlobStore::open(dir.join("blobs")).expect("blobs"));
    let photos = Arc::new(
        UploadService::new(blobs, dir.join("staging"), UploadConfig::default()).expect("photos"),
    );
    let app = router_with_photos(Arc::new(storage), config, photos);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn enrolled(dir: &std::path::Path, base: &str, username: &str) -> App {
    let mut app = App::open(dir).expect("open");
    app.enrol(EnrolRequest {
        server_url: base.to_owned(),
        username: username.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        pin: common::PIN.to_owned(),
        device_name: Some("测试手机".to_owned()),
    })
    .await
    .expect("enrol");
    app
}

/// A real PNG, as the signature pad makes one.
fn signature_png() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(120, 40, |x, y| {
        if (x + y) % 7 == 0 {
            image::Rgba([0, 0, 0, 255])
        } else {
            image::Rgba([255, 255, 255, 255])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn all_households(app: &App) -> Vec<bangfu_app::households::HouseholdRow> {
    app.my_households(HouseholdQuery {
        search: None,
        page: 0,
        page_size: 100,
    })
    .expect("households")
    .items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_with_a_photo_reaches_the_first_secretary() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = demo_server(tmp.path()).await;
    let syncer = Syncer::default();

    // The first secretary's phone: enrol, first sync.
    let shuji = enrolled(&tmp.path().join("shuji"), &base, "shuji").await;
    let job = shuji.sync_job().expect("job");
    let first = syncer.run(job, &mut |_| {}).await.expect("sync");
    assert!(first.ok, "{first:?}");
    assert!(first.pulled > 0);
    // The county's reference data came with it: the screens have what they need.
    assert!(shuji.session().expect("session").has_data);
    let village: Vec<_> = all_households(&shuji).into_iter().map(|h| h.id).collect();
    assert!(!village.is_empty());

    // The cadre's phone: enrol, first sync, a visit in that village.
    let mut ganbu = enrolled(&tmp.path().join("ganbu"), &base, "ganbu").await;
    let job = ganbu.sync_job().expect("job");
    syncer.run(job, &mut |_| {}).await.expect("sync");
    let hid = all_households(&ganbu)
        .into_iter()
        .map(|h| h.id)
        .find(|h| village.contains(h))
        .expect("a household of the cadre in the secretary's village");
    let mut d = ganbu
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("draft");
    for item in [
        &mut d.checks.education,
        &mut d.checks.medical,
        &mut d.checks.water,
    ] {
        item.status = Some(CheckStatus::Ok);
    }
    d.checks.housing.status = Some(CheckStatus::Risk);
    d.checks.housing.note = "屋顶漏雨，需维修".into();
    let d = ganbu.draft_save(d).expect("save");
    let with_photo = ganbu.add_photo(d.id, &common::jpeg(7)).expect("photo");
    let sha = with_photo.photos[0].sha256.clone();
    let signature = ganbu
        .set_signature(d.id, &signature_png())
        .expect("signature")
        .signature
        .expect("signed")
        .sha256;
    ganbu
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish");

    let mut seen: Vec<SyncProgress> = Vec::new();
    let job = ganbu.sync_job().expect("job");
    let report = syncer.run(job, &mut |p| seen.push(p)).await.expect("sync");
    assert!(report.ok, "{report:?}");
    assert_eq!(report.pushed, 1);
    assert_eq!((report.photos_uploaded, report.photos_failed), (2, 0));
    // Records first, photos last.
    let phases: Vec<SyncPhase> = seen.iter().map(|p| p.phase).collect();
    let first_photo = phases
        .iter()
        .position(|p| *p == SyncPhase::Photos)
        .expect("photo progress");
    assert!(phases[..first_photo].contains(&SyncPhase::Push));
    assert!(
        phases[first_photo..]
            .iter()
            .all(|p| *p == SyncPhase::Photos)
    );
    let status = ganbu.sync_status().expect("status");
    assert_eq!((status.pending_ops, status.photos_waiting), (0, 0));
    assert_eq!(status.last_sync.as_ref(), Some(&report));
    assert!(status.last_success_at.is_some());

    // The first secretary syncs and sees the visit, its photo and the alert.
    let job = shuji.sync_job().expect("job");
    let second = syncer.run(job, &mut |_| {}).await.expect("sync");
    assert!(second.ok && second.pulled >= 1, "{second:?}");
    let page = shuji
        .household_page(HouseholdPageQuery { household_id: hid })
        .expect("page");
    let visit = page
        .timeline
        .iter()
        .find_map(|e| match e {
            TimelineEntry::Visit(v) if v.id == d.id => Some(v.clone()),
            _ => None,
        })
        .expect("the cadre's visit");
    // Named by their hashes: the secretary's screen asks for exactly these bytes below.
    assert_eq!(visit.photos, vec![sha.clone()]);
    assert_eq!(visit.signature, Some(signature.clone()));
    assert!(visit.risks.iter().any(|r| r.item == CheckItem::Housing));
    let tasks = shuji.my_tasks(TasksQuery::default()).expect("tasks");
    assert!(tasks.alerts.iter().any(|a| a.household_id == hid
        && a.kind == "risk_found"
        && a.item == Some(CheckItem::Housing)));
    // Not on this phone: fetched from the server, checked, kept.
    let q = || PhotoQuery {
        sha256: sha.clone(),
    };
    assert_eq!(
        shuji.photo_bytes(q()).expect_err("absent").code(),
        "not_found"
    );
    let remote = shuji.photo_remote().expect("remote");
    let bytes = fetch_photo(&remote, &sha).await.expect("fetched");
    assert_eq!(common::sha256(&bytes), sha);
    shuji.keep_fetched_photo(&sha, &bytes).expect("kept");
    assert_eq!(shuji.photo_bytes(q()).expect("now local"), bytes);
    assert_eq!(
        fetch_photo(&remote, &"0".repeat(64))
            .await
            .expect_err("unknown")
            .code(),
        "not_found"
    );
    assert_eq!(
        shuji
            .keep_fetched_photo(&"0".repeat(64), &bytes)
            .expect_err("wrong name")
            .code(),
        "bad_response"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_server_the_report_says_what_to_do_and_nothing_is_lost() {
    let mut f = common::fixture(common::Who::Cadre);
    // The fixture's server does not exist; take a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    f.app
        .install_enrolment(bangfu_app::session::Enrolment {
            server_url: format!("http://127.0.0.1:{port}"),
            device_token: "token".into(),
            device_id: f.app.store().device_id(),
            account: bangfu_app::session::Account {
                username: "tester".into(),
                display_name: "测试".into(),
                role: bangfu_core::Role::Cadre,
                person_id: Some(f.me),
            },
            pin: common::PIN.into(),
        })
        .expect("enrol");
    let hid = common::paired_household(f.ds(), f.me);
    let mut d = f
        .app
        .draft_new(DraftNewRequest { household_id: hid })
        .expect("draft");
    for item in [
        &mut d.checks.education,
        &mut d.checks.medical,
        &mut d.checks.housing,
        &mut d.checks.water,
    ] {
        item.status = Some(CheckStatus::Ok);
    }
    let d = f.app.draft_save(d).expect("save");
    f.app
        .draft_finish(DraftRef { draft_id: d.id })
        .expect("finish");
    let pending = f.app.store().unsynced_count().expect("pending");

    let syncer = Syncer::new(SyncOptions {
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
        },
        ..SyncOptions::default()
    });
    let report = syncer
        .run(f.app.sync_job().expect("job"), &mut |_| {})
        .await
        .expect("a report, not an error");
    assert!(!report.ok);
    let failure = report.failure.clone().expect("failure");
    assert_eq!(failure.code, "offline");
    assert!(failure.retryable);
    assert!(failure.what_to_do.contains("重试"));
    assert!(failure.message_zh.contains("不会丢失"));
    assert_eq!(f.app.store().unsynced_count().expect("pending"), pending);
    assert_eq!(f.app.sync_status().expect("status").last_sync, Some(report));
    // A locked app gives no sync job.
    f.app.lock().expect("lock");
    assert_eq!(f.app.sync_job().expect_err("locked").code(), "locked");
}
