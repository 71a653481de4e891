//! Errors of the resilience pillar.

use bulwark_store::StoreError;
use serde::Serialize;

/// One bad row of an import: where it is and which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// The file (or request part) the row came from.
    pub file: String,
    /// The line the row starts on (1-based; the CSV header is line 1).
    pub line: u64,
    /// The field at fault (`(row)` when the row as a whole is).
    pub field: String,
    /// The rule it broke.
    pub rule: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: `{}` {}",
            self.file, self.line, self.field, self.rule
        )
    }
}

/// What went wrong in a resilience operation. Nothing is written when an
/// error is returned.
#[derive(Debug, thiserror::Error)]
pub enum ResilienceError {
    /// An input field broke a rule.
    #[error("invalid field `{field}`: {rule}")]
    Invalid {
        /// The field's name as the caller spelled it.
        field: String,
        /// The rule it broke.
        rule: String,
    },
    /// The record does not exist (or is outside the caller's Member State).
    #[error("{kind} {key} not found")]
    NotFound {
        /// The kind of record.
        kind: &'static str,
        /// Its key or id as given.
        key: String,
    },
    /// An import had bad rows: every one is listed; nothing was written.
    #[error("import rejected, nothing written: {} bad row(s); first: {}", .0.len(), .0.first().map(|e| e.to_string()).unwrap_or_default())]
    Import(Vec<RowError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ResilienceError {
    /// Shorthand for [`ResilienceError::Invalid`].
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        ResilienceError::Invalid {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// Whether the error is the caller's fault (bad input, unknown record).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ResilienceError::Store(_))
    }
}

impl From<sqlx::Error> for ResilienceError {
    fn from(e: sqlx::Error) -> Self {
        ResilienceError::Store(StoreError::Database(e))
    }
}

/// Result alias of the pillar.
pub type Result<T, E = ResilienceError> = std::result::Result<T, E>;
