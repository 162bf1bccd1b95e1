//! The store's public behaviour: round trips, refusals, rollbacks, migrations, pragmas.

mod common;

use bangfu_core::sync::import::records_in_order;
use bangfu_core::validate::Refs;
use bangfu_core::{Dataset, Record};
use bangfu_store::{MigrationProblem, Store, StoreError};
use common::{complete_dataset, d, id, ids, new_visit};

fn saved(ds: &Dataset) -> Store {
    let mut store = Store::open_in_memory().expect("open");
    store.save_dataset(ds).expect("save");
    store
}

/// Equal as values and as JSON (the JSON also compares UTC offsets, which `==` on instants ignores).
fn assert_same(a: &Dataset, b: &Dataset) {
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_string(a).expect("json"),
        serde_json::to_string(b).expect("json")
    );
}

#[test]
fn complete_dataset_round_trips_exactly() {
    let ds = complete_dataset();
    let json = serde_json::to_value(&ds).expect("json");
    for (key, value) in json.as_object().expect("object") {
        if let Some(list) = value.as_array() {
            assert!(!list.is_empty(), "the fixture has no {key}");
        }
    }
    let store = saved(&ds);
    assert_same(&store.load_dataset().expect("load"), &ds);
}

#[test]
fn file_database_uses_wal_and_survives_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bangfu.db");
    let ds = complete_dataset();
    {
        let mut store = Store::open(&path).expect("open");
        let mode: String = store
            .connection()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(mode, "wal");
        let sync: i64 = store
            .connection()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("pragma");
        // FULL: a user's change is on disk before its draft goes (only pulled pages commit at
        // NORMAL, inside their own transaction).
        assert_eq!(sync, 2, "synchronous = FULL");
        store.save_dataset(&ds).expect("save");
    }
    let store = Store::open(&path).expect("reopen");
    assert_same(&store.load_dataset().expect("load"), &ds);
}

#[test]
fn foreign_keys_are_enforced() {
    let store = saved(&complete_dataset());
    let on: i64 = store
        .connection()
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(on, 1);
    // Bypassing the store: a member of a household that does not exist fails at COMMIT.
    let conn = store.connection();
    conn.execute_batch("BEGIN").expect("begin");
    conn.execute(
        "INSERT INTO members (id, household_id, name, relation, id_number, labour, school_stage,
         medical_insurance) VALUES (?1, ?2, 'x', 'x', 'x', 'able', 'primary', 'none')",
        [id(9001).as_bytes(), id(9002).as_bytes()],
    )
    .expect("deferred until commit");
    assert!(conn.execute_batch("COMMIT").is_err());
    conn.execute_batch("ROLLBACK").expect("rollback");
    assert_eq!(store.get_member(id(9001)).expect("get"), None);
}

#[test]
fn every_record_can_be_fetched_by_entity_and_id() {
    let ds = complete_dataset();
    let store = saved(&ds);
    for record in records_in_order(&ds) {
        let got = store.get_record(record.entity(), record.id()).expect("get");
        assert_eq!(got.as_ref(), Some(&record), "{}", record.entity());
        assert!(store.exists(record.entity(), record.id()).expect("exists"));
    }
    assert_eq!(store.get_record("visit", id(9999)).expect("get"), None);
    let err = store.get_record("spaceship", id(1)).expect_err("unknown");
    assert_eq!(err.code(), "unknown_entity");
}

#[test]
fn refs_answer_from_the_store() {
    let ds = complete_dataset();
    let store = saved(&ds);
    let refs = store.refs();
    assert_eq!(
        refs.household(ids::monitored()).as_ref(),
        Some(&ds.households[1])
    );
    assert_eq!(
        refs.person(ids::first_secretary()).as_ref(),
        Some(&ds.people[0])
    );
    assert_eq!(refs.area(ids::village()).as_ref(), Some(&ds.areas[2]));
    assert_eq!(
        refs.pairing(ids::pairing_ended()).as_ref(),
        Some(&ds.pairings[1])
    );
    assert!(refs.exists("visit", ids::visit_full()));
    assert!(!refs.exists("visit", id(9999)));
    assert!(!refs.exists("monitoring_line", id(1)));
    assert!(refs.unit(id(9999)).is_none());
    refs.into_result().expect("no read errors");
}

#[test]
fn a_new_record_is_appended_and_an_upsert_keeps_its_place() {
    let ds = complete_dataset();
    let mut store = saved(&ds);
    let visit = new_visit(
        7000,
        ids::lifted(),
        ids::cadre_a(),
        "2024-07-01T09:00:00+08:00",
    );
    store
        .save_record(&Record::Visit(visit.clone()))
        .expect("save visit");
    let mut household = ds.households[0].clone();
    household.head_name = "赵大（改）".into();
    household.class_history.push(bangfu_core::ClassPeriod {
        from: d("2024-07-01"),
        class: bangfu_core::HouseholdClass::NotAssisted,
        kind: None,
    });
    store
        .save_record(&Record::Household(household.clone()))
        .expect("upsert household");

    let mut expected = ds.clone();
    expected.visits.push(visit.clone());
    expected.households[0] = household.clone();
    assert_same(&store.load_dataset().expect("load"), &expected);
    assert_eq!(store.get_visit(visit.id).expect("get"), Some(visit));
    assert_eq!(
        store.get_household(household.id).expect("get"),
        Some(household)
    );
}

