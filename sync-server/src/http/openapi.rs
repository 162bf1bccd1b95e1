//! The OpenAPI 3.1 document of the whole HTTP API, served at `GET /openapi.json`.
//!
//! Written out here rather than derived: the wire types live in `bangfu-core`, which has no
//! reason to depend on an OpenAPI crate, and the document is small. Its schemas say what the
//! handlers check — patterns, formats, enums, lengths, ranges, required and unknown fields, the
//! headers an operation needs — so that a request valid by the document passes the server's
//! validation and reaches its logic. Strings are constrained in characters (JSON Schema counts
//! characters); where the server counts bytes, the schema allows what is sure to fit (see
//! [`at_most_bytes`]). Constraints JSON Schema cannot say (a push's `device_id` must be the
//! signed-in device's; a chunk's length must match its `Content-Range`) are in the
//! descriptions.
//!
//! Tests: every route the router serves is in the document and every documented operation
//! answers a malformed request with a 4xx (`sync-server/tests/api/openapi/`); examples made from
//! the document are valid by its schemas and are not refused as malformed
//! (`sync-server/tests/api/openapi/examples.rs`).

use axum::Json;
use bangfu_blobs::upload::UploadConfig;
use bangfu_blobs::wire::MAX_HAVE;
use bangfu_core::sync::op::{ENTITIES, OP_SCHEMA_VERSION};
use serde_json::{Value, json};

use super::ServerConfig;
use super::extract::SMALL_BODY;
use crate::auth::Role;

/// The device id of the examples (a push's `device_id` must be the signed-in device's: sign in
/// with this one to send the push example as it is).
pub const EXAMPLE_DEVICE: &str = "0190a000-0000-7000-8000-00000000d001";

/// A text of nothing but white space (every character Rust's `trim` removes, and a few more):
/// a text that does not match it is not blank.
const BLANK: &str = "^[\\s\\u0085]*$";

fn err(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
}

fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

/// A JSON request body of `schema`, at most `max_bytes` (after decompression).
fn body(schema: Value, max_bytes: u64) -> Value {
    json!({
        "required": true,
        "description": format!("JSON (`Content-Type: application/json`), at most {max_bytes} bytes (413 body_too_large); may be sent gzip or zstd (`Content-Encoding`)"),
        "content": {"application/json": {"schema": schema}}
    })
}

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn open() -> Value {
    json!({})
}

/// An integer from 0 to `max` (the Rust type's range: the server refuses more as a wrong type).
fn uint(max: u64) -> Value {
    json!({"type": "integer", "minimum": 0, "maximum": max})
}

fn u64_() -> Value {
    uint(u64::MAX)
}

fn u32_() -> Value {
    uint(u64::from(u32::MAX))
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn uuid_eg(example: &str) -> Value {
    json!({"type": "string", "format": "uuid", "examples": [example]})
}

/// A text that is not blank, of at most `max` characters when given.
fn not_blank(max: Option<u64>, example: &str) -> Value {
    let mut s =
        json!({"type": "string", "minLength": 1, "not": {"pattern": BLANK}, "examples": [example]});
    if let Some(max) = max {
        s["maxLength"] = json!(max);
    }
    s
}

/// A text of at most `max` bytes of UTF-8: any of at most `max / 4` characters, or ASCII up to
/// `max` characters.
fn at_most_bytes(max: u64) -> Value {
    json!({"anyOf": [{"maxLength": max / 4}, {"maxLength": max, "pattern": "^[\\x00-\\x7f]*$"}]})
}

/// A password as accounts take it: at least 8 characters, at most 256 bytes.
fn password() -> Value {
    let mut p = at_most_bytes(256);
    p["type"] = json!("string");
    p["minLength"] = json!(8);
    p["examples"] = json!(["correct-horse-1"]);
    p
}

/// `county/township/village` codes, `depth` of them (letters and digits, 1–32 each).
fn area_path(depth: usize, example: &str) -> Value {
    let code = "[A-Za-z0-9]{1,32}";
    let more = if depth > 1 {
        format!("(/{code}){{{}}}", depth - 1)
    } else {
        String::new()
    };
    json!({"type": "string", "pattern": format!("^{code}{more}$"), "examples": [example]})
}

/// A lowercase hex SHA-256, as photos are named.
fn sha256() -> Value {
    json!({"type": "string", "pattern": "^[0-9a-f]{64}$", "examples": ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]})
}

