//! Enrolment, PIN and the session.
//!
//! Enrol is the one online step: the server address, account and password go to the server's
//! `POST /v1/auth/signin`, which answers with a device token (kept in `device_token`, mode 0600)
//! and the account (person, role). The password is never stored. The PIN chosen at enrolment
//! protects the app offline: its argon2id hash is kept in `app.sqlite`; wrong guesses are
//! counted *before* the hash is checked (killing the app mid-check does not reset the count),
//! and from the 5th wrong guess on each one makes the user wait, doubling from 30 s up to an
//! hour. The wait is served in monotonic time ([`crate::Clock::monotonic`]) and stored as what
//! is left of it, never as a wall-clock deadline: setting the phone's clock forward does not
//! shorten it, setting it back does not lengthen it, and a restart goes on from what was left.

use std::path::Path;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use bangfu_core::Role;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use bangfu_core::sync::wire::SignInResponse;
use bangfu_store::local::{AccountRow, PinRow};
use bangfu_sync_client::server_url::check_server_url;
use bangfu_sync_client::{HttpOptions, HttpTransport, RequestEncoding, SignInError};

use crate::App;
use crate::error::{AppError, FieldError, Result};

/// Wrong PINs allowed before waits begin.
pub const FREE_PIN_ATTEMPTS: u32 = 5;
/// The first wait, doubled with each further wrong PIN…
pub const FIRST_PIN_WAIT_S: u32 = 30;
/// … up to this.
pub const MAX_PIN_WAIT_S: u32 = 3600;
/// The token file in the data directory.
pub const TOKEN_FILE: &str = "device_token";
/// How long enrolment waits for the server.
const SIGNIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What the enrol screen sends.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EnrolRequest {
    /// `https://…` (or `http://` inside a township network).
    pub server_url: String,
    pub username: String,
    pub password: String,
    /// The PIN that will unlock the app offline: 6 digits.
    pub pin: String,
    /// The phone's name as the administrator will see it (optional; the shell may fill it).
    pub device_name: Option<String>,
}

/// The account this device is enrolled for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Account {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The person in the records this account acts as (absent for a pure administrator).
    pub person_id: Option<Uuid>,
}

/// Where the app stands: what the UI shows first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Session {
    /// An account is enrolled on this device.
    pub enrolled: bool,
    /// The PIN was entered since the app started.
    pub unlocked: bool,
    pub account: Option<Account>,
    /// The enrolled account's server; before enrolment, the address to offer (if the shell has
    /// one).
    pub server_url: Option<String>,
    /// Shown with `server_url` when it is plain `http://` (allowed only to a loopback or private
    /// address): 「未加密连接，仅限内网使用」 and what that means.
    pub server_url_warning: Option<String>,
    pub device_id: Uuid,
    /// Wrong PINs: wait this long before the next try.
    pub pin_wait_s: Option<u32>,
    /// Records are on this device (after the first sync).
    pub has_data: bool,
    /// Today by the phone's clock.
    pub today: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct UnlockRequest {
    pub pin: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SetPinRequest {
    pub current_pin: String,
    pub new_pin: String,
}

/// An enrolment the server granted (or that a test or the screenshot demo installs directly).
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub server_url: String,
    pub device_token: String,
    pub device_id: Uuid,
    pub account: Account,
    pub pin: String,
}

/// The enrolled account as kept in `app.sqlite`; its role name is read into a [`Role`] here.
fn account_of_row(a: AccountRow) -> Result<Account> {
    let role = Role::parse(&a.role)
        .ok_or_else(|| AppError::Internal("the enrolled account's role is unknown".into()))?;
    Ok(Account {
        username: a.username,
        display_name: a.display_name,
        role,
        person_id: a.person_id.and_then(|p| p.parse().ok()),
    })
}

fn check_pin(pin: &str) -> Result<()> {
    if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AppError::PinFormat)
    }
}

fn hash_pin(pin: &str) -> Result<String> {
    Argon2::default()
        .hash_password(pin.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("PIN hash: {e}")))
}

fn verify_pin(pin: &str, hash: &str) -> Result<bool> {
    let parsed =
        PasswordHash::new(hash).map_err(|e| AppError::Internal(format!("PIN hash: {e}")))?;
    Ok(Argon2::default()
        .verify_password(pin.as_bytes(), &parsed)
        .is_ok())
}

