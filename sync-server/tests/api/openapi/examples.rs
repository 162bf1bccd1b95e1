//! Requests made from the OpenAPI document (`bangfu_server::http::openapi::document`, served at
//! `GET /openapi.json`) pass the server's validation: the document describes the constraints the
//! server really checks, so that generated clients and API fuzzers reach its logic.
//!
//! For every documented operation, [`instance`] makes schema-valid requests from the document
//! alone — path, query and header parameters and the body — taking the hand-picked `examples` of
//! a schema where it has them (a schema with a `pattern` must have them), else `const`, `enum`,
//! `default`, formats, lengths and bounds; every `oneOf` branch of a request body gives a request
//! of its own, and so does every example of the body's schema. Each value is first checked
//! against its schema with a JSON Schema validator (formats asserted). Each request is then sent
//! to the real router (`router_with_photos`, as the binary serves it) on 127.0.0.1:0, signed in
//! as the county office, and its answer must be a status the operation documents, never a 5xx,
//! and never a refusal of the request as such (400, 401, 403, 413, 415, 422, 429): only 404 and
//! 409 — an entity that is not there, or is there already — may refuse it. A 2xx JSON answer must
//! match its documented schema.

use std::collections::BTreeMap;

use bangfu_server::http::openapi::{EXAMPLE_DEVICE, document};
use reqwest::Method;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::harness::{Server, start_as};
use super::spec::resolve;

/// The county office account of the test server: the sign-in example's name and password, so
/// that the sign-in example signs in.
fn county_credentials(doc: &Value) -> (String, String) {
    let props = &doc["components"]["schemas"]["SignInRequest"]["properties"];
    let first = |key: &str| {
        props[key]["examples"][0]
            .as_str()
            .expect("a sign-in example")
            .to_owned()
    };
    (first("username"), first("password"))
}

/// Statuses that refuse a request as such (malformed, unauthorized, too large, throttled):
/// a request made from the document must never get one.
const REFUSALS: [u16; 7] = [400, 401, 403, 413, 415, 422, 429];

/// Statuses that a valid request may get when an entity it names is absent or present already,
/// provided the operation documents them.
const ENTITY_STATUSES: [u16; 2] = [404, 409];

/// The real router, signed in as the county office with the sign-in example's name and password
/// and the push examples' device.
async fn start(doc: &Value) -> Server {
    let device: Uuid = EXAMPLE_DEVICE.parse().expect("the example device id");
    let (username, password) = county_credentials(doc);
    start_as(&username, &password, device).await
}

/// Two schemas that must both hold, as one (`b`'s keywords win; properties and required are
/// combined).
fn merge(a: &mut Map<String, Value>, b: Map<String, Value>) {
    for (k, v) in b {
        match (k.as_str(), a.get_mut(&k), v) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, s) in theirs {
                    let combined = match mine.remove(&name) {
                        Some(old) => json!({"allOf": [old, s]}),
                        None => s,
                    };
                    mine.insert(name, combined);
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for name in theirs {
                    if !mine.contains(&name) {
                        mine.push(name);
                    }
                }
            }
            (_, _, v) => {
                a.insert(k, v);
            }
        }
    }
}

/// `schema` as one object of keywords: `$ref`s followed, `allOf` folded in, and branch `variant`
/// (modulo their number) of `oneOf`/`anyOf` folded in.
fn flatten(doc: &Value, schema: &Value, variant: usize) -> Map<String, Value> {
    let schema = resolve(doc, schema);
    let Some(obj) = schema.as_object() else {
        return Map::new(); // `true`
    };
    let mut out = Map::new();
    for (k, v) in obj {
        if !matches!(k.as_str(), "allOf" | "oneOf" | "anyOf" | "$ref") {
            out.insert(k.clone(), v.clone());
        }
    }
    for part in obj
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        merge(&mut out, flatten(doc, part, variant));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = obj.get(key).and_then(Value::as_array)
            && !branches.is_empty()
        {
            merge(
                &mut out,
                flatten(doc, &branches[variant % branches.len()], variant),
            );
        }
    }
    out
}

/// How many branches the top of `schema` has (`oneOf`/`anyOf`), at least 1.
fn branches(doc: &Value, schema: &Value) -> usize {
    let schema = resolve(doc, schema);
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .map(Vec::len)
        .max()
        .unwrap_or(1)
        .max(1)
}

