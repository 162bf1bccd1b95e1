//! 我的任务, 我的帮扶户 and the household page on the demo county.

use bangfu_app::household::{HouseholdPageQuery, TimelineEntry};
use bangfu_app::households::HouseholdQuery;
use bangfu_app::tasks::{TaskKind, TaskStatus, TasksQuery};
use bangfu_core::rules::{self, Owner, Status};

use crate::common::{self, Who, as_of};

#[test]
fn my_tasks_are_the_cadres_own_overdue_first_in_words() {
    let f = common::fixture(Who::Cadre);
    let ds = f.ds();
    let list = f.app.my_tasks(TasksQuery::default()).expect("tasks");
    assert_eq!(list.as_of, as_of());
    // Exactly what the rules engine says this cadre owes and has not done.
    let expected = rules::obligations(ds, as_of())
        .into_iter()
        .filter(|o| o.owner == Owner::Person(f.me) && o.status != Status::Done)
        .count();
    assert_eq!(list.tasks.len(), expected);
    assert!(!list.tasks.is_empty());
    assert!(list.tasks.iter().all(|t| t.mine && t.owner_name.is_none()));
    // Overdue first, then open, then upcoming; by due date within each.
    let ranks: Vec<(u8, chrono::NaiveDate)> = list
        .tasks
        .iter()
        .map(|t| {
            let r = match t.status {
                TaskStatus::Overdue => 0,
                TaskStatus::Open => 1,
                TaskStatus::Upcoming => 2,
            };
            (r, t.due_on)
        })
        .collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted);
    for t in &list.tasks {
        assert!(!t.what.is_empty() && !t.by_when.is_empty());
        if t.status == TaskStatus::Overdue {
            assert!(t.by_when.starts_with("已逾期") && t.days_left < 0, "{t:?}");
        }
        if t.kind == TaskKind::Visit {
            assert!(t.what.contains("上门走访"), "{}", t.what);
        }
    }
    assert_eq!(
        list.overdue + list.open + list.upcoming,
        list.tasks.len() as u32
    );
    // Alerts only of the cadre's households, open ones, newest first.
    let mine: Vec<uuid::Uuid> = ds
        .pairings
        .iter()
        .filter(|p| p.cadre_id == f.me)
        .map(|p| p.household_id)
        .collect();
    assert!(list.alerts.iter().all(|a| mine.contains(&a.household_id)));
    assert!(
        list.alerts
            .windows(2)
            .all(|w| w[0].raised_on >= w[1].raised_on)
    );
}

#[test]
fn a_first_secretary_sees_the_whole_village_with_who_owes_it() {
    let f = common::fixture(Who::FirstSecretary);
    let list = f.app.my_tasks(TasksQuery::default()).expect("tasks");
    assert!(list.tasks.iter().any(|t| t.mine && t.rule == "R4"));
    assert!(
        list.tasks
            .iter()
            .any(|t| !t.mine && t.owner_name.as_deref().is_some_and(|n| !n.is_empty())),
        "the village's other tasks are shown with their owner"
    );
    let page = f
        .app
        .my_households(HouseholdQuery {
            page_size: 100,
            ..Default::default()
        })
        .expect("list");
    let me = f.ds().people.iter().find(|p| p.id == f.me).expect("me");
    let village = me.roles.iter().find_map(|g| g.area_id).expect("village");
    let in_village = f
        .ds()
        .households
        .iter()
        .filter(|h| h.village_id == village)
        .count();
    assert!(page.total as usize >= in_village);
}

#[test]
fn my_households_pages_and_searches_in_sql() {
    let f = common::fixture(Who::CountyOffice);
    let all = f
        .app
        .my_households(HouseholdQuery {
            page_size: 50,
            ..Default::default()
        })
        .expect("page 0");
    assert_eq!(all.total as usize, f.ds().households.len());
    assert_eq!(all.items.len(), 50);
    let next = f
        .app
        .my_households(HouseholdQuery {
            page: 1,
            page_size: 50,
            search: None,
        })
        .expect("page 1");
    assert!(
        next.items
            .iter()
            .all(|r| all.items.iter().all(|a| a.id != r.id))
    );
    // The last page is short; past it, empty.
    let last_page = (all.total - 1) / 50;
    let last = f
        .app
        .my_households(HouseholdQuery {
            page: last_page,
            page_size: 50,
            search: None,
        })
        .expect("last");
    assert_eq!(last.items.len() as u32, all.total - last_page * 50);
    let past = f
        .app
        .my_households(HouseholdQuery {
            page: last_page + 1,
            page_size: 50,
            search: None,
        })
        .expect("past");
    assert!(past.items.is_empty());
    // Search by the head's name.
    let h = &f.ds().households[7];
    let found = f
        .app
        .my_households(HouseholdQuery {
            search: Some(h.head_name.clone()),
            page: 0,
            page_size: 20,
        })
        .expect("search");
    assert!(found.items.iter().any(|r| r.id == h.id));
    // LIKE's wildcards are taken literally.
    let none = f
        .app
        .my_households(HouseholdQuery {
            search: Some("%".into()),
            page: 0,
            page_size: 20,
        })
        .expect("search %");
    assert_eq!(none.total, 0);
    // Rows carry class, last visit and next due.
    assert!(all.items.iter().all(|r| r.class.is_some()));
    assert!(all.items.iter().any(|r| r.last_visit_on.is_some()));
    assert!(all.items.iter().any(|r| r.next_due_on.is_some()));
    // Page size is capped.
    let big = f
        .app
        .my_households(HouseholdQuery {
            page_size: 10_000,
            ..Default::default()
        })
        .expect("big");
    assert_eq!(big.page_size, 100);
}

