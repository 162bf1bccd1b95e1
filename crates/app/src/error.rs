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
    /// Stable: `disk_full`, `invalid`, `pin_wrong`, `offline`, … (see [`AppError::code`]).
    pub code: String,
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
            _ if e.code() == "disk_full" => AppError::DiskFull,
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
    pub fn code(&self) -> String {
        match self {
            AppError::NotEnrolled => "not_enrolled".into(),
            AppError::Locked => "locked".into(),
            AppError::PinWrong { .. } => "pin_wrong".into(),
            AppError::PinLocked { .. } => "pin_locked".into(),
            AppError::PinFormat => "pin_format".into(),
            AppError::BadServerUrl => "bad_server_url".into(),
            AppError::InsecureServerUrl => "insecure_server_url".into(),
            AppError::Offline => "offline".into(),
            AppError::Timeout => "timeout".into(),
            AppError::BadCredentials => "auth_bad_credentials".into(),
            AppError::SlowDown { .. } => "auth_slow_down".into(),
            AppError::ServerRefused { code, .. } => code.clone(),
            AppError::ServerUnavailable => "server_unavailable".into(),
            AppError::BadResponse => "bad_response".into(),
            AppError::Invalid(_) => "invalid".into(),
            AppError::NotFound(_) => "not_found".into(),
            AppError::NotInScope => "not_in_scope".into(),
            AppError::NoData => "no_data".into(),
            AppError::DiskFull => "disk_full".into(),
            AppError::Store(e) => e.code().into(),
            AppError::Io(_) => "file_error".into(),
            AppError::Internal(_) => "internal".into(),
        }
    }

    /// What happened and what to do, in Simplified Chinese.
    pub fn message_zh(&self) -> String {
        const ADMIN: &str = "如果一直这样，请截图发给县里的系统管理员。";
        match self {
            AppError::NotEnrolled => {
                "本机还没有登录账号。请填写服务器地址、账号和密码登录（需要联网）。".into()
            }
            AppError::Locked => "应用已锁定。请输入 PIN 码解锁。".into(),
            AppError::PinWrong {
                attempts_before_wait,
            } => {
                if *attempts_before_wait > 0 {
                    format!(
                        "PIN 码不正确，请重新输入。再错 {attempts_before_wait} 次需要等待一段时间才能再试。"
                    )
                } else {
                    "PIN 码不正确。再次输错需要等待更长时间。".into()
                }
            }
            AppError::PinLocked { retry_after_s } => format!(
                "PIN 码输错次数太多，请 {} 后再试。忘记 PIN 码时，请联网用账号和密码重新登录。",
                wait_zh(*retry_after_s)
            ),
            AppError::PinFormat => "PIN 码须为 6 位数字。请重新输入。".into(),
            AppError::BadServerUrl => ServerUrlError::Malformed.message_zh().into(),
            AppError::InsecureServerUrl => ServerUrlError::InsecureHttp.message_zh().into(),
            AppError::Offline => {
                "无法连接服务器。请检查网络（手机信号或 Wi-Fi）和服务器地址后重试。".into()
            }
            AppError::Timeout => {
                "服务器长时间没有回应。请到信号好的地方（如乡镇有 Wi-Fi 处）重试。".into()
            }
            AppError::BadCredentials => "账号或密码不正确。请核对后重新输入。".into(),
            AppError::SlowDown { retry_after_s } => format!(
                "登录尝试太频繁，服务器要求稍等。请 {} 后再试。",
                wait_zh(*retry_after_s)
            ),
            AppError::ServerRefused { code, .. } if code == "auth_disabled" => {
                "该账号已停用。请联系县里的管理员。".into()
            }
            AppError::ServerRefused { code, .. } if code == "auth_device_revoked" => {
                "这台手机已被管理员停用。请联系管理员后重新登录。".into()
            }
            AppError::ServerRefused { code, .. } if code == "auth_device_taken" => {
                "这台手机的设备编号已被另一个账号登记，不能用您的账号登录。请先用原账号把记录\
                 同步完，再重置或重新安装 App（会生成新的设备编号）后登录；或联系县级办公室。"
                    .into()
            }
            AppError::ServerRefused { status, code } => match *status {
                401 => "登录已失效，请重新用账号和密码登录。".into(),
                403 => "您的账号或这台手机没有使用权限。请联系乡镇或县里的管理员开通。".into(),
                404 => "找不到服务，可能是服务器地址填错了。请核对服务器地址。".into(),
                _ => format!("服务器拒绝了请求（错误代码：{code}）。{ADMIN}"),
            },
            AppError::ServerUnavailable => {
                format!("服务器暂时出了问题，请过一会儿再试。{ADMIN}")
            }
            AppError::BadResponse => {
                "收到的回复不是帮扶系统服务器发来的。请核对服务器地址；如果连的是需要登录的公共 Wi-Fi，请先在浏览器里登录。"
                    .into()
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
            AppError::NotFound(_) => "找不到这条记录，可能已被删除或还没有同步到本机。请先同步后再试。".into(),
            AppError::NotInScope => {
                "这户不在您的帮扶范围内，不能查看或登记。如结对关系有变化，请先同步。".into()
            }
            AppError::NoData => {
                "本机还没有您的帮扶数据。请连接网络后点“同步”下载。".into()
            }
            AppError::DiskFull => {
                "手机存储空间已满，刚才的内容没有保存。请删除一些不用的照片、视频或应用，腾出空间后再点保存；已保存的内容不会丢失。"
                    .into()
            }
            AppError::Store(e) => e.message_zh(),
            AppError::Io(_) => format!("手机上的文件读写出错。请确认存储空间充足后重试。{ADMIN}"),
            AppError::Internal(_) => format!("应用出现内部错误，刚才的操作没有完成。请重试；{ADMIN}"),
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
