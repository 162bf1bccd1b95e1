//! The photo routes, an axum sub-router over an [`UploadService`] and a [`PhotoAccess`] policy.
//! It does no authentication: the sync server mounts it behind its own, which puts the requester
//! into the request's extensions, and the policy says which photos that requester may read.
//! A photo it may not read looks absent in every answer below (404 to `GET` and `HEAD`, absent
//! from `have`, and a `PUT` is taken as the start of an upload of a photo never seen): the
//! existence of a photo is not revealed by its hash. Partial uploads are each device's own.
//!
//! | route | answer |
//! |---|---|
//! | `POST /v1/photos/have` `{"sha256": [..]}` (≤ 1,000) | 200 [`HaveResponse`] `{"stored": [..], "partial": {"<sha>": received}}` |
//! | `HEAD /v1/photos/{sha}` | 200 + `Content-Length` when stored; 404 + `Upload-Offset: N` when not (N = bytes of the requester's own upload received so far, 0 if none) |
//! | `PUT /v1/photos/{sha}` + `Content-Range: bytes START-END/TOTAL` (END inclusive) + the chunk | 200 [`ChunkResponse`] `{"received": N, "complete": false}`; 201 `{"received": TOTAL, "complete": true}` when this chunk completed the photo; 200 `complete: true` when it was stored already (the requester may read it) or the requester's upload of a stored photo it may not read completed |
//! | `GET /v1/photos/{sha}` | 200, the bytes, `Content-Type` `image/jpeg`, `image/png` or `image/webp` |
//!
//! Convention: a photo's state is told by `HEAD` status alone — 200 means "stored, send nothing",
//! 404 means "not stored" (or not for this requester) and `Upload-Offset` says where to
//! (re)start. The final chunk's answer comes after the hash and image checks, so 201 means
//! verified and stored.
//!
//! Every refusal is JSON [`PhotoErrorBody`] `{code, message, …}` (message in Chinese), 4xx:
//! - 400 `photo_bad_hash` (a name that is not 64 lowercase hex), `photo_bad_range` (missing or
//!   malformed `Content-Range`, a body of another length, a range past the size, an empty photo),
//!   `malformed_json`, `body_unreadable` (the body broke off);
//! - 404 `photo_not_found` (`GET` of a photo not stored);
//! - 409 `photo_offset_mismatch` with `expected` (also in `Upload-Offset`): send from there;
//! - 413 `photo_too_large` (declared size over the limit, with `max`), `photo_chunk_too_large`
//!   (with `max`), `photo_too_many` (more than 1,000 hashes in `have`);
//! - 401 `auth_required` (no requester in the request: mounted without authentication);
//! - 415 `unsupported_media_type` (`have` without `Content-Type: application/json`);
//! - 422 `photo_hash_mismatch` (the bytes were discarded: upload again from 0),
//!   `photo_not_image`, `photo_image_too_large`, `invalid_message` (JSON of the wrong shape);
//! - 429 `photo_quota` (with `max`): a chunk that would start one more unfinished upload of the
//!   device, or stage more bytes, than its quota ([`UploadConfig`](crate::upload::UploadConfig));
//!   finishing an upload is never refused for it.
//!
//! 500 `storage_error` only when the blob store or the access policy fails.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::error::Category;

use crate::access::{AccessError, PhotoAccess};
use crate::error::UploadError;
use crate::sha::Sha256Hex;
use crate::upload::{Appended, Owner, PhotoStatus, UploadService};
use crate::wire::{
    ChunkResponse, HaveRequest, HaveResponse, MAX_HAVE, PhotoErrorBody, UPLOAD_OFFSET, codes,
};

/// Largest `have` body: 1,000 quoted hashes and commas, with room for spaces.
const MAX_HAVE_BODY: usize = 128 << 10;

/// The photo routes over `service`, each request's photos filtered by `access`.
pub fn router<A: PhotoAccess>(service: Arc<UploadService>, access: Arc<A>) -> Router {
    Router::new()
        .route("/v1/photos/have", post(have::<A>))
        .route(
            "/v1/photos/{sha}",
            get(get_photo::<A>)
                .head(head_photo::<A>)
                .put(put_chunk::<A>),
        )
        .with_state(Arc::new(Photos { service, access }))
}

