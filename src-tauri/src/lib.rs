//! bangfu-tauri: the field app's Tauri 2 shell. One window showing the Vue UI (`ui/dist`,
//! embedded at build time) and thin commands: each is one call to the `bangfu_app::App` method of
//! the same name, its error passed through as the app's `{code, message, retry_after_s, fields}`
//! (`bangfu_app::ErrorBody`). `sync_now` is `bangfu_app::sync_run::Syncer::run`, its progress
//! forwarded to the UI's channel. The command names are exactly `bangfu_app::COMMANDS` (a test
//! below checks).
//!
//! The app sits behind a `tokio::sync::Mutex` (its SQLite connections are not `Sync`); a
//! command takes the lock and runs on a blocking thread, so the window never waits on SQLite or
//! on photo intake. A sync takes the lock only for a moment: it runs on its own connections.
//!
//! Where the data lives: `--data-dir DIR`, else `$BANGFU_DATA_DIR`, else the platform's app data
//! directory (`~/.local/share/cn.bangfu.field` on Linux, the app's private storage on Android).
//! The enrol screen starts with `--server-url URL` or `$BANGFU_SERVER_URL`, if given.
//!
//! Nothing here logs: no command's input or output (names, ID numbers, tokens) reaches a log.

use std::path::PathBuf;
use std::sync::Arc;

use bangfu_app::arrange::{
    ArrangeInput, PairingArranged, PairingCandidates, PairingCandidatesQuery,
};
use bangfu_app::contact::{ContactInput, ContactSaved};
use bangfu_app::correction::CorrectionOpenRequest;
use bangfu_app::evaluation::{
    EvaluationForm, EvaluationFormQuery, EvaluationInput, EvaluationSaved,
};
use bangfu_app::household::{HouseholdDetail, HouseholdPageQuery};
use bangfu_app::households::{HouseholdList, HouseholdQuery};
use bangfu_app::income::{IncomeForm, IncomeFormQuery, IncomeInput, IncomePreview, IncomeSaved};
use bangfu_app::session::{EnrolRequest, Session, SetPinRequest, UnlockRequest};
use bangfu_app::sign::{SignForm, SignFormQuery, SignInput, SignSaved};
use bangfu_app::sync::{SyncProgress, SyncReport, SyncStatus};
use bangfu_app::sync_run::{Syncer, fetch_photo};
use bangfu_app::tasks::{TaskList, TasksQuery};
use bangfu_app::village::{VillageOverview, VillageQuery};
use bangfu_app::visit::{
    DraftNewRequest, DraftQuery, DraftRef, PhotoQuery, PhotoRemoveRequest, VisitDraft,
    VisitFinished,
};
use bangfu_app::{App, AppError, ErrorBody};
use tauri::ipc::{Channel, InvokeBody, Request, Response};
use tauri::{AppHandle, Manager, State};
use tokio::sync::Mutex;
use uuid::Uuid;

/// mimalloc, here so that the desktop binary and the phone's library both use it: a sync frees
/// thousands of small JSON values per page, where the platform's allocator is much slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A command's answer: its value, or the app's error as the UI receives it.
type Cmd<T> = Result<T, ErrorBody>;

/// What every command reaches.
#[derive(Debug)]
struct Shell {
    /// The app, or why it could not open its data (a full disk, an unreadable directory): then
    /// every command answers with that error, which says what to do.
    app: Result<Arc<Mutex<App>>, ErrorBody>,
    syncer: Syncer,
}

impl Shell {
    fn open(handle: &AppHandle) -> Shell {
        let app = data_dir(handle)
            .and_then(|dir| App::open(&dir).map_err(|e| e.body()))
            .map(|mut app| {
                app.set_default_server_url(option("--server-url", "BANGFU_SERVER_URL"));
                Arc::new(Mutex::new(app))
            });
        Shell {
            app,
            syncer: Syncer::default(),
        }
    }

    fn app(&self) -> Cmd<Arc<Mutex<App>>> {
        self.app.clone()
    }

    /// Runs `f` on the app, on a blocking thread, holding the lock.
    async fn call<T, F>(&self, f: F) -> Cmd<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut App) -> bangfu_app::Result<T> + Send + 'static,
    {
        let mut app = self.app()?.lock_owned().await;
        tauri::async_runtime::spawn_blocking(move || f(&mut app))
            .await
            .map_err(|_| AppError::Internal("command thread".into()).body())?
            .map_err(|e| e.body())
    }
}

/// `--name VALUE` or `--name=VALUE` on the command line, else the environment variable.
fn option(flag: &str, env: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == flag {
            return args.next();
        }
        if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            return Some(v.to_owned());
        }
    }
    std::env::var(env).ok().filter(|v| !v.trim().is_empty())
}

