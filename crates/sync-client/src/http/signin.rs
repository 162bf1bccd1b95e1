//! Signing a device in (`POST /v1/auth/signin`), with the server's answers sorted into what the
//! enrol screen tells the user.

use bangfu_core::sync::wire::{SignInRequest, SignInResponse};
use reqwest::Method;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::HttpTransport;
use crate::transport::TransportError;

/// Seconds to wait after a 429 that did not say how long.
const DEFAULT_SLOW_DOWN_S: u32 = 60;

/// Why a sign-in failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// 401: the name or the password is wrong (an unknown name alike).
    #[error("the server refused the user name or password")]
    BadCredentials,
    /// 429: too many attempts; try again after the wait.
    #[error("the server asks to wait {retry_after_s} s")]
    SlowDown { retry_after_s: u32 },
    /// Another refusal (403 `auth_disabled`, `auth_device_revoked`, `auth_device_taken`, …):
    /// `code` is the server's code, `not_found` for a 404 without one.
    #[error("the server refused: {status} {code}")]
    Refused { status: u16, code: String },
    /// The server failed (5xx).
    #[error("the server failed (5xx)")]
    ServerUnavailable,
    /// No connection, or it broke on the way.
    #[error("the server cannot be reached")]
    Offline,
    #[error("the server did not answer in time")]
    Timeout,
    /// The address cannot be used (malformed, or HTTPS without TLS built in).
    #[error("the server address cannot be used: {0}")]
    BadServerUrl(String),
    /// The answer is not the sync server's (a captive portal's page, say).
    #[error("the answer is not the sync server's: {0}")]
    BadResponse(String),
}

impl From<TransportError> for SignInError {
    fn from(e: TransportError) -> SignInError {
        match e {
            TransportError::Connect(_) | TransportError::Cut(_) => SignInError::Offline,
            TransportError::Timeout => SignInError::Timeout,
            TransportError::Server { .. } => SignInError::ServerUnavailable,
            TransportError::Refused { status: 401, .. } => SignInError::BadCredentials,
            TransportError::Refused {
                status: 429,
                retry_after,
                ..
            } => SignInError::SlowDown {
                retry_after_s: retry_after.map_or(DEFAULT_SLOW_DOWN_S, |d| {
                    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
                }),
            },
            // Without the server's error body (`http_<status>`): a 404 is a wrong address, any
            // other status an answer from something that is not the sync server.
            TransportError::Refused { status, body, .. }
                if body.code == format!("http_{status}") =>
            {
                if status == 404 {
                    SignInError::Refused {
                        status,
                        code: "not_found".to_owned(),
                    }
                } else {
                    SignInError::BadResponse(format!("{status} without an error body"))
                }
            }
            TransportError::Refused { status, body, .. } => SignInError::Refused {
                status,
                code: body.code,
            },
            TransportError::BadResponse(why) => SignInError::BadResponse(why),
            TransportError::VersionMismatch { server, client } => SignInError::BadResponse(
                format!("protocol version {server}, this client speaks {client}"),
            ),
            TransportError::Config(why) => SignInError::BadServerUrl(why),
        }
    }
}

impl HttpTransport {
    /// `POST /v1/auth/signin`: signs the device in (online, once); put the answer's token in
    /// [`super::HttpOptions::token`]. `A` is what the caller reads of the account (the server
    /// sends `{username, display_name, role, person_id, unit_id, area_path, …}`).
    pub async fn sign_in<A: DeserializeOwned>(
        &self,
        username: &str,
        password: &str,
        device_id: Uuid,
        device_name: &str,
    ) -> Result<SignInResponse<A>, SignInError> {
        let request = SignInRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            device_id,
            device_name: device_name.to_owned(),
        };
        let json = serde_json::to_vec(&request)
            .map_err(|e| TransportError::Config(format!("cannot encode the sign-in: {e}")))?;
        let url = self.url("v1/auth/signin")?;
        Ok(self.call(Method::POST, url, Some(json)).await?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bangfu_core::sync::wire::ErrorBody;

    use super::*;

    fn refused(status: u16, code: &str, retry_after: Option<Duration>) -> TransportError {
        TransportError::Refused {
            status,
            body: ErrorBody {
                code: code.to_owned(),
                message: String::new(),
            },
            retry_after,
        }
    }

    #[test]
    fn the_servers_answers_become_what_the_enrol_screen_says() {
        let e = |t| SignInError::from(t);
        assert_eq!(
            e(refused(401, "auth_bad_credentials", None)),
            SignInError::BadCredentials
        );
        assert_eq!(
            e(refused(
                429,
                "auth_slow_down",
                Some(Duration::from_secs(90))
            )),
            SignInError::SlowDown { retry_after_s: 90 }
        );
        assert_eq!(
            e(refused(429, "http_429", None)),
            SignInError::SlowDown { retry_after_s: 60 }
        );
        assert_eq!(
            e(refused(403, "auth_device_taken", None)),
            SignInError::Refused {
                status: 403,
                code: "auth_device_taken".into()
            }
        );
        assert_eq!(
            e(refused(404, "http_404", None)),
            SignInError::Refused {
                status: 404,
                code: "not_found".into()
            }
        );
        assert!(matches!(
            e(refused(418, "http_418", None)),
            SignInError::BadResponse(_)
        ));
        assert_eq!(
            e(TransportError::Server {
                status: 503,
                body: None,
                retry_after: None
            }),
            SignInError::ServerUnavailable
        );
        assert_eq!(e(TransportError::Timeout), SignInError::Timeout);
        assert_eq!(
            e(TransportError::Connect("refused".into())),
            SignInError::Offline
        );
    }
}
