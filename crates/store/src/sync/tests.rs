//! Unit tests of the sync module's internals.

use bangfu_core::sync::Operation;

use crate::tests::common;
use bangfu_core::Record;
use bangfu_core::sync::import::records_in_order;
use bangfu_core::sync::op::record_from_fields;

#[test]
fn same_records_as_the_core_function() {
    for r in records_in_order(&common::complete_dataset()) {
        let fields = Operation::fields_of(&r);
        let got = record_from_fields(r.entity(), r.id(), &fields).expect("decodes");
        assert_eq!(got, r);
        // The plain way: a tagged JSON object through serde_json.
        let mut obj = serde_json::Map::new();
        obj.insert("id".into(), serde_json::json!(r.id()));
        obj.extend(fields.clone());
        let plain: Record =
            serde_json::from_value(serde_json::json!({"entity": r.entity(), "record": obj}))
                .expect("plain decode");
        assert_eq!(plain, got);
    }
}

#[test]
fn missing_and_mistyped_fields_are_errors_as_in_core() {
    let r = records_in_order(&common::complete_dataset())
        .into_iter()
        .find(|r| r.entity() == "visit")
        .expect("a visit");
    let mut fields = Operation::fields_of(&r);
    fields.remove("visitor_id");
    assert!(record_from_fields("visit", r.id(), &fields).is_err());
    let mut fields = Operation::fields_of(&r);
    fields.insert("visited_at".into(), serde_json::json!(12));
    assert!(record_from_fields("visit", r.id(), &fields).is_err());
    assert!(record_from_fields("spaceship", r.id(), &fields).is_err());
    // A field named `id` cannot change the id.
    let mut fields = Operation::fields_of(&r);
    fields.insert("id".into(), serde_json::json!(uuid::Uuid::nil()));
    let got = record_from_fields("visit", r.id(), &fields).expect("decodes");
    assert_eq!(got.id(), r.id());
}
