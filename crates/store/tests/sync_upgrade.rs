//! Upgrading a device store made by an older schema: migration 0003 keys merge states by entity
//! kind and id, keeps every state, and splits an id that 0002 folded into one record.

mod common;
mod sync_common;

use bangfu_core::Record;
use bangfu_core::sync::{DeviceStore, EntityState};
use bangfu_store::Store;
use common::ids;
use sync_common::*;

/// The `entity_states` table and its indexes exactly as migration 0002 made them.
fn schema_0002_of_entity_states() -> String {
    let sql = bangfu_store::migrate::MIGRATIONS
        .iter()
        .find(|m| m.name == "0002_sync")
        .expect("0002")
        .sql;
    let start = sql.find("CREATE TABLE entity_states (").expect("the table");
    let end = start + sql[start..].find("\n);").expect("its end") + 3;
    let mut out = sql[start..end].to_owned();
    for line in sql
        .lines()
        .filter(|l| l.starts_with("CREATE INDEX entity_states_"))
    {
        out.push('\n');
        out.push_str(line);
    }
    out
}

fn primary_key(s: &Store) -> Vec<String> {
    let mut st = s
        .connection()
        .prepare("SELECT name FROM pragma_table_info('entity_states') WHERE pk > 0 ORDER BY pk")
        .expect("pragma");
    st.query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("names")
}

#[test]
fn a_store_of_schema_0002_upgrades_in_place_and_its_folded_id_is_split_by_kind() {
    let mut a = store(1);
    let ops = record_complete_dataset(&mut a, T0);
    // A second operation on the household, so that its state is a full one (not `sole_op`).
    let mut h = a.get_household(ids::lifted()).expect("r").expect("h");
    h.head_name = "赵大（改）".into();
    let edit = change(&mut a, &Record::Household(h.clone()), T0 + 5_000_000)
        .expect("edit")
        .expect("op");
    let (visit_op, visit) = visit_with_the_households_id(&ops);

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("device.db");
    let (states, typed) = {
        let mut b = Store::open(&path).expect("open");
        b.save_dataset(&bangfu_core::Dataset::empty(
            bangfu_core::Settings::with_tracking_start(common::d("2024-01-01")),
        ))
        .expect("settings");
        b.init_device(device(2)).expect("device");
        let mut entries = feed(&ops, 1);
        entries.extend(feed(&[edit, visit_op.clone()], 1_000));
        b.apply_pulled(&entries, 2_000).expect("pull");
        (b.entity_states().expect("states"), content(&b))
    };
    assert_eq!(typed.visits.iter().filter(|v| v.id == visit.id).count(), 1);

    // Back to what a phone on schema 0002 holds after that pull: one state per id, the visit
    // folded into the household's state, no visit row.
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        let household = ("household".to_owned(), ids::lifted());
        let mut folded: EntityState = states[&household].clone();
        folded.apply(&visit_op);
        conn.execute_batch(&format!(
            "DELETE FROM visits WHERE id = X'{hex}';
             DELETE FROM entity_states WHERE entity = 'visit' AND entity_id = X'{hex}';
             ALTER TABLE entity_states RENAME TO entity_states_0003;
             DROP INDEX entity_states_conflicted; DROP INDEX entity_states_waiting;
             {schema}
             INSERT INTO entity_states SELECT * FROM entity_states_0003;
             DROP TABLE entity_states_0003;
             ALTER TABLE device DROP COLUMN server_epoch;
             ALTER TABLE visits DROP COLUMN correction_reason;
             DELETE FROM schema_migrations WHERE version >= 3;",
            hex = ids::lifted().simple(),
            schema = schema_0002_of_entity_states(),
        ))
        .expect("downgrade");
        conn.execute(
            "UPDATE entity_states SET state = ?1 WHERE entity_id = ?2",
            rusqlite::params![
                serde_json::to_string(&folded).expect("json"),
                ids::lifted().as_bytes()
            ],
        )
        .expect("fold");
    }

    let b = Store::open(&path).expect("upgrade");
    assert_eq!(primary_key(&b), ["entity_id", "entity"]);
    assert_eq!(
        b.entity_states().expect("states"),
        states,
        "every state kept, the folded id split into its two records"
    );
    // Schema 0002 had no reasons of corrections (0005 adds the column, empty).
    let mut expected = typed;
    for v in &mut expected.visits {
        v.correction_reason = None;
    }
    assert_eq!(content(&b), expected);
    assert_eq!(b.get_visit(visit.id).expect("read"), Some(visit));
    assert_eq!(b.get_household(ids::lifted()).expect("read"), Some(h));
    assert!(b.unmaterialized().expect("list").is_empty());
    assert_eq!(b.cursor().expect("cursor"), 2_000);
}
