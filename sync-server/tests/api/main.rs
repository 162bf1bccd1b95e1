//! The server's HTTP API, against the real router served on 127.0.0.1:0 (one test binary):
//! - [`openapi`]: the OpenAPI document, the router and the malformed-request batteries;
//! - [`http`]: push, pull, version and health over HTTP (compression, errors, limits);
//! - [`access`]: accounts, tokens, revoked devices and disabled accounts;
//! - [`authz`]: the authorization matrix, entity kind × role × in / out of scope;
//! - [`abuse`]: device ownership, throttled sign-ins, slow and concurrent pushes;
//! - [`photo_access`]: who may fetch a photo;
//! - [`reference`]: the county's reference data;
//! - [`arrange`]: a pairing arranged by a first secretary (R6).
//!
//! The `bangfu-server` binary (`binary`, `epoch`, `load`), the storage trait (`storage`,
//! `parallel`, `perf`) and the demo county (`demo`) are tested by their own test binaries.

#[path = "../common/mod.rs"]
mod common;

mod abuse;
mod access;
mod arrange;
mod authz;
mod http;
mod openapi;
mod photo_access;
mod reference;
