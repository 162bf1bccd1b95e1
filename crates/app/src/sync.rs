//! The sync screen's data: what waits (operations by kind, photos), the last sync and its
//! result, refusals by the server. `sync_now` itself (push, pull, then photos — photos never hold
//! records back) is [`crate::sync_run`]; its DTOs are defined here ([`SyncProgress`],
//! [`SyncReport`], [`SyncFailure`]) so the UI is typed against them, and it reports through
//! [`App::record_sync_run`], [`App::photos_to_upload`] and [`App::mark_photo_uploaded`].

use std::path::PathBuf;

use bangfu_store::local::SyncRunRow;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::App;
use crate::clock::epoch_ms;
use crate::error::{ErrorCode, Result};
use crate::photo::PHOTO_DIR;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Sending this phone's records.
    Push,
    /// Receiving others' records.
    Pull,
    /// Uploading photos (after the records).
    Photos,
}

/// Progress of a running sync (sent to the UI as it goes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub done: u64,
    /// Unknown while pulling (the feed's length is not known in advance).
    pub total: Option<u64>,
}

/// Why a sync stopped, in plain words, with what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncFailure {
    /// The sync client's codes (`offline`, `timeout`, `unauthorized`, …) or the device's
    /// (`disk_full`, `device_storage`) or the photos' (`photo_quota`, `photo_refused`).
    pub code: ErrorCode,
    pub message_zh: String,
    pub what_to_do: String,
    /// Trying again later may work without anyone changing anything.
    pub retryable: bool,
}

/// A record of this phone that the server refused (it stays on the phone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RejectedItem {
    /// `visit`, `income_record`, …
    pub entity: String,
    /// The server's reason code.
    pub code: String,
    pub message: String,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncReport {
    pub started_at: String,
    pub finished_at: String,
    /// Everything went through.
    pub ok: bool,
    /// This phone's changes the server accepted (or already had).
    pub pushed: u64,
    /// Others' changes received.
    pub pulled: u64,
    pub rejected: Vec<RejectedItem>,
    pub photos_uploaded: u32,
    pub photos_failed: u32,
    pub failure: Option<SyncFailure>,
    /// Set when this phone's clock is more than a day off the server's: what to do, in words.
    pub clock_warning: Option<String>,
    /// Records received that the server flagged as stamped far in the future (another phone's
    /// clock is wrong): kept, and this phone's clock did not follow them.
    pub future_received: u64,
}

/// One day: a phone's clock further off the server's than this is wrong.
const CLOCK_TOLERANCE_MS: i64 = 24 * 3600 * 1000;

/// What to tell the user when the phone's clock (`device_ms`) is more than a day off the
/// server's (`server_ms`), in words; `None` when it is close enough.
pub(crate) fn clock_warning(device_ms: i64, server_ms: u64) -> Option<String> {
    let server_ms = i64::try_from(server_ms).unwrap_or(i64::MAX);
    let off = device_ms.saturating_sub(server_ms);
    if off.abs() <= CLOCK_TOLERANCE_MS {
        return None;
    }
    let days = (off.abs() + CLOCK_TOLERANCE_MS / 2) / CLOCK_TOLERANCE_MS;
    let way = if off > 0 { "快" } else { "慢" };
    Some(format!(
        "本机时间比服务器{way}约 {days} 天。请在手机“设置”中把日期和时间设为自动：时间不准，本机的修改会盖过别人后来的修改，或被别人早先的修改盖过。已记录的内容按您填写的日期计算，不受影响。"
    ))
}

