//! `sync_now`: push this phone's records, pull everyone else's (bangfu-sync-client), fetch the
//! county's reference data (settings, monitoring lines), then upload the photos of recorded
//! visits (bangfu-blobs). Records are never held back by photos: photos go
//! last, and a photo that fails leaves the records' sync standing.
//!
//! A sync runs without the [`App`] the screens use: [`App::sync_job`] takes what it needs (the
//! data directory, the server, the device token) in a moment, and [`Syncer::run`] opens its own
//! connections to the same SQLite files (WAL: screens keep reading and writing while a sync
//! runs on a 2G link for minutes). Everything the sync client does is committed step by step,
//! so a sync cut anywhere — no signal, the app killed — resumes where it stopped.
//!
//! Every failure ends up in the [`SyncReport`] as a [`SyncFailure`] (stable code, plain Chinese,
//! what to do, retryable); only a phone that cannot open its own files makes `run` fail.
//!
//! Photos this phone does not hold (another cadre's visit, seen by the first secretary) come
//! from the server on demand: [`App::photo_remote`], [`fetch_photo`], [`App::keep_fetched_photo`].

use std::sync::Arc;
use std::time::Duration;

use bangfu_blobs::client::{ClientError, FetchError, Uploader, UploaderOptions};
use bangfu_blobs::sha::Sha256Hex;
use bangfu_sync_client::{
    DeviceToken, HttpOptions, HttpTransport, Phase, SyncError, SyncOptions, sync,
};
use bytes::Bytes;

use crate::App;
use crate::clock::Clock;
use crate::error::{AppError, ErrorCode, Result};
use crate::photo::MAX_PHOTO_BYTES;
use crate::sync::{RejectedItem, SyncFailure, SyncPhase, SyncProgress, SyncReport, rejected_zh};

/// Photos read into memory and uploaded per round (a week offline may leave hundreds waiting;
/// a phone with 2 GB should not hold them all at once).
const PHOTOS_PER_ROUND: usize = 16;
/// How long fetching one photo may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);

/// What a sync needs, taken from the app in a moment ([`App::sync_job`]).
#[derive(Clone)]
pub struct SyncJob {
    dir: std::path::PathBuf,
    clock: Arc<dyn Clock>,
    server_url: String,
    token: String,
}

impl std::fmt::Debug for SyncJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncJob")
            .field("dir", &self.dir)
            .field("server_url", &self.server_url)
            .finish_non_exhaustive()
    }
}

/// Where to fetch photos this phone does not hold.
#[derive(Clone)]
pub struct PhotoRemote {
    server_url: String,
    token: String,
}

impl std::fmt::Debug for PhotoRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoRemote")
            .field("server_url", &self.server_url)
            .finish_non_exhaustive()
    }
}

impl App {
    fn server_and_token(&self) -> Result<(String, String)> {
        let account = self.require_unlocked()?;
        let token = self.device_token()?.ok_or(AppError::NotEnrolled)?;
        // Checked again: an address stored by an older app may be plain HTTP to the internet.
        let server_url = crate::session::normalise_server_url(&account.server_url)?;
        Ok((server_url, token.trim().to_owned()))
    }

    /// What [`Syncer::run`] needs (the app must be unlocked).
    pub fn sync_job(&self) -> Result<SyncJob> {
        let (server_url, token) = self.server_and_token()?;
        Ok(SyncJob {
            dir: self.dir.clone(),
            clock: self.clock.clone(),
            server_url,
            token,
        })
    }

    /// Where to fetch a photo that [`App::photo_bytes`] did not find on the phone.
    pub fn photo_remote(&self) -> Result<PhotoRemote> {
        let (server_url, token) = self.server_and_token()?;
        Ok(PhotoRemote { server_url, token })
    }
}