fn type_of(schema: &Map<String, Value>) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// A value valid by `schema`, made from the document: variant `variant` of each choice (an
/// example, a `oneOf` branch). `own_examples: false` skips the schema's own `examples` (not
/// those of its parts), to make one from its structure.
fn instance(doc: &Value, schema: &Value, variant: usize, own_examples: bool) -> Value {
    let s = flatten(doc, schema, variant);
    if own_examples {
        if let Some(examples) = s.get("examples").and_then(Value::as_array)
            && !examples.is_empty()
        {
            return examples[variant % examples.len()].clone();
        }
        if let Some(example) = s.get("example") {
            return example.clone();
        }
    }
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.is_empty()
    {
        return e[variant % e.len()].clone();
    }
    if let Some(d) = s.get("default") {
        return d.clone();
    }
    let int = |key: &str| s.get(key).and_then(Value::as_i64);
    let kind = type_of(&s).or(s.contains_key("properties").then_some("object"));
    match kind {
        Some("object") => {
            let mut out = Map::new();
            for (name, prop) in s
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                out.insert(name.clone(), instance(doc, prop, variant, true));
            }
            Value::Object(out)
        }
        Some("array") => {
            if int("maxItems") == Some(0) {
                json!([])
            } else {
                let item = s.get("items").cloned().unwrap_or(json!({}));
                json!([instance(doc, &item, variant, true)])
            }
        }
        Some("integer") => {
            let lo = s.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            json!(lo.max(0).min(int("maximum").unwrap_or(i64::MAX)))
        }
        Some("number") => json!(0),
        Some("boolean") => json!(false),
        Some("string") => {
            assert!(
                !s.contains_key("pattern"),
                "a string with a pattern needs `examples` (a value of the pattern): {s:?}"
            );
            match s.get("format").and_then(Value::as_str) {
                Some("uuid") => json!(Uuid::from_u128(
                    0x0190_a000_0000_7000_8000_0000_0000_0100 + variant as u128
                )),
                Some("date") => json!("2024-05-01"),
                Some("date-time") => json!("2024-05-01T10:00:00+08:00"),
                _ => {
                    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
                    json!(
                        format!("text{variant}")
                            .chars()
                            .cycle()
                            .take(min.max(5))
                            .collect::<String>()
                    )
                }
            }
        }
        _ => json!({}),
    }
}

/// Checks `value` against `schema` (a part of the document: its `$ref`s resolve), formats
/// asserted.
fn assert_valid(doc: &Value, schema: &Value, value: &Value, what: &str) {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("{what}: the schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: {value} is not valid by its schema: {errors:?}"
    );
}

/// One request made from the document.
#[derive(Debug)]
struct Request {
    what: String,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    /// (content type, bytes).
    body: Option<(String, Vec<u8>)>,
}

/// A parameter value as it goes into a path, a query or a header.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The requests made from operation `method path`.
fn requests(doc: &Value, path: &str, method: &str, op: &Value) -> Vec<Request> {
    let params: Vec<&Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let content = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object);
    // (what, content type, value): each example of the body's schema, and one made from its
    // structure per `oneOf` branch.
    let mut bodies: Vec<(String, String, Value)> = Vec::new();
    if let Some(content) = content {
        assert_eq!(content.len(), 1, "{method} {path}: one body media type");
        let (media, media_type) = content.iter().next().expect("a media type");
        let schema = &media_type["schema"];
        if media == "application/json" {
            let own = resolve(doc, schema)
                .get("examples")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (i, e) in own.into_iter().enumerate() {
                bodies.push((format!("body example {i}"), media.clone(), e));
            }
            for v in 0..branches(doc, schema) {
                bodies.push((
                    format!("body made from the schema (variant {v})"),
                    media.clone(),
                    instance(doc, schema, v, false),
                ));
            }
            for (what, _, value) in &bodies {
                assert_valid(doc, schema, value, &format!("{method} {path}, {what}"));
            }
        } else {
            let example = media_type
                .get("example")
                .unwrap_or_else(|| panic!("{method} {path}: a {media} body needs an example"));
            bodies.push(("the body example".into(), media.clone(), example.clone()));
        }
    }
    let n = bodies.len().max(1);
    (0..n)
        .map(|i| {
            let mut req = Request {
                what: format!("{method} {path}"),
                method: Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"),
                path: path.to_owned(),
                query: Vec::new(),
                headers: Vec::new(),
                body: None,
            };
            for p in &params {
                let name = p["name"].as_str().expect("a parameter name");
                let value = instance(doc, &p["schema"], i, true);
                assert_valid(
                    doc,
                    &p["schema"],
                    &value,
                    &format!("{method} {path}, parameter {name}"),
                );
                let text = as_text(&value);
                match p["in"].as_str() {
                    Some("path") => req.path = req.path.replace(&format!("{{{name}}}"), &text),
                    Some("query") => req.query.push((name.to_owned(), text)),
                    Some("header") => req.headers.push((name.to_owned(), text)),
                    other => panic!("{method} {path}: a parameter in {other:?}"),
                }
            }
            if let Some((what, media, value)) = bodies.get(i) {
                req.what = format!("{method} {path}, {what}");
                let bytes = match value {
                    Value::String(s) if media != "application/json" => s.clone().into_bytes(),
                    v => serde_json::to_vec(v).expect("json"),
                };
                req.body = Some((media.clone(), bytes));
            }
            req
        })
        .collect()
}

