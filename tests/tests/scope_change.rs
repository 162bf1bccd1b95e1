//! A cadre's scope changes: a pairing added brings the household's whole history on the next
//! sync; a pairing ended while her phone holds unsynced changes of that household sends those
//! changes to the server first, and only then does the household leave the phone.

use std::sync::Arc;

use bangfu_core::sync::DeviceStore;
use bangfu_core::{Pairing, Record};
use bangfu_server::auth::{AccessStorage, NewAccount, Role};
use bangfu_server::{ServerConfig, SqliteStorage, SyncStorage, router};
use bangfu_sync_client::{DeviceToken, HttpOptions, HttpTransport, SyncOptions, Transport, sync};
use bangfu_tests::fixtures::{Phone, VILLAGE, cadre_id, household_scope, seed_household_id, visit};
use bangfu_tests::system_now_ms;
use chrono::{Days, NaiveDate};
use uuid::Uuid;

const DAY_MS: u64 = 24 * 3600 * 1000;

fn today() -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(system_now_ms() as i64 + 8 * 3600 * 1000)
        .expect("now")
        .date_naive()
}

fn pairing(n: u128, h: Uuid, end: Option<NaiveDate>) -> Record {
    Record::Pairing(Pairing {
        id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_00aa_0000 | n),
        household_id: h,
        cadre_id: cadre_id(1),
        start: "2024-01-01".parse().expect("date"),
        end,
        end_reason: None,
        successor_id: None,
        arranged_by: None,
    })
}