/// `GET {server}/v1/photos/{sha256}` (bangfu-blobs): a photo's bytes, checked against their name.
pub async fn fetch_photo(remote: &PhotoRemote, sha256: &str) -> Result<Vec<u8>> {
    let Ok(sha) = Sha256Hex::parse(sha256) else {
        return Err(AppError::NotFound("photo"));
    };
    let fetcher = Uploader::new(
        &remote.server_url,
        Some(format!("Bearer {}", remote.token)),
        UploaderOptions {
            request_timeout: FETCH_TIMEOUT,
            ..UploaderOptions::default()
        },
    )
    .map_err(|_| AppError::BadServerUrl)?;
    match fetcher.fetch(&sha, MAX_PHOTO_BYTES as u64).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(FetchError::NotFound) => Err(AppError::NotFound("photo")),
        Err(FetchError::Server { .. }) => Err(AppError::ServerUnavailable),
        Err(FetchError::Refused { status, .. }) => Err(AppError::ServerRefused {
            status,
            code: format!("http_{status}"),
        }),
        Err(FetchError::Timeout) => Err(AppError::Timeout),
        Err(FetchError::Network(_)) => Err(AppError::Offline),
        Err(FetchError::BadResponse(_)) => Err(AppError::BadResponse),
        Err(FetchError::Config(_)) => Err(AppError::BadServerUrl),
    }
}

/// The clients of the last sync, kept for the next while the server and token stay the same (a
/// sync with nothing to do is then one request: the server's version answer is remembered).
struct Clients {
    server_url: String,
    token: String,
    transport: Arc<HttpTransport>,
    uploader: Arc<Uploader>,
}

/// Runs syncs one at a time (a second tap waits for the first and then finds little to do).
pub struct Syncer {
    gate: tokio::sync::Mutex<Option<Clients>>,
    options: SyncOptions,
}

impl std::fmt::Debug for Syncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Syncer").finish_non_exhaustive()
    }
}

impl Default for Syncer {
    fn default() -> Self {
        Syncer::new(SyncOptions {
            leave_scope: true,
            report_unsynced: true,
            version_max_age: Duration::from_secs(600),
            grow_below: Duration::from_secs(1),
            ..SyncOptions::default()
        })
    }
}

/// Turns the sync client's progress into the UI's.
fn progress_of(p: bangfu_sync_client::Progress) -> SyncProgress {
    SyncProgress {
        phase: match p.phase {
            Phase::Push => SyncPhase::Push,
            Phase::Pull => SyncPhase::Pull,
        },
        done: p.done,
        total: p.total,
    }
}

fn failure_of_sync(e: &SyncError) -> SyncFailure {
    SyncFailure::of_sync_code(e.code(), e.is_retryable())
}

fn failure_of_app(e: &AppError) -> SyncFailure {
    let code = match e {
        AppError::DiskFull => ErrorCode::DiskFull,
        _ => ErrorCode::DeviceStorage,
    };
    SyncFailure::of(code, true)
}

fn failure_of_upload(e: &ClientError) -> SyncFailure {
    match e {
        ClientError::Unavailable { .. } => SyncFailure::of(ErrorCode::ConnectionLost, true),
        ClientError::BadResponse(_) => SyncFailure::of(ErrorCode::BadResponse, true),
        ClientError::Config(_) => SyncFailure::of(ErrorCode::Config, false),
        ClientError::Refused { status: 401, .. } => SyncFailure::of(ErrorCode::Unauthorized, false),
        ClientError::Refused { status: 403, .. } => SyncFailure::of(ErrorCode::Forbidden, false),
        // Too many unfinished uploads on the server: the begun ones were finished first; the
        // rest go at a later sync.
        e if e.is_quota() => SyncFailure::of(ErrorCode::PhotoQuota, true),
        ClientError::Refused { .. } | ClientError::LocalHashMismatch(_) => {
            SyncFailure::of(ErrorCode::PhotoRefused, false)
        }
    }
}

impl Syncer {
    pub fn new(options: SyncOptions) -> Syncer {
        Syncer {
            gate: tokio::sync::Mutex::new(None),
            options,
        }
    }

