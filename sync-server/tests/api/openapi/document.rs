//! The document itself: OpenAPI 3.1, every `$ref` resolved, every operation summarised with
//! described responses, path parameters declared, exactly [`OPEN_ROUTES`] open without a token,
//! and `GET /openapi.json` serving it.

use std::collections::BTreeSet;

use bangfu_server::http::openapi::document;
use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Auth, start};
use super::spec::{operations, path_params, unresolved_refs};
use super::{JSON, OPEN_ROUTES};

#[test]
fn the_document_is_openapi_3_1_with_a_title_a_version_and_the_token_scheme() {
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
}

#[test]
fn every_ref_resolves() {
    let doc = document();
    let mut missing = Vec::new();
    unresolved_refs(&doc, &doc, &mut missing);
    assert!(missing.is_empty(), "unresolved $refs: {missing:?}");
}

#[test]
fn every_operation_has_a_summary_described_responses_and_a_body_type() {
    let doc = document();
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
        if let Some(body) = op.op.get("requestBody") {
            let content = body["content"].as_object().expect("requestBody.content");
            assert!(!content.is_empty(), "{name}: a request body type");
        }
    }
}

#[test]
fn every_path_parameter_is_declared_and_required() {
    let doc = document();
    for op in &operations(&doc) {
        let name = op.name();
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
    }
}

#[test]
fn exactly_the_open_routes_need_no_token_and_the_others_document_401() {
    let doc = document();
    for op in &operations(&doc) {
        let name = op.name();
        let open = OPEN_ROUTES.contains(&op.path.as_str());
        assert_eq!(!open, op.secured(), "{name}: security");
        if op.secured() {
            assert_eq!(
                op.op["security"],
                json!([{"deviceToken": []}]),
                "{name}: security"
            );
            let responses = op.op["responses"].as_object().expect("responses");
            assert!(responses.contains_key("401"), "{name}: 401");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_openapi_json_serves_the_document() {
    let s = start().await;
    let served = s
        .send(&Method::GET, "/openapi.json", &[], None, &Auth::Missing)
        .await;
    assert_eq!(served.status, 200);
    assert_eq!(served.content_type.as_deref(), Some(JSON));
    let served: Value = serde_json::from_slice(&served.body).expect("JSON");
    assert_eq!(served, document(), "GET /openapi.json serves the document");
}