fn transport(base: &str, token: String) -> HttpTransport {
    HttpTransport::new(
        base,
        HttpOptions {
            token: Some(DeviceToken(token)),
            ..HttpOptions::default()
        },
    )
    .expect("transport")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pairing_added_brings_the_history_and_an_ended_one_leaves_after_its_changes() {
    let storage = Arc::new(SqliteStorage::open_in_memory().expect("storage"));
    let app = router(storage.clone(), ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let options = SyncOptions {
        leave_scope: true,
        report_unsynced: true,
        ..SyncOptions::default()
    };
    let (h0, h1) = (seed_household_id(0), seed_household_id(1));

    // The county office's phone records the village, two cadres, two households, a visit of
    // each household, and pairs cadre 1 with household 0 only.
    let mut office = Phone::new(0, 0);
    // Bound to the person who records the visits (field records need a person).
    storage
        .create_account(
            &NewAccount {
                username: "office".into(),
                display_name: "县级办公室".into(),
                role: Role::CountyOffice,
                person_id: Some(office.author),
                unit_id: None,
                area_path: Some("county".into()),
                password: "office-password".into(),
            },
            "test",
            system_now_ms(),
        )
        .expect("office account");
    let (_, office_token) = storage
        .sign_in(
            "office",
            "office-password",
            DeviceStore::device_id(&office.store),
            "office",
            system_now_ms(),
            bangfu_server::auth::DEFAULT_TOKEN_TTL_MS,
        )
        .expect("storage")
        .expect("office");
    let to = transport(&base, office_token);
    let now = system_now_ms();
    office.record_seed(2, 2, now);
    office.record(&pairing(0, h0, None), &household_scope(h0), now + 10);
    let v0 = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_00bb_0000);
    let v1 = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_00bb_0001);
    office.record(
        &Record::Visit(visit(v0, h0, cadre_id(0), now - 30 * DAY_MS)),
        &household_scope(h0),
        now + 11,
    );
    office.record(
        &Record::Visit(visit(v1, h1, cadre_id(0), now - 30 * DAY_MS)),
        &household_scope(h1),
        now + 12,
    );
    sync(&mut office.store, &to, &options, &mut |_| {})
        .await
        .expect("office syncs");

    // Cadre 1 signs in; her phone receives household 0 and its visit, nothing of household 1.
    let mut cadre = Phone::new(1, 0);
    storage
        .create_account(
            &NewAccount {
                username: "cadre1".into(),
                display_name: "测试干部1".into(),
                role: Role::Cadre,
                person_id: Some(cadre_id(1)),
                unit_id: None,
                area_path: None,
                password: "cadre-password".into(),
            },
            "test",
            now,
        )
        .expect("account");
    let signed = HttpTransport::new(&base, HttpOptions::default())
        .expect("transport")
        .sign_in::<serde::de::IgnoredAny>(
            "cadre1",
            "cadre-password",
            DeviceStore::device_id(&cadre.store),
            "phone",
        )
        .await
        .expect("signed in");
    let tc = transport(&base, signed.device_token.clone());
    sync(&mut cadre.store, &tc, &options, &mut |_| {})
        .await
        .expect("cadre syncs");
    assert!(cadre.store.get_household(h0).expect("read").is_some());
    assert!(cadre.store.get_visit(v0).expect("read").is_some());
    assert!(
        cadre.store.get_household(h1).expect("read").is_none(),
        "not paired: not on the phone"
    );
    assert!(cadre.store.get_visit(v1).expect("read").is_none());
    let scope = tc.scope().await.expect("scope").expect("a scope");
    assert_eq!(scope.households, vec![household_scope(h0)]);
    assert!(scope.ancestors.contains(&VILLAGE.to_owned()));

    // A pairing with household 1 is added: the next sync brings its whole history (the visit
    // recorded a month before the pairing), though the phone's cursor is past it.
    office.record(&pairing(1, h1, None), &household_scope(h1), system_now_ms());
    sync(&mut office.store, &to, &options, &mut |_| {})
        .await
        .expect("office syncs");
    let report = sync(&mut cadre.store, &tc, &options, &mut |_| {})
        .await
        .expect("cadre syncs");
    assert!(report.pulled > 0);
    assert!(
        cadre.store.get_household(h1).expect("read").is_some(),
        "the new household arrived"
    );
    assert!(
        cadre.store.get_visit(v1).expect("read").is_some(),
        "with its history"
    );

    // Offline, two days ago, the cadre visited household 0 (her phone's clock says so).
    cadre.skew_ms = -(2 * DAY_MS as i64);
    let v2 = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_00bb_0002);
    let made = cadre
        .record(
            &Record::Visit(visit(v2, h0, cadre_id(1), system_now_ms() - 2 * DAY_MS)),
            &household_scope(h0),
            system_now_ms(),
        )
        .expect("a visit");
    // Meanwhile the pairing with household 0 ended yesterday.
    let yesterday = today().checked_sub_days(Days::new(1)).expect("date");
    office.record(
        &pairing(0, h0, Some(yesterday)),
        &household_scope(h0),
        system_now_ms(),
    );
    sync(&mut office.store, &to, &options, &mut |_| {})
        .await
        .expect("office syncs");

    // The household is out of her scope now, but the phone keeps it while the visit is unsynced.
    let scope = tc.scope().await.expect("scope").expect("a scope");
    assert_eq!(scope.households, vec![household_scope(h1)]);
    assert_eq!(
        cadre.store.leave_scope(&scope).expect("leave"),
        0,
        "unsynced: kept"
    );
    assert!(cadre.store.get_visit(v2).expect("read").is_some());

    // The sync pushes the visit first (accepted: recorded before the pairing's end), then the
    // household leaves the phone with its whole history.
    let report = sync(&mut cadre.store, &tc, &options, &mut |_| {})
        .await
        .expect("cadre syncs");
    assert_eq!(report.accepted, 1, "{:?}", report.rejected);
    assert_eq!(report.households_left, 1);
    let on_server = storage.entity_states().expect("states");
    assert!(
        on_server.contains_key(&("visit".to_owned(), made.entity_id)),
        "the change reached the server"
    );
    assert!(
        cadre.store.get_household(h0).expect("read").is_none(),
        "then the household left"
    );
    assert!(cadre.store.get_visit(v0).expect("read").is_none());
    assert!(cadre.store.get_visit(v2).expect("read").is_none());
    assert!(
        cadre.store.get_household(h1).expect("read").is_some(),
        "the other one stays"
    );
    assert_eq!(cadre.store.pending_count().expect("pending"), 0);

    // The administrators see what the phone reported still unsynced.
    let devices = storage.devices(Some("cadre1")).expect("devices");
    assert_eq!(devices.len(), 1);
    assert_eq!(
        devices[0].reported_unsynced_ops,
        Some(1),
        "reported before the last push"
    );
}
