//! Accounts, device tokens and the read/write scope of each role.
//!
//! - Passwords are hashed with argon2id (PHC strings, random salt per account).
//! - A sign-in gives the device a token `bft1.<device id>.<64 hex of 32 random bytes>`. The server
//!   keeps only its SHA-256: the token has 256 bits of entropy, so a slow hash (argon2) would add
//!   nothing but a delay on every request, while a leaked database still yields no usable token.
//! - Repeated bad sign-ins of an account are slowed down: after [`FREE_FAILURES`] failures each
//!   further attempt must wait `2^(n - FREE_FAILURES)` seconds (at most [`MAX_WAIT_S`]) after the
//!   last failure; during the wait even the right password is refused (429). Each attempt is
//!   counted as a failure *before* its password is checked (under the writer's lock), so parallel
//!   guesses cannot all pass the wait; a right password resets the count. A count left alone for
//!   [`FORGET_AFTER_MS`] starts over. The HTTP layer keeps the same count in memory for every
//!   username, known or not, and per client address (`http::throttle`), so unknown names answer
//!   exactly like known ones.
//! - A device id belongs to the account that first signed in with it: another account signing
//!   in with it is refused ([`AuthError::DeviceTaken`]), and a revoked device cannot be signed in
//!   again ([`AuthError::Revoked`]); its own account signing in again gets a fresh token.
//! - Nothing here logs: callers log account ids and codes, never usernames, passwords or tokens.

mod storage;

pub use bangfu_core::sync::scope;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use bangfu_core::Role;
pub use scope::Scope;
pub use storage::{AccessStorage, AccountError, ServerStorage};

/// Failed sign-ins of an account that cost nothing.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait after failed sign-ins (15 min).
pub const MAX_WAIT_S: u64 = 900;
/// Failures of a name or an address last seen this long ago are forgotten (1 h).
pub const FORGET_AFTER_MS: u64 = 3600 * 1000;
/// How long a device token lives by default (one year: phones stay offline for weeks).
pub const DEFAULT_TOKEN_TTL_MS: u64 = 365 * 24 * 3600 * 1000;

/// What an account's scope hangs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// `person_id`: the cadre's pairings.
    Person,
    /// `unit_id`: the unit's cadres' pairings.
    Unit,
    /// `area_path` with this many segments (county 1, township 2, village 3).
    Area(usize),
}

impl Anchor {
    /// What anchors `role`'s scope: a person (cadre), a unit (unit admin) or an area path.
    pub fn of(role: Role) -> Anchor {
        match role {
            Role::Cadre => Anchor::Person,
            Role::UnitAdmin => Anchor::Unit,
            Role::FirstSecretary | Role::TeamMember => Anchor::Area(3),
            Role::TownshipStation => Anchor::Area(2),
            Role::CountyOffice => Anchor::Area(1),
        }
    }
}

/// A new account, as an administrator gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub person_id: Option<Uuid>,
    #[serde(default)]
    pub unit_id: Option<Uuid>,
    /// `county/township/village` codes, as deep as the role needs.
    #[serde(default)]
    pub area_path: Option<String>,
    pub password: String,
}

impl NewAccount {
    /// Checks the fields; the error says which one is wrong and what to give instead.
    pub fn check(&self) -> Result<(), String> {
        let u = &self.username;
        if u.len() < 3
            || u.len() > 64
            || !u
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err("username: 3–64 characters of a–z, 0–9, '_', '-', '.'".into());
        }
        if self.display_name.trim().is_empty() || self.display_name.chars().count() > 64 {
            return Err("display_name: 1–64 characters".into());
        }
        if self.password.chars().count() < 8 || self.password.len() > 256 {
            return Err("password: at least 8 characters (at most 256 bytes)".into());
        }
        match Anchor::of(self.role) {
            Anchor::Person if self.person_id.is_none() => {
                Err("person_id: a cadre's account needs the cadre's person id".into())
            }
            Anchor::Unit if self.unit_id.is_none() => {
                Err("unit_id: a unit admin's account needs the unit's id".into())
            }
            Anchor::Area(depth) => match &self.area_path {
                Some(p) if valid_area_path(p, depth) => Ok(()),
                _ => Err(format!(
                    "area_path: a {} account needs an area path of {depth} codes separated by '/' \
                     (county/township/village)",
                    self.role
                )),
            },
            _ => Ok(()),
        }
    }
}

