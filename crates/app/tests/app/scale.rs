//! A county of 25,000 households lists in well under 2 s from a cold start.
//!
//! Ignored by default (building the county's store takes a while in a debug build). Run:
//! `cargo test -p bangfu-app --release --test app scale -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::Instant;

use bangfu_app::households::HouseholdQuery;
use bangfu_app::session::{Account, Enrolment};
use bangfu_app::tasks::TasksQuery;
use bangfu_app::{App, ManualClock};
use bangfu_core::Role;
use bangfu_demo::DemoConfig;
use bangfu_store::Store;

use crate::common::PIN;

#[test]
#[ignore = "builds a 25,000-household county; run in release with --ignored"]
fn a_county_of_25000_households_lists_fast_from_cold() {
    let config = DemoConfig {
        households: 25_000,
        seed: 7,
        year: 2025,
        today: None,
    };
    let t = Instant::now();
    let ds = bangfu_demo::generate(&config);
    let dir = tempfile::tempdir().expect("tempdir");
    Store::open(dir.path().join(bangfu_app::STORE_FILE))
        .expect("store")
        .save_dataset(&ds)
        .expect("save");
    eprintln!("built the county's store in {:?}", t.elapsed());
    let as_of = bangfu_demo::demo_as_of(&config);
    let office = ds
        .people
        .iter()
        .find(|p| p.has_role_on(Role::CountyOffice, as_of))
        .expect("office")
        .id;
    let fs = ds
        .people
        .iter()
        .find(|p| p.has_role_on(Role::FirstSecretary, as_of))
        .expect("fs")
        .id;
    let clock = Arc::new(ManualClock::at_day(as_of));
    for (who, role, person) in [
        ("county office", bangfu_core::Role::CountyOffice, office),
        ("first secretary", bangfu_core::Role::FirstSecretary, fs),
    ] {
        // Enrol (hashing the PIN is not part of the measure).
        {
            let mut app = App::open_with_clock(dir.path(), clock.clone()).expect("open");
            let device_id = app.store().device_id();
            app.install_enrolment(Enrolment {
                server_url: "https://x.example".into(),
                device_token: "t".into(),
                device_id,
                account: Account {
                    username: "u".into(),
                    display_name: "u".into(),
                    role,
                    person_id: Some(person),
                },
                pin: PIN.into(),
            })
            .expect("enrol");
        }
        // Cold: open the files, unlock, first page; then a search.
        let t = Instant::now();
        let mut app = App::open_with_clock(dir.path(), clock.clone()).expect("open");
        let unlock_started = Instant::now();
        app.unlock(bangfu_app::session::UnlockRequest { pin: PIN.into() })
            .expect("unlock");
        let unlock = unlock_started.elapsed();
        let page = app
            .my_households(HouseholdQuery {
                page_size: 20,
                ..Default::default()
            })
            .expect("list");
        let first = t.elapsed() - unlock;
        let t2 = Instant::now();
        let found = app
            .my_households(HouseholdQuery {
                search: Some("李".into()),
                page: 3,
                page_size: 20,
            })
            .expect("search");
        let search = t2.elapsed();
        let t3 = Instant::now();
        let tasks = app.my_tasks(TasksQuery::default()).expect("tasks");
        let tasks_time = t3.elapsed();
        eprintln!(
            "{who}: {} households, first page from cold {first:?} (PIN check {unlock:?} not counted), \
             search page {search:?} ({} found), tasks {tasks_time:?} ({} tasks)",
            page.total,
            found.total,
            tasks.tasks.len()
        );
        assert!(first.as_millis() < 2000, "{who}: first page took {first:?}");
        assert!(search.as_millis() < 2000, "{who}: search took {search:?}");
    }
}
