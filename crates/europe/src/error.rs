//! Errors of the European model builder.

use thiserror::Error;

/// Errors while reading the open data or building the model.
#[derive(Debug, Error)]
pub enum EuropeError {
    /// A file could not be opened or read.
    #[error("{file}: cannot read: {message}")]
    Io {
        /// File path.
        file: String,
        /// Underlying error.
        message: String,
    },
    /// A required column is missing from the header.
    #[error("{file}: missing column {column:?}")]
    MissingColumn {
        /// File path.
        file: String,
        /// Column name.
        column: String,
    },
    /// A field could not be parsed.
    #[error("{file}, line {line}, field {field:?}: {message}")]
    Field {
        /// File path.
        file: String,
        /// 1-based line number in the file.
        line: u64,
        /// Column name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The data are consistent per file but cannot form a model.
    #[error("inconsistent data: {0}")]
    Inconsistent(String),
    /// The cascade engine rejected the model or a scenario.
    #[error(transparent)]
    Cascade(#[from] bulwark_cascade::CascadeError),
}