/// The routes' state.
#[derive(Debug)]
struct Photos<A> {
    service: Arc<UploadService>,
    access: Arc<A>,
}

type PhotoState<A> = State<Arc<Photos<A>>>;

impl<A: PhotoAccess> Photos<A> {
    /// The requester (401 when the server's authentication put none) and its uploads' owner.
    fn who(&self, extensions: &Extensions) -> Result<(A::Who, Owner), PhotoApiError> {
        let who = self.access.who(extensions).ok_or_else(|| {
            PhotoApiError::new(
                StatusCode::UNAUTHORIZED,
                codes::AUTH_REQUIRED,
                "请先登录：请求需要设备令牌。请在应用中重新登录。",
            )
        })?;
        let owner = self.access.owner(&who);
        Ok((who, owner))
    }

    /// Whether the requester may read `sha`.
    async fn may_read(&self, who: &A::Who, sha: &Sha256Hex) -> Result<bool, PhotoApiError> {
        let readable = self.access.readable(who, std::slice::from_ref(sha)).await?;
        Ok(readable.contains(sha))
    }
}

impl From<AccessError> for PhotoApiError {
    fn from(e: AccessError) -> PhotoApiError {
        tracing::error!(error = %e, "photo access check failed");
        PhotoApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::STORAGE_ERROR,
            "服务器暂时无法查询照片。请稍后重试。",
        )
    }
}

/// A refusal (or failure) as an HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoApiError {
    pub status: StatusCode,
    pub body: PhotoErrorBody,
}

impl PhotoApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> PhotoApiError {
        PhotoApiError {
            status,
            body: PhotoErrorBody {
                code: code.to_owned(),
                message: message.into(),
                expected: None,
                max: None,
            },
        }
    }
}

impl From<UploadError> for PhotoApiError {
    fn from(e: UploadError) -> PhotoApiError {
        let status = match &e {
            UploadError::BadHash | UploadError::BadRange(_) => StatusCode::BAD_REQUEST,
            UploadError::TooLarge { .. } | UploadError::ChunkTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            UploadError::OffsetMismatch { .. } => StatusCode::CONFLICT,
            UploadError::HashMismatch { .. }
            | UploadError::NotImage(_)
            | UploadError::ImageTooLarge(_) => StatusCode::UNPROCESSABLE_ENTITY,
            UploadError::Quota { .. } => StatusCode::TOO_MANY_REQUESTS,
            UploadError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if e.is_server_fault() {
            tracing::error!(error = %e, "photo store failed");
        }
        let mut out = PhotoApiError::new(status, e.code(), e.message_zh());
        match e {
            UploadError::OffsetMismatch { expected, .. } => out.body.expected = Some(expected),
            UploadError::TooLarge { max, .. }
            | UploadError::ChunkTooLarge { max, .. }
            | UploadError::Quota { max, .. } => {
                out.body.max = Some(max);
            }
            _ => {}
        }
        out
    }
}

impl IntoResponse for PhotoApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::info!(
                status = self.status.as_u16(),
                code = %self.body.code,
                "photo request refused"
            );
        }
        let mut response = (self.status, axum::Json(&self.body)).into_response();
        if let Some(expected) = self.body.expected {
            response
                .headers_mut()
                .insert(UPLOAD_OFFSET, HeaderValue::from(expected));
        }
        response
    }
}

/// The hash in the path; a path that is not even UTF-8 is a bad hash too (JSON answer).
fn parse_path_sha(path: Result<Path<String>, PathRejection>) -> Result<Sha256Hex, PhotoApiError> {
    match path {
        Ok(Path(sha)) => parse_sha(&sha),
        Err(_) => Err(UploadError::BadHash.into()),
    }
}

fn parse_sha(text: &str) -> Result<Sha256Hex, PhotoApiError> {
    Sha256Hex::parse(text).map_err(|_| UploadError::BadHash.into())
}