/// Percent-encodes a query parameter's name or value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test]
async fn requests_made_from_the_document_pass_validation() {
    let doc = document();
    let mut server = start(&doc).await;
    let paths = doc["paths"].as_object().expect("paths");
    // By path, then method: an account is created before it is disabled, the reference set
    // before it is read.
    let ops: BTreeMap<(String, String), Value> = paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |m| {
                item.get(*m)
                    .map(|op| ((path.clone(), (*m).to_owned()), op.clone()))
            })
        })
        .collect();
    assert!(ops.len() >= 23, "{} operations", ops.len());
    let mut failures = Vec::new();
    let mut sent = 0;
    for ((path, method), op) in &ops {
        let documented: Vec<u16> = op["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .map(|k| k.parse().expect("a status"))
            .collect();
        let reqs = requests(&doc, path, method, op);
        assert!(!reqs.is_empty(), "{method} {path}: no request");
        for req in reqs {
            let query: Vec<String> = req
                .query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            let url = if query.is_empty() {
                format!("{}{}", server.base, req.path)
            } else {
                format!("{}{}?{}", server.base, req.path, query.join("&"))
            };
            let mut builder = server.client.request(req.method.clone(), url);
            if op.get("security").is_some() {
                builder = builder.bearer_auth(&server.token);
            }
            for (k, v) in &req.headers {
                builder = builder.header(k, v);
            }
            if let Some((media, bytes)) = &req.body {
                builder = builder.header("content-type", media).body(bytes.clone());
            }
            let resp = builder.send().await.expect("an answer");
            sent += 1;
            let status = resp.status().as_u16();
            let json = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            let bytes = resp.bytes().await.expect("a body");
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            let q = if req.query.is_empty() {
                String::new()
            } else {
                format!(" {:?}", req.query)
            };
            if status >= 500 {
                failures.push(format!(
                    "{}{q}: {status} (a server fault): {text}",
                    req.what
                ));
            } else if !documented.contains(&status) {
                failures.push(format!(
                    "{}{q}: {status}, not documented ({documented:?}): {text}",
                    req.what
                ));
            } else if REFUSALS.contains(&status)
                || (status >= 400 && !ENTITY_STATUSES.contains(&status))
            {
                failures.push(format!("{}{q}: refused, {status}: {text}", req.what));
            } else if (200..300).contains(&status) && json {
                let answer: Value = serde_json::from_slice(&bytes).expect("a JSON answer");
                if let Some(schema) = op.pointer(&format!(
                    "/responses/{status}/content/application~1json/schema"
                )) {
                    assert_valid(
                        &doc,
                        schema,
                        &answer,
                        &format!("the answer to {}", req.what),
                    );
                }
                // A sign-in gives the device a fresh token: the earlier one is replaced.
                if path == "/v1/auth/signin" {
                    server.token = answer["device_token"].as_str().expect("a token").to_owned();
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} requests made from the document were refused:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
