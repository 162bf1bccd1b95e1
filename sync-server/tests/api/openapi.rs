//! The OpenAPI document (`bangfu_server::http::openapi::document`, served at `GET /openapi.json`)
//! against the server's real router (`router_with_photos`, as the binary serves it) on
//! 127.0.0.1:0:
//! - the document is OpenAPI 3.1, every `$ref` resolves, every path parameter is declared, the
//!   routes open without a token are exactly [`OPEN_ROUTES`], and `GET /openapi.json` serves it;
//! - every route the server mounts ([`ROUTES`], itself checked against the `.route(…)` calls of
//!   `src/http/mod.rs` and of the photo routes in `crates/blobs/src/http.rs`) is documented, and
//!   every documented path and method is routed (a method the path does not take answers 405, the
//!   documented ones do not), except the paths of [`DOCUMENTED_BUT_NOT_YET_MOUNTED`], which must
//!   still answer 404 `not_found`;
//! - every documented operation — path parameters valid-looking and malformed; with a valid token,
//!   without one and with bad ones — is sent a battery of malformed requests: not JSON, truncated,
//!   trailing data, the wrong shape, a wrong type in each field, huge numbers, unknown fields,
//!   duplicate keys, deep nesting, a wrong `Content-Type`, a bad `Content-Encoding`, 300 KB bodies,
//!   garbage query strings, methods the path does not take. Each answer must be a 4xx with a JSON
//!   `ErrorBody {code, message}` — never a 5xx, never a 2xx. Input an operation does not read (a
//!   query string on `/healthz`, a body on `GET /v1/me`) may be ignored, but never a 5xx.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use bangfu_blobs::store::DiskBlobStore;
use bangfu_blobs::upload::{UploadConfig, UploadService};
use bangfu_core::sync::wire::ErrorBody;
use bangfu_server::http::openapi::document;
use bangfu_server::{ServerConfig, SqliteStorage, router_with_photos};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};
use uuid::Uuid;

/// Every route `router_with_photos()` mounts (`src/http/mod.rs` and the photo routes of
/// `crates/blobs/src/http.rs`), as (method, path). Keep it in step with the router: a test
/// compares it with the `.route(…)` calls of those files.
const ROUTES: &[(&str, &str)] = &[
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
const DOCUMENTED_BUT_NOT_YET_MOUNTED: &[&str] = &[];

/// Departures from the error contract that this test found in code outside `src/http/` and that
/// are not fixed yet: (what, marks). A failure whose message contains all of an entry's marks is
/// reported, not fatal. **Remove an entry once fixed**: an entry that matches nothing fails the
/// test.
const KNOWN_GAPS: &[(&str, &[&str])] = &[];

/// The routes that need no device token.
const OPEN_ROUTES: &[&str] = &[
    "/healthz",
    "/openapi.json",
    "/v1/version",
    "/v1/auth/signin",
];

/// The keys of an OpenAPI path item that are operations.
const OPERATION_KEYS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Methods tried on every path that does not document them (405 expected).
const OTHER_METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// The real router on 127.0.0.1:0 with a signed-in county office device.
struct Server {
    base: String,
    client: reqwest::Client,
    token: String,
    device: Uuid,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _photos: tempfile::TempDir,
}

async fn start() -> Server {
    let storage = SqliteStorage::open_in_memory().expect("storage");
    let device = Uuid::from_u128(0x0190_0000_0000_7000_8000_00ab_0000_0001);
    let token = bangfu_server::auth::county_token(
        &storage,
        "admin",
        "test-password-1",
        device,
        bangfu_server::now_ms(),
    )
    .expect("signed in");
    let photos = tempfile::tempdir().expect("tempdir");
    let blobs = Arc::new(DiskBlobStore::open(photos.path().join("blobs")).expect("blob store"));
    let uploads = Arc::new(
        UploadService::new(
            blobs,
            photos.path().join("staging"),
            UploadConfig::default(),
        )
        .expect("upload service"),
    );
    let app = router_with_photos(Arc::new(storage), ServerConfig::default(), uploads);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Server {
        base: format!("http://{addr}"),
        // No connection reuse: a connection the server closed after refusing a body early must
        // not be raced by the next request.
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(0)
            .build()
            .expect("client"),
        token,
        device,
        _shutdown: tx,
        _photos: photos,
    }
}

/// The `Authorization` a request carries.
#[derive(Debug, Clone)]
enum Auth {
    Valid,
    Missing,
    /// A bad header value (raw bytes).
    Bad(Vec<u8>),
}

impl Auth {
    fn label(&self) -> String {
        match self {
            Auth::Valid => "token".to_owned(),
            Auth::Missing => "no token".to_owned(),
            Auth::Bad(v) => format!(
                "Authorization {:?}",
                String::from_utf8_lossy(&v[..v.len().min(40)])
            ),
        }
    }
}

/// An answer: status, `Content-Type`, body.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn error_body(&self) -> Option<ErrorBody> {
        serde_json::from_slice(&self.body).ok()
    }
}

