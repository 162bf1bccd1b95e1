//! Reading and writing the dataset JSON (the interchange format, `docs/dataset.md`).
//! Parsing text is not I/O: the caller reads the file.

use serde::Deserialize;

use crate::model::dataset::{DATASET_FORMAT, DATASET_VERSION, Dataset};

/// Why a dataset JSON text was refused.
#[derive(Debug, thiserror::Error)]
pub enum DatasetJsonError {
    /// Not JSON at all, or not an object with `format` and `version`.
    #[error("not a bangfu dataset: {0}")]
    NotADataset(String),
    /// `format` is not `bangfu-dataset`.
    #[error("`format` is `{0}`, expected `{DATASET_FORMAT}`: this file is not a bangfu dataset")]
    WrongFormat(String),
    /// Written by a newer bangfu.
    #[error(
        "dataset version {0} is newer than this bangfu understands ({DATASET_VERSION}): upgrade bangfu"
    )]
    TooNew(u32),
    /// Older than any version this build reads.
    #[error("dataset version {0} is not supported (this bangfu reads version {DATASET_VERSION})")]
    Unsupported(u32),
    /// A field has the wrong type or an impossible value; `path` names the record and field,
    /// e.g. `visits[12].visited_at`.
    #[error("at `{path}`: {message}")]
    Field { path: String, message: String },
}

impl DatasetJsonError {
    /// Stable code for programs and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            DatasetJsonError::NotADataset(_) => "dataset_not_json",
            DatasetJsonError::WrongFormat(_) => "dataset_wrong_format",
            DatasetJsonError::TooNew(_) => "dataset_too_new",
            DatasetJsonError::Unsupported(_) => "dataset_unsupported_version",
            DatasetJsonError::Field { .. } => "dataset_bad_field",
        }
    }

    /// What the user should do, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            DatasetJsonError::NotADataset(_) | DatasetJsonError::WrongFormat(_) => {
                "文件不是本系统导出的数据集，请选择正确的 JSON 数据文件。".to_owned()
            }
            DatasetJsonError::TooNew(_) => {
                "数据文件来自更新版本，请先升级本软件再导入。".to_owned()
            }
            DatasetJsonError::Unsupported(_) => "数据文件版本过旧，无法导入。".to_owned(),
            DatasetJsonError::Field { path, .. } => {
                format!(
                    "数据文件中 {path} 的值不正确（日期须为 YYYY-MM-DD 且真实存在），请改正后重新导入。"
                )
            }
        }
    }
}

#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u32>,
}

/// Parses a dataset, checking its header first so that a wrong or newer file gets a clear answer.
/// Field errors name the JSON path of the record and field. Semantic checks are
/// [`crate::validate::validate_dataset`]'s job.
pub fn dataset_from_json(text: &str) -> Result<Dataset, DatasetJsonError> {
    let header: Header =
        serde_json::from_str(text).map_err(|e| DatasetJsonError::NotADataset(e.to_string()))?;
    match header.format.as_deref() {
        Some(DATASET_FORMAT) => {}
        Some(other) => return Err(DatasetJsonError::WrongFormat(other.to_owned())),
        None => {
            return Err(DatasetJsonError::NotADataset(
                "the object has no `format` field".to_owned(),
            ));
        }
    }
    match header.version {
        Some(DATASET_VERSION) => {}
        Some(v) if v > DATASET_VERSION => return Err(DatasetJsonError::TooNew(v)),
        Some(v) => return Err(DatasetJsonError::Unsupported(v)),
        None => {
            return Err(DatasetJsonError::NotADataset(
                "the object has no `version` field".to_owned(),
            ));
        }
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| DatasetJsonError::Field {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// Writes a dataset as pretty JSON (two-space indent, fields in declaration order).
pub fn dataset_to_json(dataset: &Dataset) -> String {
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string_pretty(dataset).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dataset::Settings;

    fn empty_json() -> String {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        dataset_to_json(&Dataset::empty(Settings::with_tracking_start(d)))
    }

    #[test]
    fn round_trips_an_empty_dataset() {
        let text = empty_json();
        let ds = dataset_from_json(&text).expect("parses");
        assert_eq!(dataset_to_json(&ds), text);
    }

    #[test]
    fn refuses_wrong_format_newer_version_and_garbage() {
        let text = empty_json();
        let wrong = text.replace("bangfu-dataset", "something-else");
        assert!(matches!(
            dataset_from_json(&wrong),
            Err(DatasetJsonError::WrongFormat(_))
        ));
        let newer = text.replace("\"version\": 1", "\"version\": 9");
        assert!(matches!(
            dataset_from_json(&newer),
            Err(DatasetJsonError::TooNew(9))
        ));
        assert!(matches!(
            dataset_from_json("[1,2]"),
            Err(DatasetJsonError::NotADataset(_))
        ));
        assert!(matches!(
            dataset_from_json("{"),
            Err(DatasetJsonError::NotADataset(_))
        ));
    }

    #[test]
    fn an_impossible_date_names_its_path() {
        let text = empty_json().replace("2024-01-01", "2023-02-29");
        match dataset_from_json(&text) {
            Err(DatasetJsonError::Field { path, .. }) => {
                assert_eq!(path, "settings.tracking_start")
            }
            other => panic!("expected a field error, got {other:?}"),
        }
    }
}
