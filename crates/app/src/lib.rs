//! bangfu-app: everything the field app does, behind the Tauri shell. The shell (`src-tauri/`) is
//! thin: each of its commands is one call to a method of [`App`] with the same snake_case name,
//! taking and returning the DTOs of this crate and the domain types of `bangfu-core` (its `ts`
//! feature). Both derive `ts_rs::TS`; their TypeScript is generated into `ui/src/bindings/` (see
//! `tests/bindings.rs`), never written by hand. Every error carries an [`ErrorCode`], whose
//! Chinese words are written once, in `error_code.rs`.
//!
//! Code map (one file per screen or feature):
//! - [`session`]: enrol (online sign-in → device token), PIN (argon2id, slowed down after wrong
//!   guesses), unlock/lock, the session the UI starts from.
//! - [`scope`]: which households this person sees (paired households; a first secretary's
//!   village; a township station's township; the county office's county) and the slice of the
//!   store the rules engine needs for them.
//! - [`tasks`]: 我的任务 — obligations and alerts of the rules engine, overdue first, in words.
//! - [`village`]: 村情 — a first secretary's villages: each cadre's owed, overdue and done work
//!   this quarter.
//! - [`households`]: 我的帮扶户 — the paged, searchable household list.
//! - [`household`]: the household page — profile, members (ID numbers masked), pairings, one
//!   timeline.
//! - [`visit`]: visit drafts saved at every step, photos and the signature, finishing a visit.
//! - [`correction`]: correcting a saved visit (a visit draft pre-filled from the visit in force,
//!   a reason, a new visit that supersedes it).
//! - [`contact`]: contacts by phone, network or social media (never a visit).
//! - [`income`]: the quarterly income form, live preview with the D3 warnings, saving.
//! - [`evaluation`]: the quarterly effectiveness evaluation (D5), pre-filled from the household's
//!   income, latest checks, risks and measures; saved as an append-only record.
//! - [`sync`]: what waits to sync, the last sync, and the DTOs of `sync_now` (progress, report,
//!   failures in plain words).
//! - [`sync_run`]: `sync_now` itself ([`sync_run::Syncer`]: push, pull, then photos, on its own
//!   connections so screens stay usable) and fetching photos this phone does not hold.
//! - `photo`: photo and signature files under `photos/` by SHA-256, and the intake of
//!   `add_photo` (bangfu-photo: shrink, EXIF dropped, watermark).
//! - [`sign`]: 更换联系牌 (R7) — the pairings waiting for a new contact sign, recording one.
//! - [`arrange`]: 安排结对 (R6) — the first secretary pairs a household without a cadre with a
//!   cadre of the units assisting her village.
//! - [`error`]: [`AppError`], serialised to the UI as `{code, message, retry_after_s, fields}`.
//!
//! Files in the data directory: `store.sqlite` (the records, bangfu-store), `app.sqlite` (account,
//! PIN hash, drafts, photo queue, sync runs: bangfu-store's `LocalDb`), `device_token` (mode
//! 0600), `photos/<sha256>`.
//!
//! This crate orchestrates: it writes no SQL (the store's typed queries and `LocalDb` do) and
//! speaks no HTTP (bangfu-sync-client signs in and syncs, bangfu-blobs moves photos).
//!
//! Personal data never goes to logs: this crate logs nothing, and its error messages never
//! contain names, ID numbers, phone numbers or sums. ID numbers are masked before they leave
//! this crate.

pub mod arrange;
pub mod clock;
pub mod contact;
pub mod correction;
pub mod error;
mod error_code;
pub mod evaluation;
pub mod household;
pub mod households;
pub mod income;
mod photo;
pub mod scope;
pub mod session;
pub mod sign;
pub mod sync;
pub mod sync_run;
pub mod tasks;
pub mod village;
pub mod visit;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bangfu_store::{LocalDb, Store};
use chrono::{DateTime, FixedOffset, NaiveDate};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AppError, ErrorBody, ErrorCode, FieldError, Result};

/// The app: the local store, the app's own database and the session.
///
/// Not `Sync` (SQLite connections): the shell keeps it behind a mutex.
#[derive(Debug)]
pub struct App {
    dir: PathBuf,
    store: Store,
    local: LocalDb,
    clock: Arc<dyn Clock>,
    /// Whether the PIN was entered since the app started (or since `lock`).
    unlocked: bool,
    /// The server address the enrol screen starts with (the shell's `BANGFU_SERVER_URL`).
    default_server_url: Option<String>,
    /// When (monotonic time) the PIN's wait was last read, and what was left of it then.
    pin_mark: std::cell::Cell<Option<session::PinMark>>,
}

impl App {
    /// Opens the app's data directory (created if missing) with the phone's clock.
    pub fn open(dir: impl AsRef<Path>) -> Result<App> {
        App::open_with_clock(dir, Arc::new(SystemClock))
    }

    /// Opens the app's data directory with the given clock (tests, screenshots).
    pub fn open_with_clock(dir: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<App> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(dir.join(visit::PHOTO_DIR))?;
        let store = Store::open(dir.join(STORE_FILE))?;
        let local = LocalDb::open(dir.join(LOCAL_FILE))?;
        Ok(App {
            dir,
            store,
            local,
            clock,
            unlocked: false,
            default_server_url: None,
            pin_mark: std::cell::Cell::new(None),
        })
    }

    /// The server address [`App::session`] offers before enrolment (prefilled on the enrol
    /// screen).
    pub fn set_default_server_url(&mut self, url: Option<String>) {
        self.default_server_url = url.filter(|u| !u.trim().is_empty());
    }

    /// The local store (for the shell's sync and for tests).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The local store, mutably (the sync client applies pulled operations through it).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    pub(crate) fn today(&self) -> NaiveDate {
        self.clock.now().date_naive()
    }
}

/// The commands the shell exposes: each is the [`App`] method of that name (`enrol` is async;
/// `add_photo` and `set_signature` take the image as the raw request body with the draft id in
/// the `draft-id` header; `photo_bytes` answers raw bytes, fetching a photo this phone does not
/// hold from the server). `sync_now` is [`sync_run::Syncer::run`] on an [`App::sync_job`].
/// `ui/src/api.ts` wraps exactly these (a test checks it).
pub const COMMANDS: &[&str] = &[
    "session",
    "enrol",
    "unlock",
    "set_pin",
    "lock",
    "my_tasks",
    "my_households",
    "household_page",
    "draft_new",
    "draft_get",
    "draft_save",
    "draft_discard",
    "draft_finish",
    "add_photo",
    "remove_photo",
    "set_signature",
    "photo_bytes",
    "record_contact",
    "income_form",
    "income_preview",
    "income_save",
    "sync_status",
    "sync_now",
    "village_overview",
    "evaluation_form",
    "evaluation_save",
    "correction_open",
    "sign_form",
    "sign_record",
    "pairing_candidates",
    "arrange_pairing",
];

/// The store's file name in the data directory.
pub const STORE_FILE: &str = "store.sqlite";
/// The app database's file name in the data directory.
pub const LOCAL_FILE: &str = "app.sqlite";

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}
