//! The server side's errors: [`StoreError`] (the blob store failed) and [`UploadError`] (an
//! upload refused, or failed), each refusal with a stable code and a Chinese message that says
//! what to do. Messages never contain photo contents; a hash names a photo, not a person.

use crate::wire::codes;

/// A blob store could not read or write.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("blob store I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The object store (S3) failed; the text is object_store's.
    #[error("object store: {0}")]
    Object(String),
    /// The store cannot be set up as configured (a bad endpoint, a missing bucket name).
    #[error("blob store configuration: {0}")]
    Config(String),
}

/// Why an upload step was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the photo name is not a SHA-256 (64 lowercase hex characters)")]
    BadHash,
    #[error("the photo is {declared} bytes, over the limit of {max} bytes")]
    TooLarge { declared: u64, max: u64 },
    #[error("the chunk is {len} bytes, over the limit of {max} bytes")]
    ChunkTooLarge { len: u64, max: u64 },
    /// The chunk does not start where the server's copy ends: resume at `expected`.
    #[error("the upload continues at byte {expected}, not at byte {offset}")]
    OffsetMismatch { expected: u64, offset: u64 },
    /// A range that cannot be: past the declared size, an empty photo, a body of another length.
    #[error("bad range: {0}")]
    BadRange(&'static str),
    /// The staged bytes do not hash to the name; they were discarded.
    #[error("the received bytes have SHA-256 {actual}, not {expected}; they were discarded")]
    HashMismatch { expected: String, actual: String },
    /// Not a JPEG, PNG or WebP, or undecodable; the reason is the decoder's (no pixel data).
    #[error("not an image: {0}")]
    NotImage(String),
    /// Over the image limits (width, height or decoded size): a decompression bomb, or a photo
    /// that was not shrunk on the phone.
    #[error("the image is over the limits: {0}")]
    ImageTooLarge(String),
    /// The device has too many unfinished uploads, or too many bytes in them (`max` is the
    /// limit): it should finish those it began, or wait for old ones to expire.
    #[error("over the quota of unfinished uploads ({what:?}, at most {max})")]
    Quota { what: QuotaKind, max: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which quota of unfinished uploads a device reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    /// How many unfinished uploads it may have.
    Uploads,
    /// How many bytes its unfinished uploads may hold.
    Bytes,
}

impl UploadError {
    /// The stable code (one of [`codes`]).
    pub fn code(&self) -> &'static str {
        match self {
            UploadError::BadHash => codes::BAD_HASH,
            UploadError::TooLarge { .. } => codes::TOO_LARGE,
            UploadError::ChunkTooLarge { .. } => codes::CHUNK_TOO_LARGE,
            UploadError::OffsetMismatch { .. } => codes::OFFSET_MISMATCH,
            UploadError::BadRange(_) => codes::BAD_RANGE,
            UploadError::HashMismatch { .. } => codes::HASH_MISMATCH,
            UploadError::NotImage(_) => codes::NOT_IMAGE,
            UploadError::ImageTooLarge(_) => codes::IMAGE_TOO_LARGE,
            UploadError::Quota { .. } => codes::QUOTA,
            UploadError::Store(_) => codes::STORAGE_ERROR,
        }
    }

    /// Simplified Chinese, for the app: what is wrong and what to do.
    pub fn message_zh(&self) -> String {
        match self {
            UploadError::BadHash => {
                "照片标识无效（应为64位小写十六进制SHA-256）。请重新添加该照片。".to_owned()
            }
            UploadError::TooLarge { declared, max } => format!(
                "照片过大（{}），上限为{}。请在手机上压缩后重新添加。",
                mib(*declared),
                mib(*max)
            ),
            UploadError::ChunkTooLarge { max, .. } => format!(
                "一次上传的数据块过大（上限{}字节）。请更新应用后重试。",
                max
            ),
            UploadError::OffsetMismatch { expected, .. } => format!(
                "上传位置不一致：服务器已收到{expected}字节。应用将从该位置继续上传，无需操作。"
            ),
            UploadError::BadRange(_) => {
                "上传请求的范围（Content-Range）无效。请更新应用后重试。".to_owned()
            }
            UploadError::HashMismatch { .. } => {
                "照片在传输中损坏（校验值不一致），收到的数据已丢弃。请重新上传该照片。".to_owned()
            }
            UploadError::NotImage(_) => {
                "文件不是可识别的照片（仅支持JPEG、PNG、WebP）。请重新拍摄或选择照片。".to_owned()
            }
            UploadError::ImageTooLarge(_) => "照片尺寸过大。请在手机上缩小后重新添加。".to_owned(),
            UploadError::Quota {
                what: QuotaKind::Uploads,
                max,
            } => format!(
                "本机在服务器上未传完的照片已达上限（{max}张），暂不接收新的照片上传。\
                 请先让已开始的照片传完，或等待几天后未传完的照片过期，再同步。"
            ),
            UploadError::Quota {
                what: QuotaKind::Bytes,
                max,
            } => format!(
                "本机在服务器上未传完的照片数据已达上限（{}），暂不接收更多数据。\
                 请先让已开始的照片传完，或等待几天后未传完的照片过期，再同步。",
                mib(*max)
            ),
            UploadError::Store(_) => "服务器暂时无法保存照片。请稍后重试。".to_owned(),
        }
    }

    /// Whether this is the server's own fault (a 5xx), not a refusal of the request.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, UploadError::Store(_))
    }
}

/// `5.0 MB` style sizes for messages (MiB, one decimal).
fn mib(bytes: u64) -> String {
    let tenths = bytes.saturating_mul(10).div_ceil(1 << 20);
    format!("{}.{} MB", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_code_and_a_chinese_message() {
        let all = [
            UploadError::BadHash,
            UploadError::TooLarge {
                declared: 9 << 20,
                max: 8 << 20,
            },
            UploadError::ChunkTooLarge { len: 2, max: 1 },
            UploadError::OffsetMismatch {
                expected: 262_144,
                offset: 0,
            },
            UploadError::BadRange("x"),
            UploadError::HashMismatch {
                expected: "a".into(),
                actual: "b".into(),
            },
            UploadError::NotImage("x".into()),
            UploadError::ImageTooLarge("x".into()),
            UploadError::Quota {
                what: QuotaKind::Uploads,
                max: 50,
            },
            UploadError::Store(StoreError::Object("x".into())),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for e in &all {
            assert!(seen.insert(e.code()), "duplicate code {}", e.code());
            assert!(e.message_zh().ends_with('。'), "{}", e.message_zh());
        }
        assert!(all[1].message_zh().contains("9.0 MB"));
        assert!(all[1].message_zh().contains("8.0 MB"));
        assert!(all[3].message_zh().contains("262144"));
    }
}
