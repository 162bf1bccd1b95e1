//! The router and the document agree: [`ROUTES`] is what the router's source mounts, every
//! route is documented, and every documented path and method is routed (except the paths of
//! [`DOCUMENTED_BUT_NOT_YET_MOUNTED`], which still answer 404 `not_found`).

use std::collections::{BTreeMap, BTreeSet};

use bangfu_server::http::openapi::document;
use reqwest::Method;
use serde_json::Value;

use super::harness::{Auth, start};
use super::spec::{Op, fill, operations, routes_in_source, shape, valid_looking};
use super::{DOCUMENTED_BUT_NOT_YET_MOUNTED, ROUTES};

#[test]
fn the_route_list_is_the_routers_source() {
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
}

#[test]
fn every_route_is_documented() {
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
}

/// A documented path is routed (a method it does not take answers 405, not the fallback's 404),
/// and each documented method is taken (not 405).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_routed() {
    let doc = document();
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
