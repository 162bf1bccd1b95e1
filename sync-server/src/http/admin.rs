//! Administration over HTTP (county office accounts only): accounts, devices, the audit log,
//! refused operations.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use super::extract::{Authed, blocking, require_admin, small_json};
use crate::auth::{Account, AccountError, AuditEntry, DeviceInfo, NewAccount};
use bangfu_core::sync::wire::Reference;

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> ApiError {
        match e {
            AccountError::Exists => ApiError::new(
                StatusCode::CONFLICT,
                "account_exists",
                "该用户名已被使用，请换一个用户名",
            ),
            AccountError::NoSuchAccount => ApiError::new(
                StatusCode::NOT_FOUND,
                "no_such_account",
                "没有这个账号，请核对用户名",
            ),
            AccountError::Invalid(why) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_account",
                format!("账号信息有误：{why}"),
            ),
            AccountError::Storage(s) => s.into(),
        }
    }
}

fn bad_path(e: PathRejection) -> ApiError {
    ApiError::bad_request("bad_path", e.body_text())
}

fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::bad_request("bad_query", e.body_text())
}

pub(super) async fn list_accounts(
    State(app): State<AppState>,
    Authed(p): Authed,
) -> Result<Json<Vec<Account>>, ApiError> {
    require_admin(&p)?;
    let storage = app.storage.clone();
    Ok(Json(blocking(move || Ok(storage.accounts()?)).await?))
}

pub(super) async fn create_account(
    State(app): State<AppState>,
    Authed(p): Authed,
    headers: HeaderMap,
    request: Body,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    require_admin(&p)?;
    let new: NewAccount = small_json(&headers, request).await?;
    let storage = app.storage.clone();
    let actor = p.account.username.clone();
    let account =
        blocking(move || Ok(storage.create_account(&new, &actor, crate::now_ms())?)).await?;
    tracing::info!(by = p.account.id, account = account.id, "account created");
    Ok((StatusCode::CREATED, Json(account)))
}

async fn set_disabled(
    app: AppState,
    p: crate::auth::Principal,
    username: String,
    disabled: bool,
) -> Result<Json<Account>, ApiError> {
    require_admin(&p)?;
    let storage = app.storage.clone();
    let actor = p.account.username.clone();
    let account =
        blocking(move || Ok(storage.set_disabled(&username, disabled, &actor, crate::now_ms())?))
            .await?;
    Ok(Json(account))
}

pub(super) async fn disable_account(
    State(app): State<AppState>,
    Authed(p): Authed,
    username: Result<Path<String>, PathRejection>,
) -> Result<Json<Account>, ApiError> {
    let Path(username) = username.map_err(bad_path)?;
    set_disabled(app, p, username, true).await
}

