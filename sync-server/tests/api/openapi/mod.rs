//! The OpenAPI document (`bangfu_server::http::openapi::document`, served at `GET /openapi.json`)
//! against the server's real router (`router_with_photos`, as the binary serves it) on
//! 127.0.0.1:0:
//! - [`document`]: the document is OpenAPI 3.1, every `$ref` resolves, every path parameter is
//!   declared, the routes open without a token are exactly [`OPEN_ROUTES`], and
//!   `GET /openapi.json` serves it;
//! - [`routing`]: every route the server mounts ([`ROUTES`], itself checked against the
//!   `.route(…)` calls of `src/http/mod.rs` and of the photo routes in `crates/blobs/src/http.rs`)
//!   is documented, and every documented path and method is routed (a method the path does not
//!   take answers 405, the documented ones do not), except the paths of
//!   [`DOCUMENTED_BUT_NOT_YET_MOUNTED`], which must still answer 404 `not_found`;
//! - [`malformed`]: every documented operation — path parameters valid-looking and malformed;
//!   with a valid token, without one and with bad ones — is sent a battery of malformed requests
//!   ([`probes`]): not JSON, truncated, trailing data, the wrong shape, a wrong type in each
//!   field, huge numbers, unknown fields, duplicate keys, deep nesting, a wrong `Content-Type`, a
//!   bad `Content-Encoding`, 300 KB bodies, garbage query strings, methods the path does not take.
//!   Each answer must be a 4xx with a JSON `ErrorBody {code, message}` — never a 5xx, never a
//!   2xx. Input an operation does not read (a query string on `/healthz`, a body on `GET /v1/me`)
//!   may be ignored, but never a 5xx. One test per group of operations;
//! - [`examples`]: requests made from the document alone (schema-valid values of every
//!   parameter and body) pass the server's validation and reach its logic.
//!
//! [`harness`] serves the router and sends raw requests; [`spec`] reads the document (its
//! operations, a value of a schema, wrong values for a field); [`tally`] judges the answers.

mod document;
mod examples;
mod harness;
mod malformed;
mod probes;
mod routing;
mod spec;
mod tally;

/// Every route `router_with_photos()` mounts (`src/http/mod.rs` and the photo routes of
/// `crates/blobs/src/http.rs`), as (method, path). Keep it in step with the router: a test
/// compares it with the `.route(…)` calls of those files.
pub(super) const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/push"),
    ("GET", "/v1/pull"),
    ("GET", "/v1/version"),
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/auth/signin"),
    ("GET", "/v1/me"),
    ("POST", "/v1/device/report"),
    ("GET", "/v1/admin/accounts"),
    ("POST", "/v1/admin/accounts"),
    ("POST", "/v1/admin/accounts/{username}/disable"),
    ("POST", "/v1/admin/accounts/{username}/enable"),
    ("GET", "/v1/admin/devices"),
    ("POST", "/v1/admin/devices/{device_id}/revoke"),
    ("GET", "/v1/admin/audit"),
    ("GET", "/v1/admin/rejected"),
    ("GET", "/v1/admin/future"),
    ("GET", "/v1/reference"),
    ("PUT", "/v1/admin/reference"),
    ("POST", "/v1/photos/have"),
    ("GET", "/v1/photos/{sha}"),
    ("HEAD", "/v1/photos/{sha}"),
    ("PUT", "/v1/photos/{sha}"),
];

/// Documented paths the router does not mount yet (none today; the photo paths were listed here
/// until `router_with_photos` mounted them). A path listed here must answer 404 `not_found`; **remove
/// it from here when it is mounted** (and add its routes to [`ROUTES`]): the test fails while a
/// mounted path is still listed.
pub(super) const DOCUMENTED_BUT_NOT_YET_MOUNTED: &[&str] = &[];

/// The routes that need no device token.
pub(super) const OPEN_ROUTES: &[&str] = &[
    "/healthz",
    "/openapi.json",
    "/v1/version",
    "/v1/auth/signin",
];

/// The keys of an OpenAPI path item that are operations.
pub(super) const OPERATION_KEYS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Methods tried on every path that does not document them (405 expected).
pub(super) const OTHER_METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// The `Content-Type` of JSON.
pub(super) const JSON: &str = "application/json";
