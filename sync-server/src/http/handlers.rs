//! The route handlers. Storage calls run on blocking threads.

use std::any::Any;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangfu_core::sync::wire::{Capabilities, PROTOCOL_VERSION};
use serde::Deserialize;

use super::AppState;
use super::auth;
use super::body;
use super::error::ApiError;
use super::extract::{Authed, blocking};
use crate::runs::counts;
use crate::storage::{Actor, FeedScope, OwnOps, PullQuery};

/// Times a push that arrived before the one it follows lets others of its device go first.
const MAX_YIELDS: usize = 3;

/// Seconds a push refused as `push_busy` is told to wait.
const PUSH_BUSY_RETRY_S: u64 = 2;

pub(super) async fn push(
    State(app): State<AppState>,
    Authed(principal): Authed,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, ApiError> {
    body::require_json(&headers)?;
    let encoding = body::encoding(&headers)?;
    // The device's place in its write queue is taken now, on arrival; a device already holding
    // its few pushes is refused before its body is read.
    let Some(place) = app
        .push_order
        .join(principal.device_id, app.config.max_pushes_per_device)
    else {
        let mut resp = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "push_busy",
            format!(
                "this device already has {} pushes in progress: wait for their answers, then \
                 send again (Retry-After)",
                app.config.max_pushes_per_device
            ),
        )
        .into_response();
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(PUSH_BUSY_RETRY_S));
        return Ok(resp);
    };
    // The body is read and parsed meanwhile, while an earlier push of the device is written.
    // It is read before a push permit is taken (a slowly sent body holds none), within the body
    // deadline, its bytes counted against what all pushes may hold at once.
    let parse =
        async {
            let max = app.config.max_body_bytes;
            let read = body::read_counted(request, max, Some(&app.push_bytes));
            let (raw, raw_held) = tokio::time::timeout(app.config.body_read_timeout, read)
                .await
                .map_err(|_| body::timed_out())??;
            let permit =
                app.pushes.clone().acquire_owned().await.map_err(|_| {
                    ApiError::internal("the server is shutting down; try again later")
                })?;
            let config = app.config.clone();
            let app2 = app.clone();
            let principal = principal.clone();
            blocking(move || {
                // Held while the body is decoded and parsed, even if the client goes away meanwhile.
                let _permit = permit;
                let bytes = body::decode(raw, encoding, max)?;
                let req = body::parse_push(&bytes, config.max_ops_per_push as usize)?;
                drop(bytes);
                drop(raw_held);
                if req.device_id != principal.device_id {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "wrong_device",
                        "device_id 与登录的设备不一致：本机只能上传自己的操作",
                    ));
                }
                let pusher = auth::pusher_of(&app2, &principal, crate::now_ms())?;
                Ok((req, pusher))
            })
            .await
        };
    // The turn is polled first (its place taken); a refused body answers at once.
    let (mut turn, (req, pusher)) = tokio::try_join!(async { Ok(place.turn().await) }, parse)?;
    let storage = app.storage.clone();
    if let Some(first) = req.ops.first().map(|o| o.origin_seq) {
        for _ in 0..MAX_YIELDS {
            if !turn.others_waiting() {
                break;
            }
            let (storage, device) = (storage.clone(), req.device_id);
            let processed = blocking(move || Ok(storage.device_seq(device)?)).await?;
            if first <= processed.saturating_add(1) {
                break;
            }
            // It overtook the push it follows: that one goes first.
            drop(turn);
            turn = app.push_order.turn(req.device_id).await;
        }
    }
    let resp = blocking(move || {
        // The device's turn is held until the push is written, even if the client goes away.
        let _turn = turn;
        let device = req.device_id;
        let n = req.ops.len();
        let by = Actor::account(principal.account.username.clone(), pusher, crate::now_ms());
        let resp = storage.push(req, &by)?;
        let (accepted, duplicate, rejected) = counts(&resp.results);
        tracing::info!(
            %device, account = principal.account.id, ops = n, accepted, duplicate, rejected,
            device_seq = resp.device_seq, "push"
        );
        Ok(resp)
    })
    .await?;
    Ok(Json(resp).into_response())
}