#[test]
fn a_cadre_lists_only_her_paired_households() {
    let f = common::fixture(Who::Cadre);
    let list = f
        .app
        .my_households(HouseholdQuery::default())
        .expect("list");
    let mut expected: Vec<uuid::Uuid> = f
        .ds()
        .pairings
        .iter()
        .filter(|p| p.cadre_id == f.me && p.active_on(as_of()))
        .map(|p| p.household_id)
        .collect();
    expected.sort();
    expected.dedup();
    let mut got: Vec<uuid::Uuid> = list.items.iter().map(|r| r.id).collect();
    got.sort();
    assert_eq!(got, expected);
    assert!(list.items.iter().all(|r| r.unsynced == 0 && !r.has_draft));
}

#[test]
fn household_page_masks_id_numbers_and_merges_one_timeline() {
    let f = common::fixture(Who::Cadre);
    let ds = f.ds();
    let hid = common::paired_household(ds, f.me);
    let page = f
        .app
        .household_page(HouseholdPageQuery { household_id: hid })
        .expect("page");
    let members: Vec<&bangfu_core::Member> = ds
        .members
        .iter()
        .filter(|m| m.household_id == hid)
        .collect();
    assert_eq!(page.members.len(), members.len());
    // The full ID number never crosses to the UI.
    let json = serde_json::to_string(&page).expect("json");
    for m in &members {
        assert!(!json.contains(&m.id_number), "a full ID number in the page");
        let shown = page.members.iter().find(|r| r.id == m.id).expect("member");
        assert_eq!(
            shown.id_number_masked,
            bangfu_core::idnumber::mask(&m.id_number)
        );
        assert_eq!(&shown.id_number_masked[..6], &m.id_number[..6]);
        assert!(shown.id_number_masked.contains("********"));
    }
    assert!(page.pairings.iter().any(|p| p.active));
    // One timeline, newest first, holding the household's visits and income records.
    let days: Vec<chrono::NaiveDate> = page
        .timeline
        .iter()
        .map(|e| match e {
            TimelineEntry::Visit(v) => v.day,
            TimelineEntry::Contact(c) => c.day,
            TimelineEntry::Income(i) => i.day,
            TimelineEntry::Measure(m) => m.day,
            TimelineEntry::Evaluation(e) => e.day,
            TimelineEntry::Sign(s) => s.day,
        })
        .collect();
    assert!(days.windows(2).all(|w| w[0] >= w[1]));
    let visits = page
        .timeline
        .iter()
        .filter(|e| matches!(e, TimelineEntry::Visit(_)))
        .count();
    assert_eq!(
        visits,
        ds.visits.iter().filter(|v| v.household_id == hid).count()
    );
    let incomes = page
        .timeline
        .iter()
        .filter(|e| matches!(e, TimelineEntry::Income(_)))
        .count();
    assert_eq!(
        incomes,
        ds.income_records
            .iter()
            .filter(|r| r.household_id == hid)
            .count()
    );
    // Another cadre's household is refused.
    let other = common::foreign_household(ds, f.me);
    let e = f
        .app
        .household_page(HouseholdPageQuery {
            household_id: other,
        })
        .expect_err("refused");
    assert_eq!(e.code(), "not_in_scope");
    let e = f
        .app
        .household_page(HouseholdPageQuery {
            household_id: uuid::Uuid::now_v7(),
        })
        .expect_err("refused");
    assert_eq!(e.code(), "not_found");
}

#[test]
fn every_obligation_has_a_task_kind_and_every_kind_occurs() {
    use bangfu_app::tasks::TaskKind;
    let obligations = bangfu_core::rules::obligations(common::demo(), common::as_of());
    let mut kinds = Vec::new();
    for o in &obligations {
        let kind = TaskKind::of(o.rule)
            .unwrap_or_else(|| panic!("{:?} makes obligations but has no task kind", o.rule));
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    // The demo plants every kind of work, so each kind (and so each screen) is exercised.
    for kind in TaskKind::ALL {
        assert!(kinds.contains(&kind), "no {kind:?} task in the demo");
    }
}