/// Reads a body of at most `max` bytes; over it is `too_large`.
async fn read_body(
    body: Body,
    max: usize,
    too_large: impl FnOnce() -> PhotoApiError,
) -> Result<Bytes, PhotoApiError> {
    match Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(_) => Err(PhotoApiError::new(
            StatusCode::BAD_REQUEST,
            codes::BODY_UNREADABLE,
            "请求数据未能完整接收（连接中断）。请重新发送。",
        )),
    }
}

async fn have<A: PhotoAccess>(
    State(photos): PhotoState<A>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<HaveResponse>, PhotoApiError> {
    let (who, owner) = photos.who(&extensions)?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(PhotoApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::UNSUPPORTED_MEDIA_TYPE,
            "请求须为JSON（Content-Type: application/json）。请更新应用后重试。",
        ));
    }
    // The list is small: it is sent plain. A compressed (or mislabelled) body is refused, not
    // read as if it were plain.
    if headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"))
    {
        return Err(PhotoApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::UNSUPPORTED_MEDIA_TYPE,
            "照片查询请求不能压缩（去掉 Content-Encoding）。请更新应用后重试。",
        ));
    }
    let too_many = || {
        let mut e = PhotoApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::TOO_MANY,
            format!("一次最多查询{MAX_HAVE}张照片。请分批查询。"),
        );
        e.body.max = Some(MAX_HAVE as u64);
        e
    };
    let bytes = read_body(body, MAX_HAVE_BODY, too_many).await?;
    let request: HaveRequest = serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
        Category::Data => PhotoApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID_MESSAGE,
            "请求内容格式不符（应为 {\"sha256\": [...]}）。请更新应用后重试。",
        ),
        _ => PhotoApiError::new(
            StatusCode::BAD_REQUEST,
            codes::MALFORMED_JSON,
            "请求内容不是有效的JSON。请重新发送。",
        ),
    })?;
    if request.sha256.len() > MAX_HAVE {
        return Err(too_many());
    }
    let shas = request
        .sha256
        .iter()
        .map(|s| parse_sha(s))
        .collect::<Result<Vec<_>, _>>()?;
    let readable = photos.access.readable(&who, &shas).await?;
    let have = photos
        .service
        .have_of(&owner, &shas, Some(&readable))
        .await?;
    Ok(axum::Json(HaveResponse {
        stored: have.stored.iter().map(ToString::to_string).collect(),
        partial: have
            .partial
            .iter()
            .map(|(sha, n)| (sha.to_string(), *n))
            .collect(),
    }))
}

async fn head_photo<A: PhotoAccess>(
    State(photos): PhotoState<A>,
    extensions: Extensions,
    sha: Result<Path<String>, PathRejection>,
) -> Result<Response, PhotoApiError> {
    let (who, owner) = photos.who(&extensions)?;
    let sha = parse_path_sha(sha)?;
    let visible = photos.may_read(&who, &sha).await?;
    Ok(
        match photos.service.status_of(&owner, &sha, visible).await? {
            PhotoStatus::Stored { size } => {
                (StatusCode::OK, [(header::CONTENT_LENGTH, size)]).into_response()
            }
            status => (StatusCode::NOT_FOUND, [(UPLOAD_OFFSET, status.offset())]).into_response(),
        },
    )
}

async fn get_photo<A: PhotoAccess>(
    State(photos): PhotoState<A>,
    extensions: Extensions,
    sha: Result<Path<String>, PathRejection>,
) -> Result<Response, PhotoApiError> {
    let (who, _) = photos.who(&extensions)?;
    let sha = parse_path_sha(sha)?;
    // A photo the requester may not read is answered as one not stored.
    let found = if photos.may_read(&who, &sha).await? {
        photos.service.get(&sha).await?
    } else {
        None
    };
    let Some((bytes, format)) = found else {
        return Err(PhotoApiError::new(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            "服务器上没有这张照片。请在拍摄该照片的手机上同步后再查看。",
        ));
    };
    let etag = format!("\"{sha}\"");
    Ok((
        [
            (header::CONTENT_TYPE, format.mime().to_owned()),
            // Content-addressed: never changes. Private: photos of people stay off shared caches.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_owned(),
            ),
            (header::ETAG, etag),
        ],
        bytes,
    )
        .into_response())
}

