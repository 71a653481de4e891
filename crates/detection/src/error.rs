//! Errors of the detection pillar.

use bulwark_store::StoreError;

/// What went wrong in a detection operation. Nothing is written when an
/// error is returned.
#[derive(Debug, thiserror::Error)]
pub enum DetectionError {
    /// An input field broke a rule.
    #[error("invalid field `{field}`: {rule}")]
    Invalid {
        /// The field's name as the caller spelled it.
        field: String,
        /// The rule it broke.
        rule: String,
    },
    /// Scanning refused: no active legal basis covers it (the rule is named).
    #[error("scan refused: {0}")]
    Refused(String),
    /// A signed list failed verification: bad signature, unknown key, or a
    /// version that does not follow the chain.
    #[error("list rejected: {0}")]
    ListRejected(String),
    /// The record does not exist (or belongs to another organisation).
    #[error("{kind} {key} not found")]
    NotFound {
        /// The kind of record.
        kind: &'static str,
        /// Its key or id as given.
        key: String,
    },
    /// The record is not in a state that allows the action.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Too much work is already waiting (the scan writer's queue is full):
    /// nothing was done; the caller may retry shortly.
    #[error("busy: {0}")]
    Busy(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DetectionError {
    /// Shorthand for [`DetectionError::Invalid`].
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        DetectionError::Invalid {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// Whether the error is the caller's fault (bad input, refusal, unknown record).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, DetectionError::Store(_) | DetectionError::Busy(_))
    }
}

impl From<sqlx::Error> for DetectionError {
    fn from(e: sqlx::Error) -> Self {
        DetectionError::Store(StoreError::Database(e))
    }
}

/// A stored row that does not parse: the database was edited outside Bulwark.
pub(crate) fn corrupt(what: &'static str, detail: impl ToString) -> DetectionError {
    DetectionError::Store(StoreError::Corrupt {
        what,
        detail: detail.to_string(),
    })
}

/// Result alias of the pillar.
pub type Result<T, E = DetectionError> = std::result::Result<T, E>;
