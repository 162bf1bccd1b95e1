//! Reading a request body: content type, size limits, gzip/zstd decoding, JSON parsing with the
//! path of the first problem and unknown fields refused.

use std::io::Read;

use axum::body::Body;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::http::{HeaderMap, header};
use bangfu_core::sync::op::Operation;
use bangfu_core::sync::wire::PROTOCOL_VERSION;
use bangfu_core::sync::wire::PushRequest;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::error::Category;
use serde_json::value::RawValue;
use uuid::Uuid;

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;

/// A request body's `Content-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Zstd,
}

/// Requires `Content-Type: application/json` (parameters such as `charset=utf-8` allowed).
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let unsupported = |msg: &str| {
        ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            msg,
        )
    };
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(unsupported(
            "the request has no Content-Type: send `Content-Type: application/json`",
        ));
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("application/json") {
        Ok(())
    } else {
        Err(unsupported(
            "the request body must be JSON: send `Content-Type: application/json`",
        ))
    }
}

/// The request's `Content-Encoding`: none, `identity`, `gzip` or `zstd`.
pub fn encoding(headers: &HeaderMap) -> Result<Encoding, ApiError> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(Encoding::Identity);
    };
    match value
        .to_str()
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        Ok("" | "identity") => Ok(Encoding::Identity),
        Ok("gzip" | "x-gzip") => Ok(Encoding::Gzip),
        Ok("zstd") => Ok(Encoding::Zstd),
        _ => Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            "the request's Content-Encoding is not supported: send it plain, gzip or zstd \
             (one encoding)",
        )),
    }
}

fn too_large(max: u64) -> ApiError {
    ApiError::too_large(
        "body_too_large",
        format!(
            "the request body is larger than {max} bytes (after decompression): push fewer operations per request"
        ),
    )
}

/// 408 `body_timeout`: the body did not arrive within the server's body deadline.
pub fn timed_out() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        "the request body did not arrive in time: check the connection and send it again \
         (a slow link: send fewer operations per request)",
    )
}

fn unreadable(e: &axum::Error) -> ApiError {
    if super::serve::is_deadline(e) {
        timed_out()
    } else {
        ApiError::bad_request(
            "body_unreadable",
            "the request body could not be read to its end: send it again",
        )
    }
}

/// Reads the raw body, at most `max` bytes.
pub async fn read(body: Body, max: u64) -> Result<Bytes, ApiError> {
    read_counted(body, max, None).await.map(|(b, _)| b)
}

/// Reads the raw body, at most `max` bytes, each byte counted against `budget` (when given) as
/// it arrives: the permits are held by the caller until it is done with the bytes. A read waiting
/// for the budget waits for other bodies to be done with theirs.
pub async fn read_counted(
    mut body: Body,
    max: u64,
    budget: Option<&Arc<Semaphore>>,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), ApiError> {
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    // Sized once from Content-Length (bounded by the limit), not grown step by step.
    let hint = usize::try_from(axum::body::HttpBody::size_hint(&body).lower()).unwrap_or(0);
    let mut held: Option<OwnedSemaphorePermit> = None;
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| unreadable(&e))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if out.len().saturating_add(data.len()) > limit {
            drain(body, max).await;
            return Err(too_large(max));
        }
        if let Some(budget) = budget {
            let n = u32::try_from(data.len()).unwrap_or(u32::MAX);
            let permit =
                budget.clone().acquire_many_owned(n).await.map_err(|_| {
                    ApiError::internal("the server is shutting down; try again later")
                })?;
            match &mut held {
                Some(h) => h.merge(permit),
                None => held = Some(permit),
            }
        }
        if out.capacity() == 0 {
            out.reserve_exact(hint.min(limit).max(data.len()));
        }
        out.extend_from_slice(&data);
    }
    Ok((Bytes::from(out), held))
}

/// Reads and discards what is left of a refused body (at most `max` more bytes, for at most
/// [`DRAIN_FOR`]) before the 413 is sent: a server that answers and closes while the client is
/// still sending makes the client see a reset connection instead of the answer, and a sync
/// client would retry the same body instead of sending less.
async fn drain(mut body: Body, max: u64) {
    let mut left = max;
    let _ = tokio::time::timeout(DRAIN_FOR, async {
        while let Some(Ok(frame)) = body.frame().await {
            let n = frame.data_ref().map_or(0, |d| d.len() as u64);
            left = left.saturating_sub(n);
            if left == 0 {
                break;
            }
        }
    })
    .await;
}