fn valid_area_path(p: &str, depth: usize) -> bool {
    let parts: Vec<&str> = p.split('/').collect();
    parts.len() == depth
        && parts
            .iter()
            .all(|s| !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// An account as listed (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub person_id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
    pub area_path: Option<String>,
    pub disabled: bool,
    pub created_at_ms: u64,
}

/// The signed-in device making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: Account,
    pub device_id: Uuid,
}

/// A device as listed for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub device_id: Uuid,
    pub username: String,
    pub name: String,
    pub created_at_ms: u64,
    pub expires_at_ms: u64,
    pub revoked_at_ms: Option<u64>,
    /// Last push or pull.
    pub last_sync_ms: Option<u64>,
    /// What the device last reported it still had to send.
    pub reported_unsynced_ops: Option<u64>,
    pub reported_unsynced_photos: Option<u64>,
    pub reported_at_ms: Option<u64>,
}

/// One line of the audit log. `detail` holds counts, ids and codes, never personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: u64,
    /// The account (username) that acted, or `"cli"` for the administration command.
    pub actor: String,
    pub device_id: Option<Uuid>,
    pub action: String,
    pub detail: String,
}

/// Why a token or a sign-in is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed sign-ins: wait {0} s")]
    SlowDown(u64),
    #[error("the account is disabled")]
    Disabled,
    #[error("no valid device token")]
    BadToken,
    #[error("the device token has expired")]
    Expired,
    #[error("the device was revoked")]
    Revoked,
    #[error("the device id is enrolled by another account")]
    DeviceTaken,
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::BadCredentials => "auth_bad_credentials",
            AuthError::SlowDown(_) => "auth_slow_down",
            AuthError::Disabled => "auth_disabled",
            AuthError::BadToken => "auth_bad_token",
            AuthError::Expired => "auth_token_expired",
            AuthError::Revoked => "auth_device_revoked",
            AuthError::DeviceTaken => "auth_device_taken",
        }
    }

    /// What the person should do, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            AuthError::BadCredentials => "账号或密码不对，请核对后重新输入".into(),
            AuthError::SlowDown(s) => format!("密码错误次数过多，请 {s} 秒后再试"),
            AuthError::Disabled => "该账号已停用，请联系县级管理员".into(),
            AuthError::BadToken => "本机未登录或登录已失效，请联网后重新登录".into(),
            AuthError::Expired => "本机登录已过期，请联网后重新登录".into(),
            AuthError::Revoked => "本机已被管理员停用，不能再用这台设备登录或同步。\
                 请联系县级办公室；未同步的记录还在手机上，请勿自行卸载或重置 App"
                .into(),
            AuthError::DeviceTaken => "这台手机的设备编号已被另一个账号登记，不能用您的账号登录。\
                 请先用原账号把记录同步完，再重置或重新安装 App（会生成新的设备编号）后登录；\
                 或联系县级办公室"
                .into(),
        }
    }
}

/// The argon2id PHC string of `password`.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the PHC string `phc` (false for an unreadable hash).
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// Checks `password` against a hash of a random password, made once with this server's own
/// parameters: a sign-in for a name that does not exist costs the same as a wrong password, so
/// that timing does not tell which names exist. Always false.
pub fn verify_against_dummy(password: &str) -> bool {
    static DUMMY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let mut secret = [0u8; 16];
        rand::rng().fill_bytes(&mut secret);
        hash_password(&hex(&secret)).unwrap_or_default()
    });
    let _ = verify_password(password, &DUMMY);
    false
}