/// `GET /v1/pull` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PullParams {
    #[serde(default)]
    after: u64,
    limit: Option<u32>,
    /// Narrows a county-wide account's feed to this administrative path and what lies below it
    /// (refused `forbidden_scope` for any other account: its scope comes from the account).
    scope: Option<String>,
    /// A device asking for the feed without its own operations (it has them already)…
    exclude_origin: Option<uuid::Uuid>,
    /// …up to this `origin_seq` (default: all of them).
    exclude_through: Option<u64>,
}

pub(super) async fn pull(
    State(app): State<AppState>,
    Authed(principal): Authed,
    params: Result<Query<PullParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| {
        ApiError::bad_request(
            "bad_query",
            format!(
                "{}; use ?after=CURSOR&limit=N&scope=PATH&exclude_origin=DEVICE&exclude_through=SEQ (numbers non-negative)",
                e.body_text()
            ),
        )
    })?;
    let limit = params.limit.unwrap_or(app.config.default_pull_limit);
    if limit == 0 {
        return Err(ApiError::bad_request(
            "bad_query",
            "`limit` must be at least 1",
        ));
    }
    let limit = limit.min(app.config.max_pull_limit);
    if params
        .scope
        .as_deref()
        .is_some_and(|s| s.trim_matches('/').is_empty())
    {
        return Err(ApiError::bad_request(
            "bad_query",
            "`scope` is empty: give an administrative path, or leave `scope` out",
        ));
    }
    let exclude_origin = match (params.exclude_origin, params.exclude_through) {
        (Some(device), through) => Some(OwnOps {
            device,
            through: through.unwrap_or(u64::MAX),
        }),
        (None, None) => None,
        (None, Some(_)) => {
            return Err(ApiError::bad_request(
                "bad_query",
                "`exclude_through` needs `exclude_origin`",
            ));
        }
    };
    let app2 = app.clone();
    let json = blocking(move || {
        let scope = auth::pull_scope(&app2, &principal, params.after)?;
        let scope = match params.scope {
            // A narrower path within a county-wide scope (diagnostics, tests).
            Some(path) if scope.all => FeedScope::Path(path),
            Some(_) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden_scope",
                    "`scope` is for county-wide accounts; your scope comes from your account",
                ));
            }
            None => FeedScope::Account(scope),
        };
        let query = PullQuery {
            after: params.after,
            limit,
            scope,
            exclude_origin,
            now_ms: crate::now_ms(),
        };
        Ok(app2.storage.pull_json(&query)?)
    })
    .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response())
}

pub(super) async fn version(State(app): State<AppState>) -> Json<Capabilities> {
    Json(Capabilities {
        protocol: PROTOCOL_VERSION,
        server: format!("bangfu-server {}", env!("CARGO_PKG_VERSION")),
        encodings: vec!["gzip".to_owned(), "zstd".to_owned()],
        max_body_bytes: app.config.max_body_bytes,
        max_ops_per_push: app.config.max_ops_per_push,
        max_pull_limit: app.config.max_pull_limit,
        epoch: app.storage.epoch().ok(),
    })
}

pub(super) async fn healthz(State(app): State<AppState>) -> Response {
    let storage = app.storage.clone();
    match blocking(move || Ok(storage.health())).await {
        Ok(Ok(h)) => Json(h).into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unhealthy",
                "the server cannot use its database",
            )
            .into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub(super) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route: GET /openapi.json lists every route",
    )
}

pub(super) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method: GET /openapi.json lists each route's methods",
    )
}

pub(super) fn panicked(_: Box<dyn Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    ApiError::internal("the server failed on this request; try again later").into_response()
}
