//! [`AppError`]: everything a command can refuse or fail at. The UI receives it as
//! [`ErrorBody`] `{code, message, retry_after_s, fields}`: a stable `code` for the program (never
//! match the message), and a Simplified Chinese `message` that says what happened and what to do.
//! Messages never contain personal data (names, ID numbers, phone numbers, sums).

use bangfu_core::validate::ValidationError;
use bangfu_store::StoreError;
use bangfu_sync_client::SignInError;
use bangfu_sync_client::server_url::ServerUrlError;
use serde::Serialize;
use ts_rs::TS;

pub use crate::error_code::ErrorCode;

/// One wrong field of a form: which field (a path like `checks.water.note` or `items[2].amount_fen`),
/// a stable code and a Chinese message saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl From<&ValidationError> for FieldError {
    fn from(e: &ValidationError) -> Self {
        FieldError {
            field: e.field.clone(),
            code: e.code.to_owned(),
            message: e.message_zh.clone(),
        }
    }
}

/// The error as the UI receives it (the rejected value of `invoke`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "AppError")]
pub struct ErrorBody {
    /// What happened, for the program (see [`AppError::code`]).
    pub code: ErrorCode,
    /// Simplified Chinese: what happened and what to do.
    pub message: String,
    /// Wait this long before trying again (PIN lock-out, server asking to slow down).
    pub retry_after_s: Option<u32>,
    /// The wrong fields of a form (`code = invalid`), each with its own message.
    pub fields: Vec<FieldError>,
}

/// Everything a command can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no account is enrolled on this device")]
    NotEnrolled,
    #[error("the app is locked: unlock with the PIN")]
    Locked,
    #[error("the PIN does not match")]
    PinWrong { attempts_before_wait: u32 },
    #[error("too many wrong PINs: wait {retry_after_s} s")]
    PinLocked { retry_after_s: u32 },
    #[error("a PIN is 6 digits")]
    PinFormat,
    #[error("the server address is not a valid http(s) address")]
    BadServerUrl,
    #[error("plain http to a host that may be on the open internet: use https")]
    InsecureServerUrl,
    #[error("the server cannot be reached")]
    Offline,
    #[error("the server did not answer in time")]
    Timeout,
    #[error("the server refused the user name or password")]
    BadCredentials,
    #[error("the server asks to wait {retry_after_s} s")]
    SlowDown { retry_after_s: u32 },
    /// The server refused (403, 4xx with its own code). `code` is the server's code.
    #[error("the server refused: {status} {code}")]
    ServerRefused { status: u16, code: String },
    #[error("the server failed (5xx)")]
    ServerUnavailable,
    #[error("the server answered something that is not the bangfu server's answer")]
    BadResponse,
    /// Form input is wrong; nothing was saved.
    #[error("{} field(s) are wrong", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the household is not among this account's households")]
    NotInScope,
    #[error("no data on this device yet: sync first")]
    NoData,
    #[error("the device's storage is full")]
    DiskFull,
    #[error("store: {0}")]
    Store(StoreError),
    #[error("file: {0}")]
    Io(std::io::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Invalid(errors) => {
                AppError::Invalid(errors.iter().map(FieldError::from).collect())
            }
            _ if e.code() == ErrorCode::DiskFull.as_str() => AppError::DiskFull,
            _ => AppError::Store(e),
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                AppError::DiskFull
            }
            _ => AppError::Io(e),
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        // serde's message may quote the value: keep only where it failed.
        AppError::Internal(format!(
            "JSON {:?} error at line {}, column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    }
}

pub(crate) fn invalid(field: &str, code: &str, message: &str) -> AppError {
    AppError::Invalid(vec![FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }])
}