#[test]
fn append_only_records_are_never_replaced() {
    let ds = complete_dataset();
    let mut store = saved(&ds);
    let mut edited = ds.visits[0].clone();
    edited.problems = "改写历史".into();
    let err = store
        .save_record(&Record::Visit(edited))
        .expect_err("append-only");
    assert!(
        matches!(err, StoreError::AppendOnly { entity: "visit", id } if id == ds.visits[0].id),
        "{err}"
    );
    assert_eq!(err.code(), "append_only");
    assert!(err.message_zh().contains("更正"), "{}", err.message_zh());
    for record in [
        Record::Contact(ds.contacts[0].clone()),
        Record::IncomeRecord(ds.income_records[0].clone()),
        Record::Evaluation(ds.evaluations[0].clone()),
    ] {
        let err = store.save_record(&record).expect_err("append-only");
        assert_eq!(err.code(), "append_only", "{}", record.entity());
    }
    assert_same(&store.load_dataset().expect("load"), &ds);
}

#[test]
fn a_bad_dataset_is_refused_and_the_store_keeps_the_previous_one() {
    let first = complete_dataset();
    let mut store = saved(&first);
    let mut second = first.clone();
    second.households[0].head_name = "不应保存".into();
    let orphan = new_visit(7001, id(8888), ids::cadre_a(), "2024-07-01T09:00:00+08:00");
    second.visits.insert(1, orphan.clone());
    let err = store.save_dataset(&second).expect_err("refused");
    assert!(
        ["invalid", "missing_reference"].contains(&err.code()),
        "{err}"
    );
    if let StoreError::MissingReference { entity, id, field } = &err {
        assert_eq!(
            (*entity, *id, field.as_str()),
            ("visit", Some(orphan.id), "household_id")
        );
    }
    assert!(!err.message_zh().is_empty());
    assert_same(&store.load_dataset().expect("load"), &first);
}

#[test]
fn a_bad_record_is_refused_and_rolled_back() {
    let ds = complete_dataset();
    let mut store = saved(&ds);
    // A household moved to a village that does not exist: its row and class history are written,
    // then the transaction fails (by validation, or at the latest by the foreign key at COMMIT).
    let mut household = ds.households[1].clone();
    household.village_id = id(8888);
    household.class_history.truncate(1);
    let err = store
        .save_record(&Record::Household(household))
        .expect_err("refused");
    assert!(
        ["invalid", "missing_reference"].contains(&err.code()),
        "{err}"
    );
    // An income record with a negative amount: refused by validation or by the schema's CHECK
    // after the record's own row was written.
    let mut income = ds.income_records[0].clone();
    income.id = id(7002);
    income.corrects = None;
    income.items[1].amount_fen = -5;
    let err = store
        .save_record(&Record::IncomeRecord(income))
        .expect_err("refused");
    assert!(["invalid", "rejected_value"].contains(&err.code()), "{err}");
    assert_eq!(store.get_income_record(id(7002)).expect("get"), None);
    assert_same(&store.load_dataset().expect("load"), &ds);
}

#[test]
fn save_dataset_replaces_the_whole_content() {
    let ds = complete_dataset();
    let mut store = saved(&ds);
    let mut smaller = ds.clone();
    smaller.visits.truncate(1);
    smaller.sign_replacements.clear();
    smaller.monitoring_lines.reverse();
    store.save_dataset(&smaller).expect("save");
    assert_same(&store.load_dataset().expect("load"), &smaller);
}

#[test]
fn an_empty_store_has_no_dataset() {
    let store = Store::open_in_memory().expect("open");
    let err = store.load_dataset().expect_err("empty");
    assert!(matches!(
        err,
        StoreError::NotFound {
            entity: "settings",
            id: None
        }
    ));
    assert_eq!(store.settings().expect("settings"), None);
}

