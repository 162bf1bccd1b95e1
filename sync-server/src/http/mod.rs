//! The HTTP API (protocol version 1), on axum.
//!
//! The routes, their parameters, bodies and answers are listed once, in the OpenAPI document the
//! server serves at `GET /openapi.json` ([`openapi`]; a test holds it to the router). The sync
//! messages are those of [`bangfu_core::sync::wire`].
//!
//! Request bodies may be gzip or zstd (`Content-Encoding`); answers are compressed with gzip or
//! zstd (fastest levels) when the client's `Accept-Encoding` allows.
//!
//! Every refusal is JSON [`ErrorBody`](bangfu_core::sync::wire::ErrorBody) `{code, message}`:
//! - 400 `malformed_json` (not JSON, truncated, trailing data), `bad_encoding` (a body that does
//!   not decompress), `body_unreadable`, `bad_query` (pull parameters);
//! - 404 `not_found` (unknown route), 405 `method_not_allowed`;
//! - 413 `body_too_large` (over `max_body_bytes` before or after decompression), `too_many_ops`;
//! - 415 `unsupported_media_type` (no or another `Content-Type` than `application/json`),
//!   `unsupported_encoding`;
//! - 422 `invalid_message`: well-formed JSON that is not a push request — a missing field, a wrong
//!   type, or a field the protocol does not have (refused rather than ignored, so that nothing a
//!   newer client sends is silently dropped), at the message and operation-envelope level. The
//!   message names the path (`ops[3].hlc`).
//!
//! - 408 `body_timeout`: the body did not arrive within `body_read_timeout`;
//! - 429 `auth_slow_down` (sign-ins, by username and by address), `push_busy` (a device's third
//!   push at once), both with `Retry-After`;
//! - 503 `signin_busy`: too many sign-ins waiting for a password check (with `Retry-After`).
//!
//! Connections: see [`serve()`] (connection caps, header and body deadlines).
//!
//! A well-formed push whose operations fail validation is **200**: each operation is answered on
//! its own (accepted / duplicate / rejected with a reason). 5xx only for the server's own faults
//! (500 `storage_error`, `internal`; 503 `unhealthy`).

pub mod admin;
pub mod auth;
mod body;
pub mod error;
mod extract;
mod handlers;
pub mod openapi;
mod push_order;
mod serve;
mod throttle;

pub use serve::{BodyDeadline, DeadlineBody, serve};

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::trace::TraceLayer;

use crate::auth::{DEFAULT_TOKEN_TTL_MS, ServerStorage};
use crate::sqlite::DEFAULT_MAX_PULL_LIMIT;

/// The server's limits (those of a push announced by `GET /v1/version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Largest request body, before and after decompression.
    pub max_body_bytes: u64,
    pub max_ops_per_push: u32,
    /// Largest pull page (a larger `limit` is reduced to it).
    pub max_pull_limit: u32,
    /// Page size of a pull without `limit`.
    pub default_pull_limit: u32,
    /// Pushes read and processed at once; more wait their turn (bounds the memory that large
    /// bodies take: the database takes one push at a time anyway).
    pub max_concurrent_pushes: usize,
    /// How long a device token stays valid after sign-in.
    pub token_ttl_ms: u64,
    /// Pushes of one device held at once (body read, parsed or waiting its turn); more are
    /// answered 429 `push_busy` before their body is read. The client keeps two in flight.
    pub max_pushes_per_device: usize,
    /// Bytes of push bodies being read or waiting to be parsed, all devices together; a push
    /// reading beyond it waits (within its body deadline).
    pub max_push_bytes_in_flight: u64,
    /// Open connections; more wait in the kernel's accept queue ([`serve()`]).
    pub max_connections: usize,
    /// Open connections from one client address; more are closed at once (not applied with
    /// `trust_forwarded_for`: every connection then comes from the proxy).
    pub max_connections_per_address: usize,
    /// Time for a request's head to arrive (and for the next one on an idle kept-alive
    /// connection).
    pub header_read_timeout: Duration,
    /// Time for a request's whole body to arrive, counted from its head (408 `body_timeout`).
    pub body_read_timeout: Duration,
    /// Password checks (argon2, ~19 MiB each) at once; default: one per CPU.
    pub signin_concurrency: usize,
    /// Sign-ins waiting for a password check; more are answered 503 `signin_busy`.
    pub signin_queue: usize,
    /// Failed sign-ins from one client address, over every username, before it must wait
    /// (1, 2, 4 … s, at most 15 min); per username it is `auth::FREE_FAILURES`.
    pub signin_free_failures_per_address: u32,
    /// Behind a reverse proxy: the client's address is the last one of `X-Forwarded-For`
    /// (set only if the proxy sets that header; otherwise a client could name any address).
    pub trust_forwarded_for: bool,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            max_body_bytes: 32 * 1024 * 1024,
            max_ops_per_push: 10_000,
            max_pull_limit: DEFAULT_MAX_PULL_LIMIT,
            default_pull_limit: 1_000,
            max_concurrent_pushes: 4,
            token_ttl_ms: DEFAULT_TOKEN_TTL_MS,
            max_pushes_per_device: 2,
            max_push_bytes_in_flight: 256 * 1024 * 1024,
            max_connections: 512,
            max_connections_per_address: 128,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(120),
            signin_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            signin_queue: 32,
            signin_free_failures_per_address: 30,
            trust_forwarded_for: false,
        }
    }
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub storage: Arc<dyn ServerStorage>,
    pub config: Arc<ServerConfig>,
    pub pushes: Arc<Semaphore>,
    /// Each device's pushes are written in arrival order ([`push_order`]).
    pub push_order: Arc<push_order::PushOrder>,
    /// Bytes of push bodies held ([`ServerConfig::max_push_bytes_in_flight`]).
    pub push_bytes: Arc<Semaphore>,
    /// Sign-in throttling and the password-check gate ([`throttle`]).
    pub signin_throttle: Arc<throttle::Throttle>,
    pub signin_gate: Arc<throttle::Gate>,
}

