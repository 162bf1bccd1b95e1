//! Bodies and errors of the HTTP transport: compressing requests, decompressing answers (with a
//! size limit), estimating header bytes and classifying failures.

use std::io::Read;
use std::time::Duration;

use bangfu_core::sync::wire::ErrorBody;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::transport::TransportError;

/// How request bodies are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestEncoding {
    /// `Content-Encoding: zstd` (the default: the best ratio per CPU on a phone).
    #[default]
    Zstd,
    /// `Content-Encoding: gzip`, for a server or proxy that does not take zstd.
    Gzip,
    /// Uncompressed.
    Identity,
}

impl RequestEncoding {
    /// The `Content-Encoding` value, `None` for identity.
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            RequestEncoding::Zstd => Some("zstd"),
            RequestEncoding::Gzip => Some("gzip"),
            RequestEncoding::Identity => None,
        }
    }
}

/// Encodes a request body.
pub fn encode(
    json: Vec<u8>,
    encoding: RequestEncoding,
    level: i32,
) -> Result<Vec<u8>, TransportError> {
    match encoding {
        RequestEncoding::Identity => Ok(json),
        RequestEncoding::Zstd => zstd::bulk::compress(&json, level)
            .map_err(|e| TransportError::Config(format!("zstd compression failed: {e}"))),
        RequestEncoding::Gzip => {
            use std::io::Write;
            let level = flate2::Compression::new(level.clamp(0, 9).unsigned_abs());
            let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 4), level);
            enc.write_all(&json)
                .and_then(|()| enc.finish())
                .map_err(|e| TransportError::Config(format!("gzip compression failed: {e}")))
        }
    }
}

/// Decodes an answer's body by its `Content-Encoding`, refusing more than `limit` decoded bytes
/// (a decompression bomb or a runaway answer).
pub fn decode(
    raw: &[u8],
    content_encoding: Option<&str>,
    limit: u64,
) -> Result<Vec<u8>, TransportError> {
    let encoding = content_encoding.map(|v| v.trim().to_ascii_lowercase());
    let mut out = Vec::new();
    let read = match encoding.as_deref() {
        None | Some("") | Some("identity") => {
            out.extend_from_slice(raw);
            Ok(raw.len())
        }
        Some("zstd") => zstd::stream::read::Decoder::new(raw)
            .and_then(|d| d.take(limit.saturating_add(1)).read_to_end(&mut out)),
        Some("gzip") | Some("x-gzip") => flate2::read::MultiGzDecoder::new(raw)
            .take(limit.saturating_add(1))
            .read_to_end(&mut out),
        Some(other) => {
            return Err(TransportError::BadResponse(format!(
                "unknown content encoding `{other}`"
            )));
        }
    };
    read.map_err(|e| TransportError::BadResponse(format!("cannot decompress the answer: {e}")))?;
    if out.len() as u64 > limit {
        return Err(TransportError::BadResponse(format!(
            "the answer is larger than {limit} bytes once decompressed"
        )));
    }
    Ok(out)
}

/// Estimated size of a header block: `name: value\r\n` per header and the final `\r\n`.
pub fn headers_len(headers: &HeaderMap) -> u64 {
    let fields: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + 2 + v.len() + 2)
        .sum();
    (fields + 2) as u64
}

/// `Retry-After` in seconds (the HTTP-date form is ignored).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The error for a non-2xx answer whose (decoded) body is `body`.
pub fn status_error(status: u16, headers: &HeaderMap, body: &[u8]) -> TransportError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let retry_after = retry_after(headers);
    match status {
        500..=599 => TransportError::Server {
            status,
            body: parsed,
            retry_after,
        },
        400..=499 => match parsed {
            Some(body) => TransportError::Refused {
                status,
                body,
                retry_after,
            },
            None => TransportError::Refused {
                status,
                body: ErrorBody {
                    code: format!("http_{status}"),
                    message: snippet(body),
                },
                retry_after,
            },
        },
        _ => TransportError::BadResponse(format!("unexpected HTTP status {status}")),
    }
}

/// The start of a body that is not the protocol's JSON, for an error message.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > 120 {
        format!("{one_line}…")
    } else {
        one_line
    }
}

/// An error and its sources, as one line.
fn detail(e: &reqwest::Error) -> String {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    detail
}

/// Classifies a failure while reading an answer's body. reqwest reports it as a "decode" error,
/// but its own decoders are off (the transport decodes bodies itself), so it is the connection
/// that failed half-way: a cut (or a timeout), worth retrying, never a bad answer.
pub fn map_body_read(e: &reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else {
        TransportError::Cut(detail(e))
    }
}

/// Classifies a failure of the HTTP stack.
pub fn map_reqwest(e: &reqwest::Error) -> TransportError {
    let detail = detail(e);
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() {
        TransportError::Connect(detail)
    } else if e.is_builder() {
        TransportError::Config(detail)
    } else if e.is_redirect() || e.is_decode() {
        TransportError::BadResponse(detail)
    } else {
        TransportError::Cut(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip() {
        let json = br#"{"device_id":"x","ops":[]}"#.repeat(50);
        for enc in [
            RequestEncoding::Zstd,
            RequestEncoding::Gzip,
            RequestEncoding::Identity,
        ] {
            let body = encode(json.clone(), enc, 3).expect("encode");
            if enc != RequestEncoding::Identity {
                assert!(body.len() < json.len() / 5, "{enc:?} compresses");
            }
            let back = decode(&body, enc.header_value(), 1 << 20).expect("decode");
            assert_eq!(back, json);
        }
    }

    #[test]
    fn oversized_garbled_and_unknown_bodies_are_bad_responses() {
        let big = encode(vec![b'a'; 10_000], RequestEncoding::Zstd, 3).expect("encode");
        assert!(matches!(
            decode(&big, Some("zstd"), 9_999),
            Err(TransportError::BadResponse(_))
        ));
        assert!(decode(&big, Some("zstd"), 10_000).is_ok());
        assert!(matches!(
            decode(b"not zstd", Some("zstd"), 100),
            Err(TransportError::BadResponse(_))
        ));
        assert!(matches!(
            decode(b"x", Some("br"), 100),
            Err(TransportError::BadResponse(_))
        ));
    }

    #[test]
    fn status_errors_keep_the_error_body() {
        let h = HeaderMap::new();
        let body = br#"{"code":"bad_request","message":"ops must not be empty"}"#;
        match status_error(400, &h, body) {
            TransportError::Refused { status, body, .. } => {
                assert_eq!((status, body.code.as_str()), (400, "bad_request"));
            }
            other => panic!("{other:?}"),
        }
        match status_error(404, &h, b"<html>Not Found</html>") {
            TransportError::Refused { body, .. } => assert_eq!(body.code, "http_404"),
            other => panic!("{other:?}"),
        }
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, reqwest::header::HeaderValue::from_static("7"));
        let e = status_error(503, &h, b"");
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    }
}