    /// One sync: records (push, pull), then photos. Progress goes to `progress` as it comes;
    /// the report is kept (`sync_status` shows it) and returned.
    pub async fn run(
        &self,
        job: SyncJob,
        progress: &mut (dyn FnMut(SyncProgress) + Send),
    ) -> Result<SyncReport> {
        let mut clients = self.gate.lock().await;
        let mut worker = App::open_with_clock(&job.dir, job.clock.clone())?;
        let started_at = job.clock.now().to_rfc3339();
        let mut report = SyncReport {
            started_at,
            finished_at: String::new(),
            ok: false,
            pushed: 0,
            pulled: 0,
            rejected: Vec::new(),
            photos_uploaded: 0,
            photos_failed: 0,
            clock_warning: None,
            future_received: 0,
            failure: None,
        };
        let reuse = clients
            .as_ref()
            .is_some_and(|c| c.server_url == job.server_url && c.token == job.token);
        if !reuse {
            match make_clients(&job) {
                Ok(c) => *clients = Some(c),
                Err(failure) => {
                    report.failure = Some(failure);
                    return finish(&worker, &job, report);
                }
            }
        }
        let Some(c) = clients.as_ref() else {
            return Err(AppError::Internal("sync clients".into()));
        };
        let waiting = match worker.photos_to_upload() {
            Ok(w) => w,
            Err(e) => {
                report.failure = Some(failure_of_app(&e));
                return finish(&worker, &job, report);
            }
        };
        let options = SyncOptions {
            unsynced_photos: waiting.len() as u64,
            ..self.options.clone()
        };
        let mut on_progress = |p: bangfu_sync_client::Progress| progress(progress_of(p));
        match sync(
            worker.store_mut(),
            &*c.transport,
            &options,
            &mut on_progress,
        )
        .await
        {
            Ok(r) => {
                report.pushed = r.accepted + r.duplicate;
                report.pulled = r.pulled;
                report.future_received = r.future_pulled;
                report.clock_warning = r.server_hlc.and_then(|h| {
                    crate::sync::clock_warning(job.clock.now().timestamp_millis(), h.wall_ms())
                });
                report.rejected = r
                    .rejected
                    .iter()
                    .map(|x| {
                        let entity = x.entity.clone().unwrap_or_default();
                        RejectedItem {
                            message: rejected_zh(&entity, &x.reason.code),
                            entity,
                            code: x.reason.code.clone(),
                        }
                    })
                    .collect();
            }
            Err(e) => {
                report.failure = Some(failure_of_sync(&e));
                return finish(&worker, &job, report);
            }
        }
        // The county's settings and monitoring lines (the rules engine's reference data), kept
        // whole; `None` while the county office has set none.
        match c.transport.reference().await {
            Ok(Some(r)) => {
                if let Err(e) = worker
                    .store_mut()
                    .set_reference(&r.settings, &r.monitoring_lines)
                {
                    report.failure = Some(failure_of_app(&e.into()));
                    return finish(&worker, &job, report);
                }
            }
            Ok(None) => {}
            Err(e) => {
                report.failure = Some(failure_of_sync(&SyncError::Transport(e)));
                return finish(&worker, &job, report);
            }
        }
        upload_photos(&mut worker, &c.uploader, &mut report, progress).await;
        report.ok = report.failure.is_none() && report.photos_failed == 0;
        finish(&worker, &job, report)
    }
}

fn make_clients(job: &SyncJob) -> std::result::Result<Clients, SyncFailure> {
    let transport = HttpTransport::new(
        &job.server_url,
        HttpOptions {
            token: Some(DeviceToken(job.token.clone())),
            ..HttpOptions::default()
        },
    )
    .map_err(|e| failure_of_sync(&SyncError::Transport(e)))?;
    let uploader = Uploader::new(
        &job.server_url,
        Some(format!("Bearer {}", job.token)),
        UploaderOptions::default(),
    )
    .map_err(|e| failure_of_upload(&e))?;
    Ok(Clients {
        server_url: job.server_url.clone(),
        token: job.token.clone(),
        transport: Arc::new(transport),
        uploader: Arc::new(uploader),
    })
}