impl Server {
    async fn send(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &[(&str, Vec<u8>)],
        body: Option<&[u8]>,
        auth: &Auth,
    ) -> Answer {
        let url = format!("{}{path_and_query}", self.base);
        let mut req = self.client.request(method.clone(), &url);
        match auth {
            Auth::Valid => req = req.bearer_auth(&self.token),
            Auth::Missing => {}
            Auth::Bad(v) => {
                req = req.header(
                    reqwest::header::AUTHORIZATION,
                    HeaderValue::from_bytes(v).expect("a header value"),
                );
            }
        }
        for (name, value) in headers {
            req = req.header(
                HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                HeaderValue::from_bytes(value).expect("a header value"),
            );
        }
        if let Some(body) = body {
            req = req.body(body.to_vec());
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: no answer: {e}"));
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.bytes().await.expect("the answer's body").to_vec();
        Answer {
            status,
            content_type,
            body,
        }
    }
}

/// One documented operation.
#[derive(Debug, Clone)]
struct Op {
    path: String,
    method: Method,
    op: Value,
}

impl Op {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn secured(&self) -> bool {
        self.op.get("security").is_some_and(|s| !s.is_null())
    }
}

fn operations(doc: &Value) -> Vec<Op> {
    let paths = doc["paths"].as_object().expect("`paths` is an object");
    let mut out = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().expect("a path item is an object");
        for (key, op) in item {
            if OPERATION_KEYS.contains(&key.as_str()) {
                out.push(Op {
                    path: path.clone(),
                    method: Method::from_bytes(key.to_ascii_uppercase().as_bytes())
                        .expect("a method"),
                    op: op.clone(),
                });
            }
        }
    }
    out
}

/// The `{name}`s of a path template.
fn path_params(template: &str) -> Vec<String> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

/// The path with every parameter replaced by `value(name)`.
fn fill(template: &str, value: impl Fn(&str) -> String) -> String {
    template
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => value(name),
                None => s.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// A well-formed value of a path parameter that names nothing on the server.
fn valid_looking(name: &str) -> String {
    match name {
        "device_id" => Uuid::from_u128(0x0190_0000_0000_7000_8000_dead_0000_0001).to_string(),
        "sha256" => "ab".repeat(32),
        "username" => "no-such-account".to_owned(),
        _ => "probe-1".to_owned(),
    }
}

/// Malformed path parameter values (already percent-encoded where needed).
fn malformed_params() -> Vec<String> {
    vec![
        "not-a-uuid".to_owned(),
        "12345".to_owned(),
        "%FF%FE%FD".to_owned(),
        "%00".to_owned(),
        "a%2Fb".to_owned(),
        "%E5%BC%A0%E4%B8%89".to_owned(),
        "DROP%20TABLE%20accounts%3B--".to_owned(),
        "0190a000-0000-7000-8000-00000000000g".to_owned(),
        "0190a000-0000-7000-8000-0000000000011".to_owned(),
        "AB".repeat(32),
        "ab".repeat(31) + "a",
        "ab".repeat(33),
        "zz".repeat(32),
        "a".repeat(4000),
    ]
}

/// Resolves a local `$ref` (`#/components/…`).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let target = doc
                .pointer(r.strip_prefix('#').expect("a local $ref"))
                .unwrap_or_else(|| panic!("unresolved $ref {r}"));
            resolve(doc, target)
        }
        None => schema,
    }
}

/// The schema's type (the first that is not `null`), if it says.
fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

fn nullable(schema: &Value) -> bool {
    matches!(schema.get("type"), Some(Value::Array(ts)) if ts.iter().any(|t| t == "null"))
}

/// A value of `schema` (every property filled in), named `name` in its object.
fn example(doc: &Value, schema: &Value, name: &str, device: Uuid) -> Value {
    let schema = resolve(doc, schema);
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    match type_of(schema) {
        Some("object") | None => {
            let mut out = serde_json::Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, s) in props {
                    out.insert(k.clone(), example(doc, s, k, device));
                }
            }
            Value::Object(out)
        }
        Some("array") => json!([]),
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(false),
        Some(_) => {
            if schema.get("format").and_then(Value::as_str) == Some("uuid") {
                if name == "device_id" {
                    json!(device)
                } else {
                    json!(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0bad_0001))
                }
            } else if schema.get("pattern").is_some() {
                json!("ab".repeat(32))
            } else {
                json!("probe-value-1")
            }
        }
    }
}