impl AppError {
    /// The stable code the UI acts on.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::NotEnrolled => ErrorCode::NotEnrolled,
            AppError::Locked => ErrorCode::Locked,
            AppError::PinWrong { .. } => ErrorCode::PinWrong,
            AppError::PinLocked { .. } => ErrorCode::PinLocked,
            AppError::PinFormat => ErrorCode::PinFormat,
            AppError::BadServerUrl => ErrorCode::BadServerUrl,
            AppError::InsecureServerUrl => ErrorCode::InsecureServerUrl,
            AppError::Offline => ErrorCode::Offline,
            AppError::Timeout => ErrorCode::Timeout,
            AppError::BadCredentials => ErrorCode::AuthBadCredentials,
            AppError::SlowDown { .. } => ErrorCode::AuthSlowDown,
            AppError::ServerRefused { status, code } => refused_code(*status, code),
            AppError::ServerUnavailable => ErrorCode::ServerUnavailable,
            AppError::BadResponse => ErrorCode::BadResponse,
            AppError::Invalid(_) => ErrorCode::Invalid,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::NotInScope => ErrorCode::NotInScope,
            AppError::NoData => ErrorCode::NoData,
            AppError::DiskFull => ErrorCode::DiskFull,
            AppError::Store(e) => ErrorCode::parse(e.code()).unwrap_or(ErrorCode::Sqlite),
            AppError::Io(_) => ErrorCode::FileError,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What happened and what to do, in Simplified Chinese: the code's words
    /// ([`ErrorCode::message`], [`ErrorCode::what_to_do`]) with this error's particulars.
    pub fn message_zh(&self) -> String {
        let code = self.code();
        let (what, todo) = (code.message(), code.what_to_do());
        match self {
            AppError::PinWrong {
                attempts_before_wait,
            } => {
                if *attempts_before_wait > 0 {
                    format!("{what}{todo}再错 {attempts_before_wait} 次需要等待一段时间才能再试。")
                } else {
                    format!("{what}再次输错需要等待更长时间。")
                }
            }
            // The wait replaces the code's general "later".
            AppError::PinLocked { retry_after_s } => {
                format!("{what}请 {} 后再试。{todo}", wait_zh(*retry_after_s))
            }
            AppError::SlowDown { retry_after_s } => {
                format!("{what}请 {} 后再试。", wait_zh(*retry_after_s))
            }
            AppError::ServerRefused { code: server, .. } if code == ErrorCode::Refused => {
                format!("{what}（错误代码：{server}）{todo}")
            }
            AppError::Invalid(fields) => {
                let mut s = format!("有 {} 处填写有误，未保存：", fields.len());
                for (i, f) in fields.iter().take(3).enumerate() {
                    if i > 0 {
                        s.push('；');
                    }
                    s.push_str(&f.message);
                }
                if fields.len() > 3 {
                    s.push_str(&format!("；另有 {} 处", fields.len() - 3));
                }
                s
            }
            _ => code.message_and_what_to_do(),
        }
    }

    /// The error as the UI receives it.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code(),
            message: self.message_zh(),
            retry_after_s: match self {
                AppError::PinLocked { retry_after_s } | AppError::SlowDown { retry_after_s } => {
                    Some(*retry_after_s)
                }
                _ => None,
            },
            fields: match self {
                AppError::Invalid(fields) => fields.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.body().serialize(s)
    }
}

/// "30 秒" / "5 分钟" / "1 小时".
fn wait_zh(seconds: u32) -> String {
    if seconds < 60 {
        format!("{seconds} 秒")
    } else if seconds < 3600 {
        format!("{} 分钟", seconds.div_ceil(60))
    } else {
        format!("{} 小时", seconds.div_ceil(3600))
    }
}

/// The code of a refusal by the server: its own code when the app has words for it, else by the
/// HTTP status.
fn refused_code(status: u16, server_code: &str) -> ErrorCode {
    match ErrorCode::parse(server_code) {
        Some(
            c @ (ErrorCode::AuthDisabled
            | ErrorCode::AuthDeviceRevoked
            | ErrorCode::AuthDeviceTaken),
        ) => c,
        _ => match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::ServiceNotFound,
            _ => ErrorCode::Refused,
        },
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

impl From<SignInError> for AppError {
    fn from(e: SignInError) -> AppError {
        match e {
            SignInError::BadCredentials => AppError::BadCredentials,
            SignInError::SlowDown { retry_after_s } => AppError::SlowDown { retry_after_s },
            SignInError::Refused { status, code } => AppError::ServerRefused { status, code },
            SignInError::ServerUnavailable => AppError::ServerUnavailable,
            SignInError::Offline => AppError::Offline,
            SignInError::Timeout => AppError::Timeout,
            SignInError::BadServerUrl(_) => AppError::BadServerUrl,
            SignInError::BadResponse(_) => AppError::BadResponse,
        }
    }
}

impl From<ServerUrlError> for AppError {
    fn from(e: ServerUrlError) -> AppError {
        match e {
            ServerUrlError::Malformed => AppError::BadServerUrl,
            ServerUrlError::InsecureHttp => AppError::InsecureServerUrl,
        }
    }
}
