//! The JSON of the photo routes, shared by the server ([`crate::http`]) and the uploader
//! ([`crate::client`]), and the stable error codes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Most hashes in one `POST /v1/photos/have`.
pub const MAX_HAVE: usize = 1000;

/// The header that tells where an upload resumes (`HEAD` answers and 409 refusals).
pub const UPLOAD_OFFSET: &str = "upload-offset";

/// `POST /v1/photos/have`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaveRequest {
    /// Lowercase hex SHA-256s, at most [`MAX_HAVE`].
    pub sha256: Vec<String>,
}

/// The answer to `POST /v1/photos/have`: which photos the server stores, and where the partial
/// uploads among the others stand. A hash in neither is absent (upload from byte 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaveResponse {
    /// Sorted.
    pub stored: Vec<String>,
    /// Bytes received so far, by hash.
    pub partial: BTreeMap<String, u64>,
}

/// The answer to a `PUT /v1/photos/{sha}` chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkResponse {
    /// Bytes the server holds (the whole photo when `complete`).
    pub received: u64,
    /// The photo is stored (verified): nothing more to send.
    pub complete: bool,
}

/// The body of every refusal: `code` and `message` as in the sync protocol's `ErrorBody`, and
/// for some codes a number that tells the client what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoErrorBody {
    /// One of [`codes`] (or a generic code such as `malformed_json`).
    pub code: String,
    /// Simplified Chinese: what is wrong and what to do.
    pub message: String,
    /// `photo_offset_mismatch`: the byte the upload continues at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
    /// `photo_too_large`, `photo_chunk_too_large`, `photo_too_many`, `photo_quota`: the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
}

/// Stable codes of photo refusals. Programs match on these, never on messages; a code, once
/// published, keeps its meaning.
pub mod codes {
    /// A photo name that is not 64 lowercase hex characters.
    pub const BAD_HASH: &str = "photo_bad_hash";
    /// The received bytes do not hash to the photo's name; they were discarded.
    pub const HASH_MISMATCH: &str = "photo_hash_mismatch";
    /// Not a JPEG, PNG or WebP image, or one that does not decode.
    pub const NOT_IMAGE: &str = "photo_not_image";
    /// An image whose width, height or decoded size is over the limits (decompression bombs).
    pub const IMAGE_TOO_LARGE: &str = "photo_image_too_large";
    /// A photo over the size limit (`max` says it).
    pub const TOO_LARGE: &str = "photo_too_large";
    /// One chunk over the chunk limit (`max` says it).
    pub const CHUNK_TOO_LARGE: &str = "photo_chunk_too_large";
    /// A chunk that does not start where the server's copy ends (`expected` says where).
    pub const OFFSET_MISMATCH: &str = "photo_offset_mismatch";
    /// A missing or malformed `Content-Range`, or one that disagrees with the body.
    pub const BAD_RANGE: &str = "photo_bad_range";
    /// `GET` of a photo the server does not store.
    pub const NOT_FOUND: &str = "photo_not_found";
    /// More hashes in one `have` than [`MAX_HAVE`](super::MAX_HAVE).
    pub const TOO_MANY: &str = "photo_too_many";
    /// The body of a request broke off (the connection was cut).
    pub const BODY_UNREADABLE: &str = "body_unreadable";
    /// Not JSON (as the sync server's code).
    pub const MALFORMED_JSON: &str = "malformed_json";
    /// JSON that is not the expected message (as the sync server's code).
    pub const INVALID_MESSAGE: &str = "invalid_message";
    /// A body that is not `application/json` (as the sync server's code).
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// Too many unfinished uploads of this device, or too many bytes in them (429, `max` says
    /// the limit): finish the uploads begun (the uploader does those first), or try later.
    pub const QUOTA: &str = "photo_quota";
    /// No signed-in device (401): the routes were reached without the server's authentication.
    pub const AUTH_REQUIRED: &str = "auth_required";
    /// The blob store failed (500): the server's fault, try again later.
    pub const STORAGE_ERROR: &str = "storage_error";
}
