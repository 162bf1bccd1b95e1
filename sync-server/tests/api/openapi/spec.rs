//! Reading the document: its operations, path templates, schemas (a value of one, wrong values
//! for a field), unresolved `$ref`s; and the routes the router's source mounts.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::OPERATION_KEYS;

/// One documented operation.
#[derive(Debug, Clone)]
pub(super) struct Op {
    pub(super) path: String,
    pub(super) method: Method,
    pub(super) op: Value,
}

impl Op {
    pub(super) fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub(super) fn secured(&self) -> bool {
        self.op.get("security").is_some_and(|s| !s.is_null())
    }
}

pub(super) fn operations(doc: &Value) -> Vec<Op> {
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
pub(super) fn path_params(template: &str) -> Vec<String> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

/// The path with every parameter replaced by `value(name)`.
pub(super) fn fill(template: &str, value: impl Fn(&str) -> String) -> String {
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
pub(super) fn valid_looking(name: &str) -> String {
    match name {
        "device_id" => Uuid::from_u128(0x0190_0000_0000_7000_8000_dead_0000_0001).to_string(),
        "sha256" => "ab".repeat(32),
        "username" => "no-such-account".to_owned(),
        _ => "probe-1".to_owned(),
    }
}

/// Malformed path parameter values (already percent-encoded where needed).
pub(super) fn malformed_params() -> Vec<String> {
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
pub(super) fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
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
pub(super) fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

pub(super) fn nullable(schema: &Value) -> bool {
    matches!(schema.get("type"), Some(Value::Array(ts)) if ts.iter().any(|t| t == "null"))
}

/// A value of `schema` (every property filled in), named `name` in its object.
pub(super) fn example(doc: &Value, schema: &Value, name: &str, device: Uuid) -> Value {
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
pub(super) fn wrong_values(doc: &Value, schema: &Value, required: bool) -> Vec<String> {
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

/// Every `.route("PATH", get(…).post(…))` of `src/http/mod.rs` and of the photo routes, as
/// (METHOD, PATH).
pub(super) fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    routes_in(include_str!("../../../src/http/mod.rs"), &mut out);
    routes_in(
        include_str!("../../../../crates/blobs/src/http.rs"),
        &mut out,
    );
    out
}

pub(super) fn routes_in(src: &str, out: &mut BTreeSet<(String, String)>) {
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
pub(super) fn shape(template: &str) -> String {
    fill(template, |_| "{}".to_owned())
}

/// Every `$ref` in `v` that does not resolve in `doc`.
pub(super) fn unresolved_refs(doc: &Value, v: &Value, out: &mut Vec<String>) {
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