fn data_dir(handle: &AppHandle) -> Cmd<PathBuf> {
    if let Some(dir) = option("--data-dir", "BANGFU_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    handle
        .path()
        .app_data_dir()
        .map_err(|_| AppError::Internal("no app data directory".into()).body())
}

/// The draft id header and the raw body of `add_photo` / `set_signature`.
fn draft_and_bytes(request: &Request<'_>) -> Cmd<(Uuid, Vec<u8>)> {
    let id = request
        .headers()
        .get("draft-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::NotFound("draft").body())?;
    match request.body() {
        InvokeBody::Raw(bytes) => Ok((id, bytes.clone())),
        InvokeBody::Json(_) => {
            Err(AppError::Internal("the image must be the raw body".into()).body())
        }
    }
}

#[tauri::command]
async fn session(shell: State<'_, Shell>) -> Cmd<Session> {
    shell.call(|app| app.session()).await
}

/// Online: holds the app while the server answers (the enrol screen waits anyway).
#[tauri::command]
async fn enrol(shell: State<'_, Shell>, req: EnrolRequest) -> Cmd<Session> {
    let app = shell.app()?;
    let mut app = app.lock().await;
    app.enrol(req).await.map_err(|e| e.body())
}

#[tauri::command]
async fn unlock(shell: State<'_, Shell>, req: UnlockRequest) -> Cmd<Session> {
    shell.call(move |app| app.unlock(req)).await
}

#[tauri::command]
async fn set_pin(shell: State<'_, Shell>, req: SetPinRequest) -> Cmd<Session> {
    shell.call(move |app| app.set_pin(req)).await
}

#[tauri::command]
async fn lock(shell: State<'_, Shell>) -> Cmd<Session> {
    shell.call(|app| app.lock()).await
}

#[tauri::command]
async fn my_tasks(shell: State<'_, Shell>, req: TasksQuery) -> Cmd<TaskList> {
    shell.call(move |app| app.my_tasks(req)).await
}

#[tauri::command]
async fn my_households(shell: State<'_, Shell>, req: HouseholdQuery) -> Cmd<HouseholdList> {
    shell.call(move |app| app.my_households(req)).await
}

#[tauri::command]
async fn household_page(shell: State<'_, Shell>, req: HouseholdPageQuery) -> Cmd<HouseholdDetail> {
    shell.call(move |app| app.household_page(req)).await
}

#[tauri::command]
async fn draft_new(shell: State<'_, Shell>, req: DraftNewRequest) -> Cmd<VisitDraft> {
    shell.call(move |app| app.draft_new(req)).await
}

#[tauri::command]
async fn draft_get(shell: State<'_, Shell>, req: DraftQuery) -> Cmd<Option<VisitDraft>> {
    shell.call(move |app| app.draft_get(req)).await
}

#[tauri::command]
async fn draft_save(shell: State<'_, Shell>, req: VisitDraft) -> Cmd<VisitDraft> {
    shell.call(move |app| app.draft_save(req)).await
}

#[tauri::command]
async fn draft_discard(shell: State<'_, Shell>, req: DraftRef) -> Cmd<()> {
    shell.call(move |app| app.draft_discard(req)).await
}

#[tauri::command]
async fn draft_finish(shell: State<'_, Shell>, req: DraftRef) -> Cmd<VisitFinished> {
    shell.call(move |app| app.draft_finish(req)).await
}

/// The photo is the raw body, the draft id the `draft-id` header.
#[tauri::command]
async fn add_photo(shell: State<'_, Shell>, request: Request<'_>) -> Cmd<VisitDraft> {
    let (id, bytes) = draft_and_bytes(&request)?;
    shell.call(move |app| app.add_photo(id, &bytes)).await
}

#[tauri::command]
async fn remove_photo(shell: State<'_, Shell>, req: PhotoRemoveRequest) -> Cmd<VisitDraft> {
    shell.call(move |app| app.remove_photo(req)).await
}

/// The signature PNG is the raw body, the draft id the `draft-id` header.
#[tauri::command]
async fn set_signature(shell: State<'_, Shell>, request: Request<'_>) -> Cmd<VisitDraft> {
    let (id, png) = draft_and_bytes(&request)?;
    shell.call(move |app| app.set_signature(id, &png)).await
}

/// Raw bytes. A photo this phone does not hold (another cadre's visit) comes from the server
/// (without holding the app meanwhile) and is kept.
#[tauri::command]
async fn photo_bytes(shell: State<'_, Shell>, req: PhotoQuery) -> Cmd<Response> {
    let sha = req.sha256.clone();
    let here = shell
        .call(move |app| match app.photo_bytes(req) {
            Ok(bytes) => Ok(Ok(bytes)),
            Err(AppError::NotFound(_)) => app.photo_remote().map(Err),
            Err(e) => Err(e),
        })
        .await?;
    let bytes = match here {
        Ok(bytes) => bytes,
        Err(remote) => {
            let bytes = fetch_photo(&remote, &sha).await.map_err(|e| e.body())?;
            let kept = bytes.clone();
            shell
                .call(move |app| app.keep_fetched_photo(&sha, &kept))
                .await?;
            bytes
        }
    };
    Ok(Response::new(bytes))
}

#[tauri::command]
async fn record_contact(shell: State<'_, Shell>, req: ContactInput) -> Cmd<ContactSaved> {
    shell.call(move |app| app.record_contact(req)).await
}

#[tauri::command]
async fn income_form(shell: State<'_, Shell>, req: IncomeFormQuery) -> Cmd<IncomeForm> {
    shell.call(move |app| app.income_form(req)).await
}

#[tauri::command]
async fn income_preview(shell: State<'_, Shell>, req: IncomeInput) -> Cmd<IncomePreview> {
    shell.call(move |app| app.income_preview(req)).await
}

#[tauri::command]
async fn income_save(shell: State<'_, Shell>, req: IncomeInput) -> Cmd<IncomeSaved> {
    shell.call(move |app| app.income_save(req)).await
}

#[tauri::command]
async fn sync_status(shell: State<'_, Shell>) -> Cmd<SyncStatus> {
    shell.call(|app| app.sync_status()).await
}

/// Push, pull, photos; progress on `onProgress`. A network failure is inside the report.
#[tauri::command]
async fn sync_now(shell: State<'_, Shell>, on_progress: Channel<SyncProgress>) -> Cmd<SyncReport> {
    let job = shell.call(|app| app.sync_job()).await?;
    let mut forward = move |p: SyncProgress| {
        // A closed window cannot be told; the sync goes on and keeps its report.
        let _ = on_progress.send(p);
    };
    shell
        .syncer
        .run(job, &mut forward)
        .await
        .map_err(|e| e.body())
}

#[tauri::command]
async fn village_overview(shell: State<'_, Shell>, req: VillageQuery) -> Cmd<VillageOverview> {
    shell.call(move |app| app.village_overview(req)).await
}

#[tauri::command]
async fn evaluation_form(shell: State<'_, Shell>, req: EvaluationFormQuery) -> Cmd<EvaluationForm> {
    shell.call(move |app| app.evaluation_form(req)).await
}

#[tauri::command]
async fn evaluation_save(shell: State<'_, Shell>, req: EvaluationInput) -> Cmd<EvaluationSaved> {
    shell.call(move |app| app.evaluation_save(req)).await
}

/// Opens a saved visit for correction: a visit draft pre-filled from it.
#[tauri::command]
async fn correction_open(shell: State<'_, Shell>, req: CorrectionOpenRequest) -> Cmd<VisitDraft> {
    shell.call(move |app| app.correction_open(req)).await
}

#[tauri::command]
async fn sign_form(shell: State<'_, Shell>, req: SignFormQuery) -> Cmd<SignForm> {
    shell.call(move |app| app.sign_form(req)).await
}

#[tauri::command]
async fn sign_record(shell: State<'_, Shell>, req: SignInput) -> Cmd<SignSaved> {
    shell.call(move |app| app.sign_record(req)).await
}

#[tauri::command]
async fn pairing_candidates(
    shell: State<'_, Shell>,
    req: PairingCandidatesQuery,
) -> Cmd<PairingCandidates> {
    shell.call(move |app| app.pairing_candidates(req)).await
}

#[tauri::command]
async fn arrange_pairing(shell: State<'_, Shell>, req: ArrangeInput) -> Cmd<PairingArranged> {
    shell.call(move |app| app.arrange_pairing(req)).await
}

/// Starts the app (the desktop `main` and Android's entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let result = tauri::Builder::default()
        .setup(|app| {
            let shell = Shell::open(app.handle());
            app.manage(shell);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            session,
            enrol,
            unlock,
            set_pin,
            lock,
            my_tasks,
            my_households,
            household_page,
            draft_new,
            draft_get,
            draft_save,
            draft_discard,
            draft_finish,
            add_photo,
            remove_photo,
            set_signature,
            photo_bytes,
            record_contact,
            income_form,
            income_preview,
            income_save,
            sync_status,
            sync_now,
            village_overview,
            evaluation_form,
            evaluation_save,
            correction_open,
            sign_form,
            sign_record,
            pairing_candidates,
            arrange_pairing,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("bangfu-app: cannot start: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    /// The handler list above names exactly the app's commands, in the same order.
    #[test]
    fn the_shell_exposes_exactly_the_apps_commands() {
        let source = include_str!("lib.rs");
        let start = source.find("generate_handler![").expect("the handler list")
            + "generate_handler![".len();
        let end = start + source[start..].find(']').expect("its end");
        let names: Vec<&str> = source[start..end]
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(names, bangfu_app::COMMANDS);
    }
}