/// See [`drain`].
const DRAIN_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// Decodes the body, refusing more than `max` decoded bytes (a decompression bomb is cut off).
pub fn decode(raw: Bytes, encoding: Encoding, max: u64) -> Result<Bytes, ApiError> {
    let bad = |what: &str| {
        ApiError::bad_request(
            "bad_encoding",
            format!("the request body is not valid {what}: compress it again or send it plain"),
        )
    };
    let mut out = Vec::new();
    let cap = max.saturating_add(1);
    let read = match encoding {
        Encoding::Identity => return Ok(raw),
        Encoding::Gzip => flate2::read::MultiGzDecoder::new(&raw[..])
            .take(cap)
            .read_to_end(&mut out)
            .map_err(|_| bad("gzip"))?,
        Encoding::Zstd => {
            // A frame that says its size (the client's do) is read into a buffer of that size
            // at once (never more than the limit, whatever it says), not one grown step by step.
            if let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(&raw) {
                out.reserve(usize::try_from(size.min(cap)).unwrap_or(0));
            }
            let decoder = zstd::stream::read::Decoder::new(&raw[..]).map_err(|_| bad("zstd"))?;
            decoder
                .take(cap)
                .read_to_end(&mut out)
                .map_err(|_| bad("zstd"))?
        }
    };
    if read as u64 > max {
        return Err(too_large(max));
    }
    Ok(Bytes::from(out))
}

/// Replaces every double-quoted part of a parser message by `"…"`: serde quotes the offending
/// value, which may be personal data, and error messages never carry any.
fn redact(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut inside = false;
    for c in msg.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"…\"");
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// A path as `ops[3].colour` (the form serde_path_to_error uses).
fn path_text(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", path_text(parent)),
        Path::Map { parent, key } => {
            let p = path_text(parent);
            if p.is_empty() {
                key.clone()
            } else {
                format!("{p}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => path_text(parent),
    }
}

/// The outer shape of a push request; the operations are parsed one by one afterwards.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    device_id: Uuid,
    #[serde(borrow)]
    ops: Vec<&'a RawValue>,
}

fn invalid(path: &str, e: &serde_json::Error) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_message",
        format!("`{path}`: {}", redact(&e.to_string())),
    )
}

fn unknown_field(path: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_message",
        format!(
            "`{path}` is not a field of a push request: this server speaks protocol {} \
             (see GET /v1/version)",
            PROTOCOL_VERSION
        ),
    )
}

/// Parses operation `i`, refusing fields the protocol does not have. The path of a problem is
/// tracked only on a second pass, when there is one (tracking costs a third of the parse).
/// [`Operation`] with unknown fields refused: parsed with plain `serde_json`, the common case's
/// fast path. Only when it fails does [`parse_op`] parse again with `serde_ignored` and
/// `serde_path_to_error` to name the problem. Its fields must be exactly `Operation`'s (test
/// `strict_op_mirrors_operation`): it may refuse more than `Operation` (costing only the slow
/// path), never accept more.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictOp {
    op_id: Uuid,
    origin_device: Uuid,
    origin_seq: u64,
    hlc: bangfu_core::sync::hlc::Hlc,
    entity: String,
    entity_id: Uuid,
    #[serde(default)]
    create: bool,
    fields: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    base: std::collections::BTreeMap<String, Vec<Uuid>>,
    scope_path: String,
    schema_version: u32,
    author: Uuid,
    recorded_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<StrictOp> for Operation {
    fn from(o: StrictOp) -> Operation {
        Operation {
            op_id: o.op_id,
            origin_device: o.origin_device,
            origin_seq: o.origin_seq,
            hlc: o.hlc,
            entity: o.entity,
            entity_id: o.entity_id,
            create: o.create,
            fields: o.fields,
            base: o.base,
            scope_path: o.scope_path,
            schema_version: o.schema_version,
            author: o.author,
            recorded_at: o.recorded_at,
        }
    }
}

fn parse_op(i: usize, raw: &RawValue) -> Result<Operation, ApiError> {
    if let Ok(op) = serde_json::from_str::<StrictOp>(raw.get()) {
        return Ok(op.into());
    }
    let mut unknown: Option<String> = None;
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let fast: Result<Operation, _> = serde_ignored::deserialize(&mut de, |path| {
        if unknown.is_none() {
            unknown = Some(path_text(&path));
        }
    });
    match (fast, unknown) {
        (Ok(op), None) => Ok(op),
        (Ok(_), Some(path)) => Err(unknown_field(&format!("ops[{i}].{path}"))),
        (Err(_), _) => {
            let mut de = serde_json::Deserializer::from_str(raw.get());
            let mut track = serde_path_to_error::Track::new();
            let tracked = serde_path_to_error::Deserializer::new(&mut de, &mut track);
            let e = match Operation::deserialize(tracked) {
                Err(e) => e,
                // Cannot happen (the same input failed above); refuse it plainly all the same.
                Ok(_) => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_message",
                        format!("`ops[{i}]` is not a valid operation"),
                    ));
                }
            };
            let inner = track.path().to_string();
            let path = if inner == "." {
                format!("ops[{i}]")
            } else {
                format!("ops[{i}].{inner}")
            };
            Err(invalid(&path, &e))
        }
    }
}

/// Parses the operations in order; the first error by position is reported. One thread: a
/// device keeps two pushes in flight, so one is parsed while the other is written, and parsing on
/// further threads (measured on 2 cores) only made the pushes slower: each new thread took fresh
/// memory from the kernel and competed with the writer.
fn parse_ops(raw: &[&RawValue]) -> Result<Vec<Operation>, ApiError> {
    raw.iter()
        .enumerate()
        .map(|(i, r)| parse_op(i, r))
        .collect()
}

