//! The store's own safety net, with validation bypassed: SQLite's constraints fail in the middle
//! of a transaction and nothing of it remains.

#[path = "../tests/common/mod.rs"]
pub(crate) mod common;

use bangfu_core::Record;
use common::{complete_dataset, id, ids, new_visit};

use crate::{Store, StoreError, write_transaction};

fn saved() -> (Store, bangfu_core::Dataset) {
    let ds = complete_dataset();
    let mut store = Store::open_in_memory().expect("open");
    store.save_dataset(&ds).expect("save");
    (store, ds)
}

#[test]
fn a_missing_reference_found_at_commit_rolls_back_the_whole_dataset() {
    let (mut store, first) = saved();
    let mut second = first.clone();
    second.units[0].name = "不应保存".into();
    let orphan = new_visit(7001, id(8888), ids::cadre_a(), "2024-07-01T09:00:00+08:00");
    second.visits.insert(1, orphan.clone());
    let err = store
        .write_dataset_unvalidated(&second)
        .expect_err("refused");
    match &err {
        StoreError::MissingReference { entity, id, field } => {
            assert_eq!(
                (*entity, *id, field.as_str()),
                ("visit", Some(orphan.id), "household_id")
            )
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.code(), "missing_reference");
    assert_eq!(store.load_dataset().expect("load"), first);
}

#[test]
fn a_duplicate_id_mid_dataset_rolls_back() {
    let (mut store, first) = saved();
    let mut second = first.clone();
    second.households[0].head_name = "不应保存".into();
    second.visits.push(second.visits[0].clone());
    let err = store
        .write_dataset_unvalidated(&second)
        .expect_err("refused");
    assert!(
        matches!(err, StoreError::Duplicate { entity: "visit", id } if id == first.visits[0].id),
        "{err}"
    );
    assert_eq!(store.load_dataset().expect("load"), first);
}

#[test]
fn a_value_the_schema_refuses_mid_dataset_rolls_back() {
    let (mut store, first) = saved();
    let mut second = first.clone();
    second.areas.truncate(3);
    second.consumption_purchases[1].amount_fen = -1;
    let err = store
        .write_dataset_unvalidated(&second)
        .expect_err("refused");
    assert!(
        matches!(
            err,
            StoreError::Rejected {
                entity: "consumption_purchase",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.code(), "rejected_value");
    assert_eq!(store.load_dataset().expect("load"), first);
}

#[test]
fn a_record_failing_at_commit_leaves_its_old_version_and_children() {
    let (mut store, first) = saved();
    let mut household = first.households[1].clone();
    household.village_id = id(8888);
    household.class_history.truncate(1);
    household.risks.clear();
    let err = store
        .write_record_unvalidated(&Record::Household(household))
        .expect_err("refused");
    assert!(
        matches!(&err, StoreError::MissingReference { entity: "household", field, .. }
            if field == "village_id"),
        "{err}"
    );
    assert_eq!(
        store.get_household(first.households[1].id).expect("get"),
        Some(first.households[1].clone())
    );
    assert_eq!(store.load_dataset().expect("load"), first);
}

#[test]
fn a_record_failing_mid_write_leaves_nothing() {
    let (mut store, first) = saved();
    let mut income = first.income_records[0].clone();
    income.id = id(7002);
    income.corrects = None;
    income.items[2].amount_fen = -5;
    let err = store
        .write_record_unvalidated(&Record::IncomeRecord(income))
        .expect_err("refused");
    assert!(
        matches!(err, StoreError::Rejected { entity: "income_record", id: Some(i), .. }
            if i == id(7002)),
        "{err}"
    );
    assert_eq!(store.get_income_record(id(7002)).expect("get"), None);
    assert_eq!(store.load_dataset().expect("load"), first);
}

#[test]
fn a_panic_inside_a_write_rolls_it_back() {
    let (store, first) = saved();
    let conn = &store.conn;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), StoreError> = write_transaction(conn, |c| {
            c.execute("DELETE FROM monitoring_lines", [])?;
            panic!("killed mid-write");
        });
    }));
    assert!(outcome.is_err());
    assert!(conn.is_autocommit(), "no transaction left open");
    assert_eq!(store.load_dataset().expect("load"), first);
}
