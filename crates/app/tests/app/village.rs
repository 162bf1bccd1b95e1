//! 村情 (`village_overview`) and the task list's owner ids, which the list's filter by cadre uses.

use std::collections::BTreeMap;

use bangfu_app::tasks::{TaskStatus, TasksQuery};
use bangfu_app::village::VillageQuery;
use bangfu_core::Quarter;
use uuid::Uuid;

use crate::common::{self, Who};

#[test]
fn a_first_secretary_sees_each_cadre_of_her_village_with_the_counts_of_her_task_list() {
    let f = common::fixture(Who::FirstSecretary);
    let overview = f
        .app
        .village_overview(VillageQuery::default())
        .expect("村情");
    assert_eq!(overview.as_of, common::as_of());
    assert_eq!(overview.quarter, "2025年第四季度");
    let me = f.ds().people.iter().find(|p| p.id == f.me).expect("me");
    let my_village = me.roles.iter().find_map(|g| g.area_id).expect("village");
    assert_eq!(overview.villages.len(), 1);
    let v = &overview.villages[0];
    assert_eq!(v.village_id, my_village);
    let ds = f.ds();
    let in_village: Vec<_> = ds
        .households
        .iter()
        .filter(|h| h.village_id == my_village)
        .collect();
    assert_eq!(v.households as usize, in_village.len());
    assert!(!v.village_name.is_empty() && !v.township_name.is_empty());

    // Each cadre paired today in the village is listed with how many households.
    let mut paired: BTreeMap<Uuid, u32> = BTreeMap::new();
    for p in ds.pairings.iter().filter(|p| p.active_on(overview.as_of)) {
        if in_village.iter().any(|h| h.id == p.household_id) {
            *paired.entry(p.cadre_id).or_default() += 1;
        }
    }
    assert!(!paired.is_empty(), "the demo village has cadres");
    for (cadre, n) in &paired {
        let row = v
            .cadres
            .iter()
            .find(|c| c.person_id == *cadre)
            .expect("every paired cadre is listed");
        assert_eq!(row.households, *n, "{}", row.name);
        assert!(!row.name.is_empty());
    }

    // The counts agree with the task list (the same rules run): overdue everywhere, and what is
    // still owed of this quarter.
    let tasks = f.app.my_tasks(TasksQuery::default()).expect("tasks");
    let quarter = Quarter::of(overview.as_of);
    for row in &v.cadres {
        let theirs: Vec<_> = tasks
            .tasks
            .iter()
            .filter(|t| t.owner_id == Some(row.person_id))
            .collect();
        let overdue = theirs
            .iter()
            .filter(|t| t.status == TaskStatus::Overdue)
            .count();
        let owed = theirs
            .iter()
            .filter(|t| t.status != TaskStatus::Overdue && quarter.contains(t.due_on))
            .count();
        assert_eq!(row.overdue as usize, overdue, "overdue of {}", row.name);
        assert_eq!(row.owed as usize, owed, "owed of {}", row.name);
        assert_eq!(row.me, row.person_id == f.me);
    }
    // Some work of the quarter is done, and the most overdue come first.
    assert!(v.cadres.iter().any(|c| c.done > 0));
    assert!(v.cadres.windows(2).all(|w| w[0].overdue >= w[1].overdue));
}

#[test]
fn tasks_name_the_person_who_owes_them() {
    let f = common::fixture(Who::FirstSecretary);
    let tasks = f.app.my_tasks(TasksQuery::default()).expect("tasks");
    for t in &tasks.tasks {
        if t.mine {
            assert_eq!(t.owner_id, Some(f.me));
        }
    }
    assert!(
        tasks
            .tasks
            .iter()
            .any(|t| !t.mine && t.owner_id.is_some_and(|o| o != f.me)),
        "others' tasks carry their owner"
    );
}

#[test]
fn a_cadre_has_no_village_to_oversee() {
    let f = common::fixture(Who::Cadre);
    let overview = f
        .app
        .village_overview(VillageQuery::default())
        .expect("村情");
    assert!(overview.villages.is_empty());
}

#[test]
fn village_overview_needs_an_unlocked_app() {
    let mut f = common::fixture(Who::FirstSecretary);
    f.app.lock().expect("lock");
    let err = f
        .app
        .village_overview(VillageQuery::default())
        .expect_err("locked");
    assert_eq!(err.code(), bangfu_app::ErrorCode::Locked);
}