/// When (the clock's monotonic time) the PIN's wait was last read, and what was left of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PinMark {
    at: std::time::Duration,
    left_ms: u64,
}

/// Milliseconds as whole seconds, rounded up (a wait of 0.2 s is shown as 1 s, never 0).
fn whole_seconds(ms: u64) -> u32 {
    u32::try_from(ms.div_ceil(1000)).unwrap_or(u32::MAX)
}

/// The wait after `failures` wrong PINs in a row, in seconds (0: none).
pub fn pin_wait_s(failures: u32) -> u32 {
    if failures < FREE_PIN_ATTEMPTS {
        return 0;
    }
    let doublings = (failures - FREE_PIN_ATTEMPTS).min(16);
    FIRST_PIN_WAIT_S
        .saturating_mul(1 << doublings)
        .min(MAX_PIN_WAIT_S)
}

/// The server's base URL, checked by [`check_server_url`] (the one check of every connection:
/// http(s), a host, no query or fragment; plain HTTP only to a loopback or private address);
/// without a trailing `/`.
pub(crate) fn normalise_server_url(raw: &str) -> Result<String> {
    Ok(check_server_url(raw)?.url)
}

/// The warning to show with a stored or offered server address (plain HTTP on a LAN).
fn server_url_warning(url: Option<&str>) -> Option<String> {
    url.and_then(|u| check_server_url(u).ok())
        .and_then(|u| u.warning())
        .map(str::to_owned)
}

/// Writes `bytes` to `path` readable by this user only, through a temporary file and a rename.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    Ok(())
}

impl App {
    /// Where the app stands.
    pub fn session(&self) -> Result<Session> {
        let account = self.local.account()?;
        let pin = self.local.pin()?;
        let pin_wait_s = match &pin {
            Some(p) => Some(self.pin_wait_left_ms(p)?)
                .filter(|&ms| ms > 0)
                .map(whole_seconds),
            None => None,
        };
        let server_url = account
            .as_ref()
            .map(|a| a.server_url.clone())
            .or_else(|| self.default_server_url.clone());
        Ok(Session {
            enrolled: account.is_some() && pin.is_some(),
            unlocked: self.unlocked,
            server_url_warning: server_url_warning(server_url.as_deref()),
            server_url,
            account: account.map(account_of_row).transpose()?,
            device_id: self.store.device_id(),
            pin_wait_s,
            has_data: self.store.settings()?.is_some(),
            today: self.today(),
        })
    }