/// Parses a push request. Malformed JSON → 400 `malformed_json`; well-formed JSON that is not a
/// push request (a missing field, a wrong type, an unknown field) → 422 `invalid_message`, naming
/// the path of the first problem; more than `max_ops` operations → 413 `too_many_ops`.
pub fn parse_push(bytes: &[u8], max_ops: usize) -> Result<PushRequest, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut track = serde_path_to_error::Track::new();
    let parsed: Result<Envelope<'_>, _> = {
        let tracked = serde_path_to_error::Deserializer::new(&mut de, &mut track);
        Envelope::deserialize(tracked)
    };
    let envelope = match parsed {
        Ok(env) => env,
        Err(e) => {
            let at = e.line();
            return Err(match e.classify() {
                Category::Data => invalid(&track.path().to_string(), &e),
                Category::Eof => ApiError::bad_request(
                    "malformed_json",
                    "the request body ends in the middle of the JSON: send it whole",
                ),
                Category::Syntax | Category::Io => ApiError::bad_request(
                    "malformed_json",
                    format!(
                        "the request body is not valid JSON (line {at}): {}",
                        redact(&e.to_string())
                    ),
                ),
            });
        }
    };
    if de.end().is_err() {
        return Err(ApiError::bad_request(
            "malformed_json",
            "the request body has something after the JSON value: send one JSON object",
        ));
    }
    if envelope.ops.len() > max_ops {
        return Err(ApiError::too_large(
            "too_many_ops",
            format!("a push carries at most {max_ops} operations: send the rest in further pushes"),
        ));
    }
    Ok(PushRequest {
        device_id: envelope.device_id,
        ops: parse_ops(&envelope.ops)?,
        // Stored as each operation's body: every one parsed strictly (no unknown field) to
        // its operation, so the text says exactly what the operation says.
        ops_json: envelope.ops.iter().map(|r| r.get().to_owned()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_op_mirrors_operation() {
        // Every field an operation serializes (`base` included) is one StrictOp reads …
        let mut op = bangfu_core::sync::op::Operation {
            op_id: Uuid::from_u128(1),
            origin_device: Uuid::from_u128(2),
            origin_seq: 1,
            hlc: bangfu_core::sync::hlc::Hlc::new(1_700_000_000_000, 0),
            entity: "visit".into(),
            entity_id: Uuid::from_u128(3),
            create: true,
            fields: [("problems".to_owned(), serde_json::json!("x"))].into(),
            base: [("problems".to_owned(), vec![Uuid::from_u128(4)])].into(),
            scope_path: "360722".into(),
            schema_version: 1,
            author: Uuid::from_u128(5),
            recorded_at: "2024-05-01T10:00:00+08:00".parse().expect("time"),
        };
        let json = serde_json::to_string(&op).expect("json");
        let strict: Operation = serde_json::from_str::<StrictOp>(&json)
            .expect("strict")
            .into();
        assert_eq!(strict, op);
        // … and StrictOp reads nothing else: each of its fields is required or defaulted just as in
        // Operation (dropping one of Operation's required fields fails both ways).
        let value = serde_json::to_value(&op).expect("json");
        let keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
        for key in keys {
            let mut v = value.clone();
            v.as_object_mut().expect("object").remove(&key);
            let plain = serde_json::from_value::<Operation>(v.clone()).is_ok();
            let strict = serde_json::from_value::<StrictOp>(v).is_ok();
            assert_eq!(plain, strict, "{key}");
        }
        let mut extra = value.clone();
        extra["colour"] = serde_json::json!("red");
        assert!(serde_json::from_value::<StrictOp>(extra).is_err());
        op.base.clear();
        let json = serde_json::to_string(&op).expect("json");
        assert!(serde_json::from_str::<StrictOp>(&json).is_ok());
    }

    #[test]
    fn quoted_values_are_redacted() {
        assert_eq!(
            redact(r#"invalid type: string "张三", expected u64 at line 1"#),
            r#"invalid type: string "…", expected u64 at line 1"#
        );
    }

    #[test]
    fn json_errors_are_classified() {
        let code = |s: &str| parse_push(s.as_bytes(), 10).map_err(|e| (e.status.as_u16(), e.code));
        assert_eq!(code("{").err(), Some((400, "malformed_json")));
        assert_eq!(code("nope").err(), Some((400, "malformed_json")));
        assert_eq!(code("{} x").err(), Some((422, "invalid_message")));
        assert_eq!(
            code(r#"{"device_id": 5, "ops": []}"#).err(),
            Some((422, "invalid_message"))
        );
        let ok = r#"{"device_id": "0190a000-0000-7000-8000-000000000001", "ops": []}"#;
        assert!(code(ok).is_ok());
        let extra = r#"{"device_id": "0190a000-0000-7000-8000-000000000001", "ops": [], "x": 1}"#;
        assert_eq!(code(extra).err(), Some((422, "invalid_message")));
        let trailing = r#"{"device_id": "0190a000-0000-7000-8000-000000000001", "ops": []} x"#;
        assert_eq!(code(trailing).err(), Some((400, "malformed_json")));
    }
}
