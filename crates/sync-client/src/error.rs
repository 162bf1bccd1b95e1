//! Why a sync stopped, with a stable code for the app and a plain Chinese message saying what to
//! do next. Whatever the error, nothing saved on the phone is lost: every step commits before the
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

    /// What the user should do, in plain Chinese. Never contains personal data.
    pub fn message_zh(&self) -> String {
        const KEPT: &str = "已录入的数据都保存在手机上，不会丢失。";
        const ADMIN: &str = "请把这条提示截图发给县里的系统管理员。";
        match self {
            SyncError::Transport(t) => match t {
                TransportError::Connect(_) => {
                    format!("无法连接服务器，请检查网络（手机信号或 Wi-Fi）后重试。{KEPT}")
                }
                TransportError::Cut(_) => {
                    format!("网络连接中断，同步没有完成。请到信号好的地方重试，已经同步的部分不用重传。{KEPT}")
                }
                TransportError::Timeout => {
                    format!("网络太慢，服务器长时间没有回应。请到信号好的地方（如乡镇有 Wi-Fi 处）重试。{KEPT}")
                }
                TransportError::Server { .. } => {
                    format!("服务器暂时出了问题，请过一会儿再同步；如果一直这样，{ADMIN}{KEPT}")
                }
                TransportError::Refused { status, body, .. } => match status {
                    401 => format!("登录已失效，请重新登录后再同步。{KEPT}"),
                    403 => format!("您的账号没有同步这些数据的权限，请联系乡镇或县里的管理员。{KEPT}"),
                    404 => format!("找不到同步服务，可能是服务器地址设置错了。请核对设置中的服务器地址，或联系系统管理员。{KEPT}"),
                    408 | 429 => format!("服务器正忙，请过几分钟再同步。{KEPT}"),
                    _ => format!("服务器拒绝了这次同步（错误代码：{}）。{ADMIN}{KEPT}", body.code),
                },
                TransportError::BadResponse(_) => format!(
                    "收到的回复不是同步服务器发来的。如果连的是需要登录的公共 Wi-Fi，请先在浏览器里登录；否则{ADMIN}{KEPT}"
                ),
                TransportError::VersionMismatch { server, client } if server > client => {
                    format!("应用版本太旧，请先升级应用再同步。{KEPT}")
                }
                TransportError::VersionMismatch { .. } => {
                    format!("服务器版本比应用旧，暂时不能同步，请联系县里的系统管理员升级服务器。{KEPT}")
                }
                TransportError::Config(_) => {
                    format!("同步设置有误（服务器地址不对或不支持）。请核对设置中的服务器地址，或联系系统管理员。{KEPT}")
                }
            },
            SyncError::Store(_) => "手机上的数据读写出错，同步已停止。请确认手机存储空间充足，重启应用后再试；如果仍然出错，请联系系统管理员。".to_owned(),
            SyncError::Protocol(_) | SyncError::Stuck { .. } => {
                format!("服务器的回复不正常，同步已停止。{ADMIN}{KEPT}")
            }
            SyncError::MissingLocalOps { .. } => {
                format!("服务器缺少本机以前上传的数据，而手机上已不再保存。请不要删除应用，{ADMIN}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_messages_say_what_to_do() {
        let e = SyncError::from(TransportError::Connect("refused".into()));
        assert_eq!(e.code(), "offline");
        assert!(e.message_zh().contains("请检查网络"));
        assert!(e.is_retryable());
        let e = SyncError::from(TransportError::refused_without_body(400, "x"));
        assert_eq!(e.code(), "refused");
        assert_eq!(e.server_code(), Some("http_400"));
        assert!(e.message_zh().contains("http_400"));
        assert!(!e.is_retryable());
        let old_app = SyncError::from(TransportError::VersionMismatch {
            server: 2,
            client: 1,
        });
        assert!(old_app.message_zh().contains("升级应用"));
        assert_eq!(SyncError::Stuck { device_seq: 3 }.code(), "push_stuck");
    }
}
