//! Authentication (the device token on every request), sign-in, the device's own view of its
//! account and scope, and the write-scope check of a push.

use std::collections::HashSet;

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangfu_core::sync::op::Operation;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use super::body;
use super::error::ApiError;
use super::handlers::blocking;
use super::throttle::Outcome;
use crate::auth::{Account, AuthError, Principal, Role, Scope};

/// Largest sign-in or administration body.
pub(super) const SMALL_BODY: u64 = 16 * 1024;

/// The day in China (UTC+8) at `now_ms`: pairings start and end on Chinese calendar days.
pub fn china_today(now_ms: u64) -> NaiveDate {
    let ms = i64::try_from(now_ms).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(ms.saturating_add(8 * 3600 * 1000))
        .map_or(NaiveDate::MIN, |t| t.date_naive())
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        let status = match e {
            AuthError::SlowDown(_) => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Disabled | AuthError::Revoked | AuthError::DeviceTaken => {
                StatusCode::FORBIDDEN
            }
            _ => StatusCode::UNAUTHORIZED,
        };
        ApiError::new(status, e.code(), e.message_zh())
    }
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

/// `POST /v1/auth/signin`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
    pub device_id: Uuid,
    #[serde(default)]
    pub device_name: String,
}

/// The answer to a sign-in: the token is shown this once.
#[derive(Debug, Deserialize, Serialize)]
pub struct SignInResponse {
    pub device_token: String,
    pub device_id: Uuid,
    pub account: Account,
}

/// 429 `auth_slow_down` with `Retry-After`.
fn slow_down(wait_s: u64) -> Response {
    let mut resp = ApiError::from(AuthError::SlowDown(wait_s)).into_response();
    if let Ok(v) = HeaderValue::from_str(&wait_s.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// Seconds a sign-in refused as busy is told to wait.
const BUSY_RETRY_S: u64 = 5;

pub(super) async fn sign_in(
    State(app): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (parts, request) = request.into_parts();
    let client = super::serve::client_ip(&parts, app.config.trust_forwarded_for);
    let req: SignInRequest = small_json(&parts.headers, request).await?;
    if req.username.len() > 64 || req.password.len() > 256 || req.device_name.chars().count() > 64 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_message",
            "username ≤ 64, password ≤ 256 bytes, device_name ≤ 64 characters",
        ));
    }
    if req.device_id.is_nil() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_message",
            "device_id: give the device's own random UUID",
        ));
    }
    // Throttled by name (existing or not, alike) and by address before any password is
    // checked; the attempt counts as failed until it proves otherwise (`throttle`).
    let reservation = match app
        .signin_throttle
        .reserve(&req.username, client, crate::now_ms())
    {
        Ok(r) => r,
        Err(wait) => return Ok(slow_down(wait)),
    };
    let Some(slot) = app.signin_gate.enter().await else {
        // `reservation` is dropped: this attempt is not counted.
        let mut resp = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "signin_busy",
            "服务器正忙，请稍后再登录",
        )
        .into_response();
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_S));
        return Ok(resp);
    };
    let storage = app.storage.clone();
    let ttl = app.config.token_ttl_ms;
    let device_id = req.device_id;
    let outcome = blocking(move || {
        // One password check at a time per slot (argon2 takes ~19 MiB).
        let _slot = slot;
        let name = if req.device_name.trim().is_empty() {
            "device".to_owned()
        } else {
            req.device_name.clone()
        };
        Ok(storage.sign_in(
            &req.username,
            &req.password,
            req.device_id,
            &name,
            crate::now_ms(),
            ttl,
        )?)
    })
    .await?;
    match &outcome {
        Ok(_) | Err(AuthError::Disabled | AuthError::Revoked | AuthError::DeviceTaken) => {
            reservation.finish(Outcome::RightPassword, crate::now_ms());
        }
        Err(_) => reservation.finish(Outcome::Failed, crate::now_ms()),
    }
    match outcome {
        Ok((account, token)) => {
            tracing::info!(account = account.id, "sign-in");
            Ok(Json(SignInResponse {
                device_token: token,
                device_id,
                account,
            })
            .into_response())
        }
        Err(AuthError::SlowDown(wait)) => Ok(slow_down(wait)),
        Err(e) => Err(e.into()),
    }
}

/// `GET /v1/me`: who the device is signed in as, and what it reads today.
#[derive(Debug, Deserialize, Serialize)]
pub struct Me {
    pub account: Account,
    pub device_id: Uuid,
    pub scope: Scope,
}

