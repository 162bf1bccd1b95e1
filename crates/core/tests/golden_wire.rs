//! Freezes the sync protocol's JSON (version 1): each message below must serialise to exactly its
//! file in `tests/golden/wire-v1/` and parse back equal. Changing the wire format is a versioned
//! act: bump `PROTOCOL_VERSION`, add `wire-v2/`, and describe the change in
//! `docs/sync-protocol.md`. Regenerate (only for a deliberate change) with
//! `UPDATE_GOLDEN=1 cargo test -p bangfu-core --test golden_wire`.

use std::collections::BTreeMap;

use bangfu_core::sync::wire::*;
use bangfu_core::sync::{Hlc, OP_SCHEMA_VERSION, Operation};
use chrono::{FixedOffset, TimeZone};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

/// The server database's epoch (added to version 1: see `answers_without_an_epoch_still_parse`).
fn epoch() -> Uuid {
    Uuid::from_u128(0x9f2c_41d6_0b7e_4a51_8c3d_27e6_f1a0_95b4)
}

fn visit_op() -> Operation {
    let tz = FixedOffset::east_opt(8 * 3600).expect("tz");
    let mut fields = BTreeMap::new();
    fields.insert("household_id".to_owned(), json!(id(30)));
    fields.insert("visitor_id".to_owned(), json!(id(20)));
    fields.insert("visited_at".to_owned(), json!("2025-03-20T10:30:00+08:00"));
    fields.insert(
        "checks".to_owned(),
        json!({"education": {"status": "ok"}, "medical": {"status": "ok"},
               "housing": {"status": "risk", "note": "房屋漏雨"}, "water": {"status": "ok"}}),
    );
    fields.insert("present".to_owned(), json!(["户主"]));
    Operation {
        op_id: id(100),
        origin_device: id(200),
        origin_seq: 41,
        hlc: Hlc::new(1_742_437_800_000, 2),
        entity: "visit".to_owned(),
        entity_id: id(50),
        create: true,
        fields,
        base: BTreeMap::new(),
        scope_path: format!("360722/360722100/360722100201/h:{}", id(30)),
        schema_version: OP_SCHEMA_VERSION,
        author: id(20),
        recorded_at: tz
            .with_ymd_and_hms(2025, 3, 20, 10, 31, 5)
            .single()
            .expect("time"),
    }
}

fn edit_op() -> Operation {
    let tz = FixedOffset::east_opt(8 * 3600).expect("tz");
    Operation {
        op_id: id(101),
        origin_device: id(200),
        origin_seq: 42,
        hlc: Hlc::new(1_742_437_900_000, 0),
        entity: "household".to_owned(),
        entity_id: id(30),
        create: false,
        fields: [("phone".to_owned(), json!("13900000000"))].into(),
        base: [("phone".to_owned(), vec![id(99)])].into(),
        scope_path: format!("360722/360722100/360722100201/h:{}", id(30)),
        schema_version: OP_SCHEMA_VERSION,
        author: id(20),
        recorded_at: tz
            .with_ymd_and_hms(2025, 3, 20, 10, 33, 0)
            .single()
            .expect("time"),
    }
}

fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, value: &T) {
    let path = format!(
        "{}/tests/golden/wire-v1/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = serde_json::to_string_pretty(value).expect("json") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(format!(
            "{}/tests/golden/wire-v1",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("dir");
        std::fs::write(&path, &text).expect("write golden");
    }
    let golden = std::fs::read_to_string(&path).expect("golden file exists");
    assert_eq!(
        text, golden,
        "{name}: the wire format changed: see the header of this test"
    );
    let parsed: T = serde_json::from_str(&golden).expect("golden parses");
    assert_eq!(&parsed, value);
}

#[test]
fn push_request_v1_is_frozen() {
    check(
        "push-request",
        &PushRequest::new(id(200), vec![visit_op(), edit_op()]),
    );
}

