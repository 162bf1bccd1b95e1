//! What the route handlers share: running blocking work off the async threads, the device-token
//! extractor, the county-office check and small JSON bodies.

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};

use super::AppState;
use super::body;
use super::error::ApiError;
use crate::auth::{Principal, Role};

/// Largest sign-in or administration body.
pub(super) const SMALL_BODY: u64 = 16 * 1024;

/// Runs blocking work (parsing, the database) off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| {
        tracing::error!("a blocking task panicked");
        Err(ApiError::internal(
            "the server failed on this request; try again later",
        ))
    })
}

/// The signed-in device of a request: `Authorization: Bearer <device token>`.
#[derive(Debug, Clone)]
pub struct Authed(pub Principal);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Authed, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "auth_required",
                    "请先登录：请求需要 Authorization: Bearer <设备令牌>",
                )
            })?;
        let storage = app.storage.clone();
        let principal =
            blocking(move || Ok(storage.authenticate(&token, crate::now_ms())??)).await?;
        Ok(Authed(principal))
    }
}

/// An account that must be the county office (administration).
pub(super) fn require_admin(p: &Principal) -> Result<(), ApiError> {
    if p.account.role == Role::CountyOffice {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_role",
            "只有县级办公室账号可以管理账号和设备",
        ))
    }
}

/// Parses a small JSON body into `T`, refusing unknown fields (400/415/422 like a push).
pub(super) async fn small_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    request: Body,
) -> Result<T, ApiError> {
    body::require_json(headers)?;
    let encoding = body::encoding(headers)?;
    let raw = body::read(request, SMALL_BODY).await?;
    let bytes = body::decode(raw, encoding, SMALL_BODY)?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request("malformed_json", format!("the body is not JSON: {inner}"))
        } else {
            // serde's message may quote the value sent (a password, say): name the field only,
            // unless it is an unknown or missing field, whose message holds only names.
            let text = inner.to_string();
            let what = if text.starts_with("unknown field") || text.starts_with("missing field") {
                text
            } else {
                "wrong type or value (see GET /openapi.json)".to_owned()
            };
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_message",
                format!("{path}: {what}"),
            )
        }
    })?;
    // Trailing data (a second value, garbage) is malformed, as for a push.
    de.end().map_err(|_| {
        ApiError::bad_request(
            "malformed_json",
            "the body has something after the JSON value: send one JSON object",
        )
    })?;
    Ok(value)
}
