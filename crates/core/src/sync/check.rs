//! Validation of an incoming operation against the record it changes: the server runs it on every
//! pushed operation before storing it (it never trusts a device), and a device may run it on what
//! it is about to send.

use crate::model::record::Record;
use crate::sync::fields::record_from_fields_noting_unknown;
use crate::sync::merge::EntityState;
use crate::sync::op::{ENTITIES, OP_SCHEMA_VERSION, Operation, is_append_only};
use crate::sync::wire::Reason;
use crate::validate::{Refs, validate_record};

fn reason(code: &str, message: impl Into<String>) -> Reason {
    Reason {
        code: code.to_owned(),
        message: message.into(),
    }
}

/// Rebuilds the record from its fields, refusing a field name the entity does not have (serde
/// would otherwise ignore it silently) and a value of the wrong type.
fn build(
    op: &Operation,
    fields: &std::collections::BTreeMap<String, serde_json::Value>,
) -> Result<Record, Reason> {
    // Straight from the borrowed fields (copying them into one JSON object first was a third of
    // the server's check of a pushed visit).
    let mut unknown = None;
    let record = record_from_fields_noting_unknown(&op.entity, op.entity_id, fields, |path| {
        if unknown.is_none() {
            unknown = Some(path);
        }
    })
    .map_err(|e| reason("bad_field", format!("{} {}: {e}", op.entity, op.entity_id)))?;
    if let Some(field) = unknown {
        return Err(reason(
            "unknown_field",
            format!("{} has no field `{field}`", op.entity),
        ));
    }
    Ok(record)
}