fn secured(mut op: Value) -> Value {
    op["security"] = json!([{"deviceToken": []}]);
    let responses = &mut op["responses"];
    responses["401"] =
        err("no, a forged, an expired token (auth_required, auth_bad_token, auth_token_expired)");
    responses["403"] = err(
        "revoked device, disabled account, out of scope or role (auth_device_revoked, auth_disabled, forbidden_scope, forbidden_role, wrong_device)",
    );
    op
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn path_param(name: &str, schema: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": schema})
}

/// At most this many (a larger `limit` is taken as 10,000; 0 as 1).
fn limit_query() -> Value {
    query(
        "limit",
        u32_(),
        "at most this many (default 200; more than 10,000 is taken as 10,000, 0 as 1)",
    )
}

/// The schemas of the requests and answers.
fn schemas() -> Value {
    let config = ServerConfig::default();
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let area_roles = |depth: usize, roles: Value, example: &str| json!({"properties": {"role": roles, "area_path": area_path(depth, example)}, "required": ["area_path"]});
    let op_example = json!({
        "op_id": "0190a000-0000-7000-8000-0000000e0001", "origin_device": EXAMPLE_DEVICE,
        "origin_seq": 1, "hlc": "018f317370000000", "entity": "area",
        "entity_id": "0190a000-0000-7000-8000-0000000a0001", "create": true,
        "fields": {"code": "360722", "name": "信丰县", "level": "county"},
        "scope_path": "360722", "schema_version": OP_SCHEMA_VERSION,
        "author": "0190a000-0000-7000-8000-0000000b0001", "recorded_at": "2024-05-01T10:00:00+08:00"
    });
    json!({
        "ErrorBody": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
        "Hlc": {"type": "string", "pattern": "^[0-9a-f]{16}$", "description": "hybrid logical clock: 48 bits of milliseconds and a 16-bit counter, 16 lowercase hex digits", "examples": ["018f317370000000"]},
        "Operation": {
            "type": "object", "description": "one change to one record; see docs/sync-protocol.md",
            "required": ["op_id", "origin_device", "origin_seq", "hlc", "entity", "entity_id", "fields", "scope_path", "schema_version", "author", "recorded_at"],
            "additionalProperties": false,
            "properties": {
                "op_id": uuid(), "origin_device": uuid(), "origin_seq": u64_(), "hlc": r("Hlc"),
                "entity": {"type": "string", "enum": ENTITIES, "description": "an unknown entity is answered per operation (rejected), not refused"},
                "entity_id": uuid(), "create": {"type": "boolean", "default": false},
                "fields": {"type": "object", "description": "field name → new value (the record's JSON fields, without id); checked per operation"},
                "base": {"type": "object", "additionalProperties": {"type": "array", "items": uuid()}, "default": {}},
                "scope_path": {"type": "string"}, "schema_version": u32_(), "author": uuid(),
                "recorded_at": {"type": "string", "format": "date-time"}
            },
            "examples": [op_example]
        },
        "PushRequest": {
            "type": "object", "required": ["device_id", "ops"], "additionalProperties": false,
            "properties": {
                "device_id": {"type": "string", "format": "uuid", "description": "the signed-in device's id (else 403 wrong_device)", "examples": [EXAMPLE_DEVICE]},
                "ops": {"type": "array", "items": r("Operation"), "maxItems": config.max_ops_per_push, "description": "in origin_seq order; at most max_ops_per_push of GET /v1/version (413 too_many_ops)"}
            },
            "examples": [{"device_id": EXAMPLE_DEVICE, "ops": [op_example]}]
        },
        "OpResult": {"type": "object", "required": ["first_seq", "last_seq", "status"], "properties": {"first_seq": u64_(), "last_seq": u64_(), "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]}, "reason": r("ErrorBody")}},
        "PushResponse": {"type": "object", "required": ["results", "device_seq", "server_hlc"], "properties": {"results": {"type": "array", "items": r("OpResult")}, "device_seq": u64_(), "server_hlc": r("Hlc"), "epoch": {"type": "string", "format": "uuid", "description": "the database's epoch: a new one means it was restored from a backup"}}},
        "PullResponse": {"type": "object", "required": ["entries", "cursor", "has_more", "server_hlc"], "properties": {"entries": {"type": "array", "items": {"type": "object", "required": ["server_seq", "op"], "properties": {"server_seq": u64_(), "op": r("Operation"), "future": {"type": "boolean"}}}}, "cursor": u64_(), "has_more": {"type": "boolean"}, "server_hlc": r("Hlc"), "epoch": uuid()}},
        "Capabilities": {"type": "object", "required": ["protocol", "server", "encodings", "max_body_bytes", "max_ops_per_push", "max_pull_limit"], "properties": {"protocol": u32_(), "server": {"type": "string"}, "encodings": {"type": "array", "items": {"type": "string"}}, "max_body_bytes": u64_(), "max_ops_per_push": u32_(), "max_pull_limit": u32_(), "epoch": uuid()}},
        "Health": {"type": "object", "properties": {"status": {"type": "string"}, "schema_version": {"type": "integer"}, "last_server_seq": {"type": "integer"}}},
        "Role": {"type": "string", "enum": roles},
        "Account": {"type": "object", "required": ["id", "username", "display_name", "role", "disabled", "created_at_ms"], "properties": {"id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"}, "role": r("Role"), "person_id": {"type": ["string", "null"], "format": "uuid"}, "unit_id": {"type": ["string", "null"], "format": "uuid"}, "area_path": {"type": ["string", "null"]}, "disabled": {"type": "boolean"}, "created_at_ms": u64_()}},
        "NewAccount": {
            "type": "object", "required": ["username", "display_name", "role", "password"], "additionalProperties": false,
            "description": "what anchors the role's scope is required: a cadre's person_id, a unit admin's unit_id, the area_path of the others (county office: the county; township station: county/township; first secretary and team member: county/township/village)",
            "properties": {
                "username": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{3,64}$", "examples": ["liu.jianguo", "wang_fang", "li-na", "zhao.lei", "chen99"]},
                "display_name": not_blank(Some(64), "刘建国"),
                "role": r("Role"),
                "person_id": uuid(), "unit_id": uuid(),
                "area_path": {"type": "string"},
                "password": password()
            },
            "oneOf": [
                {"properties": {"role": {"const": "cadre"}}, "required": ["person_id"]},
                {"properties": {"role": {"const": "unit_admin"}}, "required": ["unit_id"]},
                area_roles(3, json!({"enum": ["first_secretary", "team_member"]}), "360722/360722100/360722100201"),
                area_roles(2, json!({"const": "township_station"}), "360722/360722100"),
                area_roles(1, json!({"const": "county_office"}), "360722")
            ],
            "examples": [
                {"username": "zhang.san", "display_name": "张三", "role": "cadre", "person_id": "0190a000-0000-7000-8000-000000000020", "password": "correct-horse-1"},
                {"username": "danwei", "display_name": "县财政局", "role": "unit_admin", "unit_id": "0190a000-0000-7000-8000-000000000010", "password": "correct-horse-1"},
                {"username": "shuji", "display_name": "王书记", "role": "first_secretary", "area_path": "360722/360722100/360722100201", "person_id": "0190a000-0000-7000-8000-000000000030", "password": "correct-horse-1"},
                {"username": "zhan", "display_name": "嘉定镇工作站", "role": "township_station", "area_path": "360722/360722100", "password": "correct-horse-1"},
                {"username": "xianban2", "display_name": "县巩固衔接办公室", "role": "county_office", "area_path": "360722", "password": "correct-horse-1"}
            ]
        },
        "SignInRequest": {
            "type": "object", "required": ["username", "password", "device_id"], "additionalProperties": false,
            "properties": {
                "username": {"type": "string", "description": "at most 64 bytes", "allOf": [at_most_bytes(64)], "examples": ["xianban"]},
                "password": {"type": "string", "description": "at most 256 bytes", "allOf": [at_most_bytes(256)], "examples": ["bangfu-demo"]},
                "device_id": {"type": "string", "format": "uuid", "not": {"const": "00000000-0000-0000-0000-000000000000"}, "description": "the device's own random UUID (not the nil UUID)", "examples": [EXAMPLE_DEVICE]},
                "device_name": {"type": "string", "maxLength": 64, "examples": ["测试机"]}
            }
        },
        "SignInResponse": {"type": "object", "required": ["device_token", "device_id", "account"], "properties": {"device_token": {"type": "string"}, "device_id": uuid(), "account": r("Account")}},
        "Scope": {"type": "object", "properties": {"all": {"type": "boolean"}, "subtrees": {"type": "array", "items": {"type": "string"}}, "households": {"type": "array", "items": {"type": "string"}}, "ancestors": {"type": "array", "items": {"type": "string"}}, "ended": {"type": "array", "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string", "format": "date"}], "items": false}}}},
        "Me": {"type": "object", "properties": {"account": r("Account"), "device_id": uuid(), "scope": r("Scope")}},
        "DeviceReport": {"type": "object", "required": ["unsynced_ops", "unsynced_photos"], "additionalProperties": false, "properties": {"unsynced_ops": u64_(), "unsynced_photos": u64_()}},
        "DeviceInfo": {"type": "object", "required": ["device_id", "username", "name", "created_at_ms", "expires_at_ms"], "properties": {"device_id": uuid(), "username": {"type": "string"}, "name": {"type": "string"}, "created_at_ms": u64_(), "expires_at_ms": u64_(), "revoked_at_ms": {"type": ["integer", "null"]}, "last_sync_ms": {"type": ["integer", "null"]}, "reported_unsynced_ops": {"type": ["integer", "null"]}, "reported_unsynced_photos": {"type": ["integer", "null"]}, "reported_at_ms": {"type": ["integer", "null"]}}},
        "FutureOp": {"type": "object", "properties": {"server_seq": {"type": "integer"}, "device": uuid(), "seq": {"type": "integer"}, "entity": {"type": "string"}, "entity_id": uuid(), "stamped_ms": {"type": "integer"}, "received_at_ms": {"type": "integer"}}},
        "RejectedEntry": {"type": "object", "properties": {"device": uuid(), "seq": {"type": "integer"}, "op_id": uuid(), "entity": {"type": ["string", "null"]}, "entity_id": {"type": ["string", "null"], "format": "uuid"}, "code": {"type": "string"}, "message": {"type": "string"}, "received_at_ms": {"type": "integer"}}},
        "AuditEntry": {"type": "object", "properties": {"id": {"type": "integer"}, "at_ms": {"type": "integer"}, "actor": {"type": "string"}, "device_id": {"type": ["string", "null"]}, "action": {"type": "string"}, "detail": {"type": "string"}}},
        "Settings": {
            "type": "object", "description": "see docs/dataset.md (settings)",
            "required": ["tracking_start", "income_drop_percent", "rigid_expense_jump_percent", "rigid_expense_jump_min_fen", "r6_pairing_due_working_days", "province_code"],
            "properties": {
                "tracking_start": {"type": "string", "format": "date"},
                "income_drop_percent": u32_(), "rigid_expense_jump_percent": u32_(),
                "rigid_expense_jump_min_fen": {"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX},
                "r6_pairing_due_working_days": u32_(),
                "province_code": not_blank(None, "360000")
            }
        },
        "MonitoringLine": {
            "type": "object", "required": ["year", "region_code", "yuan_per_person", "source"],
            "properties": {
                "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
                "region_code": {"type": "string", "pattern": "^[A-Za-z0-9]{1,12}$", "description": "a division code (360000 for Jiangxi) or CN for the national floor", "examples": ["360000"]},
                "yuan_per_person": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
                "source": {"type": "string"}
            }
        },
        "Reference": {
            "type": "object", "required": ["settings", "monitoring_lines"], "additionalProperties": false,
            "properties": {"settings": r("Settings"), "monitoring_lines": {"type": "array", "items": r("MonitoringLine")}},
            "examples": [{
                "settings": {"tracking_start": "2024-01-01", "income_drop_percent": 30, "rigid_expense_jump_percent": 50, "rigid_expense_jump_min_fen": 500_000, "r6_pairing_due_working_days": 10, "province_code": "360000"},
                "monitoring_lines": [{"year": 2024, "region_code": "360000", "yuan_per_person": 7600, "source": "赣乡振字〔2024〕1号"}]
            }]
        },
        "HaveRequest": {"type": "object", "required": ["sha256"], "additionalProperties": false, "properties": {"sha256": {"type": "array", "maxItems": MAX_HAVE, "items": sha256()}}},
        "HaveResponse": {"type": "object", "required": ["stored", "partial"], "properties": {"stored": {"type": "array", "items": sha256()}, "partial": {"type": "object", "additionalProperties": u64_()}}},
        "ChunkResponse": {"type": "object", "required": ["received", "complete"], "properties": {"received": u64_(), "complete": {"type": "boolean"}}}
    })
}

