//! [`ErrorCode`]: every stable code the app gives the UI, in an [`crate::AppError`] or a sync's
//! [`crate::sync::SyncFailure`], and the one Simplified Chinese wording of each: what happened
//! ([`ErrorCode::message`]) and what to do ([`ErrorCode::what_to_do`]). The UI shows these words
//! as they come and acts on the code, never on the words. No wording contains personal data.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Declares [`ErrorCode`] from one list of `Variant = "json_name"` lines, so that the variants,
/// [`ErrorCode::ALL`] and [`ErrorCode::as_str`] cannot drift apart (the test below checks that
/// serde's snake_case name is the listed one).
macro_rules! error_codes {
    ($($(#[$meta:meta])* $variant:ident = $name:literal,)*) => {
        /// What the UI acts on. The JSON is the snake_case name (`disk_full`, `pin_wrong`, …).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$meta])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as JSON has it (`disk_full`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }
        }
    };
}

error_codes! {
    // The session.
    NotEnrolled = "not_enrolled",
    Locked = "locked",
    PinWrong = "pin_wrong",
    PinLocked = "pin_locked",
    PinFormat = "pin_format",
    BadServerUrl = "bad_server_url",
    InsecureServerUrl = "insecure_server_url",
    // The network and the server.
    Offline = "offline",
    ConnectionLost = "connection_lost",
    Timeout = "timeout",
    AuthBadCredentials = "auth_bad_credentials",
    AuthSlowDown = "auth_slow_down",
    AuthDisabled = "auth_disabled",
    AuthDeviceRevoked = "auth_device_revoked",
    AuthDeviceTaken = "auth_device_taken",
    Unauthorized = "unauthorized",
    Forbidden = "forbidden",
    /// The server has no such service (404 to a sign-in or a sync): the address is wrong.
    ServiceNotFound = "service_not_found",
    ServerBusy = "server_busy",
    ServerUnavailable = "server_unavailable",
    TooLarge = "too_large",
    /// The server refused with a reason the app has no words for.
    Refused = "refused",
    BadResponse = "bad_response",
    VersionMismatch = "version_mismatch",
    Config = "config",
    ProtocolViolation = "protocol_violation",
    PushStuck = "push_stuck",
    LocalOpsMissing = "local_ops_missing",
    /// A sync failed in a way the sync client names with a code this build does not know.
    SyncFailed = "sync_failed",
    PhotoQuota = "photo_quota",
    PhotoRefused = "photo_refused",
    // Forms and records.
    Invalid = "invalid",
    NotFound = "not_found",
    NotInScope = "not_in_scope",
    NoData = "no_data",
    // The device.
    DiskFull = "disk_full",
    DeviceStorage = "device_storage",
    FileError = "file_error",
    Internal = "internal",
    // The store's codes (`bangfu_store::StoreError::code`).
    DatabaseBusy = "database_busy",
    CannotWrite = "cannot_write",
    DatabaseCorrupt = "database_corrupt",
    Sqlite = "sqlite",
    MigrationChecksumMismatch = "migration_checksum_mismatch",
    DatabaseNewerThanApp = "database_newer_than_app",
    MigrationFailed = "migration_failed",
    CorruptRecord = "corrupt_record",
    AppendOnly = "append_only",
    DuplicateId = "duplicate_id",
    MissingReference = "missing_reference",
    RejectedValue = "rejected_value",
    UnknownEntity = "unknown_entity",
    CheckpointThread = "checkpoint_thread",
    DeviceInUse = "device_in_use",
    EncodeFailed = "encode_failed",
    EntityMismatch = "entity_mismatch",
    NoScope = "no_scope",
    OpIdReused = "op_id_reused",
    OutOfRange = "out_of_range",
    SeqReused = "seq_reused",
}

const ADMIN: &str = "如果一直这样，请截图发给县里的系统管理员。";
const TECHNICIAN: &str = "请联系县办技术人员。";

impl ErrorCode {
    /// The code named `s` ([`ErrorCode::as_str`]), if this build knows it.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// What happened, in Simplified Chinese: one sentence ending in `。`.
    pub fn message(self) -> &'static str {
        self.words().0
    }

    /// What to do about it, in Simplified Chinese.
    pub fn what_to_do(self) -> &'static str {
        self.words().1
    }

    /// What happened and what to do, as one message.
    pub fn message_and_what_to_do(self) -> String {
        let (what, todo) = self.words();
        format!("{what}{todo}")
    }

    fn words(self) -> (&'static str, &'static str) {
        use ErrorCode::*;
        match self {
            NotEnrolled => (
                "本机还没有登录账号。",
                "请填写服务器地址、账号和密码登录（需要联网）。",
            ),
            Locked => ("应用已锁定。", "请输入 PIN 码解锁。"),
            PinWrong => ("PIN 码不正确。", "请重新输入。"),
            PinLocked => (
                "PIN 码输错次数太多。",
                "忘记 PIN 码时，请联网用账号和密码重新登录。",
            ),
            PinFormat => ("PIN 码须为 6 位数字。", "请重新输入。"),
            BadServerUrl => (
                "服务器地址不正确。",
                "请填写以 http:// 或 https:// 开头的完整地址，例如 https://bangfu.example.gov.cn。",
            ),
            InsecureServerUrl => (
                "这个地址不加密（http://），只能用于内部网络。",
                "请改用以 https:// 开头的地址，例如 https://bangfu.example.gov.cn。",
            ),
            Offline => (
                "无法连接服务器（没有网络或信号太弱）。",
                "请检查网络（手机信号或 Wi-Fi）和服务器地址后重试。",
            ),
            ConnectionLost => (
                "网络中途断开，同步没有完成。",
                "请到信号好的地方重试，已同步的部分不用重传。",
            ),
            Timeout => (
                "网络太慢，服务器长时间没有回应。",
                "请到信号好的地方（如乡镇有 Wi-Fi 处）重试。",
            ),
            AuthBadCredentials => ("账号或密码不正确。", "请核对后重新输入。"),
            AuthSlowDown => ("登录尝试太频繁，服务器要求稍等。", "请稍后再试。"),
            AuthDisabled => ("该账号已停用。", "请联系县里的管理员。"),
            AuthDeviceRevoked => ("这台手机已被管理员停用。", "请联系管理员后重新登录。"),
            AuthDeviceTaken => (
                "这台手机的设备编号已被另一个账号登记，不能用您的账号登录。",
                "请先用原账号把记录同步完，再重置或重新安装 App（会生成新的设备编号）后登录；或联系县级办公室。",
            ),
            Unauthorized => (
                "登录已失效（账号或这台手机的授权已过期或被收回）。",
                "请到“我的”里退出后，联网用账号和密码重新登录。",
            ),
            Forbidden => (
                "服务器拒绝：您的账号或这台手机没有使用这些数据的权限。",
                "请联系乡镇或县里的管理员核对您的账号和结对关系。",
            ),
            ServiceNotFound => (
                "找不到帮扶系统的服务，可能是服务器地址填错了。",
                "请核对服务器地址，或联系系统管理员。",
            ),
            ServerBusy => ("服务器正忙。", "请过几分钟再重试。"),
            ServerUnavailable => (
                "服务器暂时出了问题。",
                "请过一会儿再试；如果一直这样，请截图发给县里的系统管理员。",
            ),
            TooLarge => (
                "一次发送的数据太大，服务器不接收。",
                "请截图发给县里的系统管理员。",
            ),
            Refused => ("服务器拒绝了请求。", ADMIN),
            BadResponse => (
                "收到的回复不是帮扶系统服务器发来的。",
                "请核对服务器地址；如果连的是需要登录的公共 Wi-Fi，请先在浏览器里登录。",
            ),
            VersionMismatch => (
                "应用和服务器的版本不一致。",
                "请先升级应用；已是最新版时请联系系统管理员。",
            ),
            Config => (
                "同步的设置不对（服务器地址或登录信息有误）。",
                "请核对服务器地址，或联系系统管理员。",
            ),
            ProtocolViolation => (
                "服务器的回复不合同步的规则，同步没有完成。",
                "请截图发给县里的系统管理员。",
            ),
            PushStuck => (
                "服务器一直没有处理本机的记录，同步没有完成。",
                "请截图发给县里的系统管理员。",
            ),
            LocalOpsMissing => (
                "服务器需要的本机记录已不在手机上，同步没有完成。",
                "请截图发给县里的系统管理员。",
            ),
            SyncFailed => ("同步出错，没有完成。", "请截图发给县里的系统管理员。"),
            PhotoQuota => (
                "本机在服务器上未传完的照片太多，暂时不能开始上传新照片。",
                "已开始的照片会先传完；过一会儿再重试，其余照片会在之后的同步中上传。",
            ),
            PhotoRefused => (
                "有照片被服务器拒收（文件损坏或不是照片）。走访记录本身已经同步。",
                "请截图发给县里的系统管理员；照片仍保存在手机上。",
            ),
            Invalid => ("有填写有误的地方，未保存。", "请改正后再保存。"),
            NotFound => (
                "找不到这条记录，可能已被删除或还没有同步到本机。",
                "请先同步后再试。",
            ),
            NotInScope => (
                "这户不在您的帮扶范围内，不能查看或登记。",
                "如结对关系有变化，请先同步。",
            ),
            NoData => ("本机还没有您的帮扶数据。", "请连接网络后点“同步”下载。"),
            DiskFull => (
                "手机存储空间已满，刚才的内容没有保存。",
                "请删除一些不用的照片、视频或应用，腾出空间后重试；已保存的内容不会丢失。",
            ),
            DeviceStorage => (
                "手机上的数据库出错，收到的数据没能保存。",
                "请确认存储空间充足后重试；如果一直这样，请截图发给县里的系统管理员。",
            ),
            FileError => (
                "手机上的文件读写出错。",
                "请确认存储空间充足后重试；如果一直这样，请截图发给县里的系统管理员。",
            ),
            Internal => (
                "应用出现内部错误，刚才的操作没有完成。",
                "请重试；如果一直这样，请截图发给县里的系统管理员。",
            ),
            DatabaseBusy => ("数据库正忙（可能正在同步）。", "请稍后重试。"),
            CannotWrite => ("无法写入数据库。", "请检查应用的存储权限后重试。"),
            DatabaseCorrupt => (
                "数据库文件已损坏。",
                "请不要删除应用，立即联系县办技术人员恢复数据。",
            ),
            Sqlite => (
                "数据库出错，未能完成操作。",
                "请重试；如仍失败，请联系县办技术人员。",
            ),
            MigrationChecksumMismatch => (
                "数据库结构与本版应用不一致，已停止打开以保护数据。",
                "请勿删除数据，联系县办技术人员。",
            ),
            DatabaseNewerThanApp => (
                "数据库由更新版本的应用写入。",
                "请将应用升级到最新版本后再打开。",
            ),
            MigrationFailed => (
                "数据库升级失败，数据未改动。",
                "请确认存储空间充足后重启应用；如仍失败，请联系县办技术人员。",
            ),
            CorruptRecord => (
                "有一条记录无法读取（数据已损坏）。",
                "请联系县办技术人员，并尽快同步以免丢失其他数据。",
            ),
            AppendOnly => (
                "这条记录已保存，不能修改。",
                "如需更正，请新建一条更正记录。",
            ),
            DuplicateId => (
                "数据中有重复的记录（编号相同），未保存。",
                "请检查导入的数据。",
            ),
            MissingReference => (
                "记录引用了不存在的记录，未保存。",
                "请先同步或录入它引用的农户、人员等信息后再保存。",
            ),
            RejectedValue => (
                "记录中有不允许的数值（如负数金额），未保存。",
                "请检查后重新填写。",
            ),
            UnknownEntity => ("应用内部错误：未知的记录类型。", "请将应用升级到最新版本。"),
            DeviceInUse => (
                "本设备已有待同步或已同步的记录，不能更换设备编号。",
                TECHNICIAN,
            ),
            NoScope => (
                "应用内部错误：记录缺少所属区域，未保存。",
                "请将应用升级到最新版本。",
            ),
            EntityMismatch => ("记录编号与另一类记录重复，未保存。", TECHNICIAN),
            CheckpointThread | EncodeFailed | OpIdReused | OutOfRange | SeqReused => (
                "同步数据出错，未能完成操作。",
                "请重试；如仍失败，请联系县办技术人员。",
            ),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `code == "disk_full"` reads as before codes were typed.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_words_and_round_trips_through_json() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code), "{code} twice in ALL");
            assert!(code.message().ends_with('。'), "{code}");
            assert!(!code.what_to_do().is_empty(), "{code}");
            let json = serde_json::to_string(&code).expect("serialize");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(
                serde_json::from_str::<ErrorCode>(&json).expect("deserialize"),
                code
            );
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }
}