#[test]
fn push_response_v1_is_frozen() {
    check(
        "push-response",
        &PushResponse {
            results: vec![
                OpResult {
                    first_seq: 38,
                    last_seq: 40,
                    status: OpStatus::Duplicate,
                    reason: None,
                },
                OpResult {
                    first_seq: 41,
                    last_seq: 41,
                    status: OpStatus::Accepted,
                    reason: None,
                },
                OpResult {
                    first_seq: 42,
                    last_seq: 42,
                    status: OpStatus::Rejected,
                    reason: Some(Reason {
                        code: "phone_invalid".to_owned(),
                        message: "household 01900000-0000-7000-8000-00000000001e: field `phone`: …"
                            .to_owned(),
                    }),
                },
            ],
            device_seq: 42,
            server_hlc: Hlc::new(1_742_438_000_000, 0),
            epoch: Some(epoch()),
        },
    );
}

#[test]
fn pull_response_v1_is_frozen() {
    check(
        "pull-response",
        &PullResponse {
            entries: vec![FeedEntry::new(1017, visit_op())],
            cursor: 1020,
            has_more: false,
            server_hlc: Hlc::new(1_742_438_000_000, 1),
            epoch: Some(epoch()),
        },
    );
}

/// Added to v1: an entry the server flagged as stamped far in the future carries `"future":
/// true`; an unflagged one is as before (see `pull-response`).
#[test]
fn a_flagged_feed_entry_v1_is_frozen() {
    let mut flagged = FeedEntry::new(1018, edit_op());
    flagged.future = true;
    check(
        "pull-response-future",
        &PullResponse {
            entries: vec![FeedEntry::new(1017, visit_op()), flagged],
            cursor: 1020,
            has_more: false,
            server_hlc: Hlc::new(1_742_438_000_000, 1),
            epoch: None,
        },
    );
}

#[test]
fn capabilities_and_errors_v1_are_frozen() {
    check(
        "capabilities",
        &Capabilities {
            protocol: PROTOCOL_VERSION,
            server: "bangfu-server 0.1.0".to_owned(),
            encodings: vec!["gzip".to_owned(), "zstd".to_owned()],
            max_body_bytes: 33_554_432,
            max_ops_per_push: 10_000,
            max_pull_limit: 10_000,
            epoch: Some(epoch()),
        },
    );
    check(
        "error",
        &ErrorBody {
            code: "malformed_json".to_owned(),
            message: "the body is not valid JSON: expected `,` or `}` at line 1 column 17"
                .to_owned(),
        },
    );
}

/// `epoch` was added to version 1 additively: the answers of a server from before it (the golden
/// files without the field) still parse, with no epoch, and an answer without one does not send
/// the field.
#[test]
fn answers_without_an_epoch_still_parse() {
    fn without_epoch<T: Serialize + DeserializeOwned>(name: &str) -> (T, String) {
        let path = format!(
            "{}/tests/golden/wire-v1/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let golden = std::fs::read_to_string(&path).expect("golden file exists");
        let mut value: serde_json::Value = serde_json::from_str(&golden).expect("json");
        let removed = value
            .as_object_mut()
            .and_then(|o| o.remove("epoch"))
            .expect("the golden answer carries an epoch");
        assert_eq!(removed, json!(epoch().to_string()));
        let old = serde_json::to_string(&value).expect("json");
        let parsed: T = serde_json::from_str(&old).expect("an answer without epoch parses");
        let again = serde_json::to_string(&parsed).expect("json");
        (parsed, again)
    }
    let (push, again): (PushResponse, _) = without_epoch("push-response");
    assert_eq!((push.epoch, push.device_seq), (None, 42));
    assert!(!again.contains("epoch"), "{again}");
    let (pull, again): (PullResponse, _) = without_epoch("pull-response");
    assert_eq!((pull.epoch, pull.cursor), (None, 1020));
    assert!(!again.contains("epoch"), "{again}");
    let (caps, again): (Capabilities, _) = without_epoch("capabilities");
    assert_eq!((caps.epoch, caps.max_pull_limit), (None, 10_000));
    assert!(!again.contains("epoch"), "{again}");
}