/// Changes waiting, by kind of record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PendingCount {
    /// `visit`, `contact`, `income_record`, …
    pub entity: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncStatus {
    /// This phone's changes not yet accepted by the server.
    pub pending_ops: u64,
    pub pending: Vec<PendingCount>,
    /// Photos and signatures of recorded visits not uploaded yet.
    pub photos_waiting: u32,
    pub photos_waiting_bytes: u64,
    pub last_sync: Option<SyncReport>,
    /// When a sync last went through whole.
    pub last_success_at: Option<String>,
    /// Every change the server ever refused (kept on the phone; a correction fixes it).
    pub rejected: Vec<RejectedItem>,
    /// Fields edited on two devices at once, waiting for a supervisor.
    pub conflicts: u32,
    pub server_url: Option<String>,
}

/// A photo file waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoUpload {
    pub sha256: String,
    pub path: PathBuf,
    pub bytes: u64,
    /// `photo` or `signature`.
    pub kind: String,
}

impl SyncFailure {
    /// A failure in the code's words ([`ErrorCode::message`], [`ErrorCode::what_to_do`]).
    pub fn of(code: ErrorCode, retryable: bool) -> SyncFailure {
        SyncFailure {
            code,
            message_zh: format!("{}已录入的数据都保存在手机上，不会丢失。", code.message()),
            what_to_do: code.what_to_do().to_owned(),
            retryable,
        }
    }

    /// A failure named by the sync client's `SyncError::code()`.
    pub fn of_sync_code(code: &str, retryable: bool) -> SyncFailure {
        let code = match ErrorCode::parse(code) {
            // A 404 to a sync request: the server address is wrong.
            Some(ErrorCode::NotFound) => ErrorCode::ServiceNotFound,
            Some(c) => c,
            None => ErrorCode::SyncFailed,
        };
        SyncFailure::of(code, retryable)
    }
}

/// The plain words for a change the server refused: what happened and what to do. Every refusal
/// keeps the record on the phone and on the server (nothing is lost); the rest of the sync went on.
pub(crate) fn rejected_zh(entity: &str, code: &str) -> String {
    let what = entity_zh(entity);
    match code {
        "forbidden_scope" => format!(
            "一条{what}没有被接收：该户已不在您的帮扶范围内（结对可能已结束或调整）。记录仍保存在手机和服务器上，请联系驻村第一书记或乡镇工作站处理。"
        ),
        "scope_path_mismatch" => format!(
            "一条{what}没有被接收：该户在服务器上的归属已变化（可能已迁移到其他村）。请先同步，再打开该户重新记录。"
        ),
        "forbidden_role" | "forbidden_field" => format!(
            "一条{what}没有被接收：您的账号没有修改这项内容的权限（如结对、类别变更由帮扶单位、乡镇或县级办理）。记录仍保存在手机和服务器上。"
        ),
        "wrong_author" | "no_person" => {
            format!("一条{what}没有被接收：记录人与登录账号不一致。请用本人账号登录后重新记录。")
        }
        "changed_resend" => format!(
            "一条{what}在上传后又被改动：服务器保留了最初上传的内容。如需修改，请新增一条更正记录。"
        ),
        "id_taken" => format!(
            "一条{what}的编号与服务器上另一条记录重复，没有被接收。请重新记录一次，并联系县级管理员。"
        ),
        "bad_correction" => format!(
            "一条{what}的更正对象不是同一户的同类记录，没有被接收。请打开该户，在原记录上点“更正”重新填写。"
        ),
        "not_author_of_corrected" => format!(
            "一条{what}的更正没有被接收：只有原记录的记录人本人才能更正它。请联系原记录人在其手机上更正。"
        ),
        _ => format!(
            "一条{what}被服务器拒绝（原因代码：{code}）。记录仍保存在手机上；请打开该户核对，新增一条更正记录。"
        ),
    }
}

fn entity_zh(entity: &str) -> &'static str {
    match entity {
        "visit" => "走访记录",
        "contact" => "联系记录",
        "income_record" => "收入记录",
        "evaluation" => "成效评估",
        "measure" => "帮扶措施",
        "plan" => "帮扶计划",
        "household" => "农户信息",
        "member" => "家庭成员",
        "pairing" => "结对关系",
        "sign_replacement" => "联系牌更换记录",
        _ => "记录",
    }
}