    /// Signs in at the server (online), keeps the device token and the PIN's hash, and unlocks.
    pub async fn enrol(&mut self, req: EnrolRequest) -> Result<Session> {
        let mut fields = Vec::new();
        let server_url = match normalise_server_url(&req.server_url) {
            Ok(u) => Some(u),
            Err(e) => {
                fields.push(FieldError {
                    field: "server_url".into(),
                    code: e.code().to_string(),
                    message: e.message_zh(),
                });
                None
            }
        };
        if req.username.trim().is_empty() {
            fields.push(FieldError {
                field: "username".into(),
                code: "required".into(),
                message: "请填写账号。".into(),
            });
        }
        if req.username.trim().chars().count() > 64 {
            fields.push(FieldError {
                field: "username".into(),
                code: "too_long".into(),
                message: "账号太长（最多 64 个字符）。请核对后重新输入。".into(),
            });
        }
        if req.password.len() > 256 {
            fields.push(FieldError {
                field: "password".into(),
                code: "too_long".into(),
                message: "密码太长。请核对后重新输入。".into(),
            });
        }
        if req.password.is_empty() {
            fields.push(FieldError {
                field: "password".into(),
                code: "required".into(),
                message: "请填写密码。".into(),
            });
        }
        if let Err(e) = check_pin(&req.pin) {
            fields.push(FieldError {
                field: "pin".into(),
                code: e.code().to_string(),
                message: e.message_zh(),
            });
        }
        let Some(server_url) = server_url.filter(|_| fields.is_empty()) else {
            return Err(AppError::Invalid(fields));
        };
        let device_name = req
            .device_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("帮扶 App（{}）", std::env::consts::OS))
            .chars()
            .take(64)
            .collect::<String>();
        let device_id = self.device_id_for(&server_url, req.username.trim())?;
        let granted = signin(
            &server_url,
            req.username.trim(),
            &req.password,
            device_id,
            &device_name,
        )
        .await?;
        self.install_enrolment(Enrolment {
            server_url,
            device_token: granted.device_token,
            device_id: granted.device_id,
            account: granted.account,
            pin: req.pin,
        })?;
        self.session()
    }

    /// The device id to sign in with. On the server a device id belongs to the account that
    /// enrolled it (another account is refused `auth_device_taken`): when another account (or
    /// another server) enrols on this phone, a fresh id — which `install_enrolment` gives the
    /// store — as long as this phone has made no record under its id (then the id must stay,
    /// and the server's refusal says to reset the app).
    fn device_id_for(&self, server_url: &str, username: &str) -> Result<Uuid> {
        let current = self.store.device_id();
        let Some(enrolled) = self.local.account()? else {
            return Ok(current);
        };
        if enrolled.username == username && enrolled.server_url == server_url {
            return Ok(current);
        }
        Ok(if self.store.has_local_ops()? {
            current
        } else {
            Uuid::now_v7()
        })
    }

    /// Keeps an enrolment: the device id (when the server assigned another and this device has
    /// made no change yet), the token file, the account and the PIN's hash; unlocks. `enrol`
    /// calls it once the server said yes; tests and the screenshot demo call it directly.
    pub fn install_enrolment(&mut self, e: Enrolment) -> Result<()> {
        check_pin(&e.pin)?;
        if e.device_id != self.store.device_id() {
            self.store.init_device(e.device_id)?;
        }
        let hash = hash_pin(&e.pin)?;
        write_private(&self.dir.join(TOKEN_FILE), e.device_token.as_bytes())?;
        let row = AccountRow {
            server_url: e.server_url,
            username: e.account.username,
            display_name: e.account.display_name,
            role: e.account.role.as_str().to_owned(),
            person_id: e.account.person_id.map(|p| p.to_string()),
            device_id: e.device_id.to_string(),
            enrolled_at: self.now().to_rfc3339(),
        };
        self.local.put_account(&row, &hash)?;
        self.unlocked = true;
        Ok(())
    }

    /// The device token for the sync client (`None` before enrolment).
    pub fn device_token(&self) -> Result<Option<String>> {
        match std::fs::read_to_string(self.dir.join(TOKEN_FILE)) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks a PIN against the stored hash, counting wrong guesses (see the module doc).
    fn check_stored_pin(&mut self, pin: &str) -> Result<()> {
        let Some(row) = self.local.pin()? else {
            return Err(AppError::NotEnrolled);
        };
        let left = self.pin_wait_left_ms(&row)?;
        if left > 0 {
            return Err(AppError::PinLocked {
                retry_after_s: whole_seconds(left),
            });
        }
        // Count the guess as wrong before checking it, so that killing the app mid-check does
        // not give a free guess; a right PIN resets the count.
        let failures = row.failures.saturating_add(1);
        let wait_s = pin_wait_s(failures);
        let wait_ms = u64::from(wait_s) * 1000;
        self.local.set_pin_failures(failures, wait_ms)?;
        self.mark_pin_wait(wait_ms);
        if check_pin(pin).is_ok() && verify_pin(pin, &row.hash)? {
            self.local.set_pin_failures(0, 0)?;
            self.mark_pin_wait(0);
            return Ok(());
        }
        if wait_s > 0 {
            Err(AppError::PinLocked {
                retry_after_s: wait_s,
            })
        } else {
            Err(AppError::PinWrong {
                attempts_before_wait: FREE_PIN_ATTEMPTS - failures,
            })
        }
    }

    /// What is left of the PIN's wait, in ms: what was stored, less the monotonic time that
    /// passed since this process last read it (a restart goes on from what was stored, so time
    /// with the app closed does not count: no clock the user can set is trusted). At most the
    /// longest wait. Stores what is left, so that a restart does not give time back.
    fn pin_wait_left_ms(&self, row: &PinRow) -> Result<u64> {
        let stored = row.wait_left_ms.min(u64::from(MAX_PIN_WAIT_S) * 1000);
        let now = self.clock.monotonic();
        let left = match self.pin_mark.get() {
            Some(mark) if mark.left_ms == stored => {
                let passed = now.saturating_sub(mark.at).as_millis();
                stored.saturating_sub(u64::try_from(passed).unwrap_or(u64::MAX))
            }
            _ => stored,
        };
        if left != row.wait_left_ms {
            self.local.set_pin_wait_left(left)?;
        }
        self.pin_mark.set(Some(PinMark {
            at: now,
            left_ms: left,
        }));
        Ok(left)
    }

    /// Starts counting a wait of `left_ms` down from now.
    fn mark_pin_wait(&self, left_ms: u64) {
        self.pin_mark.set(Some(PinMark {
            at: self.clock.monotonic(),
            left_ms,
        }));
    }

    /// Unlocks the app with the PIN (offline).
    pub fn unlock(&mut self, req: UnlockRequest) -> Result<Session> {
        if self.local.account()?.is_none() {
            return Err(AppError::NotEnrolled);
        }
        self.check_stored_pin(&req.pin)?;
        self.unlocked = true;
        self.session()
    }

    /// Changes the PIN (the current one is asked again).
    pub fn set_pin(&mut self, req: SetPinRequest) -> Result<Session> {
        self.require_unlocked()?;
        if let Err(e) = check_pin(&req.new_pin) {
            return Err(AppError::Invalid(vec![FieldError {
                field: "new_pin".into(),
                code: e.code().to_string(),
                message: e.message_zh(),
            }]));
        }
        self.check_stored_pin(&req.current_pin)?;
        let hash = hash_pin(&req.new_pin)?;
        self.local.put_pin(&hash)?;
        self.session()
    }

    /// Locks the app (when it goes to the background, or on the user's request).
    pub fn lock(&mut self) -> Result<Session> {
        self.unlocked = false;
        self.session()
    }

    pub(crate) fn require_unlocked(&self) -> Result<AccountRow> {
        let account = self.local.account()?.ok_or(AppError::NotEnrolled)?;
        if !self.unlocked {
            return Err(AppError::Locked);
        }
        Ok(account)
    }
}

