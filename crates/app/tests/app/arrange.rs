//! 安排结对 (R6): the first secretary pairs a newly monitored household with a cadre of the units
//! assisting her village; the R6 task and alert close, the cadre's R7 task opens.

use bangfu_app::AppError;
use bangfu_app::arrange::{ArrangeInput, PairingCandidatesQuery};
use bangfu_app::tasks::{TaskKind, TaskList, TasksQuery};
use bangfu_core::{Role, WorkingDays};
use chrono::Duration;
use uuid::Uuid;

use crate::common::{self, Fixture, Who};

/// The first secretary and a household of her village monitored since five days ago, unpaired.
fn unpaired() -> (Fixture, Uuid, Uuid) {
    let mut f = common::fixture(Who::FirstSecretary);
    let today = common::as_of();
    let village = common::village_of_staff(f.ds(), f.me, today);
    let hh = common::new_monitored_household(&mut f.app, village, today - Duration::days(5));
    (f, hh, village)
}

fn tasks(f: &Fixture) -> TaskList {
    f.app.my_tasks(TasksQuery::default()).expect("tasks")
}

fn field_code(e: &AppError) -> (String, String) {
    let body = e.body();
    assert_eq!(body.fields.len(), 1, "{:?}", body.fields);
    (body.fields[0].field.clone(), body.fields[0].code.clone())
}

#[test]
fn r6_arranging_a_cadre_closes_the_task_and_opens_the_r7_sign_task() {
    let (mut f, hh, village) = unpaired();
    let today = common::as_of();
    let before = tasks(&f);
    let arrange = before
        .tasks
        .iter()
        .find(|t| t.kind == TaskKind::ArrangePairing && t.household_id == Some(hh))
        .expect("an R6 task");
    assert!(arrange.mine, "the first secretary owes it");
    assert!(
        before
            .alerts
            .iter()
            .any(|a| a.kind == "no_cadre" && a.household_id == hh)
    );

    let form = f
        .app
        .pairing_candidates(PairingCandidatesQuery { household_id: hh })
        .expect("candidates");
    assert_eq!(form.today, today);
    assert!(!form.cadres.is_empty());
    let units = f
        .app
        .store()
        .assisting_units_of_village(village, today)
        .expect("units");
    for c in &form.cadres {
        let p = f
            .app
            .store()
            .get_person(c.person_id)
            .expect("read")
            .expect("person");
        assert!(p.unit_id.is_some_and(|u| units.contains(&u)), "{c:?}");
        assert!(p.has_role_on(Role::Cadre, today));
        let active = f
            .app
            .store()
            .active_pairings_of_cadre(c.person_id, today)
            .expect("pairings")
            .len();
        assert_eq!(c.households as usize, active);
    }
    let cadre = form.cadres[0].clone();

    let done = f
        .app
        .arrange_pairing(ArrangeInput {
            household_id: hh,
            cadre_id: cadre.person_id,
            start: None,
        })
        .expect("arranged");
    assert_eq!(done.start, today);
    assert_eq!(done.sign_due_on, WorkingDays::add(today, 7));
    assert_eq!(done.cadre_name, cadre.name);
    let stored = f
        .app
        .store()
        .get_pairing(done.pairing_id)
        .expect("read")
        .expect("stored");
    assert_eq!(
        (stored.household_id, stored.cadre_id, stored.arranged_by),
        (hh, cadre.person_id, Some(f.me))
    );
    assert_eq!(stored.end, None);
    assert_eq!(common::unsynced(&f.app), 1, "one operation to sync");

    let after = tasks(&f);
    assert!(
        !after
            .tasks
            .iter()
            .any(|t| t.kind == TaskKind::ArrangePairing && t.household_id == Some(hh)),
        "the R6 task is done"
    );
    assert!(
        !after
            .alerts
            .iter()
            .any(|a| a.kind == "no_cadre" && a.household_id == hh),
        "the no_cadre alert is gone"
    );
    let sign = after
        .tasks
        .iter()
        .find(|t| t.kind == TaskKind::ReplaceSign && t.household_id == Some(hh))
        .expect("an R7 task for the new cadre");
    assert!(!sign.mine);
    assert_eq!(sign.owner_name.as_deref(), Some(cadre.name.as_str()));
    assert_eq!(sign.due_on, done.sign_due_on);

    // A second arrangement is refused: the household has its cadre now.
    let e = f
        .app
        .pairing_candidates(PairingCandidatesQuery { household_id: hh })
        .expect_err("paired");
    assert_eq!(
        field_code(&e),
        ("household_id".into(), "already_paired".into())
    );
}