impl App {
    /// 同步: what waits and how the last sync went.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let account = self.require_unlocked()?;
        let pending = self
            .store
            .unsynced_by_entity()?
            .into_iter()
            .map(|(entity, n)| PendingCount {
                entity,
                count: u32::try_from(n).unwrap_or(u32::MAX),
            })
            .collect();
        let (photos_waiting, photos_bytes) = self.local.photos_waiting_total()?;
        let last = self.local.last_sync_run()?;
        let last_success_at = self.local.last_success_at()?;
        let rejected = self
            .store
            .rejected_ops()?
            .into_iter()
            .map(|r| RejectedItem {
                message: rejected_zh(&r.op.entity, &r.reason.code),
                entity: r.op.entity,
                code: r.reason.code,
            })
            .collect();
        Ok(SyncStatus {
            pending_ops: self.store.unsynced_count()?,
            pending,
            photos_waiting: u32::try_from(photos_waiting).unwrap_or(u32::MAX),
            photos_waiting_bytes: photos_bytes,
            last_sync: last.map(|b| serde_json::from_str(&b)).transpose()?,
            last_success_at,
            rejected,
            conflicts: u32::try_from(self.store.conflicts()?.len()).unwrap_or(u32::MAX),
            server_url: Some(account.server_url),
        })
    }

    /// Keeps a sync's report (the shell's `sync_now` calls this when it ends, well or not).
    pub fn record_sync_run(&self, report: &SyncReport) -> Result<()> {
        self.local.add_sync_run(&SyncRunRow {
            finished_at: report.finished_at.clone(),
            ok: report.ok,
            body: serde_json::to_string(report)?,
        })?;
        Ok(())
    }

    /// Photos and signatures of recorded visits still to upload, oldest first.
    pub fn photos_to_upload(&self) -> Result<Vec<PhotoUpload>> {
        Ok(self
            .local
            .photos_waiting()?
            .into_iter()
            .map(|p| PhotoUpload {
                path: self.dir.join(PHOTO_DIR).join(&p.sha256),
                sha256: p.sha256,
                bytes: p.bytes,
                kind: p.kind,
            })
            .collect())
    }

    /// Marks a photo as held by the server (its hash verified there).
    pub fn mark_photo_uploaded(&self, sha256: &str) -> Result<()> {
        self.local
            .mark_photo_uploaded(sha256, epoch_ms(self.now()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::rejected_zh;

    #[test]
    fn every_authorization_refusal_is_said_in_words_with_what_to_do() {
        for code in [
            "forbidden_scope",
            "scope_path_mismatch",
            "forbidden_role",
            "forbidden_field",
            "wrong_author",
            "no_person",
            "changed_resend",
            "id_taken",
            "bad_correction",
        ] {
            let text = rejected_zh("visit", code);
            assert!(text.contains("走访记录"), "{code}: {text}");
            assert!(
                !text.contains("原因代码"),
                "{code} has its own words: {text}"
            );
        }
        assert!(rejected_zh("visit", "something_new").contains("something_new"));
    }

    #[test]
    fn a_clock_more_than_a_day_off_the_servers_is_told_with_what_to_do() {
        use super::clock_warning;
        let server = 1_800_000_000_000u64;
        let day = 24 * 3600 * 1000i64;
        let s = server as i64;
        assert_eq!(clock_warning(s, server), None);
        assert_eq!(clock_warning(s + day - 1, server), None);
        let ahead = clock_warning(s + 3650 * day, server).expect("ten years ahead");
        assert!(
            ahead.contains("快约 3650 天") && ahead.contains("设为自动"),
            "{ahead}"
        );
        let behind = clock_warning(s - 2 * day, server).expect("two days behind");
        assert!(behind.contains("慢约 2 天"), "{behind}");
    }
}