/// JSON texts that a field of `schema` must not take (a different type, out-of-range numbers, a
/// malformed UUID, a value outside the enum, …).
fn wrong_values(doc: &Value, schema: &Value, required: bool) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut out: Vec<String> = Vec::new();
    if required && !nullable(schema) {
        out.push("null".into());
    }
    let huge = [
        "1e400",
        "18446744073709551616",
        "-123456789012345678901234567890",
    ];
    match type_of(schema) {
        Some("integer") => {
            out.extend(["\"1\"", "1.5", "true", "[]", "{}"].map(String::from));
            out.extend(huge.map(String::from));
            if schema
                .get("minimum")
                .and_then(Value::as_i64)
                .is_some_and(|m| m >= 0)
            {
                out.push("-1".into());
            }
        }
        Some("number") => out.extend(["\"1\"", "true", "[]", "{}", "1e400"].map(String::from)),
        Some("boolean") => out.extend(["\"true\"", "1", "[]", "{}"].map(String::from)),
        Some("array") => {
            out.extend(["\"x\"", "1", "{}", "1e400"].map(String::from));
            let item = schema.get("items").map(|i| resolve(doc, i));
            match item.and_then(type_of) {
                Some("string") => out.extend(["[1]", "[null]", "[[\"x\"]]"].map(String::from)),
                Some(_) | None => out.extend(["[1]", "[\"x\"]", "[null]"].map(String::from)),
            }
        }
        Some("object") => out.extend(["\"x\"", "1", "[]", "true"].map(String::from)),
        Some(_) => {
            out.extend(["1", "true", "[]", "{}", "1.5"].map(String::from));
            out.extend(huge.map(String::from));
            if schema.get("format").and_then(Value::as_str) == Some("uuid") {
                out.extend(
                    [
                        "\"not-a-uuid\"",
                        "\"\"",
                        "\"0190a000-0000-7000-8000-00000000000g\"",
                    ]
                    .map(String::from),
                );
            }
            if schema.get("enum").is_some() {
                out.extend(["\"no_such_value\"", "\"\"", "\"COUNTY_OFFICE\""].map(String::from));
            }
            if schema.get("pattern").is_some() {
                out.extend(["\"zz\"", "\"\""].map(String::from));
            }
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && min > 1
            {
                out.push("\"x\"".into());
            }
        }
        None => out.extend(["1", "\"x\"", "[]"].map(String::from)),
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// A malformed request to one operation (path and auth aside).
#[derive(Debug, Clone)]
struct Probe {
    what: String,
    method: Method,
    path_and_query: String,
    headers: Headers,
    body: Option<Vec<u8>>,
    /// The malformed part is input the operation reads: it must be refused (4xx). Otherwise it
    /// may be ignored (2xx), never a 5xx.
    must_refuse: bool,
}

const JSON: &str = "application/json";

/// Request headers (name, raw value).
type Headers = Vec<(&'static str, Vec<u8>)>;

/// A malformed body: what it is, its headers, its bytes.
type BodyProbe = (String, Headers, Vec<u8>);

fn json_probe(what: impl Into<String>, body: Vec<u8>) -> BodyProbe {
    (what.into(), vec![("content-type", JSON.into())], body)
}

/// Malformed JSON bodies for an operation whose body is `schema` (`template`: a value of it).
fn json_battery(doc: &Value, schema: &Value, template: &Value) -> Vec<BodyProbe> {
    let schema = resolve(doc, schema);
    let t = serde_json::to_vec(template).expect("json");
    let obj = template.as_object().expect("a JSON body is an object");
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let first_key = obj.keys().next().cloned().unwrap_or_else(|| "x".to_owned());
    let mut out = Vec::new();

    // Not JSON.
    for (what, body) in [
        ("text", b"hello".to_vec()),
        ("an empty body", Vec::new()),
        ("single quotes", b"{'a': 1}".to_vec()),
        ("NaN", b"NaN".to_vec()),
        ("XML", b"<request/>".to_vec()),
        ("NUL bytes", vec![0, 0, 0]),
        ("form data", b"username=a&password=b".to_vec()),
    ] {
        out.push(json_probe(format!("not JSON: {what}"), body));
    }
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(&t);
    out.push(json_probe("a byte-order mark before the JSON", bom));
    let mut bad_utf8 = format!("{{\"{first_key}\": \"").into_bytes();
    bad_utf8.extend([0xff, 0xfe, 0xc3]);
    bad_utf8.extend(b"\"}");
    out.push(json_probe("invalid UTF-8 in a string", bad_utf8));

    // Truncated, trailing data.
    out.push(json_probe(
        "truncated JSON (half)",
        t[..t.len() / 2].to_vec(),
    ));
    out.push(json_probe(
        "truncated JSON (last byte cut)",
        t[..t.len() - 1].to_vec(),
    ));
    for (what, tail) in [
        ("text", b" x".to_vec()),
        ("a second object", t.clone()),
        ("a NUL", vec![0]),
        ("a comma", b",".to_vec()),
    ] {
        let mut body = t.clone();
        body.extend(tail);
        out.push(json_probe(
            format!("trailing data after the JSON: {what}"),
            body,
        ));
    }

    // The wrong shape.
    let mut shapes = vec![
        "[]".to_owned(),
        format!("[{}]", String::from_utf8_lossy(&t)),
    ];
    shapes.extend(["\"x\"", "null", "1", "true", "1e400"].map(String::from));
    if !required.is_empty() {
        shapes.push("{}".into());
    }
    for s in shapes {
        out.push(json_probe(
            format!("the wrong shape: {s:.40}"),
            s.into_bytes(),
        ));
    }
    // A wrong value in each field; each required field missing.
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (key, prop) in &props {
        for bad in wrong_values(doc, prop, required.contains(key.as_str())) {
            let mut v = template.clone();
            v[key.as_str()] = json!("\u{1}BAD\u{1}");
            let text = serde_json::to_string(&v)
                .expect("json")
                .replace("\"\\u0001BAD\\u0001\"", &bad);
            assert!(text.contains(&bad), "{text}");
            out.push(json_probe(format!("`{key}`: {bad}"), text.into_bytes()));
        }
    }
    for key in &required {
        let mut v = template.clone();
        v.as_object_mut().expect("object").remove(*key);
        out.push(json_probe(
            format!("without `{key}`"),
            serde_json::to_vec(&v).expect("json"),
        ));
    }
    // Unknown fields, a duplicate key, deep nesting.
    for unknown in ["colour", "", &first_key.to_ascii_uppercase(), "__proto__"] {
        if obj.contains_key(unknown) {
            continue;
        }
        let mut v = template.clone();
        v[unknown] = json!("red");
        out.push(json_probe(
            format!("an unknown field {unknown:?}"),
            serde_json::to_vec(&v).expect("json"),
        ));
    }
    if let Some((k, v)) = obj.iter().next() {
        let text = String::from_utf8_lossy(&t).replacen(
            '{',
            &format!("{{{}: {v}, ", serde_json::to_string(k).expect("json")),
            1,
        );
        out.push(json_probe(format!("`{k}` twice"), text.into_bytes()));
    }
    out.push(json_probe(
        "arrays nested 5,000 deep",
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
    ));
    out.push(json_probe(
        "objects nested 2,000 deep",
        format!("{}1{}", "{\"a\":".repeat(2000), "}".repeat(2000)).into_bytes(),
    ));

    // The wrong Content-Type (a well-formed body).
    let content_types: [&[u8]; 11] = [
        b"text/plain",
        b"application/x-www-form-urlencoded",
        b"multipart/form-data; boundary=x",
        b"application/jsonx",
        b"application/json-seq",
        b"json",
        b"",
        b"application/xml",
        b"application/octet-stream",
        b"text/json",
        b"application/json\xff",
    ];
    for ct in content_types {
        out.push((
            format!("Content-Type {:?}", String::from_utf8_lossy(ct)),
            vec![("content-type", ct.to_vec())],
            t.clone(),
        ));
    }
    out.push(("no Content-Type".into(), Vec::new(), t.clone()));

    // A bad Content-Encoding.
    let encodings: [&[u8]; 9] = [
        b"gzip",
        b"x-gzip",
        b"zstd",
        b"br",
        b"deflate",
        b"compress",
        b"gzip, zstd",
        b"identity, gzip",
        b"x-\xff",
    ];
    for enc in encodings {
        out.push((
            format!(
                "Content-Encoding {:?} on a plain body",
                String::from_utf8_lossy(enc)
            ),
            vec![
                ("content-type", JSON.into()),
                ("content-encoding", enc.to_vec()),
            ],
            t.clone(),
        ));
    }
    let zipped = gzip(&t);
    out.push((
        "a truncated gzip body".into(),
        vec![
            ("content-type", JSON.into()),
            ("content-encoding", b"gzip".to_vec()),
        ],
        zipped[..zipped.len() / 2].to_vec(),
    ));
    out.push((
        "a gzip body that is not JSON".into(),
        vec![
            ("content-type", JSON.into()),
            ("content-encoding", b"gzip".to_vec()),
        ],
        gzip(b"hello, not json"),
    ));
    let zstd = zstd::bulk::compress(&t, 3).expect("zstd");
    out.push((
        "a truncated zstd body".into(),
        vec![
            ("content-type", JSON.into()),
            ("content-encoding", b"zstd".to_vec()),
        ],
        zstd[..zstd.len() / 2].to_vec(),
    ));

    // Big bodies: 300 KB (over the 16 KiB of the small endpoints).
    let pad = format!("{{\"pad\": \"{}\"}}", "a".repeat(300_000));
    out.push(json_probe(
        "300 KB of JSON with an unknown field",
        pad.clone().into_bytes(),
    ));
    out.push(json_probe(
        "300 KB that are not JSON",
        (0..300_000u32).map(|i| (i % 251) as u8).collect(),
    ));
    if let Some((k, _)) = obj.iter().find(|(_, v)| v.is_string()) {
        let mut v = template.clone();
        v[k.as_str()] = json!("a".repeat(300_000));
        out.push(json_probe(
            format!("a 300 KB `{k}`"),
            serde_json::to_vec(&v).expect("json"),
        ));
    }
    let big = format!("{{\"pad\": \"{}\"}}", " ".repeat(1 << 20));
    out.push((
        "1 MiB of JSON gzipped to a few KB".into(),
        vec![
            ("content-type", JSON.into()),
            ("content-encoding", b"gzip".to_vec()),
        ],
        gzip(big.as_bytes()),
    ));
    out
}

/// Malformed uploads for an operation that takes raw bytes (a photo chunk).
fn binary_battery() -> Vec<BodyProbe> {
    let octet = || ("content-type", b"application/octet-stream".to_vec());
    let ten = b"0123456789".to_vec();
    let mut out = vec![
        ("no body".to_owned(), Vec::new(), Vec::new()),
        ("no Content-Range".to_owned(), vec![octet()], ten.clone()),
    ];
    for range in [
        "bytes x-y/z",
        "bytes 9-0/10",
        "bytes 0-9/5",
        "bytes 0-99/100",
        "bytes 5-14/15",
        "bytes 0-18446744073709551615/18446744073709551616",
        "bytes 0-9/999999999999",
        "items 0-9/10",
        "bytes */10",
        "bytes 0-9/*",
        "",
        "bytes 0-9/10",
    ] {
        out.push((
            format!("Content-Range {range:?} (10 bytes that are not the photo)"),
            vec![octet(), ("content-range", range.as_bytes().to_vec())],
            ten.clone(),
        ));
    }
    out.push((
        "300 KB for a range of 10 bytes".to_owned(),
        vec![octet(), ("content-range", b"bytes 0-9/10".to_vec())],
        vec![b'a'; 300_000],
    ));
    out.push((
        "Content-Type application/json".to_owned(),
        vec![
            ("content-type", JSON.into()),
            ("content-range", b"bytes 0-9/10".to_vec()),
        ],
        ten.clone(),
    ));
    out.push((
        "Content-Encoding gzip on a plain body".to_owned(),
        vec![
            octet(),
            ("content-range", b"bytes 0-9/10".to_vec()),
            ("content-encoding", b"gzip".to_vec()),
        ],
        ten,
    ));
    out
}

/// Malformed query strings for an operation with query parameters.
fn query_battery(params: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = [
        "after=-1",
        "limit=abc",
        "colour=red",
        "after=1&after=2",
        "limit=1&limit=2",
        "after=1e3",
        "%FF=%FE",
    ]
    .map(String::from)
    .to_vec();
    for (name, kind) in params {
        match kind.as_str() {
            "integer" => {
                for v in [
                    "abc",
                    "-1",
                    "1.5",
                    "99999999999999999999",
                    "",
                    "0x10",
                    "%EF%BC%91",
                    "1%00",
                ] {
                    out.push(format!("{name}={v}"));
                }
                out.push(format!("{name}=1&{name}=1"));
            }
            _ => out.push(format!("{name}=a&{name}=b")),
        }
    }
    out
}

/// Query strings for an operation that has no query parameters (it may ignore them).
const STRAY_QUERIES: [&str; 4] = ["after=-1", "limit=abc", "colour=red&colour=blue", "%FF=%FE"];

/// Every malformed request to `op` (with auth chosen later).
fn probes(doc: &Value, op: &Op, device: Uuid) -> Vec<Probe> {
    // The signed-in device's id where one is named (a push), another device's elsewhere (a
    // sign-in that got through by mistake must not replace the test's token).
    let device = if op.secured() {
        device
    } else {
        Uuid::from_u128(0x0190_0000_0000_7000_8000_00ab_0000_00ff)
    };
    let params = path_params(&op.path);
    let has_params = !params.is_empty();
    let content = op
        .op
        .pointer("/requestBody/content")
        .and_then(Value::as_object);
    let json_schema = content.and_then(|c| c.get(JSON)).map(|c| &c["schema"]);
    let binary = content.is_some_and(|c| c.contains_key("application/octet-stream"));
    let takes_body = json_schema.is_some() || binary;
    let queries: Vec<(String, String)> = op
        .op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter(|p| p["in"] == "query")
                .map(|p| {
                    (
                        p["name"].as_str().expect("a name").to_owned(),
                        type_of(&p["schema"]).unwrap_or("string").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let head = op.method == Method::HEAD;
    let mut out = Vec::new();
    let probe = |what: String,
                 path: &str,
                 query: Option<&str>,
                 headers: Headers,
                 body: Option<Vec<u8>>,
                 must_refuse: bool| Probe {
        what,
        method: op.method.clone(),
        path_and_query: match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        },
        headers,
        body,
        must_refuse,
    };

    // Valid-looking path parameters (naming nothing: they are refused too).
    let path = fill(&op.path, valid_looking);
    let bodies = if let Some(schema) = json_schema {
        json_battery(doc, schema, &example(doc, schema, "", device))
    } else if binary {
        binary_battery()
    } else if head {
        Vec::new()
    } else {
        // Bodies the operation does not read.
        vec![
            json_probe("a stray JSON body", b"{\"colour\": \"red\"}".to_vec()),
            json_probe("a stray 300 KB body", vec![b'a'; 300_000]),
        ]
    };
    for (what, headers, body) in bodies {
        out.push(probe(
            what,
            &path,
            None,
            headers,
            Some(body),
            takes_body || has_params,
        ));
    }
    if takes_body || has_params {
        out.push(probe("no body".into(), &path, None, Vec::new(), None, true));
    }
    if queries.is_empty() && !takes_body {
        for q in STRAY_QUERIES {
            out.push(probe(
                format!("stray query ?{q}"),
                &path,
                Some(q),
                Vec::new(),
                None,
                takes_body || has_params,
            ));
        }
    } else {
        for q in query_battery(&queries) {
            out.push(probe(
                format!("query ?{q}"),
                &path,
                Some(&q),
                Vec::new(),
                None,
                true,
            ));
        }
    }

    // Malformed path parameters.
    if has_params {
        for bad in malformed_params() {
            let path = fill(&op.path, |_| bad.clone());
            let shown = format!("path parameter {:.40}", bad);
            out.push(probe(shown.clone(), &path, None, Vec::new(), None, true));
            if let Some(schema) = json_schema {
                let body = serde_json::to_vec(&example(doc, schema, "", device)).expect("json");
                out.push(probe(
                    format!("{shown} with a well-formed body"),
                    &path,
                    None,
                    vec![("content-type", JSON.into())],
                    Some(body),
                    true,
                ));
            } else if binary {
                out.push(probe(
                    format!("{shown} with a chunk"),
                    &path,
                    None,
                    vec![
                        ("content-type", b"application/octet-stream".to_vec()),
                        ("content-range", b"bytes 0-9/10".to_vec()),
                    ],
                    Some(b"0123456789".to_vec()),
                    true,
                ));
            }
        }
    }
    out
}

/// Bad `Authorization` values, given the valid token.
fn bad_auths(token: &str) -> Vec<Auth> {
    let forged = format!(
        "Bearer bft1.{}.{}",
        Uuid::from_u128(0x0190_0000_0000_7000_8000_00ab_0000_0001).simple(),
        "0".repeat(64)
    );
    [
        b"Bearer".to_vec(),
        b"Bearer ".to_vec(),
        b"Bearer not-a-token".to_vec(),
        forged.into_bytes(),
        format!("Bearer {token}x").into_bytes(),
        format!("Bearer {}", &token[..token.len() - 1]).into_bytes(),
        format!("Bearer {token} {token}").into_bytes(),
        token.as_bytes().to_vec(),
        b"Basic YWRtaW46dGVzdC1wYXNzd29yZC0x".to_vec(),
        b"Bearer \xff\xfe".to_vec(),
        format!("Bearer {}", "a".repeat(10_000)).into_bytes(),
    ]
    .into_iter()
    .map(Auth::Bad)
    .collect()
}

/// What the battery saw.
#[derive(Debug, Default)]
struct Tally {
    sent: usize,
    by_status: BTreeMap<u16, usize>,
    /// 2xx answers to input the operation does not read.
    ignored: usize,
    /// (operation, status) answered but not in the operation's documented responses.
    undocumented: BTreeSet<(String, u16)>,
    failures: Vec<String>,
}

impl Tally {
    fn judge(&mut self, op: &Op, probe: &Probe, auth: &Auth, answer: &Answer) {
        self.sent += 1;
        *self.by_status.entry(answer.status).or_default() += 1;
        let status = answer.status;
        let must_refuse = probe.must_refuse || (op.secured() && !matches!(auth, Auth::Valid));
        let what = format!(
            "{} {} [{}; {}]",
            probe.method,
            &probe.path_and_query[..probe.path_and_query.len().min(100)],
            probe.what,
            auth.label()
        );
        let shown =
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)]).into_owned();
        if status >= 500 {
            self.failures.push(format!("{what}: {status} {shown}"));
            return;
        }
        if (200..300).contains(&status) {
            if must_refuse {
                self.failures
                    .push(format!("{what}: {status} for a malformed request: {shown}"));
            } else {
                self.ignored += 1;
            }
            return;
        }
        if !(400..500).contains(&status) {
            self.failures.push(format!("{what}: {status}, not a 4xx"));
            return;
        }
        if matches!(auth, Auth::Valid) && op.secured() && status == 401 {
            // The battery must not lose its token (a request that got through by mistake could
            // sign the device in again): the rest would prove nothing.
            self.failures
                .push(format!("{what}: 401 with the valid token: {shown}"));
        }
        let responses = op.op["responses"].as_object();
        let unmounted = DOCUMENTED_BUT_NOT_YET_MOUNTED.contains(&op.path.as_str());
        if !unmounted
            && responses.is_some_and(|r| !r.is_empty() && !r.contains_key(&status.to_string()))
        {
            self.undocumented.insert((op.name(), status));
        }
        if probe.method == Method::HEAD {
            return;
        }
        let is_json = answer
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with(JSON));
        match answer.error_body() {
            Some(e) if is_json && !e.code.is_empty() && !e.message.is_empty() => {}
            _ => self.failures.push(format!(
                "{what}: {status} without a JSON ErrorBody {{code, message}} ({:?}): {shown}",
                answer.content_type
            )),
        }
    }
}