#[test]
fn lists_for_the_app() {
    let ds = complete_dataset();
    let store = saved(&ds);
    let village = store
        .households_in_village(ids::village(), 2, 0)
        .expect("page 1");
    assert_eq!(village, ds.households[..2].to_vec());
    let rest = store
        .households_in_village(ids::village(), 2, 2)
        .expect("page 2");
    assert_eq!(rest, ds.households[2..].to_vec());
    assert_eq!(
        store
            .count_households_in_village(ids::village())
            .expect("count"),
        3
    );
    let visits = store.visits_of_household(ids::monitored()).expect("visits");
    assert_eq!(visits, vec![ds.visits[0].clone(), ds.visits[2].clone()]);
    let pairings = store.pairings_of_cadre(ids::cadre_a()).expect("pairings");
    assert_eq!(
        pairings,
        vec![ds.pairings[0].clone(), ds.pairings[2].clone()]
    );
    let active = store
        .active_pairings_of_cadre(ids::cadre_b(), d("2024-05-31"))
        .expect("active");
    assert_eq!(active, vec![ds.pairings[1].clone()]);
    let active = store
        .active_pairings_of_cadre(ids::cadre_b(), d("2024-06-01"))
        .expect("active");
    assert!(active.is_empty());
    let by_visitor = store
        .visits_by_visitor(ids::cadre_a(), d("2024-06-12"), d("2024-06-12"))
        .expect("by visitor");
    assert_eq!(by_visitor, vec![ds.visits[0].clone(), ds.visits[2].clone()]);
    assert_eq!(
        store.members_of_household(ids::lifted()).expect("members"),
        vec![ds.members[0].clone()]
    );
    assert_eq!(
        store
            .contacts_of_household(ids::lifted())
            .expect("contacts"),
        ds.contacts
    );
    assert_eq!(
        store
            .income_records_of_household(ids::monitored())
            .expect("income"),
        ds.income_records
    );
    assert_eq!(
        store
            .evaluations_of_household(ids::monitored())
            .expect("evaluations"),
        ds.evaluations
    );
    assert_eq!(
        store
            .pairings_of_household(ids::monitored())
            .expect("pairings"),
        ds.pairings[1..].to_vec()
    );
    assert_eq!(
        store
            .sign_replacements_of_pairing(ids::pairing_successor())
            .expect("signs"),
        ds.sign_replacements
    );
    assert_eq!(
        store.people_of_unit(id(10)).expect("people"),
        ds.people[1..3].to_vec()
    );
}

#[test]
fn an_undecodable_row_is_reported_not_unwrapped() {
    let ds = complete_dataset();
    let store = saved(&ds);
    store
        .connection()
        .execute(
            "UPDATE visits SET visited_at = 'yesterday' WHERE id = ?1",
            [ids::visit_full().as_bytes()],
        )
        .expect("tamper");
    let err = store.load_dataset().expect_err("corrupt");
    match &err {
        StoreError::Corrupt {
            entity, id, field, ..
        } => assert_eq!(
            (*entity, *id, *field),
            ("visit", Some(ids::visit_full()), "visited_at")
        ),
        other => panic!("{other}"),
    }
    assert_eq!(err.code(), "corrupt_record");
    let err = store.get_visit(ids::visit_full()).expect_err("corrupt");
    assert_eq!(err.code(), "corrupt_record");
    // Ids are 16-byte blobs; the schema refuses any other length.
    assert!(
        store
            .connection()
            .execute("UPDATE units SET id = x'0102' WHERE name = '县财政局'", [])
            .is_err()
    );
}

#[test]
fn an_edited_migration_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bangfu.db");
    drop(Store::open(&path).expect("create"));
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute(
            "UPDATE schema_migrations SET checksum = 'fnv1a64:0123456789abcdef' WHERE version = 1",
            [],
        )
        .expect("tamper");
    }
    let err = Store::open(&path).expect_err("refused");
    match &err {
        StoreError::Migration {
            version: 1,
            problem: MigrationProblem::ChecksumMismatch { recorded, .. },
            ..
        } => assert_eq!(recorded, "fnv1a64:0123456789abcdef"),
        other => panic!("{other}"),
    }
    assert_eq!(err.code(), "migration_checksum_mismatch");
    assert!(err.to_string().contains("never be edited"), "{err}");
    assert!(
        err.message_zh().contains("联系县办"),
        "{}",
        err.message_zh()
    );
}

#[test]
fn a_database_from_a_newer_app_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bangfu.db");
    drop(Store::open(&path).expect("create"));
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, '0999_future', 'x')",
            [],
        )
        .expect("tamper");
    }
    let err = Store::open(&path).expect_err("refused");
    assert_eq!(err.code(), "database_newer_than_app");
    assert!(err.message_zh().contains("升级"), "{}", err.message_zh());
}

#[test]
fn reopening_applies_nothing_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bangfu.db");
    drop(Store::open(&path).expect("create"));
    let store = Store::open(&path).expect("reopen");
    let n: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n as usize, bangfu_store::migrate::MIGRATIONS.len());
}

#[test]
fn validation_refusals_name_the_record_and_field() {
    let ds = complete_dataset();
    let mut store = saved(&ds);
    let mut member = ds.members[0].clone();
    member.id_number = "360722196503120010".into();
    let err = store
        .save_record(&Record::Member(member.clone()))
        .expect_err("bad id number");
    match &err {
        StoreError::Invalid(errors) => assert!(
            errors.iter().any(|e| e.entity == "member"
                && e.record_id == member.id
                && e.field == "id_number"),
            "{errors:?}"
        ),
        other => panic!("{other}"),
    }
    assert_eq!(err.code(), "invalid");
    assert!(err.to_string().contains("id_number"), "{err}");
    assert!(
        err.message_zh().contains("家庭成员"),
        "{}",
        err.message_zh()
    );

    let mut bad = ds.clone();
    bad.members.push(member);
    let err = store.save_dataset(&bad).expect_err("bad dataset");
    assert_eq!(err.code(), "invalid");
    assert_same(&store.load_dataset().expect("load"), &ds);
}