/// `POST {server}/v1/auth/signin` through the sync client.
async fn signin(
    server_url: &str,
    username: &str,
    password: &str,
    device_id: Uuid,
    device_name: &str,
) -> Result<SignInResponse<Account>> {
    let transport = HttpTransport::new(
        server_url,
        HttpOptions {
            request_timeout: SIGNIN_TIMEOUT,
            // A few bytes of JSON: sent as they are.
            request_encoding: RequestEncoding::Identity,
            ..HttpOptions::default()
        },
    )
    .map_err(SignInError::from)?;
    Ok(transport
        .sign_in(username, password, device_id, device_name)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_waits_double_from_the_fifth_wrong_pin_up_to_an_hour() {
        assert_eq!((0..5).map(pin_wait_s).collect::<Vec<_>>(), [0, 0, 0, 0, 0]);
        assert_eq!(pin_wait_s(5), 30);
        assert_eq!(pin_wait_s(6), 60);
        assert_eq!(pin_wait_s(11), 1920);
        assert_eq!(pin_wait_s(12), MAX_PIN_WAIT_S);
        assert_eq!(pin_wait_s(u32::MAX), MAX_PIN_WAIT_S);
    }

    #[test]
    fn server_urls_are_http_or_https_with_a_host() {
        let ok = |s: &str| normalise_server_url(s).ok();
        assert_eq!(
            ok(" https://bangfu.example.cn/ ").as_deref(),
            Some("https://bangfu.example.cn")
        );
        assert_eq!(
            ok("http://10.0.0.2:8080/bangfu").as_deref(),
            Some("http://10.0.0.2:8080/bangfu")
        );
        for bad in [
            "",
            "bangfu.example.cn",
            "ftp://x.cn",
            "https://",
            "https://u:p@x.cn",
            "https://x.cn/?q",
            "https://x.cn/#f",
        ] {
            assert!(ok(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_pin_is_six_digits_and_its_hash_verifies() {
        assert!(check_pin("012345").is_ok());
        for bad in ["12345", "1234567", "12345a", "１２３４５６"] {
            assert!(check_pin(bad).is_err(), "{bad}");
        }
        let hash = hash_pin("024680").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_pin("024680", &hash).expect("verify"));
        assert!(!verify_pin("024681", &hash).expect("verify"));
    }
}
