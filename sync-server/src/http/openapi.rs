//! The OpenAPI 3.1 document of the whole HTTP API, served at `GET /openapi.json`.
//!
//! Written out here rather than derived: the wire types live in `bangfu-core`, which has no
//! reason to depend on an OpenAPI crate, and the document is small. A test checks that every
//! route the router serves is in the document and that every documented operation answers a
//! malformed request with a 4xx (`sync-server/tests/openapi.rs`).

use axum::Json;
use serde_json::{Value, json};

fn err(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
}

fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn open() -> Value {
    json!({})
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

fn query(name: &str, kind: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": kind}, "description": description})
}

fn path_param(name: &str, kind: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": kind})
}

/// The document.
pub fn document() -> Value {
    let bad = err("malformed request (malformed_json, bad_query, bad_path, bad_encoding)");
    let unprocessable =
        err("well-formed JSON of the wrong shape (invalid_message, invalid_account)");
    let slow = err("body_timeout: the body did not arrive within the server's body deadline");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "bangfu sync server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Devices sign in once (device token), push their operations and pull the feed of their scope; photos are uploaded by SHA-256 in resumable chunks. See docs/sync-protocol.md."
        },
        "components": {
            "securitySchemes": {"deviceToken": {"type": "http", "scheme": "bearer", "description": "the device token from POST /v1/auth/signin"}},
            "schemas": {
                "ErrorBody": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
                "Operation": {"type": "object", "description": "see docs/sync-protocol.md", "required": ["op_id", "origin_device", "origin_seq", "hlc", "entity", "entity_id", "fields", "scope_path", "schema_version", "author", "recorded_at"]},
                "PushRequest": {"type": "object", "required": ["device_id", "ops"], "properties": {"device_id": {"type": "string", "format": "uuid"}, "ops": {"type": "array", "items": r("Operation")}}},
                "PushResponse": {"type": "object", "required": ["results", "device_seq", "server_hlc"], "properties": {"results": {"type": "array", "items": {"type": "object"}}, "device_seq": {"type": "integer"}, "server_hlc": {"type": "string"}, "epoch": {"type": "string", "format": "uuid", "description": "the database's epoch: a new one means it was restored from a backup"}}},
                "PullResponse": {"type": "object", "required": ["entries", "cursor", "has_more", "server_hlc"], "properties": {"entries": {"type": "array", "items": {"type": "object", "properties": {"server_seq": {"type": "integer"}, "op": r("Operation")}}}, "cursor": {"type": "integer"}, "has_more": {"type": "boolean"}, "server_hlc": {"type": "string"}, "epoch": {"type": "string", "format": "uuid"}}},
                "Capabilities": {"type": "object", "properties": {"epoch": {"type": "string", "format": "uuid"}}},
                "Health": {"type": "object", "properties": {"status": {"type": "string"}, "schema_version": {"type": "integer"}, "last_server_seq": {"type": "integer"}}},
                "Role": {"type": "string", "enum": ["cadre", "first_secretary", "team_member", "township_station", "unit_admin", "county_office"]},
                "Account": {"type": "object", "required": ["id", "username", "display_name", "role", "disabled", "created_at_ms"], "properties": {"id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"}, "role": r("Role"), "person_id": {"type": ["string", "null"], "format": "uuid"}, "unit_id": {"type": ["string", "null"], "format": "uuid"}, "area_path": {"type": ["string", "null"]}, "disabled": {"type": "boolean"}, "created_at_ms": {"type": "integer"}}},
                "NewAccount": {"type": "object", "required": ["username", "display_name", "role", "password"], "additionalProperties": false, "properties": {"username": {"type": "string"}, "display_name": {"type": "string"}, "role": r("Role"), "person_id": {"type": "string", "format": "uuid"}, "unit_id": {"type": "string", "format": "uuid"}, "area_path": {"type": "string"}, "password": {"type": "string", "minLength": 8}}},
                "SignInRequest": {"type": "object", "required": ["username", "password", "device_id"], "additionalProperties": false, "properties": {"username": {"type": "string"}, "password": {"type": "string"}, "device_id": {"type": "string", "format": "uuid"}, "device_name": {"type": "string"}}},
                "SignInResponse": {"type": "object", "required": ["device_token", "device_id", "account"], "properties": {"device_token": {"type": "string"}, "device_id": {"type": "string", "format": "uuid"}, "account": r("Account")}},
                "Scope": {"type": "object", "properties": {"all": {"type": "boolean"}, "subtrees": {"type": "array", "items": {"type": "string"}}, "households": {"type": "array", "items": {"type": "string"}}, "ancestors": {"type": "array", "items": {"type": "string"}}, "ended": {"type": "array"}}},
                "Me": {"type": "object", "properties": {"account": r("Account"), "device_id": {"type": "string", "format": "uuid"}, "scope": r("Scope")}},
                "DeviceReport": {"type": "object", "required": ["unsynced_ops", "unsynced_photos"], "additionalProperties": false, "properties": {"unsynced_ops": {"type": "integer", "minimum": 0}, "unsynced_photos": {"type": "integer", "minimum": 0}}},
                "DeviceInfo": {"type": "object"},
                "FutureOp": {"type": "object", "properties": {"server_seq": {"type": "integer"}, "device": {"type": "string", "format": "uuid"}, "seq": {"type": "integer"}, "entity": {"type": "string"}, "entity_id": {"type": "string", "format": "uuid"}, "stamped_ms": {"type": "integer"}, "received_at_ms": {"type": "integer"}}},
                "RejectedEntry": {"type": "object", "properties": {"device": {"type": "string", "format": "uuid"}, "seq": {"type": "integer"}, "op_id": {"type": "string", "format": "uuid"}, "entity": {"type": ["string", "null"]}, "entity_id": {"type": ["string", "null"], "format": "uuid"}, "code": {"type": "string"}, "message": {"type": "string"}, "received_at_ms": {"type": "integer"}}},
                "AuditEntry": {"type": "object", "properties": {"id": {"type": "integer"}, "at_ms": {"type": "integer"}, "actor": {"type": "string"}, "device_id": {"type": ["string", "null"]}, "action": {"type": "string"}, "detail": {"type": "string"}}},
                "Reference": {"type": "object", "required": ["settings", "monitoring_lines"], "additionalProperties": false, "properties": {"settings": {"type": "object", "description": "see docs/dataset.md (settings)"}, "monitoring_lines": {"type": "array", "items": {"type": "object", "required": ["year", "region_code", "yuan_per_person", "source"], "properties": {"year": {"type": "integer"}, "region_code": {"type": "string"}, "yuan_per_person": {"type": "integer"}, "source": {"type": "string"}}}}}},
                "HaveRequest": {"type": "object", "required": ["sha256"], "properties": {"sha256": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}}},
                "HaveResponse": {"type": "object", "properties": {"stored": {"type": "array", "items": {"type": "string"}}, "partial": {"type": "object", "additionalProperties": {"type": "integer"}}}}
            }
        },
        "paths": {
            "/healthz": {"get": {"summary": "health", "responses": {"200": ok("healthy", r("Health")), "503": err("unhealthy")}}},
            "/openapi.json": {"get": {"summary": "this document", "responses": {"200": ok("the document", open())}}},
            "/v1/version": {"get": {"summary": "protocol version and limits", "responses": {"200": ok("capabilities", r("Capabilities"))}}},
            "/v1/auth/signin": {"post": {"summary": "sign a device in (gives a device token)", "requestBody": body(r("SignInRequest")), "responses": {
                "200": ok("signed in", r("SignInResponse")), "400": bad.clone(), "401": err("auth_bad_credentials (unknown names alike)"),
                "403": err("auth_disabled; auth_device_taken (the device id is another account's: reset the app for a new one); auth_device_revoked (a revoked device is never signed in again)"),
                "408": slow.clone(), "415": err("not JSON"), "422": unprocessable.clone(),
                "429": err("auth_slow_down: too many failures of this username (known or not) or from this address (Retry-After header)"),
                "503": err("signin_busy: too many sign-ins waiting for a password check (Retry-After header)")}}},
            "/v1/me": {"get": secured(json!({"summary": "the device's account and scope today", "responses": {"200": ok("account and scope", r("Me"))}}))},
            "/v1/device/report": {"post": secured(json!({"summary": "what the device still has to send", "requestBody": body(r("DeviceReport")), "responses": {"200": ok("noted", open()), "400": bad.clone(), "415": err("not JSON"), "422": unprocessable.clone()}}))},
            "/v1/push": {"post": secured(json!({"summary": "push a batch of operations", "requestBody": body(r("PushRequest")), "responses": {
                "200": ok("each operation answered", r("PushResponse")), "400": bad.clone(), "408": slow.clone(), "413": err("body_too_large, too_many_ops"), "415": err("not JSON"), "422": unprocessable.clone(),
                "429": err("push_busy: the device already has 2 pushes in progress (Retry-After header)")}}))},
            "/v1/pull": {"get": secured(json!({"summary": "the feed of the device's scope", "parameters": [
                query("after", "integer", "cursor"), query("limit", "integer", "page size"), query("scope", "string", "narrower prefix (county-wide accounts)"),
                query("exclude_origin", "string", "device whose operations to leave out"), query("exclude_through", "integer", "up to this origin_seq")],
                "responses": {"200": ok("a page", r("PullResponse")), "400": bad.clone(), "409": err("scope_grew: pull again from after=0")}}))},
            "/v1/admin/accounts": {
                "get": secured(json!({"summary": "list accounts", "responses": {"200": ok("accounts", json!({"type": "array", "items": r("Account")}))}})),
                "post": secured(json!({"summary": "create an account", "requestBody": body(r("NewAccount")), "responses": {"201": ok("created", r("Account")), "400": bad.clone(), "409": err("account_exists"), "415": err("not JSON"), "422": unprocessable.clone()}}))},
            "/v1/admin/accounts/{username}/disable": {"post": secured(json!({"summary": "disable an account", "parameters": [path_param("username", json!({"type": "string"}))], "responses": {"200": ok("disabled", r("Account")), "404": err("no_such_account")}}))},
            "/v1/admin/accounts/{username}/enable": {"post": secured(json!({"summary": "enable an account", "parameters": [path_param("username", json!({"type": "string"}))], "responses": {"200": ok("enabled", r("Account")), "404": err("no_such_account")}}))},
            "/v1/admin/devices": {"get": secured(json!({"summary": "devices with last sync and reported unsynced counts", "parameters": [query("username", "string", "only this account's devices")], "responses": {"200": ok("devices", json!({"type": "array", "items": r("DeviceInfo")})), "400": bad.clone()}}))},
            "/v1/admin/devices/{device_id}/revoke": {"post": secured(json!({"summary": "revoke a device's token", "parameters": [path_param("device_id", json!({"type": "string", "format": "uuid"}))], "responses": {"204": {"description": "revoked"}, "400": bad.clone(), "404": err("no_such_device")}}))},
            "/v1/admin/audit": {"get": secured(json!({"summary": "the audit log, newest first", "parameters": [query("limit", "integer", "at most this many")], "responses": {"200": ok("entries", json!({"type": "array", "items": r("AuditEntry")})), "400": bad.clone()}}))},
            "/v1/admin/rejected": {"get": secured(json!({"summary": "refused operations, newest first: device, seq, record, code and message (never the record's content)", "parameters": [query("device", "string", "only this device's"), query("limit", "integer", "at most this many")], "responses": {"200": ok("refused operations", json!({"type": "array", "items": r("RejectedEntry")})), "400": bad.clone()}}))},
            "/v1/admin/future": {"get": secured(json!({"summary": "operations stamped more than 24 h ahead of the server's clock (a device's clock set wrong), newest first", "parameters": [query("limit", "integer", "at most this many")], "responses": {"200": ok("flagged operations", json!({"type": "array", "items": r("FutureOp")})), "400": bad.clone()}}))},
            "/v1/reference": {"get": secured(json!({"summary": "the county's settings and monitoring lines", "responses": {"200": ok("reference data", r("Reference")), "404": err("no_reference")}}))},
            "/v1/admin/reference": {"put": secured(json!({"summary": "replace the settings and monitoring lines", "requestBody": body(r("Reference")), "responses": {"200": ok("replaced", open()), "400": bad.clone(), "413": err("body_too_large"), "415": err("not JSON"), "422": err("invalid_message, invalid_reference")}}))},
            "/v1/photos/have": {"post": secured(json!({"summary": "which photos the server has (whole or partly): only those the device may read (a record in its read scope names them, or it uploaded them and no record names them yet) are told stored; partial uploads are the device's own", "requestBody": body(r("HaveRequest")), "responses": {"200": ok("stored and partial", r("HaveResponse")), "400": bad.clone(), "422": unprocessable}}))},
            "/v1/photos/{sha256}": {
                "head": secured(json!({"summary": "whether a photo is stored (200) or how much of the device's own upload arrived (404 with Upload-Offset); a photo the device may not read is answered as not stored", "parameters": [path_param("sha256", json!({"type": "string"}))], "responses": {"200": {"description": "stored"}, "400": {"description": "bad hash"}, "404": {"description": "not stored; Upload-Offset: bytes received so far"}}})),
                "put": secured(json!({"summary": "upload a chunk (Content-Range: bytes START-END/TOTAL); the last one completes it after the hash and image checks", "parameters": [path_param("sha256", json!({"type": "string"}))], "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}, "responses": {"200": ok("chunk stored", open()), "201": ok("photo complete and verified", open()), "400": bad.clone(), "409": err("photo_offset_mismatch: resume at the expected offset"), "413": err("photo_too_large"), "422": err("photo_hash_mismatch, photo_not_image"), "429": err("photo_quota: too many unfinished uploads of this device, or bytes in them; finish those begun, or try later")}})),
                "get": secured(json!({"summary": "the photo's bytes, when the device may read it (else 404, as for a photo not stored)", "parameters": [path_param("sha256", json!({"type": "string"}))], "responses": {"200": {"description": "the image", "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}, "400": bad, "404": err("not stored")}}))}
        }
    })
}

/// `GET /openapi.json`.
pub(super) async fn serve() -> Json<Value> {
    Json(document())
}
