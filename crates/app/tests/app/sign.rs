//! 更换联系牌 (R7): the form, recording a replacement, its refusals.

use bangfu_app::AppError;
use bangfu_app::household::{HouseholdPageQuery, TimelineEntry};
use bangfu_app::sign::{SignFormQuery, SignInput};
use bangfu_app::tasks::{TaskKind, TasksQuery};
use bangfu_core::WorkingDays;
use chrono::Duration;
use uuid::Uuid;

use crate::common::{self, Fixture, Who};

/// A cadre with a household newly paired with her three days ago (its sign not yet replaced).
fn newly_paired() -> (Fixture, Uuid, Uuid) {
    let mut f = common::fixture(Who::Cadre);
    let ds = f.ds();
    let mine = common::paired_household(ds, f.me);
    let village = ds
        .households
        .iter()
        .find(|h| h.id == mine)
        .expect("household")
        .village_id;
    let today = common::as_of();
    let hh = common::new_monitored_household(&mut f.app, village, today - Duration::days(10));
    let pairing = common::store_pairing(&mut f.app, hh, f.me, today - Duration::days(3));
    (f, hh, pairing)
}

fn sign_task(f: &Fixture, hh: Uuid) -> Option<bangfu_app::tasks::Task> {
    f.app
        .my_tasks(TasksQuery::default())
        .expect("tasks")
        .tasks
        .into_iter()
        .find(|t| t.kind == TaskKind::ReplaceSign && t.household_id == Some(hh))
}

fn field_code(e: &AppError) -> (String, String) {
    let body = e.body();
    assert_eq!(body.fields.len(), 1, "{:?}", body.fields);
    (body.fields[0].field.clone(), body.fields[0].code.clone())
}

#[test]
fn r7_recorded_sign_turns_the_task_done_and_shows_in_the_timeline() {
    let (mut f, hh, pairing) = newly_paired();
    let today = common::as_of();
    let start = today - Duration::days(3);
    let task = sign_task(&f, hh).expect("an R7 task for the new pairing");
    assert!(task.mine);
    assert_eq!(task.rule, "R7");
    assert_eq!(task.due_on, WorkingDays::add(start, 7));

    let form = f
        .app
        .sign_form(SignFormQuery { household_id: hh })
        .expect("form");
    assert_eq!(form.today, today);
    assert_eq!(form.pairings.len(), 1, "{:?}", form.pairings);
    assert_eq!(form.pairings[0].pairing_id, pairing);
    assert_eq!(form.pairings[0].start, start);
    assert_eq!(form.pairings[0].due_on, task.due_on);
    assert!(!form.pairings[0].overdue);

    let saved = f
        .app
        .sign_record(SignInput {
            household_id: hh,
            pairing_id: pairing,
            replaced_on: None,
        })
        .expect("recorded");
    assert_eq!(saved.replaced_on, today);
    let stored = f
        .app
        .store()
        .get_sign_replacement(saved.id)
        .expect("read")
        .expect("stored");
    assert_eq!(
        (stored.household_id, stored.pairing_id, stored.recorded_by),
        (hh, pairing, f.me)
    );
    assert_eq!(common::unsynced(&f.app), 1, "one operation to sync");

    assert!(sign_task(&f, hh).is_none(), "the R7 task is done");
    let page = f
        .app
        .household_page(HouseholdPageQuery { household_id: hh })
        .expect("page");
    let entry = page
        .timeline
        .iter()
        .find_map(|e| match e {
            TimelineEntry::Sign(s) if s.id == saved.id => Some(s),
            _ => None,
        })
        .expect("the sign in the timeline");
    assert_eq!(entry.day, today);
    let me = f.ds().people.iter().find(|p| p.id == f.me).expect("me");
    assert_eq!(entry.cadre_name, me.name);
    assert_eq!(entry.recorded_by_name, me.name);
    assert!(
        f.app
            .sign_form(SignFormQuery { household_id: hh })
            .expect("form")
            .pairings
            .is_empty(),
        "nothing left to replace"
    );
}

#[test]
fn r7_a_late_sign_is_listed_overdue_and_a_past_day_is_kept() {
    let (mut f, hh, _) = newly_paired();
    let today = common::as_of();
    // A pairing that started a month ago: its sign is overdue.
    let village = f
        .app
        .store()
        .get_household(hh)
        .expect("read")
        .expect("household")
        .village_id;
    let hh2 = common::new_monitored_household(&mut f.app, village, today - Duration::days(40));
    let old = common::store_pairing(&mut f.app, hh2, f.me, today - Duration::days(30));
    let form = f
        .app
        .sign_form(SignFormQuery { household_id: hh2 })
        .expect("form");
    assert_eq!(form.pairings.len(), 1);
    assert!(form.pairings[0].overdue);
    let task = sign_task(&f, hh2).expect("task");
    assert_eq!(task.status, bangfu_app::tasks::TaskStatus::Overdue);
    let day = today - Duration::days(2);
    let saved = f
        .app
        .sign_record(SignInput {
            household_id: hh2,
            pairing_id: old,
            replaced_on: Some(day),
        })
        .expect("recorded");
    assert_eq!(saved.replaced_on, day);
    assert!(sign_task(&f, hh2).is_none());
    assert!(
        sign_task(&f, hh).is_some(),
        "the other household's sign is still owed"
    );
}

#[test]
fn r7_sign_refusals_name_their_field_and_save_nothing() {
    let (mut f, hh, pairing) = newly_paired();
    let today = common::as_of();
    let ds = f.ds();
    let cases: Vec<(SignInput, &str, &str)> = vec![
        (
            SignInput {
                household_id: hh,
                pairing_id: pairing,
                replaced_on: Some(today + Duration::days(1)),
            },
            "replaced_on",
            "in_future",
        ),
        (
            SignInput {
                household_id: hh,
                pairing_id: pairing,
                replaced_on: Some(today - Duration::days(4)),
            },
            "replaced_on",
            "replaced_before_pairing",
        ),
        (
            SignInput {
                household_id: common::foreign_household(ds, f.me),
                pairing_id: pairing,
                replaced_on: None,
            },
            "household_id",
            "not_in_scope",
        ),
        (
            SignInput {
                household_id: Uuid::now_v7(),
                pairing_id: pairing,
                replaced_on: None,
            },
            "household_id",
            "not_in_scope",
        ),
        (
            SignInput {
                household_id: hh,
                pairing_id: ds
                    .pairings
                    .iter()
                    .find(|p| p.cadre_id == f.me && p.household_id != hh)
                    .expect("another pairing of mine")
                    .id,
                replaced_on: None,
            },
            "pairing_id",
            "pairing_household_mismatch",
        ),
        (
            SignInput {
                household_id: hh,
                pairing_id: Uuid::now_v7(),
                replaced_on: None,
            },
            "pairing_id",
            "unknown_pairing",
        ),
    ];
    for (input, want_field, want_code) in cases {
        let e = f.app.sign_record(input).expect_err(want_code);
        assert_eq!(
            field_code(&e),
            (want_field.to_owned(), want_code.to_owned())
        );
        assert!(!e.body().fields[0].message.is_empty());
        assert_eq!(common::unsynced(&f.app), 0, "nothing saved ({want_code})");
    }
    assert!(sign_task(&f, hh).is_some(), "the task is still owed");
    assert_eq!(
        f.app
            .sign_form(SignFormQuery { household_id: hh })
            .expect("form")
            .pairings
            .len(),
        1
    );
}
