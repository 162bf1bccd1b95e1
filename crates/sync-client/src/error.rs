//! Why a sync stopped, with a stable code for the app (the Chinese words for each code are
//! written once, in the app's `ErrorCode`). Whatever the error, nothing saved on the phone is lost: every step commits before the
//! next, and the next sync resumes where this one stopped.

use crate::transport::TransportError;

/// Why [`crate::sync`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A request failed for good (after its retries, or at once when retrying cannot help).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The device's own store failed (disk full, database error).
    #[error("device store: {0}")]
    Store(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The server answered with well-formed JSON that breaks the protocol's rules (results that do
    /// not cover the pushed operations, a cursor that goes backwards…).
    #[error("the server broke the sync protocol: {0}")]
    Protocol(String),
    /// The server keeps answering pushes without processing anything.
    #[error("the server processes none of this device's operations (it stays at {device_seq})")]
    Stuck { device_seq: u64 },
    /// The server needs operations from `from` on, but the device no longer has them all (the
    /// first it has is `found`, or none).
    #[error("the server needs this device's operations from {from}, the device has from {found:?}")]
    MissingLocalOps { from: u64, found: Option<u64> },
}

impl SyncError {
    pub(crate) fn store(e: impl std::error::Error + Send + Sync + 'static) -> SyncError {
        SyncError::Store(Box::new(e))
    }

    /// A stable code for the app (never parse the messages).
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Transport(t) => match t {
                TransportError::Connect(_) => "offline",
                TransportError::Cut(_) => "connection_lost",
                TransportError::Timeout => "timeout",
                TransportError::Server { .. } => "server_unavailable",
                TransportError::Refused { status, .. } => match status {
                    401 => "unauthorized",
                    403 => "forbidden",
                    404 => "not_found",
                    408 | 429 => "server_busy",
                    413 => "too_large",
                    _ => "refused",
                },
                TransportError::BadResponse(_) => "bad_response",
                TransportError::VersionMismatch { .. } => "version_mismatch",
                TransportError::Config(_) => "config",
            },
            SyncError::Store(_) => "device_storage",
            SyncError::Protocol(_) => "protocol_violation",
            SyncError::Stuck { .. } => "push_stuck",
            SyncError::MissingLocalOps { .. } => "local_ops_missing",
        }
    }

    /// Whether syncing again later (when the network is better) may succeed without anyone
    /// changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Transport(t) => t.is_retryable(),
            SyncError::Store(_) => true,
            SyncError::Protocol(_)
            | SyncError::Stuck { .. }
            | SyncError::MissingLocalOps { .. } => false,
        }
    }

    /// The server's own error code, when it refused the request with one.
    pub fn server_code(&self) -> Option<&str> {
        match self {
            SyncError::Transport(TransportError::Refused { body, .. }) => Some(&body.code),
            SyncError::Transport(TransportError::Server { body: Some(b), .. }) => Some(&b.code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let e = SyncError::from(TransportError::Connect("refused".into()));
        assert_eq!(e.code(), "offline");
        assert!(e.is_retryable());
        let e = SyncError::from(TransportError::refused_without_body(400, "x"));
        assert_eq!(e.code(), "refused");
        assert_eq!(e.server_code(), Some("http_400"));
        assert!(!e.is_retryable());
        let old_app = SyncError::from(TransportError::VersionMismatch {
            server: 2,
            client: 1,
        });
        assert_eq!(old_app.code(), "version_mismatch");
        assert_eq!(SyncError::Stuck { device_seq: 3 }.code(), "push_stuck");
    }
}