/// Every `.route("PATH", get(…).post(…))` of `src/http/mod.rs` and of the photo routes, as
/// (METHOD, PATH).
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    routes_in(include_str!("../src/http/mod.rs"), &mut out);
    routes_in(include_str!("../../crates/blobs/src/http.rs"), &mut out);
    out
}

fn routes_in(src: &str, out: &mut BTreeSet<(String, String)>) {
    let mut rest = src;
    while let Some(i) = rest.find(".route(") {
        let call = &rest[i + ".route(".len()..];
        let mut depth = 1usize;
        let mut end = call.len();
        for (j, c) in call.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let args = &call[..end];
        let path = args.split('"').nth(1).expect("a path literal in .route(…)");
        for m in ["get", "post", "put", "delete", "patch", "head", "options"] {
            for (k, _) in args.match_indices(&format!("{m}(")) {
                let before = args[..k].chars().next_back();
                if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                    out.insert((m.to_ascii_uppercase(), path.to_owned()));
                }
            }
        }
        rest = &call[end..];
    }
}

/// A path template with its parameters' names left out (`/v1/photos/{}`): the router and the
/// document may name them differently.
fn shape(template: &str) -> String {
    fill(template, |_| "{}".to_owned())
}

/// Every `$ref` in `v` that does not resolve in `doc`.
fn unresolved_refs(doc: &Value, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str)
                && r.strip_prefix('#').and_then(|p| doc.pointer(p)).is_none()
            {
                out.push(r.to_owned());
            }
            for x in m.values() {
                unresolved_refs(doc, x, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                unresolved_refs(doc, x, out);
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_1_and_is_served() {
    let doc = document();
    let text = serde_json::to_string_pretty(&doc).expect("the document serializes");
    let reparsed: Value = serde_json::from_str(&text).expect("the document parses");
    assert_eq!(reparsed, doc);
    let version = doc["openapi"].as_str().expect("`openapi` is a string");
    assert!(version.starts_with("3.1."), "OpenAPI {version}, not 3.1");
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(
        doc["info"]["version"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        doc.pointer("/components/securitySchemes/deviceToken")
            .is_some(),
        "the deviceToken security scheme"
    );
    let mut missing = Vec::new();
    unresolved_refs(&doc, &doc, &mut missing);
    assert!(missing.is_empty(), "unresolved $refs: {missing:?}");
    let ops = operations(&doc);
    assert!(!ops.is_empty());
    for path in doc["paths"].as_object().expect("paths").keys() {
        assert!(path.starts_with('/'), "{path}");
    }
    for op in &ops {
        let name = op.name();
        assert!(
            op.op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: a summary"
        );
        let responses = op.op["responses"].as_object().expect("responses");
        assert!(!responses.is_empty(), "{name}: responses");
        for (status, r) in responses {
            assert!(
                status.len() == 3 && status.parse::<u16>().is_ok(),
                "{name}: status {status}"
            );
            assert!(
                r["description"].is_string(),
                "{name} {status}: a description"
            );
        }
        // Each `{param}` of the path is declared, and nothing else is declared in the path.
        let declared: BTreeSet<String> = op.op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .inspect(|p| assert_eq!(p["required"], true, "{name}: {p}"))
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let in_path: BTreeSet<String> = path_params(&op.path).into_iter().collect();
        assert_eq!(declared, in_path, "{name}: path parameters");
        let open = OPEN_ROUTES.contains(&op.path.as_str());
        assert_eq!(!open, op.secured(), "{name}: security");
        if op.secured() {
            assert_eq!(
                op.op["security"],
                json!([{"deviceToken": []}]),
                "{name}: security"
            );
            assert!(responses.contains_key("401"), "{name}: 401");
        }
        if let Some(body) = op.op.get("requestBody") {
            let content = body["content"].as_object().expect("requestBody.content");
            assert!(!content.is_empty(), "{name}: a request body type");
        }
    }

    let s = start().await;
    let served = s
        .send(&Method::GET, "/openapi.json", &[], None, &Auth::Missing)
        .await;
    assert_eq!(served.status, 200);
    assert_eq!(served.content_type.as_deref(), Some(JSON));
    let served: Value = serde_json::from_slice(&served.body).expect("JSON");
    assert_eq!(served, doc, "GET /openapi.json serves the document");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_documented_and_every_documented_operation_is_routed() {
    // The hard-coded list is the router's.
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(listed.len(), ROUTES.len(), "ROUTES has a duplicate");
    let in_source = routes_in_source();
    assert_eq!(
        listed, in_source,
        "ROUTES (left) differs from the .route(…) calls of src/http/mod.rs (right): update ROUTES \
         (and DOCUMENTED_BUT_NOT_YET_MOUNTED)"
    );

    // Router → document.
    let doc = document();
    let documented: BTreeMap<String, &Value> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(p, item)| (shape(p), item))
        .collect();
    for (method, path) in ROUTES {
        assert!(
            documented
                .get(&shape(path))
                .is_some_and(|item| item[method.to_ascii_lowercase()].is_object()),
            "{method} {path} is served but not documented in src/http/openapi.rs"
        );
    }

    // Document → router: a documented path is routed (a method it does not take answers 405,
    // not the fallback's 404), and each documented method is taken (not 405).
    let s = start().await;
    let ops = operations(&doc);
    let mut by_path: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in &ops {
        by_path.entry(op.path.as_str()).or_default().push(op);
    }
    for unmounted in DOCUMENTED_BUT_NOT_YET_MOUNTED {
        assert!(
            by_path.contains_key(unmounted),
            "{unmounted} is in DOCUMENTED_BUT_NOT_YET_MOUNTED but not documented"
        );
    }
    for (path, ops) in &by_path {
        let concrete = fill(path, valid_looking);
        let documented: Vec<String> = ops.iter().map(|o| o.method.to_string()).collect();
        let probe = ["PATCH", "DELETE", "OPTIONS", "PUT", "POST"]
            .into_iter()
            .find(|m| !documented.iter().any(|d| d == m))
            .expect("a method the path does not take");
        let probe = Method::from_bytes(probe.as_bytes()).expect("method");
        let a = s.send(&probe, &concrete, &[], None, &Auth::Valid).await;
        let routed = a.status == 405;
        if DOCUMENTED_BUT_NOT_YET_MOUNTED.contains(path) {
            let code = a.error_body().map(|e| e.code);
            assert!(
                !routed && a.status == 404 && code.as_deref() == Some("not_found"),
                "{path} is mounted now ({probe} answers {} {code:?}): remove it from \
                 DOCUMENTED_BUT_NOT_YET_MOUNTED and add its routes to ROUTES",
                a.status
            );
            continue;
        }
        assert!(
            routed,
            "{path} is documented but not routed: {probe} {concrete} answers {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        );
        for op in ops {
            let a = s.send(&op.method, &concrete, &[], None, &Auth::Valid).await;
            assert_ne!(
                a.status,
                405,
                "{} is documented but the router does not take it",
                op.name()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_refuses_malformed_requests_with_a_4xx() {
    let s = start().await;
    let doc = document();
    let ops = operations(&doc);
    let mut tally = Tally::default();
    let bad = bad_auths(&s.token);

    for op in &ops {
        let probes = probes(&doc, op, s.device);
        assert!(!probes.is_empty(), "{}: no probes", op.name());
        for p in &probes {
            for auth in [Auth::Valid, Auth::Missing] {
                let a = s
                    .send(
                        &p.method,
                        &p.path_and_query,
                        &p.headers,
                        p.body.as_deref(),
                        &auth,
                    )
                    .await;
                tally.judge(op, p, &auth, &a);
            }
        }
        if op.secured() {
            // Bad tokens, on the first few probes.
            for p in probes.iter().take(3) {
                for auth in &bad {
                    let a = s
                        .send(
                            &p.method,
                            &p.path_and_query,
                            &p.headers,
                            p.body.as_deref(),
                            auth,
                        )
                        .await;
                    tally.judge(op, p, auth, &a);
                    if matches!(a.status, 401 | 403) && p.method != Method::HEAD {
                        let code = a.error_body().map(|e| e.code).unwrap_or_default();
                        if !code.starts_with("auth_") {
                            tally.failures.push(format!(
                                "{} with {}: {} {code}, not an auth_ code",
                                op.name(),
                                auth.label(),
                                a.status
                            ));
                        }
                    }
                }
            }
        }
    }

    // Methods a path does not take: 405 (or the fallback's 404 while unmounted).
    let mut paths: BTreeMap<&str, Vec<Method>> = BTreeMap::new();
    for op in &ops {
        paths
            .entry(op.path.as_str())
            .or_default()
            .push(op.method.clone());
    }
    for (path, methods) in &paths {
        let template = ops
            .iter()
            .find(|o| o.path == *path)
            .expect("an operation of the path");
        for m in OTHER_METHODS {
            let m = Method::from_bytes(m.as_bytes()).expect("method");
            if methods.contains(&m) || (m == Method::GET && methods.contains(&Method::HEAD)) {
                continue;
            }
            let op = Op {
                path: (*path).to_owned(),
                method: m.clone(),
                op: json!({"responses": {}, "security": template.op.get("security")}),
            };
            let p = Probe {
                what: "a method the path does not take".into(),
                method: m,
                path_and_query: fill(path, valid_looking),
                headers: vec![("content-type", JSON.into())],
                body: Some(b"{}".to_vec()),
                must_refuse: true,
            };
            for auth in [Auth::Valid, Auth::Missing] {
                let a = s
                    .send(
                        &p.method,
                        &p.path_and_query,
                        &p.headers,
                        p.body.as_deref(),
                        &auth,
                    )
                    .await;
                tally.judge(&op, &p, &auth, &a);
                let unmounted = DOCUMENTED_BUT_NOT_YET_MOUNTED.contains(path);
                // Without a token, a 401 may come first (the photo routes check the token
                // before the method).
                let anonymous = matches!(auth, Auth::Missing) && a.status == 401;
                if !(a.status == 405 || unmounted && a.status == 404 || anonymous) {
                    tally.failures.push(format!(
                        "{} {path} [{}]: {}, not 405",
                        p.method,
                        auth.label(),
                        a.status
                    ));
                }
            }
        }
    }

    println!(
        "{} malformed requests sent to {} documented operations; answers by status {:?}; {} 2xx \
         to input the operation does not read",
        tally.sent,
        ops.len(),
        tally.by_status,
        tally.ignored
    );
    if !tally.undocumented.is_empty() {
        println!(
            "statuses answered but not in the operation's documented responses: {:?}",
            tally.undocumented
        );
    }
    let (known, unknown): (Vec<String>, Vec<String>) =
        tally.failures.iter().cloned().partition(|f| {
            KNOWN_GAPS
                .iter()
                .any(|(_, marks)| marks.iter().all(|m| f.contains(m)))
        });
    for (gap, marks) in KNOWN_GAPS {
        let n = known
            .iter()
            .filter(|f| marks.iter().all(|m| f.contains(m)))
            .count();
        println!("known gap, {n} answers: {gap}");
        assert!(
            n > 0,
            "the known gap \"{gap}\" did not show: it is fixed, remove it from KNOWN_GAPS"
        );
    }
    assert!(
        unknown.is_empty(),
        "{} of {} requests answered wrongly; the first ones:\n{}",
        unknown.len(),
        tally.sent,
        unknown
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Nothing got through: the server is healthy, the token still works, no account or device
    // was made, disabled or revoked by the battery.
    let h = s
        .send(&Method::GET, "/healthz", &[], None, &Auth::Missing)
        .await;
    assert_eq!(h.status, 200);
    let me = s
        .send(&Method::GET, "/v1/me", &[], None, &Auth::Valid)
        .await;
    assert_eq!(me.status, 200, "{}", String::from_utf8_lossy(&me.body));
    let accounts = s
        .send(&Method::GET, "/v1/admin/accounts", &[], None, &Auth::Valid)
        .await;
    assert_eq!(accounts.status, 200);
    let accounts: Value = serde_json::from_slice(&accounts.body).expect("json");
    let names: Vec<&str> = accounts
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|a| a["username"].as_str())
        .collect();
    assert_eq!(names, ["admin"], "no account made by a malformed request");
    assert_eq!(accounts[0]["disabled"], false);
    let devices = s
        .send(&Method::GET, "/v1/admin/devices", &[], None, &Auth::Valid)
        .await;
    assert_eq!(devices.status, 200);
    let devices: Value = serde_json::from_slice(&devices.body).expect("json");
    assert_eq!(devices.as_array().map(Vec::len), Some(1), "{devices}");
}