/// The document.
pub fn document() -> Value {
    let bad = err("malformed request (malformed_json, bad_query, bad_path, bad_encoding)");
    let unprocessable =
        err("well-formed JSON of the wrong shape (invalid_message, invalid_account)");
    let slow = err("body_timeout: the body did not arrive within the server's body deadline");
    let not_json = err("unsupported_media_type (not JSON), unsupported_encoding");
    let small = SMALL_BODY;
    let max_body = ServerConfig::default().max_body_bytes;
    let max_chunk = UploadConfig::default().max_chunk_bytes;
    let sha = path_param("sha256", sha256());
    let username = path_param(
        "username",
        json!({"type": "string", "examples": ["liu.jianguo"]}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "bangfu sync server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Devices sign in once (device token), push their operations and pull the feed of their scope; photos are uploaded by SHA-256 in resumable chunks. See docs/sync-protocol.md. JSON request bodies need `Content-Type: application/json` and may be compressed (`Content-Encoding: gzip` or `zstd`; not POST /v1/photos/have); unknown fields are refused (422), not ignored."
        },
        "components": {
            "securitySchemes": {"deviceToken": {"type": "http", "scheme": "bearer", "description": "the device token from POST /v1/auth/signin"}},
            "schemas": schemas()
        },
        "paths": {
            "/healthz": {"get": {"summary": "health", "responses": {"200": ok("healthy", r("Health")), "503": err("unhealthy")}}},
            "/openapi.json": {"get": {"summary": "this document", "responses": {"200": ok("the document", open())}}},
            "/v1/version": {"get": {"summary": "protocol version and limits", "responses": {"200": ok("capabilities", r("Capabilities"))}}},
            "/v1/auth/signin": {"post": {"summary": "sign a device in (gives a device token)", "requestBody": body(r("SignInRequest"), small), "responses": {
                "200": ok("signed in", r("SignInResponse")), "400": bad.clone(), "401": err("auth_bad_credentials (unknown names alike)"),
                "403": err("auth_disabled; auth_device_taken (the device id is another account's: reset the app for a new one); auth_device_revoked (a revoked device is never signed in again)"),
                "408": slow.clone(), "413": err("body_too_large"), "415": not_json.clone(), "422": unprocessable.clone(),
                "429": err("auth_slow_down: too many failures of this username (known or not) or from this address (Retry-After header)"),
                "503": err("signin_busy: too many sign-ins waiting for a password check (Retry-After header)")}}},
            "/v1/me": {"get": secured(json!({"summary": "the device's account and scope today", "responses": {"200": ok("account and scope", r("Me"))}}))},
            "/v1/device/report": {"post": secured(json!({"summary": "what the device still has to send", "requestBody": body(r("DeviceReport"), small), "responses": {"200": ok("noted", open()), "400": bad.clone(), "408": slow.clone(), "413": err("body_too_large"), "415": not_json.clone(), "422": unprocessable.clone()}}))},
            "/v1/push": {"post": secured(json!({"summary": "push a batch of operations (each answered on its own: an operation that fails validation is rejected in a 200 answer)", "requestBody": body(r("PushRequest"), max_body), "responses": {
                "200": ok("each operation answered", r("PushResponse")), "400": bad.clone(), "408": slow.clone(), "413": err("body_too_large, too_many_ops"), "415": not_json.clone(), "422": unprocessable.clone(),
                "429": err("push_busy: the device already has 2 pushes in progress (Retry-After header)")}}))},
            "/v1/pull": {"get": secured(json!({"summary": "the feed of the device's scope", "parameters": [
                query("after", u64_(), "cursor (0: from the start)"),
                query("limit", json!({"type": "integer", "minimum": 1, "maximum": u32::MAX}), "page size (more than max_pull_limit of GET /v1/version is taken as it)"),
                query("scope", json!({"type": "string", "pattern": "[^/]", "examples": ["360722/360722100"]}), "narrower prefix (county-wide accounts only, else 403 forbidden_scope)"),
                query("exclude_origin", uuid_eg(EXAMPLE_DEVICE), "device whose operations to leave out"),
                query("exclude_through", u64_(), "up to this origin_seq (only with exclude_origin, else 400 bad_query)")],
                "responses": {"200": ok("a page", r("PullResponse")), "400": bad.clone(), "409": err("scope_grew: pull again from after=0")}}))},
            "/v1/admin/accounts": {
                "get": secured(json!({"summary": "list accounts", "responses": {"200": ok("accounts", json!({"type": "array", "items": r("Account")}))}})),
                "post": secured(json!({"summary": "create an account", "requestBody": body(r("NewAccount"), small), "responses": {"201": ok("created", r("Account")), "400": bad.clone(), "408": slow.clone(), "409": err("account_exists"), "413": err("body_too_large"), "415": not_json.clone(), "422": unprocessable.clone()}}))},
            "/v1/admin/accounts/{username}/disable": {"post": secured(json!({"summary": "disable an account", "parameters": [username.clone()], "responses": {"200": ok("disabled", r("Account")), "400": bad.clone(), "404": err("no_such_account")}}))},
            "/v1/admin/accounts/{username}/enable": {"post": secured(json!({"summary": "enable an account", "parameters": [username], "responses": {"200": ok("enabled", r("Account")), "400": bad.clone(), "404": err("no_such_account")}}))},
            "/v1/admin/devices": {"get": secured(json!({"summary": "devices with last sync and reported unsynced counts", "parameters": [query("username", json!({"type": "string", "examples": ["xianban"]}), "only this account's devices")], "responses": {"200": ok("devices", json!({"type": "array", "items": r("DeviceInfo")})), "400": bad.clone()}}))},
            "/v1/admin/devices/{device_id}/revoke": {"post": secured(json!({"summary": "revoke a device's token", "parameters": [path_param("device_id", uuid_eg("0190a000-0000-7000-8000-00000000d0ff"))], "responses": {"204": {"description": "revoked"}, "400": bad.clone(), "404": err("no_such_device")}}))},
            "/v1/admin/audit": {"get": secured(json!({"summary": "the audit log, newest first", "parameters": [limit_query()], "responses": {"200": ok("entries", json!({"type": "array", "items": r("AuditEntry")})), "400": bad.clone()}}))},
            "/v1/admin/rejected": {"get": secured(json!({"summary": "refused operations, newest first: device, seq, record, code and message (never the record's content)", "parameters": [query("device", uuid_eg(EXAMPLE_DEVICE), "only this device's"), limit_query()], "responses": {"200": ok("refused operations", json!({"type": "array", "items": r("RejectedEntry")})), "400": bad.clone()}}))},
            "/v1/admin/future": {"get": secured(json!({"summary": "operations stamped more than 24 h ahead of the server's clock (a device's clock set wrong), newest first", "parameters": [limit_query()], "responses": {"200": ok("flagged operations", json!({"type": "array", "items": r("FutureOp")})), "400": bad.clone()}}))},
            "/v1/reference": {"get": secured(json!({"summary": "the county's settings and monitoring lines", "responses": {"200": ok("reference data", r("Reference")), "404": err("no_reference")}}))},
            "/v1/admin/reference": {"put": secured(json!({"summary": "replace the settings and monitoring lines", "requestBody": body(r("Reference"), small), "responses": {"200": ok("replaced", open()), "400": bad.clone(), "408": slow.clone(), "413": err("body_too_large"), "415": not_json.clone(), "422": err("invalid_message, invalid_reference")}}))},
            "/v1/photos/have": {"post": secured(json!({"summary": "which photos the server has (whole or partly): only those the device may read (a record in its read scope names them, or it uploaded them and no record names them yet) are told stored; partial uploads are the device's own",
                "requestBody": {"required": true, "description": "JSON (`Content-Type: application/json`), sent plain (no Content-Encoding)", "content": {"application/json": {"schema": r("HaveRequest")}}},
                "responses": {"200": ok("stored and partial", r("HaveResponse")), "400": err("malformed_json, photo_bad_hash, body_unreadable"), "413": err("photo_too_many: more than 1,000 hashes"), "415": err("unsupported_media_type (not JSON, or compressed)"), "422": err("invalid_message")}}))},
            "/v1/photos/{sha256}": {
                "head": secured(json!({"summary": "whether a photo is stored (200) or how much of the device's own upload arrived (404 with Upload-Offset); a photo the device may not read is answered as not stored", "parameters": [sha.clone()], "responses": {"200": {"description": "stored"}, "400": {"description": "photo_bad_hash"}, "404": {"description": "not stored; Upload-Offset: bytes received so far"}}})),
                "put": secured(json!({"summary": "upload a chunk; the last one completes it after the hash and image checks (JPEG, PNG or WebP)",
                    "parameters": [sha.clone(), {"name": "Content-Range", "in": "header", "required": true,
                        "description": "bytes START-END/TOTAL, END inclusive: the body is END - START + 1 bytes (else 400 photo_bad_range), START where the upload stands (else 409), TOTAL the whole photo's size",
                        "schema": {"type": "string", "pattern": "^bytes [0-9]{1,19}-[0-9]{1,19}/[0-9]{1,19}$", "examples": ["bytes 0-3/1000"]}}],
                    "requestBody": {"required": true, "description": format!("the chunk, at most {max_chunk} bytes"), "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}, "example": "abcd"}}},
                    "responses": {"200": ok("chunk stored", r("ChunkResponse")), "201": ok("photo complete and verified", r("ChunkResponse")), "400": err("photo_bad_hash, photo_bad_range, body_unreadable"), "409": err("photo_offset_mismatch: resume at the expected offset"), "413": err("photo_too_large, photo_chunk_too_large"), "422": err("photo_hash_mismatch, photo_not_image, photo_image_too_large"), "429": err("photo_quota: too many unfinished uploads of this device, or bytes in them; finish those begun, or try later")}})),
                "get": secured(json!({"summary": "the photo's bytes, when the device may read it (else 404, as for a photo not stored)", "parameters": [sha], "responses": {"200": {"description": "the image", "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}, "400": err("photo_bad_hash"), "404": err("photo_not_found: not stored")}}))}
        }
    })
}

/// `GET /openapi.json`.
pub(super) async fn serve() -> Json<Value> {
    Json(document())
}