pub(super) async fn enable_account(
    State(app): State<AppState>,
    Authed(p): Authed,
    username: Result<Path<String>, PathRejection>,
) -> Result<Json<Account>, ApiError> {
    let Path(username) = username.map_err(bad_path)?;
    set_disabled(app, p, username, false).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DevicesQuery {
    username: Option<String>,
}

pub(super) async fn list_devices(
    State(app): State<AppState>,
    Authed(p): Authed,
    q: Result<Query<DevicesQuery>, QueryRejection>,
) -> Result<Json<Vec<DeviceInfo>>, ApiError> {
    require_admin(&p)?;
    let Query(q) = q.map_err(bad_query)?;
    let storage = app.storage.clone();
    Ok(Json(
        blocking(move || Ok(storage.devices(q.username.as_deref())?)).await?,
    ))
}

pub(super) async fn revoke_device(
    State(app): State<AppState>,
    Authed(p): Authed,
    device: Result<Path<Uuid>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    require_admin(&p)?;
    let Path(device) = device.map_err(bad_path)?;
    let storage = app.storage.clone();
    let actor = p.account.username.clone();
    let found =
        blocking(move || Ok(storage.revoke_device(device, &actor, crate::now_ms())?)).await?;
    if found {
        tracing::info!(by = p.account.id, %device, "device revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_device",
            "没有这台设备，请核对设备编号",
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    limit: Option<u32>,
}

pub(super) async fn audit_log(
    State(app): State<AppState>,
    Authed(p): Authed,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    require_admin(&p)?;
    let Query(q) = q.map_err(bad_query)?;
    let limit = q.limit.unwrap_or(200).clamp(1, 10_000);
    let storage = app.storage.clone();
    Ok(Json(blocking(move || Ok(storage.audit_log(limit)?)).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RejectedQuery {
    device: Option<Uuid>,
    limit: Option<u32>,
}

/// A refused operation as listed for supervisors: who, which record, why — never the record's
/// content (it may hold personal data; the server keeps it, see `bangfu-server rejected`).
#[derive(Debug, serde::Serialize, Deserialize)]
pub struct RejectedEntry {
    pub device: Uuid,
    pub seq: u64,
    pub op_id: Uuid,
    pub entity: Option<String>,
    pub entity_id: Option<Uuid>,
    pub code: String,
    pub message: String,
    pub received_at_ms: u64,
}

impl From<crate::storage::RejectedOp> for RejectedEntry {
    fn from(r: crate::storage::RejectedOp) -> RejectedEntry {
        let op: Option<serde_json::Value> = serde_json::from_str(&r.body).ok();
        let field = |name: &str| {
            op.as_ref()
                .and_then(|o| o.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        RejectedEntry {
            device: r.device,
            seq: r.seq,
            op_id: r.op_id,
            entity: field("entity"),
            entity_id: field("entity_id").and_then(|s| Uuid::try_parse(&s).ok()),
            code: r.code,
            message: r.message,
            received_at_ms: r.received_at_ms,
        }
    }
}

/// `GET /v1/admin/rejected[?device=&limit=]`: refused operations, newest first.
pub(super) async fn rejected(
    State(app): State<AppState>,
    Authed(p): Authed,
    q: Result<Query<RejectedQuery>, QueryRejection>,
) -> Result<Json<Vec<RejectedEntry>>, ApiError> {
    require_admin(&p)?;
    let Query(q) = q.map_err(bad_query)?;
    let limit = q.limit.unwrap_or(200).clamp(1, 10_000) as usize;
    let storage = app.storage.clone();
    let all = blocking(move || Ok(storage.rejected(q.device)?)).await?;
    Ok(Json(
        all.into_iter()
            .rev()
            .take(limit)
            .map(RejectedEntry::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimitQuery {
    limit: Option<u32>,
}

/// `GET /v1/admin/future[?limit=]`: operations stamped far in the future (a device's clock set
/// wrong), newest first.
pub(super) async fn future(
    State(app): State<AppState>,
    Authed(p): Authed,
    q: Result<Query<LimitQuery>, QueryRejection>,
) -> Result<Json<Vec<crate::storage::FutureOp>>, ApiError> {
    require_admin(&p)?;
    let Query(q) = q.map_err(bad_query)?;
    let limit = q.limit.unwrap_or(200).clamp(1, 10_000);
    let storage = app.storage.clone();
    Ok(Json(
        blocking(move || Ok(storage.future_ops(limit)?)).await?,
    ))
}

/// `GET /v1/reference` (every signed-in device): the county's settings and monitoring lines.
pub(super) async fn reference(
    State(app): State<AppState>,
    Authed(_): Authed,
) -> Result<Json<Reference>, ApiError> {
    let storage = app.storage.clone();
    match blocking(move || Ok(storage.reference()?)).await? {
        Some(r) => Ok(Json(r)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_reference",
            "县里还没有设置监测线和参数，请联系县级办公室",
        )),
    }
}

/// `PUT /v1/admin/reference` (county office): replaces the settings and monitoring lines.
pub(super) async fn set_reference(
    State(app): State<AppState>,
    Authed(p): Authed,
    headers: HeaderMap,
    request: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin(&p)?;
    let r: Reference = small_json(&headers, request).await?;
    check_reference(&r).map_err(|why| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_reference",
            format!("参数有误：{why}"),
        )
    })?;
    let storage = app.storage.clone();
    let actor = p.account.username.clone();
    blocking(move || Ok(storage.set_reference(&r, &actor, crate::now_ms())?)).await?;
    Ok(Json(serde_json::json!({})))
}

/// What a county's reference data must satisfy.
pub fn check_reference(r: &Reference) -> Result<(), String> {
    if r.settings.province_code.trim().is_empty() {
        return Err("settings.province_code is empty".into());
    }
    for (i, l) in r.monitoring_lines.iter().enumerate() {
        if !(2000..=2100).contains(&l.year) {
            return Err(format!(
                "monitoring_lines[{i}].year: a year from 2000 to 2100"
            ));
        }
        if l.region_code.trim().is_empty() || l.region_code.len() > 12 {
            return Err(format!(
                "monitoring_lines[{i}].region_code: a division code or CN"
            ));
        }
        if l.yuan_per_person <= 0 || l.yuan_per_person > 1_000_000 {
            return Err(format!(
                "monitoring_lines[{i}].yuan_per_person: 1 to 1,000,000"
            ));
        }
    }
    Ok(())
}
