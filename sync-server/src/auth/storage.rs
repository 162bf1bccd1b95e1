//! [`AccessStorage`]: where accounts, devices, scopes and the audit log are kept.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Account, AuditEntry, AuthError, DeviceInfo, NewAccount, Principal, Scope};
use crate::error::StorageError;
use crate::photos::PhotoRefStorage;
use crate::storage::SyncStorage;

/// Why an administrative act on an account failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the username is taken")]
    Exists,
    #[error("no such account")]
    NoSuchAccount,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Accounts, device tokens, scopes and the audit log. Methods are synchronous (the HTTP layer
/// calls them on blocking threads). The outer `Result` is the storage's own failure; the inner
/// one a refusal.
///
/// What every backend must guarantee:
/// - An audited act and its audit line are written in one transaction: both or neither.
/// - Usernames are unique, and a device id belongs to one account at most. Passwords are stored
///   as their hashes ([`super::hash_password`]) and tokens as theirs ([`super::token_hash`]),
///   never as they are; a replaced or revoked token never authenticates again.
/// - [`scope_of`](AccessStorage::scope_of) reflects every push committed before the call (a
///   backend that caches scopes computes them again after a push that writes pairings, people,
///   households or areas).
pub trait AccessStorage: Send + Sync + std::fmt::Debug {
    /// Creates an account (its fields checked by [`NewAccount::check`]); audited.
    fn create_account(
        &self,
        new: &NewAccount,
        actor: &str,
        now_ms: u64,
    ) -> Result<Account, AccountError>;

    /// Disables or enables an account; a disabled account's devices are refused. Audited.
    fn set_disabled(
        &self,
        username: &str,
        disabled: bool,
        actor: &str,
        now_ms: u64,
    ) -> Result<Account, AccountError>;

    /// Every account, by username.
    fn accounts(&self) -> Result<Vec<Account>, StorageError>;

    /// Checks a password and, if right, gives `device` a fresh token (replacing any earlier one of
    /// that device) — unless the device id is another account's ([`AuthError::DeviceTaken`]) or
    /// revoked ([`AuthError::Revoked`]). Attempts are counted (before the check) and slowed
    /// down. Audited either way (names that do not exist: at most a row a minute).
    #[allow(clippy::too_many_arguments)]
    fn sign_in(
        &self,
        username: &str,
        password: &str,
        device: Uuid,
        device_name: &str,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<Result<(Account, String), AuthError>, StorageError>;

    /// The device and account a token belongs to; notes the device as seen.
    fn authenticate(
        &self,
        token: &str,
        now_ms: u64,
    ) -> Result<Result<Principal, AuthError>, StorageError>;

    /// Devices, of one account or all, newest first.
    fn devices(&self, username: Option<&str>) -> Result<Vec<DeviceInfo>, StorageError>;

    /// Revokes a device's token; `false` if there is no such device. Audited.
    fn revoke_device(&self, device: Uuid, actor: &str, now_ms: u64) -> Result<bool, StorageError>;

    /// Notes a sync of `device` and, when given, what it reported still unsynced.
    fn note_sync(
        &self,
        device: Uuid,
        unsynced: Option<(u64, u64)>,
        now_ms: u64,
    ) -> Result<(), StorageError>;

    /// The account's scope on `today` (see [`super::scope`]).
    fn scope_of(&self, account: &Account, today: NaiveDate) -> Result<Scope, StorageError>;

    /// The scope the device was last served the feed with from its start (`None`: never).
    fn device_scope(&self, device: Uuid) -> Result<Option<Scope>, StorageError>;

    /// Records the scope the device is being served from the start of the feed.
    fn set_device_scope(&self, device: Uuid, scope: &Scope) -> Result<(), StorageError>;

    /// Records that the device's feed starts over from 0 with `scope`: the scope, and the newest
    /// `server_seq` (households moved after it may have history the device was not sent).
    fn start_feed(&self, device: Uuid, scope: &Scope) -> Result<(), StorageError>;

    /// Whether a household moved into `scope` from outside it since the device's feed last
    /// started (its history lies behind the device's cursor: the device must start over).
    fn moved_in(&self, device: Uuid, scope: &Scope) -> Result<bool, StorageError>;

    /// The newest `limit` audit entries, newest first.
    fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StorageError>;

    /// The county's reference data, if the county office set it.
    fn reference(&self) -> Result<Option<bangfu_core::sync::wire::Reference>, StorageError>;

    /// Replaces the reference data; audited.
    fn set_reference(
        &self,
        reference: &bangfu_core::sync::wire::Reference,
        actor: &str,
        now_ms: u64,
    ) -> Result<(), StorageError>;
}

/// Everything the HTTP layer needs of a storage.
pub trait ServerStorage: SyncStorage + AccessStorage + PhotoRefStorage {}

impl<T: SyncStorage + AccessStorage + PhotoRefStorage> ServerStorage for T {}