/// A fresh token for `device` (shown to the device once, never stored).
pub fn new_token(device: Uuid) -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    format!("bft1.{}.{}", device.simple(), hex(&secret))
}

/// What the server stores of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The device a well-formed token names (`None`: not one of ours).
pub fn token_device(token: &str) -> Option<Uuid> {
    let mut parts = token.split('.');
    let (Some("bft1"), Some(dev), Some(secret), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Uuid::try_parse(dev).ok()
}

/// Seconds a sign-in must still wait after `failures` failures, the last at `last_ms`.
pub fn wait_after_failures(failures: u32, last_ms: u64, now_ms: u64) -> u64 {
    wait_after(failures, FREE_FAILURES, last_ms, now_ms)
}

/// Seconds to wait after `failures` failures of which `free` cost nothing, the last at `last_ms`:
/// `2^(failures - free)` s after the last one, at most [`MAX_WAIT_S`].
pub fn wait_after(failures: u32, free: u32, last_ms: u64, now_ms: u64) -> u64 {
    if failures < free {
        return 0;
    }
    let wait_s = 1u64
        .checked_shl(failures - free)
        .unwrap_or(MAX_WAIT_S)
        .min(MAX_WAIT_S);
    let until = last_ms.saturating_add(wait_s * 1000);
    until.saturating_sub(now_ms).div_ceil(1000)
}

/// Creates the county-office account `username` if it does not exist and signs `device` in with
/// it; the device token. For tests, benchmarks and the demo (`password` must be the account's).
pub fn county_token(
    storage: &dyn AccessStorage,
    username: &str,
    password: &str,
    device: Uuid,
    now_ms: u64,
) -> Result<String, String> {
    let new = NewAccount {
        username: username.to_owned(),
        display_name: "县级办公室".to_owned(),
        role: Role::CountyOffice,
        person_id: None,
        unit_id: None,
        area_path: Some("county".to_owned()),
        password: password.to_owned(),
    };
    match storage.create_account(&new, "setup", now_ms) {
        Ok(_) | Err(AccountError::Exists) => {}
        Err(e) => return Err(e.to_string()),
    }
    match storage.sign_in(
        username,
        password,
        device,
        "setup",
        now_ms,
        DEFAULT_TOKEN_TTL_MS,
    ) {
        Ok(Ok((_, token))) => Ok(token),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsE", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_name_their_device_and_hash_differently() {
        let d = Uuid::from_u128(7);
        let a = new_token(d);
        let b = new_token(d);
        assert_ne!(a, b);
        assert_eq!(token_device(&a), Some(d));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_device("bft1.x.y"), None);
        assert_eq!(token_device(&format!("{a}.extra")), None);
    }

    #[test]
    fn failed_sign_ins_wait_longer_and_longer() {
        assert_eq!(wait_after_failures(4, 1_000, 1_000), 0);
        assert_eq!(wait_after_failures(5, 1_000, 1_000), 1);
        assert_eq!(wait_after_failures(7, 1_000, 1_000), 4);
        assert_eq!(wait_after_failures(7, 1_000, 5_000), 0);
        assert_eq!(wait_after_failures(60, 0, 0), MAX_WAIT_S);
    }

    #[test]
    fn accounts_are_checked_by_role() {
        let mut a = NewAccount {
            username: "li.si".into(),
            display_name: "李四".into(),
            role: Role::FirstSecretary,
            person_id: None,
            unit_id: None,
            area_path: Some("360722/360722100".into()),
            password: "password1".into(),
        };
        assert!(a.check().expect_err("too short").starts_with("area_path"));
        a.area_path = Some("360722/360722100/360722100201".into());
        assert_eq!(a.check(), Ok(()));
        a.role = Role::Cadre;
        assert!(a.check().expect_err("person").starts_with("person_id"));
        a.username = "x".into();
        assert!(a.check().expect_err("name").starts_with("username"));
    }
}
