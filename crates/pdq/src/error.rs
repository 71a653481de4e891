//! Error type of the crate.

/// Everything that can go wrong when hashing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdqError {
    /// The pixel buffer does not have `width * height * channels` elements.
    #[error(
        "pixel buffer of {actual} elements does not match {width}x{height} ({expected} expected)"
    )]
    BufferSize {
        /// Image width.
        width: usize,
        /// Image height.
        height: usize,
        /// Expected element count.
        expected: usize,
        /// Actual element count.
        actual: usize,
    },
    /// `width * height` does not fit in memory addressing.
    #[error("image dimensions {width}x{height} overflow")]
    DimensionsOverflow {
        /// Image width.
        width: usize,
        /// Image height.
        height: usize,
    },
    /// A hash string is not 64 hex digits.
    #[error("invalid PDQ hash hex: {0}")]
    InvalidHex(String),
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not an image in a supported format, or is corrupt or truncated.
    #[error("cannot decode image: {0}")]
    Decode(String),
    /// The image is larger than the configured pixel limit (decompression-bomb guard).
    #[error("image {width}x{height} exceeds the limit of {limit} pixels")]
    TooLarge {
        /// Declared width.
        width: u64,
        /// Declared height.
        height: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The file is larger than the configured byte limit.
    #[error("file of {size} bytes exceeds the limit of {limit} bytes")]
    FileTooLarge {
        /// File size in bytes.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
}