pub(super) async fn me(
    State(app): State<AppState>,
    Authed(p): Authed,
) -> Result<Json<Me>, ApiError> {
    let storage = app.storage.clone();
    let scope = {
        let account = p.account.clone();
        blocking(move || Ok(storage.scope_of(&account, china_today(crate::now_ms()))?)).await?
    };
    Ok(Json(Me {
        account: p.account,
        device_id: p.device_id,
        scope,
    }))
}

/// `POST /v1/device/report`: what the device still has to send (shown to administrators).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceReport {
    pub unsynced_ops: u64,
    pub unsynced_photos: u64,
}

pub(super) async fn report(
    State(app): State<AppState>,
    Authed(p): Authed,
    headers: HeaderMap,
    request: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let r: DeviceReport = small_json(&headers, request).await?;
    let storage = app.storage.clone();
    blocking(move || {
        Ok(storage.note_sync(
            p.device_id,
            Some((r.unsynced_ops, r.unsynced_photos)),
            crate::now_ms(),
        )?)
    })
    .await?;
    Ok(Json(serde_json::json!({})))
}

fn forbidden(i: usize, why: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden_scope",
        format!("ops[{i}]: {why}；本批次未保存。请确认该户仍由您帮扶，或请驻村第一书记处理"),
    )
}

/// Checks every operation of a push against the sender's write scope: the path it claims, the
/// path the record has on the server, and the household it names. Any one out of scope refuses
/// the whole push (403, nothing written). Runs on a blocking thread.
pub(super) fn check_push_scope(
    app: &AppState,
    p: &Principal,
    ops: &[Operation],
    now_ms: u64,
) -> Result<(), ApiError> {
    if let Some((i, _)) = ops
        .iter()
        .enumerate()
        .find(|(_, o)| o.origin_device != p.device_id)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_device",
            format!("ops[{i}]: 操作来自另一台设备，本机只能上传自己记录的操作"),
        ));
    }
    if let Some(person) = p.account.person_id
        && let Some((i, _)) = ops.iter().enumerate().find(|(_, o)| o.author != person)
    {
        return Err(forbidden(i, "操作的记录人不是本账号"));
    }
    let scope = app.storage.scope_of(&p.account, china_today(now_ms))?;
    if scope.all {
        return Ok(());
    }
    let mut keys: HashSet<(String, Uuid)> = HashSet::new();
    for o in ops {
        keys.insert((o.entity.clone(), o.entity_id));
        if let Some(h) = household_of(o) {
            keys.insert(("household".to_owned(), h));
        }
    }
    let keys: Vec<(String, Uuid)> = keys.into_iter().collect();
    let stored = app.storage.stored_paths(&keys)?;
    for (i, o) in ops.iter().enumerate() {
        let day = o.recorded_at.date_naive();
        if !scope.writes(&o.scope_path, day) {
            return Err(forbidden(i, "这条记录不在您的帮扶范围内"));
        }
        if let Some(path) = stored.get(&(o.entity.clone(), o.entity_id))
            && !scope.writes(path, day)
        {
            return Err(forbidden(i, "这条记录属于不在您帮扶范围内的户"));
        }
        if let Some(h) = household_of(o)
            && let Some(path) = stored.get(&("household".to_owned(), h))
            && !scope.writes(path, day)
        {
            return Err(forbidden(i, "这户不在您的帮扶范围内"));
        }
    }
    Ok(())
}

fn household_of(o: &Operation) -> Option<Uuid> {
    o.fields
        .get("household_id")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::try_parse(s).ok())
}

/// The pull's scope for `p`, and whether the device must start its feed over (its scope grew
/// since it was last served from the start: a newly paired household's history is behind its
/// cursor). Runs on a blocking thread.
pub(super) fn pull_scope(app: &AppState, p: &Principal, after: u64) -> Result<Scope, ApiError> {
    let now = crate::now_ms();
    let scope = app.storage.scope_of(&p.account, china_today(now))?;
    let stored = app.storage.device_scope(p.device_id)?;
    if after == 0 {
        if stored.as_ref() != Some(&scope) {
            app.storage.set_device_scope(p.device_id, &scope)?;
        }
    } else if !stored.as_ref().is_some_and(|s| s.covers(&scope)) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "scope_grew",
            "your scope grew (a household was newly paired): pull again from after=0",
        ));
    } else if stored.as_ref() != Some(&scope) {
        // Shrunk: the device is sent less from now on; it drops what left (see GET /v1/me).
        app.storage.set_device_scope(p.device_id, &scope)?;
    }
    app.storage.note_sync(p.device_id, None, now)?;
    Ok(scope)
}

/// Middleware: the request must carry a valid device token (the photo routes).
pub(super) async fn require_device(
    Authed(_): Authed,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    next.run(request).await
}
