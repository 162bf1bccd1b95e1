//! [`StoreError`]: everything the store can refuse or fail at, each with a stable code and a
//! Chinese message that says what to do.

use std::fmt;

use bangfu_core::validate::ValidationError;
use rusqlite::ffi;
use uuid::Uuid;

/// How many validation errors [`StoreError::Invalid`] names in its messages.
const SHOWN: usize = 3;

/// Why a migration stopped the store from opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationProblem {
    /// The database applied a migration whose text differs from this build's (a landed migration
    /// was edited, or the database was made by a different branch).
    ChecksumMismatch { recorded: String, expected: String },
    /// The database records a migration this build does not know: it was written by a newer app.
    UnknownToThisBuild,
    /// The migration's SQL failed; nothing of it was applied.
    Failed(String),
}

impl fmt::Display for MigrationProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrationProblem::ChecksumMismatch { recorded, expected } => write!(
                f,
                "the database applied it with checksum {recorded}, this build has {expected}; \
                 landed migrations must never be edited"
            ),
            MigrationProblem::UnknownToThisBuild => {
                write!(f, "the database was written by a newer version of bangfu")
            }
            MigrationProblem::Failed(why) => write!(f, "failed and was rolled back: {why}"),
        }
    }
}

/// An error of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Validation refused the record(s); nothing was written.
    #[error("{}", invalid_summary(.0))]
    Invalid(Vec<ValidationError>),
    /// SQLite failed (I/O, disk full, busy, …).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A schema migration cannot be applied or does not match this build.
    #[error("migration {version} ({name}): {problem}")]
    Migration {
        version: u32,
        name: String,
        problem: MigrationProblem,
    },
    /// A stored value cannot be decoded (never a panic: the row is named instead).
    #[error("corrupt {entity} {}: field `{field}`: {problem}", show_id(.id))]
    Corrupt {
        entity: &'static str,
        id: Option<Uuid>,
        field: &'static str,
        problem: String,
    },
    /// The record (or, with no id, the dataset settings) is not in the store.
    #[error("{entity} {} not found", show_id(.id))]
    NotFound {
        entity: &'static str,
        id: Option<Uuid>,
    },
    /// An append-only record (visit, contact, income record, evaluation) already exists with this
    /// id: a correction is a new record naming the one it corrects.
    #[error("{entity} {id} already exists and is append-only: save a correction as a new record")]
    AppendOnly { entity: &'static str, id: Uuid },
    /// Two records of one entity share an id.
    #[error("{entity} {id} appears more than once")]
    Duplicate { entity: &'static str, id: Uuid },
    /// A record refers to a record that is not in the store (found by SQLite's foreign keys).
    #[error("{entity} {}: field `{field}` refers to a record that does not exist", show_id(.id))]
    MissingReference {
        entity: &'static str,
        id: Option<Uuid>,
        field: String,
    },
    /// The schema refused a value (a CHECK or NOT NULL constraint), e.g. a negative amount.
    #[error("{entity} {}: the database refused a value: {problem}", show_id(.id))]
    Rejected {
        entity: &'static str,
        id: Option<Uuid>,
        problem: String,
    },
    /// `get_record` was asked for an entity the store does not know.
    #[error("unknown entity `{0}`")]
    UnknownEntity(String),
    /// Sync refused a request or met an inconsistent sync state. Codes: `device_in_use` (the
    /// device id cannot change once this device made operations), `no_scope` (a change without a
    /// scope path), `entity_mismatch` (an id already used by a record of another entity),
    /// `op_id_reused` (a new operation id is already stored), `seq_reused` (two different
    /// operations claim one device's sequence number), `out_of_range` (a sequence number or cursor
    /// beyond what SQLite stores), `encode_failed` (an operation or merge state that cannot be
    /// written as JSON).
    #[error("sync ({code}): {message}")]
    Sync { code: &'static str, message: String },
}

fn show_id(id: &Option<Uuid>) -> String {
    id.map_or_else(|| "-".to_owned(), |id| id.to_string())
}

fn invalid_summary(errors: &[ValidationError]) -> String {
    let mut s = format!("{} validation error(s)", errors.len());
    for e in errors.iter().take(SHOWN) {
        s.push_str("; ");
        s.push_str(&e.to_string());
    }
    if errors.len() > SHOWN {
        s.push_str(&format!("; and {} more", errors.len() - SHOWN));
    }
    s
}

/// The Chinese name of an entity, for messages.
pub(crate) fn entity_zh(entity: &str) -> &'static str {
    match entity {
        "area" => "区域",
        "unit" => "帮扶单位",
        "post" => "职务",
        "person" => "人员",
        "household" => "农户",
        "member" => "家庭成员",
        "pairing" => "结对关系",
        "visit" => "走访记录",
        "contact" => "联系记录",
        "income_record" => "收入记录",
        "evaluation" => "帮扶成效评估",
        "measure" => "帮扶措施",
        "plan" => "帮扶计划",
        "consumption_purchase" => "消费帮扶记录",
        "purchase_event" => "采购对接活动",
        "sign_replacement" => "联系牌更换记录",
        "ledger_submission" => "台账报送记录",
        "monitoring_line" => "监测范围",
        "settings" => "设置",
        _ => "记录",
    }
}

impl StoreError {
    /// A stable code for programs and the UI (never match on the message text).
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Invalid(_) => "invalid",
            StoreError::Sqlite(e) => match e.sqlite_error_code() {
                Some(ffi::ErrorCode::DiskFull) => "disk_full",
                Some(ffi::ErrorCode::DatabaseBusy | ffi::ErrorCode::DatabaseLocked) => {
                    "database_busy"
                }
                Some(ffi::ErrorCode::ReadOnly | ffi::ErrorCode::CannotOpen) => "cannot_write",
                Some(ffi::ErrorCode::NotADatabase | ffi::ErrorCode::DatabaseCorrupt) => {
                    "database_corrupt"
                }
                _ => "sqlite",
            },
            StoreError::Migration { problem, .. } => match problem {
                MigrationProblem::ChecksumMismatch { .. } => "migration_checksum_mismatch",
                MigrationProblem::UnknownToThisBuild => "database_newer_than_app",
                MigrationProblem::Failed(_) => "migration_failed",
            },
            StoreError::Corrupt { .. } => "corrupt_record",
            StoreError::NotFound { .. } => "not_found",
            StoreError::AppendOnly { .. } => "append_only",
            StoreError::Duplicate { .. } => "duplicate_id",
            StoreError::MissingReference { .. } => "missing_reference",
            StoreError::Rejected { .. } => "rejected_value",
            StoreError::UnknownEntity(_) => "unknown_entity",
            StoreError::Sync { code, .. } => code,
        }
    }

    /// What went wrong and what to do, in Simplified Chinese, for the UI. Contains no personal data.
    pub fn message_zh(&self) -> String {
        match self {
            StoreError::Invalid(errors) => {
                let mut s = format!("有 {} 处填写有误，未保存：", errors.len());
                for (i, e) in errors.iter().take(SHOWN).enumerate() {
                    if i > 0 {
                        s.push('；');
                    }
                    s.push_str(&format!(
                        "{}（{}）：{}",
                        entity_zh(e.entity),
                        e.field,
                        e.message_zh
                    ));
                }
                if errors.len() > SHOWN {
                    s.push_str(&format!("；另有 {} 处", errors.len() - SHOWN));
                }
                s.push_str("。请改正后再保存。");
                s
            }
            StoreError::Sqlite(_) => match self.code() {
                "disk_full" => "手机存储空间已满，未能保存。请清理存储空间后重试，已填写的内容不会丢失。"
                    .to_owned(),
                "database_busy" => "数据库正忙（可能正在同步），请稍后重试。".to_owned(),
                "cannot_write" => "无法写入数据库，请检查应用的存储权限后重试。".to_owned(),
                "database_corrupt" => {
                    "数据库文件已损坏。请不要删除应用，立即联系县办技术人员恢复数据。".to_owned()
                }
                _ => "数据库出错，未能完成操作。请重试；如仍失败，请联系县办技术人员。".to_owned(),
            },
            StoreError::Migration { problem, .. } => match problem {
                MigrationProblem::ChecksumMismatch { .. } => {
                    "数据库结构与本版应用不一致，已停止打开以保护数据。请勿删除数据，联系县办技术人员。"
                        .to_owned()
                }
                MigrationProblem::UnknownToThisBuild => {
                    "数据库由更新版本的应用写入。请将应用升级到最新版本后再打开。".to_owned()
                }
                MigrationProblem::Failed(_) => {
                    "数据库升级失败，数据未改动。请确认存储空间充足后重启应用；如仍失败，请联系县办技术人员。"
                        .to_owned()
                }
            },
            StoreError::Corrupt { entity, .. } => format!(
                "有一条{}无法读取（数据已损坏）。请联系县办技术人员，并尽快同步以免丢失其他数据。",
                entity_zh(entity)
            ),
            StoreError::NotFound { entity, id: None } => {
                format!("尚无{}。请先导入或同步数据。", entity_zh(entity))
            }
            StoreError::NotFound { entity, .. } => format!(
                "找不到这条{}，可能已被删除或尚未同步。请同步后再试。",
                entity_zh(entity)
            ),
            StoreError::AppendOnly { entity, .. } => format!(
                "这条{}已保存，不能修改。如需更正，请新建一条更正记录。",
                entity_zh(entity)
            ),
            StoreError::Duplicate { entity, .. } => format!(
                "数据中有重复的{}（编号相同），未保存。请检查导入的数据。",
                entity_zh(entity)
            ),
            StoreError::MissingReference { entity, .. } => format!(
                "{}引用了不存在的记录，未保存。请先同步或录入它引用的农户、人员等信息后再保存。",
                entity_zh(entity)
            ),
            StoreError::Rejected { entity, .. } => format!(
                "{}中有不允许的数值（如负数金额），未保存。请检查后重新填写。",
                entity_zh(entity)
            ),
            StoreError::UnknownEntity(_) => {
                "应用内部错误：未知的记录类型。请将应用升级到最新版本。".to_owned()
            }
            StoreError::Sync { code, .. } => match *code {
                "device_in_use" => {
                    "本设备已有待同步或已同步的记录，不能更换设备编号。请联系县办技术人员。"
                        .to_owned()
                }
                "no_scope" => "应用内部错误：记录缺少所属区域，未保存。请将应用升级到最新版本。"
                    .to_owned(),
                "entity_mismatch" => {
                    "记录编号与另一类记录重复，未保存。请联系县办技术人员。".to_owned()
                }
                _ => "同步数据出错，未能完成操作。请重试；如仍失败，请联系县办技术人员。"
                    .to_owned(),
            },
        }
    }
}

