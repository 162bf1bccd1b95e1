//! The malformed requests sent to each documented operation, and bad `Authorization` values.

use std::collections::BTreeSet;
use std::io::Write as _;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::JSON;
use super::harness::Auth;
use super::spec::{
    Op, example, fill, malformed_params, path_params, resolve, type_of, valid_looking, wrong_values,
};

pub(super) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// A malformed request to one operation (path and auth aside).
#[derive(Debug, Clone)]
pub(super) struct Probe {
    pub(super) what: String,
    pub(super) method: Method,
    pub(super) path_and_query: String,
    pub(super) headers: Headers,
    pub(super) body: Option<Vec<u8>>,
    /// The malformed part is input the operation reads: it must be refused (4xx). Otherwise it
    /// may be ignored (2xx), never a 5xx.
    pub(super) must_refuse: bool,
}

/// Request headers (name, raw value).
pub(super) type Headers = Vec<(&'static str, Vec<u8>)>;

/// A malformed body: what it is, its headers, its bytes.
pub(super) type BodyProbe = (String, Headers, Vec<u8>);

pub(super) fn json_probe(what: impl Into<String>, body: Vec<u8>) -> BodyProbe {
    (what.into(), vec![("content-type", JSON.into())], body)
}

/// Malformed JSON bodies for an operation whose body is `schema` (`template`: a value of it).
pub(super) fn json_battery(doc: &Value, schema: &Value, template: &Value) -> Vec<BodyProbe> {
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
pub(super) fn binary_battery() -> Vec<BodyProbe> {
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
pub(super) fn query_battery(params: &[(String, String)]) -> Vec<String> {
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
pub(super) const STRAY_QUERIES: [&str; 4] =
    ["after=-1", "limit=abc", "colour=red&colour=blue", "%FF=%FE"];

/// Every malformed request to `op` (with auth chosen later).
pub(super) fn probes(doc: &Value, op: &Op, device: Uuid) -> Vec<Probe> {
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
pub(super) fn bad_auths(token: &str) -> Vec<Auth> {
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