/// `bytes START-END/TOTAL` (END inclusive) as `(start, end_exclusive, total)`.
fn parse_content_range(headers: &HeaderMap) -> Result<(u64, u64, u64), UploadError> {
    let value = headers
        .get(header::CONTENT_RANGE)
        .ok_or(UploadError::BadRange("no Content-Range"))?
        .to_str()
        .map_err(|_| UploadError::BadRange("Content-Range is not text"))?;
    let bad = || UploadError::BadRange("Content-Range is not `bytes START-END/TOTAL`");
    let rest = value.trim().strip_prefix("bytes ").ok_or_else(bad)?;
    let (range, total) = rest.split_once('/').ok_or_else(bad)?;
    let (start, end) = range.split_once('-').ok_or_else(bad)?;
    let number = |s: &str| -> Result<u64, UploadError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let (start, end, total) = (number(start)?, number(end)?, number(total)?);
    if end < start {
        return Err(UploadError::BadRange("Content-Range ends before it starts"));
    }
    let end = end.checked_add(1).ok_or_else(bad)?;
    if end > total {
        return Err(UploadError::BadRange("Content-Range ends past its total"));
    }
    Ok((start, end, total))
}

async fn put_chunk<A: PhotoAccess>(
    State(photos): PhotoState<A>,
    extensions: Extensions,
    sha: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PhotoApiError> {
    let (who, owner) = photos.who(&extensions)?;
    let sha = parse_path_sha(sha)?;
    let (start, end, total) = parse_content_range(&headers)?;
    let config = photos.service.config();
    // Refuse before reading a byte of the body.
    if total > config.max_bytes {
        return Err(UploadError::TooLarge {
            declared: total,
            max: config.max_bytes,
        }
        .into());
    }
    let max_chunk = config.max_chunk_bytes;
    if end - start > max_chunk {
        return Err(UploadError::ChunkTooLarge {
            len: end - start,
            max: max_chunk,
        }
        .into());
    }
    let limit = usize::try_from(max_chunk).unwrap_or(usize::MAX);
    let chunk = read_body(body, limit, || {
        UploadError::ChunkTooLarge {
            len: max_chunk + 1,
            max: max_chunk,
        }
        .into()
    })
    .await?;
    if chunk.len() as u64 != end - start {
        return Err(UploadError::BadRange("the body's length is not the Content-Range's").into());
    }
    let answer = |status: StatusCode, received: u64, complete: bool| {
        (status, axum::Json(ChunkResponse { received, complete })).into_response()
    };
    let visible = photos.may_read(&who, &sha).await?;
    let appended = photos
        .service
        .append_of(&owner, &sha, total, start, &chunk, visible)
        .await?;
    if let Appended::Complete { .. } = appended {
        photos.access.uploaded(&who, &sha).await?;
    }
    Ok(match appended {
        Appended::Partial { received } => answer(StatusCode::OK, received, false),
        Appended::Complete {
            size,
            created: true,
        } => answer(StatusCode::CREATED, size, true),
        Appended::Complete {
            size,
            created: false,
        } => answer(StatusCode::OK, size, true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str) -> Result<(u64, u64, u64), UploadError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(value).expect("header value"),
        );
        parse_content_range(&headers)
    }

    #[test]
    fn content_range_parses_inclusive_ends() {
        assert_eq!(range("bytes 0-99/1000").ok(), Some((0, 100, 1000)));
        assert_eq!(range("bytes 900-999/1000").ok(), Some((900, 1000, 1000)));
        assert_eq!(range("bytes 0-0/1").ok(), Some((0, 1, 1)));
    }

    #[test]
    fn malformed_content_ranges_are_refused() {
        for bad in [
            "",
            "bytes",
            "bytes */1000",
            "bytes 0-99/*",
            "items 0-99/1000",
            "bytes 100-99/1000",
            "bytes 0-1000/1000",
            "bytes -1-5/10",
            "bytes +1-5/10",
            "bytes 0-18446744073709551615/18446744073709551615",
            "bytes 0-99999999999999999999/1",
        ] {
            assert!(
                matches!(range(bad), Err(UploadError::BadRange(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_content_range(&HeaderMap::new()),
            Err(UploadError::BadRange(_))
        ));
    }
}
