//! Authentication (the device token on every request), sign-in, the device's own view of its
//! account and scope, and the pushing account for the per-operation authorization.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangfu_core::sync::wire::{SignInRequest, SignInResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use super::extract::{Authed, blocking, small_json};
use super::throttle::Outcome;
use crate::auth::{Account, AuthError, Principal, Scope};

/// The day in China (UTC+8) at `now_ms`: pairings start and end on Chinese calendar days.
pub fn china_today(now_ms: u64) -> NaiveDate {
    let ms = i64::try_from(now_ms).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(ms.saturating_add(8 * 3600 * 1000))
        .map_or(NaiveDate::MIN, |t| t.date_naive())
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
            Ok(Json(SignInResponse::<Account> {
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

/// The pushing account as the authorization of each operation needs it: its scope today and the
/// scope its device was last served (`crate::authz::Pusher`). Runs on a blocking thread.
pub(super) fn pusher_of(
    app: &AppState,
    p: &Principal,
    now_ms: u64,
) -> Result<crate::authz::Pusher, ApiError> {
    let scope = app.storage.scope_of(&p.account, china_today(now_ms))?;
    let served = app.storage.device_scope(p.device_id)?;
    Ok(crate::authz::Pusher {
        role: p.account.role,
        person: p.account.person_id,
        scope,
        served,
    })
}

/// The pull's scope for `p`, and whether the device must start its feed over (its scope grew
/// since it was last served from the start: a newly paired household's history is behind its
/// cursor). Runs on a blocking thread.
pub(super) fn pull_scope(app: &AppState, p: &Principal, after: u64) -> Result<Scope, ApiError> {
    let now = crate::now_ms();
    let scope = app.storage.scope_of(&p.account, china_today(now))?;
    let stored = app.storage.device_scope(p.device_id)?;
    if after == 0 {
        app.storage.start_feed(p.device_id, &scope)?;
    } else if !stored.as_ref().is_some_and(|s| s.covers(&scope))
        || app.storage.moved_in(p.device_id, &scope)?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "scope_grew",
            "your scope grew (a household was newly paired or moved into it): pull again from after=0",
        ));
    } else if stored.as_ref() != Some(&scope) {
        // Shrunk: the device is sent less from now on; it drops what left (see GET /v1/me).
        app.storage.set_device_scope(p.device_id, &scope)?;
    }
    app.storage.note_sync(p.device_id, None, now)?;
    Ok(scope)
}

/// Middleware: the request must carry a valid device token (the photo routes); the signed-in
/// [`Principal`] goes into the request's extensions (the photo routes' access policy reads it).
pub(super) async fn require_device(
    Authed(p): Authed,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    request.extensions_mut().insert(p);
    next.run(request).await
}