impl AppState {
    fn new(storage: Arc<dyn ServerStorage>, config: ServerConfig) -> AppState {
        let push_bytes = config
            .max_push_bytes_in_flight
            .max(config.max_body_bytes)
            .min(u64::from(u32::MAX));
        AppState {
            storage,
            pushes: Arc::new(Semaphore::new(config.max_concurrent_pushes.max(1))),
            push_order: Arc::default(),
            push_bytes: Arc::new(Semaphore::new(
                usize::try_from(push_bytes).unwrap_or(u32::MAX as usize),
            )),
            signin_throttle: Arc::new(throttle::Throttle::new(
                config.signin_free_failures_per_address,
                throttle::MAX_ENTRIES,
            )),
            signin_gate: Arc::new(throttle::Gate::new(
                config.signin_concurrency,
                config.signin_queue,
            )),
            config: Arc::new(config),
        }
    }
}

/// The server's routes over `storage` with the photo routes (`/v1/photos/*`, see
/// `bangfu_blobs::http`) behind the same device-token check as everything else, each photo
/// served only within the device's read scope ([`crate::photos::ScopedPhotoAccess`]).
pub fn router_with_photos(
    storage: Arc<dyn ServerStorage>,
    config: ServerConfig,
    photos: Arc<bangfu_blobs::upload::UploadService>,
) -> Router {
    let within = config.body_read_timeout;
    let state = AppState::new(storage, config);
    let access = Arc::new(crate::photos::ScopedPhotoAccess::new(state.storage.clone()));
    let photo_routes = bangfu_blobs::http::router(photos, access).route_layer(
        axum::middleware::from_fn_with_state(state.clone(), auth::require_device),
    );
    layered(routes(state).merge(photo_routes), within)
}

/// The server's routes over `storage`.
pub fn router(storage: Arc<dyn ServerStorage>, config: ServerConfig) -> Router {
    let within = config.body_read_timeout;
    layered(routes(AppState::new(storage, config)), within)
}

/// The sync, account and administration routes, without the layers of [`layered`].
fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/push", post(handlers::push))
        .route("/v1/pull", get(handlers::pull))
        .route("/v1/version", get(handlers::version))
        .route("/healthz", get(handlers::healthz))
        .route("/openapi.json", get(openapi::serve))
        .route("/v1/auth/signin", post(auth::sign_in))
        .route("/v1/me", get(auth::me))
        .route("/v1/device/report", post(auth::report))
        .route(
            "/v1/admin/accounts",
            get(admin::list_accounts).post(admin::create_account),
        )
        .route(
            "/v1/admin/accounts/{username}/disable",
            post(admin::disable_account),
        )
        .route(
            "/v1/admin/accounts/{username}/enable",
            post(admin::enable_account),
        )
        .route("/v1/admin/devices", get(admin::list_devices))
        .route(
            "/v1/admin/devices/{device_id}/revoke",
            post(admin::revoke_device),
        )
        .route("/v1/admin/audit", get(admin::audit_log))
        .route("/v1/admin/rejected", get(admin::rejected))
        .route("/v1/admin/future", get(admin::future))
        .route("/v1/reference", get(admin::reference))
        .route(
            "/v1/admin/reference",
            axum::routing::put(admin::set_reference),
        )
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .with_state(state)
}

/// Compression, panics answered as 500, request tracing, the body deadline: around every route
/// (photos included).
fn layered(routes: Router, body_within: Duration) -> Router {
    routes
        // A wrong method answers JSON on every path, merged ones included.
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            body_within,
            serve::body_deadline,
        ))
        // Fastest levels: gzip at level 1 compresses ~2.5× faster than at 6 for ~10 % larger
        // answers, which keeps a pull of 10,000 operations well under the push rate.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(CatchPanicLayer::custom(handlers::panicked))
        .layer(TraceLayer::new_for_http())
}
