//! Why a photo was refused: a stable code for programs, English for logs, Chinese for the cadre.
//!
//! No variant carries personal data (no file names, no EXIF text), only sizes and formats.

/// A photo that intake refused, or a watermark font that could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntakeError {
    /// The file is empty.
    #[error("the photo file is empty")]
    Empty,
    /// The bytes are not an image in any format we know.
    #[error("not an image file")]
    NotImage,
    /// An image, but in a format intake does not decode (HEIC, GIF, BMP, TIFF, …).
    #[error("image format {format} is not supported (only JPEG, PNG and WebP)")]
    UnsupportedFormat {
        /// The format's short name, e.g. `"HEIC"`.
        format: &'static str,
    },
    /// The file is larger than [`crate::IntakeOptions::max_input_bytes`].
    #[error("the photo file has {bytes} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the input.
        bytes: u64,
        /// The limit it exceeds.
        limit: u64,
    },
    /// The header claims more pixels than the limits allow (a huge photo or a decompression bomb);
    /// refused before any pixel buffer is allocated.
    #[error("the image claims {width}×{height} pixels, more than the limits allow")]
    TooManyPixels {
        /// Width in the header.
        width: u32,
        /// Height in the header.
        height: u32,
    },
    /// The file starts like an image but cannot be decoded: truncated or damaged.
    #[error("the {format} image is damaged or incomplete: {detail}")]
    Corrupt {
        /// The format it claims to be.
        format: &'static str,
        /// What the decoder said (no personal data: decoders report structure, not content).
        detail: String,
    },
    /// The options are unusable (e.g. a long edge of 0).
    #[error("invalid intake options: {0}")]
    InvalidOptions(&'static str),
    /// The watermark font is not a TrueType/OpenType font or collection.
    #[error("the watermark font is not a valid TrueType/OpenType font")]
    InvalidFont,
    /// Encoding the output JPEG failed (should not happen with valid dimensions).
    #[error("encoding the JPEG failed: {0}")]
    Encode(String),
}

impl IntakeError {
    /// A stable code for programs and the UI (never changes once released).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "photo_empty",
            Self::NotImage => "photo_not_image",
            Self::UnsupportedFormat { .. } => "photo_unsupported_format",
            Self::TooLarge { .. } => "photo_too_large",
            Self::TooManyPixels { .. } => "photo_too_many_pixels",
            Self::Corrupt { .. } => "photo_corrupt",
            Self::InvalidOptions(_) => "photo_invalid_options",
            Self::InvalidFont => "photo_invalid_font",
            Self::Encode(_) => "photo_encode_failed",
        }
    }

    /// The message for the cadre, in Simplified Chinese, saying what to do next.
    pub fn message_zh(&self) -> String {
        match self {
            Self::Empty => "照片文件是空的，请重新拍照。".to_owned(),
            Self::NotImage => "这不是照片文件，请重新拍照或选择 JPG/PNG 图片。".to_owned(),
            Self::UnsupportedFormat { format } => format!(
                "暂不支持 {format} 格式的图片。请在相机设置中把照片格式改为 JPG\
                 （“兼容性最佳”），或选择 JPG/PNG 图片。"
            ),
            Self::TooLarge { limit, .. } => format!(
                "照片文件太大（超过 {} MB），请用手机相机的普通模式重新拍照。",
                limit.div_ceil(1024 * 1024)
            ),
            Self::TooManyPixels { .. } => "照片像素太多，无法处理。请关闭相机的“超高像素”模式\
                 后重新拍照，或选择其他照片。"
                .to_owned(),
            Self::Corrupt { .. } => "照片文件已损坏或不完整，请重新拍照或重新选择。".to_owned(),
            Self::InvalidOptions(_) => "照片处理设置有误，请联系管理员。".to_owned(),
            Self::InvalidFont => {
                "水印字体文件无法使用，照片将不加中文水印；请联系管理员。".to_owned()
            }
            Self::Encode(_) => "照片保存失败，请重试；如果仍然失败，请联系管理员。".to_owned(),
        }
    }
}