#[test]
fn r6_a_start_in_the_past_after_the_household_became_monitored_is_kept() {
    let (mut f, hh, _) = unpaired();
    let today = common::as_of();
    let cadre = f
        .app
        .pairing_candidates(PairingCandidatesQuery { household_id: hh })
        .expect("candidates")
        .cadres[0]
        .person_id;
    let start = today - Duration::days(2);
    let done = f
        .app
        .arrange_pairing(ArrangeInput {
            household_id: hh,
            cadre_id: cadre,
            start: Some(start),
        })
        .expect("arranged");
    assert_eq!(done.start, start);
    assert_eq!(done.sign_due_on, WorkingDays::add(start, 7));
}

#[test]
fn r6_arrange_refusals_name_their_field_and_save_nothing() {
    let (mut f, hh, village) = unpaired();
    let today = common::as_of();
    let ds = f.ds();
    let candidates = f
        .app
        .pairing_candidates(PairingCandidatesQuery { household_id: hh })
        .expect("candidates");
    let good = candidates.cadres[0].person_id;
    let units = f
        .app
        .store()
        .assisting_units_of_village(village, today)
        .expect("units");
    let outsider = ds
        .people
        .iter()
        .find(|p| {
            p.has_role_on(Role::Cadre, today) && p.unit_id.is_some_and(|u| !units.contains(&u))
        })
        .expect("a cadre of another unit")
        .id;
    let paired_here = ds
        .pairings
        .iter()
        .find(|p| {
            p.active_on(today)
                && ds
                    .households
                    .iter()
                    .any(|h| h.id == p.household_id && h.village_id == village)
        })
        .expect("a paired household of the village")
        .household_id;
    let other_village = ds
        .households
        .iter()
        .find(|h| h.village_id != village)
        .expect("another village's household")
        .id;
    let cases: Vec<(ArrangeInput, &str, &str)> = vec![
        (
            ArrangeInput {
                household_id: paired_here,
                cadre_id: good,
                start: None,
            },
            "household_id",
            "already_paired",
        ),
        (
            ArrangeInput {
                household_id: hh,
                cadre_id: outsider,
                start: None,
            },
            "cadre_id",
            "not_assisting_unit",
        ),
        (
            ArrangeInput {
                household_id: hh,
                cadre_id: Uuid::now_v7(),
                start: None,
            },
            "cadre_id",
            "not_assisting_unit",
        ),
        (
            ArrangeInput {
                household_id: hh,
                cadre_id: good,
                start: Some(today + Duration::days(31)),
            },
            "start",
            "too_far_ahead",
        ),
        (
            ArrangeInput {
                household_id: hh,
                cadre_id: good,
                start: Some(today - Duration::days(8)),
            },
            "start",
            "too_far_back",
        ),
        (
            ArrangeInput {
                household_id: other_village,
                cadre_id: good,
                start: None,
            },
            "household_id",
            "not_in_scope",
        ),
    ];
    for (input, want_field, want_code) in cases {
        let e = f.app.arrange_pairing(input).expect_err(want_code);
        assert_eq!(
            field_code(&e),
            (want_field.to_owned(), want_code.to_owned())
        );
        assert_eq!(common::unsynced(&f.app), 0, "nothing saved ({want_code})");
    }
    assert!(
        tasks(&f)
            .tasks
            .iter()
            .any(|t| t.kind == TaskKind::ArrangePairing && t.household_id == Some(hh)),
        "the R6 task is still owed"
    );
}

#[test]
fn r6_a_cadre_cannot_arrange_a_pairing() {
    let mut f = common::fixture(Who::Cadre);
    let mine = common::paired_household(f.ds(), f.me);
    let e = f
        .app
        .pairing_candidates(PairingCandidatesQuery { household_id: mine })
        .expect_err("not village staff");
    assert_eq!(
        field_code(&e),
        ("household_id".into(), "not_village_staff".into())
    );
    let e = f
        .app
        .arrange_pairing(ArrangeInput {
            household_id: mine,
            cadre_id: f.me,
            start: None,
        })
        .expect_err("not village staff");
    assert_eq!(
        field_code(&e),
        ("household_id".into(), "not_village_staff".into())
    );
    assert_eq!(common::unsynced(&f.app), 0);
}
