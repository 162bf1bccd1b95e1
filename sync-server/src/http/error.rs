//! [`ApiError`]: every refusal of a request, answered as JSON [`ErrorBody`] with a 4xx status
//! (a 5xx only for the server's own faults).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bangfu_core::sync::wire::ErrorBody;

use crate::auth::AuthError;
use crate::error::StorageError;

/// A refused request: status, stable code and a message saying what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn too_large(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        // Storage messages name tables and codes, never record contents.
        tracing::error!(error = %e, "storage error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storage_error",
            "the server could not read or write its database; try again later",
        )
    }
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The code only: messages may name fields, never values, but logs stay leaner still.
        if self.status.is_client_error() {
            tracing::info!(
                status = self.status.as_u16(),
                code = self.code,
                "request refused"
            );
        }
        let body = ErrorBody {
            code: self.code.to_owned(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}