/// Checks `op` against the current merge state of its record (`None` if the record is unknown)
/// and returns the record as it will be after the operation. The error's message names the field
/// and never repeats a value.
pub fn check_op(
    op: &Operation,
    current: Option<&EntityState>,
    refs: &dyn Refs,
) -> Result<Record, Reason> {
    if op.schema_version > OP_SCHEMA_VERSION {
        return Err(reason(
            "schema_too_new",
            format!(
                "operation schema {} is newer than this server's {OP_SCHEMA_VERSION}: upgrade the server",
                op.schema_version
            ),
        ));
    }
    if !ENTITIES.contains(&op.entity.as_str()) {
        return Err(reason(
            "unknown_entity",
            format!("unknown entity `{}`", op.entity),
        ));
    }
    if op.fields.is_empty() {
        return Err(reason("no_fields", "the operation changes no field"));
    }
    if op.fields.contains_key("id") {
        return Err(reason("id_is_not_a_field", "`id` cannot be changed"));
    }
    if op.scope_path.is_empty() {
        return Err(reason("no_scope", "`scope_path` is empty"));
    }
    if let Some(field) = op.base.keys().find(|k| !op.fields.contains_key(*k)) {
        return Err(reason(
            "base_without_field",
            format!("`base` names field `{field}` that the operation does not change"),
        ));
    }
    match (op.create, current) {
        (true, Some(_)) if is_append_only(&op.entity) => {
            return Err(reason(
                "append_only",
                format!(
                    "{} {} already exists and cannot be changed: record a correction instead",
                    op.entity, op.entity_id
                ),
            ));
        }
        (false, _) if is_append_only(&op.entity) => {
            return Err(reason(
                "append_only",
                format!(
                    "{} records cannot be edited: record a correction instead",
                    op.entity
                ),
            ));
        }
        (false, None) => {
            return Err(reason(
                "unknown_record",
                format!(
                    "the operation changes {} {} which the server does not have",
                    op.entity, op.entity_id
                ),
            ));
        }
        _ => {}
    }
    let record = match current {
        // A creation of an unknown record (the common case: every visit) needs no merge.
        None => build(op, &op.fields)?,
        Some(current) => {
            let mut state = current.clone();
            state.apply(op);
            build(op, &state.winners())?
        }
    };
    if let Err(errors) = validate_record(&record, refs) {
        let code = errors.first().map_or("invalid", |e| e.code);
        let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
        return Err(reason(code, all.join("; ")));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::{Fixture, d, noon};
    use crate::sync::hlc::Hlc;
    use crate::validate::DatasetRefs;
    use serde_json::json;
    use uuid::Uuid;

    fn op_for(record: &Record, create: bool, n: u64) -> Operation {
        Operation {
            op_id: Uuid::from_u128(9_000 + u128::from(n)),
            origin_device: Uuid::from_u128(7),
            origin_seq: n,
            hlc: Hlc::new(1_700_000_000_000 + n, 0),
            entity: record.entity().to_owned(),
            entity_id: record.id(),
            create,
            fields: Operation::fields_of(record),
            base: Default::default(),
            scope_path: "360722".into(),
            schema_version: OP_SCHEMA_VERSION,
            author: Uuid::from_u128(7),
            recorded_at: noon(d("2024-05-01")),
        }
    }

    fn fixture_with_visit() -> (Fixture, Record) {
        let mut f = Fixture::new();
        let h = f.lifted();
        let c = f.cadre("张三");
        f.pair(h, c, d("2024-01-01"), None);
        f.visit(h, c, d("2024-05-01"));
        let v = Record::Visit(f.last_visit().clone());
        f.ds.visits.clear();
        (f, v)
    }

    #[test]
    fn a_valid_creation_passes_and_returns_the_record() {
        let (f, v) = fixture_with_visit();
        let refs = DatasetRefs::new(&f.ds);
        let got = check_op(&op_for(&v, true, 1), None, &refs).expect("valid");
        assert_eq!(got, v);
    }

    #[test]
    fn append_only_records_cannot_be_edited_or_recreated() {
        let (f, v) = fixture_with_visit();
        let refs = DatasetRefs::new(&f.ds);
        let create = op_for(&v, true, 1);
        let mut state = EntityState::default();
        state.apply(&create);
        let mut edit = op_for(&v, false, 2);
        edit.fields = [("problems".to_owned(), json!("改了"))].into();
        assert_eq!(
            check_op(&edit, Some(&state), &refs).map_err(|r| r.code),
            Err("append_only".to_owned())
        );
        assert_eq!(
            check_op(&op_for(&v, true, 3), Some(&state), &refs).map_err(|r| r.code),
            Err("append_only".to_owned())
        );
    }

    #[test]
    fn unknown_entity_field_and_wrong_types_are_refused() {
        let (f, v) = fixture_with_visit();
        let refs = DatasetRefs::new(&f.ds);
        let mut op = op_for(&v, true, 1);
        op.entity = "spaceship".into();
        assert_eq!(
            check_op(&op, None, &refs).map_err(|r| r.code),
            Err("unknown_entity".to_owned())
        );
        let mut op = op_for(&v, true, 1);
        op.fields.insert("colour".into(), json!("red"));
        assert_eq!(
            check_op(&op, None, &refs).map_err(|r| r.code),
            Err("unknown_field".to_owned())
        );
        let mut op = op_for(&v, true, 1);
        let checks = op.fields.get_mut("checks").expect("a visit has checks");
        checks["water"]["colour"] = json!("clear");
        let err = check_op(&op, None, &refs).expect_err("a nested unknown field");
        assert_eq!(err.code, "unknown_field");
        assert!(
            err.message.contains("`checks.water.colour`") && !err.message.contains("clear"),
            "names the field, not the value: {}",
            err.message
        );
        let mut op = op_for(&v, true, 1);
        op.fields.insert("visited_at".into(), json!(12));
        assert_eq!(
            check_op(&op, None, &refs).map_err(|r| r.code),
            Err("bad_field".to_owned())
        );
    }

    #[test]
    fn a_visit_by_an_unknown_person_is_refused_by_the_validators() {
        let (f, v) = fixture_with_visit();
        let refs = DatasetRefs::new(&f.ds);
        let mut op = op_for(&v, true, 1);
        op.fields
            .insert("visitor_id".into(), json!(Uuid::from_u128(4242)));
        let err = check_op(&op, None, &refs).expect_err("refused");
        assert!(err.message.contains("visitor_id"), "{}", err.message);
    }

    #[test]
    fn an_edit_of_an_unknown_household_is_refused() {
        let mut f = Fixture::new();
        let h = f.lifted();
        let rec = Record::Household(f.ds.households[0].clone());
        f.ds.households.clear();
        let refs = DatasetRefs::new(&f.ds);
        let mut edit = op_for(&rec, false, 1);
        edit.fields = [("head_name".to_owned(), json!("新户主"))].into();
        assert_eq!(h, rec.id());
        assert_eq!(
            check_op(&edit, None, &refs).map_err(|r| r.code),
            Err("unknown_record".to_owned())
        );
    }
}