/// Stamps the end, keeps the report, returns it.
fn finish(worker: &App, job: &SyncJob, mut report: SyncReport) -> Result<SyncReport> {
    report.finished_at = job.clock.now().to_rfc3339();
    worker.record_sync_run(&report)?;
    Ok(report)
}

/// Uploads the photos of recorded visits, a round at a time, marking each one the server holds.
/// `worker` is `&mut`: the future must be `Send`, and an `App` is `Send` but not `Sync`.
async fn upload_photos(
    worker: &mut App,
    uploader: &Uploader,
    report: &mut SyncReport,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) {
    let waiting = match worker.photos_to_upload() {
        Ok(w) => w,
        Err(e) => {
            report.failure = Some(failure_of_app(&e));
            return;
        }
    };
    if waiting.is_empty() {
        return;
    }
    let total: u64 = waiting.iter().map(|p| p.bytes).sum();
    let mut done_before = 0u64;
    progress(SyncProgress {
        phase: SyncPhase::Photos,
        done: 0,
        total: Some(total),
    });
    for round in waiting.chunks(PHOTOS_PER_ROUND) {
        let mut batch = Vec::with_capacity(round.len());
        for p in round {
            let (Ok(sha), Ok(bytes)) = (Sha256Hex::parse(&p.sha256), std::fs::read(&p.path)) else {
                // The file is gone or misnamed: it can never be uploaded; counted, not retried
                // forever silently.
                report.photos_failed += 1;
                continue;
            };
            batch.push((sha, Bytes::from(bytes)));
        }
        let sizes: std::collections::HashMap<String, u64> =
            round.iter().map(|p| (p.sha256.clone(), p.bytes)).collect();
        let mut confirmed: std::collections::HashMap<String, u64> = Default::default();
        let mut each = |sha: &Sha256Hex, p: bangfu_blobs::client::Progress| {
            confirmed.insert(sha.to_string(), p.confirmed);
            let now: u64 = confirmed.values().sum();
            progress(SyncProgress {
                phase: SyncPhase::Photos,
                done: (done_before + now).min(total),
                total: Some(total),
            });
        };
        match uploader.upload_many(&batch, &mut each).await {
            Ok(r) => {
                let refused: std::collections::HashSet<String> =
                    r.refused.iter().map(|(s, _)| s.to_string()).collect();
                for (sha, _) in &batch {
                    let sha = sha.to_string();
                    if refused.contains(&sha) {
                        continue;
                    }
                    if let Err(e) = worker.mark_photo_uploaded(&sha) {
                        report.failure = Some(failure_of_app(&e));
                        return;
                    }
                    report.photos_uploaded += 1;
                }
                report.photos_failed += u32::try_from(r.refused.len()).unwrap_or(u32::MAX);
                if let Some((_, e)) = r.refused.first()
                    && report.failure.is_none()
                {
                    report.failure = Some(failure_of_upload(e));
                }
            }
            Err(e) => {
                // Photos completed before the cut stay stored on the server; the next sync's
                // `have` finds them. Mark those known complete now.
                for (sha, got) in &confirmed {
                    if sizes.get(sha).is_some_and(|size| got >= size)
                        && worker.mark_photo_uploaded(sha).is_ok()
                    {
                        report.photos_uploaded += 1;
                    }
                }
                let waiting = u32::try_from(waiting.len()).unwrap_or(u32::MAX);
                report.photos_failed = waiting.saturating_sub(report.photos_uploaded);
                report.failure = Some(failure_of_upload(&e));
                return;
            }
        }
        done_before += round.iter().map(|p| p.bytes).sum::<u64>();
    }
}