/// Maps an error of an INSERT or UPDATE of one record to a precise [`StoreError`].
pub(crate) fn write_error(
    e: rusqlite::Error,
    entity: &'static str,
    id: Option<Uuid>,
) -> StoreError {
    let extended = match &e {
        rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
        _ => return StoreError::Sqlite(e),
    };
    match extended {
        ffi::SQLITE_CONSTRAINT_PRIMARYKEY | ffi::SQLITE_CONSTRAINT_UNIQUE => match id {
            Some(id) => StoreError::Duplicate { entity, id },
            None => StoreError::Sqlite(e),
        },
        ffi::SQLITE_CONSTRAINT_CHECK | ffi::SQLITE_CONSTRAINT_NOTNULL => StoreError::Rejected {
            entity,
            id,
            problem: e.to_string(),
        },
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::MissingReference {
            entity,
            id,
            field: String::new(),
        },
        _ => StoreError::Sqlite(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_lists_the_first_errors_by_record_and_field() {
        let e = |i: u128| ValidationError {
            entity: "visit",
            record_id: Uuid::from_u128(i),
            field: "household_id".into(),
            code: "unknown_reference",
            message: "no such household".into(),
            message_zh: "农户不存在".into(),
        };
        let err = StoreError::Invalid((1..=5).map(e).collect());
        let text = err.to_string();
        assert!(text.starts_with("5 validation error(s)"), "{text}");
        assert!(
            text.contains("field `household_id`") && text.contains("and 2 more"),
            "{text}"
        );
        assert_eq!(err.code(), "invalid");
        let zh = err.message_zh();
        assert!(zh.contains("走访记录（household_id）：农户不存在"), "{zh}");
        assert!(zh.contains("另有 2 处"), "{zh}");
    }
}
